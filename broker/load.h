#ifndef BERTH_BROKER_LOAD_H
#define BERTH_BROKER_LOAD_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth load`, run as a deferred command: berth-unpack copies the archive's files (the
 * archive is fds[0], opened by the frontend as the user) into a staging directory and reports
 * their paths; berth-verify parses index.json or manifest.json and every manifest and config;
 * the broker hashes every blob it takes and brings each image in through ingest_image, as a
 * pull does. docker-archive images get an OCI manifest written by the broker. */
int broker_load(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
