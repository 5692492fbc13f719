/* libFuzzer harness for berth-fetch's WWW-Authenticate parser (workers/fetch/wwwauth.c), fed
 * header values as a hostile registry could send them.
 *
 * Besides "no crash, no UB" it checks, and abort()s when one fails:
 *  - what the parser accepts is sane: 1..WWWAUTH_MAX_CHALLENGES challenges, lower-case
 *    non-empty tchar names, no duplicate parameter in a challenge, values without control
 *    characters (but HTAB), every pointer inside the struct's store;
 *  - it round-trips: the parsed challenges, written back out in canonical form (every value
 *    quoted and escaped), parse to the same challenges. So what berth acts on is what the header
 *    says, under one reading only. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/fetch/wwwauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wwwauth w1, w2;

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool in_store(const struct wwwauth *w, const char *p)
{
	return p >= w->store && p < w->store + w->used;
}

static void check_name(const struct wwwauth *w, const char *s)
{
	if (!in_store(w, s) || s[0] == '\0')
		abort();
	for (const char *p = s; *p != '\0'; p++)
		if (!is_tchar((unsigned char)*p))
			abort(); /* also: upper case would fail here */
}

static void check_sane(const struct wwwauth *w)
{
	if (w->n < 1 || w->n > WWWAUTH_MAX_CHALLENGES || w->used > sizeof(w->store))
		abort();
	for (size_t i = 0; i < w->n; i++) {
		const struct wwwauth_challenge *c = &w->ch[i];
		check_name(w, c->scheme_name);
		if ((c->scheme == WWWAUTH_BASIC) != (strcmp(c->scheme_name, "basic") == 0) ||
		    (c->scheme == WWWAUTH_BEARER) != (strcmp(c->scheme_name, "bearer") == 0))
			abort();
		if (c->n_params > WWWAUTH_MAX_PARAMS || (c->token68 != NULL && c->n_params > 0))
			abort();
		if (c->token68 != NULL && (!in_store(w, c->token68) || c->token68[0] == '\0'))
			abort();
		for (size_t j = 0; j < c->n_params; j++) {
			const char *v = c->params[j].value;
			check_name(w, c->params[j].name);
			if (!in_store(w, v))
				abort();
			for (const char *p = v; *p != '\0'; p++)
				if (*p != '\t' && ((unsigned char)*p < 0x20 || *p == 0x7f))
					abort();
			for (size_t k = 0; k < j; k++)
				if (strcmp(c->params[k].name, c->params[j].name) == 0)
					abort();
			if (wwwauth_param(c, c->params[j].name) != v)
				abort();
		}
	}
}

/* Canonical form: "scheme token68" or "scheme n1=\"v1\", n2=\"v2\"", joined by ", ". Returns
 * the length, or 0 when it does not fit the parser's limit (then there is nothing to compare). */
static size_t serialize(const struct wwwauth *w, char *out, size_t cap)
{
	size_t n = 0;

#define PUT(ch) \
	do { \
		if (n + 1 >= cap) \
			return 0; \
		out[n++] = (ch); \
	} while (0)
#define PUTS(s) \
	do { \
		for (const char *q_ = (s); *q_ != '\0'; q_++) \
			PUT(*q_); \
	} while (0)
	for (size_t i = 0; i < w->n; i++) {
		const struct wwwauth_challenge *c = &w->ch[i];
		if (i > 0)
			PUTS(", ");
		PUTS(c->scheme_name);
		if (c->token68 != NULL) {
			PUT(' ');
			PUTS(c->token68);
		}
		for (size_t j = 0; j < c->n_params; j++) {
			PUTS(j == 0 ? " " : ", ");
			PUTS(c->params[j].name);
			PUTS("=\"");
			for (const char *p = c->params[j].value; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					PUT('\\');
				PUT(*p);
			}
			PUT('"');
		}
	}
#undef PUT
#undef PUTS
	out[n] = '\0';
	return n;
}

static bool same(const struct wwwauth *a, const struct wwwauth *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct wwwauth_challenge *x = &a->ch[i], *y = &b->ch[i];
		if (x->scheme != y->scheme || strcmp(x->scheme_name, y->scheme_name) != 0 ||
		    (x->token68 == NULL) != (y->token68 == NULL) ||
		    (x->token68 != NULL && strcmp(x->token68, y->token68) != 0) ||
		    x->n_params != y->n_params)
			return false;
		for (size_t j = 0; j < x->n_params; j++)
			if (strcmp(x->params[j].name, y->params[j].name) != 0 ||
			    strcmp(x->params[j].value, y->params[j].value) != 0)
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[WWWAUTH_MAX_LEN + 1];
	struct berr e;
	size_t n;

	if (wwwauth_parse((const char *)data, size, &w1, &e) < 0) {
		if (e.code != BERR_INVALID || e.msg[0] == '\0')
			abort();
		return 0;
	}
	check_sane(&w1);
	n = serialize(&w1, buf, sizeof(buf));
	if (n == 0)
		return 0;
	if (wwwauth_parse(buf, n, &w2, &e) < 0)
		abort();
	if (!same(&w1, &w2))
		abort();
	/* The lookups agree with the arrays. */
	if (wwwauth_find(&w1, WWWAUTH_BEARER) != NULL &&
	    wwwauth_find(&w1, WWWAUTH_BEARER)->scheme != WWWAUTH_BEARER)
		abort();
	return 0;
}
