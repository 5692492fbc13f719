/* libFuzzer harness for berth-verify's metadata parsers (workers/verify/manifest.c).
 *
 * Input: one selector byte, then the document. The selector's low bit picks the parser (0:
 * verify_parse_manifest, 1: verify_parse_config); for manifests, the rest of it picks the
 * claimed media type from `claims` (a registry's Content-Type, as the broker passes it on).
 *
 * Besides "no crash, no leak, no UB", it checks and abort()s when one fails:
 *  - a parse that succeeds gives a reply the channel carries: ipc_msg_encode() as the reply
 *    type succeeds (the parser enforced every schema limit), ipc_msg_decode() of that succeeds,
 *    and encoding the decoded reply gives the same bytes;
 *  - a parse that fails leaves the reply all zero, says why in printable ASCII, and is not a
 *    protocol error (a bad document must not end the worker's channel). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"
#include "workers/verify/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const claims[] = {
	NULL,
	"",
	"application/json",
	MT_OCI_MANIFEST,
	MT_OCI_INDEX,
	MT_DOCKER_MANIFEST,
	MT_DOCKER_LIST,
	MT_DOCKER_SCHEMA1_SIGNED,
	"application/vnd.oci.image.index.v1+json; charset=utf-8",
	"text/html",
};

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void check_error(const struct berr *e)
{
	if (e->code == BERR_PROTOCOL || e->code == BERR_OK || e->msg[0] == '\0')
		abort();
	for (const unsigned char *p = (const unsigned char *)e->msg; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
}

static void check_reply(uint32_t type, const void *body)
{
	uint8_t *buf = NULL, *again = NULL;
	struct ipc_msg *m = NULL;
	size_t len, len2;
	struct berr e;

	if (ipc_msg_encode(type, 1, body, &buf, &len, &e) < 0)
		abort();
	if (ipc_msg_decode(buf, len, NULL, 0, &m, &e) < 0)
		abort();
	if (m->type != type)
		abort();
	if (ipc_msg_encode(m->type, m->id, m->body, &again, &len2, &e) < 0)
		abort();
	if (len != len2 || memcmp(buf, again, len) != 0)
		abort();
	ipc_msg_free(m);
	free(buf);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berr e = { 0 };
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	if ((sel & 1) == 0) {
		struct msg_v_manifest_reply r;
		const char *claim = claims[(sel >> 1) % (sizeof(claims) / sizeof(claims[0]))];

		if (verify_parse_manifest(data, size, claim, &r, &e) == 0) {
			check_reply(MSG_V_MANIFEST_REPLY, &r);
			ipc_struct_free(&msg_v_manifest_reply_schema, &r);
		} else {
			if (!all_zero(&r, sizeof(r)))
				abort();
			check_error(&e);
		}
	} else {
		struct msg_v_config_reply r;

		if (verify_parse_config(data, size, &r, &e) == 0) {
			check_reply(MSG_V_CONFIG_REPLY, &r);
			ipc_struct_free(&msg_v_config_reply_schema, &r);
		} else {
			if (!all_zero(&r, sizeof(r)))
				abort();
			check_error(&e);
		}
	}
	return 0;
}
