/* WWW-Authenticate parser: see wwwauth.h for the grammar and what is refused. Pure: no system
 * calls, no allocation; all output lives in the caller's struct wwwauth. */
#include "workers/fetch/wwwauth.h"

#include <stdbool.h>
#include <string.h>

struct parser {
	const char *s;       /* the header, not NUL-terminated */
	size_t len;
	size_t pos;
	struct wwwauth *out;
	struct berr *e;
};

/* RFC 7230 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 7235 token68 characters, without the trailing '='. */
static bool is_t68char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~+/", c) != NULL;
}

static bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
	return *a == *b;
}

static int fail(struct parser *p, const char *what)
{
	return berr_set(p->e, BERR_INVALID, 0,
			"malformed WWW-Authenticate header: %s at byte %zu", what, p->pos);
}

static bool at_end(const struct parser *p)
{
	return p->pos >= p->len;
}

static unsigned char cur(const struct parser *p)
{
	return at_end(p) ? '\0' : (unsigned char)p->s[p->pos];
}

static void skip_ows(struct parser *p)
{
	while (!at_end(p) && is_ows(cur(p)))
		p->pos++;
}

/* Appends one byte to the store. The bound in wwwauth.h makes this never fail; the check is
 * there so that a mistake in that argument is a refusal, not an overflow. */
static int put(struct parser *p, char c)
{
	if (p->out->used >= sizeof(p->out->store))
		return fail(p, "header too complex");
	p->out->store[p->out->used++] = c;
	return 0;
}

/* Copies a token starting at pos, lower-cased, NUL-terminated; *out points at it. The caller
 * has checked that at least one tchar is there. */
static int take_token(struct parser *p, const char **out)
{
	*out = p->out->store + p->out->used;
	while (!at_end(p) && is_tchar(cur(p))) {
		if (put(p, (char)lower(cur(p))) < 0)
			return -1;
		p->pos++;
	}
	return put(p, '\0');
}

/* Copies a token value as it is (values keep their case). */
static int take_raw(struct parser *p, bool (*cls)(unsigned char), const char **out)
{
	*out = p->out->store + p->out->used;
	while (!at_end(p) && cls(cur(p))) {
		if (put(p, (char)cur(p)) < 0)
			return -1;
		p->pos++;
	}
	return put(p, '\0');
}

/* quoted-string, from the opening DQUOTE; stores the unescaped value. */
static int take_quoted(struct parser *p, const char **out)
{
	*out = p->out->store + p->out->used;
	p->pos++; /* DQUOTE */
	for (;;) {
		unsigned char c;

		if (at_end(p))
			return fail(p, "unterminated quoted string");
		c = cur(p);
		if (c == '"') {
			p->pos++;
			return put(p, '\0');
		}
		if (c == '\\') {
			p->pos++;
			if (at_end(p))
				return fail(p, "unterminated escape in a quoted string");
			c = cur(p);
		}
		/* qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text. No other CTL, no DEL, no NUL:
		 * a CR or LF here would be a header split, a NUL would cut the value short. */
		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return fail(p, "control character in a quoted string");
		if (put(p, (char)c) < 0)
			return -1;
		p->pos++;
	}
}

/* After a comma: does an auth-param (token BWS "=") start at pos? Else a challenge does. */
static bool param_ahead(const struct parser *p)
{
	size_t i = p->pos;

	if (i >= p->len || !is_tchar((unsigned char)p->s[i]))
		return false;
	while (i < p->len && is_tchar((unsigned char)p->s[i]))
		i++;
	while (i < p->len && is_ows((unsigned char)p->s[i]))
		i++;
	return i < p->len && p->s[i] == '=';
}

/* Is the text at pos a token68 that runs to the end of the element (end, or OWS then a comma
 * or the end)? Sets *end to the position after it. A token68 ending in '=' followed by a
 * value ("realm=x") is an auth-param instead. */
static bool token68_ahead(const struct parser *p, size_t *end)
{
	size_t i = p->pos;

	if (i >= p->len || !is_t68char((unsigned char)p->s[i]))
		return false;
	while (i < p->len && is_t68char((unsigned char)p->s[i]))
		i++;
	while (i < p->len && p->s[i] == '=')
		i++;
	*end = i;
	while (i < p->len && is_ows((unsigned char)p->s[i]))
		i++;
	return i >= p->len || p->s[i] == ',';
}

static int parse_param(struct parser *p, struct wwwauth_challenge *c)
{
	struct wwwauth_param *prm;
	const char *name, *value;

	if (!is_tchar(cur(p)))
		return fail(p, "expected a parameter name");
	if (take_token(p, &name) < 0)
		return -1;
	skip_ows(p);
	if (cur(p) != '=')
		return fail(p, "expected '=' after a parameter name");
	p->pos++;
	skip_ows(p);
	if (cur(p) == '"') {
		if (take_quoted(p, &value) < 0)
			return -1;
	} else if (!at_end(p) && is_tchar(cur(p))) {
		if (take_raw(p, is_tchar, &value) < 0)
			return -1;
	} else {
		return fail(p, "expected a token or a quoted string as a parameter value");
	}
	for (size_t i = 0; i < c->n_params; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return fail(p, "a parameter appears twice in one challenge");
	if (c->n_params >= WWWAUTH_MAX_PARAMS)
		return fail(p, "too many parameters in one challenge");
	prm = &c->params[c->n_params++];
	prm->name = name;
	prm->value = value;
	return 0;
}

/* One challenge, from its scheme up to (not including) the comma that starts the next one, or
 * the end. */
static int parse_challenge(struct parser *p)
{
	struct wwwauth_challenge *c;
	size_t t68_end;

	if (!is_tchar(cur(p)))
		return fail(p, "expected an authentication scheme");
	if (p->out->n >= WWWAUTH_MAX_CHALLENGES)
		return fail(p, "too many challenges");
	c = &p->out->ch[p->out->n++];
	memset(c, 0, sizeof(*c));
	if (take_token(p, &c->scheme_name) < 0)
		return -1;
	if (strcmp(c->scheme_name, "basic") == 0)
		c->scheme = WWWAUTH_BASIC;
	else if (strcmp(c->scheme_name, "bearer") == 0)
		c->scheme = WWWAUTH_BEARER;
	else
		c->scheme = WWWAUTH_OTHER;

	/* A scheme alone: end, or OWS then a comma or the end. */
	skip_ows(p);
	if (at_end(p) || cur(p) == ',')
		return 0;
	if (!is_ows((unsigned char)p->s[p->pos - 1]))
		return fail(p, "expected a space after the authentication scheme");

	if (token68_ahead(p, &t68_end)) {
		c->token68 = p->out->store + p->out->used;
		while (p->pos < t68_end) {
			if (put(p, (char)cur(p)) < 0)
				return -1;
			p->pos++;
		}
		if (put(p, '\0') < 0)
			return -1;
		skip_ows(p);
		return 0;
	}

	if (parse_param(p, c) < 0)
		return -1;
	for (;;) {
		size_t save;

		skip_ows(p);
		if (at_end(p))
			return 0;
		if (cur(p) != ',')
			return fail(p, "expected ',' between parameters");
		/* Empty list elements (", ,") are allowed; then either another parameter of this
		 * challenge or the next challenge. */
		save = p->pos;
		while (!at_end(p) && (cur(p) == ',' || is_ows(cur(p))))
			p->pos++;
		if (at_end(p))
			return 0;
		if (!param_ahead(p)) {
			p->pos = save; /* the caller consumes the comma before the next challenge */
			return 0;
		}
		if (parse_param(p, c) < 0)
			return -1;
	}
}

int wwwauth_parse(const char *hdr, size_t len, struct wwwauth *out, struct berr *e)
{
	struct parser p = { .s = hdr, .len = len, .pos = 0, .out = out, .e = e };

	out->n = 0;
	out->used = 0;
	if (len > WWWAUTH_MAX_LEN) {
		p.pos = WWWAUTH_MAX_LEN;
		return fail(&p, "longer than 8192 bytes");
	}
	/* A NUL anywhere (even inside a quoted string, where the quoted-string rule also
	 * refuses it) would make the C strings stored below lie about the header. */
	if (memchr(hdr, '\0', len) != NULL) {
		p.pos = (size_t)((const char *)memchr(hdr, '\0', len) - hdr);
		return fail(&p, "NUL byte");
	}
	for (;;) {
		skip_ows(&p);
		if (at_end(&p))
			break;
		if (cur(&p) == ',') { /* an empty list element */
			p.pos++;
			continue;
		}
		if (parse_challenge(&p) < 0)
			return -1;
		skip_ows(&p);
		if (at_end(&p))
			break;
		if (cur(&p) != ',')
			return fail(&p, "expected ',' between challenges");
		p.pos++;
	}
	if (out->n == 0)
		return berr_set(e, BERR_INVALID, 0,
				"malformed WWW-Authenticate header: no challenge in it");
	return 0;
}

const struct wwwauth_challenge *wwwauth_find(const struct wwwauth *w,
					     enum wwwauth_scheme scheme)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->ch[i].scheme == scheme)
			return &w->ch[i];
	return NULL;
}

const char *wwwauth_param(const struct wwwauth_challenge *c, const char *name)
{
	for (size_t i = 0; i < c->n_params; i++)
		if (ieq(c->params[i].name, name))
			return c->params[i].value;
	return NULL;
}
