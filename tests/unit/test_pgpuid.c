/* Unit tests for workers/verify/pgpuid.c: user IDs from hand-built OpenPGP packets (old and new
 * formats, every length encoding), armored with and without headers and checksum, Podman's
 * e-mail extraction, every refusal, and truncations and byte flips (never a crash). Real keys
 * made by gpg are checked by tests/integration/trust.bats. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workers/verify/pgpuid.h"

struct buf {
	uint8_t b[8192];
	size_t n;
};

static void put(struct buf *k, const void *p, size_t n)
{
	assert_true(k->n + n <= sizeof(k->b));
	memcpy(k->b + k->n, p, n);
	k->n += n;
}

/* A new-format packet with the one-, two- or five-octet length. */
static void pkt_new(struct buf *k, unsigned tag, const void *body, size_t n, int form)
{
	uint8_t h[6];
	size_t hn = 0;
	h[hn++] = (uint8_t)(0xc0 | tag);
	if (form == 1) {
		assert_true(n < 192);
		h[hn++] = (uint8_t)n;
	} else if (form == 2) {
		assert_true(n >= 192 && n < 8384);
		h[hn++] = (uint8_t)(((n - 192) >> 8) + 192);
		h[hn++] = (uint8_t)((n - 192) & 0xff);
	} else {
		h[hn++] = 255;
		h[hn++] = (uint8_t)(n >> 24);
		h[hn++] = (uint8_t)(n >> 16);
		h[hn++] = (uint8_t)(n >> 8);
		h[hn++] = (uint8_t)n;
	}
	put(k, h, hn);
	put(k, body, n);
}

/* An old-format packet with length type lt (0, 1, 2; 3: indeterminate). */
static void pkt_old(struct buf *k, unsigned tag, const void *body, size_t n, unsigned lt)
{
	uint8_t h[5];
	size_t hn = 0;
	h[hn++] = (uint8_t)(0x80 | tag << 2 | lt);
	if (lt == 0)
		h[hn++] = (uint8_t)n;
	if (lt == 1) {
		h[hn++] = (uint8_t)(n >> 8);
		h[hn++] = (uint8_t)n;
	}
	if (lt == 2) {
		h[hn++] = (uint8_t)(n >> 24);
		h[hn++] = (uint8_t)(n >> 16);
		h[hn++] = (uint8_t)(n >> 8);
		h[hn++] = (uint8_t)n;
	}
	put(k, h, hn);
	put(k, body, n);
}

static const uint8_t keybody[] = { 4, 0x5f, 0, 0, 0, 22, 1, 2, 3 }; /* never interpreted */

static struct pgp_uids U;

static int uids(const struct buf *k)
{
	struct berr e = { 0 };
	int r = pgp_key_uids(k->b, k->n, &U, &e);
	if (r < 0) {
		assert_int_equal(e.code, BERR_INVALID);
		assert_non_null(strstr(e.msg, "OpenPGP key: "));
	}
	return r;
}

static void refused(const struct buf *k, const char *want)
{
	struct berr e = { 0 };
	if (pgp_key_uids(k->b, k->n, &U, &e) == 0)
		fail_msg("accepted");
	if (strstr(e.msg, want) == NULL)
		fail_msg("wanted [%s], got [%s]", want, e.msg);
}

/* Armors bin into k, with headers and a checksum when asked. */
static void armor(struct buf *k, const struct buf *bin, bool headers, bool crc, bool bad_crc)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	size_t col = 0;
	k->n = 0;
	put(k, "\n-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n", 39);
	if (headers)
		put(k, "Version: test\nComment: x\n\n", 26);
	for (size_t i = 0; i < bin->n; i += 3) {
		uint32_t v = (uint32_t)bin->b[i] << 16;
		size_t left = bin->n - i;
		if (left > 1)
			v |= (uint32_t)bin->b[i + 1] << 8;
		if (left > 2)
			v |= bin->b[i + 2];
		line[col++] = t[v >> 18 & 63];
		line[col++] = t[v >> 12 & 63];
		line[col++] = left > 1 ? t[v >> 6 & 63] : '=';
		line[col++] = left > 2 ? t[v & 63] : '=';
		if (col >= 64) {
			put(k, line, col);
			put(k, "\n", 1);
			col = 0;
		}
	}
	if (col > 0) {
		put(k, line, col);
		put(k, "\n", 1);
	}
	if (crc) {
		uint32_t c = 0xB704CEu;
		for (size_t i = 0; i < bin->n; i++) {
			c ^= (uint32_t)bin->b[i] << 16;
			for (int b = 0; b < 8; b++) {
				c <<= 1;
				if (c & 0x1000000u)
					c ^= 0x1864CFBu;
			}
		}
		c &= 0xFFFFFF;
		if (bad_crc)
			c ^= 1;
		char s[6] = { '=', t[c >> 18 & 63], t[c >> 12 & 63], t[c >> 6 & 63], t[c & 63], '\n' };
		put(k, s, 6);
	}
	put(k, "-----END PGP PUBLIC KEY BLOCK-----\n", 35);
}

static void test_binary_new_format(void **state)
{
	struct buf k = { .n = 0 };
	char long_uid[300];
	(void)state;
	memset(long_uid, 'x', sizeof(long_uid));
	pkt_new(&k, 6, keybody, sizeof(keybody), 1);
	pkt_new(&k, 13, "Alice Example <alice@example.com>", 33, 1);
	pkt_new(&k, 2, "sig", 3, 1);
	pkt_new(&k, 13, long_uid, sizeof(long_uid), 2);
	pkt_new(&k, 13, "no email", 8, 5);
	pkt_new(&k, 13, "tab\there <b@x.io", 16, 1);
	assert_int_equal(uids(&k), 0);
	assert_int_equal(U.n, 4);
	assert_string_equal(U.uid[0], "alice@example.com");
	assert_int_equal(strlen(U.uid[1]), PGPUID_LEN_MAX);
	assert_string_equal(U.uid[2], "no email");
	/* Without a ">", the ID is kept whole; control bytes become "?". */
	assert_string_equal(U.uid[3], "tab?here <b@x.io");
}

static void test_binary_old_format_and_keyring(void **state)
{
	struct buf k = { .n = 0 };
	(void)state;
	pkt_old(&k, 6, keybody, sizeof(keybody), 0);
	pkt_old(&k, 13, "<a@x.io>", 8, 1);
	pkt_old(&k, 14, keybody, sizeof(keybody), 2); /* a subkey */
	pkt_old(&k, 6, keybody, sizeof(keybody), 0); /* a second key */
	pkt_old(&k, 13, "Bob <bob@y.io> (work)", 21, 3);
	assert_int_equal(uids(&k), 0);
	assert_int_equal(U.n, 2);
	assert_string_equal(U.uid[0], "a@x.io");
	assert_string_equal(U.uid[1], "bob@y.io");
	/* More than PGPUID_MAX: the first ones. */
	k.n = 0;
	pkt_new(&k, 6, keybody, sizeof(keybody), 1);
	for (int i = 0; i < PGPUID_MAX + 3; i++) {
		char u[16];
		int n = snprintf(u, sizeof(u), "u%d", i);
		pkt_new(&k, 13, u, (size_t)n, 1);
	}
	assert_int_equal(uids(&k), 0);
	assert_int_equal(U.n, PGPUID_MAX);
	assert_string_equal(U.uid[PGPUID_MAX - 1], "u15");
}

static void test_armored(void **state)
{
	struct buf bin = { .n = 0 }, k;
	(void)state;
	pkt_new(&bin, 6, keybody, sizeof(keybody), 1);
	pkt_new(&bin, 13, "Carol <carol@example.org>", 25, 1);
	for (int h = 0; h < 2; h++)
		for (int c = 0; c < 2; c++) {
			armor(&k, &bin, h, c, false);
			assert_int_equal(uids(&k), 0);
			assert_int_equal(U.n, 1);
			assert_string_equal(U.uid[0], "carol@example.org");
		}
	armor(&k, &bin, true, true, true);
	refused(&k, "the armor checksum does not match");
	armor(&k, &bin, true, false, false);
	k.n -= 35; /* no END line */
	refused(&k, "no complete");
	armor(&k, &bin, false, false, false);
	k.b[45] = '*';
	refused(&k, "invalid base64");
	armor(&k, &bin, true, true, false);
	k.n -= 35;
	put(&k, "AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n", 40);
	refused(&k, "text after the armor checksum");
}

static void test_refusals(void **state)
{
	struct buf k = { .n = 0 };
	(void)state;
	refused(&k, "empty");
	put(&k, "hello", 5);
	refused(&k, "not an OpenPGP packet");
	k.n = 0;
	pkt_new(&k, 13, "a@b", 3, 1);
	refused(&k, "not a public key");
	k.n = 0;
	pkt_new(&k, 5, keybody, sizeof(keybody), 1); /* a secret key */
	refused(&k, "not a public key");
	k.n = 0;
	pkt_new(&k, 6, keybody, sizeof(keybody), 1);
	k.b[1] = 200; /* longer than the data */
	refused(&k, "runs past the end");
	k.n = 0;
	pkt_new(&k, 6, keybody, sizeof(keybody), 1);
	k.b[1] = 0xe1; /* a partial body length */
	refused(&k, "partial body lengths");
	k.n = 2;
	k.b[0] = 0xc6;
	k.b[1] = 0xff;
	refused(&k, "truncated packet header");
	k.b[1] = 0xc0; /* a two-octet length missing its second octet */
	refused(&k, "truncated packet header");
	k.n = 1;
	refused(&k, "truncated packet header");
	k.b[0] = 0x99; /* old format, two-octet length, none there */
	refused(&k, "truncated packet header");
	struct berr e = { 0 };
	assert_int_equal(pgp_key_uids(k.b, PGPUID_INPUT_MAX + 1, &U, &e), -1);
}

static void test_mutations(void **state)
{
	struct buf bin = { .n = 0 }, k, m;
	(void)state;
	pkt_new(&bin, 6, keybody, sizeof(keybody), 1);
	pkt_new(&bin, 13, "D <d@e.f>", 9, 1);
	pkt_old(&bin, 13, "x", 1, 1);
	armor(&k, &bin, true, true, false);
	const struct buf *docs[] = { &bin, &k };
	for (int d = 0; d < 2; d++) {
		struct berr e = { 0 };
		for (size_t cut = 0; cut < docs[d]->n; cut++)
			(void)pgp_key_uids(docs[d]->b, cut, &U, &e);
		for (size_t i = 0; i < docs[d]->n; i++)
			for (int bit = 0; bit < 8; bit++) {
				m = *docs[d];
				m.b[i] ^= (uint8_t)(1u << bit);
				if (pgp_key_uids(m.b, m.n, &U, &e) == 0)
					for (size_t u = 0; u < U.n; u++)
						assert_true(strlen(U.uid[u]) <= PGPUID_LEN_MAX);
			}
	}
}

/* Primary key fingerprints, against values computed independently (Python's hashlib): v4 is
 * SHA-1 over 0x99, the two-octet length and the body; v6 SHA-256 over 0x9B, a four-octet
 * length and the body; a v3 key gets none. Only public key packets count. */
static void test_fingerprints(void **state)
{
	static const uint8_t v6body[] = { 6, 0x5f, 0, 0, 0, 22, 0, 0, 0, 1, 7 };
	static const uint8_t v3body[] = { 3, 0x5f, 0, 0, 0, 0, 0, 1, 1 };
	struct buf k = { 0 };
	(void)state;
	pkt_new(&k, 6, keybody, sizeof(keybody), 1);
	pkt_new(&k, 13, "a <a@x>", 7, 1);
	pkt_old(&k, 14, keybody, sizeof(keybody), 0); /* a subkey: not a primary */
	pkt_new(&k, 6, v6body, sizeof(v6body), 1);
	pkt_new(&k, 6, v3body, sizeof(v3body), 1);
	assert_int_equal(uids(&k), 0);
	assert_int_equal(U.n_fpr, 2);
	assert_string_equal(U.fpr[0], "82D9BC89519B0B98DAFCA693EE0E5E6364DB2585");
	assert_string_equal(U.fpr[1],
			    "955A118E3B5CCABCC8C45697414AB6161895E246F730D4AF22E90D2D04F5E284");
}

/* Several armored keys one after the other (cat a.asc b.asc), as gpg --import reads them:
 * every block's IDs and fingerprints; a broken later block is refused too. */
static void test_armored_concatenated(void **state)
{
	struct buf bin1 = { .n = 0 }, bin2 = { .n = 0 }, k1, k2, all = { .n = 0 };
	static const uint8_t v6body[] = { 6, 0x5f, 0, 0, 0, 22, 0, 0, 0, 1, 7 };
	(void)state;
	pkt_new(&bin1, 6, keybody, sizeof(keybody), 1);
	pkt_new(&bin1, 13, "Alice <alice@example.org>", 25, 1);
	pkt_new(&bin2, 6, v6body, sizeof(v6body), 1);
	pkt_new(&bin2, 13, "Bob <bob@example.org>", 21, 1);
	armor(&k1, &bin1, true, true, false);
	armor(&k2, &bin2, false, false, false);
	put(&all, k1.b, k1.n);
	put(&all, "some text between\n", 18);
	put(&all, k2.b, k2.n);
	assert_int_equal(uids(&all), 0);
	assert_int_equal(U.n, 2);
	assert_string_equal(U.uid[0], "alice@example.org");
	assert_string_equal(U.uid[1], "bob@example.org");
	assert_int_equal(U.n_fpr, 2);
	assert_string_equal(U.fpr[0], "82D9BC89519B0B98DAFCA693EE0E5E6364DB2585");
	assert_string_equal(U.fpr[1],
			    "955A118E3B5CCABCC8C45697414AB6161895E246F730D4AF22E90D2D04F5E284");
	all.n -= 35; /* the second block has no END line */
	refused(&all, "no complete");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_armored_concatenated),
		cmocka_unit_test(test_binary_new_format),
		cmocka_unit_test(test_binary_old_format_and_keyring),
		cmocka_unit_test(test_armored),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
