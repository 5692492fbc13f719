/* Checks the verify harnesses share (header only: each harness is one program). */
#ifndef BERTH_FUZZ_CHECK_H
#define BERTH_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"

static inline bool fuzz_all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static inline bool fuzz_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* A failed parse: says why, in printable ASCII, and is not a protocol error (a bad document
 * must not end the worker's channel). */
static inline void fuzz_check_error(const struct berr *e)
{
	if (e->code == BERR_PROTOCOL || e->code == BERR_OK || e->msg[0] == '\0' ||
	    !fuzz_printable(e->msg))
		abort();
}

/* A successful parse: the reply encodes as its type, decodes, and encodes again to the same
 * bytes. */
static inline void fuzz_check_reply(uint32_t type, const void *body)
{
	uint8_t *buf = NULL, *again = NULL;
	struct ipc_msg *m = NULL;
	size_t len, len2;
	struct berr e;

	if (ipc_msg_encode(type, 1, body, &buf, &len, &e) < 0)
		abort();
	if (ipc_msg_decode(buf, len, NULL, 0, &m, &e) < 0)
		abort();
	if (m->type != type)
		abort();
	if (ipc_msg_encode(m->type, m->id, m->body, &again, &len2, &e) < 0)
		abort();
	if (len != len2 || memcmp(buf, again, len) != 0)
		abort();
	ipc_msg_free(m);
	free(buf);
	free(again);
}

#endif
