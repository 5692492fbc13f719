/* libFuzzer harness for workers/verify/pgpuid.c: arbitrary bytes as an OpenPGP public key
 * file, binary or armored.
 *
 * Besides "no crash, no leak, no UB", it abort()s when one of these properties fails:
 *  - an error is BERR_INVALID with a printable message;
 *  - every ID reported is printable ASCII of at most PGPUID_LEN_MAX bytes, and there are at
 *    most PGPUID_MAX;
 *  - the same bytes give the same answer twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "workers/verify/pgpuid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pgp_uids a, b;
	struct berr e = { 0 }, e2 = { 0 };
	int r = pgp_key_uids(data, size, &a, &e);

	if (r != pgp_key_uids(data, size, &b, &e2))
		abort();
	if (r < 0) {
		fuzz_check_error(&e);
		if (e.code != BERR_INVALID || strcmp(e.msg, e2.msg) != 0)
			abort();
		return 0;
	}
	if (a.n > PGPUID_MAX || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	for (size_t i = 0; i < a.n; i++) {
		if (strlen(a.uid[i]) > PGPUID_LEN_MAX || !fuzz_printable(a.uid[i]))
			abort();
	}
	return 0;
}
