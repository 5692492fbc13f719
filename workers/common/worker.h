/* The shared main of every berth worker (fetch, verify, unpack, netsetup, launch).
 *
 * A worker is started by the broker with fork + exec, a clean environment, /dev/null on fds 0
 * and 1, the broker's stderr on fd 2 and its IPC socket (SOCK_SEQPACKET) on fd 3. It:
 *   1. opens /proc/self/status at WORKER_STATUS_FD, so it can later report its own sandbox state
 *      without any filesystem access;
 *   2. runs the role's init (library set-up that must happen before the sandbox);
 *   3. enters its sandbox (sandbox_enter with the role's policy) before it reads any request;
 *   4. serves requests from its dispatch table until the broker closes the channel.
 * Any protocol violation ends the worker with exit status 1; the broker fails the job.
 *
 * Test modes (for tests/integration/sandbox.bats), after the same init and sandbox:
 *   --try-syscall NAME    perform one syscall, print whether it was allowed, exit 0
 *   --sandbox-status      print Seccomp, NoNewPrivs, CapEff and Landlock lines, exit 0
 * These only ever run after the sandbox is in place, so they grant nothing. */
#ifndef BERTH_WORKERS_COMMON_WORKER_H
#define BERTH_WORKERS_COMMON_WORKER_H

#include <stddef.h>

#include "common/err.h"
#include "ipc/dispatch.h"
#include "ipc/msg.h"
#include "sandbox/sandbox.h"

#define WORKER_IPC_FD 3
#define WORKER_STATUS_FD 4

/* Worker states, as bits for the dispatch table. */
enum worker_state {
	WS_READY = 1u << 0,
};

struct worker;

struct worker_role {
	const char *name;                      /* "fetch" */
	const struct sandbox_policy *policy;
	/* Optional: parse role arguments and set up libraries before the sandbox. argv holds only
	 * the role's own arguments. Returns 0 or -1. */
	int (*init)(struct worker *w, int argc, char **argv, struct berr *e);
	/* Optional: adds the role's fields (libraries, runtimes) to an info reply. Pointers put in
	 * st are owned by st afterwards (freed with ipc_struct_free). */
	int (*info)(struct worker *w, struct msg_worker_status *st, struct berr *e);
	/* The role's own requests, beyond the common MSG_W_INFO. */
	const struct ipc_dispatch *table;
	size_t n_table;
	size_t role_state_size;                /* bytes of role state worker_role_state() returns */
	/* Optional: the role's own main loop, run after the sandbox instead of the plain
	 * request loop (berth-launch's monitor also watches its container). It hands each
	 * message from the broker to worker_handle(). Returns the exit status. */
	int (*serve)(struct worker *w);
};

/* Runs the worker. Returns the process exit status. */
int worker_main(int argc, char **argv, const struct worker_role *role);

/* Dispatches one request from the broker (the common table, then the role's) and reports a
 * handler's failure to the broker. Returns 0, or -1 when the channel is done (a protocol
 * violation, or the failure could not be reported). */
int worker_handle(struct worker *w, struct ipc_msg *m);

/* The role's private state (zeroed, role_state_size bytes), owned by the worker. */
void *worker_role_state(struct worker *w);
struct ipc_chan *worker_chan(struct worker *w);

/* Fills the common part of an info reply from /proc/self/status and the sandbox report. */
int worker_status_fill(struct worker *w, struct msg_worker_status *st, struct berr *e);

/* Appends a heap copy of s to a NULL-terminated string vector. */
int worker_strv_add(char ***v, size_t *n, const char *s, struct berr *e);

#endif
