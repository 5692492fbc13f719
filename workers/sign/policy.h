/* berth-sign's sandbox: the const policy its main hands to sandbox_enter() before it reads its
 * first request. The seccomp allowlist is workers/sign/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_SIGN_POLICY_H
#define BERTH_WORKERS_SIGN_POLICY_H

#include "sandbox/sandbox.h"

/* The user's GnuPG home arrives open at this fd (the broker's first spawn fd,
 * WK_SPAWN_FD_BASE); the sandbox lets gpg write beneath it and nowhere else. */
#define SIGN_HOME_FD 5

extern const struct sandbox_policy sign_sandbox_policy;
/* The text of workers/sign/seccomp.policy, NUL-terminated. */
extern const char sign_seccomp_policy_text[];

#endif
