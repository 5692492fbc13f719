/* berth-launch's sandbox: the const policy its main hands to sandbox_enter() before it reads
 * its first request. The seccomp allowlist is workers/launch/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_LAUNCH_POLICY_H
#define BERTH_WORKERS_LAUNCH_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy launch_sandbox_policy;
/* The text of workers/launch/seccomp.policy, NUL-terminated. */
extern const char launch_seccomp_policy_text[];

#endif
