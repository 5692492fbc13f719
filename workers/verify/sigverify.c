#include "workers/verify/sigverify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gpgme.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

#include "common/rmtree.h"

/* ---------------------------------------------------------------- OpenPGP (gpgme) */

#define GPG_MAX_KEYS 64

/* What makes an otherwise good signature unacceptable (an untrusted key is not among them:
 * trust here is the policy's naming of the key, not GnuPG's web of trust). */
#define BAD_SUMMARY (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED | \
		     GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING | GPGME_SIGSUM_SYS_ERROR)

static int gpg_err(struct berr *e, int code, gpgme_error_t err, const char *what)
{
	return berr_set(e, code, 0, "%s: %s", what, gpgme_strerror(err));
}

/* The primary fingerprints of the keys imported into ctx's home, into fprs. */
static int import_keys(gpgme_ctx_t ctx, const struct sig_key *keys, size_t nkeys,
		       char (*fprs)[64], size_t *nfprs, struct berr *e)
{
	*nfprs = 0;
	for (size_t i = 0; i < nkeys; i++) {
		gpgme_data_t d;
		gpgme_error_t err = gpgme_data_new_from_mem(&d, (const char *)keys[i].data,
							    keys[i].len, 0);
		if (err != 0)
			return gpg_err(e, BERR_SYSTEM, err, "reading a key");
		err = gpgme_op_import(ctx, d);
		gpgme_data_release(d);
		if (err != 0)
			return gpg_err(e, BERR_INVALID, err, "importing a key the policy names");
		gpgme_import_result_t r = gpgme_op_import_result(ctx);
		if (r == NULL || r->imports == NULL)
			return berr_set(e, BERR_INVALID, 0, "a key the policy names holds no OpenPGP "
					"public key");
		for (gpgme_import_status_t s = r->imports; s != NULL; s = s->next) {
			if (s->result != 0 || s->fpr == NULL || *nfprs == GPG_MAX_KEYS)
				continue;
			snprintf(fprs[(*nfprs)++], 64, "%s", s->fpr);
		}
	}
	if (*nfprs == 0)
		return berr_set(e, BERR_INVALID, 0, "no usable OpenPGP key among those the policy "
				"names");
	return 0;
}

static int check_signature(gpgme_ctx_t ctx, char (*fprs)[64], size_t nfprs,
			   struct sig_gpg_result *out, struct berr *e)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t s = vr != NULL ? vr->signatures : NULL;
	gpgme_key_t key = NULL;
	bool named = false;

	if (s == NULL)
		return berr_set(e, BERR_DENIED, 0, "the signature holds no OpenPGP signature");
	if (s->next != NULL)
		return berr_set(e, BERR_DENIED, 0, "the signature holds more than one OpenPGP "
				"signature");
	if (gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY)
		return berr_set(e, BERR_DENIED, 0, "signed by key %s, which the policy does not "
				"name", s->fpr != NULL ? s->fpr : "(unknown)");
	if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR)
		return berr_set(e, BERR_DENIED, 0, "the OpenPGP signature is not valid: %s",
				gpgme_strerror(s->status));
	if ((s->summary & BAD_SUMMARY) != 0)
		return berr_set(e, BERR_DENIED, 0, "the OpenPGP signature by %s is not acceptable "
				"(%s)", s->fpr,
				(s->summary & GPGME_SIGSUM_KEY_REVOKED) ? "the key is revoked" :
				(s->summary & GPGME_SIGSUM_KEY_EXPIRED) ? "the key has expired" :
				(s->summary & GPGME_SIGSUM_SIG_EXPIRED) ? "the signature has expired" :
				"bad signature");
	/* s->fpr may be a subkey's: the imported primary key it belongs to is what counts. */
	if (s->fpr == NULL || gpgme_get_key(ctx, s->fpr, &key, 0) != 0 || key == NULL ||
	    key->fpr == NULL) {
		gpgme_key_unref(key);
		return berr_set(e, BERR_DENIED, 0, "signed by key %s, which the policy does not "
				"name", s->fpr != NULL ? s->fpr : "(unknown)");
	}
	for (size_t i = 0; i < nfprs; i++)
		named = named || strcasecmp(fprs[i], key->fpr) == 0;
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", key->fpr);
	gpgme_key_unref(key);
	if (!named)
		return berr_set(e, BERR_DENIED, 0, "signed by key %s, which the policy does not "
				"name", out->fingerprint);
	return 0;
}

int sig_gpg_verify(const uint8_t *sig, size_t sig_len, const struct sig_key *keys, size_t nkeys,
		   const char *tmpdir, struct sig_gpg_result *out, struct berr *e)
{
	char home[4096], (*fprs)[64] = NULL;
	size_t nfprs = 0;
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t sd = NULL, plain = NULL;
	gpgme_error_t err;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (nkeys == 0)
		return berr_set(e, BERR_DENIED, 0, "the policy names no key to verify with");
	if (snprintf(home, sizeof(home), "%s/gnupg-XXXXXX", tmpdir) >= (int)sizeof(home))
		return berr_set(e, BERR_INVALID, 0, "temporary directory path too long");
	if (mkdtemp(home) == NULL)
		return berr_sys(e, "making a temporary GnuPG home in %s", tmpdir);
	fprs = calloc(GPG_MAX_KEYS, sizeof(*fprs));
	if (fprs == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	gpgme_check_version(NULL);
	if ((err = gpgme_new(&ctx)) != 0 ||
	    (err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home)) != 0) {
		gpg_err(e, BERR_UNSUPPORTED, err, "starting GnuPG");
		goto out;
	}
	gpgme_set_offline(ctx, 1);
	if (import_keys(ctx, keys, nkeys, fprs, &nfprs, e) < 0)
		goto out;
	if ((err = gpgme_data_new_from_mem(&sd, (const char *)sig, sig_len, 0)) != 0 ||
	    (err = gpgme_data_new(&plain)) != 0) {
		gpg_err(e, BERR_SYSTEM, err, "reading the signature");
		goto out;
	}
	err = gpgme_op_verify(ctx, sd, NULL, plain);
	if (err != 0) {
		gpg_err(e, BERR_DENIED, err, "the signature is not an OpenPGP signed message");
		goto out;
	}
	if (check_signature(ctx, fprs, nfprs, out, e) < 0)
		goto out;
	size_t len = 0;
	char *p = gpgme_data_release_and_get_mem(plain, &len);
	plain = NULL;
	out->payload = malloc(len + 1);
	if (out->payload == NULL) {
		gpgme_free(p);
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	if (len > 0)
		memcpy(out->payload, p, len);
	out->payload[len] = '\0';
	out->payload_len = len;
	gpgme_free(p);
	rc = 0;
out:
	gpgme_data_release(sd);
	gpgme_data_release(plain);
	gpgme_release(ctx);
	free(fprs);
	{
		struct berr e2 = { 0 };
		(void)rmtree_at(AT_FDCWD, home, &e2);
	}
	return rc;
}

/* ---------------------------------------------------------------- sigstore (OpenSSL) */

/* Standard base64 (padding optional, no whitespace); *out owned by the caller. */
static int b64_decode(const char *in, uint8_t **out, size_t *outlen, struct berr *e)
{
	size_t n = strlen(in), pad = 0;
	char *padded;
	int r;

	if (n == 0 || n > 16384)
		return berr_set(e, BERR_INVALID, 0, "the signature is not base64 of a signature");
	padded = malloc(n + 4);
	*out = malloc(n + 4);
	if (padded == NULL || *out == NULL) {
		free(padded);
		free(*out);
		*out = NULL;
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	memcpy(padded, in, n);
	while ((n + pad) % 4 != 0)
		padded[n + pad++] = '=';
	padded[n + pad] = '\0';
	r = EVP_DecodeBlock(*out, (const unsigned char *)padded, (int)(n + pad));
	if (r >= 0) {
		/* EVP_DecodeBlock counts padding as zero bytes. */
		size_t eq = 0;
		for (size_t i = n + pad; i > 0 && padded[i - 1] == '='; i--)
			eq++;
		r -= (int)eq;
	}
	free(padded);
	if (r <= 0) {
		free(*out);
		*out = NULL;
		return berr_set(e, BERR_INVALID, 0, "the signature is not base64 of a signature");
	}
	*outlen = (size_t)r;
	return 0;
}

/* The hash a supported key type signs with (NULL for Ed25519, which hashes itself): 0, or -1
 * with BERR_UNSUPPORTED. */
static int key_hash(EVP_PKEY *pk, const EVP_MD **hash, struct berr *e)
{
	int type = EVP_PKEY_get_base_id(pk);

	*hash = NULL;
	if (type == EVP_PKEY_EC) {
		char curve[64] = "";
		size_t clen = 0;
		if (EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve), &clen) != 1 ||
		    strcmp(curve, "prime256v1") != 0)
			return berr_set(e, BERR_UNSUPPORTED, 0, "sigstore ECDSA keys on curve %s are "
					"not supported (P-256 is)",
					curve[0] != '\0' ? curve : "(unknown)");
		*hash = EVP_sha256();
	} else if (type != EVP_PKEY_ED25519) {
		return berr_set(e, BERR_UNSUPPORTED, 0, "sigstore keys of type %s are not supported "
				"(ECDSA P-256 and Ed25519 are)", OBJ_nid2sn(type));
	}
	return 0;
}

/* One parsed public key against the signature: 0, or -1 (BERR_DENIED: no match; others). */
static int verify_with(EVP_PKEY *pk, const uint8_t *payload, size_t payload_len,
		       const uint8_t *sig, size_t sig_len, struct berr *e)
{
	EVP_MD_CTX *md = NULL;
	const EVP_MD *hash;
	int rc = -1;

	if (key_hash(pk, &hash, e) < 0)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, hash, NULL, pk) != 1) {
		berr_set(e, BERR_SYSTEM, 0, "setting up the signature check");
		goto out;
	}
	if (EVP_DigestVerify(md, sig, sig_len, payload, payload_len) != 1) {
		berr_set(e, BERR_DENIED, 0, "the sigstore signature does not match the payload and "
			 "the key the policy names");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	/* A failed verification leaves OpenSSL errors queued; the next key starts clean. */
	ERR_clear_error();
	return rc;
}

int sig_sigstore_verify(const uint8_t *payload, size_t payload_len, const char *sig_b64,
			const struct sig_key *key, struct berr *e)
{
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	const EVP_MD *hash;
	int rc = -1;

	if (key->len > INT32_MAX || (bio = BIO_new_mem_buf(key->data, (int)key->len)) == NULL ||
	    (pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		berr_set(e, BERR_INVALID, 0, "a sigstore key the policy names is not a PEM public "
			 "key");
		goto out;
	}
	if (key_hash(pk, &hash, e) < 0 || b64_decode(sig_b64, &sig, &sig_len, e) < 0)
		goto out;
	rc = verify_with(pk, payload, payload_len, sig, sig_len, e);
out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	free(sig);
	return rc;
}

/* sha256 of the key's DER SubjectPublicKeyInfo, lowercase hex. */
static int spki_sha256(EVP_PKEY *pk, char out[65], struct berr *e)
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(pk, &der);

	if (n <= 0)
		return berr_set(e, BERR_SYSTEM, 0, "encoding a public key");
	if (EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		OPENSSL_free(der);
		return berr_set(e, BERR_SYSTEM, 0, "hashing a public key");
	}
	OPENSSL_free(der);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

#define PEM_PUBKEY_BEGIN "-----BEGIN PUBLIC KEY-----"

/* How many PEM "PUBLIC KEY" blocks the data has. */
static size_t count_blocks(const uint8_t *data, size_t len)
{
	size_t n = 0, k = strlen(PEM_PUBKEY_BEGIN);
	const uint8_t *p = data, *end = data + len, *hit;

	while (p < end && (hit = memmem(p, (size_t)(end - p), PEM_PUBKEY_BEGIN, k)) != NULL) {
		n++;
		p = hit + k;
	}
	return n;
}

int sig_sigstore_verify_keys(const uint8_t *payload, size_t payload_len, const char *sig_b64,
			     const uint8_t *keys, size_t keys_len, struct sig_sigstore_result *res,
			     struct berr *e)
{
	EVP_PKEY *pks[SIG_SIGSTORE_KEYS_MAX];
	BIO *bio = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0, nkeys = 0;
	const EVP_MD *hash;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (keys_len > INT32_MAX || (bio = BIO_new_mem_buf(keys, (int)keys_len)) == NULL) {
		berr_set(e, BERR_SYSTEM, 0, "reading the public keys");
		goto out;
	}
	/* Every key first: a key the policy names that cannot be used is the user's to fix,
	 * whatever the signature is. */
	ERR_clear_error();
	for (;;) {
		EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

		if (pk == NULL)
			break;
		if (nkeys == SIG_SIGSTORE_KEYS_MAX) {
			EVP_PKEY_free(pk);
			berr_set(e, BERR_INVALID, 0, "the policy names more than %d sigstore keys",
				 SIG_SIGSTORE_KEYS_MAX);
			goto out;
		}
		pks[nkeys++] = pk;
		if (key_hash(pk, &hash, e) < 0)
			goto out;
	}
	/* Every "PUBLIC KEY" block must have been read: one that is there but unreadable is not
	 * skipped (OpenSSL's error queue does not tell the end of the data from a bad key). */
	ERR_clear_error();
	if (nkeys == 0 || nkeys != count_blocks(keys, keys_len)) {
		berr_set(e, BERR_INVALID, 0, "a sigstore key the policy names is not a PEM public "
			 "key");
		goto out;
	}
	if (b64_decode(sig_b64, &sig, &sig_len, e) < 0) {
		e->code = BERR_DENIED; /* the signature's fault: a verdict */
		goto out;
	}
	for (size_t i = 0; i < nkeys; i++) {
		if (verify_with(pks[i], payload, payload_len, sig, sig_len, e) == 0) {
			if (spki_sha256(pks[i], res->key_sha256, e) < 0)
				goto out;
			res->key_index = i;
			rc = 0;
			goto out;
		}
		if (e->code != BERR_DENIED)
			goto out;
	}
	berr_set(e, BERR_DENIED, 0, "the sigstore signature does not match the payload and %s",
		 nkeys == 1 ? "the key the policy names" : "any of the keys the policy names");
out:
	while (nkeys > 0)
		EVP_PKEY_free(pks[--nkeys]);
	BIO_free(bio);
	free(sig);
	return rc;
}
