/* Dispatch tables: each process role declares, in its own file, one const table of the message
 * types it accepts, whether each may carry fds, in which of its states it is allowed, and its
 * handler. What is permitted now lives in the role's state variable, never in a mutated table.
 * A message whose type is not in the table, or not allowed in the current state, ends the
 * channel. */
#ifndef BERTH_IPC_DISPATCH_H
#define BERTH_IPC_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/channel.h"

typedef int (*ipc_handler_fn)(void *ctx, struct ipc_msg *m, struct berr *e);

struct ipc_dispatch {
	uint32_t type;
	bool fds_allowed;
	uint32_t states;   /* bit mask of the role's states in which the type is accepted */
	ipc_handler_fn handler;
};

/* Finds the entry for m in table and checks state and fds. Returns the entry, or NULL with
 * BERR_PROTOCOL in *e (the caller then drops the channel). */
const struct ipc_dispatch *ipc_dispatch_find(const struct ipc_dispatch *table, size_t n,
					     uint32_t state_bit, const struct ipc_msg *m,
					     struct berr *e);

#endif
