/* registries.conf interpretation; the semantics, and where they come from, are in
 * registries_conf.h. Each file is read into a struct regfile (checked as a whole), then merged
 * into struct registries, so a bad drop-in leaves what was loaded before untouched. */
#include "common/registries_conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"

enum pull_from_mirror { PFM_ALL = 0, PFM_DIGEST_ONLY, PFM_TAG_ONLY };

struct endpoint {
	char *location;            /* owned; "" allowed only for a wildcard prefix */
	bool insecure;
	enum pull_from_mirror pfm; /* mirrors only */
};

struct reg {
	char *prefix;              /* owned, never NULL after checking */
	struct endpoint ep;
	bool blocked;
	bool mirror_by_digest_only;
	struct endpoint *mirrors;  /* owned */
	size_t n_mirrors;
	unsigned line;             /* where the [[registry]] table started */
};

struct alias {
	char *name;   /* owned: the short name ("alpine") */
	char *value;  /* owned: normalised target; NULL when the alias was erased with "" */
	char *origin; /* owned: the file that set it */
};

/* One file, checked, before merging. */
struct regfile {
	struct reg *regs;        /* owned; sorted by prefix, unique */
	size_t n_regs;
	char **search;           /* owned */
	size_t n_search;
	bool search_set;         /* the key was present (even as []) */
	enum short_name_mode mode;
	struct alias *aliases;   /* owned; sorted by name */
	size_t n_aliases;
};

struct registries {
	struct reg *regs;        /* owned; sorted by prefix, unique */
	size_t n_regs;
	char **search;           /* owned */
	size_t n_search;
	char *search_origin;     /* owned or NULL */
	enum short_name_mode mode;
	struct alias *aliases;   /* owned; sorted by name */
	size_t n_aliases;
	char *sources;           /* owned or NULL */
};

/* ------------------------------------------------------------------ helpers */

static int cerr(struct berr *e, const char *path, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A configuration error: "<path>:<line>: <message>" (no line when 0). */
static int cerr(struct berr *e, const char *path, unsigned line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return berr_set(e, BERR_INVALID, 0, "%s:%u: %s", path, line, msg);
	return berr_set(e, BERR_INVALID, 0, "%s: %s", path, msg);
}

static int nomem(struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
}

static void endpoint_clear(struct endpoint *ep)
{
	free(ep->location);
	ep->location = NULL;
}

static void reg_clear(struct reg *r)
{
	free(r->prefix);
	endpoint_clear(&r->ep);
	for (size_t i = 0; i < r->n_mirrors; i++)
		endpoint_clear(&r->mirrors[i]);
	free(r->mirrors);
	memset(r, 0, sizeof(*r));
}

static void alias_clear(struct alias *a)
{
	free(a->name);
	free(a->value);
	free(a->origin);
	memset(a, 0, sizeof(*a));
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void regfile_clear(struct regfile *f)
{
	for (size_t i = 0; i < f->n_regs; i++)
		reg_clear(&f->regs[i]);
	free(f->regs);
	strv_free(f->search, f->n_search);
	for (size_t i = 0; i < f->n_aliases; i++)
		alias_clear(&f->aliases[i]);
	free(f->aliases);
	memset(f, 0, sizeof(*f));
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* containers/image parseLocation: trailing "/" dropped, URI schemes refused. *out owned. */
static int parse_location(const char *in, const char *path, unsigned line, char **out,
			  struct berr *e)
{
	size_t n = strlen(in);

	while (n > 0 && in[n - 1] == '/')
		n--;
	if (has_prefix(in, "http://") || has_prefix(in, "https://"))
		return cerr(e, path, line, "invalid location '%s': URI schemes are not supported", in);
	*out = strndup(in, n);
	if (*out == NULL)
		return nomem(e);
	return 0;
}

/* Typed getters for one key of table t: 1 found, 0 absent, -1 wrong type (*e set). */
static int get_str(const struct toml_value *t, const char *key, const char *where,
		   const char *path, const char **out, struct berr *e)
{
	const struct toml_value *v = toml_get(t, key);

	if (v == NULL)
		return 0;
	*out = toml_string(v);
	if (*out == NULL)
		return cerr(e, path, toml_line(v), "%s%s: expected a string, found %s %s", where, key,
			    toml_type(v) == TOML_ARRAY || toml_type(v) == TOML_INT ? "an" : "a",
			    toml_type_name(toml_type(v)));
	return 1;
}

static int get_bool(const struct toml_value *t, const char *key, const char *where,
		    const char *path, bool *out, struct berr *e)
{
	const struct toml_value *v = toml_get(t, key);

	if (v == NULL)
		return 0;
	if (!toml_bool(v, out))
		return cerr(e, path, toml_line(v), "%s%s: expected a boolean, found %s %s", where, key,
			    toml_type(v) == TOML_ARRAY || toml_type(v) == TOML_INT ? "an" : "a",
			    toml_type_name(toml_type(v)));
	return 1;
}

static bool known(const char *key, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* Podman ignores keys it does not know and says so at debug level only. */
static void ignore_unknown(const struct toml_value *t, const char *const *keys,
			   const char *where, const char *path)
{
	for (size_t i = 0; i < toml_len(t); i++) {
		const char *k = toml_key_at(t, i);

		if (!known(k, keys))
			log_debug("%s:%u: ignoring unknown key %s%s", path, toml_line(toml_at(t, i)),
				  where, k);
	}
}

/* ------------------------------------------------------------------ one file */

static int parse_pfm(const char *s, enum pull_from_mirror *out)
{
	if (strcmp(s, "") == 0 || strcmp(s, "all") == 0)
		*out = PFM_ALL;
	else if (strcmp(s, "digest-only") == 0)
		*out = PFM_DIGEST_ONLY;
	else if (strcmp(s, "tag-only") == 0)
		*out = PFM_TAG_ONLY;
	else
		return -1;
	return 0;
}

static int read_mirror(const struct toml_value *mt, const struct reg *reg, const char *path,
		       struct endpoint *ep, struct berr *e)
{
	static const char *const keys[] = { "location", "insecure", "pull-from-mirror", NULL };
	const char *loc = "", *pfm = "";
	unsigned line = toml_line(mt);

	if (get_str(mt, "location", "registry.mirror.", path, &loc, e) < 0 ||
	    get_bool(mt, "insecure", "registry.mirror.", path, &ep->insecure, e) < 0 ||
	    get_str(mt, "pull-from-mirror", "registry.mirror.", path, &pfm, e) < 0)
		return -1;
	ignore_unknown(mt, keys, "registry.mirror.", path);
	if (parse_location(loc, path, line, &ep->location, e) < 0)
		return -1;
	if (ep->location[0] == '\0')
		return cerr(e, path, line, "invalid condition: mirror location is unset");
	if (reg->mirror_by_digest_only && pfm[0] != '\0')
		return cerr(e, path, line, "cannot set mirror usage mirror-by-digest-only for the "
			    "registry (\"%s\") and pull-from-mirror for per-mirror (\"%s\") at the "
			    "same time", reg->prefix, ep->location);
	if (parse_pfm(pfm, &ep->pfm) < 0)
		return cerr(e, path, line, "unsupported pull-from-mirror value \"%s\" for mirror "
			    "\"%s\"", pfm, ep->location);
	return 0;
}

static int read_registry(const struct toml_value *rt, const char *path, struct reg *reg,
			 struct berr *e)
{
	static const char *const keys[] = { "prefix", "location", "insecure", "blocked",
		"mirror-by-digest-only", "pull-from-mirror", "mirror", NULL };
	const char *prefix = "", *loc = "", *pfm = "";
	const struct toml_value *mv;
	unsigned line = toml_line(rt);

	reg->line = line;
	if (get_str(rt, "prefix", "registry.", path, &prefix, e) < 0 ||
	    get_str(rt, "location", "registry.", path, &loc, e) < 0 ||
	    get_bool(rt, "insecure", "registry.", path, &reg->ep.insecure, e) < 0 ||
	    get_bool(rt, "blocked", "registry.", path, &reg->blocked, e) < 0 ||
	    get_bool(rt, "mirror-by-digest-only", "registry.", path, &reg->mirror_by_digest_only,
		     e) < 0 ||
	    get_str(rt, "pull-from-mirror", "registry.", path, &pfm, e) < 0)
		return -1;
	ignore_unknown(rt, keys, "registry.", path);
	if (parse_location(loc, path, line, &reg->ep.location, e) < 0)
		return -1;
	if (prefix[0] == '\0') {
		if (reg->ep.location[0] == '\0')
			return cerr(e, path, line,
				    "invalid condition: both location and prefix are unset");
		reg->prefix = strdup(reg->ep.location);
		if (reg->prefix == NULL)
			return nomem(e);
	} else {
		if (parse_location(prefix, path, line, &reg->prefix, e) < 0)
			return -1;
		if (!has_prefix(reg->prefix, "*.") && reg->ep.location[0] == '\0')
			return cerr(e, path, line, "invalid condition: location is unset and prefix "
				    "is not in the format: *.example.com");
	}
	if (pfm[0] != '\0')
		return cerr(e, path, line, "pull-from-mirror must not be set for a non-mirror "
			    "registry \"%s\"", reg->prefix);
	mv = toml_get(rt, "mirror");
	if (mv == NULL)
		return 0;
	if (!toml_is_table_array(mv))
		return cerr(e, path, toml_line(mv), "registry.mirror: expected an array of tables");
	if (toml_len(mv) > REGISTRIES_MAX_MIRRORS)
		return cerr(e, path, toml_line(mv), "registry \"%s\" has more than %d mirrors",
			    reg->prefix, REGISTRIES_MAX_MIRRORS);
	if (toml_len(mv) == 0)
		return 0;
	reg->mirrors = calloc(toml_len(mv), sizeof(*reg->mirrors));
	if (reg->mirrors == NULL)
		return nomem(e);
	for (size_t i = 0; i < toml_len(mv); i++) {
		reg->n_mirrors = i + 1;
		if (read_mirror(toml_at(mv, i), reg, path, &reg->mirrors[i], e) < 0)
			return -1;
	}
	return 0;
}

static int read_search(const struct toml_value *v, const char *path, struct regfile *f,
		       struct berr *e)
{
	if (toml_type(v) != TOML_ARRAY)
		return cerr(e, path, toml_line(v),
			    "unqualified-search-registries: expected an array of strings");
	if (toml_len(v) > REGISTRIES_MAX_SEARCH)
		return cerr(e, path, toml_line(v),
			    "unqualified-search-registries: more than %d entries",
			    REGISTRIES_MAX_SEARCH);
	f->search_set = true;
	if (toml_len(v) == 0)
		return 0;
	f->search = calloc(toml_len(v), sizeof(*f->search));
	if (f->search == NULL)
		return nomem(e);
	for (size_t i = 0; i < toml_len(v); i++) {
		const struct toml_value *it = toml_at(v, i);
		const char *s = toml_string(it);
		char *loc;

		if (s == NULL)
			return cerr(e, path, toml_line(it),
				    "unqualified-search-registries: expected an array of strings");
		if (parse_location(s, path, toml_line(it), &loc, e) < 0)
			return -1;
		f->search[f->n_search++] = loc;
		if (!ref_domain_valid(loc, strlen(loc)))
			return cerr(e, path, toml_line(it),
				    "Invalid unqualified-search-registries entry \"%s\"", loc);
	}
	return 0;
}

/* The left-hand side of an alias: a short name, no tag, no digest (validateShortName). */
static int check_alias_name(const char *name, const char *path, unsigned line, struct berr *e)
{
	struct image_ref ref;
	struct berr pe;

	if (ref_parse(name, &ref, &pe) < 0)
		return cerr(e, path, line, "validating short-name aliases: cannot parse short name: "
			    "\"%s\": %s", name, pe.msg);
	if (ref.digest[0] != '\0')
		return cerr(e, path, line, "validating short-name aliases: invalid short name "
			    "\"%s\": must not contain digest", name);
	if (ref.tag[0] != '\0')
		return cerr(e, path, line, "validating short-name aliases: invalid short name "
			    "\"%s\": must not contain tag", name);
	if (!ref_is_short(&ref))
		return cerr(e, path, line, "validating short-name aliases: invalid short name "
			    "\"%s\": must not contain registry", name);
	return 0;
}

/* The right-hand side: a fully-qualified name, no tag, no digest; stored normalised
 * (parseShortNameValue). *out owned. */
static int parse_alias_value(const char *value, const char *path, unsigned line, char **out,
			     struct berr *e)
{
	struct image_ref ref;
	struct berr pe;
	char buf[REF_STR_MAX];

	if (ref_parse(value, &ref, &pe) < 0)
		return cerr(e, path, line, "validating short-name aliases: parsing alias \"%s\": %s",
			    value, pe.msg);
	if (ref.digest[0] != '\0')
		return cerr(e, path, line, "validating short-name aliases: invalid alias \"%s\": "
			    "must not contain digest", value);
	if (ref.tag[0] != '\0')
		return cerr(e, path, line, "validating short-name aliases: invalid alias \"%s\": "
			    "must not contain tag", value);
	if (ref_is_short(&ref))
		return cerr(e, path, line, "validating short-name aliases: invalid alias \"%s\": "
			    "must contain registry and repository", value);
	if (ref_normalize_docker_io(&ref, &pe) < 0)
		return cerr(e, path, line, "validating short-name aliases: parsing alias \"%s\": %s",
			    value, pe.msg);
	if (ref_format(&ref, buf, sizeof(buf)) < 0)
		return berr_set(e, BERR_INTERNAL, 0, "alias \"%s\" does not fit", value);
	*out = strdup(buf);
	return *out == NULL ? nomem(e) : 0;
}

static int cmp_alias(const void *a, const void *b)
{
	return strcmp(((const struct alias *)a)->name, ((const struct alias *)b)->name);
}

static int read_aliases(const struct toml_value *t, const char *path, struct regfile *f,
			struct berr *e)
{
	if (toml_type(t) != TOML_TABLE)
		return cerr(e, path, toml_line(t), "aliases: expected a table");
	if (toml_len(t) > REGISTRIES_MAX_ALIASES)
		return cerr(e, path, toml_line(t), "aliases: more than %d entries",
			    REGISTRIES_MAX_ALIASES);
	if (toml_len(t) == 0)
		return 0;
	f->aliases = calloc(toml_len(t), sizeof(*f->aliases));
	if (f->aliases == NULL)
		return nomem(e);
	for (size_t i = 0; i < toml_len(t); i++) {
		const char *name = toml_key_at(t, i);
		const struct toml_value *v = toml_at(t, i);
		const char *value = toml_string(v);
		struct alias *a = &f->aliases[f->n_aliases];

		if (value == NULL)
			return cerr(e, path, toml_line(v), "aliases.\"%s\": expected a string", name);
		if (check_alias_name(name, path, toml_line(v), e) < 0)
			return -1;
		a->name = strdup(name);
		a->origin = strdup(path);
		f->n_aliases++;
		if (a->name == NULL || a->origin == NULL)
			return nomem(e);
		/* An empty value erases an alias set by an earlier file. */
		if (value[0] != '\0' && parse_alias_value(value, path, toml_line(v), &a->value, e) < 0)
			return -1;
	}
	qsort(f->aliases, f->n_aliases, sizeof(*f->aliases), cmp_alias);
	return 0;
}

/* Sorting helpers over indices into an array of struct reg, stable on ties. */
struct reg_sort {
	const struct reg *regs;
	size_t idx;
	const char *key;
};

static int cmp_reg_sort(const void *a, const void *b)
{
	const struct reg_sort *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Podman's postProcessRegistries checks across entries, then dedupe (first wins) and sort. */
static int finish_registries(struct reg *regs, size_t n, const char *path, struct regfile *f,
			     struct berr *e)
{
	cleanup_free struct reg_sort *s = NULL;
	cleanup_free struct reg *out = NULL;
	size_t k = 0;

	if (n == 0)
		return 0;
	s = calloc(n, sizeof(*s));
	out = calloc(n, sizeof(*out));
	if (s == NULL || out == NULL)
		return nomem(e);
	/* Entries for one location (or wildcard prefix when there is no location) must agree
	 * on insecure and blocked. */
	for (size_t i = 0; i < n; i++) {
		s[i].regs = regs;
		s[i].idx = i;
		s[i].key = regs[i].ep.location[0] != '\0' ? regs[i].ep.location : regs[i].prefix;
	}
	qsort(s, n, sizeof(*s), cmp_reg_sort);
	for (size_t i = 1; i < n; i++) {
		const struct reg *a = &regs[s[i - 1].idx], *b = &regs[s[i].idx];

		if (strcmp(s[i - 1].key, s[i].key) != 0)
			continue;
		if (a->ep.insecure != b->ep.insecure)
			return cerr(e, path, b->line, "registry '%s' is defined multiple times with "
				    "conflicting 'insecure' setting", b->ep.location);
		if (a->blocked != b->blocked)
			return cerr(e, path, b->line, "registry '%s' is defined multiple times with "
				    "conflicting 'blocked' setting", b->ep.location);
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = regs[i].prefix;

		if (has_prefix(p, "*.") && strpbrk(p, "/@:") != NULL)
			return cerr(e, path, regs[i].line, "Wildcarded prefix should be in the format: "
				    "*.example.com. Current prefix \"%s\" is incorrectly formatted", p);
	}
	/* The same prefix twice in one file: the first one wins, as in Podman. */
	for (size_t i = 0; i < n; i++)
		s[i].key = regs[i].prefix, s[i].idx = i;
	qsort(s, n, sizeof(*s), cmp_reg_sort);
	for (size_t i = 0; i < n; i++) {
		struct reg *r = &regs[s[i].idx];

		if (k > 0 && strcmp(out[k - 1].prefix, r->prefix) == 0) {
			log_debug("%s:%u: [[registry]] prefix \"%s\" repeated; the first one is used",
				  path, r->line, r->prefix);
			reg_clear(r);
			continue;
		}
		out[k++] = *r;
		memset(r, 0, sizeof(*r));
	}
	f->regs = TAKE_PTR(out);
	f->n_regs = k;
	return 0;
}

static int read_file(const struct toml_value *root, const char *path, struct regfile *f,
		     struct berr *e)
{
	static const char *const keys[] = { "unqualified-search-registries", "short-name-mode",
		"registry", "aliases", NULL };
	const struct toml_value *v;
	const char *mode = NULL;
	struct reg *regs = NULL;
	size_t n = 0;
	int rc = -1;

	if (toml_type(root) != TOML_TABLE)
		return berr_set(e, BERR_INTERNAL, 0, "%s: not a table", path);
	/* Version 1: [registries.search] / .insecure / .block with a "registries" list. */
	v = toml_get(root, "registries");
	if (v != NULL && toml_type(v) == TOML_TABLE) {
		static const char *const v1[] = { "search", "insecure", "block" };

		for (size_t i = 0; i < ARRAY_SIZE(v1); i++)
			if (toml_get(toml_get(v, v1[i]), "registries") != NULL)
				return cerr(e, path, toml_line(v), "registries.conf uses the v1 format, "
					    "which berth does not read; convert it to v2 (see "
					    "containers-registries.conf(5))");
	}
	ignore_unknown(root, keys, "", path);

	v = toml_get(root, "unqualified-search-registries");
	if (v != NULL && read_search(v, path, f, e) < 0)
		return -1;
	if (get_str(root, "short-name-mode", "", path, &mode, e) < 0)
		return -1;
	if (mode == NULL || mode[0] == '\0')
		f->mode = SHORT_NAME_UNSET;
	else if (strcmp(mode, "enforcing") == 0)
		f->mode = SHORT_NAME_ENFORCING;
	else if (strcmp(mode, "permissive") == 0)
		f->mode = SHORT_NAME_PERMISSIVE;
	else if (strcmp(mode, "disabled") == 0)
		f->mode = SHORT_NAME_DISABLED;
	else
		return cerr(e, path, toml_line(toml_get(root, "short-name-mode")),
			    "invalid short-name mode: \"%s\"", mode);

	v = toml_get(root, "registry");
	if (v != NULL) {
		if (!toml_is_table_array(v))
			return cerr(e, path, toml_line(v), "registry: expected an array of tables");
		if (toml_len(v) > REGISTRIES_MAX_ENTRIES)
			return cerr(e, path, toml_line(v), "more than %d [[registry]] tables",
				    REGISTRIES_MAX_ENTRIES);
		if (toml_len(v) > 0) {
			regs = calloc(toml_len(v), sizeof(*regs));
			if (regs == NULL)
				return nomem(e);
		}
		for (n = 0; n < toml_len(v);) {
			n++;
			if (read_registry(toml_at(v, n - 1), path, &regs[n - 1], e) < 0)
				goto out;
		}
		if (finish_registries(regs, n, path, f, e) < 0)
			goto out;
	}
	v = toml_get(root, "aliases");
	if (v != NULL && read_aliases(v, path, f, e) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		reg_clear(&regs[i]);
	free(regs);
	return rc;
}

/* ------------------------------------------------------------------ merging */

struct registries *registries_new(struct berr *e)
{
	struct registries *r = calloc(1, sizeof(*r));

	if (r == NULL)
		nomem(e);
	return r;
}

void registries_free(struct registries *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_regs; i++)
		reg_clear(&r->regs[i]);
	free(r->regs);
	strv_free(r->search, r->n_search);
	free(r->search_origin);
	for (size_t i = 0; i < r->n_aliases; i++)
		alias_clear(&r->aliases[i]);
	free(r->aliases);
	free(r->sources);
	free(r);
}

/* Merges f into r; on success f's contents belong to r (f is emptied). */
static int merge(struct registries *r, struct regfile *f, const char *path, bool is_main,
		 struct berr *e)
{
	cleanup_free struct reg *regs = NULL;
	cleanup_free struct alias *aliases = NULL;
	cleanup_free char *origin = NULL;
	size_t nr = 0, na = 0, i, j;

	/* Allocate everything first, so a failure changes nothing. */
	if (r->n_regs + f->n_regs > 0) {
		regs = calloc(r->n_regs + f->n_regs, sizeof(*regs));
		if (regs == NULL)
			return nomem(e);
	}
	if (r->n_aliases + f->n_aliases > 0) {
		aliases = calloc(r->n_aliases + f->n_aliases, sizeof(*aliases));
		if (aliases == NULL)
			return nomem(e);
	}
	if (f->search_set || is_main) {
		origin = strdup(path);
		if (origin == NULL)
			return nomem(e);
	}
	/* Count first: the limits apply to the merged result. */
	for (i = 0, j = 0; i < r->n_regs || j < f->n_regs; nr++) {
		int c = i == r->n_regs ? 1 : j == f->n_regs ? -1 :
			strcmp(r->regs[i].prefix, f->regs[j].prefix);

		i += c <= 0;
		j += c >= 0;
	}
	for (i = 0, j = 0; i < r->n_aliases || j < f->n_aliases; na++) {
		int c = i == r->n_aliases ? 1 : j == f->n_aliases ? -1 :
			strcmp(r->aliases[i].name, f->aliases[j].name);

		i += c <= 0;
		j += c >= 0;
	}
	if (nr > REGISTRIES_MAX_ENTRIES)
		return cerr(e, path, 0, "more than %d [[registry]] tables in all files",
			    REGISTRIES_MAX_ENTRIES);
	if (na > REGISTRIES_MAX_ALIASES)
		return cerr(e, path, 0, "more than %d aliases in all files", REGISTRIES_MAX_ALIASES);

	/* Nothing can fail from here on. Later files replace entries with the same key. */
	nr = 0;
	for (i = 0, j = 0; i < r->n_regs || j < f->n_regs;) {
		int c = i == r->n_regs ? 1 : j == f->n_regs ? -1 :
			strcmp(r->regs[i].prefix, f->regs[j].prefix);

		if (c < 0) {
			regs[nr++] = r->regs[i++];
		} else {
			if (c == 0)
				reg_clear(&r->regs[i++]);
			regs[nr++] = f->regs[j];
			memset(&f->regs[j++], 0, sizeof(f->regs[0]));
		}
	}
	free(r->regs);
	r->regs = TAKE_PTR(regs);
	r->n_regs = nr;

	na = 0;
	for (i = 0, j = 0; i < r->n_aliases || j < f->n_aliases;) {
		int c = i == r->n_aliases ? 1 : j == f->n_aliases ? -1 :
			strcmp(r->aliases[i].name, f->aliases[j].name);

		if (c < 0) {
			aliases[na++] = r->aliases[i++];
		} else {
			if (c == 0)
				alias_clear(&r->aliases[i++]);
			aliases[na++] = f->aliases[j];
			memset(&f->aliases[j++], 0, sizeof(f->aliases[0]));
		}
	}
	free(r->aliases);
	r->aliases = TAKE_PTR(aliases);
	r->n_aliases = na;

	if (f->search_set) {
		strv_free(r->search, r->n_search);
		r->search = TAKE_PTR(f->search);
		r->n_search = f->n_search;
		f->n_search = 0;
	}
	if (origin != NULL) {
		free(r->search_origin);
		r->search_origin = TAKE_PTR(origin);
	}
	if (f->mode != SHORT_NAME_UNSET)
		r->mode = f->mode;
	return 0;
}

int registries_add(struct registries *r, const struct toml_value *root, const char *path,
		   bool is_main, struct berr *e)
{
	struct regfile f = { 0 };
	int rc;

	if (r == NULL || root == NULL || path == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "registries_add: missing argument");
	rc = read_file(root, path, &f, e);
	if (rc == 0)
		rc = merge(r, &f, path, is_main, e);
	regfile_clear(&f);
	return rc;
}

int registries_add_buf(struct registries *r, const char *buf, size_t len, const char *path,
		       bool is_main, struct berr *e)
{
	struct toml_value *root = toml_parse(buf, len, path, e);
	int rc;

	if (root == NULL)
		return -1;
	rc = registries_add(r, root, path, is_main, e);
	toml_free(root);
	return rc;
}

int registries_set_sources(struct registries *r, const char *sources, struct berr *e)
{
	char *s = strdup(sources != NULL ? sources : "");

	if (s == NULL)
		return nomem(e);
	free(r->sources);
	r->sources = s;
	return 0;
}

const char *registries_sources(const struct registries *r)
{
	return r->sources != NULL ? r->sources : "";
}

/* ------------------------------------------------------------------ lookups */

/* containers/image refMatchingPrefix: the length of ref matched by prefix, or -1. */
static long match_prefix(const char *ref, const char *prefix)
{
	size_t rl = strlen(ref), pl = strlen(prefix);
	char c;

	if (has_prefix(prefix, "*.")) {
		/* Any number of subdomains: the first occurrence of ".example.com" must be in
		 * the host part and end at a boundary. */
		const char *hit = strstr(ref, prefix + 1);
		size_t idx;

		if (hit == NULL || memchr(ref, '/', (size_t)(hit - ref)) != NULL)
			return -1;
		idx = (size_t)(hit - ref) + pl - 1;
		if (idx == rl)
			return (long)idx;
		c = ref[idx];
		return c == ':' || c == '/' || c == '@' ? (long)idx : -1;
	}
	if (rl < pl || strncmp(ref, prefix, pl) != 0)
		return -1;
	if (rl == pl)
		return (long)pl;
	/* Note: "example.com" thus matches "example.com:5000/x" too. containers/image does the
	 * same and warns not to rely on it; berth keeps it for compatibility. */
	c = ref[pl];
	return c == ':' || c == '/' || c == '@' ? (long)pl : -1;
}

/* Endpoint.rewriteReference: location + what follows the prefix in the full reference. */
static int rewrite(const char *location, const char *prefix, const char *full,
		   const struct image_ref *norm, struct image_ref *out, struct berr *e)
{
	long pl = match_prefix(full, prefix);
	cleanup_free char *s = NULL;
	struct image_ref check;

	if (pl < 0)
		return berr_set(e, BERR_INVALID, 0, "invalid prefix '%s' for reference '%s'", prefix,
				full);
	if (location[0] == '\0') {
		if (!has_prefix(prefix, "*."))
			return berr_set(e, BERR_INVALID, 0, "invalid prefix '%s' for empty location, "
					"should be in the format: *.example.com", prefix);
		*out = *norm;
		return 0;
	}
	if (asprintf(&s, "%s%s", location, full + pl) < 0) {
		s = NULL;
		return nomem(e);
	}
	if (ref_parse(s, out, e) < 0)
		return berr_wrap(e, "rewriting reference");
	/* ParseNamed: the result must already be in its normalised form. */
	check = *out;
	if (!out->has_domain_explicitly || ref_normalize_docker_io(&check, NULL) < 0 ||
	    strcmp(check.domain, out->domain) != 0 || strcmp(check.path, out->path) != 0)
		return berr_set(e, BERR_INVALID, 0,
				"rewriting reference: repository name must be canonical");
	return 0;
}

int registries_find(const struct registries *r, const struct image_ref *ref,
		    struct registry_match *m, struct berr *e)
{
	char name[REF_STR_MAX], full[REF_STR_MAX];
	const struct reg *best = NULL;
	size_t bestlen = 0;
	struct image_ref norm = *ref;
	bool digested;

	memset(m, 0, sizeof(*m));
	if (ref->domain[0] == '\0')
		return berr_set(e, BERR_INTERNAL, 0, "registries_find: \"%s\" is a short name",
				ref->path);
	if (ref_normalize_docker_io(&norm, e) < 0)
		return -1;
	if (ref_format_name(&norm, name, sizeof(name)) < 0 || ref_format(&norm, full, sizeof(full)) < 0)
		return berr_set(e, BERR_INTERNAL, 0, "registries_find: reference too long");
	for (size_t i = 0; i < r->n_regs; i++) {
		size_t pl = strlen(r->regs[i].prefix);

		if (pl > bestlen && match_prefix(name, r->regs[i].prefix) >= 0) {
			best = &r->regs[i];
			bestlen = pl;
		}
	}
	m->primary.ref = norm;
	if (best == NULL)
		return 0;
	snprintf(m->prefix, sizeof(m->prefix), "%s", best->prefix);
	m->blocked = best->blocked;
	digested = norm.digest[0] != '\0';
	for (size_t i = 0; i < best->n_mirrors; i++) {
		const struct endpoint *mir = &best->mirrors[i];
		struct registry_endpoint *out = &m->mirrors[m->n_mirrors];

		if (best->mirror_by_digest_only ? !digested :
		    (mir->pfm == PFM_DIGEST_ONLY && !digested) || (mir->pfm == PFM_TAG_ONLY && digested))
			continue;
		if (rewrite(mir->location, best->prefix, full, &norm, &out->ref, e) < 0)
			goto fail;
		out->insecure = mir->insecure;
		m->n_mirrors++;
	}
	if (rewrite(best->ep.location, best->prefix, full, &norm, &m->primary.ref, e) < 0)
		goto fail;
	m->primary.insecure = best->ep.insecure;
	return 1;
fail:
	memset(m, 0, sizeof(*m));
	return -1;
}

static const struct alias *find_alias(const struct registries *r, const char *name)
{
	struct alias key = { .name = (char *)name };

	if (r->n_aliases == 0)
		return NULL;
	return bsearch(&key, r->aliases, r->n_aliases, sizeof(*r->aliases), cmp_alias);
}

const char *registries_alias(const struct registries *r, const char *name)
{
	const struct alias *a = find_alias(r, name);

	return a != NULL ? a->value : NULL;
}

static void tag_name_only(struct image_ref *c)
{
	if (c->tag[0] == '\0' && c->digest[0] == '\0')
		snprintf(c->tag, sizeof(c->tag), "latest");
}

int registries_resolve_short_desc(const struct registries *r, const struct image_ref *ref,
				  struct image_ref *candidates, size_t max, size_t *n,
				  char *desc, size_t desclen, struct berr *e)
{
	char input[REF_STR_MAX];
	const struct alias *a;
	enum short_name_mode mode = registries_short_name_mode(r);

	*n = 0;
	if (desc != NULL && desclen > 0)
		desc[0] = '\0';
	if (max == 0)
		return berr_set(e, BERR_INTERNAL, 0, "registries_resolve_short: no room");
	if (!ref_is_short(ref)) {
		candidates[0] = *ref;
		if (ref_normalize_docker_io(&candidates[0], e) < 0)
			return -1;
		tag_name_only(&candidates[0]);
		*n = 1;
		return 0;
	}
	/* Aliases are keyed by the name as typed, which normalising ("library/") loses. */
	if (ref->domain[0] != '\0') {
		char full[REF_STR_MAX];

		ref_format_name(ref, full, sizeof(full));
		return berr_set(e, BERR_INTERNAL, 0, "registries_resolve_short: \"%s\" was "
				"normalised; pass the reference as parsed", full);
	}
	if (ref_format(ref, input, sizeof(input)) < 0)
		return berr_set(e, BERR_INTERNAL, 0, "registries_resolve_short: name too long");

	a = find_alias(r, ref->path);
	if (a != NULL && a->value != NULL) {
		struct image_ref *c = &candidates[0];

		if (ref_parse(a->value, c, e) < 0)
			return berr_wrap(e, "alias \"%s\"", a->name);
		memcpy(c->tag, ref->tag, sizeof(c->tag));
		memcpy(c->digest, ref->digest, sizeof(c->digest));
		tag_name_only(c);
		c->has_domain_explicitly = true;
		if (desc != NULL)
			snprintf(desc, desclen, "Resolved \"%s\" as an alias (%s)", ref->path,
				 a->origin);
		*n = 1;
		return 0;
	}
	if (r->n_search == 0) {
		if (r->search_origin != NULL)
			return berr_set(e, BERR_NOTFOUND, 0, "short-name \"%s\" did not resolve to an "
					"alias and no unqualified-search registries are defined in "
					"\"%s\"", input, r->search_origin);
		return berr_set(e, BERR_NOTFOUND, 0, "short-name \"%s\" did not resolve to an alias "
				"and no containers-registries.conf(5) was found", input);
	}
	if (r->n_search > max)
		return berr_set(e, BERR_INTERNAL, 0, "registries_resolve_short: %zu candidates, room "
				"for %zu", r->n_search, max);
	for (size_t i = 0; i < r->n_search; i++) {
		cleanup_free char *s = NULL;
		struct image_ref *c = &candidates[i];

		if (asprintf(&s, "%s/%s", r->search[i], input) < 0) {
			s = NULL;
			return nomem(e);
		}
		if (ref_parse(s, c, e) < 0 || ref_normalize_docker_io(c, e) < 0) {
			*n = 0;
			return berr_wrap(e, "creating reference with unqualified-search registry "
					 "\"%s\"", r->search[i]);
		}
		tag_name_only(c);
		c->has_domain_explicitly = true;
	}
	if (r->n_search > 1 && mode == SHORT_NAME_ENFORCING)
		return berr_set(e, BERR_DENIED, 0,
				"short-name resolution enforced but cannot prompt without a TTY");
	if (desc != NULL)
		snprintf(desc, desclen, "Resolving \"%s\" using unqualified-search registries (%s)",
			 ref->path, r->search_origin != NULL ? r->search_origin : "");
	*n = r->n_search;
	return 0;
}

int registries_resolve_short(const struct registries *r, const struct image_ref *ref,
			     struct image_ref *candidates, size_t max, size_t *n, struct berr *e)
{
	return registries_resolve_short_desc(r, ref, candidates, max, n, NULL, 0, e);
}

enum short_name_mode registries_short_name_mode(const struct registries *r)
{
	return r->mode != SHORT_NAME_UNSET ? r->mode : SHORT_NAME_DEFAULT;
}

size_t registries_search_count(const struct registries *r)
{
	return r->n_search;
}

const char *registries_search_at(const struct registries *r, size_t i)
{
	return i < r->n_search ? r->search[i] : NULL;
}

const char *registries_search_origin(const struct registries *r)
{
	return r->search_origin != NULL ? r->search_origin : "";
}

size_t registries_count(const struct registries *r)
{
	return r->n_regs;
}
