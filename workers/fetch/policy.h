/* berth-fetch's sandbox: the const policy its main hands to sandbox_enter() before it reads
 * its first request. The seccomp allowlist is workers/fetch/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_FETCH_POLICY_H
#define BERTH_WORKERS_FETCH_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy fetch_sandbox_policy;
/* The text of workers/fetch/seccomp.policy, NUL-terminated. */
extern const char fetch_seccomp_policy_text[];

#endif
