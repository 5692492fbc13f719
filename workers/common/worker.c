#include "workers/common/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xio.h"

struct worker {
	const struct worker_role *role;
	struct ipc_chan *chan;           /* owned; fd 3 */
	struct sandbox_report sandbox;
	void *role_state;                /* owned */
	uint32_t state;
};

void *worker_role_state(struct worker *w)
{
	return w->role_state;
}

struct ipc_chan *worker_chan(struct worker *w)
{
	return w->chan;
}

int worker_strv_add(char ***v, size_t *n, const char *s, struct berr *e)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (nv == NULL)
		return berr_sys(e, "allocating");
	*v = nv;
	nv[*n] = strdup(s);
	if (nv[*n] == NULL)
		return berr_sys(e, "allocating");
	(*n)++;
	nv[*n] = NULL;
	return 0;
}

/* Reads the status file through the fd opened before the sandbox: procfs regenerates it on a
 * read at offset 0, so this is the live state with no path lookup at all. */
static int read_status(char *buf, size_t len, struct berr *e)
{
	ssize_t n = pread(WORKER_STATUS_FD, buf, len - 1, 0);
	if (n < 0)
		return berr_sys(e, "reading /proc/self/status");
	buf[n] = '\0';
	return 0;
}

static const char *status_field(const char *buf, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1;
			size_t i = 0;
			while (*v == ' ' || *v == '\t')
				v++;
			while (*v != '\0' && *v != '\n' && *v != '\t' && i + 1 < outlen)
				out[i++] = *v++;
			out[i] = '\0';
			return out;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static uint64_t status_uint(const char *buf, const char *key)
{
	char v[32];
	if (status_field(buf, key, v, sizeof(v)) == NULL)
		return 0;
	return strtoull(v, NULL, 10);
}

/* Landlock state, measured rather than remembered: "/" is in no role's ruleset, so opening it
 * fails with EACCES exactly when a Landlock domain is in force. */
static void landlock_status(const struct worker *w, char *out, size_t len)
{
	int abi = w->sandbox.landlock_abi;

	if (abi <= 0) {
		snprintf(out, len, "not supported by the kernel");
		return;
	}
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		snprintf(out, len, "not enforced (ABI %d available)", abi);
	} else if (errno == EACCES) {
		snprintf(out, len, "enforced (ABI %d)", abi);
	} else {
		snprintf(out, len, "unknown (%s)", strerror(errno));
	}
}

int worker_status_fill(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	char buf[8192];
	char v[64];
	char ll[128];

	if (read_status(buf, sizeof(buf), e) < 0)
		return -1;
	st->role = strdup(w->role->name);
	st->pid = (uint64_t)getpid();
	st->uid = (uint64_t)getuid();
	st->seccomp = status_uint(buf, "Seccomp");
	st->seccomp_filters = status_uint(buf, "Seccomp_filters");
	st->no_new_privs = status_uint(buf, "NoNewPrivs") == 1;
	st->cap_eff = strdup(status_field(buf, "CapEff", v, sizeof(v)) ? v : "");
	st->cap_bnd = strdup(status_field(buf, "CapBnd", v, sizeof(v)) ? v : "");
	landlock_status(w, ll, sizeof(ll));
	st->landlock = strdup(ll);
	if (st->role == NULL || st->cap_eff == NULL || st->cap_bnd == NULL || st->landlock == NULL)
		return berr_sys(e, "allocating");
	return 0;
}

static int handle_info(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct msg_worker_status st = { 0 };
	int r;

	r = worker_status_fill(w, &st, e);
	if (r == 0 && w->role->info != NULL)
		r = w->role->info(w, &st, e);
	if (r == 0)
		r = ipc_send(w->chan, MSG_W_INFO_REPLY, m->id, &st, NULL, 0, e);
	ipc_struct_free(&msg_w_info_reply_schema, &st);
	return r;
}

/* Requests every worker answers. */
static const struct ipc_dispatch common_table[] = {
	{ MSG_W_INFO, false, WS_READY, handle_info },
};

int worker_handle(struct worker *w, struct ipc_msg *m)
{
	struct berr e = { 0 };
	const struct ipc_dispatch *d;

	d = ipc_dispatch_find(common_table, ARRAY_SIZE(common_table), w->state, m, &e);
	if (d == NULL && w->role->table != NULL) {
		berr_clear(&e);
		d = ipc_dispatch_find(w->role->table, w->role->n_table, w->state, m, &e);
	}
	if (d == NULL) {
		/* Unknown or unexpected request: the channel is done (fail closed). */
		log_error("berth-%s: %s", w->role->name, e.msg);
		return -1;
	}
	if (d->handler(w, m, &e) < 0) {
		/* A handler failure is the job's failure, reported to the broker; a failure to
		 * report it means the channel is gone. */
		struct berr e2 = { 0 };
		if (e.code == BERR_PROTOCOL || ipc_send_error(w->chan, m->id, &e, &e2) < 0) {
			log_error("berth-%s: %s", w->role->name, e.msg);
			return -1;
		}
	}
	return 0;
}

static int serve(struct worker *w)
{
	for (;;) {
		struct berr e = { 0 };
		cleanup_ipc_msg struct ipc_msg *m = NULL;
		int r = ipc_recv(w->chan, &m, &e);

		if (r == 1)
			return 0; /* the broker is done with us */
		if (r != 0) {
			log_error("berth-%s: %s", w->role->name, e.msg);
			return 1;
		}
		if (worker_handle(w, m) < 0)
			return 1;
	}
}

static int open_status_fd(struct berr *e)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "open /proc/self/status");
	if (fd != WORKER_STATUS_FD) {
		if (dup3(fd, WORKER_STATUS_FD, O_CLOEXEC) < 0) {
			close(fd);
			return berr_sys(e, "dup3");
		}
		close(fd);
	}
	return 0;
}

static int check_ipc_fd(struct berr *e)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(WORKER_IPC_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET)
		return berr_set(e, BERR_INVALID, 0,
				"this program is part of berth and is started by it, not by hand "
				"(fd %d is not its IPC socket)", WORKER_IPC_FD);
	return 0;
}

static void print_sandbox_status(struct worker *w)
{
	char buf[8192], line[512], v[64], ll[128];
	struct berr e = { 0 };

	if (read_status(buf, sizeof(buf), &e) < 0) {
		log_error("%s", e.msg);
		return;
	}
	landlock_status(w, ll, sizeof(ll));
	snprintf(line, sizeof(line), "Seccomp: %s\nNoNewPrivs: %s\nCapEff: %s\nLandlock: %s\n",
		 status_field(buf, "Seccomp", v, sizeof(v)) ? v : "?",
		 status_field(buf, "NoNewPrivs", v + 16, 16) ? v + 16 : "?",
		 status_field(buf, "CapEff", v + 32, 32) ? v + 32 : "?", ll);
	(void)xwrite_all(STDOUT_FILENO, line, strlen(line), &e);
}

int worker_main(int argc, char **argv, const struct worker_role *role)
{
	struct worker w = { .role = role, .state = WS_READY };
	struct berr e = { 0 };
	const char *try_syscall = NULL;
	bool status_mode = false;
	char prog[48];
	int rc;

	snprintf(prog, sizeof(prog), "berth-%s", role->name);
	log_init(prog, LOG_LVL_WARN);
	if (xensure_stdio(&e) < 0) {
		log_error("%s: %s", prog, e.msg);
		return 1;
	}
	/* A worker never wants SIGPIPE: a vanished broker shows up as an error on the channel. */
	signal(SIGPIPE, SIG_IGN);

	if (argc >= 3 && strcmp(argv[1], "--try-syscall") == 0) {
		try_syscall = argv[2];
		argc -= 2;
		argv += 2;
	} else if (argc >= 2 && strcmp(argv[1], "--sandbox-status") == 0) {
		status_mode = true;
		argc -= 1;
		argv += 1;
	} else if (check_ipc_fd(&e) < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}

	if (open_status_fd(&e) < 0)
		goto fail;
	if (role->role_state_size > 0) {
		w.role_state = calloc(1, role->role_state_size);
		if (w.role_state == NULL) {
			berr_sys(&e, "allocating");
			goto fail;
		}
	}
	if (role->init != NULL && role->init(&w, argc - 1, argv + 1, &e) < 0)
		goto fail;
	if (try_syscall == NULL && !status_mode) {
		w.chan = ipc_chan_new(WORKER_IPC_FD, IPC_MAX_MSG_WORKER, "berth-broker", &e);
		if (w.chan == NULL)
			goto fail;
	}

	/* From here on the process can do only what its policy allows. */
	if (sandbox_enter(role->policy, &w.sandbox, &e) < 0) {
		berr_wrap(&e, "entering the %s sandbox", role->name);
		goto fail;
	}

	if (try_syscall != NULL) {
		rc = sandbox_try_syscall(try_syscall, &e) < 0 ? 2 : 0;
		if (rc != 0)
			log_error("%s: %s", prog, e.msg);
		return rc;
	}
	if (status_mode) {
		print_sandbox_status(&w);
		return 0;
	}
	rc = role->serve != NULL ? role->serve(&w) : serve(&w);
	ipc_chan_free(w.chan);
	free(w.role_state);
	return rc;
fail:
	log_error("%s: %s", prog, e.msg);
	ipc_chan_free(w.chan);
	free(w.role_state);
	return 1;
}
