/* berth-unpack: extracts one layer (libarchive) into one directory fd it was given; no network,
 * nothing outside that directory. Today it answers MSG_W_INFO. */
#include <stdio.h>

#include <archive.h>

#include "workers/common/worker.h"
#include "workers/unpack/policy.h"

static int unpack_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	(void)w;
	(void)argv;
	if (argc != 0)
		return berr_set(e, BERR_INVALID, 0, "berth-unpack takes no arguments");
	return 0;
}

static int unpack_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	(void)w;
	return worker_strv_add(&st->libraries, &st->n_libraries, archive_version_details(), e);
}

static const struct worker_role unpack_role = {
	.name = "unpack",
	.policy = &unpack_sandbox_policy,
	.init = unpack_init,
	.info = unpack_info,
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &unpack_role);
}
