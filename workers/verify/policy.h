/* berth-verify's sandbox: the const policy its main hands to sandbox_enter() before it reads
 * its first request. The seccomp allowlist is workers/verify/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_VERIFY_POLICY_H
#define BERTH_WORKERS_VERIFY_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy verify_sandbox_policy;
/* The text of workers/verify/seccomp.policy, NUL-terminated. */
extern const char verify_seccomp_policy_text[];

#endif
