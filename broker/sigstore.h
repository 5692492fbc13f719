/* sigstoreSigned requirements of the trust policy (issue 5), checked against the signatures
 * attached to the image in its registry, as containers/image reads them
 * (docker/docker_image_src.go getSignaturesFromSigstoreAttachments, signature/
 * policy_eval_sigstore.go):
 *
 *  - only when registries.d sets use-sigstore-attachments for the image's scope; otherwise the
 *    image is rejected with that reason (containers/image would find no signature);
 *  - the attachment is the manifest tagged "sha256-<hex>.sig" (the pulled manifest's digest) in
 *    the same repository; a 404 means the image is not signed;
 *  - each of its layers of media type application/vnd.dev.cosign.simplesigning.v1+json is one
 *    signature: the layer blob is the payload, its "dev.cosignproject.cosign/signature"
 *    annotation the base64 signature; other layers (attestations, SBOMs) are not signatures;
 *  - a requirement holds when one signature verifies with one of its keys (ECDSA P-256 or
 *    Ed25519, PEM) and its payload names the pulled manifest's digest and an identity the
 *    requirement's signedIdentity accepts. Certificates and Rekor bundles in the annotations
 *    are not looked at: berth has the policy's public keys only (Fulcio and Rekor requirements
 *    are refused as unsupported when the policy is read, policy/trust.h).
 *
 * Who does what (DESIGN.md): berth-fetch GETs the attachment manifest and the payload blobs
 * into memfds the broker made and seals; the broker hashes each payload against the digest the
 * manifest gives (never the worker's word); berth-verify (its normal mode: OpenSSL, no gpg)
 * parses the attachment manifest (MSG_V_SIGATTACH) and checks each signature
 * (MSG_V_SIGSTORE). The broker parses none of it. Nothing is stored. */
#ifndef BERTH_BROKER_SIGSTORE_H
#define BERTH_BROKER_SIGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "common/err.h"
#include "policy/trust.h"

/* The largest attachment manifest and payload read (containers/image: 4 MiB for both; a real
 * payload is a few hundred bytes, and berth-verify refuses one over 64 KiB). */
#define SIGSTORE_MANIFEST_MAX (4 * 1024 * 1024)
#define SIGSTORE_PAYLOAD_MAX (64 * 1024)

/* How the attachments are read: from the repository the image is pulled from, with its
 * registry connection and credentials (the puller's, broker/pull.c). */
struct sigstore_fetcher {
	/* GETs ref (a tag: a manifest; a digest: a blob) into out_fd (an empty memfd), at most
	 * max bytes. media_type (256 bytes) receives the Content-Type of a manifest. Returns 0,
	 * or -1 with *e set, BERR_NOTFOUND when the registry says 404. */
	int (*get)(void *ctx, bool manifest, const char *ref, uint64_t max, int out_fd,
		   char media_type[256], struct berr *e);
	void *ctx;
};

/* What accepted the image: one string per sigstoreSigned requirement, the first 16 hex digits
 * of the sha256 of the accepting key's DER SubjectPublicKeyInfo, for the image's provenance
 * (recorded as "sigstoreSigned:<that>"). */
#define SIGSTORE_BY_MAX 48
struct sigstore_result {
	char (*by)[SIGSTORE_BY_MAX]; /* owned (sigstore_result_free) */
	size_t n_by;
};
void sigstore_result_free(struct sigstore_result *res);

/* Checks every sigstoreSigned requirement among reqs (n of them; others are skipped; none:
 * returns 0 at once without reading anything) for the image name (a full reference) whose
 * top-level manifest has digest (computed by the broker). policy and where name the policy
 * file and the scope in messages. res may be NULL. Returns 0 when each holds, or -1 with *e
 * set: BERR_DENIED "image <name> is rejected by <policy> for <where>: <reason>", other codes
 * for failures (the registry, a worker, a key the policy names that cannot be used). */
int sigstore_check(struct broker *b, const struct sigstore_fetcher *f,
		   const struct trust_req *reqs, size_t n, const char *policy, const char *where,
		   const char *name, const char *digest, struct sigstore_result *res,
		   struct berr *e);

#endif
