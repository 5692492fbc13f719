/* The create/run flags that need the broker's own knowledge (the container's files, the host,
 * the user's configuration) before policy/spec.c sees them: --group-add (names resolved in the
 * container's /etc/group at start, as -u), --userns (keep-id needs the user's IDs and the size
 * of the namespace berth-pause holds). make_config (run.c) calls these; the values stay the
 * strings the frontend sent until here, and every check names the flag. */
#ifndef BERTH_BROKER_CTRFLAGS_H
#define BERTH_BROKER_CTRFLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "broker/ctruser.h"
#include "common/containers_conf.h"
#include "common/err.h"
#include "ipc/msg.h"
#include "policy/spec.h"

#define CTRFLAGS_MAX_GROUP_ADD 64

/* The --group-add names, resolved at start in the mounted root (gid[i] for the i-th name in
 * the order given). */
struct ctrflags_groups {
	uint32_t gid[CTRFLAGS_MAX_GROUP_ADD];
	size_t n;
};

/* What spec_input borrows from the flags; lives as long as the spec_input it filled. */
struct ctrflags {
	uint32_t groups[CTR_USER_MAX_GROUPS + CTRFLAGS_MAX_GROUP_ADD]; /* in->groups */
	struct spec_strv conf_caps; /* in->conf_caps (borrows the request's strings) */
};

/* containers.conf as read at create: owns what the filled-in request borrows. */
struct ctrflags_conf {
	struct cconf c;
	char *seccomp;  /* the content of the seccomp_profile file */
	char pids[32];
	char init_path[4200]; /* the default: berth-init next to the broker */
};

/* Reads the user's containers.conf files (common/containers_conf.h: $CONTAINERS_CONF, else the
 * system files and, rootless, the user's) and makes *out a copy of *r whose conf_* fields
 * come from them (the frontend's are dropped) and whose runtime is [engine] runtime when
 * --runtime was not given, and whose init is decided (--init, else containers.conf's init)
 * with its binary (--init-path, else init_path, else berth-init). A seccomp_profile that does not exist means the default, as in
 * Podman. Free hold with ctrflags_conf_free once *out is no longer used. */
int ctrflags_conf_load(const struct broker *b, const struct msg_create *r, struct msg_create *out,
		       struct ctrflags_conf *hold, struct berr *e);
void ctrflags_conf_free(struct ctrflags_conf *hold);

/* True when some --group-add value is a name (start then resolves it). */
bool ctrflags_group_names(const struct msg_create *r);
/* The highest ID mapped in this process's user namespace, from /proc/self/<file> ("uid_map"
 * or "gid_map"): rootless, berth-pause's, where the user is 0 and the subordinate IDs follow. */
int ctrflags_ns_max_id(const char *file, uint32_t *max, struct berr *e);

/* Resolves the --group-add names of r in the container root mounted at rootfs, with a
 * berth-verify worker per name (as -u NAME: the container's /etc/group is untrusted). */
int ctrflags_resolve_groups(struct broker *b, const char *rootfs, const struct msg_create *r,
			    struct ctrflags_groups *out, struct berr *e);

/* Adds the flags' part to *in (after config_user set the user and its groups): the numeric
 * --group-add gids, and the named ones from named (NULL at create: the names are left out
 * until start resolves them); --userns keep-id (rootless: the user's uid/gid, or uid=/gid=,
 * inside, the process run as them unless -u was given; nomap (rootless: the subordinate IDs only, the image copied with its owners shifted by one at the first start, broker/run.c); the rest refused; the
 * stored containers.conf env, default capabilities and (when the host can apply it and
 * --pids-limit was not given) pids_limit. "keep-groups" is refused: it needs crun's run.oci.keep_original_groups,
 * which runc does not have. */
int ctrflags_apply(const struct broker *b, const struct msg_create *r,
		   const struct ctrflags_groups *named, struct spec_input *in, struct ctrflags *f,
		   struct berr *e);

#endif
