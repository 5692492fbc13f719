/* libFuzzer harness for common/toml.c and the registries.conf and containers.conf
 * interpretations on top of it (common/registries_conf.c, common/containers_conf.c): arbitrary
 * bytes as a configuration file.
 *
 * Besides "no crash, no leak, no UB", it abort()s when one of these properties fails:
 *  - a parsed tree, written back as TOML (everything as inline tables and arrays), parses
 *    again to the same tree (same keys in the same order, same types, same values);
 *  - an error always carries "<name>:" and a message;
 *  - once interpreted as registries.conf, every answer is well-formed: lookups of a few fixed
 *    references (and of one taken from a leading "# <reference>" comment) and short-name
 *    resolutions give valid references, and merging the same file twice changes nothing
 *    visible;
 *  - once interpreted as containers.conf, a refused file leaves the configuration as it was
 *    (empty), an accepted one gives only well-formed values (env entries KEY=value, bounded
 *    lists, absolute paths), and merging it twice, or over another accepted file, gives
 *    what merging it once gives for every key it sets. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/containers_conf.h"
#include "common/reference.h"
#include "common/registries_conf.h"
#include "common/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	char *s;
	size_t n, cap;
	bool failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->s + o->n, o->cap - o->n, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if (o->n + (size_t)n < o->cap)
			break;
		o->cap = (o->cap + (size_t)n) * 2;
		o->s = realloc(o->s, o->cap);
		if (o->s == NULL)
			abort();
	}
	o->n += (size_t)n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': put(o, "\\\""); break;
		case '\\': put(o, "\\\\"); break;
		case '\b': put(o, "\\b"); break;
		case '\t': put(o, "\\t"); break;
		case '\n': put(o, "\\n"); break;
		case '\f': put(o, "\\f"); break;
		case '\r': put(o, "\\r"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				put(o, "\\u%04x", c);
			else
				put(o, "%c", c);
		}
	}
	put(o, "\"");
}

/* TOML for a value; tables become inline tables. */
static void emit(struct out *o, const struct toml_value *v)
{
	int64_t i;
	bool b;

	switch (toml_type(v)) {
	case TOML_TABLE:
		put(o, "{");
		for (size_t k = 0; k < toml_len(v); k++) {
			put(o, "%s", k > 0 ? ", " : "");
			put_str(o, toml_key_at(v, k));
			put(o, " = ");
			emit(o, toml_at(v, k));
		}
		put(o, "}");
		break;
	case TOML_ARRAY:
		put(o, "[");
		for (size_t k = 0; k < toml_len(v); k++) {
			put(o, "%s", k > 0 ? ", " : "");
			emit(o, toml_at(v, k));
		}
		put(o, "]");
		break;
	case TOML_STRING:
		put_str(o, toml_string(v));
		break;
	case TOML_INT:
		if (!toml_int(v, &i))
			abort();
		put(o, "%" PRId64, i);
		break;
	case TOML_BOOL:
		if (!toml_bool(v, &b))
			abort();
		put(o, "%s", b ? "true" : "false");
		break;
	}
}

static void emit_root(struct out *o, const struct toml_value *root)
{
	for (size_t k = 0; k < toml_len(root); k++) {
		put_str(o, toml_key_at(root, k));
		put(o, " = ");
		emit(o, toml_at(root, k));
		put(o, "\n");
	}
}

static bool equal(const struct toml_value *a, const struct toml_value *b)
{
	int64_t x, y;
	bool p, q;

	if (toml_type(a) != toml_type(b) || toml_len(a) != toml_len(b))
		return false;
	switch (toml_type(a)) {
	case TOML_TABLE:
		for (size_t k = 0; k < toml_len(a); k++)
			if (strcmp(toml_key_at(a, k), toml_key_at(b, k)) != 0 ||
			    toml_get(a, toml_key_at(a, k)) != toml_at(a, k) ||
			    !equal(toml_at(a, k), toml_at(b, k)))
				return false;
		return true;
	case TOML_ARRAY:
		for (size_t k = 0; k < toml_len(a); k++)
			if (!equal(toml_at(a, k), toml_at(b, k)))
				return false;
		return true;
	case TOML_STRING:
		return strcmp(toml_string(a), toml_string(b)) == 0;
	case TOML_INT:
		return toml_int(a, &x) && toml_int(b, &y) && x == y;
	case TOML_BOOL:
		return toml_bool(a, &p) && toml_bool(b, &q) && p == q;
	}
	return false;
}

static void check_ref(const struct image_ref *r)
{
	char buf[REF_STR_MAX];
	struct image_ref again;
	struct berr e;

	if (ref_format(r, buf, sizeof(buf)) < 0 || ref_parse(buf, &again, &e) < 0)
		abort();
	if (strcmp(again.domain, r->domain) != 0 || strcmp(again.path, r->path) != 0 ||
	    strcmp(again.tag, r->tag) != 0 || strcmp(again.digest, r->digest) != 0)
		abort();
}

static void query(const struct registries *r, const struct image_ref *in)
{
	struct registry_match m;
	struct image_ref c[REGISTRIES_MAX_SEARCH];
	struct berr e;
	size_t n = 0;
	int rc;

	if (!ref_is_short(in)) {
		rc = registries_find(r, in, &m, &e);
		if (rc < 0) {
			if (e.msg[0] == '\0')
				abort();
		} else {
			if (m.n_mirrors > REGISTRIES_MAX_MIRRORS || (rc == 0) != (m.prefix[0] == '\0'))
				abort();
			check_ref(&m.primary.ref);
			for (size_t i = 0; i < m.n_mirrors; i++)
				check_ref(&m.mirrors[i].ref);
		}
	}
	rc = registries_resolve_short(r, in, c, REGISTRIES_MAX_SEARCH, &n, &e);
	if (rc < 0) {
		if (e.msg[0] == '\0' || n != 0)
			abort();
		return;
	}
	if (n == 0 || n > REGISTRIES_MAX_SEARCH)
		abort();
	for (size_t i = 0; i < n; i++) {
		check_ref(&c[i]);
		if (ref_is_short(&c[i]) || (c[i].tag[0] == '\0' && c[i].digest[0] == '\0'))
			abort();
		/* A candidate is fully qualified: looking it up must work or fail cleanly. */
		if (registries_find(r, &c[i], &m, &e) < 0 && e.msg[0] == '\0')
			abort();
	}
}

static const char *const fixed[] = {
	"busybox",
	"library/busybox:1.36",
	"alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"docker.io/library/alpine:3",
	"example.com/foo/image:latest",
	"a.example.com/x/y",
	"localhost:5000/a/b:tag",
	"registry.com/image",
	"[::1]:5000/x",
};

static void interpret(const struct toml_value *root, const uint8_t *data, size_t size)
{
	struct registries *r, *twice;
	struct berr e;
	struct image_ref in;

	r = registries_new(&e);
	twice = registries_new(&e);
	if (r == NULL || twice == NULL)
		abort();
	if (registries_add(r, root, "fuzz.conf", true, &e) < 0) {
		if (e.msg[0] == '\0')
			abort();
		/* A failed add leaves the configuration empty. */
		if (registries_count(r) != 0 || registries_search_count(r) != 0)
			abort();
		goto out;
	}
	/* The same file as main file and again as a drop-in: nothing visible changes. */
	if (registries_add(twice, root, "fuzz.conf", true, &e) < 0 ||
	    registries_add(twice, root, "fuzz.conf", false, &e) < 0)
		abort();
	if (registries_count(twice) != registries_count(r) ||
	    registries_search_count(twice) != registries_search_count(r) ||
	    registries_short_name_mode(twice) != registries_short_name_mode(r))
		abort();
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (ref_parse(fixed[i], &in, &e) < 0)
			abort();
		query(r, &in);
	}
	/* A leading "# <reference>" comment names one more reference to look up. */
	if (size > 2 && data[0] == '#') {
		char s[512];
		size_t k = 1, j = 0;

		while (k < size && data[k] == ' ')
			k++;
		while (k < size && data[k] != '\n' && data[k] != '\r' && j + 1 < sizeof(s))
			s[j++] = (char)data[k++];
		s[j] = '\0';
		if (ref_parse(s, &in, &e) == 0)
			query(r, &in);
	}
out:
	registries_free(r);
	registries_free(twice);
}

static bool str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return (a == NULL || a[na] == NULL) && (b == NULL || b[nb] == NULL);
}

static bool cconf_eq(const struct cconf *a, const struct cconf *b)
{
	return a->env_set == b->env_set && strv_eq(a->env, a->n_env, b->env, b->n_env) &&
	       a->caps_set == b->caps_set && strv_eq(a->caps, a->n_caps, b->caps, b->n_caps) &&
	       str_eq(a->seccomp_profile, b->seccomp_profile) &&
	       a->pids_limit_set == b->pids_limit_set && a->pids_limit == b->pids_limit &&
	       a->init_set == b->init_set && a->init == b->init &&
	       str_eq(a->init_path, b->init_path) && str_eq(a->runtime, b->runtime);
}

static void check_cconf(const struct cconf *c)
{
	if (c->n_env > CCONF_MAX_ENV || c->n_caps > CCONF_MAX_CAPS ||
	    (c->pids_limit_set && (c->pids_limit < 0 || c->pids_limit > INT32_MAX)))
		abort();
	for (size_t i = 0; i < c->n_env; i++)
		if (strchr(c->env[i], '=') == NULL || c->env[i][0] == '=')
			abort();
	if ((c->seccomp_profile != NULL && c->seccomp_profile[0] != '\0' &&
	     c->seccomp_profile[0] != '/') ||
	    (c->init_path != NULL && c->init_path[0] != '\0' && c->init_path[0] != '/'))
		abort();
}

/* containers.conf: the file alone, twice, and over a base file that sets every key. */
static void interpret_cconf(const struct toml_value *root)
{
	static const char base_doc[] = "[containers]\nenv = [\"B=1\"]\n"
				       "default_capabilities = [\"CHOWN\"]\n"
				       "seccomp_profile = \"/b\"\npids_limit = 1\ninit = false\n"
				       "init_path = \"/i\"\n[engine]\nruntime = \"r\"\n";
	struct cconf once = { 0 }, twice = { 0 }, over = { 0 }, empty = { 0 };
	struct berr e;

	if (cconf_add(&once, root, "fuzz.conf", &e) < 0) {
		if (e.msg[0] == '\0' || !cconf_eq(&once, &empty))
			abort();
		return;
	}
	check_cconf(&once);
	if (cconf_add(&twice, root, "fuzz.conf", &e) < 0 ||
	    cconf_add(&twice, root, "fuzz.conf", &e) < 0 || !cconf_eq(&once, &twice))
		abort();
	if (cconf_add_buf(&over, base_doc, strlen(base_doc), "base.conf", &e) < 0 ||
	    cconf_add(&over, root, "fuzz.conf", &e) < 0)
		abort();
	check_cconf(&over);
	if ((once.env_set && !strv_eq(once.env, once.n_env, over.env, over.n_env)) ||
	    (once.caps_set && !strv_eq(once.caps, once.n_caps, over.caps, over.n_caps)) ||
	    (once.seccomp_profile != NULL && !str_eq(once.seccomp_profile, over.seccomp_profile)) ||
	    (once.runtime != NULL && !str_eq(once.runtime, over.runtime)) ||
	    (once.pids_limit_set && once.pids_limit != over.pids_limit) ||
	    (!once.pids_limit_set && over.pids_limit != 1) ||
	    (!once.env_set && (over.n_env != 1 || strcmp(over.env[0], "B=1") != 0)))
		abort();
	cconf_free(&once);
	cconf_free(&twice);
	cconf_free(&over);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berr e;
	struct toml_value *root, *again;
	struct out o = { 0 };

	root = toml_parse((const char *)data, size, "fuzz.conf", &e);
	if (root == NULL) {
		if (strncmp(e.msg, "fuzz.conf", 9) != 0 || strlen(e.msg) < 12)
			abort();
		return 0;
	}
	o.cap = 256;
	o.s = malloc(o.cap);
	if (o.s == NULL)
		abort();
	o.s[0] = '\0';
	emit_root(&o, root);
	if (!o.failed && o.n <= TOML_MAX_INPUT) {
		again = toml_parse(o.s, o.n, "emitted", &e);
		if (again == NULL) {
			fprintf(stderr, "re-parse failed: %s\n--- emitted:\n%s\n", e.msg, o.s);
			abort();
		}
		if (!equal(root, again))
			abort();
		toml_free(again);
	}
	free(o.s);
	interpret(root, data, size);
	interpret_cconf(root);
	toml_free(root);
	return 0;
}
