/* berth-launch's sandbox for its monitor phase: entered after the OCI runtime was started,
 * for the rest of the container's life. It waits, relays and signals; it keeps CAP_KILL (the
 * container's processes may run as other uids). */
#include "workers/launch/policy.h"

#include <linux/capability.h>
#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "ipc/msg.h"
#include "workers/common/worker.h"
#include "workers/launch/monitor.h"

SANDBOX_EMBED(launch_seccomp_policy_text, "workers/launch/seccomp.policy");

/* The IPC socket, /proc/self/status opened before the sandbox (worker.h: the worker reports
 * its own confinement from it, since Landlock will not let it open the file again), and the
 * monitor's fixed fds (monitor.h); in probe mode those are not open. */
static const int launch_keep_fds[] = {
	WORKER_IPC_FD, WORKER_STATUS_FD, MON_STDIO_FD, MON_STDIO_FD + 1, MON_STDIO_FD + 2, MON_LOCK_FD,
	MON_DIR_FD, MON_EXITS_FD, MON_OUT_FD, MON_ERR_FD, MON_IN_FD, MON_CTL_FD, LAUNCH_CTL_FD,
	MON_TRIGGER_FD, MON_PIDFD, MON_SIGNAL_FD, MON_PTY_FD, MON_WINCH_FD,
};

/* The only places it writes: the container's bundle (ctr.log and its rotation) and the exit
 * file directory. */
static const int launch_rw_fds[] = { MON_DIR_FD, MON_EXITS_FD };

static const int launch_caps[] = {
	CAP_KILL,               /* signal the container's runtime and init */
};

const struct sandbox_policy launch_sandbox_policy = {
	.role = "launch",
	.keep_fds = launch_keep_fds,
	.n_keep_fds = ARRAY_SIZE(launch_keep_fds),
	.rlimit_nofile = 256,   /* log pipes, console, pidfds, timers */
	.caps = launch_caps,
	.n_caps = ARRAY_SIZE(launch_caps),
	.landlock = true,
	.ll_paths = NULL,
	.n_ll_paths = 0,
	.ll_rw_fds = launch_rw_fds,
	.n_ll_rw_fds = ARRAY_SIZE(launch_rw_fds),
	.ll_allow_tcp_connect = false,
	/* Landlock's signal scope would refuse every signal to the runtime and the container:
	 * they were started before this process entered its Landlock domain. */
	.ll_signal_unscoped = true,
	.seccomp_policy = launch_seccomp_policy_text,
	.seccomp_policy_name = "workers/launch/seccomp.policy",
};
