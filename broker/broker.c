/* The broker's few shared actions on its own context. */
#include <event2/event.h>

#include "broker/broker.h"
#include "common/log.h"

void broker_stop(struct broker *b, int code)
{
	if (b->exit_code == 0)
		b->exit_code = code;
	event_base_loopbreak(b->base);
}

void broker_reply_error(struct broker *b, uint64_t id, const struct berr *err)
{
	struct berr e = { 0 };

	log_debug("command failed: %s", err->msg);
	if (ipc_send_error(b->front, id, err, &e) < 0) {
		log_error("%s", e.msg);
		broker_stop(b, 1);
	}
}

void broker_command_done(struct broker *b)
{
	b->state = BS_READY;
}

