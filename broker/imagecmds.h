#ifndef BERTH_BROKER_IMAGECMDS_H
#define BERTH_BROKER_IMAGECMDS_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* Frontend handlers for images, image inspect, tag, untag and rmi. Each validates the request
 * (names are parsed and normalised here, whatever the frontend did) and replies. */
int imagecmd_images(void *ctx, struct ipc_msg *m, struct berr *e);
int imagecmd_inspect(void *ctx, struct ipc_msg *m, struct berr *e);
int imagecmd_tag(void *ctx, struct ipc_msg *m, struct berr *e);
int imagecmd_untag(void *ctx, struct ipc_msg *m, struct berr *e);
int imagecmd_rmi(void *ctx, struct ipc_msg *m, struct berr *e);

/* A name as stored: "localhost/x:latest" for a short "x", a missing tag becomes ":latest".
 * Names with a digest are refused for tagging. */
int imagecmd_normalize_name(const char *in, char *out, size_t len, struct berr *e);

#endif
