/* A misbehaving stand-in for a berth worker, for test_broker_workers. The broker runs it as
 * <dir>/berth-<role>; the last directory name of argv[0] says how to misbehave. It never runs
 * outside the unit tests. */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"

static void send_reply(struct ipc_chan *ch, uint64_t id)
{
	struct msg_worker_status st = { 0 };
	struct berr e = { 0 };

	st.role = (char *)"unpack";
	st.pid = (uint64_t)getpid();
	st.cap_eff = (char *)"0000000000000000";
	st.cap_bnd = (char *)"0000000000000000";
	st.landlock = (char *)"test";
	if (ipc_send(ch, MSG_W_INFO_REPLY, id, &st, NULL, 0, &e) < 0)
		_exit(90);
}

int main(int argc, char **argv)
{
	char path[4096];
	struct berr e = { 0 };
	struct ipc_msg *m = NULL;
	struct ipc_chan *ch;
	const char *mode;

	(void)argc;
	snprintf(path, sizeof(path), "%s", argv[0]);
	mode = basename(dirname(path));
	ch = ipc_chan_new(3, IPC_MAX_MSG_WORKER, "broker", &e);
	if (ch == NULL || ipc_recv(ch, &m, &e) != 0)
		return 91;
	uint64_t id = m->id;
	ipc_msg_free(m);
	if (strcmp(mode, "good") == 0) {
		send_reply(ch, id);
	} else if (strcmp(mode, "garbage") == 0) {
		send(3, "\xc1garbage", 8, 0);
	} else if (strcmp(mode, "exit3") == 0) {
		_exit(3);
	} else if (strcmp(mode, "sigsys") == 0) {
		raise(SIGSYS);
	} else if (strcmp(mode, "hang") == 0) {
		sleep(30);
	} else if (strcmp(mode, "wrongid") == 0) {
		send_reply(ch, id + 7);
	} else if (strcmp(mode, "withfd") == 0) {
		struct msg_worker_status st = { 0 };
		uint8_t *buf = NULL;
		size_t len = 0;
		st.role = (char *)"unpack";
		st.cap_eff = st.cap_bnd = (char *)"0000000000000000";
		st.landlock = (char *)"x";
		if (ipc_msg_encode(MSG_W_INFO_REPLY, id, &st, &buf, &len, &e) < 0)
			return 92;
		/* The reply with an fd attached, which this type may not carry. */
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { buf, len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		int fd0 = 0;
		memcpy(CMSG_DATA(c), &fd0, sizeof(int));
		sendmsg(3, &mh, 0);
		free(buf);
	} else if (strcmp(mode, "oversize") == 0) {
		size_t n = IPC_MAX_MSG_WORKER + 1;
		char *big = calloc(1, n);
		if (big != NULL)
			send(3, big, n, 0);
		free(big);
	} else if (strcmp(mode, "error") == 0) {
		berr_set(&e, BERR_DENIED, 13, "layer \x1b[31mred\x1b[0m refused");
		ipc_send_error(ch, id, &e, &e);
	}
	/* Wait for the broker to close the channel (or to kill us). */
	char c;
	while (recv(3, &c, 1, 0) > 0)
		;
	ipc_chan_free(ch);
	return 0;
}
