/* The store's directories and the storage driver that will hold layers. */
#ifndef BERTH_BROKER_STORE_H
#define BERTH_BROKER_STORE_H

#include "broker/broker.h"
#include "common/err.h"

/* Creates the graph root and run root (0700, nothing another user can read) and opens the
 * state database in the graph root. */
int store_open(struct broker *b, struct berr *e);

/* Finds out, by mounting a scratch overlay in the run root, whether native overlayfs works
 * here (rootless: inside the user namespace). Returns "overlay" or "vfs" (the copy-based
 * fallback) and why in reason. */
const char *store_probe_driver(const struct broker *b, char *reason, size_t len);

#endif
