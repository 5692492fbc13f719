/* sigstoreSigned checks from registry attachments; the rules are in sigstore.h. */
#include "broker/sigstore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/blobs.h"
#include "broker/trustcmd.h"
#include "broker/trustkeys.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/reference.h"
#include "ipc/msg.h"
#include "policy/registries_d.h"

#define SIGSTORE_MIME "application/vnd.dev.cosign.simplesigning.v1+json"
#define VERIFY_TIMEOUT_MS (60 * 1000)
/* As many signatures as the attachment manifest may list (its reply schema). */
#define SIGS_MAX 64

struct attachments {
	int fds[SIGS_MAX];       /* owned: sealed payload memfds, digest checked */
	const char *sig[SIGS_MAX]; /* not owned: points into man */
	size_t n;                /* signatures */
	size_t others;           /* layers that are not signatures */
	char why[BERR_MSG_MAX];  /* a signature refused before any check (no annotation) */
	size_t refused;
	struct msg_v_sigattach_reply man; /* owned */
};

void sigstore_result_free(struct sigstore_result *res)
{
	if (res == NULL)
		return;
	free(res->by);
	res->by = NULL;
	res->n_by = 0;
}

static int seal(int fd, const char *what, struct berr *e)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing %s", what);
	return 0;
}

/* Checks the meaning of berth-verify's reply: evidence, not truth. */
static int check_layers(const struct msg_v_sigattach_reply *man, struct berr *e)
{
	for (size_t i = 0; i < man->n_layers; i++) {
		const struct msg_sigattach_layer *l = &man->layers[i];

		if (!ipc_digest_valid(l->digest) || l->media_type[0] == '\0')
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify described the signature "
					"attachment's layer %zu wrongly", i);
	}
	return 0;
}

/* GETs one payload blob into a sealed memfd and checks its size and digest here. */
static int get_payload(const struct sigstore_fetcher *f, const struct msg_sigattach_layer *l,
		       struct berr *e)
{
	cleanup_close int fd = memfd_create("berth-sigstore-payload", MFD_CLOEXEC |
					    MFD_ALLOW_SEALING);
	char mt[256];
	uint64_t size;

	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (f->get(f->ctx, false, l->digest, l->size, fd, mt, e) < 0 ||
	    seal(fd, "a signature payload", e) < 0)
		return berr_wrap(e, "signature payload %s", l->digest);
	if (blobs_verify_fd(fd, l->digest, &size, e) < 0)
		return berr_wrap(e, "signature payload");
	if (size != l->size)
		return berr_set(e, BERR_INVALID, 0, "signature payload %s is %llu bytes, the "
				"attachment manifest says %llu", l->digest,
				(unsigned long long)size, (unsigned long long)l->size);
	return TAKE_FD(fd);
}

/* The attachment manifest of digest, parsed by w, and the payloads of its signatures.
 * Returns 1 when there is one, 0 when the registry has none (404), -1 with *e set. */
static int get_attachments(struct broker *b, struct wk *w, const struct sigstore_fetcher *f,
			   const char *digest, struct attachments *a, struct berr *e)
{
	cleanup_close int mfd = memfd_create("berth-sigstore-manifest", MFD_CLOEXEC |
					     MFD_ALLOW_SEALING);
	char tag[160], mt[256] = "";
	const char *colon = strchr(digest, ':');
	struct msg_v_sigattach req = { .media_type = mt };

	if (mfd < 0)
		return berr_sys(e, "memfd_create");
	/* containers/image sigstoreAttachmentTag: "<algorithm>-<hex>.sig". */
	snprintf(tag, sizeof(tag), "%.*s-%s.sig", (int)(colon - digest), digest, colon + 1);
	if (f->get(f->ctx, true, tag, SIGSTORE_MANIFEST_MAX, mfd, mt, e) < 0) {
		if (e->code == BERR_NOTFOUND)
			return 0;
		return berr_wrap(e, "the sigstore signatures (tag %s)", tag);
	}
	if (seal(mfd, "the signature attachment manifest", e) < 0)
		return -1;
	if (wk_call(b, w, MSG_V_SIGATTACH, &req, &mfd, 1, VERIFY_TIMEOUT_MS,
		    MSG_V_SIGATTACH_REPLY, &a->man, NULL, e) < 0)
		return berr_wrap(e, "the sigstore signatures (tag %s)", tag);
	if (check_layers(&a->man, e) < 0)
		return -1;
	for (size_t i = 0; i < a->man.n_layers; i++) {
		const struct msg_sigattach_layer *l = &a->man.layers[i];
		int fd;

		/* Attestations and other attachments share the tag; only signatures count. */
		if (strcmp(l->media_type, SIGSTORE_MIME) != 0) {
			a->others++;
			continue;
		}
		if (l->has_certificate || l->has_bundle)
			log_debug("Sigstore signature %zu of %s carries a %s: not used (berth checks "
				  "with the policy's public keys; Fulcio and Rekor are not "
				  "supported)", i + 1, digest,
				  l->has_certificate ? "certificate" : "Rekor bundle");
		if (l->signature == NULL) {
			snprintf(a->why, sizeof(a->why), "sigstore signature %zu has no "
				 "dev.cosignproject.cosign/signature annotation", i + 1);
			a->refused++;
			continue;
		}
		if (l->size > SIGSTORE_PAYLOAD_MAX) {
			snprintf(a->why, sizeof(a->why), "sigstore signature %zu has a payload of "
				 "%llu bytes, more than the %d allowed", i + 1,
				 (unsigned long long)l->size, SIGSTORE_PAYLOAD_MAX);
			a->refused++;
			continue;
		}
		fd = get_payload(f, l, e);
		if (fd < 0)
			return -1;
		a->fds[a->n] = fd;
		a->sig[a->n++] = l->signature;
	}
	return 1;
}

/* One requirement against every signature: 0 with by filled when one is accepted, else -1
 * with the reason (BERR_DENIED) or a failure. */
static int check_req(struct broker *b, struct wk *w, const struct trust_req *req,
		     const char *name, const char *digest, const struct attachments *a,
		     char by[SIGSTORE_BY_MAX], struct berr *e)
{
	cleanup_close int kfd = trustkeys_memfd(req, true, e);
	struct msg_v_sigstore m = {
		.manifest_digest = (char *)digest, .reference = (char *)name,
		.identity = req->identity.type, .identity_reference = req->identity.reference,
		.identity_prefix = req->identity.prefix,
		.identity_signed_prefix = req->identity.signed_prefix,
	};
	char why[BERR_MSG_MAX] = "";
	size_t rejected = a->refused;

	if (kfd < 0)
		return -1;
	snprintf(why, sizeof(why), "%s", a->why);
	for (size_t i = 0; i < a->n; i++) {
		struct msg_v_sigstore_reply rep = { 0 };
		int fds[2] = { a->fds[i], kfd };
		bool ok;

		m.signature = (char *)a->sig[i];
		if (wk_call(b, w, MSG_V_SIGSTORE, &m, fds, 2, VERIFY_TIMEOUT_MS,
			    MSG_V_SIGSTORE_REPLY, &rep, NULL, e) < 0)
			return berr_wrap(e, "checking sigstore signature %zu", i + 1);
		/* Evidence, not truth: an acceptance must name the key that made it. */
		ok = rep.accepted && rep.key_sha256 != NULL && strlen(rep.key_sha256) == 64 &&
		     strspn(rep.key_sha256, "0123456789abcdef") == 64;
		if (ok) {
			snprintf(by, SIGSTORE_BY_MAX, "%.16s", rep.key_sha256);
			log_debug("Sigstore signature %zu of %s: accepted, key %" PRIu64 " (sha256 "
				  "%s)", i + 1, name, rep.key_index, rep.key_sha256);
		} else {
			rejected++;
			if (rejected == 1)
				snprintf(why, sizeof(why), "%s", rep.reason != NULL ? rep.reason :
					 "berth-verify gave no reason");
		}
		ipc_struct_free(&msg_v_sigstore_reply_schema, &rep);
		if (ok)
			return 0;
	}
	if (rejected == 0) {
		if (a->others > 0)
			return berr_set(e, BERR_DENIED, 0, "it is not signed (no sigstore signature "
					"for %s; %zu attachments that are not signatures)", digest,
					a->others);
		return berr_set(e, BERR_DENIED, 0, "it is not signed (no sigstore signature for "
				"%s)", digest);
	}
	if (rejected == 1)
		return berr_set(e, BERR_DENIED, 0, "%s", why);
	return berr_set(e, BERR_DENIED, 0, "none of its %zu sigstore signatures is accepted (the "
			"first: %s)", rejected, why);
}

int sigstore_check(struct broker *b, const struct sigstore_fetcher *f,
		   const struct trust_req *reqs, size_t n, const char *policy, const char *where,
		   const char *name, const char *digest, struct sigstore_result *res,
		   struct berr *e)
{
	struct image_ref ref;
	struct regd *r = NULL;
	struct wk *w = NULL;
	struct attachments *a = NULL;
	struct berr why = { 0 };
	size_t want = 0;
	int rc = -1, got;

	for (size_t i = 0; i < n; i++)
		want += reqs[i].type == TRUST_SIGSTORE_SIGNED;
	if (want == 0)
		return 0;
	if (f == NULL || !ipc_digest_valid(digest))
		return berr_set(e, BERR_INTERNAL, 0, "sigstore check without a registry or a digest");
	if (res != NULL && (res->by = calloc(want, sizeof(*res->by))) == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	if (ref_parse(name, &ref, e) < 0)
		goto out;
	r = trust_load_regd(b, NULL, e);
	if (r == NULL)
		goto out;
	/* containers/image reads attachments only when told to: without it the image has no
	 * sigstore signature it would look at, and the user needs to know which switch that is. */
	if (!regd_use_sigstore_attachments(r, &ref)) {
		berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: it requires a "
			 "sigstore signature, and registries.d does not set use-sigstore-attachments "
			 "for it", name, policy, where);
		goto out;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	w = wk_spawn(b, "verify", NULL, e);
	if (w == NULL)
		goto out;
	got = get_attachments(b, w, f, digest, a, e);
	if (got < 0)
		goto out;
	if (got == 0) {
		berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: it is not signed "
			 "(no sigstore signature for %s: the registry has no tag %.*s-%s.sig)",
			 name, policy, where, digest, (int)(strchr(digest, ':') - digest), digest,
			 strchr(digest, ':') + 1);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char by[SIGSTORE_BY_MAX];

		if (reqs[i].type != TRUST_SIGSTORE_SIGNED)
			continue;
		if (check_req(b, w, &reqs[i], name, digest, a, by, &why) < 0) {
			if (why.code == BERR_DENIED)
				berr_set(e, BERR_POLICY, 0, "image %s is rejected by %s for %s: %s",
					 name, policy, where, why.msg);
			else
				*e = why;
			goto out;
		}
		if (res != NULL)
			snprintf(res->by[res->n_by++], SIGSTORE_BY_MAX, "%s", by);
	}
	rc = 0;
out:
	if (w != NULL)
		wk_finish(b, w, 5000);
	if (a != NULL) {
		while (a->n > 0)
			close(a->fds[--a->n]);
		ipc_struct_free(&msg_v_sigattach_reply_schema, &a->man);
		free(a);
	}
	regd_free(r);
	if (rc < 0)
		sigstore_result_free(res);
	return rc;
}
