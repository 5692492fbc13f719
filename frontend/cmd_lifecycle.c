/* Running containers: stop, kill, restart, wait, logs, exec, container prune. The broker does
 * the work through each container's monitor; `logs` reads the log files the broker opened for
 * it and renders them here, with no privilege (common/k8slog.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/detachkeys.h"
#include "common/k8slog.h"
#include "common/xio.h"
#include "frontend/frontend.h"
#include "frontend/terminal.h"
#include "ipc/msg.h"

extern char **environ;

#define LC_LIST_MAX 1024

struct lc_flags {
	bool all, help, follow, timestamps, interactive, tty, detach, privileged, force;
	const char *signal, *time, *condition, *tail, *since, *until, *user, *workdir;
	char *env[LC_LIST_MAX];
	size_t n_env;
	char *owned[LC_LIST_MAX];
	size_t n_owned;
};

static void lc_free(struct lc_flags *f)
{
	for (size_t i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
}

static int parse_time_arg(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < -1 || v > 1000000) {
		fe_error("invalid argument \"%s\" for \"-t, --time\" flag: strconv.ParseUint: "
			 "parsing \"%s\": invalid syntax", s, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Names, or -a (not both, at least one of them), as Podman checks. */
static int names_or_all(const char *cmd, const struct lc_flags *f, int npos)
{
	if (npos == 0 && !f->all) {
		fe_error("you must provide at least one container name or id");
		return -1;
	}
	if (npos > 0 && f->all) {
		fe_error("--all and containers cannot be used together with %s", cmd);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ stop, kill, restart */

/* One option id space for the three commands; each has its own table. */
enum { K_ALL, K_SIGNAL, K_TIME, K_HELP };
static const struct fe_opt stop_opts[] = {
	[K_ALL] = { "all", 'a', false, "Stop all running containers" },
	[K_SIGNAL] = { NULL, 0, false, NULL },
	[K_TIME] = { "time", 't', true, "Seconds to wait for stop before killing the container" },
	[K_HELP] = { "help", 'h', false, "Help for this command" },
};
static const struct fe_opt kill_opts[] = {
	[K_ALL] = { "all", 'a', false, "Signal all running containers" },
	[K_SIGNAL] = { "signal", 's', true, "Signal to send to the container" },
	[K_TIME] = { NULL, 0, false, NULL },
	[K_HELP] = { "help", 'h', false, "Help for kill" },
};

static int stop_opt(int id, const char *val, void *ctx)
{
	struct lc_flags *f = ctx;

	switch (id) {
	case K_ALL: f->all = val == NULL; break;
	case K_SIGNAL: f->signal = val; break;
	case K_TIME: f->time = val; break;
	default: f->help = val == NULL; break;
	}
	return 0;
}

static int csignal(const struct fe_opts *o, char **names, int n, bool all, bool stop,
		   const char *sig, int64_t timeout, bool print)
{
	struct msg_csignal req = { .names = names, .n_names = (size_t)n, .all = all,
				   .stop = stop, .signal = (char *)sig, .timeout = timeout };
	struct ipc_msg *reply = NULL;
	char *none[] = { NULL };

	if (names == NULL)
		req.names = none;
	if (fe_request(o, MSG_CSIGNAL, &req, MSG_CSIGNAL_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_csignal_reply *r = reply->body;
	if (print)
		for (size_t i = 0; i < r->n_done; i++)
			printf("%s\n", r->done[i]);
	ipc_msg_free(reply);
	return 0;
}

static int stop_kill(const struct fe_opts *o, int argc, char **argv, const char *cmd)
{
	struct lc_flags f = { 0 };
	cleanup_free char **pos = NULL;
	int npos = 0;
	int64_t timeout = -1;
	char path[64];
	bool stop = strcmp(cmd, "kill") != 0;
	const struct fe_opt *opts = stop ? stop_opts : kill_opts;
	snprintf(path, sizeof(path), "berth %s", cmd);
	if (fe_parse(path, opts, ARRAY_SIZE(stop_opts), argc, argv, false, stop_opt, &f, &pos,
		     &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		char usage[128];
		snprintf(usage, sizeof(usage), "berth %s [options] CONTAINER [CONTAINER...]", cmd);
		fe_usage(usage, strcmp(cmd, "stop") == 0      ? "Stop one or more containers"
				: strcmp(cmd, "kill") == 0    ? "Kill one or more running containers "
								"with a specific signal"
							      : "Restart one or more containers",
			 opts, ARRAY_SIZE(stop_opts));
		return 0;
	}
	if (names_or_all(cmd, &f, npos) < 0 || (f.time != NULL && parse_time_arg(f.time, &timeout) < 0))
		return EXIT_BERTH;
	if (strcmp(cmd, "restart") != 0)
		return csignal(o, pos, npos, f.all, stop, f.signal, timeout, true);
	/* restart: stopped (when running), then started again in the background; --all: every
	 * container there is now, oldest first, each printed by its full ID. */
	struct msg_ps_reply every = { 0 };
	int rc = 0;
	if (f.all) {
		struct msg_ps req = { .all = true };
		if (fe_ps_fetch(o, &req, &every) < 0)
			return EXIT_BERTH;
	}
	if (csignal(o, pos, npos, f.all, true, NULL, timeout, false) != 0)
		rc = EXIT_BERTH;
	size_t n = f.all ? every.n_containers : (size_t)npos;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *name = f.all ? every.containers[n - 1 - i].id : pos[i];
		struct msg_start req = { .container = (char *)name, .attach = false };
		struct ipc_msg *reply = NULL;
		if (fe_request(o, MSG_START, &req, MSG_CREATE_REPLY, &reply) < 0) {
			rc = EXIT_BERTH;
			break;
		}
		printf("%s\n", f.all ? name : ((const struct msg_create_reply *)reply->body)->container_id);
		ipc_msg_free(reply);
	}
	for (size_t i = 0; i < every.n_containers; i++)
		ipc_struct_free(&msg_container_summary_schema, &every.containers[i]);
	free(every.containers);
	return rc;
}

int cmd_stop(const struct fe_opts *o, int argc, char **argv)
{
	return stop_kill(o, argc, argv, "stop");
}

int cmd_kill(const struct fe_opts *o, int argc, char **argv)
{
	return stop_kill(o, argc, argv, "kill");
}

int cmd_restart(const struct fe_opts *o, int argc, char **argv)
{
	return stop_kill(o, argc, argv, "restart");
}

/* ------------------------------------------------------------------------------------ wait */

enum { W_CONDITION, W_HELP };
static const struct fe_opt wait_opts[] = {
	[W_CONDITION] = { "condition", 0, true, "Condition to wait on" },
	[W_HELP] = { "help", 'h', false, "Help for wait" },
};

static int wait_opt(int id, const char *val, void *ctx)
{
	struct lc_flags *f = ctx;

	if (id == W_CONDITION)
		f->condition = val;
	else
		f->help = val == NULL;
	return 0;
}

int cmd_wait(const struct fe_opts *o, int argc, char **argv)
{
	struct lc_flags f = { 0 };
	cleanup_free char **pos = NULL;
	int npos = 0;

	if (fe_parse("berth wait", wait_opts, ARRAY_SIZE(wait_opts), argc, argv, false, wait_opt,
		     &f, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		fe_usage("berth wait [options] CONTAINER [CONTAINER...]", "Block on one or more "
			 "containers", wait_opts, ARRAY_SIZE(wait_opts));
		return 0;
	}
	if (npos == 0) {
		fe_error("you must provide at least one container name or id");
		return EXIT_BERTH;
	}
	for (int i = 0; i < npos; i++) {
		struct msg_cwait req = { .container = pos[i], .condition = (char *)f.condition };
		struct ipc_msg *reply = NULL;
		if (fe_request(o, MSG_CWAIT, &req, MSG_START_DONE, &reply) < 0)
			return EXIT_BERTH;
		printf("%lld\n", (long long)((const struct msg_start_done *)reply->body)->exit_code);
		fflush(stdout);
		ipc_msg_free(reply);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------ logs */

enum { L_FOLLOW, L_TAIL, L_SINCE, L_UNTIL, L_TIMESTAMPS, L_HELP };
static const struct fe_opt logs_opts[] = {
	[L_FOLLOW] = { "follow", 'f', false, "Follow log output" },
	[L_TAIL] = { "tail", 0, true, "Output the specified number of LINES at the end of the "
				      "logs" },
	[L_SINCE] = { "since", 0, true, "Show logs since TIMESTAMP" },
	[L_UNTIL] = { "until", 0, true, "Show logs until TIMESTAMP" },
	[L_TIMESTAMPS] = { "timestamps", 't', false, "Output the timestamps in the log" },
	[L_HELP] = { "help", 'h', false, "Help for logs" },
};

static int logs_opt(int id, const char *val, void *ctx)
{
	struct lc_flags *f = ctx;

	switch (id) {
	case L_FOLLOW: f->follow = val == NULL; break;
	case L_TAIL: f->tail = val; break;
	case L_SINCE: f->since = val; break;
	case L_UNTIL: f->until = val; break;
	case L_TIMESTAMPS: f->timestamps = val == NULL; break;
	default: f->help = val == NULL; break;
	}
	return 0;
}

static int emit(void *arg, enum k8slog_stream s, const char *buf, size_t len)
{
	struct berr e;
	(void)arg;
	return xwrite_all(s == K8SLOG_STDERR ? STDERR_FILENO : STDOUT_FILENO, buf, len, &e);
}

/* Appends what fd has now to *buf. */
static int slurp(int fd, char **buf, size_t *len, size_t *cap)
{
	for (;;) {
		if (*cap - *len < 65536) {
			size_t nc = *cap * 2 + 65536;
			char *nb = realloc(*buf, nc);
			if (nb == NULL)
				return -1;
			*buf = nb;
			*cap = nc;
		}
		ssize_t n = read(fd, *buf + *len, *cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
}

int cmd_logs(const struct fe_opts *o, int argc, char **argv)
{
	struct lc_flags f = { 0 };
	cleanup_free char **pos = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0, done = 0;
	struct k8slog_filter flt = { .tail = -1 };
	struct fe_broker br;
	struct ipc_msg *reply = NULL;
	struct berr e = { 0 };
	struct timespec now;
	int npos = 0, rc = EXIT_BERTH, cur = -1;
	bool running;

	if (fe_parse("berth logs", logs_opts, ARRAY_SIZE(logs_opts), argc, argv, false, logs_opt,
		     &f, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		fe_usage("berth logs [options] CONTAINER", "Fetch the logs of a container",
			 logs_opts, ARRAY_SIZE(logs_opts));
		return 0;
	}
	if (npos != 1) {
		fe_error(npos == 0 ? "no container name or ID given: berth logs CONTAINER"
				   : "berth logs takes one container");
		return EXIT_BERTH;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	flt.timestamps = f.timestamps;
	if ((f.since != NULL && k8slog_parse_time(f.since, now_ns, &flt.since_ns, &e) < 0) ||
	    (f.until != NULL && k8slog_parse_time(f.until, now_ns, &flt.until_ns, &e) < 0)) {
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	if (f.tail != NULL) {
		char *end;
		errno = 0;
		flt.tail = strtol(f.tail, &end, 10);
		if (errno != 0 || *end != '\0' || flt.tail < -1) {
			fe_error("invalid argument \"%s\" for \"--tail\" flag", f.tail);
			return EXIT_BERTH;
		}
	}
	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	struct msg_logs req = { .container = pos[0], .follow = f.follow };
	if (fe_broker_call(&br, MSG_LOGS, &req, NULL, 0, MSG_LOGS_REPLY, &reply, &e) < 0) {
		fe_error("%s", e.msg);
		goto out;
	}
	running = ((const struct msg_logs_reply *)reply->body)->running;
	for (size_t i = 0; i < reply->nfds; i++) {
		if (slurp(reply->fds[i], &buf, &len, &cap) < 0) {
			fe_error("reading the container's log: %m");
			goto out;
		}
		if (i + 1 == reply->nfds) {
			cur = reply->fds[i];
			reply->fds[i] = -1;
		}
	}
	ipc_msg_free(reply);
	reply = NULL;
	if (k8slog_render(buf, len, &flt, !running, emit, NULL, &done, &e) < 0) {
		fe_error("%s", e.msg);
		goto out;
	}
	flt.tail = -1;
	while (running) {
		/* Following: new records as the monitor writes them, until the broker says the
		 * container has exited. */
		struct pollfd p = { .fd = ipc_chan_fd(br.ch), .events = POLLIN };
		int r = poll(&p, 1, 200);
		int next = -1;
		if (r > 0) {
			if (fe_broker_next(&br, MSG_LOGS_REPLY, &reply, &e) < 0) {
				fe_error("%s", e.msg);
				goto out;
			}
			/* Either the end, or the log was rotated: the new file, read once the
			 * old one is read to its end. */
			if (((const struct msg_logs_reply *)reply->body)->done || reply->nfds != 1) {
				running = false;
			} else {
				next = reply->fds[0];
				reply->fds[0] = -1;
			}
			ipc_msg_free(reply);
			reply = NULL;
		}
		memmove(buf, buf + done, len - done);
		len -= done;
		done = 0;
		if (cur >= 0 && slurp(cur, &buf, &len, &cap) < 0) {
			fe_error("reading the container's log: %m");
			if (next >= 0)
				close(next);
			goto out;
		}
		if (next >= 0) {
			if (cur >= 0)
				close(cur);
			cur = next;
			if (slurp(cur, &buf, &len, &cap) < 0) {
				fe_error("reading the container's log: %m");
				goto out;
			}
		}
		if (k8slog_render(buf, len, &flt, !running, emit, NULL, &done, &e) < 0) {
			fe_error("%s", e.msg);
			goto out;
		}
	}
	rc = 0;
out:
	if (cur >= 0)
		close(cur);
	ipc_msg_free(reply);
	fe_broker_stop(&br);
	return rc;
}

/* ------------------------------------------------------------------------------------ exec */

enum { X_INTERACTIVE, X_TTY, X_DETACH, X_ENV, X_ENVFILE, X_USER, X_WORKDIR, X_PRIVILEGED,
       X_HELP };
static const struct fe_opt exec_opts[] = {
	[X_INTERACTIVE] = { "interactive", 'i', false, "Make STDIN available to the contained "
						       "process" },
	[X_TTY] = { "tty", 't', false, "Allocate a pseudo-TTY" },
	[X_DETACH] = { "detach", 'd', false, "Run the exec session in detached mode "
					     "(backgrounded)" },
	[X_ENV] = { "env", 'e', true, "Set environment variables" },
	[X_ENVFILE] = { "env-file", 0, true, "Read in a file of environment variables" },
	[X_USER] = { "user", 'u', true, "Sets the username or UID used and optionally the "
					"groupname or GID for the specified command" },
	[X_WORKDIR] = { "workdir", 'w', true, "Working directory inside the container" },
	[X_PRIVILEGED] = { "privileged", 0, false, "Give the process extended Linux "
						   "capabilities inside the container" },
	[X_HELP] = { "help", 'h', false, "Help for exec" },
};

static int add_env(struct lc_flags *f, char *s, bool owned)
{
	if (f->n_env == LC_LIST_MAX - 1 || (owned && f->n_owned == LC_LIST_MAX)) {
		if (owned)
			free(s);
		fe_error("too many environment variables");
		return -1;
	}
	if (owned)
		f->owned[f->n_owned++] = s;
	f->env[f->n_env++] = s;
	return 0;
}

/* --env-file, read as the user: KEY=value lines, # comments. */
static int exec_env_file(struct lc_flags *f, const char *path)
{
	cleanup_free char *text = NULL;
	size_t len;
	struct berr e;
	char *save = NULL;

	if (xread_file_at(AT_FDCWD, path, 1u << 20, &text, &len, &e) < 0) {
		fe_error("%s", e.msg);
		return -1;
	}
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '\0' || *l == '#')
			continue;
		char *d = strdup(l);
		if (d == NULL || add_env(f, d, true) < 0)
			return -1;
	}
	return 0;
}

static int exec_opt(int id, const char *val, void *ctx)
{
	struct lc_flags *f = ctx;
	bool on = val == NULL;

	switch (id) {
	case X_INTERACTIVE: f->interactive = on; break;
	case X_TTY: f->tty = on; break;
	case X_DETACH: f->detach = on; break;
	case X_ENV: return add_env(f, (char *)val, false);
	case X_ENVFILE: return exec_env_file(f, val);
	case X_USER: f->user = val; break;
	case X_WORKDIR: f->workdir = val; break;
	case X_PRIVILEGED: f->privileged = on; break;
	default: f->help = on; break;
	}
	return 0;
}

int cmd_exec(const struct fe_opts *o, int argc, char **argv)
{
	struct lc_flags *f = calloc(1, sizeof(*f));
	cleanup_free char **pos = NULL;
	struct ipc_msg *reply = NULL;
	cleanup_close int null = -1;
	struct fe_term term;
	int npos = 0, rc = EXIT_BERTH, r;
	size_t n_host = 0;

	if (f == NULL) {
		fe_error("out of memory");
		return EXIT_BERTH;
	}
	if (fe_parse("berth exec", exec_opts, ARRAY_SIZE(exec_opts), argc, argv, true, exec_opt, f,
		     &pos, &npos) < 0)
		goto out;
	if (f->help) {
		fe_usage("berth exec [options] CONTAINER COMMAND [ARG...]", "Run a process in a "
			 "running container", exec_opts, ARRAY_SIZE(exec_opts));
		rc = 0;
		goto out;
	}
	if (npos < 2) {
		fe_error("exec requires the name or ID of a container and a command to run");
		goto out;
	}
	if (f->tty && f->detach) {
		fe_error("exec -d -t: a detached exec gets no terminal in berth; drop -t");
		goto out;
	}
	while (environ[n_host] != NULL)
		n_host++;
	f->env[f->n_env] = NULL;
	struct msg_exec req = { .container = pos[0], .args = pos + 1, .n_args = (size_t)npos - 1,
				.env = f->env, .n_env = f->n_env, .host_env = environ,
				.n_host_env = n_host, .user = (char *)f->user,
				.workdir = (char *)f->workdir, .privileged = f->privileged,
				.detach = f->detach, .interactive = f->interactive,
				.tty = f->tty };
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	if (!f->interactive) {
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0) {
			fe_error("opening /dev/null: %m");
			goto out;
		}
		fds[0] = null;
	}
	fflush(stdout);
	/* -it: the user's keys go to the container's terminal as typed. The window size is
	 * followed by berth-launch, which holds this terminal too. */
	if (fe_term_begin(&term, f->tty && f->interactive) < 0)
		goto out;
	r = fe_request_fds(o, MSG_EXEC, &req, fds, f->detach ? 0 : 3, MSG_START_DONE, &reply);
	fe_term_end(&term);
	if (r < 0)
		goto out;
	const struct msg_start_done *d = reply->body;
	if (d->error != NULL)
		fe_error("%s", d->error);
	rc = d->exit_code < 0 || d->exit_code > 255 ? EXIT_BERTH : (int)d->exit_code;
	ipc_msg_free(reply);
out:
	lc_free(f);
	free(f);
	return rc;
}

/* -------------------------------------------------------------------------- container prune */

enum { CP_FORCE, CP_HELP };
static const struct fe_opt prune_opts[] = {
	[CP_FORCE] = { "force", 'f', false, "Do not prompt for confirmation" },
	[CP_HELP] = { "help", 'h', false, "Help for prune" },
};

static int prune_opt(int id, const char *val, void *ctx)
{
	struct lc_flags *f = ctx;

	if (id == CP_FORCE)
		f->force = val == NULL;
	else
		f->help = val == NULL;
	return 0;
}

int cmd_container_prune(const struct fe_opts *o, int argc, char **argv)
{
	struct lc_flags f = { 0 };
	cleanup_free char **pos = NULL;
	struct ipc_msg *reply = NULL;
	struct msg_cprune req = { 0 };
	int npos = 0;

	if (fe_parse("berth container prune", prune_opts, ARRAY_SIZE(prune_opts), argc, argv,
		     false, prune_opt, &f, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		fe_usage("berth container prune [options]", "Remove all non running containers",
			 prune_opts, ARRAY_SIZE(prune_opts));
		return 0;
	}
	if (npos > 0) {
		fe_error("berth container prune takes no arguments");
		return EXIT_BERTH;
	}
	if (!f.force) {
		char line[64];
		printf("WARNING! This will remove all non running containers.\n"
		       "Are you sure you want to continue? [y/N] ");
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
			return 0;
	}
	if (fe_request(o, MSG_CPRUNE, &req, MSG_CRM_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_crm_reply *r = reply->body;
	for (size_t i = 0; i < r->n_removed; i++)
		printf("%s\n", r->removed[i]);
	ipc_msg_free(reply);
	return 0;
}

/* ---------------------------------------------------------------------------------- attach */

enum { A_NOSTDIN, A_SIGPROXY, A_DETACHKEYS, A_HELP };
static const struct fe_opt attach_opts[] = {
	[A_NOSTDIN] = { "no-stdin", 0, false, "Do not attach STDIN" },
	[A_SIGPROXY] = { "sig-proxy", 0, false, "Proxy received signals to the process (not "
						"supported: signals stay with berth)" },
	[A_DETACHKEYS] = { "detach-keys", 0, true, "Select the key sequence for detaching a "
						   "container (ctrl-p,ctrl-q or \"\")" },
	[A_HELP] = { "help", 'h', false, "Help for attach" },
};

static int attach_opt(int id, const char *val, void *ctx)
{
	struct lc_flags *f = ctx;

	switch (id) {
	case A_NOSTDIN: f->force = val == NULL; break; /* force: --no-stdin */
	case A_SIGPROXY: break;
	case A_DETACHKEYS: f->signal = val; break;     /* signal: the detach keys */
	default: f->help = val == NULL; break;
	}
	return 0;
}

static int send_resize(struct ipc_chan *ch)
{
	struct winsize ws;
	struct berr e;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return 0;
	struct msg_l_resize r = { .rows = ws.ws_row, .cols = ws.ws_col };
	return ipc_send(ch, MSG_L_RESIZE, 0, &r, NULL, 0, &e);
}

/* Relays between this terminal and the container's monitor until the container exits (its
 * exit code), the user detaches (0), or the channel breaks (125). */
static int attach_loop(struct ipc_chan *ch, const struct msg_attach_reply *r,
		       struct detach_keys *keys, struct fe_term *term)
{
	struct msg_l_wait w = { 0 };
	struct berr e = { 0 };
	bool in_open = r->interactive;

	if (ipc_send(ch, MSG_L_WAIT, 1, &w, NULL, 0, &e) < 0 || (r->tty && send_resize(ch) < 0)) {
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	for (;;) {
		struct pollfd p[3] = { { .fd = ipc_chan_fd(ch), .events = POLLIN },
				       { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
				       { .fd = term->winch[0], .events = POLLIN } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fe_error("poll: %m");
			return EXIT_BERTH;
		}
		if (p[2].revents != 0) {
			char b[64];
			while (read(term->winch[0], b, sizeof(b)) > 0)
				;
			if (r->tty)
				(void)send_resize(ch);
		}
		if (p[1].revents != 0) {
			unsigned char in[4096], out[4096 + DETACH_KEYS_MAX];
			bool hit;
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			if (n < 0 && errno == EINTR)
				continue;
			struct msg_l_input msg = { .eof = n <= 0 };
			if (n > 0) {
				msg.data.len = detach_keys_scan(keys, in, (size_t)n, out, &hit);
				msg.data.data = out;
				if (hit)
					return 0;
			} else {
				in_open = false;
			}
			/* A monitor that is gone (the container ended) has left its last output
			 * and the exit code to read: no more input, but go on. */
			if (ipc_send(ch, MSG_L_INPUT, 0, &msg, NULL, 0, &e) < 0) {
				if (e.sys_errno != EPIPE && e.sys_errno != ECONNRESET) {
					fe_error("%s", e.msg);
					return EXIT_BERTH;
				}
				in_open = false;
			}
		}
		if (p[0].revents != 0) {
			cleanup_ipc_msg struct ipc_msg *m = NULL;
			int rr = ipc_recv(ch, &m, &e);
			if (rr == 2)
				continue;
			if (rr != 0) {
				if (rr == 1)
					return 0;
				fe_error("%s", e.msg);
				return EXIT_BERTH;
			}
			if (m->type == MSG_L_OUTPUT) {
				const struct msg_l_output *o = m->body;
				(void)xwrite_all(o->stream == 2 ? STDERR_FILENO : STDOUT_FILENO,
						 o->data.data, o->data.len, &e);
			} else if (m->type == MSG_L_WAIT_REPLY) {
				const struct msg_l_wait_reply *wr = m->body;
				return wr->exit_code < 0 || wr->exit_code > 255 ? EXIT_BERTH
										 : (int)wr->exit_code;
			} else if (m->type == MSG_ERROR) {
				fe_error("%s", ((const struct msg_error *)m->body)->message);
				return EXIT_BERTH;
			} else {
				fe_error("the container's monitor sent an unexpected %s", m->def->name);
				return EXIT_BERTH;
			}
		}
	}
}

int cmd_attach(const struct fe_opts *o, int argc, char **argv)
{
	struct lc_flags f = { 0 };
	cleanup_free char **pos = NULL;
	struct ipc_msg *reply = NULL;
	struct detach_keys keys;
	struct fe_term term;
	struct berr e = { 0 };
	int npos = 0, rc;

	if (fe_parse("berth attach", attach_opts, ARRAY_SIZE(attach_opts), argc, argv, false,
		     attach_opt, &f, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (f.help) {
		fe_usage("berth attach [options] CONTAINER", "Attach to a running container",
			 attach_opts, ARRAY_SIZE(attach_opts));
		return 0;
	}
	if (npos != 1) {
		fe_error("attach requires the name or ID of one container");
		return EXIT_BERTH;
	}
	detach_keys_default(&keys);
	if (f.signal != NULL) {
		if (f.signal[0] == '\0') {
			keys.len = 0;
		} else if (strcmp(f.signal, "ctrl-p,ctrl-q") != 0) {
			fe_error("--detach-keys: berth knows ctrl-p,ctrl-q (the default) and \"\" "
				 "(none)");
			return EXIT_BERTH;
		}
	}
	struct msg_attach req = { .container = pos[0], .no_stdin = f.force };
	if (fe_request(o, MSG_ATTACH, &req, MSG_ATTACH_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_attach_reply *r = reply->body;
	struct ipc_chan *ch = ipc_chan_new(reply->fds[0], IPC_MAX_MSG_WORKER,
					   "the container's monitor", &e);
	reply->fds[0] = -1;
	if (ch == NULL) {
		ipc_msg_free(reply);
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	if (fe_term_begin(&term, r->tty && r->interactive) < 0) {
		ipc_chan_free(ch);
		ipc_msg_free(reply);
		return EXIT_BERTH;
	}
	rc = attach_loop(ch, r, &keys, &term);
	fe_term_end(&term);
	ipc_chan_free(ch);
	ipc_msg_free(reply);
	return rc;
}
