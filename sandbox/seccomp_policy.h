/* Seccomp allowlists as data: the parser for berth's policy text. Pure: it makes no system calls
 * (libseccomp's name table is a lookup in memory), so it is unit-tested and can be fuzzed.
 *
 * FORMAT (one statement per line; a line is at most SCP_LINE_MAX bytes)
 *
 *   # text                      a comment. A comment may also end any other line.
 *   (blank)                     ignored
 *   @include NAME               the rules of group NAME from the library file (base.policy)
 *   @group NAME                 (library file only) starts group NAME; it runs to the next
 *                               @group or the end of the file
 *   SYSCALL                     allow SYSCALL whatever its arguments
 *   SYSCALL: COND && COND ...   allow SYSCALL when every condition holds (AND, at most one
 *                               condition per argument: libseccomp cannot do more)
 *   ... -> errno NAME           instead of allowing, fail the call with errno NAME (EPERM,
 *                               ENOSYS, ... or a number); e.g. `clone3 -> errno ENOSYS` makes
 *                               glibc fall back to clone, whose flags can be checked
 *   ... -> allow                the default action, spelled out
 *
 *   COND  := argN OP VALUE      N in 0..5, OP one of == != < <= > >=; unsigned 64-bit compare
 *          | argN & VALUE == VALUE   masked compare: (arg & mask) == value. `& MASK !=` etc. do
 *                               not exist (libseccomp has only a masked ==).
 *   VALUE := TERM | TERM '|' VALUE   OR of terms
 *   TERM  := a number (decimal, 0x hex, 0 octal as in C) or a constant from the fixed table in
 *            seccomp_policy.c (AF_INET, PROT_EXEC, O_CREAT, CLONE_THREAD, F_GETFD, TCGETS, ...)
 *
 * Several lines for one syscall are ORed: the call is allowed if any line matches. So "never
 * write and exec together", which a single masked compare cannot say, is two lines:
 *     mmap: arg2 & PROT_EXEC == 0
 *     mmap: arg2 & PROT_WRITE == 0
 * Anything no line allows kills the process (the loader's default action).
 *
 * RULES THE PARSER ENFORCES (defence in depth; a policy breaking one is refused as a whole)
 *  - every syscall name must exist on this architecture, every constant must be in the table;
 *  - W^X: an allowing mmap line must carry a condition on arg2 that excludes PROT_WRITE and
 *    PROT_EXEC together; an allowing mprotect / pkey_mprotect line one that excludes PROT_EXEC;
 *  - a reason in writing (STYLE.md 8): an allowing line for a dangerous syscall (execve, mount,
 *    setns, unshare, clone, ptrace, socket, ioctl, bpf, kill, ... see scp_is_dangerous) must be
 *    immediately preceded by a comment line, or by another line for the same syscall that was
 *    (a block of lines for one syscall shares its comment). `-> errno` lines need no reason;
 *  - rules for one syscall with different actions (allow / errno X / errno Y) must be provably
 *    disjoint: each pair must test the same argument with == against different values. Without
 *    this, libseccomp silently lets one action win (an unconditional errno rule hides every
 *    conditional allow, and the reverse).
 *
 * File names given to the parser are kept by pointer in each rule (for messages): pass strings
 * that outlive the policy (string literals, the sandbox_policy's name). */
#ifndef BERTH_SANDBOX_SECCOMP_POLICY_H
#define BERTH_SANDBOX_SECCOMP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define SCP_MAX_ARGS 6
#define SCP_LINE_MAX 512
#define SCP_NAME_MAX 64
#define SCP_INCLUDE_DEPTH 4

enum scp_op {
	SCP_EQ,
	SCP_NE,
	SCP_LT,
	SCP_LE,
	SCP_GT,
	SCP_GE,
	SCP_MASKED_EQ,  /* (arg & mask) == value */
};

struct scp_cond {
	unsigned arg;      /* 0..5 */
	enum scp_op op;
	uint64_t mask;     /* SCP_MASKED_EQ only */
	uint64_t value;
};

enum scp_action {
	SCP_ACT_ALLOW,
	SCP_ACT_ERRNO,
};

struct scp_rule {
	char syscall[SCP_NAME_MAX];
	int nr;                    /* native syscall number */
	enum scp_action action;
	int errnum;                /* SCP_ACT_ERRNO only */
	unsigned ncond;
	struct scp_cond cond[SCP_MAX_ARGS];
	const char *file;          /* not owned: see the note above */
	unsigned line;
};

struct scp_policy {
	struct scp_rule *rules;    /* owned, heap */
	size_t n;
	size_t cap;
};

/* Parses text (named file in messages) and appends its rules to *pol, which starts zeroed or
 * holds rules of an earlier call (a role's policy, then the sanitizer's). @include resolves
 * names in lib_text (named lib_file); lib_text may be NULL when text includes nothing. Then the
 * whole policy is checked for conflicting actions. Returns 0, or -1 with *e set
 * (BERR_INVALID, message "<file>:<line>: ..."); on error *pol may hold part of the rules: free
 * it, do not load it. */
int scp_parse(struct scp_policy *pol, const char *file, const char *text, const char *lib_file,
	      const char *lib_text, struct berr *e);

/* Parses every group of a library file on its own (for the unit tests and for reviewers'
 * tools): 0 if each group is a valid policy, else -1 with *e set. */
int scp_check_library(const char *lib_file, const char *lib_text, struct berr *e);

/* Checks that rules for one syscall with different actions cannot overlap (see above). Run by
 * scp_parse; exposed for callers that merge policies by hand. */
int scp_check_conflicts(const struct scp_policy *pol, struct berr *e);

void scp_policy_free(struct scp_policy *pol);

/* True for the syscalls whose allowing lines must carry a written reason. */
bool scp_is_dangerous(const char *syscall);

/* The constant table, for messages and tests: the value of a symbolic name, 0 if known. */
int scp_symbol_value(const char *name, uint64_t *out);

#endif
