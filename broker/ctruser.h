/* A container's user by name: -u NAME[:GROUP] (or the image's User) resolved in the
 * container's own /etc/passwd and /etc/group. The broker only opens the two files inside the
 * mounted root (openat2 RESOLVE_IN_ROOT) and checks the typed answer; berth-verify parses them
 * (workers/verify/passwd.h). */
#ifndef BERTH_BROKER_CTRUSER_H
#define BERTH_BROKER_CTRUSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "common/err.h"

#define CTR_USER_MAX_GROUPS 64

struct ctr_user {
	uint32_t uid, gid;
	uint32_t groups[CTR_USER_MAX_GROUPS]; /* supplementary gids */
	size_t n_groups;
	char home[4096];
};

/* True when spec needs no lookup: empty (root), "root", or "UID" / "UID:GID". */
bool ctr_user_numeric(const char *spec);

/* Numeric spec only: its uid and gid (the gid is the uid's when not given, as before). */
int ctr_user_parse_numeric(const char *spec, uint32_t *uid, uint32_t *gid, struct berr *e);

/* Resolves spec in the container root mounted at rootfs with a berth-verify worker. */
int ctr_user_resolve(struct broker *b, const char *rootfs, const char *spec,
		     struct ctr_user *out, struct berr *e);

#endif
