/* containers.conf interpretation; see containers_conf.h. Each file is read into a struct cconf
 * of its own and checked as a whole, then moved key by key into the merged one. */
#include "common/containers_conf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int cerr(struct berr *e, const char *path, const struct toml_value *v, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int cerr(struct berr *e, const char *path, const struct toml_value *v, const char *fmt,
		...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(e, BERR_INVALID, 0, "%s:%u: %s", path, toml_line(v), msg);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static bool env_ok(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq != NULL && eq != s;
}

static bool cap_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return true;
}

/* An array of strings under key, each accepted by ok; *out NULL-terminated. */
static int strv_of(const struct toml_value *v, const char *path, const char *key, size_t max,
		   bool (*ok)(const char *), const char *what, char ***out, size_t *n,
		   struct berr *e)
{
	size_t len = toml_len(v);
	char **a;

	if (toml_type(v) != TOML_ARRAY)
		return cerr(e, path, v, "%s: expected an array of strings, found %s", key,
			    toml_type_name(toml_type(v)));
	if (len > max)
		return cerr(e, path, v, "%s: more than %zu entries", key, max);
	a = calloc(len + 1, sizeof(*a));
	if (a == NULL)
		return berr_set(e, BERR_SYSTEM, 0, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *s = toml_string(toml_at(v, i));
		if (s == NULL || !ok(s)) {
			strv_free(a, i);
			return cerr(e, path, toml_at(v, i), "%s: entry %zu is not %s", key, i + 1, what);
		}
		a[i] = strdup(s);
		if (a[i] == NULL) {
			strv_free(a, i);
			return berr_set(e, BERR_SYSTEM, 0, "out of memory");
		}
	}
	*out = a;
	*n = len;
	return 0;
}

/* A string under key ("" kept: it puts back the default over an earlier file's value). */
static int str_of(const struct toml_value *v, const char *path, const char *key, bool abs_path,
		  char **out, struct berr *e)
{
	const char *s = toml_string(v);

	if (s == NULL)
		return cerr(e, path, v, "%s: expected a string, found %s", key,
			    toml_type_name(toml_type(v)));
	if (strlen(s) >= CCONF_MAX_PATH || (abs_path && s[0] != '/' && s[0] != '\0'))
		return cerr(e, path, v, "%s: \"%s\" is not an absolute path", key, s);
	*out = strdup(s);
	return *out != NULL ? 0 : berr_set(e, BERR_SYSTEM, 0, "out of memory");
}

static int read_containers(const struct toml_value *t, const char *path, struct cconf *f,
			   struct berr *e)
{
	const struct toml_value *v;

	if ((v = toml_get(t, "env")) != NULL) {
		if (strv_of(v, path, "containers.env", CCONF_MAX_ENV, env_ok, "KEY=value", &f->env,
			    &f->n_env, e) < 0)
			return -1;
		f->env_set = true;
	}
	if ((v = toml_get(t, "default_capabilities")) != NULL) {
		if (strv_of(v, path, "containers.default_capabilities", CCONF_MAX_CAPS, cap_ok,
			    "a capability name", &f->caps, &f->n_caps, e) < 0)
			return -1;
		f->caps_set = true;
	}
	if ((v = toml_get(t, "seccomp_profile")) != NULL &&
	    str_of(v, path, "containers.seccomp_profile", true, &f->seccomp_profile, e) < 0)
		return -1;
	if ((v = toml_get(t, "init_path")) != NULL &&
	    str_of(v, path, "containers.init_path", true, &f->init_path, e) < 0)
		return -1;
	if ((v = toml_get(t, "pids_limit")) != NULL) {
		if (!toml_int(v, &f->pids_limit) || f->pids_limit < 0 || f->pids_limit > INT32_MAX)
			return cerr(e, path, v, "containers.pids_limit: expected an integer from 0 to "
				    "%d", INT32_MAX);
		f->pids_limit_set = true;
	}
	if ((v = toml_get(t, "init")) != NULL) {
		if (!toml_bool(v, &f->init))
			return cerr(e, path, v, "containers.init: expected a boolean, found %s",
				    toml_type_name(toml_type(v)));
		f->init_set = true;
	}
	return 0;
}

#define MOVE(dst, src) do { free(dst); (dst) = (src); (src) = NULL; } while (0)

int cconf_add(struct cconf *c, const struct toml_value *root, const char *path, struct berr *e)
{
	struct cconf f = { 0 };
	const struct toml_value *t;

	if ((t = toml_get(root, "containers")) != NULL) {
		if (toml_type(t) != TOML_TABLE) {
			cerr(e, path, t, "containers: expected a table");
			goto fail;
		}
		if (read_containers(t, path, &f, e) < 0)
			goto fail;
	}
	if ((t = toml_get(root, "engine")) != NULL) {
		const struct toml_value *v;
		if (toml_type(t) != TOML_TABLE) {
			cerr(e, path, t, "engine: expected a table");
			goto fail;
		}
		if ((v = toml_get(t, "runtime")) != NULL &&
		    str_of(v, path, "engine.runtime", false, &f.runtime, e) < 0)
			goto fail;
		if (f.runtime != NULL && strchr(f.runtime, '/') != NULL && f.runtime[0] != '/') {
			cerr(e, path, v, "engine.runtime: \"%s\" is neither a name nor an absolute path",
			     f.runtime);
			goto fail;
		}
	}
	/* Checked as a whole: now merged, key by key. */
	if (f.env_set) {
		strv_free(c->env, c->n_env);
		c->env = f.env;
		c->n_env = f.n_env;
		c->env_set = true;
		f.env = NULL;
	}
	if (f.caps_set) {
		strv_free(c->caps, c->n_caps);
		c->caps = f.caps;
		c->n_caps = f.n_caps;
		c->caps_set = true;
		f.caps = NULL;
	}
	if (f.seccomp_profile != NULL)
		MOVE(c->seccomp_profile, f.seccomp_profile);
	if (f.init_path != NULL)
		MOVE(c->init_path, f.init_path);
	if (f.runtime != NULL)
		MOVE(c->runtime, f.runtime);
	if (f.pids_limit_set) {
		c->pids_limit = f.pids_limit;
		c->pids_limit_set = true;
	}
	if (f.init_set) {
		c->init = f.init;
		c->init_set = true;
	}
	return 0;
fail:
	cconf_free(&f);
	return -1;
}

int cconf_add_buf(struct cconf *c, const char *buf, size_t len, const char *path,
		  struct berr *e)
{
	struct toml_value *root = toml_parse(buf, len, path, e);
	int rc;

	if (root == NULL)
		return -1;
	rc = cconf_add(c, root, path, e);
	toml_free(root);
	return rc;
}

size_t cconf_paths(const char *override, bool rootless, const char *config_home,
		   char out[CCONF_MAX_FILES][CCONF_MAX_PATH])
{
	size_t n = 0;

	if (override != NULL && override[0] != '\0') {
		if (snprintf(out[0], CCONF_MAX_PATH, "%s", override) < CCONF_MAX_PATH)
			n++;
		return n;
	}
	snprintf(out[n++], CCONF_MAX_PATH, "/usr/share/containers/containers.conf");
	snprintf(out[n++], CCONF_MAX_PATH, "/etc/containers/containers.conf");
	if (rootless && config_home != NULL && config_home[0] != '\0' &&
	    snprintf(out[n], CCONF_MAX_PATH, "%s/containers/containers.conf", config_home) <
		    CCONF_MAX_PATH)
		n++;
	return n;
}

void cconf_free(struct cconf *c)
{
	strv_free(c->env, c->n_env);
	strv_free(c->caps, c->n_caps);
	free(c->seccomp_profile);
	free(c->init_path);
	free(c->runtime);
	memset(c, 0, sizeof(*c));
}
