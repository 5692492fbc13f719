/* berth-unpack's sandbox: the const policy its main hands to sandbox_enter() before it reads
 * its first request. The seccomp allowlist is workers/unpack/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_UNPACK_POLICY_H
#define BERTH_WORKERS_UNPACK_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy unpack_sandbox_policy;
/* The text of workers/unpack/seccomp.policy, NUL-terminated. */
extern const char unpack_seccomp_policy_text[];

#endif
