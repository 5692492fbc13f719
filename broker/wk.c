#include "broker/wk.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <sys/prctl.h>

#include <event2/event.h>

#include "broker/userns.h"
#include "common/cleanup.h"
#include "common/log.h"

#define WORKER_FD 3
#define NOBODY_ID 65534

struct wk {
	struct wk *next;
	const struct wk_role_def *def;
	pid_t pid;
	struct ipc_chan *ch;      /* owned; NULL once released */
	struct event *rd_ev;      /* owned; NULL once released */
	struct event *to_ev;      /* owned */
	bool pending;             /* a request waits for its reply */
	bool eof;                 /* the worker closed its channel with a request pending */
	bool held;                /* the job that spawned it holds this pointer until
				     wk_release/wk_finish: reaping then must not free it */
	bool reaping;             /* inside wk_reap: a callback's wk_release must not free */
	uint64_t req_id;
	int timeout_ms;
	wk_reply_fn fn;
	void *arg;                /* not owned: belongs to the job that made the request */
	wk_progress_fn progress;
	void *progress_arg;       /* not owned */
};

void wk_set_progress(struct wk *w, wk_progress_fn fn, void *arg)
{
	w->progress = fn;
	w->progress_arg = arg;
}

/* Every role the broker may start, and whether it runs under the unprivileged uid. The parsers
 * of untrusted bytes (fetch, verify) never need the user's files, so they do not get the
 * user's uid either. unpack must create files owned by any uid, netsetup and launch need their
 * capabilities, so they stay root (inside the user namespace when rootless) and rely on their
 * capability set and sandbox. */
static const struct wk_role_def roles[] = {
	{ "fetch", "the registry client", true },
	{ "verify", "the image metadata and signature checker", true },
	{ "unpack", "the layer unpacker", false },
	{ "netsetup", "the network set-up helper", false },
	{ "launch", "the container launcher", false },
	/* The signer uses the user's own GnuPG home and agent: it must be the user (uid 0 in the
	 * rootless user namespace), and it never sees an untrusted byte (workers/sign/main.c). */
	{ "sign", "the image signer", false },
};

const struct wk_role_def *wk_role_def(const char *role)
{
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		if (strcmp(roles[i].role, role) == 0)
			return &roles[i];
	return NULL;
}

const char *wk_role(const struct wk *w)
{
	return w->def->role;
}

pid_t wk_pid(const struct wk *w)
{
	return w->pid;
}

void wk_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (sig == SIGSYS)
			snprintf(buf, len, "was killed by signal %d (SIGSYS: its sandbox stopped a "
				 "forbidden system call)", sig);
		else
			snprintf(buf, len, "was killed by signal %d (%s)", sig, strsignal(sig));
	} else {
		snprintf(buf, len, "stopped with wait status %#x", (unsigned)status);
	}
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void child_fail(const char *what)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "Error: starting a berth worker: %s: %s\n", what,
			 strerror(errno));
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)n);
	_exit(127);
}

static void child_exec(struct broker *b, const struct wk_role_def *def, int sock,
		       char *const *extra_argv, const int *fds, size_t nfds, bool drop)
{
	char path[4200];
	int exe;
	char *argv[40];
	size_t argc = 0;
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	int devnull;
	sigset_t all;

	/* Fresh signal state: dispositions set to ignore would survive exec. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);

	if (sock == WORKER_FD) {
		if (fcntl(sock, F_SETFD, 0) < 0)
			child_fail("fcntl");
	} else if (dup2(sock, WORKER_FD) < 0) {
		child_fail("dup2");
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		child_fail("/dev/null");
	/* Spawn-time fds go to 5, 6, ...: first out of the way (above every target), then down. */
	if (nfds > 0) {
		int moved[8];
		for (size_t i = 0; i < nfds && i < 8; i++) {
			moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64);
			if (moved[i] < 0)
				child_fail("fcntl");
		}
		for (size_t i = 0; i < nfds && i < 8; i++)
			if (dup2(moved[i], WK_SPAWN_FD_BASE + (int)i) < 0)
				child_fail("dup2");
	}
	/* Everything else goes: the worker inherits nothing by accident. Fd 4 stays free for the
	 * worker's own status fd. */
	if (syscall(SYS_close_range, WORKER_FD + 1, WORKER_FD + 1, 0U) < 0 ||
	    syscall(SYS_close_range, WK_SPAWN_FD_BASE + (unsigned)nfds, ~0U, 0U) < 0)
		child_fail("close_range");
	snprintf(path, sizeof(path), "%s/berth-%s", b->cfg.libexec, def->role);
	/* Opened before the uid drop and executed by fd: the unprivileged uid need not be able
	 * to reach the install directory (a build tree under /root, say). */
	exe = open(path, O_PATH | O_CLOEXEC);
	if (exe < 0)
		child_fail(path);
	if (drop) {
		gid_t g = NOBODY_ID;
		/* Empty the bounding set while CAP_SETPCAP is still held: after the uid change the
		 * worker could no longer do it itself. */
		for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				child_fail("dropping the capability bounding set");
		if (setgroups(1, &g) < 0 && errno != EPERM)
			child_fail("setgroups");
		if (setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0 ||
		    setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0)
			child_fail("dropping to the unprivileged uid");
	}
	argv[argc++] = path;
	for (size_t i = 0; extra_argv != NULL && extra_argv[i] != NULL && argc < 39; i++)
		argv[argc++] = extra_argv[i];
	argv[argc] = NULL;
	syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
	child_fail(path);
}

static void wk_fail(struct broker *b, struct wk *w, const struct berr *failure)
{
	wk_reply_fn fn = w->fn;
	void *arg = w->arg;

	if (!w->pending)
		return;
	w->pending = false;
	w->fn = NULL;
	if (w->to_ev != NULL)
		evtimer_del(w->to_ev);
	fn(b, w, NULL, failure, arg);
}

static void wk_kill(struct wk *w)
{
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
}

/* Copies a worker's own error text into a message for the user, keeping printable characters
 * only: it came from a process that handles hostile input. */
static void sanitize(char *dst, size_t len, const char *src)
{
	size_t j = 0;
	for (size_t i = 0; src[i] != '\0' && j + 1 < len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = (c >= 0x20 && c != 0x7f) ? (char)c : '?';
	}
	dst[j] = '\0';
}

static void handle_one(struct broker *b, struct wk *w)
{
	struct berr e = { 0 };
	cleanup_ipc_msg struct ipc_msg *m = NULL;
	int r = ipc_recv(w->ch, &m, &e);

	if (r == 2)
		return;
	if (r == 1) {
		if (w->pending && !w->eof) {
			/* Almost always the worker died: wait briefly for its exit status, which says
			 * why (a seccomp kill, a crash) far better than the end of the stream does. */
			struct timeval grace = { 2, 0 };
			w->eof = true;
			event_del(w->rd_ev);
			evtimer_del(w->to_ev);
			evtimer_add(w->to_ev, &grace);
			return;
		}
		wk_release(b, w);
		return;
	}
	if (r < 0) {
		/* Fail closed: a worker that breaks protocol is killed and its job fails. */
		berr_wrap(&e, "berth-%s (%s) broke the IPC protocol", w->def->role,
			  w->def->description);
		log_debug("%s", e.msg);
		wk_kill(w);
		wk_fail(b, w, &e);
		wk_release(b, w);
		return;
	}
	if (m->type == MSG_F_PROGRESS && w->pending && m->id == w->req_id &&
	    strcmp(w->def->role, "fetch") == 0) {
		/* Not the reply: a progress report for the display, if anyone shows one. */
		const struct msg_f_progress *pr = m->body;
		if (w->progress != NULL)
			w->progress(b, pr->done, pr->total, w->progress_arg);
		return;
	}
	if (!w->pending || m->id != w->req_id) {
		berr_set(&e, BERR_PROTOCOL, 0, "berth-%s (%s) sent an unsolicited %s message",
			 w->def->role, w->def->description, m->def->name);
		wk_kill(w);
		wk_fail(b, w, &e);
		wk_release(b, w);
		return;
	}
	if (m->type == MSG_ERROR) {
		const struct msg_error *me = m->body;
		char text[IPC_TEXT_MAX + 1];
		int code = me->code > BERR_CODE_MAX || me->code == BERR_OK ? BERR_WORKER
									     : (int)me->code;
		sanitize(text, sizeof(text), me->message);
		berr_set(&e, code, (int)me->sys_errno, "%s", text);
		wk_fail(b, w, &e);
		return;
	}
	w->pending = false;
	evtimer_del(w->to_ev);
	wk_reply_fn fn = w->fn;
	w->fn = NULL;
	fn(b, w, m, NULL, w->arg);
}

/* libevent hands us one pointer; the worker needs its broker too. */
struct wk_cb {
	struct broker *b;
	struct wk *w;
};

static void on_read_cb(evutil_socket_t fd, short what, void *arg);
static void on_timeout_cb(evutil_socket_t fd, short what, void *arg);

struct wk *wk_spawn(struct broker *b, const char *role, char *const *extra_argv,
		    struct berr *e)
{
	return wk_spawn_fds(b, role, extra_argv, NULL, 0, e);
}

struct wk *wk_spawn_fds(struct broker *b, const char *role, char *const *extra_argv,
			const int *fds, size_t nfds, struct berr *e)
{
	const struct wk_role_def *def = wk_role_def(role);
	int sv[2];
	struct wk *w;
	pid_t pid;
	bool drop;

	if (def == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "unknown worker role %s", role), NULL;
	if (nfds > 8)
		return berr_set(e, BERR_INTERNAL, 0, "too many spawn fds"), NULL;
	drop = def->drop_uid && userns_id_mapped(NOBODY_ID);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berr_sys(e, "creating a channel for berth-%s", role), NULL;
	w = calloc(1, sizeof(*w) + sizeof(struct wk_cb));
	if (w == NULL) {
		close(sv[0]);
		close(sv[1]);
		return berr_sys(e, "allocating"), NULL;
	}
	w->def = def;
	w->held = true;
	pid = fork();
	if (pid < 0) {
		berr_sys(e, "starting berth-%s", role);
		close(sv[0]);
		close(sv[1]);
		free(w);
		return NULL;
	}
	if (pid == 0)
		child_exec(b, def, sv[1], extra_argv, fds, nfds, drop);
	close(sv[1]);
	w->pid = pid;
	w->next = b->workers;
	b->workers = w;
	char peer[64];
	snprintf(peer, sizeof(peer), "berth-%s", role);
	w->ch = ipc_chan_new(sv[0], IPC_MAX_MSG_WORKER, peer, e);
	if (w->ch == NULL) {
		wk_kill(w);
		return NULL;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		berr_sys(e, "fcntl");
		wk_kill(w);
		wk_release(b, w);
		return NULL;
	}
	struct wk_cb *cb = (struct wk_cb *)(w + 1);
	cb->b = b;
	cb->w = w;
	w->rd_ev = event_new(b->base, sv[0], EV_READ | EV_PERSIST, on_read_cb, cb);
	w->to_ev = evtimer_new(b->base, on_timeout_cb, cb);
	if (w->rd_ev == NULL || w->to_ev == NULL || event_add(w->rd_ev, NULL) < 0) {
		berr_set(e, BERR_INTERNAL, 0, "cannot watch berth-%s", role);
		wk_kill(w);
		wk_release(b, w);
		return NULL;
	}
	log_debug("started berth-%s (%s) as pid %d%s", role, def->description, (int)pid,
		  drop ? " with the unprivileged uid" : "");
	return w;
}

static void on_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_cb *cb = arg;
	(void)fd;
	(void)what;
	handle_one(cb->b, cb->w);
}

static void on_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_cb *cb = arg;
	struct wk *w = cb->w;
	struct berr e = { 0 };
	(void)fd;
	(void)what;
	if (w->eof)
		berr_set(&e, BERR_WORKER, 0, "berth-%s (%s) closed its channel before answering",
			 w->def->role, w->def->description);
	else
		berr_set(&e, BERR_TIMEOUT, 0, "berth-%s (%s) did not answer within %.1f seconds",
			 w->def->role, w->def->description, w->timeout_ms / 1000.0);
	wk_kill(w);
	wk_fail(cb->b, w, &e);
	wk_release(cb->b, w);
}

int wk_request(struct broker *b, struct wk *w, uint32_t type, const void *body,
	       const int *fds, size_t nfds, int timeout_ms, wk_reply_fn fn, void *arg,
	       struct berr *e)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (w->ch == NULL || w->pending)
		return berr_set(e, BERR_INTERNAL, 0, "berth-%s cannot take a request now",
				w->def->role);
	w->req_id = ++b->next_req_id;
	if (ipc_send(w->ch, type, w->req_id, body, fds, nfds, e) < 0)
		return berr_wrap(e, "sending a request to berth-%s", w->def->role);
	w->pending = true;
	w->fn = fn;
	w->arg = arg;
	w->timeout_ms = timeout_ms;
	if (evtimer_add(w->to_ev, &tv) < 0)
		return berr_set(e, BERR_INTERNAL, 0, "cannot arm a timer");
	return 0;
}

static void wk_unlink_free(struct broker *b, struct wk *w);

static void wk_close(struct wk *w)
{
	if (w->rd_ev != NULL) {
		event_free(w->rd_ev);
		w->rd_ev = NULL;
	}
	if (w->to_ev != NULL) {
		event_free(w->to_ev);
		w->to_ev = NULL;
	}
	ipc_chan_free(w->ch);
	w->ch = NULL;
}

void wk_release(struct broker *b, struct wk *w)
{
	w->held = false;
	wk_close(w);
	/* Reaped while the job still held it: the job is done with it now (unless the release
	 * comes from a callback wk_reap is running, which frees it after). */
	if (w->pid == 0 && !w->reaping)
		wk_unlink_free(b, w);
}

void wk_disown(struct broker *b, struct wk *w)
{
	/* No longer ours: not killed at broker exit; its exit is reaped (and ignored) by the
	 * SIGCHLD loop if the broker is still there, else by whoever inherits it. */
	w->held = false;
	wk_unlink_free(b, w);
}

static void wk_unlink_free(struct broker *b, struct wk *w)
{
	for (struct wk **pp = &b->workers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	wk_close(w);
	free(w);
}

bool wk_reap(struct broker *b, pid_t pid, int status)
{
	struct wk *w;

	for (w = b->workers; w != NULL; w = w->next)
		if (w->pid == pid)
			break;
	if (w == NULL)
		return false;
	w->pid = 0;
	w->reaping = true;
	/* A reply may be queued behind the exit: read it before calling the exit a failure. */
	if (w->pending && w->ch != NULL && !w->eof)
		handle_one(b, w);
	if (w->pending) {
		struct berr e = { 0 };
		char how[160];
		wk_describe_status(status, how, sizeof(how));
		berr_set(&e, BERR_WORKER, 0, "berth-%s (%s) %s before answering", w->def->role,
			 w->def->description, how);
		wk_fail(b, w, &e);
	} else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char how[160];
		wk_describe_status(status, how, sizeof(how));
		log_debug("berth-%s %s", w->def->role, how);
	}
	/* The job that spawned it may still hold the pointer (a wk_call that just failed):
	 * then its wk_release frees it. */
	w->reaping = false;
	if (w->held)
		wk_close(w);
	else
		wk_unlink_free(b, w);
	return true;
}

void wk_kill_all(struct broker *b)
{
	while (b->workers != NULL) {
		struct wk *w = b->workers;
		if (w->pid > 0) {
			int st;
			kill(w->pid, SIGKILL);
			while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		wk_unlink_free(b, w);
	}
}

struct call_state {
	bool done;
	bool failed;
	uint32_t want;
	void *out;
	int *out_fds;
	struct berr err;
};

static void call_cb(struct broker *b, struct wk *w, struct ipc_msg *reply,
		    const struct berr *failure, void *arg)
{
	struct call_state *cs = arg;

	cs->done = true;
	if (failure != NULL) {
		cs->failed = true;
		cs->err = *failure;
		return;
	}
	if (reply->type != cs->want) {
		cs->failed = true;
		berr_set(&cs->err, BERR_PROTOCOL, 0, "berth-%s (%s) sent %s where %s was expected",
			 w->def->role, w->def->description, reply->def->name,
			 ipc_msgdef(cs->want)->name);
		wk_kill(w);
		wk_release(b, w);
		return;
	}
	memcpy(cs->out, reply->body, reply->def->schema->size);
	memset(reply->body, 0, reply->def->schema->size);
	for (size_t i = 0; i < reply->nfds && cs->out_fds != NULL; i++) {
		cs->out_fds[i] = reply->fds[i];
		reply->fds[i] = -1;
	}
}

void wk_loop_once(struct broker *b)
{
	event_base_loop(b->base, EVLOOP_ONCE);
}

int wk_call(struct broker *b, struct wk *w, uint32_t type, const void *body, const int *fds,
	    size_t nfds, int timeout_ms, uint32_t want, void *out, int *out_fds, struct berr *e)
{
	struct call_state cs = { .want = want, .out = out, .out_fds = out_fds };

	if (wk_request(b, w, type, body, fds, nfds, timeout_ms, call_cb, &cs, e) < 0)
		return -1;
	while (!cs.done && !b->stopping)
		wk_loop_once(b);
	if (!cs.done) {
		/* The frontend went away: the worker's job is abandoned with it. */
		wk_kill(w);
		w->pending = false;
		w->fn = NULL;
		return berr_set(e, BERR_INTERNAL, 0, "interrupted");
	}
	if (cs.failed) {
		*e = cs.err;
		return -1;
	}
	return 0;
}

static bool wk_alive(struct broker *b, pid_t pid)
{
	for (struct wk *w = b->workers; w != NULL; w = w->next)
		if (w->pid == pid)
			return true;
	return false;
}

static void finish_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

void wk_finish(struct broker *b, struct wk *w, int timeout_ms)
{
	pid_t pid = w->pid;
	struct timespec start, now;

	if (pid <= 0) {
		wk_release(b, w);
		return;
	}
	wk_release(b, w);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (wk_alive(b, pid)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms > timeout_ms || b->stopping) {
			kill(pid, SIGKILL);
			int st;
			if (waitpid(pid, &st, 0) == pid)
				wk_reap(b, pid, st);
			return;
		}
		/* SIGCHLD wakes the loop; the timer keeps this from waiting forever if it is lost.
		 * Its own event, freed here: an event_base_loopexit() left pending when SIGCHLD
		 * came first would end the broker's main loop later, under the next command of
		 * the same broker (run --pull: the create after the pull). */
		struct timeval tv = { 0, 50000 };
		struct event *tick = evtimer_new(b->base, finish_tick, NULL);
		if (tick == NULL || evtimer_add(tick, &tv) < 0) {
			if (tick != NULL)
				event_free(tick);
			usleep(50000);
			continue;
		}
		event_base_loop(b->base, EVLOOP_ONCE);
		event_free(tick);
	}
}
