/* Strict TOML parser; the accepted language and the limits are in toml.h.
 *
 * Shape of the code: one pass over the bytes to check encoding (UTF-8, no NUL), then a
 * recursive-descent parser whose recursion (arrays and inline tables inside values) is bounded
 * by TOML_MAX_DEPTH. Every node records its depth, so no path through the tree can be deeper.
 *
 * Table redefinition follows TOML 1.0 with the same bookkeeping as tomli (the reference Python
 * parser): each table remembers how it came to exist:
 *   IMPLICIT  created as a parent of a [header] (e.g. "a" for [a.b]); may still be defined once
 *             by its own [a] header, and may be reached by dotted keys;
 *   HEADER    defined by [header] or as an element of [[header]]; never again defined, never
 *             reached by dotted keys from another table;
 *   DOTTED    created (or claimed) by dotted keys in one section (the lines after one header, or
 *             one inline table); further dotted keys may reach it only from that same section,
 *             and no [header] may define it;
 *   INLINE    an inline table or anything inside one: immutable.
 * Static arrays (a = [...]) are immutable too; only arrays made by [[header]] grow. */
#include "common/toml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

enum tab_kind { TK_IMPLICIT, TK_HEADER, TK_DOTTED, TK_INLINE };

struct toml_entry {
	char *key;              /* owned */
	struct toml_value *val; /* owned */
};

struct toml_value {
	enum toml_type type;
	unsigned line;
	unsigned depth; /* root table: 0; a child is one deeper than its container */
	union {
		char *str; /* owned, NUL-terminated, no NUL inside */
		int64_t i;
		bool b;
		struct {
			struct toml_entry *ents; /* owned, insertion order */
			size_t n, cap;
			uint32_t *index;         /* owned: open addressing, entry index + 1; NULL when small */
			size_t icap;             /* power of two, 0 without index */
			enum tab_kind kind;
			unsigned section;        /* TK_DOTTED: the section that made it */
		} t;
		struct {
			struct toml_value **items; /* owned */
			size_t n, cap;
			bool aot;                  /* made by [[header]]: may grow; else immutable */
		} a;
	} u;
};

#define INDEX_FROM 8 /* tables with more keys than this get a hash index */

struct parser {
	const char *p, *end;   /* cursor and end of input (not owned) */
	const char *name;      /* for messages (not owned) */
	unsigned line;
	struct berr *e;
	struct toml_value *root;   /* owned until returned */
	struct toml_value *cur;    /* the table of the current section (borrowed from root) */
	unsigned section;
	unsigned next_section;
	char *buf;                 /* owned scratch for decoding strings */
	size_t blen, bcap;
};

struct keypath {
	char *k[TOML_MAX_DEPTH]; /* owned */
	size_t n;
	unsigned line;
};

/* ------------------------------------------------------------------ errors */

static int perr_at(struct parser *P, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr_at(struct parser *P, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(P->e, BERR_INVALID, 0, "%s:%u: %s", P->name, line, msg);
}

#define perr(P, ...) perr_at((P), (P)->line, __VA_ARGS__)

static int oom(struct parser *P)
{
	return berr_set(P->e, BERR_SYSTEM, ENOMEM, "%s: out of memory", P->name);
}

/* Writes s as a double-quoted string fit for a message: control bytes, quotes and
 * backslashes escaped, cut with "..." when long. */
static void quote(char *out, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 8) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		size_t tl;

		if (c < 0x20 || c == 0x7f)
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else if (c == '"' || c == '\\')
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\%c", c);
		else
			tmp[0] = (char)c, tl = 1;
		if (o + tl + 5 > len) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* A key path for messages: a.b."c d" (parts that are not bare keys are quoted). */
static void keyname(char *out, size_t len, char *const *k, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		bool bare = k[i][0] != '\0';
		char part[128];

		for (const char *c = k[i]; *c != '\0'; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
				bare = false;
		if (bare)
			snprintf(part, sizeof(part), "%s", k[i]);
		else
			quote(part, sizeof(part), k[i]);
		o += (size_t)snprintf(out + o, len - o, "%s%s", i > 0 ? "." : "", part);
	}
	if (o >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

/* "a string", "an integer", ... for messages. */
static const char *a_type(enum toml_type t)
{
	switch (t) {
	case TOML_TABLE: return "a table";
	case TOML_ARRAY: return "an array";
	case TOML_STRING: return "a string";
	case TOML_INT: return "an integer";
	case TOML_BOOL: return "a boolean";
	}
	return "a value";
}

/* ------------------------------------------------------------------ nodes */

static void value_free(struct toml_value *v)
{
	if (v == NULL)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->u.str);
		break;
	case TOML_TABLE:
		for (size_t i = 0; i < v->u.t.n; i++) {
			free(v->u.t.ents[i].key);
			value_free(v->u.t.ents[i].val);
		}
		free(v->u.t.ents);
		free(v->u.t.index);
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.a.n; i++)
			value_free(v->u.a.items[i]);
		free(v->u.a.items);
		break;
	case TOML_INT:
	case TOML_BOOL:
		break;
	}
	free(v);
}

void toml_free(struct toml_value *root)
{
	value_free(root);
}

static struct toml_value *node_new(struct parser *P, enum toml_type type, unsigned depth)
{
	struct toml_value *v;

	if (depth > TOML_MAX_DEPTH) {
		perr(P, "nesting deeper than %d levels", TOML_MAX_DEPTH);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		oom(P);
		return NULL;
	}
	v->type = type;
	v->line = P->line;
	v->depth = depth;
	return v;
}

static uint64_t hash_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void index_put(struct toml_value *t, size_t entry)
{
	size_t mask = t->u.t.icap - 1;
	size_t slot = (size_t)hash_key(t->u.t.ents[entry].key) & mask;

	while (t->u.t.index[slot] != 0)
		slot = (slot + 1) & mask;
	t->u.t.index[slot] = (uint32_t)(entry + 1);
}

static struct toml_value *tab_find(const struct toml_value *t, const char *key)
{
	if (t->u.t.index == NULL) {
		for (size_t i = 0; i < t->u.t.n; i++)
			if (strcmp(t->u.t.ents[i].key, key) == 0)
				return t->u.t.ents[i].val;
		return NULL;
	}
	size_t mask = t->u.t.icap - 1;
	size_t slot = (size_t)hash_key(key) & mask;

	while (t->u.t.index[slot] != 0) {
		const struct toml_entry *en = &t->u.t.ents[t->u.t.index[slot] - 1];

		if (strcmp(en->key, key) == 0)
			return en->val;
		slot = (slot + 1) & mask;
	}
	return NULL;
}

/* Appends key -> val to t; takes both (frees them on failure). The caller checked the key is
 * new. */
static int tab_insert(struct parser *P, struct toml_value *t, char *key, struct toml_value *val)
{
	if (t->u.t.n == t->u.t.cap) {
		size_t cap = t->u.t.cap ? t->u.t.cap * 2 : 4;
		struct toml_entry *ents = reallocarray(t->u.t.ents, cap, sizeof(*ents));

		if (ents == NULL) {
			free(key);
			value_free(val);
			return oom(P);
		}
		t->u.t.ents = ents;
		t->u.t.cap = cap;
	}
	t->u.t.ents[t->u.t.n].key = key;
	t->u.t.ents[t->u.t.n].val = val;
	t->u.t.n++;
	if (t->u.t.n <= INDEX_FROM)
		return 0;
	if (t->u.t.n * 2 > t->u.t.icap) {
		size_t icap = t->u.t.icap ? t->u.t.icap * 2 : 32;
		uint32_t *index;

		while (icap < t->u.t.n * 2)
			icap *= 2;
		index = calloc(icap, sizeof(*index));
		if (index == NULL) {
			/* The entry stays (the tree is freed as a whole on error). */
			return oom(P);
		}
		free(t->u.t.index);
		t->u.t.index = index;
		t->u.t.icap = icap;
		for (size_t i = 0; i < t->u.t.n; i++)
			index_put(t, i);
	} else {
		index_put(t, t->u.t.n - 1);
	}
	return 0;
}

static int arr_push(struct parser *P, struct toml_value *a, struct toml_value *val)
{
	if (a->u.a.n == a->u.a.cap) {
		size_t cap = a->u.a.cap ? a->u.a.cap * 2 : 4;
		struct toml_value **items = reallocarray(a->u.a.items, cap, sizeof(*items));

		if (items == NULL) {
			value_free(val);
			return oom(P);
		}
		a->u.a.items = items;
		a->u.a.cap = cap;
	}
	a->u.a.items[a->u.a.n++] = val;
	return 0;
}

/* Inline tables and everything in them become immutable once parsed. */
static void freeze(struct toml_value *v)
{
	if (v->type == TOML_TABLE) {
		v->u.t.kind = TK_INLINE;
		for (size_t i = 0; i < v->u.t.n; i++)
			freeze(v->u.t.ents[i].val);
	} else if (v->type == TOML_ARRAY) {
		v->u.a.aot = false;
		for (size_t i = 0; i < v->u.a.n; i++)
			freeze(v->u.a.items[i]);
	}
}

/* ------------------------------------------------------------------ bytes */

/* Whole-input check before parsing: no NUL, valid UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static int check_bytes(struct parser *P)
{
	const unsigned char *s = (const unsigned char *)P->p;
	size_t n = (size_t)(P->end - P->p);
	unsigned line = 1;

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp, min;

		if (c == 0)
			return perr_at(P, line, "NUL byte in input");
		if (c == '\n')
			line++;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07, min = 0x10000;
		else
			return perr_at(P, line, "invalid UTF-8");
		if (n - i < len)
			return perr_at(P, line, "invalid UTF-8");
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return perr_at(P, line, "invalid UTF-8");
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return perr_at(P, line, "invalid UTF-8");
		i += len;
	}
	return 0;
}

static char peek(const struct parser *P)
{
	return P->p < P->end ? *P->p : '\0';
}

static char peek_at(const struct parser *P, size_t k)
{
	return (size_t)(P->end - P->p) > k ? P->p[k] : '\0';
}

static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void describe(const struct parser *P, char *out, size_t len)
{
	unsigned char c = (unsigned char)peek(P);

	if (P->p >= P->end)
		snprintf(out, len, "end of file");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(out, len, "'%c'", c);
	else
		snprintf(out, len, "byte 0x%02x", c);
}

static void skip_ws(struct parser *P)
{
	while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
		P->p++;
}

/* Consumes one newline (LF or CRLF) if there is one: 1, 0 when none, -1 on a bare CR. */
static int newline(struct parser *P)
{
	if (peek(P) == '\n') {
		P->p++;
		P->line++;
		return 1;
	}
	if (peek(P) == '\r') {
		if (peek_at(P, 1) != '\n')
			return perr(P, "carriage return not followed by a newline");
		P->p += 2;
		P->line++;
		return 1;
	}
	return 0;
}

static int skip_comment(struct parser *P)
{
	if (peek(P) != '#')
		return 0;
	for (P->p++; P->p < P->end && *P->p != '\n'; P->p++) {
		if (*P->p == '\r' && peek_at(P, 1) == '\n')
			break;
		if (is_ctl((unsigned char)*P->p))
			return perr(P, "control character in comment");
	}
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static int skip_blank(struct parser *P)
{
	for (;;) {
		int r;

		skip_ws(P);
		if (skip_comment(P) < 0)
			return -1;
		r = newline(P);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}

/* After a key/value pair or a header: optional comment, then a newline or the end. */
static int end_of_line(struct parser *P)
{
	char what[32];
	int r;

	skip_ws(P);
	if (skip_comment(P) < 0)
		return -1;
	if (P->p >= P->end)
		return 0;
	r = newline(P);
	if (r != 0)
		return r < 0 ? -1 : 0;
	describe(P, what, sizeof(what));
	return perr(P, "expected the end of the line, found %s", what);
}

/* ------------------------------------------------------------------ strings */

static int buf_put(struct parser *P, const char *s, size_t n)
{
	if (P->blen + n > TOML_MAX_STRING)
		return perr(P, "string longer than %d bytes", TOML_MAX_STRING);
	if (P->blen + n + 1 > P->bcap) {
		size_t cap = P->bcap ? P->bcap : 256;
		char *b;

		while (cap < P->blen + n + 1)
			cap *= 2;
		b = realloc(P->buf, cap);
		if (b == NULL)
			return oom(P);
		P->buf = b;
		P->bcap = cap;
	}
	memcpy(P->buf + P->blen, s, n);
	P->blen += n;
	P->buf[P->blen] = '\0';
	return 0;
}

static int put_utf8(struct parser *P, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(P, u, n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* At a backslash inside a basic string. */
static int escape(struct parser *P, bool multiline)
{
	char c;
	size_t digits;
	uint32_t cp = 0;

	P->p++;
	if (P->p >= P->end)
		return perr(P, "unterminated string");
	c = *P->p;
	if (multiline && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
		/* Line-ending backslash: only whitespace may follow it on its line; then every
		 * whitespace and newline up to the next other character is dropped. */
		skip_ws(P);
		if (peek(P) != '\n' && peek(P) != '\r')
			return perr(P, "invalid escape sequence: a backslash followed by spaces must "
				       "end the line");
		for (;;) {
			int r;

			skip_ws(P);
			r = newline(P);
			if (r < 0)
				return -1;
			if (r == 0)
				return 0;
		}
	}
	P->p++;
	switch (c) {
	case 'b': return buf_put(P, "\b", 1);
	case 't': return buf_put(P, "\t", 1);
	case 'n': return buf_put(P, "\n", 1);
	case 'f': return buf_put(P, "\f", 1);
	case 'r': return buf_put(P, "\r", 1);
	case '"': return buf_put(P, "\"", 1);
	case '\\': return buf_put(P, "\\", 1);
	case 'u': digits = 4; break;
	case 'U': digits = 8; break;
	default:
		if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
			return perr(P, "invalid escape sequence \\%c", c);
		return perr(P, "invalid escape sequence");
	}
	for (size_t i = 0; i < digits; i++) {
		int h = hexval(peek(P));

		if (h < 0)
			return perr(P, "invalid unicode escape: \\%c needs %zu hex digits", c, digits);
		cp = (cp << 4) | (uint32_t)h;
		P->p++;
	}
	if (cp == 0)
		return perr(P, "\\u0000 (NUL) is not allowed in a string");
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return perr(P, "invalid unicode escape: U+%04X is not a unicode scalar value", cp);
	return put_utf8(P, cp);
}

/* At the opening quote(s). Decodes into P->buf; the caller copies it out. */
static int parse_string_raw(struct parser *P)
{
	char q = peek(P);
	bool basic = q == '"';
	bool ml = peek_at(P, 1) == q && peek_at(P, 2) == q;
	unsigned start = P->line;

	P->blen = 0;
	if (buf_put(P, "", 0) < 0)
		return -1;
	P->p += ml ? 3 : 1;
	if (ml && newline(P) < 0) /* a newline right after the opening delimiter is dropped */
		return -1;
	for (;;) {
		unsigned char c;

		if (P->p >= P->end)
			return perr_at(P, start, "unterminated string");
		c = (unsigned char)*P->p;
		if (c == (unsigned char)q) {
			size_t run = 0;

			if (!ml) {
				P->p++;
				return 0;
			}
			while (peek_at(P, run) == q)
				run++;
			if (run < 3) {
				if (buf_put(P, P->p, run) < 0)
					return -1;
				P->p += run;
				continue;
			}
			/* Up to two quotes may sit right before the closing delimiter. */
			if (run > 5)
				return perr(P, "too many quotes at the end of a multi-line string");
			if (buf_put(P, P->p, run - 3) < 0)
				return -1;
			P->p += run;
			return 0;
		}
		if (c == '\\' && basic) {
			if (escape(P, ml) < 0)
				return -1;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (!ml)
				return perr(P, "newline in a single-line string");
			if (newline(P) < 0)
				return -1;
			if (buf_put(P, "\n", 1) < 0)
				return -1;
			continue;
		}
		if (is_ctl(c))
			return perr(P, "control character 0x%02x in string", c);
		{
			/* Copy the run of ordinary bytes (this one included) in one go. */
			const char *s = P->p++;

			while (P->p < P->end && *P->p != q && !(basic && *P->p == '\\') &&
			       *P->p != '\n' && *P->p != '\r' && !is_ctl((unsigned char)*P->p))
				P->p++;
			if (buf_put(P, s, (size_t)(P->p - s)) < 0)
				return -1;
		}
	}
}

static char *buf_take(struct parser *P)
{
	char *s = strdup(P->buf != NULL ? P->buf : "");

	if (s == NULL)
		oom(P);
	return s;
}

/* ------------------------------------------------------------------ keys */

static bool is_bare(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static void keypath_free(struct keypath *kp)
{
	for (size_t i = 0; i < kp->n; i++)
		free(kp->k[i]);
	kp->n = 0;
}

static int parse_simple_key(struct parser *P, char **out)
{
	char c = peek(P), what[32];

	if (c == '"' || c == '\'') {
		if (peek_at(P, 1) == c && peek_at(P, 2) == c)
			return perr(P, "a multi-line string cannot be a key");
		if (parse_string_raw(P) < 0)
			return -1;
		*out = buf_take(P);
		return *out == NULL ? -1 : 0;
	}
	if (is_bare(c)) {
		const char *s = P->p;

		while (P->p < P->end && is_bare(*P->p))
			P->p++;
		if ((size_t)(P->p - s) > TOML_MAX_STRING)
			return perr(P, "key longer than %d bytes", TOML_MAX_STRING);
		*out = strndup(s, (size_t)(P->p - s));
		if (*out == NULL)
			return oom(P);
		return 0;
	}
	describe(P, what, sizeof(what));
	return perr(P, "expected a key, found %s", what);
}

/* key := simple-key ( ws "." ws simple-key )* ; on failure kp holds nothing. */
static int parse_key(struct parser *P, struct keypath *kp)
{
	kp->n = 0;
	kp->line = P->line;
	for (;;) {
		if (kp->n == TOML_MAX_DEPTH) {
			keypath_free(kp);
			return perr(P, "key with more than %d parts", TOML_MAX_DEPTH);
		}
		if (parse_simple_key(P, &kp->k[kp->n]) < 0) {
			keypath_free(kp);
			return -1;
		}
		kp->n++;
		skip_ws(P);
		if (peek(P) != '.')
			return 0;
		P->p++;
		skip_ws(P);
	}
}

/* ------------------------------------------------------------------ values */

static int parse_value(struct parser *P, unsigned depth, struct toml_value **out);

static bool is_delim(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' ||
	       c == ']' || c == '}' || c == '#';
}

static int parse_bool(struct parser *P, struct toml_value *v)
{
	if ((size_t)(P->end - P->p) >= 4 && memcmp(P->p, "true", 4) == 0 && is_delim(peek_at(P, 4))) {
		v->u.b = true;
		P->p += 4;
		return 0;
	}
	if ((size_t)(P->end - P->p) >= 5 && memcmp(P->p, "false", 5) == 0 &&
	    is_delim(peek_at(P, 5))) {
		v->u.b = false;
		P->p += 5;
		return 0;
	}
	return perr(P, "invalid value (expected true or false)");
}

static int parse_int(struct parser *P, struct toml_value *v)
{
	const char *t = P->p, *s;
	size_t n = 0, i = 0;
	unsigned base = 10;
	bool neg = false, digit_before = false;
	uint64_t acc = 0, limit;

	while (!is_delim(peek_at(P, n)))
		n++;
	P->p += n;
	if (n >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
		base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
		i = 2;
	} else {
		/* Anything that can only be a float or a date/time. */
		for (size_t k = 0; k < n; k++)
			if (t[k] == '.' || t[k] == 'e' || t[k] == 'E' || t[k] == ':' || t[k] == 'T' ||
			    t[k] == 'Z' || (t[k] == '-' && k > 0) || t[k] == 'i' || t[k] == 'n')
				return perr(P, "unsupported value (floats and dates are not supported)");
		if (t[0] == '+' || t[0] == '-') {
			neg = t[0] == '-';
			i = 1;
		}
		if (n - i > 1 && t[i] == '0')
			return perr(P, "invalid integer: leading zeros are not allowed");
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (i == n)
		return perr(P, "invalid integer");
	for (s = t + i; s < t + n; s++) {
		int d = hexval(*s);

		if (*s == '_') {
			if (!digit_before || s + 1 == t + n || hexval(s[1]) < 0 ||
			    (unsigned)hexval(s[1]) >= base)
				return perr(P, "invalid integer: '_' must sit between digits");
			digit_before = false;
			continue;
		}
		if (d < 0 || (unsigned)d >= base)
			return perr(P, "invalid integer");
		if (acc > (limit - (uint64_t)d) / base)
			return perr(P, "integer out of range");
		acc = acc * base + (uint64_t)d;
		digit_before = true;
	}
	if (neg)
		v->u.i = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		v->u.i = (int64_t)acc;
	return 0;
}

/* A key/value pair lands in table t (whose section is P->section). Takes kp's keys and val. */
static int set_keyval(struct parser *P, struct toml_value *t, struct keypath *kp,
		      struct toml_value *val)
{
	char name[256];
	int rc = -1;

	for (size_t i = 0; i + 1 < kp->n; i++) {
		struct toml_value *v = tab_find(t, kp->k[i]);

		if (v == NULL) {
			v = node_new(P, TOML_TABLE, t->depth + 1);
			if (v == NULL)
				goto out;
			v->line = kp->line;
			v->u.t.kind = TK_DOTTED;
			v->u.t.section = P->section;
			if (tab_insert(P, t, kp->k[i], v) < 0) {
				kp->k[i] = NULL;
				goto out;
			}
			kp->k[i] = NULL;
		} else if (v->type != TOML_TABLE) {
			keyname(name, sizeof(name), kp->k, i + 1);
			perr_at(P, kp->line, "cannot add keys to %s: it is %s", name,
				v->type == TOML_ARRAY && v->u.a.aot ? "an array of tables" :
				a_type(v->type));
			goto out;
		} else if (v->u.t.kind == TK_INLINE) {
			keyname(name, sizeof(name), kp->k, i + 1);
			perr_at(P, kp->line, "cannot add keys to inline table %s", name);
			goto out;
		} else if (v->u.t.kind == TK_HEADER ||
			   /* Defence in depth: a table is the current one in a single section, so
			    * dotted keys cannot meet one made in another section today; should
			    * that change, this keeps TOML's rule. */
			   (v->u.t.kind == TK_DOTTED && v->u.t.section != P->section)) {
			keyname(name, sizeof(name), kp->k, i + 1);
			perr_at(P, kp->line, "cannot use dotted keys to add to table %s defined "
					     "elsewhere (line %u)", name, v->line);
			goto out;
		} else if (v->u.t.kind == TK_IMPLICIT) {
			v->u.t.kind = TK_DOTTED;
			v->u.t.section = P->section;
		}
		t = v;
	}
	if (tab_find(t, kp->k[kp->n - 1]) != NULL) {
		quote(name, sizeof(name), kp->k[kp->n - 1]);
		perr_at(P, kp->line, "duplicate key %s", name);
		goto out;
	}
	if (val->depth != t->depth + 1) {
		/* parse_value was told the depth from kp->n; this holds by construction. */
		berr_set(P->e, BERR_INTERNAL, 0, "%s:%u: internal error: depth mismatch", P->name,
			 kp->line);
		goto out;
	}
	rc = tab_insert(P, t, kp->k[kp->n - 1], val);
	kp->k[kp->n - 1] = NULL;
	val = NULL;
out:
	value_free(val);
	keypath_free(kp);
	return rc;
}

/* key ws "=" ws value, into table t. */
static int parse_keyval(struct parser *P, struct toml_value *t)
{
	struct keypath kp;
	struct toml_value *val = NULL;
	char what[32];

	if (parse_key(P, &kp) < 0)
		return -1;
	if (peek(P) != '=') {
		describe(P, what, sizeof(what));
		keypath_free(&kp);
		return perr(P, "expected '=' after a key, found %s", what);
	}
	P->p++;
	skip_ws(P);
	if (parse_value(P, t->depth + (unsigned)kp.n, &val) < 0) {
		keypath_free(&kp);
		return -1;
	}
	return set_keyval(P, t, &kp, val);
}

static int parse_array(struct parser *P, struct toml_value *a)
{
	unsigned start = P->line;
	char what[32];

	P->p++;
	for (;;) {
		struct toml_value *v = NULL;

		if (skip_blank(P) < 0)
			return -1;
		if (P->p >= P->end)
			return perr_at(P, start, "unterminated array");
		if (peek(P) == ']') {
			P->p++;
			return 0;
		}
		if (parse_value(P, a->depth + 1, &v) < 0)
			return -1;
		if (arr_push(P, a, v) < 0)
			return -1;
		if (skip_blank(P) < 0)
			return -1;
		if (peek(P) == ',') {
			P->p++;
			continue;
		}
		if (peek(P) == ']') {
			P->p++;
			return 0;
		}
		if (P->p >= P->end)
			return perr_at(P, start, "unterminated array");
		describe(P, what, sizeof(what));
		return perr(P, "expected ',' or ']' in an array, found %s", what);
	}
}

static int parse_inline_table(struct parser *P, struct toml_value *t)
{
	unsigned saved = P->section;
	char what[32];
	int rc = -1;

	P->p++;
	/* An inline table is its own section: dotted keys inside it may share prefixes. */
	P->section = ++P->next_section;
	t->u.t.kind = TK_DOTTED;
	t->u.t.section = P->section;
	skip_ws(P);
	if (peek(P) == '}') {
		P->p++;
		rc = 0;
		goto out;
	}
	for (;;) {
		skip_ws(P);
		if (parse_keyval(P, t) < 0)
			goto out;
		skip_ws(P);
		if (peek(P) == ',') {
			P->p++;
			skip_ws(P);
			if (peek(P) == '}') {
				perr(P, "trailing comma in an inline table");
				goto out;
			}
			continue;
		}
		if (peek(P) == '}') {
			P->p++;
			rc = 0;
			goto out;
		}
		if (peek(P) == '\n' || peek(P) == '\r') {
			perr(P, "newline in an inline table");
			goto out;
		}
		if (P->p >= P->end) {
			perr(P, "unterminated inline table");
			goto out;
		}
		describe(P, what, sizeof(what));
		perr(P, "expected ',' or '}' in an inline table, found %s", what);
		goto out;
	}
out:
	P->section = saved;
	freeze(t);
	return rc;
}

static int parse_value(struct parser *P, unsigned depth, struct toml_value **out)
{
	struct toml_value *v = NULL;
	char c = peek(P), what[32];
	int r;

	*out = NULL;
	switch (c) {
	case '"':
	case '\'':
		v = node_new(P, TOML_STRING, depth);
		if (v == NULL)
			return -1;
		if (parse_string_raw(P) < 0 || (v->u.str = buf_take(P)) == NULL) {
			value_free(v);
			return -1;
		}
		*out = v;
		return 0;
	case '[':
		v = node_new(P, TOML_ARRAY, depth);
		if (v == NULL)
			return -1;
		r = parse_array(P, v);
		break;
	case '{':
		v = node_new(P, TOML_TABLE, depth);
		if (v == NULL)
			return -1;
		r = parse_inline_table(P, v);
		break;
	case 't':
	case 'f':
		v = node_new(P, TOML_BOOL, depth);
		if (v == NULL)
			return -1;
		r = parse_bool(P, v);
		break;
	case 'i':
	case 'n':
		if (P->end - P->p >= 3 && (memcmp(P->p, "inf", 3) == 0 || memcmp(P->p, "nan", 3) == 0))
			return perr(P, "unsupported value (floats and dates are not supported)");
		return perr(P, "invalid value");
	default:
		if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
			v = node_new(P, TOML_INT, depth);
			if (v == NULL)
				return -1;
			r = parse_int(P, v);
			break;
		}
		describe(P, what, sizeof(what));
		return perr(P, "expected a value, found %s", what);
	}
	if (r < 0) {
		value_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ headers */

static int parse_header(struct parser *P)
{
	struct keypath kp;
	struct toml_value *t = P->root, *v;
	bool aot = false;
	char name[256], what[32];
	int rc = -1;

	P->p++;
	if (peek(P) == '[') {
		aot = true;
		P->p++;
	}
	skip_ws(P);
	if (parse_key(P, &kp) < 0)
		return -1;
	keyname(name, sizeof(name), kp.k, kp.n);
	if (peek(P) != ']' || (aot && peek_at(P, 1) != ']')) {
		if (peek(P) == ']')
			P->p++; /* name what stands where the second ']' should be */
		describe(P, what, sizeof(what));
		perr(P, "expected '%s' to close a table header, found %s", aot ? "]]" : "]", what);
		goto out;
	}
	P->p += aot ? 2 : 1;
	P->section = ++P->next_section;

	for (size_t i = 0; i + 1 < kp.n; i++) {
		v = tab_find(t, kp.k[i]);
		if (v == NULL) {
			v = node_new(P, TOML_TABLE, t->depth + 1);
			if (v == NULL)
				goto out;
			v->u.t.kind = TK_IMPLICIT;
			if (tab_insert(P, t, kp.k[i], v) < 0) {
				kp.k[i] = NULL;
				goto out;
			}
			kp.k[i] = NULL;
		} else if (v->type == TOML_ARRAY && v->u.a.aot) {
			v = v->u.a.items[v->u.a.n - 1]; /* the latest [[element]] */
		} else if (v->type != TOML_TABLE || v->u.t.kind == TK_INLINE) {
			char part[256];

			keyname(part, sizeof(part), kp.k, i + 1);
			perr_at(P, kp.line, "cannot define table %s: %s is %s", name, part,
				v->type == TOML_TABLE ? "an inline table" :
				v->type == TOML_ARRAY ? "a static array" : a_type(v->type));
			goto out;
		}
		t = v;
	}
	v = tab_find(t, kp.k[kp.n - 1]);
	if (!aot) {
		if (v == NULL) {
			v = node_new(P, TOML_TABLE, t->depth + 1);
			if (v == NULL)
				goto out;
			v->u.t.kind = TK_HEADER;
			if (tab_insert(P, t, kp.k[kp.n - 1], v) < 0) {
				kp.k[kp.n - 1] = NULL;
				goto out;
			}
			kp.k[kp.n - 1] = NULL;
		} else if (v->type == TOML_TABLE && v->u.t.kind == TK_IMPLICIT) {
			v->u.t.kind = TK_HEADER;
		} else if (v->type == TOML_TABLE) {
			perr_at(P, kp.line, "duplicate table [%s] (first defined on line %u)", name,
				v->line);
			goto out;
		} else {
			perr_at(P, kp.line, "cannot define table [%s]: the key is already %s", name,
				v->type == TOML_ARRAY && v->u.a.aot ? "an array of tables" :
				a_type(v->type));
			goto out;
		}
		P->cur = v;
		rc = 0;
		goto out;
	}
	if (v == NULL) {
		v = node_new(P, TOML_ARRAY, t->depth + 1);
		if (v == NULL)
			goto out;
		v->u.a.aot = true;
		if (tab_insert(P, t, kp.k[kp.n - 1], v) < 0) {
			kp.k[kp.n - 1] = NULL;
			goto out;
		}
		kp.k[kp.n - 1] = NULL;
	} else if (v->type != TOML_ARRAY || !v->u.a.aot) {
		perr_at(P, kp.line, "cannot define array of tables [[%s]]: the key is already %s",
			name, v->type == TOML_ARRAY ? "a static array" : a_type(v->type));
		goto out;
	}
	t = node_new(P, TOML_TABLE, v->depth + 1);
	if (t == NULL)
		goto out;
	t->u.t.kind = TK_HEADER;
	if (arr_push(P, v, t) < 0)
		goto out;
	P->cur = t;
	rc = 0;
out:
	keypath_free(&kp);
	return rc;
}

/* ------------------------------------------------------------------ entry points */

static int parse_document(struct parser *P)
{
	if (P->end - P->p >= 3 && memcmp(P->p, "\xef\xbb\xbf", 3) == 0)
		P->p += 3;
	while (P->p < P->end) {
		int r;

		skip_ws(P);
		if (P->p >= P->end)
			break;
		if (peek(P) == '#') {
			if (skip_comment(P) < 0)
				return -1;
			continue;
		}
		r = newline(P);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (peek(P) == '[')
			r = parse_header(P);
		else
			r = parse_keyval(P, P->cur);
		if (r < 0 || end_of_line(P) < 0)
			return -1;
	}
	return 0;
}

struct toml_value *toml_parse(const char *buf, size_t len, const char *name, struct berr *e)
{
	struct parser P = {
		.p = buf,
		.end = buf + len,
		.name = name != NULL ? name : "<input>",
		.line = 1,
		.e = e,
	};
	struct toml_value *root;

	if (buf == NULL && len > 0) {
		berr_set(e, BERR_INVALID, 0, "%s: no input", P.name);
		return NULL;
	}
	if (len > TOML_MAX_INPUT) {
		berr_set(e, BERR_INVALID, 0, "%s: larger than %d bytes", P.name, TOML_MAX_INPUT);
		return NULL;
	}
	if (check_bytes(&P) < 0)
		return NULL;
	P.root = node_new(&P, TOML_TABLE, 0);
	if (P.root == NULL)
		return NULL;
	P.root->u.t.kind = TK_HEADER;
	P.cur = P.root;
	if (parse_document(&P) < 0) {
		value_free(P.root);
		free(P.buf);
		return NULL;
	}
	free(P.buf);
	root = P.root;
	return root;
}

/* ------------------------------------------------------------------ accessors */

enum toml_type toml_type(const struct toml_value *v)
{
	return v->type;
}

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INT: return "integer";
	case TOML_BOOL: return "boolean";
	}
	return "unknown";
}

unsigned toml_line(const struct toml_value *v)
{
	return v->line;
}

size_t toml_len(const struct toml_value *v)
{
	if (v == NULL)
		return 0;
	if (v->type == TOML_TABLE)
		return v->u.t.n;
	if (v->type == TOML_ARRAY)
		return v->u.a.n;
	return 0;
}

const char *toml_key_at(const struct toml_value *v, size_t i)
{
	if (v == NULL || v->type != TOML_TABLE || i >= v->u.t.n)
		return NULL;
	return v->u.t.ents[i].key;
}

const struct toml_value *toml_at(const struct toml_value *v, size_t i)
{
	if (v == NULL)
		return NULL;
	if (v->type == TOML_TABLE && i < v->u.t.n)
		return v->u.t.ents[i].val;
	if (v->type == TOML_ARRAY && i < v->u.a.n)
		return v->u.a.items[i];
	return NULL;
}

const struct toml_value *toml_get(const struct toml_value *t, const char *key)
{
	if (t == NULL || key == NULL || t->type != TOML_TABLE)
		return NULL;
	return tab_find(t, key);
}

const char *toml_string(const struct toml_value *v)
{
	return v != NULL && v->type == TOML_STRING ? v->u.str : NULL;
}

bool toml_int(const struct toml_value *v, int64_t *out)
{
	if (v == NULL || v->type != TOML_INT)
		return false;
	*out = v->u.i;
	return true;
}

bool toml_bool(const struct toml_value *v, bool *out)
{
	if (v == NULL || v->type != TOML_BOOL)
		return false;
	*out = v->u.b;
	return true;
}

bool toml_is_table_array(const struct toml_value *v)
{
	if (v == NULL || v->type != TOML_ARRAY)
		return false;
	for (size_t i = 0; i < v->u.a.n; i++)
		if (v->u.a.items[i]->type != TOML_TABLE)
			return false;
	return true;
}

const struct toml_value *toml_table_array(const struct toml_value *t, const char *key)
{
	const struct toml_value *v = toml_get(t, key);

	return toml_is_table_array(v) ? v : NULL;
}
