#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct berr *e, int code, int errnum, const char *fmt, va_list ap)
{
	e->code = code;
	e->sys_errno = errnum;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int berr_set(struct berr *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vset(e, code, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int berr_sys(struct berr *e, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vset(e, BERR_SYSTEM, saved, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (n + 3 < sizeof(e->msg)) {
		const char *s = strerror(saved);
		size_t room = sizeof(e->msg) - n - 3;
		size_t sl = strlen(s) < room ? strlen(s) : room;
		memcpy(e->msg + n, ": ", 2);
		memcpy(e->msg + n + 2, s, sl);
		e->msg[n + 2 + sl] = '\0';
	}
	errno = saved;
	return -1;
}

int berr_wrap(struct berr *e, const char *fmt, ...)
{
	char prefix[BERR_MSG_MAX];
	char old[BERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	char joined[2 * BERR_MSG_MAX + 4];

	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	snprintf(joined, sizeof(joined), "%s: %s", prefix, old);
	/* Cut to the message size; the end of a long chain of context is the least useful. */
	memcpy(e->msg, joined, sizeof(e->msg) - 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
	return -1;
}

void berr_clear(struct berr *e)
{
	if (e == NULL)
		return;
	e->code = BERR_OK;
	e->sys_errno = 0;
	e->msg[0] = '\0';
}

const char *berr_code_name(int code)
{
	static const char *const names[] = {
		[BERR_OK] = "ok",
		[BERR_INTERNAL] = "internal",
		[BERR_INVALID] = "invalid",
		[BERR_NOTFOUND] = "not found",
		[BERR_DENIED] = "denied",
		[BERR_PROTOCOL] = "protocol",
		[BERR_TIMEOUT] = "timeout",
		[BERR_WORKER] = "worker",
		[BERR_SYSTEM] = "system",
		[BERR_UNSUPPORTED] = "unsupported",
		[BERR_POLICY] = "policy",
	};

	if (code < 0 || code > BERR_CODE_MAX)
		return "unknown";
	return names[code];
}
