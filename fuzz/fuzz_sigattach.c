/* libFuzzer harness for berth-verify's sigstore attachment parser (verify_parse_sigattach in
 * workers/verify/manifest.c): the "sha256-<hex>.sig" manifest a registry serves.
 *
 * Input: one selector byte (which Content-Type the registry claimed, from `claims`), then the
 * document. Besides "no crash, no leak, no UB", it abort()s when one of these fails:
 *  - a parse that succeeds gives a reply the channel carries (encode, decode, encode again to
 *    the same bytes), whose digests are valid and whose signatures are base64 text;
 *  - a parse that fails leaves the reply all zero, says why in printable ASCII, and is not a
 *    protocol error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "workers/verify/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const claims[] = {
	NULL, "", "application/json", MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST,
	"application/vnd.oci.image.manifest.v1+json; charset=utf-8",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_v_sigattach_reply r;
	struct berr e = { 0 };
	const char *claim;

	if (size < 1)
		return 0;
	claim = claims[data[0] % (sizeof(claims) / sizeof(claims[0]))];
	if (verify_parse_sigattach(data + 1, size - 1, claim, &r, &e) < 0) {
		if (!fuzz_all_zero(&r, sizeof(r)))
			abort();
		fuzz_check_error(&e);
		return 0;
	}
	fuzz_check_reply(MSG_V_SIGATTACH_REPLY, &r);
	for (size_t i = 0; i < r.n_layers; i++) {
		const char *s = r.layers[i].signature;

		if (!ipc_digest_valid(r.layers[i].digest) || !fuzz_printable(r.layers[i].media_type))
			abort();
		if (s != NULL && (s[0] == '\0' ||
				  strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789+/=") != strlen(s)))
			abort();
	}
	ipc_struct_free(&msg_v_sigattach_reply_schema, &r);
	return 0;
}
