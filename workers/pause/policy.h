/* berth-pause's sandbox: the const policy its main hands to sandbox_enter() once the
 * namespaces it holds are set up. The seccomp allowlist is workers/pause/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_PAUSE_POLICY_H
#define BERTH_WORKERS_PAUSE_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy pause_sandbox_policy;
/* The text of workers/pause/seccomp.policy, NUL-terminated. */
extern const char pause_seccomp_policy_text[];

#endif
