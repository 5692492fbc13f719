#include "broker/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "broker/blobs.h"
#include "broker/hostinfo.h"
#include "broker/imagecmds.h"
#include "broker/ingest.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/reference.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"

/* The tarball, read to its end (it may be a pipe), into a store temp file; its digest. */
static int take_tarball(struct ingest *in, int src, int *out, char digest[72], uint64_t *size,
			struct berr *e)
{
	char buf[64 * 1024];
	cleanup_close int fd = blobs_tmpfile(in->b->cfg.root, e);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(e, "reading the tarball");
		if (n == 0)
			break;
		if (xwrite_all(fd, buf, (size_t)n, e) < 0)
			return -1;
	}
	if (blobs_sha256_fd(fd, digest, size, e) < 0)
		return -1;
	if (*size == 0)
		return berr_set(e, BERR_INVALID, 0, "the tarball is empty");
	*out = TAKE_FD(fd);
	return 0;
}

/* The layer's media type from its first bytes; berth-unpack sniffs them again. */
static int media_type_of(int fd, const char **mt, struct berr *e)
{
	unsigned char m[6] = { 0 };
	ssize_t n = pread(fd, m, sizeof(m), 0);

	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		*mt = MT_LAYER "+gzip";
	else if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		*mt = MT_LAYER "+zstd";
	else if ((n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0) || (n >= 3 && memcmp(m, "BZh", 3) == 0))
		return berr_set(e, BERR_UNSUPPORTED, 0, "the tarball is compressed with xz or "
				"bzip2; berth imports uncompressed, gzip and zstd tarballs");
	else
		*mt = MT_LAYER;
	return 0;
}

static int add_strv(json_t *obj, const char *key, char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			return -1;
	return a != NULL ? json_object_set_new(obj, key, a) : -1;
}

/* {"KEY": "value"} from "KEY=value" items; {"item": {}} when set is false. */
static int add_map(json_t *obj, const char *key, char **v, size_t n, bool pairs, struct berr *e)
{
	json_t *m = json_object();

	if (m == NULL)
		return berr_sys(e, "allocating");
	for (size_t i = 0; i < n; i++) {
		char *eq = pairs ? strchr(v[i], '=') : NULL;
		if (pairs && (eq == NULL || eq == v[i])) {
			json_decref(m);
			return berr_set(e, BERR_INVALID, 0, "invalid label \"%.100s\": want "
					"key=value", v[i]);
		}
		cleanup_free char *k = pairs ? strndup(v[i], (size_t)(eq - v[i])) : strdup(v[i]);
		if (k == NULL || json_object_set_new(m, k, pairs ? json_string(eq + 1)
							  : json_object()) < 0) {
			json_decref(m);
			return berr_sys(e, "allocating");
		}
	}
	return json_object_set_new(obj, key, m) < 0 ? berr_sys(e, "allocating") : 0;
}

static int check_text(const char *what, const char *s, struct berr *e)
{
	for (const char *p = s; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			return berr_set(e, BERR_INVALID, 0, "%s contains control characters", what);
	return 0;
}

static json_t *image_config(const struct msg_import *r, const char *diff_id, const char *arch,
			    struct berr *e)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	json_t *cfg = json_object(), *c = json_object();
	json_t *hist;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (cfg == NULL || c == NULL)
		goto nomem;
	if ((r->n_env > 0 && add_strv(c, "Env", r->env, r->n_env) < 0) ||
	    (r->has_cmd && add_strv(c, "Cmd", r->cmd, r->n_cmd) < 0) ||
	    (r->has_entrypoint && add_strv(c, "Entrypoint", r->entrypoint, r->n_entrypoint) < 0) ||
	    (r->user != NULL && json_object_set_new(c, "User", json_string(r->user)) < 0) ||
	    (r->workdir != NULL && json_object_set_new(c, "WorkingDir", json_string(r->workdir)) < 0) ||
	    (r->stop_signal != NULL &&
	     json_object_set_new(c, "StopSignal", json_string(r->stop_signal)) < 0))
		goto nomem;
	if ((r->n_labels > 0 && add_map(c, "Labels", r->labels, r->n_labels, true, e) < 0) ||
	    (r->n_exposed > 0 && add_map(c, "ExposedPorts", r->exposed, r->n_exposed, false, e) < 0) ||
	    (r->n_volumes > 0 && add_map(c, "Volumes", r->volumes, r->n_volumes, false, e) < 0))
		goto fail;
	hist = json_pack("{s:s, s:s++}", "created", now, "created_by",
			 "/bin/sh -c #(nop) ADD file:", diff_id + 7, " in / ");
	if (hist == NULL || (r->message != NULL &&
			     json_object_set_new(hist, "comment", json_string(r->message)) < 0))
		goto nomem;
	if (json_object_set_new(cfg, "created", json_string(now)) < 0 ||
	    json_object_set_new(cfg, "architecture", json_string(arch)) < 0 ||
	    json_object_set_new(cfg, "os", json_string(r->os != NULL ? r->os : "linux")) < 0 ||
	    (r->variant != NULL && json_object_set_new(cfg, "variant", json_string(r->variant)) < 0) ||
	    json_object_set_new(cfg, "config", c) < 0 ||
	    json_object_set_new(cfg, "rootfs", json_pack("{s:s, s:[s]}", "type", "layers",
							  "diff_ids", diff_id)) < 0 ||
	    json_object_set_new(cfg, "history", json_pack("[o]", hist)) < 0) {
		c = NULL;
		goto nomem;
	}
	return cfg;
nomem:
	berr_sys(e, "writing the image config");
fail:
	json_decref(c);
	json_decref(cfg);
	return NULL;
}

/* The config into a store blob; d gets its descriptor. */
static int store_config(struct ingest *in, json_t *cfg, struct msg_descriptor *d, char digest[72],
			struct berr *e)
{
	cleanup_free char *text = json_dumps(cfg, JSON_COMPACT);
	cleanup_close int fd = -1;

	if (text == NULL)
		return berr_sys(e, "writing the image config");
	fd = memfd_create("berth-config", MFD_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (xwrite_all(fd, text, strlen(text), e) < 0 || blobs_sha256_fd(fd, digest, &d->size, e) < 0)
		return -1;
	d->digest = digest;
	d->media_type = (char *)MT_OCI_CONFIG;
	return ingest_store_blob_fd(in, fd, d, e);
}

/* Every blob is stored before ingest_image runs; being asked for one is a bug. */
static int no_config(struct ingest *in, const struct msg_descriptor *d, struct berr *e)
{
	(void)in;
	return berr_set(e, BERR_INTERNAL, 0, "import lost blob %s", d->digest);
}

static int no_layers(struct ingest *in, const struct msg_descriptor *d, const bool *want,
		     size_t n, struct berr *e)
{
	for (size_t i = 0; i < n; i++)
		if (want[i])
			return no_config(in, &d[i], e);
	return 0;
}

static int check_request(const struct msg_import *r, char *name, size_t len, struct berr *e)
{
	const char *tokens[] = { r->os, r->arch, r->variant, r->stop_signal };

	for (size_t i = 0; i < ARRAY_SIZE(tokens); i++)
		for (const char *p = tokens[i]; p != NULL && *p != '\0'; p++)
			if (*p <= ' ' || *p > '~')
				return berr_set(e, BERR_INVALID, 0, "invalid --os, --arch, --variant "
						"or STOPSIGNAL value \"%.64s\"", tokens[i]);
	if (check_text("--message", r->message, e) < 0 || check_text("USER", r->user, e) < 0 ||
	    check_text("WORKDIR", r->workdir, e) < 0)
		return -1;
	name[0] = '\0';
	if (r->reference != NULL && imagecmd_normalize_name(r->reference, name, len, e) < 0)
		return -1;
	return 0;
}

int broker_import(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_import *r = m->body;
	struct ingest in = { .b = b, .req_id = m->id, .quiet = r->quiet,
			     .src = { no_config, no_layers, NULL } };
	struct msg_descriptor layer = { 0 }, cfgd = { 0 };
	struct msg_v_manifest_reply man = { 0 };
	char name[REF_STR_MAX], layer_digest[72], cfg_digest[72], mdigest[72], diff_id[72];
	char archbuf[64], id[65];
	const char *arch = r->arch, *names[1] = { name };
	cleanup_close int tar = -1, mfd = -1;
	char key[65] = "";
	int lock = -1;
	json_t *cfg = NULL;
	struct utsname u;
	int rc = -1;

	if (m->nfds != 1 || m->fds[0] < 0)
		return berr_set(e, BERR_PROTOCOL, 0, "import without a tarball");
	if (check_request(r, name, sizeof(name), e) < 0)
		return -1;
	if (arch == NULL) {
		snprintf(archbuf, sizeof(archbuf), "%s", uname(&u) < 0 ? "amd64" : host_arch(u.machine));
		arch = archbuf;
	}
	ingest_progress(&in, "Getting image source signatures");
	in.announced = true;
	if (take_tarball(&in, m->fds[0], &tar, layer_digest, &layer.size, e) < 0 ||
	    media_type_of(tar, (const char **)&layer.media_type, e) < 0)
		goto out;
	layer.digest = layer_digest;
	ingest_progress(&in, "Copying blob %.12s", ingest_hex(layer_digest));
	if (ingest_tmp_key(b, key, &lock, e) < 0 || blobs_commit(b->cfg.root, tar, layer_digest, e) < 0)
		goto out;
	ingest_note_new_blob(&in, layer_digest);
	in.verify = wk_spawn(b, "verify", NULL, e);
	if (in.verify == NULL || ingest_preunpack(&in, &layer, key, diff_id, e) < 0)
		goto out;
	cfg = image_config(r, diff_id, arch, e);
	if (cfg == NULL)
		goto out;
	if (store_config(&in, cfg, &cfgd, cfg_digest, e) < 0 ||
	    ingest_write_manifest(&cfgd, &layer, 1, &mfd, mdigest, e) < 0 ||
	    ingest_verify_manifest(&in, mfd, "application/vnd.oci.image.manifest.v1+json", &man,
				   e) < 0 ||
	    ingest_image(&in, mfd, mdigest, &man, names, name[0] != '\0' ? 1 : 0, id, e) < 0)
		goto out;
	struct msg_pull_done done = { .image_id = id };
	rc = ipc_send(b->front, MSG_PULL_DONE, m->id, &done, NULL, 0, e);
out:
	if (rc < 0)
		ingest_forget_new_blobs(&in);
	ingest_free(&in);
	if (key[0] != '\0')
		ingest_tmp_key_release(b, key, lock);
	if (in.verify != NULL)
		wk_release(b, in.verify);
	json_decref(cfg);
	ipc_struct_free(&msg_v_manifest_reply_schema, &man);
	return rc;
}
