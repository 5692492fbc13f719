/* The policy's verdict before an image is stored; the rules are in trustcheck.h. */
#include "broker/trustcheck.h"

#include <stdio.h>
#include <string.h>

#include "broker/trustcmd.h"
#include "common/path.h"
#include "common/reference.h"

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
static int decide(const struct trustcheck *tc, const struct trust_req *reqs, size_t n,
		  const char *transport, const char *scope, const char *what, struct berr *e)
{
	char where[REF_STR_MAX + 64];

	if (scope == NULL)
		snprintf(where, sizeof(where), "its default");
	else if (scope[0] == '\0')
		snprintf(where, sizeof(where), "the %s transport", transport);
	else
		snprintf(where, sizeof(where), "%s", scope);
	for (size_t i = 0; i < n; i++)
		if (reqs[i].type == TRUST_REJECT)
			return berr_set(e, BERR_DENIED, 0, "image %s is rejected by %s for %s", what,
					tc->path, where);
	for (size_t i = 0; i < n; i++)
		if (reqs[i].type != TRUST_ACCEPT)
			return berr_set(e, BERR_UNSUPPORTED, 0, "image %s: %s for %s requires %s, "
					"which berth cannot verify yet", what, tc->path, where,
					trust_req_type_name(reqs[i].type));
	return 0;
}

int trustcheck_docker(const struct trustcheck *tc, const char *name, struct berr *e)
{
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
	return decide(tc, reqs, n, "docker", scope, name, e);
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
	return decide(tc, reqs, n, transport, scope, what, e);
}
