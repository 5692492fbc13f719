/* Detach keys: the default sequence detaches, anything else passes through unchanged,
 * including a partial sequence split over reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/detachkeys.h"

static size_t feed(struct detach_keys *d, const char *in, char *out, bool *hit)
{
	return detach_keys_scan(d, (const unsigned char *)in, strlen(in), (unsigned char *)out,
				hit);
}

static void test_plain_passes(void **state)
{
	struct detach_keys d;
	char out[64];
	bool hit;
	(void)state;
	detach_keys_default(&d);
	size_t n = feed(&d, "hello\n", out, &hit);
	assert_false(hit);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "hello\n", 6);
}

static void test_sequence_detaches(void **state)
{
	struct detach_keys d;
	char out[64];
	bool hit;
	(void)state;
	detach_keys_default(&d);
	size_t n = feed(&d, "ab\x10\x11zz", out, &hit);
	assert_true(hit);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ab", 2);
}

static void test_split_over_reads(void **state)
{
	struct detach_keys d;
	char out[64];
	bool hit;
	(void)state;
	detach_keys_default(&d);
	assert_int_equal(feed(&d, "x\x10", out, &hit), 1);
	assert_false(hit);
	assert_int_equal(feed(&d, "\x11", out, &hit), 0);
	assert_true(hit);
}

static void test_broken_sequence_is_passed_on(void **state)
{
	struct detach_keys d;
	char out[64];
	bool hit;
	(void)state;
	detach_keys_default(&d);
	assert_int_equal(feed(&d, "\x10", out, &hit), 0);
	size_t n = feed(&d, "a", out, &hit);
	assert_false(hit);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\x10" "a", 2);
	/* ctrl-p twice, then ctrl-q: the first ctrl-p is passed on, the rest detaches. */
	n = feed(&d, "\x10\x10\x11", out, &hit);
	assert_true(hit);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0x10);
}

static void test_off(void **state)
{
	struct detach_keys d = { 0 };
	char out[64];
	bool hit;
	(void)state;
	assert_int_equal(feed(&d, "\x10\x11", out, &hit), 2);
	assert_false(hit);
}

static void test_parse(void **state)
{
	struct detach_keys d;
	char out[64];
	bool hit;
	(void)state;
	assert_int_equal(detach_keys_parse(&d, "ctrl-a,x"), 0);
	assert_int_equal(d.len, 2);
	assert_int_equal(d.seq[0], 1);
	assert_int_equal(d.seq[1], 'x');
	assert_int_equal(feed(&d, "ab\x01x", out, &hit), 2);
	assert_true(hit);
	assert_int_equal(detach_keys_parse(&d, "ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"), 0);
	assert_int_equal(d.len, 6);
	assert_memory_equal(d.seq, "\x00\x1b\x1c\x1d\x1e\x1f", 6);
	assert_int_equal(detach_keys_parse(&d, "ctrl-p,ctrl-q"), 0);
	assert_memory_equal(d.seq, "\x10\x11", 2);
	assert_int_equal(detach_keys_parse(&d, ""), 0);
	assert_int_equal(d.len, 0);
	/* Malformed ones leave d as it was. */
	assert_int_equal(detach_keys_parse(&d, "ctrl-p"), 0);
	const char *bad[] = { "ctrl-", "ctrl-pp", "ctrl-1", "ctrl-P", "ab", "a,", ",a", "a,,b",
			      "a,b,c,d,e,f,g,h,i" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(detach_keys_parse(&d, bad[i]), -1);
		assert_int_equal(d.len, 1);
		assert_int_equal(d.seq[0], 0x10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_passes),
		cmocka_unit_test(test_sequence_detaches),
		cmocka_unit_test(test_split_over_reads),
		cmocka_unit_test(test_broken_sequence_is_passed_on),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
