#include "broker/pull.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "broker/auth.h"
#include "broker/blobs.h"
#include "broker/db.h"
#include "broker/hostinfo.h"
#include "broker/imgstore.h"
#include "broker/locks.h"
#include "broker/regconn.h"
#include "broker/resolve.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/rmtree.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define MANIFEST_MAX (4u * 1024 * 1024)
#define CONFIG_MAX (4u * 1024 * 1024)
#define META_TIMEOUT_MS (120 * 1000)
#define BLOB_TIMEOUT_MS (30 * 60 * 1000)
#define UNPACK_TIMEOUT_MS (30 * 60 * 1000)
#define PARALLEL_DOWNLOADS 3
/* 2^53, the largest size a JSON number carries exactly; also keeps bomb_limit from wrapping. */
#define DESCRIPTOR_SIZE_MAX (1ULL << 53)
#define UNPACK_MAX_ENTRIES 1000000u

static const char *const manifest_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
};

struct layer_job {
	size_t idx;
	bool needed;             /* not in the store yet */
	bool have_blob;          /* the blob is stored (before or by this pull) */
	bool fetching;
	bool fetched;
	bool failed;
	int tmp_fd;              /* owned: the download, until committed */
	int lock_fd;             /* owned: the layer's lock, held until the image is recorded */
	struct wk *w;            /* not owned */
	const char *digest;      /* not owned: the manifest's */
	uint64_t size;
	struct msg_f_get_reply rep;
	struct berr err;
	struct puller *p;
};

struct puller {
	struct broker *b;
	uint64_t req_id;
	bool quiet;
	char *user;              /* owned, wiped */
	char *pass;              /* owned, wiped */
	const struct pull_source *src;
	const struct msg_pull *req;
	struct wk *fetch;        /* not owned (the broker's list owns workers) */
	struct wk *verify;
	struct reg_conn conn;    /* owned: src's registry: TLS, certs.d material, http or https */
	char **new_blobs;        /* blobs this pull stored: removed again if it fails */
	size_t n_new_blobs;
};

static void progress(struct puller *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct puller *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (p->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	broker_progress(p->b, p->req_id, "%s", line);
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static const char *short_hex(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c != NULL ? c + 1 : digest;
}

static int note_new_blob(struct puller *p, const char *digest)
{
	char **nv = realloc(p->new_blobs, (p->n_new_blobs + 1) * sizeof(char *));
	if (nv == NULL)
		return -1;
	p->new_blobs = nv;
	nv[p->n_new_blobs] = strdup(digest);
	if (nv[p->n_new_blobs] != NULL)
		p->n_new_blobs++;
	return 0;
}

/* The request for one object into out_fd, and the fds to send with it (out_fd first, then the
 * registry's certs.d material). Returns their number. */
static size_t fetch_request(struct puller *p, uint64_t kind, const char *ref, uint64_t max,
			    int out_fd, struct msg_f_get *req, int fds[REG_CONN_MAX_FDS])
{
	memset(req, 0, sizeof(*req));
	req->repository = (char *)p->src->repository;
	req->kind = kind;
	req->reference = (char *)ref;
	if (kind == FETCH_MANIFEST) {
		req->accept = (char **)manifest_types;
		req->n_accept = ARRAY_SIZE(manifest_types);
	}
	req->max_size = max;
	req->username = p->user;
	req->password = p->pass;
	return reg_conn_get(&p->conn, req, out_fd, fds);
}

/* GET a manifest into a sealed memfd. */
static int get_manifest(struct puller *p, const char *ref, int *out, char digest[140],
			char media_type[256], struct berr *e)
{
	struct msg_f_get req;
	struct msg_f_get_reply rep = { 0 };
	cleanup_close int mfd = memfd_create("berth-manifest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	struct stat st;
	uint64_t size;

	if (mfd < 0)
		return berr_sys(e, "memfd_create");
	nfds = fetch_request(p, FETCH_MANIFEST, ref, MANIFEST_MAX, mfd, &req, fds);
	if (wk_call(p->b, p->fetch, MSG_F_GET, &req, fds, nfds, META_TIMEOUT_MS,
		    MSG_F_GET_REPLY, &rep, NULL, e) < 0)
		return -1;
	snprintf(media_type, 256, "%s", rep.media_type);
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	/* The worker's word on the size is not taken either. */
	if (fstat(mfd, &st) < 0)
		return berr_sys(e, "fstat");
	if ((uint64_t)st.st_size > MANIFEST_MAX)
		return berr_set(e, BERR_INVALID, 0, "manifest is larger than 4 MiB");
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing the manifest");
	if (strncmp(ref, "sha256:", 7) == 0 || strncmp(ref, "sha512:", 7) == 0) {
		if (blobs_verify_fd(mfd, ref, &size, e) < 0)
			return berr_wrap(e, "manifest %s", ref);
		snprintf(digest, 140, "%s", ref);
	} else if (blobs_sha256_fd(mfd, digest, &size, e) < 0) {
		return -1;
	}
	*out = TAKE_FD(mfd);
	return 0;
}

static int verify_manifest(struct puller *p, int fd, const char *media_type,
			   struct msg_v_manifest_reply *out, struct berr *e)
{
	struct msg_v_manifest req = { .media_type = (char *)media_type };

	memset(out, 0, sizeof(*out));
	if (wk_call(p->b, p->verify, MSG_V_MANIFEST, &req, &fd, 1, META_TIMEOUT_MS,
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

static const char *want_os(const struct puller *p)
{
	return p->req->os != NULL ? p->req->os : "linux";
}

static const char *want_arch(const struct puller *p, char *buf, size_t len)
{
	struct utsname u;

	if (p->req->arch != NULL)
		return p->req->arch;
	if (uname(&u) < 0)
		return "amd64";
	snprintf(buf, len, "%s", host_arch(u.machine));
	return buf;
}

static int choose_platform(struct puller *p, const struct msg_v_manifest_reply *idx,
			   const struct msg_descriptor **out, struct berr *e)
{
	char archbuf[64];
	const char *os = want_os(p), *arch = want_arch(p, archbuf, sizeof(archbuf));
	const char *variant = p->req->variant;

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
			"choosing an image from manifest list docker://%s/%s:%s: no image found in "
			"manifest list for architecture %s, variant \"%s\", OS %s",
			p->src->registry, p->src->repository, p->src->reference, arch,
			variant != NULL ? variant : "", os);
}

static int copy_fd(int from, int to, struct berr *e)
{
	char buf[64 * 1024];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof(buf), off);
		if (n < 0)
			return berr_sys(e, "copying");
		if (n == 0)
			return 0;
		if (xwrite_all(to, buf, (size_t)n, e) < 0)
			return -1;
		off += n;
	}
}

/* GET a small blob (the config) into a memfd that is sealed once the worker is done, so no
 * copy of the fd the worker might keep can change it; check its size and digest; store a copy.
 * Layer blobs go straight to the store instead and are hashed only after their workers are
 * gone (download_layers). */
static int get_blob_now(struct puller *p, const struct msg_descriptor *d, struct berr *e)
{
	struct msg_f_get req;
	struct msg_f_get_reply rep = { 0 };
	cleanup_close int fd = -1;
	cleanup_close int copy = -1;
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	uint64_t size;

	if (blobs_exists(p->b->cfg.root, d->digest))
		return 0;
	fd = memfd_create("berth-blob", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return berr_sys(e, "memfd_create");
	nfds = fetch_request(p, FETCH_BLOB, d->digest, d->size, fd, &req, fds);
	if (wk_call(p->b, p->fetch, MSG_F_GET, &req, fds, nfds, BLOB_TIMEOUT_MS,
		    MSG_F_GET_REPLY, &rep, NULL, e) < 0)
		return -1;
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing blob %s", d->digest);
	if (blobs_verify_fd(fd, d->digest, &size, e) < 0)
		return berr_wrap(e, "blob %s", d->digest);
	if (size != d->size)
		return berr_set(e, BERR_INVALID, 0, "blob %s is %llu bytes, the manifest says %llu",
				d->digest, (unsigned long long)size, (unsigned long long)d->size);
	copy = blobs_tmpfile(p->b->cfg.root, e);
	if (copy < 0 || copy_fd(fd, copy, e) < 0 || blobs_verify_fd(copy, d->digest, &size, e) < 0 ||
	    blobs_commit(p->b->cfg.root, copy, d->digest, e) < 0)
		return -1;
	note_new_blob(p, d->digest);
	return 0;
}

static int verify_config(struct puller *p, const char *digest, struct msg_v_config_reply *out,
			 struct berr *e)
{
	struct msg_v_config req = { 0 };
	cleanup_close int fd = blobs_open(p->b->cfg.root, digest, e);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	if (wk_call(p->b, p->verify, MSG_V_CONFIG, &req, &fd, 1, META_TIMEOUT_MS,
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

static void on_layer_bytes(struct broker *b, uint64_t done, uint64_t total, void *arg)
{
	struct layer_job *j = arg;
	char hex[16];

	(void)total;
	if (j->p->quiet)
		return;
	snprintf(hex, sizeof(hex), "%.12s", strchr(j->digest, ':') + 1);
	/* The manifest's size, not the registry's word, is the total shown. */
	broker_progress_bytes(b, j->p->req_id, hex, done, j->size);
}

static void on_blob(struct broker *b, struct wk *w, struct ipc_msg *reply,
		    const struct berr *failure, void *arg)
{
	struct layer_job *j = arg;

	(void)b;
	j->fetching = false;
	if (failure != NULL) {
		j->failed = true;
		j->err = *failure;
	} else if (reply->type != MSG_F_GET_REPLY) {
		j->failed = true;
		berr_set(&j->err, BERR_PROTOCOL, 0, "berth-fetch sent an unexpected reply");
	} else {
		j->fetched = true;
	}
	j->w = NULL;
	(void)w;
}

/* Downloads the needed layer blobs, PARALLEL_DOWNLOADS at a time, each through its own
 * berth-fetch (one transfer per worker keeps a stalled registry connection from holding up
 * the others, and a worker's failure from touching them). */
static int download_layers(struct puller *p, const struct msg_v_manifest_reply *man,
			   struct layer_job *jobs, size_t n, struct berr *e)
{
	struct wk *pool[PARALLEL_DOWNLOADS] = { 0 };
	size_t next = 0, active = 0;
	int rc = 0;

	for (;;) {
		/* Start what fits. */
		for (size_t s = 0; s < PARALLEL_DOWNLOADS && rc == 0; s++) {
			bool busy = false;
			for (size_t k = 0; k < n; k++)
				if (jobs[k].fetching && jobs[k].w == pool[s] && pool[s] != NULL)
					busy = true;
			if (busy)
				continue;
			while (next < n && (!jobs[next].needed || jobs[next].have_blob))
				next++;
			if (next == n)
				break;
			struct layer_job *j = &jobs[next++];
			const struct msg_descriptor *d = &man->layers[j->idx];
			if (pool[s] == NULL) {
				pool[s] = wk_spawn(p->b, "fetch", NULL, e);
				if (pool[s] == NULL) {
					rc = -1;
					break;
				}
			}
			j->tmp_fd = blobs_tmpfile(p->b->cfg.root, e);
			if (j->tmp_fd < 0) {
				rc = -1;
				break;
			}
			struct msg_f_get req;
			int fds[REG_CONN_MAX_FDS];
			size_t nfds = fetch_request(p, FETCH_BLOB, d->digest, d->size, j->tmp_fd,
						    &req, fds);
			j->w = pool[s];
			j->fetching = true;
			j->digest = d->digest;
			j->size = d->size;
			wk_set_progress(pool[s], on_layer_bytes, j);
			if (wk_request(p->b, pool[s], MSG_F_GET, &req, fds, nfds,
				       BLOB_TIMEOUT_MS, on_blob, j, e) < 0) {
				j->fetching = false;
				rc = -1;
				break;
			}
			progress(p, "Copying blob %.12s", short_hex(d->digest));
		}
		active = 0;
		for (size_t k = 0; k < n; k++)
			if (jobs[k].fetching)
				active++;
		if (active == 0)
			break;
		if (p->b->stopping)
			return berr_set(e, BERR_INTERNAL, 0, "interrupted");
		wk_loop_once(p->b);
		for (size_t k = 0; k < n && rc == 0; k++)
			if (jobs[k].failed) {
				*e = jobs[k].err;
				rc = -1;
			}
		if (rc < 0) {
			/* Let the transfers already running finish or fail on their own: their
			 * workers are killed when the broker exits. */
			for (size_t k = 0; k < n; k++)
				if (jobs[k].fetching && jobs[k].w != NULL)
					kill(wk_pid(jobs[k].w), SIGKILL);
			return -1;
		}
	}
	/* Every download is hashed here before it gets its name, and only once the workers that
	 * wrote them are gone: a file descriptor kept by a compromised worker could otherwise
	 * change a blob after it was checked. */
	for (size_t s = 0; s < PARALLEL_DOWNLOADS; s++)
		if (pool[s] != NULL)
			wk_finish(p->b, pool[s], 5000);
	if (rc < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		struct layer_job *j = &jobs[k];
		const struct msg_descriptor *d = &man->layers[j->idx];
		uint64_t size;
		if (!j->fetched)
			continue;
		if (blobs_verify_fd(j->tmp_fd, d->digest, &size, e) < 0)
			return berr_wrap(e, "layer %zu", j->idx + 1);
		if (size != d->size)
			return berr_set(e, BERR_INVALID, 0, "layer %s is %llu bytes, the manifest "
					"says %llu", d->digest, (unsigned long long)size,
					(unsigned long long)d->size);
		if (blobs_commit(p->b->cfg.root, j->tmp_fd, d->digest, e) < 0)
			return -1;
		note_new_blob(p, d->digest);
		close(j->tmp_fd);
		j->tmp_fd = -1;
		j->have_blob = true;
		progress(p, "Copying blob %.12s done", short_hex(d->digest));
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

static int unpack_layer(struct puller *p, const struct msg_descriptor *d,
			struct image_layer_rec *l, struct berr *e)
{
	char tmpname[128], final[4300], dir[4300];
	cleanup_close int layers_fd = -1;
	cleanup_close int dfd = -1;
	cleanup_close int blob = -1;
	struct msg_u_layer req = { 0 };
	struct msg_u_layer_reply rep = { 0 };
	struct wk *w;
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/layers", p->b->cfg.root);
	layers_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers_fd < 0)
		return berr_sys(e, "opening %s", dir);
	snprintf(tmpname, sizeof(tmpname), "tmp-%s-%d", l->chain_id, (int)getpid());
	(void)rmtree_at(layers_fd, tmpname, NULL);
	if (mkdirat(layers_fd, tmpname, 0755) < 0)
		return berr_sys(e, "creating a layer directory");
	dfd = openat(layers_fd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	blob = blobs_open(p->b->cfg.root, d->digest, e);
	if (dfd < 0 || blob < 0) {
		if (dfd < 0)
			berr_sys(e, "opening a layer directory");
		goto out;
	}
	w = wk_spawn_fds(p->b, "unpack", NULL, &dfd, 1, e);
	if (w == NULL)
		goto out;
	req.media_type = d->media_type;
	req.rootless = p->b->cfg.rootless;
	req.max_bytes = bomb_limit(d->size);
	req.max_entries = UNPACK_MAX_ENTRIES;
	if (wk_call(p->b, w, MSG_U_LAYER, &req, &blob, 1, UNPACK_TIMEOUT_MS, MSG_U_LAYER_REPLY,
		    &rep, NULL, e) < 0) {
		berr_wrap(e, "extracting layer %s", d->digest);
		wk_release(p->b, w);
		goto out;
	}
	wk_release(p->b, w);
	/* The unpacker's diff_id is checked against the config the user asked for: a layer that
	 * does not match is not this image's layer. */
	if (!ipc_digest_valid(rep.diff_id) || strcmp(rep.diff_id, l->diff_id) != 0) {
		berr_set(e, BERR_INVALID, 0, "layer %s does not match the image config: its content "
			 "has diff_id %.80s, the config says %s", d->digest, rep.diff_id, l->diff_id);
		goto out;
	}
	l->size = rep.bytes;
	if (rep.skipped > 0)
		log_warn("layer %.12s: %llu entries were not extracted (unsafe or not possible "
			 "here)", short_hex(d->digest), (unsigned long long)rep.skipped);
	snprintf(final, sizeof(final), "%s", l->chain_id);
	(void)rmtree_at(layers_fd, final, NULL); /* an orphan of an interrupted pull */
	if (renameat(layers_fd, tmpname, layers_fd, final) < 0) {
		berr_sys(e, "storing layer %.12s", l->chain_id);
		goto out;
	}
	rc = 0;
out:
	ipc_struct_free(&msg_u_layer_reply_schema, &rep);
	if (rc < 0)
		(void)rmtree_at(layers_fd, tmpname, NULL);
	return rc;
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

static int store_manifest(struct puller *p, int mfd, const char *digest, struct berr *e)
{
	cleanup_close int fd = -1;
	char buf[64 * 1024];
	off_t off = 0;
	uint64_t size;

	if (blobs_exists(p->b->cfg.root, digest))
		return 0;
	fd = blobs_tmpfile(p->b->cfg.root, e);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = pread(mfd, buf, sizeof(buf), off);
		if (n < 0)
			return berr_sys(e, "copying the manifest");
		if (n == 0)
			break;
		if (write(fd, buf, (size_t)n) != n)
			return berr_sys(e, "copying the manifest");
		off += n;
	}
	if (blobs_verify_fd(fd, digest, &size, e) < 0 || blobs_commit(p->b->cfg.root, fd, digest, e) < 0)
		return -1;
	note_new_blob(p, digest);
	return 0;
}

static int pull_one(struct puller *p, char image_id[65], struct berr *e)
{
	char digest[140], mtype[256], top_digest[140];
	cleanup_close int mfd = -1;
	struct msg_v_manifest_reply man = { 0 };
	struct msg_v_config_reply cfg = { 0 };
	struct image_record *rec = NULL;
	struct layer_job *jobs = NULL;
	struct ipc_enc *enc = NULL;
	int rc = -1;

	progress(p, "Trying to pull %s...", p->src->name);
	if (get_manifest(p, p->src->reference, &mfd, digest, mtype, e) < 0 ||
	    verify_manifest(p, mfd, mtype, &man, e) < 0)
		goto out;
	snprintf(top_digest, sizeof(top_digest), "%s", digest);
	if (man.kind == MANIFEST_INDEX) {
		const struct msg_descriptor *d = NULL;
		char child[140];
		if (choose_platform(p, &man, &d, e) < 0)
			goto out;
		snprintf(child, sizeof(child), "%s", d->digest);
		ipc_struct_free(&msg_v_manifest_reply_schema, &man);
		close(mfd);
		mfd = -1;
		if (get_manifest(p, child, &mfd, digest, mtype, e) < 0 ||
		    verify_manifest(p, mfd, mtype, &man, e) < 0)
			goto out;
		if (man.kind != MANIFEST_IMAGE) {
			berr_set(e, BERR_INVALID, 0, "manifest list entry %s is not an image manifest",
				 child);
			goto out;
		}
	}
	progress(p, "Getting image source signatures");
	const struct msg_descriptor *cd = &man.config[0];
	if (strncmp(cd->digest, "sha256:", 7) != 0) {
		berr_set(e, BERR_UNSUPPORTED, 0, "image config %s: only sha256 configs are "
			 "supported", cd->digest);
		goto out;
	}
	if (cd->size > CONFIG_MAX) {
		berr_set(e, BERR_INVALID, 0, "image config is %llu bytes, more than the 4 MiB "
			 "allowed", (unsigned long long)cd->size);
		goto out;
	}
	if (get_blob_now(p, cd, e) < 0 || verify_config(p, cd->digest, &cfg, e) < 0)
		goto out;
	if (cfg.n_diff_ids != man.n_layers) {
		berr_set(e, BERR_INVALID, 0, "the image config lists %zu layers, the manifest %zu",
			 cfg.n_diff_ids, man.n_layers);
		goto out;
	}
	if (man.n_layers > IMG_MAX_LAYERS) {
		berr_set(e, BERR_INVALID, 0, "image has more than %d layers", IMG_MAX_LAYERS);
		goto out;
	}
	rec = calloc(1, sizeof(*rec));
	jobs = calloc(man.n_layers + 1, sizeof(*jobs));
	if (rec == NULL || jobs == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	for (size_t i = 0; i <= man.n_layers; i++)
		jobs[i].tmp_fd = jobs[i].lock_fd = -1;
	if (chain_ids(&cfg, rec, e) < 0)
		goto out;
	rec->n_layers = man.n_layers;
	/* Each layer is locked until the image is recorded: a concurrent pull of an image that
	 * shares it waits for it instead of unpacking it twice, and a concurrent open does not
	 * take the finished directory for an orphan. */
	for (size_t i = 0; i < man.n_layers; i++) {
		struct layer_job *j = &jobs[i];
		j->idx = i;
		j->p = p;
		snprintf(rec->layers[i].blob_digest, sizeof(rec->layers[i].blob_digest), "%s",
			 man.layers[i].digest);
		j->lock_fd = lock_object(p->b->cfg.root, "layer", rec->layers[i].chain_id, false, e);
		if (j->lock_fd < 0)
			goto out;
		j->needed = !imgstore_layer_ready(p->b->db, p->b->cfg.root,
						  rec->layers[i].chain_id);
		j->have_blob = blobs_exists(p->b->cfg.root, man.layers[i].digest);
		if (!j->needed)
			progress(p, "Copying blob %.12s skipped: already exists",
				 short_hex(man.layers[i].digest));
	}
	if (download_layers(p, &man, jobs, man.n_layers, e) < 0)
		goto out;
	for (size_t i = 0; i < man.n_layers; i++) {
		if (!jobs[i].needed)
			continue;
		if (unpack_layer(p, &man.layers[i], &rec->layers[i], e) < 0)
			goto out;
	}
	progress(p, "Copying config %.10s done", short_hex(cd->digest));
	progress(p, "Writing manifest to image destination");
	if (store_manifest(p, mfd, digest, e) < 0)
		goto out;
	/* The record. */
	snprintf(rec->id, sizeof(rec->id), "%s", cd->digest + 7);
	snprintf(rec->manifest_digest, sizeof(rec->manifest_digest), "%s", digest);
	snprintf(rec->manifest_type, sizeof(rec->manifest_type), "%s", man.media_type);
	rec->created = parse_created(cfg.created);
	for (size_t i = 0; i < rec->n_layers; i++) {
		if (!jobs[i].needed) /* in the store already, with its size */
			rec->layers[i].size = imgstore_layer_size(p->b->db, rec->layers[i].chain_id);
		rec->size += rec->layers[i].size;
	}
	enc = ipc_enc_new();
	if (enc == NULL || ipc_enc_struct(enc, &msg_v_config_reply_schema, &cfg, NULL, NULL, 0, e) < 0)
		goto out;
	rec->config = ipc_enc_data(enc, &rec->config_len);
	/* A pull by digest names the image repo@digest, as Podman does (shown with tag <none>). */
	rec->name = p->src->name;
	progress(p, "Storing signatures");
	if (imgstore_commit(p->b->db, rec, e) < 0)
		goto out;
	snprintf(image_id, 65, "%s", rec->id);
	(void)top_digest;
	rc = 0;
out:
	for (size_t i = 0; jobs != NULL && i < man.n_layers; i++) {
		if (jobs[i].tmp_fd >= 0)
			close(jobs[i].tmp_fd);
		if (jobs[i].lock_fd >= 0)
			close(jobs[i].lock_fd);
	}
	free(jobs);
	free(rec);
	ipc_enc_free(enc);
	ipc_struct_free(&msg_v_manifest_reply_schema, &man);
	ipc_struct_free(&msg_v_config_reply_schema, &cfg);
	return rc;
}

static int split_creds(const char *creds, char **user, char **pass, struct berr *e)
{
	const char *colon;

	*user = *pass = NULL;
	if (creds == NULL)
		return 0;
	colon = strchr(creds, ':');
	if (colon == NULL || colon == creds)
		return berr_set(e, BERR_INVALID, 0, "--creds must be USERNAME:PASSWORD");
	*user = strndup(creds, (size_t)(colon - creds));
	*pass = strdup(colon + 1);
	if (*user == NULL || *pass == NULL)
		return berr_sys(e, "allocating");
	return 0;
}

static void forget_new_blobs(struct puller *p)
{
	for (size_t i = 0; i < p->n_new_blobs; i++) {
		struct berr e2 = { 0 };
		if (!imgstore_blob_used(p->b->db, p->new_blobs[i]))
			(void)blobs_remove(p->b->cfg.root, p->new_blobs[i], &e2);
	}
}

int broker_pull(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	struct msg_pull *req = m->body;
	struct pull_source *src = calloc(PULL_MAX_SOURCES, sizeof(*src));
	struct puller p = { .b = b, .req_id = m->id, .quiet = req->quiet, .req = req };
	size_t n = 0;
	int rc = -1;
	char image_id[65];
	struct berr first = { 0 };

	reg_conn_init(&p.conn);
	if (src == NULL)
		return berr_sys(e, "allocating");
	if (split_creds(req->creds, &p.user, &p.pass, e) < 0)
		goto out;
	if (req->creds != NULL)
		OPENSSL_cleanse(req->creds, strlen(req->creds));
	if (resolve_pull(b, req->reference, req->tls_verify, src, PULL_MAX_SOURCES, &n, e) < 0)
		goto out;
	p.verify = wk_spawn(b, "verify", NULL, e);
	if (p.verify == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		p.src = &src[i];
		if (reg_conn_open(b, &p.conn, src[i].registry, src[i].tls_verify, req->cert_dir,
				  e) < 0)
			goto out;
		/* No --creds: the user's auth.json, as `berth login` (or podman login) left it. */
		if (req->creds == NULL) {
			wipe_free(p.user);
			wipe_free(p.pass);
			p.user = p.pass = NULL;
			const char *key = strcmp(src[i].registry, "registry-1.docker.io") == 0
						  ? "docker.io" : src[i].registry;
			if (auth_lookup(req->authfile, key, src[i].repository, &p.user, &p.pass,
					e) < 0)
				goto out;
		}
		if (p.fetch == NULL) {
			p.fetch = wk_spawn(b, "fetch", NULL, e);
			if (p.fetch == NULL)
				goto out;
		}
		berr_clear(e);
		/* http or https, once per registry: the layer downloads use the answer too. */
		if (reg_conn_probe(b, p.fetch, &p.conn, e) == 0 && pull_one(&p, image_id, e) == 0) {
			struct msg_pull_done done = { .image_id = image_id };
			rc = ipc_send(b->front, MSG_PULL_DONE, m->id, &done, NULL, 0, e);
			goto out;
		}
		forget_new_blobs(&p);
		if (first.code == BERR_OK)
			first = *e;
		/* Only "not there" moves on to the next candidate; anything else is an answer. */
		if (e->code != BERR_NOTFOUND || b->stopping)
			break;
		/* The fetch worker's channel may have died with the failure. */
		if (p.fetch != NULL) {
			wk_release(b, p.fetch);
			p.fetch = NULL;
		}
	}
	if (n > 1 && e->code == BERR_NOTFOUND)
		*e = first;
out:
	reg_conn_close(&p.conn);
	wipe_free(p.user);
	wipe_free(p.pass);
	for (size_t i = 0; i < p.n_new_blobs; i++)
		free(p.new_blobs[i]);
	free(p.new_blobs);
	if (p.fetch != NULL)
		wk_release(b, p.fetch);
	if (p.verify != NULL)
		wk_release(b, p.verify);
	free(src);
	return rc;
}
