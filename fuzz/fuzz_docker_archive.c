/* libFuzzer harness for berth-verify's docker-archive manifest.json parser
 * (verify_parse_docker_archive in workers/verify/manifest.c). The input is the document.
 *
 * Besides "no crash, no leak, no UB", it abort()s when:
 *  - a parse that succeeds gives a reply without an image, or an image without its config
 *    path or its layer or tag vectors (the schema wants them present), or a reply the channel
 *    does not carry: MSG_V_ARCHIVE_REPLY must encode and decode to the same paths and tags;
 *  - a parse that fails leaves the reply anything but all zero, does not say why in printable
 *    ASCII, or is a protocol error (a bad archive must not end the worker's channel). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"
#include "workers/verify/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A refusal leaves the reply zeroed and says why in printable ASCII, as a job error. */
static void check_refusal(const struct msg_v_archive_reply *r, const struct berr *e)
{
	static const struct msg_v_archive_reply zero;
	size_t n = strlen(e->msg);

	if (memcmp(r, &zero, sizeof(zero)) != 0 || e->code == BERR_PROTOCOL || e->code == BERR_OK ||
	    n == 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (e->msg[i] < 0x20 || e->msg[i] > 0x7e)
			abort();
}

static void same_strv(char **a, size_t na, char **b, size_t nb)
{
	if (a == NULL || b == NULL || na != nb || a[na] != NULL || b[nb] != NULL)
		abort();
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			abort();
}

/* Every image has its config path and its vectors (the schema wants them present), and the
 * reply reaches the broker as it is. */
static void check_reply(const struct msg_v_archive_reply *r)
{
	const struct msg_v_archive_reply *got;
	struct ipc_msg *m = NULL;
	uint8_t *buf = NULL;
	struct berr e;
	size_t len;

	if (r->n_images == 0 || r->images == NULL)
		abort();
	if (ipc_msg_encode(MSG_V_ARCHIVE_REPLY, 1, r, &buf, &len, &e) < 0 ||
	    ipc_msg_decode(buf, len, NULL, 0, &m, &e) < 0 || m->type != MSG_V_ARCHIVE_REPLY)
		abort();
	got = m->body;
	if (got->n_images != r->n_images)
		abort();
	for (size_t i = 0; i < r->n_images; i++) {
		const struct msg_archive_image *a = &r->images[i], *b = &got->images[i];

		if (a->config == NULL || strcmp(a->config, b->config) != 0)
			abort();
		same_strv(a->layers, a->n_layers, b->layers, b->n_layers);
		same_strv(a->repo_tags, a->n_repo_tags, b->repo_tags, b->n_repo_tags);
	}
	ipc_msg_free(m);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_v_archive_reply r;
	struct berr e = { 0 };

	if (verify_parse_docker_archive(data, size, &r, &e) == 0) {
		check_reply(&r);
		ipc_struct_free(&msg_v_archive_reply_schema, &r);
	} else {
		check_refusal(&r, &e);
	}
	return 0;
}
