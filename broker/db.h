/* The state database: SQLite in WAL mode with a busy timeout, its schema versioned by
 * PRAGMA user_version and brought up to date by ordered migrations, each in one transaction. */
#ifndef BERTH_BROKER_DB_H
#define BERTH_BROKER_DB_H

#include "common/err.h"

struct db;

/* Opens (creating if needed) path and migrates it to the current schema. */
struct db *db_open(const char *path, struct berr *e);
void db_close(struct db *db);
int db_schema_version(const struct db *db);
/* The schema version this build writes. */
int db_latest_version(void);



/* The SQLite handle, for the broker modules that run their own statements (imgstore). */
struct sqlite3;
struct sqlite3 *db_handle(struct db *db);
/* Runs a statement with no result rows. */
int db_exec(struct db *db, const char *sql, struct berr *e);
#endif
