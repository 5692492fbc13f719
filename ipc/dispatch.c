/* Dispatch table lookup shared by every process role: the role's const table says what it
 * accepts; this only checks a received message against it. */
#include "ipc/dispatch.h"

#include <inttypes.h>

const struct ipc_dispatch *ipc_dispatch_find(const struct ipc_dispatch *table, size_t n,
					     uint32_t state_bit, const struct ipc_msg *m,
					     struct berr *e)
{
	const struct ipc_dispatch *d = NULL;
	const char *name;

	if (m == NULL || (table == NULL && n > 0)) {
		berr_set(e, BERR_INTERNAL, 0, "ipc_dispatch_find: bad arguments");
		return NULL;
	}
	name = m->def != NULL ? m->def->name : "?";
	for (size_t i = 0; i < n; i++) {
		if (table[i].type == m->type) {
			d = &table[i];
			break;
		}
	}
	/* A type this role never handles means the peer is confused or hostile; either way
	 * nothing it sends afterwards can be trusted to mean what it says. */
	if (d == NULL) {
		berr_set(e, BERR_PROTOCOL, 0, "unexpected message %s (type %" PRIu32 ")", name,
			 m->type);
		return NULL;
	}
	/* State gates order: e.g. nothing but hello before hello. A zero state_bit matches no
	 * entry, so a role that forgot to set its state fails closed. */
	if ((d->states & state_bit) == 0) {
		berr_set(e, BERR_PROTOCOL, 0, "message %s is not allowed now", name);
		return NULL;
	}
	/* ipc_msg_decode() already checked the count against the type; the table may be
	 * stricter for a role that must never receive descriptors. */
	if (m->nfds > 0 && !d->fds_allowed) {
		berr_set(e, BERR_PROTOCOL, 0, "message %s carries fds, which is not allowed here",
			 name);
		return NULL;
	}
	if (d->handler == NULL) {
		berr_set(e, BERR_INTERNAL, 0, "message %s has no handler", name);
		return NULL;
	}
	return d;
}
