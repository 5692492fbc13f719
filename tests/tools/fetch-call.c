/* fetch-call: drives the real, sandboxed berth-fetch over IPC the way the broker does, for
 * tests/integration/fetch.bats. Never installed.
 *
 *   BERTH_TOP=<build tree> fetch-call --registry HOST[:PORT] --repo REPO
 *       (--manifest REF | --blob DIGEST) --out FILE
 *       [--accept MEDIA-TYPE]... [--ca FILE] [--cert FILE --key FILE] [--user U --password P]
 *       [--tls-verify=false] [--plain-http] [--head] [--max-size N] [--repeat N]
 *   BERTH_TOP=<build tree> fetch-call --registry HOST[:PORT] --repo REPO
 *       (--put-blob FILE --digest D [--mount-from REPO]
 *        | --put-manifest FILE --reference TAG-OR-DIGEST --media-type T)
 *       [--ca FILE] [--cert FILE --key FILE] [--user U --password P] [--tls-verify=false]
 *       [--plain-http] [--size N] [--writable] [--repeat N]
 *
 * Starts $BERTH_TOP/libexec/berth/berth-fetch as broker/wk.c does: fork + exec by fd (opened
 * O_PATH, executed with execveat(AT_EMPTY_PATH)), a clean environment (PATH only), the
 * SOCK_SEQPACKET channel at fd 3, /dev/null on fds 0 and 1, stderr inherited, every other fd
 * closed, and (when run as root) the capability bounding set emptied and uid/gid 65534, as
 * rootful berth runs its fetch worker. It opens FILE itself (created or truncated, as the
 * broker opens a temporary file in its store) and sends it as fds[0] of MSG_F_GET, then the
 * --ca file, then the --cert and --key files (a client certificate and its key), each when
 * given. Without --accept, a manifest request accepts the OCI and Docker v2
 * manifest and index types. --max-size defaults to 4 MiB for manifests and 1 GiB for blobs.
 * --repeat N sends the same request N times to the same worker (FILE truncated before each),
 * which is how the token cache is exercised. --drop-last-fd sends one fd fewer than the
 * request's has_ca and has_client_cert announce, to test the worker's check.
 *
 * --put-blob and --put-manifest send MSG_F_PUT instead, with FILE opened read-only as fds[0]
 * (as the broker passes a blob of its store) and its size as the request's size; --size N
 * claims another size and --writable opens FILE read-write, to test the worker's checks.
 *
 * Prints for each reply `status=N media_type=MT digest=D size=N` (uploads: `status=N
 * existed=true|false digest=D`), or `error: MESSAGE` for an error reply (control characters
 * as \xNN). Then it closes the channel, as the broker does
 * when it is done, waits for the worker and prints `worker-exit=0`, or `died: <how>`.
 *
 * Exit status: 0 every reply was a result; 1 an error reply; 2 the worker died or exited
 * non-zero; 3 the worker broke protocol; 64 usage. */
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"

#define WORKER_FD 3
#define NOBODY_ID 65534
#define TIMEOUT_SECONDS 180
#define MAX_ACCEPT 16

static const char *const default_accept[] = {
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
};

static void usage(void)
{
	fprintf(stderr,
		"usage: BERTH_TOP=DIR fetch-call --registry HOST[:PORT] --repo REPO "
		"(--manifest REF | --blob DIGEST) --out FILE [--accept MT]... [--ca FILE] "
		"[--cert FILE --key FILE] [--user U --password P] [--tls-verify=false] "
		"[--plain-http] [--head] [--max-size N] [--repeat N]\n"
		"       BERTH_TOP=DIR fetch-call --registry HOST[:PORT] --repo REPO "
		"(--put-blob FILE --digest D [--mount-from REPO] | --put-manifest FILE "
		"--reference REF --media-type T) [--ca FILE] [--cert FILE --key FILE] "
		"[--user U --password P] [--tls-verify=false] [--plain-http] [--size N] "
		"[--writable] [--repeat N]\n");
	exit(64);
}

/* The files given with --ca, --cert and --key, each NULL when not given. */
struct tls_files {
	const char *ca;
	const char *cert;
	const char *key;
	bool drop_last;     /* --drop-last-fd */
};

/* Opens the TLS files after fds[0], in the order berth-fetch expects them (CA, certificate,
 * key), into fds and owned (closed by the caller). Returns the number of fds in all. */
static size_t open_tls(const struct tls_files *t, int fds[4], int owned[3])
{
	const char *files[3] = { t->ca, t->cert, t->key };
	size_t n = 1;

	for (size_t i = 0; i < 3; i++) {
		owned[i] = -1;
		if (files[i] == NULL)
			continue;
		owned[i] = open(files[i], O_RDONLY | O_CLOEXEC);
		if (owned[i] < 0) {
			fprintf(stderr, "fetch-call: %s: %s\n", files[i], strerror(errno));
			exit(64);
		}
		fds[n++] = owned[i];
	}
	return t->drop_last ? n - 1 : n;
}

static void close_tls(int owned[3])
{
	for (size_t i = 0; i < 3; i++)
		if (owned[i] >= 0)
			close(owned[i]);
}

static void put_value(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
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
	signal(SIGALRM, SIG_DFL);
	alarm(0);
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
	/* Opened before the uid drop and executed by fd, as the broker does. */
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

	snprintf(path, sizeof(path), "%s/libexec/berth/berth-fetch", top);
	if (access(path, X_OK) < 0) {
		fprintf(stderr, "fetch-call: %s: %s\n", path, strerror(errno));
		exit(64);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("fetch-call: socketpair");
		exit(64);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fetch-call: fork");
		exit(64);
	}
	if (pid == 0)
		child_exec(path, sv[1]);
	close(sv[1]);
	*ch = ipc_chan_new(sv[0], IPC_MAX_MSG_WORKER, "berth-fetch", &e);
	if (*ch == NULL) {
		fprintf(stderr, "fetch-call: %s\n", e.msg);
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
			perror("fetch-call: waitpid");
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

/* Sends the request once and prints its reply. Returns 0 (result), 1 (error reply), 2 (the
 * worker went away), 3 (protocol violation). */
static int call(struct ipc_chan *ch, const struct msg_f_get *q, const char *out,
		const struct tls_files *tls, uint64_t id)
{
	cleanup_ipc_msg struct ipc_msg *m = NULL;
	cleanup_close int ofd = -1;
	int fds[4], owned[3];
	size_t nfds;
	struct berr e;
	int r;

	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0) {
		fprintf(stderr, "fetch-call: %s: %s\n", out, strerror(errno));
		exit(64);
	}
	fds[0] = ofd;
	nfds = open_tls(tls, fds, owned);
	r = ipc_send(ch, MSG_F_GET, id, q, fds, nfds, &e);
	close_tls(owned);
	if (r < 0) {
		printf("send failed: %s\n", e.msg);
		return 2;
	}
	/* Progress reports of a download come first, with the request's id; the broker shows
	 * them, this tool only checks them: bytes never go back and never pass the limit. */
	uint64_t last_done = 0;
	for (;;) {
		r = ipc_recv(ch, &m, &e);
		if (r != 0 || m->type != MSG_F_PROGRESS)
			break;
		const struct msg_f_progress *pr = m->body;
		if (m->id != id || pr->done < last_done || pr->done > q->max_size) {
			printf("protocol: bad progress report\n");
			return 3;
		}
		last_done = pr->done;
		ipc_msg_free(m);
		m = NULL;
	}
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
		printf("\n");
		return 1;
	}
	if (m->type != MSG_F_GET_REPLY) {
		printf("protocol: unexpected reply %s\n", m->def->name);
		return 3;
	}
	const struct msg_f_get_reply *rep = m->body;
	printf("status=%" PRIu64 " media_type=", rep->http_status);
	put_value(rep->media_type);
	printf(" digest=");
	put_value(rep->digest);
	printf(" size=%" PRIu64 "\n", rep->size);
	return 0;
}

/* The same for MSG_F_PUT, with FILE as the content (read-only unless writable). */
static int call_put(struct ipc_chan *ch, const struct msg_f_put *q, const char *in,
		    bool writable, const struct tls_files *tls, uint64_t id)
{
	cleanup_ipc_msg struct ipc_msg *m = NULL;
	cleanup_close int ifd = -1;
	int fds[4], owned[3];
	size_t nfds;
	struct berr e;
	int r;

	ifd = open(in, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (ifd < 0) {
		fprintf(stderr, "fetch-call: %s: %s\n", in, strerror(errno));
		exit(64);
	}
	fds[0] = ifd;
	nfds = open_tls(tls, fds, owned);
	r = ipc_send(ch, MSG_F_PUT, id, q, fds, nfds, &e);
	close_tls(owned);
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
		printf("\n");
		return 1;
	}
	if (m->type != MSG_F_PUT_REPLY) {
		printf("protocol: unexpected reply %s\n", m->def->name);
		return 3;
	}
	const struct msg_f_put_reply *rep = m->body;
	printf("status=%" PRIu64 " existed=%s digest=", rep->http_status,
	       rep->existed ? "true" : "false");
	put_value(rep->digest);
	printf("\n");
	return 0;
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		usage();
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	struct msg_f_get q = { .tls_verify = true };
	struct msg_f_put pq = { .tls_verify = true };
	const char *put_file = NULL, *size_arg = NULL;
	bool writable = false;
	char *accept[MAX_ACCEPT + 1] = { NULL };
	size_t n_accept = 0;
	const char *top = getenv("BERTH_TOP");
	const char *out = NULL;
	struct tls_files tls = { 0 };
	uint64_t repeat = 1;
	struct ipc_chan *ch = NULL;
	int worst = 0;
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define OPT(name) (strcmp(a, name) == 0 && v != NULL && (i++, true))
		if (OPT("--registry")) {
			q.registry = (char *)v;
		} else if (OPT("--repo")) {
			q.repository = (char *)v;
		} else if (OPT("--manifest")) {
			q.kind = FETCH_MANIFEST;
			q.reference = (char *)v;
		} else if (OPT("--blob")) {
			q.kind = FETCH_BLOB;
			q.reference = (char *)v;
		} else if (OPT("--put-blob")) {
			pq.kind = FETCH_BLOB;
			put_file = v;
		} else if (OPT("--put-manifest")) {
			pq.kind = FETCH_MANIFEST;
			put_file = v;
		} else if (OPT("--digest") || OPT("--reference")) {
			pq.reference = (char *)v;
		} else if (OPT("--media-type")) {
			pq.media_type = (char *)v;
		} else if (OPT("--mount-from")) {
			pq.mount_from = (char *)v;
		} else if (OPT("--size")) {
			size_arg = v;
		} else if (strcmp(a, "--writable") == 0) {
			writable = true;
		} else if (OPT("--out")) {
			out = v;
		} else if (OPT("--accept")) {
			if (n_accept >= MAX_ACCEPT)
				usage();
			accept[n_accept++] = (char *)v;
		} else if (OPT("--ca")) {
			tls.ca = v;
		} else if (OPT("--cert")) {
			tls.cert = v;
		} else if (OPT("--key")) {
			tls.key = v;
		} else if (OPT("--user")) {
			q.username = (char *)v;
		} else if (OPT("--password")) {
			q.password = (char *)v;
		} else if (OPT("--max-size")) {
			q.max_size = parse_u64(v);
		} else if (OPT("--repeat")) {
			repeat = parse_u64(v);
		} else if (strcmp(a, "--tls-verify=false") == 0) {
			q.tls_verify = false;
		} else if (strcmp(a, "--drop-last-fd") == 0) {
			tls.drop_last = true;
		} else if (strcmp(a, "--plain-http") == 0) {
			q.plain_http = true;
		} else if (strcmp(a, "--head") == 0) {
			q.head = true;
		} else {
			usage();
		}
#undef OPT
	}
	if (top == NULL || top[0] != '/' || q.registry == NULL || q.repository == NULL ||
	    repeat == 0 || repeat > 100 || (tls.cert == NULL) != (tls.key == NULL) ||
	    (tls.drop_last && tls.ca == NULL && tls.cert == NULL))
		usage();
	if (put_file != NULL) {
		struct stat sb;

		/* Download options have no meaning here. */
		if (pq.reference == NULL || q.reference != NULL || out != NULL || q.head ||
		    n_accept > 0 || q.max_size != 0)
			usage();
		if (stat(put_file, &sb) < 0) {
			fprintf(stderr, "fetch-call: %s: %s\n", put_file, strerror(errno));
			return 64;
		}
		pq.registry = q.registry;
		pq.repository = q.repository;
		pq.size = size_arg != NULL ? parse_u64(size_arg) : (uint64_t)sb.st_size;
		pq.tls_verify = q.tls_verify;
		pq.plain_http = q.plain_http;
		pq.username = q.username;
		pq.password = q.password;
		pq.has_ca = tls.ca != NULL;
		pq.has_client_cert = tls.cert != NULL;
	} else if (q.reference == NULL || out == NULL || pq.reference != NULL ||
		   size_arg != NULL || writable) {
		usage();
	}
	if (q.kind == FETCH_MANIFEST && n_accept == 0)
		for (size_t i = 0; i < sizeof(default_accept) / sizeof(default_accept[0]); i++)
			accept[n_accept++] = (char *)default_accept[i];
	if (n_accept > 0) {
		q.accept = accept;
		q.n_accept = n_accept;
	}
	if (q.max_size == 0)
		q.max_size = q.kind == FETCH_MANIFEST ? 4u << 20 : 1u << 30;
	q.has_ca = tls.ca != NULL;
	q.has_client_cert = tls.cert != NULL;

	/* A wedged worker must fail the test, not hang it. */
	alarm(TIMEOUT_SECONDS);
	signal(SIGPIPE, SIG_IGN);

	pid = spawn(top, &ch);
	for (uint64_t i = 0; i < repeat; i++) {
		int r = put_file != NULL ? call_put(ch, &pq, put_file, writable, &tls, 100 + i)
					 : call(ch, &q, out, &tls, 100 + i);
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
	fflush(stdout);
	return worst;
}
