/* Schema-driven msgpack codec: a raw pre-pass (ipc_prevalidate, ipc_peek_uint), a strict typed
 * decoder on top of msgpack-c's object tree, and an encoder that applies the decoder's limits.
 * See codec.h for the rules; the comments here say why each check exists. */
#include "ipc/codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/cleanup.h"

/* msgpack-c refuses nesting deeper than its fixed parser stack (MSGPACK_EMBED_STACK_SIZE, 32),
 * so a larger max_depth could never be honoured anyway; it also sizes our own stack. */
#define PREVALIDATE_DEPTH_CAP 32

/* The most keys one map may legitimately hold: schema fields plus skipped envelope keys. The
 * widest schema today has 19 fields; the bound lets duplicate detection live on the stack. */
#define MAX_MAP_KEYS 64

/* A key or value from the peer is quoted in error messages at most this long, with anything
 * but printable ASCII replaced, so a hostile peer cannot write escape sequences to a terminal. */
#define QUOTE_MAX 48

#define FIELD_PTR(base, f, T) ((T *)(void *)((char *)(base) + (f)->offset))
#define COUNT_PTR(base, f) ((size_t *)(void *)((char *)(base) + (f)->count_offset))

/* ---------------------------------------------------------------- raw msgpack reader */

enum raw_kind {
	RAW_OTHER,  /* nil, bool, float, negative integer, bin, ext */
	RAW_UINT,   /* any integer encoding holding a value >= 0 */
	RAW_STR,
	RAW_ARRAY,
	RAW_MAP,
};

struct raw_hdr {
	enum raw_kind kind;
	size_t own;     /* bytes of this object excluding its children: tag, lengths, payload */
	uint64_t count; /* objects that follow as children: array elements, 2 per map entry */
	uint64_t uval;  /* RAW_UINT */
	const uint8_t *str; /* RAW_STR: the bytes, inside the buffer */
	size_t str_len;
};

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Reads the header of the object at buf[pos] and checks that the header and the object's own
 * payload fit in the buffer. Children (container elements) are not checked here. Returns 0, or
 * -1 for truncation or the reserved tag 0xc1. */
static int raw_read(const uint8_t *buf, size_t len, size_t pos, struct raw_hdr *h)
{
	size_t avail = len - pos;
	size_t lensz = 0;       /* bytes of a length or count field after the tag */
	size_t extra = 0;       /* fixed bytes after the length field (ext type) */
	uint64_t payload = 0;
	uint8_t t;

	if (pos >= len)
		return -1;
	t = buf[pos];
	memset(h, 0, sizeof(*h));
	h->kind = RAW_OTHER;

	if (t <= 0x7f) {
		h->kind = RAW_UINT;
		h->uval = t;
	} else if (t <= 0x8f) {
		h->kind = RAW_MAP;
		h->count = 2 * (uint64_t)(t & 0x0f);
	} else if (t <= 0x9f) {
		h->kind = RAW_ARRAY;
		h->count = t & 0x0f;
	} else if (t <= 0xbf) {
		h->kind = RAW_STR;
		payload = t & 0x1f;
	} else if (t >= 0xe0) {
		/* negative fixint */
	} else {
		switch (t) {
		case 0xc0: case 0xc2: case 0xc3:
			break;
		case 0xc1:
			return -1; /* "never used" in the msgpack spec */
		case 0xc4: case 0xc5: case 0xc6: /* bin 8/16/32 */
			lensz = (size_t)1 << (t - 0xc4);
			break;
		case 0xc7: case 0xc8: case 0xc9: /* ext 8/16/32: length, then a type byte */
			lensz = (size_t)1 << (t - 0xc7);
			extra = 1;
			break;
		case 0xca:
			payload = 4;
			break;
		case 0xcb:
			payload = 8;
			break;
		case 0xcc: case 0xcd: case 0xce: case 0xcf:
			payload = (uint64_t)1 << (t - 0xcc);
			if (avail < 1 + payload)
				return -1;
			h->kind = RAW_UINT;
			h->uval = be(buf + pos + 1, (size_t)payload);
			break;
		case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
			payload = (uint64_t)1 << (t - 0xd0);
			if (avail < 1 + payload)
				return -1;
			/* msgpack-c reports a non-negative signed encoding as a positive integer;
			 * the raw reader agrees, so peek and decoder see the same value. */
			if ((buf[pos + 1] & 0x80) == 0) {
				h->kind = RAW_UINT;
				h->uval = be(buf + pos + 1, (size_t)payload);
			}
			break;
		}
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: /* fixext 1..16 */
			extra = 1;
			payload = (uint64_t)1 << (t - 0xd4);
			break;
		case 0xd9: case 0xda: case 0xdb: /* str 8/16/32 */
			h->kind = RAW_STR;
			lensz = (size_t)1 << (t - 0xd9);
			break;
		case 0xdc: case 0xdd: /* array 16/32 */
			h->kind = RAW_ARRAY;
			lensz = (size_t)2 << (t - 0xdc);
			break;
		case 0xde: case 0xdf: /* map 16/32 */
			h->kind = RAW_MAP;
			lensz = (size_t)2 << (t - 0xde);
			break;
		}
	}

	if (lensz > 0) {
		uint64_t n;

		if (avail < 1 + lensz)
			return -1;
		n = be(buf + pos + 1, lensz);
		if (h->kind == RAW_ARRAY)
			h->count = n;
		else if (h->kind == RAW_MAP)
			h->count = 2 * n;
		else
			payload = n;
	}
	/* avail >= 1 + lensz here; payload is at most 2^32 - 1, so nothing overflows. */
	if (payload > avail - 1 - lensz || extra > avail - 1 - lensz - payload)
		return -1;
	h->own = 1 + lensz + extra + (size_t)payload;
	if (h->kind == RAW_STR) {
		h->str = buf + pos + 1 + lensz;
		h->str_len = (size_t)payload;
	}
	return 0;
}

/* Advances *pos past one whole object, children included. Always terminates: every header is
 * at least one byte. */
static int raw_skip(const uint8_t *buf, size_t len, size_t *pos)
{
	uint64_t pending = 1;
	struct raw_hdr h;

	while (pending > 0) {
		if (raw_read(buf, len, *pos, &h) < 0)
			return -1;
		*pos += h.own;
		pending = pending - 1 + h.count;
		/* Each pending object needs a byte; this also keeps pending from overflowing. */
		if (pending > len - *pos)
			return -1;
	}
	return 0;
}

/* The pass behind ipc_prevalidate(); its messages are details the callers prefix. */
static int prevalidate(const uint8_t *buf, size_t len, unsigned max_depth, struct berr *e)
{
	uint64_t left[PREVALIDATE_DEPTH_CAP]; /* children still owed by each open container */
	unsigned depth = 0;
	uint64_t pending = 1; /* objects promised by all open containers, plus the root */
	size_t pos = 0;
	struct raw_hdr h;

	if (buf == NULL || len == 0)
		return berr_set(e, BERR_PROTOCOL, 0, "empty");
	if (max_depth > PREVALIDATE_DEPTH_CAP)
		max_depth = PREVALIDATE_DEPTH_CAP;

	while (pending > 0) {
		if (raw_read(buf, len, pos, &h) < 0)
			return berr_set(e, BERR_PROTOCOL, 0,
					"truncated or invalid msgpack at byte %zu",
					pos);
		pos += h.own;
		pending--;
		if (depth > 0)
			left[depth - 1]--;
		if (h.kind == RAW_ARRAY || h.kind == RAW_MAP) {
			if (depth >= max_depth)
				return berr_set(e, BERR_PROTOCOL, 0,
						"nested deeper than %u levels",
						max_depth);
			/* msgpack-c allocates a container's elements before reading them: a count
			 * that cannot fit in what is left (each element takes a byte at least) is
			 * refused here, so 6 bytes can never ask for gigabytes. Summing over all
			 * open containers bounds the whole tree by the packet size. */
			pending += h.count;
			if (pending > len - pos)
				return berr_set(e, BERR_PROTOCOL, 0,
						"container at byte %zu declares "
						"%" PRIu64 " elements, more than the bytes that remain",
						pos - h.own, h.count);
			if (h.count > 0)
				left[depth++] = h.count;
		}
		while (depth > 0 && left[depth - 1] == 0)
			depth--;
	}
	/* Exactly one object: anything after it could be read differently by another parser. */
	if (pos != len)
		return berr_set(e, BERR_PROTOCOL, 0,
				"%zu trailing bytes after the message", len - pos);
	return 0;
}

int ipc_prevalidate(const uint8_t *buf, size_t len, unsigned max_depth, struct berr *e)
{
	if (prevalidate(buf, len, max_depth, e) < 0)
		return berr_wrap(e, "malformed message");
	return 0;
}

/* Copies at most QUOTE_MAX bytes of untrusted text into out, replacing anything outside
 * printable ASCII with '?'. */
static const char *quote(char out[QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t k = n < QUOTE_MAX ? n : QUOTE_MAX;

	for (size_t i = 0; i < k; i++)
		out[i] = (s[i] >= 0x20 && s[i] <= 0x7e && s[i] != '"') ? s[i] : '?';
	if (n > k) {
		memcpy(out + k, "...", 4);
	} else {
		out[k] = '\0';
	}
	return out;
}

int ipc_peek_uint(const uint8_t *buf, size_t len, const char *key, uint64_t *val,
		  struct berr *e)
{
	size_t keylen = strlen(key);
	size_t pos = 0;
	bool found = false;
	struct raw_hdr h;

	if (buf == NULL || raw_read(buf, len, 0, &h) < 0 || h.kind != RAW_MAP)
		return berr_set(e, BERR_PROTOCOL, 0, "malformed message: not a map");
	pos = h.own;
	for (uint64_t i = 0; i < h.count / 2; i++) {
		struct raw_hdr k, v;

		if (raw_read(buf, len, pos, &k) < 0)
			return berr_set(e, BERR_PROTOCOL, 0, "malformed message: truncated");
		/* Keys that are not strings are skipped here; the typed decoder refuses them. */
		if (raw_skip(buf, len, &pos) < 0)
			return berr_set(e, BERR_PROTOCOL, 0, "malformed message: truncated");
		if (k.kind == RAW_STR && k.str_len == keylen && memcmp(k.str, key, keylen) == 0) {
			/* A second "type" could make two readers disagree on what this is. */
			if (found)
				return berr_set(e, BERR_PROTOCOL, 0,
						"malformed message: key \"%s\" appears more than once",
						key);
			if (raw_read(buf, len, pos, &v) < 0 || v.kind != RAW_UINT)
				return berr_set(e, BERR_PROTOCOL, 0,
						"malformed message: key \"%s\" is not an unsigned "
						"integer", key);
			*val = v.uval;
			found = true;
		}
		if (raw_skip(buf, len, &pos) < 0)
			return berr_set(e, BERR_PROTOCOL, 0, "malformed message: truncated");
	}
	if (!found)
		return berr_set(e, BERR_PROTOCOL, 0, "malformed message: key \"%s\" is missing",
				key);
	return 0;
}

/* ---------------------------------------------------------------- free */

void ipc_struct_free(const struct ipc_schema *schema, void *st)
{
	if (schema == NULL || st == NULL)
		return;
	for (size_t i = 0; i < schema->nfields; i++) {
		const struct ipc_field *f = &schema->fields[i];

		switch (f->type) {
		case IPC_T_UINT:
		case IPC_T_INT:
		case IPC_T_BOOL:
			break;
		case IPC_T_STR:
			free(*FIELD_PTR(st, f, char *));
			break;
		case IPC_T_BIN:
			free(FIELD_PTR(st, f, struct ipc_bin)->data);
			break;
		case IPC_T_STRV: {
			char **v = *FIELD_PTR(st, f, char **);

			/* By count, not by the NULL terminator: a hand-filled vector may lack one. */
			if (v != NULL)
				for (size_t j = 0; j < *COUNT_PTR(st, f); j++)
					free(v[j]);
			free(v);
			break;
		}
		case IPC_T_STRUCTV: {
			char *v = *FIELD_PTR(st, f, void *);

			if (v != NULL)
				for (size_t j = 0; j < *COUNT_PTR(st, f); j++)
					ipc_struct_free(f->sub, v + j * f->sub->size);
			free(v);
			break;
		}
		}
	}
	memset(st, 0, schema->size);
}

/* ---------------------------------------------------------------- decoder */

static int bad(struct berr *e, const struct ipc_field *f, const char *what)
{
	return berr_set(e, BERR_PROTOCOL, 0, "key \"%s\" %s", f->key, what);
}

/* A peer's string becomes a C string: an embedded NUL would let the checked text and the text
 * a later strcmp/open() sees differ, so it is refused rather than truncated. */
static int dec_cstr(const msgpack_object *v, uint64_t max, char **out)
{
	char *s;

	if (v->type != MSGPACK_OBJECT_STR)
		return -1;
	if (v->via.str.size > max)
		return -2;
	if (memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL)
		return -3;
	s = malloc((size_t)v->via.str.size + 1);
	if (s == NULL)
		return -4;
	memcpy(s, v->via.str.ptr, v->via.str.size);
	s[v->via.str.size] = '\0';
	*out = s;
	return 0;
}

static int cstr_err(struct berr *e, int rc, const struct ipc_field *f, const msgpack_object *v,
		    uint64_t max, const char *elem)
{
	switch (rc) {
	case -1:
		return berr_set(e, BERR_PROTOCOL, 0, "key \"%s\"%s is not a string", f->key, elem);
	case -2:
		return berr_set(e, BERR_PROTOCOL, 0,
				"key \"%s\"%s is %" PRIu32 " bytes, more than the %" PRIu64
				" allowed", f->key, elem, v->via.str.size, max);
	case -3:
		return berr_set(e, BERR_PROTOCOL, 0, "key \"%s\"%s contains a NUL byte", f->key,
				elem);
	default:
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory decoding key \"%s\"",
				f->key);
	}
}

static int decode_map(const struct ipc_schema *s, const msgpack_object *o,
		      const char *const *skip, void *out, struct berr *e);

/* Decodes one field's value into out. On failure, whatever was stored is consistent (counts
 * match the elements stored), so the caller's ipc_struct_free() releases it. */
static int dec_field(const struct ipc_field *f, const msgpack_object *v, void *out,
		     struct berr *e)
{
	int rc;

	switch (f->type) {
	case IPC_T_UINT: {
		uint64_t max = f->max != 0 ? f->max : UINT64_MAX;

		if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return bad(e, f, "is negative");
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return bad(e, f, "is not an unsigned integer");
		if (v->via.u64 > max)
			return berr_set(e, BERR_PROTOCOL, 0,
					"key \"%s\" is %" PRIu64 ", more than the %" PRIu64
					" allowed", f->key, v->via.u64, max);
		*FIELD_PTR(out, f, uint64_t) = v->via.u64;
		return 0;
	}
	case IPC_T_INT:
		if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
			*FIELD_PTR(out, f, int64_t) = v->via.i64;
			return 0;
		}
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return bad(e, f, "is not an integer");
		if (v->via.u64 > (uint64_t)INT64_MAX)
			return bad(e, f, "does not fit a signed 64-bit integer");
		*FIELD_PTR(out, f, int64_t) = (int64_t)v->via.u64;
		return 0;
	case IPC_T_BOOL:
		if (v->type != MSGPACK_OBJECT_BOOLEAN)
			return bad(e, f, "is not a boolean");
		*FIELD_PTR(out, f, bool) = v->via.boolean;
		return 0;
	case IPC_T_STR:
		rc = dec_cstr(v, f->max, FIELD_PTR(out, f, char *));
		return rc == 0 ? 0 : cstr_err(e, rc, f, v, f->max, "");
	case IPC_T_BIN: {
		struct ipc_bin *b = FIELD_PTR(out, f, struct ipc_bin);

		if (v->type != MSGPACK_OBJECT_BIN)
			return bad(e, f, "is not binary data");
		if (v->via.bin.size > f->max)
			return berr_set(e, BERR_PROTOCOL, 0,
					"key \"%s\" is %" PRIu32 " bytes, more than the %" PRIu64
					" allowed", f->key, v->via.bin.size, f->max);
		/* At least one byte, so an empty bin still shows as present (data != NULL). */
		b->data = malloc(v->via.bin.size > 0 ? v->via.bin.size : 1);
		if (b->data == NULL)
			return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		if (v->via.bin.size > 0)
			memcpy(b->data, v->via.bin.ptr, v->via.bin.size);
		b->len = v->via.bin.size;
		return 0;
	}
	case IPC_T_STRV: {
		char **vec;
		char elem[40];

		if (v->type != MSGPACK_OBJECT_ARRAY)
			return bad(e, f, "is not an array");
		if (v->via.array.size > f->max)
			return berr_set(e, BERR_PROTOCOL, 0,
					"key \"%s\" has %" PRIu32 " elements, more than the %" PRIu64
					" allowed", f->key, v->via.array.size, f->max);
		vec = calloc((size_t)v->via.array.size + 1, sizeof(char *));
		if (vec == NULL)
			return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		*FIELD_PTR(out, f, char **) = vec;
		*COUNT_PTR(out, f) = 0;
		for (uint32_t i = 0; i < v->via.array.size; i++) {
			rc = dec_cstr(&v->via.array.ptr[i], f->elem_max, &vec[i]);
			if (rc != 0) {
				snprintf(elem, sizeof(elem), " element %" PRIu32, i);
				return cstr_err(e, rc, f, &v->via.array.ptr[i], f->elem_max, elem);
			}
			*COUNT_PTR(out, f) = i + 1;
		}
		return 0;
	}
	case IPC_T_STRUCTV: {
		char *arr;

		if (f->sub == NULL)
			return berr_set(e, BERR_INTERNAL, 0, "key \"%s\" has no sub-schema", f->key);
		if (v->type != MSGPACK_OBJECT_ARRAY)
			return bad(e, f, "is not an array");
		if (v->via.array.size > f->max)
			return berr_set(e, BERR_PROTOCOL, 0,
					"key \"%s\" has %" PRIu32 " elements, more than the %" PRIu64
					" allowed", f->key, v->via.array.size, f->max);
		/* Non-NULL even when empty, like STRV, so presence survives a round trip. */
		arr = calloc(v->via.array.size > 0 ? v->via.array.size : 1, f->sub->size);
		if (arr == NULL)
			return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		*FIELD_PTR(out, f, void *) = arr;
		*COUNT_PTR(out, f) = 0;
		for (uint32_t i = 0; i < v->via.array.size; i++) {
			const msgpack_object *el = &v->via.array.ptr[i];

			if (el->type != MSGPACK_OBJECT_MAP)
				return berr_set(e, BERR_PROTOCOL, 0,
						"key \"%s\" element %" PRIu32 " is not a map", f->key,
						i);
			if (decode_map(f->sub, el, NULL, arr + (size_t)i * f->sub->size, e) < 0)
				return berr_wrap(e, "key \"%s\" element %" PRIu32 " (%s)", f->key, i,
						 f->sub->name);
			*COUNT_PTR(out, f) = i + 1;
		}
		return 0;
	}
	}
	return berr_set(e, BERR_INTERNAL, 0, "key \"%s\" has an unknown field type", f->key);
}

/* Decodes map o into out (zeroed by the caller). On failure out is released and zeroed. */
static int decode_map(const struct ipc_schema *s, const msgpack_object *o,
		      const char *const *skip, void *out, struct berr *e)
{
	bool seen[MAX_MAP_KEYS] = { false }; /* schema fields, then skip keys */
	size_t nskip = 0;
	char q[QUOTE_MAX + 4];

	while (skip != NULL && skip[nskip] != NULL)
		nskip++;
	if (s->nfields + nskip > MAX_MAP_KEYS)
		return berr_set(e, BERR_INTERNAL, 0, "schema %s has too many keys", s->name);
	if (o->type != MSGPACK_OBJECT_MAP)
		return berr_set(e, BERR_PROTOCOL, 0, "not a map");

	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		const msgpack_object *v = &o->via.map.ptr[i].val;
		size_t idx = SIZE_MAX;

		if (k->type != MSGPACK_OBJECT_STR) {
			berr_set(e, BERR_PROTOCOL, 0, "key %" PRIu32 " is not a string", i);
			goto fail;
		}
		/* No field name holds a NUL, but say so plainly rather than "unknown key". */
		if (memchr(k->via.str.ptr, '\0', k->via.str.size) != NULL) {
			berr_set(e, BERR_PROTOCOL, 0, "key \"%s\" contains a NUL byte",
				 quote(q, k->via.str.ptr, k->via.str.size));
			goto fail;
		}
		for (size_t j = 0; j < s->nfields && idx == SIZE_MAX; j++)
			if (strlen(s->fields[j].key) == k->via.str.size &&
			    memcmp(s->fields[j].key, k->via.str.ptr, k->via.str.size) == 0)
				idx = j;
		for (size_t j = 0; j < nskip && idx == SIZE_MAX; j++)
			if (strlen(skip[j]) == k->via.str.size &&
			    memcmp(skip[j], k->via.str.ptr, k->via.str.size) == 0)
				idx = s->nfields + j;
		/* An unknown key is refused, not ignored: a peer that sends fields this build
		 * does not know is not from this build, and silently dropping them hides it. */
		if (idx == SIZE_MAX) {
			berr_set(e, BERR_PROTOCOL, 0, "unknown key \"%s\"",
				 quote(q, k->via.str.ptr, k->via.str.size));
			goto fail;
		}
		/* Duplicates are refused: "first wins" and "last wins" parsers would disagree. */
		if (seen[idx]) {
			berr_set(e, BERR_PROTOCOL, 0, "key \"%s\" appears more than once",
				 quote(q, k->via.str.ptr, k->via.str.size));
			goto fail;
		}
		seen[idx] = true;
		if (idx < s->nfields && dec_field(&s->fields[idx], v, out, e) < 0)
			goto fail;
	}
	for (size_t j = 0; j < s->nfields; j++) {
		if (s->fields[j].required && !seen[j]) {
			berr_set(e, BERR_PROTOCOL, 0, "required key \"%s\" is missing",
				 s->fields[j].key);
			goto fail;
		}
	}
	return 0;

fail:
	ipc_struct_free(s, out);
	return -1;
}

int ipc_decode_struct(const struct ipc_schema *schema, const uint8_t *buf, size_t len,
		      const char *const *skip_keys, void *out, struct berr *e)
{
	msgpack_unpacked u;
	msgpack_unpack_return ret;
	size_t off = 0;
	int rc;

	if (schema == NULL || out == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "ipc_decode_struct: no schema or output");
	memset(out, 0, schema->size);
	/* The pre-pass runs before msgpack-c sees the bytes: see codec.h. */
	if (prevalidate(buf, len, IPC_MAX_DEPTH, e) < 0)
		return berr_wrap(e, "malformed message (%s)", schema->name);

	msgpack_unpacked_init(&u);
	ret = msgpack_unpack_next(&u, (const char *)buf, len, &off);
	if (ret != MSGPACK_UNPACK_SUCCESS || off != len) {
		msgpack_unpacked_destroy(&u);
		if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
			return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory decoding %s",
					schema->name);
		return berr_set(e, BERR_PROTOCOL, 0, "malformed message (%s): invalid msgpack",
				schema->name);
	}
	rc = decode_map(schema, &u.data, skip_keys, out, e);
	msgpack_unpacked_destroy(&u);
	if (rc < 0)
		return berr_wrap(e, "malformed message (%s)", schema->name);
	return 0;
}

/* ---------------------------------------------------------------- encoder */

struct ipc_enc {
	msgpack_sbuffer sbuf; /* owns its data */
	msgpack_packer pk;    /* writes into sbuf */
};

struct ipc_enc *ipc_enc_new(void)
{
	struct ipc_enc *enc = calloc(1, sizeof(*enc));

	if (enc == NULL)
		return NULL;
	msgpack_sbuffer_init(&enc->sbuf);
	msgpack_packer_init(&enc->pk, &enc->sbuf, msgpack_sbuffer_write);
	return enc;
}

void ipc_enc_free(struct ipc_enc *enc)
{
	if (enc == NULL)
		return;
	msgpack_sbuffer_destroy(&enc->sbuf);
	free(enc);
}

const uint8_t *ipc_enc_data(const struct ipc_enc *enc, size_t *len)
{
	*len = enc->sbuf.size;
	return (const uint8_t *)enc->sbuf.data;
}

/* msgpack-c's packer only fails when the buffer cannot grow. */
#define PK(call) do { if ((call) != 0) return berr_set(e, BERR_SYSTEM, ENOMEM, \
						       "out of memory encoding"); } while (0)

static int pack_str(msgpack_packer *pk, const char *s, size_t n, struct berr *e)
{
	PK(msgpack_pack_str(pk, n));
	PK(msgpack_pack_str_body(pk, s, n));
	return 0;
}

/* Whether the encoder writes field f of st. A NULL vector with no elements stands for the
 * empty vector, so a required one is written as [] rather than refused; a NULL vector that
 * claims elements is written so that enc_field() reports the bug. */
static bool enc_present(const struct ipc_field *f, const void *st)
{
	switch (f->type) {
	case IPC_T_STR:
		return *FIELD_PTR(st, f, char *const) != NULL;
	case IPC_T_BIN:
		return FIELD_PTR(st, f, const struct ipc_bin)->data != NULL;
	case IPC_T_STRV:
	case IPC_T_STRUCTV:
		return *FIELD_PTR(st, f, void *const) != NULL || *COUNT_PTR(st, f) > 0 ||
		       f->required;
	default:
		return true;
	}
}

static int too_long(struct berr *e, const struct ipc_field *f, const char *elem, size_t n,
		    uint64_t max)
{
	return berr_set(e, BERR_INVALID, 0,
			"key \"%s\"%s is %zu bytes, more than the %" PRIu64 " allowed", f->key,
			elem, n, max);
}

static int encode_map(msgpack_packer *pk, const struct ipc_schema *s, const void *st,
		      const char *const *env_keys, const uint64_t *env_vals, size_t nenv,
		      struct berr *e);

/* Writes one field, checking the limits the decoder will check. */
static int enc_field(msgpack_packer *pk, const struct ipc_field *f, const void *st,
		     struct berr *e)
{
	if (pack_str(pk, f->key, strlen(f->key), e) < 0)
		return -1;
	switch (f->type) {
	case IPC_T_UINT: {
		uint64_t v = *FIELD_PTR(st, f, const uint64_t);
		uint64_t max = f->max != 0 ? f->max : UINT64_MAX;

		if (v > max)
			return berr_set(e, BERR_INVALID, 0,
					"key \"%s\" is %" PRIu64 ", more than the %" PRIu64
					" allowed", f->key, v, max);
		PK(msgpack_pack_uint64(pk, v));
		return 0;
	}
	case IPC_T_INT:
		PK(msgpack_pack_int64(pk, *FIELD_PTR(st, f, const int64_t)));
		return 0;
	case IPC_T_BOOL:
		PK(*FIELD_PTR(st, f, const bool) ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
		return 0;
	case IPC_T_STR: {
		const char *s = *FIELD_PTR(st, f, char *const);
		size_t n = strlen(s);

		if (n > f->max || n > UINT32_MAX)
			return too_long(e, f, "", n, f->max);
		return pack_str(pk, s, n, e);
	}
	case IPC_T_BIN: {
		const struct ipc_bin *b = FIELD_PTR(st, f, const struct ipc_bin);

		if (b->len > f->max || b->len > UINT32_MAX)
			return too_long(e, f, "", b->len, f->max);
		PK(msgpack_pack_bin(pk, b->len));
		PK(msgpack_pack_bin_body(pk, b->data, b->len));
		return 0;
	}
	case IPC_T_STRV: {
		char *const *v = *FIELD_PTR(st, f, char **const);
		size_t n = *COUNT_PTR(st, f);
		char elem[40];

		if (v == NULL && n > 0)
			return berr_set(e, BERR_INTERNAL, 0, "key \"%s\" has %zu elements but no "
					"vector", f->key, n);
		if (n > f->max || n > UINT32_MAX)
			return berr_set(e, BERR_INVALID, 0,
					"key \"%s\" has %zu elements, more than the %" PRIu64
					" allowed", f->key, n, f->max);
		PK(msgpack_pack_array(pk, n));
		for (size_t i = 0; i < n; i++) {
			size_t len;

			snprintf(elem, sizeof(elem), " element %zu", i);
			if (v[i] == NULL)
				return berr_set(e, BERR_INTERNAL, 0, "key \"%s\"%s is NULL", f->key,
						elem);
			len = strlen(v[i]);
			if (len > f->elem_max)
				return too_long(e, f, elem, len, f->elem_max);
			if (pack_str(pk, v[i], len, e) < 0)
				return -1;
		}
		return 0;
	}
	case IPC_T_STRUCTV: {
		const char *v = *FIELD_PTR(st, f, void *const);
		size_t n = *COUNT_PTR(st, f);

		if (f->sub == NULL)
			return berr_set(e, BERR_INTERNAL, 0, "key \"%s\" has no sub-schema", f->key);
		if (v == NULL && n > 0)
			return berr_set(e, BERR_INTERNAL, 0, "key \"%s\" has %zu elements but no "
					"array", f->key, n);
		if (n > f->max || n > UINT32_MAX)
			return berr_set(e, BERR_INVALID, 0,
					"key \"%s\" has %zu elements, more than the %" PRIu64
					" allowed", f->key, n, f->max);
		PK(msgpack_pack_array(pk, n));
		for (size_t i = 0; i < n; i++)
			if (encode_map(pk, f->sub, v + i * f->sub->size, NULL, NULL, 0, e) < 0)
				return berr_wrap(e, "key \"%s\" element %zu (%s)", f->key, i,
						 f->sub->name);
		return 0;
	}
	}
	return berr_set(e, BERR_INTERNAL, 0, "key \"%s\" has an unknown field type", f->key);
}

static int encode_map(msgpack_packer *pk, const struct ipc_schema *s, const void *st,
		      const char *const *env_keys, const uint64_t *env_vals, size_t nenv,
		      struct berr *e)
{
	size_t n = nenv;

	for (size_t i = 0; i < s->nfields; i++) {
		if (enc_present(&s->fields[i], st))
			n++;
		else if (s->fields[i].required)
			return berr_set(e, BERR_INTERNAL, 0, "required field %s is missing",
					s->fields[i].key);
	}
	PK(msgpack_pack_map(pk, n));
	for (size_t i = 0; i < nenv; i++) {
		if (pack_str(pk, env_keys[i], strlen(env_keys[i]), e) < 0)
			return -1;
		PK(msgpack_pack_uint64(pk, env_vals[i]));
	}
	for (size_t i = 0; i < s->nfields; i++)
		if (enc_present(&s->fields[i], st) && enc_field(pk, &s->fields[i], st, e) < 0)
			return -1;
	return 0;
}

int ipc_enc_struct(struct ipc_enc *enc, const struct ipc_schema *schema, const void *st,
		   const char *const *envelope_keys, const uint64_t *envelope_vals,
		   size_t nenvelope, struct berr *e)
{
	if (enc == NULL || schema == NULL || st == NULL || (nenvelope > 0 &&
	    (envelope_keys == NULL || envelope_vals == NULL)))
		return berr_set(e, BERR_INTERNAL, 0, "ipc_enc_struct: bad arguments");
	/* One map per buffer: a second would be trailing bytes the decoder refuses. */
	if (enc->sbuf.size != 0)
		return berr_set(e, BERR_INTERNAL, 0, "cannot encode %s: encoder already used",
				schema->name);
	/* An envelope key that is also a field would make the peer see a duplicate key. */
	for (size_t i = 0; i < nenvelope; i++)
		for (size_t j = 0; j < schema->nfields; j++)
			if (strcmp(envelope_keys[i], schema->fields[j].key) == 0)
				return berr_set(e, BERR_INTERNAL, 0,
						"cannot encode %s: envelope key %s is also a field",
						schema->name, envelope_keys[i]);
	if (encode_map(&enc->pk, schema, st, envelope_keys, envelope_vals, nenvelope, e) < 0) {
		msgpack_sbuffer_clear(&enc->sbuf);
		return berr_wrap(e, "cannot encode %s", schema->name);
	}
	return 0;
}
