/* What a cryptographically valid "simple signing" (or cosign) signature must also say before berth-verify
 * accepts it for an image (issue 5): its payload (sigpayload.h) must be of the simple-signing
 * type, name exactly the manifest digest being pulled, and carry a docker-reference that the
 * requirement's signedIdentity accepts for the reference being pulled (policy/trust.h).
 *
 * PURE: no I/O. Linked into berth-verify and the unit tests. */
#ifndef BERTH_WORKERS_VERIFY_SIGCHECK_H
#define BERTH_WORKERS_VERIFY_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/reference.h"
#include "policy/trust.h"

/* payload: the signed content gpg returned (untrusted bytes). digest: the pulled manifest's
 * digest ("sha256:<hex>"); pulled: the reference being pulled (with a domain). Returns 0 when
 * the signature is for this image, or -1 with *e set: BERR_DENIED worded for the user
 * ("signature is for digest A, pulled manifest is B", "signature identity names X, not Y"),
 * BERR_INVALID when the payload is not a simple-signing payload. */
int sigcheck_simple(const uint8_t *payload, size_t len, const char *digest,
		    const struct trust_identity *id, const struct image_ref *pulled,
		    struct berr *e);

/* The same for a sigstore (cosign) signature's payload: of the cosign type ("cosign container
 * image signature"), as containers/image's VerifySigstorePayload requires. */
int sigcheck_cosign(const uint8_t *payload, size_t len, const char *digest,
		    const struct trust_identity *id, const struct image_ref *pulled,
		    struct berr *e);

#endif
