/* Containers after start: stop, kill, wait, logs, exec, container prune (deferred commands),
 * and the stop that `rm -f` and `restart` need. Running containers are reached through their
 * monitor (berth-launch) by pidfd_getfd of its control socket: see ipc/msg.h LAUNCH_CTL_FD. */
#ifndef BERTH_BROKER_LIFECYCLE_H
#define BERTH_BROKER_LIFECYCLE_H

#include "broker/broker.h"
#include "broker/containers.h"
#include "ipc/channel.h"

/* "9", "KILL", "SIGKILL", "sigterm", "RTMIN+3". */
int lc_parse_signal(const char *s, int *sig, struct berr *e);

/* Sends sig, waits timeout_s seconds, then SIGKILL, and records the container's end. A
 * container whose monitor is already gone is recorded as ended. */
int lc_stop(struct broker *b, const struct ctr_record *c, int sig, int timeout_s,
	    struct berr *e);

int broker_csignal(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_cwait(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_logs(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_exec(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_cprune(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_attach(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
