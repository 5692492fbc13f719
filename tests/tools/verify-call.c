/* verify-call: drives the real, sandboxed berth-verify over IPC the way the broker does, for
 * tests/integration/verify.bats. Never installed.
 *
 *   BERTH_TOP=<build tree> verify-call [--media-type MT] manifest FILE
 *                                      config FILE
 *                                      [--media-type MT] sigattach FILE ...
 *
 * Starts $BERTH_TOP/libexec/berth/berth-verify as broker/wk.c does: fork + exec by fd, a clean
 * environment, the SOCK_SEQPACKET channel at fd 3, /dev/null on fds 0 and 1, stderr inherited,
 * every other fd closed, and (when run as root) the capability bounding set emptied and uid/gid
 * 65534, as rootful berth runs its verify worker. Then it sends one request per FILE, in order,
 * on the same worker (MSG_V_MANIFEST and MSG_V_SIGATTACH with the --media-type given just
 * before it, default ""; MSG_V_CONFIG), each with the file opened read-only as fds[0], and prints each reply as
 * `key=value` lines (control characters as \xNN, a backslash doubled), or `error: MESSAGE`
 * for an error reply. With more than one request each block starts with `== N KIND FILE`.
 *
 * Then it closes the channel, as the broker does when it is done, waits for the worker and
 * prints `worker-exit=0` when it exited with status 0.
 *
 * Exit status: 0 all replies were results; 1 at least one error reply; 2 the worker died or
 * exited non-zero (`died: <how>` is printed); 3 the worker broke protocol; 64 usage. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"

#define WORKER_FD 3
#define NOBODY_ID 65534
#define TIMEOUT_SECONDS 60

struct request {
	bool config;            /* MSG_V_CONFIG, else MSG_V_MANIFEST (or:) */
	bool sigattach;         /* MSG_V_SIGATTACH */
	const char *media_type; /* claim for a manifest */
	const char *file;
};

static void usage(void)
{
	fprintf(stderr, "usage: BERTH_TOP=DIR verify-call [--media-type MT] manifest FILE | "
		"config FILE | [--media-type MT] sigattach FILE ...\n");
	exit(64);
}

/* ---------------------------------------------------------------- printing */

static void put_value(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static void kv(const char *key, const char *val)
{
	if (val == NULL)
		return;
	printf("%s=", key);
	put_value(val);
	putchar('\n');
}

static void kv_strv(const char *key, char **v, size_t n)
{
	char k[64];

	if (v == NULL)
		return;
	printf("%s=%zu\n", key, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		kv(k, v[i]);
	}
}

static void print_desc(const char *key, const struct msg_descriptor *d)
{
	char k[96];

	snprintf(k, sizeof(k), "%s.media_type", key);
	kv(k, d->media_type);
	snprintf(k, sizeof(k), "%s.digest", key);
	kv(k, d->digest);
	printf("%s.size=%" PRIu64 "\n", key, d->size);
	if (d->os != NULL) {
		printf("%s.platform=", key);
		put_value(d->os);
		putchar('/');
		put_value(d->architecture != NULL ? d->architecture : "");
		if (d->variant != NULL) {
			putchar('/');
			put_value(d->variant);
		}
		putchar('\n');
	}
}

static void print_manifest(const struct msg_v_manifest_reply *r)
{
	char k[64];

	printf("kind=%s\n", r->kind == MANIFEST_INDEX ? "index" : "image");
	kv("media_type", r->media_type);
	printf("schema_version=%" PRIu64 "\n", r->schema_version);
	if (r->n_config > 0)
		print_desc("config", &r->config[0]);
	if (r->kind == MANIFEST_IMAGE)
		printf("layers=%zu\n", r->n_layers);
	for (size_t i = 0; i < r->n_layers; i++) {
		snprintf(k, sizeof(k), "layers[%zu]", i);
		print_desc(k, &r->layers[i]);
	}
	if (r->kind == MANIFEST_INDEX)
		printf("manifests=%zu\n", r->n_manifests);
	for (size_t i = 0; i < r->n_manifests; i++) {
		snprintf(k, sizeof(k), "manifests[%zu]", i);
		print_desc(k, &r->manifests[i]);
	}
}

static void print_config(const struct msg_v_config_reply *r)
{
	char k[64];

	kv("architecture", r->architecture);
	kv("os", r->os);
	kv("variant", r->variant);
	kv("created", r->created);
	kv("author", r->author);
	kv_strv("diff_ids", r->diff_ids, r->n_diff_ids);
	kv_strv("env", r->env, r->n_env);
	kv_strv("cmd", r->cmd, r->n_cmd);
	kv_strv("entrypoint", r->entrypoint, r->n_entrypoint);
	kv("working_dir", r->working_dir);
	kv("user", r->user);
	kv("stop_signal", r->stop_signal);
	kv_strv("labels", r->labels, r->n_labels);
	kv_strv("exposed_ports", r->exposed_ports, r->n_exposed_ports);
	kv_strv("volumes", r->volumes, r->n_volumes);
	if (r->history != NULL)
		printf("history=%zu\n", r->n_history);
	for (size_t i = 0; i < r->n_history; i++) {
		snprintf(k, sizeof(k), "history[%zu].created", i);
		kv(k, r->history[i].created);
		snprintf(k, sizeof(k), "history[%zu].created_by", i);
		kv(k, r->history[i].created_by);
		snprintf(k, sizeof(k), "history[%zu].comment", i);
		kv(k, r->history[i].comment);
		if (r->history[i].empty_layer)
			printf("history[%zu].empty_layer=true\n", i);
	}
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, len, "killed by signal %d (SIGSYS: its sandbox stopped a forbidden "
			 "system call)", SIGSYS);
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", (unsigned)status);
}

/* ---------------------------------------------------------------- the worker */

/* In the child between fork and exec: what broker/wk.c child_exec() does. */
static void child_exec(const char *path, int sock)
{
	char *const argv[] = { (char *)path, NULL };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	sigset_t all;
	int devnull, exe;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (sock == WORKER_FD) {
		if (fcntl(sock, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(sock, WORKER_FD) < 0) {
		_exit(127);
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(127);
	if (syscall(SYS_close_range, WORKER_FD + 1, ~0U, 0U) < 0)
		_exit(127);
	exe = open(path, O_PATH | O_CLOEXEC);
	if (exe < 0)
		_exit(127);
	if (geteuid() == 0) {
		gid_t g = NOBODY_ID;

		for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				_exit(127);
		if (setgroups(1, &g) < 0 || setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0 ||
		    setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0)
			_exit(127);
	}
	syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
	_exit(127);
}

static pid_t spawn(const char *top, struct ipc_chan **ch)
{
	char path[4096];
	struct berr e;
	int sv[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/libexec/berth/berth-verify", top);
	if (access(path, X_OK) < 0) {
		fprintf(stderr, "verify-call: %s: %s\n", path, strerror(errno));
		exit(64);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("verify-call: socketpair");
		exit(64);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("verify-call: fork");
		exit(64);
	}
	if (pid == 0)
		child_exec(path, sv[1]);
	close(sv[1]);
	*ch = ipc_chan_new(sv[0], IPC_MAX_MSG_WORKER, "berth-verify", &e);
	if (*ch == NULL) {
		fprintf(stderr, "verify-call: %s\n", e.msg);
		exit(64);
	}
	return pid;
}

static int reap(pid_t pid, bool report_ok)
{
	char how[160];
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("verify-call: waitpid");
			return 2;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (report_ok)
			printf("worker-exit=0\n");
		return 0;
	}
	describe_status(status, how, sizeof(how));
	printf("died: %s\n", how);
	return 2;
}

static void print_sigattach(const struct msg_v_sigattach_reply *r)
{
	printf("sig_layers=%zu\n", r->n_layers);
	for (size_t i = 0; i < r->n_layers; i++) {
		const struct msg_sigattach_layer *l = &r->layers[i];

		printf("sig_layers[%zu].media_type=", i);
		put_value(l->media_type);
		printf("\nsig_layers[%zu].digest=", i);
		put_value(l->digest);
		printf("\nsig_layers[%zu].size=%" PRIu64 "\n", i, l->size);
		printf("sig_layers[%zu].signature=", i);
		put_value(l->signature != NULL ? l->signature : "");
		printf("\nsig_layers[%zu].certificate=%d bundle=%d\n", i, l->has_certificate,
		       l->has_bundle);
		for (size_t j = 0; j < l->n_annotations; j++) {
			printf("sig_layers[%zu].annotations[", i);
			put_value(l->annotations[j].key);
			printf("]=");
			put_value(l->annotations[j].value);
			printf("\n");
		}
	}
	printf("sig_unkept=");
	put_value(r->unkept != NULL ? r->unkept : "");
	printf("\n");
}

/* Sends one request and prints its reply. Returns 0 (result), 1 (error reply), 2 (the worker
 * went away), 3 (protocol violation). */
static int call(struct ipc_chan *ch, const struct request *rq, uint64_t id)
{
	struct msg_v_manifest mreq = { (char *)(rq->media_type != NULL ? rq->media_type : "") };
	struct msg_v_config creq = { false };
	struct msg_v_sigattach sreq = { mreq.media_type };
	uint32_t want = rq->config ? MSG_V_CONFIG_REPLY : rq->sigattach ? MSG_V_SIGATTACH_REPLY :
		MSG_V_MANIFEST_REPLY;
	cleanup_ipc_msg struct ipc_msg *m = NULL;
	cleanup_close int fd = -1;
	struct berr e;
	int r;

	fd = open(rq->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "verify-call: %s: %s\n", rq->file, strerror(errno));
		exit(64);
	}
	if (rq->config)
		r = ipc_send(ch, MSG_V_CONFIG, id, &creq, &fd, 1, &e);
	else if (rq->sigattach)
		r = ipc_send(ch, MSG_V_SIGATTACH, id, &sreq, &fd, 1, &e);
	else
		r = ipc_send(ch, MSG_V_MANIFEST, id, &mreq, &fd, 1, &e);
	if (r < 0) {
		printf("send failed: %s\n", e.msg);
		return 2;
	}
	r = ipc_recv(ch, &m, &e);
	if (r == 1)
		return 2;
	if (r != 0) {
		printf("protocol: %s\n", e.msg);
		return 3;
	}
	if (m->id != id) {
		printf("protocol: reply id %" PRIu64 ", request id %" PRIu64 "\n", m->id, id);
		return 3;
	}
	if (m->type == MSG_ERROR) {
		const struct msg_error *err = m->body;

		printf("error: ");
		put_value(err->message);
		putchar('\n');
		return 1;
	}
	if (m->type != want) {
		printf("protocol: unexpected reply %s\n", m->def->name);
		return 3;
	}
	if (rq->config)
		print_config(m->body);
	else if (rq->sigattach)
		print_sigattach(m->body);
	else
		print_manifest(m->body);
	return 0;
}

int main(int argc, char **argv)
{
	struct request *rqs = calloc((size_t)argc, sizeof(*rqs));
	struct ipc_chan *ch = NULL;
	const char *top = getenv("BERTH_TOP");
	const char *mt = NULL;
	size_t n = 0;
	int worst = 0;
	pid_t pid;

	if (rqs == NULL)
		return 64;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--media-type") == 0 && i + 1 < argc) {
			mt = argv[++i];
		} else if ((strcmp(argv[i], "manifest") == 0 || strcmp(argv[i], "config") == 0 ||
			    strcmp(argv[i], "sigattach") == 0) && i + 1 < argc) {
			rqs[n].config = argv[i][0] == 'c';
			rqs[n].sigattach = argv[i][0] == 's';
			rqs[n].media_type = mt;
			rqs[n].file = argv[++i];
			mt = NULL;
			n++;
		} else {
			usage();
		}
	}
	if (n == 0 || top == NULL || top[0] != '/')
		usage();
	/* A wedged worker must fail the test, not hang it. */
	alarm(TIMEOUT_SECONDS);
	signal(SIGPIPE, SIG_IGN);

	pid = spawn(top, &ch);
	for (size_t i = 0; i < n; i++) {
		int r;

		if (n > 1)
			printf("== %zu %s %s\n", i, rqs[i].config ? "config" : rqs[i].sigattach ?
			       "sigattach" : "manifest", rqs[i].file);
		r = call(ch, &rqs[i], 100 + i);
		if (r > worst)
			worst = r;
		if (r >= 2)
			break;
	}
	/* Done, as the broker is: the worker reads the end of the stream and exits 0. */
	ipc_chan_free(ch);
	if (worst == 3)
		kill(pid, SIGKILL);
	if (reap(pid, worst < 2) != 0 && worst < 2)
		worst = 2;
	free(rqs);
	fflush(stdout);
	return worst;
}
