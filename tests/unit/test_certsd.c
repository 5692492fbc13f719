/* Unit tests for broker/certsd.c: which certs.d files are what, and the pairing of client
 * certificates with their keys. Expected behaviour and messages follow containers/image
 * pkg/tlsclientconfig (Podman): a NAME.cert needs NAME.key and the reverse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "broker/certsd.h"
#include "common/cleanup.h"

#define DIR_ "/etc/containers/certs.d/reg:5000"

static int pair(const char *const *names, size_t n, char *base, size_t len, struct berr *e)
{
	memset(e, 0, sizeof(*e));
	return certsd_client_pair(names, n, DIR_, base, len, e);
}

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(certsd_kind_of("ca.crt"), CERTSD_CA);
	assert_int_equal(certsd_kind_of("client.cert"), CERTSD_CLIENT_CERT);
	assert_int_equal(certsd_kind_of("client.key"), CERTSD_CLIENT_KEY);
	assert_int_equal(certsd_kind_of("x.pem"), CERTSD_OTHER);
	assert_int_equal(certsd_kind_of("README"), CERTSD_OTHER);
	/* Bare suffixes and hidden files are nobody's. */
	assert_int_equal(certsd_kind_of(".crt"), CERTSD_OTHER);
	assert_int_equal(certsd_kind_of(".cert"), CERTSD_OTHER);
	assert_int_equal(certsd_kind_of(".key"), CERTSD_OTHER);
	assert_int_equal(certsd_kind_of(".client.key"), CERTSD_OTHER);
	/* Only the suffix counts, not a similar one. */
	assert_int_equal(certsd_kind_of("client.certs"), CERTSD_OTHER);
	assert_int_equal(certsd_kind_of("client.crt.bak"), CERTSD_OTHER);
	assert_int_equal(certsd_kind_of("a.keys"), CERTSD_OTHER);
}

static void test_no_client_cert(void **state)
{
	static const char *const names[] = { "ca.crt", "other.crt", "notes.txt" };
	char base[64] = "unchanged";
	struct berr e;

	(void)state;
	assert_int_equal(pair(names, ARRAY_SIZE(names), base, sizeof(base), &e), 0);
	assert_string_equal(base, "unchanged");
	assert_int_equal(pair(NULL, 0, base, sizeof(base), &e), 0);
}

static void test_a_pair(void **state)
{
	static const char *const names[] = { "client.key", "ca.crt", "client.cert" };
	char base[64];
	struct berr e;

	(void)state;
	assert_int_equal(pair(names, ARRAY_SIZE(names), base, sizeof(base), &e), 1);
	assert_string_equal(base, "client");
}

/* Several pairs: the first certificate in byte order, whatever readdir's order. */
static void test_first_of_several(void **state)
{
	static const char *const names[] = { "zed.cert", "b.key", "zed.key", "a.cert", "b.cert",
					     "a.key" };
	char base[64];
	struct berr e;

	(void)state;
	assert_int_equal(pair(names, ARRAY_SIZE(names), base, sizeof(base), &e), 1);
	assert_string_equal(base, "a");
}

static void test_cert_without_key(void **state)
{
	static const char *const names[] = { "ca.crt", "client.cert", "other.key",
					     "other.cert" };
	char base[64];
	struct berr e;

	(void)state;
	assert_int_equal(pair(names, ARRAY_SIZE(names), base, sizeof(base), &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_string_equal(e.msg, "missing key " DIR_ "/client.key for client certificate " DIR_
			    "/client.cert (CA certificates use the extension .crt)");
}

static void test_key_without_cert(void **state)
{
	static const char *const names[] = { "client.key", "client.crt" };
	char base[64];
	struct berr e;

	(void)state;
	assert_int_equal(pair(names, ARRAY_SIZE(names), base, sizeof(base), &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_string_equal(e.msg, "missing client certificate " DIR_ "/client.cert for key "
			    DIR_ "/client.key");
}

/* The partner must be the same base name exactly, not a prefix or an extension of it. */
static void test_partner_exact(void **state)
{
	static const char *const longer[] = { "client.cert", "client2.key", "client2.cert" };
	static const char *const shorter[] = { "client2.cert", "client.key", "client2.key" };
	char base[64];
	struct berr e;

	(void)state;
	assert_int_equal(pair(longer, ARRAY_SIZE(longer), base, sizeof(base), &e), -1);
	assert_non_null(strstr(e.msg, "missing key " DIR_ "/client.key "));
	assert_int_equal(pair(shorter, ARRAY_SIZE(shorter), base, sizeof(base), &e), -1);
	assert_non_null(strstr(e.msg, "missing client certificate " DIR_ "/client.cert "));
}

static void test_base_too_long(void **state)
{
	static const char *const names[] = { "a-rather-long-name.cert", "a-rather-long-name.key" };
	char base[8];
	struct berr e;

	(void)state;
	assert_int_equal(pair(names, ARRAY_SIZE(names), base, sizeof(base), &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_no_client_cert),
		cmocka_unit_test(test_a_pair),
		cmocka_unit_test(test_first_of_several),
		cmocka_unit_test(test_cert_without_key),
		cmocka_unit_test(test_key_without_cert),
		cmocka_unit_test(test_partner_exact),
		cmocka_unit_test(test_base_too_long),
	};
	return cmocka_run_group_tests_name("certsd", tests, NULL, NULL);
}
