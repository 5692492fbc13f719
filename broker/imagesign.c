#include "broker/imagesign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/auth.h"
#include "broker/blobs.h"
#include "broker/regconn.h"
#include "broker/resolve.h"
#include "broker/sign.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/reference.h"
#include "ipc/codec.h"

#define MANIFEST_MAX (4 * 1024 * 1024)
#define META_TIMEOUT_MS (120 * 1000)

static const char *const manifest_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
};

static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* The digest of src's manifest as the registry serves it: GET into a memfd the worker cannot
 * change afterwards, hashed here (the registry's Docker-Content-Digest is not taken). */
static int remote_digest(struct broker *b, const struct msg_image_sign *req,
			 const struct pull_source *src, char digest[80], struct berr *e)
{
	struct reg_conn conn;
	struct msg_f_get q = { 0 };
	struct msg_f_get_reply rep = { 0 };
	cleanup_close int mfd = -1;
	char *user = NULL, *pass = NULL;
	int fds[REG_CONN_MAX_FDS];
	struct wk *fetch = NULL;
	struct stat st;
	uint64_t size;
	size_t nfds;
	int rc = -1;

	reg_conn_init(&conn);
	if (auth_lookup(req->authfile, strcmp(src->registry, "registry-1.docker.io") == 0
						? "docker.io" : src->registry,
			src->repository, &user, &pass, e) < 0 ||
	    reg_conn_open(b, &conn, src->registry, src->tls_verify, req->cert_dir, e) < 0)
		goto out;
	mfd = memfd_create("berth-manifest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		berr_sys(e, "memfd_create");
		goto out;
	}
	fetch = wk_spawn(b, "fetch", NULL, e);
	if (fetch == NULL || reg_conn_probe(b, fetch, &conn, e) < 0)
		goto out;
	q.repository = (char *)src->repository;
	q.kind = FETCH_MANIFEST;
	q.reference = (char *)src->reference;
	q.accept = (char **)manifest_types;
	q.n_accept = ARRAY_SIZE(manifest_types);
	q.max_size = MANIFEST_MAX;
	q.username = user;
	q.password = pass;
	nfds = reg_conn_get(&conn, &q, mfd, fds);
	if (wk_call(b, fetch, MSG_F_GET, &q, fds, nfds, META_TIMEOUT_MS, MSG_F_GET_REPLY, &rep,
		    NULL, e) < 0)
		goto out;
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	wk_release(b, fetch);
	fetch = NULL;
	if (fstat(mfd, &st) < 0) {
		berr_sys(e, "fstat");
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > MANIFEST_MAX) {
		berr_set(e, BERR_INVALID, 0, "the manifest of %s is empty or larger than 4 MiB",
			 src->name);
		goto out;
	}
	if (src->by_digest) {
		if (blobs_verify_fd(mfd, src->reference, &size, e) < 0)
			goto out;
		snprintf(digest, 80, "%s", src->reference);
	} else if (blobs_sha256_fd(mfd, digest, &size, e) < 0) {
		goto out;
	}
	rc = 0;
out:
	if (fetch != NULL)
		wk_release(b, fetch);
	reg_conn_close(&conn);
	wipe_free(user);
	wipe_free(pass);
	return rc;
}

/* One image: the manifest's digest from the first source that answers, then the signature. */
static int sign_one(struct broker *b, const struct msg_image_sign *req, struct wk *signer,
		    const char *input, struct berr *e)
{
	struct pull_source srcs[PULL_MAX_SOURCES];
	struct image_ref ref;
	struct ipc_bin sig = { 0 };
	char dir[PATH_MAX], digest[80];
	size_t n = 0, i;
	unsigned idx;
	int rc = -1;

	if (strncmp(input, "docker://", 9) == 0)
		input += 9;
	if (ref_parse(input, &ref, e) < 0)
		return berr_wrap(e, "invalid image name %.600s", input);
	if (ref.domain[0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "%.600s: image sign needs a fully qualified "
				"reference (registry/repository:tag)", input);
	if (resolve_pull(b, input, req->tls_verify, srcs, ARRAY_SIZE(srcs), &n, e) < 0)
		return -1;
	if (n == 0)
		return berr_set(e, BERR_NOTFOUND, 0, "no registry to read %.600s from", input);
	/* srcs[0].name is the normalised reference ("host/repo:tag"): the signed identity. */
	if (ref_parse(srcs[0].name, &ref, e) < 0 ||
	    sign_location(b, &ref, req->directory, dir, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct berr e2 = { 0 };
		if (remote_digest(b, req, &srcs[i], digest, &e2) == 0)
			break;
		if (i == n - 1) {
			*e = e2;
			return berr_wrap(e, "reading the manifest of %s", srcs[0].name);
		}
	}
	if (sign_gpg(b, signer, srcs[0].name, digest, req->sign_by, NULL, &sig, e) < 0 ||
	    sign_store(dir, &ref, digest, &sig, &idx, e) < 0)
		goto out;
	rc = 0;
out:
	free(sig.data);
	return rc;
}

int broker_image_sign(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_image_sign *req = m->body;
	struct wk *signer;
	struct msg_ok ok = { 0 };
	int rc = 0;

	if (sign_check_fingerprint(req->sign_by, e) < 0)
		return -1;
	signer = sign_spawn(b, req->gnupghome, e);
	if (signer == NULL)
		return -1;
	for (size_t i = 0; i < req->n_images && rc == 0; i++)
		rc = sign_one(b, req, signer, req->images[i], e);
	/* Waited for before the answer: berth-sign ends a gpg-agent it started on its way out,
	 * and once the frontend has its answer it ends the command (and any worker left). */
	wk_finish(b, signer, SIGN_FINISH_MS);
	if (rc < 0)
		return -1;
	return ipc_send(b->front, MSG_OK, m->id, &ok, NULL, 0, e);
}
