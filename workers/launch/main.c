/* berth-launch: starts the OCI runtime and stays as the container's monitor (monitor.h). The
 * runtime is started before the monitor sandbox is entered, since the sandbox (seccomp,
 * no_new_privs) would be inherited by the runtime and the container. Without --run it only
 * probes: the broker names the runtimes it found with --probe-runtime PATH, launch runs
 * `PATH --version` for each before the sandbox and answers MSG_W_INFO with the results. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xio.h"

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
	bool exec_tty;       /* exec -t: MON_PTY_FD is its terminal, copied to and from fds 5-6 */
	bool exec_ended;     /* exec -t: the runtime exited before sending the terminal */
	int exec_status;
};

/* The pid the runtime wrote for a detached exec. */
static pid_t read_pidfile(const char *path, struct berr *e)
{
	cleanup_free char *text = NULL;
	size_t len;
	char *end;
	long v;

	if (xread_file_at(AT_FDCWD, path, 64, &text, &len, e) < 0)
		return berr_wrap(e, "reading the runtime's pid file");
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || v <= 1 || v > INT32_MAX)
		return berr_set(e, BERR_PROTOCOL, 0, "the OCI runtime wrote a bad pid file");
	return (pid_t)v;
}

/* Exec mode: `--exec RUNTIME --runtime-root R --id ID --process FILE [--detach | --console
 * SOCKET]`, the frontend's stdio at fds 5-7 handed straight to `RUNTIME exec` (its output is the
 * user's, not the container log's). With --console (exec -t) the runtime sends the process's
 * terminal there; it goes to MON_PTY_FD and handle_wait copies it to and from the frontend's
 * stdio. Started before the sandbox, like the container. */
static int start_exec(struct launch_state *ls, int argc, char **argv, struct berr *e)
{
	const char *runtime = NULL, *root = NULL, *id = NULL, *process = NULL, *console = NULL;
	bool detach = false;
	int lfd = -1, pty, st;
	char pidfile[4200];
	pid_t pid;

	for (int i = 0; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--exec") == 0 ? &runtime :
				    strcmp(argv[i], "--runtime-root") == 0 ? &root :
				    strcmp(argv[i], "--id") == 0 ? &id :
				    strcmp(argv[i], "--process") == 0 ? &process :
				    strcmp(argv[i], "--console") == 0 ? &console : NULL;
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
	    root[0] != '/' || process[0] != '/' || (console != NULL && (console[0] != '/' || detach)))
		return berr_set(e, BERR_INVALID, 0, "berth-launch: --exec needs absolute paths and "
				"an --id");
	for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: --exec needs the stdio at "
					"fds 5-7");
	if (console != NULL) {
		if (snprintf(pidfile, sizeof(pidfile), "%s.pid", console) >= (int)sizeof(pidfile))
			return berr_set(e, BERR_INVALID, 0, "berth-launch: --console path too long");
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			return berr_sys(e, "berth-launch: becoming a subreaper");
		if ((lfd = mon_console_listen(console, e)) < 0)
			return -1;
	}
	pid = fork();
	if (pid < 0) {
		berr_sys(e, "fork");
		goto fail;
	}
	if (pid == 0) {
		char *av[16];
		size_t n = 0;
		av[n++] = (char *)runtime;
		av[n++] = (char *)"--root";
		av[n++] = (char *)root;
		av[n++] = (char *)"exec";
		av[n++] = (char *)"--process";
		av[n++] = (char *)process;
		if (detach)
			av[n++] = (char *)"--detach";
		if (console != NULL) {
			/* runc takes a console socket only when it detaches; the process is
			 * then this one's (a subreaper's) to wait for, its pid in pidfile. */
			av[n++] = (char *)"--detach";
			av[n++] = (char *)"--console-socket";
			av[n++] = (char *)console;
			av[n++] = (char *)"--pid-file";
			av[n++] = pidfile;
		}
		av[n++] = (char *)id;
		av[n] = NULL;
		char *envp[] = { (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				 "/sbin:/bin", NULL };
		int null = console != NULL ? open("/dev/null", O_RDWR) : -1;
		for (int i = 0; i < 3; i++)
			if (dup2(console != NULL && i < 2 ? null : MON_STDIO_FD + i, i) < 0)
				_exit(125);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		signal(SIGPIPE, SIG_DFL);
		execve(runtime, av, envp);
		dprintf(2, "Error: starting the OCI runtime %s: %s\n", runtime, strerror(errno));
		_exit(125);
	}
	ls->exec_pid = pid;
	if (console == NULL) {
		for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
			close(fd);
		return 0;
	}
	ls->exec_tty = true;
	pty = mon_console_accept(lfd, pid, &ls->exec_status, e);
	(void)unlink(console);
	close(lfd);
	lfd = -1;
	if (pty < 0 && e->code != BERR_OK)
		goto kill_runtime;
	if (pty < 0) {
		ls->exec_ended = true; /* its complaint went to the user's stderr */
		(void)unlink(pidfile);
		return 0;
	}
	/* The runtime exits once the process runs; the process is ours from then on. */
	while ((pid = waitpid(ls->exec_pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		close(pty);
		(void)unlink(pidfile);
		ls->exec_status = st;
		ls->exec_ended = true;
		return 0;
	}
	ls->exec_pid = read_pidfile(pidfile, e);
	(void)unlink(pidfile);
	if (ls->exec_pid <= 0) {
		close(pty);
		return -1;
	}
	if (dup3(pty, MON_PTY_FD, O_CLOEXEC) < 0) {
		close(pty);
		return berr_sys(e, "berth-launch: placing the terminal");
	}
	close(pty);
	(void)fcntl(MON_PTY_FD, F_SETFL, O_NONBLOCK);
	(void)fcntl(MON_STDIO_FD, F_SETFL, O_NONBLOCK);
	mon_copy_winsize();
	return 0;
kill_runtime:
	(void)kill(ls->exec_pid, SIGKILL);
	(void)waitpid(ls->exec_pid, NULL, 0);
	(void)unlink(pidfile);
	return -1;
fail:
	if (lfd >= 0) {
		(void)unlink(console);
		close(lfd);
	}
	return -1;
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
		if (r == 0 && ls->exec_tty && !ls->exec_ended) {
			/* Keep the user's stdin and stdout and the terminal. */
			syscall(SYS_close_range, (unsigned)MON_STDIO_FD + 2, (unsigned)MON_PTY_FD - 1,
				0U);
			syscall(SYS_close_range, (unsigned)MON_PTY_FD + 1, (unsigned)MON_LAST_FD, 0U);
			return 0;
		}
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

/* Copies what the exec'd process writes to its terminal to the user's stdout until the
 * runtime has exited and the terminal is drained, and the user's stdin to the terminal, and
 * follows the user's window size (this process holds the user's terminal too). Returns the
 * runtime's pid with *status, or -1. */
static pid_t relay_exec_tty(pid_t pid, int *status)
{
	bool in_open = true, out_open = true, ended = false;
	struct winsize last = { 0 }, ws;
	char buf[8192];
	struct berr e = { 0 };

	(void)ioctl(MON_STDIO_FD + 1, TIOCGWINSZ, &last);
	while (out_open) {
		struct pollfd p[2] = { { .fd = MON_PTY_FD, .events = POLLIN },
				       { .fd = in_open ? MON_STDIO_FD : -1, .events = POLLIN } };
		if (!ended && waitpid(pid, status, WNOHANG) == pid)
			ended = true;
		if (poll(p, 2, ended ? 0 : 200) < 0 && errno != EINTR)
			return -1;
		if (p[0].revents != 0 || ended) {
			ssize_t n = read(MON_PTY_FD, buf, sizeof(buf));
			if (n > 0 && xwrite_all(MON_STDIO_FD + 1, buf, (size_t)n, &e) < 0)
				in_open = false; /* the user is gone; keep draining */
			else if (n == 0 || (n < 0 && errno != EINTR && (errno != EAGAIN || ended)))
				out_open = false; /* EIO: no process holds the terminal any more */
		}
		if (p[1].revents != 0) {
			ssize_t n = read(MON_STDIO_FD, buf, sizeof(buf));
			if (n > 0)
				(void)xwrite_all(MON_PTY_FD, buf, (size_t)n, &e);
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				in_open = false;
		}
		if (ioctl(MON_STDIO_FD + 1, TIOCGWINSZ, &ws) == 0 &&
		    (ws.ws_row != last.ws_row || ws.ws_col != last.ws_col)) {
			last = ws;
			(void)ioctl(MON_PTY_FD, TIOCSWINSZ, &ws);
		}
	}
	while (!ended) {
		pid_t q = waitpid(pid, status, 0);
		if (q == pid)
			break;
		if (q < 0 && errno != EINTR)
			return -1;
	}
	return pid;
}

static int handle_wait(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct launch_state *ls = worker_role_state(w);

	if (ls->mon != NULL)
		return mon_broker_wait(ls->mon, w, m->id, e);
	if (ls->exec_pid == 0 || ls->waited)
		return berr_set(e, BERR_PROTOCOL, 0, "no container to wait for");
	/* Exec mode: nothing else to watch, so the wait blocks (relaying a terminal). */
	struct msg_l_wait_reply r = { 0 };
	int status = ls->exec_status;
	pid_t p = ls->exec_pid;
	if (ls->exec_tty && !ls->exec_ended)
		p = relay_exec_tty(ls->exec_pid, &status);
	else if (!ls->exec_ended)
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
