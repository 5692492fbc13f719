/* `berth save`: images from the store into a docker-archive or an oci-archive.
 *
 * The broker resolves the images and opens every blob it needs from the store (holding each
 * image's layer locks while it does, so a concurrent rmi cannot swap the bytes between the
 * lookup and the open), writes the archive's own metadata (manifest.json, index.json,
 * oci-layout) from store records with jansson into sealed memfds, and has berth-unpack,
 * started without a layer directory, write the tar into the output fd the frontend opened.
 * Layers of a docker-archive are decompressed there, and their diff_ids and sizes checked
 * against the store's records; blobs of an oci-archive are copied as stored, their digests
 * checked. The broker never opens a path the user named and never parses stored bytes. */
#ifndef BERTH_BROKER_SAVE_H
#define BERTH_BROKER_SAVE_H

#include "broker/broker.h"
#include "common/err.h"
#include "ipc/channel.h"

/* A deferred command (broker_defer): answers MSG_OK, or fails with *e. */
int broker_save(struct broker *b, struct ipc_msg *m, struct berr *e);

#endif
