/* Loading a role's seccomp allowlist (step 6 of sandbox_enter). The text format is parsed by
 * seccomp_policy.c; this file turns the rules into a libseccomp filter and loads it. */
#ifndef BERTH_SANDBOX_SECCOMP_H
#define BERTH_SANDBOX_SECCOMP_H

#include "common/err.h"
#include "sandbox/seccomp_policy.h"

/* sandbox/base.policy, compiled in: the groups a role's policy can @include. */
extern const char sandbox_base_policy_text[];
#define SANDBOX_BASE_POLICY_NAME "sandbox/base.policy"

/* sandbox/sanitizer.policy in ASan/UBSan builds (-DBERTH_SANITIZE=1), else "". Loaded on top
 * of every role's policy in those builds only. */
extern const char sandbox_sanitizer_policy_text[];
#define SANDBOX_SANITIZER_POLICY_NAME "sandbox/sanitizer.policy"

/* Parses a role's policy text the way sandbox_enter() does (base groups, plus the sanitizer
 * rules in a sanitizer build) into *pol. For tools and tests; makes no system call. */
int sandbox_seccomp_compile(const char *name, const char *text, struct scp_policy *pol,
			    struct berr *e);

/* Compiles and loads the filter: default action kill-process, a foreign architecture (i386
 * via int 0x80, x32) killed as well. Irreversible. *nrules gets the number of rules loaded.
 * Returns 0 or -1 with *e set. */
int sandbox_seccomp_load(const char *name, const char *text, int *nrules, struct berr *e);

#endif
