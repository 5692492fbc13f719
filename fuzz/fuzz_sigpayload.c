/* libFuzzer harness for workers/verify/sigpayload.c: arbitrary bytes as a signature payload,
 * read as simple signing and as cosign.
 *
 * Besides "no crash, no leak, no UB", it abort()s when one of these properties fails:
 *  - an error is BERR_INVALID with a printable message (never BERR_PROTOCOL);
 *  - an accepted payload has a valid digest and a valid reference, NUL-terminated within
 *    their buffers;
 *  - no payload is accepted as both formats (their types differ);
 *  - parsing is deterministic (the same bytes give the same result twice). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "workers/verify/sigpayload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one(const uint8_t *data, size_t size, enum sigpayload_kind k)
{
	struct sigpayload p, p2;
	struct berr e = { 0 }, e2 = { 0 };
	int r = sigpayload_parse(data, size, k, &p, &e);
	int r2 = sigpayload_parse(data, size, k, &p2, &e2);

	if (r != r2)
		abort();
	if (r < 0) {
		fuzz_check_error(&e);
		if (e.code != BERR_INVALID || strcmp(e.msg, e2.msg) != 0)
			abort();
		return r;
	}
	if (memcmp(&p, &p2, sizeof(p)) != 0)
		abort();
	struct image_ref ref;
	if (ref_digest_check(p.manifest_digest, &e) < 0 ||
	    ref_parse(p.docker_reference, &ref, &e) < 0)
		abort();
	if (p.has_creator && memchr(p.creator, '\0', sizeof(p.creator)) == NULL)
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (one(data, size, SIGPAYLOAD_SIMPLE_SIGNING) == 0 &&
	    one(data, size, SIGPAYLOAD_COSIGN) == 0)
		abort();
	return 0;
}
