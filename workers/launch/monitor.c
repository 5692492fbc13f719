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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/detachkeys.h"
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
	bool attached;              /* gets the container's output (berth attach) */
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
	bool have_pty, pty_open;    /* -t: MON_PTY_FD */
	bool in_relay;              /* attached -it: the frontend's stdin (fd 5) goes to the pty */
	bool winch_open;            /* attached -t: MON_WINCH_FD */
	bool detached;              /* no frontend (run -d, or the user detached) */
	struct detach_keys keys;
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
						     "--store-root", "--runroot", "--tmpdir",
						     "--detach-keys" };
		const char **slots[] = { &c->runtime, &c->rtroot, &c->bundle, &c->id, &c->exit_dir,
					 &log_max, &c->broker, &c->store_root, &c->runroot,
					 &c->tmpdir, &c->detach_keys };
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
		if (strcmp(argv[i], "--tty") == 0) {
			c->tty = true;
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
static pid_t spawn_runtime(const struct mon_cfg *c, bool detach, const char *console, int in,
			   int out, int err, struct berr *e)
{
	char pidfile[4200];
	char *argv[16];
	char *envp[] = { (char *)MON_ENV_PATH, NULL };
	size_t n = 0;
	pid_t pid;

	snprintf(pidfile, sizeof(pidfile), "%s/pidfile", c->bundle);
	argv[n++] = (char *)c->runtime;
	argv[n++] = (char *)"--root";
	argv[n++] = (char *)c->rtroot;
	/* With a terminal, `create` then `start`: the terminal gets the user's size between the
	 * two, before the container's process runs. */
	argv[n++] = console != NULL ? (char *)"create" : (char *)"run";
	if (detach && console == NULL)
		argv[n++] = (char *)"--detach";
	argv[n++] = (char *)"--pid-file";
	argv[n++] = pidfile;
	if (console != NULL) {
		argv[n++] = (char *)"--console-socket";
		argv[n++] = (char *)console;
	}
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
		bool armed = false;
		ssize_t r;
		if (dup2(p[0], 3) < 0)
			_exit(1);
		syscall(SYS_close_range, 4U, ~0U, 0U);
		/* 'D': the container is detached from any berth command, so its end is ours to
		 * record. EOF without it: an attached run's broker records it. */
		while ((r = read(3, &b, 1)) != 0)
			if (r == 1 && b == 'D')
				armed = true;
			else if (r < 0 && errno != EINTR)
				break;
		close(3);
		if (!armed)
			_exit(0);
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

/* -t: a listening socket for the runtime's --console-socket, in the exit-file directory (a
 * short path: sun_path holds 108 bytes), there only until the runtime has sent the terminal. */
static int console_listen(const struct mon_cfg *c, char *path, size_t len, struct berr *e)
{
	if (snprintf(path, len, "%s/c%.12s.sock", c->exit_dir, c->id) >= (int)len)
		return berr_set(e, BERR_UNSUPPORTED, 0, "the path for the console socket (%s) is "
				"too long", c->exit_dir);
	return mon_console_listen(path, e);
}

int mon_console_listen(const char *path, struct berr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_set(e, BERR_UNSUPPORTED, 0, "the path for the console socket (%s) is "
				"too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		berr_sys(e, "berth-launch: console socket %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int mon_console_accept(int lfd, pid_t runtime, int *runtime_status, struct berr *e)
{
	for (int waited = 0; waited < 120 * 10; waited++) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			char buf[512], cbuf[CMSG_SPACE(sizeof(int))];
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
					     .msg_controllen = sizeof(cbuf) };
			struct cmsghdr *cm;
			int fd = -1;
			if (c < 0)
				continue;
			if (recvmsg(c, &mh, MSG_CMSG_CLOEXEC) > 0 && !(mh.msg_flags & MSG_CTRUNC) &&
			    (cm = CMSG_FIRSTHDR(&mh)) != NULL && cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			close(c);
			if (fd >= 0 && isatty(fd))
				return fd;
			if (fd >= 0)
				close(fd);
			return berr_set(e, BERR_PROTOCOL, 0, "the OCI runtime sent no terminal on the "
					"console socket");
		}
		if (waitpid(runtime, runtime_status, WNOHANG) == runtime)
			return -1;
	}
	return berr_set(e, BERR_TIMEOUT, 0, "the OCI runtime sent no terminal in 120 seconds");
}

/* `RUNTIME --root R start ID` after `create` (terminals). Its complaints go to our stderr:
 * the user's, while the command that starts the container still runs. */
static int run_start(const struct mon_cfg *c, int *status, struct berr *e)
{
	char *argv[] = { (char *)c->runtime, (char *)"--root", (char *)c->rtroot, (char *)"start",
			 (char *)c->id, NULL };
	char *envp[] = { (char *)MON_ENV_PATH, NULL };
	pid_t pid = fork();

	if (pid < 0)
		return berr_sys(e, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
			_exit(125);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execve(c->runtime, argv, envp);
		_exit(125);
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return berr_sys(e, "waiting for the OCI runtime");
	return 0;
}

void mon_copy_winsize(void)
{
	struct winsize ws;

	if (ioctl(MON_STDIO_FD + 1, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(MON_PTY_FD, TIOCSWINSZ, &ws);
}

int mon_start(const struct mon_cfg *c, struct monitor **out, struct berr *e)
{
	cleanup_free struct monitor *m = calloc(1, sizeof(*m));
	int dir = -1, exits = -1, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int in_r = -1, in_w = -1, ctl[2] = { -1, -1 }, sfd = -1, devnull = -1, trig = -1;
	int lfd = -1, pty = -1, winch = -1;
	char console[256];
	sigset_t chld;
	int rc = -1, st;

	if (m == NULL)
		return berr_sys(e, "allocating");
	m->cfg = *c;
	m->detached = c->detach;
	detach_keys_default(&m->keys);
	if (c->detach_keys != NULL && detach_keys_parse(&m->keys, c->detach_keys) < 0)
		return berr_set(e, BERR_INVALID, 0, "invalid detach keys \"%s\"", c->detach_keys);
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

	/* Attached -t: fd 9 is the frontend's SIGWINCH pipe (before fd 9 is the bundle's). */
	if (c->tty && !c->detach && fcntl(9, F_GETFD) >= 0 && (winch = high(dup(9), e)) < 0)
		goto out;
	if (!c->detach)
		close(9);
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
	 * or /dev/null; with a terminal the container reads the terminal, and we feed it. */
	if (c->interactive && c->detach && !c->tty) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			berr_sys(e, "pipe");
			goto out;
		}
		if ((in_r = high(p[0], e)) < 0 || (in_w = high(p[1], e)) < 0)
			goto out;
	}
	if (c->tty && (lfd = console_listen(c, console, sizeof(console), e)) < 0)
		goto out;
	int in = in_r >= 0 ? in_r : c->interactive && !c->tty && !c->detach ? MON_STDIO_FD : devnull;
	/* The runtime detaches when the container is detached, and with a terminal (a console
	 * socket needs it): the container's init is then our child by re-parenting. */
	bool rt_detach = c->detach || c->tty;
	pid_t pid = spawn_runtime(c, rt_detach, c->tty ? console : NULL, in, outp[1], errp[1], e);
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
	if (lfd >= 0) {
		pty = mon_console_accept(lfd, pid, &st, e);
		close(lfd);
		lfd = -1;
		(void)unlink(console);
		if (pty < 0 && e->code != BERR_OK)
			goto out;
		if (pty < 0) {
			/* The runtime failed before the container had a terminal. */
			(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);
			read_start_error(m, errp[0], st);
			if (!c->detach) {
				m->exited = true;
				clock_gettime(CLOCK_MONOTONIC, &m->exited_at);
				m->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				/* attached: its complaint goes to the user like any output */
				m->start_error[0] = '\0';
			}
		} else if ((pty = high(pty, e)) < 0 || place(pty, MON_PTY_FD, e) < 0) {
			goto out;
		} else {
			pty = -1;
			m->have_pty = m->pty_open = true;
			(void)fcntl(MON_PTY_FD, F_SETFL, O_NONBLOCK);
			if (!c->detach)
				mon_copy_winsize();
		}
	}
	if (!c->detach)
		m->relay_out = m->relay_err = true;
	if (!rt_detach) {
		m->runtime_pid = pid;
	} else if (!m->exited) {
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				berr_sys(e, "waiting for the OCI runtime");
				goto out;
			}
		if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && !c->detach) {
			/* attached: the runtime's complaint is output like any other */
			m->exited = true;
			clock_gettime(CLOCK_MONOTONIC, &m->exited_at);
			m->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);
			read_start_error(m, errp[0], st);
		} else if (c->tty && run_start(c, &st, e) < 0) {
			goto out;
		} else if (c->tty && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
			(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);
			read_start_error(m, errp[0], st);
			if (!c->detach) {
				m->exited = true;
				clock_gettime(CLOCK_MONOTONIC, &m->exited_at);
				m->exit_code = 126;
			}
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
	}
	if (c->detach) {
		/* Nothing of the command that started us stays open here: a caller reading our
		 * stdout/stderr (a pipe) must see EOF when it is done. */
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) {
			berr_sys(e, "dup2");
			goto out;
		}
		for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
			close(fd);
	}
	/* The cleanup child, wherever the container may end up with no berth command attached:
	 * detached from the start, or -it (ctrl-p ctrl-q detaches). */
	if (m->start_error[0] == '\0' && !m->exited && (c->detach || (c->tty && c->interactive))) {
		m->cleanup_pid = spawn_cleanup(c, &trig, e);
		if (m->cleanup_pid < 0)
			goto out;
		if ((trig = high(trig, e)) < 0 || place(trig, MON_TRIGGER_FD, e) < 0)
			goto out;
		trig = -1;
		if (c->detach && write(MON_TRIGGER_FD, "D", 1) != 1) {
			berr_sys(e, "arming the cleanup");
			goto out;
		}
	}
	if (!c->detach) {
		m->in_relay = c->tty && c->interactive && m->have_pty;
		if (!m->in_relay)
			close(MON_STDIO_FD); /* the container has it (or /dev/null) */
		if (winch >= 0 && m->have_pty) {
			if (place(winch, MON_WINCH_FD, e) < 0)
				goto out;
			winch = -1;
			m->winch_open = true;
			mon_copy_winsize();
		}
	}
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
	int leftovers[] = { dir, exits, sfd, in_r, in_w, trig, devnull, lfd, pty, winch };
	for (size_t i = 0; i < ARRAY_SIZE(leftovers); i++)
		if (leftovers[i] >= 0)
			close(leftovers[i]);
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

static int client_attach(void *ctx, struct ipc_msg *msg, struct berr *e)
{
	struct mon_client *cl = ctx;
	struct msg_ok ok = { 0 };

	if (cl->m->finished)
		return berr_set(e, BERR_INVALID, 0, "the container is not running");
	cl->attached = true;
	return ipc_send(cl->chan, MSG_OK, msg->id, &ok, NULL, 0, e);
}

static void to_container(struct monitor *m, const void *buf, size_t n);

static int client_input(void *ctx, struct ipc_msg *msg, struct berr *e)
{
	struct mon_client *cl = ctx;
	const struct msg_l_input *in = msg->body;

	(void)e;
	if (!cl->attached || (!cl->m->have_pty && fcntl(MON_IN_FD, F_GETFD) < 0))
		return 0; /* nothing takes input: dropped, as a closed stdin would */
	to_container(cl->m, in->data.data, in->data.len);
	if (in->eof && !cl->m->have_pty)
		close(MON_IN_FD);
	return 0;
}

static int client_resize(void *ctx, struct ipc_msg *msg, struct berr *e)
{
	struct mon_client *cl = ctx;
	const struct msg_l_resize *r = msg->body;
	struct winsize ws = { .ws_row = (unsigned short)r->rows, .ws_col = (unsigned short)r->cols };

	(void)e;
	if (cl->attached && cl->m->have_pty)
		(void)ioctl(MON_PTY_FD, TIOCSWINSZ, &ws);
	return 0;
}

/* A client's channel (a broker running stop, kill, wait). It is the user's own broker (only
 * it can take our control socket), but its messages are checked like any peer's. */
static const struct ipc_dispatch client_table[] = {
	{ MSG_L_KILL, false, 1, client_kill },
	{ MSG_L_WAIT, false, 1, client_wait },
	{ MSG_L_ATTACH, false, 1, client_attach },
	{ MSG_L_INPUT, false, 1, client_input },
	{ MSG_L_RESIZE, false, 1, client_resize },
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

	cl->attached = false;

	for (size_t i = 0; i < m->n_waiters; i++)
		if (m->waiters[i].chan != cl->chan)
			m->waiters[j++] = m->waiters[i];
	m->n_waiters = j;
	ipc_chan_free(cl->chan);
	cl->chan = NULL;
}

static void client_readable(struct monitor *m, struct mon_client *cl)
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

/* Output to the attached clients (berth attach); one that cannot take it is dropped. */
static void drop_client(struct monitor *m, struct mon_client *cl);

static void to_clients(struct monitor *m, enum k8slog_stream s, const char *buf, size_t n)
{
	struct msg_l_output o = { .stream = s, .data = { (uint8_t *)buf, n } };

	for (size_t i = 0; i < MON_MAX_CLIENTS; i++) {
		struct berr e = { 0 };
		if (m->clients[i].chan != NULL && m->clients[i].attached &&
		    ipc_send(m->clients[i].chan, MSG_L_OUTPUT, 0, &o, NULL, 0, &e) < 0)
			drop_client(m, &m->clients[i]);
	}
}

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
			/* EOF, or EIO: a terminal whose other side is closed everywhere */
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
		to_clients(m, s, buf, (size_t)n);
	}
}

/* Input for the container: its terminal, or its stdin pipe (detached -i). */
static void to_container(struct monitor *m, const void *buf, size_t n)
{
	struct berr e = { 0 };
	int fd = m->have_pty ? MON_PTY_FD : MON_IN_FD;

	if (n > 0 && xwrite_all(fd, buf, n, &e) < 0)
		log_debug("berth-launch: input for the container: %s", e.msg);
}

/* The user typed the detach keys: the frontend goes, the container stays, and from now on
 * its end is the cleanup child's to record (as for run -d). */
static void detach_now(struct monitor *m, struct worker *w)
{
	struct msg_l_wait_reply r = { .detached = true };
	struct berr e = { 0 };

	m->detached = true;
	m->in_relay = m->relay_out = m->relay_err = false;
	m->winch_open = false;
	for (int fd = MON_STDIO_FD; fd < MON_STDIO_FD + 3; fd++)
		close(fd);
	close(MON_WINCH_FD);
	if (write(MON_TRIGGER_FD, "D", 1) != 1)
		log_warn("berth-launch: arming the cleanup of %.12s failed", m->cfg.id);
	size_t j = 0;
	for (size_t i = 0; i < m->n_waiters; i++) {
		if (m->waiters[i].chan == worker_chan(w))
			(void)ipc_send(worker_chan(w), MSG_L_WAIT_REPLY, m->waiters[i].id, &r, NULL, 0,
				       &e);
		else
			m->waiters[j++] = m->waiters[i];
	}
	m->n_waiters = j;
}

/* Attached -it: what the user types, minus the detach keys. */
static void relay_input(struct monitor *m, struct worker *w)
{
	unsigned char in[4096], out[4096 + DETACH_KEYS_MAX];
	bool hit;
	ssize_t n = read(MON_STDIO_FD, in, sizeof(in));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		m->in_relay = false;
		return;
	}
	size_t o = detach_keys_scan(&m->keys, in, (size_t)n, out, &hit);
	to_container(m, out, o);
	if (hit)
		detach_now(m, w);
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
		struct pollfd p[8 + MON_MAX_CLIENTS];
		size_t n = 0, first_client;
		int timeout = -1;
		bool streams_open = m->out_open || m->err_open || m->pty_open;

		if (!m->finished && m->exited &&
		    (!streams_open || ms_since(&m->exited_at) >= MON_DRAIN_MS))
			finish(m);
		/* Attached, the broker that started us asks for the exit status, maybe only after
		 * the container is gone: we stay until it is done with us. */
		if (m->finished && (m->detached || !broker_open))
			break;
		if (m->exited && !m->finished)
			timeout = (int)(MON_DRAIN_MS - ms_since(&m->exited_at));
		p[n++] = (struct pollfd){ .fd = MON_SIGNAL_FD, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->out_open ? MON_OUT_FD : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->err_open ? MON_ERR_FD : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = broker_open ? ipc_chan_fd(worker_chan(w)) : -1,
					  .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->pty_open ? MON_PTY_FD : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->in_relay ? MON_STDIO_FD : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->winch_open ? MON_WINCH_FD : -1, .events = POLLIN };
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
		if (p[4].revents != 0)
			pump(m, MON_PTY_FD, K8SLOG_STDOUT, &m->pty_open, &m->relay_out);
		if (p[5].revents != 0 && m->in_relay)
			relay_input(m, w);
		if (p[6].revents != 0 && m->winch_open) {
			char b[64];
			if (read(MON_WINCH_FD, b, sizeof(b)) <= 0)
				m->winch_open = false;
			else
				mon_copy_winsize();
		}
		if (p[3].revents != 0 && broker_open) {
			struct berr e2 = { 0 };
			cleanup_ipc_msg struct ipc_msg *msg = NULL;
			int r = ipc_recv(worker_chan(w), &msg, &e2);
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
				client_readable(m, &m->clients[i]);
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
