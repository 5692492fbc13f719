#ifndef BERTH_BROKER_INFO_H
#define BERTH_BROKER_INFO_H

#include <stdint.h>

#include "broker/broker.h"

/* Starts `berth info` for request req_id; the reply goes to the frontend when every worker has
 * answered (or failed). Returns -1 when nothing could be started (the caller replies). */
int broker_info_start(struct broker *b, uint64_t req_id, struct berr *e);
/* Drops an unfinished info job (the frontend went away). */
void broker_info_abort(struct broker *b);

#endif
