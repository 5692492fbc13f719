#ifndef BERTH_BROKER_UNSHARE_H
#define BERTH_BROKER_UNSHARE_H

#include <stdbool.h>
#include <sys/types.h>

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth unshare [cmd]`: runs the user's command as uid 0 in the user and mount namespace of
 * berth-pause, on the frontend's own stdin/stdout/stderr (passed as fds), like
 * `podman unshare`. Rootless only: rootful berth has no namespace to enter. */
int broker_unshare_start(struct broker *b, struct ipc_msg *m, struct berr *e);
/* SIGCHLD: true if pid was the unshare command (its status then goes to the frontend). */
bool broker_unshare_reap(struct broker *b, pid_t pid, int status);

#endif
