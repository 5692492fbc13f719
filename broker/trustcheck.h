/* The trust policy's verdict on an image before anything of it is stored (issue 5): pull
 * (docker transport) and load (docker-archive, oci-archive) ask here first.
 *
 * The policy is the one `image trust show` reads (broker/trustcmd.h: --signature-policy, then
 * the rootless user's, then /etc/containers/policy.json). With no file anywhere every image is
 * accepted, as Podman on Debian does. Every requirement of the scope that applies must hold:
 *  - insecureAcceptAnything holds;
 *  - reject never holds: the error names the image, the policy file and the scope;
 *  - signedBy and sigstoreSigned cannot be checked by berth yet, so they never hold either:
 *    the error says so (an image is never accepted without the check its owner asked for).
 * Errors are BERR_DENIED (BERR_UNSUPPORTED for the signature requirements), one line each. */
#ifndef BERTH_BROKER_TRUSTCHECK_H
#define BERTH_BROKER_TRUSTCHECK_H

#include <limits.h>

#include "broker/broker.h"
#include "common/err.h"
#include "policy/trust.h"

struct trustcheck {
	struct trust_policy *policy; /* owned; NULL when no policy file exists (accept) */
	char path[PATH_MAX];         /* the file read, "" when none */
};

/* Loads the policy that applies (override: --signature-policy, a clean absolute path, or
 * NULL). A malformed policy is an error, never "accept". Returns 0, or -1 with *e set and
 * nothing to close. */
int trustcheck_open(const struct broker *b, const char *override, struct trustcheck *tc,
		    struct berr *e);
void trustcheck_close(struct trustcheck *tc);

/* The verdict for pulling name ("host[:port]/repo:tag" or "...@digest", a reference with a
 * domain) from a registry. Returns 0 when the image may be pulled, or -1 with *e set. */
int trustcheck_docker(const struct trustcheck *tc, const char *name, struct berr *e);

/* The verdict for loading an image from an archive of transport ("docker-archive",
 * "oci-archive"): only the transport's "" scope and the default are looked at. what names
 * the archive's image in messages. Returns 0, or -1 with *e set. */
int trustcheck_archive(const struct trustcheck *tc, const char *transport, const char *what,
		       struct berr *e);

#endif
