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
#include "fuzz/check.h"
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
			fuzz_check_reply(MSG_V_MANIFEST_REPLY, &r);
			ipc_struct_free(&msg_v_manifest_reply_schema, &r);
		} else {
			if (!fuzz_all_zero(&r, sizeof(r)))
				abort();
			fuzz_check_error(&e);
		}
	} else {
		struct msg_v_config_reply r;

		if (verify_parse_config(data, size, &r, &e) == 0) {
			fuzz_check_reply(MSG_V_CONFIG_REPLY, &r);
			ipc_struct_free(&msg_v_config_reply_schema, &r);
		} else {
			if (!fuzz_all_zero(&r, sizeof(r)))
				abort();
			fuzz_check_error(&e);
		}
	}
	return 0;
}
