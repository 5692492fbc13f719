/* Workers as the broker sees them: spawning (fork + exec, clean environment, IPC socket at fd 3,
 * every other fd closed, an unprivileged uid where the role allows), one outstanding request at
 * a time with a timeout, and the end of every worker: reaped on SIGCHLD, killed on a protocol
 * violation or a timeout. A worker's job fails with a clear error when the worker breaks
 * protocol, dies, or takes too long. */
#ifndef BERTH_BROKER_WK_H
#define BERTH_BROKER_WK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/broker.h"
#include "ipc/channel.h"

/* Called with the reply (the handler may take fds; the message is freed after) or with the
 * failure (reply == NULL). Exactly one of the two happens per request. */
typedef void (*wk_reply_fn)(struct broker *b, struct wk *w, struct ipc_msg *reply,
			    const struct berr *failure, void *arg);

struct wk_role_def {
	const char *role;          /* "fetch" */
	const char *description;   /* "the registry client", for messages */
	bool drop_uid;             /* run as the unprivileged uid (65534) where it is mapped */
};

/* Spawns berth-<role> with extra argv (NULL-terminated, may be NULL). */
struct wk *wk_spawn(struct broker *b, const char *role, char *const *extra_argv,
		    struct berr *e);
/* Sends one request and waits (in the event loop) for its reply, at most timeout_ms. */
int wk_request(struct broker *b, struct wk *w, uint32_t type, const void *body,
	       const int *fds, size_t nfds, int timeout_ms, wk_reply_fn fn, void *arg,
	       struct berr *e);
/* Closes the channel (the worker exits on EOF); the worker is reaped later. */
void wk_release(struct broker *b, struct wk *w);
/* Kills and reaps every worker (at broker exit). */
void wk_kill_all(struct broker *b);
/* SIGCHLD: reaps exited workers and fails their pending request. Returns true if pid was a
 * worker (so other children can be reaped by their owners). */
bool wk_reap(struct broker *b, pid_t pid, int status);

const char *wk_role(const struct wk *w);
pid_t wk_pid(const struct wk *w);
const struct wk_role_def *wk_role_def(const char *role);

/* Describes a wait status for the user: "exited with status 3", "was killed by signal 31
 * (SIGSYS: its sandbox stopped a forbidden system call)". */
void wk_describe_status(int status, char *buf, size_t len);

#endif
