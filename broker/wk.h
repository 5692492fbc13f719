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
/* First fd number of the extra fds a worker gets at spawn (fd 4 is its own status fd). */
#define WK_SPAWN_FD_BASE 5
/* Like wk_spawn, and the worker finds fds[i] (not taken) at WK_SPAWN_FD_BASE + i. For fds its
 * sandbox must name, e.g. the one layer directory berth-unpack may write beneath. */
struct wk *wk_spawn_fds(struct broker *b, const char *role, char *const *extra_argv,
			const int *fds, size_t nfds, struct berr *e);
/* Sends one request and waits (in the event loop) for its reply, at most timeout_ms. */
int wk_request(struct broker *b, struct wk *w, uint32_t type, const void *body,
	       const int *fds, size_t nfds, int timeout_ms, wk_reply_fn fn, void *arg,
	       struct berr *e);
/* Straight-line form of wk_request, for deferred commands only (never from inside an event
 * callback): sends the request and drives the event loop until the reply or the failure.
 * On success the reply's body (of type want) is moved into *out (a zeroed struct of that
 * schema's size, owned by the caller afterwards) and its fds into out_fds (may be NULL when
 * none are expected). Stops early, with an error, when the broker is stopping. */
int wk_call(struct broker *b, struct wk *w, uint32_t type, const void *body, const int *fds,
	    size_t nfds, int timeout_ms, uint32_t want, void *out, int *out_fds, struct berr *e);
/* Drives the event loop once (for deferred commands waiting on several workers). */
void wk_loop_once(struct broker *b);

/* Byte progress of the worker's current download (berth-fetch only), or fn NULL to stop. */
typedef void (*wk_progress_fn)(struct broker *b, uint64_t done, uint64_t total, void *arg);
void wk_set_progress(struct wk *w, wk_progress_fn fn, void *arg);

/* Closes the channel (the worker exits on EOF); the worker is reaped later. */
void wk_release(struct broker *b, struct wk *w);
/* Closes the channel and waits (driving the event loop, at most timeout_ms, then SIGKILL) until
 * the worker has been reaped: after this no fd the worker was given is open anywhere but here.
 * For deferred commands only. */
void wk_finish(struct broker *b, struct wk *w, int timeout_ms);

/* Closes the channel and forgets the worker without killing it: for berth-launch once it
 * monitors a detached container, which outlives the broker. */
void wk_disown(struct broker *b, struct wk *w);
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
