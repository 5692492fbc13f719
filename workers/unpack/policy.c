/* berth-unpack's sandbox. It must recreate a layer exactly (owners, modes, device nodes,
 * file capabilities), so it keeps the file-ownership capabilities; it must not reach anything
 * but the layer directory, so Landlock grants no path yet: the directory fd the broker passes
 * will be added as a rule when extraction is implemented. No socket, no process. */
#include "workers/unpack/policy.h"

#include <linux/capability.h>
#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/worker.h"

SANDBOX_EMBED(unpack_seccomp_policy_text, "workers/unpack/seccomp.policy");

/* The IPC socket, and /proc/self/status opened before the sandbox (worker.h): the worker
 * reports its own confinement from it, since Landlock will not let it open the file again. */
static const int unpack_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD };

static const int unpack_caps[] = {
	CAP_CHOWN,              /* restore the layer's owners */
	CAP_DAC_OVERRIDE,       /* write into directories the layer made read-only */
	CAP_FOWNER,             /* set modes and times on files we do not own */
	CAP_FSETID,             /* keep setuid/setgid bits as the layer has them */
	CAP_MKNOD,              /* device nodes (rootful) */
	CAP_SETFCAP,            /* security.capability xattrs */
};

const struct sandbox_policy unpack_sandbox_policy = {
	.role = "unpack",
	.keep_fds = unpack_keep_fds,
	.n_keep_fds = ARRAY_SIZE(unpack_keep_fds),
	.rlimit_nofile = 64,
	.caps = unpack_caps,
	.n_caps = ARRAY_SIZE(unpack_caps),
	.landlock = true,
	.ll_paths = NULL,
	.n_ll_paths = 0,
	.ll_allow_tcp_connect = false,
	.seccomp_policy = unpack_seccomp_policy_text,
	.seccomp_policy_name = "workers/unpack/seccomp.policy",
};
