#include "broker/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/cleanup.h"
#include "common/log.h"

struct db {
	sqlite3 *h;   /* owned */
	int version;
};

/* Migrations, in order: migrations[i] takes the schema from version i to i + 1. Never edit one
 * that has shipped; add a new one. Version 1 is the empty store of the spine: images, their
 * names and layers, and containers, all empty until the image and container work fills them. */
static const char *const migrations[] = {
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY,"                 /* config digest */
	"  manifest_digest TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  verified_by TEXT"                     /* provenance of the trust decision */
	");"
	"CREATE TABLE image_names ("
	"  name TEXT PRIMARY KEY,"
	"  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE"
	");"
	"CREATE TABLE layers ("
	"  chain_id TEXT PRIMARY KEY,"
	"  diff_id TEXT NOT NULL,"
	"  parent TEXT REFERENCES layers(chain_id),"
	"  blob_digest TEXT,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL CHECK (state IN ('unpacking', 'ready'))"
	");"
	"CREATE TABLE image_layers ("
	"  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
	"  PRIMARY KEY (image_id, idx)"
	");"
	"CREATE TABLE containers ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  image_id TEXT REFERENCES images(id),"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  config BLOB"
	");",
	/* 2: what an image needs besides its layers: the manifest's media type, its config as
	 * berth-verify parsed it (msgpack, decoded again with the strict schema when read), the
	 * config blob's digest, and which layer blobs it was pulled from. */
	"ALTER TABLE images ADD COLUMN manifest_type TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE images ADD COLUMN config BLOB;"
	"ALTER TABLE image_layers ADD COLUMN blob_digest TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX image_names_by_image ON image_names(image_id);"
	"CREATE INDEX image_layers_by_chain ON image_layers(chain_id);",
	/* 3: containers as `create`/`run` record them: the image name the user gave, the
	 * command (a JSON array the broker wrote), the runtime, and what the last run did. */
	"ALTER TABLE containers ADD COLUMN image_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE containers ADD COLUMN command TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE containers ADD COLUMN runtime TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE containers ADD COLUMN exit_code INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE containers ADD COLUMN started INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE containers ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE containers ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX containers_by_image ON containers(image_id);",
};

int db_latest_version(void)
{
	return (int)ARRAY_SIZE(migrations);
}

static int exec(sqlite3 *h, const char *sql, struct berr *e)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		berr_set(e, BERR_SYSTEM, 0, "state database: %s", msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int read_version(sqlite3 *h, int *v, struct berr *e)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return berr_set(e, BERR_SYSTEM, 0, "state database: %s", sqlite3_errmsg(h));
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Runs sql, retrying while another connection holds a lock the busy handler does not wait
 * for (journal mode changes, WAL recovery), for about as long as the busy timeout. */
static int exec_retry(sqlite3 *h, const char *sql, struct berr *e)
{
	for (int tries = 0;; tries++) {
		int r = sqlite3_exec(h, sql, NULL, NULL, NULL);
		if (r == SQLITE_OK)
			return 0;
		if ((r != SQLITE_BUSY && r != SQLITE_LOCKED) || tries == 200)
			return berr_set(e, BERR_SYSTEM, 0, "state database: %s", sqlite3_errmsg(h));
		usleep(50 * 1000);
	}
}

static int migrate(struct db *db, struct berr *e)
{
	/* BEGIN IMMEDIATE takes the write lock first, so two commands opening a new store at once
	 * do not both run a migration: the second waits, then sees the new version. */
	if (exec_retry(db->h, "BEGIN IMMEDIATE", e) < 0)
		return -1;
	if (read_version(db->h, &db->version, e) < 0)
		goto rollback;
	if (db->version > db_latest_version()) {
		berr_set(e, BERR_UNSUPPORTED, 0,
			 "the state database has schema version %d, newer than this berth "
			 "understands (%d): use a newer berth", db->version, db_latest_version());
		goto rollback;
	}
	for (int v = db->version; v < db_latest_version(); v++) {
		char sql[64];
		if (exec(db->h, migrations[v], e) < 0)
			goto rollback;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(db->h, sql, e) < 0)
			goto rollback;
		log_debug("state database migrated to schema %d", v + 1);
	}
	if (exec(db->h, "COMMIT", e) < 0)
		goto rollback;
	db->version = db_latest_version();
	return 0;
rollback:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct db *db_open(const char *path, struct berr *e)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return berr_sys(e, "allocating"), NULL;
	if (sqlite3_open_v2(path, &db->h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		berr_set(e, BERR_SYSTEM, 0, "opening the state database %s: %s", path,
			 db->h != NULL ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 10000);
	/* Switching a new database to WAL takes an exclusive lock and does not wait on the busy
	 * handler: two first commands at once would see "database is locked". */
	if (exec_retry(db->h, "PRAGMA journal_mode = WAL", e) < 0 ||
	    exec(db->h, "PRAGMA synchronous = FULL", e) < 0 ||
	    exec(db->h, "PRAGMA foreign_keys = ON", e) < 0 ||
	    /* Sorts and temporary indexes in memory: no file in /var/tmp for a command to leave. */
	    exec(db->h, "PRAGMA temp_store = MEMORY", e) < 0 ||
	    /* Pages read through a mapping, not a pread each: `ps -a` reads every row. */
	    exec(db->h, "PRAGMA mmap_size = 268435456", e) < 0 || migrate(db, e) < 0) {
		berr_wrap(e, "%s", path);
		goto fail;
	}
	return db;
fail:
	db_close(db);
	return NULL;
}

void db_close(struct db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->h);
	free(db);
}

int db_schema_version(const struct db *db)
{
	return db->version;
}

struct sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

int db_exec(struct db *db, const char *sql, struct berr *e)
{
	/* Transactions start with a retry too, for the same reason as in db_open. */
	if (strncmp(sql, "BEGIN", 5) == 0)
		return exec_retry(db->h, sql, e);
	return exec(db->h, sql, e);
}
