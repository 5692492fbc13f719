/* Unit tests for workers/verify/sigverify.c with keys made here, never committed: OpenPGP keys
 * by gpg --batch in a scratch home, signatures by `gpg --sign`; ECDSA P-256, P-384 and Ed25519
 * keys and signatures by OpenSSL. Good signatures hold; another key, a changed payload, a
 * damaged signature, no keys, and unsupported key types are each refused with their reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/rmtree.h"
#include "workers/verify/sigverify.h"

static const char PAYLOAD[] =
	"{\"critical\":{\"identity\":{\"docker-reference\":\"localhost:5000/app:1\"},"
	"\"image\":{\"docker-manifest-digest\":\"sha256:0123\"},"
	"\"type\":\"atomic container signature\"},\"optional\":{}}";

static char scratch[] = "/tmp/berth-sigverify-XXXXXX";

/* ------------------------------------------------------------------ OpenPGP */

struct gpgkey {
	char home[4200];
	uint8_t *pub;
	size_t pub_len;
	char fpr[64];
};

static struct gpgkey alice, mallory;

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
		buf[n] = 0;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int sh(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int make_gpg_key(struct gpgkey *k, const char *name)
{
	char path[4400];
	size_t len;
	uint8_t *f;

	snprintf(k->home, sizeof(k->home), "%s/%s", scratch, name);
	if (mkdir(k->home, 0700) < 0 ||
	    sh("gpg --homedir %s --batch --quiet --passphrase '' --quick-gen-key "
	       "'%s <%s@example.com>' ed25519 sign never 2>/dev/null", k->home, name, name) != 0 ||
	    sh("gpg --homedir %s --batch --armor --export > %s/pub.asc", k->home, k->home) != 0 ||
	    sh("gpg --homedir %s --batch --with-colons --list-keys 2>/dev/null | awk -F: '$1==\"fpr\"{print $10; "
	       "exit}' > %s/fpr", k->home, k->home) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pub.asc", k->home);
	if ((k->pub = slurp(path, &k->pub_len)) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/fpr", k->home);
	if ((f = slurp(path, &len)) == NULL || len < 40)
		return -1;
	snprintf(k->fpr, sizeof(k->fpr), "%.40s", (char *)f);
	free(f);
	return 0;
}

/* `gpg --sign` of data by k: the signed message. */
static uint8_t *gpg_sign(const struct gpgkey *k, const char *data, size_t *len)
{
	char in[4400], out[4400];
	FILE *f;

	snprintf(in, sizeof(in), "%s/payload", k->home);
	snprintf(out, sizeof(out), "%s/payload.sig", k->home);
	unlink(out);
	if ((f = fopen(in, "wb")) == NULL)
		return NULL;
	fwrite(data, 1, strlen(data), f);
	fclose(f);
	/* Uncompressed, so a test can find and change the signed content. */
	if (sh("gpg --homedir %s --batch --quiet --compress-algo none --sign --output %s %s "
	       "2>/dev/null", k->home, out, in) != 0)
		return NULL;
	return slurp(out, len);
}

static int setup_gpg(void **state)
{
	(void)state;
	if (mkdtemp(scratch) == NULL)
		return -1;
	return make_gpg_key(&alice, "alice") == 0 && make_gpg_key(&mallory, "mallory") == 0 ? 0
											      : -1;
}

static int teardown_gpg(void **state)
{
	struct berr e = { 0 };
	(void)state;
	sh("gpgconf --homedir %s --kill all 2>/dev/null; gpgconf --homedir %s --kill all "
	   "2>/dev/null", alice.home, mallory.home);
	free(alice.pub);
	free(mallory.pub);
	return rmtree_at(AT_FDCWD, scratch, &e);
}

/* Nothing is left in the directory the worker was given. */
static void assert_tmp_empty(void)
{
	char cmd[4400];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls %s/work)\"", scratch);
	assert_int_equal(system(cmd), 0);
}

static char *workdir(void)
{
	static char d[4300];
	snprintf(d, sizeof(d), "%s/work", scratch);
	mkdir(d, 0700);
	return d;
}

static void gpg_good(void **state)
{
	size_t len;
	uint8_t *sig = gpg_sign(&alice, PAYLOAD, &len);
	struct sig_key keys[] = { { mallory.pub, mallory.pub_len }, { alice.pub, alice.pub_len } };
	struct sig_gpg_result r;
	struct berr e = { 0 };

	(void)state;
	assert_non_null(sig);
	assert_int_equal(sig_gpg_verify(sig, len, keys, 2, workdir(), &r, &e), 0);
	assert_int_equal(r.payload_len, strlen(PAYLOAD));
	assert_memory_equal(r.payload, PAYLOAD, r.payload_len);
	assert_string_equal(r.fingerprint, alice.fpr);
	free(r.payload);
	free(sig);
	assert_tmp_empty();
}

static void gpg_other_key(void **state)
{
	size_t len;
	uint8_t *sig = gpg_sign(&mallory, PAYLOAD, &len);
	struct sig_key keys[] = { { alice.pub, alice.pub_len } };
	struct sig_gpg_result r;
	struct berr e = { 0 };

	(void)state;
	assert_non_null(sig);
	assert_int_equal(sig_gpg_verify(sig, len, keys, 1, workdir(), &r, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_non_null(strstr(e.msg, "which the policy does not name"));
	assert_null(r.payload);
	free(sig);
	assert_tmp_empty();
}

static void gpg_damaged(void **state)
{
	size_t len;
	uint8_t *sig = gpg_sign(&alice, PAYLOAD, &len);
	struct sig_key keys[] = { { alice.pub, alice.pub_len } };
	struct sig_gpg_result r;
	struct berr e = { 0 };
	const char *at;

	(void)state;
	assert_non_null(sig);
	/* A byte of the signed content changed ("localhost" -> "localhosu"). */
	at = memmem(sig, len, "localhost", 9);
	assert_non_null(at);
	sig[at - (const char *)sig + 8] ^= 1;
	assert_int_equal(sig_gpg_verify(sig, len, keys, 1, workdir(), &r, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	/* Cut short: the signature packet is incomplete. */
	sig[at - (const char *)sig + 8] ^= 1;
	assert_int_equal(sig_gpg_verify(sig, len - 20, keys, 1, workdir(), &r, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	free(sig);
	/* Not a signature at all. */
	assert_int_equal(sig_gpg_verify((const uint8_t *)"hello", 5, keys, 1, workdir(), &r, &e),
			 -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_tmp_empty();
}

static void gpg_no_or_bad_keys(void **state)
{
	size_t len;
	uint8_t *sig = gpg_sign(&alice, PAYLOAD, &len);
	struct sig_key junk[] = { { (const uint8_t *)"not a key", 9 } };
	struct sig_gpg_result r;
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(sig_gpg_verify(sig, len, NULL, 0, workdir(), &r, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_int_equal(sig_gpg_verify(sig, len, junk, 1, workdir(), &r, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	free(sig);
	assert_tmp_empty();
}

/* ------------------------------------------------------------------ sigstore */

struct pkey {
	EVP_PKEY *k;
	char *pem;
	size_t pem_len;
};

static int make_pkey(struct pkey *p, const char *type, const char *curve)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	p->k = curve != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve)
			     : EVP_PKEY_Q_keygen(NULL, NULL, type);
	if (p->k == NULL || b == NULL || PEM_write_bio_PUBKEY(b, p->k) != 1)
		return -1;
	n = BIO_get_mem_data(b, &data);
	p->pem = malloc((size_t)n);
	memcpy(p->pem, data, (size_t)n);
	p->pem_len = (size_t)n;
	BIO_free(b);
	return 0;
}

static void free_pkey(struct pkey *p)
{
	EVP_PKEY_free(p->k);
	free(p->pem);
}

/* base64 of p's signature over data (SHA-256 for ECDSA, none for Ed25519). */
static char *sign_b64(const struct pkey *p, const char *data, bool ed)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[512];
	size_t len = sizeof(sig);
	char *out = malloc(1024);

	assert_int_equal(EVP_DigestSignInit(md, NULL, ed ? NULL : EVP_sha256(), NULL, p->k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len, (const uint8_t *)data, strlen(data)), 1);
	EVP_EncodeBlock((unsigned char *)out, sig, (int)len);
	EVP_MD_CTX_free(md);
	return out;
}

static void sigstore_keys(void **state, const char *type, const char *curve, bool ed)
{
	struct pkey a, b;
	struct berr e = { 0 };
	char *sig, *tampered;

	(void)state;
	assert_int_equal(make_pkey(&a, type, curve), 0);
	assert_int_equal(make_pkey(&b, type, curve), 0);
	struct sig_key ka = { (const uint8_t *)a.pem, a.pem_len };
	struct sig_key kb = { (const uint8_t *)b.pem, b.pem_len };
	sig = sign_b64(&a, PAYLOAD, ed);
	assert_int_equal(sig_sigstore_verify((const uint8_t *)PAYLOAD, strlen(PAYLOAD), sig, &ka,
					     &e), 0);
	/* Another key. */
	assert_int_equal(sig_sigstore_verify((const uint8_t *)PAYLOAD, strlen(PAYLOAD), sig, &kb,
					     &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	/* A changed payload. */
	assert_int_equal(sig_sigstore_verify((const uint8_t *)PAYLOAD, strlen(PAYLOAD) - 1, sig,
					     &ka, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	/* Padding dropped still decodes (cosign writes it; others may not). */
	tampered = strdup(sig);
	char *eq = strchr(tampered, '=');
	if (eq != NULL) {
		*eq = '\0';
		assert_int_equal(sig_sigstore_verify((const uint8_t *)PAYLOAD, strlen(PAYLOAD),
						     tampered, &ka, &e), 0);
	}
	/* Not base64. */
	assert_int_equal(sig_sigstore_verify((const uint8_t *)PAYLOAD, strlen(PAYLOAD), "@@@@",
					     &ka, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	free(tampered);
	free(sig);
	free_pkey(&a);
	free_pkey(&b);
}

static void sigstore_ecdsa_p256(void **state)
{
	sigstore_keys(state, "EC", "P-256", false);
}

static void sigstore_ed25519(void **state)
{
	sigstore_keys(state, "ED25519", NULL, true);
}

static void sigstore_unsupported_and_bad_keys(void **state)
{
	struct pkey p384, rsa = { 0 };
	struct berr e = { 0 };
	struct sig_key junk = { (const uint8_t *)"-----BEGIN PUBLIC KEY-----\nxx\n", 30 };
	BIO *b = BIO_new(BIO_s_mem());
	char *data;

	(void)state;
	assert_int_equal(make_pkey(&p384, "EC", "P-384"), 0);
	struct sig_key k = { (const uint8_t *)p384.pem, p384.pem_len };
	assert_int_equal(sig_sigstore_verify((const uint8_t *)"x", 1, "AAAA", &k, &e), -1);
	assert_int_equal(e.code, BERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "P-256"));
	free_pkey(&p384);
	rsa.k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(rsa.k);
	assert_int_equal(PEM_write_bio_PUBKEY(b, rsa.k), 1);
	long n = BIO_get_mem_data(b, &data);
	struct sig_key kr = { (const uint8_t *)data, (size_t)n };
	assert_int_equal(sig_sigstore_verify((const uint8_t *)"x", 1, "AAAA", &kr, &e), -1);
	assert_int_equal(e.code, BERR_UNSUPPORTED);
	BIO_free(b);
	EVP_PKEY_free(rsa.k);
	assert_int_equal(sig_sigstore_verify((const uint8_t *)"x", 1, "AAAA", &junk, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
}

/* sig_sigstore_verify_keys: the keys one after the other (as the broker concatenates
 * keyPaths), the one that verifies named by index and SPKI sha256; the same answers as
 * sig_sigstore_verify otherwise, and a damaged key is never skipped. */
static void sigstore_key_list(void **state)
{
	struct pkey a, b, ed;
	struct berr e = { 0 };
	struct sig_sigstore_result res;
	char *sig, buf[8192], want[65];
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n, dlen;

	(void)state;
	assert_int_equal(make_pkey(&a, "EC", "P-256"), 0);
	assert_int_equal(make_pkey(&b, "EC", "P-256"), 0);
	assert_int_equal(make_pkey(&ed, "ED25519", NULL), 0);
	sig = sign_b64(&a, PAYLOAD, false);
	/* b, ed, a: the third verifies it. */
	n = snprintf(buf, sizeof(buf), "%.*s\n%.*s\n%.*s\n", (int)b.pem_len, b.pem,
		     (int)ed.pem_len, ed.pem, (int)a.pem_len, a.pem);
	assert_int_equal(sig_sigstore_verify_keys((const uint8_t *)PAYLOAD, strlen(PAYLOAD), sig,
						  (const uint8_t *)buf, (size_t)n, &res, &e), 0);
	assert_int_equal(res.key_index, 2);
	dlen = i2d_PUBKEY(a.k, &der);
	assert_true(dlen > 0);
	assert_int_equal(EVP_Digest(der, (size_t)dlen, md, &mdlen, EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	for (unsigned i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(res.key_sha256, want);
	/* Without a: no key verifies it. */
	n = snprintf(buf, sizeof(buf), "%.*s%.*s", (int)b.pem_len, b.pem, (int)ed.pem_len, ed.pem);
	assert_int_equal(sig_sigstore_verify_keys((const uint8_t *)PAYLOAD, strlen(PAYLOAD), sig,
						  (const uint8_t *)buf, (size_t)n, &res, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_non_null(strstr(e.msg, "any of the keys"));
	/* A changed payload; a signature that is not base64: verdicts too. */
	n = snprintf(buf, sizeof(buf), "%.*s", (int)a.pem_len, a.pem);
	assert_int_equal(sig_sigstore_verify_keys((const uint8_t *)PAYLOAD, strlen(PAYLOAD) - 1,
						  sig, (const uint8_t *)buf, (size_t)n, &res, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_int_equal(sig_sigstore_verify_keys((const uint8_t *)PAYLOAD, strlen(PAYLOAD), "@@",
						  (const uint8_t *)buf, (size_t)n, &res, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	/* A damaged key after the good one, no key at all: the policy's fault. */
	n = snprintf(buf, sizeof(buf), "%.*s-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC "
		     "KEY-----\n", (int)a.pem_len, a.pem);
	assert_int_equal(sig_sigstore_verify_keys((const uint8_t *)PAYLOAD, strlen(PAYLOAD), sig,
						  (const uint8_t *)buf, (size_t)n, &res, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_int_equal(sig_sigstore_verify_keys((const uint8_t *)PAYLOAD, strlen(PAYLOAD), sig,
						  (const uint8_t *)"", 0, &res, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	free(sig);
	free_pkey(&a);
	free_pkey(&b);
	free_pkey(&ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpg_good),
		cmocka_unit_test(gpg_other_key),
		cmocka_unit_test(gpg_damaged),
		cmocka_unit_test(gpg_no_or_bad_keys),
		cmocka_unit_test(sigstore_ecdsa_p256),
		cmocka_unit_test(sigstore_ed25519),
		cmocka_unit_test(sigstore_unsupported_and_bad_keys),
		cmocka_unit_test(sigstore_key_list),
	};
	return cmocka_run_group_tests(tests, setup_gpg, teardown_gpg);
}
