/* Containers after start: stop, kill, wait, logs, exec, prune, and removing a running one.
 * Everything that acts on a running container goes through its monitor (berth-launch), which
 * is reached without any listening socket: the broker takes a copy of the monitor's control
 * socket with pidfd_getfd(2) (LAUNCH_CTL_FD) and hands it a fresh socketpair. See
 * lifecycle.h. */
#include "broker/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "broker/containers.h"
#include "broker/ctruser.h"
#include "broker/locks.h"
#include "broker/run.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define LC_FOREVER (-1)
/* After SIGKILL a container is gone within moments; past this something is badly wrong. */
#define LC_KILL_WAIT_MS (30 * 1000)

/* ---------------------------------------------------------------- signals */

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT },   { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT },   { "IOT", SIGIOT },     { "BUS", SIGBUS },
	{ "FPE", SIGFPE },   { "KILL", SIGKILL },   { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },   { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },   { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO },     { "POLL", SIGPOLL },   { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

int lc_parse_signal(const char *s, int *sig, struct berr *e)
{
	const char *name = s;
	char *end;
	long v;

	if (s == NULL || s[0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "invalid signal: empty");
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end == '\0' && errno == 0) {
		if (v < 1 || v > 64)
			return berr_set(e, BERR_INVALID, 0, "invalid signal: %s", s);
		*sig = (int)v;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(name, signals[i].name) == 0) {
			*sig = signals[i].sig;
			return 0;
		}
	if (strncasecmp(name, "RTMIN+", 6) == 0 || strncasecmp(name, "RTMAX-", 6) == 0) {
		v = strtol(name + 6, &end, 10);
		if (*end == '\0' && v >= 0 && v <= SIGRTMAX - SIGRTMIN) {
			*sig = name[5] == '+' ? SIGRTMIN + (int)v : SIGRTMAX - (int)v;
			return 0;
		}
	}
	return berr_set(e, BERR_INVALID, 0, "invalid signal: %s", s);
}

/* ---------------------------------------------------------------- the monitor */

/* How long a monitor that refused pidfd_getfd may take to be seen exiting. */
#define LC_EXITING_MS 2000

/* pidfd_getfd failed: a monitor that was exiting meanwhile (it held the lock a moment ago)
 * fails it with ESRCH, or EBADF once its fds are closed. Gone when its pidfd reports the exit
 * within LC_EXITING_MS; a live monitor (EPERM, say) is an error, never "exited", which would
 * wait for the lock it holds. */
static bool monitor_exited(int pidfd, int err)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (err != ESRCH && err != EBADF)
		return false;
	while (poll(&p, 1, LC_EXITING_MS) < 0)
		if (errno != EINTR)
			return false;
	return (p.revents & POLLIN) != 0;
}

/* A channel to the container's monitor, or NULL: with *gone when the container is not
 * running (no monitor holds its lock, or it exited while being reached), else an error. */
static struct ipc_chan *mon_connect(struct broker *b, const struct ctr_record *c, bool *gone,
				    struct berr *e)
{
	cleanup_close int pidfd = -1, ctl = -1, lk = -1;
	int type = 0, sv[2];
	socklen_t len = sizeof(type);
	struct ipc_chan *tmp, *ch;
	struct msg_l_connect req = { 0 };

	*gone = false;
	if (c->state != CTR_RUNNING || c->pid <= 1) {
		*gone = true;
		return NULL;
	}
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)c->pid, 0);
	if (pidfd < 0 && errno != ESRCH) {
		berr_sys(e, "container %s: reaching its monitor (pid %lld)", c->name,
			 (long long)c->pid);
		return NULL;
	}
	/* The monitor holds the container's lock for as long as it lives: taken after the pidfd,
	 * a lock still held means the pidfd is the live monitor's, not a recycled pid's. */
	lk = lock_object(b->cfg.root, "container", c->id, true, e);
	if (lk >= 0 || pidfd < 0) {
		*gone = lk >= 0 || pidfd < 0;
		berr_clear(e);
		return NULL;
	}
	if (lk != -2)
		return NULL;
	berr_clear(e);
	ctl = (int)syscall(SYS_pidfd_getfd, pidfd, LAUNCH_CTL_FD, 0);
	if (ctl < 0 && errno == ESRCH) {
		/* It is exiting: its fds are gone, and the lock goes with their last close a
		 * moment later. */
		for (int i = 0; i < 100 && lk == -2; i++) {
			berr_clear(e);
			lk = lock_object(b->cfg.root, "container", c->id, true, e);
			if (lk == -2)
				usleep(10 * 1000);
		}
		if (lk >= 0) {
			*gone = true;
			return NULL;
		}
		berr_clear(e);
		errno = ESRCH;
	}
	if (ctl < 0) {
		int err = errno;
		if (monitor_exited(pidfd, err)) {
			*gone = true;
			return NULL;
		}
		errno = err;
		berr_sys(e, "container %s: reaching its monitor (pid %lld)", c->name,
			 (long long)c->pid);
		return NULL;
	}
	if (getsockopt(ctl, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
		berr_set(e, BERR_PROTOCOL, 0, "container %s: pid %lld is not its monitor", c->name,
			 (long long)c->pid);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		berr_sys(e, "socketpair");
		return NULL;
	}
	tmp = ipc_chan_new(TAKE_FD(ctl), IPC_MAX_MSG_WORKER, "the container's monitor", e);
	if (tmp == NULL || ipc_send(tmp, MSG_L_CONNECT, 0, &req, &sv[1], 1, e) < 0) {
		ipc_chan_free(tmp);
		close(sv[0]);
		close(sv[1]);
		/* Its end of the control socket closed as it exited: gone, not an error. */
		if (tmp != NULL && monitor_exited(pidfd, ESRCH)) {
			berr_clear(e);
			*gone = true;
		}
		return NULL;
	}
	ipc_chan_free(tmp);
	close(sv[1]);
	ch = ipc_chan_new(sv[0], IPC_MAX_MSG_WORKER, "the container's monitor", e);
	return ch;
}

/* One request to the monitor and its reply (moved into out, a zeroed struct of want's
 * schema). Returns 0, 1 when timeout_ms passed first (LC_FOREVER: none), or -1; *ended is set
 * when the monitor went away without answering (the container ended, or it was killed). A
 * frontend that goes away (the user pressed ^C) ends the wait too. */
/* With tick: no timeout; tick(arg) runs every LC_TICK_MS while waiting (-1 from it ends the
 * call). */
#define LC_TICK_MS 250
static int mon_call_tick(struct broker *b, struct ipc_chan *ch, uint32_t type, const void *body,
			 int timeout_ms, uint32_t want, void *out, bool *ended,
			 int (*tick)(void *arg, struct berr *e), void *arg, struct berr *e)
{
	static uint64_t next_id = 1;
	uint64_t id = next_id++;

	*ended = false;
	if (ipc_send(ch, type, id, body, NULL, 0, e) < 0) {
		*ended = true;
		return -1;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = ipc_chan_fd(ch), .events = POLLIN },
				       { .fd = ipc_chan_fd(b->front), .events = POLLIN } };
		cleanup_ipc_msg struct ipc_msg *m = NULL;
		int r = poll(p, 2, tick != NULL ? LC_TICK_MS : timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berr_sys(e, "poll");
		if (r == 0 && tick != NULL) {
			if (tick(arg, e) < 0)
				return -1;
			continue;
		}
		if (r == 0)
			return 1;
		if (p[1].revents != 0) {
			/* Nothing comes from the frontend mid-command but its end. */
			b->stopping = true;
			return berr_set(e, BERR_INTERNAL, 0, "the berth command went away");
		}
		r = ipc_recv(ch, &m, e);
		if (r == 2)
			continue;
		if (r != 0) {
			*ended = true;
			return r == 1 ? berr_set(e, BERR_INTERNAL, 0, "the container's monitor "
						 "exited") : -1;
		}
		if (m->id < id)
			continue; /* the answer to a request given up on (a stop's first wait) */
		if (m->id != id)
			return berr_set(e, BERR_PROTOCOL, 0, "the container's monitor answered a "
					"request it was not asked");
		if (m->type == MSG_ERROR) {
			const struct msg_error *err = m->body;
			return berr_set(e, (enum berr_code)err->code, (int)err->sys_errno, "%s",
					err->message);
		}
		if (m->type != want)
			return berr_set(e, BERR_PROTOCOL, 0, "the container's monitor answered "
					"with message type %u", (unsigned)m->type);
		memcpy(out, m->body, m->def->schema->size);
		free(m->body);
		m->body = NULL;
		return 0;
	}
}

static int mon_call(struct broker *b, struct ipc_chan *ch, uint32_t type, const void *body,
		    int timeout_ms, uint32_t want, void *out, bool *ended, struct berr *e)
{
	return mon_call_tick(b, ch, type, body, timeout_ms, want, out, ended, NULL, NULL, e);
}

/* After the monitor is gone (or has answered a wait): its lock, then the container's end
 * recorded here rather than left to the monitor's cleanup child, so the command's caller sees
 * the final state. */
static int finish_after_exit(struct broker *b, const char *id, struct berr *e)
{
	int lk = lock_object(b->cfg.root, "container", id, false, e);
	int rc;

	if (lk < 0)
		return -1;
	rc = ctr_finish(b->db, b->cfg.root, b->cfg.runroot, id, lk, e);
	close(lk);
	return rc;
}

/* Waits until the container has exited; 1 when timeout_ms passed first. */
static int wait_exit(struct broker *b, struct ipc_chan *ch, const char *id, int timeout_ms,
		     struct berr *e)
{
	struct msg_l_wait req = { 0 };
	struct msg_l_wait_reply rep = { 0 };
	bool ended;
	int r = mon_call(b, ch, MSG_L_WAIT, &req, timeout_ms, MSG_L_WAIT_REPLY, &rep, &ended, e);

	if (r == 1)
		return 1;
	if (r < 0 && !ended)
		return -1;
	berr_clear(e);
	return finish_after_exit(b, id, e);
}

static int send_signal(struct broker *b, struct ipc_chan *ch, int sig, bool *ended,
		       struct berr *e)
{
	struct msg_l_kill req = { .signal = sig };
	struct msg_ok ok = { 0 };

	return mon_call(b, ch, MSG_L_KILL, &req, LC_KILL_WAIT_MS, MSG_OK, &ok, ended, e) == 0
		       ? 0
		       : -1;
}

/* The container's stop signal (config.json's annotation, from --stop-signal or the image) and
 * stop timeout (--stop-timeout). */
static void stop_defaults(struct broker *b, const struct ctr_record *c, int *sig, int *timeout)
{
	static const char *const none[] = { NULL };
	struct msg_create cr = { 0 };
	char path[4500];
	cleanup_free char *text = NULL;
	size_t len;
	struct berr e;

	*sig = SIGTERM;
	*timeout = 10;
	if (ipc_decode_struct(&msg_create_schema, c->config, c->config_len, none, &cr, &e) == 0) {
		if (cr.stop_timeout > 0 && cr.stop_timeout < 1000000)
			*timeout = (int)cr.stop_timeout;
		ipc_struct_free(&msg_create_schema, &cr);
	}
	ctr_path(b->cfg.root, c->id, "userdata/config.json", path, sizeof(path));
	if (xread_file_at(AT_FDCWD, path, 16u << 20, &text, &len, &e) == 0) {
		json_t *spec = json_loads(text, 0, NULL);
		const char *s = json_string_value(json_object_get(
			json_object_get(spec, "annotations"), "org.opencontainers.image.stopSignal"));
		if (s != NULL)
			(void)lc_parse_signal(s, sig, &e);
		json_decref(spec);
	}
}

int lc_stop(struct broker *b, const struct ctr_record *c, int sig, int timeout_s,
	    struct berr *e)
{
	bool gone, ended;
	struct ipc_chan *ch = mon_connect(b, c, &gone, e);
	int rc = -1, r;

	if (ch == NULL) {
		if (!gone)
			return -1;
		/* Marked running but its monitor is gone: record that now. */
		int lk = lock_object(b->cfg.root, "container", c->id, true, e);
		if (lk < 0)
			return lk == -2 ? 0 : -1;
		rc = ctr_finish(b->db, b->cfg.root, b->cfg.runroot, c->id, lk, e);
		close(lk);
		return rc;
	}
	if (send_signal(b, ch, sig, &ended, e) < 0 && !ended) {
		/* "not running": it ended meanwhile */
		if (e->code != BERR_INVALID)
			goto out;
	}
	berr_clear(e);
	r = sig == SIGKILL ? wait_exit(b, ch, c->id, LC_KILL_WAIT_MS, e)
			   : wait_exit(b, ch, c->id, timeout_s * 1000, e);
	if (r == 1 && sig != SIGKILL) {
		const char *abbrev = sigabbrev_np(sig);
		log_warn("StopSignal SIG%s failed to stop container %s in %d seconds, resorting to "
			 "SIGKILL", abbrev != NULL ? abbrev : "?", c->name, timeout_s);
		if (send_signal(b, ch, SIGKILL, &ended, e) < 0 && !ended && e->code != BERR_INVALID)
			goto out;
		berr_clear(e);
		r = wait_exit(b, ch, c->id, LC_KILL_WAIT_MS, e);
	}
	if (r == 1)
		berr_set(e, BERR_INTERNAL, 0, "container %s did not exit after SIGKILL", c->name);
	rc = r == 0 ? 0 : -1;
out:
	ipc_chan_free(ch);
	return rc;
}

/* ---------------------------------------------------------------- stop, kill */

int broker_csignal(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_csignal *req = m->body;
	struct msg_csignal_reply r = { 0 };
	struct msg_ps_reply all = { 0 };
	int sig = SIGKILL, rc = -1;

	if (req->signal != NULL && lc_parse_signal(req->signal, &sig, e) < 0)
		return -1;
	if (req->all && ctr_list(b->db, false, &all, e) < 0)
		return -1;
	r.done = calloc(1, sizeof(char *));
	if (r.done == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	size_t n = req->all ? all.n_containers : req->n_names;
	for (size_t i = 0; i < n; i++) {
		const char *name = req->all ? all.containers[i].id : req->names[i];
		struct ctr_record c;
		char id[65];
		if (ctr_lookup(b->db, name, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
			goto out;
		if (req->stop) {
			int s, t;
			stop_defaults(b, &c, &s, &t);
			if (req->signal != NULL)
				s = sig;
			if (req->timeout >= 0)
				t = req->timeout > 1000000 ? 1000000 : (int)req->timeout;
			rc = c.state == CTR_RUNNING ? lc_stop(b, &c, s, t, e) : 0;
		} else {
			bool gone, ended;
			struct ipc_chan *ch = mon_connect(b, &c, &gone, e);
			rc = -1;
			if (ch == NULL && gone)
				berr_set(e, BERR_INVALID, 0, "can only kill running containers. %s "
					 "is in state %s: container state improper", c.id,
					 c.state == CTR_RUNNING ? "stopped"
								: ctr_state_name(c.state));
			else if (ch != NULL)
				rc = send_signal(b, ch, sig, &ended, e);
			ipc_chan_free(ch);
		}
		ctr_record_free(&c);
		if (rc < 0)
			goto out;
		rc = -1;
		if (run_strv_add(&r.done, &r.n_done, name) < 0) {
			berr_sys(e, "allocating");
			goto out;
		}
	}
	rc = ipc_send(b->front, MSG_CSIGNAL_REPLY, m->id, &r, NULL, 0, e);
out:
	ipc_struct_free(&msg_csignal_reply_schema, &r);
	ipc_struct_free(&msg_ps_reply_schema, &all);
	return rc;
}

/* ---------------------------------------------------------------- wait */

/* Podman's conditions that name a state berth's containers are never in. */
static const char *const never_conditions[] = { "paused", "healthy", "unhealthy", "stopping",
						"initialized", "restarting" };

/* wait --condition running|created|configured|removing: the state another command puts the
 * container in, looked for every LC_TICK_MS until it holds (want: a state, or -1 for the
 * record's removal), or the berth command goes away. */
static int wait_state(struct broker *b, const char *id, const char *name, int want,
		      int64_t *code, struct berr *e)
{
	for (;;) {
		struct ctr_record c;
		struct pollfd p = { .fd = ipc_chan_fd(b->front), .events = POLLIN };

		if (ctr_get(b->db, id, &c, e) < 0) {
			if (e->code != BERR_NOTFOUND || want >= 0)
				return e->code == BERR_NOTFOUND
					       ? berr_set(e, BERR_NOTFOUND, 0, "container %s was "
							  "removed", name)
					       : -1;
			berr_clear(e);
			return 0;
		}
		bool hit = want >= 0 && (int)c.state == want;
		*code = c.exit_code;
		ctr_record_free(&c);
		if (hit)
			return 0;
		if (poll(&p, 1, LC_TICK_MS) > 0) {
			b->stopping = true;
			return berr_set(e, BERR_INTERNAL, 0, "the berth command went away");
		}
	}
}

int broker_cwait(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_cwait *req = m->body;
	const char *cond = req->condition;
	struct ctr_record c;
	char id[65];
	int rc = -1;

	for (size_t i = 0; cond != NULL && i < ARRAY_SIZE(never_conditions); i++)
		if (strcmp(cond, never_conditions[i]) == 0)
			return berr_set(e, BERR_INVALID, 0, "condition \"%s\": berth's containers "
					"are never %s (no pause, no health checks)", cond, cond);
	if (cond != NULL && strcmp(cond, "stopped") != 0 && strcmp(cond, "exited") != 0 &&
	    strcmp(cond, "running") != 0 && strcmp(cond, "created") != 0 &&
	    strcmp(cond, "configured") != 0 && strcmp(cond, "removing") != 0)
		return berr_set(e, BERR_INVALID, 0, "invalid condition \"%s\": berth waits for "
				"running, stopped, exited, created, configured or removing", cond);
	if (ctr_lookup(b->db, req->container, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
		return -1;
	if (cond != NULL && strcmp(cond, "stopped") != 0 && strcmp(cond, "exited") != 0) {
		/* As Podman: -1 once it runs or is created (no exit code yet); the last exit
		 * code once it is removed. */
		int want = strcmp(cond, "running") == 0 ? CTR_RUNNING :
			   strcmp(cond, "removing") == 0 ? -1 : CTR_CREATED;
		int64_t code = 0;
		char name[256];
		snprintf(name, sizeof(name), "%s", c.name);
		ctr_record_free(&c);
		if (wait_state(b, id, name, want, &code, e) < 0)
			return -1;
		struct msg_start_done d = { .exit_code = want == -1 ? code : -1 };
		return ipc_send(b->front, MSG_START_DONE, m->id, &d, NULL, 0, e);
	}
	if (c.state == CTR_RUNNING) {
		bool gone;
		struct ipc_chan *ch = mon_connect(b, &c, &gone, e);
		if (ch == NULL && !gone)
			goto out;
		if (ch != NULL) {
			rc = wait_exit(b, ch, id, LC_FOREVER, e);
			ipc_chan_free(ch);
		} else {
			rc = finish_after_exit(b, id, e);
		}
		if (rc < 0)
			goto out;
		rc = -1;
		ctr_record_free(&c);
		if (ctr_get(b->db, id, &c, e) < 0) {
			/* --rm: gone with its record; Podman then answers from the event log. */
			struct msg_start_done d = { .exit_code = 0 };
			return ipc_send(b->front, MSG_START_DONE, m->id, &d, NULL, 0, e);
		}
	}
	struct msg_start_done d = { .exit_code = c.exit_code };
	rc = ipc_send(b->front, MSG_START_DONE, m->id, &d, NULL, 0, e);
out:
	ctr_record_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- attach */

/* The frontend gets a channel to the monitor, already attached, and talks to it directly: the
 * output does not pass through this broker, which is done at once. */
int broker_attach(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	static const char *const none[] = { NULL };
	const struct msg_attach *req = m->body;
	struct msg_create cr = { 0 };
	struct msg_l_attach at = { 0 };
	struct msg_ok ok = { 0 };
	struct ctr_record c;
	struct ipc_chan *ch;
	char id[65];
	bool gone, ended;
	int rc = -1;

	if (ctr_lookup(b->db, req->container, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
		return -1;
	ch = mon_connect(b, &c, &gone, e);
	if (ch == NULL) {
		if (gone)
			berr_set(e, BERR_INVALID, 0, "you can only attach to running containers");
		goto out;
	}
	if (mon_call(b, ch, MSG_L_ATTACH, &at, LC_KILL_WAIT_MS, MSG_OK, &ok, &ended, e) < 0)
		goto out;
	if (ipc_decode_struct(&msg_create_schema, c.config, c.config_len, none, &cr, e) < 0)
		goto out;
	struct msg_attach_reply r = { .tty = cr.tty, .interactive = cr.interactive && !req->no_stdin };
	int fd = ipc_chan_fd(ch);
	rc = ipc_send(b->front, MSG_ATTACH_REPLY, m->id, &r, &fd, 1, e);
	ipc_struct_free(&msg_create_schema, &cr);
out:
	ipc_chan_free(ch);
	ctr_record_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- logs */

struct log_follow {
	struct broker *b;
	uint64_t msg_id;
	char path[4500];
	ino_t ino;
};

/* logs -f: when the monitor has rotated the log, the new ctr.log goes to the frontend (which
 * reads the old one to its end first). */
static int log_rotated(void *arg, struct berr *e)
{
	struct log_follow *lf = arg;
	struct stat st;
	int fd, rc;

	if (stat(lf->path, &st) < 0 || st.st_ino == lf->ino)
		return 0;
	fd = open(lf->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	lf->ino = st.st_ino;
	struct msg_logs_reply r = { .running = true };
	rc = ipc_send(lf->b->front, MSG_LOGS_REPLY, lf->msg_id, &r, &fd, 1, e);
	close(fd);
	return rc;
}

int broker_logs(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_logs *req = m->body;
	struct ctr_record c;
	char id[65], path[4500];
	int fds[2];
	size_t n = 0;
	ino_t cur_ino = 0;
	int rc = -1;

	if (ctr_lookup(b->db, req->container, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
		return -1;
	/* Opened here, read by the frontend: the log is the container's output, which the user
	 * may read, and the frontend parses it with no privilege. */
	for (size_t i = 0; i < 2; i++) {
		ctr_path(b->cfg.root, id, i == 0 ? "userdata/ctr.log.1" : "userdata/ctr.log", path,
			 sizeof(path));
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0 && i == 1 && fstat(fd, &st) == 0)
			cur_ino = st.st_ino;
		if (fd >= 0)
			fds[n++] = fd;
	}
	struct msg_logs_reply r = { .running = req->follow && c.state == CTR_RUNNING };
	rc = ipc_send(b->front, MSG_LOGS_REPLY, m->id, &r, fds, n, e);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	if (rc == 0 && r.running) {
		bool gone, ended;
		struct ipc_chan *ch = mon_connect(b, &c, &gone, e);
		if (ch != NULL) {
			/* While it runs, a rotation of the log (a new ctr.log) is handed on. */
			struct log_follow lf = { .b = b, .msg_id = m->id };
			struct msg_l_wait wq = { 0 };
			struct msg_l_wait_reply wr = { 0 };
			ctr_path(b->cfg.root, id, "userdata/ctr.log", lf.path, sizeof(lf.path));
			lf.ino = cur_ino;
			rc = mon_call_tick(b, ch, MSG_L_WAIT, &wq, LC_FOREVER, MSG_L_WAIT_REPLY, &wr,
					   &ended, log_rotated, &lf, e);
			if (rc == 0 || ended) {
				/* A rotation in the last moments goes on before the end. */
				berr_clear(e);
				rc = log_rotated(&lf, e);
				if (rc == 0)
					rc = finish_after_exit(b, id, e);
			}
			ipc_chan_free(ch);
		} else if (!gone) {
			rc = -1;
		}
		if (rc == 0) {
			struct msg_logs_reply d = { .done = true };
			rc = ipc_send(b->front, MSG_LOGS_REPLY, m->id, &d, NULL, 0, e);
		}
	}
	ctr_record_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- exec */

/* The exec'd process: the container's own process object with the request's command, env,
 * user and working directory. */
static json_t *exec_process(struct broker *b, const struct msg_exec *req, const char *text,
			    const char *rootfs, int user_tty, struct berr *e)
{
	struct winsize ws = { 0 };
	json_t *spec = json_loads(text, 0, NULL), *proc, *env, *args;
	struct ctr_user user;
	bool have_user = false;

	proc = json_deep_copy(json_object_get(spec, "process"));
	json_decref(spec);
	if (proc == NULL || (env = json_object_get(proc, "env")) == NULL ||
	    (args = json_array()) == NULL) {
		json_decref(proc);
		berr_set(e, BERR_INTERNAL, 0, "the container's config.json has no process");
		return NULL;
	}
	for (size_t i = 0; i < req->n_args; i++)
		json_array_append_new(args, json_string(req->args[i]));
	json_object_set_new(proc, "args", args);
	json_object_set_new(proc, "terminal", json_boolean(req->tty));
	json_object_del(proc, "consoleSize");
	/* -t: the terminal starts at the size of the user's (the runtime sets it before the
	 * process runs; berth-launch follows it from then on). */
	if (req->tty && user_tty >= 0 && ioctl(user_tty, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		json_object_set_new(proc, "consoleSize",
				    json_pack("{s:i,s:i}", "height", (int)ws.ws_row, "width",
					      (int)ws.ws_col));
	if (req->tty) {
		/* As for run -t: TERM where the container's own environment has none. */
		json_t *v;
		size_t j;
		bool have = false;
		json_array_foreach(env, j, v) {
			const char *s = json_string_value(v);
			have = have || (s != NULL && strncmp(s, "TERM=", 5) == 0);
		}
		if (!have)
			json_array_append_new(env, json_string("TERM=xterm"));
	}
	for (size_t i = 0; i < req->n_env; i++) {
		const char *kv = req->env[i], *eq = strchr(kv, '=');
		char *set = NULL;
		if (eq == NULL) {
			/* -e NAME: the user's own value, when they have one. */
			size_t kl = strlen(kv);
			for (size_t j = 0; j < req->n_host_env; j++)
				if (strncmp(req->host_env[j], kv, kl) == 0 &&
				    req->host_env[j][kl] == '=')
					set = strdup(req->host_env[j]);
			if (set == NULL)
				continue;
		} else {
			set = strdup(kv);
		}
		if (set == NULL)
			goto nomem;
		size_t kl = (size_t)(strchr(set, '=') - set), j;
		json_t *v;
		json_array_foreach(env, j, v) {
			const char *s = json_string_value(v);
			if (s != NULL && strncmp(s, set, kl + 1) == 0) {
				json_array_remove(env, j);
				break;
			}
		}
		json_array_append_new(env, json_string(set));
		free(set);
	}
	if (req->workdir != NULL) {
		if (req->workdir[0] != '/') {
			json_decref(proc);
			berr_set(e, BERR_INVALID, 0, "workdir %s must be an absolute path",
				 req->workdir);
			return NULL;
		}
		json_object_set_new(proc, "cwd", json_string(req->workdir));
	}
	if (req->user != NULL) {
		if (ctr_user_numeric(req->user)) {
			if (ctr_user_parse_numeric(req->user, &user.uid, &user.gid, e) < 0) {
				json_decref(proc);
				return NULL;
			}
			user.n_groups = 0;
		} else if (ctr_user_resolve(b, rootfs, req->user, &user, e) < 0) {
			json_decref(proc);
			return NULL;
		}
		have_user = true;
		json_t *u = json_object();
		json_t *g = json_array();
		json_object_set_new(u, "uid", json_integer(user.uid));
		json_object_set_new(u, "gid", json_integer(user.gid));
		for (size_t i = 0; i < user.n_groups; i++)
			json_array_append_new(g, json_integer(user.groups[i]));
		json_object_set_new(u, "additionalGids", g);
		json_object_set_new(proc, "user", u);
	}
	json_t *caps = json_object_get(proc, "capabilities");
	if (req->privileged && caps != NULL) {
		/* Every capability the container may have at all (its bounding set). */
		json_t *bnd = json_object_get(caps, "bounding");
		json_object_set(caps, "effective", bnd);
		json_object_set(caps, "permitted", bnd);
	} else if (have_user && user.uid != 0 && caps != NULL) {
		/* A non-root user gets no effective capabilities, as in the container itself. */
		json_object_set_new(caps, "effective", json_array());
		json_object_set_new(caps, "permitted", json_array());
	}
	return proc;
nomem:
	json_decref(proc);
	berr_sys(e, "allocating");
	return NULL;
}

int broker_exec(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_exec *req = m->body;
	bool attach = !req->detach;
	struct ctr_record c;
	char id[65], userdata[4400], rootfs[4400], rtroot[4300], procfile[4500], hex[17];
	char console[4400];
	char errmsg[1024] = "";
	uint8_t rnd[8];
	cleanup_free char *config = NULL, *ptext = NULL, *ctext = NULL;
	cleanup_close int devnull = -1, lk = -1;
	size_t clen;
	json_t *proc = NULL, *wrap = NULL;
	int64_t code = 0;
	int rc = -1;

	if (attach != (m->nfds == 3))
		return berr_set(e, BERR_PROTOCOL, 0, "an attached exec carries the three stdio fds");
	if (ctr_lookup(b->db, req->container, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
		return -1;
	lk = lock_object(b->cfg.root, "container", id, true, e);
	if (c.state != CTR_RUNNING || lk >= 0) {
		berr_set(e, BERR_INVALID, 0, "can only create exec sessions on running containers: "
			 "container state improper");
		goto out;
	}
	berr_clear(e);
	ctr_path(b->cfg.root, id, "userdata", userdata, sizeof(userdata));
	ctr_path(b->cfg.root, id, "merged", rootfs, sizeof(rootfs));
	snprintf(rtroot, sizeof(rtroot), "%s/runtime", b->cfg.runroot);
	snprintf(procfile, sizeof(procfile), "%s/config.json", userdata);
	if (xread_file_at(AT_FDCWD, procfile, 16u << 20, &config, &clen, e) < 0)
		goto out;
	proc = exec_process(b, req, config, rootfs, attach ? m->fds[1] : -1, e);
	if (proc == NULL)
		goto out;
	wrap = json_object();
	json_object_set(wrap, "process", proc);
	ptext = json_dumps(proc, JSON_COMPACT);
	ctext = json_dumps(wrap, JSON_COMPACT);
	if (ptext == NULL || ctext == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		berr_sys(e, "getrandom");
		goto out;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(procfile, sizeof(procfile), "%s/exec-%s.json", userdata, hex);
	if (write_file_atomic(procfile, ptext, strlen(ptext), 0600, e) < 0)
		goto out;
	if (run_check_exec(rootfs, ctext, &code, errmsg, sizeof(errmsg)) < 0)
		goto out_unlink;
	if (code == 0) {
		/* -t: the runtime sends the terminal to a socket there (a short path). */
		snprintf(console, sizeof(console), "%s/exits/x%s.sock", b->cfg.runroot, hex);
		char *argv[] = { (char *)"--exec", c.runtime, (char *)"--runtime-root", rtroot,
				 (char *)"--id", id, (char *)"--process", procfile, NULL, NULL,
				 NULL, NULL };
		size_t n = 8;
		if (req->tty && !req->detach) {
			argv[n++] = (char *)"--console";
			argv[n++] = console;
		}
		if (req->detach)
			argv[n++] = (char *)"--detach";
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0) {
			berr_sys(e, "opening /dev/null");
			goto out_unlink;
		}
		int fds[3] = { attach && req->interactive ? m->fds[0] : devnull,
			       attach ? m->fds[1] : devnull, attach ? m->fds[2] : devnull };
		struct wk *w = wk_spawn_fds(b, "launch", argv, fds, 3, e);
		if (w == NULL)
			goto out_unlink;
		struct msg_l_wait wreq = { 0 };
		struct msg_l_wait_reply rep = { 0 };
		rc = wk_call(b, w, MSG_L_WAIT, &wreq, NULL, 0, INT32_MAX, MSG_L_WAIT_REPLY, &rep,
			     NULL, e);
		wk_release(b, w);
		if (rc < 0)
			goto out_unlink;
		rc = -1;
		if (rep.exit_code < 0 || rep.exit_code > 255) {
			berr_set(e, BERR_PROTOCOL, 0, "berth-launch reported an impossible exit "
				 "status");
			goto out_unlink;
		}
		code = rep.exit_code;
	}
	struct msg_start_done d = { .exit_code = code, .error = errmsg[0] ? errmsg : NULL };
	rc = ipc_send(b->front, MSG_START_DONE, m->id, &d, NULL, 0, e);
out_unlink:
	(void)unlink(procfile);
out:
	json_decref(proc);
	json_decref(wrap);
	ctr_record_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- prune */

int broker_cprune(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	struct msg_ps_reply all = { 0 };
	struct msg_crm_reply r = { 0 };
	int rc = -1;

	r.removed = calloc(1, sizeof(char *));
	r.missing = calloc(1, sizeof(char *));
	if (r.removed == NULL || r.missing == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	if (ctr_list(b->db, true, &all, e) < 0)
		goto out;
	for (size_t i = 0; i < all.n_containers; i++) {
		const char *id = all.containers[i].id;
		struct berr e2 = { 0 };
		if (strcmp(all.containers[i].state, "running") == 0)
			continue;
		/* Not one a start is bringing up right now. */
		int lk = lock_object(b->cfg.root, "container", id, true, &e2);
		if (lk < 0)
			continue;
		rc = ctr_delete(b->db, id, e) < 0 || ctr_remove_dirs(b->cfg.root, id, e) < 0 ||
				     run_strv_add(&r.removed, &r.n_removed, id) < 0
			     ? -1
			     : 0;
		close(lk);
		if (rc < 0)
			goto out;
	}
	rc = ipc_send(b->front, MSG_CRM_REPLY, m->id, &r, NULL, 0, e);
out:
	ipc_struct_free(&msg_crm_reply_schema, &r);
	ipc_struct_free(&msg_ps_reply_schema, &all);
	return rc;
}
