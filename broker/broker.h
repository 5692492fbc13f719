/* The broker's one context: everything the process knows lives here, passed explicitly.
 * One broker per command: started by the frontend with its channel at fd 3, it exits when the
 * frontend's command is done (the frontend closes the channel). */
#ifndef BERTH_BROKER_BROKER_H
#define BERTH_BROKER_BROKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "ipc/channel.h"

struct event_base;
struct event;
struct db;
struct wk;

#define BROKER_FRONT_FD 3

/* Broker states (bits, for the frontend dispatch table). */
enum broker_state {
	BS_HELLO = 1u << 0, /* waiting for MSG_HELLO */
	BS_READY = 1u << 1, /* may take one command */
	BS_BUSY = 1u << 2,  /* a command is running; nothing else is accepted */
};

/* Options from the frontend's MSG_HELLO, checked and then read-only. */
struct broker_cfg {
	char root[4096];
	char runroot[4096];
	char tmpdir[4096];       /* pause pid file and lock (rootless) */
	char runtime[4096];      /* --runtime, or empty */
	char libexec[4096];      /* directory of the berth-* executables */
	char home[4096];         /* the user's home, or empty */
	char config_home[4096];  /* $XDG_CONFIG_HOME or <home>/.config, or empty */
	char registries_conf[4096]; /* $CONTAINERS_REGISTRIES_CONF, or empty */
	char containers_conf[4096]; /* $CONTAINERS_CONF, or empty */
	int log_level;
	bool rootless;           /* the broker was started by a non-root user */
	uid_t host_uid;          /* the user's uid and gid on the host */
	gid_t host_gid;
};

struct info_job;
struct unshare_job;

struct broker {
	struct event_base *base;       /* owned */
	struct ipc_chan *front;        /* owned: the frontend's channel */
	struct event *front_ev;        /* owned */
	struct event *sigchld_ev;      /* owned */
	uint32_t state;                /* enum broker_state bit */
	struct broker_cfg cfg;
	pid_t pause_pid;               /* rootless: the pause process joined; 0 rootful */
	struct db *db;                 /* owned: the state database */
	struct wk *workers;            /* owned list of live workers */
	struct info_job *info;         /* owned: the running `info` command, if any */
	struct unshare_job *unshare;   /* owned: the running `unshare` command, if any */
	uint64_t next_req_id;          /* ids of requests to workers */
	bool stopping;                 /* broker_stop() was called: wind down */
	/* A command that runs as straight-line code (pull): its handler parks the request here
	 * and leaves the event loop; main runs it at the top level, where it may drive the loop
	 * itself (libevent loops do not nest). */
	int (*deferred)(struct broker *b, struct ipc_msg *m, struct berr *e);
	struct ipc_msg *deferred_msg;  /* owned */
	int exit_code;
};

/* Sends an error reply to the frontend for request id. A failure to send ends the loop. */
void broker_reply_error(struct broker *b, uint64_t id, const struct berr *err);
/* Marks the command finished: the broker takes the next request (the frontend normally closes
 * the channel instead). */
void broker_command_done(struct broker *b);
/* Stops the event loop and makes the broker exit with code. */
void broker_stop(struct broker *b, int code);
/* Parks m (taken) for fn, to run once the current event-loop pass is over. */
void broker_defer(struct broker *b, int (*fn)(struct broker *, struct ipc_msg *, struct berr *),
		  struct ipc_msg *m);
/* Sends byte progress of one blob (named by its short hex) to the frontend (best effort). */
void broker_progress_bytes(struct broker *b, uint64_t id, const char *blob, uint64_t current,
			   uint64_t total);
/* Sends a progress line to the frontend for request id (best effort). */
void broker_progress(struct broker *b, uint64_t id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
