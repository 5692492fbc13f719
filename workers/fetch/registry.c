/* The registry client: see registry.h for what it does and what it promises. This part holds
 * the client's set-up, the checks on each request, the token cache, the answer to a 401 (Basic
 * credentials or the Bearer token flow) and downloads; one HTTP exchange is http.c's, uploads
 * are upload.c's. Everything here runs inside berth-fetch's sandbox except registry_new().
 * Everything a registry or a token server sends is untrusted: headers are bounded and checked
 * before use (http.c), a token answer is parsed from a small wiped buffer. */
#include "workers/fetch/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xio.h"
#include "workers/fetch/registry_int.h"
#include "workers/fetch/wwwauth.h"

#define TOKEN_BODY_MAX (64 * 1024)
#define TOKEN_MAX 16384
#define TOKEN_TTL_DEFAULT 60      /* seconds, the distribution spec's default for expires_in */
#define TOKEN_TTL_MAX (24 * 3600)
#define TOKEN_CACHE_SLOTS 16
#define TOKEN_TIMEOUT 60L

struct token_slot {
	char key[2560];           /* registry \n scope(s) \n username; "" = free */
	char *token;              /* owned, secret */
	struct timespec expires;  /* CLOCK_MONOTONIC */
	uint64_t used;            /* for eviction */
};

struct registry {
	CURL *curl;               /* owned; reset before each transfer, keeps its caches */
	char *system_ca;          /* owned; the system CA bundle, PEM */
	size_t system_ca_len;
	struct token_slot tokens[TOKEN_CACHE_SLOTS];
	uint64_t tick;
};

/* ---------------------------------------------------------------- secrets */

static void wipe_str(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
}

static void free_secret(char *s)
{
	wipe_str(s);
	free(s);
}

/* jansson's allocations hold the token while it is parsed: wipe them on free. */
static void json_wipe_free(void *p)
{
	if (p != NULL)
		OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static bool monotonic_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* ---------------------------------------------------------------- set-up */

static const char *const system_ca_paths[] = {
	"/etc/ssl/certs/ca-certificates.crt",                 /* Debian, Ubuntu, Alpine, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",                   /* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",                             /* openSUSE */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  /* RHEL */
	"/etc/ssl/cert.pem",
};

struct registry *registry_new(struct berr *e)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		berr_sys(e, "allocating");
		return NULL;
	}
	json_set_alloc_funcs(malloc, json_wipe_free);
	/* jansson seeds its hash function from /dev/urandom on first use; do it now, while the
	 * file can still be opened. */
	json_object_seed(0);
	r->curl = curl_easy_init();
	if (r->curl == NULL) {
		free(r);
		berr_set(e, BERR_INTERNAL, 0, "libcurl could not create a handle");
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(system_ca_paths); i++) {
		struct berr e2 = { 0 };
		if (xread_file_at(AT_FDCWD, system_ca_paths[i], REGISTRY_MAX_SYSTEM_CA_BYTES,
				  &r->system_ca, &r->system_ca_len, &e2) == 0)
			break;
		if (e2.sys_errno != ENOENT)
			log_warn("berth-fetch: skipping the system CA bundle %s: %s",
				 system_ca_paths[i], e2.msg);
	}
	if (r->system_ca == NULL)
		log_debug("berth-fetch: no system CA bundle found; only certs.d CAs are trusted");
	return r;
}

void registry_free(struct registry *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++)
		free_secret(r->tokens[i].token);
	curl_easy_cleanup(r->curl);
	free(r->system_ca);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

void registry_format_size(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t v = n;
	int u = -1;

	while (v >= 1024 && v % 1024 == 0 && u + 1 < (int)ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
}

/* ---------------------------------------------------------------- request validation */

/* The broker validated these already; fetch checks again (STYLE.md 3) because each one ends
 * up in a URL or a header line, where a stray "/", "?", "@", CR or LF would change what is
 * asked of whom. */

static bool is_alnum_lc(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool valid_registry(const char *s)
{
	size_t n = strlen(s);
	const char *port;

	if (n == 0 || n > 255)
		return false;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end == s + 1)
			return false;
		for (const char *p = s + 1; p < end; p++)
			if (strchr("0123456789abcdefABCDEF:.", *p) == NULL)
				return false;
		port = end + 1;
		if (*port == '\0')
			return true;
		if (*port != ':')
			return false;
	} else {
		const char *p = s;
		for (; *p != '\0' && *p != ':'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
				return false;
		if (p == s || s[0] == '.' || s[0] == '-')
			return false;
		if (*p == '\0')
			return true;
		port = p;
	}
	/* ":PORT", 1..65535 */
	port++;
	if (*port == '\0' || strlen(port) > 5)
		return false;
	unsigned long v = 0;
	for (const char *p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Path components [a-z0-9]+ joined by ".", "_", "__" or "-"s, separated by "/" (the
 * distribution reference grammar, slightly looser on separators, never looser on what a
 * component may start or end with: no "..", no empty component). */
static bool valid_repository(const char *s)
{
	size_t n = strlen(s);
	bool at_start = true;

	if (n == 0 || n > 512)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (is_alnum_lc(c)) {
			at_start = false;
			continue;
		}
		if (at_start || !(c == '/' || c == '.' || c == '_' || c == '-'))
			return false;
		if (!is_alnum_lc(s[i - 1]) && !(c == '_' && s[i - 1] == '_') &&
		    !(c == '-' && s[i - 1] == '-'))
			return false;
		if (c == '/')
			at_start = true;
	}
	return is_alnum_lc(s[n - 1]);
}

static bool valid_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || (i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

/* A media type for the Accept header: type "/" subtype, RFC 7230 tchars only. */
static bool valid_media_type(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = strlen(s);

	if (n == 0 || n > MEDIA_TYPE_MAX || slash == NULL || slash == s || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (p != slash && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return false;
	return true;
}

/* Printable ASCII without controls: what may go into a header line or a Basic credential. */
static bool valid_secret_text(const char *s, bool allow_colon)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || (!allow_colon && *p == ':'))
			return false;
	return true;
}

bool registry_valid_repository(const char *s)
{
	return valid_repository(s);
}

bool registry_valid_media_type(const char *s)
{
	return valid_media_type(s);
}

int registry_check_common(const struct registry_req *q, struct berr *e)
{
	if (!valid_registry(q->registry))
		return berr_set(e, BERR_INVALID, 0, "invalid registry name");
	if (q->kind == FETCH_PING || q->kind == FETCH_LOOKASIDE) {
		/* GET /v2/ (berth login), or a signature's URL: no repository, no object. */
		if (q->repository[0] != '\0' || q->reference[0] != '\0')
			return berr_set(e, BERR_INVALID, 0, "a ping or a signature names no "
					"repository");
	} else if (!valid_repository(q->repository))
		return berr_set(e, BERR_INVALID, 0, "invalid repository name");
	if (q->kind == FETCH_BLOB) {
		if (!ipc_digest_valid(q->reference))
			return berr_set(e, BERR_INVALID, 0, "a blob is named by its digest");
	} else if (q->kind == FETCH_MANIFEST) {
		if (!ipc_digest_valid(q->reference) && !valid_tag(q->reference))
			return berr_set(e, BERR_INVALID, 0, "invalid tag or digest");
	} else if (q->kind != FETCH_PING && q->kind != FETCH_LOOKASIDE) {
		return berr_set(e, BERR_INVALID, 0, "unknown object kind %d", (int)q->kind);
	}
	if (q->kind == FETCH_LOOKASIDE && q->username != NULL)
		return berr_set(e, BERR_INVALID, 0, "credentials are never sent to a lookaside");
	if ((q->username == NULL) != (q->password == NULL))
		return berr_set(e, BERR_INVALID, 0, "a username comes with a password");
	/* RFC 7617: a user-id cannot contain ':'. Never echo either value. */
	if (q->username != NULL &&
	    (q->username[0] == '\0' || !valid_secret_text(q->username, false) ||
	     !valid_secret_text(q->password, true)))
		return berr_set(e, BERR_INVALID, 0,
				"the credentials contain characters HTTP cannot carry");
	return 0;
}

/* A lookaside URL as the broker builds it: "https://" (or "http://" exactly when plain_http),
 * the host it named in registry, "/", then a path of visible ASCII: nothing that could end the
 * request line or the URL's path early (space, CR, LF, "#") or that curl would read as
 * something else. The path is the broker's business; the host is what the TLS material and
 * the rule on redirects apply to, so it must be the one named. */
static bool valid_lookaside_url(const struct registry_req *q)
{
	const char *scheme = q->plain_http ? "http://" : "https://";
	size_t sl = strlen(scheme), rl = strlen(q->registry);
	const char *p;

	if (q->url == NULL || strncmp(q->url, scheme, sl) != 0 ||
	    strncmp(q->url + sl, q->registry, rl) != 0 || q->url[sl + rl] != '/')
		return false;
	for (p = q->url + sl + rl; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"#<>\\^`{|}", *p) != NULL)
			return false;
	return p - q->url < (ptrdiff_t)sizeof(((struct call *)0)->url);
}

static int check_request(const struct registry_req *q, struct berr *e)
{
	if (registry_check_common(q, e) < 0)
		return -1;
	if (q->kind == FETCH_LOOKASIDE ? !valid_lookaside_url(q) : q->url != NULL)
		return berr_set(e, BERR_INVALID, 0, "invalid signature URL");
	if (q->n_accept > MAX_ACCEPT)
		return berr_set(e, BERR_INVALID, 0, "more than %d media types in Accept", MAX_ACCEPT);
	for (size_t i = 0; i < q->n_accept; i++)
		if (!valid_media_type(q->accept[i]))
			return berr_set(e, BERR_INVALID, 0, "invalid media type in Accept");
	if (q->max_size == 0)
		return berr_set(e, BERR_INVALID, 0, "no size limit given");
	if (q->out_fd < 0)
		return berr_set(e, BERR_INVALID, 0, "no output file");
	return 0;
}

/* ---------------------------------------------------------------- tokens */

static void token_key(const struct call *c, char *key, size_t len)
{
	snprintf(key, len, "%s\n%s\n%s", c->q->registry, c->scope,
		 c->q->username != NULL ? c->q->username : "");
}

static const char *token_lookup(struct registry *r, const struct call *c)
{
	char key[sizeof(r->tokens[0].key)];
	struct timespec now;

	token_key(c, key, sizeof(key));
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++) {
		struct token_slot *s = &r->tokens[i];
		if (s->token == NULL || strcmp(s->key, key) != 0)
			continue;
		if (!monotonic_before(&now, &s->expires))
			return NULL;
		s->used = ++r->tick;
		return s->token;
	}
	return NULL;
}

static void token_drop(struct registry *r, const struct call *c)
{
	char key[sizeof(r->tokens[0].key)];

	token_key(c, key, sizeof(key));
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++) {
		struct token_slot *s = &r->tokens[i];
		if (s->token != NULL && strcmp(s->key, key) == 0) {
			free_secret(s->token);
			s->token = NULL;
			s->key[0] = '\0';
		}
	}
}

/* Stores a copy of token; a full cache evicts the least recently used entry. Best effort: a
 * token that cannot be cached is simply fetched again next time. */
static void token_store(struct registry *r, const struct call *c, const char *token, long ttl)
{
	struct token_slot *slot = NULL;

	token_drop(r, c);
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++) {
		struct token_slot *s = &r->tokens[i];
		if (s->token == NULL) {
			slot = s;
			break;
		}
		if (slot == NULL || s->used < slot->used)
			slot = s;
	}
	free_secret(slot->token);
	slot->token = strdup(token);
	if (slot->token == NULL) {
		slot->key[0] = '\0';
		return;
	}
	token_key(c, slot->key, sizeof(slot->key));
	clock_gettime(CLOCK_MONOTONIC, &slot->expires);
	/* A little early, so a token does not expire between the check and its use. */
	slot->expires.tv_sec += ttl > 10 ? ttl - 10 : ttl;
	slot->used = ++r->tick;
}

/* A token goes into a header line: visible ASCII only, bounded. */
static bool valid_token(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

/* The token server's answer: {"token": "..."} or {"access_token": "..."} (if both, "token"
 * wins, as in Docker), and optionally "expires_in" (seconds). Anything else is ignored, but a
 * body that is not one JSON object, or a token that is not a usable string, is refused. */
static int parse_token_response(const char *body, size_t len, char **token, long *ttl,
				struct berr *e)
{
	json_error_t jerr;
	json_t *root, *t, *exp;
	int rc = -1;

	*token = NULL;
	*ttl = TOKEN_TTL_DEFAULT;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return berr_set(e, BERR_WORKER, 0, "the token server's answer is not JSON");
	if (!json_is_object(root)) {
		berr_set(e, BERR_WORKER, 0, "the token server's answer is not a JSON object");
		goto out;
	}
	t = json_object_get(root, "token");
	if (t == NULL || (json_is_string(t) && json_string_length(t) == 0))
		t = json_object_get(root, "access_token");
	if (t == NULL) {
		berr_set(e, BERR_WORKER, 0, "the token server's answer holds no token");
		goto out;
	}
	if (!json_is_string(t) || strlen(json_string_value(t)) != json_string_length(t) ||
	    !valid_token(json_string_value(t))) {
		berr_set(e, BERR_WORKER, 0, "the token server sent an unusable token");
		goto out;
	}
	exp = json_object_get(root, "expires_in");
	if (json_is_integer(exp) && json_integer_value(exp) > 0)
		*ttl = json_integer_value(exp) > TOKEN_TTL_MAX ? TOKEN_TTL_MAX
							       : (long)json_integer_value(exp);
	if (*ttl < TOKEN_TTL_DEFAULT)
		*ttl = TOKEN_TTL_DEFAULT;
	*token = strdup(json_string_value(t));
	if (*token == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* "Authorization: Basic base64(user:password)", heap, secret. */
static char *basic_header(const char *user, const char *password, struct berr *e)
{
	size_t ul = strlen(user), pl = strlen(password), rl = ul + 1 + pl;
	size_t b64 = 4 * ((rl + 2) / 3) + 1;
	const char prefix[] = "Authorization: Basic ";
	char *raw = malloc(rl + 1);
	char *out = malloc(sizeof(prefix) + b64);

	if (raw == NULL || out == NULL || rl > 16384) {
		free(raw);
		free(out);
		berr_set(e, BERR_INVALID, ENOMEM, "the credentials are too long");
		return NULL;
	}
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, password, pl);
	memcpy(out, prefix, sizeof(prefix) - 1);
	EVP_EncodeBlock((unsigned char *)out + sizeof(prefix) - 1, (unsigned char *)raw, (int)rl);
	OPENSSL_cleanse(raw, rl);
	free(raw);
	return out;
}

static char *bearer_header(const char *token, struct berr *e)
{
	const char prefix[] = "Authorization: Bearer ";
	size_t n = sizeof(prefix) + strlen(token);
	char *out = malloc(n);

	if (out == NULL) {
		berr_sys(e, "allocating");
		return NULL;
	}
	snprintf(out, n, "%s%s", prefix, token);
	return out;
}

/* "scope=A&scope=B" for the call's scopes "A B", percent-encoded. Returns 0, or -1 if it does
 * not fit. */
static int encode_scopes(char *out, size_t len, const char *scopes)
{
	char one[sizeof(((struct call *)0)->scope)], enc[3 * sizeof(one)];
	size_t used = 0;

	out[0] = '\0';
	for (const char *p = scopes; *p != '\0';) {
		size_t n = strcspn(p, " ");
		int w;

		if (n > 0) {
			if (n >= sizeof(one))
				return -1;
			memcpy(one, p, n);
			one[n] = '\0';
			if (url_encode(enc, sizeof(enc), one) < 0)
				return -1;
			w = snprintf(out + used, len - used, "%sscope=%s", used > 0 ? "&" : "", enc);
			if (w < 0 || (size_t)w >= len - used)
				return -1;
			used += (size_t)w;
		}
		p += n;
		if (*p == ' ')
			p++;
	}
	/* No scope at all is a ping's token (registry-wide, `berth login`). */
	return used > 0 || scopes[0] == '\0' ? 0 : -1;
}

/* The Bearer challenge's token: GET realm?service=..&scope=repository:<repo>:pull (one scope
 * parameter per scope of the call: an upload that mounts asks for push on its repository and
 * pull on the other in one token, as Docker does), with the user's credentials as Basic when
 * there are some. Returns a heap "Authorization: Bearer .." line (secret), or NULL with *e
 * set. */
static char *fetch_token(struct call *c, const struct wwwauth_challenge *ch, struct berr *e)
{
	const char *realm = wwwauth_param(ch, "realm");
	const char *service = wwwauth_param(ch, "service");
	char shown[600], enc_scope[4096], enc_service[800];
	cleanup_free char *tok_url = NULL;
	char *authz = NULL, *token = NULL, *base = NULL, *line = NULL;
	struct xfer x = { .curl = c->curl, .sink = SINK_MEM, .max = TOKEN_BODY_MAX };
	struct origin o;
	long ttl;
	CURLU *u;
	int r = 0;

	if (realm == NULL || realm[0] == '\0')
		return berr_set(e, BERR_WORKER, 0, "the registry's Bearer challenge names no realm"),
		       NULL;
	u = curl_url();
	if (u == NULL)
		return berr_sys(e, "allocating"), NULL;
	if (url_origin(u, realm, &o, e) < 0) {
		r = berr_wrap(e, "the registry's token realm");
	} else if (strcmp(o.scheme, "https") != 0 &&
		   !(strcmp(o.scheme, "http") == 0 && c->q->plain_http)) {
		/* Credentials would cross the network in clear text: only for a registry the
		 * user declared plain HTTP. */
		r = berr_set(e, BERR_DENIED, 0, "the registry's token realm is not an https URL");
	} else if (encode_scopes(enc_scope, sizeof(enc_scope), c->scope) < 0 ||
		   (service != NULL && url_encode(enc_service, sizeof(enc_service), service) < 0)) {
		r = berr_set(e, BERR_WORKER, 0, "the registry's token service name is too long");
	} else {
		char q[sizeof(enc_scope) + sizeof(enc_service) + 32];
		bool amp = service != NULL && enc_scope[0] != '\0';
		snprintf(q, sizeof(q), "%s%s%s%s", service ? "service=" : "",
			 service ? enc_service : "", amp ? "&" : "", enc_scope);
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
		if (curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_URL, &base, 0) != CURLUE_OK)
			r = berr_set(e, BERR_WORKER, 0, "cannot build the token URL");
	}
	curl_url_cleanup(u);
	if (r < 0)
		return NULL;
	tok_url = strdup(base);
	curl_free(base);
	if (tok_url == NULL)
		return berr_sys(e, "allocating"), NULL;
	url_for_msg(tok_url, shown, sizeof(shown));

	if (c->q->username != NULL) {
		authz = basic_header(c->q->username, c->q->password, e);
		if (authz == NULL)
			return NULL;
	}
	/* No redirects for the token server: the credentials are for the realm only. */
	r = http_request(c, tok_url, authz, false, RETRIES, TOKEN_TIMEOUT, &x, e);
	free_secret(authz);
	if (r < 0) {
		if (x.too_large)
			berr_set(e, BERR_WORKER, 0, "the answer is larger than 64 KiB");
		goto fail;
	}
	if (x.status == 401) {
		berr_set(e, BERR_DENIED, 0, "%sunauthorized: %s", c->status_in_msg ? "401 " : "",
			 c->q->username != NULL ? "invalid username/password"
						: "authentication required");
		goto fail;
	}
	if (x.status != 200) {
		http_status_error(c, &x, true, e);
		goto fail;
	}
	if (parse_token_response(x.mem != NULL ? x.mem : "", x.mem_len, &token, &ttl, e) < 0)
		goto fail;
	line = bearer_header(token, e);
	if (line != NULL)
		token_store(c->r, c, token, ttl);
	free_secret(token);
	xfer_free(&x);
	return line;
fail:
	xfer_free(&x);
	berr_wrap(e, "getting a token from %s", shown);
	return NULL;
}

/* ---------------------------------------------------------------- the request */

/* enum auth_state and struct auth are in registry_int.h. */

/* Answers a 401 from the registry. Returns the new Authorization line (secret), with *bearer
 * saying whether it holds a token, or NULL with *e set. */
static char *answer_challenge(struct call *c, const struct xfer *x, bool *bearer, struct berr *e)
{
	struct wwwauth *w;
	const struct wwwauth_challenge *ch;
	char *line = NULL;

	if (x->wwwauth_len == 0 || x->wwwauth_bad)
		return berr_set(e, BERR_DENIED, 0, "%sunauthorized: authentication required (the "
				"registry %s)", c->status_in_msg ? "401 " : "", x->wwwauth_bad ? "sent an oversized challenge"
							       : "named no way to authenticate"),
		       NULL;
	w = malloc(sizeof(*w));
	if (w == NULL)
		return berr_sys(e, "allocating"), NULL;
	if (wwwauth_parse(x->wwwauth, x->wwwauth_len, w, e) < 0) {
		free(w);
		berr_wrap(e, "%sunauthorized", c->status_in_msg ? "401 " : "");
		return NULL;
	}
	*bearer = false;
	if ((ch = wwwauth_find(w, WWWAUTH_BEARER)) != NULL) {
		line = fetch_token(c, ch, e);
		*bearer = true;
	} else if (wwwauth_find(w, WWWAUTH_BASIC) != NULL) {
		/* The URL is https unless the broker allowed plain HTTP for this registry, so
		 * the password never crosses the network in clear text by accident. */
		if (c->q->username == NULL)
			berr_set(e, BERR_DENIED, 0, "%sunauthorized: authentication required",
				 c->status_in_msg ? "401 " : "");
		else
			line = basic_header(c->q->username, c->q->password, e);
	} else {
		berr_set(e, BERR_UNSUPPORTED, 0,
			 "%sunauthorized: the registry asks for an authentication scheme berth does "
			 "not support (%s)", c->status_in_msg ? "401 " : "", w->ch[0].scheme_name);
	}
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
	return line;
}

int call_init(struct registry *r, const struct registry_req *q, struct call *c, struct berr *e)
{
	CURLU *u;
	int rc;

	memset(c, 0, sizeof(*c));
	c->r = r;
	c->curl = r->curl;
	c->q = q;
	c->what = q->kind == FETCH_BLOB ? "blob" : q->kind == FETCH_PING ? "API root" :
		  q->kind == FETCH_LOOKASIDE ? "signature" : "manifest";
	if (q->kind == FETCH_LOOKASIDE) {
		snprintf(c->url, sizeof(c->url), "%s", q->url); /* fits: check_request */
		c->scope[0] = '\0';
	} else if (q->kind == FETCH_PING) {
		snprintf(c->url, sizeof(c->url), "%s://%s/v2/", q->plain_http ? "http" : "https",
			 q->registry);
		c->scope[0] = '\0';
	} else {
		snprintf(c->url, sizeof(c->url), "%s://%s/v2/%s/%s/%s",
			 q->plain_http ? "http" : "https", q->registry, q->repository,
			 q->kind == FETCH_BLOB ? "blobs" : "manifests", q->reference);
		snprintf(c->scope, sizeof(c->scope), "repository:%s:pull", q->repository);
	}
	u = curl_url();
	if (u == NULL)
		return berr_sys(e, "allocating");
	rc = url_origin(u, c->url, &c->origin, e);
	curl_url_cleanup(u);
	if (rc < 0)
		return -1;
	if (q->pem.ca != NULL && q->pem.ca_len > 0) {
		size_t n = r->system_ca_len + 1 + q->pem.ca_len;
		c->ca_buf = malloc(n);
		if (c->ca_buf == NULL)
			return berr_sys(e, "allocating");
		if (r->system_ca_len > 0)
			memcpy(c->ca_buf, r->system_ca, r->system_ca_len);
		c->ca_buf[r->system_ca_len] = '\n';
		memcpy(c->ca_buf + r->system_ca_len + 1, q->pem.ca, q->pem.ca_len);
		c->ca.data = c->ca_buf;
		c->ca.len = n;
	} else if (r->system_ca != NULL) {
		c->ca.data = r->system_ca;
		c->ca.len = r->system_ca_len;
	}
	c->ca.flags = CURL_BLOB_COPY;
	/* The key stays in q's buffer, which the caller wipes: no copy of it is left inside
	 * libcurl once the call is over. */
	if (q->pem.cert != NULL && q->pem.key != NULL) {
		c->cert = (struct curl_blob){ (void *)q->pem.cert, q->pem.cert_len,
					      CURL_BLOB_NOCOPY };
		c->key = (struct curl_blob){ (void *)q->pem.key, q->pem.key_len, CURL_BLOB_NOCOPY };
	}
	return 0;
}

void call_done(struct call *c)
{
	free(c->ca_buf);
	c->ca_buf = NULL;
}

int auth_init(struct call *c, struct auth *a, struct berr *e)
{
	const char *cached = token_lookup(c->r, c);

	memset(a, 0, sizeof(*a));
	if (cached != NULL) {
		a->authz = bearer_header(cached, e);
		if (a->authz == NULL)
			return -1;
		a->state = AUTH_CACHED;
		a->bearer = true;
	}
	return 0;
}

void auth_done(struct auth *a)
{
	free_secret(a->authz);
	a->authz = NULL;
}

int call_send(struct call *c, struct auth *a, const char *url, bool follow, int retries,
	      struct xfer *x, struct berr *e)
{
	/* A body is never sent to wherever a redirect points: the callers with a body treat a
	 * 3xx as the error it is for them. */
	if (x->has_body)
		follow = false;
	for (;;) {
		if (http_request(c, url, a->authz, follow, retries, 0, x, e) < 0)
			return -1;
		if (x->status != 401 || !x->same_origin) {
			/* The token worked: a 401 later in this call means it expired. */
			if (a->state == AUTH_SENT && a->bearer)
				a->state = AUTH_CACHED;
			return 0;
		}
		if (a->state == AUTH_SENT)
			return 0; /* final: the caller says what it means */
		if (a->state == AUTH_CACHED)
			token_drop(c->r, c);
		free_secret(a->authz);
		a->authz = answer_challenge(c, x, &a->bearer, e);
		if (a->authz == NULL)
			return -1;
		a->state = AUTH_SENT;
	}
}

static int get(struct call *c, struct registry_result *res, struct berr *e)
{
	const struct registry_req *q = c->q;
	struct xfer x = { .curl = c->curl, .sink = SINK_FD, .fd = q->out_fd,
			  .max = q->max_size, .head = q->head, .progress = q->progress,
			  .progress_ctx = q->progress_ctx };
	struct auth a;
	char limit[32];
	int rc = -1;

	if (auth_init(c, &a, e) < 0)
		return -1;
	/* A lookaside gets no Authorization, cached token or challenge answered: it is not the
	 * registry, and containers/image sends it none either. */
	if ((q->kind == FETCH_LOOKASIDE ? http_request(c, c->url, NULL, true, RETRIES, 0, &x, e)
					: call_send(c, &a, c->url, true, RETRIES, &x, e)) < 0) {
		if (x.too_large) {
			registry_format_size(q->max_size, limit, sizeof(limit));
			berr_set(e, BERR_INVALID, 0, "the %s is larger than %s (the limit for %ss)",
				 c->what, limit, c->what);
		} else if (x.write_errno != 0) {
			errno = x.write_errno;
			berr_sys(e, "writing the %s", c->what);
		}
		goto out;
	}
	if (q->kind == FETCH_LOOKASIDE && (x.status < 200 || x.status >= 300)) {
		/* 404: no signature with this number, the end of the list; any other status
		 * is an error (containers/image's rule). */
		if (x.status == 404)
			berr_set(e, BERR_NOTFOUND, 0, "signature unknown");
		else
			berr_set(e, BERR_WORKER, 0, "the lookaside server answered HTTP %ld %s",
				 x.status, registry_reason_phrase(x.status));
		goto out;
	}
	if (x.status == 401 && x.same_origin) {
		berr_set(e, BERR_DENIED, 0, "unauthorized: %s",
			 q->username != NULL ? "invalid username/password"
					     : "authentication required");
		goto out;
	}
	if (x.status < 200 || x.status >= 300) {
		http_status_error(c, &x, false, e);
		goto out;
	}
	res->http_status = x.status;
	snprintf(res->media_type, sizeof(res->media_type), "%s", x.content_type);
	snprintf(res->digest, sizeof(res->digest), "%s", x.digest);
	if (q->head) {
		curl_off_t cl = -1;
		curl_easy_getinfo(c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		res->size = cl > 0 ? (uint64_t)cl : 0;
	} else {
		res->size = x.written;
	}
	rc = 0;
out:
	auth_done(&a);
	return rc;
}

int registry_get(struct registry *r, const struct registry_req *q, struct registry_result *res,
		 struct berr *e)
{
	struct call c;
	int rc;

	memset(res, 0, sizeof(*res));
	if (check_request(q, e) < 0)
		return berr_wrap(e, "fetch request refused");
	if (call_init(r, q, &c, e) < 0) {
		call_done(&c);
		return -1;
	}
	rc = get(&c, res, e);
	/* A ping's message already names its URL, which is all there is to say about it; a
	 * signature's is named once (transport and TLS errors name it already). */
	if (rc < 0 && q->kind == FETCH_LOOKASIDE) {
		char shown[600];
		url_for_msg(q->url, shown, sizeof(shown));
		if (strstr(e->msg, shown) == NULL)
			berr_wrap(e, "reading %s", shown);
	} else if (rc < 0 && q->kind != FETCH_PING && q->kind != FETCH_LOOKASIDE)
		berr_wrap(e, "reading %s %s in %s/%s", c.what, q->reference, q->registry,
			  q->repository);
	call_done(&c);
	return rc;
}
