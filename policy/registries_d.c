/* registries.d: the merged table and its lookups; the format and the rules are in
 * registries_d.h. No YAML here: berth-verify parses the files (workers/verify/regd_yaml.c) and
 * each file's entries are checked whole before they are merged, so a bad file leaves what was
 * loaded before untouched. */
#include "policy/registries_d.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "policy/trust.h"

struct regd {
	bool has_default;
	struct regd_ns def;
	char *def_origin;       /* owned */
	struct regd_scope *scopes;   /* owned; sorted by name, unique */
	size_t n_scopes;
};

static int nomem(struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
}

void regd_ns_clear(struct regd_ns *ns)
{
	free(ns->lookaside);
	free(ns->lookaside_staging);
	free(ns->sigstore);
	free(ns->sigstore_staging);
	memset(ns, 0, sizeof(*ns));
	ns->use_sigstore_attachments = -1;
}

void regd_scopes_free(struct regd_scope *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].origin);
		regd_ns_clear(&s[i].ns);
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
	regd_ns_clear(&r->def);
	free(r->def_origin);
	regd_scopes_free(r->scopes, r->n_scopes);
	free(r);
}

/* A location: an absolute file://, http:// or https:// URL. */
bool regd_url_ok(const char *s)
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

static int cmp_scope(const void *a, const void *b)
{
	return strcmp(((const struct regd_scope *)a)->name, ((const struct regd_scope *)b)->name);
}

static struct regd_scope *find(const struct regd *r, const char *name)
{
	struct regd_scope key = { (char *)name, NULL, { 0 } };

	if (r->n_scopes == 0)
		return NULL;
	return bsearch(&key, r->scopes, r->n_scopes, sizeof(*r->scopes), cmp_scope);
}

int regd_file_check(const struct regd_file *f, const char *path, struct berr *e)
{
	const struct regd_ns *ns;
	const char *urls[4];

	if (f->n_scopes > REGD_SCOPES_MAX)
		return berr_set(e, BERR_INVALID, 0, "%s: more than %d docker scopes", path,
				REGD_SCOPES_MAX);
	for (size_t i = 0; i <= f->n_scopes; i++) {
		if (i == f->n_scopes && !f->has_default)
			break;
		ns = i < f->n_scopes ? &f->scopes[i].ns : &f->def;
		if (i < f->n_scopes && (f->scopes[i].name == NULL || f->scopes[i].name[0] == '\0' ||
					strlen(f->scopes[i].name) >= REF_STR_MAX))
			return berr_set(e, BERR_INVALID, 0, "%s: a docker scope is empty or too long",
					path);
		if (ns->use_sigstore_attachments < -1 || ns->use_sigstore_attachments > 1)
			return berr_set(e, BERR_INVALID, 0, "%s: use-sigstore-attachments is neither "
					"true nor false", path);
		urls[0] = ns->lookaside;
		urls[1] = ns->lookaside_staging;
		urls[2] = ns->sigstore;
		urls[3] = ns->sigstore_staging;
		for (size_t j = 0; j < 4; j++)
			if (urls[j] != NULL && !regd_url_ok(urls[j]))
				return berr_set(e, BERR_INVALID, 0, "%s: a location is not an absolute "
						"file://, http:// or https:// URL", path);
	}
	return 0;
}

void regd_file_clear(struct regd_file *f)
{
	regd_ns_clear(&f->def);
	regd_scopes_free(f->scopes, f->n_scopes);
	memset(f, 0, sizeof(*f));
}

int regd_merge(struct regd *r, struct regd_file *in, const char *path, struct berr *e)
{
	struct regd_file f = *in;
	struct regd_scope *merged;
	int rc = -1;

	memset(in, 0, sizeof(*in));
	if (f.has_default && r->has_default) {
		berr_set(e, BERR_INVALID, 0, "\"default-docker\" is defined both in %s and in %s",
			 r->def_origin, path);
		goto out;
	}
	/* Scopes already set by an earlier file, or twice in this one. */
	if (f.n_scopes > 0)
		qsort(f.scopes, f.n_scopes, sizeof(*f.scopes), cmp_scope);
	for (size_t i = 0; i < f.n_scopes; i++) {
		const struct regd_scope *old = find(r, f.scopes[i].name);
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
	regd_file_clear(&f);
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
		const struct regd_scope *s = find(r, cands[i]);
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
			const struct regd_scope *s = find(r, buf);
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
	const struct regd_scope *s = find(r, scope);

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
