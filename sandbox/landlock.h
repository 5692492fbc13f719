/* Step 5 of sandbox_enter(): a Landlock ruleset for the role, when the kernel has Landlock. */
#ifndef BERTH_SANDBOX_LANDLOCK_H
#define BERTH_SANDBOX_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "sandbox/sandbox.h"

/* The kernel access bits a sandbox_ll_access mask maps to, limited to what the ABI knows; for
 * a non-directory only the rights the kernel accepts on a file. Pure, for the tests. */
uint64_t sandbox_ll_fs_rights(unsigned access, int abi, bool is_dir);
/* Every filesystem right the ABI knows (what the ruleset handles, i.e. denies by default). */
uint64_t sandbox_ll_fs_handled(int abi);

/* Builds and enforces the ruleset of p (p->landlock must be true). The process must already
 * have no_new_privs. *abi gets the kernel's ABI (0: no Landlock, nothing enforced, not an
 * error); *enforced whether a ruleset was applied. Returns 0 or -1 with *e set. */
int sandbox_landlock_apply(const struct sandbox_policy *p, int *abi, bool *enforced,
			   struct berr *e);

#endif
