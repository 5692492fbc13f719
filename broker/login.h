#ifndef BERTH_BROKER_LOGIN_H
#define BERTH_BROKER_LOGIN_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth login` (deferred: it asks the registry, through berth-fetch, whether the credentials
 * work before storing them in auth.json) and `berth logout` (immediate). */
int broker_login(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_logout(void *ctx, struct ipc_msg *m, struct berr *e);

#endif
