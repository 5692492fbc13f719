#include "broker/ingest.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "broker/blobs.h"
#include "broker/hostinfo.h"
#include "broker/imgstore.h"
#include "broker/locks.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/rmtree.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define META_TIMEOUT_MS (120 * 1000)
#define UNPACK_TIMEOUT_MS (30 * 60 * 1000)
/* 2^53, the largest size a JSON number carries exactly; also keeps bomb_limit from wrapping. */
#define DESCRIPTOR_SIZE_MAX (1ULL << 53)
#define UNPACK_MAX_ENTRIES 1000000u

static const char *const manifest_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
};

void ingest_progress(struct ingest *in, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (in->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	broker_progress(in->b, in->req_id, "%s", line);
}

const char *ingest_hex(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c != NULL ? c + 1 : digest;
}

void ingest_note_new_blob(struct ingest *in, const char *digest)
{
	char **nv = realloc(in->new_blobs, (in->n_new_blobs + 1) * sizeof(char *));
	if (nv == NULL)
		return;
	in->new_blobs = nv;
	nv[in->n_new_blobs] = strdup(digest);
	if (nv[in->n_new_blobs] != NULL)
		in->n_new_blobs++;
}

void ingest_forget_new_blobs(struct ingest *in)
{
	for (size_t i = 0; i < in->n_new_blobs; i++) {
		struct berr e2 = { 0 };
		if (!imgstore_blob_used(in->b->db, in->new_blobs[i]))
			(void)blobs_remove(in->b->cfg.root, in->new_blobs[i], &e2);
		free(in->new_blobs[i]);
	}
	in->n_new_blobs = 0;
}

static void unpack_discard(struct ingest *in, const char *tmpname)
{
	char dir[4300];
	int fd;

	snprintf(dir, sizeof(dir), "%s/layers", in->b->cfg.root);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)rmtree_at(fd, tmpname, NULL);
		close(fd);
	}
}

void ingest_free(struct ingest *in)
{
	if (in->pre.tmpname[0] != '\0')
		unpack_discard(in, in->pre.tmpname);
	in->pre.tmpname[0] = '\0';
	for (size_t i = 0; i < in->n_new_blobs; i++)
		free(in->new_blobs[i]);
	free(in->new_blobs);
	in->new_blobs = NULL;
	in->n_new_blobs = 0;
}

int ingest_store_blob_fd(struct ingest *in, int fd, const struct msg_descriptor *d,
			 struct berr *e)
{
	cleanup_close int copy = -1;
	uint64_t size;

	if (blobs_exists(in->b->cfg.root, d->digest))
		return 0;
	/* The copy is the broker's own file: hashing it, not the source, means nothing can change
	 * the bytes between the check and the link. */
	copy = blobs_tmpfile(in->b->cfg.root, e);
	if (copy < 0 || xcopy_fd(fd, copy, e) < 0 || blobs_verify_fd(copy, d->digest, &size, e) < 0)
		return -1;
	if (size != d->size)
		return berr_set(e, BERR_INVALID, 0, "blob %s is %llu bytes, the manifest says %llu",
				d->digest, (unsigned long long)size, (unsigned long long)d->size);
	if (blobs_commit(in->b->cfg.root, copy, d->digest, e) < 0)
		return -1;
	ingest_note_new_blob(in, d->digest);
	return 0;
}

int ingest_verify_manifest(struct ingest *in, int fd, const char *media_type,
			   struct msg_v_manifest_reply *out, struct berr *e)
{
	struct msg_v_manifest req = { .media_type = (char *)media_type };

	memset(out, 0, sizeof(*out));
	if (wk_call(in->b, in->verify, MSG_V_MANIFEST, &req, &fd, 1, META_TIMEOUT_MS,
		    MSG_V_MANIFEST_REPLY, out, NULL, e) < 0)
		return -1;
	/* Evidence, checked again: kinds, media types, digests, sizes, counts. The media type is
	 * stored with the image and sent back as Content-Type on push; a size bounds a download
	 * and the unpacker's bomb limit. */
	bool index = out->kind == MANIFEST_INDEX;
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(manifest_types); i++)
		if (strcmp(out->media_type, manifest_types[i]) == 0 &&
		    index == (strstr(manifest_types[i], "index") != NULL ||
			      strstr(manifest_types[i], "list") != NULL))
			known = true;
	if (!known)
		return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a media type that does not "
				"fit the manifest kind");
	const struct msg_descriptor *lists[] = { out->config, out->layers, out->manifests };
	const size_t counts[] = { out->n_config, out->n_layers, out->n_manifests };
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (lists[l][i].size > DESCRIPTOR_SIZE_MAX)
				return berr_set(e, BERR_INVALID, 0, "the manifest names a blob of %llu "
						"bytes, more than berth accepts",
						(unsigned long long)lists[l][i].size);
	if (out->kind == MANIFEST_IMAGE) {
		if (out->n_config != 1 || out->n_manifests != 0)
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent an inconsistent "
					"manifest summary");
		if (!ipc_digest_valid(out->config[0].digest))
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a bad digest");
		for (size_t i = 0; i < out->n_layers; i++)
			if (!ipc_digest_valid(out->layers[i].digest))
				return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a bad digest");
	} else if (out->kind == MANIFEST_INDEX) {
		if (out->n_config != 0 || out->n_layers != 0)
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent an inconsistent "
					"index summary");
		for (size_t i = 0; i < out->n_manifests; i++)
			if (!ipc_digest_valid(out->manifests[i].digest))
				return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a bad digest");
	} else {
		return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent an unknown manifest kind");
	}
	return 0;
}

int ingest_choose_platform(struct ingest *in, const struct msg_v_manifest_reply *idx,
			   const char *where, const struct msg_descriptor **out, struct berr *e)
{
	char archbuf[64];
	struct utsname u;
	const char *os = in->os != NULL ? in->os : "linux";
	const char *arch = in->arch;
	const char *variant = in->variant;

	if (arch == NULL) {
		snprintf(archbuf, sizeof(archbuf), "%s", uname(&u) < 0 ? "amd64" : host_arch(u.machine));
		arch = archbuf;
	}
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct msg_descriptor *d = &idx->manifests[i];
		if (d->os == NULL || d->architecture == NULL || strcmp(d->os, os) != 0 ||
		    strcmp(d->architecture, arch) != 0)
			continue;
		if (variant != NULL && (d->variant == NULL || strcmp(d->variant, variant) != 0))
			continue;
		*out = d;
		return 0;
	}
	return berr_set(e, BERR_NOTFOUND, 0,
			"choosing an image from manifest list %s: no image found in manifest list "
			"for architecture %s, variant \"%s\", OS %s", where, arch,
			variant != NULL ? variant : "", os);
}

static int verify_config(struct ingest *in, const char *digest, struct msg_v_config_reply *out,
			 struct berr *e)
{
	struct msg_v_config req = { 0 };
	cleanup_close int fd = blobs_open(in->b->cfg.root, digest, e);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	if (wk_call(in->b, in->verify, MSG_V_CONFIG, &req, &fd, 1, META_TIMEOUT_MS,
		    MSG_V_CONFIG_REPLY, out, NULL, e) < 0)
		return -1;
	for (size_t i = 0; i < out->n_diff_ids; i++)
		if (!ipc_digest_valid(out->diff_ids[i]))
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a bad diff_id");
	return 0;
}

static int sha256_text(const char *text, char out[65])
{
	unsigned char md[32];
	unsigned n = 0;
	static const char hex[] = "0123456789abcdef";

	if (EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

/* OCI chain IDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
static int chain_ids(const struct msg_v_config_reply *cfg, struct image_record *rec,
		     struct berr *e)
{
	char prev[140] = "";

	for (size_t i = 0; i < cfg->n_diff_ids; i++) {
		const char *diff = cfg->diff_ids[i];
		char hex[65];
		if (strncmp(diff, "sha256:", 7) != 0)
			return berr_set(e, BERR_UNSUPPORTED, 0, "layer diff_id %s: only sha256 "
					"diff_ids are supported", diff);
		if (i == 0) {
			snprintf(hex, sizeof(hex), "%s", diff + 7);
		} else {
			char text[300];
			snprintf(text, sizeof(text), "%s %s", prev, diff);
			if (sha256_text(text, hex) < 0)
				return berr_set(e, BERR_INTERNAL, 0, "sha256 failed");
		}
		snprintf(prev, sizeof(prev), "sha256:%s", hex);
		snprintf(rec->layers[i].chain_id, sizeof(rec->layers[i].chain_id), "%s", hex);
		snprintf(rec->layers[i].diff_id, sizeof(rec->layers[i].diff_id), "%s", diff);
	}
	return 0;
}

/* A decompression-bomb limit: generous for real layers (text compresses ~10x, sparse files far
 * more), fatal for a few megabytes that claim to be terabytes. */
static uint64_t bomb_limit(uint64_t compressed)
{
	uint64_t lim = compressed * 200 + (256u << 20);
	return lim > (64ULL << 30) ? (64ULL << 30) : lim;
}

/* Unpacks blob d into a new directory layers/tmp-<key>-<pid> (the caller holds the layer lock
 * of key, so no open-time scan takes it for an orphan); *rep gets the unpacker's report. */
static int unpack_tmp(struct ingest *in, const struct msg_descriptor *d, const char *key,
		      char tmpname[160], struct msg_u_layer_reply *rep, struct berr *e)
{
	char dir[4300];
	cleanup_close int layers_fd = -1;
	cleanup_close int dfd = -1;
	cleanup_close int blob = -1;
	struct msg_u_layer req = { 0 };
	struct broker *b = in->b;
	struct wk *w;

	memset(rep, 0, sizeof(*rep));
	snprintf(dir, sizeof(dir), "%s/layers", b->cfg.root);
	layers_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers_fd < 0)
		return berr_sys(e, "opening %s", dir);
	snprintf(tmpname, 160, "tmp-%s-%d", key, (int)getpid());
	(void)rmtree_at(layers_fd, tmpname, NULL);
	if (mkdirat(layers_fd, tmpname, 0755) < 0)
		return berr_sys(e, "creating a layer directory");
	dfd = openat(layers_fd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	blob = blobs_open(b->cfg.root, d->digest, e);
	if (dfd < 0 || blob < 0) {
		if (dfd < 0)
			berr_sys(e, "opening a layer directory");
		goto fail;
	}
	w = wk_spawn_fds(b, "unpack", NULL, &dfd, 1, e);
	if (w == NULL)
		goto fail;
	req.media_type = d->media_type;
	req.rootless = b->cfg.rootless;
	req.max_bytes = bomb_limit(d->size);
	req.max_entries = UNPACK_MAX_ENTRIES;
	if (wk_call(b, w, MSG_U_LAYER, &req, &blob, 1, UNPACK_TIMEOUT_MS, MSG_U_LAYER_REPLY,
		    rep, NULL, e) < 0) {
		berr_wrap(e, "extracting layer %s", d->digest);
		wk_release(b, w);
		goto fail;
	}
	wk_release(b, w);
	if (!ipc_digest_valid(rep->diff_id)) {
		berr_set(e, BERR_PROTOCOL, 0, "berth-unpack sent a bad diff_id");
		goto fail;
	}
	if (rep->skipped > 0)
		log_warn("layer %.12s: %llu entries were not extracted (unsafe or not possible "
			 "here)", ingest_hex(d->digest), (unsigned long long)rep->skipped);
	return 0;
fail:
	ipc_struct_free(&msg_u_layer_reply_schema, rep);
	(void)rmtree_at(layers_fd, tmpname, NULL);
	return -1;
}

/* Renames an unpacked directory to the layer's chain ID (removing an orphan of that name). */
static int place_layer(struct ingest *in, const char *tmpname, const char *chain, struct berr *e)
{
	char dir[4300];
	cleanup_close int layers_fd = -1;

	snprintf(dir, sizeof(dir), "%s/layers", in->b->cfg.root);
	layers_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers_fd < 0)
		return berr_sys(e, "opening %s", dir);
	(void)rmtree_at(layers_fd, chain, NULL); /* an orphan of an interrupted command */
	if (renameat(layers_fd, tmpname, layers_fd, chain) < 0) {
		berr_sys(e, "storing layer %.12s", chain);
		(void)rmtree_at(layers_fd, tmpname, NULL);
		return -1;
	}
	return 0;
}

static int unpack_layer(struct ingest *in, const struct msg_descriptor *d,
			struct image_layer_rec *l, struct berr *e)
{
	char tmpname[160];
	struct msg_u_layer_reply rep;
	int rc = -1;

	if (unpack_tmp(in, d, l->chain_id, tmpname, &rep, e) < 0)
		return -1;
	/* The unpacker's diff_id is checked against the config the user asked for: a layer that
	 * does not match is not this image's layer. */
	if (strcmp(rep.diff_id, l->diff_id) != 0) {
		berr_set(e, BERR_INVALID, 0, "layer %s does not match the image config: its content "
			 "has diff_id %s, the config says %s", d->digest, rep.diff_id, l->diff_id);
		unpack_discard(in, tmpname);
		goto out;
	}
	l->size = rep.bytes;
	rc = place_layer(in, tmpname, l->chain_id, e);
out:
	ipc_struct_free(&msg_u_layer_reply_schema, &rep);
	return rc;
}

int ingest_tmp_key(struct broker *b, char hex[65], int *lock, struct berr *e)
{
	unsigned char rnd[32];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return berr_sys(e, "getrandom");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	*lock = lock_object(b->cfg.root, "layer", hex, false, e);
	return *lock < 0 ? -1 : 0;
}

void ingest_tmp_key_release(struct broker *b, const char *hex, int lock)
{
	char path[4300];

	if (lock < 0)
		return;
	snprintf(path, sizeof(path), "%s/locks/layer-%s.lock", b->cfg.root, hex);
	(void)unlink(path);
	close(lock);
}

int ingest_preunpack(struct ingest *in, const struct msg_descriptor *d, const char *key,
		     char diff_id[72], struct berr *e)
{
	struct msg_u_layer_reply rep;

	if (unpack_tmp(in, d, key, in->pre.tmpname, &rep, e) < 0) {
		in->pre.tmpname[0] = '\0';
		return -1;
	}
	snprintf(in->pre.diff_id, sizeof(in->pre.diff_id), "%s", rep.diff_id);
	snprintf(diff_id, 72, "%s", rep.diff_id);
	in->pre.bytes = rep.bytes;
	ipc_struct_free(&msg_u_layer_reply_schema, &rep);
	return 0;
}

static int64_t parse_created(const char *s)
{
	struct tm tm = { 0 };
	const char *rest;

	if (s == NULL || (rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	time_t t = timegm(&tm);
	if (*rest == '.')
		while (*++rest >= '0' && *rest <= '9')
			;
	if ((*rest == '+' || *rest == '-') && strlen(rest) == 6) {
		int hh = (rest[1] - '0') * 10 + (rest[2] - '0');
		int mm = (rest[4] - '0') * 10 + (rest[5] - '0');
		int off = (hh * 60 + mm) * 60;
		t += *rest == '+' ? -off : off;
	}
	return (int64_t)t;
}

static int store_manifest(struct ingest *in, int mfd, const char *digest, struct berr *e)
{
	struct stat st;
	struct msg_descriptor d = { .digest = (char *)digest };

	if (fstat(mfd, &st) < 0)
		return berr_sys(e, "fstat");
	d.size = (uint64_t)st.st_size;
	return ingest_store_blob_fd(in, mfd, &d, e);
}

static int check_config_desc(const struct msg_descriptor *cd, struct berr *e)
{
	if (strncmp(cd->digest, "sha256:", 7) != 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "image config %s: only sha256 configs are "
				"supported", cd->digest);
	if (cd->size > INGEST_CONFIG_MAX)
		return berr_set(e, BERR_INVALID, 0, "image config is %llu bytes, more than the 4 MiB "
				"allowed", (unsigned long long)cd->size);
	return 0;
}

int ingest_image(struct ingest *in, int mfd, const char *mdigest,
		 const struct msg_v_manifest_reply *man, const char *const *names, size_t n_names,
		 char image_id[65], struct berr *e)
{
	struct broker *b = in->b;
	const struct msg_descriptor *cd = &man->config[0];
	struct msg_v_config_reply cfg = { 0 };
	struct image_record *rec = NULL;
	bool *needed = NULL, *want = NULL;
	int *locks = NULL;
	struct ipc_enc *enc = NULL;
	int rc = -1;

	if (!in->announced)
		ingest_progress(in, "Getting image source signatures");
	in->announced = false;
	if (check_config_desc(cd, e) < 0)
		goto out;
	if (!blobs_exists(b->cfg.root, cd->digest) && in->src.store_config(in, cd, e) < 0)
		goto out;
	if (verify_config(in, cd->digest, &cfg, e) < 0)
		goto out;
	if (cfg.n_diff_ids != man->n_layers) {
		berr_set(e, BERR_INVALID, 0, "the image config lists %zu layers, the manifest %zu",
			 cfg.n_diff_ids, man->n_layers);
		goto out;
	}
	if (man->n_layers > IMG_MAX_LAYERS) {
		berr_set(e, BERR_INVALID, 0, "image has more than %d layers", IMG_MAX_LAYERS);
		goto out;
	}
	rec = calloc(1, sizeof(*rec));
	needed = calloc(man->n_layers + 1, sizeof(*needed));
	want = calloc(man->n_layers + 1, sizeof(*want));
	locks = calloc(man->n_layers + 1, sizeof(*locks));
	if (rec == NULL || needed == NULL || want == NULL || locks == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	for (size_t i = 0; i <= man->n_layers; i++)
		locks[i] = -1;
	if (chain_ids(&cfg, rec, e) < 0)
		goto out;
	rec->n_layers = man->n_layers;
	/* Each layer is locked until the image is recorded: a concurrent command bringing in an
	 * image that shares it waits for it instead of unpacking it twice, and a concurrent open
	 * does not take the finished directory for an orphan. */
	for (size_t i = 0; i < man->n_layers; i++) {
		snprintf(rec->layers[i].blob_digest, sizeof(rec->layers[i].blob_digest), "%s",
			 man->layers[i].digest);
		locks[i] = lock_object(b->cfg.root, "layer", rec->layers[i].chain_id, false, e);
		if (locks[i] < 0)
			goto out;
		needed[i] = !imgstore_layer_ready(b->db, b->cfg.root, rec->layers[i].chain_id);
		want[i] = needed[i] && !blobs_exists(b->cfg.root, man->layers[i].digest);
		if (!needed[i])
			ingest_progress(in, "Copying blob %.12s skipped: already exists",
					ingest_hex(man->layers[i].digest));
	}
	if (in->src.store_layers(in, man->layers, want, man->n_layers, e) < 0)
		goto out;
	for (size_t i = 0; i < man->n_layers; i++) {
		if (!needed[i])
			continue;
		if (in->pre.tmpname[0] != '\0' && strcmp(in->pre.diff_id, rec->layers[i].diff_id) == 0 &&
		    strcmp(rec->layers[i].diff_id + 7, rec->layers[i].chain_id) == 0) {
			/* Unpacked already (import), into a directory only this command knows. */
			rec->layers[i].size = in->pre.bytes;
			if (place_layer(in, in->pre.tmpname, rec->layers[i].chain_id, e) < 0)
				goto out;
			in->pre.tmpname[0] = '\0';
		} else if (unpack_layer(in, &man->layers[i], &rec->layers[i], e) < 0) {
			goto out;
		}
	}
	ingest_progress(in, "Copying config %.10s done", ingest_hex(cd->digest));
	ingest_progress(in, "Writing manifest to image destination");
	if (store_manifest(in, mfd, mdigest, e) < 0)
		goto out;
	/* The record. */
	snprintf(rec->id, sizeof(rec->id), "%s", cd->digest + 7);
	snprintf(rec->manifest_digest, sizeof(rec->manifest_digest), "%s", mdigest);
	snprintf(rec->manifest_type, sizeof(rec->manifest_type), "%s", man->media_type);
	rec->created = parse_created(cfg.created);
	for (size_t i = 0; i < rec->n_layers; i++) {
		if (!needed[i]) /* in the store already, with its size */
			rec->layers[i].size = imgstore_layer_size(b->db, rec->layers[i].chain_id);
		rec->size += rec->layers[i].size;
	}
	enc = ipc_enc_new();
	if (enc == NULL || ipc_enc_struct(enc, &msg_v_config_reply_schema, &cfg, NULL, NULL, 0, e) < 0)
		goto out;
	rec->config = ipc_enc_data(enc, &rec->config_len);
	rec->name = n_names > 0 ? names[0] : NULL;
	rec->verified_by = in->verified_by;
	ingest_progress(in, "Storing signatures");
	if (imgstore_commit(b->db, rec, e) < 0)
		goto out;
	for (size_t i = 1; i < n_names; i++)
		if (imgstore_add_name(b->db, rec->id, names[i], e) < 0)
			goto out;
	snprintf(image_id, 65, "%s", rec->id);
	rc = 0;
out:
	for (size_t i = 0; locks != NULL && i < man->n_layers; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
	free(needed);
	free(want);
	free(rec);
	ipc_enc_free(enc);
	ipc_struct_free(&msg_v_config_reply_schema, &cfg);
	return rc;
}

static json_t *descriptor_json(const struct msg_descriptor *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest,
			 "size", (json_int_t)d->size);
}

int ingest_write_manifest(const struct msg_descriptor *config, const struct msg_descriptor *layers,
			  size_t n, int *mfd, char digest[72], struct berr *e)
{
	json_t *arr = json_array(), *root = NULL;
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	uint64_t size;
	int rc = -1;

	if (arr == NULL)
		return berr_sys(e, "allocating");
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, descriptor_json(&layers[i])) < 0) {
			json_decref(arr);
			return berr_sys(e, "allocating");
		}
	root = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			 "application/vnd.oci.image.manifest.v1+json", "config",
			 descriptor_json(config), "layers", arr);
	if (root == NULL)
		return berr_sys(e, "allocating");
	text = json_dumps(root, JSON_COMPACT);
	fd = memfd_create("berth-manifest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (text == NULL || fd < 0) {
		berr_sys(e, "writing the manifest");
		goto out;
	}
	if (xwrite_all(fd, text, strlen(text), e) < 0 || blobs_sha256_fd(fd, digest, &size, e) < 0)
		goto out;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		berr_sys(e, "sealing the manifest");
		goto out;
	}
	*mfd = TAKE_FD(fd);
	rc = 0;
out:
	json_decref(root);
	return rc;
}
