/* Per-object locks in the store (root/locks/<kind>-<name>.lock, flock): two commands working on
 * the same layer serialise on that layer only, never on the whole store. A lock dies with its
 * process, so kill -9 never leaves one behind. */
#ifndef BERTH_BROKER_LOCKS_H
#define BERTH_BROKER_LOCKS_H

#include <stdbool.h>

#include "common/err.h"

/* Returns an fd holding the lock (close it to release), or -1. With try, returns -2 at once
 * when another process holds it. */
int lock_object(const char *root, const char *kind, const char *name, bool try,
		struct berr *e);

#endif
