/* The registries.d YAML reader (regd_yaml.h), in berth-verify: libyaml reads, the rules of
 * policy/registries_d.h decide. */
#include "workers/verify/regd_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/cleanup.h"

static int nomem(struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
}

static int yerr(struct berr *e, const char *path, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "<file>:<line>: <message>" */
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
		if (!regd_url_ok(val))
			return yerr(e, path, v, "%s: %s \"%.300s\" is not an absolute file://, "
				    "http:// or https:// URL", where, key, val);
		*slot = strdup(val);
		if (*slot == NULL)
			return nomem(e);
	}
	return 0;
}

static int parse_doc(yaml_document_t *d, const char *path, struct regd_file *f, struct berr *e)
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
			struct regd_scope *s = &f->scopes[f->n_scopes];
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

static int parse_file(const char *buf, size_t len, const char *path, struct regd_file *f,
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

int regd_parse_buf(const char *buf, size_t len, const char *path, struct regd_file *f,
		   struct berr *e)
{
	memset(f, 0, sizeof(*f));
	if (parse_file(buf, len, path, f, e) < 0) {
		regd_file_clear(f);
		return -1;
	}
	return 0;
}

int regd_add_buf(struct regd *r, const char *buf, size_t len, const char *path, struct berr *e)
{
	struct regd_file f;

	if (regd_parse_buf(buf, len, path, &f, e) < 0)
		return -1;
	return regd_merge(r, &f, path, e);
}
