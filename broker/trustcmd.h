/* `berth image trust`: reading policy.json and registries.d (trusted configuration, read by
 * the broker only) and answering `image trust show`.
 *
 * Which files (containers/image's order, see policy/trust.h and policy/registries_d.h):
 *  - policy.json: the path the frontend named (--signature-policy, --policypath), which must
 *    exist; else, rootless, $HOME/.config/containers/policy.json when it exists; else
 *    /etc/containers/policy.json. When none exists berth accepts every image (as Podman on
 *    Debian, whose package ships an accept-all policy) and `trust show` says so;
 *  - registries.d: the directory the frontend named (--registrypath); else, rootless,
 *    $HOME/.config/containers/registries.d when it exists; else /etc/containers/registries.d.
 * As for registries.conf (broker/registries.h), a rootful broker reads no file in a home
 * directory. Files are read bounded: regular files only (a FIFO would block the broker), at
 * most TRUST_POLICY_MAX / REGD_FILE_MAX bytes, at most TRUST_REGD_FILES_MAX files. */
#ifndef BERTH_BROKER_TRUSTCMD_H
#define BERTH_BROKER_TRUSTCMD_H

#include <stdbool.h>

#include "broker/broker.h"
#include "common/err.h"
#include "ipc/channel.h"
#include "policy/registries_d.h"
#include "policy/trust.h"

#define TRUST_REGD_FILES_MAX 1024

/* Loads the policy that applies. *out is NULL (and 0 returned) when no file exists and none
 * was named; *fd (when fd is not NULL) is the file read, at offset 0, for --raw. path receives
 * the file's name ("" when none). Returns 0 or -1 with *e set. */
int trust_load_policy(const struct broker_cfg *cfg, const char *override, char *path,
		      size_t pathlen, struct trust_policy **out, int *fd, struct berr *e);
/* Loads registries.d from override (a directory that must exist) or the lookup order. Each
 * file is opened here and parsed by a berth-verify (the broker links no YAML parser), whose
 * entries are checked again before they are merged. Deferred commands only (wk_call). */
struct regd *trust_load_regd(struct broker *b, const char *override, struct berr *e);

/* MSG_TRUST_SHOW, deferred (straight-line): the ID column of signedBy rows comes from
 * berth-verify, which reads each key file the broker opens (or a sealed memfd of keyData) and
 * reports its user IDs; the broker parses no OpenPGP. A key that cannot be read is a warning,
 * as in Podman, and leaves its IDs out. */
int broker_trust_show(struct broker *b, struct ipc_msg *m, struct berr *e);
/* MSG_TRUST_SET handler: Podman's AddPolicyEntries. The scope ("default" or a docker scope)
 * gets one requirement of the type (accept is insecureAcceptAnything), or for signedBy
 * (GPGKeys) and sigstoreSigned one per key file; a scope that exists under some transport is
 * replaced there, a new one goes under "docker"; a scope other than "default" needs a default
 * already set. The rest of the file is kept as it was (its JSON re-indented). The new policy
 * is checked with the parser before it replaces the file (temp file, fsync, rename), mode
 * 0644 as Podman writes it. No policy file yet: one is created at the lookup's path. */
int broker_trust_set(void *ctx, struct ipc_msg *m, struct berr *e);

#endif
