/* Sigstore signatures made for `berth push --sign-by-sigstore-private-key`: the private key in
 * cosign's encrypted format, the payload, the signature, and the attachment manifest that
 * carries them (the layout containers/image's sigstore attachments use).
 *
 * Which process holds the key: the broker. The key file is trusted configuration of the user
 * (read by the frontend, as the user, so its permissions are the user's, and sent in memory); it
 * is decrypted here and used once, and every secret buffer is wiped. A worker would need the
 * decrypted key or the passphrase sent to it and would parse nothing untrusted either; the broker
 * already holds the user's registry credentials for the same push. Nothing here parses bytes from
 * a registry: the JSON read is the key file's own (jansson, as for other trusted files).
 *
 * Key file: a PEM block "ENCRYPTED SIGSTORE PRIVATE KEY" (or the older "ENCRYPTED COSIGN
 * PRIVATE KEY") whose body is base64 of {"kdf":{"name":"scrypt","params":{"N","r","p"},"salt"},
 * "cipher":{"name":"nacl/secretbox","nonce"},"ciphertext"}; scrypt of the passphrase gives the
 * secretbox key (OpenSSL's scrypt, libsodium's XSalsa20-Poly1305), the plaintext is a PKCS#8 DER
 * ECDSA P-256 private key. */
#ifndef BERTH_BROKER_COSIGN_H
#define BERTH_BROKER_COSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

#define COSIGN_KEY_FILE_MAX (64 * 1024)
#define COSIGN_LAYER_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_SIG_ANNOTATION "dev.cosignproject.cosign/signature"

/* The cosign payload for reference ("host/repo:tag") and digest; *out owned by the caller. */
int cosign_payload(const char *reference, const char *digest, char **out, size_t *len,
		   struct berr *e);

/* Decrypts the key (what the file holds, what names it in messages) with passphrase and signs
 * payload: ECDSA P-256 over SHA-256, DER, base64 into *sig_b64 (owned by the caller). Returns
 * 0, or -1: BERR_DENIED for a wrong passphrase, BERR_INVALID for a file that is not such a key,
 * BERR_UNSUPPORTED for another key type. */
int cosign_sign(const uint8_t *key, size_t key_len, const char *what, const char *passphrase,
		const uint8_t *payload, size_t payload_len, char **sig_b64, struct berr *e);

/* The attachment's OCI image config (its only diff ID the payload's digest) and manifest (that
 * config, one layer: the payload with the signature annotation). *out owned by the caller. */
int cosign_config(const char *payload_digest, char **out, size_t *len, struct berr *e);
int cosign_manifest(const char *config_digest, size_t config_size, const char *payload_digest,
		    size_t payload_size, const char *sig_b64, char **out, size_t *len,
		    struct berr *e);

/* Appending to an existing attachment, as containers/image does
 * (putSignaturesToSigstoreAttachments): the config lists n diff IDs (the layers' digests, old
 * ones first), and the manifest the old layers (old, as berth-verify read them: media type,
 * digest, size and their annotations verbatim; NULL for none) followed by the new signature.
 * The caller has checked old (digests, no unkept part). *out owned by the caller. */
int cosign_config_n(const char *const *diff_ids, size_t n, char **out, size_t *len,
		    struct berr *e);
int cosign_manifest_append(const struct msg_v_sigattach_reply *old, const char *config_digest,
			   size_t config_size, const char *payload_digest, size_t payload_size,
			   const char *sig_b64, char **out, size_t *len, struct berr *e);

#endif
