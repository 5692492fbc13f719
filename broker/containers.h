/* Containers in the state database and their directories in the store:
 * <root>/containers/<id>/{upper,work,merged} (the overlay) and <root>/containers/<id>/userdata
 * (config.json, hosts, resolv.conf, hostname). A row is written after its directories exist
 * and removed before them, so a crash leaves at most directories without a row, which
 * ctr_scan() removes when the store is next opened. */
#ifndef BERTH_BROKER_CONTAINERS_H
#define BERTH_BROKER_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

struct db;

enum ctr_state { CTR_CREATED, CTR_RUNNING, CTR_EXITED };

struct ctr_record {
	char id[65];
	char name[256];
	char image_id[65];
	char image_name[512];
	char runtime[4096];
	int64_t created;
	enum ctr_state state;
	int64_t exit_code;
	int64_t started;
	int64_t finished;
	int64_t pid;
	const uint8_t *config;   /* msgpack of the MSG_CREATE body (create: borrowed) */
	size_t config_len;
	char *command_json;      /* the process args as a JSON array (create: borrowed) */
};

const char *ctr_state_name(enum ctr_state s);

/* A fresh random ID (64 hex) and, when name is NULL, a generated name no container has. */
int ctr_new_id(char id[65], struct berr *e);
int ctr_generate_name(struct db *db, char *name, size_t len, struct berr *e);
/* Container names as Podman allows them: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
bool ctr_name_valid(const char *name);

/* <root>/containers/<id>[/sub]. */
int ctr_path(const char *root, const char *id, const char *sub, char *out, size_t len);

/* Inserts the row; BERR_INVALID "the container name X is already in use by Y" on a clash. */
int ctr_insert(struct db *db, const struct ctr_record *r, struct berr *e);
/* Name, full ID or unique ID prefix -> ID; BERR_NOTFOUND "no container with name or ID X
 * found". */
int ctr_lookup(struct db *db, const char *name, char id[65], struct berr *e);
/* The row (config and command_json are heap copies the caller frees with ctr_record_free). */
int ctr_get(struct db *db, const char *id, struct ctr_record *r, struct berr *e);
void ctr_record_free(struct ctr_record *r);
int ctr_set_running(struct db *db, const char *id, int64_t pid, struct berr *e);
int ctr_set_exited(struct db *db, const char *id, int64_t exit_code, struct berr *e);
int ctr_delete(struct db *db, const char *id, struct berr *e);
/* Every container, newest first (all = false: only running ones). */
int ctr_list(struct db *db, bool all, struct msg_ps_reply *out, struct berr *e);
/* Fills s->labels from the container's create request. */
int ctr_summary_labels(struct db *db, struct msg_container_summary *s, struct berr *e);
/* The first container using the image, or "" when none. */
int ctr_image_user(struct db *db, const char *image_id, char id[65], struct berr *e);

/* Removes a container's directories (unmounting its rootfs first if mounted). */
int ctr_remove_dirs(const char *root, const char *id, struct berr *e);
/* On open: directories of containers without a row are removed; a container recorded as
 * running whose run lock nobody holds (the command that ran it died) becomes exited (137),
 * its root filesystem unmounted and its runtime state removed. */
int ctr_scan(struct db *db, const char *root, const char *runroot, struct berr *e);

/* Records the end of a container marked running whose monitor is gone (the caller holds its
 * lock, lock): the exit code from the monitor's exit file (137 without one), its root
 * unmounted, the runtime's state removed; an --rm container is removed. Nothing for a
 * container that is not marked running. */
int ctr_finish(struct db *db, const char *root, const char *runroot, const char *id, int lock,
	       struct berr *e);

#endif
