/* berth-unpack's sandbox: the const policies its main hands to sandbox_enter() before it reads
 * its first request (main.c picks one of the two by whether fd 5 is open). The seccomp
 * allowlist is workers/unpack/seccomp.policy, compiled in. */
#ifndef BERTH_WORKERS_UNPACK_POLICY_H
#define BERTH_WORKERS_UNPACK_POLICY_H

#include "sandbox/sandbox.h"

/* With the layer directory at fd 5 (WORKER_LAYER_FD): kept, and the only place Landlock lets
 * the worker read or write. */
extern const struct sandbox_policy unpack_sandbox_policy;
/* Without one (`berth info`, sandbox test modes): the same, minus fd 5. */
extern const struct sandbox_policy unpack_sandbox_policy_nodir;
/* The text of workers/unpack/seccomp.policy, NUL-terminated. */
extern const char unpack_seccomp_policy_text[];

#endif
