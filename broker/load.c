#include "broker/load.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/blobs.h"
#include "broker/imagecmds.h"
#include "broker/trustcheck.h"
#include "broker/ingest.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/reference.h"
#include "common/rmtree.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define STAGE_TIMEOUT_MS (60 * 60 * 1000)
#define META_TIMEOUT_MS (120 * 1000)
#define STAGE_MAX_BYTES (64ULL << 30)
#define STAGE_MAX_FILES 512
#define MAX_NAMES 256

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

/* A blob of a docker-archive, known by the digest the broker computed for it. */
struct known_blob {
	char digest[72];
	const char *path;        /* not owned: the staged table's */
};

struct loader {
	struct broker *b;
	struct ingest in;
	int stage_fd;                          /* owned: the staging directory */
	struct msg_u_archive_reply table;      /* the archive's paths */
	struct known_blob *known;              /* docker-archive: digest -> path */
	size_t n_known;
	char **names;                          /* the reply's lines */
	size_t n_names;
	const struct msg_descriptor *config_desc; /* the blob being stored is the config */
};

static const struct msg_archive_entry *find_path(const struct loader *L, const char *path)
{
	for (size_t i = 0; i < L->table.n_entries; i++)
		if (strcmp(L->table.entries[i].path, path) == 0)
			return &L->table.entries[i];
	return NULL;
}

/* Opens the staged file for an archive path. The stager is gone by now (wk_finish), so the
 * file is only this process's to change; its size is checked against the table anyway. */
static int staged_open(struct loader *L, const char *path, uint64_t max, struct berr *e)
{
	const struct msg_archive_entry *x = find_path(L, path);
	char name[32];
	struct stat st;
	int fd;

	if (x == NULL)
		return berr_set(e, BERR_INVALID, 0, "the archive has no file %s", path);
	if (max != 0 && x->size > max)
		return berr_set(e, BERR_INVALID, 0, "%s in the archive is %llu bytes, more than the "
				"%llu allowed", path, (unsigned long long)x->size,
				(unsigned long long)max);
	snprintf(name, sizeof(name), "f%llu", (unsigned long long)x->file);
	fd = openat(L->stage_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "opening the staged %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != x->size) {
		close(fd);
		return berr_set(e, BERR_PROTOCOL, 0, "the staged copy of %s is not what the "
				"archive reader reported", path);
	}
	return fd;
}

static int add_line(struct loader *L, const char *name, struct berr *e)
{
	char **nv;

	if (L->n_names >= MAX_NAMES)
		return 0;
	nv = realloc(L->names, (L->n_names + 2) * sizeof(char *));
	if (nv == NULL)
		return berr_sys(e, "allocating");
	L->names = nv;
	nv[L->n_names] = strdup(name);
	if (nv[L->n_names] == NULL)
		return berr_sys(e, "allocating");
	nv[++L->n_names] = NULL;
	return 0;
}

static int report(struct loader *L, const char *const *names, size_t n, const char *id,
		  struct berr *e)
{
	char line[80];

	if (n == 0) {
		snprintf(line, sizeof(line), "sha256:%s", id);
		return add_line(L, line, e);
	}
	for (size_t i = 0; i < n; i++)
		if (add_line(L, names[i], e) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------ blob sources */

static const char *path_of_digest(struct loader *L, const char *digest, char *buf, size_t len)
{
	for (size_t i = 0; i < L->n_known; i++)
		if (strcmp(L->known[i].digest, digest) == 0)
			return L->known[i].path;
	/* OCI layout: blobs/<algorithm>/<hex>. */
	snprintf(buf, len, "blobs/%.*s/%s", (int)(strchr(digest, ':') - digest), digest,
		 strchr(digest, ':') + 1);
	return buf;
}

static int store_from_archive(struct ingest *in, const struct msg_descriptor *d, struct berr *e)
{
	struct loader *L = in->src.ctx;
	bool config = d == L->config_desc;
	char buf[300];
	const char *path = path_of_digest(L, d->digest, buf, sizeof(buf));
	cleanup_close int fd = staged_open(L, path, 0, e);

	if (fd < 0)
		return -1;
	ingest_progress(in, "Copying %s %.12s", config ? "config" : "blob", ingest_hex(d->digest));
	if (ingest_store_blob_fd(in, fd, d, e) < 0)
		return berr_wrap(e, "%s in the archive", path);
	return 0;
}

static int store_config_from_archive(struct ingest *in, const struct msg_descriptor *d,
				     struct berr *e)
{
	struct loader *L = in->src.ctx;
	int rc;

	L->config_desc = d;
	rc = store_from_archive(in, d, e);
	L->config_desc = NULL;
	return rc;
}

static int store_layers_from_archive(struct ingest *in, const struct msg_descriptor *d,
				     const bool *want, size_t n, struct berr *e)
{
	for (size_t i = 0; i < n; i++)
		if (want[i] && store_from_archive(in, &d[i], e) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------ OCI layout */

/* The manifest a descriptor names, out of the archive into a sealed memfd, its digest and size
 * checked. */
static int manifest_from_archive(struct loader *L, const struct msg_descriptor *d, int *out,
				 struct berr *e)
{
	char buf[300];
	cleanup_close int fd = -1, mfd = -1;
	uint64_t size;

	if (d->size > INGEST_MANIFEST_MAX)
		return berr_set(e, BERR_INVALID, 0, "manifest %s is larger than 4 MiB", d->digest);
	fd = staged_open(L, path_of_digest(L, d->digest, buf, sizeof(buf)), INGEST_MANIFEST_MAX, e);
	if (fd < 0)
		return -1;
	mfd = memfd_create("berth-manifest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return berr_sys(e, "memfd_create");
	if (xcopy_fd(fd, mfd, e) < 0)
		return -1;
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing the manifest");
	if (blobs_verify_fd(mfd, d->digest, &size, e) < 0)
		return berr_wrap(e, "manifest %s", d->digest);
	if (size != d->size)
		return berr_set(e, BERR_INVALID, 0, "manifest %s is %llu bytes, index.json says %llu",
				d->digest, (unsigned long long)size, (unsigned long long)d->size);
	*out = TAKE_FD(mfd);
	return 0;
}

static int load_oci_entry(struct loader *L, const struct msg_descriptor *entry, struct berr *e)
{
	struct msg_v_manifest_reply man = { 0 };
	cleanup_close int mfd = -1;
	char digest[140], name[REF_STR_MAX], id[65];
	const char *names[1];
	size_t n_names = 0;
	int rc = -1;

	snprintf(digest, sizeof(digest), "%s", entry->digest);
	if (manifest_from_archive(L, entry, &mfd, e) < 0 ||
	    ingest_verify_manifest(&L->in, mfd, entry->media_type, &man, e) < 0)
		goto out;
	if (man.kind == MANIFEST_INDEX) {
		const struct msg_descriptor *d = NULL;
		struct msg_descriptor child = { 0 };
		if (ingest_choose_platform(&L->in, &man, "in the archive", &d, e) < 0)
			goto out;
		snprintf(digest, sizeof(digest), "%s", d->digest);
		child = (struct msg_descriptor){ .digest = digest, .size = d->size,
						 .media_type = d->media_type };
		close(mfd);
		mfd = -1;
		int r = manifest_from_archive(L, &child, &mfd, e);
		struct msg_v_manifest_reply idx = man;
		memset(&man, 0, sizeof(man));
		if (r == 0)
			r = ingest_verify_manifest(&L->in, mfd, child.media_type, &man, e);
		ipc_struct_free(&msg_v_manifest_reply_schema, &idx);
		if (r < 0)
			goto out;
		if (man.kind != MANIFEST_IMAGE) {
			berr_set(e, BERR_INVALID, 0, "index entry %s is not an image manifest", digest);
			goto out;
		}
	}
	/* The layout's name for the image, as `podman tag` would store it; a ref.name that is
	 * not a reference (the spec allows a bare tag) leaves the image unnamed. */
	if (entry->ref_name != NULL) {
		struct berr e2 = { 0 };
		if (imagecmd_normalize_name(entry->ref_name, name, sizeof(name), &e2) == 0)
			names[n_names++] = name;
		else
			log_warn("the archive names an image \"%.100s\", which is not a reference: "
				 "loaded without a name", entry->ref_name);
	}
	if (ingest_image(&L->in, mfd, digest, &man, names, n_names, id, e) < 0 ||
	    report(L, names, n_names, id, e) < 0)
		goto out;
	rc = 0;
out:
	ipc_struct_free(&msg_v_manifest_reply_schema, &man);
	return rc;
}

static int load_oci(struct loader *L, struct berr *e)
{
	struct msg_v_manifest_reply idx = { 0 };
	cleanup_close int fd = staged_open(L, "index.json", INGEST_MANIFEST_MAX, e);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (ingest_verify_manifest(&L->in, fd, "", &idx, e) < 0)
		return berr_wrap(e, "index.json");
	if (idx.kind != MANIFEST_INDEX) {
		berr_set(e, BERR_INVALID, 0, "index.json is not an image index");
		goto out;
	}
	for (size_t i = 0; i < idx.n_manifests; i++)
		if (load_oci_entry(L, &idx.manifests[i], e) < 0)
			goto out;
	rc = 0;
out:
	ipc_struct_free(&msg_v_manifest_reply_schema, &idx);
	return rc;
}

/* ------------------------------------------------------------ docker-archive */

/* Hashes a staged file and remembers digest -> path for the blob source. */
static int know_blob(struct loader *L, const char *path, uint64_t max, char digest[72],
		     uint64_t *size, int *compression, struct berr *e)
{
	cleanup_close int fd = staged_open(L, path, max, e);
	unsigned char magic[4] = { 0 };
	struct known_blob *nv;

	if (fd < 0 || blobs_sha256_fd(fd, digest, size, e) < 0)
		return -1;
	if (compression != NULL) {
		/* Magic numbers only, to name the layer's media type; berth-unpack sniffs them
		 * again and the diff_id check decides whether the content is the image's. */
		ssize_t n = pread(fd, magic, sizeof(magic), 0);
		*compression = n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b ? 1 :
			       n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
					       magic[3] == 0xfd ? 2 : 0;
	}
	nv = realloc(L->known, (L->n_known + 1) * sizeof(*nv));
	if (nv == NULL)
		return berr_sys(e, "allocating");
	L->known = nv;
	snprintf(nv[L->n_known].digest, sizeof(nv[L->n_known].digest), "%s", digest);
	nv[L->n_known].path = find_path(L, path)->path;
	L->n_known++;
	return 0;
}

/* docker-archive has no manifest: the broker writes an OCI one for what the archive holds (as
 * Podman does), and berth-verify reads it back like any other. */
static int make_manifest(struct loader *L, const struct msg_archive_image *img, int *out,
			 char digest[72], struct berr *e)
{
	static const char *const types[] = { MT_LAYER, MT_LAYER "+gzip", MT_LAYER "+zstd" };
	struct msg_descriptor cfg = { .media_type = (char *)MT_OCI_CONFIG };
	struct msg_descriptor *layers = calloc(img->n_layers + 1, sizeof(*layers));
	char (*digests)[72] = calloc(img->n_layers + 1, sizeof(*digests));
	char cfg_digest[72];
	int comp, rc = -1;

	if (layers == NULL || digests == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	if (know_blob(L, img->config, INGEST_CONFIG_MAX, cfg_digest, &cfg.size, NULL, e) < 0)
		goto out;
	cfg.digest = cfg_digest;
	for (size_t i = 0; i < img->n_layers; i++) {
		if (know_blob(L, img->layers[i], 0, digests[i], &layers[i].size, &comp, e) < 0)
			goto out;
		layers[i].digest = digests[i];
		layers[i].media_type = (char *)types[comp];
	}
	rc = ingest_write_manifest(&cfg, layers, img->n_layers, out, digest, e);
out:
	free(layers);
	free(digests);
	return rc;
}

/* RepoTags follow Docker's naming: "busybox:latest" is docker.io/library/busybox:latest. */
static int docker_name(const char *tag, char *out, size_t len, struct berr *e)
{
	struct image_ref ref;

	if (ref_parse(tag, &ref, e) < 0 || ref_normalize_docker_io(&ref, e) < 0)
		return berr_wrap(e, "the archive names an image \"%.100s\"", tag);
	if (ref.digest[0] != '\0')
		return berr_set(e, BERR_INVALID, 0, "the archive names an image \"%.100s\" with a "
				"digest", tag);
	if (ref.tag[0] == '\0')
		snprintf(ref.tag, sizeof(ref.tag), "latest");
	if (ref_format(&ref, out, len) < 0)
		return berr_set(e, BERR_INVALID, 0, "%.100s: name too long", tag);
	return 0;
}

static int load_docker_image(struct loader *L, const struct msg_archive_image *img,
			     struct berr *e)
{
	struct msg_v_manifest_reply man = { 0 };
	cleanup_close int mfd = -1;
	char digest[72], id[65];
	char (*names)[REF_STR_MAX] = calloc(img->n_repo_tags + 1, sizeof(*names));
	const char **np = calloc(img->n_repo_tags + 1, sizeof(*np));
	int rc = -1;

	if (names == NULL || np == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	for (size_t i = 0; i < img->n_repo_tags; i++) {
		if (docker_name(img->repo_tags[i], names[i], sizeof(names[i]), e) < 0)
			goto out;
		np[i] = names[i];
	}
	if (make_manifest(L, img, &mfd, digest, e) < 0 ||
	    ingest_verify_manifest(&L->in, mfd, MT_OCI_MANIFEST, &man, e) < 0 ||
	    ingest_image(&L->in, mfd, digest, &man, np, img->n_repo_tags, id, e) < 0 ||
	    report(L, np, img->n_repo_tags, id, e) < 0)
		goto out;
	rc = 0;
out:
	ipc_struct_free(&msg_v_manifest_reply_schema, &man);
	free(names);
	free(np);
	return rc;
}

static int load_docker(struct loader *L, struct berr *e)
{
	struct msg_v_archive req = { 0 };
	struct msg_v_archive_reply rep = { 0 };
	cleanup_close int fd = staged_open(L, "manifest.json", INGEST_MANIFEST_MAX, e);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (wk_call(L->b, L->in.verify, MSG_V_ARCHIVE, &req, &fd, 1, META_TIMEOUT_MS,
		    MSG_V_ARCHIVE_REPLY, &rep, NULL, e) < 0)
		return -1;
	for (size_t i = 0; i < rep.n_images; i++)
		if (load_docker_image(L, &rep.images[i], e) < 0)
			goto out;
	rc = 0;
out:
	ipc_struct_free(&msg_v_archive_reply_schema, &rep);
	return rc;
}

/* ------------------------------------------------------------ staging */

/* The archive's files, copied by berth-unpack into a fresh directory beneath layers/ named
 * tmp-<random>: the open-time scan removes it if this command dies, unless its lock is held. */
static int stage(struct loader *L, int archive_fd, char hex[65], int *lock, struct berr *e)
{
	char dir[4300], name[80];
	cleanup_close int layers_fd = -1;
	struct msg_u_archive req = { .max_bytes = STAGE_MAX_BYTES, .max_files = STAGE_MAX_FILES };
	struct wk *w;
	int rc;

	if (ingest_tmp_key(L->b, hex, lock, e) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/layers", L->b->cfg.root);
	snprintf(name, sizeof(name), "tmp-%s", hex);
	layers_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers_fd < 0 || mkdirat(layers_fd, name, 0700) < 0)
		return berr_sys(e, "creating a staging directory in %s", dir);
	L->stage_fd = openat(layers_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (L->stage_fd < 0)
		return berr_sys(e, "opening the staging directory");
	w = wk_spawn_fds(L->b, "unpack", NULL, &L->stage_fd, 1, e);
	if (w == NULL)
		return -1;
	rc = wk_call(L->b, w, MSG_U_ARCHIVE, &req, &archive_fd, 1, STAGE_TIMEOUT_MS,
		     MSG_U_ARCHIVE_REPLY, &L->table, NULL, e);
	/* Gone before any staged byte is read: no fd it kept can change them afterwards. */
	wk_finish(L->b, w, 5000);
	if (rc < 0)
		return berr_wrap(e, "reading the archive");
	for (size_t i = 0; i < L->table.n_entries; i++)
		if (L->table.entries[i].path[0] == '\0')
			return berr_set(e, BERR_PROTOCOL, 0, "berth-unpack reported an empty path");
	if (L->table.skipped > 0)
		log_debug("%llu archive entries skipped", (unsigned long long)L->table.skipped);
	return 0;
}

static void unstage(struct loader *L, const char *hex, int lock)
{
	char dir[4300], name[80];
	int layers_fd;

	snprintf(dir, sizeof(dir), "%s/layers", L->b->cfg.root);
	snprintf(name, sizeof(name), "tmp-%s", hex);
	layers_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers_fd >= 0) {
		(void)rmtree_at(layers_fd, name, NULL);
		close(layers_fd);
	}
	ingest_tmp_key_release(L->b, hex, lock);
}

int broker_load(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_load *req = m->body;
	struct loader L = { .b = b, .stage_fd = -1 };
	char hex[65] = "";
	int lock = -1, rc = -1;
	struct trustcheck tc = { 0 };
	const char *transport = NULL;

	L.in = (struct ingest){ .b = b, .req_id = m->id, .quiet = req->quiet,
				.src = { store_config_from_archive, store_layers_from_archive, &L } };
	if (m->nfds != 1 || m->fds[0] < 0)
		return berr_set(e, BERR_PROTOCOL, 0, "load without an archive");
	/* The policy first: a malformed one fails the load before the archive is read. */
	if (trustcheck_open(b, req->policy_path, &tc, e) < 0 ||
	    stage(&L, m->fds[0], hex, &lock, e) < 0)
		goto out;
	if (find_path(&L, "index.json") != NULL && find_path(&L, "oci-layout") != NULL)
		transport = "oci-archive";
	else if (find_path(&L, "manifest.json") != NULL)
		transport = "docker-archive";
	if (transport == NULL) {
		berr_set(e, BERR_INVALID, 0, "payload does not match any of the supported image "
			 "formats: the archive has neither an OCI layout (oci-layout, index.json) nor "
			 "a docker-archive manifest.json");
		goto out;
	}
	/* Only the staging directory exists so far, and it goes at the end either way. */
	if (trustcheck_archive(&tc, transport, transport[0] == 'o' ? "from an oci-archive" :
			       "from a docker-archive", e) < 0)
		goto out;
	L.in.verify = wk_spawn(b, "verify", NULL, e);
	if (L.in.verify == NULL)
		goto out;
	rc = transport[0] == 'o' ? load_oci(&L, e) : load_docker(&L, e);
	if (rc == 0) {
		struct msg_load_reply r = { .names = L.names, .n_names = L.n_names };
		if (L.n_names == 0)
			rc = berr_set(e, BERR_INVALID, 0, "the archive holds no image");
		else
			rc = ipc_send(b->front, MSG_LOAD_REPLY, m->id, &r, NULL, 0, e);
	}
out:
	trustcheck_close(&tc);
	if (rc < 0)
		ingest_forget_new_blobs(&L.in);
	ingest_free(&L.in);
	if (L.in.verify != NULL)
		wk_release(b, L.in.verify);
	if (L.stage_fd >= 0)
		close(L.stage_fd);
	if (hex[0] != '\0')
		unstage(&L, hex, lock);
	ipc_struct_free(&msg_u_archive_reply_schema, &L.table);
	for (size_t i = 0; i < L.n_names; i++)
		free(L.names[i]);
	free(L.names);
	free(L.known);
	return rc;
}
