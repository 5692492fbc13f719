#ifndef BERTH_BROKER_RUN_H
#define BERTH_BROKER_RUN_H

#include "broker/broker.h"
#include "ipc/channel.h"

/* `berth create` (deferred): resolves the image in the store, generates config.json with
 * policy/spec.c and the seccomp profile for the capabilities it chose, writes the container's
 * hosts, hostname and resolv.conf, and records the container. */
int broker_create(struct broker *b, struct ipc_msg *m, struct berr *e);
/* `berth start -a` / the start half of `run` (deferred): mounts the overlay root filesystem,
 * checks the command exists in it (127/126 as Podman), has berth-launch run the OCI runtime
 * with the frontend's stdio, waits, records the exit code, unmounts (and removes with --rm). */
int broker_run(struct broker *b, struct ipc_msg *m, struct berr *e);
int broker_ps(void *ctx, struct ipc_msg *m, struct berr *e);
int broker_crm(void *ctx, struct ipc_msg *m, struct berr *e);
int broker_cinspect(void *ctx, struct ipc_msg *m, struct berr *e);

/* Exit codes 127 and 126 as Podman gives them, decided before the runtime runs: config's
 * process.args[0] looked up in rootfs along its PATH (openat2 RESOLVE_IN_ROOT). *code 0: it can
 * run; else msg says why. */
/* Unmounts and removes what a --userns=nomap first start left half-made in the container's
 * directory ctr_dir (none: 0). e may be NULL (best effort). Returns 0, or -1 with *e set. */
int run_nomap_cleanup(const char *ctr_dir, struct berr *e);
int run_check_exec(const char *rootfs, const char *config, int64_t *code, char *msg,
		   size_t msglen);

/* Appends a copy of s to the NULL-terminated vector *v of *n strings. Returns 0 or -1 (ENOMEM). */
int run_strv_add(char ***v, size_t *n, const char *s);

#endif
