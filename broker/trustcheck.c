/* The policy's verdict before an image is stored; the rules are in trustcheck.h. */
#include "broker/trustcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/regconn.h"
#include "broker/sigstore.h"
#include "broker/trustcmd.h"
#include "broker/trustkeys.h"
#include "broker/userns.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/reference.h"
#include "common/rmtree.h"
#include "common/xio.h"
#include "ipc/msg.h"

#define SIG_TIMEOUT_MS (60 * 1000)
/* Lookaside signatures looked at per image (containers/image has no limit; a store with more
 * than this for one digest is refused rather than read without end). */
#define SIG_MAX 64
#define SIG_FILE_MAX (4 * 1024 * 1024)
#define NOBODY_ID 65534

int trustcheck_open(const struct broker *b, const char *override, struct trustcheck *tc,
		    struct berr *e)
{
	memset(tc, 0, sizeof(*tc));
	/* The frontend is semi-trusted: the path is checked here again. */
	if (override != NULL && !path_is_clean_abs(override))
		return berr_set(e, BERR_INVALID, 0, "--signature-policy must be a clean absolute "
				"path");
	return trust_load_policy(&b->cfg, override, tc->path, sizeof(tc->path), &tc->policy,
				 NULL, e);
}

void trustcheck_close(struct trustcheck *tc)
{
	trust_policy_free(tc->policy);
	tc->policy = NULL;
}

/* Every requirement must hold. A reject anywhere in the list is reported first (it is the
 * answer whatever a signature would say); a signature requirement is refused as unsupported
 * rather than skipped. */
static void scope_words(const char *transport, const char *scope, char *out, size_t len)
{
	if (scope == NULL)
		snprintf(out, len, "its default");
	else if (scope[0] == '\0')
		snprintf(out, len, "the %s transport", transport);
	else
		snprintf(out, len, "%s", scope);
}

/* Returns 0 (accept), 1 (signedBy / sigstoreSigned to check: only when signed_ok), or -1. */
static int decide(const struct trustcheck *tc, const struct trust_req *reqs, size_t n,
		  const char *transport, const char *scope, const char *what, bool signed_ok,
		  struct berr *e)
{
	char where[REF_STR_MAX + 64];
	bool sigs = false;

	scope_words(transport, scope, where, sizeof(where));
	for (size_t i = 0; i < n; i++)
		if (reqs[i].type == TRUST_REJECT)
			return berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s", what,
					tc->path, where);
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].type == TRUST_ACCEPT)
			continue;
		if ((reqs[i].type == TRUST_SIGNED_BY || reqs[i].type == TRUST_SIGSTORE_SIGNED) &&
		    signed_ok) {
			sigs = true;
			continue;
		}
		/* Archives carry no signatures (containers/image: "A signature was required, but
		 * no signature exists"): a signature requirement cannot hold, which is a
		 * rejection, not something berth lacks. */
		if (!signed_ok && (reqs[i].type == TRUST_SIGNED_BY ||
				   reqs[i].type == TRUST_SIGSTORE_SIGNED))
			return berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: it "
					"requires a signature (%s), and %s %s carries no signatures; "
					"pull the image from its registry instead", what, tc->path, where,
					trust_req_type_name(reqs[i].type),
					transport[0] == 'o' ? "an" : "a", transport);
		return berr_set(e, BERR_UNSUPPORTED, 0, "image %s: %s for %s requires %s, "
				"which berth cannot verify yet", what, tc->path, where,
				trust_req_type_name(reqs[i].type));
	}
	return sigs ? 1 : 0;
}

int trustcheck_docker(struct trustcheck *tc, const char *name, struct berr *e)
{
	int r;

	struct image_ref ref;
	const struct trust_req *reqs;
	const char *scope;
	size_t n;

	if (tc->policy == NULL)
		return 0;
	if (ref_parse(name, &ref, e) < 0 || ref.domain[0] == '\0')
		return berr_set(e, BERR_INTERNAL, 0, "trust policy: \"%s\" is not a full reference",
				name);
	if (trust_policy_requirements(tc->policy, "docker", &ref, &reqs, &n, &scope, e) < 0)
		return -1;
	r = decide(tc, reqs, n, "docker", scope, name, true, e);
	if (r == 1) {
		tc->reqs = reqs;
		tc->n_reqs = n;
		tc->scope = scope;
	}
	return r;
}

int trustcheck_archive(const struct trustcheck *tc, const char *transport, const char *what,
		       struct berr *e)
{
	/* Only the transport's "" scope and the default are consulted: the reference is not
	 * looked at. */
	static const struct image_ref none;
	const struct trust_req *reqs;
	const char *scope;
	size_t n;

	if (tc->policy == NULL)
		return 0;
	if (trust_policy_requirements(tc->policy, transport, &none, &reqs, &n, &scope, e) < 0)
		return -1;
	return decide(tc, reqs, n, transport, scope, what, false, e);
}

/* ------------------------------------------------------------------ signatures */

/* signature-1, -2, ... of a file:// lookaside, opened read-only until one does not exist.
 * Returns the count, or -1 with *e set (every fd closed). */
static int open_file_signatures(const char *base, const struct image_ref *ref,
				const char *digest, int *fds, struct berr *e)
{
	int n = 0;

	for (unsigned i = 1; i <= SIG_MAX; i++) {
		char url[REGD_URL_MAX + REF_STR_MAX + 200];
		struct stat st;
		int fd;

		if (regd_signature_url(base, ref, digest, i, url, sizeof(url), e) < 0)
			goto fail;
		/* O_NONBLOCK: a FIFO planted in the store must not block the broker. */
		fd = open(url + 7, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 && errno == ENOENT)
			return n;
		if (fd < 0) {
			berr_sys(e, "open %s", url + 7);
			goto fail;
		}
		fds[n++] = fd;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SIG_FILE_MAX) {
			berr_set(e, BERR_INVALID, 0, "%s is not a regular file of at most %d bytes",
				 url + 7, SIG_FILE_MAX);
			goto fail;
		}
	}
	berr_set(e, BERR_INVALID, 0, "more than %d signatures for %s in %s", SIG_MAX, digest, base);
fail:
	while (n > 0)
		close(fds[--n]);
	return -1;
}

/* The host[:port] of an http(s) lookaside base (after "://", up to the first "/"): the name
 * its certs.d directory has, as for a registry. User information is refused: berth sends no
 * credentials to a lookaside. Returns 0, or -1 with *e set. */
static int lookaside_host(const char *base, char *host, size_t len, struct berr *e)
{
	const char *h = strstr(base, "://") + 3, *end = strchr(h, '/');
	size_t n = end != NULL ? (size_t)(end - h) : strlen(h);

	if (n == 0 || n >= len || memchr(h, '@', n) != NULL)
		return berr_set(e, BERR_INVALID, 0, "lookaside %s: the location must name a host "
				"(and no user)", base);
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

/* One signature over http(s) into a sealed memfd: 1 with *out, 0 when the server has none
 * (404: the end of the list), or -1 with *e set. */
static int get_signature(struct broker *b, struct wk *fetch, const struct reg_conn *conn,
			 const char *url, int *out, struct berr *e)
{
	cleanup_close int fd = memfd_create("berth-signature", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct msg_f_get q = { .repository = (char *)"", .reference = (char *)"",
			       .kind = FETCH_LOOKASIDE, .max_size = SIG_FILE_MAX,
			       .url = (char *)url };
	struct msg_f_get_reply rep = { 0 };
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	struct stat st;

	if (fd < 0)
		return berr_sys(e, "memfd_create");
	nfds = reg_conn_get(conn, &q, fd, fds);
	if (wk_call(b, fetch, MSG_F_GET, &q, fds, nfds, SIG_TIMEOUT_MS, MSG_F_GET_REPLY, &rep,
		    NULL, e) < 0)
		return e->code == BERR_NOTFOUND ? 0 : -1;
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	/* The worker's word on the size is not taken: the memfd says. */
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "fstat");
	if (st.st_size > SIG_FILE_MAX)
		return berr_set(e, BERR_INVALID, 0, "%s: larger than %d bytes", url, SIG_FILE_MAX);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing a signature");
	*out = TAKE_FD(fd);
	return 1;
}

/* signature-1, -2, ... of an http:// or https:// lookaside, fetched by berth-fetch until the
 * first 404 (containers-registries.d(5)); any other failure is an error. TLS is always
 * verified, against the system's CAs and the lookaside host's certs.d (or --cert-dir): the
 * registry's --tls-verify=false names the registry, not this other server. Returns the count,
 * or -1 with *e set (every fd closed). */
static int fetch_signatures(struct broker *b, struct wk *fetch, const char *cert_dir,
			    const char *base, const struct image_ref *ref, const char *digest,
			    int *fds, struct berr *e)
{
	struct reg_conn conn;
	char host[256];
	int n = 0, r;

	if (fetch == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "signatures at %s: no fetch worker", base);
	reg_conn_init(&conn);
	if (lookaside_host(base, host, sizeof(host), e) < 0 ||
	    reg_conn_open(b, &conn, host, true, cert_dir, e) < 0)
		return -1;
	conn.plain_http = strncmp(base, "http://", 7) == 0;
	for (unsigned i = 1; i <= SIG_MAX; i++) {
		char url[REGD_URL_MAX + REF_STR_MAX + 200];

		if (regd_signature_url(base, ref, digest, i, url, sizeof(url), e) < 0)
			goto fail;
		r = get_signature(b, fetch, &conn, url, &fds[n], e);
		if (r < 0)
			goto fail;
		if (r == 0) {
			berr_clear(e);
			reg_conn_close(&conn);
			return n;
		}
		n++;
	}
	berr_set(e, BERR_INVALID, 0, "more than %d signatures for %s at %s", SIG_MAX, digest, base);
fail:
	reg_conn_close(&conn);
	while (n > 0)
		close(fds[--n]);
	return -1;
}

static int open_signatures(struct broker *b, struct wk *fetch, const char *cert_dir,
			   const char *base, const struct image_ref *ref, const char *digest,
			   int *fds, struct berr *e)
{
	if (strncmp(base, "file://", 7) == 0)
		return open_file_signatures(base, ref, digest, fds, e);
	if (strncmp(base, "https://", 8) == 0 || strncmp(base, "http://", 7) == 0)
		return fetch_signatures(b, fetch, cert_dir, base, ref, digest, fds, e);
	return berr_set(e, BERR_UNSUPPORTED, 0, "signatures at %s: berth reads lookaside "
			"signatures from file://, https:// and http:// locations only", base);
}

/* A fresh directory for berth-verify's GnuPG homes, which its uid can write (the worker runs
 * as nobody when that id is mapped, see broker/wk.c). Returns its fd, path in dir. */
static int gpg_dir(char dir[64], struct berr *e)
{
	int fd;

	snprintf(dir, 64, "/tmp/berth-gpg-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return berr_sys(e, "making a directory for berth-verify in /tmp");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (userns_id_mapped(NOBODY_ID) && fchown(fd, NOBODY_ID, NOBODY_ID) < 0)) {
		berr_sys(e, "preparing %s", dir);
		if (fd >= 0)
			close(fd);
		(void)rmdir(dir);
		return -1;
	}
	return fd;
}

/* A primary key fingerprint as berth-verify reports it: 40 (v4) or 64 (v5, v6) hex digits. */
static bool fingerprint_valid(const char *f)
{
	size_t n = strspn(f, "0123456789ABCDEFabcdef");
	return f[n] == '\0' && (n == 40 || n == 64);
}

/* Key i of req (keyData is key 0 when the requirement has it, then its files), as a sealed
 * memfd: each goes on its own to berth-verify's MSG_V_KEY_UIDS. */
static int one_key_fd(const struct trust_req *req, size_t i, struct berr *e)
{
	bool data = req->key_source == TRUST_KEYS_DATA;
	cleanup_free char *buf = NULL;
	cleanup_close int fd = memfd_create("berth-key", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t len = 0;

	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (!data || i > 0) {
		const char *path = req->key_paths[i - (data ? 1 : 0)];
		if (xread_regular_file_at(AT_FDCWD, path, TRUSTKEYS_MAX, &buf, &len, NULL, e) < 0)
			return berr_wrap(e, "reading the public key %s", path);
	}
	if (xwrite_all(fd, data && i == 0 ? (const char *)req->key_data : buf,
		       data && i == 0 ? req->key_data_len : len, e) < 0)
		return -1;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing a public key");
	return TAKE_FD(fd);
}

/* The primary fingerprints of a requirement's keys (the first FPRS_MAX). */
#define FPRS_MAX 64
struct key_fprs {
	size_t n;
	char fpr[FPRS_MAX][65];
};

static bool fpr_named(const struct key_fprs *k, const char *fpr)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcasecmp(k->fpr[i], fpr) == 0)
			return true;
	return false;
}

/* Asks a berth-verify of its own (*kw, spawned on first use; not the gpg one whose answer is
 * checked against this) for the fingerprints of req's keys, IPC_MAX_FDS at a time, with its
 * own OpenPGP packet walker (workers/verify/pgpuid.h), not gpg. A key it cannot read gives no
 * fingerprint, so it can accept nothing. Returns 0, or -1 with *e set. */
static int req_fingerprints(struct broker *b, struct wk **kw, const struct trust_req *req,
			    struct key_fprs *out, struct berr *e)
{
	size_t nkeys = (req->key_source == TRUST_KEYS_DATA ? 1 : 0) + req->n_key_paths;

	out->n = 0;
	for (size_t i = 0; i < nkeys;) {
		struct msg_v_key_uids q = { 0 };
		struct msg_v_key_uids_reply rep = { 0 };
		int fds[IPC_MAX_FDS], rc = 0;
		size_t nf = 0;

		for (; i < nkeys && nf < IPC_MAX_FDS && rc == 0; i++) {
			rc = one_key_fd(req, i, e);
			if (rc >= 0)
				fds[nf++] = rc;
		}
		rc = rc < 0 ? -1 : 0;
		if (rc == 0 && *kw == NULL && (*kw = wk_spawn(b, "verify", NULL, e)) == NULL)
			rc = -1;
		if (rc == 0)
			rc = wk_call(b, *kw, MSG_V_KEY_UIDS, &q, fds, nf, SIG_TIMEOUT_MS,
				     MSG_V_KEY_UIDS_REPLY, &rep, NULL, e);
		if (rc == 0 && rep.n_keys != nf)
			rc = berr_set(e, BERR_PROTOCOL, 0, "berth-verify answered for %zu keys, not "
				      "%zu", rep.n_keys, nf);
		for (size_t k = 0; rc == 0 && k < nf; k++)
			for (size_t j = 0; rc == 0 && j < rep.keys[k].n_fingerprints; j++) {
				const char *f = rep.keys[k].fingerprints[j];
				if (!fingerprint_valid(f))
					rc = berr_set(e, BERR_PROTOCOL, 0, "berth-verify reported a "
						      "malformed key fingerprint");
				else if (out->n < FPRS_MAX)
					snprintf(out->fpr[out->n++], sizeof(out->fpr[0]), "%s", f);
			}
		ipc_struct_free(&msg_v_key_uids_reply_schema, &rep);
		while (nf > 0)
			close(fds[--nf]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* One requirement against every signature: 0 when one is accepted (its key's fingerprint in
 * fpr), else -1 with the reason. The acceptance must name one of the requirement's keys as
 * another worker read them (fprs): anything else is a worker out of protocol, and fails the
 * check (fail closed). */
static int check_req(struct broker *b, struct wk *w, const struct trust_req *req,
		     const struct key_fprs *fprs, const char *name, const char *digest,
		     const int *sigs, int nsigs, char fpr[65], struct berr *e)
{
	cleanup_close int kfd = trustkeys_memfd(req, false, e);
	struct msg_v_signature m = {
		.manifest_digest = (char *)digest, .reference = (char *)name,
		.identity = req->identity.type, .identity_reference = req->identity.reference,
		.identity_prefix = req->identity.prefix,
		.identity_signed_prefix = req->identity.signed_prefix,
	};
	char why[BERR_MSG_MAX] = "";

	if (kfd < 0)
		return -1;
	for (int i = 0; i < nsigs; i++) {
		struct msg_v_signature_reply rep = { 0 };
		int fds[2] = { sigs[i], kfd };
		bool ok;

		if (wk_call(b, w, MSG_V_SIGNATURE, &m, fds, 2, SIG_TIMEOUT_MS,
			    MSG_V_SIGNATURE_REPLY, &rep, NULL, e) < 0)
			return berr_wrap(e, "checking signature %d", i + 1);
		/* Evidence, not truth: an acceptance must name the key that made it. */
		if (rep.accepted && (rep.fingerprint == NULL || !fingerprint_valid(rep.fingerprint))) {
			ipc_struct_free(&msg_v_signature_reply_schema, &rep);
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify accepted signature %d "
					"without naming a valid key fingerprint", i + 1);
		}
		if (rep.accepted && !fpr_named(fprs, rep.fingerprint)) {
			berr_set(e, BERR_PROTOCOL, 0, "berth-verify accepted signature %d by key %s, "
				 "which is not one of the keys the policy names", i + 1,
				 rep.fingerprint);
			ipc_struct_free(&msg_v_signature_reply_schema, &rep);
			return -1;
		}
		ok = rep.accepted;
		if (ok) {
			log_debug("Signature %d of %s: accepted, key %s", i + 1, name, rep.fingerprint);
			snprintf(fpr, 65, "%s", rep.fingerprint);
		} else
			snprintf(why, sizeof(why), "%s", rep.reason != NULL ? rep.reason :
				 "berth-verify gave no reason");
		ipc_struct_free(&msg_v_signature_reply_schema, &rep);
		if (ok)
			return 0;
	}
	return berr_set(e, BERR_DENIED, 0, "%s", why);
}

int trustcheck_signatures(struct broker *b, const struct trustcheck *tc, struct wk *fetch,
			  const char *cert_dir, const char *name, const char *digest,
			  const struct sigstore_fetcher *f, char *provenance, size_t plen,
			  struct berr *e)
{
	struct image_ref ref;
	struct regd *r = NULL;
	const char *base;
	int sigs[SIG_MAX], nsigs = 0, dfd = -1, rc = -1;
	char dir[64] = "", where[REF_STR_MAX + 64];
	struct wk *w = NULL, *kw = NULL;
	struct berr why = { 0 };
	bool lookaside = false;
	struct key_fprs fprs;
	struct sigstore_result res = { 0 };

	scope_words("docker", tc->scope, where, sizeof(where));
	/* sigstoreSigned: from the registry's attachments (broker/sigstore.h). */
	if (sigstore_check(b, f, tc->reqs, tc->n_reqs, tc->path, where, name, digest, &res, e) < 0)
		return -1;
	for (size_t i = 0; i < res.n_by; i++)
		(void)trust_provenance_add(provenance, plen, "sigstoreSigned", res.by[i]);
	sigstore_result_free(&res);
	for (size_t i = 0; i < tc->n_reqs && !lookaside; i++)
		lookaside = tc->reqs[i].type == TRUST_SIGNED_BY;
	if (!lookaside)
		return 0;
	if (ref_parse(name, &ref, e) < 0)
		return -1;
	r = trust_load_regd(b, NULL, e);
	if (r == NULL)
		return -1;
	base = regd_lookaside(r, &ref, false);
	if (base == NULL) {
		berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: it requires a "
			 "signature, and registries.d names no lookaside location for it", name,
			 tc->path, where);
		goto out;
	}
	nsigs = open_signatures(b, fetch, cert_dir, base, &ref, digest, sigs, e);
	if (nsigs < 0) {
		nsigs = 0;
		berr_wrap(e, "image %s: reading its signatures", name);
		goto out;
	}
	if (nsigs == 0) {
		berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: it is not signed "
			 "(no signature for %s at %s)", name, tc->path, where, digest, base);
		goto out;
	}
	dfd = gpg_dir(dir, e);
	if (dfd < 0) {
		dir[0] = '\0';
		goto out;
	}
	w = wk_spawn_fds(b, "verify", (char *[]){ (char *)"--gpg", dir, NULL }, &dfd, 1, e);
	if (w == NULL)
		goto out;
	for (size_t i = 0; i < tc->n_reqs; i++) {
		if (tc->reqs[i].type != TRUST_SIGNED_BY)
			continue;
		char fpr[65];

		if (req_fingerprints(b, &kw, &tc->reqs[i], &fprs, e) < 0)
			goto out;
		if (check_req(b, w, &tc->reqs[i], &fprs, name, digest, sigs, nsigs, fpr,
			      &why) < 0) {
			if (why.code == BERR_DENIED)
				berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: %s",
					 name, tc->path, where, why.msg);
			else
				*e = why;
			goto out;
		}
		(void)trust_provenance_add(provenance, plen, "signedBy", fpr);
	}
	rc = 0;
out:
	if (w != NULL)
		wk_finish(b, w, 5000);
	if (kw != NULL)
		wk_finish(b, kw, 5000);
	if (dfd >= 0)
		close(dfd);
	if (dir[0] != '\0' && rmtree_at(AT_FDCWD, dir, &why) < 0)
		log_warn("Removing %s: %s", dir, why.msg);
	while (nsigs > 0)
		close(sigs[--nsigs]);
	regd_free(r);
	return rc;
}
