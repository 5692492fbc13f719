/* Image commands: pull, images (image ls), image inspect, tag, untag, rmi (image rm), and the
 * `image` command that groups them, with Podman's flags, columns and exit codes. */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "frontend/humanize.h"
#include "frontend/output.h"
#include "frontend/template.h"
#include "ipc/msg.h"

/* ------------------------------------------------------------------------------------ pull */

enum { P_TLS, P_CREDS, P_AUTHFILE, P_CERTDIR, P_PLATFORM, P_ARCH, P_OS, P_VARIANT, P_QUIET, P_HELP };
static const struct fe_opt pull_opts[] = {
	[P_TLS] = { "tls-verify", 0, false, "Require HTTPS and verify certificates (default true)" },
	[P_CREDS] = { "creds", 0, true, "Use USERNAME:PASSWORD for accessing the registry" },
	[P_AUTHFILE] = { "authfile", 0, true, "Path of the authentication file" },
	[P_CERTDIR] = { "cert-dir", 0, true, "Use certificates at the specified path to access "
					     "the registry" },
	[P_PLATFORM] = { "platform", 0, true, "Specify the platform for selecting the image "
					       "(OS/ARCH[/VARIANT])" },
	[P_ARCH] = { "arch", 0, true, "Use ARCH instead of the architecture of the machine" },
	[P_OS] = { "os", 0, true, "Use OS instead of the running OS for choosing images" },
	[P_VARIANT] = { "variant", 0, true, "Use VARIANT instead of the running architecture "
					     "variant" },
	[P_QUIET] = { "quiet", 'q', false, "Suppress output information when pulling images" },
	[P_HELP] = { "help", 'h', false, "Help for pull" },
};

struct pull_ctx {
	struct msg_pull req;
	char os[64], arch[64], variant[64];
	bool help;
};

static int setstr(char *dst, size_t n, const char *src, size_t srclen, const char *flag)
{
	if (srclen == 0 || srclen >= n) {
		fe_error("invalid value for --%s", flag);
		return -1;
	}
	memcpy(dst, src, srclen);
	dst[srclen] = '\0';
	return 0;
}

static int pull_opt(int id, const char *val, void *ctx)
{
	struct pull_ctx *c = ctx;

	switch (id) {
	case P_TLS:
		c->req.tls_verify = val == NULL ? TRI_TRUE : TRI_FALSE;
		return 0;
	case P_CREDS:
		c->req.creds = (char *)val;
		return 0;
	case P_CERTDIR:
		if (val[0] != '/') {
			fe_error("--cert-dir must be an absolute path");
			return -1;
		}
		c->req.cert_dir = (char *)val;
		return 0;
	case P_AUTHFILE:
		if (val[0] != '/') {
			fe_error("--authfile must be an absolute path");
			return -1;
		}
		c->req.authfile = (char *)val;
		return 0;
	case P_PLATFORM: {
		const char *a = strchr(val, '/');
		const char *v = a != NULL ? strchr(a + 1, '/') : NULL;
		if (a == NULL || a == val || a[1] == '\0' || (v != NULL && v[1] == '\0')) {
			fe_error("invalid platform syntax for --platform=\"%s\": expected OS/ARCH[/VARIANT]",
				 val);
			return -1;
		}
		if (setstr(c->os, sizeof(c->os), val, (size_t)(a - val), "platform") < 0 ||
		    setstr(c->arch, sizeof(c->arch), a + 1,
			   v != NULL ? (size_t)(v - a - 1) : strlen(a + 1), "platform") < 0 ||
		    (v != NULL && setstr(c->variant, sizeof(c->variant), v + 1, strlen(v + 1),
					 "platform") < 0))
			return -1;
		return 0;
	}
	case P_ARCH:
		return setstr(c->arch, sizeof(c->arch), val, strlen(val), "arch");
	case P_OS:
		return setstr(c->os, sizeof(c->os), val, strlen(val), "os");
	case P_VARIANT:
		return setstr(c->variant, sizeof(c->variant), val, strlen(val), "variant");
	case P_QUIET:
		c->req.quiet = val == NULL;
		return 0;
	default:
		c->help = val == NULL;
		return 0;
	}
}

int cmd_pull(const struct fe_opts *o, int argc, char **argv)
{
	struct pull_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	struct ipc_msg *reply = NULL;

	if (fe_parse("berth pull", pull_opts, ARRAY_SIZE(pull_opts), argc, argv, false, pull_opt,
		     &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth pull [options] IMAGE [IMAGE...]",
			 "Pull an image from a registry", pull_opts, ARRAY_SIZE(pull_opts));
		return 0;
	}
	if (npos < 1) {
		free(pos);
		fe_error("requires at least 1 arg(s), only received 0");
		return EXIT_BERTH;
	}
	if (c.req.authfile == NULL)
		c.req.authfile = (char *)o->authfile;
	c.req.os = c.os[0] ? c.os : NULL;
	c.req.arch = c.arch[0] ? c.arch : NULL;
	c.req.variant = c.variant[0] ? c.variant : NULL;
	if (fe_signature_policy(o, &c.req.policy_path) < 0) {
		free(pos);
		return EXIT_BERTH;
	}
	for (int i = 0; i < npos; i++) {
		c.req.reference = pos[i];
		if (fe_request(o, MSG_PULL, &c.req, MSG_PULL_DONE, &reply) < 0) {
			free(pos);
			free(c.req.policy_path);
			return EXIT_BERTH;
		}
		printf("%s\n", ((const struct msg_pull_done *)reply->body)->image_id);
		ipc_msg_free(reply);
	}
	free(pos);
	free(c.req.policy_path);
	return 0;
}

/* ---------------------------------------------------------------------------------- images */

enum { I_ALL, I_DIGESTS, I_FILTER, I_FORMAT, I_NOTRUNC, I_QUIET, I_NOHEADING, I_HELP };
static const struct fe_opt images_opts[] = {
	[I_ALL] = { "all", 'a', false, "Show all images (default hides intermediate images)" },
	[I_DIGESTS] = { "digests", 0, false, "Show digests" },
	[I_FILTER] = { "filter", 'f', true, "Filter output based on conditions provided" },
	[I_FORMAT] = { "format", 0, true, "Change the output format to JSON or a Go template" },
	[I_NOTRUNC] = { "no-trunc", 0, false, "Do not truncate output" },
	[I_QUIET] = { "quiet", 'q', false, "Display only image IDs" },
	[I_NOHEADING] = { "noheading", 'n', false, "Do not print column headings" },
	[I_HELP] = { "help", 'h', false, "Help for images" },
};

#define MAX_FILTERS 16
struct images_ctx {
	bool all, digests, notrunc, quiet, noheading, help;
	const char *format;
	const char *filters[MAX_FILTERS];
	size_t n_filters;
};

static int images_opt(int id, const char *val, void *ctx)
{
	struct images_ctx *c = ctx;
	bool on = val == NULL;

	switch (id) {
	case I_ALL: c->all = on; break;
	case I_DIGESTS: c->digests = on; break;
	case I_NOTRUNC: c->notrunc = on; break;
	case I_QUIET: c->quiet = on; break;
	case I_NOHEADING: c->noheading = on; break;
	case I_HELP: c->help = on; break;
	case I_FORMAT: c->format = val; break;
	case I_FILTER:
		if (c->n_filters == MAX_FILTERS) {
			fe_error("too many --filter options");
			return -1;
		}
		if (strncmp(val, "dangling=", 9) != 0 && strncmp(val, "reference=", 10) != 0 &&
		    strncmp(val, "id=", 3) != 0 && strncmp(val, "digest=", 7) != 0) {
			fe_error("invalid image filter \"%s\": berth supports dangling, reference, id "
				 "and digest", val);
			return -1;
		}
		if (strncmp(val, "dangling=", 9) == 0 && strcmp(val + 9, "true") != 0 &&
		    strcmp(val + 9, "false") != 0) {
			fe_error("invalid filter: \"dangling\" must be true or false");
			return -1;
		}
		c->filters[c->n_filters++] = val;
		break;
	}
	return 0;
}

static void split_name(const char *name, char *repo, size_t rl, char *tag, size_t tl)
{
	const char *at = strchr(name, '@');
	if (at != NULL) {
		snprintf(repo, rl, "%.*s", (int)(at - name), name);
		snprintf(tag, tl, "<none>");
		return;
	}
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash != NULL ? slash : name, ':');
	if (colon == NULL) {
		snprintf(repo, rl, "%s", name);
		snprintf(tag, tl, "<none>");
	} else {
		snprintf(repo, rl, "%.*s", (int)(colon - name), name);
		snprintf(tag, tl, "%s", colon + 1);
	}
}

/* Filters are ANDed across keys, as Podman does. */
static bool keep(const struct images_ctx *c, const struct msg_image_summary *s, const char *name)
{
	for (size_t i = 0; i < c->n_filters; i++) {
		const char *f = c->filters[i];
		if (strncmp(f, "dangling=", 9) == 0) {
			bool want = strcmp(f + 9, "true") == 0;
			if ((s->n_names == 0) != want)
				return false;
		} else if (strncmp(f, "reference=", 10) == 0) {
			char repo[600], tag[200], full[800];
			if (name == NULL)
				return false;
			split_name(name, repo, sizeof(repo), tag, sizeof(tag));
			snprintf(full, sizeof(full), "%s", name);
			const char *pat = f + 10;
			/* A pattern matches the full name, the repository, or their last part. */
			const char *base = strrchr(repo, '/');
			char basetag[800];
			snprintf(basetag, sizeof(basetag), "%s:%s", base ? base + 1 : repo, tag);
			if (fnmatch(pat, full, 0) != 0 && fnmatch(pat, repo, 0) != 0 &&
			    fnmatch(pat, base ? base + 1 : repo, 0) != 0 &&
			    fnmatch(pat, basetag, 0) != 0)
				return false;
		} else if (strncmp(f, "id=", 3) == 0) {
			if (strncmp(s->id, f + 3, strlen(f + 3)) != 0)
				return false;
		} else if (strncmp(f, "digest=", 7) == 0) {
			if (strcmp(s->digest, f + 7) != 0)
				return false;
		}
	}
	return true;
}

static json_t *image_row(const struct msg_image_summary *s, const char *name, bool notrunc)
{
	char repo[600], tag[200], size[32], since[64], created[64], id[80];
	time_t t = (time_t)s->created;
	struct tm tm;
	json_t *names = json_array();

	if (name != NULL)
		split_name(name, repo, sizeof(repo), tag, sizeof(tag));
	else {
		snprintf(repo, sizeof(repo), "<none>");
		snprintf(tag, sizeof(tag), "<none>");
	}
	human_size(s->size, size, sizeof(size));
	human_duration((int64_t)time(NULL) - s->created, since, sizeof(since));
	strncat(since, " ago", sizeof(since) - strlen(since) - 1);
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	if (notrunc)
		snprintf(id, sizeof(id), "sha256:%s", s->id);
	else
		snprintf(id, sizeof(id), "%.12s", s->id);
	for (size_t i = 0; i < s->n_names; i++)
		json_array_append_new(names, json_string(s->names[i]));
	/* Verified: only through --format (the default columns are Podman's, which scripts
	 * parse); the same words as `image inspect`. */
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:b,s:s}", "ID", id,
			 "Repository", repo, "Tag", tag, "Digest", s->digest, "CreatedSince", since,
			 "CreatedAt", created, "Size", size, "CreatedUnix", (json_int_t)s->created,
			 "FullID", s->id, "Names", names, "Dangling", s->n_names == 0, "Verified",
			 s->verified[0] ? s->verified : "not verified");
}

static const char *header_of(const char *field)
{
	static const struct {
		const char *f, *h;
	} map[] = {
		{ "ID", "IMAGE ID" }, { "Repository", "REPOSITORY" }, { "Tag", "TAG" },
		{ "Digest", "DIGEST" }, { "CreatedSince", "CREATED" }, { "CreatedAt", "CREATED AT" },
		{ "Size", "SIZE" }, { "Names", "NAMES" }, { "Dangling", "DANGLING" },
		{ "Verified", "VERIFIED" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(map[i].f, field) == 0)
			return map[i].h;
	return field;
}


int cmd_images(const struct fe_opts *o, int argc, char **argv)
{
	struct images_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	struct msg_images req = { 0 };
	struct ipc_msg *reply = NULL;
	const struct msg_images_reply *r;
	json_t *rows;
	int rc = 0;

	if (fe_parse(argv[0][0] == 'l' ? "berth image ls" : "berth images", images_opts,
		     ARRAY_SIZE(images_opts), argc, argv, false, images_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth images [options] [IMAGE]", "List images in local storage",
			 images_opts, ARRAY_SIZE(images_opts));
		return 0;
	}
	if (npos > 1) {
		free(pos);
		fe_error("accepts at most 1 arg(s), received %d", npos);
		return EXIT_BERTH;
	}
	const char *want = npos == 1 ? pos[0] : NULL;
	free(pos);
	req.all = c.all;
	if (fe_request(o, MSG_IMAGES, &req, MSG_IMAGES_REPLY, &reply) < 0)
		return EXIT_BERTH;
	r = reply->body;
	rows = json_array();
	for (size_t i = 0; i < r->n_images; i++) {
		const struct msg_image_summary *s = &r->images[i];
		for (size_t k = 0; k < (s->n_names > 0 ? s->n_names : 1); k++) {
			const char *name = s->n_names > 0 ? s->names[k] : NULL;
			if (!keep(&c, s, name))
				continue;
			if (want != NULL) {
				char pat[600];
				snprintf(pat, sizeof(pat), "reference=%s", want);
				struct images_ctx one = { .filters = { pat }, .n_filters = 1 };
				if (!keep(&one, s, name))
					continue;
			}
			json_array_append_new(rows, image_row(s, name, c.notrunc));
			if (c.quiet)
				break; /* one line per image */
		}
	}
	if (c.quiet) {
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row)
			printf("%s\n", json_string_value(json_object_get(row, "ID")));
	} else if (c.format != NULL && strcmp(c.format, "json") == 0) {
		/* Podman's JSON: one object per image. */
		json_t *out = json_array();
		for (size_t i = 0; i < r->n_images; i++) {
			const struct msg_image_summary *s = &r->images[i];
			bool any = false;
			for (size_t k = 0; k < (s->n_names > 0 ? s->n_names : 1) && !any; k++) {
				const char *name = s->n_names > 0 ? s->names[k] : NULL;
				char pat[600];
				snprintf(pat, sizeof(pat), "reference=%s", want != NULL ? want : "*");
				struct images_ctx one = { .filters = { pat }, .n_filters = 1 };
				any = keep(&c, s, name) && (want == NULL || keep(&one, s, name));
			}
			if (!any)
				continue;
			json_t *names = json_array();
			for (size_t k = 0; k < s->n_names; k++)
				json_array_append_new(names, json_string(s->names[k]));
			json_array_append_new(out, json_pack("{s:s,s:s,s:o,s:I,s:I,s:b}", "Id", s->id,
							     "Digest", s->digest, "Names", names,
							     "Created", (json_int_t)s->created,
							     "Size", (json_int_t)s->size, "Dangling",
							     s->n_names == 0));
		}
		if (out_json(stdout, out) < 0)
			rc = EXIT_BERTH;
		json_decref(out);
	} else {
		char deftmpl[256];
		snprintf(deftmpl, sizeof(deftmpl), "{{.Repository}}\\t{{.Tag}}\\t%s{{.ID}}\\t"
			 "{{.CreatedSince}}\\t{{.Size}}", c.digests ? "{{.Digest}}\\t" : "");
		if (out_rows(c.format, deftmpl, c.noheading, rows, header_of) < 0)
			rc = EXIT_BERTH;
	}
	json_decref(rows);
	ipc_msg_free(reply);
	return rc;
}

/* ------------------------------------------------------------------------- image inspect */

enum { N_FORMAT, N_HELP };
static const struct fe_opt inspect_opts[] = {
	[N_FORMAT] = { "format", 'f', true, "Format the output using the given Go template" },
	[N_HELP] = { "help", 'h', false, "Help for inspect" },
};

struct inspect_ctx {
	const char *format;
	bool help;
};

static int inspect_opt(int id, const char *val, void *ctx)
{
	struct inspect_ctx *c = ctx;
	if (id == N_FORMAT)
		c->format = val;
	else
		c->help = val == NULL;
	return 0;
}

static json_t *strv(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *keys_obj(char **v, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, v[i], json_object());
	return o;
}

static json_t *labels_obj(char **v, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(v[i], '=');
		char key[1024];
		if (eq == NULL)
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - v[i]), v[i]);
		json_object_set_new(o, key, json_string(eq + 1));
	}
	return o;
}

static json_t *inspect_json(const struct msg_image_inspect_reply *r)
{
	const struct msg_image_summary *s = &r->summary[0];
	const struct msg_v_config_reply *c = &r->config[0];
	json_t *history = json_array();
	json_t *repo_digests = json_array();
	char created[64] = "";
	time_t t = (time_t)s->created;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < c->n_history; i++) {
		const struct msg_history *h = &c->history[i];
		json_t *o = json_object();
		if (h->created)
			json_object_set_new(o, "created", json_string(h->created));
		if (h->created_by)
			json_object_set_new(o, "created_by", json_string(h->created_by));
		if (h->comment)
			json_object_set_new(o, "comment", json_string(h->comment));
		if (h->empty_layer)
			json_object_set_new(o, "empty_layer", json_true());
		json_array_append_new(history, o);
	}
	json_t *repo_tags = json_array();
	for (size_t i = 0; i < s->n_names; i++) {
		char rd[800];
		const char *at = strchr(s->names[i], '@');
		if (at != NULL) {
			/* A name by digest is a repo digest, not a tag. */
			json_array_append_new(repo_digests, json_string(s->names[i]));
			continue;
		}
		json_array_append_new(repo_tags, json_string(s->names[i]));
		const char *slash = strrchr(s->names[i], '/');
		const char *colon = strrchr(slash ? slash : s->names[i], ':');
		snprintf(rd, sizeof(rd), "%.*s@%s",
			 (int)(colon ? (size_t)(colon - s->names[i]) : strlen(s->names[i])),
			 s->names[i], s->digest);
		json_array_append_new(repo_digests, json_string(rd));
	}
	json_t *config = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:s}",
				   "User", c->user ? c->user : "",
				   "ExposedPorts", keys_obj(c->exposed_ports, c->n_exposed_ports),
				   "Env", strv(c->env, c->n_env),
				   "Entrypoint", strv(c->entrypoint, c->n_entrypoint),
				   "Cmd", strv(c->cmd, c->n_cmd),
				   "Volumes", keys_obj(c->volumes, c->n_volumes),
				   "WorkingDir", c->working_dir ? c->working_dir : "",
				   "Labels", labels_obj(c->labels, c->n_labels),
				   "StopSignal", c->stop_signal ? c->stop_signal : "");
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:s,s:s,s:s,s:s,s:I,s:I,s:{s:s,s:o},s:o,s:s,"
			 "s:o,s:s}",
			 "Id", s->id, "Digest", s->digest, "RepoTags", repo_tags,
			 "RepoDigests", repo_digests, "Created", created, "Config", config,
			 "Version", "", "Author", c->author ? c->author : "",
			 "Architecture", c->architecture, "Os", c->os,
			 "Size", (json_int_t)s->size, "VirtualSize", (json_int_t)s->size,
			 "RootFS", "Type", "layers", "Layers", strv(c->diff_ids, c->n_diff_ids),
			 "Labels", labels_obj(c->labels, c->n_labels),
			 "ManifestType", r->manifest_type,
			 "History", history,
			 "Verified", s->verified[0] ? s->verified : "not verified");
}

enum inspect_kind { INSPECT_IMAGE, INSPECT_CONTAINER, INSPECT_ANY };

static int inspect_main(const struct fe_opts *o, int argc, char **argv, enum inspect_kind kind)
{
	struct inspect_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	json_t *all;
	int rc = 0;

	static const char *const paths[] = { "berth image inspect", "berth container inspect",
					     "berth inspect" };
	static const char *const what[] = { "IMAGE [IMAGE...]", "CONTAINER [CONTAINER...]",
					    "NAME [NAME...]" };
	char usage[96];
	if (fe_parse(paths[kind], inspect_opts, ARRAY_SIZE(inspect_opts), argc, argv, false,
		     inspect_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		snprintf(usage, sizeof(usage), "%s [options] %s", paths[kind], what[kind]);
		fe_usage(usage, "Display the configuration of an object", inspect_opts,
			 ARRAY_SIZE(inspect_opts));
		return 0;
	}
	if (npos < 1) {
		free(pos);
		fe_error("inspect requires at least 1 argument");
		return EXIT_BERTH;
	}
	all = json_array();
	for (int i = 0; i < npos; i++) {
		struct msg_image_inspect req = { .name = pos[i] };
		struct ipc_msg *reply = NULL;
		/* A container first, as Podman's inspect does, then an image. */
		if (kind != INSPECT_IMAGE) {
			json_t *cj = NULL;
			int found = fe_container_inspect(o, pos[i], &cj);
			if (found == 1) {
				json_array_append_new(all, cj);
				continue;
			}
			if (found < 0 || kind == INSPECT_CONTAINER) {
				if (found == 0)
					fe_error("no such container %s", pos[i]);
				rc = EXIT_BERTH;
				continue;
			}
		}
		if (fe_request(o, MSG_IMAGE_INSPECT, &req, MSG_IMAGE_INSPECT_REPLY, &reply) < 0) {
			rc = EXIT_BERTH;
			continue;
		}
		json_array_append_new(all, inspect_json(reply->body));
		ipc_msg_free(reply);
	}
	free(pos);
	if (c.format != NULL && strcmp(c.format, "json") != 0) {
		struct berr e = { 0 };
		if (tmpl_render_each(stdout, c.format, all, &e) < 0) {
			fe_error("%s", e.msg);
			rc = EXIT_BERTH;
		}
	} else if (json_array_size(all) > 0 || rc == 0) {
		out_json(stdout, all);
	}
	json_decref(all);
	return rc;
}

int cmd_image_inspect(const struct fe_opts *o, int argc, char **argv)
{
	return inspect_main(o, argc, argv, INSPECT_IMAGE);
}

int cmd_container_inspect(const struct fe_opts *o, int argc, char **argv)
{
	return inspect_main(o, argc, argv, INSPECT_CONTAINER);
}

int cmd_inspect(const struct fe_opts *o, int argc, char **argv)
{
	return inspect_main(o, argc, argv, INSPECT_ANY);
}

/* ------------------------------------------------------------------------ tag, untag, rmi */

enum { T_HELP };
static const struct fe_opt help_only[] = {
	[T_HELP] = { "help", 'h', false, "Help for this command" },
};

static int help_opt(int id, const char *val, void *ctx)
{
	(void)id;
	*(bool *)ctx = val == NULL;
	return 0;
}

static int tag_like(const struct fe_opts *o, int argc, char **argv, bool untag)
{
	bool help = false;
	char **pos = NULL;
	int npos = 0;
	struct ipc_msg *reply = NULL;
	const char *path = untag ? "berth untag" : "berth tag";

	if (fe_parse(path, help_only, 1, argc, argv, false, help_opt, &help, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (help) {
		free(pos);
		fe_usage(untag ? "berth untag IMAGE [IMAGE...]" : "berth tag IMAGE TARGET_NAME "
								  "[TARGET_NAME...]",
			 untag ? "Remove a name from a local image" : "Add an additional name to a "
								      "local image",
			 help_only, 1);
		return 0;
	}
	if (npos < (untag ? 1 : 2)) {
		free(pos);
		fe_error("%s", untag ? "requires at least 1 arg(s), only received 0"
				     : "at least two arguments are required");
		return EXIT_BERTH;
	}
	struct msg_tag req = { .image = pos[0], .names = pos + 1, .n_names = (size_t)npos - 1 };
	int rc = fe_request(o, untag ? MSG_UNTAG : MSG_TAG, &req, MSG_OK, &reply) < 0 ? EXIT_BERTH : 0;
	ipc_msg_free(reply);
	free(pos);
	return rc;
}

int cmd_tag(const struct fe_opts *o, int argc, char **argv)
{
	return tag_like(o, argc, argv, false);
}

int cmd_untag(const struct fe_opts *o, int argc, char **argv)
{
	return tag_like(o, argc, argv, true);
}

enum { R_ALL, R_FORCE, R_HELP };
static const struct fe_opt rmi_opts[] = {
	[R_ALL] = { "all", 'a', false, "Remove all images" },
	[R_FORCE] = { "force", 'f', false, "Force removal of the image" },
	[R_HELP] = { "help", 'h', false, "Help for rmi" },
};

static int rmi_opt(int id, const char *val, void *ctx)
{
	struct msg_rmi *r = ctx;
	if (id == R_ALL)
		r->all = val == NULL;
	else if (id == R_FORCE)
		r->force = val == NULL;
	else
		r->names = val == NULL ? (char **)1 : NULL; /* help marker, replaced below */
	return 0;
}

int cmd_rmi(const struct fe_opts *o, int argc, char **argv)
{
	struct msg_rmi req = { 0 };
	char **pos = NULL;
	int npos = 0;
	struct ipc_msg *reply = NULL;
	const struct msg_rmi_reply *r;
	int rc = 0;

	if (fe_parse("berth rmi", rmi_opts, ARRAY_SIZE(rmi_opts), argc, argv, false, rmi_opt, &req,
		     &pos, &npos) < 0)
		return EXIT_BERTH;
	if (req.names != NULL) {
		free(pos);
		fe_usage("berth rmi [options] IMAGE [IMAGE...]", "Remove one or more images from "
								  "local storage",
			 rmi_opts, ARRAY_SIZE(rmi_opts));
		return 0;
	}
	if (npos == 0 && !req.all) {
		free(pos);
		fe_error("image name or ID must be specified");
		return EXIT_BERTH;
	}
	if (npos > 0 && req.all) {
		free(pos);
		fe_error("when using the --all switch, you may not pass any images names or IDs");
		return EXIT_BERTH;
	}
	req.names = pos;
	req.n_names = (size_t)npos;
	if (fe_request(o, MSG_RMI, &req, MSG_RMI_REPLY, &reply) < 0) {
		free(pos);
		return EXIT_BERTH;
	}
	free(pos);
	r = reply->body;
	for (size_t i = 0; i < r->n_untagged; i++)
		printf("Untagged: %s\n", r->untagged[i]);
	for (size_t i = 0; i < r->n_deleted; i++)
		printf("Deleted: %s\n", r->deleted[i]);
	/* Podman: exit 1 when an image did not exist and nothing else failed. */
	for (size_t i = 0; i < r->n_missing; i++) {
		fe_error("%s: image not known", r->missing[i]);
		rc = 1;
	}
	ipc_msg_free(reply);
	return rc;
}

/* ------------------------------------------------------------------------------- image */

int cmd_image(const struct fe_opts *o, int argc, char **argv)
{
	static const struct fe_sub subs[] = {
		{ "ls", cmd_images }, { "list", cmd_images }, { "inspect", cmd_image_inspect },
		{ "pull", cmd_pull }, { "rm", cmd_rmi }, { "tag", cmd_tag }, { "untag", cmd_untag },
		{ "history", cmd_history }, { "prune", cmd_image_prune }, { "push", cmd_push },
		{ "trust", cmd_image_trust }, { "sign", cmd_image_sign },
		{ "load", cmd_load }, { "import", cmd_import },
		{ "save", cmd_save },
	};

	return fe_subcommand(o, "image", "Manage images", subs, ARRAY_SIZE(subs), argc, argv);
}

/* ------------------------------------------------------------------------------------ push */

enum { U_TLS, U_CREDS, U_AUTHFILE, U_CERTDIR, U_QUIET, U_SIGNBY, U_SIGSTORE, U_SIGNPASS,
       U_HELP2 };
static const struct fe_opt push_opts[] = {
	[U_TLS] = { "tls-verify", 0, false, "Require HTTPS and verify certificates (default true)" },
	[U_CREDS] = { "creds", 0, true, "Use USERNAME:PASSWORD for accessing the registry" },
	[U_AUTHFILE] = { "authfile", 0, true, "Path of the authentication file" },
	[U_CERTDIR] = { "cert-dir", 0, true, "Use certificates at the specified path to access "
					     "the registry" },
	[U_QUIET] = { "quiet", 'q', false, "Suppress output information when pushing images" },
	[U_SIGNBY] = { "sign-by", 0, true, "Add a signature at the destination using the "
					   "specified key" },
	[U_SIGSTORE] = { "sign-by-sigstore-private-key", 0, true, "Sign the image using a "
								  "sigstore private key at PATH" },
	[U_SIGNPASS] = { "sign-passphrase-file", 0, true, "Read a passphrase for signing an "
							  "image from PATH" },
	[U_HELP2] = { "help", 'h', false, "Help for push" },
};

struct push_ctx {
	struct msg_push req;
	const char *passphrase_file;
	const char *sigstore_key;
	bool help;
};

static int push_opt(int id, const char *val, void *ctx)
{
	struct push_ctx *c = ctx;

	switch (id) {
	case U_TLS:
		c->req.tls_verify = val == NULL ? TRI_TRUE : TRI_FALSE;
		break;
	case U_CREDS:
		c->req.creds = (char *)val;
		break;
	case U_CERTDIR:
		if (val[0] != '/') {
			fe_error("--cert-dir must be an absolute path");
			return -1;
		}
		c->req.cert_dir = (char *)val;
		break;
	case U_QUIET:
		c->req.quiet = val == NULL;
		break;
	case U_AUTHFILE:
		if (val[0] != '/') {
			fe_error("--authfile must be an absolute path");
			return -1;
		}
		c->req.authfile = (char *)val;
		break;
	case U_SIGNBY:
		c->req.sign_by = (char *)val;
		break;
	case U_SIGNPASS:
		c->passphrase_file = val;
		break;
	case U_SIGSTORE:
		c->sigstore_key = val;
		break;
	default:
		c->help = val == NULL;
	}
	return 0;
}

int cmd_push(const struct fe_opts *o, int argc, char **argv)
{
	struct push_ctx c = { 0 };
	char **pos = NULL, home[PATH_MAX];
	int npos = 0;
	struct ipc_msg *reply = NULL;

	if (fe_parse("berth push", push_opts, ARRAY_SIZE(push_opts), argc, argv, false, push_opt,
		     &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth push [options] IMAGE [DESTINATION]",
			 "Push an image to a specified destination", push_opts,
			 ARRAY_SIZE(push_opts));
		return 0;
	}
	if (npos < 1 || npos > 2) {
		free(pos);
		fe_error("requires at least 1 arg(s) and accepts at most 2, received %d", npos);
		return EXIT_BERTH;
	}
	if (c.passphrase_file != NULL && c.req.sign_by == NULL && c.sigstore_key == NULL) {
		free(pos);
		fe_error("--sign-passphrase-file is only used with --sign-by or "
			 "--sign-by-sigstore-private-key");
		return EXIT_BERTH;
	}
	if (c.req.sign_by != NULL && c.sigstore_key != NULL) {
		free(pos);
		fe_error("only one of --sign-by and --sign-by-sigstore-private-key can be used");
		return EXIT_BERTH;
	}
	if (c.req.sign_by != NULL) {
		if (fe_gnupghome(home, sizeof(home)) < 0) {
			free(pos);
			return EXIT_BERTH;
		}
		c.req.gnupghome = home;
	}
	/* Read here, as the user (its own permissions apply), and sent in memory: the broker
	 * never opens the user's key or passphrase files. */
	if (c.sigstore_key != NULL &&
	    fe_read_secret_file(c.sigstore_key, "--sign-by-sigstore-private-key",
				&c.req.sigstore_key) < 0) {
		free(pos);
		return EXIT_BERTH;
	}
	c.req.sigstore_key_path = (char *)c.sigstore_key;
	if (c.passphrase_file != NULL &&
	    (c.req.sign_passphrase = fe_read_passphrase(c.passphrase_file)) == NULL) {
		fe_wipe_bin(&c.req.sigstore_key);
		free(pos);
		return EXIT_BERTH;
	}
	if (c.req.authfile == NULL)
		c.req.authfile = (char *)o->authfile;
	c.req.source = pos[0];
	c.req.destination = npos == 2 ? pos[1] : NULL;
	int rc = fe_request(o, MSG_PUSH, &c.req, MSG_OK, &reply) < 0 ? EXIT_BERTH : 0;
	fe_wipe_free(c.req.sign_passphrase);
	fe_wipe_bin(&c.req.sigstore_key);
	ipc_msg_free(reply);
	free(pos);
	return rc;
}
