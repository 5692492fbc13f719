/* `berth image trust show`: the image trust policy as Podman prints it. The broker reads
 * policy.json and registries.d (trusted configuration, broker/trustcmd.h) and answers with
 * one row per requirement; --raw prints the file the broker read, from the fd it sent. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/xio.h"
#include "frontend/frontend.h"
#include "frontend/output.h"
#include "ipc/msg.h"

enum { T_JSON, T_RAW, T_NOHEADING, T_POLICYPATH, T_REGISTRYPATH, T_HELP };
static const struct fe_opt show_opts[] = {
	[T_JSON] = { "json", 'j', false, "Output as json" },
	[T_RAW] = { "raw", 0, false, "Output raw policy file" },
	[T_NOHEADING] = { "noheading", 'n', false, "Do not print column headings" },
	[T_POLICYPATH] = { "policypath", 0, true, "Path of the policy.json to show" },
	[T_REGISTRYPATH] = { "registrypath", 0, true, "Path of the registries.d directory" },
	[T_HELP] = { "help", 'h', false, "Help for show" },
};

struct show_ctx {
	bool json, raw, noheading, help;
	const char *policypath, *registrypath;
};

static int show_opt(int id, const char *val, void *ctx)
{
	struct show_ctx *c = ctx;
	bool on = val == NULL;

	switch (id) {
	case T_JSON: c->json = on; break;
	case T_RAW: c->raw = on; break;
	case T_NOHEADING: c->noheading = on; break;
	case T_POLICYPATH: c->policypath = val; break;
	case T_REGISTRYPATH: c->registrypath = val; break;
	default: c->help = on; break;
	}
	return 0;
}

/* A path the user named, made absolute and clean for the broker: it must exist. *out is
 * heap-allocated. */
static int resolve(const char *path, const char *flag, char **out)
{
	*out = realpath(path, NULL);
	if (*out == NULL) {
		fe_error("%s %s: %s", flag, path, strerror(errno));
		return -1;
	}
	return 0;
}

int fe_signature_policy(const struct fe_opts *o, char **out)
{
	*out = NULL;
	if (o->signature_policy[0] == '\0')
		return 0;
	return resolve(o->signature_policy, "--signature-policy", out);
}

static const char *header_of(const char *field)
{
	static const struct {
		const char *field, *title;
	} h[] = {
		{ "Transport", "TRANSPORT" }, { "RepoName", "NAME" }, { "Type", "TYPE" },
		{ "GPGId", "ID" }, { "SignatureStore", "STORE" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		if (strcmp(field, h[i].field) == 0)
			return h[i].title;
	return field;
}

/* Podman's JSON (pkg/trust Policy): empty fields left out. */
static json_t *entry_json(const struct msg_trust_entry *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "transport", json_string(t->transport));
	if (t->name[0] != '\0')
		json_object_set_new(o, "name", json_string(t->name));
	if (t->repo_name[0] != '\0')
		json_object_set_new(o, "repo_name", json_string(t->repo_name));
	if (t->n_keys > 0) {
		json_t *k = json_array();
		for (size_t i = 0; i < t->n_keys; i++)
			json_array_append_new(k, json_string(t->keys[i]));
		json_object_set_new(o, "keys", k);
	}
	if (t->sigstore[0] != '\0')
		json_object_set_new(o, "sigstore", json_string(t->sigstore));
	json_object_set_new(o, "type", json_string(t->type));
	if (t->gpg_id[0] != '\0')
		json_object_set_new(o, "gpg_id", json_string(t->gpg_id));
	return o;
}

static int print_raw(int fd)
{
	struct berr e = { 0 };

	if (fd < 0) {
		fe_error("berth-broker sent no policy file");
		return EXIT_BERTH;
	}
	if (xcopy_fd(fd, STDOUT_FILENO, &e) < 0) {
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	/* Podman prints the file and a newline. */
	if (xwrite_all(STDOUT_FILENO, "\n", 1, &e) < 0)
		return EXIT_BERTH;
	return 0;
}

static int cmd_trust_show(const struct fe_opts *o, int argc, char **argv)
{
	struct show_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0, rc = 0;
	struct ipc_msg *reply = NULL;
	cleanup_free char *policy = NULL, *regd = NULL;

	if (fe_parse("berth image trust show", show_opts, ARRAY_SIZE(show_opts), argc, argv, false,
		     show_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	free(pos);
	if (c.help) {
		fe_usage("berth image trust show [options] [REGISTRY]",
			 "Display trust policy for the system", show_opts, ARRAY_SIZE(show_opts));
		return 0;
	}
	if (npos > 1) {
		fe_error("accepts at most 1 arg(s), received %d", npos);
		return EXIT_BERTH;
	}
	/* --policypath wins over the global --signature-policy, as it is the nearer flag. */
	const char *pp = c.policypath != NULL ? c.policypath :
			 o->signature_policy[0] != '\0' ? o->signature_policy : NULL;
	if ((pp != NULL && resolve(pp, c.policypath != NULL ? "--policypath" :
				   "--signature-policy", &policy) < 0) ||
	    (c.registrypath != NULL && resolve(c.registrypath, "--registrypath", &regd) < 0))
		return EXIT_BERTH;
	struct msg_trust_show req = { .policy_path = policy, .registries_d = regd, .raw = c.raw };
	if (fe_request(o, MSG_TRUST_SHOW, &req, MSG_TRUST_SHOW_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_trust_show_reply *r = reply->body;
	if (c.raw) {
		rc = print_raw(reply->nfds > 0 ? reply->fds[0] : -1);
		ipc_msg_free(reply);
		return rc;
	}
	if (r->policy_path[0] == '\0')
		fprintf(stderr, "Warning: no image trust policy (policy.json) was found: berth "
			"accepts every image\n");
	json_t *rows = json_array();
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct msg_trust_entry *t = &r->entries[i];
		if (c.json)
			json_array_append_new(rows, entry_json(t));
		else
			json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s}", "Transport",
							      t->transport, "RepoName", t->repo_name,
							      "Type", t->type, "GPGId", t->gpg_id,
							      "SignatureStore", t->sigstore));
	}
	/* Podman indents this one with two spaces. */
	if (c.json)
		rc = json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
				     putchar('\n') == EOF ? EXIT_BERTH : 0;
	else if (out_rows(NULL, "{{.Transport}}\\t{{.RepoName}}\\t{{.Type}}\\t{{.GPGId}}\\t"
			  "{{.SignatureStore}}", c.noheading, rows, header_of) < 0)
		rc = EXIT_BERTH;
	json_decref(rows);
	ipc_msg_free(reply);
	return rc;
}

enum { S_TYPE, S_PUBKEYSFILE, S_POLICYPATH, S_HELP };
static const struct fe_opt set_opts[] = {
	[S_TYPE] = { "type", 't', true, "Trust type, accept values: signedBy(default), accept, "
				       "reject, sigstoreSigned" },
	[S_PUBKEYSFILE] = { "pubkeysfile", 'f', true, "Path of installed public key(s) to trust "
						      "for TARGET" },
	[S_POLICYPATH] = { "policypath", 0, true, "Path of the policy.json to change" },
	[S_HELP] = { "help", 'h', false, "Help for set" },
};

#define SET_KEYS_MAX 16

struct set_ctx {
	const char *type, *policypath;
	char *keys[SET_KEYS_MAX]; /* owned: absolute paths */
	size_t n_keys;
	bool help;
};

static int set_opt(int id, const char *val, void *ctx)
{
	struct set_ctx *c = ctx;

	switch (id) {
	case S_TYPE:
		c->type = val;
		return 0;
	case S_PUBKEYSFILE:
		if (c->n_keys == SET_KEYS_MAX) {
			fe_error("at most %d public key files", SET_KEYS_MAX);
			return -1;
		}
		/* policy.json holds absolute paths: the broker has no working directory of the
		 * user's, and a key that is not there would fail every pull later. */
		return resolve(val, "--pubkeysfile", &c->keys[c->n_keys++]);
	case S_POLICYPATH:
		c->policypath = val;
		return 0;
	default:
		c->help = val == NULL;
		return 0;
	}
}

static int cmd_trust_set(const struct fe_opts *o, int argc, char **argv)
{
	static const char *const types[] = { "accept", "insecureAcceptAnything", "reject",
					     "signedBy", "sigstoreSigned" };
	struct set_ctx c = { .type = "signedBy" };
	char **pos = NULL;
	int npos = 0, rc = EXIT_BERTH;
	struct ipc_msg *reply = NULL;
	cleanup_free char *policy = NULL;
	size_t i;

	if (fe_parse("berth image trust set", set_opts, ARRAY_SIZE(set_opts), argc, argv, false,
		     set_opt, &c, &pos, &npos) < 0)
		goto out;
	if (c.help) {
		fe_usage("berth image trust set [options] REGISTRY",
			 "Set default trust policy or a new trust policy for a registry", set_opts,
			 ARRAY_SIZE(set_opts));
		rc = 0;
		goto out;
	}
	if (npos != 1) {
		fe_error("accepts 1 arg(s), received %d", npos);
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(c.type, types[i]) == 0)
			break;
	if (i == ARRAY_SIZE(types)) {
		fe_error("invalid choice: %s (choose from 'accept', 'reject', 'signedBy', "
			 "'sigstoreSigned')", c.type);
		goto out;
	}
	const char *pp = c.policypath != NULL ? c.policypath :
			 o->signature_policy[0] != '\0' ? o->signature_policy : NULL;
	if (pp != NULL) {
		/* The file may not exist yet; its directory must. */
		cleanup_free char *dir = strdup(pp), *rdir = NULL;
		const char *base = strrchr(pp, '/') != NULL ? strrchr(pp, '/') + 1 : pp;
		char *slash = dir != NULL ? strrchr(dir, '/') : NULL;
		if (dir == NULL || base[0] == '\0' || strcmp(base, ".") == 0 ||
		    strcmp(base, "..") == 0) {
			fe_error("--policypath %s is not a file name", pp);
			goto out;
		}
		if (slash != NULL)
			slash[slash == dir ? 1 : 0] = '\0';
		if (resolve(slash != NULL ? dir : ".", "--policypath", &rdir) < 0)
			goto out;
		if (asprintf(&policy, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir, base) < 0) {
			policy = NULL;
			fe_error("out of memory");
			goto out;
		}
	}
	struct msg_trust_set req = { .policy_path = policy, .scope = pos[0],
				     .trust_type = (char *)c.type, .keys = c.keys,
				     .n_keys = c.n_keys };
	if (fe_request(o, MSG_TRUST_SET, &req, MSG_OK, &reply) < 0)
		goto out;
	ipc_msg_free(reply);
	rc = 0;
out:
	for (i = 0; i < c.n_keys; i++)
		free(c.keys[i]);
	free(pos);
	return rc;
}

int cmd_image_trust(const struct fe_opts *o, int argc, char **argv)
{
	static const struct fe_sub subs[] = {
		{ "set", cmd_trust_set },
		{ "show", cmd_trust_show },
	};

	return fe_subcommand(o, "image trust", "Manage container image trust policy", subs,
			     ARRAY_SIZE(subs), argc, argv);
}
