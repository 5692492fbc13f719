/* policy.json parsing and evaluation; the format, the checks and where they come from are in
 * trust.h. The file is checked as a whole into a struct trust_policy, so nothing of a bad file
 * is ever used. */
#include "policy/trust.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/cleanup.h"

#define WHERE_MAX 512

struct scope_ent {
	char *transport;        /* owned */
	char *scope;            /* owned */
	struct trust_req *reqs; /* owned */
	size_t n_reqs;
};

struct trust_policy {
	char *origin;              /* owned */
	struct trust_req *def;     /* owned */
	size_t n_def;
	struct scope_ent *scopes;  /* owned; sorted by transport, then scope */
	size_t n_scopes;
};

/* containers/image's transports. Those berth consults are marked. */
static const struct {
	const char *name;
	bool consulted;
} transports[] = {
	{ "atomic", false },        { "containers-storage", false }, { "dir", false },
	{ "docker", true },         { "docker-archive", true },      { "docker-daemon", true },
	{ "oci", true },            { "oci-archive", true },         { "ostree", false },
	{ "sif", false },           { "tarball", false },
};

static int nomem(struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
}

static int perr(struct berr *e, int code, const char *path, const char *where, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

/* "<file>: <where>: <message>" */
static int perr(struct berr *e, int code, const char *path, const char *where, const char *fmt,
		...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path == NULL)
		return berr_set(e, code, 0, "%s", msg);
	if (where[0] == '\0')
		return berr_set(e, code, 0, "%s: %s", path, msg);
	return berr_set(e, code, 0, "%s: %s: %s", path, where, msg);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* The path of a key in messages; cut short if it must be. */
static void where_fmt(char w[WHERE_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void where_fmt(char w[WHERE_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, WHERE_MAX, fmt, ap);
	va_end(ap);
}

static void req_clear(struct trust_req *r)
{
	for (size_t i = 0; i < r->n_key_paths; i++)
		free(r->key_paths[i]);
	free(r->key_paths);
	free(r->key_data);
	free(r->identity.reference);
	free(r->identity.prefix);
	free(r->identity.signed_prefix);
	memset(r, 0, sizeof(*r));
}

static void reqs_free(struct trust_req *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		req_clear(&r[i]);
	free(r);
}

void trust_policy_free(struct trust_policy *p)
{
	if (p == NULL)
		return;
	free(p->origin);
	reqs_free(p->def, p->n_def);
	for (size_t i = 0; i < p->n_scopes; i++) {
		free(p->scopes[i].transport);
		free(p->scopes[i].scope);
		reqs_free(p->scopes[i].reqs, p->scopes[i].n_reqs);
	}
	free(p->scopes);
	free(p);
}

static void policy_freep(struct trust_policy **p)
{
	trust_policy_free(*p);
}

#define cleanup_policy __attribute__((cleanup(policy_freep)))

/* Every key of obj must be in allowed (NULL-terminated). */
static int check_keys(const json_t *obj, const char *const *allowed, const char *path,
		      const char *where, struct berr *e)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return perr(e, BERR_INVALID, path, where, "unknown key \"%s\"", k);
	}
	return 0;
}

/* A string member: 1 present (*out set), 0 absent, -1 not a string or empty. */
static int get_str(const json_t *obj, const char *key, const char *path, const char *where,
		   const char **out, struct berr *e)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return perr(e, BERR_INVALID, path, where, "%s: expected a string, found %s", key,
			    json_kind(v));
	*out = json_string_value(v);
	if ((*out)[0] == '\0')
		return perr(e, BERR_INVALID, path, where, "%s must not be empty", key);
	return 1;
}

/* Parses and normalises a docker reference for signedIdentity. */
static int parse_norm(const char *s, struct image_ref *r, struct berr *e)
{
	if (ref_parse(s, r, e) < 0)
		return -1;
	return ref_normalize_docker_io(r, e);
}

static bool name_only(const struct image_ref *r)
{
	return r->tag[0] == '\0' && r->digest[0] == '\0';
}

/* remapIdentity prefixes: "host[:port]" or "host[:port]/path", no tag or digest. */
static bool prefix_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL)
		return ref_domain_valid(s, strlen(s));
	return ref_domain_valid(s, (size_t)(slash - s)) && ref_path_valid(slash + 1,
									   strlen(slash + 1));
}

static int parse_identity(const json_t *obj, struct trust_identity *id, const char *path,
			  const char *where, struct berr *e)
{
	static const char *const only_type[] = { "type", NULL };
	static const char *const exact_ref[] = { "type", "dockerReference", NULL };
	static const char *const exact_repo[] = { "type", "dockerRepository", NULL };
	static const char *const remap[] = { "type", "prefix", "signedPrefix", NULL };
	static const struct {
		const char *name;
		enum trust_identity_type type;
		const char *const *keys;
	} kinds[] = {
		{ "matchRepoDigestOrExact", TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT, only_type },
		{ "matchExact", TRUST_ID_MATCH_EXACT, only_type },
		{ "matchRepository", TRUST_ID_MATCH_REPOSITORY, only_type },
		{ "exactReference", TRUST_ID_EXACT_REFERENCE, exact_ref },
		{ "exactRepository", TRUST_ID_EXACT_REPOSITORY, exact_repo },
		{ "remapIdentity", TRUST_ID_REMAP_IDENTITY, remap },
	};
	const char *t = NULL, *s = NULL, *s2 = NULL;
	size_t i;
	int r;

	if (!json_is_object(obj))
		return perr(e, BERR_INVALID, path, where, "expected an object, found %s",
			    json_kind(obj));
	r = get_str(obj, "type", path, where, &t, e);
	if (r <= 0)
		return r < 0 ? -1 : perr(e, BERR_INVALID, path, where, "type is missing");
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(t, kinds[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(kinds))
		return perr(e, BERR_INVALID, path, where, "unknown signedIdentity type \"%s\"", t);
	if (check_keys(obj, kinds[i].keys, path, where, e) < 0)
		return -1;
	id->type = kinds[i].type;
	switch (id->type) {
	case TRUST_ID_EXACT_REFERENCE:
	case TRUST_ID_EXACT_REPOSITORY: {
		bool is_ref = id->type == TRUST_ID_EXACT_REFERENCE;
		const char *key = is_ref ? "dockerReference" : "dockerRepository";
		struct image_ref ref;
		struct berr pe = { 0 };
		char buf[REF_STR_MAX];

		r = get_str(obj, key, path, where, &s, e);
		if (r <= 0)
			return r < 0 ? -1 : perr(e, BERR_INVALID, path, where, "%s is missing", key);
		if (parse_norm(s, &ref, &pe) < 0)
			return perr(e, BERR_INVALID, path, where, "%s \"%s\": %s", key, s, pe.msg);
		if (is_ref && name_only(&ref))
			return perr(e, BERR_INVALID, path, where,
				    "dockerReference \"%s\" has neither a tag nor a digest", s);
		if (!is_ref && !name_only(&ref))
			return perr(e, BERR_INVALID, path, where,
				    "dockerRepository \"%s\" must be a repository name alone, without "
				    "a tag or a digest", s);
		if (is_ref)
			ref_format(&ref, buf, sizeof(buf));
		else
			ref_format_name(&ref, buf, sizeof(buf));
		id->reference = strdup(buf);
		if (id->reference == NULL)
			return nomem(e);
		break;
	}
	case TRUST_ID_REMAP_IDENTITY:
		r = get_str(obj, "prefix", path, where, &s, e);
		if (r <= 0)
			return r < 0 ? -1 : perr(e, BERR_INVALID, path, where, "prefix is missing");
		r = get_str(obj, "signedPrefix", path, where, &s2, e);
		if (r <= 0)
			return r < 0 ? -1 : perr(e, BERR_INVALID, path, where,
						 "signedPrefix is missing");
		if (!prefix_valid(s))
			return perr(e, BERR_INVALID, path, where, "prefix \"%s\" is not valid: "
				    "expected host[:port] or host[:port]/path", s);
		if (!prefix_valid(s2))
			return perr(e, BERR_INVALID, path, where, "signedPrefix \"%s\" is not valid: "
				    "expected host[:port] or host[:port]/path", s2);
		id->prefix = strdup(s);
		id->signed_prefix = strdup(s2);
		if (id->prefix == NULL || id->signed_prefix == NULL)
			return nomem(e);
		break;
	default:
		break;
	}
	return 0;
}

static int add_key_path(struct trust_req *r, const char *s, const char *path, const char *where,
			const char *key, struct berr *e)
{
	if (s[0] != '/')
		return perr(e, BERR_INVALID, path, where, "%s \"%s\" must be an absolute path", key,
			    s);
	r->key_paths[r->n_key_paths] = strdup(s);
	if (r->key_paths[r->n_key_paths] == NULL)
		return nomem(e);
	r->n_key_paths++;
	return 0;
}

/* keyPath, keyPaths, keyData: exactly one of them. */
static int parse_keys(const json_t *obj, struct trust_req *r, const char *path, const char *where,
		      struct berr *e)
{
	const json_t *kp = json_object_get(obj, "keyPath"), *kps = json_object_get(obj, "keyPaths"),
		     *kd = json_object_get(obj, "keyData");
	const char *s;
	int n = (kp != NULL) + (kps != NULL) + (kd != NULL);

	if (n != 1)
		return perr(e, BERR_INVALID, path, where, "exactly one of keyPath, keyPaths and keyData "
			    "must be specified, found %d", n);
	if (kp != NULL) {
		if (get_str(obj, "keyPath", path, where, &s, e) < 0)
			return -1;
		r->key_source = TRUST_KEYS_PATH;
		r->key_paths = calloc(1, sizeof(char *));
		if (r->key_paths == NULL)
			return nomem(e);
		return add_key_path(r, s, path, where, "keyPath", e);
	}
	if (kps != NULL) {
		size_t i;
		json_t *v;

		if (!json_is_array(kps))
			return perr(e, BERR_INVALID, path, where, "keyPaths: expected an array, found %s",
				    json_kind(kps));
		if (json_array_size(kps) == 0)
			return perr(e, BERR_INVALID, path, where, "keyPaths must not be empty");
		r->key_source = TRUST_KEYS_PATHS;
		r->key_paths = calloc(json_array_size(kps), sizeof(char *));
		if (r->key_paths == NULL)
			return nomem(e);
		json_array_foreach(kps, i, v) {
			if (!json_is_string(v) || json_string_value(v)[0] == '\0')
				return perr(e, BERR_INVALID, path, where, "keyPaths[%zu]: expected a "
					    "non-empty string, found %s", i, json_kind(v));
			if (add_key_path(r, json_string_value(v), path, where, "keyPaths", e) < 0)
				return -1;
		}
		return 0;
	}
	if (get_str(obj, "keyData", path, where, &s, e) < 0)
		return -1;
	size_t n64 = strlen(s);
	/* Standard base64 with padding, as Go's encoding/json decodes a []byte. */
	if (n64 % 4 != 0 || n64 > TRUST_POLICY_MAX || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							      "abcdefghijklmnopqrstuvwxyz0123456789+/=") != n64)
		return perr(e, BERR_INVALID, path, where, "keyData is not valid base64");
	r->key_data = malloc(n64 / 4 * 3 + 1);
	if (r->key_data == NULL)
		return nomem(e);
	int len = EVP_DecodeBlock(r->key_data, (const unsigned char *)s, (int)n64);
	const char *eq = strchr(s, '=');
	/* '=' only as one or two characters of padding at the very end. */
	if (len < 0 || (eq != NULL && (s + n64 - eq > 2 || strspn(eq, "=") != (size_t)(s + n64 - eq))))
		return perr(e, BERR_INVALID, path, where, "keyData is not valid base64");
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	len -= eq != NULL ? (int)(s + n64 - eq) : 0;
	if (len <= 0)
		return perr(e, BERR_INVALID, path, where, "keyData must not be empty");
	r->key_data_len = (size_t)len;
	r->key_source = TRUST_KEYS_DATA;
	return 0;
}

static int parse_req(const json_t *obj, struct trust_req *r, const char *path, const char *where,
		     struct berr *e)
{
	static const char *const only_type[] = { "type", NULL };
	static const char *const signed_by[] = { "type", "keyType", "keyPath", "keyPaths",
						 "keyData", "signedIdentity", NULL };
	static const char *const sigstore[] = { "type", "keyPath", "keyPaths", "keyData",
						"signedIdentity", "fulcio", "rekorPublicKeyPath",
						"rekorPublicKeyPaths", "rekorPublicKeyData", "pki",
						NULL };
	static const char *const sigstore_unsupported[] = { "fulcio", "rekorPublicKeyPath",
							    "rekorPublicKeyPaths",
							    "rekorPublicKeyData", "pki" };
	const char *t = NULL, *kt = NULL;
	int rc;

	if (!json_is_object(obj))
		return perr(e, BERR_INVALID, path, where, "expected an object, found %s",
			    json_kind(obj));
	rc = get_str(obj, "type", path, where, &t, e);
	if (rc <= 0)
		return rc < 0 ? -1 : perr(e, BERR_INVALID, path, where, "type is missing");
	if (strcmp(t, "insecureAcceptAnything") == 0 || strcmp(t, "reject") == 0) {
		r->type = t[0] == 'i' ? TRUST_ACCEPT : TRUST_REJECT;
		return check_keys(obj, only_type, path, where, e);
	}
	if (strcmp(t, "signedBy") == 0) {
		r->type = TRUST_SIGNED_BY;
		if (check_keys(obj, signed_by, path, where, e) < 0)
			return -1;
		rc = get_str(obj, "keyType", path, where, &kt, e);
		if (rc <= 0)
			return rc < 0 ? -1 : perr(e, BERR_INVALID, path, where, "keyType is missing");
		if (strcmp(kt, "signedByGPGKeys") == 0 || strcmp(kt, "X509Certificates") == 0 ||
		    strcmp(kt, "signedByX509CAs") == 0)
			return perr(e, BERR_UNSUPPORTED, path, where, "keyType \"%s\" is not supported "
				    "(berth supports \"GPGKeys\")", kt);
		if (strcmp(kt, "GPGKeys") != 0)
			return perr(e, BERR_INVALID, path, where, "unknown keyType \"%s\"", kt);
	} else if (strcmp(t, "sigstoreSigned") == 0) {
		r->type = TRUST_SIGSTORE_SIGNED;
		if (check_keys(obj, sigstore, path, where, e) < 0)
			return -1;
		for (size_t i = 0; i < ARRAY_SIZE(sigstore_unsupported); i++)
			if (json_object_get(obj, sigstore_unsupported[i]) != NULL)
				return perr(e, BERR_UNSUPPORTED, path, where, "%s is not supported: "
					    "berth verifies sigstore signatures with public keys "
					    "(keyPath, keyPaths or keyData) only, without Fulcio "
					    "certificates or Rekor", sigstore_unsupported[i]);
	} else {
		return perr(e, BERR_INVALID, path, where, "unknown requirement type \"%s\"", t);
	}
	if (parse_keys(obj, r, path, where, e) < 0)
		return -1;
	const json_t *si = json_object_get(obj, "signedIdentity");
	if (si != NULL) {
		char w[WHERE_MAX];
		where_fmt(w, "%s.signedIdentity", where);
		return parse_identity(si, &r->identity, path, w, e);
	}
	return 0;
}

/* A non-empty array of requirements. On success *out and *n are owned by the caller. */
static int parse_reqs(const json_t *arr, const char *path, const char *where,
		      struct trust_req **out, size_t *n, struct berr *e)
{
	struct trust_req *reqs;
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return perr(e, BERR_INVALID, path, where, "expected an array of requirements, "
			    "found %s", json_kind(arr));
	if (json_array_size(arr) == 0)
		return perr(e, BERR_INVALID, path, where, "the list of requirements must not be "
			    "empty");
	reqs = calloc(json_array_size(arr), sizeof(*reqs));
	if (reqs == NULL)
		return nomem(e);
	json_array_foreach(arr, i, v) {
		char w[WHERE_MAX];

		where_fmt(w, "%s[%zu]", where, i);
		if (parse_req(v, &reqs[i], path, w, e) < 0) {
			reqs_free(reqs, i + 1);
			return -1;
		}
	}
	*out = reqs;
	*n = json_array_size(arr);
	return 0;
}

/* A docker scope, as trust.h lists them, naming its registry ("docker.io/library/busybox",
 * not "busybox"). */
static int docker_scope_check(const char *s, const char *path, const char *where,
			      struct berr *e)
{
	struct image_ref ref;
	struct berr pe = { 0 };
	const char *slash = strchr(s, '/');

	if (s[0] == '\0')
		return 0;
	if (strncmp(s, "*.", 2) == 0) {
		if (!ref_domain_valid(s + 2, strlen(s + 2)) || strchr(s + 2, ':') != NULL ||
		    s[2] == '[')
			return perr(e, BERR_INVALID, path, where, "invalid wildcard scope \"%s\": "
				    "expected *.domain, without a port", s);
		return 0;
	}
	if (slash == NULL) {
		if (!ref_domain_valid(s, strlen(s)))
			return perr(e, BERR_INVALID, path, where, "invalid scope \"%s\": expected "
				    "host[:port][/namespace[/repository]][:tag|@digest]", s);
		return 0;
	}
	if (ref_parse(s, &ref, &pe) < 0)
		return perr(e, BERR_INVALID, path, where, "invalid scope \"%s\": %s", s, pe.msg);
	if (!ref.has_domain_explicitly)
		return perr(e, BERR_INVALID, path, where, "invalid scope \"%s\": it names no "
			    "registry (expected host[:port]/...)", s);
	if (ref.tag[0] != '\0' && ref.digest[0] != '\0')
		return perr(e, BERR_INVALID, path, where, "invalid scope \"%s\": a tag and a digest "
			    "together never match", s);
	/* Lookups use normalised names, where the registry is never "index.docker.io". (A
	 * one-component docker.io scope is a namespace, "docker.io/someuser", so it is kept.) */
	if (strcmp(ref.domain, "index.docker.io") == 0)
		return perr(e, BERR_INVALID, path, where, "scope \"%s\" can never match: write "
			    "docker.io instead of index.docker.io", s);
	return 0;
}

int trust_docker_scope_check(const char *scope, struct berr *e)
{
	return docker_scope_check(scope, NULL, "", e);
}

static int cmp_scope(const void *a, const void *b)
{
	const struct scope_ent *x = a, *y = b;
	int c = strcmp(x->transport, y->transport);

	return c != 0 ? c : strcmp(x->scope, y->scope);
}

static int parse_transports(struct trust_policy *p, const json_t *tr, const char *path,
			    struct berr *e)
{
	const char *tname, *sname;
	json_t *tv, *sv;
	size_t total = 0;

	if (!json_is_object(tr))
		return perr(e, BERR_INVALID, path, "transports", "expected an object, found %s",
			    json_kind(tr));
	json_object_foreach((json_t *)tr, tname, tv) {
		char w[WHERE_MAX];
		size_t i;

		where_fmt(w, "transports.%s", tname);
		for (i = 0; i < ARRAY_SIZE(transports); i++)
			if (strcmp(tname, transports[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(transports))
			return perr(e, BERR_INVALID, path, "transports", "unknown transport \"%s\"",
				    tname);
		if (!json_is_object(tv))
			return perr(e, BERR_INVALID, path, w, "expected an object of scopes, found %s",
				    json_kind(tv));
		total += json_object_size(tv);
	}
	p->scopes = calloc(total + 1, sizeof(*p->scopes));
	if (p->scopes == NULL)
		return nomem(e);
	json_object_foreach((json_t *)tr, tname, tv) {
		json_object_foreach(tv, sname, sv) {
			struct scope_ent *se = &p->scopes[p->n_scopes];
			char w[WHERE_MAX];

			where_fmt(w, "transports.%s[\"%s\"]", tname, sname);
			if (strcmp(tname, "docker") == 0 && docker_scope_check(sname, path, w, e) < 0)
				return -1;
			se->transport = strdup(tname);
			se->scope = strdup(sname);
			if (se->transport == NULL || se->scope == NULL) {
				p->n_scopes++;
				return nomem(e);
			}
			if (parse_reqs(sv, path, w, &se->reqs, &se->n_reqs, e) < 0) {
				p->n_scopes++;
				return -1;
			}
			p->n_scopes++;
		}
	}
	qsort(p->scopes, p->n_scopes, sizeof(*p->scopes), cmp_scope);
	return 0;
}

struct trust_policy *trust_policy_parse(const char *buf, size_t len, const char *path,
					struct berr *e)
{
	static const char *const top[] = { "default", "transports", NULL };
	cleanup_policy struct trust_policy *p = NULL;
	json_auto_t *root = NULL;
	json_error_t je;
	const json_t *v;

	if (len > TRUST_POLICY_MAX)
		return perr(e, BERR_INVALID, path, "", "larger than %d bytes", TRUST_POLICY_MAX),
		       NULL;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return perr(e, BERR_INVALID, path, "", "invalid JSON at line %d, column %d: %s",
			    je.line, je.column, je.text), NULL;
	if (!json_is_object(root))
		return perr(e, BERR_INVALID, path, "", "expected a JSON object, found %s",
			    json_kind(root)), NULL;
	if (check_keys(root, top, path, "", e) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->origin = strdup(path)) == NULL)
		return nomem(e), NULL;
	v = json_object_get(root, "default");
	if (v == NULL)
		return perr(e, BERR_INVALID, path, "", "the \"default\" policy is missing"), NULL;
	if (parse_reqs(v, path, "default", &p->def, &p->n_def, e) < 0)
		return NULL;
	v = json_object_get(root, "transports");
	if (v != NULL && parse_transports(p, v, path, e) < 0)
		return NULL;
	return TAKE_PTR(p);
}

const char *trust_policy_origin(const struct trust_policy *p)
{
	return p->origin;
}

const struct trust_req *trust_policy_default(const struct trust_policy *p, size_t *n)
{
	*n = p->n_def;
	return p->def;
}

size_t trust_policy_scope_count(const struct trust_policy *p)
{
	return p->n_scopes;
}

struct trust_scope trust_policy_scope_at(const struct trust_policy *p, size_t i)
{
	const struct scope_ent *se = &p->scopes[i];

	return (struct trust_scope){ se->transport, se->scope, se->reqs, se->n_reqs };
}

static const struct scope_ent *find_scope(const struct trust_policy *p, const char *transport,
					  const char *scope)
{
	struct scope_ent key = { (char *)transport, (char *)scope, NULL, 0 };

	if (p->n_scopes == 0)
		return NULL;
	return bsearch(&key, p->scopes, p->n_scopes, sizeof(*p->scopes), cmp_scope);
}

static int add_cand(char (*out)[REF_STR_MAX], size_t max, size_t *n, const char *s, size_t len,
		    struct berr *e)
{
	if (*n == max)
		return berr_set(e, BERR_INTERNAL, 0, "too many policy scopes for one reference");
	if (len >= REF_STR_MAX)
		return berr_set(e, BERR_INVALID, 0, "reference too long");
	memcpy(out[*n], s, len);
	out[*n][len] = '\0';
	(*n)++;
	return 0;
}

int trust_docker_scopes(const struct image_ref *in, char (*out)[REF_STR_MAX], size_t max,
			struct berr *e)
{
	struct image_ref ref = *in;
	char name[REF_STR_MAX], buf[REF_STR_MAX];
	size_t n = 0, len;

	if (ref.domain[0] == '\0' || ref.path[0] == '\0')
		return berr_set(e, BERR_INTERNAL, 0, "policy lookup of a reference without a "
				"registry");
	if (ref_normalize_docker_io(&ref, e) < 0 || ref_format_name(&ref, name, sizeof(name)) < 0)
		return -1;
	/* The identity: a digest wins over a tag (a digested pull ignores the tag). */
	if (!name_only(&ref)) {
		struct image_ref id = ref;
		if (id.digest[0] != '\0')
			id.tag[0] = '\0';
		if (ref_format(&id, buf, sizeof(buf)) < 0 ||
		    add_cand(out, max, &n, buf, strlen(buf), e) < 0)
			return -1;
	}
	/* The repository, each parent namespace, the host[:port]. */
	len = strlen(name);
	for (;;) {
		if (add_cand(out, max, &n, name, len, e) < 0)
			return -1;
		char *slash = memrchr(name, '/', len);
		if (slash == NULL)
			break;
		len = (size_t)(slash - name);
	}
	/* "*.parent" for every parent domain of the host, port stripped. IPv6 literals have
	 * no parent domain. */
	if (ref.domain[0] == '[')
		return (int)n;
	len = strcspn(ref.domain, ":");
	for (const char *d = memchr(ref.domain, '.', len); d != NULL;
	     d = memchr(d + 1, '.', len - (size_t)(d + 1 - ref.domain))) {
		snprintf(buf, sizeof(buf), "*.%.*s", (int)(len - (size_t)(d + 1 - ref.domain)),
			 d + 1);
		if (add_cand(out, max, &n, buf, strlen(buf), e) < 0)
			return -1;
	}
	return (int)n;
}

int trust_policy_requirements(const struct trust_policy *p, const char *transport,
			      const struct image_ref *ref, const struct trust_req **reqs,
			      size_t *n, const char **scope, struct berr *e)
{
	const struct scope_ent *se;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(transports); i++)
		if (strcmp(transport, transports[i].name) == 0 && transports[i].consulted)
			break;
	if (i == ARRAY_SIZE(transports))
		return berr_set(e, BERR_INTERNAL, 0, "no trust policy lookup for transport \"%s\"",
				transport);
	if (strcmp(transport, "docker") == 0) {
		char (*cands)[REF_STR_MAX] = malloc(TRUST_SCOPES_MAX * REF_STR_MAX);
		int nc;

		if (cands == NULL)
			return nomem(e);
		nc = trust_docker_scopes(ref, cands, TRUST_SCOPES_MAX, e);
		for (int c = 0; c < nc; c++) {
			se = find_scope(p, transport, cands[c]);
			if (se != NULL) {
				free(cands);
				goto found;
			}
		}
		free(cands);
		if (nc < 0)
			return -1;
	}
	se = find_scope(p, transport, "");
	if (se != NULL)
		goto found;
	*reqs = p->def;
	*n = p->n_def;
	if (scope != NULL)
		*scope = NULL;
	return 0;
found:
	*reqs = se->reqs;
	*n = se->n_reqs;
	if (scope != NULL)
		*scope = se->scope;
	return 0;
}

/* ------------------------------------------------------------------ signedIdentity */

/* containers/image refMatchesPrefix, at a component boundary: "/" and "@" always, ":" only
 * after a path (so that "example.com" does not match "example.com:5000/x", which
 * containers/image calls unintended and says not to rely on). */
static bool matches_prefix(const char *ref, const char *prefix)
{
	size_t lp = strlen(prefix);

	if (strncmp(ref, prefix, lp) != 0)
		return false;
	if (ref[lp] == '\0' || ref[lp] == '/' || ref[lp] == '@')
		return true;
	return ref[lp] == ':' && strchr(prefix, '/') != NULL;
}

static bool same_name(const struct image_ref *a, const struct image_ref *b)
{
	return strcmp(a->domain, b->domain) == 0 && strcmp(a->path, b->path) == 0;
}

static bool same_ref(const struct image_ref *a, const struct image_ref *b)
{
	return same_name(a, b) && strcmp(a->tag, b->tag) == 0 && strcmp(a->digest, b->digest) == 0;
}

/* matchRepoDigestOrExact: a digested image needs a signature for its repository (the digest
 * itself is checked against the signature elsewhere); a tagged one, the exact reference. */
static bool repo_digest_or_exact(const struct image_ref *intended, const struct image_ref *sig)
{
	if (name_only(sig))
		return false;
	if (intended->digest[0] != '\0')
		return same_name(intended, sig);
	if (intended->tag[0] != '\0')
		return same_ref(intended, sig);
	return false;
}

int trust_identity_match(const struct trust_identity *id, const struct image_ref *pulled,
			 const char *sig_ref, struct berr *e)
{
	struct image_ref sig, intended = *pulled, fixed;
	struct berr pe = { 0 };
	char want[REF_STR_MAX], got[REF_STR_MAX];
	bool ok = false;

	if (parse_norm(sig_ref, &sig, &pe) < 0)
		return berr_set(e, BERR_INVALID, 0, "the signature's docker-reference \"%.300s\" is "
				"not valid: %s", sig_ref, pe.msg);
	if (ref_normalize_docker_io(&intended, e) < 0)
		return -1;
	/* A digested pull ignores the tag (see trust_policy_requirements). */
	if (intended.digest[0] != '\0')
		intended.tag[0] = '\0';
	switch (id->type) {
	case TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT:
		ok = repo_digest_or_exact(&intended, &sig);
		break;
	case TRUST_ID_MATCH_EXACT:
		ok = !name_only(&intended) && !name_only(&sig) && same_ref(&intended, &sig);
		break;
	case TRUST_ID_MATCH_REPOSITORY:
		ok = same_name(&intended, &sig);
		break;
	case TRUST_ID_EXACT_REFERENCE:
	case TRUST_ID_EXACT_REPOSITORY:
		if (parse_norm(id->reference, &fixed, e) < 0)
			return -1;
		intended = fixed;
		ok = id->type == TRUST_ID_EXACT_REFERENCE ?
			     !name_only(&sig) && same_ref(&fixed, &sig) : same_name(&fixed, &sig);
		break;
	case TRUST_ID_REMAP_IDENTITY: {
		char s[REF_STR_MAX], r[2 * REF_STR_MAX], canon[REF_STR_MAX];

		ref_format(&intended, s, sizeof(s));
		if (matches_prefix(s, id->prefix)) {
			snprintf(r, sizeof(r), "%s%s", id->signed_prefix, s + strlen(id->prefix));
			/* The remapped reference must be valid and already canonical, as
			 * containers/image's reference.ParseNamed requires. */
			if (parse_norm(r, &fixed, &pe) < 0 || !fixed.has_domain_explicitly ||
			    ref_format(&fixed, canon, sizeof(canon)) < 0 || strcmp(canon, r) != 0)
				return berr_set(e, BERR_DENIED, 0, "signedIdentity remapIdentity turns "
						"\"%s\" into \"%.300s\", which is not a valid "
						"reference", s, r), 0;
			intended = fixed;
		}
		ok = repo_digest_or_exact(&intended, &sig);
		break;
	}
	}
	if (ok)
		return 1;
	ref_format(&intended, want, sizeof(want));
	ref_format(&sig, got, sizeof(got));
	berr_set(e, BERR_DENIED, 0, "signature identity names \"%s\", which does not match \"%s\" "
		 "under signedIdentity %s", got, want, trust_identity_type_name(id->type));
	return 0;
}

const char *trust_req_type_name(enum trust_req_type t)
{
	switch (t) {
	case TRUST_ACCEPT: return "insecureAcceptAnything";
	case TRUST_REJECT: return "reject";
	case TRUST_SIGNED_BY: return "signedBy";
	case TRUST_SIGSTORE_SIGNED: return "sigstoreSigned";
	}
	return "?";
}

int trust_provenance_add(char *buf, size_t len, const char *type, const char *who)
{
	size_t used = strnlen(buf, len), room;
	const char *sep = used > 0 ? ", " : "";
	int n;

	if (used >= len || (used >= 3 && strcmp(buf + used - 3, "...") == 0))
		return -1; /* no room at all, or cut already */
	room = len - used;
	n = snprintf(buf + used, room, "%s%s:%s", sep, type, who);
	/* What is appended must leave room for a later cut mark. */
	if (n >= 0 && (size_t)n + sizeof(", ...") <= room)
		return 0;
	buf[used] = '\0';
	if (room >= sizeof(", ..."))
		snprintf(buf + used, room, "%s...", sep);
	return -1;
}

const char *trust_identity_type_name(enum trust_identity_type t)
{
	switch (t) {
	case TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT: return "matchRepoDigestOrExact";
	case TRUST_ID_MATCH_EXACT: return "matchExact";
	case TRUST_ID_MATCH_REPOSITORY: return "matchRepository";
	case TRUST_ID_EXACT_REFERENCE: return "exactReference";
	case TRUST_ID_EXACT_REPOSITORY: return "exactRepository";
	case TRUST_ID_REMAP_IDENTITY: return "remapIdentity";
	}
	return "?";
}

int trust_config_path(const char *home, const char *name, bool (*exists)(const char *path),
		      char *out, size_t len)
{
	int n;

	if (home != NULL && home[0] != '\0') {
		n = snprintf(out, len, "%s/.config/containers/%s", home, name);
		if (n < 0 || (size_t)n >= len)
			return -1;
		if (exists(out))
			return 0;
	}
	n = snprintf(out, len, "/etc/containers/%s", name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int trust_policy_path(const char *override, const char *home, bool (*exists)(const char *path),
		      char *out, size_t len)
{
	if (override != NULL && override[0] != '\0') {
		int n = snprintf(out, len, "%s", override);
		return n < 0 || (size_t)n >= len ? -1 : 0;
	}
	return trust_config_path(home, "policy.json", exists, out, len);
}
