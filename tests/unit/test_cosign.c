/* Unit tests for broker/cosign.c and the payload of broker/sign.c, with keys made here, never
 * committed: an ECDSA P-256 key (OpenSSL), its PKCS#8 DER sealed as cosign does it (scrypt with
 * a small N for speed, NaCl secretbox through libsodium), in both PEM labels. A good key signs
 * (checked with the public half); a wrong passphrase, a file that is not such a key, another
 * KDF, bad scrypt parameters and another curve are each refused with their error code. The
 * documents berth writes have the fields containers/image writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "broker/cosign.h"
#include "broker/sign.h"

static const char DIGEST[] =
	"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static char *b64(const uint8_t *d, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, d, (int)n);
	return out;
}

/* A cosign key file for pk under passphrase; label, kdf, N and curve as given. */
static char *make_key(EVP_PKEY *pk, const char *pass, const char *label, const char *kdf, long n)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pk);
	unsigned char *der = NULL;
	int der_len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	uint8_t salt[32], nonce[crypto_secretbox_NONCEBYTES], key[32];
	size_t ct_len = (size_t)der_len + crypto_secretbox_MACBYTES;
	uint8_t *ct = malloc(ct_len);
	char *s_salt, *s_nonce, *s_ct, *doc, *body, *out;
	json_t *j;

	assert_true(der_len > 0);
	assert_int_equal(sodium_init() >= 0, 1);
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	/* An N that is not a power of two is only written, never used (scrypt refuses it). */
	assert_int_equal(EVP_PBE_scrypt(pass, strlen(pass), salt, sizeof(salt),
					(uint64_t)((n & (n - 1)) != 0 ? 1024 : n), 8, 1,
					64 * 1024 * 1024, key, sizeof(key)), 1);
	assert_int_equal(crypto_secretbox_easy(ct, der, (size_t)der_len, nonce, key), 0);
	s_salt = b64(salt, sizeof(salt));
	s_nonce = b64(nonce, sizeof(nonce));
	s_ct = b64(ct, ct_len);
	j = json_pack("{s:{s:s,s:{s:I,s:i,s:i},s:s},s:{s:s,s:s},s:s}", "kdf", "name", kdf,
		      "params", "N", (json_int_t)n, "r", 8, "p", 1, "salt", s_salt, "cipher",
		      "name", "nacl/secretbox", "nonce", s_nonce, "ciphertext", s_ct);
	doc = json_dumps(j, JSON_COMPACT);
	body = b64((const uint8_t *)doc, strlen(doc));
	out = malloc(strlen(body) + 200);
	sprintf(out, "-----BEGIN %s-----\n%s\n-----END %s-----\n", label, body, label);
	json_decref(j);
	free(doc);
	free(body);
	free(s_salt);
	free(s_nonce);
	free(s_ct);
	free(ct);
	OPENSSL_free(der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return out;
}

static EVP_PKEY *ec_key(const char *curve)
{
	EVP_PKEY *pk = EVP_EC_gen(curve);
	assert_non_null(pk);
	return pk;
}

static int sign_with(const char *file, const char *pass, char **sig, struct berr *e)
{
	const char *payload = "{\"critical\":{}}";
	return cosign_sign((const uint8_t *)file, strlen(file), "test.key", pass,
			   (const uint8_t *)payload, strlen(payload), sig, e);
}

static void test_sign_and_verify(void **state)
{
	const char *labels[] = { "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY" };
	const char *payload = "{\"critical\":{}}";

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY *pk = ec_key("P-256");
		char *file = make_key(pk, "s3cret", labels[i], "scrypt", 1024), *sig = NULL;
		struct berr e = { 0 };
		uint8_t der[256];
		int n;
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		assert_int_equal(sign_with(file, "s3cret", &sig, &e), 0);
		n = EVP_DecodeBlock(der, (const unsigned char *)sig, (int)strlen(sig));
		assert_true(n > 0);
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		for (size_t k = strlen(sig); k > 0 && sig[k - 1] == '='; k--)
			n--;
		assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
		assert_int_equal(EVP_DigestVerify(md, der, (size_t)n, (const uint8_t *)payload,
						  strlen(payload)), 1);
		EVP_MD_CTX_free(md);
		free(sig);
		free(file);
		EVP_PKEY_free(pk);
	}
}

static void expect_refusal(const char *file, const char *pass, int code, const char *part)
{
	struct berr e = { 0 };
	char *sig = NULL;

	assert_int_equal(sign_with(file, pass, &sig, &e), -1);
	assert_null(sig);
	assert_int_equal(e.code, code);
	if (strstr(e.msg, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", e.msg, part);
}

static void test_refusals(void **state)
{
	EVP_PKEY *pk = ec_key("P-256"), *p384 = ec_key("P-384");
	char *good = make_key(pk, "s3cret", "ENCRYPTED SIGSTORE PRIVATE KEY", "scrypt", 1024);
	char *argon = make_key(pk, "s3cret", "ENCRYPTED SIGSTORE PRIVATE KEY", "argon2", 1024);
	char *odd_n = make_key(pk, "s3cret", "ENCRYPTED SIGSTORE PRIVATE KEY", "scrypt", 1000);
	char *curve = make_key(p384, "s3cret", "ENCRYPTED SIGSTORE PRIVATE KEY", "scrypt", 1024);
	char *cut = strdup(good);

	(void)state;
	expect_refusal(good, "wrong", BERR_DENIED, "wrong passphrase");
	expect_refusal(good, NULL, BERR_DENIED, "wrong passphrase");
	expect_refusal("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "x",
		       BERR_INVALID, "not an encrypted sigstore private key");
	expect_refusal(argon, "s3cret", BERR_UNSUPPORTED, "argon2");
	expect_refusal(odd_n, "s3cret", BERR_INVALID, "scrypt parameters");
	expect_refusal(curve, "s3cret", BERR_UNSUPPORTED, "secp384r1");
	/* A body cut short is not base64 of a document any more. */
	strcpy(strstr(cut, "\n-----END") - 5, "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
	expect_refusal(cut, "s3cret", BERR_INVALID, "test.key");
	free(good);
	free(argon);
	free(odd_n);
	free(curve);
	free(cut);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(p384);
}

static json_t *load(const char *s)
{
	json_error_t err;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		fail_msg("%s: %s", s, err.text);
	return j;
}

static void test_documents(void **state)
{
	struct berr e = { 0 };
	char *s = NULL;
	size_t len;
	json_t *j;
	const char *ref = NULL, *dig = NULL, *type = NULL, *creator = NULL;
	json_int_t ts = 0;

	(void)state;
	/* Simple signing (containers-signature(5)). */
	assert_int_equal(sign_payload("localhost:5000/app:1", DIGEST, &s, &len, &e), 0);
	assert_int_equal(strlen(s), len);
	j = load(s);
	assert_int_equal(json_unpack(j, "{s:{s:{s:s},s:{s:s},s:s},s:{s:s,s:I}}", "critical",
				     "identity", "docker-reference", &ref, "image",
				     "docker-manifest-digest", &dig, "type", &type, "optional",
				     "creator", &creator, "timestamp", &ts), 0);
	assert_string_equal(ref, "localhost:5000/app:1");
	assert_string_equal(dig, DIGEST);
	assert_string_equal(type, "atomic container signature");
	assert_string_equal(creator, "berth " BERTH_VERSION);
	assert_true(ts > 1600000000);
	json_decref(j);
	free(s);
	/* Cosign: optional is null. */
	assert_int_equal(cosign_payload("localhost:5000/app:1", DIGEST, &s, &len, &e), 0);
	j = load(s);
	assert_int_equal(json_unpack(j, "{s:{s:{s:s},s:{s:s},s:s},s:n}", "critical", "identity",
				     "docker-reference", &ref, "image", "docker-manifest-digest",
				     &dig, "type", &type, "optional"), 0);
	assert_string_equal(type, "cosign container image signature");
	json_decref(j);
	free(s);
	/* The attachment's manifest: one layer, the signature in its annotation. */
	assert_int_equal(cosign_manifest(DIGEST, 233, DIGEST, 180, "MEUCIQ==", &s, &len, &e), 0);
	j = load(s);
	const char *lt = NULL, *ann = NULL;
	json_int_t lsize = 0;
	assert_int_equal(json_unpack(j, "{s:i,s:s,s:{s:s,s:I,s:s},s:[{s:s,s:I,s:s,s:{s:s}}]}",
				     "schemaVersion", &(int){ 0 }, "mediaType", &type, "config",
				     "mediaType", &ref, "size", &ts, "digest", &dig, "layers",
				     "mediaType", &lt, "size", &lsize, "digest", &dig,
				     "annotations", COSIGN_SIG_ANNOTATION, &ann), 0);
	assert_string_equal(lt, COSIGN_LAYER_TYPE);
	assert_string_equal(ann, "MEUCIQ==");
	assert_int_equal(lsize, 180);
	assert_int_equal(ts, 233);
	json_decref(j);
	free(s);
	assert_int_equal(cosign_config(DIGEST, &s, &len, &e), 0);
	j = load(s);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(json_object_get(j, "rootfs"), "diff_ids"), 0)), DIGEST);
	json_decref(j);
	free(s);
}

/* Appending (push to an image that has an attachment): the old layers come back with their
 * annotations verbatim and in order, the new signature last; the config lists every layer. */
static void test_append(void **state)
{
	static const char D1[] =
		"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char D2[] =
		"sha256:2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct msg_sigattach_annotation a0[] = {
		{ .key = "dev.cosignproject.cosign/signature", .value = "MEYCIQ==" },
		{ .key = "dev.sigstore.cosign/bundle", .value = "{\"SignedEntryTimestamp\":\"x\"}" },
		{ .key = "a.z", .value = "" },
	};
	struct msg_sigattach_layer layers[] = {
		{ .media_type = COSIGN_LAYER_TYPE, .digest = (char *)D1, .size = 200,
		  .annotations = a0, .n_annotations = 3 },
		{ .media_type = "application/vnd.dsse.envelope.v1+json", .digest = (char *)D2,
		  .size = 9 },
	};
	struct msg_v_sigattach_reply old = { .layers = layers, .n_layers = 2 };
	const char *ids[] = { D1, D2, DIGEST };
	struct berr e = { 0 };
	char *s = NULL;
	size_t len;
	json_t *j, *l;
	const char *k;
	json_t *v;
	size_t i = 0;

	(void)state;
	assert_int_equal(cosign_manifest_append(&old, DIGEST, 300, DIGEST, 180, "MEUCIQ==", &s,
						&len, &e), 0);
	j = load(s);
	l = json_object_get(j, "layers");
	assert_int_equal(json_array_size(l), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "digest")), D1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "size")), 200);
	json_object_foreach(json_object_get(json_array_get(l, 0), "annotations"), k, v) {
		assert_string_equal(k, a0[i].key);
		assert_string_equal(json_string_value(v), a0[i].value);
		i++;
	}
	assert_int_equal(i, 3);
	/* No annotations: none written (not an empty map). */
	assert_null(json_object_get(json_array_get(l, 1), "annotations"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 1), "mediaType")),
			    "application/vnd.dsse.envelope.v1+json");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_array_get(l, 2), "annotations"), COSIGN_SIG_ANNOTATION)), "MEUCIQ==");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "config"), "size")),
			 300);
	json_decref(j);
	free(s);
	/* The config: one diff ID and one history entry per layer, in order. */
	assert_int_equal(cosign_config_n(ids, 3, &s, &len, &e), 0);
	j = load(s);
	l = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
	assert_int_equal(json_array_size(l), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_array_get(l, i)), ids[i]);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 3);
	json_decref(j);
	free(s);
	/* One layer: exactly what a first signing writes. */
	char *one = NULL;
	assert_int_equal(cosign_config_n(ids, 1, &s, &len, &e), 0);
	assert_int_equal(cosign_config(D1, &one, &len, &e), 0);
	assert_string_equal(s, one);
	free(s);
	free(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
