/* berth-broker: one per command. Started by the frontend (fork + exec, clean environment, the
 * channel at fd 3), it reads MSG_HELLO, enters the user's namespace when rootless, opens the
 * store, then serves the frontend's one command from its dispatch table in a libevent loop,
 * with workers' channels, SIGCHLD and per-request timeouts in the same loop. It exits when the
 * frontend closes the channel. It listens on nothing.
 *
 * Why each frontend request is safe to serve:
 *  - HELLO: paths must be absolute and clean, and the broker acts only as the user (rootless:
 *    uid 0 in the user's own namespace; rootful: the user is root already).
 *  - INFO: reads host facts and starts sandboxed workers; it returns no secret.
 *  - UNSHARE: runs the user's own command in the user's own namespace (refused rootful).
 *  - TRUST_SHOW: reads policy.json and registries.d, the configuration the broker trusts
 *    anyway; a path the frontend names is opened with the user's own rights (rootless: in
 *    the user's namespace; rootful: the user is root), and only regular files are read.
 *  - TRUST_SET: rewrites that policy.json with the same rights, only ever with a policy the
 *    parser accepts (what the user could write by hand).
 *  - SAVE: reads the user's own store into an fd the frontend opened as the user; the broker
 *    opens no path the user named, so a rootful broker writes nothing the user could not. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "broker/broker.h"
#include "broker/db.h"
#include "broker/imagecmds.h"
#include "broker/info.h"
#include "broker/lifecycle.h"
#include "broker/login.h"
#include "broker/import.h"
#include "broker/load.h"
#include "broker/pull.h"
#include "broker/run.h"
#include "broker/imagesign.h"
#include "broker/push.h"
#include "broker/save.h"
#include "broker/store.h"
#include "broker/trustcmd.h"
#include "broker/unshare.h"
#include "broker/userns.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/xio.h"
#include "ipc/dispatch.h"

static int copy_path(char *dst, size_t len, const char *src, const char *what, struct berr *e)
{
	if (!path_is_clean_abs(src))
		return berr_set(e, BERR_INVALID, 0, "%s must be a clean absolute path, not \"%s\"",
				what, src);
	if (snprintf(dst, len, "%s", src) >= (int)len)
		return berr_set(e, BERR_INVALID, 0, "%s is too long", what);
	return 0;
}

static int handle_hello(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_hello *h = m->body;
	struct msg_hello_ok ok = { 0 };

	if (h->protocol != BERTH_PROTOCOL_VERSION)
		return berr_set(e, BERR_PROTOCOL, 0, "berth and berth-broker come from different "
				"builds (protocol %u, expected %u): reinstall berth",
				(unsigned)h->protocol, BERTH_PROTOCOL_VERSION);
	if (copy_path(b->cfg.root, sizeof(b->cfg.root), h->root, "--root", e) < 0 ||
	    copy_path(b->cfg.runroot, sizeof(b->cfg.runroot), h->runroot, "--runroot", e) < 0 ||
	    copy_path(b->cfg.tmpdir, sizeof(b->cfg.tmpdir), h->tmpdir, "the runtime directory",
		      e) < 0)
		return -1;
	/* Where the user's own configuration lives. A variable that is not a clean absolute path
	 * is ignored, as if unset: it only ever names the user's own files. */
	if (h->home != NULL && path_is_clean_abs(h->home))
		snprintf(b->cfg.home, sizeof(b->cfg.home), "%s", h->home);
	if (h->config_home != NULL && path_is_clean_abs(h->config_home))
		snprintf(b->cfg.config_home, sizeof(b->cfg.config_home), "%s", h->config_home);
	if (b->cfg.config_home[0] == '\0' && b->cfg.home[0] != '\0') {
		size_t hl = strlen(b->cfg.home);
		if (hl + sizeof("/.config") <= sizeof(b->cfg.config_home)) {
			memcpy(b->cfg.config_home, b->cfg.home, hl);
			memcpy(b->cfg.config_home + hl, "/.config", sizeof("/.config"));
		}
	}
	if (h->registries_conf != NULL && path_is_clean_abs(h->registries_conf))
		snprintf(b->cfg.registries_conf, sizeof(b->cfg.registries_conf), "%s",
			 h->registries_conf);
	if (h->containers_conf != NULL && path_is_clean_abs(h->containers_conf))
		snprintf(b->cfg.containers_conf, sizeof(b->cfg.containers_conf), "%s",
			 h->containers_conf);
	if (h->runtime != NULL &&
	    snprintf(b->cfg.runtime, sizeof(b->cfg.runtime), "%s", h->runtime) >=
		    (int)sizeof(b->cfg.runtime))
		return berr_set(e, BERR_INVALID, 0, "--runtime is too long");
	b->cfg.log_level = (int)h->log_level;
	log_init("berth-broker", b->cfg.log_level);

	if (b->cfg.rootless && userns_enter(&b->cfg, &b->pause_pid, e) < 0)
		return -1;
	if (store_open(b, e) < 0)
		return -1;
	ok.rootless = b->cfg.rootless;
	ok.broker_pid = (uint64_t)getpid();
	if (ipc_send(b->front, MSG_HELLO_OK, m->id, &ok, NULL, 0, e) < 0)
		return -1;
	b->state = BS_READY;
	return 0;
}

static int handle_info(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;

	b->state = BS_BUSY;
	if (broker_info_start(b, m->id, e) < 0) {
		broker_reply_error(b, m->id, e);
		broker_command_done(b);
	}
	return 0;
}

static int handle_unshare(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;

	b->state = BS_BUSY;
	if (broker_unshare_start(b, m, e) < 0) {
		broker_reply_error(b, m->id, e);
		broker_command_done(b);
	}
	return 0;
}

static int defer_msg(struct broker *b, struct ipc_msg *m,
		     int (*fn)(struct broker *, struct ipc_msg *, struct berr *), struct berr *e)
{
	struct ipc_msg *copy = calloc(1, sizeof(*copy));

	if (copy == NULL)
		return berr_sys(e, "allocating");
	/* The pull runs as straight-line code once this loop pass is over: it takes the
	 * message (the caller frees only the empty shell). */
	*copy = *m;
	m->body = NULL;
	m->nfds = 0;
	m->def = NULL;
	b->state = BS_BUSY;
	broker_defer(b, fn, copy);
	return 0;
}

static int handle_pull(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_pull, e);
}

static int handle_push(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_push, e);
}

static int handle_image_sign(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_image_sign, e);
}

static int handle_load(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_load, e);
}

static int handle_import(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_import, e);
}

static int handle_save(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_save, e);
}

static int handle_create(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_create, e);
}

static int handle_start(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_run, e);
}

static int handle_csignal(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_csignal, e);
}

static int handle_cwait(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_cwait, e);
}

static int handle_logs(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_logs, e);
}

static int handle_exec(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_exec, e);
}

static int handle_cprune(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_cprune, e);
}

static int handle_attach(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_attach, e);
}

static int crm_deferred(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	return broker_crm(b, m, e);
}

/* rm -f of a running container waits for its monitor: a straight-line command. */
static int handle_crm(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, crm_deferred, e);
}

static int handle_login(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_login, e);
}

/* trust show asks berth-verify for the user IDs of the policy's GPG keys. */
static int handle_trust_show(void *ctx, struct ipc_msg *m, struct berr *e)
{
	return defer_msg(ctx, m, broker_trust_show, e);
}
/* The frontend's requests. One command per broker at a time: nothing is accepted while busy.
 * Image requests are the user's own store: names are checked and normalised here. */
static const struct ipc_dispatch front_table[] = {
	{ MSG_HELLO, false, BS_HELLO, handle_hello },
	{ MSG_INFO, false, BS_READY, handle_info },
	{ MSG_UNSHARE, true, BS_READY, handle_unshare },
	{ MSG_PULL, false, BS_READY, handle_pull },
	{ MSG_PUSH, false, BS_READY, handle_push },
	/* The output the frontend opened as the user; written by berth-unpack. */
	{ MSG_SAVE, true, BS_READY, handle_save },
	{ MSG_LOGIN, false, BS_READY, handle_login },
	{ MSG_LOAD, true, BS_READY, handle_load },
	{ MSG_IMPORT, true, BS_READY, handle_import },
	{ MSG_CREATE, false, BS_READY, handle_create },
	{ MSG_START, true, BS_READY, handle_start },
	/* Running containers, through their monitors. */
	{ MSG_CSIGNAL, false, BS_READY, handle_csignal },
	{ MSG_CWAIT, false, BS_READY, handle_cwait },
	{ MSG_LOGS, false, BS_READY, handle_logs },
	/* Attached: the frontend's stdin, stdout and stderr, handed to the process. */
	{ MSG_EXEC, true, BS_READY, handle_exec },
	{ MSG_CPRUNE, false, BS_READY, handle_cprune },
	{ MSG_ATTACH, false, BS_READY, handle_attach },
	{ MSG_PS, false, BS_READY, broker_ps },
	{ MSG_CRM, false, BS_READY, handle_crm },
	{ MSG_CINSPECT, false, BS_READY, broker_cinspect },
	{ MSG_LOGOUT, false, BS_READY, broker_logout },
	{ MSG_IMAGES, false, BS_READY, imagecmd_images },
	{ MSG_IMAGE_INSPECT, false, BS_READY, imagecmd_inspect },
	{ MSG_TAG, false, BS_READY, imagecmd_tag },
	{ MSG_UNTAG, false, BS_READY, imagecmd_untag },
	{ MSG_RMI, false, BS_READY, imagecmd_rmi },
	{ MSG_TRUST_SHOW, false, BS_READY, handle_trust_show },
	{ MSG_TRUST_SET, false, BS_READY, broker_trust_set },
	{ MSG_IMAGE_SIGN, false, BS_READY, handle_image_sign },
};

static void on_front(evutil_socket_t fd, short what, void *arg)
{
	struct broker *b = arg;
	struct berr e = { 0 };
	cleanup_ipc_msg struct ipc_msg *m = NULL;
	const struct ipc_dispatch *d;
	int r;

	(void)fd;
	(void)what;
	r = ipc_recv(b->front, &m, &e);
	if (r == 2)
		return;
	if (r == 1) {
		broker_stop(b, 0); /* the frontend's command is done */
		return;
	}
	if (r < 0) {
		log_error("%s", e.msg);
		broker_stop(b, 1);
		return;
	}
	d = ipc_dispatch_find(front_table, ARRAY_SIZE(front_table), b->state, m, &e);
	if (d == NULL) {
		/* Out of order or unknown: the channel is done. */
		log_error("%s", e.msg);
		broker_stop(b, 1);
		return;
	}
	if (d->handler(b, m, &e) < 0) {
		broker_reply_error(b, m->id, &e);
		if (b->state == BS_HELLO)
			broker_stop(b, 1); /* nothing else can follow a failed hello */
	}
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct broker *b = arg;
	int status;
	pid_t pid;

	(void)sig;
	(void)what;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (wk_reap(b, pid, status) || broker_unshare_reap(b, pid, status))
			continue;
		log_debug("reaped pid %d", (int)pid);
	}
}

static int find_libexec(struct broker *b, struct berr *e)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return berr_sys(e, "readlink /proc/self/exe");
	exe[n] = '\0';
	snprintf(b->cfg.libexec, sizeof(b->cfg.libexec), "%s", dirname(exe));
	return 0;
}

/* `berth-broker --cleanup ID --root R --runroot RR --tmpdir T [--rootless]`: run by a detached
 * container's monitor (its cleanup child, workers/launch/monitor.h) once the container has
 * ended and no berth command may be running: opening the store runs the scan that records
 * the exit, unmounts the root and removes an --rm container. Already inside the user's
 * namespace when rootless (the monitor was started there). It is no entry to privilege: a
 * user can run it by hand only with the rights they already have. */
static int cleanup_main(int argc, char **argv)
{
	struct broker b = { .state = BS_HELLO };
	struct berr e = { 0 };
	const char *id = argc > 2 ? argv[2] : "";

	for (int i = 3; i < argc; i++) {
		char *slot = NULL;
		size_t len = 0;
		if (strcmp(argv[i], "--rootless") == 0) {
			b.cfg.rootless = true;
			continue;
		}
		if (strcmp(argv[i], "--root") == 0)
			slot = b.cfg.root, len = sizeof(b.cfg.root);
		else if (strcmp(argv[i], "--runroot") == 0)
			slot = b.cfg.runroot, len = sizeof(b.cfg.runroot);
		else if (strcmp(argv[i], "--tmpdir") == 0)
			slot = b.cfg.tmpdir, len = sizeof(b.cfg.tmpdir);
		if (slot == NULL || i + 1 >= argc || !path_is_clean_abs(argv[i + 1]) ||
		    snprintf(slot, len, "%s", argv[i + 1]) >= (int)len) {
			fprintf(stderr, "Error: berth-broker --cleanup: bad argument %s\n", argv[i]);
			return 125;
		}
		i++;
	}
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64 || b.cfg.root[0] == '\0' ||
	    b.cfg.runroot[0] == '\0') {
		fprintf(stderr, "Error: berth-broker --cleanup needs a container ID, --root and "
			"--runroot\n");
		return 125;
	}
	b.cfg.host_uid = getuid();
	b.cfg.host_gid = getgid();
	if (store_open(&b, &e) < 0) {
		log_error("cleaning up container %.12s: %s", id, e.msg);
		db_close(b.db);
		return 125;
	}
	db_close(b.db);
	return 0;
}

int main(int argc, char **argv)
{
	struct broker b = { .state = BS_HELLO };
	struct berr e = { 0 };
	struct rlimit core = { 0, 0 };
	int type = 0;
	socklen_t len = sizeof(type);

	log_init("berth-broker", LOG_LVL_WARN);
	if (xensure_stdio(&e) < 0)
		return 1;
	if (argc >= 2 && strcmp(argv[1], "--cleanup") == 0)
		return cleanup_main(argc, argv);
	if (argc != 1 || getsockopt(BROKER_FRONT_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET) {
		fprintf(stderr, "Error: berth-broker is started by berth, not by hand\n");
		return 125;
	}
	/* The broker will hold credentials and the store: no core dumps of it. */
	setrlimit(RLIMIT_CORE, &core);
	prctl(PR_SET_DUMPABLE, 0);
	/* The terminal's ^C reaches the whole foreground group; the frontend decides what it
	 * means, and the broker notices the frontend going away. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	b.cfg.rootless = geteuid() != 0;
	b.cfg.host_uid = getuid();
	b.cfg.host_gid = getgid();
	if (find_libexec(&b, &e) < 0)
		goto fail;
	b.front = ipc_chan_new(BROKER_FRONT_FD, IPC_MAX_MSG_FRONTEND, "berth", &e);
	if (b.front == NULL)
		goto fail;

	/* The hello comes first, read blocking: it must be handled before the event loop starts
	 * any thread-like machinery, since joining a user namespace needs a single thread. */
	{
		cleanup_ipc_msg struct ipc_msg *m = NULL;
		const struct ipc_dispatch *d;
		int r = ipc_recv(b.front, &m, &e);
		if (r == 1)
			return 0;
		if (r != 0)
			goto fail;
		d = ipc_dispatch_find(front_table, ARRAY_SIZE(front_table), b.state, m, &e);
		if (d == NULL)
			goto fail;
		if (d->handler(&b, m, &e) < 0) {
			broker_reply_error(&b, m->id, &e);
			ipc_chan_free(b.front);
			db_close(b.db);
			return 125;
		}
	}

	if (fcntl(BROKER_FRONT_FD, F_SETFL, O_NONBLOCK) < 0) {
		berr_sys(&e, "fcntl");
		goto fail;
	}
	b.base = event_base_new();
	if (b.base == NULL) {
		berr_set(&e, BERR_INTERNAL, 0, "cannot start the event loop");
		goto fail;
	}
	b.front_ev = event_new(b.base, BROKER_FRONT_FD, EV_READ | EV_PERSIST, on_front, &b);
	b.sigchld_ev = evsignal_new(b.base, SIGCHLD, on_sigchld, &b);
	if (b.front_ev == NULL || b.sigchld_ev == NULL || event_add(b.front_ev, NULL) < 0 ||
	    event_add(b.sigchld_ev, NULL) < 0) {
		berr_set(&e, BERR_INTERNAL, 0, "cannot watch the frontend channel");
		goto fail;
	}
	for (;;) {
		event_base_dispatch(b.base);
		if (b.stopping || b.deferred == NULL)
			break;
		/* A straight-line command: it drives the loop itself until it is done. */
		int (*fn)(struct broker *, struct ipc_msg *, struct berr *) = b.deferred;
		struct ipc_msg *m = b.deferred_msg;
		b.deferred = NULL;
		b.deferred_msg = NULL;
		berr_clear(&e);
		if (fn(&b, m, &e) < 0 && !b.stopping)
			broker_reply_error(&b, m->id, &e);
		ipc_msg_free(m);
		broker_command_done(&b);
	}

	wk_kill_all(&b);
	broker_info_abort(&b);
	if (b.unshare != NULL)
		free(b.unshare);
	struct rusage ru;
	/* For `make bench`: the broker's own peak memory, without its workers. */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_debug("peak RSS of berth-broker: %ld kB", ru.ru_maxrss);
	event_free(b.front_ev);
	event_free(b.sigchld_ev);
	event_base_free(b.base);
	ipc_chan_free(b.front);
	db_close(b.db);
	return b.exit_code;
fail:
	log_error("%s", e.msg);
	if (b.front != NULL)
		ipc_chan_free(b.front);
	return 1;
}
