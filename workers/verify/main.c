/* berth-verify: parses untrusted image metadata (manifests, indexes, configs; jansson) and
 * checks signatures (gpgme, OpenSSL). No network, no filesystem.
 *
 * Requests (beyond MSG_W_INFO): MSG_V_MANIFEST and MSG_V_CONFIG, each with the document in
 * fds[0] (a sealed memfd or a read-only file of the store), and MSG_V_USER with the files of a
 * container's root it has (/etc/passwd, /etc/group; the broker opened them read-only), and
 * MSG_V_KEY_UIDS with the OpenPGP public keys a trust policy names (their user IDs), and for
 * sigstoreSigned MSG_V_SIGATTACH (the "sha256-<hex>.sig" attachment manifest in fds[0]) and
 * MSG_V_SIGSTORE (one cosign payload and the policy's PEM keys: OpenSSL, no gpg, so this mode's
 * sandbox suffices). The worker reads each whole with fstat + pread (nothing else is needed, so the base seccomp group
 * suffices), after refusing anything over VERIFY_MAX_INPUT, and answers with the typed reply
 * that manifest.c or passwd.c fills. A bad document is an error reply, never the end of the
 * worker: the broker may send the next one.
 *
 * Set up before the sandbox: gpgme_check_version() must run once before any other gpgme call;
 * jansson's hash seed comes from /dev/urandom, which Landlock will not let it open later (it
 * would fall back to the time and pid, a guessable seed for hash flooding). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpgme.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/reference.h"
#include "policy/trust.h"
#include "workers/common/worker.h"
#include "workers/verify/manifest.h"
#include "workers/verify/passwd.h"
#include "workers/verify/pgpuid.h"
#include "workers/verify/policy.h"
#include "workers/verify/regd_yaml.h"
#include "workers/verify/sigcheck.h"
#include "workers/verify/sigverify.h"

/* The largest manifest or config accepted. Real ones are a few KiB (a 64-entry index, a config
 * with a long history: tens of KiB); the bound keeps a hostile document from costing more than
 * a bounded amount of memory in the parser. */
#define VERIFY_MAX_INPUT (4 * 1024 * 1024)

struct verify_state {
	const char *gpgme_version; /* static string owned by gpgme */
	char gpg_dir[PATH_MAX];    /* gpg mode: where GnuPG homes are made ("" otherwise) */
};

static int verify_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct verify_state *vs = worker_role_state(w);

	(void)argv;
	if (argc != 0)
		return berr_set(e, BERR_INVALID, 0, "berth-verify takes no arguments");
	vs->gpgme_version = gpgme_check_version(NULL);
	if (vs->gpgme_version == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "gpgme failed to initialise");
	json_object_seed(0);
	/* OpenSSL reads its configuration and loads its default provider on first use: here,
	 * before the sandbox, with the digests key fingerprints need (pgpuid.h) fetched once. */
	unsigned char md[EVP_MAX_MD_SIZE];
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
	    EVP_Digest("", 0, md, NULL, EVP_sha1(), NULL) != 1 ||
	    EVP_Digest("", 0, md, NULL, EVP_sha256(), NULL) != 1)
		return berr_set(e, BERR_INTERNAL, 0, "OpenSSL failed to initialise");
	return 0;
}

/* verify --gpg DIR: DIR must be the directory the broker opened at VERIFY_GPG_DIR_FD (the
 * sandbox grants writing beneath that fd; gpg is told the path). */
static int verify_gpg_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct verify_state *vs = worker_role_state(w);
	struct stat a, b;

	if (argc != 2 || strcmp(argv[0], "--gpg") != 0 || argv[1][0] != '/' ||
	    strlen(argv[1]) >= sizeof(vs->gpg_dir))
		return berr_set(e, BERR_INVALID, 0, "usage: berth-verify --gpg DIR");
	if (fstat(VERIFY_GPG_DIR_FD, &a) < 0 || stat(argv[1], &b) < 0)
		return berr_sys(e, "the GnuPG directory %s", argv[1]);
	if (!S_ISDIR(a.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return berr_set(e, BERR_INVALID, 0, "%s is not the directory the broker handed over",
				argv[1]);
	snprintf(vs->gpg_dir, sizeof(vs->gpg_dir), "%s", argv[1]);
	if (verify_init(w, 0, argv, e) < 0)
		return -1;
	/* gpgme finds gpg (through gpgconf) and asks its version on first use: here, while the
	 * worker may still run gpgconf; the answers are cached for the requests. */
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "GnuPG (gpg) is not usable: install gnupg");
	return 0;
}

static int verify_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	struct verify_state *vs = worker_role_state(w);
	char buf[128];

	snprintf(buf, sizeof(buf), "gpgme %s", vs->gpgme_version);
	if (worker_strv_add(&st->libraries, &st->n_libraries, buf, e) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "jansson %s", jansson_version_str());
	if (worker_strv_add(&st->libraries, &st->n_libraries, buf, e) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s", OpenSSL_version(OPENSSL_VERSION));
	return worker_strv_add(&st->libraries, &st->n_libraries, buf, e);
}

/* Reads the whole document in fd (a regular file: a memfd or a file of the store) into a heap
 * buffer (*buf owned by the caller). The size is checked before anything is allocated. */
static int read_document(int fd, const char *what, uint8_t **buf, size_t *len, struct berr *e)
{
	cleanup_free uint8_t *data = NULL;
	struct stat st;
	size_t size, done = 0;
	ssize_t n;
	uint8_t extra;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "%s: fstat", what);
	/* A pipe or socket has no size to check first, and the broker never sends one. */
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "%s: the fd is not a regular file", what);
	if (st.st_size < 0 || st.st_size > VERIFY_MAX_INPUT)
		return berr_set(e, BERR_INVALID, 0, "%s is %jd bytes, more than the %d MiB allowed",
				what, (intmax_t)st.st_size, VERIFY_MAX_INPUT / (1024 * 1024));
	size = (size_t)st.st_size;
	data = malloc(size > 0 ? size : 1);
	if (data == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "%s: out of memory", what);
	/* pread from 0: the fd's offset is shared with the broker's copy and is not ours. */
	while (done < size) {
		n = pread(fd, data + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(e, "reading the %s", what);
		if (n == 0)
			return berr_set(e, BERR_INVALID, 0, "%s: the file shrank while it was read",
					what);
		done += (size_t)n;
	}
	/* The bytes parsed must be the bytes the broker hashed: a file still growing is not. */
	do {
		n = pread(fd, &extra, 1, (off_t)size);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return berr_sys(e, "reading the %s", what);
	if (n > 0)
		return berr_set(e, BERR_INVALID, 0, "%s: the file grew while it was read", what);
	*buf = TAKE_PTR(data);
	*len = size;
	return 0;
}

/* Sends a reply, or says in words why it cannot go: the channel's packet limit is the one
 * bound the parser does not know (the sum of many fields within their own limits). */
static int send_reply(struct worker *w, uint32_t type, uint64_t id, const void *body,
		      const char *what, struct berr *e)
{
	cleanup_free uint8_t *enc = NULL;
	size_t len;

	if (ipc_msg_encode(type, id, body, &enc, &len, e) < 0)
		return berr_wrap(e, "%s", what);
	if (len > IPC_MAX_MSG_WORKER)
		return berr_set(e, BERR_INVALID, 0, "%s: the parsed result is %zu bytes, more than "
				"the %d a worker may send", what, len, IPC_MAX_MSG_WORKER);
	return ipc_send(worker_chan(w), type, id, body, NULL, 0, e);
}

static int handle_manifest(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	const struct msg_v_manifest *req = m->body;
	cleanup_close int fd = TAKE_FD(m->fds[0]);
	cleanup_free uint8_t *buf = NULL;
	struct msg_v_manifest_reply reply;
	size_t len;
	int r;

	if (read_document(fd, "manifest", &buf, &len, e) < 0)
		return -1;
	close(TAKE_FD(fd));
	if (verify_parse_manifest(buf, len, req->media_type, &reply, e) < 0)
		return -1;
	r = send_reply(w, MSG_V_MANIFEST_REPLY, m->id, &reply, "manifest", e);
	ipc_struct_free(&msg_v_manifest_reply_schema, &reply);
	return r;
}

static int handle_config(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	cleanup_close int fd = TAKE_FD(m->fds[0]);
	cleanup_free uint8_t *buf = NULL;
	struct msg_v_config_reply reply;
	size_t len;
	int r;

	if (read_document(fd, "image config", &buf, &len, e) < 0)
		return -1;
	close(TAKE_FD(fd));
	if (verify_parse_config(buf, len, &reply, e) < 0)
		return -1;
	r = send_reply(w, MSG_V_CONFIG_REPLY, m->id, &reply, "image config", e);
	ipc_struct_free(&msg_v_config_reply_schema, &reply);
	return r;
}

static int handle_archive(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	cleanup_close int fd = TAKE_FD(m->fds[0]);
	cleanup_free uint8_t *buf = NULL;
	struct msg_v_archive_reply reply;
	size_t len;
	int r;

	if (read_document(fd, "archive manifest", &buf, &len, e) < 0)
		return -1;
	close(TAKE_FD(fd));
	if (verify_parse_docker_archive(buf, len, &reply, e) < 0)
		return -1;
	r = send_reply(w, MSG_V_ARCHIVE_REPLY, m->id, &reply, "archive manifest", e);
	ipc_struct_free(&msg_v_archive_reply_schema, &reply);
	return r;
}

/* Reads fds[*next] into f when the request says the file is there. */
static int read_user_file(struct ipc_msg *m, bool present, size_t *next, const char *what,
			  uint8_t **buf, struct passwd_file *f, struct berr *e)
{
	cleanup_close int fd = -1;

	f->present = present;
	if (!present)
		return 0;
	if (*next >= m->nfds)
		return berr_set(e, BERR_PROTOCOL, 0, "verify-user: %s is said to be sent but no fd "
				"came with it", what);
	fd = TAKE_FD(m->fds[*next]); /* a macro: no side effects in its argument */
	(*next)++;
	if (read_document(fd, what, buf, &f->len, e) < 0)
		return -1;
	f->buf = *buf;
	return 0;
}

static int handle_user(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	const struct msg_v_user *req = m->body;
	cleanup_free uint8_t *pbuf = NULL, *gbuf = NULL;
	struct passwd_file passwd = { 0 }, group = { 0 };
	struct msg_v_user_reply reply;
	size_t next = 0;
	int r;

	if ((size_t)req->has_passwd + (size_t)req->has_group != m->nfds)
		return berr_set(e, BERR_PROTOCOL, 0, "verify-user: %zu fds for %d files", m->nfds,
				(int)req->has_passwd + (int)req->has_group);
	if (read_user_file(m, req->has_passwd, &next, "the container's /etc/passwd", &pbuf,
			   &passwd, e) < 0 ||
	    read_user_file(m, req->has_group, &next, "the container's /etc/group", &gbuf, &group,
			   e) < 0)
		return -1;
	if (verify_resolve_user(&passwd, &group, req->user, &reply, e) < 0)
		return -1;
	r = send_reply(w, MSG_V_USER_REPLY, m->id, &reply, "user", e);
	ipc_struct_free(&msg_v_user_reply_schema, &reply);
	return r;
}

/* The user IDs of each key file: a key that cannot be read gets its error in the reply, the
 * request itself does not fail (the broker only shows the IDs). */
static int handle_key_uids(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct msg_key_uids keys[IPC_MAX_FDS] = { 0 };
	struct msg_v_key_uids_reply reply = { .keys = keys, .n_keys = m->nfds };
	char *ptrs[IPC_MAX_FDS][PGPUID_MAX], *fptrs[IPC_MAX_FDS][PGPFPR_MAX];
	struct berr kerr[IPC_MAX_FDS] = { 0 };
	/* One struct per key (about 4 KiB each): on the heap. */
	struct pgp_uids *all = calloc(m->nfds, sizeof(*all));
	int r;

	if (all == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nfds; i++) {
		cleanup_close int fd = TAKE_FD(m->fds[i]);
		cleanup_free uint8_t *buf = NULL;
		size_t len;

		if (read_document(fd, "OpenPGP key", &buf, &len, &kerr[i]) < 0 ||
		    pgp_key_uids(buf, len, &all[i], &kerr[i]) < 0) {
			keys[i].error = kerr[i].msg;
			continue;
		}
		for (size_t j = 0; j < all[i].n; j++)
			ptrs[i][j] = all[i].uid[j];
		keys[i].uids = ptrs[i];
		keys[i].n_uids = all[i].n;
		for (size_t j = 0; j < all[i].n_fpr; j++)
			fptrs[i][j] = all[i].fpr[j];
		keys[i].fingerprints = fptrs[i];
		keys[i].n_fingerprints = all[i].n_fpr;
	}
	r = send_reply(w, MSG_V_KEY_UIDS_REPLY, m->id, &reply, "key user IDs", e);
	free(all);
	return r;
}

/* The requirement's signedIdentity and the reference pulled, as a signature request carries
 * them (the broker built them from the policy; checked again here). */
static int request_identity(uint64_t type, char *reference, char *prefix, char *signed_prefix,
			    const char *pulled_name, struct trust_identity *id,
			    struct image_ref *pulled, struct berr *e)
{
	if (type > TRUST_ID_REMAP_IDENTITY)
		return berr_set(e, BERR_INVALID, 0, "unknown signedIdentity type %" PRIu64, type);
	if (ref_parse(pulled_name, pulled, e) < 0 || pulled->domain[0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "the image reference is not a full one");
	id->type = (enum trust_identity_type)type;
	id->reference = reference;
	id->prefix = prefix;
	id->signed_prefix = signed_prefix;
	if ((id->type == TRUST_ID_EXACT_REFERENCE || id->type == TRUST_ID_EXACT_REPOSITORY) &&
	    id->reference == NULL)
		return berr_set(e, BERR_INVALID, 0, "signedIdentity without its reference");
	if (id->type == TRUST_ID_REMAP_IDENTITY && (id->prefix == NULL || id->signed_prefix == NULL))
		return berr_set(e, BERR_INVALID, 0, "remapIdentity without its prefixes");
	return 0;
}

/* One lookaside signature against a signedBy requirement: gpg first (a valid signature by one
 * of the requirement's keys), then what the signed payload says (sigcheck.h). Any refusal is
 * an answer (accepted = false, reason for the user), not a failure of the worker: the broker
 * tries the next signature. */
static int handle_signature(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct verify_state *vs = worker_role_state(w);
	const struct msg_v_signature *req = m->body;
	struct msg_v_signature_reply reply = { 0 };
	cleanup_close int sfd = TAKE_FD(m->fds[0]);
	cleanup_close int kfd = TAKE_FD(m->fds[1]);
	cleanup_free uint8_t *sig = NULL, *keys = NULL;
	size_t sig_len, keys_len;
	struct sig_gpg_result res = { 0 };
	struct trust_identity id = { 0 };
	struct image_ref pulled;
	struct berr why = { 0 };
	int r;

	if (vs->gpg_dir[0] == '\0')
		return berr_set(e, BERR_PROTOCOL, 0, "signature checks need berth-verify --gpg");
	if (request_identity(req->identity, req->identity_reference, req->identity_prefix,
			     req->identity_signed_prefix, req->reference, &id, &pulled, e) < 0 ||
	    read_document(kfd, "public keys", &keys, &keys_len, e) < 0)
		return -1;
	if (read_document(sfd, "signature", &sig, &sig_len, &why) == 0) {
		struct sig_key key = { keys, keys_len };

		if (sig_gpg_verify(sig, sig_len, &key, 1, vs->gpg_dir, &res, &why) == 0) {
			if (sigcheck_simple(res.payload, res.payload_len, req->manifest_digest, &id,
					    &pulled, &why) == 0)
				reply.accepted = true;
		} else if (why.code != BERR_DENIED && why.code != BERR_INVALID) {
			/* gpg could not run: a failure of the check, not a verdict. */
			*e = why;
			return -1;
		}
	}
	reply.fingerprint = res.fingerprint[0] != '\0' ? res.fingerprint : NULL;
	reply.reason = reply.accepted ? NULL : why.msg;
	r = send_reply(w, MSG_V_SIGNATURE_REPLY, m->id, &reply, "signature", e);
	free(res.payload);
	return r;
}

/* The sigstore attachment manifest: its layers, for the broker to fetch the payloads of. */
static int handle_sigattach(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	const struct msg_v_sigattach *req = m->body;
	cleanup_close int fd = TAKE_FD(m->fds[0]);
	cleanup_free uint8_t *buf = NULL;
	struct msg_v_sigattach_reply reply;
	size_t len;
	int r;

	if (read_document(fd, "signature attachment manifest", &buf, &len, e) < 0)
		return -1;
	close(TAKE_FD(fd));
	if (verify_parse_sigattach(buf, len, req->media_type, &reply, e) < 0)
		return -1;
	r = send_reply(w, MSG_V_SIGATTACH_REPLY, m->id, &reply, "signature attachment manifest",
		       e);
	ipc_struct_free(&msg_v_sigattach_reply_schema, &reply);
	return r;
}

/* One cosign signature against a sigstoreSigned requirement: OpenSSL first (a valid signature
 * over the payload by one of the requirement's keys), then what the payload says
 * (sigcheck_cosign). As for handle_signature, a refusal is an answer, not a failure; a key the
 * policy names that cannot be used (not PEM, another curve) is a failure the user must fix. */
static int handle_sigstore(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	const struct msg_v_sigstore *req = m->body;
	struct msg_v_sigstore_reply reply = { 0 };
	cleanup_close int pfd = TAKE_FD(m->fds[0]);
	cleanup_close int kfd = TAKE_FD(m->fds[1]);
	cleanup_free uint8_t *payload = NULL, *keys = NULL;
	size_t payload_len, keys_len;
	struct sig_sigstore_result res;
	struct trust_identity id = { 0 };
	struct image_ref pulled;
	struct berr why = { 0 };

	if (request_identity(req->identity, req->identity_reference, req->identity_prefix,
			     req->identity_signed_prefix, req->reference, &id, &pulled, e) < 0 ||
	    read_document(kfd, "public keys", &keys, &keys_len, e) < 0)
		return -1;
	if (read_document(pfd, "signature payload", &payload, &payload_len, &why) == 0) {
		if (sig_sigstore_verify_keys(payload, payload_len, req->signature, keys, keys_len,
					     &res, &why) == 0) {
			if (sigcheck_cosign(payload, payload_len, req->manifest_digest, &id,
					    &pulled, &why) == 0) {
				reply.accepted = true;
				reply.key_sha256 = res.key_sha256;
				reply.key_index = res.key_index;
			}
		} else if (why.code != BERR_DENIED) {
			/* The policy's keys cannot be used: a failure, not a verdict. */
			*e = why;
			return -1;
		}
	}
	reply.reason = reply.accepted ? NULL : why.msg;
	return send_reply(w, MSG_V_SIGSTORE_REPLY, m->id, &reply, "sigstore signature", e);
}

/* berth-verify's requests. Each carries its documents as fds (the message table bounds how
 * many) and is allowed whenever the worker is ready: each is independent. */
/* One registries.d file: parsed here so that the broker links no YAML parser; the broker checks
 * the entries again and merges them (policy/registries_d.h). */
static int handle_regd(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	const struct msg_v_regd *req = m->body;
	cleanup_close int fd = TAKE_FD(m->fds[0]);
	cleanup_free uint8_t *buf = NULL;
	struct msg_v_regd_reply reply = { 0 };
	struct regd_file f;
	size_t len;
	int r;

	if (read_document(fd, "registries.d file", &buf, &len, e) < 0 ||
	    regd_parse_buf((const char *)buf, len, req->path, &f, e) < 0)
		return -1;
	reply.entries = calloc(f.n_scopes + 1, sizeof(*reply.entries));
	if (reply.entries == NULL) {
		regd_file_clear(&f);
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i <= f.n_scopes; i++) {
		const struct regd_ns *ns = i < f.n_scopes ? &f.scopes[i].ns : &f.def;
		struct msg_regd_entry *x = &reply.entries[reply.n_entries];

		if (i == f.n_scopes && !f.has_default)
			break;
		*x = (struct msg_regd_entry){
			.is_default = i == f.n_scopes,
			.scope = i < f.n_scopes ? f.scopes[i].name : NULL,
			.lookaside = ns->lookaside, .lookaside_staging = ns->lookaside_staging,
			.sigstore = ns->sigstore, .sigstore_staging = ns->sigstore_staging,
			.use_sigstore_attachments = ns->use_sigstore_attachments,
		};
		reply.n_entries++;
	}
	r = send_reply(w, MSG_V_REGD_REPLY, m->id, &reply, "registries.d entries", e);
	free(reply.entries);
	regd_file_clear(&f);
	return r;
}

static const struct ipc_dispatch verify_table[] = {
	{ MSG_V_REGD, true, WS_READY, handle_regd },
	{ MSG_V_MANIFEST, true, WS_READY, handle_manifest },
	{ MSG_V_CONFIG, true, WS_READY, handle_config },
	{ MSG_V_ARCHIVE, true, WS_READY, handle_archive },
	{ MSG_V_USER, true, WS_READY, handle_user },
	{ MSG_V_KEY_UIDS, true, WS_READY, handle_key_uids },
	{ MSG_V_SIGATTACH, true, WS_READY, handle_sigattach },
	{ MSG_V_SIGSTORE, true, WS_READY, handle_sigstore },
};

static const struct worker_role verify_role = {
	.name = "verify",
	.policy = &verify_sandbox_policy,
	.init = verify_init,
	.info = verify_info,
	.table = verify_table,
	.n_table = ARRAY_SIZE(verify_table),
	.role_state_size = sizeof(struct verify_state),
};

/* The gpg mode: signature checks only, under the policy that lets gpg run. */
static const struct ipc_dispatch verify_gpg_table[] = {
	{ MSG_V_SIGNATURE, true, WS_READY, handle_signature },
};

static const struct worker_role verify_gpg_role = {
	.name = "verify",
	.policy = &verify_gpg_sandbox_policy,
	.init = verify_gpg_init,
	.info = verify_info,
	.table = verify_gpg_table,
	.n_table = ARRAY_SIZE(verify_gpg_table),
	.role_state_size = sizeof(struct verify_state),
};

int main(int argc, char **argv)
{
	/* The mode is the last choice made before the sandbox; worker_main skips its own
	 * options (--try-syscall NAME, --sandbox-status) first. */
	bool gpg = false;

	for (int i = 1; i < argc; i++)
		gpg = gpg || strcmp(argv[i], "--gpg") == 0;
	return worker_main(argc, argv, gpg ? &verify_gpg_role : &verify_role);
}
