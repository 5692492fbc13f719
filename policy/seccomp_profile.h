/* Container seccomp profiles: berth's own default profile (policy/container.seccomp, compiled
 * into the binary) and user-configured profiles in the containers/Docker seccomp.json format,
 * both turned into the OCI runtime spec's `linux.seccomp` object for one container (its
 * capabilities, the host's architecture). Pure: no system calls; the caller reads files and
 * finds the host's architecture and kernel version. Inputs are trusted configuration (root's or
 * the user's), parsed strictly anyway: a profile that is not exactly understood is refused.
 *
 * BERTH PROFILE FORMAT (policy/container.seccomp)
 *
 *   One statement per line (at most SPROF_LINE_MAX bytes). `#` starts a comment, also at the
 *   end of a line. Words are separated by blanks.
 *
 *   default ACTION                  the answer to every syscall no rule matches (exactly once)
 *   arch GOARCH SCMP_ARCH_X...      the seccomp architectures listed for a host of Go
 *                                   architecture GOARCH (amd64, arm64, ...): the native one and
 *                                   the compat ABIs its kernel also runs. Once per GOARCH.
 *   ACTION NAME... [CLAUSE]...      a rule for one syscall or a group of them
 *
 *   ACTION  := allow | errno ERRNO  ERRNO: a name from the table in seccomp_profile.c (EPERM,
 *                                   ENOSYS, EAFNOSUPPORT, ...) or a number 1..4095
 *   CLAUSE  := if COND [&& COND]... the rule applies only when every condition holds
 *            | with CAP[|CAP]...    the rule exists only if the container has one of the caps
 *            | without CAP[|CAP]... the rule exists only if it has none of them
 *            | on GOARCH[|GOARCH]...   the rule exists only on these host architectures
 *   Each clause at most once per line, in any order. CAP: CAP_SYS_ADMIN etc.
 *
 *   COND    := argN OP VALUE        N 0..5; OP one of == != < <= > >= (unsigned 64-bit)
 *            | argN & MASK == VALUE   (arg & MASK) == VALUE (SCMP_CMP_MASKED_EQ)
 *            | argN & MASK != VALUE   (arg & MASK) != VALUE: seccomp has no such operator, so
 *                                   it is emitted as one rule per bit b of MASK, each with
 *                                   (arg & b) == (~VALUE & b). At most one per line.
 *   VALUE   := TERM[|TERM]...       OR of numbers (C syntax: 10, 0x1f, 017) and constants from
 *                                   the fixed table (CLONE_NEW*, AF_VSOCK, TIOCSTI, PER_*, ...)
 *   At most one condition per argument in a line; VALUE must have no bit outside MASK.
 *
 * Lines for the same syscall are ORed when they have the same action. Two lines naming the
 * same syscall are refused unless (a) their gates exclude each other (`with X` / `without X`
 * where every cap of the `with` is in the `without`, or disjoint `on` lists), or (b) both have
 * conditions and the action is the same, or (c) their actions differ and their conditions
 * provably never hold together (the same argument compared with == / masked == against
 * values that differ under both masks, or a masked == against the masked != of the same mask
 * and value). So no two rules ever overlap with different actions, for any set of
 * capabilities: libseccomp would otherwise silently let one of them win.
 *
 * The OCI output lists the architectures of the host's `arch` line, then one syscalls[] entry
 * per rule line whose gates hold (several for a masked !=), in file order, except rules whose
 * action is the default action (`errno ENOSYS clone3` with `default errno ENOSYS`): those are
 * documentation in the file, and libseccomp refuses them. */
#ifndef BERTH_POLICY_SECCOMP_PROFILE_H
#define BERTH_POLICY_SECCOMP_PROFILE_H

#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

#define SPROF_LINE_MAX 1024
#define SPROF_NAME_MAX 64
#define SPROF_MAX_RULES 1024
/* A seccomp.json larger than this is refused (Docker's is 20 KiB). */
#define SPROF_JSON_MAX (4u << 20)

/* The default profile as compiled in (NUL-terminated), and the name messages use for it. */
extern const char sprof_default_text[];
#define SPROF_DEFAULT_NAME "policy/container.seccomp"

/* What the profile is converted for. */
struct sprof_target {
	/* The container's capabilities ("CAP_CHOWN", ...): the set Podman checks is the bounding
	 * set, which berth makes equal to the effective one. Not owned. Names berth does not know
	 * are never matched by a berth profile's gates; a seccomp.json compares them as strings. */
	const char *const *caps;
	size_t n_caps;
	/* Go name of the host architecture ("amd64", "arm64"); NULL: the one berth was built for. */
	const char *arch;
	/* Running kernel, for seccomp.json `minKernel`. 0.0 = unknown: such rules are left out
	 * (fail closed: a rule meant for newer kernels is not applied to an unknown one). */
	unsigned kernel_major, kernel_minor;
};

struct sprof;

/* Parses a profile in berth's format (name is used in messages as "<name>:<line>: ..."). On
 * success *out owns the parsed profile (sprof_free). Returns 0, or -1 with *e set (BERR_INVALID)
 * naming the line. */
int sprof_parse(const char *name, const char *text, struct sprof **out, struct berr *e);
void sprof_free(struct sprof *p);

/* Builds the OCI linux.seccomp object for target t. *out is a new reference. Returns 0, or -1
 * with *e set: BERR_UNSUPPORTED when the profile has no `arch` line for the host, BERR_INVALID
 * for an unknown architecture name in t. */
int sprof_to_oci(const struct sprof *p, const struct sprof_target *t, json_t **out,
		 struct berr *e);

/* sprof_parse of the compiled-in default, then sprof_to_oci. */
int sprof_default_oci(const struct sprof_target *t, json_t **out, struct berr *e);

/* Converts a containers/Docker seccomp.json (buf, len: the file's bytes, read by the caller;
 * path: for messages) to the OCI linux.seccomp object for target t, as Podman does: archMap
 * entry of the host architecture (or `architectures` as given), syscalls filtered by
 * includes/excludes (caps: all included present, none excluded present; arches; minKernel),
 * `name` or `names`, action, errnoRet, args. Unknown keys, wrong types, unknown actions,
 * operators, architectures or flags are errors naming the file and the key. Returns 0 or -1
 * with *e set (BERR_INVALID). */
int sprof_docker_to_oci(const char *path, const char *buf, size_t len,
			const struct sprof_target *t, json_t **out, struct berr *e);

/* The Go architecture berth was built for ("amd64", "arm64", ...), NULL if none it knows. */
const char *sprof_build_arch(void);

#endif
