#ifndef BERTH_BROKER_PULL_H
#define BERTH_BROKER_PULL_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth pull`, run as a deferred command (broker_defer): resolves the reference, fetches the
 * manifest (following an index to the platform's manifest), the config and the layers through
 * berth-fetch, has berth-verify parse every piece of metadata, hashes every stored byte itself,
 * has berth-unpack extract each new layer into its own directory, and records the image in one
 * transaction at the end. Nothing is named or tagged before every check passed. */
int broker_pull(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
