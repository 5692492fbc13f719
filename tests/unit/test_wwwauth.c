/* Unit tests for workers/fetch/wwwauth.c: the WWW-Authenticate parser of berth-fetch. Headers
 * real registries send, the RFC 7235 corners (several challenges, token68, escapes, empty list
 * elements, case), every refusal the header documents, and truncations and byte flips of a
 * valid header (an error or a sane result, never a crash: ASan and UBSan watch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workers/fetch/wwwauth.h"

static struct wwwauth *W;

static int setup(void **state)
{
	(void)state;
	W = malloc(sizeof(*W));
	return W == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(W);
	return 0;
}

static int parse(const char *s)
{
	struct berr e = { 0 };
	int r = wwwauth_parse(s, strlen(s), W, &e);
	if (r < 0) {
		assert_int_equal(e.code, BERR_INVALID);
		assert_non_null(strstr(e.msg, "WWW-Authenticate"));
	}
	return r;
}

static void refused(const char *s)
{
	if (parse(s) == 0)
		fail_msg("accepted: [%s]", s);
}

/* ---------------------------------------------------------------- accepted */

static void test_docker_hub_bearer(void **state)
{
	const struct wwwauth_challenge *c;
	(void)state;
	assert_int_equal(parse("Bearer realm=\"https://auth.docker.io/token\","
			       "service=\"registry.docker.io\","
			       "scope=\"repository:library/busybox:pull\""), 0);
	assert_int_equal(W->n, 1);
	c = &W->ch[0];
	assert_int_equal(c->scheme, WWWAUTH_BEARER);
	assert_string_equal(c->scheme_name, "bearer");
	assert_null(c->token68);
	assert_int_equal(c->n_params, 3);
	assert_string_equal(wwwauth_param(c, "realm"), "https://auth.docker.io/token");
	assert_string_equal(wwwauth_param(c, "service"), "registry.docker.io");
	assert_string_equal(wwwauth_param(c, "scope"), "repository:library/busybox:pull");
	assert_null(wwwauth_param(c, "error"));
	assert_ptr_equal(wwwauth_find(W, WWWAUTH_BEARER), c);
	assert_null(wwwauth_find(W, WWWAUTH_BASIC));
}

static void test_basic(void **state)
{
	(void)state;
	assert_int_equal(parse("Basic realm=\"Registry Realm\""), 0);
	assert_int_equal(W->n, 1);
	assert_int_equal(W->ch[0].scheme, WWWAUTH_BASIC);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "Registry Realm");
	/* distribution's htpasswd realm, with a charset parameter (RFC 7617). */
	assert_int_equal(parse("Basic realm=basic-realm, charset=\"UTF-8\""), 0);
	assert_int_equal(W->n, 1);
	assert_int_equal(W->ch[0].n_params, 2);
	assert_string_equal(wwwauth_param(&W->ch[0], "charset"), "UTF-8");
}

static void test_several_challenges(void **state)
{
	const struct wwwauth_challenge *b;
	(void)state;
	assert_int_equal(parse("Basic realm=\"a\", Bearer realm=\"b\",service=\"s\", "
			       "Negotiate, Digest realm=\"d\", nonce=\"n\""), 0);
	assert_int_equal(W->n, 4);
	assert_int_equal(W->ch[0].scheme, WWWAUTH_BASIC);
	assert_int_equal(W->ch[0].n_params, 1);
	b = wwwauth_find(W, WWWAUTH_BEARER);
	assert_ptr_equal(b, &W->ch[1]);
	assert_int_equal(b->n_params, 2);
	assert_string_equal(wwwauth_param(b, "service"), "s");
	assert_int_equal(W->ch[2].scheme, WWWAUTH_OTHER);
	assert_string_equal(W->ch[2].scheme_name, "negotiate");
	assert_int_equal(W->ch[2].n_params, 0);
	assert_null(W->ch[2].token68);
	assert_string_equal(W->ch[3].scheme_name, "digest");
	assert_string_equal(wwwauth_param(&W->ch[3], "nonce"), "n");
}

static void test_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(parse("BEARER Realm=\"x\", SERVICE=y"), 0);
	assert_int_equal(W->ch[0].scheme, WWWAUTH_BEARER);
	assert_string_equal(W->ch[0].scheme_name, "bearer");
	assert_string_equal(W->ch[0].params[0].name, "realm");
	assert_string_equal(wwwauth_param(&W->ch[0], "REALM"), "x");
	assert_string_equal(wwwauth_param(&W->ch[0], "Service"), "y");
	/* Values keep their case. */
	assert_int_equal(parse("bAsIc realm=MixedCase"), 0);
	assert_int_equal(W->ch[0].scheme, WWWAUTH_BASIC);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "MixedCase");
}

static void test_quoted_string(void **state)
{
	(void)state;
	assert_int_equal(parse("Basic realm=\"a \\\"quoted\\\" \\\\ realm\""), 0);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "a \"quoted\" \\ realm");
	/* Any escaped VCHAR is itself; commas and '=' inside quotes are text. */
	assert_int_equal(parse("Bearer scope=\"repository:a:pull,push\",realm=\"x\\y=z, w\""), 0);
	assert_int_equal(W->n, 1);
	assert_string_equal(wwwauth_param(&W->ch[0], "scope"), "repository:a:pull,push");
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "xy=z, w");
	/* Empty, tab inside, obs-text. */
	assert_int_equal(parse("Basic realm=\"\", x=\"a\tb\", y=\"caf\xc3\xa9\""), 0);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "");
	assert_string_equal(wwwauth_param(&W->ch[0], "x"), "a\tb");
	assert_string_equal(wwwauth_param(&W->ch[0], "y"), "caf\xc3\xa9");
	/* Several scopes separated by a space, as registries send them. */
	assert_int_equal(parse("Bearer realm=\"r\",scope=\"repository:a:pull repository:b:pull\""),
			 0);
	assert_string_equal(wwwauth_param(&W->ch[0], "scope"),
			    "repository:a:pull repository:b:pull");
}

static void test_token68(void **state)
{
	(void)state;
	assert_int_equal(parse("Negotiate abc+/def=="), 0);
	assert_int_equal(W->n, 1);
	assert_string_equal(W->ch[0].token68, "abc+/def==");
	assert_int_equal(W->ch[0].n_params, 0);
	assert_int_equal(parse("Negotiate YII-._~, Basic realm=\"x\""), 0);
	assert_int_equal(W->n, 2);
	assert_string_equal(W->ch[0].token68, "YII-._~");
	assert_int_equal(W->ch[1].scheme, WWWAUTH_BASIC);
	/* A bare word after a scheme is a token68, not a parameter without a value. */
	assert_int_equal(parse("Basic realm"), 0);
	assert_string_equal(W->ch[0].token68, "realm");
	assert_null(wwwauth_param(&W->ch[0], "realm"));
	/* "x=" alone is a token68 ending in '=' ... */
	assert_int_equal(parse("Foo x= "), 0);
	assert_string_equal(W->ch[0].token68, "x=");
	assert_int_equal(parse("Basic realm="), 0);
	assert_string_equal(W->ch[0].token68, "realm=");
	assert_int_equal(W->ch[0].n_params, 0);
	/* ... and "x=y" a parameter. */
	assert_int_equal(parse("Foo x=y"), 0);
	assert_null(W->ch[0].token68);
	assert_string_equal(wwwauth_param(&W->ch[0], "x"), "y");
}

static void test_whitespace_and_empty_elements(void **state)
{
	(void)state;
	assert_int_equal(parse("  , Basic realm=\"x\" ,, Bearer realm=\"y\" ,\t, "), 0);
	assert_int_equal(W->n, 2);
	assert_string_equal(wwwauth_param(&W->ch[1], "realm"), "y");
	assert_int_equal(parse("Bearer\trealm = \"x\" ,\t, service\t=\ty"), 0);
	assert_int_equal(W->n, 1);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "x");
	assert_string_equal(wwwauth_param(&W->ch[0], "service"), "y");
	assert_int_equal(parse("Negotiate"), 0);
	assert_int_equal(W->n, 1);
	/* Token values may hold every tchar. */
	assert_int_equal(parse("X a=!#$%&'*+-.^_`|~09AZaz"), 0);
	assert_string_equal(wwwauth_param(&W->ch[0], "a"), "!#$%&'*+-.^_`|~09AZaz");
}

static void test_limits_accepted(void **state)
{
	char buf[WWWAUTH_MAX_LEN + 64];
	size_t n = 0;
	(void)state;

	/* WWWAUTH_MAX_CHALLENGES challenges. */
	for (int i = 0; i < WWWAUTH_MAX_CHALLENGES; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sS%d realm=\"%d\"",
				      i ? ", " : "", i, i);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(W->n, WWWAUTH_MAX_CHALLENGES);
	assert_string_equal(wwwauth_param(&W->ch[7], "realm"), "7");

	/* WWWAUTH_MAX_PARAMS parameters. */
	n = (size_t)snprintf(buf, sizeof(buf), "Bearer ");
	for (int i = 0; i < WWWAUTH_MAX_PARAMS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sp%d=%d", i ? "," : "", i, i);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(W->ch[0].n_params, WWWAUTH_MAX_PARAMS);
	assert_string_equal(wwwauth_param(&W->ch[0], "p15"), "15");

	/* Exactly WWWAUTH_MAX_LEN bytes, most of it one quoted value full of escapes (the
	 * densest use of the store). */
	n = (size_t)snprintf(buf, sizeof(buf), "Basic realm=\"");
	while (n + 1 < WWWAUTH_MAX_LEN - 1) {
		buf[n++] = '\\';
		buf[n++] = 'a';
	}
	while (n < WWWAUTH_MAX_LEN - 1)
		buf[n++] = 'b';
	buf[n++] = '"';
	buf[n] = '\0';
	assert_int_equal(strlen(buf), WWWAUTH_MAX_LEN);
	assert_int_equal(parse(buf), 0);
	assert_true(strlen(wwwauth_param(&W->ch[0], "realm")) > 4000);

	/* Many single-byte elements: the store's worst case for terminators. */
	n = 0;
	while (n + 2 <= WWWAUTH_MAX_LEN) {
		buf[n++] = 'a';
		buf[n++] = ',';
	}
	buf[n] = '\0';
	/* 4096 challenges: too many, but refused cleanly. */
	refused(buf);
}

static void test_length_is_bytes_not_nul(void **state)
{
	struct berr e = { 0 };
	const char s[] = "Basic realm=\"x\"GARBAGE";
	(void)state;
	/* Only len bytes are read: no NUL needed. */
	assert_int_equal(wwwauth_parse(s, 15, W, &e), 0);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "x");
}

static void test_reuse_after_failure(void **state)
{
	(void)state;
	refused("Basic realm=\"x");
	assert_int_equal(parse("Bearer realm=\"y\""), 0);
	assert_int_equal(W->n, 1);
	assert_string_equal(wwwauth_param(&W->ch[0], "realm"), "y");
}

/* ---------------------------------------------------------------- refused */

static void test_refused_empty(void **state)
{
	(void)state;
	refused("");
	refused("   ");
	refused(", ,\t,");
}

static void test_refused_quoting(void **state)
{
	(void)state;
	refused("Basic realm=\"x");
	refused("Basic realm=\"x\\");
	refused("Basic realm=\"x\\\"");
	refused("Basic realm=\"a\r\nX-Injected: y\"");
	refused("Basic realm=\"a\nb\"");
	refused("Basic realm=\"a\x7f\"");
	refused("Basic realm=\"a\\\x01\"");
	refused("Basic realm=\"a\" \"b\"");
	refused("Basic realm=ab\"c\"");
	refused("\"Basic\" realm=x");
}

static void test_refused_nul(void **state)
{
	struct berr e = { 0 };
	const char s1[] = "Basic realm=\"a\0b\"";
	const char s2[] = "Basic realm=a\0";
	(void)state;
	assert_int_equal(wwwauth_parse(s1, sizeof(s1) - 1, W, &e), -1);
	assert_non_null(strstr(e.msg, "NUL"));
	assert_int_equal(wwwauth_parse(s2, sizeof(s2) - 1, W, &e), -1);
}

static void test_refused_params(void **state)
{
	(void)state;
	refused("Basic realm=, service=\"x\"");
	refused("Basic realm==x");
	refused("Basic =x");
	refused("Bearer realm=\"a\",realm=\"b\"");
	refused("Bearer Realm=\"a\", REALM=\"b\"");
	refused("Bearer realm=a b");
	refused("Bearer realm=\"a\" junk");
	refused("Bearer realm=\"a\";service=b");
	refused("Bearer realm=(a)");
	refused("Bearer abc== def");
	refused("Bearer abc==, def=\"x\"");
}

static void test_refused_structure(void **state)
{
	(void)state;
	refused("=realm");
	refused("Basic,realm=\"x\"");
	refused("Bas(ic realm=x");
	refused("Basic\"realm\"");
	refused("Basic realm=x\r\n");
	refused("Basic\r\n");
	refused("Basic realm=x\n, Bearer realm=y");
	refused("\x01");
	refused("Basic realm=\"x\"\x80");
	refused("B\xc3\xa4sic realm=x");
}

static void test_refused_limits(void **state)
{
	char buf[WWWAUTH_MAX_LEN + 64];
	size_t n = 0;
	struct berr e = { 0 };
	(void)state;

	for (int i = 0; i <= WWWAUTH_MAX_CHALLENGES; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sS%d", i ? ", " : "", i);
	refused(buf);

	n = (size_t)snprintf(buf, sizeof(buf), "Bearer ");
	for (int i = 0; i <= WWWAUTH_MAX_PARAMS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sp%d=%d", i ? "," : "", i, i);
	refused(buf);

	memset(buf, 'a', WWWAUTH_MAX_LEN + 1);
	memcpy(buf, "Basic realm=", 12);
	buf[WWWAUTH_MAX_LEN + 1] = '\0';
	assert_int_equal(wwwauth_parse(buf, WWWAUTH_MAX_LEN + 1, W, &e), -1);
	assert_non_null(strstr(e.msg, "longer than 8192 bytes"));
	/* One byte less is fine. */
	assert_int_equal(wwwauth_parse(buf, WWWAUTH_MAX_LEN, W, &e), 0);
}

/* ---------------------------------------------------------------- mutations */

/* Checks the invariants any accepted header must give. */
static void check_sane(const struct wwwauth *w)
{
	assert_true(w->n >= 1 && w->n <= WWWAUTH_MAX_CHALLENGES);
	assert_true(w->used <= sizeof(w->store));
	for (size_t i = 0; i < w->n; i++) {
		const struct wwwauth_challenge *c = &w->ch[i];
		assert_true(c->scheme_name[0] != '\0');
		assert_true(c->n_params <= WWWAUTH_MAX_PARAMS);
		assert_true(c->token68 == NULL || c->n_params == 0);
		for (size_t j = 0; j < c->n_params; j++) {
			assert_true(c->params[j].name[0] != '\0');
			for (const char *p = c->params[j].value; *p != '\0'; p++)
				assert_true(*p == '\t' || (unsigned char)*p >= 0x20);
		}
	}
}

static void test_truncations_and_flips(void **state)
{
	const char *valid = "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
			    "scope=\"repository:library/busybox:pull\", Basic realm=\"a\\\"b\", "
			    "Negotiate abc+/=";
	size_t len = strlen(valid);
	char buf[512];
	struct berr e;
	int accepted = 0;
	(void)state;

	assert_int_equal(parse(valid), 0);
	assert_int_equal(W->n, 3);
	for (size_t i = 0; i <= len; i++) {
		if (wwwauth_parse(valid, i, W, &e) == 0) {
			check_sane(W);
			accepted++;
		}
	}
	/* Some prefixes are complete headers ("Bearer"), most are not. */
	assert_true(accepted > 0 && (size_t)accepted < len);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, valid, len);
			buf[i] = (char)(buf[i] ^ (1 << bit));
			if (wwwauth_parse(buf, len, W, &e) == 0)
				check_sane(W);
			else
				assert_int_equal(e.code, BERR_INVALID);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_hub_bearer),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_several_challenges),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_quoted_string),
		cmocka_unit_test(test_token68),
		cmocka_unit_test(test_whitespace_and_empty_elements),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_length_is_bytes_not_nul),
		cmocka_unit_test(test_reuse_after_failure),
		cmocka_unit_test(test_refused_empty),
		cmocka_unit_test(test_refused_quoting),
		cmocka_unit_test(test_refused_nul),
		cmocka_unit_test(test_refused_params),
		cmocka_unit_test(test_refused_structure),
		cmocka_unit_test(test_refused_limits),
		cmocka_unit_test(test_truncations_and_flips),
	};
	return cmocka_run_group_tests_name("wwwauth", tests, setup, teardown);
}
