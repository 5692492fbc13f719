/* Unit tests for workers/verify/sigcheck.c: a simple-signing payload is accepted only for the
 * manifest digest being pulled and an identity the signedIdentity rule accepts; each refusal
 * is worded for the user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "workers/verify/sigcheck.h"
#include "workers/verify/sigpayload.h"

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG2 "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char payload[1024];

static const char *make(const char *ref, const char *digest, const char *type)
{
	snprintf(payload, sizeof(payload),
		 "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},"
		 "\"image\":{\"docker-manifest-digest\":\"%s\"},\"type\":\"%s\"},"
		 "\"optional\":{\"creator\":\"skopeo\",\"timestamp\":1458239713}}",
		 ref, digest, type);
	return payload;
}

static int check(const char *p, const char *pulled, const struct trust_identity *id,
		 struct berr *e)
{
	struct image_ref ref;
	struct berr pe = { 0 };

	assert_int_equal(ref_parse(pulled, &ref, &pe), 0);
	return sigcheck_simple((const uint8_t *)p, strlen(p), DG, id, &ref, e);
}

static void test_accepts_its_image(void **state)
{
	struct trust_identity id = { .type = TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT };
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(check(make("localhost:5000/app:1", DG, SIGPAYLOAD_TYPE_SIMPLE),
			       "localhost:5000/app:1", &id, &e), 0);
}

static void test_other_digest(void **state)
{
	struct trust_identity id = { .type = TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT };
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(check(make("localhost:5000/app:1", DG2, SIGPAYLOAD_TYPE_SIMPLE),
			       "localhost:5000/app:1", &id, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_string_equal(e.msg, "signature is for digest " DG2 ", pulled manifest is " DG);
}

static void test_other_identity(void **state)
{
	struct trust_identity id = { .type = TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT };
	struct trust_identity remap = { .type = TRUST_ID_REMAP_IDENTITY,
					.prefix = (char *)"localhost:5000/mirror",
					.signed_prefix = (char *)"localhost:5000/app" };
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(check(make("localhost:5000/other:1", DG, SIGPAYLOAD_TYPE_SIMPLE),
			       "localhost:5000/app:1", &id, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_non_null(strstr(e.msg, "signature identity names \"localhost:5000/other:1\""));
	/* remapIdentity: the mirror's image, signed under its original name. */
	berr_clear(&e);
	assert_int_equal(check(make("localhost:5000/app:1", DG, SIGPAYLOAD_TYPE_SIMPLE),
			       "localhost:5000/mirror:1", &remap, &e), 0);
}

static void test_wrong_type_and_garbage(void **state)
{
	struct trust_identity id = { .type = TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT };
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(check(make("localhost:5000/app:1", DG, SIGPAYLOAD_TYPE_COSIGN),
			       "localhost:5000/app:1", &id, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	berr_clear(&e);
	assert_int_equal(check("not json", "localhost:5000/app:1", &id, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
}

/* The cosign payload: the same rules, its own type (a simple-signing payload is refused). */
static void test_cosign(void **state)
{
	struct trust_identity id = { .type = TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT };
	struct image_ref ref;
	struct berr e = { 0 };
	const char *p;

	(void)state;
	assert_int_equal(ref_parse("localhost:5000/app:1", &ref, &e), 0);
	p = make("localhost:5000/app:1", DG, SIGPAYLOAD_TYPE_COSIGN);
	assert_int_equal(sigcheck_cosign((const uint8_t *)p, strlen(p), DG, &id, &ref, &e), 0);
	p = make("localhost:5000/app:1", DG2, SIGPAYLOAD_TYPE_COSIGN);
	assert_int_equal(sigcheck_cosign((const uint8_t *)p, strlen(p), DG, &id, &ref, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_string_equal(e.msg, "signature is for digest " DG2 ", pulled manifest is " DG);
	p = make("localhost:5000/other:1", DG, SIGPAYLOAD_TYPE_COSIGN);
	assert_int_equal(sigcheck_cosign((const uint8_t *)p, strlen(p), DG, &id, &ref, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	p = make("localhost:5000/app:1", DG, SIGPAYLOAD_TYPE_SIMPLE);
	assert_int_equal(sigcheck_cosign((const uint8_t *)p, strlen(p), DG, &id, &ref, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	/* cosign writes "optional": null. */
	p = "{\"critical\":{\"identity\":{\"docker-reference\":\"localhost:5000/app:1\"},"
	    "\"image\":{\"docker-manifest-digest\":\"" DG "\"},\"type\":\""
	    SIGPAYLOAD_TYPE_COSIGN "\"},\"optional\":null}";
	assert_int_equal(sigcheck_cosign((const uint8_t *)p, strlen(p), DG, &id, &ref, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_its_image),
		cmocka_unit_test(test_other_digest),
		cmocka_unit_test(test_other_identity),
		cmocka_unit_test(test_wrong_type_and_garbage),
		cmocka_unit_test(test_cosign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
