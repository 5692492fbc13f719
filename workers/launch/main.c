/* berth-launch: starts the OCI runtime and stays as the container's monitor (the containers
 * issue). The runtime must be started before the monitor sandbox is entered, since the sandbox
 * (seccomp, no_new_privs) would be inherited by the runtime and the container. Today the only
 * runtime work is probing: the broker names the runtimes it found with --probe-runtime PATH,
 * launch runs `PATH --version` for each before the sandbox, then enters its monitor sandbox and
 * answers MSG_W_INFO with the results. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xio.h"

#include "workers/common/worker.h"
#include "workers/launch/policy.h"
#include "workers/launch/probe.h"

#define LAUNCH_MAX_PROBES 8

/* The container's stdin, stdout and stderr when spawned to run one. */
#define LAUNCH_STDIO_FD 5

struct launch_state {
	struct runtime_probe probes[LAUNCH_MAX_PROBES];
	size_t n_probes;
	pid_t child;        /* the runtime process started at spawn; 0 none */
	bool waited;
};

struct run_args {
	const char *runtime, *root, *bundle, *id;
};

/* Starts `RUNTIME --root ROOT run --bundle BUNDLE ID` with the container's stdio, before the
 * sandbox: seccomp and no_new_privs would be inherited by the runtime and the container. */
static int start_runtime(struct launch_state *ls, const struct run_args *a, struct berr *e)
{
	static const int keep[] = { 0, 1, 2 };
	char *argv[] = { (char *)a->runtime, (char *)"--root", (char *)a->root, (char *)"run",
			 (char *)"--bundle", (char *)a->bundle, (char *)a->id, NULL };
	char *envp[] = { (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 NULL };
	pid_t pid;

	if (a->runtime[0] != '/' || a->root[0] != '/' || a->bundle[0] != '/' || a->id[0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "berth-launch: --run needs absolute paths and an ID");
	for (int fd = LAUNCH_STDIO_FD; fd < LAUNCH_STDIO_FD + 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: --run needs the container's "
					"stdio at fds %d-%d", LAUNCH_STDIO_FD, LAUNCH_STDIO_FD + 2);
	pid = fork();
	if (pid < 0)
		return berr_sys(e, "fork");
	if (pid == 0) {
		struct berr e2;
		for (int i = 0; i < 3; i++)
			if (dup2(LAUNCH_STDIO_FD + i, i) < 0)
				_exit(125);
		if (xclose_fds_except(3, keep, 0, &e2) < 0)
			_exit(125);
		signal(SIGPIPE, SIG_DFL);
		execve(a->runtime, argv, envp);
		dprintf(2, "Error: starting the OCI runtime %s: %s\n", a->runtime, strerror(errno));
		_exit(125);
	}
	ls->child = pid;
	/* Only the runtime keeps the container's stdio: EOF reaches the frontend when it exits. */
	for (int fd = LAUNCH_STDIO_FD; fd < LAUNCH_STDIO_FD + 3; fd++)
		close(fd);
	return 0;
}

static int launch_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct launch_state *ls = worker_role_state(w);

	struct run_args ra = { 0 };

	for (int i = 0; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--run") == 0 ? &ra.runtime :
				    strcmp(argv[i], "--runtime-root") == 0 ? &ra.root :
				    strcmp(argv[i], "--bundle") == 0 ? &ra.bundle :
				    strcmp(argv[i], "--id") == 0 ? &ra.id : NULL;
		if (slot != NULL && i + 1 < argc) {
			*slot = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--probe-runtime") != 0 || i + 1 >= argc)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: unknown argument %s",
					argv[i]);
		if (ls->n_probes == LAUNCH_MAX_PROBES)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: too many runtimes");
		if (runtime_probe(argv[++i], &ls->probes[ls->n_probes], e) < 0)
			return -1;
		ls->n_probes++;
	}
	if (ra.runtime != NULL || ra.root != NULL || ra.bundle != NULL || ra.id != NULL) {
		if (ra.runtime == NULL || ra.root == NULL || ra.bundle == NULL || ra.id == NULL)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: --run needs --runtime-root, "
					"--bundle and --id");
		return start_runtime(ls, &ra, e);
	}
	return 0;
}

static int handle_wait(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct launch_state *ls = worker_role_state(w);
	struct msg_l_wait_reply r = { 0 };
	int status;
	pid_t p;

	if (ls->child == 0 || ls->waited)
		return berr_set(e, BERR_PROTOCOL, 0, "no container to wait for");
	do {
		p = waitpid(ls->child, &status, 0);
	} while (p < 0 && errno == EINTR);
	if (p < 0)
		return berr_sys(e, "waiting for the runtime");
	ls->waited = true;
	if (WIFEXITED(status)) {
		r.exit_code = WEXITSTATUS(status);
	} else {
		r.signal = WTERMSIG(status);
		r.exit_code = 128 + r.signal;
	}
	return ipc_send(worker_chan(w), MSG_L_WAIT_REPLY, m->id, &r, NULL, 0, e);
}

static const struct ipc_dispatch launch_table[] = {
	{ MSG_L_WAIT, false, WS_READY, handle_wait },
};

static int launch_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	struct launch_state *ls = worker_role_state(w);

	if (ls->n_probes == 0)
		return 0;
	st->runtimes = calloc(ls->n_probes, sizeof(*st->runtimes));
	if (st->runtimes == NULL)
		return berr_sys(e, "allocating");
	st->n_runtimes = ls->n_probes;
	for (size_t i = 0; i < ls->n_probes; i++) {
		struct runtime_probe *p = &ls->probes[i];
		char tmp[sizeof(p->path)];
		snprintf(tmp, sizeof(tmp), "%s", p->path);
		st->runtimes[i].name = strdup(basename(tmp));
		st->runtimes[i].path = strdup(p->path);
		st->runtimes[i].version = strdup(p->version);
		st->runtimes[i].status = strdup(p->status);
		if (st->runtimes[i].name == NULL || st->runtimes[i].path == NULL ||
		    st->runtimes[i].version == NULL || st->runtimes[i].status == NULL)
			return berr_sys(e, "allocating");
	}
	return 0;
}

static const struct worker_role launch_role = {
	.name = "launch",
	.policy = &launch_sandbox_policy,
	.init = launch_init,
	.info = launch_info,
	.table = launch_table,
	.n_table = ARRAY_SIZE(launch_table),
	.role_state_size = sizeof(struct launch_state),
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &launch_role);
}
