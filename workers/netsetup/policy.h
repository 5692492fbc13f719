/* berth-netsetup's sandbox: the const policy its main hands to sandbox_enter() before it reads
 * its first request. The seccomp allowlist is workers/netsetup/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_NETSETUP_POLICY_H
#define BERTH_WORKERS_NETSETUP_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy netsetup_sandbox_policy;
/* The text of workers/netsetup/seccomp.policy, NUL-terminated. */
extern const char netsetup_seccomp_policy_text[];

#endif
