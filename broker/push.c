#include "broker/push.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/auth.h"
#include "broker/blobs.h"
#include "broker/cosign.h"
#include "broker/imgstore.h"
#include "broker/regconn.h"
#include "broker/registries.h"
#include "broker/resolve.h"
#include "broker/sign.h"
#include "broker/sigstore.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/reference.h"
#include "common/xio.h"
#include "ipc/codec.h"

#define PUSH_TIMEOUT_MS (60 * 60 * 1000)
/* berth-verify parses one attachment manifest of at most 4 MiB: a minute is far beyond that. */
#define VERIFY_TIMEOUT_MS (60 * 1000)

struct pusher {
	struct broker *b;
	uint64_t req_id;
	bool quiet;
	struct wk *fetch;        /* not owned */
	struct reg_conn conn;    /* owned: the registry's TLS, certs.d material, http or https */
	char registry[256];
	char repository[512];
	bool tls_verify;
	char *user;              /* owned, wiped */
	char *pass;              /* owned, wiped */
};

static void say(struct pusher *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pusher *p, const char *fmt, ...)
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

static const char *hex_of(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c != NULL ? c + 1 : digest;
}

/* Uploads what fd holds (a file of the store, or a sealed memfd berth wrote). */
static int put_fd(struct pusher *p, uint64_t kind, const char *reference, const char *media_type,
		  int fd, struct msg_f_put_reply *rep, struct berr *e)
{
	struct msg_f_put req = { 0 };
	struct stat st;
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;

	if (fstat(fd, &st) < 0)
		return berr_sys(e, "fstat");
	req.repository = p->repository;
	req.kind = kind;
	req.reference = (char *)reference;
	req.media_type = (char *)media_type;
	req.size = (uint64_t)st.st_size;
	req.username = p->user;
	req.password = p->pass;
	nfds = reg_conn_put(&p->conn, &req, fd, fds);
	memset(rep, 0, sizeof(*rep));
	return wk_call(p->b, p->fetch, MSG_F_PUT, &req, fds, nfds, PUSH_TIMEOUT_MS, MSG_F_PUT_REPLY, rep, NULL, e);
}

static int put(struct pusher *p, uint64_t kind, const char *reference, const char *media_type,
	       const char *blob_digest, struct msg_f_put_reply *rep, struct berr *e)
{
	cleanup_close int fd = blobs_open(p->b->cfg.root, blob_digest, e);

	if (fd < 0)
		return berr_wrap(e, "image content missing from the store");
	return put_fd(p, kind, reference, media_type, fd, rep, e);
}

/* A sealed memfd holding data, and its digest. Returns the fd or -1. */
static int memfd_of(const char *name, const void *data, size_t len, char digest[72],
		    struct berr *e)
{
	cleanup_close int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint64_t size;

	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (xwrite_all(fd, data, len, e) < 0)
		return -1;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing %s", name);
	if (blobs_sha256_fd(fd, digest, &size, e) < 0)
		return -1;
	/* berth-fetch takes uploads from read-only fds only: the same file, opened again. */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int ro = open(proc, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		return berr_sys(e, "reopening %s read-only", name);
	return ro;
}

/* The sigstore attachment of the pushed manifest (digest): payload and config blobs, then the
 * manifest tagged sha256-<hex>.sig, as containers/image writes it. With old (the attachment
 * that was there, as berth-verify read it and existing_sigstore() checked it), the signature is
 * appended: the old layers stay as they were (their payload blobs are in the repository
 * already) and the config lists every layer, as containers/image's
 * putSignaturesToSigstoreAttachments does; a signature that is there already (same payload and
 * annotations) is not added twice. */
static int push_sigstore(struct pusher *p, const char *payload, size_t payload_len,
			 const char *sig_b64, const char *digest,
			 const struct msg_v_sigattach_reply *old, struct berr *e)
{
	cleanup_free char *config = NULL, *manifest = NULL;
	cleanup_free const char **ids = NULL;
	cleanup_close int pfd = -1, cfd = -1, mfd = -1;
	char pdig[72], cdig[72], mdig[72], tag[80];
	size_t config_len, manifest_len, n_old = old != NULL ? old->n_layers : 0;
	struct msg_f_put_reply rep = { 0 };
	int rc;

	snprintf(tag, sizeof(tag), "sha256-%s.sig", hex_of(digest));
	if ((pfd = memfd_of("berth-sigstore-payload", payload, payload_len, pdig, e)) < 0)
		return -1;
	for (size_t i = 0; i < n_old; i++) {
		const struct msg_sigattach_layer *l = &old->layers[i];

		if (strcmp(l->media_type, COSIGN_LAYER_TYPE) == 0 && strcmp(l->digest, pdig) == 0 &&
		    l->n_annotations == 1 &&
		    strcmp(l->annotations[0].key, COSIGN_SIG_ANNOTATION) == 0 &&
		    strcmp(l->annotations[0].value, sig_b64) == 0) {
			log_debug("Signature with digest %s already exists on the registry", pdig);
			return 0;
		}
	}
	ids = calloc(n_old + 1, sizeof(*ids));
	if (ids == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < n_old; i++)
		ids[i] = old->layers[i].digest;
	ids[n_old] = pdig;
	if (cosign_config_n(ids, n_old + 1, &config, &config_len, e) < 0 ||
	    (cfd = memfd_of("berth-sigstore-config", config, config_len, cdig, e)) < 0 ||
	    cosign_manifest_append(old, cdig, config_len, pdig, payload_len, sig_b64, &manifest,
				   &manifest_len, e) < 0 ||
	    (mfd = memfd_of("berth-sigstore-manifest", manifest, manifest_len, mdig, e)) < 0)
		return -1;
	rc = put_fd(p, FETCH_BLOB, pdig, NULL, pfd, &rep, e);
	ipc_struct_free(&msg_f_put_reply_schema, &rep);
	if (rc == 0) {
		rc = put_fd(p, FETCH_BLOB, cdig, NULL, cfd, &rep, e);
		ipc_struct_free(&msg_f_put_reply_schema, &rep);
	}
	if (rc == 0) {
		rc = put_fd(p, FETCH_MANIFEST, tag, "application/vnd.oci.image.manifest.v1+json", mfd,
			    &rep, e);
		ipc_struct_free(&msg_f_put_reply_schema, &rep);
	}
	if (rc < 0)
		return berr_wrap(e, "pushing the sigstore signature %s", tag);
	return 0;
}

/* berth-verify's reading of an attachment is evidence, not truth: what the new manifest will
 * repeat is checked here (digests, media types, annotation keys), and an attachment it could
 * not carry whole is refused by name. */
static int check_existing(struct pusher *p, const char *tag,
			  const struct msg_v_sigattach_reply *old, struct berr *e)
{
	if (old->unkept != NULL) {
		for (const char *c = old->unkept; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				return berr_set(e, BERR_PROTOCOL, 0, "berth-verify described the "
						"signature attachment %s wrongly", tag);
		return berr_set(e, BERR_UNSUPPORTED, 0, "%s/%s already has sigstore signatures "
				"(%s) with %s, which berth cannot carry over when it adds one; "
				"nothing was pushed", p->registry, p->repository, tag, old->unkept);
	}
	for (size_t i = 0; i < old->n_layers; i++) {
		const struct msg_sigattach_layer *l = &old->layers[i];

		if (!ipc_digest_valid(l->digest) || l->media_type[0] == '\0' ||
		    (l->n_annotations > 0) != (l->annotations != NULL))
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify described the signature "
					"attachment's layer %zu wrongly", i);
		for (size_t j = 0; j < l->n_annotations; j++)
			if (l->annotations[j].key[0] == '\0')
				return berr_set(e, BERR_PROTOCOL, 0, "berth-verify described the "
						"signature attachment's layer %zu wrongly", i);
	}
	return 0;
}

/* The sigstore attachment already in the registry for digest, read as containers/image reads
 * it before appending: GET by berth-fetch into a sealed memfd, parsed by berth-verify
 * (MSG_V_SIGATTACH), checked here. Returns 1 with *old filled (release with ipc_struct_free),
 * 0 when there is none (404), -1 with *e set: nothing has been pushed yet, so an attachment
 * berth cannot read whole refuses the push instead of losing its signatures. */
static int existing_sigstore(struct pusher *p, const char *digest,
			     struct msg_v_sigattach_reply *old, struct berr *e)
{
	struct msg_f_get q = { 0 };
	struct msg_f_get_reply rep = { 0 };
	cleanup_close int fd = memfd_create("berth-sigstore-manifest",
					    MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	char tag[80], mt[256];
	struct berr e2 = { 0 };
	struct msg_v_sigattach req = { .media_type = mt };
	struct wk *w;
	int rc;

	memset(old, 0, sizeof(*old));
	if (fd < 0)
		return berr_sys(e, "memfd_create");
	snprintf(tag, sizeof(tag), "sha256-%s.sig", hex_of(digest));
	q.repository = p->repository;
	q.kind = FETCH_MANIFEST;
	q.reference = tag;
	q.accept = (char *[]){ (char *)"application/vnd.oci.image.manifest.v1+json" };
	q.n_accept = 1;
	q.max_size = SIGSTORE_MANIFEST_MAX;
	q.username = p->user;
	q.password = p->pass;
	nfds = reg_conn_get(&p->conn, &q, fd, fds);
	if (wk_call(p->b, p->fetch, MSG_F_GET, &q, fds, nfds, PUSH_TIMEOUT_MS, MSG_F_GET_REPLY,
		    &rep, NULL, &e2) < 0) {
		if (e2.code == BERR_NOTFOUND)
			return 0;
		*e = e2;
		return berr_wrap(e, "reading the existing sigstore signatures %s", tag);
	}
	snprintf(mt, sizeof(mt), "%s", rep.media_type != NULL ? rep.media_type : "");
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing the signature attachment manifest");
	w = wk_spawn(p->b, "verify", NULL, e);
	if (w == NULL)
		return -1;
	rc = wk_call(p->b, w, MSG_V_SIGATTACH, &req, &fd, 1, VERIFY_TIMEOUT_MS,
		     MSG_V_SIGATTACH_REPLY, old, NULL, e);
	wk_finish(p->b, w, 5000);
	if (rc < 0)
		return berr_wrap(e, "%s/%s already has sigstore signatures (%s), and berth cannot "
				 "read them to add one; nothing was pushed", p->registry,
				 p->repository, tag);
	if (check_existing(p, tag, old, e) < 0) {
		ipc_struct_free(&msg_v_sigattach_reply_schema, old);
		return -1;
	}
	return 1;
}

static int destination(struct broker *b, const char *dest, const char *source, struct pusher *p,
		       char *name, size_t namelen, char *tag, size_t taglen, uint64_t tls,
		       struct berr *e)
{
	struct image_ref ref;
	struct registries *regs = NULL;
	struct registry_match m;
	int rc = -1;

	if (ref_parse(dest != NULL ? dest : source, &ref, e) < 0)
		return berr_wrap(e, "invalid destination");
	if (ref_is_short(&ref) && ref_normalize_docker_io(&ref, e) < 0)
		return -1;
	if (ref.tag[0] == '\0' && ref.digest[0] == '\0')
		snprintf(ref.tag, sizeof(ref.tag), "latest");
	regs = registries_load_conf(b->cfg.registries_conf[0] != '\0' ? b->cfg.registries_conf
								    : NULL,
				    b->cfg.rootless, b->cfg.home[0] != '\0' ? b->cfg.home : NULL, e);
	if (regs == NULL)
		return -1;
	if (registries_find(regs, &ref, &m, e) < 0)
		goto out;
	if (m.blocked) {
		berr_set(e, BERR_DENIED, 0, "registry %s is blocked in %s", ref.domain,
			 registries_sources(regs));
		goto out;
	}
	ref_format(&ref, name, namelen);
	snprintf(tag, taglen, "%s", ref.digest[0] != '\0' ? ref.digest : ref.tag);
	snprintf(p->registry, sizeof(p->registry), "%s",
		 strcmp(m.primary.ref.domain, "docker.io") == 0 ? "registry-1.docker.io"
								: m.primary.ref.domain);
	snprintf(p->repository, sizeof(p->repository), "%s", m.primary.ref.path);
	p->tls_verify = tls == TRI_TRUE ? true : tls == TRI_FALSE ? false : !m.primary.insecure;
	rc = 0;
out:
	registries_free(regs);
	return rc;
}

int broker_push(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	struct msg_push *req = m->body;
	struct pusher p = { .b = b, .req_id = m->id, .quiet = req->quiet };
	struct msg_image_inspect_reply img = { 0 };
	struct msg_f_put_reply rep = { 0 };
	struct msg_v_sigattach_reply old_sigs = { 0 }; /* owned: the attachment appended to */
	char id[65], name[600], tag[160], cfg[80];
	struct ipc_bin sig = { 0 };
	struct image_ref dref;
	char sigdir[PATH_MAX];
	cleanup_free char *cpayload = NULL, *csig = NULL;
	size_t cpayload_len = 0;
	int rc = -1;

	reg_conn_init(&p.conn);
	if (imgstore_lookup(b->db, req->source, id, e) < 0 ||
	    imgstore_inspect(b->db, id, &img, e) < 0)
		goto out;
	/* No destination: the stored name the source stands for ("mybox" is localhost/mybox:latest
	 * if that is what the store holds), not the typed text read as a Docker Hub name. */
	const char *src_name = req->source;
	if (req->destination == NULL) {
		char want[600];
		const char *last = strrchr(req->source, '/');
		bool tagged = strchr(last != NULL ? last : req->source, ':') != NULL;
		snprintf(want, sizeof(want), "%s%s", req->source, tagged ? "" : ":latest");
		for (size_t i = 0; i < img.summary[0].n_names; i++) {
			const char *n = img.summary[0].names[i];
			size_t nl = strlen(n), wl = strlen(want);
			if (strcmp(n, want) == 0 ||
			    (nl > wl && strcmp(n + nl - wl, want) == 0 && n[nl - wl - 1] == '/')) {
				src_name = n;
				break;
			}
		}
	}
	if (destination(b, req->destination, src_name, &p, name, sizeof(name), tag,
			sizeof(tag), req->tls_verify, e) < 0)
		goto out;
	/* --sign-by: signed before anything is sent, so that no key, passphrase or location
	 * problem leaves an unsigned image behind in the registry (containers/image signs after
	 * writing the manifest; the digest is known before, the bytes are pushed as stored). */
	if (req->sign_by != NULL) {
		struct wk *signer;

		if (sign_check_fingerprint(req->sign_by, e) < 0 || ref_parse(name, &dref, e) < 0 ||
		    sign_location(b, &dref, NULL, sigdir, e) < 0)
			goto out;
		say(&p, "Signing manifest using simple signing");
		signer = sign_spawn(b, req->gnupghome, e);
		if (signer == NULL)
			goto out;
		rc = sign_gpg(b, signer, name, img.summary[0].digest, req->sign_by,
			      req->sign_passphrase, &sig, e);
		/* Waited for: berth-sign ends a gpg-agent it started on its way out. */
		wk_finish(b, signer, SIGN_FINISH_MS);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	/* --sign-by-sigstore-private-key: likewise signed first (a wrong passphrase pushes
	 * nothing); the attachment goes up after the image. */
	if (req->sigstore_key.data != NULL) {
		say(&p, "Signing manifest using a sigstore signature");
		rc = cosign_payload(name, img.summary[0].digest, &cpayload, &cpayload_len, e);
		if (rc == 0)
			rc = cosign_sign(req->sigstore_key.data, req->sigstore_key.len,
					 req->sigstore_key_path != NULL ? req->sigstore_key_path
									: "(key)",
					 req->sign_passphrase, (const uint8_t *)cpayload, cpayload_len,
					 &csig, e);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (req->creds != NULL) {
		const char *colon = strchr(req->creds, ':');
		if (colon == NULL || colon == req->creds) {
			berr_set(e, BERR_INVALID, 0, "--creds must be USERNAME:PASSWORD");
			goto out;
		}
		p.user = strndup(req->creds, (size_t)(colon - req->creds));
		p.pass = strdup(colon + 1);
		OPENSSL_cleanse(req->creds, strlen(req->creds));
	}
	if (req->creds == NULL &&
	    auth_lookup(req->authfile, strcmp(p.registry, "registry-1.docker.io") == 0
						? "docker.io" : p.registry,
			p.repository, &p.user, &p.pass, e) < 0)
		goto out;
	if (reg_conn_open(b, &p.conn, p.registry, p.tls_verify, req->cert_dir, e) < 0)
		goto out;
	p.fetch = wk_spawn(b, "fetch", NULL, e);
	if (p.fetch == NULL || reg_conn_probe(b, p.fetch, &p.conn, e) < 0)
		goto out;
	if (csig != NULL && existing_sigstore(&p, img.summary[0].digest, &old_sigs, e) < 0)
		goto out;
	say(&p, "Getting image source signatures");
	for (size_t i = 0; i < img.n_layer_digests; i++) {
		const char *d = img.layer_digests[i];
		if (put(&p, FETCH_BLOB, d, NULL, d, &rep, e) < 0) {
			berr_wrap(e, "pushing blob %s to %s", d, name);
			goto out;
		}
		say(&p, rep.existed ? "Copying blob %.12s skipped: already exists"
				    : "Copying blob %.12s done", hex_of(d));
		ipc_struct_free(&msg_f_put_reply_schema, &rep);
	}
	snprintf(cfg, sizeof(cfg), "sha256:%s", id);
	if (put(&p, FETCH_BLOB, cfg, NULL, cfg, &rep, e) < 0) {
		berr_wrap(e, "pushing the image config to %s", name);
		goto out;
	}
	ipc_struct_free(&msg_f_put_reply_schema, &rep);
	say(&p, "Copying config %.10s done", id);
	say(&p, "Writing manifest to image destination");
	if (put(&p, FETCH_MANIFEST, tag, img.manifest_type, img.summary[0].digest, &rep, e) < 0) {
		berr_wrap(e, "pushing the manifest to %s", name);
		goto out;
	}
	/* The registry's digest of what it stored must be the digest of the bytes sent. */
	if (rep.digest[0] != '\0' && strcmp(rep.digest, img.summary[0].digest) != 0) {
		berr_set(e, BERR_INVALID, 0, "the registry stored the manifest as %.80s, berth sent %s",
			 rep.digest, img.summary[0].digest);
		goto out;
	}
	ipc_struct_free(&msg_f_put_reply_schema, &rep);
	say(&p, "Storing signatures");
	if (csig != NULL &&
	    push_sigstore(&p, cpayload, cpayload_len, csig, img.summary[0].digest, &old_sigs,
			  e) < 0)
		goto out;
	if (sig.data != NULL) {
		unsigned idx;
		if (sign_store(sigdir, &dref, img.summary[0].digest, &sig, &idx, e) < 0)
			goto out;
	}
	struct msg_ok ok = { 0 };
	rc = ipc_send(b->front, MSG_OK, m->id, &ok, NULL, 0, e);
out:
	if (req->sign_passphrase != NULL)
		OPENSSL_cleanse(req->sign_passphrase, strlen(req->sign_passphrase));
	if (req->sigstore_key.data != NULL)
		OPENSSL_cleanse(req->sigstore_key.data, req->sigstore_key.len);
	free(sig.data);
	ipc_struct_free(&msg_v_sigattach_reply_schema, &old_sigs);
	ipc_struct_free(&msg_f_put_reply_schema, &rep);
	ipc_struct_free(&msg_image_inspect_reply_schema, &img);
	reg_conn_close(&p.conn);
	if (p.user != NULL) {
		OPENSSL_cleanse(p.user, strlen(p.user));
		free(p.user);
	}
	if (p.pass != NULL) {
		OPENSSL_cleanse(p.pass, strlen(p.pass));
		free(p.pass);
	}
	if (p.fetch != NULL)
		wk_release(b, p.fetch);
	return rc;
}
