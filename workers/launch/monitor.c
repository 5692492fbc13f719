/* berth-launch's monitor: see monitor.h for the life cycle and the fixed fds. */
#include "workers/launch/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/k8slog.h"
#include "common/log.h"
#include "common/xio.h"
#include "ipc/channel.h"
#include "ipc/dispatch.h"
#include "ipc/msg.h"
#include "workers/common/worker.h"

#define MON_MAX_CLIENTS 16
#define MON_MAX_WAITERS 32
/* After the container's init is gone, its output pipes are drained at most this long (another
 * process may still hold them, e.g. one that left the container's pid namespace). */
#define MON_DRAIN_MS 2000
#define MON_ENV_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct mon_client {
	struct monitor *m;          /* not owned */
	struct ipc_chan *chan;      /* owned; NULL: slot free */
};

struct mon_waiter {
	struct ipc_chan *chan;      /* not owned: the broker's channel or a client's */
	uint64_t id;
};

struct monitor {
	struct mon_cfg cfg;
	pid_t runtime_pid;          /* attached: the runtime, whose exit is the container's */
	pid_t ctr_pid;              /* detached: the container's init (our child by re-parenting) */
	pid_t cleanup_pid;
	bool have_pidfd;
	bool out_open, err_open;    /* the pipes have not reached EOF */
	bool relay_out, relay_err;  /* attached: copy to the frontend's stdout/stderr */
	bool exited;
	bool finished;              /* exited, output drained, exit file written */
	int64_t exit_code, signal;
	struct timespec exited_at;
	char start_error[2048];     /* detached: the runtime failed to start the container */
	struct k8slog_writer *log;  /* owned */
	struct ipc_chan *ctl;       /* owned: MON_CTL_FD */
	struct mon_client clients[MON_MAX_CLIENTS];
	struct mon_waiter waiters[MON_MAX_WAITERS];
	size_t n_waiters;
};

/* ---------------------------------------------------------------- arguments */

int mon_parse_args(struct mon_cfg *c, int argc, char **argv, struct berr *e)
{
	const char *log_max = NULL;

	memset(c, 0, sizeof(*c));
	if (argc == 0)
		return 0;
	for (int i = 0; i < argc; i++) {
		static const char *const names[] = { "--run", "--runtime-root", "--bundle", "--id",
						     "--exit-dir", "--log-max", "--broker",
						     "--store-root", "--runroot", "--tmpdir" };
		const char **slots[] = { &c->runtime, &c->rtroot, &c->bundle, &c->id, &c->exit_dir,
					 &log_max, &c->broker, &c->store_root, &c->runroot,
					 &c->tmpdir };
		size_t k;
		if (strcmp(argv[i], "--detach") == 0) {
			c->detach = true;
			continue;
		}
		if (strcmp(argv[i], "--interactive") == 0) {
			c->interactive = true;
			continue;
		}
		if (strcmp(argv[i], "--rootless") == 0) {
			c->rootless = true;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(names); k++)
			if (strcmp(argv[i], names[k]) == 0)
				break;
		if (k == ARRAY_SIZE(names) || i + 1 >= argc)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: unknown argument %s",
					argv[i]);
		*slots[k] = argv[++i];
	}
	if (c->runtime == NULL || c->rtroot == NULL || c->bundle == NULL || c->id == NULL ||
	    c->exit_dir == NULL || c->runtime[0] != '/' || c->rtroot[0] != '/' ||
	    c->bundle[0] != '/' || c->exit_dir[0] != '/' || c->id[0] == '\0' ||
	    strchr(c->id, '/') != NULL || strlen(c->id) > 64)
		return berr_set(e, BERR_INVALID, 0, "berth-launch: --run needs absolute "
				"--runtime-root, --bundle and --exit-dir paths and an --id");
	if (c->detach && (c->broker == NULL || c->store_root == NULL || c->runroot == NULL ||
			  c->tmpdir == NULL))
		return berr_set(e, BERR_INVALID, 0, "berth-launch: --detach needs --broker, "
				"--store-root, --runroot and --tmpdir");
	if (log_max != NULL) {
		char *end;
		errno = 0;
		c->log_max = strtoull(log_max, &end, 10);
		if (errno != 0 || *end != '\0')
			return berr_set(e, BERR_INVALID, 0, "berth-launch: bad --log-max");
	}
	return 1;
}

/* ---------------------------------------------------------------- before the sandbox */

/* Moves fd out of the low range (so the fixed numbers stay free until placed). */
static int high(int fd, struct berr *e)
{
	int h;

	if (fd < 0)
		return berr_sys(e, "berth-launch");
	h = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	close(fd);
	if (h < 0)
		return berr_sys(e, "berth-launch: moving an fd");
	return h;
}

static int place(int fd, int target, struct berr *e)
{
	if (dup3(fd, target, O_CLOEXEC) < 0)
		return berr_sys(e, "berth-launch: placing fd %d", target);
	close(fd);
	return 0;
}

/* The runtime's argv: `RUNTIME --root R run [--detach] --pid-file B/pidfile --bundle B ID`. */
static pid_t spawn_runtime(const struct mon_cfg *c, int in, int out, int err, struct berr *e)
{
	char pidfile[4200];
	char *argv[12];
	char *envp[] = { (char *)MON_ENV_PATH, NULL };
	size_t n = 0;
	pid_t pid;

	snprintf(pidfile, sizeof(pidfile), "%s/pidfile", c->bundle);
	argv[n++] = (char *)c->runtime;
	argv[n++] = (char *)"--root";
	argv[n++] = (char *)c->rtroot;
	argv[n++] = (char *)"run";
	if (c->detach)
		argv[n++] = (char *)"--detach";
	argv[n++] = (char *)"--pid-file";
	argv[n++] = pidfile;
	argv[n++] = (char *)"--bundle";
	argv[n++] = (char *)c->bundle;
	argv[n++] = (char *)c->id;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return berr_sys(e, "fork");
	if (pid == 0) {
		sigset_t none;
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(125);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execve(c->runtime, argv, envp);
		dprintf(2, "Error: starting the OCI runtime %s: %s\n", c->runtime, strerror(errno));
		_exit(125);
	}
	return pid;
}

/* The runtime's own complaint (it went to the container's stderr pipe): its last line. */
static void read_start_error(struct monitor *m, int errfd, int status)
{
	char buf[8192];
	ssize_t n = read(errfd, buf, sizeof(buf) - 1);
	char *line, *p;

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	line = strrchr(buf, '\n');
	line = line != NULL ? line + 1 : buf;
	/* runc logs as `time="..." level=error msg="..."`: the message is what matters. */
	p = strstr(line, "msg=\"");
	if (p != NULL) {
		line = p + 5;
		p = strrchr(line, '"');
		if (p != NULL)
			*p = '\0';
	}
	if (line[0] == '\0')
		snprintf(m->start_error, sizeof(m->start_error), "the OCI runtime %s %s",
			 m->cfg.runtime, WIFEXITED(status) ? "failed" : "was killed");
	else
		snprintf(m->start_error, sizeof(m->start_error), "%.2000s", line);
}

static pid_t read_pidfile(int dirfd)
{
	char buf[32];
	int fd = openat(dirfd, "pidfile", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	long v;
	char *end;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || v <= 1 || v > 0x3fffffff)
		return -1;
	return (pid_t)v;
}

/* The cleanup child: waits, outside the sandbox, for the monitor to end (its trigger pipe
 * reaches EOF, also when the monitor is killed), then has the runtime forget the container and
 * a broker record its end. It holds nothing else: not the lock, not the pipes. */
static pid_t spawn_cleanup(const struct mon_cfg *c, int *trigger_w, struct berr *e)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_sys(e, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berr_sys(e, "fork");
	}
	if (pid == 0) {
		char *envp[] = { (char *)MON_ENV_PATH, NULL };
		char b;
		int st;
		if (dup2(p[0], 3) < 0)
			_exit(1);
		syscall(SYS_close_range, 4U, ~0U, 0U);
		while (read(3, &b, 1) < 0 && errno == EINTR)
			;
		close(3);
		pid_t d = fork();
		if (d == 0) {
			char *argv[] = { (char *)c->runtime, (char *)"--root", (char *)c->rtroot,
					 (char *)"delete", (char *)"--force", (char *)c->id, NULL };
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			execve(c->runtime, argv, envp);
			_exit(127);
		}
		if (d > 0)
			while (waitpid(d, &st, 0) < 0 && errno == EINTR)
				;
		char *argv[] = { (char *)c->broker, (char *)"--cleanup", (char *)c->id,
				 (char *)"--root", (char *)c->store_root, (char *)"--runroot",
				 (char *)c->runroot, (char *)"--tmpdir", (char *)c->tmpdir,
				 c->rootless ? (char *)"--rootless" : NULL, NULL };
		execve(c->broker, argv, envp);
		_exit(127);
	}
	close(p[0]);
	*trigger_w = p[1];
	return pid;
}

int mon_start(const struct mon_cfg *c, struct monitor **out, struct berr *e)
{
	cleanup_free struct monitor *m = calloc(1, sizeof(*m));
	int dir = -1, exits = -1, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int in_r = -1, in_w = -1, ctl[2] = { -1, -1 }, sfd = -1, devnull = -1, trig = -1;
	sigset_t chld;
	int rc = -1;

	if (m == NULL)
		return berr_sys(e, "allocating");
	m->cfg = *c;
	if (fcntl(MON_LOCK_FD, F_GETFD) < 0)
		return berr_set(e, BERR_INVALID, 0, "berth-launch: --run needs the container's "
				"stdio at fds 5-7 and its lock at fd 8");
	/* Its own session: the terminal's signals are the frontend's business, and the monitor
	 * outlives the command that started it. Subreaper: a detached container's init becomes
	 * our child when the runtime exits. */
	if (setsid() < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || prctl(PR_SET_PDEATHSIG, 0) < 0)
		return berr_sys(e, "berth-launch: setsid/prctl");
	tzset(); /* k8s-file timestamps are local time; /etc/localtime is out of reach later */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
		return berr_sys(e, "sigprocmask");

	if ((dir = high(open(c->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e)) < 0 ||
	    (exits = high(open(c->exit_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e)) < 0 ||
	    (devnull = high(open("/dev/null", O_RDWR | O_CLOEXEC), e)) < 0 ||
	    (sfd = high(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK), e)) < 0)
		goto out;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
		berr_sys(e, "berth-launch: pipes");
		goto out;
	}
	if ((outp[0] = high(outp[0], e)) < 0 || (outp[1] = high(outp[1], e)) < 0 ||
	    (errp[0] = high(errp[0], e)) < 0 || (errp[1] = high(errp[1], e)) < 0 ||
	    (ctl[0] = high(ctl[0], e)) < 0 || (ctl[1] = high(ctl[1], e)) < 0)
		goto out;
	/* stdin: the frontend's own (attached -i), a pipe we keep open (detached -i, for attach),
	 * or /dev/null. */
	if (c->interactive && c->detach) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			berr_sys(e, "pipe");
			goto out;
		}
		if ((in_r = high(p[0], e)) < 0 || (in_w = high(p[1], e)) < 0)
			goto out;
	}
	pid_t pid = spawn_runtime(c, in_r >= 0 ? in_r : c->interactive ? MON_STDIO_FD : devnull,
				  outp[1], errp[1], e);
	if (pid < 0)
		goto out;
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (in_r >= 0) {
		close(in_r);
		in_r = -1;
	}
	m->out_open = m->err_open = true;
	if (!c->detach) {
		m->runtime_pid = pid;
		m->relay_out = m->relay_err = true;
	} else {
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				berr_sys(e, "waiting for the OCI runtime");
				goto out;
			}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);
			read_start_error(m, errp[0], st);
		} else {
			m->ctr_pid = read_pidfile(dir);
			if (m->ctr_pid < 0) {
				snprintf(m->start_error, sizeof(m->start_error), "the OCI runtime "
					 "%s wrote no usable pid file", c->runtime);
			} else {
				int pfd = (int)syscall(SYS_pidfd_open, m->ctr_pid, 0);
				if (pfd >= 0 && (pfd = high(pfd, e)) >= 0 &&
				    place(pfd, MON_PIDFD, e) == 0)
					m->have_pidfd = true;
				berr_clear(e);
			}
		}
		/* Nothing of the command that started us stays open here: a caller reading our
		 * stdout/stderr (a pipe) must see EOF when it is done. */
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) {
			berr_sys(e, "dup2");
			goto out;
		}
		if (m->start_error[0] == '\0') {
			m->cleanup_pid = spawn_cleanup(c, &trig, e);
			if (m->cleanup_pid < 0)
				goto out;
			if ((trig = high(trig, e)) < 0 || place(trig, MON_TRIGGER_FD, e) < 0)
				goto out;
			trig = -1;
		}
		for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
			close(fd);
	}
	if (!c->detach)
		close(MON_STDIO_FD); /* the container has it (or /dev/null) */
	if (place(dir, MON_DIR_FD, e) < 0 || place(exits, MON_EXITS_FD, e) < 0 ||
	    place(outp[0], MON_OUT_FD, e) < 0 || place(errp[0], MON_ERR_FD, e) < 0 ||
	    place(ctl[0], MON_CTL_FD, e) < 0 || place(ctl[1], LAUNCH_CTL_FD, e) < 0 ||
	    place(sfd, MON_SIGNAL_FD, e) < 0)
		goto out;
	dir = exits = outp[0] = errp[0] = ctl[0] = ctl[1] = sfd = -1;
	if (in_w >= 0) {
		if (place(in_w, MON_IN_FD, e) < 0)
			goto out;
		in_w = -1;
	}
	(void)fcntl(MON_OUT_FD, F_SETFL, O_NONBLOCK);
	(void)fcntl(MON_ERR_FD, F_SETFL, O_NONBLOCK);
	m->ctl = ipc_chan_new(MON_CTL_FD, IPC_MAX_MSG_WORKER, "a berth command", e);
	if (m->ctl == NULL)
		goto out;
	*out = TAKE_PTR(m);
	rc = 0;
out:
	for (size_t i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (ctl[i] >= 0)
			close(ctl[i]);
	}
	if (dir >= 0)
		close(dir);
	if (exits >= 0)
		close(exits);
	if (sfd >= 0)
		close(sfd);
	if (in_r >= 0)
		close(in_r);
	if (in_w >= 0)
		close(in_w);
	if (trig >= 0)
		close(trig);
	if (devnull >= 0)
		close(devnull);
	return rc;
}

/* ---------------------------------------------------------------- requests */

static int reply_wait(struct monitor *m, struct ipc_chan *ch, uint64_t id, struct berr *e)
{
	struct msg_l_wait_reply r = { .exit_code = m->exit_code, .signal = m->signal };
	return ipc_send(ch, MSG_L_WAIT_REPLY, id, &r, NULL, 0, e);
}

static int add_waiter(struct monitor *m, struct ipc_chan *ch, uint64_t id, struct berr *e)
{
	if (m->finished)
		return reply_wait(m, ch, id, e);
	if (m->n_waiters == MON_MAX_WAITERS)
		return berr_set(e, BERR_UNSUPPORTED, 0, "too many commands are waiting for this container");
	m->waiters[m->n_waiters++] = (struct mon_waiter){ ch, id };
	return 0;
}

int mon_handle_status(struct monitor *m, struct worker *w, uint64_t id, struct berr *e)
{
	struct msg_l_status_reply r = { .pid = m->ctr_pid > 0 ? m->ctr_pid : m->runtime_pid,
					.error = m->start_error[0] != '\0' ? m->start_error : NULL };
	return ipc_send(worker_chan(w), MSG_L_STATUS_REPLY, id, &r, NULL, 0, e);
}

int mon_broker_wait(struct monitor *m, struct worker *w, uint64_t id, struct berr *e)
{
	return add_waiter(m, worker_chan(w), id, e);
}

static int client_kill(void *ctx, struct ipc_msg *msg, struct berr *e)
{
	struct mon_client *cl = ctx;
	struct monitor *m = cl->m;
	const struct msg_l_kill *k = msg->body;
	struct msg_ok ok = { 0 };

	if (k->signal < 1 || k->signal > 64)
		return berr_set(e, BERR_INVALID, 0, "invalid signal %lld", (long long)k->signal);
	if (m->exited)
		return berr_set(e, BERR_INVALID, 0, "the container is not running");
	if (!m->have_pidfd) {
		/* Attached: the runtime wrote the init's pid once it started it. */
		pid_t pid = read_pidfile(MON_DIR_FD);
		int pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
		if (pfd < 0)
			return berr_set(e, BERR_INVALID, 0, "the container has not started yet");
		if (dup3(pfd, MON_PIDFD, O_CLOEXEC) < 0) {
			close(pfd);
			return berr_sys(e, "dup3");
		}
		close(pfd);
		m->have_pidfd = true;
	}
	if (syscall(SYS_pidfd_send_signal, MON_PIDFD, (int)k->signal, NULL, 0) < 0 &&
	    errno != ESRCH)
		return berr_sys(e, "signalling the container");
	return ipc_send(cl->chan, MSG_OK, msg->id, &ok, NULL, 0, e);
}

static int client_wait(void *ctx, struct ipc_msg *msg, struct berr *e)
{
	struct mon_client *cl = ctx;
	return add_waiter(cl->m, cl->chan, msg->id, e);
}

/* A client's channel (a broker running stop, kill, wait). It is the user's own broker (only
 * it can take our control socket), but its messages are checked like any peer's. */
static const struct ipc_dispatch client_table[] = {
	{ MSG_L_KILL, false, 1, client_kill },
	{ MSG_L_WAIT, false, 1, client_wait },
};

static int ctl_connect(void *ctx, struct ipc_msg *msg, struct berr *e)
{
	struct monitor *m = ctx;

	for (size_t i = 0; i < MON_MAX_CLIENTS; i++) {
		if (m->clients[i].chan != NULL)
			continue;
		m->clients[i].m = m;
		m->clients[i].chan = ipc_chan_new(msg->fds[0], IPC_MAX_MSG_WORKER,
						  "a berth command", e);
		msg->fds[0] = -1;
		return m->clients[i].chan == NULL ? -1 : 0;
	}
	return 0; /* full: the fd is closed with the message, the client sees EOF */
}

static const struct ipc_dispatch ctl_table[] = {
	{ MSG_L_CONNECT, true, 1, ctl_connect },
};

static void drop_client(struct monitor *m, struct mon_client *cl)
{
	size_t j = 0;

	for (size_t i = 0; i < m->n_waiters; i++)
		if (m->waiters[i].chan != cl->chan)
			m->waiters[j++] = m->waiters[i];
	m->n_waiters = j;
	ipc_chan_free(cl->chan);
	cl->chan = NULL;
}

static void client_input(struct monitor *m, struct mon_client *cl)
{
	struct berr e = { 0 };
	cleanup_ipc_msg struct ipc_msg *msg = NULL;
	const struct ipc_dispatch *d;
	int r = ipc_recv(cl->chan, &msg, &e);

	if (r == 2)
		return;
	if (r != 0) {
		drop_client(m, cl);
		return;
	}
	d = ipc_dispatch_find(client_table, ARRAY_SIZE(client_table), 1, msg, &e);
	if (d == NULL) {
		drop_client(m, cl); /* fail closed */
		return;
	}
	if (d->handler(cl, msg, &e) < 0) {
		struct berr e2;
		if (ipc_send_error(cl->chan, msg->id, &e, &e2) < 0)
			drop_client(m, cl);
	}
}

static void ctl_input(struct monitor *m)
{
	struct berr e = { 0 };
	cleanup_ipc_msg struct ipc_msg *msg = NULL;
	const struct ipc_dispatch *d;

	if (ipc_recv(m->ctl, &msg, &e) != 0)
		return;
	d = ipc_dispatch_find(ctl_table, ARRAY_SIZE(ctl_table), 1, msg, &e);
	if (d != NULL && d->handler(m, msg, &e) < 0)
		log_warn("berth-launch: %s", e.msg);
}

/* ---------------------------------------------------------------- the loop */

static void pump(struct monitor *m, int fd, enum k8slog_stream s, bool *open_, bool *relay)
{
	char buf[65536];
	struct timespec now;
	struct berr e = { 0 };

	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			*open_ = false;
			return;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (m->log != NULL && k8slog_write(m->log, s, buf, (size_t)n, &now, &e) < 0) {
			/* A full disk must not stop the container: it keeps running, unlogged. */
			log_warn("berth-launch: container %.12s: %s", m->cfg.id, e.msg);
			k8slog_writer_close(m->log);
			m->log = NULL;
		}
		if (*relay && xwrite_all(s == K8SLOG_STDOUT ? MON_STDIO_FD + 1 : MON_STDIO_FD + 2,
					 buf, (size_t)n, &e) < 0)
			*relay = false; /* the frontend went away: the log still gets it */
	}
}

static void reap(struct monitor *m)
{
	struct signalfd_siginfo si;
	int st;
	pid_t p;

	while (read(MON_SIGNAL_FD, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (m->exited || (p != m->runtime_pid && p != m->ctr_pid))
			continue; /* a runtime helper, or a process the container left behind */
		m->exited = true;
		clock_gettime(CLOCK_MONOTONIC, &m->exited_at);
		if (WIFEXITED(st)) {
			m->exit_code = WEXITSTATUS(st);
		} else {
			m->signal = WTERMSIG(st);
			m->exit_code = 128 + m->signal;
		}
	}
}

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* EXITS/<id>: the exit code, for whichever berth command comes next (temp + rename). */
static void write_exit_file(struct monitor *m)
{
	char tmp[80], text[32];
	struct berr e = { 0 };
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", m->cfg.id);
	snprintf(text, sizeof(text), "%lld\n", (long long)m->exit_code);
	fd = openat(MON_EXITS_FD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0 || xwrite_all(fd, text, strlen(text), &e) < 0 ||
	    renameat(MON_EXITS_FD, tmp, MON_EXITS_FD, m->cfg.id) < 0)
		log_warn("berth-launch: writing the exit status of %.12s: %s", m->cfg.id,
			 e.msg[0] != '\0' ? e.msg : strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The container is gone and its output drained: the exit file, the log closed, the waiters
 * answered. */
static void finish(struct monitor *m)
{
	write_exit_file(m);
	if (m->log != NULL) {
		k8slog_writer_close(m->log);
		m->log = NULL;
	}
	for (size_t i = 0; i < m->n_waiters; i++) {
		struct berr e = { 0 };
		(void)reply_wait(m, m->waiters[i].chan, m->waiters[i].id, &e);
	}
	m->n_waiters = 0;
	m->finished = true;
}

int mon_serve(struct monitor *m, struct worker *w)
{
	bool broker_open = true;
	struct berr e = { 0 };

	/* Opened here, inside the sandbox (Landlock allows writing beneath the bundle): an fd
	 * opened before would have been closed by sandbox_enter as a stray. */
	m->log = k8slog_writer_open(MON_DIR_FD, MON_LOG_NAME, m->cfg.log_max, &e);
	if (m->log == NULL)
		log_warn("berth-launch: container %.12s: %s", m->cfg.id, e.msg);

	if (m->start_error[0] != '\0') {
		/* Nothing to watch: answer the broker, which cleans up. */
		for (;;) {
			struct berr e = { 0 };
			cleanup_ipc_msg struct ipc_msg *msg = NULL;
			if (ipc_recv(worker_chan(w), &msg, &e) != 0)
				return 0;
			if (worker_handle(w, msg) < 0)
				return 1;
		}
	}
	for (;;) {
		struct pollfd p[5 + MON_MAX_CLIENTS];
		size_t n = 0, first_client;
		int timeout = -1;

		if (!m->finished && m->exited && ((!m->out_open && !m->err_open) ||
						  ms_since(&m->exited_at) >= MON_DRAIN_MS))
			finish(m);
		/* Attached, the broker that started us asks for the exit status, maybe only after
		 * the container is gone: we stay until it is done with us. */
		if (m->finished && (m->cfg.detach || !broker_open))
			break;
		if (m->exited && !m->finished)
			timeout = (int)(MON_DRAIN_MS - ms_since(&m->exited_at));
		p[n++] = (struct pollfd){ .fd = MON_SIGNAL_FD, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->out_open ? MON_OUT_FD : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->err_open ? MON_ERR_FD : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = broker_open ? ipc_chan_fd(worker_chan(w)) : -1,
					  .events = POLLIN };
		first_client = n;
		p[n++] = (struct pollfd){ .fd = MON_CTL_FD, .events = POLLIN };
		for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
			p[n++] = (struct pollfd){ .fd = m->clients[i].chan != NULL
								? ipc_chan_fd(m->clients[i].chan)
								: -1,
						  .events = POLLIN };
		if (poll(p, n, timeout < 0 ? -1 : timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("berth-launch: poll: %s", strerror(errno));
			return 1;
		}
		if (p[0].revents != 0)
			reap(m);
		if (p[1].revents != 0)
			pump(m, MON_OUT_FD, K8SLOG_STDOUT, &m->out_open, &m->relay_out);
		if (p[2].revents != 0)
			pump(m, MON_ERR_FD, K8SLOG_STDERR, &m->err_open, &m->relay_err);
		if (p[3].revents != 0) {
			struct berr e = { 0 };
			cleanup_ipc_msg struct ipc_msg *msg = NULL;
			int r = ipc_recv(worker_chan(w), &msg, &e);
			if (r == 1 || (r != 0 && r != 2)) {
				/* The broker is done (detached), or gone (attached: the
				 * container runs on; the next berth command reads our exit file).
				 * Its waits go with it. */
				broker_open = false;
				size_t j = 0;
				for (size_t i = 0; i < m->n_waiters; i++)
					if (m->waiters[i].chan != worker_chan(w))
						m->waiters[j++] = m->waiters[i];
				m->n_waiters = j;
			} else if (r == 0 && worker_handle(w, msg) < 0) {
				return 1;
			}
		}
		if (p[first_client].revents != 0)
			ctl_input(m);
		for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
			if (p[first_client + 1 + i].revents != 0 && m->clients[i].chan != NULL)
				client_input(m, &m->clients[i]);
	}

	/* The lock first: the cleanup child wakes when we exit, and its broker must find the
	 * container no longer held. */
	close(MON_LOCK_FD);
	for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
		if (m->clients[i].chan != NULL)
			ipc_chan_free(m->clients[i].chan);
	ipc_chan_free(m->ctl);
	return 0;
}
