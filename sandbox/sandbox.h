/* The one way a berth process confines itself: sandbox_enter(policy).
 *
 * Order (fixed; each step relies on the ones before it):
 *   1. close stray fds: everything but 0, 1, 2 and the fds the role keeps;
 *   2. rlimits: RLIMIT_CORE 0 always; RLIMIT_NOFILE / RLIMIT_FSIZE bounded where the role says,
 *      never above the hard limit the process already holds (no CAP_SYS_RESOURCE is assumed);
 *   3. capabilities: libcap-ng drops all but the ones the role names, from the effective,
 *      permitted and (where CAP_SETPCAP allows) bounding sets; ambient and inheritable cleared;
 *   4. PR_SET_NO_NEW_PRIVS;
 *   5. Landlock, when the kernel has it: a ruleset that handles every filesystem right the kernel
 *      knows and grants only the role's paths (and TCP bind/connect where the role says);
 *   6. seccomp, last: the role's allowlist (text, compiled into the binary), architecture
 *      checked first, default action kill-process.
 * The policy is const data, built before the process reads its first request. */
#ifndef BERTH_SANDBOX_SANDBOX_H
#define BERTH_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Landlock access classes for a path rule (translated to the kernel's bits for the ABI). */
enum sandbox_ll_access {
	SB_LL_READ = 1 << 0,    /* read files and list directories */
	SB_LL_EXEC = 1 << 1,    /* execute files */
	SB_LL_WRITE = 1 << 2,   /* create, write, remove, rename beneath the path */
};

struct sandbox_ll_path {
	const char *path;   /* absolute; missing paths are skipped (they cannot be reached anyway) */
	unsigned access;    /* enum sandbox_ll_access bits */
};

struct sandbox_policy {
	const char *role;             /* "fetch", "verify", ... for messages */
	const int *keep_fds;          /* fds above 2 to keep open (e.g. 3, the IPC socket) */
	size_t n_keep_fds;
	uint64_t rlimit_nofile;       /* 0: leave as is; else lower soft and hard to this */
	uint64_t rlimit_fsize;        /* 0: leave as is */
	const int *caps;              /* CAP_* numbers the role keeps; all others dropped */
	size_t n_caps;
	bool landlock;                /* apply a Landlock ruleset (when the kernel has Landlock) */
	const struct sandbox_ll_path *ll_paths;
	size_t n_ll_paths;
	const int *ll_rw_fds;         /* directories already open (inherited at spawn), beneath
					 which READ and WRITE (SB_LL_READ | SB_LL_WRITE: create
					 any kind of file, devices included, remove, rename,
					 link, truncate) are granted; an fd that is not open is
					 skipped, one that is not a directory is an error. List
					 them in keep_fds too. */
	size_t n_ll_rw_fds;
	bool ll_allow_tcp_connect;    /* leave TCP connect unrestricted (the registry client) */
	bool ll_signal_unscoped;      /* no LANDLOCK_SCOPE_SIGNAL (ABI 6): the role signals
					 processes it started before sandbox_enter (the launch
					 monitor and the container's runtime/init); others are
					 scoped, so they cannot signal anything outside their
					 sandbox */
	const char *seccomp_policy;   /* NUL-terminated allowlist text; NULL: no seccomp (only
					 for roles that document why) */
	const char *seccomp_policy_name; /* file name, for error messages */
};

/* What sandbox_enter() did, for `berth info` and the tests. */
struct sandbox_report {
	int landlock_abi;       /* 0: kernel has no Landlock */
	bool landlock_enforced;
	int seccomp_rules;      /* number of allowlist rules loaded */
};

int sandbox_enter(const struct sandbox_policy *p, struct sandbox_report *rep, struct berr *e);

/* Landlock ABI of the running kernel, 0 when unsupported or disabled. */
int sandbox_landlock_abi(void);

/* For --sandbox-status and the tests: writes what the kernel says about the calling process,
 * after sandbox_enter(), as lines on fd (with write(2), no stdio):
 *   Seccomp: N          prctl(PR_GET_SECCOMP): 2 = filter mode
 *   NoNewPrivs: N       prctl(PR_GET_NO_NEW_PRIVS)
 *   CapEff: %016llx     capget(), as in /proc/self/status
 *   Landlock: enforced (ABI N) | not enforced (ABI N, policy) | unsupported (ABI 0)
 * The syscalls it needs are in base.policy's `status` group (every role includes it), since
 * /proc/self/status itself cannot be opened under Landlock. Returns 0 or -1 with *e set. */
int sandbox_write_status(int fd, const struct sandbox_report *rep, struct berr *e);

/* For the try-syscall tests: performs the named syscall with harmless arguments after the
 * sandbox is in place and writes one line to fd 1 saying whether it was allowed
 * ("allowed", or "denied: <errno name>"). A syscall the filter kills never returns.
 * Returns 0 if name is known, -1 otherwise. */
int sandbox_try_syscall(const char *name, struct berr *e);
/* The names sandbox_try_syscall() knows, NULL-terminated. */
extern const char *const sandbox_try_syscall_names[];

#endif
