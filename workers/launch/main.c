/* berth-launch: starts the OCI runtime and stays as the container's monitor (monitor.h). The
 * runtime is started before the monitor sandbox is entered, since the sandbox (seccomp,
 * no_new_privs) would be inherited by the runtime and the container. Without --run it only
 * probes: the broker names the runtimes it found with --probe-runtime PATH, launch runs
 * `PATH --version` for each before the sandbox and answers MSG_W_INFO with the results. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#include "workers/common/worker.h"
#include "workers/launch/monitor.h"
#include "workers/launch/policy.h"
#include "workers/launch/probe.h"

#define LAUNCH_MAX_PROBES 8

struct launch_state {
	struct runtime_probe probes[LAUNCH_MAX_PROBES];
	size_t n_probes;
	struct monitor *mon; /* owned, for the process's life; NULL in probe and exec modes */
	pid_t exec_pid;      /* exec mode: `RUNTIME exec`, whose exit is the process's */
	bool waited;
};

/* Exec mode: `--exec RUNTIME --runtime-root R --id ID --process FILE [--detach]`, the
 * frontend's stdio at fds 5-7 handed straight to `RUNTIME exec` (its output is the user's, not
 * the container log's). Started before the sandbox, like the container. */
static int start_exec(struct launch_state *ls, int argc, char **argv, struct berr *e)
{
	const char *runtime = NULL, *root = NULL, *id = NULL, *process = NULL;
	bool detach = false;
	pid_t pid;

	for (int i = 0; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--exec") == 0 ? &runtime :
				    strcmp(argv[i], "--runtime-root") == 0 ? &root :
				    strcmp(argv[i], "--id") == 0 ? &id :
				    strcmp(argv[i], "--process") == 0 ? &process : NULL;
		if (strcmp(argv[i], "--detach") == 0) {
			detach = true;
			continue;
		}
		if (slot == NULL || i + 1 >= argc)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: unknown argument %s",
					argv[i]);
		*slot = argv[++i];
	}
	if (runtime == NULL || root == NULL || id == NULL || process == NULL || runtime[0] != '/' ||
	    root[0] != '/' || process[0] != '/')
		return berr_set(e, BERR_INVALID, 0, "berth-launch: --exec needs absolute paths and "
				"an --id");
	for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: --exec needs the stdio at "
					"fds 5-7");
	pid = fork();
	if (pid < 0)
		return berr_sys(e, "fork");
	if (pid == 0) {
		char *av[] = { (char *)runtime, (char *)"--root", (char *)root, (char *)"exec",
			       (char *)"--process", (char *)process, detach ? (char *)"--detach" : NULL,
			       (char *)id, NULL };
		char *envp[] = { (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				 "/sbin:/bin", NULL };
		if (!detach) {
			av[6] = (char *)id;
			av[7] = NULL;
		}
		for (int i = 0; i < 3; i++)
			if (dup2(MON_STDIO_FD + i, i) < 0)
				_exit(125);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		signal(SIGPIPE, SIG_DFL);
		execve(runtime, av, envp);
		dprintf(2, "Error: starting the OCI runtime %s: %s\n", runtime, strerror(errno));
		_exit(125);
	}
	ls->exec_pid = pid;
	for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
		close(fd);
	return 0;
}

static int launch_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct launch_state *ls = worker_role_state(w);
	static struct mon_cfg cfg; /* borrowed by the monitor for the process's life */
	int r;

	if (argc > 0 && strcmp(argv[0], "--probe-runtime") == 0) {
		for (int i = 0; i < argc; i++) {
			if (strcmp(argv[i], "--probe-runtime") != 0 || i + 1 >= argc)
				return berr_set(e, BERR_INVALID, 0, "berth-launch: unknown argument "
						"%s", argv[i]);
			if (ls->n_probes == LAUNCH_MAX_PROBES)
				return berr_set(e, BERR_INVALID, 0, "berth-launch: too many runtimes");
			if (runtime_probe(argv[++i], &ls->probes[ls->n_probes], e) < 0)
				return -1;
			ls->n_probes++;
		}
		r = 0;
		goto others;
	}
	if (argc > 0 && strcmp(argv[0], "--exec") == 0) {
		r = start_exec(ls, argc, argv, e);
		goto others;
	}
	r = mon_parse_args(&cfg, argc, argv, e);
	if (r == 1)
		return mon_start(&cfg, &ls->mon, e);
others:
	/* Not a monitor: the monitor's fixed fd numbers (which the sandbox policy keeps, and
	 * whose directories it grants) must not name whatever else happens to be open there. */
	syscall(SYS_close_range, (unsigned)MON_STDIO_FD, (unsigned)MON_LAST_FD, 0U);
	return r;
}

static int handle_wait(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct launch_state *ls = worker_role_state(w);

	if (ls->mon != NULL)
		return mon_broker_wait(ls->mon, w, m->id, e);
	if (ls->exec_pid == 0 || ls->waited)
		return berr_set(e, BERR_PROTOCOL, 0, "no container to wait for");
	/* Exec mode: nothing else to watch, so the wait blocks. */
	struct msg_l_wait_reply r = { 0 };
	int status;
	pid_t p;
	do {
		p = waitpid(ls->exec_pid, &status, 0);
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

static int handle_status(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct launch_state *ls = worker_role_state(w);

	if (ls->mon == NULL)
		return berr_set(e, BERR_PROTOCOL, 0, "no container was started");
	return mon_handle_status(ls->mon, w, m->id, e);
}

static const struct ipc_dispatch launch_table[] = {
	{ MSG_L_WAIT, false, WS_READY, handle_wait },
	{ MSG_L_STATUS, false, WS_READY, handle_status },
};

static int launch_serve(struct worker *w);

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
	.serve = launch_serve,
};

/* Probe mode: the plain request loop; monitor mode: the monitor's. */
static int launch_serve(struct worker *w)
{
	struct launch_state *ls = worker_role_state(w);

	if (ls->mon != NULL)
		return mon_serve(ls->mon, w);
	for (;;) {
		struct berr e = { 0 };
		cleanup_ipc_msg struct ipc_msg *m = NULL;
		int r = ipc_recv(worker_chan(w), &m, &e);
		if (r == 1)
			return 0;
		if (r != 0 || worker_handle(w, m) < 0)
			return 1;
	}
}

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &launch_role);
}
