/* Unit tests for common/reference.c: image reference parsing, normalisation and formatting.
 * Cases marked "distribution" come from distribution/reference and containers/image
 * docker/reference reference_test.go / normalize_test.go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/reference.h"

#define H64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define A64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H128 H64 H64

struct ok_case {
	const char *in;
	const char *domain, *path, *tag, *digest;
};

static const struct ok_case ok_cases[] = {
	/* distribution */
	{ "test_com", "", "test_com", "", "" },
	{ "test.com:tag", "", "test.com", "tag", "" },
	{ "test.com:5000", "", "test.com", "5000", "" },
	{ "test.com/repo:tag", "test.com", "repo", "tag", "" },
	{ "test:5000/repo", "test:5000", "repo", "", "" },
	{ "test:5000/repo:tag", "test:5000", "repo", "tag", "" },
	{ "test:5000/repo@sha256:" H64, "test:5000", "repo", "", "sha256:" H64 },
	{ "test:5000/repo:tag@sha256:" H64, "test:5000", "repo", "tag", "sha256:" H64 },
	{ "lowercase:Uppercase", "", "lowercase", "Uppercase", "" },
	{ "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "", "" },
	{ "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
	  "some-long-tag", "" },
	{ "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io",
	  "test.example.com/my-app", "test.example.com", "" },
	{ "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", "" },
	{ "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" H128, "xn--7o8h.com", "myimage",
	  "xn--7o8h.com", "sha512:" H128 },
	{ "foo_bar.com:8080", "", "foo_bar.com", "8080", "" },
	/* The regexp sees "foo" as a domain here, but it has no "." or ":" and is not localhost,
	 * so Podman treats the whole name as a short name (SplitDockerDomain). */
	{ "foo/foo_bar.com:8080", "", "foo/foo_bar.com", "8080", "" },
	/* A first component with a "." that is not a valid host name is part of the path. */
	{ "foo_bar.com/x", "", "foo_bar.com/x", "", "" },
	/* berth's own */
	{ "busybox", "", "busybox", "", "" },
	{ "library/busybox:1.36", "", "library/busybox", "1.36", "" },
	{ "localhost/app", "localhost", "app", "", "" },
	{ "localhost:5000/a/b:tag@sha256:" A64, "localhost:5000", "a/b", "tag", "sha256:" A64 },
	{ "localhost", "", "localhost", "", "" },
	{ "localhost:5000", "", "localhost", "5000", "" },
	{ "[::1]:5000/foo", "[::1]:5000", "foo", "", "" },
	{ "[2001:db8::1]/foo/bar:v1", "[2001:db8::1]", "foo/bar", "v1", "" },
	{ "[FE80::1]:80/x", "[FE80::1]:80", "x", "", "" },
	{ "192.168.1.10:5000/ns/img", "192.168.1.10:5000", "ns/img", "", "" },
	{ "Example.COM/ns/img", "Example.COM", "ns/img", "", "" },
	{ "REGISTRY.example.com:443/a", "REGISTRY.example.com:443", "a", "", "" },
	{ "a-b.c/x", "a-b.c", "x", "", "" },
	{ "quay.io/a__b/c---d/e.f_g:T_a.g-1", "quay.io", "a__b/c---d/e.f_g", "T_a.g-1", "" },
	{ "img@sha256:" A64, "", "img", "", "sha256:" A64 },
	{ "img:t@sha512:" H128, "", "img", "t", "sha512:" H128 },
	{ "a:_t", "", "a", "_t", "" },
};

static void test_ref_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct image_ref r;
		struct berr e = { 0 };
		char buf[REF_STR_MAX];

		if (ref_parse(c->in, &r, &e) != 0)
			fail_msg("%s: unexpected error: %s", c->in, e.msg);
		assert_string_equal(r.domain, c->domain);
		assert_string_equal(r.path, c->path);
		assert_string_equal(r.tag, c->tag);
		assert_string_equal(r.digest, c->digest);
		assert_int_equal(r.has_domain_explicitly, c->domain[0] != '\0');
		assert_int_equal(ref_is_short(&r), c->domain[0] == '\0');
		/* Formatting gives the input back: nothing is lost or invented. */
		assert_int_equal(ref_format(&r, buf, sizeof(buf)), (int)strlen(c->in));
		assert_string_equal(buf, c->in);
	}
}

struct bad_case {
	const char *in;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "", "repository name must have at least one component" },
	{ ":justtag", "invalid reference format" },
	{ "@sha256:" H64, "invalid reference format" },
	{ "repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length" },
	{ "validname@invaliddigest:" H64, "unsupported digest algorithm" },
	{ "Uppercase:tag", "invalid reference format: repository name must be lowercase" },
	{ "Uppercase/lowercase:tag", "invalid reference format: repository name must be lowercase" },
	{ "test:5000/Uppercase/lowercase:tag",
	  "invalid reference format: repository name must be lowercase" },
	{ "docker.io/Library/busybox", "invalid reference format: repository name must be lowercase" },
	{ "aa/asdf$$^/aa", "invalid reference format" },
	{ "a//b", "invalid reference format" },
	{ "a/", "invalid reference format" },
	{ "/a", "invalid reference format" },
	{ "a:", "invalid reference format" },
	{ "a@", "invalid reference format" },
	{ "a:b:c", "invalid reference format" },
	{ "a:-tag", "invalid reference format" },
	{ "a:.tag", "invalid reference format" },
	{ "-a", "invalid reference format" },
	{ "a-", "invalid reference format" },
	{ "a..b", "invalid reference format" },
	{ "a___b", "invalid reference format" },
	{ "a._b", "invalid reference format" },
	{ "a b", "invalid reference format" },
	{ "a\tb", "invalid reference format" },
	{ "host:port/x", "invalid reference format" },
	{ "-host.com/x", "invalid reference format" },
	{ "host-.com/x", "invalid reference format" },
	{ "host..com/x", "invalid reference format" },
	{ "host.com:/x", "invalid reference format" },
	{ "[::1]", "invalid reference format" },
	{ "[::1/x", "invalid reference format" },
	{ "[]/x", "invalid reference format" },
	{ "[::g]/x", "invalid reference format" },
	{ "[fe80::1%eth0]/x", "invalid reference format" },
	{ "::1/x", "invalid reference format" },
	{ "a@sha256", "invalid reference format" },
	{ "a@sha256:abc", "invalid reference format" }, /* fewer than 32 hex digits */
	{ "a@sha256:" H64 "@sha256:" H64, "invalid reference format" },
	{ "a@" A64, "invalid reference format" },
	{ "a@sha256:" A64 "0", "invalid checksum digest length" },
	{ "a@sha512:" A64, "invalid checksum digest length" },
	{ "a@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	  "invalid checksum digest format" },
	{ "a@sha384:" A64, "unsupported digest algorithm" },
	{ "a@md5:" A64, "unsupported digest algorithm" },
	{ "a@SHA256:" A64, "invalid checksum digest format" },
	{ A64, "invalid repository name (" A64 "), cannot specify 64-byte hexadecimal strings" },
	{ "_x", "invalid reference format" },
};

static void test_ref_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct image_ref r;
		struct berr e = { 0 };

		memset(&r, 0x55, sizeof(r));
		if (ref_parse(bad_cases[i].in, &r, &e) != -1)
			fail_msg("%s: accepted", bad_cases[i].in);
		assert_int_equal(e.code, BERR_INVALID);
		if (strcmp(e.msg, bad_cases[i].msg) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", bad_cases[i].in, e.msg, bad_cases[i].msg);
		/* Nothing half-parsed is left behind. */
		assert_string_equal(r.path, "");
		assert_string_equal(r.domain, "");
	}
}

static void test_ref_null(void **state)
{
	struct image_ref r;
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(ref_parse(NULL, &r, &e), -1);
	assert_string_equal(e.msg, "repository name must have at least one component");
}

static void test_ref_lengths(void **state)
{
	char in[1024];
	struct image_ref r;
	struct berr e = { 0 };
	size_t o = 0;

	(void)state;
	/* distribution: 128 "a/" + "a" is 257 characters: too long. */
	for (int i = 0; i < 128; i++)
		o += (size_t)snprintf(in + o, sizeof(in) - o, "a/");
	snprintf(in + o, sizeof(in) - o, "a:tag");
	assert_int_equal(ref_parse(in, &r, &e), -1);
	assert_string_equal(e.msg, "repository name must not be more than 255 characters");

	/* distribution: 127 "a/" + "a" is exactly 255: fine, the tag does not count. */
	o = 0;
	for (int i = 0; i < 127; i++)
		o += (size_t)snprintf(in + o, sizeof(in) - o, "a/");
	snprintf(in + o, sizeof(in) - o, "a:tag-puts-this-over-max");
	assert_int_equal(ref_parse(in, &r, &e), 0);
	assert_int_equal(strlen(r.path), 255);
	assert_string_equal(r.tag, "tag-puts-this-over-max");

	/* The domain counts towards the 255 ("total name length"). */
	memset(in, 0, sizeof(in));
	memcpy(in, "example.com/", 12);
	memset(in + 12, 'b', 243);
	assert_int_equal(ref_parse(in, &r, &e), 0);
	assert_int_equal(strlen(r.path), 243);
	in[12 + 243] = 'b';
	assert_int_equal(ref_parse(in, &r, &e), -1);
	assert_string_equal(e.msg, "repository name must not be more than 255 characters");

	/* Tags: 128 characters is the maximum. */
	memset(in, 0, sizeof(in));
	memcpy(in, "img:", 4);
	memset(in + 4, 't', 128);
	assert_int_equal(ref_parse(in, &r, &e), 0);
	assert_int_equal(strlen(r.tag), 128);
	in[4 + 128] = 't';
	assert_int_equal(ref_parse(in, &r, &e), -1);
	assert_string_equal(e.msg, "invalid reference format");

	/* A very long digest is refused without trouble. */
	{
		char *big = malloc(100000);

		assert_non_null(big);
		memcpy(big, "a@sha256:", 9);
		memset(big + 9, 'a', 100000 - 10);
		big[100000 - 1] = '\0';
		assert_int_equal(ref_parse(big, &r, &e), -1);
		assert_string_equal(e.msg, "invalid checksum digest length");
		memcpy(big, "a@sha999:", 9);
		assert_int_equal(ref_parse(big, &r, &e), -1);
		assert_string_equal(e.msg, "unsupported digest algorithm");
		free(big);
	}
}

static void test_ref_normalize(void **state)
{
	static const struct {
		const char *in, *out;
		bool explicit_domain;
	} cases[] = {
		/* distribution normalize_test.go */
		{ "busybox", "docker.io/library/busybox", false },
		{ "busybox:1.36", "docker.io/library/busybox:1.36", false },
		{ "library/busybox", "docker.io/library/busybox", false },
		{ "dmcgowan/myapp", "docker.io/dmcgowan/myapp", false },
		{ "docker.io/busybox", "docker.io/library/busybox", true },
		{ "docker.io/library/busybox", "docker.io/library/busybox", true },
		{ "index.docker.io/busybox", "docker.io/library/busybox", true },
		{ "index.docker.io/user/app:1", "docker.io/user/app:1", true },
		{ "quay.io/busybox", "quay.io/busybox", true },
		{ "localhost/busybox", "localhost/busybox", true },
		{ "localhost:5000/busybox@sha256:" A64, "localhost:5000/busybox@sha256:" A64, true },
		{ "img@sha256:" A64, "docker.io/library/img@sha256:" A64, false },
		/* Only the exact "docker.io" is Docker Hub, as in Go. */
		{ "Docker.io/busybox", "Docker.io/busybox", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_ref r;
		struct berr e = { 0 };
		char buf[REF_STR_MAX];

		assert_int_equal(ref_parse(cases[i].in, &r, &e), 0);
		assert_int_equal(ref_normalize_docker_io(&r, &e), 0);
		assert_true(ref_format(&r, buf, sizeof(buf)) > 0);
		if (strcmp(buf, cases[i].out) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, buf, cases[i].out);
		assert_int_equal(r.has_domain_explicitly, cases[i].explicit_domain);
		assert_int_equal(ref_is_short(&r), !cases[i].explicit_domain);
		/* Idempotent. */
		assert_int_equal(ref_normalize_docker_io(&r, &e), 0);
		assert_true(ref_format(&r, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, cases[i].out);
	}
}

static void test_ref_normalize_too_long(void **state)
{
	char in[300];
	struct image_ref r;
	struct berr e = { 0 };

	(void)state;
	/* 240 characters fit as a short name, not once "docker.io/library/" is added. */
	memset(in, 'a', 240);
	in[240] = '\0';
	assert_int_equal(ref_parse(in, &r, &e), 0);
	assert_int_equal(ref_normalize_docker_io(&r, &e), -1);
	assert_string_equal(e.msg, "repository name must not be more than 255 characters");
	/* Left as it was. */
	assert_string_equal(r.domain, "");
	assert_int_equal(strlen(r.path), 240);
	/* 237 fits exactly: 9 + 1 + 8 + 237 = 255. */
	in[237] = '\0';
	assert_int_equal(ref_parse(in, &r, &e), 0);
	assert_int_equal(ref_normalize_docker_io(&r, &e), 0);
	assert_int_equal(strlen(r.domain) + 1 + strlen(r.path), 255);
}

static void test_ref_format(void **state)
{
	struct image_ref r;
	struct berr e = { 0 };
	char buf[REF_STR_MAX], small[8];

	(void)state;
	assert_int_equal(ref_parse("quay.io/a/b:t@sha256:" A64, &r, &e), 0);
	assert_int_equal(ref_format_name(&r, buf, sizeof(buf)), (int)strlen("quay.io/a/b"));
	assert_string_equal(buf, "quay.io/a/b");
	/* Too small: -1 and an empty string, never a cut reference. */
	assert_int_equal(ref_format(&r, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(ref_format(&r, buf, 0), -1);
	assert_int_equal(ref_format(&r, buf, strlen("quay.io/a/b:t@sha256:" A64)), -1);
	assert_int_equal(ref_format(&r, buf, strlen("quay.io/a/b:t@sha256:" A64) + 1),
			 (int)strlen("quay.io/a/b:t@sha256:" A64));

	/* The largest reference fits REF_STR_MAX. */
	{
		char in[REF_STR_MAX + 16];
		size_t o = 0;

		memset(in, 0, sizeof(in));
		memcpy(in, "example.com/", 12);
		o = 12;
		memset(in + o, 'p', 243);
		o += 243;
		in[o++] = ':';
		memset(in + o, 'T', 128);
		o += 128;
		memcpy(in + o, "@sha512:" H128, 8 + 128);
		assert_int_equal(ref_parse(in, &r, &e), 0);
		assert_int_equal(ref_format(&r, buf, sizeof(buf)), (int)strlen(in));
		assert_int_equal(strlen(in) + 1, REF_STR_MAX);
		assert_string_equal(buf, in);
	}
}

static void test_ref_helpers(void **state)
{
	struct berr e = { 0 };

	(void)state;
	assert_true(ref_domain_valid("example.com", 11));
	assert_true(ref_domain_valid("localhost:5000", 14));
	assert_true(ref_domain_valid("[::1]:5000", 10));
	assert_true(ref_domain_valid("registry", 8));
	assert_false(ref_domain_valid("example.com:", 12));
	assert_false(ref_domain_valid("example.com/x", 13));
	assert_false(ref_domain_valid("", 0));
	assert_false(ref_domain_valid("-a", 2));
	assert_true(ref_path_valid("a/b", 3));
	assert_false(ref_path_valid("A/b", 3));
	assert_true(ref_tag_valid("v1.0-rc_1"));
	assert_false(ref_tag_valid(""));
	assert_false(ref_tag_valid("-x"));
	assert_int_equal(ref_digest_check("sha256:" A64, &e), 0);
	assert_int_equal(ref_digest_check("sha512:" H128, &e), 0);
	assert_int_equal(ref_digest_check("sha256:", &e), -1);
	assert_string_equal(e.msg, "invalid checksum digest format");
	assert_int_equal(ref_digest_check(":" A64, &e), -1);
	assert_string_equal(e.msg, "invalid checksum digest format");
	assert_int_equal(ref_digest_check("sha256:" A64 "00", &e), -1);
	assert_string_equal(e.msg, "invalid checksum digest length");
	assert_int_equal(ref_digest_check("blake3:" A64, &e), -1);
	assert_string_equal(e.msg, "unsupported digest algorithm");
	assert_int_equal(ref_digest_check(NULL, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_ok),
		cmocka_unit_test(test_ref_bad),
		cmocka_unit_test(test_ref_null),
		cmocka_unit_test(test_ref_lengths),
		cmocka_unit_test(test_ref_normalize),
		cmocka_unit_test(test_ref_normalize_too_long),
		cmocka_unit_test(test_ref_format),
		cmocka_unit_test(test_ref_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
