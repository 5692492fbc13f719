#ifndef BERTH_BROKER_IMPORT_H
#define BERTH_BROKER_IMPORT_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth import`, run as a deferred command: the tarball (fds[0], opened by the frontend) is
 * stored as a blob, berth-unpack extracts it and reports its diff_id, and the broker writes
 * the image config (the --change values, the platform, a history entry) and an OCI manifest,
 * which berth-verify reads back before the image is recorded through ingest_image. */
int broker_import(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
