/* berth-unpack's sandbox. It must recreate a layer exactly (owners, modes, device nodes,
 * file capabilities), so it keeps the file-ownership capabilities; it must not reach anything
 * but the layer directory, so Landlock grants read and write beneath fd 5 (the directory the
 * broker spawned it with, WORKER_LAYER_FD) and no path at all. No socket, no process. */
#include "workers/unpack/policy.h"

#include <linux/capability.h>
#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/worker.h"
#include "workers/unpack/extract.h"

SANDBOX_EMBED(unpack_seccomp_policy_text, "workers/unpack/seccomp.policy");

/* The IPC socket; /proc/self/status opened before the sandbox (worker.h): the worker reports
 * its own confinement from it, since Landlock will not let it open the file again; and the
 * layer directory. */
static const int unpack_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD, WORKER_LAYER_FD };

/* Landlock: everything beneath the layer directory, nothing else. */
static const int unpack_rw_fds[] = { WORKER_LAYER_FD };

static const int unpack_caps[] = {
	CAP_CHOWN,              /* restore the layer's owners */
	CAP_DAC_OVERRIDE,       /* write into directories the layer made read-only */
	CAP_FOWNER,             /* set modes and times on files we do not own; hard links to
				   them (fs.protected_hardlinks) */
	CAP_FSETID,             /* keep setuid/setgid bits as the layer has them (rootful) */
	CAP_MKNOD,              /* device nodes (rootful) */
	CAP_SETFCAP,            /* security.capability xattrs (rootful) */
	/* Not CAP_SYS_ADMIN: opaque directories are marked user.overlay.opaque in both modes
	 * (berth's overlays are mounted with userxattr), which needs no capability. */
};

#define UNPACK_POLICY_COMMON                                                              \
	.role = "unpack",                                                                   \
	.rlimit_nofile = 64,                                                                \
	.caps = unpack_caps,                                                                \
	.n_caps = ARRAY_SIZE(unpack_caps),                                                  \
	.landlock = true,                                                                   \
	.ll_paths = NULL,                                                                   \
	.n_ll_paths = 0,                                                                    \
	.ll_allow_tcp_connect = false,                                                      \
	.seccomp_policy = unpack_seccomp_policy_text,                                       \
	.seccomp_policy_name = "workers/unpack/seccomp.policy"

const struct sandbox_policy unpack_sandbox_policy = {
	UNPACK_POLICY_COMMON,
	.keep_fds = unpack_keep_fds,
	.n_keep_fds = ARRAY_SIZE(unpack_keep_fds),
	.ll_rw_fds = unpack_rw_fds,
	.n_ll_rw_fds = ARRAY_SIZE(unpack_rw_fds),
};

/* Started without a layer directory (`berth info`, `berth save`, the sandbox test modes): fd 5
 * is neither kept nor granted, so whatever a library may have opened there before the sandbox
 * is closed by sandbox_enter() and never reaches Landlock's grant. Landlock grants no path at
 * all: a save archive goes into an fd passed with the request. */
static const int unpack_nodir_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD };

const struct sandbox_policy unpack_sandbox_policy_nodir = {
	UNPACK_POLICY_COMMON,
	.keep_fds = unpack_nodir_keep_fds,
	.n_keep_fds = ARRAY_SIZE(unpack_nodir_keep_fds),
	.ll_rw_fds = NULL,
	.n_ll_rw_fds = 0,
};
