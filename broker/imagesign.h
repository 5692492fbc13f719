#ifndef BERTH_BROKER_IMAGESIGN_H
#define BERTH_BROKER_IMAGESIGN_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth image sign`, run as a deferred command: for each image (docker://REF), the digest of
 * its manifest as the registry serves it (fetched by berth-fetch, hashed here), a simple-signing
 * signature by berth-sign with the user's key, stored as the next signature-N beneath
 * --directory or the registries.d staging location (broker/sign.h). Images are signed in order;
 * the first failure ends the command (signatures already written stay, as in Podman). */
int broker_image_sign(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
