/* Container commands: create, run, start, ps, rm, and the `container` group. Values go to the
 * broker as the user typed them; policy/spec.c (in the broker) checks them and names the flag
 * in its errors. The frontend reads only what is the user's own: --env-file, a seccomp
 * profile named with --security-opt seccomp=PATH, its environment, and its stdio. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/detachkeys.h"
#include "common/xio.h"
#include "frontend/frontend.h"
#include "frontend/humanize.h"
#include "frontend/output.h"
#include "frontend/psfilter.h"
#include "frontend/terminal.h"
#include "ipc/msg.h"

extern char **environ;

#define LIST_MAX 1024

/* ---------------------------------------------------------------------------- create/run */

enum {
	C_NAME, C_ENV, C_ENVFILE, C_WORKDIR, C_USER, C_ENTRYPOINT, C_HOSTNAME, C_LABEL,
	C_ANNOTATION, C_TTY, C_INTERACTIVE, C_RM, C_READONLY, C_PRIVILEGED, C_CAPADD, C_CAPDROP,
	C_SECOPT, C_MEMORY, C_MEMSWAP, C_CPUS, C_CPUSHARES, C_PIDS, C_ULIMIT, C_SHM, C_TMPFS,
	C_SYSCTL, C_NETWORK, C_NET, C_RUNTIME, C_STOPSIGNAL, C_STOPTIMEOUT, C_DETACH, C_GROUPADD,
	C_ENVHOST, C_PULL, C_TLSVERIFY, C_CERTDIR, C_AUTHFILE, C_QUIET,
	C_USERNS, C_INIT, C_INITPATH, C_DETACHKEYS, C_HELP,
};

static const struct fe_opt create_opts[] = {
	[C_NAME] = { "name", 0, true, "Assign a name to the container" },
	[C_ENV] = { "env", 'e', true, "Set environment variables in container" },
	[C_ENVFILE] = { "env-file", 0, true, "Read in a file of environment variables" },
	[C_WORKDIR] = { "workdir", 'w', true, "Working directory inside the container" },
	[C_USER] = { "user", 'u', true, "Username or UID (format: <uid>[:<gid>])" },
	[C_ENTRYPOINT] = { "entrypoint", 0, true, "Overwrite the default ENTRYPOINT of the image" },
	[C_HOSTNAME] = { "hostname", 'h', true, "Set container hostname" },
	[C_LABEL] = { "label", 'l', true, "Set metadata on container" },
	[C_ANNOTATION] = { "annotation", 0, true, "Add annotations to container (key=value)" },
	[C_TTY] = { "tty", 't', false, "Allocate a pseudo-TTY for container" },
	[C_INTERACTIVE] = { "interactive", 'i', false, "Keep STDIN open even if not attached" },
	[C_RM] = { "rm", 0, false, "Remove container (and pod if created) after exit" },
	[C_READONLY] = { "read-only", 0, false, "Make containers root filesystem read-only" },
	[C_PRIVILEGED] = { "privileged", 0, false, "Give extended privileges to container" },
	[C_CAPADD] = { "cap-add", 0, true, "Add capabilities to the container" },
	[C_CAPDROP] = { "cap-drop", 0, true, "Drop capabilities from the container" },
	[C_SECOPT] = { "security-opt", 0, true, "Security Options" },
	[C_MEMORY] = { "memory", 'm', true, "Memory limit (format: <number>[<unit>])" },
	[C_MEMSWAP] = { "memory-swap", 0, true, "Swap limit equal to memory plus swap" },
	[C_CPUS] = { "cpus", 0, true, "Number of CPUs. The default is 0.000 which means no limit" },
	[C_CPUSHARES] = { "cpu-shares", 'c', true, "CPU shares (relative weight)" },
	[C_PIDS] = { "pids-limit", 0, true, "Tune container pids limit (set -1 for unlimited)" },
	[C_ULIMIT] = { "ulimit", 0, true, "Ulimit options" },
	[C_SHM] = { "shm-size", 0, true, "Size of /dev/shm (format: <number>[<unit>])" },
	[C_TMPFS] = { "tmpfs", 0, true, "Mount a temporary filesystem (tmpfs) into a container" },
	[C_SYSCTL] = { "sysctl", 0, true, "Sysctl options" },
	[C_NETWORK] = { "network", 0, true, "Connect a container to a network (none, host, "
					    "private)" },
	[C_NET] = { "net", 0, true, "Connect a container to a network (none, host, private)" },
	[C_RUNTIME] = { "runtime", 0, true, "Path to the OCI runtime, or its name" },
	[C_STOPSIGNAL] = { "stop-signal", 0, true, "Signal to stop a container" },
	[C_STOPTIMEOUT] = { "stop-timeout", 0, true, "Timeout (in seconds) to stop a container" },
	[C_DETACH] = { "detach", 'd', false, "Run container in background and print container ID" },
	[C_GROUPADD] = { "group-add", 0, true, "Add additional groups to the primary container "
					       "process" },
	[C_ENVHOST] = { "env-host", 0, false, "Use all current host environment variables in "
					     "container" },
	[C_PULL] = { "pull", 0, true, "Pull image policy (always, missing, never, newer)" },
	[C_TLSVERIFY] = { "tls-verify", 0, false, "Require HTTPS and verify certificates when "
						  "pulling (default true)" },
	[C_CERTDIR] = { "cert-dir", 0, true, "Use certificates at the specified path to access "
					     "the registry" },
	[C_AUTHFILE] = { "authfile", 0, true, "Path of the authentication file" },
	[C_QUIET] = { "quiet", 'q', false, "Suppress output information when pulling images" },
	[C_USERNS] = { "userns", 0, true, "User namespace to use (host, keep-id[:uid=U,gid=G], nomap)" },
	[C_INIT] = { "init", 0, false, "Run an init inside the container that forwards signals "
				      "and reaps processes" },
	[C_INITPATH] = { "init-path", 0, true, "Path to the container-init binary" },
	[C_DETACHKEYS] = { "detach-keys", 0, true, "Override the key sequence for detaching a "
					    "container" },
	[C_HELP] = { "help", 0, false, "Help for this command" },
};

struct vec {
	char **v;
	size_t n;
};

struct create_ctx {
	struct msg_create req;
	struct msg_pull pull;      /* --pull's request: berth pull's own */
	const char *pull_policy;   /* --pull; NULL: missing */
	struct vec env, labels, annotations, cap_add, cap_drop, secopt, ulimits, tmpfs, sysctls;
	struct vec groups;
	char *owned[LIST_MAX];     /* strings read from files */
	size_t n_owned;
	bool detach, help;
};

static int vec_add(struct vec *v, char *s)
{
	char **nv;

	if (v->n >= LIST_MAX) {
		fe_error("too many values for one option");
		return -1;
	}
	nv = realloc(v->v, (v->n + 2) * sizeof(char *));
	if (nv == NULL) {
		fe_error("out of memory");
		return -1;
	}
	v->v = nv;
	nv[v->n++] = s;
	nv[v->n] = NULL;
	return 0;
}

static char *own(struct create_ctx *c, char *s)
{
	if (s == NULL || c->n_owned == LIST_MAX) {
		free(s);
		return NULL;
	}
	return c->owned[c->n_owned++] = s;
}

/* --env-file: KEY=value lines (or KEY alone, from the environment); # comments, blank lines. */
static int env_file(struct create_ctx *c, const char *path)
{
	cleanup_free char *text = NULL;
	size_t len;
	struct berr e;
	char *save = NULL;

	if (xread_file_at(AT_FDCWD, path, 1u << 20, &text, &len, &e) < 0) {
		fe_error("--env-file %s: %s", path, e.msg);
		return -1;
	}
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		l += strspn(l, " \t");
		if (*l == '\0' || *l == '#')
			continue;
		char *s = own(c, strdup(l));
		if (s == NULL || vec_add(&c->env, s) < 0)
			return -1;
	}
	return 0;
}

static int seccomp_profile(struct create_ctx *c, const char *opt)
{
	const char *path = opt + strlen("seccomp=");
	char *text = NULL;
	size_t len;
	struct berr e;

	if (strcmp(path, "unconfined") == 0)
		return 0;
	if (xread_file_at(AT_FDCWD, path, 192 * 1024, &text, &len, &e) < 0) {
		fe_error("--security-opt seccomp=%s: %s", path, e.msg);
		return -1;
	}
	c->req.seccomp_profile = own(c, text);
	return c->req.seccomp_profile != NULL ? 0 : -1;
}

static int create_opt(int id, const char *val, void *ctx)
{
	struct create_ctx *c = ctx;
	struct msg_create *r = &c->req;
	bool on = val == NULL;
	char *v = (char *)val;

	switch (id) {
	case C_NAME: r->name = v; return 0;
	case C_ENV: return vec_add(&c->env, v);
	case C_ENVFILE: return env_file(c, val);
	case C_WORKDIR: r->workdir = v; return 0;
	case C_USER: r->user = v; return 0;
	case C_ENTRYPOINT: r->entrypoint = v; return 0;
	case C_HOSTNAME: r->hostname = v; return 0;
	case C_LABEL: return vec_add(&c->labels, v);
	case C_ANNOTATION: return vec_add(&c->annotations, v);
	case C_TTY: r->tty = on; return 0;
	case C_DETACHKEYS: {
		struct detach_keys k;
		if (detach_keys_parse(&k, val) < 0) {
			fe_error("invalid detach keys \"%s\": want keys such as ctrl-p,ctrl-q (a "
				 "character or ctrl- and one of a-z @ [ \\ ] ^ _, at most %d)", val,
				 DETACH_KEYS_MAX);
			return -1;
		}
		r->detach_keys = v;
		return 0;
	}
	case C_INTERACTIVE: r->interactive = on; return 0;
	case C_RM: r->rm = on; return 0;
	case C_READONLY: r->read_only = on; return 0;
	case C_PRIVILEGED: r->privileged = on; return 0;
	case C_CAPADD: return vec_add(&c->cap_add, v);
	case C_CAPDROP: return vec_add(&c->cap_drop, v);
	case C_SECOPT:
		if (strncmp(val, "seccomp=", 8) == 0 && seccomp_profile(c, val) < 0)
			return -1;
		return vec_add(&c->secopt, v);
	case C_MEMORY: r->memory = v; return 0;
	case C_MEMSWAP: r->memory_swap = v; return 0;
	case C_CPUS: r->cpus = v; return 0;
	case C_CPUSHARES: r->cpu_shares = v; return 0;
	case C_PIDS: r->pids_limit = v; return 0;
	case C_ULIMIT: return vec_add(&c->ulimits, v);
	case C_SHM: r->shm_size = v; return 0;
	case C_TMPFS: return vec_add(&c->tmpfs, v);
	case C_SYSCTL: return vec_add(&c->sysctls, v);
	case C_NETWORK:
	case C_NET: r->network = v; return 0;
	case C_RUNTIME: r->runtime = v; return 0;
	case C_STOPSIGNAL: r->stop_signal = v; return 0;
	case C_STOPTIMEOUT: {
		char *end;
		errno = 0;
		unsigned long t = strtoul(val, &end, 10);
		if (errno != 0 || *end != '\0' || end == val || t > 86400) {
			fe_error("invalid argument \"%s\" for \"--stop-timeout\" flag", val);
			return -1;
		}
		r->stop_timeout = t;
		return 0;
	}
	case C_DETACH: c->detach = on; return 0;
	case C_GROUPADD: return vec_add(&c->groups, v);
	case C_ENVHOST: r->env_host = on; return 0;
	case C_PULL:
		if (strcmp(val, "always") != 0 && strcmp(val, "missing") != 0 &&
		    strcmp(val, "never") != 0 && strcmp(val, "newer") != 0) {
			fe_error("invalid pull policy \"%s\": berth knows always, missing, never and "
				 "newer", val);
			return -1;
		}
		c->pull_policy = val;
		return 0;
	case C_TLSVERIFY: c->pull.tls_verify = on ? TRI_TRUE : TRI_FALSE; return 0;
	case C_CERTDIR:
	case C_AUTHFILE:
		if (val[0] != '/') {
			fe_error("--%s must be an absolute path", create_opts[id].name);
			return -1;
		}
		*(id == C_CERTDIR ? &c->pull.cert_dir : &c->pull.authfile) = v;
		return 0;
	case C_QUIET: c->pull.quiet = on; return 0;
	case C_USERNS: r->userns = v; return 0;
	case C_INIT: r->init = on ? TRI_TRUE : TRI_FALSE; return 0;
	case C_INITPATH:
		if (val[0] != '/') {
			fe_error("--init-path must be an absolute path");
			return -1;
		}
		r->init_path = v;
		return 0;
	default: c->help = on; return 0;
	}
}

static void create_free(struct create_ctx *c)
{
	struct vec *vs[] = { &c->env, &c->labels, &c->annotations, &c->cap_add, &c->cap_drop,
			     &c->secopt, &c->ulimits, &c->tmpfs, &c->sysctls, &c->groups };
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++)
		free(vs[i]->v);
	for (size_t i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
}

static int count_env(void)
{
	int n = 0;
	while (environ != NULL && environ[n] != NULL && n < LIST_MAX)
		n++;
	return n;
}

/* Parses `berth create|run [options] IMAGE [COMMAND [ARG...]]` into c. */
static int parse_create(const char *cmd, const char *runtime, int argc, char **argv,
			struct create_ctx *c, char ***pos, int *npos)
{
	char path[32];

	snprintf(path, sizeof(path), "berth %s", cmd);
	if (fe_parse(path, create_opts, ARRAY_SIZE(create_opts), argc, argv, true, create_opt, c,
		     pos, npos) < 0)
		return -1;
	if (c->help)
		return 0;
	if (*npos < 1) {
		fe_error("requires at least 1 arg(s), only received 0");
		return -1;
	}
	struct msg_create *r = &c->req;
	r->image = (*pos)[0];
	r->args = *npos > 1 ? &(*pos)[1] : NULL;
	r->n_args = (size_t)(*npos - 1);
	r->env = c->env.v;
	r->n_env = c->env.n;
	r->host_env = environ;
	r->n_host_env = (size_t)count_env();
	r->labels = c->labels.v;
	r->n_labels = c->labels.n;
	r->annotations = c->annotations.v;
	r->n_annotations = c->annotations.n;
	r->cap_add = c->cap_add.v;
	r->n_cap_add = c->cap_add.n;
	r->cap_drop = c->cap_drop.v;
	r->n_cap_drop = c->cap_drop.n;
	r->security_opt = c->secopt.v;
	r->n_security_opt = c->secopt.n;
	r->ulimits = c->ulimits.v;
	r->n_ulimits = c->ulimits.n;
	r->tmpfs = c->tmpfs.v;
	r->n_tmpfs = c->tmpfs.n;
	r->sysctls = c->sysctls.v;
	r->n_sysctls = c->sysctls.n;
	r->group_add = c->groups.v;
	r->n_group_add = c->groups.n;
	if (r->runtime == NULL && runtime != NULL && runtime[0] != '\0')
		r->runtime = (char *)runtime;
	return 0;
}

/* Starts a created container attached to this terminal's stdio (stdin only with -i, as
 * Podman: otherwise the container reads /dev/null). Returns the container's exit code. */
static int start_attached(const struct fe_opts *o, struct fe_broker *br, const char *name,
			  bool interactive, bool tty)
{
	struct msg_start req = { .container = (char *)name, .attach = true };
	struct ipc_msg *reply = NULL;
	cleanup_close int null = -1;
	int fds[4] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, -1 };
	struct berr e = { 0 };
	struct fe_term term = { .winch = { -1, -1 } };
	size_t nfds = 3;
	int code;

	if (!interactive) {
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0) {
			fe_error("opening /dev/null: %m");
			return EXIT_BERTH;
		}
		fds[0] = null;
	}
	fflush(stdout);
	/* -t: the container's monitor feeds our typing to its terminal (the terminal raw, so
	 * keys reach it as typed) and follows our window size through the SIGWINCH pipe. */
	if (tty) {
		if (fe_term_begin(&term, interactive) < 0)
			return EXIT_BERTH;
		fds[3] = term.winch[0];
		nfds = 4;
	}
	/* run: the broker that created it starts it too (one broker per command). */
	if (br != NULL) {
		if (fe_broker_call(br, MSG_START, &req, fds, nfds, MSG_START_DONE, &reply, &e) < 0) {
			fe_term_end(&term);
			fe_error("%s", e.msg);
			return EXIT_BERTH;
		}
	} else if (fe_request_fds(o, MSG_START, &req, fds, nfds, MSG_START_DONE, &reply) < 0) {
		fe_term_end(&term);
		return EXIT_BERTH;
	}
	fe_term_end(&term);
	const struct msg_start_done *d = reply->body;
	if (d->error != NULL)
		fe_error("%s", d->error);
	code = d->exit_code < 0 || d->exit_code > 255 ? EXIT_BERTH : (int)d->exit_code;
	ipc_msg_free(reply);
	return code;
}

/* Starts a created container in the background (run -d, start without -a): the broker returns
 * once the runtime has started it under its monitor. */
static int start_detached(const struct fe_opts *o, struct fe_broker *br, const char *name)
{
	struct msg_start req = { .container = (char *)name, .attach = false };
	struct ipc_msg *reply = NULL;
	struct berr e = { 0 };

	if (br != NULL) {
		if (fe_broker_call(br, MSG_START, &req, NULL, 0, MSG_CREATE_REPLY, &reply, &e) < 0) {
			fe_error("%s", e.msg);
			return e.code == BERR_NOTFOUND ? EXIT_NOTFOUND : EXIT_BERTH;
		}
	} else if (fe_request(o, MSG_START, &req, MSG_CREATE_REPLY, &reply) < 0) {
		return EXIT_BERTH;
	}
	ipc_msg_free(reply);
	return 0;
}

/* --pull, as Podman, on the broker that then creates the container: "missing" (the default)
 * pulls only an image the store does not have, "newer" tries the registry even so (and keeps
 * the stored image when that fails), "always" pulls, "never" never does. The pull is berth
 * pull's own request, with its flags. Returns 0, or -1 with the error printed. */
static int pull_image(const struct fe_opts *o, struct fe_broker *br, struct create_ctx *c)
{
	const char *policy = c->pull_policy != NULL ? c->pull_policy : "missing";
	struct msg_image_inspect iq = { .name = c->req.image };
	struct ipc_msg *reply = NULL;
	struct berr e = { 0 };
	bool have = false;

	if (strcmp(policy, "always") != 0) {
		if (fe_broker_call(br, MSG_IMAGE_INSPECT, &iq, NULL, 0, MSG_IMAGE_INSPECT_REPLY,
				   &reply, &e) < 0 && e.code != BERR_NOTFOUND) {
			fe_error("%s", e.msg);
			return -1;
		}
		have = reply != NULL;
		ipc_msg_free(reply);
		reply = NULL;
		if (strcmp(policy, "never") == 0 && !have) {
			fe_error("%s", e.msg); /* Podman's "NAME: image not known" */
			return -1;
		}
		if (have && strcmp(policy, "newer") != 0)
			return 0;
	}
	c->pull.reference = c->req.image;
	if (c->pull.authfile == NULL)
		c->pull.authfile = (char *)o->authfile;
	berr_clear(&e);
	/* The trust policy applies as to berth pull, --signature-policy included. */
	if (fe_signature_policy(o, &c->pull.policy_path) < 0)
		return -1;
	int r = fe_broker_call(br, MSG_PULL, &c->pull, NULL, 0, MSG_PULL_DONE, &reply, &e);
	free(c->pull.policy_path);
	c->pull.policy_path = NULL;
	if (r < 0) {
		/* newer: the stored image stays when the registry could not be asked, as Podman
		 * hides that error; a trust policy that rejects what the registry has now is an
		 * error (the stored image is not run in its place). always: every failure is one. */
		if (have && strcmp(policy, "newer") == 0 && e.code != BERR_PROTOCOL &&
		    e.code != BERR_WORKER && e.code != BERR_POLICY)
			return 0;
		fe_error("%s", e.msg);
		return -1;
	}
	ipc_msg_free(reply);
	return 0;
}

static int create_run(const struct fe_opts *o, int argc, char **argv, bool run)
{
	struct create_ctx *c = calloc(1, sizeof(*c));
	cleanup_free char **pos = NULL;
	struct ipc_msg *reply = NULL;
	int npos = 0, rc = EXIT_BERTH;

	if (c == NULL) {
		fe_error("out of memory");
		return EXIT_BERTH;
	}
	if (parse_create(run ? "run" : "create", o->runtime, argc, argv, c, &pos, &npos) < 0)
		goto out;
	if (c->help) {
		fe_usage(run ? "berth run [options] IMAGE [COMMAND [ARG...]]"
			     : "berth create [options] IMAGE [COMMAND [ARG...]]",
			 run ? "Run a command in a new container" : "Create but do not start a container",
			 create_opts, ARRAY_SIZE(create_opts));
		rc = 0;
		goto out;
	}
	if (!run && c->detach) {
		fe_error("unknown shorthand flag: 'd' in -d");
		goto out;
	}
	struct fe_broker br;
	struct berr e = { 0 };
	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		goto out;
	}
	if (pull_image(o, &br, c) < 0) {
		fe_broker_stop(&br);
		goto out;
	}
	if (fe_broker_call(&br, MSG_CREATE, &c->req, NULL, 0, MSG_CREATE_REPLY, &reply, &e) < 0) {
		fe_error("%s", e.msg);
		fe_broker_stop(&br);
		goto out;
	}
	const struct msg_create_reply *cr = reply->body;
	if (!run) {
		printf("%s\n", cr->container_id);
		rc = 0;
	} else if (c->detach) {
		/* The broker that created it starts it too: one broker per command. */
		rc = start_detached(o, &br, cr->container_id);
		if (rc == 0)
			printf("%s\n", cr->container_id);
	} else {
		rc = start_attached(o, &br, cr->container_id, c->req.interactive, c->req.tty);
	}
	ipc_msg_free(reply);
	fe_broker_stop(&br);
out:
	create_free(c);
	free(c);
	return rc;
}

int cmd_create(const struct fe_opts *o, int argc, char **argv)
{
	return create_run(o, argc, argv, false);
}

int cmd_run(const struct fe_opts *o, int argc, char **argv)
{
	return create_run(o, argc, argv, true);
}

/* ----------------------------------------------------------------------------------- start */

enum { S_ATTACH, S_INTERACTIVE, S_HELP };
static const struct fe_opt start_opts[] = {
	[S_ATTACH] = { "attach", 'a', false, "Attach container's STDOUT and STDERR" },
	[S_INTERACTIVE] = { "interactive", 'i', false, "Make STDIN available to the contained "
						       "process" },
	[S_HELP] = { "help", 'h', false, "Help for start" },
};

struct flags3 {
	bool a, i, help;
};

static int start_opt(int id, const char *val, void *ctx)
{
	struct flags3 *f = ctx;
	bool on = val == NULL;

	switch (id) {
	case S_ATTACH: f->a = on; break;
	case S_INTERACTIVE: f->i = on; break;
	default: f->help = on; break;
	}
	return 0;
}

int cmd_start(const struct fe_opts *o, int argc, char **argv)
{
	struct flags3 f = { 0 };
	cleanup_free char **pos = NULL;
	int npos = 0;

	if (fe_parse("berth start", start_opts, ARRAY_SIZE(start_opts), argc, argv, false,
		     start_opt, &f, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		fe_usage("berth start [options] CONTAINER", "Start one or more containers",
			 start_opts, ARRAY_SIZE(start_opts));
		return 0;
	}
	if (npos == 0 || (f.a && npos != 1)) {
		fe_error(npos == 0 ? "start requires at least one argument"
				   : "you cannot start and attach multiple containers at once");
		return EXIT_BERTH;
	}
	if (f.a) {
		/* A container made with -t gets this terminal raw and its size followed, as at
		 * run -it: its record says whether it has a terminal. */
		json_t *ins = NULL;
		bool tty = false;
		if (fe_container_inspect(o, pos[0], &ins) == 1)
			tty = json_is_true(json_object_get(json_object_get(ins, "Config"), "Tty"));
		json_decref(ins);
		return start_attached(o, NULL, pos[0], f.i, tty);
	}
	int rc = 0;
	for (int i = 0; i < npos; i++) {
		int r = start_detached(o, NULL, pos[i]);
		if (r == 0)
			printf("%s\n", pos[i]);
		else
			rc = r;
	}
	return rc;
}

/* -------------------------------------------------------------------------------------- ps */

enum { P_ALL, P_QUIET, P_NOTRUNC, P_FORMAT, P_LATEST, P_LAST, P_NOHEADING, P_FILTER, P_HELP };
static const struct fe_opt ps_opts[] = {
	[P_ALL] = { "all", 'a', false, "Show all the containers, default is only running "
				      "containers" },
	[P_QUIET] = { "quiet", 'q', false, "Print the numeric IDs of the containers only" },
	[P_NOTRUNC] = { "no-trunc", 0, false, "Display the extended information" },
	[P_FORMAT] = { "format", 0, true, "Pretty-print containers to JSON or using a Go "
					  "template" },
	[P_LATEST] = { "latest", 'l', false, "Act on the latest container berth is aware of" },
	[P_LAST] = { "last", 'n', true, "Print the n last created containers (all states)" },
	[P_NOHEADING] = { "noheading", 0, false, "Do not print headers" },
	[P_FILTER] = { "filter", 'f', true, "Filter output based on conditions given" },
	[P_HELP] = { "help", 'h', false, "Help for ps" },
};

struct ps_ctx {
	bool all, quiet, notrunc, latest, noheading, help;
	long last;
	const char *format;
	char **filters;
	size_t n_filters;
};

static int ps_opt(int id, const char *val, void *ctx)
{
	struct ps_ctx *c = ctx;
	bool on = val == NULL;

	switch (id) {
	case P_ALL: c->all = on; break;
	case P_QUIET: c->quiet = on; break;
	case P_NOTRUNC: c->notrunc = on; break;
	case P_FORMAT: c->format = val; break;
	case P_LATEST: c->latest = on; break;
	case P_NOHEADING: c->noheading = on; break;
	case P_FILTER: {
		char **nv = realloc(c->filters, (c->n_filters + 1) * sizeof(*nv));
		if (nv == NULL) {
			fe_error("out of memory");
			return -1;
		}
		c->filters = nv;
		c->filters[c->n_filters++] = (char *)val;
		break;
	}
	case P_LAST: {
		char *end;
		c->last = strtol(val, &end, 10);
		if (*end != '\0' || end == val) {
			fe_error("invalid argument \"%s\" for \"-n, --last\" flag", val);
			return -1;
		}
		break;
	}
	default: c->help = on; break;
	}
	return 0;
}

static const char *ps_header(const char *field)
{
	static const struct {
		const char *f, *h;
	} map[] = {
		{ "ID", "CONTAINER ID" }, { "Image", "IMAGE" }, { "Command", "COMMAND" },
		{ "CreatedHuman", "CREATED" }, { "Status", "STATUS" }, { "Ports", "PORTS" },
		{ "Names", "NAMES" }, { "State", "STATE" }, { "ImageID", "IMAGE ID" },
		{ "ExitCode", "EXIT CODE" }, { "Pid", "PID" }, { "CreatedAt", "CREATED AT" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(map[i].f, field) == 0)
			return map[i].h;
	return field;
}

/* Podman's Labels: a map; with none (or not asked for), null where none_null. */
static json_t *labels_json(const struct msg_container_summary *s, bool none_null)
{
	json_t *o;

	if (s->n_labels == 0 && none_null)
		return json_null();
	o = json_object();
	for (size_t i = 0; i < s->n_labels; i++) {
		const char *eq = strchr(s->labels[i], '=');
		if (eq == NULL)
			json_object_set_new(o, s->labels[i], json_string(""));
		else
			json_object_setn_new(o, s->labels[i], (size_t)(eq - s->labels[i]),
					     json_string(eq + 1));
	}
	return o;
}

static json_t *ps_row(const struct msg_container_summary *s, bool notrunc, time_t now)
{
	char id[65], created[80], status[128], since[64], cmd[1100] = "", at[64];
	size_t len = 0;
	json_t *command = json_array();
	struct tm tm;
	time_t t = (time_t)s->created;

	snprintf(id, sizeof(id), notrunc ? "%s" : "%.12s", s->id);
	human_duration(now - s->created, since, sizeof(since));
	snprintf(created, sizeof(created), "%s ago", since);
	for (size_t i = 0; i < s->n_command; i++) {
		json_array_append_new(command, json_string(s->command[i]));
		len += (size_t)snprintf(cmd + len, len < sizeof(cmd) ? sizeof(cmd) - len : 0, "%s%s",
					i > 0 ? " " : "", s->command[i]);
		if (len >= sizeof(cmd))
			break;
	}
	if (!notrunc && strlen(cmd) > 17)
		snprintf(cmd + 14, sizeof(cmd) - 14, "...");
	if (strcmp(s->state, "running") == 0) {
		human_duration(now - s->started, since, sizeof(since));
		snprintf(status, sizeof(status), "Up %s", since);
	} else if (strcmp(s->state, "exited") == 0) {
		human_duration(now - s->finished, since, sizeof(since));
		snprintf(status, sizeof(status), "Exited (%lld) %s ago", (long long)s->exit_code,
			 since);
	} else {
		snprintf(status, sizeof(status), "Created");
	}
	localtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, "
			 "s:s, s:o}",
			 "ID", id, "FullID", s->id, "Names", s->name, "Image", s->image, "ImageID",
			 s->image_id, "CommandArgs", command, "Command", cmd, "CreatedHuman", created,
			 "CreatedAt", at, "Status", status, "State", s->state, "ExitCode",
			 (json_int_t)s->exit_code, "Pid", (json_int_t)s->pid, "Created",
			 (json_int_t)s->created, "Ports", "", "Labels", labels_json(s, false));
}

static json_t *ps_json(const struct msg_container_summary *s)
{
	json_t *names = json_pack("[s]", s->name), *command = json_array();

	for (size_t i = 0; i < s->n_command; i++)
		json_array_append_new(command, json_string(s->command[i]));
	return json_pack("{s:s, s:o, s:s, s:s, s:o, s:I, s:s, s:I, s:b, s:I, s:I, s:I, s:n, s:o}",
			 "Id",
			 s->id, "Names", names, "Image", s->image, "ImageID", s->image_id,
			 "Command", command, "Created", (json_int_t)s->created, "State", s->state,
			 "ExitCode", (json_int_t)s->exit_code, "Exited",
			 strcmp(s->state, "exited") == 0, "ExitedAt", (json_int_t)s->finished,
			 "StartedAt", (json_int_t)s->started, "Pid", (json_int_t)s->pid, "Ports",
			 "Labels", labels_json(s, true));
}

int fe_ps_fetch(const struct fe_opts *o, const struct msg_ps *req, struct msg_ps_reply *out)
{
	struct fe_broker br;
	struct berr e = { 0 };
	struct ipc_msg *m = NULL;
	int rc = -1;

	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		return -1;
	}
	if (fe_broker_call(&br, MSG_PS, req, NULL, 0, MSG_PS_REPLY, &m, &e) < 0)
		goto out;
	for (;;) {
		struct msg_ps_reply *p = m->body;
		void *nv = realloc(out->containers,
				   (out->n_containers + p->n_containers + 1) * sizeof(*out->containers));
		if (nv == NULL) {
			berr_set(&e, BERR_SYSTEM, ENOMEM, "out of memory");
			goto out;
		}
		out->containers = nv;
		memcpy(out->containers + out->n_containers, p->containers,
		       p->n_containers * sizeof(*p->containers));
		out->n_containers += p->n_containers;
		/* The strings now belong to *out. */
		free(p->containers);
		p->containers = NULL;
		p->n_containers = 0;
		bool more = p->more;
		ipc_msg_free(m);
		m = NULL;
		if (!more)
			break;
		if (fe_broker_next(&br, MSG_PS_REPLY, &m, &e) < 0)
			goto out;
	}
	rc = 0;
out:
	ipc_msg_free(m);
	fe_broker_stop(&br);
	if (rc < 0)
		fe_error("%s", e.msg);
	return rc;
}

int cmd_ps(const struct fe_opts *o, int argc, char **argv)
{
	struct ps_ctx c = { .last = -1 };
	cleanup_free char **pos = NULL;
	int npos = 0, rc = 0;

	if (fe_parse("berth ps", ps_opts, ARRAY_SIZE(ps_opts), argc, argv, false, ps_opt, &c, &pos,
		     &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		fe_usage("berth ps [options]", "List containers", ps_opts, ARRAY_SIZE(ps_opts));
		return 0;
	}
	if (npos > 0) {
		fe_error("accepts 0 arg(s), received %d", npos);
		return EXIT_BERTH;
	}
	struct ps_filters *filters = NULL;
	if (c.n_filters > 0 && (filters = ps_filters_parse(c.filters, c.n_filters)) == NULL) {
		free(c.filters);
		return EXIT_BERTH;
	}
	free(c.filters);
	/* As Podman: a filter looks at every container, not only the running ones. */
	struct msg_ps req = { .all = c.all || c.latest || c.last >= 0 || filters != NULL,
			      .labels = ps_filters_need_labels(filters) ||
					(c.format != NULL && (strcmp(c.format, "json") == 0 ||
							      strstr(c.format, ".Labels") != NULL)) };
	struct msg_ps_reply all = { 0 };
	if (fe_ps_fetch(o, &req, &all) < 0) {
		ps_filters_free(filters);
		return EXIT_BERTH;
	}
	/* The matches, in order, moved to the front (the rest freed with the list); judged
	 * first, as before= and since= look at the list's order. */
	size_t kept = 0;
	bool *match = calloc(all.n_containers + 1, sizeof(bool));
	if (match == NULL)
		rc = EXIT_BERTH;
	for (size_t i = 0; filters != NULL && match != NULL && i < all.n_containers; i++) {
		int m = ps_filters_match(filters, &all.containers[i], &all);
		if (m < 0) {
			rc = EXIT_BERTH;
			break;
		}
		match[i] = m == 1;
	}
	for (size_t i = 0; rc == 0 && filters != NULL && i < all.n_containers; i++)
		if (match[i]) {
			struct msg_container_summary t = all.containers[kept];
			all.containers[kept++] = all.containers[i];
			all.containers[i] = t;
		}
	free(match);
	bool filtered = filters != NULL;
	ps_filters_free(filters);
	if (rc != 0)
		goto out;
	const struct msg_ps_reply *r = &all;
	size_t n = filtered ? kept : r->n_containers;
	if (c.latest && n > 1)
		n = 1;
	if (c.last >= 0 && (size_t)c.last < n)
		n = (size_t)c.last;
	time_t now = time(NULL);
	if (c.quiet) {
		for (size_t i = 0; i < n; i++)
			printf(c.notrunc ? "%s\n" : "%.12s\n", r->containers[i].id);
	} else if (c.format != NULL && strcmp(c.format, "json") == 0) {
		json_t *out = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(out, ps_json(&r->containers[i]));
		if (out_json(stdout, out) < 0)
			rc = EXIT_BERTH;
		json_decref(out);
	} else {
		json_t *rows = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(rows, ps_row(&r->containers[i], c.notrunc, now));
		if (out_rows(c.format, "{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.CreatedHuman}}\\t"
				       "{{.Status}}\\t{{.Ports}}\\t{{.Names}}",
			     c.noheading, rows, ps_header) < 0)
			rc = EXIT_BERTH;
		json_decref(rows);
	}
out:
	for (size_t i = 0; i < all.n_containers; i++)
		ipc_struct_free(&msg_container_summary_schema, &all.containers[i]);
	free(all.containers);
	return rc;
}

/* -------------------------------------------------------------------------------------- rm */

enum { R_FORCE, R_ALL, R_HELP };
static const struct fe_opt rm_opts[] = {
	[R_FORCE] = { "force", 'f', false, "Force removal of a running or unusable container" },
	[R_ALL] = { "all", 'a', false, "Remove all containers" },
	[R_HELP] = { "help", 'h', false, "Help for rm" },
};

int cmd_rm(const struct fe_opts *o, int argc, char **argv)
{
	struct flags3 f = { 0 };
	cleanup_free char **pos = NULL;
	struct ipc_msg *reply = NULL;
	int npos = 0, rc = 0;

	if (fe_parse("berth rm", rm_opts, ARRAY_SIZE(rm_opts), argc, argv, false, start_opt, &f,
		     &pos, &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		fe_usage("berth rm [options] CONTAINER [CONTAINER...]", "Remove one or more "
			 "containers", rm_opts, ARRAY_SIZE(rm_opts));
		return 0;
	}
	/* start_opt's fields: a = --force, i = --all. */
	if (npos == 0 && !f.i) {
		fe_error("must specify at least one container name or ID");
		return EXIT_BERTH;
	}
	if (npos > 0 && f.i) {
		fe_error("--all and container names are mutually exclusive");
		return EXIT_BERTH;
	}
	struct msg_crm req = { .names = pos, .n_names = (size_t)npos, .force = f.a, .all = f.i };
	if (fe_request(o, MSG_CRM, &req, MSG_CRM_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_crm_reply *r = reply->body;
	for (size_t i = 0; i < r->n_removed; i++)
		printf("%s\n", r->removed[i]);
	for (size_t i = 0; i < r->n_missing; i++) {
		fe_error("no container with name or ID \"%s\" found: no such container",
			 r->missing[i]);
		rc = 1;
	}
	ipc_msg_free(reply);
	return rc;
}

/* ------------------------------------------------------------------------------- container */

int cmd_container(const struct fe_opts *o, int argc, char **argv)
{
	static const struct fe_sub subs[] = {
		{ "create", cmd_create }, { "list", cmd_ps }, { "ls", cmd_ps }, { "ps", cmd_ps },
		{ "rm", cmd_rm }, { "run", cmd_run }, { "start", cmd_start }, { "stop", cmd_stop },
		{ "kill", cmd_kill }, { "restart", cmd_restart }, { "wait", cmd_wait },
		{ "logs", cmd_logs }, { "exec", cmd_exec }, { "prune", cmd_container_prune },
		{ "attach", cmd_attach },
		{ "exists", cmd_container_exists }, { "inspect", cmd_container_inspect },
	};

	return fe_subcommand(o, "container", "Manage containers", subs, ARRAY_SIZE(subs), argc,
			     argv);
}

/* --------------------------------------------------------------------------------- inspect */

static json_t *rfc3339(int64_t secs)
{
	char buf[64];
	time_t t = (time_t)secs;
	struct tm tm;

	if (secs == 0)
		return json_string("0001-01-01T00:00:00Z");
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *get_path(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return b != NULL ? json_object_get(v, b) : v;
}

static json_t *copy_or(json_t *v, json_t *dflt)
{
	if (v == NULL)
		return dflt;
	json_decref(dflt);
	return json_deep_copy(v);
}

/* Podman's container inspect object, for the fields berth has. */
json_t *fe_container_inspect_json(const struct msg_cinspect_reply *r)
{
	const struct msg_container_summary *s = &r->summary[0];
	json_t *spec = json_loads(r->config_json, 0, NULL);
	json_t *args = get_path(spec, "process", "args"), *rest = json_array();
	const char *rt = strrchr(r->runtime, '/');
	bool running = strcmp(s->state, "running") == 0;
	size_t i;
	json_t *v;

	json_array_foreach(args, i, v)
		if (i > 0)
			json_array_append(rest, v);
	json_t *user = get_path(spec, "process", "user");
	char userbuf[64];
	snprintf(userbuf, sizeof(userbuf), "%lld:%lld",
		 (long long)json_integer_value(json_object_get(user, "uid")),
		 (long long)json_integer_value(json_object_get(user, "gid")));
	json_t *state = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:s, s:o, s:o}",
				  "OciVersion", "1.0.2", "Status", s->state, "Running", running,
				  "Paused", 0, "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid",
				  (json_int_t)s->pid, "ExitCode", (json_int_t)s->exit_code, "Error", "",
				  "StartedAt", rfc3339(s->started), "FinishedAt", rfc3339(s->finished));
	json_t *config = json_pack(
		"{s:o, s:o, s:o, s:s, s:o, s:o, s:s, s:o, s:o}", "Hostname",
		copy_or(json_object_get(spec, "hostname"), json_string("")), "Env",
		copy_or(get_path(spec, "process", "env"), json_array()), "Cmd",
		copy_or(args, json_array()), "Image", s->image, "WorkingDir",
		copy_or(get_path(spec, "process", "cwd"), json_string("/")), "Annotations",
		copy_or(json_object_get(spec, "annotations"), json_object()), "User", userbuf,
		"Tty", copy_or(get_path(spec, "process", "terminal"), json_false()), "Labels",
		labels_json(s, true));
	json_t *caps = get_path(spec, "process", "capabilities");
	json_t *host = json_pack("{s:o, s:o}", "ReadonlyRootfs",
				 copy_or(get_path(spec, "root", "readonly"), json_false()),
				 "NetworkMode", json_string("private"));
	json_t *out = json_pack(
		"{s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "Id",
		s->id, "Created", rfc3339(s->created), "Path",
		copy_or(json_array_get(args, 0), json_string("")), "Args", rest, "State", state,
		"Image", s->image_id, "ImageName", s->image, "Name", s->name, "RestartCount",
		(json_int_t)0, "Driver", "overlay", "OCIRuntime", rt != NULL ? rt + 1 : r->runtime,
		"Config", config, "HostConfig", host, "EffectiveCaps",
		copy_or(json_object_get(caps, "effective"), json_array()), "BoundingCaps",
		copy_or(json_object_get(caps, "bounding"), json_array()));
	json_decref(spec);
	return out;
}

/* Looks one container up for inspect/exists: 1 found (*out set), 0 no such container, -1
 * error (printed). */
int fe_container_inspect(const struct fe_opts *o, const char *name, json_t **out)
{
	struct fe_broker br;
	struct berr e = { 0 };
	struct msg_cinspect req = { .container = (char *)name };
	struct ipc_msg *reply = NULL;
	int rc;

	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		return -1;
	}
	rc = fe_broker_call(&br, MSG_CINSPECT, &req, NULL, 0, MSG_CINSPECT_REPLY, &reply, &e);
	fe_broker_stop(&br);
	if (rc < 0) {
		if (e.code == BERR_NOTFOUND)
			return 0;
		fe_error("%s", e.msg);
		return -1;
	}
	if (out != NULL)
		*out = fe_container_inspect_json(reply->body);
	ipc_msg_free(reply);
	return 1;
}

int cmd_container_exists(const struct fe_opts *o, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && strcmp(argv[1], "--help") == 0) {
			printf("Check if a container exists in local storage\n\nUsage:\n  berth "
			       "container exists CONTAINER\n");
			return 0;
		}
		fe_error("accepts 1 arg(s), received %d", argc - 1);
		return EXIT_BERTH;
	}
	int r = fe_container_inspect(o, argv[1], NULL);
	return r < 0 ? EXIT_BERTH : r == 1 ? 0 : 1;
}
