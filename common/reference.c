/* Image reference parsing; the grammar and the contracts are in reference.h.
 *
 * The parser does not use regular expressions: it splits the string at the only places the
 * grammar allows ("@" before the digest, the last ":" after the last "/" before the tag, the
 * first "/" after a domain) and checks each piece with a small hand-written matcher. Each
 * matcher accepts exactly the language of the corresponding distribution/reference regexp,
 * which the unit tests and the fuzz harness (parse, format, parse again) hold it to. */
#include "common/reference.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MSG_INVALID "invalid reference format"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_lower(c) || is_upper(c);
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* \w of Go's regexp: ASCII letters, digits and underscore. */
static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* [a-z0-9]; with fold, uppercase letters count too (the "would it parse lowercased" retry). */
static bool is_path_alnum(char c, bool fold)
{
	return is_digit(c) || is_lower(c) || (fold && is_upper(c));
}

/* path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* */
static bool component_valid(const char *s, size_t n, bool fold)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;

		while (i < n && is_path_alnum(s[i], fold))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

static bool path_valid(const char *s, size_t n, bool fold)
{
	size_t start = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!component_valid(s + start, i - start, fold))
				return false;
			start = i + 1;
		}
	}
	return true;
}

bool ref_path_valid(const char *s, size_t n)
{
	return s != NULL && path_valid(s, n, false);
}

bool ref_domain_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (s == NULL || n == 0)
		return false;
	if (s[0] == '[') {
		/* IPv6 literal: "[" [a-fA-F0-9:]+ "]" (no zone, no embedded IPv4), as the grammar. */
		i = 1;
		while (i < n && (is_xdigit(s[i]) || s[i] == ':'))
			i++;
		if (i == 1 || i >= n || s[i] != ']')
			return false;
		i++;
	} else {
		for (;;) {
			size_t start = i;

			while (i < n && (is_alnum(s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == n)
		return true;
	if (s[i] != ':')
		return false;
	i++;
	if (i == n)
		return false;
	while (i < n && is_digit(s[i]))
		i++;
	return i == n;
}

static bool tag_valid(const char *s, size_t n)
{
	if (n == 0 || n > REF_TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool ref_tag_valid(const char *s)
{
	return s != NULL && tag_valid(s, strlen(s));
}

/* digest := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )* ":" [0-9a-fA-F]{32,} */
static bool digest_grammar(const char *s, size_t n)
{
	size_t i = 0, hex;

	for (;;) {
		if (i >= n || !(is_lower(s[i]) || is_upper(s[i])))
			return false;
		i++;
		while (i < n && is_alnum(s[i]))
			i++;
		if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '.')) {
			i++;
			continue;
		}
		break;
	}
	if (i >= n || s[i] != ':')
		return false;
	i++;
	for (hex = 0; i < n; i++, hex++)
		if (!is_xdigit(s[i]))
			return false;
	return hex >= 32;
}

/* go-digest's pattern for algorithms it might know: [a-z0-9]+([+._-][a-z0-9]+)* */
static bool godigest_alg_shape(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;

		while (i < n && (is_lower(s[i]) || is_digit(s[i])))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (s[i] != '+' && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
		i++;
	}
}

int ref_digest_check(const char *s, struct berr *e)
{
	const char *colon;
	size_t alen, hlen, want = 0;

	if (s == NULL || (colon = strchr(s, ':')) == NULL || colon == s || colon[1] == '\0')
		return berr_set(e, BERR_INVALID, 0, "invalid checksum digest format");
	alen = (size_t)(colon - s);
	hlen = strlen(colon + 1);
	if (alen == 6 && memcmp(s, "sha256", 6) == 0)
		want = 64;
	else if (alen == 6 && memcmp(s, "sha512", 6) == 0)
		want = 128;
	if (want == 0) {
		/* Same split as go-digest: a well-formed name it does not know is "unsupported",
		 * anything else is malformed. */
		bool enc_ok = true;

		for (size_t i = 0; i < hlen; i++) {
			char c = colon[1 + i];

			if (!is_alnum(c) && c != '=' && c != '_' && c != '-')
				enc_ok = false;
		}
		if (godigest_alg_shape(s, alen) && enc_ok)
			return berr_set(e, BERR_INVALID, 0, "unsupported digest algorithm");
		return berr_set(e, BERR_INVALID, 0, "invalid checksum digest format");
	}
	if (hlen != want)
		return berr_set(e, BERR_INVALID, 0, "invalid checksum digest length");
	for (size_t i = 0; i < hlen; i++)
		if (!is_lower_hex(colon[1 + i]))
			return berr_set(e, BERR_INVALID, 0, "invalid checksum digest format");
	return 0;
}

/* Offsets of the pieces of a reference that matched the grammar. */
struct parts {
	size_t dom_len;          /* 0 when no domain; the path then starts at 0 */
	size_t path_off, path_len;
	size_t tag_off, tag_len; /* tag_len 0: no tag */
	size_t dig_off, dig_len; /* dig_len 0: no digest */
};

static bool domain_candidate(const char *s, size_t n)
{
	if (n == 9 && memcmp(s, "localhost", 9) == 0)
		return true;
	return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL;
}

/* Matches the whole grammar. With fold, path components may hold uppercase letters: that is
 * how "it would parse if it were lowercase" is told apart from plain garbage. */
static bool shape(const char *s, size_t n, bool fold, struct parts *p)
{
	const char *at = memchr(s, '@', n);
	size_t left = at != NULL ? (size_t)(at - s) : n;
	size_t name_len = left, slash = SIZE_MAX, colon = SIZE_MAX;
	const char *first_slash;

	memset(p, 0, sizeof(*p));
	if (at != NULL) {
		p->dig_off = left + 1;
		p->dig_len = n - left - 1;
		if (!digest_grammar(s + p->dig_off, p->dig_len))
			return false;
	}
	for (size_t i = 0; i < left; i++) {
		if (s[i] == '/')
			slash = i;
		else if (s[i] == ':')
			colon = i;
	}
	/* A ":" after the last "/" (or with no "/" at all) can only start the tag: no part of a
	 * name after its domain may hold one. */
	if (colon != SIZE_MAX && (slash == SIZE_MAX || colon > slash)) {
		p->tag_off = colon + 1;
		p->tag_len = left - colon - 1;
		if (!tag_valid(s + p->tag_off, p->tag_len))
			return false;
		name_len = colon;
	}
	if (name_len == 0)
		return false;
	first_slash = memchr(s, '/', name_len);
	if (first_slash != NULL) {
		size_t dl = (size_t)(first_slash - s);

		if (domain_candidate(s, dl) && ref_domain_valid(s, dl) &&
		    path_valid(first_slash + 1, name_len - dl - 1, fold)) {
			p->dom_len = dl;
			p->path_off = dl + 1;
			p->path_len = name_len - dl - 1;
			return true;
		}
	}
	if (!path_valid(s, name_len, fold))
		return false;
	p->path_off = 0;
	p->path_len = name_len;
	return true;
}

static bool is_identifier(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

int ref_parse(const char *s, struct image_ref *out, struct berr *e)
{
	struct parts p;
	size_t n, name_len;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s[0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "repository name must have at least one component");
	n = strlen(s);
	if (!shape(s, n, false, &p)) {
		if (shape(s, n, true, &p))
			return berr_set(e, BERR_INVALID, 0,
					MSG_INVALID ": repository name must be lowercase");
		return berr_set(e, BERR_INVALID, 0, MSG_INVALID);
	}
	/* A bare 64-hex string is an image ID, never a name (ParseNormalizedNamed). */
	if (is_identifier(s, n))
		return berr_set(e, BERR_INVALID, 0,
				"invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
				s);
	name_len = p.dom_len > 0 ? p.dom_len + 1 + p.path_len : p.path_len;
	if (name_len > REF_NAME_MAX)
		return berr_set(e, BERR_INVALID, 0,
				"repository name must not be more than %d characters", REF_NAME_MAX);
	if (p.dig_len > 0) {
		/* The digest runs to the end of s, so it is checked in place; once valid it is at
		 * most REF_DIGEST_MAX long. */
		if (ref_digest_check(s + p.dig_off, e) < 0)
			return -1;
		memcpy(out->digest, s + p.dig_off, p.dig_len + 1);
	}
	if (p.dom_len > 0) {
		memcpy(out->domain, s, p.dom_len);
		out->domain[p.dom_len] = '\0';
		out->has_domain_explicitly = true;
	}
	memcpy(out->path, s + p.path_off, p.path_len);
	out->path[p.path_len] = '\0';
	if (p.tag_len > 0) {
		memcpy(out->tag, s + p.tag_off, p.tag_len);
		out->tag[p.tag_len] = '\0';
	}
	return 0;
}

bool ref_is_short(const struct image_ref *ref)
{
	return !ref->has_domain_explicitly;
}

int ref_normalize_docker_io(struct image_ref *ref, struct berr *e)
{
	char path[REF_NAME_MAX + 1];
	const char *domain = ref->domain;
	bool library = false;
	size_t dl, pl;

	if (domain[0] == '\0' || strcmp(domain, "index.docker.io") == 0)
		domain = "docker.io";
	if (strcmp(domain, "docker.io") == 0 && strchr(ref->path, '/') == NULL)
		library = true;
	dl = strlen(domain);
	pl = strlen(ref->path) + (library ? strlen("library/") : 0);
	if (dl + 1 + pl > REF_NAME_MAX)
		return berr_set(e, BERR_INVALID, 0,
				"repository name must not be more than %d characters", REF_NAME_MAX);
	snprintf(path, sizeof(path), "%s%s", library ? "library/" : "", ref->path);
	/* domain may point at ref->domain itself: move it before the path changes nothing. */
	memmove(ref->domain, domain, dl + 1);
	memcpy(ref->path, path, pl + 1);
	return 0;
}

static int put(char *buf, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n >= len)
		return -1;
	memcpy(buf + *off, s, n + 1);
	*off += n;
	return 0;
}

static int format(const struct image_ref *ref, char *buf, size_t len, bool name_only)
{
	size_t off = 0;
	int r = 0;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if (ref->domain[0] != '\0') {
		r |= put(buf, len, &off, ref->domain);
		r |= r < 0 ? -1 : put(buf, len, &off, "/");
	}
	r |= r < 0 ? -1 : put(buf, len, &off, ref->path);
	if (!name_only && ref->tag[0] != '\0' && r == 0) {
		r |= put(buf, len, &off, ":");
		r |= r < 0 ? -1 : put(buf, len, &off, ref->tag);
	}
	if (!name_only && ref->digest[0] != '\0' && r == 0) {
		r |= put(buf, len, &off, "@");
		r |= r < 0 ? -1 : put(buf, len, &off, ref->digest);
	}
	if (r < 0) {
		buf[0] = '\0';
		return -1;
	}
	return (int)off;
}

int ref_format(const struct image_ref *ref, char *buf, size_t len)
{
	return format(ref, buf, len, false);
}

int ref_format_name(const struct image_ref *ref, char *buf, size_t len)
{
	return format(ref, buf, len, true);
}
