/* One error type for all of berth: a code, the errno that caused it (0 if none) and a message
 * written for the user, wrapped with context on the way up ("reading policy.json: ...").
 *
 * Library code (ipc/, policy/, sandbox/, common/, parsers) returns -1 and fills a struct berr;
 * it never exits. Only a process's main loop decides to die. */
#ifndef BERTH_COMMON_ERR_H
#define BERTH_COMMON_ERR_H

#include <stddef.h>

enum berr_code {
	BERR_OK = 0,
	BERR_INTERNAL = 1,  /* a bug or a broken invariant */
	BERR_INVALID = 2,   /* bad input from the user or a peer */
	BERR_NOTFOUND = 3,  /* the named thing does not exist */
	BERR_DENIED = 4,    /* refused by policy or permissions */
	BERR_PROTOCOL = 5,  /* a peer broke the IPC protocol */
	BERR_TIMEOUT = 6,   /* a worker or a peer took too long */
	BERR_WORKER = 7,    /* a worker died or failed its job */
	BERR_SYSTEM = 8,    /* a system call failed (errno is set) */
	BERR_UNSUPPORTED = 9, /* the host or the build cannot do this */
	BERR_POLICY = 10,   /* the image trust policy rejects the image (policy.json) */
	BERR_CODE_MAX = 10,
};

#define BERR_MSG_MAX 1024

struct berr {
	int code;               /* enum berr_code */
	int sys_errno;          /* errno at the failure, or 0 */
	char msg[BERR_MSG_MAX]; /* NUL-terminated, for the user */
};

/* Each setter fills *e (when e is not NULL) and returns -1, so callers can write
 * `return berr_set(e, BERR_INVALID, 0, "...")`. */
int berr_set(struct berr *e, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Like berr_set with code BERR_SYSTEM and the current errno, appending ": strerror(errno)". */
int berr_sys(struct berr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes context to an existing message: "<context>: <old message>". Keeps code and errno. */
int berr_wrap(struct berr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void berr_clear(struct berr *e);
const char *berr_code_name(int code);

#endif
