/* berth-verify's parser of signature payloads: what a signature says it signs.
 *
 *  - "simple signing" (containers-signature(5), the payload inside a GPG signature), and
 *  - the cosign payload (sigstore: the layer of a "sha256-<hex>.sig" attachment), which has
 *    the same shape with another type:
 *
 *    { "critical": { "type": "atomic container signature"   (cosign: "cosign container
 *                                                             image signature"),
 *                    "image": { "docker-manifest-digest": "sha256:..." },
 *                    "identity": { "docker-reference": "registry/repo:tag" } },
 *      "optional": { "creator": "...", "timestamp": 1458239713, ...anything else } }
 *
 * Strict as containers/image is (signature.go, internal/sigstore_payload.go), because the
 * payload is untrusted and a lenient reader is how a signature gets read as saying what its
 * signer did not sign: the top level and "critical" must have exactly their fields, "image"
 * and "identity" exactly their one field each, duplicate keys anywhere are refused, the type
 * must be the one of the format asked for, the digest must be a valid sha256/sha512 digest and
 * the docker-reference a valid reference. "optional" may hold anything; its "creator" must be
 * a string and its "timestamp" an integer when present. A cosign payload may have
 * "optional": null (what /usr/bin/cosign writes without annotations), and its timestamp may be
 * written as a float with an integral value; simple signing allows neither.
 *
 * PURE: (buf, len) in, a small struct out; no I/O. Linked into berth-verify, the unit tests
 * and fuzz/fuzz_sigpayload. Errors are BERR_INVALID (BERR_SYSTEM for ENOMEM), "signature
 * payload: ...", never quoting untrusted text. */
#ifndef BERTH_WORKERS_VERIFY_SIGPAYLOAD_H
#define BERTH_WORKERS_VERIFY_SIGPAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/reference.h"

#define SIGPAYLOAD_MAX (64 * 1024)  /* a real payload is a few hundred bytes */
#define SIGPAYLOAD_CREATOR_MAX 1024

#define SIGPAYLOAD_TYPE_SIMPLE "atomic container signature"
#define SIGPAYLOAD_TYPE_COSIGN "cosign container image signature"

enum sigpayload_kind {
	SIGPAYLOAD_SIMPLE_SIGNING = 1,
	SIGPAYLOAD_COSIGN = 2,
};

struct sigpayload {
	char docker_reference[REF_STR_MAX];   /* as written (valid, not normalised) */
	char manifest_digest[REF_DIGEST_MAX + 1];
	bool has_creator;
	char creator[SIGPAYLOAD_CREATOR_MAX + 1];
	bool has_timestamp;
	int64_t timestamp;                    /* seconds since the epoch */
};

/* Parses buf as a payload of kind into *out (zeroed first). Returns 0, or -1 with *e set. */
int sigpayload_parse(const void *buf, size_t len, enum sigpayload_kind kind,
		     struct sigpayload *out, struct berr *e);

#endif
