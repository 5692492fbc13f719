/* berth-launch as the container's monitor (DESIGN.md: "stays as the container's monitor").
 *
 * Before the sandbox (mon_start): the monitor becomes a child subreaper in a session of its
 * own, creates the container's output pipes and its control socketpair, and starts the OCI
 * runtime: `run` in the foreground for an attached container (the runtime stays our child and
 * its exit is the container's), `run --detach` otherwise (the container's init is then
 * re-parented to us). For a detached container it also forks the cleanup child: a process that
 * does nothing but wait for the monitor to end, then runs `RUNTIME delete --force ID` and
 * `berth-broker --cleanup ID` (which records the exit status, unmounts the root, and removes
 * an --rm container). It stays outside the sandbox because that work needs the privileges the
 * monitor drops; it reads nothing but its trigger pipe.
 *
 * After the sandbox (mon_serve): one poll loop. Container output goes to the k8s-file log (and,
 * attached, to the frontend's stdout/stderr); SIGCHLD tells the container's end; the control
 * socket accepts clients (stop, kill, wait) that arrive by pidfd_getfd (LAUNCH_CTL_FD, ipc/msg.h).
 * At the end the exit status is written to EXITS/<id>, waiters are answered, the container lock
 * is released, and the cleanup child is woken by the monitor's exit.
 *
 * The fds, fixed so the sandbox policy (const data) can name them: */
#ifndef BERTH_WORKERS_LAUNCH_MONITOR_H
#define BERTH_WORKERS_LAUNCH_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define MON_STDIO_FD 5    /* 5, 6, 7: the broker gave the container's stdin, stdout, stderr */
#define MON_LOCK_FD 8     /* the container's lock: held for as long as the container lives */
#define MON_DIR_FD 9      /* the bundle (userdata): ctr.log, the runtime's pid file */
#define MON_EXITS_FD 10   /* where the exit file goes */
#define MON_OUT_FD 11     /* read ends of the container's stdout and stderr */
#define MON_ERR_FD 12
#define MON_IN_FD 13      /* detached -i: the write end of the container's stdin, kept open */
#define MON_CTL_FD 14     /* our end of the control socketpair (LAUNCH_CTL_FD is the other) */
#define MON_TRIGGER_FD 16 /* the cleanup child waits for this pipe to close */
#define MON_PIDFD 17      /* the container's init (detached), for race-free signals */
#define MON_SIGNAL_FD 18  /* signalfd: SIGCHLD */
#define MON_PTY_FD 19     /* -t: the master side of the container's terminal */
#define MON_WINCH_FD 20   /* attached -t: the frontend writes a byte here on SIGWINCH */
#define MON_LAST_FD 20

#define MON_LOG_NAME "ctr.log"

struct mon_cfg {
	const char *runtime, *rtroot, *bundle, *id, *exit_dir;
	uint64_t log_max;             /* rotate ctr.log beyond this size; 0 never */
	bool detach, interactive, tty;
	const char *detach_keys;      /* NULL: ctrl-p,ctrl-q */
	/* detached: how the cleanup child runs the broker */
	const char *broker, *store_root, *runroot, *tmpdir;
	bool rootless;
};

struct worker;
struct monitor;

/* -t: a socket listening at path for the runtime's --console-socket. */
int mon_console_listen(const char *path, struct berr *e);
/* The terminal's master side from the runtime, or -1 (*runtime_status set) when the runtime
 * exited first. */
int mon_console_accept(int lfd, pid_t runtime, int *runtime_status, struct berr *e);
/* The window size of the frontend's terminal (MON_STDIO_FD + 1) onto MON_PTY_FD's. */
void mon_copy_winsize(void);

/* Parses the monitor's arguments (--run ... ). Returns 1 when they ask for a monitor, 0 when
 * there are none (probe mode), -1 on error. Pointers borrow argv. */
int mon_parse_args(struct mon_cfg *c, int argc, char **argv, struct berr *e);

/* Before the sandbox: everything above up to the runtime's start. *out is owned by the caller
 * (the worker's role state keeps it for the process's life). */
int mon_start(const struct mon_cfg *c, struct monitor **out, struct berr *e);

/* After the sandbox: the loop. Returns the process exit status. */
int mon_serve(struct monitor *m, struct worker *w);

/* Request handlers from the broker's channel (launch's dispatch table). */
int mon_handle_status(struct monitor *m, struct worker *w, uint64_t id, struct berr *e);
/* The broker's MSG_L_WAIT (attached runs): answered when the container has exited. */
int mon_broker_wait(struct monitor *m, struct worker *w, uint64_t id, struct berr *e);

#endif
