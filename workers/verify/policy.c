/* berth-verify's sandbox: the strictest worker that talks IPC. It parses untrusted metadata
 * handed to it on the socket or in fds, so it gets nothing else: no capability, no path
 * (Landlock with no rule denies every open), no TCP, no socket, no process. */
#include "workers/verify/policy.h"

#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/worker.h"

SANDBOX_EMBED(verify_seccomp_policy_text, "workers/verify/seccomp.policy");

/* The IPC socket, and /proc/self/status opened before the sandbox (worker.h): the worker
 * reports its own confinement from it, since Landlock will not let it open the file again. */
static const int verify_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD };

const struct sandbox_policy verify_sandbox_policy = {
	.role = "verify",
	.keep_fds = verify_keep_fds,
	.n_keep_fds = ARRAY_SIZE(verify_keep_fds),
	.rlimit_nofile = 64,
	.caps = NULL,
	.n_caps = 0,
	.landlock = true,
	.ll_paths = NULL,       /* deny every path */
	.n_ll_paths = 0,
	.ll_allow_tcp_connect = false,
	.seccomp_policy = verify_seccomp_policy_text,
	.seccomp_policy_name = "workers/verify/seccomp.policy",
};
