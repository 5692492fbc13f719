/* berth-verify's sandbox: the const policy its main hands to sandbox_enter() before it reads
 * its first request. The seccomp allowlist is workers/verify/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_VERIFY_POLICY_H
#define BERTH_WORKERS_VERIFY_POLICY_H

#include "sandbox/sandbox.h"

extern const struct sandbox_policy verify_sandbox_policy;
/* The text of workers/verify/seccomp.policy, NUL-terminated. */
extern const char verify_seccomp_policy_text[];

/* The gpg mode's (verify --gpg DIR, signature checks only): DIR arrives open at this fd (the
 * broker's first spawn fd, WK_SPAWN_FD_BASE). Allowlist: workers/verify/seccomp-gpg.policy. */
#define VERIFY_GPG_DIR_FD 5
extern const struct sandbox_policy verify_gpg_sandbox_policy;
extern const char verify_gpg_seccomp_policy_text[];

#endif
