/* berth-fetch: the registry client. It will speak the OCI distribution protocol with libcurl and
 * OpenSSL, writing only into fds the broker opened for it. Today it answers MSG_W_INFO.
 *
 * libcurl and OpenSSL are initialised here, before the sandbox, because their global set-up
 * reads configuration files and may load modules that the sandbox later forbids. */
#include <stdio.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "workers/common/worker.h"
#include "workers/fetch/policy.h"

static int fetch_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	(void)w;
	(void)argv;
	if (argc != 0)
		return berr_set(e, BERR_INVALID, 0, "berth-fetch takes no arguments");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return berr_set(e, BERR_INTERNAL, 0, "libcurl failed to initialise");
	return 0;
}

static int fetch_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	char buf[128];

	(void)w;
	snprintf(buf, sizeof(buf), "libcurl %s", v->version);
	if (worker_strv_add(&st->libraries, &st->n_libraries, buf, e) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s", OpenSSL_version(OPENSSL_VERSION));
	return worker_strv_add(&st->libraries, &st->n_libraries, buf, e);
}

static const struct worker_role fetch_role = {
	.name = "fetch",
	.policy = &fetch_sandbox_policy,
	.init = fetch_init,
	.info = fetch_info,
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &fetch_role);
}
