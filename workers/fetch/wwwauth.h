/* The WWW-Authenticate header (RFC 7235 section 4.1): the challenges a registry answers a 401
 * with, e.g.
 *
 *   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"
 *   Basic realm="Registry Realm"
 *
 * PURE: no system calls, no allocation. The header comes from an untrusted server, so this
 * parser is strict, bounded, unit-tested (tests/unit/test_wwwauth.c) and fuzzed
 * (fuzz/fuzz_wwwauth.c).
 *
 * Grammar accepted (RFC 7235 + RFC 7230 section 7 list rules):
 *   header     = OWS challenge *( OWS "," OWS [ challenge ] ) OWS   (empty elements allowed)
 *   challenge  = auth-scheme [ 1*SP ( token68 / auth-param *( OWS "," OWS [auth-param] ) ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *   token68    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *   quoted-string: DQUOTE *( qdtext / "\" ( HTAB / SP / VCHAR / obs-text ) ) DQUOTE
 * A comma is both the challenge and the parameter separator; an element after a comma is a
 * parameter when it is `token BWS "="`, else it starts a new challenge (as curl and Go do).
 *
 * Refused (with a message): an empty header or one with no challenge, more than
 * WWWAUTH_MAX_LEN bytes, CTLs and NUL outside quoted strings, CTLs (but HTAB) and NUL inside
 * them, an unterminated quoted string or escape, a parameter without a value, a parameter name
 * given twice in one challenge (RFC 7235: "MUST only occur once"; a second realm would let a
 * server play two values against each other), more than WWWAUTH_MAX_CHALLENGES challenges or
 * WWWAUTH_MAX_PARAMS parameters in one, and anything that fits no rule above.
 *
 * Scheme and parameter names compare case-insensitively; they are stored lower-cased. Values
 * are stored unescaped, NUL-terminated, in the struct itself. */
#ifndef BERTH_WORKERS_FETCH_WWWAUTH_H
#define BERTH_WORKERS_FETCH_WWWAUTH_H

#include <stddef.h>

#include "common/err.h"

#define WWWAUTH_MAX_LEN 8192        /* bytes of header text */
#define WWWAUTH_MAX_CHALLENGES 8
#define WWWAUTH_MAX_PARAMS 16       /* per challenge */

enum wwwauth_scheme {
	WWWAUTH_OTHER = 0,   /* a scheme berth does not speak (Negotiate, Digest, ...) */
	WWWAUTH_BASIC,
	WWWAUTH_BEARER,
};

struct wwwauth_param {
	const char *name;    /* lower-case; points into the owning struct wwwauth */
	const char *value;   /* unescaped; points into the owning struct wwwauth */
};

struct wwwauth_challenge {
	enum wwwauth_scheme scheme;
	const char *scheme_name;      /* lower-case, as sent ("bearer") */
	const char *token68;          /* the token68 form, or NULL (then params may be set) */
	struct wwwauth_param params[WWWAUTH_MAX_PARAMS];
	size_t n_params;
};

/* A parsed header. Self-contained: every pointer points into store[], so the struct may be
 * copied with memcpy only if the pointers are not used afterwards; do not copy it. */
struct wwwauth {
	struct wwwauth_challenge ch[WWWAUTH_MAX_CHALLENGES];
	size_t n;
	/* Names and values, each NUL-terminated. Every stored byte comes from a distinct input
	 * byte, and each item needs at most one terminator for at least one separator or
	 * delimiter byte consumed, so 2 * WWWAUTH_MAX_LEN + 2 always suffices (checked anyway). */
	char store[2 * WWWAUTH_MAX_LEN + 2];
	size_t used;
};

/* Parses the len bytes at hdr (no NUL needed; an embedded NUL is refused). The value only,
 * without "WWW-Authenticate:" and without the line's CR LF. Several header lines are one list:
 * join their values with ", " first. Returns 0 with *out filled, or -1 with *e set
 * (BERR_INVALID) and *out unspecified. */
int wwwauth_parse(const char *hdr, size_t len, struct wwwauth *out, struct berr *e);

/* The first challenge with this scheme, or NULL. */
const struct wwwauth_challenge *wwwauth_find(const struct wwwauth *w,
					     enum wwwauth_scheme scheme);

/* The value of parameter name (compared case-insensitively), or NULL. */
const char *wwwauth_param(const struct wwwauth_challenge *c, const char *name);

#endif
