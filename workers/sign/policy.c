/* berth-sign's sandbox. The worker signs payloads berth made itself (trusted bytes) with the
 * user's secret key, so what it must be kept from is not a hostile input but doing anything
 * else with the user's identity: it may execute /usr/bin/gpg (and the dynamic loader), read the
 * libraries gpg loads, write beneath the user's GnuPG home (gpg's trustdb, random seed, lock
 * files; the gpg-agent socket lives there too) and nothing else. No capability, no TCP. The
 * gpg-agent that holds the secret keys runs outside this sandbox: it is the user's (already
 * running) or started by main.c before the sandbox is entered, as gpg itself would have
 * started it for the user. */
#include "workers/sign/policy.h"

#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/gpgpaths.h"
#include "workers/common/worker.h"

SANDBOX_EMBED(sign_seccomp_policy_text, "workers/sign/seccomp.policy");

static const int sign_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD, SIGN_HOME_FD };
static const int sign_rw_fds[] = { SIGN_HOME_FD };

static const struct sandbox_ll_path sign_ll_paths[] = WORKER_GPG_LL_PATHS;

const struct sandbox_policy sign_sandbox_policy = {
	.role = "sign",
	.keep_fds = sign_keep_fds,
	.n_keep_fds = ARRAY_SIZE(sign_keep_fds),
	.rlimit_nofile = 64,
	.caps = NULL,
	.n_caps = 0,
	.landlock = true,
	.ll_paths = sign_ll_paths,
	.n_ll_paths = ARRAY_SIZE(sign_ll_paths),
	.ll_rw_fds = sign_rw_fds,
	.n_ll_rw_fds = ARRAY_SIZE(sign_rw_fds),
	.ll_allow_tcp_connect = false,
	.seccomp_policy = sign_seccomp_policy_text,
	.seccomp_policy_name = "workers/sign/seccomp.policy",
};
