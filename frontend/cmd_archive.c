/* `berth load` and `berth import`: the frontend opens the archive or tarball itself, as the
 * user, and hands the broker the open file (never a path the broker would open with its own
 * rights). import's --change instructions are parsed here into typed fields. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "ipc/msg.h"

#define MAX_ITEMS 256

/* The input: a file the user named, or stdin (refused when it is a terminal: an archive is
 * never typed). */
static int open_input(const char *path, const char *hint)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (isatty(STDIN_FILENO)) {
			fe_error("cannot read from terminal, use command-line redirection or %s", hint);
			return -1;
		}
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			fe_error("reading standard input: %m");
		return fd;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		fe_error("opening %s: %m", path);
	return fd;
}

/* ------------------------------------------------------------------------------------ load */

enum { L_INPUT, L_QUIET, L_HELP };
static const struct fe_opt load_opts[] = {
	[L_INPUT] = { "input", 'i', true, "Read from specified archive file (default: stdin)" },
	[L_QUIET] = { "quiet", 'q', false, "Suppress the output" },
	[L_HELP] = { "help", 'h', false, "Help for load" },
};

struct load_ctx {
	const char *input;
	bool quiet, help;
};

static int load_opt(int id, const char *val, void *ctx)
{
	struct load_ctx *c = ctx;

	switch (id) {
	case L_INPUT: c->input = val; break;
	case L_QUIET: c->quiet = val == NULL; break;
	default: c->help = val == NULL; break;
	}
	return 0;
}

int cmd_load(const struct fe_opts *o, int argc, char **argv)
{
	struct load_ctx c = { 0 };
	cleanup_free char **pos = NULL;
	cleanup_close int fd = -1;
	int npos = 0;
	struct ipc_msg *reply = NULL;
	struct msg_load req = { 0 };
	cleanup_free char *policy = NULL;

	if (fe_parse("berth load", load_opts, ARRAY_SIZE(load_opts), argc, argv, false, load_opt,
		     &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		fe_usage("berth load [options]", "Load image(s) from a tar archive", load_opts,
			 ARRAY_SIZE(load_opts));
		return 0;
	}
	if (npos > 0) {
		fe_error("accepts 0 arg(s), received %d", npos);
		return EXIT_BERTH;
	}
	fd = open_input(c.input, "the --input flag");
	if (fd < 0)
		return EXIT_BERTH;
	req.quiet = c.quiet;
	if (fe_signature_policy(o, &policy) < 0)
		return EXIT_BERTH;
	req.policy_path = policy;
	if (fe_request_fds(o, MSG_LOAD, &req, &fd, 1, MSG_LOAD_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_load_reply *r = reply->body;
	for (size_t i = 0; i < r->n_names; i++)
		printf("Loaded image: %s\n", r->names[i]);
	ipc_msg_free(reply);
	return 0;
}

/* ---------------------------------------------------------------------------------- import */

enum { M_CHANGE, M_MESSAGE, M_QUIET, M_OS, M_ARCH, M_VARIANT, M_HELP };
static const struct fe_opt import_opts[] = {
	[M_CHANGE] = { "change", 'c', true, "Apply the following possible instructions to the "
		       "created image: CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | "
		       "USER | VOLUME | WORKDIR" },
	[M_MESSAGE] = { "message", 'm', true, "Set commit message for imported image" },
	[M_QUIET] = { "quiet", 'q', false, "Suppress output" },
	[M_OS] = { "os", 0, true, "Set the OS of the imported image" },
	[M_ARCH] = { "arch", 0, true, "Set the architecture of the imported image" },
	[M_VARIANT] = { "variant", 0, true, "Set the variant of the imported image" },
	[M_HELP] = { "help", 'h', false, "Help for import" },
};

struct import_ctx {
	struct msg_import req;
	bool help;
	char *owned[4 * MAX_ITEMS];  /* strings made here (JSON arrays, split words) */
	size_t n_owned;
};

static char *keep(struct import_ctx *c, char *s)
{
	if (s == NULL || c->n_owned == ARRAY_SIZE(c->owned)) {
		free(s);
		fe_error("too many --change values");
		return NULL;
	}
	c->owned[c->n_owned++] = s;
	return s;
}

static int push_item(struct import_ctx *c, char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return -1;
	if (*n >= MAX_ITEMS) {
		fe_error("too many --change values");
		return -1;
	}
	nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (nv == NULL) {
		fe_error("out of memory");
		return -1;
	}
	*v = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
	(void)c;
	return 0;
}

/* CMD/ENTRYPOINT/VOLUME values: a JSON array of strings (exec form), or else text. */
static int json_words(struct import_ctx *c, const char *val, char ***v, size_t *n, bool *is_json)
{
	json_error_t je;
	json_t *a, *x;
	size_t i;

	*is_json = false;
	if (val[0] != '[')
		return 0;
	a = json_loads(val, JSON_REJECT_DUPLICATES, &je);
	if (a == NULL || !json_is_array(a)) {
		json_decref(a);
		return 0; /* not JSON: the shell form, as Docker reads it */
	}
	*is_json = true;
	json_array_foreach(a, i, x) {
		if (!json_is_string(x)) {
			json_decref(a);
			fe_error("invalid change \"%s\": the list may hold only strings", val);
			return -1;
		}
		if (push_item(c, v, n, keep(c, strdup(json_string_value(x)))) < 0) {
			json_decref(a);
			return -1;
		}
	}
	json_decref(a);
	return 0;
}

static int command_form(struct import_ctx *c, const char *val, char ***v, size_t *n)
{
	bool is_json;
	char *shell;

	free(*v);
	*v = NULL;
	*n = 0;
	if (json_words(c, val, v, n, &is_json) < 0)
		return -1;
	if (is_json)
		return 0;
	shell = keep(c, strdup(val));
	if (push_item(c, v, n, keep(c, strdup("/bin/sh"))) < 0 ||
	    push_item(c, v, n, keep(c, strdup("-c"))) < 0 || push_item(c, v, n, shell) < 0)
		return -1;
	return 0;
}

/* Space-separated words (EXPOSE, VOLUME's text form, LABEL/ENV pairs). */
static int words(struct import_ctx *c, const char *val, char ***v, size_t *n, bool port)
{
	cleanup_free char *copy = strdup(val);
	char *save = NULL;

	if (copy == NULL)
		return -1;
	for (char *w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		char *item = port && strchr(w, '/') == NULL ? NULL : strdup(w);
		if (port && item == NULL && asprintf(&item, "%s/tcp", w) < 0)
			item = NULL;
		if (push_item(c, v, n, keep(c, item)) < 0)
			return -1;
	}
	return 0;
}

/* KEY=value pairs; "ENV KEY value" (Docker's older form) is one pair. */
static int pairs(struct import_ctx *c, const char *what, const char *val, char ***v, size_t *n)
{
	const char *sp = strpbrk(val, " \t");

	if (strchr(val, '=') == NULL || (sp != NULL && strchr(val, '=') > sp)) {
		char *item;
		if (sp == NULL) {
			fe_error("invalid change \"%s %s\": %s needs KEY=value", what, val, what);
			return -1;
		}
		if (asprintf(&item, "%.*s=%s", (int)(sp - val), val, sp + strspn(sp, " \t")) < 0)
			return -1;
		return push_item(c, v, n, keep(c, item));
	}
	return words(c, val, v, n, false);
}

static int change(struct import_ctx *c, const char *s)
{
	struct msg_import *r = &c->req;
	size_t klen = strcspn(s, "= \t");
	const char *val = s[klen] != '\0' ? s + klen + 1 : "";
	char key[16];
	bool is_json;

	val += strspn(val, " \t");
	if (klen == 0 || klen >= sizeof(key) || *val == '\0') {
		fe_error("invalid change \"%s\": expected INSTRUCTION VALUE or INSTRUCTION=VALUE", s);
		return -1;
	}
	for (size_t i = 0; i < klen; i++)
		key[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	key[klen] = '\0';
	if (strcmp(key, "CMD") == 0) {
		r->has_cmd = true;
		return command_form(c, val, &r->cmd, &r->n_cmd);
	}
	if (strcmp(key, "ENTRYPOINT") == 0) {
		r->has_entrypoint = true;
		return command_form(c, val, &r->entrypoint, &r->n_entrypoint);
	}
	if (strcmp(key, "ENV") == 0)
		return pairs(c, key, val, &r->env, &r->n_env);
	if (strcmp(key, "LABEL") == 0)
		return pairs(c, key, val, &r->labels, &r->n_labels);
	if (strcmp(key, "EXPOSE") == 0)
		return words(c, val, &r->exposed, &r->n_exposed, true);
	if (strcmp(key, "VOLUME") == 0) {
		if (json_words(c, val, &r->volumes, &r->n_volumes, &is_json) < 0)
			return -1;
		return is_json ? 0 : words(c, val, &r->volumes, &r->n_volumes, false);
	}
	if (strcmp(key, "USER") == 0) {
		r->user = (char *)val;
		return 0;
	}
	if (strcmp(key, "WORKDIR") == 0) {
		r->workdir = (char *)val;
		return 0;
	}
	if (strcmp(key, "STOPSIGNAL") == 0) {
		r->stop_signal = (char *)val;
		return 0;
	}
	fe_error("invalid change \"%s\": %s is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
		 "STOPSIGNAL, USER, VOLUME, WORKDIR", s, key);
	return -1;
}

static int import_opt(int id, const char *val, void *ctx)
{
	struct import_ctx *c = ctx;

	switch (id) {
	case M_CHANGE: return change(c, val);
	case M_MESSAGE: c->req.message = (char *)val; return 0;
	case M_QUIET: c->req.quiet = val == NULL; return 0;
	case M_OS: c->req.os = (char *)val; return 0;
	case M_ARCH: c->req.arch = (char *)val; return 0;
	case M_VARIANT: c->req.variant = (char *)val; return 0;
	default: c->help = val == NULL; return 0;
	}
}

static void import_free(struct import_ctx *c)
{
	struct msg_import *r = &c->req;

	free(r->cmd);
	free(r->entrypoint);
	free(r->env);
	free(r->labels);
	free(r->exposed);
	free(r->volumes);
	for (size_t i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
}

int cmd_import(const struct fe_opts *o, int argc, char **argv)
{
	struct import_ctx *c = calloc(1, sizeof(*c));
	cleanup_free char **pos = NULL;
	cleanup_close int fd = -1;
	int npos = 0, rc = EXIT_BERTH;
	struct ipc_msg *reply = NULL;

	if (c == NULL) {
		fe_error("out of memory");
		return EXIT_BERTH;
	}
	if (fe_parse("berth import", import_opts, ARRAY_SIZE(import_opts), argc, argv, false,
		     import_opt, c, &pos, &npos) < 0)
		goto out;
	if (c->help) {
		fe_usage("berth import [options] PATH [REFERENCE]",
			 "Import a tarball to create a filesystem image", import_opts,
			 ARRAY_SIZE(import_opts));
		rc = 0;
		goto out;
	}
	if (npos < 1 || npos > 2) {
		fe_error("requires at least 1 arg(s) and at most 2, received %d", npos);
		goto out;
	}
	if (strncmp(pos[0], "http://", 7) == 0 || strncmp(pos[0], "https://", 8) == 0) {
		fe_error("importing from a URL is not supported: download %s first (for example "
			 "with curl -o) and import the file", pos[0]);
		goto out;
	}
	fd = open_input(pos[0], "give a file name");
	if (fd < 0)
		goto out;
	c->req.reference = npos == 2 ? pos[1] : NULL;
	if (fe_request_fds(o, MSG_IMPORT, &c->req, &fd, 1, MSG_PULL_DONE, &reply) < 0)
		goto out;
	printf("sha256:%s\n", ((const struct msg_pull_done *)reply->body)->image_id);
	ipc_msg_free(reply);
	rc = 0;
out:
	import_free(c);
	free(c);
	return rc;
}
