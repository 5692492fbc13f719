/* Starting the broker: fork + exec of libexec/berth/berth-broker with the channel at fd 3, the
 * user's stdio on 0-2 (workers log to the same stderr), every other fd closed and a clean
 * environment: the broker learns its options from MSG_HELLO only. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "frontend/progress.h"
#include "ipc/msg.h"

#define BROKER_FD 3

static void describe_exit(pid_t pid, char *buf, size_t len)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		snprintf(buf, len, "exited");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped");
}

int fe_broker_start(const struct fe_opts *o, struct fe_broker *br, struct berr *e)
{
	char path[4200];
	int sv[2];
	struct msg_hello hello = { 0 };
	cleanup_ipc_msg struct ipc_msg *reply = NULL;
	pid_t pid;

	memset(br, 0, sizeof(*br));
	snprintf(path, sizeof(path), "%s/berth-broker", o->libexec);
	if (access(path, X_OK) < 0)
		return berr_sys(e, "cannot run %s (is berth installed completely?)", path);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berr_sys(e, "socketpair");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return berr_sys(e, "starting berth-broker");
	}
	if (pid == 0) {
		char *const argv[] = { path, NULL };
		char *envp[5] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
#ifdef BERTH_SANITIZE
		/* Sanitizer builds only: the tests' ASan/UBSan settings reach the broker too. (Not
		 * the workers: LeakSanitizer needs ptrace, which their sandboxes forbid.) */
		static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS",
						    "LSAN_OPTIONS" };
		size_t ne = 1;
		for (size_t i = 0; i < 3; i++) {
			static char buf[3][1024];
			const char *v = getenv(pass[i]);
			if (v != NULL && snprintf(buf[i], sizeof(buf[i]), "%s=%s", pass[i], v) <
						 (int)sizeof(buf[i]))
				envp[ne++] = buf[i];
		}
#endif
		if (sv[1] == BROKER_FD ? fcntl(sv[1], F_SETFD, 0) < 0 : dup2(sv[1], BROKER_FD) < 0)
			_exit(EXIT_BERTH);
		syscall(SYS_close_range, BROKER_FD + 1, ~0U, 0U);
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, envp);
		fprintf(stderr, "Error: cannot run %s: %s\n", path, strerror(errno));
		_exit(EXIT_BERTH);
	}
	close(sv[1]);
	br->pid = pid;
	br->ch = ipc_chan_new(sv[0], IPC_MAX_MSG_FRONTEND, "berth-broker", e);
	if (br->ch == NULL) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	hello.protocol = BERTH_PROTOCOL_VERSION;
	hello.root = (char *)o->root;
	hello.runroot = (char *)o->runroot;
	hello.tmpdir = (char *)o->tmpdir;
	hello.runtime = o->runtime[0] != '\0' ? (char *)o->runtime : NULL;
	hello.log_level = (uint64_t)o->log_level;
	/* User configuration lives under the user's home; the broker has a clean environment. */
	const char *home = getenv("HOME"), *xch = getenv("XDG_CONFIG_HOME"),
		   *rc = getenv("CONTAINERS_REGISTRIES_CONF"), *cc = getenv("CONTAINERS_CONF");
	hello.home = home != NULL && home[0] == '/' ? (char *)home : NULL;
	hello.config_home = xch != NULL && xch[0] == '/' ? (char *)xch : NULL;
	hello.registries_conf = rc != NULL && rc[0] == '/' ? (char *)rc : NULL;
	hello.containers_conf = cc != NULL && cc[0] == '/' ? (char *)cc : NULL;
	if (fe_broker_call(br, MSG_HELLO, &hello, NULL, 0, MSG_HELLO_OK, &reply, e) < 0) {
		fe_broker_stop(br);
		return -1;
	}
	br->rootless = ((const struct msg_hello_ok *)reply->body)->rootless != 0;
	return 0;
}

int fe_broker_call(struct fe_broker *br, uint32_t type, const void *body, const int *fds,
		   size_t nfds, uint32_t want_type, struct ipc_msg **reply, struct berr *e)
{
	if (ipc_send(br->ch, type, ++br->next_id, body, fds, nfds, e) < 0)
		return -1;
	return fe_broker_next(br, want_type, reply, e);
}

int fe_broker_next(struct fe_broker *br, uint32_t want_type, struct ipc_msg **reply,
		   struct berr *e)
{
	uint64_t id = br->next_id;
	struct ipc_msg *m = NULL;
	int r;

again:
	r = ipc_recv(br->ch, &m, e);
	if (r == 1) {
		char how[128];
		describe_exit(br->pid, how, sizeof(how));
		br->pid = 0;
		return berr_set(e, BERR_WORKER, 0, "berth-broker %s before answering", how);
	}
	if (r != 0)
		return -1;
	if (m->id != id) {
		ipc_msg_free(m);
		return berr_set(e, BERR_PROTOCOL, 0, "berth-broker answered another request");
	}
	if (m->type == MSG_PROGRESS && want_type != MSG_PROGRESS) {
		/* Progress of a long request: shown, then keep waiting. */
		if (br->progress == NULL)
			br->progress = progress_new();
		if (br->progress != NULL)
			progress_show(br->progress, m->body);
		ipc_msg_free(m);
		m = NULL;
		goto again;
	}
	if (m->type == MSG_ERROR) {
		const struct msg_error *me = m->body;
		berr_set(e, (int)me->code, (int)me->sys_errno, "%s", me->message);
		ipc_msg_free(m);
		return -1;
	}
	if (m->type != want_type) { /* fds: only where the type allows them (ipc/msg.c) */
		berr_set(e, BERR_PROTOCOL, 0, "berth-broker sent an unexpected %s", m->def->name);
		ipc_msg_free(m);
		return -1;
	}
	*reply = m;
	return 0;
}

void fe_broker_stop(struct fe_broker *br)
{
	progress_free(br->progress);
	br->progress = NULL;
	ipc_chan_free(br->ch);
	br->ch = NULL;
	if (br->pid > 0) {
		/* The broker exits on end of stream; waiting keeps "no broker is left" true the moment
		 * the command returns. */
		while (waitpid(br->pid, NULL, 0) < 0 && errno == EINTR)
			;
		br->pid = 0;
	}
}

int fe_request(const struct fe_opts *o, uint32_t type, const void *body, uint32_t want,
	       struct ipc_msg **reply)
{
	return fe_request_fds(o, type, body, NULL, 0, want, reply);
}

int fe_request_fds(const struct fe_opts *o, uint32_t type, const void *body, const int *fds,
		   size_t nfds, uint32_t want, struct ipc_msg **reply)
{
	struct fe_broker br;
	struct berr e = { 0 };

	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		return -1;
	}
	if (fe_broker_call(&br, type, body, fds, nfds, want, reply, &e) < 0) {
		fe_broker_stop(&br);
		fe_error("%s", e.msg);
		return -1;
	}
	fe_broker_stop(&br);
	return 0;
}
