/* berth-netsetup's sandbox. Configuring container networks needs CAP_NET_ADMIN (rtnetlink),
 * CAP_NET_RAW and CAP_SYS_ADMIN (setns into a network namespace); the filter keeps CAP_SYS_ADMIN
 * from meaning mount, unshare or any other namespace. Landlock grants no path for now: the
 * network work will pass namespace fds (from /proc/<pid>/ns/net or /run/berth/netns) instead
 * of letting this worker open them. */
#include "workers/netsetup/policy.h"

#include <linux/capability.h>
#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/worker.h"

SANDBOX_EMBED(netsetup_seccomp_policy_text, "workers/netsetup/seccomp.policy");

/* The IPC socket, and /proc/self/status opened before the sandbox (worker.h): the worker
 * reports its own confinement from it, since Landlock will not let it open the file again. */
static const int netsetup_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD };

static const int netsetup_caps[] = {
	CAP_NET_ADMIN,          /* interfaces, addresses, routes */
	CAP_NET_RAW,            /* raw/packet sockets for the network work */
	CAP_SYS_ADMIN,          /* setns(CLONE_NEWNET) */
};

const struct sandbox_policy netsetup_sandbox_policy = {
	.role = "netsetup",
	.keep_fds = netsetup_keep_fds,
	.n_keep_fds = ARRAY_SIZE(netsetup_keep_fds),
	.rlimit_nofile = 64,
	.caps = netsetup_caps,
	.n_caps = ARRAY_SIZE(netsetup_caps),
	.landlock = true,
	.ll_paths = NULL,
	.n_ll_paths = 0,
	.ll_allow_tcp_connect = false,
	.seccomp_policy = netsetup_seccomp_policy_text,
	.seccomp_policy_name = "workers/netsetup/seccomp.policy",
};
