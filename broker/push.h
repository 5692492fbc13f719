#ifndef BERTH_BROKER_PUSH_H
#define BERTH_BROKER_PUSH_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth push`, run as a deferred command: uploads a stored image's layer blobs, config and
 * manifest, byte for byte as stored (so its digests do not change), through berth-fetch. The
 * destination is rewritten by registries.conf ([[registry]] location; blocked refuses); mirrors
 * are for pulling only. */
int broker_push(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
