/* Rootless: the user namespace every berth command of a user shares, held by berth-pause.
 *
 * userns_enter() runs in the broker while it is still the plain user, single-threaded, before
 * the event loop: under a lock in the user's berth runtime directory it finds the pause process
 * named by pause.pid (checking it is alive, is berth-pause, is the user's, and is the same
 * process by its start time), or starts a new one and writes its ID maps with the system's
 * newuidmap/newgidmap from /etc/subuid and /etc/subgid (a single-ID map with a warning where the
 * user has no ranges). Then it joins the pause process's user and mount namespaces and becomes
 * uid 0 there, which gives it no privilege on the host beyond the user's own. */
#ifndef BERTH_BROKER_USERNS_H
#define BERTH_BROKER_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/broker.h"
#include "common/err.h"

int userns_enter(const struct broker_cfg *cfg, pid_t *pause_pid, struct berr *e);

/* True if id is mapped in both this process's uid_map and gid_map (always in the initial
 * namespace). */
bool userns_id_mapped(uint32_t id);

/* Lines of /proc/self/{uid,gid}_map normalised to "inside outside count". *lines is a
 * NULL-terminated heap vector owned by the caller. */
int userns_read_map(const char *which, char ***lines, size_t *n, struct berr *e);

#endif
