#include "broker/pull.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/auth.h"
#include "broker/blobs.h"
#include "broker/db.h"
#include "broker/ingest.h"
#include "broker/regconn.h"
#include "broker/resolve.h"
#include "broker/sigstore.h"
#include "broker/trustcheck.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "ipc/codec.h"

#define MANIFEST_MAX INGEST_MANIFEST_MAX
#define META_TIMEOUT_MS (120 * 1000)
#define BLOB_TIMEOUT_MS (30 * 60 * 1000)
#define PARALLEL_DOWNLOADS 3

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
	struct reg_conn conn;    /* owned: src's registry: TLS, certs.d material, http or https */
	struct ingest in;        /* the shared steps; its source is this puller */
	const struct trustcheck *sigs; /* not owned: signatures to check, or NULL */
	char verified_by[TRUST_PROVENANCE_MAX]; /* what accepted the image being pulled */
};

static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
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

/* GET a small blob (the config) into a memfd that is sealed once the worker is done, so no
 * copy of the fd the worker might keep can change it; check its size and digest; store a copy.
 * Layer blobs go straight to the store instead and are hashed only after their workers are
 * gone (download_layers). */
static int get_blob_now(struct ingest *in, const struct msg_descriptor *d, struct berr *e)
{
	struct puller *p = in->src.ctx;
	struct msg_f_get req;
	struct msg_f_get_reply rep = { 0 };
	cleanup_close int fd = -1;
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	uint64_t size;

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
	return ingest_store_blob_fd(in, fd, d, e);
}

/* sigstore.h's fetcher: the attachment manifest (a tag) or a payload blob (a digest) of the
 * repository being pulled, through the puller's berth-fetch and registry connection. The
 * caller seals and hashes what arrives. */
static int get_attachment(void *ctx, bool manifest, const char *ref, uint64_t max, int out_fd,
			  char media_type[256], struct berr *e)
{
	struct puller *p = ctx;
	struct msg_f_get req;
	struct msg_f_get_reply rep = { 0 };
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;

	nfds = fetch_request(p, manifest ? FETCH_MANIFEST : FETCH_BLOB, ref, max, out_fd, &req,
			     fds);
	if (wk_call(p->b, p->fetch, MSG_F_GET, &req, fds, nfds, META_TIMEOUT_MS,
		    MSG_F_GET_REPLY, &rep, NULL, e) < 0)
		return -1;
	snprintf(media_type, 256, "%s", rep.media_type != NULL ? rep.media_type : "");
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
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
static int download_jobs(struct puller *p, const struct msg_descriptor *layers,
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
			const struct msg_descriptor *d = &layers[j->idx];
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
			ingest_progress(&p->in, "Copying blob %.12s", ingest_hex(d->digest));
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
		const struct msg_descriptor *d = &layers[j->idx];
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
		ingest_note_new_blob(&p->in, d->digest);
		close(j->tmp_fd);
		j->tmp_fd = -1;
		j->have_blob = true;
		ingest_progress(&p->in, "Copying blob %.12s done", ingest_hex(d->digest));
	}
	return 0;
}

static int download_layers(struct ingest *in, const struct msg_descriptor *layers,
			   const bool *want, size_t n, struct berr *e)
{
	struct layer_job *jobs = calloc(n + 1, sizeof(*jobs));
	int rc;

	if (jobs == NULL)
		return berr_sys(e, "allocating");
	for (size_t i = 0; i < n; i++) {
		jobs[i].idx = i;
		jobs[i].p = in->src.ctx;
		jobs[i].needed = want[i];
		jobs[i].tmp_fd = -1;
	}
	rc = download_jobs(in->src.ctx, layers, jobs, n, e);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].tmp_fd >= 0)
			close(jobs[i].tmp_fd);
	free(jobs);
	return rc;
}

static int pull_one(struct puller *p, char image_id[65], struct berr *e)
{
	char digest[140], mtype[256], where[1400];
	cleanup_close int mfd = -1;
	struct msg_v_manifest_reply man = { 0 };
	const char *name = p->src->name;
	int rc = -1;

	ingest_progress(&p->in, "Trying to pull %s...", p->src->name);
	if (get_manifest(p, p->src->reference, &mfd, digest, mtype, e) < 0 ||
	    ingest_verify_manifest(&p->in, mfd, mtype, &man, e) < 0)
		goto out;
	/* Signatures sign the manifest the reference names (an index's, for a multi-platform
	 * image), whose digest the broker computed itself; nothing is stored yet. */
	p->verified_by[0] = '\0';
	p->in.verified_by = p->verified_by;
	if (p->sigs != NULL && trustcheck_signatures(p->b, p->sigs, p->fetch, p->req->cert_dir,
						   p->src->name, digest,
						   &(struct sigstore_fetcher){ get_attachment, p },
						   p->verified_by, sizeof(p->verified_by), e) < 0)
		goto out;
	if (man.kind == MANIFEST_INDEX) {
		const struct msg_descriptor *d = NULL;
		char child[140];
		snprintf(where, sizeof(where), "docker://%s/%s:%s", p->src->registry,
			 p->src->repository, p->src->reference);
		if (ingest_choose_platform(&p->in, &man, where, &d, e) < 0)
			goto out;
		snprintf(child, sizeof(child), "%s", d->digest);
		ipc_struct_free(&msg_v_manifest_reply_schema, &man);
		close(mfd);
		mfd = -1;
		if (get_manifest(p, child, &mfd, digest, mtype, e) < 0 ||
		    ingest_verify_manifest(&p->in, mfd, mtype, &man, e) < 0)
			goto out;
		if (man.kind != MANIFEST_IMAGE) {
			berr_set(e, BERR_INVALID, 0, "manifest list entry %s is not an image manifest",
				 child);
			goto out;
		}
	}
	/* A pull by digest names the image repo@digest, as Podman does (shown with tag <none>). */
	rc = ingest_image(&p->in, mfd, digest, &man, &name, 1, image_id, e);
out:
	ipc_struct_free(&msg_v_manifest_reply_schema, &man);
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

int broker_pull(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	struct msg_pull *req = m->body;
	struct pull_source *src = calloc(PULL_MAX_SOURCES, sizeof(*src));
	struct puller p = { .b = b, .req_id = m->id, .quiet = req->quiet, .req = req };
	size_t n = 0;
	int rc = -1;
	char image_id[65];
	struct berr first = { 0 };
	struct trustcheck tc = { 0 };

	reg_conn_init(&p.conn);
	if (src == NULL)
		return berr_sys(e, "allocating");
	/* The policy first: a malformed one fails the pull before any registry is asked. */
	if (trustcheck_open(b, req->policy_path, &tc, e) < 0)
		goto out;
	if (split_creds(req->creds, &p.user, &p.pass, e) < 0)
		goto out;
	if (req->creds != NULL)
		OPENSSL_cleanse(req->creds, strlen(req->creds));
	if (resolve_pull(b, req->reference, req->tls_verify, src, PULL_MAX_SOURCES, &n, e) < 0)
		goto out;
	p.in = (struct ingest){ .b = b, .req_id = m->id, .quiet = req->quiet, .os = req->os,
				.arch = req->arch, .variant = req->variant,
				.src = { get_blob_now, download_layers, &p } };
	p.in.verify = wk_spawn(b, "verify", NULL, e);
	if (p.in.verify == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		p.src = &src[i];
		/* Before anything of the image is fetched or stored (issue 5). */
		int verdict = trustcheck_docker(&tc, src[i].name, e);
		if (verdict < 0)
			goto out;
		p.sigs = verdict == 1 ? &tc : NULL;
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
		ingest_forget_new_blobs(&p.in);
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
	trustcheck_close(&tc);
	reg_conn_close(&p.conn);
	wipe_free(p.user);
	wipe_free(p.pass);
	ingest_free(&p.in);
	if (p.fetch != NULL)
		wk_release(b, p.fetch);
	if (p.in.verify != NULL)
		wk_release(b, p.in.verify);
	free(src);
	return rc;
}
