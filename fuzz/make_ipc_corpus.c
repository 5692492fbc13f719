/* Writes the seed corpus of fuzz_ipc: one valid encoding of each message type (two for
 * info-reply), named after the type. Not built by the Makefile; rerun after a schema change,
 * from the top directory:
 *   cc -std=gnu11 -I. -D_GNU_SOURCE -o /tmp/mkc fuzz/make_ipc_corpus.c $(ls ipc/[a-z]*.c) \
 *      $(ls common/[a-z]*.c) -lmsgpackc && /tmp/mkc fuzz/corpus/fuzz_ipc */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipc/channel.h"
#include "ipc/msg.h"

static char *libs[] = { "libcurl 7.88.1", "OpenSSL 3.0.9", NULL };
static char *maps[] = { "         0       1000          1", "         1     100000      65536",
			NULL };
static char *argv_sh[] = { "sh", "-c", "id", NULL };
static char *envp[] = { "HOME=/home/u", "PATH=/usr/bin:/bin", NULL };
static struct msg_runtime rts[] = {
	{ "crun", "/usr/bin/crun", "crun version 1.8.1", "ok" },
	{ "runc", "/usr/sbin/runc", "", "not found" },
};
static struct msg_worker_status workers[] = {
	{ "fetch", 100, 1000, 2, 1, true, "0000000000000000", "000001ffffffffff",
	  "enforced (ABI 3)", libs, 2, NULL, 0 },
	{ "launch", 101, 0, 2, 2, true, "0", "0", "not supported", NULL, 0, rts, 2 },
};
static struct msg_error error = { BERR_NOTFOUND, ENOENT, "no such image" };
static struct msg_hello hello = { BERTH_PROTOCOL_VERSION, "/var/lib/berth", "/run/berth", 4,
				  "/usr/bin/crun", "/run/user/1000/berth" };
static struct msg_hello_ok hello_ok = { 1, 4242 };
static struct msg_info info = { false };
static struct msg_info_reply info_reply = {
	"0.1.0", "amd64", "linux", "6.1.0", "host", "v2", "unified", true, maps, 2, maps, 1, 3141,
	"/var/lib/berth", "/run/berth", "/var/lib/berth/state.db", 3, "overlay", "crun", rts, 2,
	workers, 2,
};
static struct msg_info_reply info_reply_min = {
	"0.1.0", "amd64", "linux", "6.1.0", "host", "v1", "legacy", false, NULL, 0, NULL, 0, 0,
	"/", "/", "/db", 0, "vfs", "", NULL, 0, NULL, 0,
};
static struct msg_unshare unshare = { argv_sh, 3, envp, 2, "/" };
static struct msg_unshare_done unshare_done = { -1 };
static struct msg_w_info w_info = { true };

static const struct {
	const char *file;
	uint32_t type;
	const void *body;
} seeds[] = {
	{ "error", MSG_ERROR, &error },
	{ "hello", MSG_HELLO, &hello },
	{ "hello-ok", MSG_HELLO_OK, &hello_ok },
	{ "info", MSG_INFO, &info },
	{ "info-reply", MSG_INFO_REPLY, &info_reply },
	{ "info-reply-min", MSG_INFO_REPLY, &info_reply_min },
	{ "unshare", MSG_UNSHARE, &unshare },
	{ "unshare-done", MSG_UNSHARE_DONE, &unshare_done },
	{ "worker-info", MSG_W_INFO, &w_info },
	{ "worker-info-reply", MSG_W_INFO_REPLY, &workers[1] },
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4096];
		uint8_t *buf;
		size_t len;
		struct berr e;
		FILE *f;

		if (ipc_msg_encode(seeds[i].type, i + 1, seeds[i].body, &buf, &len, &e) < 0) {
			fprintf(stderr, "%s: %s\n", seeds[i].file, e.msg);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].file);
		f = fopen(path, "wbe");
		if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		free(buf);
	}
	return 0;
}
