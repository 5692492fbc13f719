#include "broker/save.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "broker/blobs.h"
#include "broker/imagecmds.h"
#include "broker/imgstore.h"
#include "broker/locks.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define SAVE_TIMEOUT_MS (60 * 60 * 1000)   /* one entry: a large layer on a slow disk */
#define SAVE_META_TIMEOUT_MS (60 * 1000)
#define NAME_LEN 600

/* One image of the archive, with every blob it needs already open. */
struct save_image {
	char id[65];
	struct msg_image_inspect_reply img; /* owned: the store's record, read under the locks */
	char **tags;                        /* owned: RepoTags ("name:tag"), in order */
	size_t n_tags;
	char ref_name[NAME_LEN];            /* oci-archive: the name it was saved by, or "" */
	int config_fd;                      /* owned */
	int manifest_fd;                    /* owned */
	int *layer_fds;                     /* owned: one per layer, in order */
};

struct saver {
	struct broker *b;
	uint64_t req_id;
	const struct msg_save *req;         /* not owned */
	struct wk *unpack;                  /* the archive writer; released at the end */
	struct save_image *imgs;            /* owned */
	size_t n_imgs;
	char **written;                     /* owned: entry names in the archive so far */
	size_t n_written;
};

static const char *hex_of(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c != NULL ? c + 1 : digest;
}

static void say(struct saver *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct saver *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (s->req->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	broker_progress(s->b, s->req_id, "%s", line);
}

static int strv_push(char ***v, size_t *n, const char *str, struct berr *e)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (nv == NULL)
		return berr_sys(e, "allocating");
	*v = nv;
	nv[*n] = strdup(str);
	if (nv[*n] == NULL)
		return berr_sys(e, "allocating");
	nv[++*n] = NULL;
	return 0;
}

static bool strv_has(char **v, size_t n, const char *str)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], str) == 0)
			return true;
	return false;
}

static void image_free(struct save_image *si)
{
	ipc_struct_free(&msg_image_inspect_reply_schema, &si->img);
	for (size_t i = 0; i < si->n_tags; i++)
		free(si->tags[i]);
	free(si->tags);
	if (si->config_fd >= 0)
		close(si->config_fd);
	if (si->manifest_fd >= 0)
		close(si->manifest_fd);
	for (size_t i = 0; si->layer_fds != NULL && i < si->img.n_layer_digests; i++)
		if (si->layer_fds[i] >= 0)
			close(si->layer_fds[i]);
	free(si->layer_fds);
}

/* ---------------------------------------------------------------- which images, which names */

/* The image with this ID in the list, added (and *fresh set) if it is not there yet. */
static struct save_image *image_for(struct saver *s, const char *id, bool *fresh,
				    struct berr *e)
{
	*fresh = false;
	for (size_t i = 0; i < s->n_imgs; i++)
		if (strcmp(s->imgs[i].id, id) == 0)
			return &s->imgs[i];
	*fresh = true;
	struct save_image *ni = realloc(s->imgs, (s->n_imgs + 1) * sizeof(*ni));
	if (ni == NULL) {
		berr_sys(e, "allocating");
		return NULL;
	}
	s->imgs = ni;
	ni = &s->imgs[s->n_imgs++];
	memset(ni, 0, sizeof(*ni));
	ni->config_fd = ni->manifest_fd = -1;
	snprintf(ni->id, sizeof(ni->id), "%s", id);
	return ni;
}

/* Podman's rules: without -m the first argument is the image and the others are extra names
 * for it (docker-archive; normalised as `berth tag` does, localhost/ for short names); with -m
 * every argument is an image, arguments that resolve to the same stored name count once, and
 * arguments naming one image add to its names. An image named by ID gets no name from it. */
static int resolve_images(struct saver *s, struct berr *e)
{
	const struct msg_save *r = s->req;
	size_t n_args = r->multi_image ? r->n_images : 1;
	char **visited = NULL;
	size_t n_visited = 0;
	int rc = -1;

	if (r->multi_image && r->n_images > 1 && r->format != SAVE_DOCKER_ARCHIVE)
		return berr_set(e, BERR_INVALID, 0, "unsupported format \"oci-archive\" for saving "
				"multiple images (only docker-archive)");
	for (size_t a = 0; a < n_args; a++) {
		char id[65], resolved[NAME_LEN];
		struct save_image *si;

		if (imgstore_lookup_name(s->b->db, r->images[a], id, resolved, sizeof(resolved),
					 e) < 0)
			goto out;
		const char *key = resolved[0] != '\0' ? resolved : id;
		if (strv_has(visited, n_visited, key))
			continue;
		if (strv_push(&visited, &n_visited, key, e) < 0)
			goto out;
		bool fresh;
		si = image_for(s, id, &fresh, e);
		if (si == NULL)
			goto out;
		if (fresh && !r->multi_image && r->format == SAVE_DOCKER_ARCHIVE) {
			/* The extra names come first, as Podman lists them. */
			for (size_t t = 1; t < r->n_images; t++) {
				char norm[NAME_LEN];
				if (imagecmd_normalize_name(r->images[t], norm, sizeof(norm), e) < 0)
					goto out;
				if (!strv_has(si->tags, si->n_tags, norm) &&
				    strv_push(&si->tags, &si->n_tags, norm, e) < 0)
					goto out;
			}
		}
		if (fresh)
			snprintf(si->ref_name, sizeof(si->ref_name), "%s", resolved);
		/* A name by digest (repo@sha256:...) is not a tag. */
		if (resolved[0] != '\0' && strchr(resolved, '@') == NULL &&
		    !strv_has(si->tags, si->n_tags, resolved) &&
		    strv_push(&si->tags, &si->n_tags, resolved, e) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n_visited; i++)
		free(visited[i]);
	free(visited);
	return rc;
}

/* ---------------------------------------------------------------- the store's bytes */

static int open_blob(struct saver *s, const char *digest, int *fd, struct berr *e)
{
	*fd = blobs_open(s->b->cfg.root, digest, e);
	if (*fd < 0)
		return berr_wrap(e, "image content missing from the store");
	return 0;
}

static int open_blobs(struct saver *s, struct save_image *si, struct berr *e)
{
	char cfg[80];
	const struct msg_image_inspect_reply *img = &si->img;

	if (img->n_summary != 1 || img->n_config != 1 || img->n_layers != img->n_layer_digests ||
	    img->config[0].n_diff_ids != img->n_layer_digests)
		return berr_set(e, BERR_INTERNAL, 0, "image %.12s has a damaged record", si->id);
	snprintf(cfg, sizeof(cfg), "sha256:%s", si->id);
	if (open_blob(s, cfg, &si->config_fd, e) < 0 ||
	    open_blob(s, img->summary[0].digest, &si->manifest_fd, e) < 0)
		return -1;
	si->layer_fds = malloc((img->n_layer_digests + 1) * sizeof(int));
	if (si->layer_fds == NULL)
		return berr_sys(e, "allocating");
	for (size_t i = 0; i < img->n_layer_digests; i++)
		si->layer_fds[i] = -1;
	for (size_t i = 0; i < img->n_layer_digests; i++)
		if (open_blob(s, img->layer_digests[i], &si->layer_fds[i], e) < 0)
			return -1;
	return 0;
}

/* Reads the image's record and opens its blobs while holding its layers' locks, taken bottom
 * first as pull takes them. rmi deletes the image's rows first, then takes the lock of each
 * layer it removes, and removes blobs only after that: so either the record is gone before we
 * read it (the image is not known), or the layer blobs rmi removes are opened before they go,
 * and an open fd keeps its bytes. (A blob rmi removes without a lock of ours, the manifest or
 * config of an image whose layers another image keeps, can go in between: then the open fails
 * and so does the save; what is saved never changes.) The locks are dropped once the fds are
 * open, and never held while another image's are taken, so two saves of the same images in
 * different orders cannot wait on each other. */
static int load_image(struct saver *s, struct save_image *si, struct berr *e)
{
	char (*chains)[65] = calloc(IMG_MAX_LAYERS, 65);
	int locks[IMG_MAX_LAYERS];
	size_t n = 0, held = 0;
	int rc = -1;

	if (chains == NULL)
		return berr_sys(e, "allocating");
	if (imgstore_image_chains(s->b->db, si->id, chains, IMG_MAX_LAYERS, &n, e) < 0)
		goto out;
	for (held = 0; held < n; held++) {
		locks[held] = lock_object(s->b->cfg.root, "layer", chains[held], false, e);
		if (locks[held] < 0)
			goto out;
	}
	if (imgstore_inspect(s->b->db, si->id, &si->img, e) < 0 || open_blobs(s, si, e) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < held; i++)
		close(locks[i]);
	free(chains);
	return rc;
}

/* ---------------------------------------------------------------- the archive writer */

static int sealed_memfd(const char *text, struct berr *e)
{
	cleanup_close int fd = memfd_create("berth-save", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (xwrite_all(fd, text, strlen(text), e) < 0)
		return -1;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing a memfd");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berr_sys(e, "lseek");
	return TAKE_FD(fd);
}

static int pack_call(struct saver *s, const struct msg_u_pack_entry *ent, int fd,
		     struct msg_u_pack_reply *rep, struct berr *e)
{
	memset(rep, 0, sizeof(*rep));
	return wk_call(s->b, s->unpack, MSG_U_PACK_ENTRY, ent, &fd, fd >= 0 ? 1 : 0,
		       ent->kind == PACK_FILE ? SAVE_TIMEOUT_MS : SAVE_META_TIMEOUT_MS,
		       MSG_U_PACK_REPLY, rep, NULL, e);
}

/* One regular file: a stored blob (as stored, or decompressed when its diff_id is given) or a
 * memfd. The worker writes exactly size bytes and checks their digest when one is given; its
 * answer is checked again here. */
static int put_file(struct saver *s, const char *name, uint64_t mode, int fd, uint64_t size,
		    bool decompress, const char *digest, struct berr *e)
{
	struct msg_u_pack_entry ent = {
		.kind = PACK_FILE, .name = (char *)name, .mode = mode, .size = size,
		.decompress = decompress, .digest = (char *)digest,
	};
	struct msg_u_pack_reply rep;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return berr_sys(e, "lseek");
	if (pack_call(s, &ent, fd, &rep, e) < 0)
		return -1;
	bool ok = rep.bytes == size && (digest == NULL || strcmp(rep.digest, digest) == 0);
	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	if (!ok)
		return berr_set(e, BERR_WORKER, 0, "the archive writer's account of %s does not "
				"match the request", name);
	return strv_push(&s->written, &s->n_written, name, e);
}

static int put_blob(struct saver *s, const char *name, uint64_t mode, int fd,
		    const char *digest, struct berr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berr_sys(e, "fstat");
	return put_file(s, name, mode, fd, (uint64_t)st.st_size, false, digest, e);
}

static int put_text(struct saver *s, const char *name, const char *text, struct berr *e)
{
	cleanup_close int fd = sealed_memfd(text, e);

	if (fd < 0)
		return -1;
	return put_file(s, name, 0444, fd, strlen(text), false, NULL, e);
}

static int put_json(struct saver *s, const char *name, json_t *doc, struct berr *e)
{
	cleanup_free char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "cannot write %s", name);
	return put_text(s, name, text, e);
}

static int put_dir(struct saver *s, const char *name, struct berr *e)
{
	struct msg_u_pack_entry ent = { .kind = PACK_DIR, .name = (char *)name, .mode = 0755 };
	struct msg_u_pack_reply rep;
	int rc = pack_call(s, &ent, -1, &rep, e);

	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	return rc;
}

static int pack_begin(struct saver *s, int out_fd, struct berr *e)
{
	/* Every entry dated the epoch, as containers/image writes docker-archives: the same
	 * images give the same archive. */
	struct msg_u_pack req = { .mtime = 0 };
	struct msg_u_pack_reply rep = { 0 };

	s->unpack = wk_spawn(s->b, "unpack", NULL, e);
	if (s->unpack == NULL)
		return -1;
	if (wk_call(s->b, s->unpack, MSG_U_PACK, &req, &out_fd, 1, SAVE_META_TIMEOUT_MS,
		    MSG_U_PACK_REPLY, &rep, NULL, e) < 0)
		return -1;
	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	return 0;
}

static int pack_end(struct saver *s, struct berr *e)
{
	struct msg_u_pack_entry ent = { .kind = PACK_END };
	struct msg_u_pack_reply rep;
	int rc = pack_call(s, &ent, -1, &rep, e);

	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	return rc;
}

/* A blob whose bytes are not what the store recorded (the writer's BERR_INVALID: a wrong
 * digest or size, or a layer that does not decompress) is damaged on disk, and the user can
 * fix that; any other failure (the output, the worker) is only given its context. */
static int damaged(struct berr *e, const char *what, const char *blob, const char *id)
{
	if (e->code == BERR_INVALID)
		return berr_wrap(e, "the stored %s %s of image %.12s is damaged (remove the image "
				 "and pull it again)", what, blob, id);
	return berr_wrap(e, "saving the %s %s of image %.12s", what, blob, id);
}

/* ---------------------------------------------------------------- docker-archive */

/* Layers as their uncompressed tar, named by diff_id, written once however many images share
 * them; the config as stored, named by its digest; then manifest.json. (No legacy
 * `repositories` file or per-layer directories: readers of the manifest.json format, skopeo,
 * Podman and Docker >= 1.10, do not need them.) */
static int docker_image(struct saver *s, struct save_image *si, json_t *items, struct berr *e)
{
	const struct msg_v_config_reply *cfg = &si->img.config[0];
	json_t *item = json_object(), *tags = json_array(), *layers = json_array();
	char name[NAME_LEN], cfgdigest[80];

	/* Owned by items from here on; "Config" first, so the keys keep Podman's order. */
	if (item == NULL || tags == NULL || layers == NULL ||
	    json_array_append_new(items, item) < 0 ||
	    json_object_set_new(item, "Config", json_null()) < 0 ||
	    json_object_set_new(item, "RepoTags", tags) < 0 ||
	    json_object_set_new(item, "Layers", layers) < 0)
		return berr_set(e, BERR_INTERNAL, 0, "out of memory");
	for (size_t i = 0; i < si->img.n_layers; i++) {
		const char *diff = cfg->diff_ids[i];
		if (strncmp(diff, "sha256:", 7) != 0 || !ipc_digest_valid(diff))
			return berr_set(e, BERR_UNSUPPORTED, 0, "layer diff_id %s is not sha256",
					diff);
		snprintf(name, sizeof(name), "%s.tar", diff + 7);
		json_array_append_new(layers, json_string(name));
		/* Named by the stored blob, as Podman's progress names the source's blobs. */
		const char *blob = hex_of(si->img.layer_digests[i]);
		if (strv_has(s->written, s->n_written, name)) {
			say(s, "Copying blob %.12s skipped: already exists", blob);
			continue;
		}
		if (put_file(s, name, 0444, si->layer_fds[i], si->img.layers[i].size, true, diff,
			     e) < 0)
			return damaged(e, "layer", si->img.layer_digests[i], si->id);
		say(s, "Copying blob %.12s done", blob);
	}
	snprintf(name, sizeof(name), "%s.json", si->id);
	snprintf(cfgdigest, sizeof(cfgdigest), "sha256:%s", si->id);
	if (put_blob(s, name, 0444, si->config_fd, cfgdigest, e) < 0)
		return damaged(e, "config", cfgdigest, si->id);
	say(s, "Copying config %.10s done", si->id);
	for (size_t i = 0; i < si->n_tags; i++)
		json_array_append_new(tags, json_string(si->tags[i]));
	json_object_set_new(item, "Config", json_string(name));
	say(s, "Writing manifest to image destination");
	say(s, "Storing signatures");
	return 0;
}

static int docker_archive(struct saver *s, struct berr *e)
{
	json_t *items = json_array();

	if (items == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "out of memory");
	for (size_t i = 0; i < s->n_imgs; i++)
		if (docker_image(s, &s->imgs[i], items, e) < 0) {
			json_decref(items);
			return -1;
		}
	return put_json(s, "manifest.json", items, e);
}

/* ---------------------------------------------------------------- oci-archive */

static int oci_blob(struct saver *s, int fd, const char *digest, struct berr *e)
{
	char name[NAME_LEN];

	/* The layout's blobs/sha256 is the only directory this archive has. */
	if (strncmp(digest, "sha256:", 7) != 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "blob %s: only sha256 blobs can be saved "
				"in an oci-archive", digest);
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	if (strv_has(s->written, s->n_written, name))
		return 0;
	return put_blob(s, name, 0444, fd, digest, e);
}

/* The OCI image layout, blobs as stored (compressed as pulled, the manifest byte for byte, so
 * every digest is the original's), and index.json naming the one manifest by the name it was
 * saved by, as containers/image's oci-archive writer does. */
static int oci_archive(struct saver *s, struct berr *e)
{
	struct save_image *si = &s->imgs[0];
	const struct msg_image_summary *sum = &si->img.summary[0];
	char cfgdigest[80];
	struct stat st;

	if (put_text(s, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", e) < 0 ||
	    put_dir(s, "blobs", e) < 0 || put_dir(s, "blobs/sha256", e) < 0)
		return -1;
	for (size_t i = 0; i < si->img.n_layer_digests; i++) {
		const char *d = si->img.layer_digests[i];
		if (oci_blob(s, si->layer_fds[i], d, e) < 0)
			return damaged(e, "layer", d, si->id);
		say(s, "Copying blob %.12s done", hex_of(d));
	}
	snprintf(cfgdigest, sizeof(cfgdigest), "sha256:%s", si->id);
	if (oci_blob(s, si->config_fd, cfgdigest, e) < 0)
		return damaged(e, "config", cfgdigest, si->id);
	say(s, "Copying config %.10s done", si->id);
	if (oci_blob(s, si->manifest_fd, sum->digest, e) < 0)
		return damaged(e, "manifest", sum->digest, si->id);
	say(s, "Writing manifest to image destination");
	if (fstat(si->manifest_fd, &st) < 0)
		return berr_sys(e, "fstat");

	json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", si->img.manifest_type, "digest",
				 sum->digest, "size", (json_int_t)st.st_size);
	if (desc != NULL && si->ref_name[0] != '\0')
		json_object_set_new(desc, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.ref.name",
					      si->ref_name));
	json_t *index = desc == NULL ? NULL
				     : json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2,
						 "mediaType",
						 "application/vnd.oci.image.index.v1+json",
						 "manifests", desc);
	if (put_json(s, "index.json", index, e) < 0)
		return -1;
	say(s, "Storing signatures");
	return 0;
}

/* ---------------------------------------------------------------- the command */

static int check_output(int fd, struct berr *e)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0)
		return berr_sys(e, "the output");
	if ((fl & O_ACCMODE) == O_RDONLY)
		return berr_set(e, BERR_INVALID, 0, "the output is not open for writing");
	/* The frontend refuses a terminal already; a user's tampered frontend only hurts the
	 * user's own terminal, but the archive is never meant for one. */
	if (isatty(fd))
		return berr_set(e, BERR_INVALID, 0,
				"refusing to save to terminal. Use -o flag or redirect");
	if (S_ISDIR(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "the output is a directory");
	return 0;
}

int broker_save(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_save *req = m->body;
	struct saver s = { .b = b, .req_id = m->id, .req = req };
	cleanup_close int out = m->nfds == 1 ? TAKE_FD(m->fds[0]) : -1;
	int rc = -1;

	if (out < 0)
		return berr_set(e, BERR_PROTOCOL, 0, "save request without an output");
	if (req->n_images == 0)
		return berr_set(e, BERR_INVALID, 0, "need at least 1 argument");
	if (req->format != SAVE_DOCKER_ARCHIVE && req->format != SAVE_OCI_ARCHIVE)
		return berr_set(e, BERR_INVALID, 0, "unsupported format for saving images");
	if (check_output(out, e) < 0 || resolve_images(&s, e) < 0)
		goto out;
	for (size_t i = 0; i < s.n_imgs; i++)
		if (load_image(&s, &s.imgs[i], e) < 0)
			goto out;
	if (pack_begin(&s, out, e) < 0)
		goto out;
	/* The writer has its own copy of the output now. */
	close(TAKE_FD(out));
	if ((req->format == SAVE_DOCKER_ARCHIVE ? docker_archive(&s, e) : oci_archive(&s, e)) < 0 ||
	    pack_end(&s, e) < 0)
		goto out;
	struct msg_ok ok = { 0 };
	rc = ipc_send(b->front, MSG_OK, m->id, &ok, NULL, 0, e);
out:
	if (s.unpack != NULL)
		wk_finish(b, s.unpack, SAVE_META_TIMEOUT_MS);
	for (size_t i = 0; i < s.n_imgs; i++)
		image_free(&s.imgs[i]);
	free(s.imgs);
	for (size_t i = 0; i < s.n_written; i++)
		free(s.written[i]);
	free(s.written);
	return rc;
}
