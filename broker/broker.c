/* The broker's few shared actions on its own context. */
#include <stdarg.h>
#include <stdio.h>

#include <event2/event.h>

#include "broker/broker.h"
#include "common/log.h"

void broker_defer(struct broker *b, int (*fn)(struct broker *, struct ipc_msg *, struct berr *),
		  struct ipc_msg *m)
{
	b->deferred = fn;
	b->deferred_msg = m;
	event_base_loopbreak(b->base);
}

void broker_progress(struct broker *b, uint64_t id, const char *fmt, ...)
{
	char line[1024];
	struct msg_progress p = { .line = line };
	struct berr e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ipc_send(b->front, MSG_PROGRESS, id, &p, NULL, 0, &e) < 0)
		log_debug("progress: %s", e.msg);
}

void broker_progress_bytes(struct broker *b, uint64_t id, const char *blob, uint64_t current,
			   uint64_t total)
{
	struct msg_progress p = { .layer = (char *)blob, .current = current, .total = total };
	struct berr e = { 0 };

	if (ipc_send(b->front, MSG_PROGRESS, id, &p, NULL, 0, &e) < 0)
		log_debug("progress: %s", e.msg);
}

void broker_stop(struct broker *b, int code)
{
	b->stopping = true;
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

