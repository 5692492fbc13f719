/* Reading the trust configuration and `image trust show`; the order and the reasons are in
 * trustcmd.h. */
#include "broker/trustcmd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "broker/wk.h"
#include "common/xio.h"
#include "ipc/msg.h"

static bool exists(const char *path)
{
	return faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0;
}

/* Reads a whole configuration file (common/xio.h): 1 when it does not exist, 0 with *buf
 * (owned, NUL-terminated) and, when fd is not NULL, the open file in *fd, or -1 with *e set. */
static int read_conf(const char *path, size_t max, char **buf, size_t *len, int *fd,
		     struct berr *e)
{
	struct berr why = { 0 };

	if (xread_regular_file_at(AT_FDCWD, path, max, buf, len, fd, &why) == 0)
		return 0;
	if (why.sys_errno == ENOENT && why.code == BERR_SYSTEM)
		return 1;
	*e = why;
	return -1;
}

int trust_load_policy(const struct broker_cfg *cfg, const char *override, char *path,
		      size_t pathlen, struct trust_policy **out, int *fd, struct berr *e)
{
	const char *home = cfg->rootless && cfg->home[0] != '\0' ? cfg->home : NULL;
	bool named = override != NULL && override[0] != '\0';
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (fd != NULL)
		*fd = -1;
	if (trust_policy_path(override, home, exists, path, pathlen) < 0)
		return berr_set(e, BERR_INVALID, 0, "the policy.json path is too long");
	log_debug("Using trust policy \"%s\"", path);
	rc = read_conf(path, TRUST_POLICY_MAX, &buf, &len, fd, e);
	if (rc == 1) {
		if (named) {
			errno = ENOENT;
			return berr_sys(e, "open %s", path);
		}
		path[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return berr_wrap(e, "reading the image trust policy");
	*out = trust_policy_parse(buf, len, path, e);
	if (*out == NULL) {
		if (fd != NULL && *fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		return berr_wrap(e, "reading the image trust policy");
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define REGD_TIMEOUT_MS (30 * 1000)

static char *dup_or_null(const char *s, bool *nomem)
{
	char *d = s != NULL ? strdup(s) : NULL;
	if (s != NULL && d == NULL)
		*nomem = true;
	return d;
}

/* berth-verify's entries for one file, as a struct regd_file checked against the rules again
 * (a worker's reply is evidence, not truth), then merged. */
static int merge_reply(struct regd *r, const struct msg_v_regd_reply *rep, const char *path,
		       struct berr *e)
{
	struct regd_file f = { 0 };
	bool nomem = false;
	size_t defaults = 0;

	f.scopes = calloc(rep->n_entries + 1, sizeof(*f.scopes));
	if (f.scopes == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < rep->n_entries; i++) {
		const struct msg_regd_entry *x = &rep->entries[i];
		struct regd_ns *ns;

		if (x->is_default != (x->scope == NULL) || (x->is_default && ++defaults > 1)) {
			regd_file_clear(&f);
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify's entries for %s are "
					"malformed", path);
		}
		if (x->is_default) {
			f.has_default = true;
			ns = &f.def;
		} else {
			f.scopes[f.n_scopes].name = dup_or_null(x->scope, &nomem);
			ns = &f.scopes[f.n_scopes++].ns;
		}
		ns->lookaside = dup_or_null(x->lookaside, &nomem);
		ns->lookaside_staging = dup_or_null(x->lookaside_staging, &nomem);
		ns->sigstore = dup_or_null(x->sigstore, &nomem);
		ns->sigstore_staging = dup_or_null(x->sigstore_staging, &nomem);
		ns->use_sigstore_attachments = x->use_sigstore_attachments < -1 ||
			x->use_sigstore_attachments > 1 ? 2 : (int)x->use_sigstore_attachments;
	}
	if (!f.has_default)
		f.def.use_sigstore_attachments = -1;
	if (nomem) {
		regd_file_clear(&f);
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	if (regd_file_check(&f, path, e) < 0) {
		regd_file_clear(&f);
		e->code = BERR_PROTOCOL;
		return berr_wrap(e, "berth-verify's answer");
	}
	return regd_merge(r, &f, path, e);
}

/* The "*.yaml" regular files of dir, sorted, each parsed by berth-verify (*w, spawned on first
 * use) and merged in. A missing directory is empty. */
static int add_regd_dir(struct broker *b, struct wk **w, struct regd *r, const char *dir,
			bool must_exist, struct berr *e)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (d == NULL) {
		if ((errno == ENOENT || errno == ENOTDIR) && !must_exist)
			return 0;
		return berr_sys(e, "reading registries.d: opendir %s", dir);
	}
	names = calloc(TRUST_REGD_FILES_MAX, sizeof(*names));
	if (names == NULL)
		rc = berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (struct dirent *de; rc == 0;) {
		size_t l;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = berr_sys(e, "reading registries.d: %s", dir);
			break;
		}
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		if (n == TRUST_REGD_FILES_MAX)
			rc = berr_set(e, BERR_INVALID, 0, "reading registries.d: more than %d files "
				      "in %s", TRUST_REGD_FILES_MAX, dir);
		else if ((names[n++] = strdup(de->d_name)) == NULL)
			rc = berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		cleanup_free char *buf = NULL;
		cleanup_close int fd = -1;
		char path[PATH_MAX];
		size_t len = 0;
		int r1;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			rc = berr_set(e, BERR_INVALID, 0, "path too long: %s/%s", dir, names[i]);
			break;
		}
		log_debug("Loading registries.d file \"%s\"", path);
		/* A file removed between the listing and the open is an expected race. */
		r1 = read_conf(path, REGD_FILE_MAX, &buf, &len, &fd, e);
		if (r1 == 0 && *w == NULL && (*w = wk_spawn(b, "verify", NULL, e)) == NULL)
			r1 = -1;
		if (r1 == 0) {
			struct msg_v_regd q = { .path = path };
			struct msg_v_regd_reply rep = { 0 };

			r1 = wk_call(b, *w, MSG_V_REGD, &q, &fd, 1, REGD_TIMEOUT_MS,
				     MSG_V_REGD_REPLY, &rep, NULL, e);
			if (r1 == 0)
				r1 = merge_reply(r, &rep, path, e);
			ipc_struct_free(&msg_v_regd_reply_schema, &rep);
		}
		if (r1 < 0)
			rc = berr_wrap(e, "reading registries.d");
	}
	for (size_t i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

struct regd *trust_load_regd(struct broker *b, const char *override, struct berr *e)
{
	const struct broker_cfg *cfg = &b->cfg;
	struct wk *w = NULL;
	int rc;
	const char *home = cfg->rootless && cfg->home[0] != '\0' ? cfg->home : NULL;
	bool named = override != NULL && override[0] != '\0';
	char dir[PATH_MAX];
	struct regd *r;

	if (named) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s", override) >= sizeof(dir))
			return berr_set(e, BERR_INVALID, 0, "the registries.d path is too long"), NULL;
	} else if (regd_dir(home, exists, dir, sizeof(dir)) < 0) {
		return berr_set(e, BERR_INVALID, 0, "the registries.d path is too long"), NULL;
	}
	r = regd_new(e);
	if (r == NULL)
		return NULL;
	rc = add_regd_dir(b, &w, r, dir, named, e);
	if (w != NULL)
		wk_finish(b, w, 5000);
	if (rc < 0) {
		regd_free(r);
		return NULL;
	}
	return r;
}

/* ------------------------------------------------------------------ trust show */

/* Podman's words for the requirement types (pkg/trust). */
static const char *type_desc(enum trust_req_type t)
{
	switch (t) {
	case TRUST_ACCEPT: return "accept";
	case TRUST_REJECT: return "reject";
	case TRUST_SIGNED_BY: return "signed";
	case TRUST_SIGSTORE_SIGNED: return "sigstoreSigned";
	}
	return "";
}

/* One row per requirement, as Podman's descriptionsOfPolicyRequirements. Strings point into
 * the policy and the registries.d configuration, which outlive the reply. */
static int add_rows(struct msg_trust_show_reply *rep, size_t max, const char *transport,
		    const char *name, const char *repo_name, const char *lookaside,
		    const struct trust_req *reqs, size_t n, const struct trust_req **src,
		    struct berr *e)
{
	static char *keydata[] = { (char *)"keyData" };

	for (size_t i = 0; i < n; i++) {
		struct msg_trust_entry *t;

		if (rep->n_entries == max)
			return berr_set(e, BERR_INVALID, 0, "the trust policy has more than %zu "
					"requirements to show", max);
		src[rep->n_entries] = &reqs[i];
		t = &rep->entries[rep->n_entries++];
		t->transport = (char *)transport;
		t->name = (char *)name;
		t->repo_name = (char *)repo_name;
		t->type = (char *)type_desc(reqs[i].type);
		if (reqs[i].key_source == TRUST_KEYS_DATA) {
			t->keys = keydata;
			t->n_keys = 1;
		} else {
			t->keys = reqs[i].key_paths;
			t->n_keys = reqs[i].n_key_paths;
		}
		/* signedBy: filled in by gpg_ids(). */
		t->gpg_id = (char *)(reqs[i].type == TRUST_SIGSTORE_SIGNED ? "N/A" : "");
		t->sigstore = (char *)(lookaside != NULL ? lookaside : "");
	}
	return 0;
}

#define TRUST_SHOW_MAX 512 /* the reply schema's limit */
#define KEY_UIDS_TIMEOUT_MS 10000

/* One key of a signedBy row: a file the policy names, or its inline keyData. */
struct keyref {
	size_t row;
	const char *path;          /* NULL for keyData */
	const struct trust_req *req;
};

/* Adds "a, b" to the row's ID text (Podman joins the IDs of all a row's keys with ", "). */
static void add_ids(char *ids, const struct msg_key_uids *k)
{
	for (size_t j = 0; j < k->n_uids; j++) {
		size_t l = strlen(ids);
		/* Evidence, not truth: printable ASCII only, as the worker promises. */
		for (const char *c = k->uids[j]; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				return;
		snprintf(ids + l, IPC_TEXT_MAX + 1 - l, "%s%s", l > 0 ? ", " : "", k->uids[j]);
	}
}

static int key_fd(const struct keyref *k, struct berr *e)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (k->path == NULL) {
		fd = memfd_create("berth-keydata", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd < 0)
			return berr_sys(e, "memfd_create");
		if (xwrite_all(fd, k->req->key_data, k->req->key_data_len, e) < 0)
			return -1;
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
					       F_SEAL_SEAL) < 0)
			return berr_sys(e, "sealing the keyData copy");
		return TAKE_FD(fd);
	}
	fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return berr_sys(e, "open %s", k->path);
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "stat %s", k->path);
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "%s is not a regular file", k->path);
	return TAKE_FD(fd);
}

/* Fills ids[row] for every signedBy row, asking berth-verify IPC_MAX_FDS keys at a time. */
static void gpg_ids(struct broker *b, const struct keyref *keys, size_t n,
		    char (*ids)[IPC_TEXT_MAX + 1])
{
	struct wk *w = NULL;
	struct berr e = { 0 };

	for (size_t i = 0; i < n;) {
		int fds[IPC_MAX_FDS];
		size_t idx[IPC_MAX_FDS], nf = 0;
		struct msg_v_key_uids req = { 0 };
		struct msg_v_key_uids_reply rep = { 0 };

		for (; i < n && nf < IPC_MAX_FDS; i++) {
			int fd = key_fd(&keys[i], &e);
			if (fd < 0) {
				log_warn("Getting key identity of %s: %s",
					 keys[i].path != NULL ? keys[i].path : "keyData", e.msg);
				continue;
			}
			idx[nf] = i;
			fds[nf++] = fd;
		}
		if (nf == 0)
			continue;
		if (w == NULL)
			w = wk_spawn(b, "verify", NULL, &e);
		if (w == NULL || wk_call(b, w, MSG_V_KEY_UIDS, &req, fds, nf, KEY_UIDS_TIMEOUT_MS,
					 MSG_V_KEY_UIDS_REPLY, &rep, NULL, &e) < 0) {
			log_warn("Getting key identities: %s", e.msg);
		} else if (rep.n_keys != nf) {
			log_warn("Getting key identities: berth-verify answered for %zu keys, not %zu",
				 rep.n_keys, nf);
		} else {
			for (size_t k = 0; k < nf; k++) {
				const struct keyref *kr = &keys[idx[k]];
				if (rep.keys[k].error != NULL)
					log_warn("Getting key identity of %s: %s",
						 kr->path != NULL ? kr->path : "keyData",
						 rep.keys[k].error);
				else
					add_ids(ids[kr->row], &rep.keys[k]);
			}
		}
		ipc_struct_free(&msg_v_key_uids_reply_schema, &rep);
		for (size_t k = 0; k < nf; k++)
			close(fds[k]);
		if (w == NULL || b->stopping)
			break;
	}
	if (w != NULL)
		wk_release(b, w);
}

int broker_trust_show(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	static const struct trust_req accept_all = { .type = TRUST_ACCEPT };
	const struct msg_trust_show *req = m->body;
	struct msg_trust_show_reply rep = { 0 };
	struct trust_policy *p = NULL;
	struct regd *r = NULL;
	cleanup_close int fd = -1;
	char path[PATH_MAX];
	const struct trust_req **src = NULL;
	char (*ids)[IPC_TEXT_MAX + 1] = NULL;
	struct keyref *keys = NULL;
	size_t nkeys = 0, maxkeys = 0;
	int rc = -1;

	if (req->policy_path != NULL && !path_is_clean_abs(req->policy_path))
		return berr_set(e, BERR_INVALID, 0, "--signature-policy must be a clean absolute "
				"path");
	if (req->registries_d != NULL && !path_is_clean_abs(req->registries_d))
		return berr_set(e, BERR_INVALID, 0, "--registrypath must be a clean absolute path");
	if (trust_load_policy(&b->cfg, req->policy_path, path, sizeof(path), &p,
			      req->raw ? &fd : NULL, e) < 0)
		return -1;
	if (req->raw && p == NULL) {
		berr_set(e, BERR_NOTFOUND, 0, "no image trust policy: neither "
			 "$HOME/.config/containers/policy.json nor /etc/containers/policy.json "
			 "exists");
		goto out;
	}
	r = trust_load_regd(b, req->registries_d, e);
	if (r == NULL)
		goto out;
	rep.policy_path = path;
	rep.entries = calloc(TRUST_SHOW_MAX, sizeof(*rep.entries));
	src = calloc(TRUST_SHOW_MAX, sizeof(*src));
	if (rep.entries == NULL || src == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	if (p == NULL) {
		/* No policy anywhere: berth accepts, and says so as Podman would show such a
		 * policy. */
		if (add_rows(&rep, TRUST_SHOW_MAX, "all", "* (default)", "default",
			     regd_scope_lookaside(r, ""), &accept_all, 1, src, e) < 0)
			goto out;
	} else {
		size_t n;
		const struct trust_req *d = trust_policy_default(p, &n);

		if (add_rows(&rep, TRUST_SHOW_MAX, "all", "* (default)", "default",
			     regd_scope_lookaside(r, ""), d, n, src, e) < 0)
			goto out;
		for (size_t i = 0; i < trust_policy_scope_count(p); i++) {
			struct trust_scope s = trust_policy_scope_at(p, i);
			const char *tr = strcmp(s.transport, "docker") == 0 ? "repository" :
									      s.transport;

			if (add_rows(&rep, TRUST_SHOW_MAX, tr, s.scope, s.scope,
				     regd_scope_lookaside(r, s.scope), s.reqs, s.n_reqs, src,
				     e) < 0)
				goto out;
		}
	}
	/* --raw prints the file only: no IDs needed. */
	for (size_t i = 0; !req->raw && i < rep.n_entries; i++)
		if (src[i]->type == TRUST_SIGNED_BY)
			maxkeys += src[i]->key_source == TRUST_KEYS_DATA ? 1 : src[i]->n_key_paths;
	if (maxkeys > 0) {
		keys = calloc(maxkeys, sizeof(*keys));
		ids = calloc(rep.n_entries, sizeof(*ids));
		if (keys == NULL || ids == NULL) {
			berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < rep.n_entries; i++) {
			if (src[i]->type != TRUST_SIGNED_BY)
				continue;
			if (src[i]->key_source == TRUST_KEYS_DATA)
				keys[nkeys++] = (struct keyref){ i, NULL, src[i] };
			for (size_t k = 0; k < src[i]->n_key_paths; k++)
				keys[nkeys++] = (struct keyref){ i, src[i]->key_paths[k], src[i] };
		}
		gpg_ids(b, keys, nkeys, ids);
		for (size_t i = 0; i < rep.n_entries; i++)
			if (src[i]->type == TRUST_SIGNED_BY)
				rep.entries[i].gpg_id = ids[i];
	}
	rc = ipc_send(b->front, MSG_TRUST_SHOW_REPLY, m->id, &rep, req->raw ? &fd : NULL,
		      req->raw ? 1 : 0, e);
out:
	free(keys);
	free(ids);
	free(src);
	free(rep.entries);
	regd_free(r);
	trust_policy_free(p);
	return rc;
}

/* ------------------------------------------------------------------ trust set */

/* The new requirement list for req, as Podman writes it. */
static json_t *new_reqs(const struct msg_trust_set *req, struct berr *e)
{
	const char *t = strcmp(req->trust_type, "accept") == 0 ? "insecureAcceptAnything" :
								 req->trust_type;
	json_t *arr = json_array();

	if (arr == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory"), NULL;
	if (strcmp(t, "insecureAcceptAnything") == 0 || strcmp(t, "reject") == 0) {
		if (req->n_keys > 0) {
			json_decref(arr);
			return berr_set(e, BERR_INVALID, 0, "%zu public keys unexpectedly provided "
					"for trust type %s", req->n_keys, req->trust_type), NULL;
		}
		json_array_append_new(arr, json_pack("{s:s}", "type", t));
		return arr;
	}
	if (strcmp(t, "signedBy") != 0 && strcmp(t, "sigstoreSigned") != 0) {
		json_decref(arr);
		return berr_set(e, BERR_INVALID, 0, "unknown trust type \"%s\"", req->trust_type), NULL;
	}
	if (req->n_keys == 0) {
		json_decref(arr);
		return berr_set(e, BERR_INVALID, 0, "at least one public key must be defined for "
				"type '%s'", t), NULL;
	}
	for (size_t i = 0; i < req->n_keys; i++) {
		if (!path_is_clean_abs(req->keys[i])) {
			json_decref(arr);
			return berr_set(e, BERR_INVALID, 0, "the public key path \"%s\" must be a "
					"clean absolute path", req->keys[i]), NULL;
		}
		if (strcmp(t, "signedBy") == 0)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "type", t, "keyType",
							     "GPGKeys", "keyPath", req->keys[i]));
		else
			json_array_append_new(arr, json_pack("{s:s,s:s}", "type", t, "keyPath",
							     req->keys[i]));
	}
	return arr;
}

/* Puts reqs (taken) under the scope, as Podman does. */
static int put_scope(json_t *root, const char *scope, json_t *reqs, struct berr *e)
{
	json_t *tr, *scopes;
	const char *tname;

	if (strcmp(scope, "default") == 0) {
		json_object_set_new(root, "default", reqs);
		return 0;
	}
	if (!json_is_array(json_object_get(root, "default")) ||
	    json_array_size(json_object_get(root, "default")) == 0) {
		json_decref(reqs);
		return berr_set(e, BERR_INVALID, 0, "default trust policy must be set");
	}
	tr = json_object_get(root, "transports");
	if (tr == NULL) {
		tr = json_object();
		json_object_set_new(root, "transports", tr);
	}
	json_object_foreach(tr, tname, scopes) {
		if (json_is_object(scopes) && json_object_get(scopes, scope) != NULL) {
			json_object_set_new(scopes, scope, reqs);
			return 0;
		}
	}
	scopes = json_object_get(tr, "docker");
	if (scopes == NULL) {
		scopes = json_object();
		json_object_set_new(tr, "docker", scopes);
	}
	json_object_set_new(scopes, scope, reqs);
	return 0;
}

int broker_trust_set(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_trust_set *req = m->body;
	const char *home = b->cfg.rootless && b->cfg.home[0] != '\0' ? b->cfg.home : NULL;
	cleanup_free char *buf = NULL, *out = NULL;
	struct trust_policy *check;
	struct msg_ok ok = { 0 };
	char path[PATH_MAX];
	json_auto_t *root = NULL;
	json_t *reqs;
	size_t len = 0;
	int rc;

	if (req->policy_path != NULL && !path_is_clean_abs(req->policy_path))
		return berr_set(e, BERR_INVALID, 0, "--policypath must be a clean absolute path");
	if (strcmp(req->scope, "default") != 0 && (req->scope[0] == '\0' ||
						   trust_docker_scope_check(req->scope, e) < 0))
		return req->scope[0] == '\0' ?
			       berr_set(e, BERR_INVALID, 0, "invalid image scope \"\"") : -1;
	if (trust_policy_path(req->policy_path, home, exists, path, sizeof(path)) < 0)
		return berr_set(e, BERR_INVALID, 0, "the policy.json path is too long");
	rc = read_conf(path, TRUST_POLICY_MAX, &buf, &len, NULL, e);
	if (rc < 0)
		return berr_wrap(e, "reading the image trust policy");
	if (rc == 0) {
		json_error_t je;
		/* The file as it is must be one berth reads: a malformed policy is fixed by
		 * hand, not papered over. */
		check = trust_policy_parse(buf, len, path, e);
		if (check == NULL)
			return berr_wrap(e, "reading the image trust policy");
		trust_policy_free(check);
		root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	} else {
		root = json_object();
	}
	if (root == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	reqs = new_reqs(req, e);
	if (reqs == NULL || put_scope(root, req->scope, reqs, e) < 0)
		return -1;
	out = json_dumps(root, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	if (out == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	check = trust_policy_parse(out, strlen(out), path, e);
	if (check == NULL)
		return berr_wrap(e, "setting the image trust policy");
	trust_policy_free(check);
	/* Podman writes the file without a final newline; a text file gets one here. */
	len = strlen(out);
	out[len] = '\n';
	if (write_file_atomic(path, out, len + 1, 0644, e) < 0)
		return berr_wrap(e, "setting the image trust policy");
	/* The broker's umask must not make the system policy unreadable to other users. */
	if (chmod(path, 0644) < 0)
		return berr_sys(e, "chmod %s", path);
	log_debug("Wrote trust policy \"%s\"", path);
	return ipc_send(b->front, MSG_OK, m->id, &ok, NULL, 0, e);
}
