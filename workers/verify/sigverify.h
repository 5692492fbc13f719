/* Cryptographic checks of image signatures, for berth-verify: an OpenPGP "simple signing"
 * signature through gpgme, in a GNUPGHOME of its own that holds only the keys the policy
 * names; a sigstore (cosign) signature with an ECDSA P-256 or Ed25519 public key through
 * OpenSSL. Neither looks at what the payload says: that is the payload parser's and the
 * policy's business. */
#ifndef BERTH_WORKERS_VERIFY_SIGVERIFY_H
#define BERTH_WORKERS_VERIFY_SIGVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct sig_key {
	const uint8_t *data; /* an OpenPGP public key (armored or binary), or a PEM public key */
	size_t len;
};

struct sig_gpg_result {
	uint8_t *payload;    /* the signed content, owned by the caller (free) */
	size_t payload_len;
	char fingerprint[64]; /* the signing key's primary fingerprint, upper-case hex */
};

/* Verifies sig (an OpenPGP signed message, as `gpg --sign` makes) against exactly the keys
 * given, in a fresh GNUPGHOME made under tmpdir and removed before returning. Returns 0 with
 * *out filled, or -1: BERR_DENIED when the signature is not a valid one by one of the keys (the
 * message says why), BERR_INVALID when a key cannot be read, others for system failures. */
int sig_gpg_verify(const uint8_t *sig, size_t sig_len, const struct sig_key *keys, size_t nkeys,
		   const char *tmpdir, struct sig_gpg_result *out, struct berr *e);

/* Verifies a cosign signature (base64 of the raw signature: DER ECDSA over SHA-256 of the
 * payload, or Ed25519 over the payload) with one PEM public key. Returns 0 when it holds, -1
 * with BERR_DENIED when it does not, BERR_INVALID for an unreadable key or signature, and
 * BERR_UNSUPPORTED for a key of another type or curve. */
int sig_sigstore_verify(const uint8_t *payload, size_t payload_len, const char *sig_b64,
			const struct sig_key *key, struct berr *e);

/* The most keys read from one requirement's key data (keyPaths, one key per file). */
#define SIG_SIGSTORE_KEYS_MAX 64

struct sig_sigstore_result {
	size_t key_index;     /* which key of the data verified it, from 0 */
	char key_sha256[65];  /* sha256 of its DER SubjectPublicKeyInfo, lowercase hex */
};

/* Like sig_sigstore_verify, with every PEM public key in keys (one or more, one after the
 * other, as the broker concatenates a requirement's keyPaths) tried in turn until one verifies
 * the signature. All keys are read first. Returns 0 with *res filled, or -1: BERR_DENIED when
 * no key verifies it or the signature is not base64 (the signature's fault: a verdict),
 * BERR_INVALID for key data holding no readable PEM public key or more than
 * SIG_SIGSTORE_KEYS_MAX, BERR_UNSUPPORTED for a key of another type or curve (the policy's
 * fault: the user must fix it), others for system failures. */
int sig_sigstore_verify_keys(const uint8_t *payload, size_t payload_len, const char *sig_b64,
			     const uint8_t *keys, size_t keys_len, struct sig_sigstore_result *res,
			     struct berr *e);

#endif
