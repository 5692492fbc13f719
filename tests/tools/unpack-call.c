/* unpack-call: drives the real, sandboxed berth-unpack over IPC as the broker would, so the
 * integration tests (tests/integration/unpack.bats) can aim it at a hostile layer. Never
 * installed.
 *
 *   unpack-call [options] BLOB DIR
 *     --worker PATH        the berth-unpack binary (default $BERTH_TOP/libexec/berth/berth-unpack)
 *     --rootless           set the request's rootless flag
 *     --max-bytes N        default 1 GiB
 *     --max-entries N      default 100000
 *     --media-type T       default application/vnd.oci.image.layer.v1.tar+gzip
 *     --no-dir             start the worker without fd 5 (as `berth info` does)
 *     --any-fd5            open DIR without O_DIRECTORY (to hand the worker a file at fd 5)
 *     --twice              send a second layer request after the first reply
 *
 * The worker is started like broker/wk.c starts it: fork + exec, a clean environment, /dev/null
 * on fds 0 and 1, stderr kept, the SOCK_SEQPACKET channel at fd 3, fd 4 free, DIR (opened
 * O_DIRECTORY) at fd 5, every other fd closed. Rootless runs put this tool itself under
 * `berth unshare`.
 *
 * Prints "diff_id=... entries=N bytes=N skipped=N" (exit 0) or "error: ..." (exit 1); then the
 * worker's end: a worker killed by a signal prints "died: ..." and exits 2 (SIGSYS there means
 * its seccomp filter lacks a syscall extraction needs), a worker that exits non-zero after a
 * reply prints "error: worker exited with status N" and exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"

#define IPC_FD 3
#define LAYER_FD 5

struct opts {
	const char *worker;
	bool rootless;
	uint64_t max_bytes;
	uint64_t max_entries;
	const char *media_type;
	bool no_dir;
	bool any_fd5;
	bool twice;
	const char *blob;
	const char *dir;
};

static void usage(void)
{
	fprintf(stderr, "usage: unpack-call [--worker PATH] [--rootless] [--max-bytes N] "
			"[--max-entries N] [--media-type T] [--no-dir] [--any-fd5] [--twice] BLOB DIR\n");
	exit(64);
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || s[0] == '-')
		usage();
	return (uint64_t)v;
}

static void parse(int argc, char **argv, struct opts *o, char *worker_buf, size_t len)
{
	int i;

	o->max_bytes = 1ULL << 30;
	o->max_entries = 100000;
	o->media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--rootless") == 0) {
			o->rootless = true;
		} else if (strcmp(a, "--no-dir") == 0) {
			o->no_dir = true;
		} else if (strcmp(a, "--any-fd5") == 0) {
			o->any_fd5 = true;
		} else if (strcmp(a, "--twice") == 0) {
			o->twice = true;
		} else if (i + 1 < argc && strcmp(a, "--worker") == 0) {
			o->worker = argv[++i];
		} else if (i + 1 < argc && strcmp(a, "--max-bytes") == 0) {
			o->max_bytes = parse_u64(argv[++i]);
		} else if (i + 1 < argc && strcmp(a, "--max-entries") == 0) {
			o->max_entries = parse_u64(argv[++i]);
		} else if (i + 1 < argc && strcmp(a, "--media-type") == 0) {
			o->media_type = argv[++i];
		} else {
			usage();
		}
	}
	if (argc - i != 2)
		usage();
	o->blob = argv[i];
	o->dir = argv[i + 1];
	if (o->worker == NULL) {
		const char *top = getenv("BERTH_TOP");
		if (top == NULL) {
			fprintf(stderr, "unpack-call: set BERTH_TOP or pass --worker\n");
			exit(64);
		}
		snprintf(worker_buf, len, "%s/libexec/berth/berth-unpack", top);
		o->worker = worker_buf;
	}
}

static void child_fail(const char *what)
{
	fprintf(stderr, "unpack-call: child: %s: %s\n", what, strerror(errno));
	_exit(127);
}

/* In the child: the broker's fd layout, then exec. */
static void child_exec(const struct opts *o, int sock, int dirfd)
{
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char *const argv[] = { (char *)o->worker, NULL };
	int devnull, s, d = -1;

	/* Out of the way first (above every target), then into place. */
	s = fcntl(sock, F_DUPFD_CLOEXEC, 64);
	if (s < 0)
		child_fail("fcntl");
	if (dirfd >= 0) {
		d = fcntl(dirfd, F_DUPFD_CLOEXEC, 64);
		if (d < 0)
			child_fail("fcntl");
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		child_fail("/dev/null");
	if (dup2(s, IPC_FD) < 0)
		child_fail("dup2");
	if (d >= 0 && dup2(d, LAYER_FD) < 0)
		child_fail("dup2");
	/* Fd 4 stays free for the worker's status fd; fd 5 only when given. */
	if (syscall(SYS_close_range, IPC_FD + 1, IPC_FD + 1, 0U) < 0 ||
	    syscall(SYS_close_range, d >= 0 ? LAYER_FD + 1 : LAYER_FD, ~0U, 0U) < 0)
		child_fail("close_range");
	execve(o->worker, argv, envp);
	child_fail(o->worker);
}

/* Waits for the worker; returns the tool's exit status contribution. */
static int report_worker(pid_t pid, bool expect_clean)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("error: waitpid: %s\n", strerror(errno));
			return 1;
		}
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		printf("died: killed by signal %d (SIG%s)%s\n", sig, sigabbrev_np(sig) ?: "?",
		       sig == SIGSYS ? ": its seccomp filter stopped a system call" : "");
		return 2;
	}
	if (WEXITSTATUS(status) != 0) {
		printf("%sworker exited with status %d\n", expect_clean ? "error: " : "",
		       WEXITSTATUS(status));
		return expect_clean ? 1 : 0;
	}
	printf("worker exited with status 0\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	char worker_buf[4200];
	cleanup_close int blob = -1, dirfd = -1;
	int sv[2];
	struct ipc_chan *ch;
	struct berr e = { 0 };
	struct msg_u_layer req = { 0 };
	struct ipc_msg *m = NULL;
	pid_t pid;
	int rc = 0, wrc, r;

	parse(argc, argv, &o, worker_buf, sizeof(worker_buf));
	signal(SIGPIPE, SIG_IGN);
	blob = open(o.blob, O_RDONLY | O_CLOEXEC);
	if (blob < 0) {
		printf("error: %s: %s\n", o.blob, strerror(errno));
		return 1;
	}
	if (!o.no_dir) {
		dirfd = open(o.dir, O_RDONLY | (o.any_fd5 ? 0 : O_DIRECTORY) | O_CLOEXEC);
		if (dirfd < 0) {
			printf("error: %s: %s\n", o.dir, strerror(errno));
			return 1;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("error: socketpair: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("error: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0)
		child_exec(&o, sv[1], dirfd);
	close(sv[1]);
	ch = ipc_chan_new(sv[0], IPC_MAX_MSG_WORKER, "berth-unpack", &e);
	if (ch == NULL) {
		printf("error: %s\n", e.msg);
		return 1;
	}

	req.media_type = (char *)o.media_type;
	req.rootless = o.rootless;
	req.max_bytes = o.max_bytes;
	req.max_entries = o.max_entries;
	if (ipc_send(ch, MSG_U_LAYER, 1, &req, &blob, 1, &e) < 0) {
		printf("error: sending the request: %s\n", e.msg);
		rc = 1;
		goto done;
	}
	r = ipc_recv(ch, &m, &e);
	if (r == 1) {
		printf("error: the worker closed the channel without a reply\n");
		rc = 1;
	} else if (r != 0) {
		printf("error: receiving the reply: %s\n", e.msg);
		rc = 1;
	} else if (m->type == MSG_ERROR) {
		const struct msg_error *err = m->body;
		printf("error: %s\n", err->message ? err->message : "?");
		rc = 1;
	} else if (m->type == MSG_U_LAYER_REPLY && m->id == 1) {
		const struct msg_u_layer_reply *rep = m->body;
		printf("diff_id=%s entries=%" PRIu64 " bytes=%" PRIu64 " skipped=%" PRIu64 "\n",
		       rep->diff_id, rep->entries, rep->bytes, rep->skipped);
	} else {
		printf("error: unexpected reply type %u\n", m->type);
		rc = 1;
	}
	ipc_msg_free(m);
	m = NULL;

	if (o.twice) {
		/* A second layer: the worker must treat it as a protocol violation and exit. */
		if (ipc_send(ch, MSG_U_LAYER, 2, &req, &blob, 1, &e) < 0) {
			printf("second request: send failed: %s\n", e.msg);
		} else {
			r = ipc_recv(ch, &m, &e);
			if (r == 1)
				printf("second request: channel closed\n");
			else if (r == 0)
				printf("second request: answered with type %u\n", m->type);
			else
				printf("second request: %s\n", e.msg);
			ipc_msg_free(m);
		}
	}
done:
	fflush(stdout);
	ipc_chan_free(ch);
	wrc = report_worker(pid, !o.twice);
	if (wrc == 2)
		return 2;
	return rc != 0 ? rc : wrc;
}
