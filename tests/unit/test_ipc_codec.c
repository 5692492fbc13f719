/* Unit tests for ipc/codec.c on a test schema holding every field kind: the strict decoder's
 * acceptances and refusals, the raw pre-pass, ipc_peek_uint and the encoder's limits.
 * Message-level tests (every real type, mutations, sockets) are in test_ipc_channel.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "ipc/codec.h"
#include "ipc/msg.h"

/* ---------------------------------------------------------------- a schema with every kind */

struct t_sub {
	char *name;
	uint64_t n;
};

static const struct ipc_field t_sub_fields[] = {
	IPC_F_STR(struct t_sub, name, true, 8),
	IPC_F_UINT(struct t_sub, n, false, 0),
};
static const struct ipc_schema t_sub_schema = {
	"t-sub", sizeof(struct t_sub), t_sub_fields, ARRAY_SIZE(t_sub_fields)
};

struct t_all {
	uint64_t u;
	int64_t i;
	bool b;
	char *s;
	struct ipc_bin bin;
	char **v;
	size_t n_v;
	struct t_sub *subs;
	size_t n_subs;
	char *opt;
};

static const struct ipc_field t_all_fields[] = {
	IPC_F_UINT(struct t_all, u, true, 1000),
	IPC_F_INT(struct t_all, i, true),
	IPC_F_BOOL(struct t_all, b, true),
	IPC_F_STR(struct t_all, s, true, 8),
	IPC_F_BIN(struct t_all, bin, true, 4),
	IPC_F_STRV(struct t_all, v, true, 3, 5),
	IPC_F_STRUCTV(struct t_all, subs, true, 2, &t_sub_schema),
	IPC_F_STR(struct t_all, opt, false, 8),
};
static const struct ipc_schema t_all_schema = {
	"t-all", sizeof(struct t_all), t_all_fields, ARRAY_SIZE(t_all_fields)
};

/* ---------------------------------------------------------------- raw msgpack building */

typedef void (*valfn)(msgpack_packer *pk);

static void pstr(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}
#define PSTR(pk, lit) pstr(pk, lit, sizeof(lit) - 1)

static void v_u7(msgpack_packer *pk) { msgpack_pack_uint64(pk, 7); }
static void v_u1000(msgpack_packer *pk) { msgpack_pack_uint64(pk, 1000); }
static void v_u1001(msgpack_packer *pk) { msgpack_pack_uint64(pk, 1001); }
static void v_u64max(msgpack_packer *pk) { msgpack_pack_uint64(pk, UINT64_MAX); }
static void v_neg(msgpack_packer *pk) { msgpack_pack_int64(pk, -1); }
static void v_int64min(msgpack_packer *pk) { msgpack_pack_int64(pk, INT64_MIN); }
static void v_true(msgpack_packer *pk) { msgpack_pack_true(pk); }
static void v_nil(msgpack_packer *pk) { msgpack_pack_nil(pk); }
static void v_float(msgpack_packer *pk) { msgpack_pack_double(pk, 1.5); }
static void v_ext(msgpack_packer *pk) { msgpack_pack_ext(pk, 1, 1); msgpack_pack_ext_body(pk, "x", 1); }
static void v_str(msgpack_packer *pk) { PSTR(pk, "abc"); }
static void v_str8(msgpack_packer *pk) { PSTR(pk, "12345678"); }
static void v_str9(msgpack_packer *pk) { PSTR(pk, "123456789"); }
static void v_str_nul(msgpack_packer *pk) { PSTR(pk, "a\0b"); }
static void v_bin4(msgpack_packer *pk) { msgpack_pack_bin(pk, 4); msgpack_pack_bin_body(pk, "\0\1\2\3", 4); }
static void v_bin5(msgpack_packer *pk) { msgpack_pack_bin(pk, 5); msgpack_pack_bin_body(pk, "12345", 5); }
static void v_bin0(msgpack_packer *pk) { msgpack_pack_bin(pk, 0); }
static void v_map0(msgpack_packer *pk) { msgpack_pack_map(pk, 0); }
static void v_arr0(msgpack_packer *pk) { msgpack_pack_array(pk, 0); }
static void v_strv(msgpack_packer *pk) { msgpack_pack_array(pk, 2); PSTR(pk, "a"); PSTR(pk, "bb"); }
static void v_strv3(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 3); PSTR(pk, "12345"); PSTR(pk, ""); PSTR(pk, "c");
}
static void v_strv4(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 4); PSTR(pk, "a"); PSTR(pk, "b"); PSTR(pk, "c"); PSTR(pk, "d");
}
static void v_strv_int(msgpack_packer *pk) { msgpack_pack_array(pk, 1); msgpack_pack_uint64(pk, 1); }
static void v_strv_long(msgpack_packer *pk) { msgpack_pack_array(pk, 1); PSTR(pk, "123456"); }
static void v_strv_nul(msgpack_packer *pk) { msgpack_pack_array(pk, 2); PSTR(pk, "a"); PSTR(pk, "\0"); }
static void sub_ok(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2); PSTR(pk, "name"); PSTR(pk, "x"); PSTR(pk, "n");
	msgpack_pack_uint64(pk, 1);
}
static void v_subs(msgpack_packer *pk) { msgpack_pack_array(pk, 1); sub_ok(pk); }
static void v_subs2(msgpack_packer *pk) { msgpack_pack_array(pk, 2); sub_ok(pk); sub_ok(pk); }
static void v_subs3(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 3); sub_ok(pk); sub_ok(pk); sub_ok(pk);
}
static void v_subs_int(msgpack_packer *pk) { msgpack_pack_array(pk, 1); msgpack_pack_uint64(pk, 1); }
static void v_subs_badname(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2); sub_ok(pk);
	msgpack_pack_map(pk, 1); PSTR(pk, "name"); msgpack_pack_uint64(pk, 5);
}
static void v_subs_missing(msgpack_packer *pk) { msgpack_pack_array(pk, 1); msgpack_pack_map(pk, 0); }
static void v_subs_unknown(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1); msgpack_pack_map(pk, 2); PSTR(pk, "name"); PSTR(pk, "x");
	PSTR(pk, "zz"); msgpack_pack_true(pk);
}

struct kv {
	const char *key;
	valfn val;
};

static const struct kv t_base[] = {
	{ "u", v_u7 }, { "i", v_neg }, { "b", v_true }, { "s", v_str }, { "bin", v_bin4 },
	{ "v", v_strv }, { "subs", v_subs },
};

/* Packs t_base with `key` given value val (NULL: left out), then the extra pair if any.
 * Returns a heap buffer; *len its size. */
static uint8_t *build(size_t *len, const char *key, valfn val, const char *extra_key,
		      valfn extra_val)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n = 0;
	uint8_t *out;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (size_t i = 0; i < ARRAY_SIZE(t_base); i++)
		if (key == NULL || strcmp(t_base[i].key, key) != 0 || val != NULL)
			n++;
	if (key != NULL && val != NULL) {
		bool known = false;

		for (size_t i = 0; i < ARRAY_SIZE(t_base); i++)
			known |= strcmp(t_base[i].key, key) == 0;
		if (!known)
			n++;
	}
	msgpack_pack_map(&pk, n + (extra_key != NULL));
	for (size_t i = 0; i < ARRAY_SIZE(t_base); i++) {
		bool hit = key != NULL && strcmp(t_base[i].key, key) == 0;

		if (hit && val == NULL)
			continue;
		pstr(&pk, t_base[i].key, strlen(t_base[i].key));
		(hit ? val : t_base[i].val)(&pk);
	}
	if (key != NULL && val != NULL && n > ARRAY_SIZE(t_base)) {
		pstr(&pk, key, strlen(key));
		val(&pk);
	}
	if (extra_key != NULL) {
		pstr(&pk, extra_key, strlen(extra_key));
		extra_val(&pk);
	}
	out = malloc(sb.size);
	assert_non_null(out);
	memcpy(out, sb.data, sb.size);
	*len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return out;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---------------------------------------------------------------- decoder: accepts */

static void test_base_decodes(void **state)
{
	struct t_all t;
	struct berr e;
	size_t len;
	cleanup_free uint8_t *buf = build(&len, NULL, NULL, NULL, NULL);

	(void)state;
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_int_equal(t.u, 7);
	assert_int_equal(t.i, -1);
	assert_true(t.b);
	assert_string_equal(t.s, "abc");
	assert_int_equal(t.bin.len, 4);
	assert_memory_equal(t.bin.data, "\0\1\2\3", 4);
	assert_int_equal(t.n_v, 2);
	assert_string_equal(t.v[0], "a");
	assert_string_equal(t.v[1], "bb");
	assert_null(t.v[2]);
	assert_int_equal(t.n_subs, 1);
	assert_string_equal(t.subs[0].name, "x");
	assert_int_equal(t.subs[0].n, 1);
	assert_null(t.opt);
	ipc_struct_free(&t_all_schema, &t);
	assert_true(all_zero(&t, sizeof(t)));
}

static void test_limits_inclusive(void **state)
{
	struct t_all t;
	struct berr e;
	size_t len;
	uint8_t *buf;

	(void)state;
	buf = build(&len, "u", v_u1000, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_int_equal(t.u, 1000);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	buf = build(&len, "s", v_str8, "opt", v_str8);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_string_equal(t.s, "12345678");
	assert_string_equal(t.opt, "12345678");
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	buf = build(&len, "v", v_strv3, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_int_equal(t.n_v, 3);
	assert_string_equal(t.v[0], "12345");
	assert_string_equal(t.v[1], "");
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	buf = build(&len, "i", v_int64min, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_true(t.i == INT64_MIN);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	buf = build(&len, "subs", v_subs2, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_int_equal(t.n_subs, 2);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);
}

/* Empty bin, vector and struct vector decode as present (non-NULL) and empty. */
static void test_empty_values_present(void **state)
{
	struct t_all t;
	struct berr e;
	size_t len;
	uint8_t *buf;

	(void)state;
	buf = build(&len, "bin", v_bin0, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_non_null(t.bin.data);
	assert_int_equal(t.bin.len, 0);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	buf = build(&len, "v", v_arr0, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_non_null(t.v);
	assert_null(t.v[0]);
	assert_int_equal(t.n_v, 0);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	buf = build(&len, "subs", v_arr0, NULL, NULL);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e), 0);
	assert_non_null(t.subs);
	assert_int_equal(t.n_subs, 0);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);
}

/* ---------------------------------------------------------------- decoder: refusals */

struct bad_case {
	const char *key;       /* base key replaced (val) or left out (val NULL) */
	valfn val;
	const char *extra_key; /* an extra pair appended */
	valfn extra_val;
	const char *want;      /* substring of the error */
};

static const struct bad_case bad_cases[] = {
	{ "u", v_str, NULL, NULL, "key \"u\" is not an unsigned integer" },
	{ "u", v_neg, NULL, NULL, "key \"u\" is negative" },
	{ "u", v_u1001, NULL, NULL, "key \"u\" is 1001, more than the 1000 allowed" },
	{ "u", v_float, NULL, NULL, "key \"u\" is not an unsigned integer" },
	{ "u", v_true, NULL, NULL, "key \"u\" is not an unsigned integer" },
	{ "u", v_nil, NULL, NULL, "key \"u\" is not an unsigned integer" },
	{ "i", v_str, NULL, NULL, "key \"i\" is not an integer" },
	{ "i", v_u64max, NULL, NULL, "key \"i\" does not fit a signed 64-bit integer" },
	{ "i", v_float, NULL, NULL, "key \"i\" is not an integer" },
	{ "b", v_u7, NULL, NULL, "key \"b\" is not a boolean" },
	{ "b", v_nil, NULL, NULL, "key \"b\" is not a boolean" },
	{ "s", v_u7, NULL, NULL, "key \"s\" is not a string" },
	{ "s", v_bin4, NULL, NULL, "key \"s\" is not a string" },
	{ "s", v_nil, NULL, NULL, "key \"s\" is not a string" },
	{ "s", v_str9, NULL, NULL, "key \"s\" is 9 bytes, more than the 8 allowed" },
	{ "s", v_str_nul, NULL, NULL, "key \"s\" contains a NUL byte" },
	{ "bin", v_str, NULL, NULL, "key \"bin\" is not binary data" },
	{ "bin", v_ext, NULL, NULL, "key \"bin\" is not binary data" },
	{ "bin", v_bin5, NULL, NULL, "key \"bin\" is 5 bytes, more than the 4 allowed" },
	{ "v", v_str, NULL, NULL, "key \"v\" is not an array" },
	{ "v", v_map0, NULL, NULL, "key \"v\" is not an array" },
	{ "v", v_strv4, NULL, NULL, "key \"v\" has 4 elements, more than the 3 allowed" },
	{ "v", v_strv_int, NULL, NULL, "key \"v\" element 0 is not a string" },
	{ "v", v_strv_long, NULL, NULL, "key \"v\" element 0 is 6 bytes, more than the 5" },
	{ "v", v_strv_nul, NULL, NULL, "key \"v\" element 1 contains a NUL byte" },
	{ "subs", v_map0, NULL, NULL, "key \"subs\" is not an array" },
	{ "subs", v_subs3, NULL, NULL, "key \"subs\" has 3 elements, more than the 2 allowed" },
	{ "subs", v_subs_int, NULL, NULL, "key \"subs\" element 0 is not a map" },
	{ "subs", v_subs_badname, NULL, NULL,
	  "key \"subs\" element 1 (t-sub): key \"name\" is not a string" },
	{ "subs", v_subs_missing, NULL, NULL,
	  "key \"subs\" element 0 (t-sub): required key \"name\" is missing" },
	{ "subs", v_subs_unknown, NULL, NULL, "element 0 (t-sub): unknown key \"zz\"" },
	{ "opt", v_u7, NULL, NULL, "key \"opt\" is not a string" },
	{ "u", NULL, NULL, NULL, "required key \"u\" is missing" },
	{ "i", NULL, NULL, NULL, "required key \"i\" is missing" },
	{ "b", NULL, NULL, NULL, "required key \"b\" is missing" },
	{ "s", NULL, NULL, NULL, "required key \"s\" is missing" },
	{ "bin", NULL, NULL, NULL, "required key \"bin\" is missing" },
	{ "v", NULL, NULL, NULL, "required key \"v\" is missing" },
	{ "subs", NULL, NULL, NULL, "required key \"subs\" is missing" },
	{ NULL, NULL, "zz", v_u7, "unknown key \"zz\"" },
	{ NULL, NULL, "s", v_str, "key \"s\" appears more than once" },
	{ NULL, NULL, "subs", v_subs, "key \"subs\" appears more than once" },
	{ NULL, NULL, "type", v_u7, "unknown key \"type\"" },
	{ NULL, NULL, "\x1b[2J", v_u7, "unknown key \"?[2J\"" },
};

static void test_bad_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(bad_cases); c++) {
		const struct bad_case *bc = &bad_cases[c];
		struct t_all t;
		struct berr e;
		size_t len;
		cleanup_free uint8_t *buf = build(&len, bc->key, bc->val, bc->extra_key,
						  bc->extra_val);

		memset(&t, 0xa5, sizeof(t)); /* decoding must zero it, failure or not */
		berr_clear(&e);
		if (ipc_decode_struct(&t_all_schema, buf, len, NULL, &t, &e) != -1)
			fail_msg("case %zu (%s) decoded", c, bc->want);
		assert_int_equal(e.code, BERR_PROTOCOL);
		if (strstr(e.msg, bc->want) == NULL ||
		    strncmp(e.msg, "malformed message (t-all): ", 27) != 0)
			fail_msg("case %zu: want \"%s\", got \"%s\"", c, bc->want, e.msg);
		assert_true(all_zero(&t, sizeof(t)));
	}
}

static void test_skip_keys(void **state)
{
	static const char *const skip[] = { "type", "id", NULL };
	struct t_all t;
	struct berr e;
	size_t len;
	uint8_t *buf;

	(void)state;
	buf = build(&len, "type", v_u7, "id", v_u7);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, skip, &t, &e), 0);
	ipc_struct_free(&t_all_schema, &t);
	free(buf);

	/* A skipped key is still a key: twice is refused. */
	buf = build(&len, "type", v_u7, "type", v_u7);
	assert_int_equal(ipc_decode_struct(&t_all_schema, buf, len, skip, &t, &e), -1);
	assert_non_null(strstr(e.msg, "key \"type\" appears more than once"));
	free(buf);
}

static void test_bad_keys_raw(void **state)
{
	/* {1: 1} */
	static const uint8_t int_key[] = { 0x81, 0x01, 0x01 };
	/* {"s\0": 1} */
	static const uint8_t nul_key[] = { 0x81, 0xa2, 's', 0x00, 0x01 };
	/* {b"s": 1}: a bin key is not a string key */
	static const uint8_t bin_key[] = { 0x81, 0xc4, 0x01, 's', 0x01 };
	struct t_all t;
	struct berr e;

	(void)state;
	assert_int_equal(ipc_decode_struct(&t_all_schema, int_key, sizeof(int_key), NULL, &t, &e),
			 -1);
	assert_string_equal(e.msg, "malformed message (t-all): key 0 is not a string");
	assert_int_equal(ipc_decode_struct(&t_all_schema, nul_key, sizeof(nul_key), NULL, &t, &e),
			 -1);
	assert_string_equal(e.msg, "malformed message (t-all): key \"s?\" contains a NUL byte");
	assert_int_equal(ipc_decode_struct(&t_all_schema, bin_key, sizeof(bin_key), NULL, &t, &e),
			 -1);
	assert_string_equal(e.msg, "malformed message (t-all): key 0 is not a string");
}

static void test_root_not_map(void **state)
{
	static const uint8_t arr[] = { 0x91, 0x01 };
	static const uint8_t str[] = { 0xa1, 'x' };
	struct msg_hello h;
	struct berr e;

	(void)state;
	assert_int_equal(ipc_decode_struct(&msg_hello_schema, arr, sizeof(arr), NULL, &h, &e), -1);
	assert_string_equal(e.msg, "malformed message (hello): not a map");
	assert_int_equal(ipc_decode_struct(&msg_hello_schema, str, sizeof(str), NULL, &h, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
}

/* ---------------------------------------------------------------- pre-pass */

/* One object of every msgpack format, inside an array16 of 38 elements. */
static const uint8_t every_format[] = {
	0xdc, 0x00, 38,
	0xc0, 0xc2, 0xc3,                                   /* nil false true */
	0x05, 0xe0,                                         /* fixint, negative fixint */
	0xcc, 1, 0xcd, 0, 1, 0xce, 0, 0, 0, 1, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1,
	0xd0, 0xff, 0xd1, 0, 1, 0xd2, 0, 0, 0, 1, 0xd3, 0xff, 0, 0, 0, 0, 0, 0, 0,
	0xca, 0, 0, 0, 0, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0,     /* float32, float64 */
	0xa1, 'a', 0xd9, 1, 'a', 0xda, 0, 1, 'a', 0xdb, 0, 0, 0, 1, 'a',
	0xc4, 1, 'b', 0xc5, 0, 1, 'b', 0xc6, 0, 0, 0, 1, 'b',
	0xd4, 1, 'x', 0xd5, 1, 'x', 'x', 0xd6, 1, 'x', 'x', 'x', 'x',
	0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 0,
	0xd8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xc7, 1, 1, 'e', 0xc8, 0, 1, 1, 'e', 0xc9, 0, 0, 0, 1, 1, 'e',
	0x91, 0x01, 0xdc, 0, 1, 0x01, 0xdd, 0, 0, 0, 1, 0x01,
	0x81, 0x01, 0x01, 0xde, 0, 1, 0x01, 0x01, 0xdf, 0, 0, 0, 1, 0x01, 0x01,
	0x90, 0x80,                                         /* empty array, empty map */
};

static void test_prevalidate_every_format(void **state)
{
	msgpack_unpacked u;
	size_t off = 0;
	struct berr e;

	(void)state;
	assert_int_equal(ipc_prevalidate(every_format, sizeof(every_format), 8, &e), 0);
	/* msgpack-c agrees: one object, all bytes. */
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, (const char *)every_format, sizeof(every_format),
					     &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, sizeof(every_format));
	assert_int_equal(u.data.type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(u.data.via.array.size, 38);
	msgpack_unpacked_destroy(&u);
	/* Every proper prefix is truncated. */
	for (size_t n = 0; n < sizeof(every_format); n++)
		assert_int_equal(ipc_prevalidate(every_format, n, 8, &e), -1);
}

static void expect_prevalidate_fail(const uint8_t *buf, size_t len, unsigned depth,
				    const char *want)
{
	struct berr e;

	berr_clear(&e);
	assert_int_equal(ipc_prevalidate(buf, len, depth, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
	if (strstr(e.msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e.msg);
}

static void test_prevalidate_refusals(void **state)
{
	static const uint8_t arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t arr16[] = { 0xdc, 0xff, 0xff, 0x00 };
	/* Outer [x, y] fits, inner [1, 1] fits alone, but not both together. */
	static const uint8_t sum[] = { 0x92, 0x92, 0x01, 0x01 };
	static const uint8_t map_half[] = { 0x82, 0x01, 0x01, 0x01 };
	static const uint8_t str32[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t bin8[] = { 0xc4, 0x05, 'a' };
	static const uint8_t ext8[] = { 0xc7, 0x01 };
	static const uint8_t fixext[] = { 0xd4, 0x01 };
	static const uint8_t u64[] = { 0xcf, 0, 0, 0 };
	static const uint8_t c1[] = { 0xc1 };
	static const uint8_t trailing[] = { 0x80, 0x00 };
	static const uint8_t two[] = { 0x01, 0x01 };
	uint8_t deep[16];

	(void)state;
	expect_prevalidate_fail(arr32, sizeof(arr32), 8, "declares 4294967295 elements");
	expect_prevalidate_fail(map32, sizeof(map32), 8, "declares 8589934590 elements");
	expect_prevalidate_fail(arr16, sizeof(arr16), 8, "declares 65535 elements");
	expect_prevalidate_fail(sum, sizeof(sum), 8, "container at byte 1 declares 2 elements");
	expect_prevalidate_fail(map_half, sizeof(map_half), 8, "declares 4 elements");
	expect_prevalidate_fail(str32, sizeof(str32), 8, "truncated or invalid msgpack at byte 0");
	expect_prevalidate_fail(bin8, sizeof(bin8), 8, "truncated");
	expect_prevalidate_fail(ext8, sizeof(ext8), 8, "truncated");
	expect_prevalidate_fail(fixext, sizeof(fixext), 8, "truncated");
	expect_prevalidate_fail(u64, sizeof(u64), 8, "truncated");
	expect_prevalidate_fail(c1, sizeof(c1), 8, "invalid msgpack at byte 0");
	expect_prevalidate_fail(trailing, sizeof(trailing), 8, "1 trailing bytes");
	expect_prevalidate_fail(two, sizeof(two), 8, "1 trailing bytes");
	expect_prevalidate_fail(NULL, 0, 8, "empty");

	/* 8 nested containers pass at depth 8, 9 do not; empty ones count too. */
	memset(deep, 0x91, sizeof(deep));
	deep[7] = 0x90;
	assert_int_equal(ipc_prevalidate(deep, 8, 8, NULL), 0);
	deep[7] = 0x80;
	assert_int_equal(ipc_prevalidate(deep, 8, 8, NULL), 0);
	deep[8] = 0x90;
	deep[7] = 0x91;
	expect_prevalidate_fail(deep, 9, 8, "nested deeper than 8 levels");
	assert_int_equal(ipc_prevalidate(deep, 9, 9, NULL), 0);
	/* Scalars need no depth at all. */
	assert_int_equal(ipc_prevalidate(two, 1, 0, NULL), 0);
	expect_prevalidate_fail(trailing, 1, 0, "nested deeper than 0 levels");
}

static void test_decode_refuses_prepass_failures(void **state)
{
	static const uint8_t arr32[] = { 0x81, 0xa1, 's', 0xdd, 0xff, 0xff, 0xff, 0xff };
	struct t_all t;
	struct berr e;
	size_t len;
	cleanup_free uint8_t *buf = build(&len, NULL, NULL, NULL, NULL);
	cleanup_free uint8_t *more = malloc(len + 1);

	(void)state;
	assert_int_equal(ipc_decode_struct(&t_all_schema, arr32, sizeof(arr32), NULL, &t, &e), -1);
	assert_non_null(strstr(e.msg, "malformed message (t-all): container at byte 3"));
	memcpy(more, buf, len);
	more[len] = 0xc0;
	assert_int_equal(ipc_decode_struct(&t_all_schema, more, len + 1, NULL, &t, &e), -1);
	assert_non_null(strstr(e.msg, "trailing"));
	assert_int_equal(ipc_decode_struct(&t_all_schema, more, len, NULL, &t, &e), 0);
	ipc_struct_free(&t_all_schema, &t);
}

/* ---------------------------------------------------------------- peek */

static void test_peek(void **state)
{
	/* {"type": 5, "x": {"id": 1}, "id": int8 7} */
	static const uint8_t ok[] = { 0x83, 0xa4, 't', 'y', 'p', 'e', 0x05, 0xa1, 'x', 0x81, 0xa2,
				      'i', 'd', 0x01, 0xa2, 'i', 'd', 0xd0, 0x07 };
	static const uint8_t dup[] = { 0x82, 0xa2, 'i', 'd', 0x01, 0xa2, 'i', 'd', 0x01 };
	static const uint8_t neg[] = { 0x81, 0xa2, 'i', 'd', 0xff };
	static const uint8_t str[] = { 0x81, 0xa2, 'i', 'd', 0xa1, '1' };
	static const uint8_t nested[] = { 0x81, 0xa1, 'x', 0x81, 0xa2, 'i', 'd', 0x01 };
	static const uint8_t arr[] = { 0x91, 0x01 };
	uint64_t v = 0;
	struct berr e;

	(void)state;
	assert_int_equal(ipc_peek_uint(ok, sizeof(ok), "type", &v, &e), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ipc_peek_uint(ok, sizeof(ok), "id", &v, &e), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ipc_peek_uint(ok, sizeof(ok), "x", &v, &e), -1);
	assert_string_equal(e.msg, "malformed message: key \"x\" is not an unsigned integer");
	assert_int_equal(ipc_peek_uint(ok, sizeof(ok), "typ", &v, &e), -1);
	assert_string_equal(e.msg, "malformed message: key \"typ\" is missing");
	assert_int_equal(ipc_peek_uint(dup, sizeof(dup), "id", &v, &e), -1);
	assert_string_equal(e.msg, "malformed message: key \"id\" appears more than once");
	assert_int_equal(ipc_peek_uint(neg, sizeof(neg), "id", &v, &e), -1);
	assert_int_equal(ipc_peek_uint(str, sizeof(str), "id", &v, &e), -1);
	assert_int_equal(ipc_peek_uint(nested, sizeof(nested), "id", &v, &e), -1);
	assert_string_equal(e.msg, "malformed message: key \"id\" is missing");
	assert_int_equal(ipc_peek_uint(arr, sizeof(arr), "id", &v, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
	/* Bounds-safe even without the pre-pass. */
	for (size_t n = 0; n < sizeof(ok); n++)
		(void)ipc_peek_uint(ok, n, "id", &v, NULL);
}

/* ---------------------------------------------------------------- encoder */

static int enc_t(const struct t_all *t, struct berr *e, struct t_all *back)
{
	struct ipc_enc *enc = ipc_enc_new();
	const uint8_t *data;
	size_t len;
	int rc;

	assert_non_null(enc);
	rc = ipc_enc_struct(enc, &t_all_schema, t, NULL, NULL, 0, e);
	data = ipc_enc_data(enc, &len);
	if (rc < 0)
		assert_int_equal(len, 0); /* nothing half-written is left to send */
	else
		assert_int_equal(ipc_decode_struct(&t_all_schema, data, len, NULL, back, e), 0);
	ipc_enc_free(enc);
	return rc;
}

static void expect_enc_fail(const struct t_all *t, int code, const char *want)
{
	struct berr e;

	berr_clear(&e);
	assert_int_equal(enc_t(t, &e, NULL), -1);
	assert_int_equal(e.code, code);
	if (strncmp(e.msg, "cannot encode t-all: ", 21) != 0 || strstr(e.msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e.msg);
}

static void test_encoder_limits(void **state)
{
	static char *v_ok[] = { "12345", "b", NULL };
	static char *v_long[] = { "123456", NULL };
	static char *v_hole[] = { "a", NULL, "c", NULL };
	static struct t_sub subs_ok[] = { { "x", 1 } };
	static struct t_sub subs_long[] = { { "x", 1 }, { "123456789", 2 } };
	const struct t_all base = { 1000, -5, true, "12345678", { (uint8_t *)"abcd", 4 }, v_ok, 2,
				    subs_ok, 1, NULL };
	struct t_all t, back;
	struct berr e;

	(void)state;
	assert_int_equal(enc_t(&base, &e, &back), 0);
	assert_int_equal(back.u, 1000);
	assert_true(back.i == -5);
	assert_string_equal(back.s, "12345678");
	assert_memory_equal(back.bin.data, "abcd", 4);
	assert_string_equal(back.v[0], "12345");
	assert_string_equal(back.subs[0].name, "x");
	assert_null(back.opt);
	ipc_struct_free(&t_all_schema, &back);

	t = base, t.u = 1001;
	expect_enc_fail(&t, BERR_INVALID, "key \"u\" is 1001, more than the 1000 allowed");
	t = base, t.s = "123456789";
	expect_enc_fail(&t, BERR_INVALID, "key \"s\" is 9 bytes, more than the 8 allowed");
	t = base, t.opt = "123456789";
	expect_enc_fail(&t, BERR_INVALID, "key \"opt\" is 9 bytes");
	t = base, t.bin.len = 5;
	t.bin.data = (uint8_t *)"abcde";
	expect_enc_fail(&t, BERR_INVALID, "key \"bin\" is 5 bytes, more than the 4 allowed");
	t = base, t.v = v_long, t.n_v = 1;
	expect_enc_fail(&t, BERR_INVALID, "key \"v\" element 0 is 6 bytes, more than the 5");
	t = base, t.n_v = 4;
	expect_enc_fail(&t, BERR_INVALID, "key \"v\" has 4 elements, more than the 3 allowed");
	t = base, t.v = v_hole, t.n_v = 3;
	expect_enc_fail(&t, BERR_INTERNAL, "key \"v\" element 1 is NULL");
	t = base, t.v = NULL, t.n_v = 2;
	expect_enc_fail(&t, BERR_INTERNAL, "key \"v\" has 2 elements but no vector");
	t = base, t.subs = subs_long, t.n_subs = 2;
	expect_enc_fail(&t, BERR_INVALID,
			"key \"subs\" element 1 (t-sub): key \"name\" is 9 bytes, more than the 8");
	t = base, t.n_subs = 3;
	expect_enc_fail(&t, BERR_INVALID, "key \"subs\" has 3 elements, more than the 2");
	t = base, t.subs = NULL, t.n_subs = 1;
	expect_enc_fail(&t, BERR_INTERNAL, "key \"subs\" has 1 elements but no array");
	t = base, t.s = NULL;
	expect_enc_fail(&t, BERR_INTERNAL, "required field s is missing");
	t = base, t.bin.data = NULL;
	expect_enc_fail(&t, BERR_INTERNAL, "required field bin is missing");

	/* A required vector left NULL and empty is the empty vector. */
	t = base, t.v = NULL, t.n_v = 0, t.subs = NULL, t.n_subs = 0;
	assert_int_equal(enc_t(&t, &e, &back), 0);
	assert_non_null(back.v);
	assert_int_equal(back.n_v, 0);
	assert_non_null(back.subs);
	assert_int_equal(back.n_subs, 0);
	ipc_struct_free(&t_all_schema, &back);
}

static void test_encoder_misuse(void **state)
{
	static const char *const env_bad[] = { "u" };
	static const char *const env_ok[] = { "type" };
	static const uint64_t vals[] = { 1 };
	const struct t_all t = { 1, 1, false, "s", { (uint8_t *)"", 0 }, NULL, 0, NULL, 0, NULL };
	struct ipc_enc *enc = ipc_enc_new();
	struct berr e;

	(void)state;
	assert_int_equal(ipc_enc_struct(enc, &t_all_schema, &t, env_bad, vals, 1, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
	assert_non_null(strstr(e.msg, "envelope key u is also a field"));
	assert_int_equal(ipc_enc_struct(enc, &t_all_schema, &t, env_ok, vals, 1, &e), 0);
	assert_int_equal(ipc_enc_struct(enc, &t_all_schema, &t, env_ok, vals, 1, &e), -1);
	assert_non_null(strstr(e.msg, "encoder already used"));
	ipc_enc_free(enc);

}

/* A create request as containers created before the run/create flags were stored it (the keys
 * of that schema only) still decodes: the fields added since are optional and come out empty.
 * With them, a request goes round as it was. */
static void test_create_request_compat(void **state)
{
	static const char *const bools[] = { "tty", "interactive", "rm", "read_only",
					     "privileged" };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct msg_create c = { 0 };
	struct berr e;
	(void)state;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 7);
	PSTR(&pk, "image"); PSTR(&pk, "bb:1");
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
		pstr(&pk, bools[i], strlen(bools[i]));
		msgpack_pack_false(&pk);
	}
	PSTR(&pk, "stop_timeout"); msgpack_pack_uint64(&pk, 0);
	assert_int_equal(ipc_decode_struct(&msg_create_schema, (const uint8_t *)sb.data, sb.size,
					   NULL, &c, &e), 0);
	msgpack_sbuffer_destroy(&sb);
	assert_string_equal(c.image, "bb:1");
	assert_null(c.group_add);
	assert_false(c.env_host);
	assert_null(c.userns);
	assert_int_equal(c.init, TRI_UNSET);
	assert_null(c.conf_env);
	assert_false(c.conf_caps_set);
	ipc_struct_free(&msg_create_schema, &c);

	char *groups[] = { "50", "audio", NULL }, *env[] = { "A=1", NULL };
	struct msg_create in = { .image = "bb:1", .group_add = groups, .n_group_add = 2,
				 .env_host = true, .userns = "keep-id:uid=1", .init = TRI_TRUE,
				 .init_path = "/i", .conf_env = env, .n_conf_env = 1,
				 .conf_caps_set = true, .conf_pids_limit = "5" };
	struct ipc_enc *enc = ipc_enc_new();
	const uint8_t *data;
	size_t len;

	assert_non_null(enc);
	assert_int_equal(ipc_enc_struct(enc, &msg_create_schema, &in, NULL, NULL, 0, &e), 0);
	data = ipc_enc_data(enc, &len);
	assert_int_equal(ipc_decode_struct(&msg_create_schema, data, len, NULL, &c, &e), 0);
	assert_int_equal(c.n_group_add, 2);
	assert_string_equal(c.group_add[1], "audio");
	assert_true(c.env_host);
	assert_string_equal(c.userns, "keep-id:uid=1");
	assert_int_equal(c.init, TRI_TRUE);
	assert_string_equal(c.init_path, "/i");
	assert_string_equal(c.conf_env[0], "A=1");
	assert_true(c.conf_caps_set);
	assert_int_equal(c.n_conf_caps, 0);
	assert_string_equal(c.conf_pids_limit, "5");
	ipc_struct_free(&msg_create_schema, &c);
	ipc_enc_free(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_decodes),
		cmocka_unit_test(test_limits_inclusive),
		cmocka_unit_test(test_empty_values_present),
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_skip_keys),
		cmocka_unit_test(test_bad_keys_raw),
		cmocka_unit_test(test_root_not_map),
		cmocka_unit_test(test_prevalidate_every_format),
		cmocka_unit_test(test_prevalidate_refusals),
		cmocka_unit_test(test_decode_refuses_prepass_failures),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_encoder_limits),
		cmocka_unit_test(test_encoder_misuse),
		cmocka_unit_test(test_create_request_compat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
