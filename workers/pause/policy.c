/* berth-pause's sandbox. The process exists only to keep the rootless user and mount
 * namespaces alive; after setup it sleeps. Nothing open but stdio, no capability, no path,
 * and a filter without even the base group. */
#include "workers/pause/policy.h"

#include <stddef.h>

#include "sandbox/embed.h"

SANDBOX_EMBED(pause_seccomp_policy_text, "workers/pause/seccomp.policy");

const struct sandbox_policy pause_sandbox_policy = {
	.role = "pause",
	.keep_fds = NULL,       /* it serves nothing and listens on nothing */
	.n_keep_fds = 0,
	.rlimit_nofile = 0,     /* only RLIMIT_CORE: it opens nothing anyway */
	.caps = NULL,
	.n_caps = 0,
	.landlock = true,
	.ll_paths = NULL,
	.n_ll_paths = 0,
	.ll_allow_tcp_connect = false,
	.seccomp_policy = pause_seccomp_policy_text,
	.seccomp_policy_name = "workers/pause/seccomp.policy",
};
