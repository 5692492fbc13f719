/* berth-netsetup: network namespaces, rootless pasta/slirp4netns, rootful bridge + veth +
 * nftables, port forwarding (the networking issue). Today it answers MSG_W_INFO. */
#include "workers/common/worker.h"
#include "workers/netsetup/policy.h"

static int netsetup_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	(void)w;
	(void)argv;
	if (argc != 0)
		return berr_set(e, BERR_INVALID, 0, "berth-netsetup takes no arguments");
	return 0;
}

static const struct worker_role netsetup_role = {
	.name = "netsetup",
	.policy = &netsetup_sandbox_policy,
	.init = netsetup_init,
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &netsetup_role);
}
