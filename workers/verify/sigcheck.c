/* The checks of a signature's payload against the pull; the rules are in sigcheck.h. */
#include "workers/verify/sigcheck.h"

#include <string.h>

#include "workers/verify/sigpayload.h"

static int check(const uint8_t *payload, size_t len, enum sigpayload_kind kind,
		 const char *digest, const struct trust_identity *id,
		 const struct image_ref *pulled, struct berr *e)
{
	struct sigpayload sp;

	/* The type is the parser's first check: a cosign payload is not a GPG signature's, and
	 * the other way round. */
	if (sigpayload_parse(payload, len, kind, &sp, e) < 0)
		return -1;
	/* Digests are compared as written: both are validated lowercase hex by now. */
	if (strcmp(sp.manifest_digest, digest) != 0)
		return berr_set(e, BERR_DENIED, 0, "signature is for digest %s, pulled manifest is "
				"%s", sp.manifest_digest, digest);
	if (trust_identity_match(id, pulled, sp.docker_reference, e) != 1)
		return -1;
	return 0;
}

int sigcheck_simple(const uint8_t *payload, size_t len, const char *digest,
		    const struct trust_identity *id, const struct image_ref *pulled,
		    struct berr *e)
{
	return check(payload, len, SIGPAYLOAD_SIMPLE_SIGNING, digest, id, pulled, e);
}

int sigcheck_cosign(const uint8_t *payload, size_t len, const char *digest,
		    const struct trust_identity *id, const struct image_ref *pulled,
		    struct berr *e)
{
	return check(payload, len, SIGPAYLOAD_COSIGN, digest, id, pulled, e);
}
