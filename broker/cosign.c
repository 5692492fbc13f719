#include "broker/cosign.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "common/cleanup.h"

#define SCRYPT_MAXMEM (256u * 1024 * 1024)

/* Serialises (and releases) a document berth made. */
static int dump_doc(json_t *doc, char **out, size_t *len, struct berr *e)
{
	if (doc == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "making a sigstore document");
	*out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (*out == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "making a sigstore document");
	*len = strlen(*out);
	return 0;
}

int cosign_payload(const char *reference, const char *digest, char **out, size_t *len,
		   struct berr *e)
{
	/* containers/image's sigstore payload (internal/signature: untrustedSigstorePayload). */
	json_t *doc = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:n}",
				"critical",
				"identity", "docker-reference", reference,
				"image", "docker-manifest-digest", digest,
				"type", "cosign container image signature",
				"optional");
	return dump_doc(doc, out, len, e);
}

int cosign_config_n(const char *const *diff_ids, size_t n, char **out, size_t *len,
		    struct berr *e)
{
	/* cosign's layout for n layers: one history entry and one diff ID per layer (the layers
	 * are stored uncompressed, so a diff ID is the layer's digest). */
	json_t *doc = json_pack("{s:s,s:s,s:[],s:s,s:{s:s,s:[]},s:{}}",
				"architecture", "",
				"created", "0001-01-01T00:00:00Z",
				"history",
				"os", "",
				"rootfs", "type", "layers", "diff_ids",
				"config");
	json_t *hist = json_object_get(doc, "history");
	json_t *ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");

	for (size_t i = 0; doc != NULL && i < n; i++) {
		if (json_array_append_new(hist, json_pack("{s:s}", "created",
							  "0001-01-01T00:00:00Z")) < 0 ||
		    json_array_append_new(ids, json_string(diff_ids[i])) < 0) {
			json_decref(doc);
			doc = NULL;
		}
	}
	return dump_doc(doc, out, len, e);
}

int cosign_config(const char *payload_digest, char **out, size_t *len, struct berr *e)
{
	return cosign_config_n(&payload_digest, 1, out, len, e);
}

/* One old layer, as berth-verify read it: its annotations verbatim and in their order (an
 * empty map is left out, as containers/image's omitempty does). */
static json_t *old_layer(const struct msg_sigattach_layer *l)
{
	json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", l->media_type, "digest", l->digest,
			      "size", (json_int_t)l->size);
	json_t *ann;

	if (d == NULL || l->n_annotations == 0)
		return d;
	ann = json_object();
	if (ann == NULL || json_object_set_new(d, "annotations", ann) < 0) {
		json_decref(d);
		return NULL;
	}
	for (size_t i = 0; i < l->n_annotations; i++)
		if (json_object_set_new(ann, l->annotations[i].key,
					json_string(l->annotations[i].value)) < 0) {
			json_decref(d);
			return NULL;
		}
	return d;
}

int cosign_manifest_append(const struct msg_v_sigattach_reply *old, const char *config_digest,
			   size_t config_size, const char *payload_digest, size_t payload_size,
			   const char *sig_b64, char **out, size_t *len, struct berr *e)
{
	/* Descriptors in the order of containers/image's (imgspecv1.Descriptor's) fields. */
	json_t *doc = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[]}",
				"schemaVersion", 2,
				"mediaType", "application/vnd.oci.image.manifest.v1+json",
				"config", "mediaType", "application/vnd.oci.image.config.v1+json",
				"digest", config_digest, "size", (json_int_t)config_size,
				"layers");
	json_t *layers = json_object_get(doc, "layers");

	for (size_t i = 0; doc != NULL && old != NULL && i < old->n_layers; i++)
		if (json_array_append_new(layers, old_layer(&old->layers[i])) < 0) {
			json_decref(doc);
			doc = NULL;
		}
	if (doc != NULL &&
	    json_array_append_new(layers, json_pack("{s:s,s:s,s:I,s:{s:s}}",
						    "mediaType", COSIGN_LAYER_TYPE,
						    "digest", payload_digest,
						    "size", (json_int_t)payload_size,
						    "annotations", COSIGN_SIG_ANNOTATION,
						    sig_b64)) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	return dump_doc(doc, out, len, e);
}

int cosign_manifest(const char *config_digest, size_t config_size, const char *payload_digest,
		    size_t payload_size, const char *sig_b64, char **out, size_t *len,
		    struct berr *e)
{
	return cosign_manifest_append(NULL, config_digest, config_size, payload_digest,
				      payload_size, sig_b64, out, len, e);
}

/* Standard base64 with whitespace skipped; *out owned by the caller. */
static int b64_decode(const char *in, size_t n, uint8_t **out, size_t *outlen, const char *what,
		      struct berr *e)
{
	cleanup_free char *clean = malloc(n + 1);
	size_t c = 0, pad = 0;
	int r;

	*out = NULL;
	if (clean == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ' && in[i] != '\t')
			clean[c++] = in[i];
	if (c == 0 || c % 4 != 0)
		return berr_set(e, BERR_INVALID, 0, "%s: not base64", what);
	*out = malloc(c / 4 * 3 + 1);
	if (*out == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	r = EVP_DecodeBlock(*out, (const unsigned char *)clean, (int)c);
	if (r < 0) {
		free(*out);
		*out = NULL;
		return berr_set(e, BERR_INVALID, 0, "%s: not base64", what);
	}
	for (size_t i = c; i > 0 && clean[i - 1] == '='; i--)
		pad++;
	*outlen = (size_t)r - pad;
	return 0;
}

/* The JSON document inside the PEM block; *doc owned by the caller. */
static int key_document(const uint8_t *key, size_t key_len, const char *what, json_t **doc,
			struct berr *e)
{
	static const char *const labels[] = { "ENCRYPTED SIGSTORE PRIVATE KEY",
					      "ENCRYPTED COSIGN PRIVATE KEY" };
	cleanup_free char *text = malloc(key_len + 1);
	cleanup_free uint8_t *json = NULL;
	const char *begin = NULL, *end = NULL;
	char marker[80];
	size_t json_len;
	json_error_t jerr;

	if (text == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	memcpy(text, key, key_len);
	text[key_len] = '\0';
	for (size_t i = 0; i < 2 && begin == NULL; i++) {
		snprintf(marker, sizeof(marker), "-----BEGIN %s-----", labels[i]);
		begin = strstr(text, marker);
		if (begin != NULL) {
			begin += strlen(marker);
			snprintf(marker, sizeof(marker), "-----END %s-----", labels[i]);
			end = strstr(begin, marker);
		}
	}
	if (begin == NULL || end == NULL || memchr(key, '\0', key_len) != NULL) {
		OPENSSL_cleanse(text, key_len);
		return berr_set(e, BERR_INVALID, 0, "%s is not an encrypted sigstore private key "
				"(no ENCRYPTED SIGSTORE PRIVATE KEY block)", what);
	}
	int r = b64_decode(begin, (size_t)(end - begin), &json, &json_len, what, e);
	OPENSSL_cleanse(text, key_len);
	if (r < 0)
		return -1;
	*doc = json_loadb((const char *)json, json_len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(json, json_len);
	if (*doc == NULL)
		return berr_set(e, BERR_INVALID, 0, "%s: the key block is not JSON: %s", what,
				jerr.text);
	return 0;
}

/* The PKCS#8 DER of the key, decrypted into *der (wiped and freed by the caller). */
static int decrypt_key(json_t *doc, const char *what, const char *passphrase, uint8_t **der,
		       size_t *der_len, struct berr *e)
{
	const char *kdf, *salt_b64, *cipher, *nonce_b64, *ct_b64;
	json_int_t n, r, p;
	cleanup_free uint8_t *salt = NULL, *nonce = NULL, *ct = NULL;
	size_t salt_len, nonce_len, ct_len;
	uint8_t box_key[crypto_secretbox_KEYBYTES];
	json_error_t jerr;
	int rc;

	*der = NULL;
	if (json_unpack_ex(doc, &jerr, JSON_STRICT, "{s:{s:s,s:{s:I,s:I,s:I},s:s},s:{s:s,s:s},s:s}",
			   "kdf", "name", &kdf, "params", "N", &n, "r", &r, "p", &p,
			   "salt", &salt_b64, "cipher", "name", &cipher, "nonce", &nonce_b64,
			   "ciphertext", &ct_b64) < 0)
		return berr_set(e, BERR_INVALID, 0, "%s: not a cosign key document: %s", what,
				jerr.text);
	if (strcmp(kdf, "scrypt") != 0 || strcmp(cipher, "nacl/secretbox") != 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "%s: encrypted with %.40s and %.40s; berth "
				"reads scrypt and nacl/secretbox", what, kdf, cipher);
	/* N a power of two, the cost bounded (cosign uses 32768, 8, 1). */
	if (n < 2 || n > (1 << 20) || (n & (n - 1)) != 0 || r < 1 || r > 32 || p < 1 || p > 16)
		return berr_set(e, BERR_INVALID, 0, "%s: scrypt parameters out of range", what);
	if (b64_decode(salt_b64, strlen(salt_b64), &salt, &salt_len, what, e) < 0 ||
	    b64_decode(nonce_b64, strlen(nonce_b64), &nonce, &nonce_len, what, e) < 0 ||
	    b64_decode(ct_b64, strlen(ct_b64), &ct, &ct_len, what, e) < 0)
		return -1;
	if (nonce_len != crypto_secretbox_NONCEBYTES || ct_len <= crypto_secretbox_MACBYTES)
		return berr_set(e, BERR_INVALID, 0, "%s: bad nonce or ciphertext length", what);
	if (EVP_PBE_scrypt(passphrase, strlen(passphrase), salt, salt_len, (uint64_t)n,
			   (uint64_t)r, (uint64_t)p, SCRYPT_MAXMEM, box_key, sizeof(box_key)) != 1)
		return berr_set(e, BERR_SYSTEM, 0, "%s: scrypt failed", what);
	if (sodium_init() < 0) {
		OPENSSL_cleanse(box_key, sizeof(box_key));
		return berr_set(e, BERR_SYSTEM, 0, "libsodium failed to initialise");
	}
	*der_len = ct_len - crypto_secretbox_MACBYTES;
	*der = malloc(*der_len);
	if (*der == NULL) {
		OPENSSL_cleanse(box_key, sizeof(box_key));
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	rc = crypto_secretbox_open_easy(*der, ct, ct_len, nonce, box_key);
	OPENSSL_cleanse(box_key, sizeof(box_key));
	if (rc != 0) {
		free(*der);
		*der = NULL;
		return berr_set(e, BERR_DENIED, 0, "decrypting the sigstore private key %s: wrong "
				"passphrase (--sign-passphrase-file)", what);
	}
	return 0;
}

int cosign_sign(const uint8_t *key, size_t key_len, const char *what, const char *passphrase,
		const uint8_t *payload, size_t payload_len, char **sig_b64, struct berr *e)
{
	json_t *doc = NULL;
	uint8_t *der = NULL, *sig = NULL;
	size_t der_len = 0, sig_len = 0;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	int rc = -1;

	*sig_b64 = NULL;
	if (key_document(key, key_len, what, &doc, e) < 0 ||
	    decrypt_key(doc, what, passphrase != NULL ? passphrase : "", &der, &der_len, e) < 0)
		goto out;
	p = der;
	pk = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
	if (pk == NULL) {
		berr_set(e, BERR_INVALID, 0, "%s: the decrypted key is not a PKCS#8 private key",
			 what);
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
		berr_set(e, BERR_UNSUPPORTED, 0, "%s: only ECDSA sigstore keys are supported", what);
		goto out;
	}
	{
		char curve[64] = "";
		size_t clen = 0;
		if (EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve), &clen) != 1 ||
		    strcmp(curve, "prime256v1") != 0) {
			berr_set(e, BERR_UNSUPPORTED, 0, "%s: ECDSA keys on curve %s are not "
				 "supported (P-256 is)", what, curve[0] != '\0' ? curve : "(unknown)");
			goto out;
		}
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, NULL, &sig_len, payload, payload_len) != 1 ||
	    (sig = malloc(sig_len)) == NULL ||
	    EVP_DigestSign(md, sig, &sig_len, payload, payload_len) != 1) {
		berr_set(e, BERR_SYSTEM, 0, "signing with the sigstore key %s", what);
		goto out;
	}
	*sig_b64 = malloc(4 * ((sig_len + 2) / 3) + 1);
	if (*sig_b64 == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)*sig_b64, sig, (int)sig_len);
	rc = 0;
out:
	if (der != NULL) {
		OPENSSL_cleanse(der, der_len);
		free(der);
	}
	free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk); /* OpenSSL clears private key material it frees */
	json_decref(doc);
	return rc;
}
