/* berth-verify: parses untrusted image metadata (manifests, indexes, configs; jansson) and
 * checks signatures (gpgme, OpenSSL). No network, no filesystem. Today it answers MSG_W_INFO.
 *
 * gpgme_check_version() must run once before any other gpgme call and sets up the library's
 * global state; it runs here, before the sandbox. */
#include <stdio.h>

#include <gpgme.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "workers/common/worker.h"
#include "workers/verify/policy.h"

struct verify_state {
	const char *gpgme_version; /* static string owned by gpgme */
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

static const struct worker_role verify_role = {
	.name = "verify",
	.policy = &verify_sandbox_policy,
	.init = verify_init,
	.info = verify_info,
	.role_state_size = sizeof(struct verify_state),
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &verify_role);
}
