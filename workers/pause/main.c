/* berth-pause: rootless only. Holds the user's user namespace and mount namespace so that every
 * later berth command joins the same ones (their overlay mounts and ID mappings persist between
 * commands). It serves nothing and listens on nothing.
 *
 * Start-up handshake with the broker that started it, one byte per packet on fd 3:
 *   pause  -> broker  'U'  unshared: new user + mount namespace exist, maps not yet written
 *   broker -> pause   'M'  maps written (newuidmap/newgidmap, or a single-ID map)
 *   pause  -> broker  'R'  ready: uid 0 inside, mount propagation set
 *   broker -> pause   'C'  committed: the pid file names this process
 * On a failure the pause process sends 'E' followed by a message and exits. If the broker goes
 * away before 'C', nothing names this process, so it exits rather than linger unreachable.
 * After 'C' it detaches (new session, /dev/null on stdio), enters the tightest sandbox of all
 * (it only ever calls pause()) and waits to be killed. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xio.h"
#include "sandbox/sandbox.h"
#include "workers/pause/policy.h"

#define SYNC_FD 3

static void send_error(const struct berr *e)
{
	char buf[BERR_MSG_MAX + 1];
	int n = snprintf(buf, sizeof(buf), "E%s", e->msg);
	if (n > 0)
		(void)!send(SYNC_FD, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
			    MSG_NOSIGNAL);
}

static int send_byte(char c, struct berr *e)
{
	if (send(SYNC_FD, &c, 1, MSG_NOSIGNAL) != 1)
		return berr_sys(e, "telling the broker");
	return 0;
}

static int expect_byte(char want, struct berr *e)
{
	char c;
	ssize_t n;

	do
		n = recv(SYNC_FD, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != want)
		return berr_set(e, BERR_PROTOCOL, 0, "the broker went away during set-up");
	return 0;
}

static int setup(struct berr *e)
{
	int fd;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		if (errno == EPERM || errno == ENOSPC)
			return berr_sys(e, "cannot create a user namespace (are unprivileged user "
					   "namespaces disabled? see user.max_user_namespaces)");
		return berr_sys(e, "creating the user namespace");
	}
	if (send_byte('U', e) < 0 || expect_byte('M', e) < 0)
		return -1;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return berr_sys(e, "becoming root in the user namespace");
	/* Host mounts keep propagating in; nothing made in here leaks out. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return berr_sys(e, "setting mount propagation");
	if (send_byte('R', e) < 0 || expect_byte('C', e) < 0)
		return -1;
	/* Detach: a new session (no terminal signals), no open stdio (nobody waits on our pipes). */
	if (setsid() < 0)
		return berr_sys(e, "setsid");
	if (chdir("/") < 0)
		return berr_sys(e, "chdir /");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return berr_sys(e, "opening /dev/null");
	close(fd);
	close(SYNC_FD);
	return 0;
}

int main(int argc, char **argv)
{
	struct sandbox_report rep;
	struct berr e = { 0 };
	int type = 0;
	socklen_t len = sizeof(type);

	log_init("berth-pause", LOG_LVL_WARN);
	if (xensure_stdio(&e) < 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "--try-syscall") == 0) {
		if (sandbox_enter(&pause_sandbox_policy, &rep, &e) < 0 ||
		    sandbox_try_syscall(argv[2], &e) < 0) {
			log_error("berth-pause: %s", e.msg);
			return 2;
		}
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--sandbox-status") == 0) {
		if (sandbox_enter(&pause_sandbox_policy, &rep, &e) < 0 ||
		    sandbox_write_status(STDOUT_FILENO, &rep, &e) < 0) {
			log_error("berth-pause: %s", e.msg);
			return 2;
		}
		return 0;
	}
	if (argc != 1 || getsockopt(SYNC_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET) {
		fprintf(stderr, "Error: berth-pause is started by berth, not by hand\n");
		return 1;
	}
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&e) < 0) {
		send_error(&e);
		return 1;
	}
	if (sandbox_enter(&pause_sandbox_policy, &rep, &e) < 0)
		return 1;
	for (;;)
		pause();
}
