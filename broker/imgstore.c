#include "broker/imgstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "broker/blobs.h"
#include "broker/db.h"
#include "broker/locks.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/rmtree.h"
#include "ipc/codec.h"

static int sqlerr(sqlite3 *h, struct berr *e, const char *what)
{
	return berr_set(e, BERR_SYSTEM, 0, "state database: %s: %s", what, sqlite3_errmsg(h));
}

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int imgstore_layer_path(const char *root, const char *chain, char *out, size_t len)
{
	if (!is_hex(chain, 64))
		return -1;
	return snprintf(out, len, "%s/layers/%s", root, chain) >= (int)len ? -1 : 0;
}

bool imgstore_layer_ready(struct db *db, const char *root, const char *chain)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st = NULL;
	bool ready = false;
	char path[4300];
	struct stat sb;

	if (sqlite3_prepare_v2(h, "SELECT state FROM layers WHERE chain_id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		ready = strcmp((const char *)sqlite3_column_text(st, 0), "ready") == 0;
	sqlite3_finalize(st);
	return ready && imgstore_layer_path(root, chain, path, sizeof(path)) == 0 &&
	       lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int step_done(sqlite3 *h, sqlite3_stmt *st, const char *what, struct berr *e)
{
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return sqlerr(h, e, what);
	return 0;
}

int imgstore_commit(struct db *db, const struct image_record *rec, struct berr *e)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *layer = NULL, *img = NULL, *il = NULL, *name = NULL, *ver = NULL;
	int rc = -1;

	if (db_exec(db, "BEGIN IMMEDIATE", e) < 0)
		return -1;
	if (sqlite3_prepare_v2(h,
			       "INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, blob_digest,"
			       " size, state) VALUES (?, ?, ?, ?, ?, 'ready')",
			       -1, &layer, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h,
			       "INSERT OR IGNORE INTO images (id, manifest_digest, created, size,"
			       " manifest_type, config) VALUES (?, ?, ?, ?, ?, ?)",
			       -1, &img, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h,
			       "INSERT OR IGNORE INTO image_layers (image_id, idx, chain_id,"
			       " blob_digest) VALUES (?, ?, ?, ?)",
			       -1, &il, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?, ?)",
			       -1, &name, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "UPDATE images SET verified_by = ? WHERE id = ?", -1, &ver,
			       NULL) != SQLITE_OK) {
		sqlerr(h, e, "preparing");
		goto out;
	}
	for (size_t i = 0; i < rec->n_layers; i++) {
		const struct image_layer_rec *l = &rec->layers[i];
		sqlite3_bind_text(layer, 1, l->chain_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(layer, 2, l->diff_id, -1, SQLITE_STATIC);
		if (i > 0)
			sqlite3_bind_text(layer, 3, rec->layers[i - 1].chain_id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(layer, 3);
		sqlite3_bind_text(layer, 4, l->blob_digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(layer, 5, (sqlite3_int64)l->size);
		if (step_done(h, layer, "adding a layer", e) < 0)
			goto out;
	}
	sqlite3_bind_text(img, 1, rec->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(img, 2, rec->manifest_digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(img, 3, rec->created);
	sqlite3_bind_int64(img, 4, (sqlite3_int64)rec->size);
	sqlite3_bind_text(img, 5, rec->manifest_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(img, 6, rec->config, (int)rec->config_len, SQLITE_STATIC);
	if (step_done(h, img, "adding the image", e) < 0)
		goto out;
	/* A later verification of the same image replaces the record: it is the newer word. */
	if (rec->verified_by != NULL && rec->verified_by[0] != '\0') {
		sqlite3_bind_text(ver, 1, rec->verified_by, -1, SQLITE_STATIC);
		sqlite3_bind_text(ver, 2, rec->id, -1, SQLITE_STATIC);
		if (step_done(h, ver, "recording the verification", e) < 0)
			goto out;
	}
	for (size_t i = 0; i < rec->n_layers; i++) {
		sqlite3_bind_text(il, 1, rec->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(il, 2, (int)i);
		sqlite3_bind_text(il, 3, rec->layers[i].chain_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(il, 4, rec->layers[i].blob_digest, -1, SQLITE_STATIC);
		if (step_done(h, il, "linking a layer", e) < 0)
			goto out;
	}
	if (rec->name != NULL) {
		sqlite3_bind_text(name, 1, rec->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(name, 2, rec->id, -1, SQLITE_STATIC);
		if (step_done(h, name, "naming the image", e) < 0)
			goto out;
	}
	if (db_exec(db, "COMMIT", e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(layer);
	sqlite3_finalize(img);
	sqlite3_finalize(il);
	sqlite3_finalize(name);
	sqlite3_finalize(ver);
	return rc;
}

/* Short names match a stored name when they equal one of its trailing path parts:
 * "busybox" matches "localhost:5000/library/busybox:latest". */
static bool short_match(const char *stored, const char *want)
{
	size_t sl = strlen(stored), wl = strlen(want);
	return sl > wl && strcmp(stored + sl - wl, want) == 0 && stored[sl - wl - 1] == '/';
}

int imgstore_lookup(struct db *db, const char *name, char id[65], struct berr *e)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st = NULL;
	char want[600];
	int found = 0;
	const char *last = strrchr(name, '/');
	const char *colon = strrchr(last != NULL ? last : name, ':');

	if (strlen(name) == 0 || strlen(name) > 512)
		return berr_set(e, BERR_INVALID, 0, "%s: invalid image name", name);
	/* A full ID or a unique prefix of at least 3 hex characters. */
	if (strlen(name) >= 3 && strlen(name) <= 64 && strspn(name, "0123456789abcdef") ==
							       strlen(name)) {
		char pattern[70];
		snprintf(pattern, sizeof(pattern), "%s*", name);
		if (sqlite3_prepare_v2(h, "SELECT id FROM images WHERE id GLOB ?", -1, &st, NULL) !=
		    SQLITE_OK)
			return sqlerr(h, e, "looking up an image");
		sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
			found++;
		}
		sqlite3_finalize(st);
		if (found == 1)
			return 0;
		if (found > 1)
			return berr_set(e, BERR_INVALID, 0, "%s: image ID prefix is ambiguous", name);
	}
	/* A name: without a tag or digest, ":latest" is meant. */
	snprintf(want, sizeof(want), "%s%s", name, colon == NULL && !strchr(name, '@') ? ":latest"
										    : "");
	if (sqlite3_prepare_v2(h, "SELECT name, image_id FROM image_names", -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlerr(h, e, "looking up an image");
	found = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		const char *i = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(n, want) == 0) {
			snprintf(id, 65, "%s", i);
			found = 1;
			break;
		}
		if (short_match(n, want)) {
			if (found == 0 || strcmp(id, i) != 0)
				found++;
			snprintf(id, 65, "%s", i);
		}
	}
	sqlite3_finalize(st);
	if (found == 1)
		return 0;
	if (found > 1)
		return berr_set(e, BERR_INVALID, 0, "%s: short name matches several images; use "
				"the full name", name);
	return berr_set(e, BERR_NOTFOUND, ENOENT, "%s: image not known", name);
}

static int names_of(sqlite3 *h, const char *id, char ***names, size_t *n, struct berr *e)
{
	sqlite3_stmt *st = NULL;

	*names = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(h, "SELECT name FROM image_names WHERE image_id = ? ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(h, e, "listing names");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **nv = realloc(*names, (*n + 2) * sizeof(char *));
		if (nv == NULL) {
			sqlite3_finalize(st);
			return berr_sys(e, "allocating");
		}
		*names = nv;
		nv[*n] = strdup((const char *)sqlite3_column_text(st, 0));
		nv[++*n] = NULL;
	}
	sqlite3_finalize(st);
	return 0;
}

static int fill_summary(sqlite3 *h, sqlite3_stmt *st, struct msg_image_summary *s,
			struct berr *e)
{
	s->id = strdup((const char *)sqlite3_column_text(st, 0));
	s->digest = strdup((const char *)sqlite3_column_text(st, 1));
	s->created = sqlite3_column_int64(st, 2);
	s->size = (uint64_t)sqlite3_column_int64(st, 3);
	const unsigned char *v = sqlite3_column_text(st, 4);
	s->verified = strdup(v != NULL ? (const char *)v : "");
	if (s->id == NULL || s->digest == NULL || s->verified == NULL)
		return berr_sys(e, "allocating");
	return names_of(h, s->id, &s->names, &s->n_names, e);
}

int imgstore_list(struct db *db, struct msg_images_reply *out, struct berr *e)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st = NULL;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(h,
			       "SELECT id, manifest_digest, created, size, verified_by FROM images"
			       " ORDER BY created DESC, id",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(h, e, "listing images");
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out->n_images == cap) {
			size_t nc = cap == 0 ? 16 : cap * 2;
			struct msg_image_summary *ni = realloc(out->images, nc * sizeof(*ni));
			if (ni == NULL) {
				sqlite3_finalize(st);
				return berr_sys(e, "allocating");
			}
			out->images = ni;
			cap = nc;
		}
		memset(&out->images[out->n_images], 0, sizeof(out->images[0]));
		if (fill_summary(h, st, &out->images[out->n_images++], e) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int imgstore_inspect(struct db *db, const char *id, struct msg_image_inspect_reply *out,
		     struct berr *e)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(h,
			       "SELECT id, manifest_digest, created, size, verified_by, manifest_type,"
			       " config FROM images WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(h, e, "reading an image");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return berr_set(e, BERR_NOTFOUND, ENOENT, "%s: image not known", id);
	}
	out->summary = calloc(1, sizeof(*out->summary));
	out->config = calloc(1, sizeof(*out->config));
	if (out->summary == NULL || out->config == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	out->n_summary = 1;
	out->n_config = 1;
	if (fill_summary(h, st, out->summary, e) < 0)
		goto out;
	out->manifest_type = strdup((const char *)sqlite3_column_text(st, 5));
	/* The stored config was encoded by this broker from a checked reply; it is decoded again
	 * with the same strict schema all the same. */
	static const char *const none[] = { NULL };
	if (ipc_decode_struct(&msg_v_config_reply_schema, sqlite3_column_blob(st, 6),
			      (size_t)sqlite3_column_bytes(st, 6), none, out->config, e) < 0) {
		berr_wrap(e, "image %.12s has a damaged config record", id);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT il.blob_digest, l.size FROM image_layers il JOIN layers l"
				  " ON il.chain_id = l.chain_id WHERE il.image_id = ? ORDER BY il.idx",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlerr(h, e, "reading layers");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **nv = realloc(out->layer_digests, (out->n_layer_digests + 2) * sizeof(char *));
		struct msg_layer_info *nl = realloc(out->layers, (out->n_layers + 1) * sizeof(*nl));
		if (nv != NULL)
			out->layer_digests = nv;
		if (nl != NULL)
			out->layers = nl;
		if (nv == NULL || nl == NULL) {
			berr_sys(e, "allocating");
			goto out;
		}
		nv[out->n_layer_digests] = strdup((const char *)sqlite3_column_text(st, 0));
		nv[++out->n_layer_digests] = NULL;
		nl[out->n_layers].blob_digest = strdup((const char *)sqlite3_column_text(st, 0));
		nl[out->n_layers++].size = (uint64_t)sqlite3_column_int64(st, 1);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc < 0)
		ipc_struct_free(&msg_image_inspect_reply_schema, out);
	return rc;
}

int imgstore_add_name(struct db *db, const char *id, const char *name, struct berr *e)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(h, e, "tagging");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	int r = step_done(h, st, "tagging", e);
	sqlite3_finalize(st);
	return r;
}

int imgstore_remove_names(struct db *db, const char *id, char **names, size_t n,
			  char ***removed, size_t *n_removed, struct berr *e)
{
	sqlite3 *h = db_handle(db);
	char **have = NULL;
	size_t nhave = 0;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (names_of(h, id, &have, &nhave, e) < 0)
		return -1;
	if (sqlite3_prepare_v2(h, "DELETE FROM image_names WHERE name = ? AND image_id = ?", -1,
			       &st, NULL) != SQLITE_OK) {
		sqlerr(h, e, "untagging");
		goto out;
	}
	for (size_t i = 0; i < nhave; i++) {
		bool take = n == 0;
		for (size_t k = 0; k < n && !take; k++) {
			/* As in lookup: no tag means ":latest", and a short name matches the stored
			 * name it is the tail of. */
			char want[600];
			const char *last = strrchr(names[k], '/');
			bool tagged = strchr(last != NULL ? last : names[k], ':') != NULL ||
				      strchr(names[k], '@') != NULL;
			snprintf(want, sizeof(want), "%s%s", names[k], tagged ? "" : ":latest");
			take = strcmp(have[i], want) == 0 || short_match(have[i], want);
		}
		if (!take)
			continue;
		sqlite3_bind_text(st, 1, have[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		if (step_done(h, st, "untagging", e) < 0)
			goto out;
		char **nv = realloc(*removed, (*n_removed + 2) * sizeof(char *));
		if (nv == NULL) {
			berr_sys(e, "allocating");
			goto out;
		}
		*removed = nv;
		nv[*n_removed] = strdup(have[i]);
		nv[++*n_removed] = NULL;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; i < nhave; i++)
		free(have[i]);
	free(have);
	return rc;
}

/* Collects one text column of a query into a vector. */
static int collect(sqlite3 *h, const char *sql, const char *arg, char ***out, size_t *n,
		   struct berr *e)
{
	sqlite3_stmt *st = NULL;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlerr(h, e, "querying");
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **nv = realloc(*out, (*n + 2) * sizeof(char *));
		if (nv == NULL) {
			sqlite3_finalize(st);
			return berr_sys(e, "allocating");
		}
		*out = nv;
		const unsigned char *t = sqlite3_column_text(st, 0);
		nv[*n] = strdup(t != NULL ? (const char *)t : "");
		nv[++*n] = NULL;
	}
	sqlite3_finalize(st);
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool layer_row_exists(sqlite3 *h, const char *chain)
{
	sqlite3_stmt *q = NULL;
	bool found = true; /* when in doubt, keep the files */

	if (sqlite3_prepare_v2(h, "SELECT 1 FROM layers WHERE chain_id = ?", -1, &q, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(q, 1, chain, -1, SQLITE_STATIC);
		found = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return found;
}

int imgstore_delete(struct db *db, const char *root, const char *id, char ***deleted,
		    size_t *n_deleted, struct berr *e)
{
	sqlite3 *h = db_handle(db);
	char **layers = NULL, **blobs = NULL;
	size_t nl = 0, nb = 0;
	char manifest[140] = "";
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (db_exec(db, "BEGIN IMMEDIATE", e) < 0)
		return -1;
	/* Unreferenced layers go together, children and parents in any order: their parent links
	 * are checked when the transaction commits. */
	if (db_exec(db, "PRAGMA defer_foreign_keys = ON", e) < 0)
		goto out;
	if (sqlite3_prepare_v2(h, "SELECT manifest_digest FROM images WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlerr(h, e, "removing an image");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(manifest, sizeof(manifest), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	/* The image's layer blobs, before its rows go. */
	if (collect(h, "SELECT blob_digest FROM image_layers WHERE image_id = ?", id, &blobs, &nb,
		    e) < 0)
		goto out;
	if (sqlite3_prepare_v2(h, "DELETE FROM images WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		sqlerr(h, e, "removing an image");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (step_done(h, st, "removing an image", e) < 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	/* Layers nothing references any more (deepest first: a parent may be shared). */
	if (collect(h, "SELECT chain_id FROM layers WHERE chain_id NOT IN"
		       " (SELECT chain_id FROM image_layers) AND chain_id NOT IN"
		       " (SELECT parent FROM layers WHERE parent IS NOT NULL AND chain_id IN"
		       "  (SELECT chain_id FROM image_layers))",
		    NULL, &layers, &nl, e) < 0)
		goto out;
	for (size_t i = 0; i < nl; i++) {
		sqlite3_stmt *d = NULL;
		if (sqlite3_prepare_v2(h, "DELETE FROM layers WHERE chain_id = ?", -1, &d, NULL) !=
		    SQLITE_OK) {
			sqlerr(h, e, "removing a layer");
			goto out;
		}
		sqlite3_bind_text(d, 1, layers[i], -1, SQLITE_STATIC);
		int r = step_done(h, d, "removing a layer", e);
		sqlite3_finalize(d);
		if (r < 0)
			goto out;
	}
	if (db_exec(db, "COMMIT", e) < 0)
		goto out;
	rc = 0;
	char **nv = realloc(*deleted, (*n_deleted + 2) * sizeof(char *));
	if (nv != NULL) {
		*deleted = nv;
		nv[*n_deleted] = strdup(id);
		nv[++*n_deleted] = NULL;
	}
	/* Files after the commit: a crash here leaves orphans that the next open removes, never a
	 * row without its files. */
	char dir[4300];
	snprintf(dir, sizeof(dir), "%s/layers", root);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; dfd >= 0 && i < nl; i++) {
		struct berr e2 = { 0 };
		/* A pull holds a layer's lock from before it looks at the layer until its image is
		 * recorded. Once we hold the lock, a row for the layer means such a pull recorded
		 * it again meanwhile: then its directory stays. */
		int lk = lock_object(root, "layer", layers[i], false, &e2);
		if (!layer_row_exists(h, layers[i]) && rmtree_at(dfd, layers[i], &e2) < 0)
			log_warn("removing layer %.12s: %s", layers[i], e2.msg);
		if (lk >= 0)
			close(lk);
	}
	if (dfd >= 0)
		close(dfd);
	/* Blobs no remaining image names: its manifest, its config, its layer blobs. */
	char cfg[80];
	snprintf(cfg, sizeof(cfg), "sha256:%s", id);
	const char *own[] = { manifest, cfg };
	for (size_t i = 0; i < 2 + nb; i++) {
		const char *dg = i < 2 ? own[i] : blobs[i - 2];
		struct berr e2 = { 0 };
		if (dg[0] == '\0')
			continue;
		if (!imgstore_blob_used(db, dg) && blobs_remove(root, dg, &e2) < 0)
			log_warn("%s", e2.msg);
	}
out:
	sqlite3_finalize(st);
	if (rc < 0)
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	free_strv(layers, nl);
	free_strv(blobs, nb);
	return rc;
}

uint64_t imgstore_layer_size(struct db *db, const char *chain)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *q = NULL;
	uint64_t size = 0;

	if (sqlite3_prepare_v2(h, "SELECT size FROM layers WHERE chain_id = ?", -1, &q, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(q, 1, chain, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			size = (uint64_t)sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	return size;
}

bool imgstore_blob_used(struct db *db, const char *digest)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *q = NULL;
	bool used = true; /* when in doubt, keep it */

	if (sqlite3_prepare_v2(h, "SELECT 1 FROM images WHERE manifest_digest = ?1 OR"
				  " 'sha256:' || id = ?1 UNION SELECT 1 FROM image_layers"
				  " WHERE blob_digest = ?1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, digest, -1, SQLITE_STATIC);
		used = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return used;
}

int imgstore_scan(struct db *db, const char *root, struct berr *e)
{
	char dir[4300];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/layers", root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berr_sys(e, "creating %s", dir);
	d = opendir(dir);
	if (d == NULL)
		return berr_sys(e, "opening %s", dir);
	while ((de = readdir(d)) != NULL) {
		char hex[65];
		bool tmp = strncmp(de->d_name, "tmp-", 4) == 0;
		if (de->d_name[0] == '.')
			continue;
		snprintf(hex, sizeof(hex), "%.64s", tmp ? de->d_name + 4 : de->d_name);
		if (!is_hex(hex, 64)) {
			log_warn("unexpected entry %s/%s left alone", dir, de->d_name);
			continue;
		}
		if (!tmp && imgstore_layer_ready(db, root, hex))
			continue;
		/* Only if no other command is working on that layer right now. */
		struct berr e2 = { 0 };
		int lk = lock_object(root, "layer", hex, true, &e2);
		if (lk < 0)
			continue;
		if (!tmp && imgstore_layer_ready(db, root, hex)) {
			close(lk);
			continue;
		}
		log_debug("removing orphan layer directory %s", de->d_name);
		if (rmtree_at(dirfd(d), de->d_name, &e2) < 0)
			log_warn("removing orphan %s: %s", de->d_name, e2.msg);
		close(lk);
	}
	closedir(d);
	return 0;
}

int imgstore_lookup_name(struct db *db, const char *name, char id[65], char *resolved,
			 size_t len, struct berr *e)
{
	char **names = NULL, want[600];
	size_t n = 0;
	const char *last = strrchr(name, '/');
	bool tagged = strchr(last != NULL ? last : name, ':') != NULL || strchr(name, '@') != NULL;

	resolved[0] = '\0';
	if (imgstore_lookup(db, name, id, e) < 0)
		return -1;
	if (strncmp(id, name, strlen(name)) == 0)
		return 0; /* by ID (or a prefix of it): no name */
	if (names_of(db_handle(db), id, &names, &n, e) < 0)
		return -1;
	/* The same matching as the lookup: exact (":latest" implied), else a short name. */
	snprintf(want, sizeof(want), "%s%s", name, tagged ? "" : ":latest");
	for (size_t i = 0; i < n && resolved[0] == '\0'; i++)
		if (strcmp(names[i], want) == 0)
			snprintf(resolved, len, "%s", names[i]);
	for (size_t i = 0; i < n && resolved[0] == '\0'; i++)
		if (short_match(names[i], want))
			snprintf(resolved, len, "%s", names[i]);
	free_strv(names, n);
	return 0;
}

int imgstore_image_chains(struct db *db, const char *id, char (*chains)[65], size_t max,
			  size_t *n, struct berr *e)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st = NULL;

	*n = 0;
	if (sqlite3_prepare_v2(h, "SELECT chain_id FROM image_layers WHERE image_id = ?"
				  " ORDER BY idx", -1, &st, NULL) != SQLITE_OK)
		return sqlerr(h, e, "reading layers");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		if (*n == max || c == NULL || !is_hex(c, 64)) {
			sqlite3_finalize(st);
			return berr_set(e, BERR_INTERNAL, 0, "image %.12s has a damaged layer record",
					id);
		}
		snprintf(chains[(*n)++], 65, "%s", c);
	}
	sqlite3_finalize(st);
	return 0;
}
