#include "broker/containers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "broker/db.h"
#include "broker/locks.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/rmtree.h"
#include "ipc/codec.h"

static const char *const state_names[] = { "created", "running", "exited" };

const char *ctr_state_name(enum ctr_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

static enum ctr_state state_of(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
		if (s != NULL && strcmp(s, state_names[i]) == 0)
			return (enum ctr_state)i;
	return CTR_EXITED;
}

static int dberr(struct db *db, struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, 0, "state database: %s", sqlite3_errmsg(db_handle(db)));
}

int ctr_new_id(char id[65], struct berr *e)
{
	unsigned char rnd[32];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return berr_sys(e, "getrandom");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	/* An ID that is all digits reads as a number to some tools; Podman avoids them too. */
	if (strspn(id, "0123456789") == 64)
		id[0] = 'a';
	return 0;
}

bool ctr_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

static bool name_taken(struct db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool taken = true;

	if (sqlite3_prepare_v2(db_handle(db), "SELECT 1 FROM containers WHERE name = ?", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
		taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return taken;
}

/* Two words, as Docker and Podman name containers; the lists are berth's own. */
int ctr_generate_name(struct db *db, char *name, size_t len, struct berr *e)
{
	static const char *const first[] = {
		"amber", "brave", "calm", "daring", "eager", "fancy", "gentle", "happy", "icy",
		"jolly", "keen", "lucid", "merry", "nimble", "odd", "proud", "quiet", "rapid",
		"steady", "tidy", "upbeat", "vivid", "witty", "young", "zealous", "agile",
		"bold", "clever", "dreamy", "elated", "fearless", "glad", "hardy", "jovial",
		"kind", "loyal", "mellow", "noble", "patient", "quirky", "relaxed", "sharp",
		"tender", "valiant", "wise", "zen", "busy", "cosy", "frosty", "golden",
	};
	static const char *const second[] = {
		"anchor", "buoy", "cabin", "dock", "ferry", "galley", "harbor", "island", "jetty",
		"keel", "lagoon", "mast", "navigator", "oar", "pier", "quay", "rudder", "sail",
		"tide", "umiak", "voyage", "wharf", "yacht", "zephyr", "berth", "beacon",
		"current", "estuary", "fathom", "gangway", "hull", "inlet", "knot", "lighthouse",
		"marina", "nautilus", "outrigger", "pontoon", "regatta", "schooner", "tugboat",
		"vessel", "windlass", "capstan", "dinghy", "frigate", "gunwale", "halyard", "ketch",
	};

	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[2];
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return berr_sys(e, "getrandom");
		snprintf(name, len, "%s_%s", first[r[0] % ARRAY_SIZE(first)],
			 second[r[1] % ARRAY_SIZE(second)]);
		if (tries >= 50)
			snprintf(name + strlen(name), len - strlen(name), "%d", tries);
		if (!name_taken(db, name))
			return 0;
	}
	return berr_set(e, BERR_INTERNAL, 0, "could not find a free container name");
}

int ctr_path(const char *root, const char *id, const char *sub, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/containers/%s%s%s", root, id, sub != NULL ? "/" : "",
			 sub != NULL ? sub : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int ctr_insert(struct db *db, const struct ctr_record *r, struct berr *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (name_taken(db, r->name)) {
		char other[65] = "";
		struct berr e2;
		(void)ctr_lookup(db, r->name, other, &e2);
		return berr_set(e, BERR_INVALID, EEXIST, "the container name \"%s\" is already in use by "
				"%s. You have to remove that container to be able to reuse that name",
				r->name, other);
	}
	if (sqlite3_prepare_v2(db_handle(db),
			       "INSERT INTO containers (id, name, image_id, created, state, config, "
			       "image_name, command, runtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return dberr(db, e);
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->image_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->created);
	sqlite3_bind_text(st, 5, ctr_state_name(r->state), -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, r->config, (int)r->config_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->image_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->command_json != NULL ? r->command_json : "[]", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->runtime, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* A concurrent create took the name between the check and the insert. */
	if (rc == SQLITE_CONSTRAINT)
		return berr_set(e, BERR_INVALID, EEXIST, "the container name \"%s\" is already in "
				"use. You have to remove that container to be able to reuse that "
				"name", r->name);
	return rc == SQLITE_DONE ? 0 : dberr(db, e);
}

int ctr_lookup(struct db *db, const char *name, char id[65], struct berr *e)
{
	sqlite3_stmt *st = NULL;
	size_t n = strlen(name);
	int found = 0;

	/* A name first, then a full ID, then a unique ID prefix (hex only). */
	if (sqlite3_prepare_v2(db_handle(db),
			       "SELECT id FROM containers WHERE name = ?1 OR id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return dberr(db, e);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (n > 0 && n < 64 && strspn(name, "0123456789abcdef") == n) {
		if (sqlite3_prepare_v2(db_handle(db),
				       "SELECT id FROM containers WHERE substr(id, 1, ?2) = ?1 LIMIT 2",
				       -1, &st, NULL) != SQLITE_OK)
			return dberr(db, e);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)n);
		while (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
			found++;
		}
		sqlite3_finalize(st);
		if (found > 1)
			return berr_set(e, BERR_INVALID, 0, "more than one result for container ID "
					"prefix %s", name);
		if (found == 1)
			return 0;
	}
	return berr_set(e, BERR_NOTFOUND, 0, "no container with name or ID \"%s\" found: no such "
			"container", name);
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

#define ROW_COLUMNS "id, name, image_id, image_name, runtime, created, state, exit_code, " \
		    "started, finished, pid, config, command"
/* The same columns without the stored create request (NULL in its place), for lists: sorting
 * a thousand rows with their blobs made SQLite spill to a temporary file. */
#define LIST_COLUMNS "id, name, image_id, image_name, runtime, created, state, exit_code, " \
		     "started, finished, pid, NULL, command"

static int read_row(sqlite3_stmt *st, struct ctr_record *r, bool with_blobs)
{
	memset(r, 0, sizeof(*r));
	copy_text(st, 0, r->id, sizeof(r->id));
	copy_text(st, 1, r->name, sizeof(r->name));
	copy_text(st, 2, r->image_id, sizeof(r->image_id));
	copy_text(st, 3, r->image_name, sizeof(r->image_name));
	copy_text(st, 4, r->runtime, sizeof(r->runtime));
	r->created = sqlite3_column_int64(st, 5);
	r->state = state_of((const char *)sqlite3_column_text(st, 6));
	r->exit_code = sqlite3_column_int64(st, 7);
	r->started = sqlite3_column_int64(st, 8);
	r->finished = sqlite3_column_int64(st, 9);
	r->pid = sqlite3_column_int64(st, 10);
	if (with_blobs) {
		int n = sqlite3_column_bytes(st, 11);
		uint8_t *c = malloc(n > 0 ? (size_t)n : 1);
		if (c == NULL)
			return -1;
		if (n > 0)
			memcpy(c, sqlite3_column_blob(st, 11), (size_t)n);
		r->config = c;
		r->config_len = (size_t)n;
	}
	const unsigned char *cmd = sqlite3_column_text(st, 12);
	r->command_json = strdup(cmd != NULL ? (const char *)cmd : "[]");
	return r->command_json != NULL ? 0 : -1;
}

void ctr_record_free(struct ctr_record *r)
{
	free((void *)r->config);
	free(r->command_json);
	r->config = NULL;
	r->command_json = NULL;
}

int ctr_get(struct db *db, const char *id, struct ctr_record *r, struct berr *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db_handle(db), "SELECT " ROW_COLUMNS " FROM containers WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return dberr(db, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? berr_set(e, BERR_NOTFOUND, 0, "no container %s", id)
					 : dberr(db, e);
	}
	rc = read_row(st, r, true);
	sqlite3_finalize(st);
	if (rc < 0) {
		ctr_record_free(r);
		return berr_sys(e, "allocating");
	}
	return 0;
}

static int update(struct db *db, const char *sql, const char *id, int64_t a, struct berr *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, e);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, e);
}

int ctr_set_running(struct db *db, const char *id, int64_t pid, struct berr *e)
{
	return update(db, "UPDATE containers SET state = 'running', pid = ?1, started = ?2, "
			  "finished = 0, exit_code = 0 WHERE id = ?3", id, pid, e);
}

int ctr_set_exited(struct db *db, const char *id, int64_t exit_code, struct berr *e)
{
	return update(db, "UPDATE containers SET state = 'exited', pid = 0, exit_code = ?1, "
			  "finished = ?2 WHERE id = ?3", id, exit_code, e);
}

int ctr_delete(struct db *db, const char *id, struct berr *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db_handle(db), "DELETE FROM containers WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return dberr(db, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, e);
}

/* The command column back into a vector: JSON the broker wrote itself. */
static int command_strv(const char *json, char ***out, size_t *n)
{
	json_t *a = json_loads(json, 0, NULL), *v;
	size_t i;

	*n = 0;
	*out = calloc((a != NULL ? json_array_size(a) : 0) + 1, sizeof(char *));
	if (*out == NULL) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (i >= 64)
			break;
		(*out)[i] = strndup(json_string_value(v) != NULL ? json_string_value(v) : "", 1024);
		if ((*out)[i] == NULL) {
			json_decref(a);
			return -1;
		}
		*n = i + 1;
	}
	json_decref(a);
	return 0;
}

int ctr_list(struct db *db, bool all, struct msg_ps_reply *out, struct berr *e)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db_handle(db),
			       all ? "SELECT " LIST_COLUMNS " FROM containers ORDER BY created DESC, rowid DESC"
				   : "SELECT " LIST_COLUMNS " FROM containers WHERE state = 'running' "
				     "ORDER BY created DESC, rowid DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return dberr(db, e);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ctr_record r;
		struct msg_container_summary *c;

		if (out->n_containers == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			void *nv = realloc(out->containers, ncap * sizeof(*out->containers));
			if (nv == NULL)
				goto nomem;
			out->containers = nv;
			cap = ncap;
		}
		if (read_row(st, &r, false) < 0) {
			ctr_record_free(&r);
			goto nomem;
		}
		c = &out->containers[out->n_containers];
		memset(c, 0, sizeof(*c));
		out->n_containers++;
		c->id = strdup(r.id);
		c->name = strdup(r.name);
		c->image = strdup(r.image_name[0] != '\0' ? r.image_name : r.image_id);
		c->image_id = strdup(r.image_id);
		c->state = strdup(ctr_state_name(r.state));
		c->created = r.created;
		c->exit_code = r.exit_code;
		c->started = r.started;
		c->finished = r.finished;
		c->pid = r.pid;
		rc = command_strv(r.command_json, &c->command, &c->n_command);
		ctr_record_free(&r);
		if (rc < 0 || c->id == NULL || c->name == NULL || c->image == NULL ||
		    c->image_id == NULL || c->state == NULL)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (out->containers == NULL && (out->containers = calloc(1, sizeof(*out->containers))) == NULL)
		return berr_sys(e, "allocating");
	return rc == SQLITE_DONE ? 0 : dberr(db, e);
nomem:
	sqlite3_finalize(st);
	ipc_struct_free(&msg_ps_reply_schema, out);
	return berr_sys(e, "allocating");
}

int ctr_summary_labels(struct db *db, struct msg_container_summary *s, struct berr *e)
{
	static const char *const none[] = { NULL };
	struct ctr_record r;
	struct msg_create cr = { 0 };
	int rc;

	if (ctr_get(db, s->id, &r, e) < 0)
		return -1;
	rc = ipc_decode_struct(&msg_create_schema, r.config, r.config_len, none, &cr, e);
	ctr_record_free(&r);
	if (rc < 0)
		return berr_wrap(e, "container %s: its stored configuration", s->name);
	s->labels = cr.labels;
	s->n_labels = cr.n_labels;
	cr.labels = NULL;
	cr.n_labels = 0;
	ipc_struct_free(&msg_create_schema, &cr);
	return 0;
}

int ctr_image_user(struct db *db, const char *image_id, char id[65], struct berr *e)
{
	sqlite3_stmt *st = NULL;

	id[0] = '\0';
	if (sqlite3_prepare_v2(db_handle(db), "SELECT id FROM containers WHERE image_id = ? LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return dberr(db, e);
	sqlite3_bind_text(st, 1, image_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		copy_text(st, 0, id, 65);
	sqlite3_finalize(st);
	return 0;
}

int ctr_remove_dirs(const char *root, const char *id, struct berr *e)
{
	char dir[4300], merged[4400];
	int fd;

	snprintf(dir, sizeof(dir), "%s/containers", root);
	snprintf(merged, sizeof(merged), "%s/%s/merged", dir, id);
	/* Detached, so a process still inside cannot keep the removal from going on. */
	if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn("unmounting %s: %s", merged, strerror(errno));
	/* The image mounted for a --userns=nomap copy by a start that died (broker/run.c). */
	snprintf(merged, sizeof(merged), "%s/%s/nomap-build/src", dir, id);
	if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn("unmounting %s: %s", merged, strerror(errno));
	snprintf(merged, sizeof(merged), "%s/locks/container-%s.lock", root, id);
	(void)unlink(merged);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : berr_sys(e, "opening %s", dir);
	int rc = rmtree_at(fd, id, e);
	close(fd);
	return rc;
}

/* EXITS/<id>, written by the container's monitor: the exit code, or -1 when there is none. */
static int64_t read_exit_file(const char *runroot, const char *id)
{
	char path[4400], buf[32];
	cleanup_close int fd = -1;
	ssize_t n;
	long long v;
	char *end;

	snprintf(path, sizeof(path), "%s/exits/%s", runroot, id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v < 0 || v > 255)
		return -1;
	return v;
}

/* `RUNTIME --root RTROOT delete --force ID` when the runtime still has state for the
 * container; its complaints are not the user's business (the state is removed anyway). */
static void runtime_delete(const char *runtime, const char *rtroot, const char *id)
{
	char state[4600];
	int st;
	pid_t pid;

	snprintf(state, sizeof(state), "%s/%s", rtroot, id);
	if (runtime[0] != '/' || access(state, F_OK) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)runtime, (char *)"--root", (char *)rtroot, (char *)"delete",
				 (char *)"--force", (char *)id, NULL };
		char *envp[] = { (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				 "/sbin:/bin", NULL };
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execve(runtime, argv, envp);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

int ctr_finish(struct db *db, const char *root, const char *runroot, const char *id, int lock,
	       struct berr *e)
{
	static const char *const none[] = { NULL };
	struct ctr_record c;
	struct msg_create cr = { 0 };
	char path[4400];
	int64_t code;
	bool rm = false;

	(void)lock; /* held by the caller: proof that nothing runs the container */
	if (ctr_get(db, id, &c, e) < 0)
		return e->code == BERR_NOTFOUND ? 0 : -1;
	if (c.state != CTR_RUNNING) {
		ctr_record_free(&c);
		return 0;
	}
	if (ipc_decode_struct(&msg_create_schema, c.config, c.config_len, none, &cr, e) == 0) {
		rm = cr.rm;
		ipc_struct_free(&msg_create_schema, &cr);
	}
	berr_clear(e);
	code = read_exit_file(runroot, id);
	if (code < 0)
		log_warn("container %s ended without an exit status (its monitor was killed?): "
			 "marked exited", c.name);
	snprintf(path, sizeof(path), "%s/containers/%s/merged", root, id);
	(void)umount2(path, MNT_DETACH);
	/* The runtime's state, in case its `delete` did not run (a berth command recorded the
	 * end, or the monitor's cleanup child was killed too): the runtime's own delete first,
	 * which also removes the container's cgroups, then whatever it left. */
	snprintf(path, sizeof(path), "%s/runtime", runroot);
	runtime_delete(c.runtime, path, id);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		struct berr e2;
		(void)rmtree_at(fd, id, &e2);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/exits/%s", runroot, id);
	int rc = rm ? ctr_delete(db, id, e) : ctr_set_exited(db, id, code < 0 ? 137 : code, e);
	if (rc == 0 && rm)
		rc = ctr_remove_dirs(root, id, e);
	if (rc == 0)
		(void)unlink(path);
	ctr_record_free(&c);
	return rc;
}

/* Running rows whose monitor is gone: it holds the container's lock for as long as the
 * container runs. */
static int scan_running(struct db *db, const char *root, const char *runroot, struct berr *e)
{
	struct msg_ps_reply r = { 0 };

	if (ctr_list(db, false, &r, e) < 0)
		return -1;
	for (size_t i = 0; i < r.n_containers; i++) {
		const char *id = r.containers[i].id;
		struct berr e2 = { 0 };
		int lk = lock_object(root, "container", id, true, &e2);
		if (lk < 0)
			continue; /* running, or not ours to judge */
		if (ctr_finish(db, root, runroot, id, lk, &e2) < 0)
			log_warn("container %s: %s", r.containers[i].name, e2.msg);
		close(lk);
	}
	ipc_struct_free(&msg_ps_reply_schema, &r);
	return 0;
}

/* Every container ID in the table, sorted (for bsearch). */
static int all_ids(struct db *db, char (**ids)[65], size_t *n, struct berr *e)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db_handle(db), "SELECT id FROM containers ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK)
		return dberr(db, e);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t c = cap ? cap * 2 : 256;
			char (*p)[65] = realloc(*ids, c * sizeof(**ids));
			if (p == NULL) {
				sqlite3_finalize(st);
				return berr_sys(e, "allocating");
			}
			*ids = p;
			cap = c;
		}
		snprintf((*ids)[(*n)++], 65, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, e);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* /proc/self/mountinfo's mount point field, with the kernel's octal escapes (\040 ...) undone,
 * into out. Returns 0, or -1 when the line is not one. */
static int mount_point(const char *line, char *out, size_t len)
{
	const char *p = line;
	size_t o = 0;

	for (int f = 0; f < 4; f++) { /* id, parent, major:minor, root */
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	for (; *p != '\0' && *p != ' ' && o + 1 < len; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			out[o++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return 0;
}

/* Roots left mounted by a run killed between the container's exit and the unmount (or a
 * --userns=nomap copy killed half-way): every mount beneath <root>/containers/<id>/ of a
 * container that is not running (nobody holds its lock). Read from the mount table, so a store
 * of many containers costs one read, not a lock and an unmount per container. */
static void unmount_stale(const char *root)
{
	char prefix[4300], mp[4400];
	size_t plen;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s/containers/", root);
	while (getline(&line, &cap, f) > 0) {
		char id[65];
		struct berr e2 = { 0 };
		int lk;

		if (mount_point(line, mp, sizeof(mp)) < 0 || strncmp(mp, prefix, plen) != 0 ||
		    strlen(mp + plen) < 65 || mp[plen + 64] != '/')
			continue;
		snprintf(id, sizeof(id), "%.64s", mp + plen);
		lk = lock_object(root, "container", id, true, &e2);
		if (lk < 0)
			continue; /* running, or not ours to judge */
		log_debug("unmounting %s, left by a run that died", mp);
		if (umount2(mp, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			log_warn("unmounting %s: %s", mp, strerror(errno));
		close(lk);
	}
	free(line);
	fclose(f);
}

int ctr_scan(struct db *db, const char *root, const char *runroot, struct berr *e)
{
	char dir[4300];
	char (*ids)[65] = NULL;
	size_t n_ids = 0;
	DIR *d;
	struct dirent *de;

	if (scan_running(db, root, runroot, e) < 0)
		return -1;
	unmount_stale(root);

	snprintf(dir, sizeof(dir), "%s/containers", root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berr_sys(e, "creating %s", dir);
	if (all_ids(db, &ids, &n_ids, e) < 0)
		return -1;
	d = opendir(dir);
	if (d == NULL) {
		free(ids);
		return berr_sys(e, "opening %s", dir);
	}
	while ((de = readdir(d)) != NULL) {
		struct berr e2 = { 0 };
		if (de->d_name[0] == '.' || strlen(de->d_name) != 64 ||
		    strspn(de->d_name, "0123456789abcdef") != 64)
			continue;
		/* bsearch wants a real array even when empty (UBSan says so). */
		if (n_ids > 0 && bsearch(de->d_name, ids, n_ids, sizeof(*ids), cmp_id) != NULL)
			continue;
		/* A create that died before its row: only if old enough not to be one running
		 * right now (a create writes the row within a second of the directories). */
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && st.st_mtime > time(NULL) - 60)
			continue;
		log_debug("removing orphan container directory %s", de->d_name);
		(void)ctr_remove_dirs(root, de->d_name, &e2);
	}
	closedir(d);
	free(ids);
	return 0;
}
