/* berth-verify's sandbox: the strictest worker that talks IPC. It parses untrusted metadata
 * handed to it on the socket or in fds, so it gets nothing else: no capability, no path
 * (Landlock with no rule denies every open), no TCP, no socket, no process. */
#include "workers/verify/policy.h"

#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/gpgpaths.h"
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

/* ---------------------------------------------------------------- gpg mode */

SANDBOX_EMBED(verify_gpg_seccomp_policy_text, "workers/verify/seccomp-gpg.policy");

/* verify --gpg DIR: the broker opened DIR (a fresh directory of this worker's own) and hands it
 * at VERIFY_GPG_DIR_FD; GnuPG homes are made beneath it. gpg is started by gpgme, so besides
 * DIR the sandbox allows executing /usr/bin/gpg (and the dynamic loader it names) and reading
 * the libraries it loads; nothing else is executable and nothing else writable. */
static const int verify_gpg_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD, VERIFY_GPG_DIR_FD };
static const int verify_gpg_rw_fds[] = { VERIFY_GPG_DIR_FD };

static const struct sandbox_ll_path verify_gpg_ll_paths[] = WORKER_GPG_LL_PATHS;

const struct sandbox_policy verify_gpg_sandbox_policy = {
	.role = "verify",
	.keep_fds = verify_gpg_keep_fds,
	.n_keep_fds = ARRAY_SIZE(verify_gpg_keep_fds),
	.rlimit_nofile = 64,
	.caps = NULL,
	.n_caps = 0,
	.landlock = true,
	.ll_paths = verify_gpg_ll_paths,
	.n_ll_paths = ARRAY_SIZE(verify_gpg_ll_paths),
	.ll_rw_fds = verify_gpg_rw_fds,
	.n_ll_rw_fds = ARRAY_SIZE(verify_gpg_rw_fds),
	.ll_allow_tcp_connect = false,
	.seccomp_policy = verify_gpg_seccomp_policy_text,
	.seccomp_policy_name = "workers/verify/seccomp-gpg.policy",
};
