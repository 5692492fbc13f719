/* registries.d reading and lookups; the format and the rules are in registries_d.h. Each file
 * is parsed into its own entries and checked whole before it is merged, so a bad file leaves
 * what was loaded before untouched. */
#include "policy/registries_d.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/cleanup.h"
#include "policy/trust.h"

struct scope {
	char *name;         /* owned */
	char *origin;       /* owned: the file that set it */
	struct regd_ns ns;
};

struct regd {
	bool has_default;
	struct regd_ns def;
	char *def_origin;       /* owned */
	struct scope *scopes;   /* owned; sorted by name, unique */
	size_t n_scopes;
};

static int nomem(struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
}

static int yerr(struct berr *e, const char *path, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "<file>:<line>: <message>" */
static int yerr(struct berr *e, const char *path, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(e, BERR_INVALID, 0, "%s:%zu: %s", path, n->start_mark.line + 1, msg);
}

static void ns_clear(struct regd_ns *ns)
{
	free(ns->lookaside);
	free(ns->lookaside_staging);
	free(ns->sigstore);
	free(ns->sigstore_staging);
	memset(ns, 0, sizeof(*ns));
	ns->use_sigstore_attachments = -1;
}

static void scopes_free(struct scope *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].origin);
		ns_clear(&s[i].ns);
	}
	free(s);
}

struct regd *regd_new(struct berr *e)
{
	struct regd *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return nomem(e), NULL;
	r->def.use_sigstore_attachments = -1;
	return r;
}

void regd_free(struct regd *r)
{
	if (r == NULL)
		return;
	ns_clear(&r->def);
	free(r->def_origin);
	scopes_free(r->scopes, r->n_scopes);
	free(r);
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* A plain null: "", "~", "null" (YAML 1.1 and 1.2 core). */
static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (n->data.scalar.length == 0 || scalar_is(n, "~") || scalar_is(n, "null") ||
		scalar_is(n, "Null") || scalar_is(n, "NULL"));
}

/* A scalar as a NUL-free C string (libyaml refuses NUL in its input; checked anyway). */
static const char *scalar(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a sequence";
	default: return "a scalar";
	}
}

/* A location: an absolute file://, http:// or https:// URL. */
static bool url_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= REGD_URL_MAX || strpbrk(s, " \t\r\n") != NULL)
		return false;
	if (strncmp(s, "file:///", 8) == 0)
		return true;
	if (strncmp(s, "https://", 8) == 0)
		return s[8] != '\0' && s[8] != '/';
	if (strncmp(s, "http://", 7) == 0)
		return s[7] != '\0' && s[7] != '/';
	return false;
}

/* Duplicate keys in one mapping are refused (YAML says keys are unique). */
static int check_dup_keys(yaml_document_t *d, const yaml_node_t *map, const char *path,
			  struct berr *e)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k == NULL || scalar(k) == NULL)
			return yerr(e, path, map, "mapping keys must be strings");
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *k2 = yaml_document_get_node(d, q->key);
			if (scalar_is(k2, scalar(k)))
				return yerr(e, path, k, "duplicate key \"%s\"", scalar(k));
		}
	}
	return 0;
}

static int parse_ns(yaml_document_t *d, const yaml_node_t *n, const char *path,
		    const char *where, struct regd_ns *ns, struct berr *e)
{
	ns->use_sigstore_attachments = -1;
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return yerr(e, path, n, "%s: expected a mapping, found %s", where, node_kind(n));
	if (check_dup_keys(d, n, path, e) < 0)
		return -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yaml_document_get_node(d, p->key);
		const yaml_node_t *v = yaml_document_get_node(d, p->value);
		const char *key = scalar(k), *val;
		char **slot = NULL;

		if (v == NULL)
			return yerr(e, path, k, "%s: %s has no value", where, key);
		if (strcmp(key, "use-sigstore-attachments") == 0) {
			static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
							   "YES", "on", "On", "ON" };
			static const char *const no[] = { "false", "False", "FALSE", "no", "No",
							  "NO", "off", "Off", "OFF" };
			int b = -1;
			if (v->type == YAML_SCALAR_NODE &&
			    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
				for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
					if (scalar_is(v, yes[i]))
						b = 1;
					if (scalar_is(v, no[i]))
						b = 0;
				}
			if (b < 0)
				return yerr(e, path, v, "%s: use-sigstore-attachments must be true or "
					    "false", where);
			ns->use_sigstore_attachments = b;
			continue;
		}
		if (strcmp(key, "lookaside") == 0)
			slot = &ns->lookaside;
		else if (strcmp(key, "lookaside-staging") == 0)
			slot = &ns->lookaside_staging;
		else if (strcmp(key, "sigstore") == 0)
			slot = &ns->sigstore;
		else if (strcmp(key, "sigstore-staging") == 0)
			slot = &ns->sigstore_staging;
		else
			return yerr(e, path, k, "%s: unknown key \"%s\"", where, key);
		if (is_null(v))
			continue;
		val = scalar(v);
		if (val == NULL)
			return yerr(e, path, v, "%s: %s: expected a URL, found %s", where, key,
				    node_kind(v));
		if (!url_ok(val))
			return yerr(e, path, v, "%s: %s \"%.300s\" is not an absolute file://, "
				    "http:// or https:// URL", where, key, val);
		*slot = strdup(val);
		if (*slot == NULL)
			return nomem(e);
	}
	return 0;
}

static int cmp_scope(const void *a, const void *b)
{
	return strcmp(((const struct scope *)a)->name, ((const struct scope *)b)->name);
}

/* One file, parsed into its own entries. */
struct regfile {
	bool has_default;
	struct regd_ns def;
	struct scope *scopes;
	size_t n_scopes;
};

static void regfile_clear(struct regfile *f)
{
	ns_clear(&f->def);
	scopes_free(f->scopes, f->n_scopes);
	memset(f, 0, sizeof(*f));
}

static int parse_doc(yaml_document_t *d, const char *path, struct regfile *f, struct berr *e)
{
	const yaml_node_t *root = yaml_document_get_root_node(d);

	f->def.use_sigstore_attachments = -1;
	if (root == NULL || is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return yerr(e, path, root, "expected a mapping, found %s", node_kind(root));
	if (check_dup_keys(d, root, path, e) < 0)
		return -1;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(d, p->key);
		const yaml_node_t *v = yaml_document_get_node(d, p->value);
		const char *key = scalar(k);

		if (strcmp(key, "default-docker") == 0) {
			if (is_null(v))
				continue;
			f->has_default = true;
			if (parse_ns(d, v, path, "default-docker", &f->def, e) < 0)
				return -1;
			continue;
		}
		if (strcmp(key, "docker") != 0)
			return yerr(e, path, k, "unknown key \"%s\"", key);
		if (is_null(v))
			continue;
		if (v->type != YAML_MAPPING_NODE)
			return yerr(e, path, v, "docker: expected a mapping of scopes, found %s",
				    node_kind(v));
		if (check_dup_keys(d, v, path, e) < 0)
			return -1;
		size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
		if (n > REGD_SCOPES_MAX)
			return yerr(e, path, v, "docker: more than %d scopes", REGD_SCOPES_MAX);
		f->scopes = calloc(n + 1, sizeof(*f->scopes));
		if (f->scopes == NULL)
			return nomem(e);
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
		     q < v->data.mapping.pairs.top; q++) {
			const yaml_node_t *sk = yaml_document_get_node(d, q->key);
			const yaml_node_t *sv = yaml_document_get_node(d, q->value);
			struct scope *s = &f->scopes[f->n_scopes];
			char where[REF_STR_MAX + 16];

			if (scalar(sk)[0] == '\0')
				return yerr(e, path, sk, "docker: a scope must not be empty");
			snprintf(where, sizeof(where), "docker: %.*s", REF_STR_MAX, scalar(sk));
			s->name = strdup(scalar(sk));
			f->n_scopes++;
			if (s->name == NULL)
				return nomem(e);
			if (parse_ns(d, sv, path, where, &s->ns, e) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_file(const char *buf, size_t len, const char *path, struct regfile *f,
		      struct berr *e)
{
	yaml_parser_t parser;
	yaml_document_t doc, doc2;
	int rc;

	if (len > REGD_FILE_MAX)
		return berr_set(e, BERR_INVALID, 0, "%s: larger than %d bytes", path, REGD_FILE_MAX);
	if (!yaml_parser_initialize(&parser))
		return nomem(e);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = berr_set(e, BERR_INVALID, 0, "%s:%zu: invalid YAML: %s", path,
			      parser.problem_mark.line + 1,
			      parser.problem != NULL ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = parse_doc(&doc, path, f, e);
	if (rc == 0) {
		/* A second document is refused, not ignored. */
		if (!yaml_parser_load(&parser, &doc2)) {
			rc = berr_set(e, BERR_INVALID, 0, "%s:%zu: invalid YAML: %s", path,
				      parser.problem_mark.line + 1,
				      parser.problem != NULL ? parser.problem : "parse error");
		} else {
			if (yaml_document_get_root_node(&doc2) != NULL)
				rc = berr_set(e, BERR_INVALID, 0, "%s: more than one YAML document",
					      path);
			yaml_document_delete(&doc2);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

static struct scope *find(const struct regd *r, const char *name)
{
	struct scope key = { (char *)name, NULL, { 0 } };

	if (r->n_scopes == 0)
		return NULL;
	return bsearch(&key, r->scopes, r->n_scopes, sizeof(*r->scopes), cmp_scope);
}

int regd_add_buf(struct regd *r, const char *buf, size_t len, const char *path, struct berr *e)
{
	struct regfile f = { 0 };
	struct scope *merged;
	int rc = -1;

	if (parse_file(buf, len, path, &f, e) < 0)
		goto out;
	if (f.has_default && r->has_default) {
		berr_set(e, BERR_INVALID, 0, "\"default-docker\" is defined both in %s and in %s",
			 r->def_origin, path);
		goto out;
	}
	/* Scopes already set by an earlier file, or twice in this one. */
	if (f.n_scopes > 0)
		qsort(f.scopes, f.n_scopes, sizeof(*f.scopes), cmp_scope);
	for (size_t i = 0; i < f.n_scopes; i++) {
		const struct scope *old = find(r, f.scopes[i].name);
		if (old != NULL) {
			berr_set(e, BERR_INVALID, 0, "docker scope \"%.300s\" is defined both in %s "
				 "and in %s", old->name, old->origin, path);
			goto out;
		}
		f.scopes[i].origin = strdup(path);
		if (f.scopes[i].origin == NULL) {
			nomem(e);
			goto out;
		}
	}
	if (r->n_scopes + f.n_scopes > REGD_SCOPES_MAX) {
		berr_set(e, BERR_INVALID, 0, "%s: more than %d docker scopes in registries.d", path,
			 REGD_SCOPES_MAX);
		goto out;
	}
	merged = realloc(r->scopes, (r->n_scopes + f.n_scopes + 1) * sizeof(*merged));
	if (merged == NULL) {
		nomem(e);
		goto out;
	}
	r->scopes = merged;
	if (f.has_default) {
		r->def_origin = strdup(path);
		if (r->def_origin == NULL) {
			nomem(e);
			goto out;
		}
		r->def = f.def;
		r->has_default = true;
		memset(&f.def, 0, sizeof(f.def));
	}
	if (f.n_scopes > 0)
		memcpy(r->scopes + r->n_scopes, f.scopes, f.n_scopes * sizeof(*f.scopes));
	r->n_scopes += f.n_scopes;
	f.n_scopes = 0;
	if (r->n_scopes > 0)
		qsort(r->scopes, r->n_scopes, sizeof(*r->scopes), cmp_scope);
	rc = 0;
out:
	regfile_clear(&f);
	return rc;
}

static const char *top_level(const struct regd_ns *ns, bool write)
{
	if (write) {
		if (ns->lookaside_staging != NULL)
			return ns->lookaside_staging;
		if (ns->sigstore_staging != NULL)
			return ns->sigstore_staging;
	}
	if (ns->lookaside != NULL)
		return ns->lookaside;
	return ns->sigstore;
}

/* Calls fn on each entry that applies to ref, most specific first, until it answers. */
static const struct regd_ns *walk(const struct regd *r, const struct image_ref *ref,
				  bool (*fn)(const struct regd_ns *ns, void *ctx), void *ctx)
{
	char (*cands)[REF_STR_MAX] = NULL;
	struct berr e = { 0 };
	int n = 0;

	if (r->n_scopes > 0) {
		cands = malloc(TRUST_SCOPES_MAX * REF_STR_MAX);
		if (cands != NULL)
			n = trust_docker_scopes(ref, cands, TRUST_SCOPES_MAX, &e);
		/* Out of memory or a reference without a registry: no scope can be looked
		 * up, and default-docker alone is not a safe answer. */
		if (cands == NULL || n < 0) {
			free(cands);
			return NULL;
		}
	}
	for (int i = 0; i < n; i++) {
		const struct scope *s = find(r, cands[i]);
		if (s != NULL && fn(&s->ns, ctx)) {
			free(cands);
			return &s->ns;
		}
	}
	free(cands);
	if (r->has_default && fn(&r->def, ctx))
		return &r->def;
	return NULL;
}

static bool has_read(const struct regd_ns *ns, void *ctx)
{
	(void)ctx;
	return top_level(ns, false) != NULL;
}

static bool has_write(const struct regd_ns *ns, void *ctx)
{
	(void)ctx;
	return top_level(ns, true) != NULL;
}

static bool has_attach(const struct regd_ns *ns, void *ctx)
{
	(void)ctx;
	return ns->use_sigstore_attachments >= 0;
}

const char *regd_lookaside(const struct regd *r, const struct image_ref *ref, bool write)
{
	const struct regd_ns *ns = walk(r, ref, write ? has_write : has_read, NULL);

	return ns == NULL ? NULL : top_level(ns, write);
}

bool regd_use_sigstore_attachments(const struct regd *r, const struct image_ref *ref)
{
	const struct regd_ns *ns = walk(r, ref, has_attach, NULL);

	return ns != NULL && ns->use_sigstore_attachments == 1;
}

const char *regd_scope_lookaside(const struct regd *r, const char *scope)
{
	char buf[REF_STR_MAX];
	size_t len = strlen(scope);

	if (len > 0 && len < sizeof(buf)) {
		memcpy(buf, scope, len + 1);
		for (;;) {
			const struct scope *s = find(r, buf);
			char *slash;
			if (s != NULL)
				return top_level(&s->ns, false);
			slash = strrchr(buf, '/');
			if (slash == NULL)
				break;
			*slash = '\0';
		}
	}
	return r->has_default ? top_level(&r->def, false) : NULL;
}

const struct regd_ns *regd_default(const struct regd *r)
{
	return r->has_default ? &r->def : NULL;
}

const struct regd_ns *regd_scope(const struct regd *r, const char *scope)
{
	const struct scope *s = find(r, scope);

	return s == NULL ? NULL : &s->ns;
}

int regd_signature_url(const char *base, const struct image_ref *in, const char *digest,
		       unsigned index, char *out, size_t len, struct berr *e)
{
	struct image_ref ref = *in;
	const char *colon = strchr(digest, ':');
	size_t bl = strlen(base);
	int n;

	if (ref_digest_check(digest, e) < 0 || colon == NULL)
		return -1;
	if (ref_normalize_docker_io(&ref, e) < 0)
		return -1;
	if (index == 0)
		return berr_set(e, BERR_INTERNAL, 0, "signature indexes start at 1");
	/* A trailing "/" in the configured location is not doubled. */
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	n = snprintf(out, len, "%.*s/%s@%.*s=%s/signature-%u", (int)bl, base, ref.path,
		     (int)(colon - digest), digest, colon + 1, index);
	if (n < 0 || (size_t)n >= len)
		return berr_set(e, BERR_INVALID, 0, "signature URL too long for %s", base);
	return 0;
}

int regd_dir(const char *home, bool (*exists)(const char *path), char *out, size_t len)
{
	return trust_config_path(home, "registries.d", exists, out, len);
}
