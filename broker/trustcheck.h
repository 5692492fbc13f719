/* The trust policy's verdict on an image before anything of it is stored (issue 5): pull
 * (docker transport) and load (docker-archive, oci-archive) ask here first.
 *
 * The policy is the one `image trust show` reads (broker/trustcmd.h: --signature-policy, then
 * the rootless user's, then /etc/containers/policy.json). With no file anywhere every image is
 * accepted, as Podman on Debian does. Every requirement of the scope that applies must hold:
 *  - insecureAcceptAnything holds;
 *  - reject never holds: the error names the image, the policy file and the scope;
 *  - signedBy holds when one of the image's lookaside signatures (registries.d: file://, or
 *    https:// and http:// fetched by berth-fetch until the first 404) is a valid OpenPGP signature by one of the requirement's keys over a payload naming
 *    the pulled manifest's digest and an identity its signedIdentity accepts. The broker
 *    never parses a signature: it opens signature-1, -2, ... until one does not exist and
 *    hands each, with the keys (trusted configuration, read here as bytes), to berth-verify
 *    in its gpg mode (workers/verify/policy.h), which answers with a verdict;
 *  - sigstoreSigned holds when one of the signatures attached to the image in its registry
 *    (registries.d use-sigstore-attachments) verifies with one of the requirement's public
 *    keys over a payload naming the pulled manifest's digest and an accepted identity
 *    (broker/sigstore.h); Fulcio and Rekor requirements are refused when the policy is read.
 * Archives (load) carry no signatures, so there signedBy and sigstoreSigned never hold: a
 * rejection (BERR_DENIED), as containers/image decides.
 * Errors are BERR_DENIED, one line each. */
#ifndef BERTH_BROKER_TRUSTCHECK_H
#define BERTH_BROKER_TRUSTCHECK_H

#include <limits.h>

#include "broker/broker.h"
#include "broker/wk.h"
#include "common/err.h"
#include "policy/trust.h"

struct trustcheck {
	struct trust_policy *policy; /* owned; NULL when no policy file exists (accept) */
	char path[PATH_MAX];         /* the file read, "" when none */
	/* Set by trustcheck_docker when signatures must be checked (it returned 1): */
	const struct trust_req *reqs; /* points into policy */
	size_t n_reqs;
	const char *scope;           /* points into policy; NULL for its default */
};

/* Loads the policy that applies (override: --signature-policy, a clean absolute path, or
 * NULL). A malformed policy is an error, never "accept". Returns 0, or -1 with *e set and
 * nothing to close. */
int trustcheck_open(const struct broker *b, const char *override, struct trustcheck *tc,
		    struct berr *e);
void trustcheck_close(struct trustcheck *tc);

/* The verdict for pulling name ("host[:port]/repo:tag" or "...@digest", a reference with a
 * domain) from a registry, before anything is fetched. Returns 0 when the image may be
 * pulled, 1 when its signatures must be checked once the manifest's digest is known
 * (trustcheck_signatures), or -1 with *e set. */
int trustcheck_docker(struct trustcheck *tc, const char *name, struct berr *e);

/* After trustcheck_docker returned 1: every sigstoreSigned requirement must be met by one of
 * the image's sigstore attachments, read through f (sigstore.h), and every signedBy
 * requirement by one of the lookaside signatures of name for the manifest digest (the
 * top-level manifest as the registry served it, hashed by the broker). An http(s) lookaside is
 * read through fetch (the pull's berth-fetch, not owned), with the lookaside host's certs.d or
 * cert_dir (--cert-dir, or NULL). On acceptance, "signedBy:<fingerprint>" and
 * "sigstoreSigned:<key>" for each requirement (what met it) are appended to provenance (plen
 * bytes; policy/trust.h trust_provenance_add). Returns 0, or -1 with *e set (BERR_DENIED with
 * the reason of the last signature refused, or "no signature"). */
struct sigstore_fetcher;
int trustcheck_signatures(struct broker *b, const struct trustcheck *tc, struct wk *fetch,
			  const char *cert_dir, const char *name, const char *digest,
			  const struct sigstore_fetcher *f, char *provenance, size_t plen,
			  struct berr *e);

/* The verdict for loading an image from an archive of transport ("docker-archive",
 * "oci-archive"): only the transport's "" scope and the default are looked at. what names
 * the archive's image in messages. Returns 0, or -1 with *e set. */
int trustcheck_archive(const struct trustcheck *tc, const char *transport, const char *what,
		       struct berr *e);

#endif
