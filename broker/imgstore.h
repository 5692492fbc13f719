/* Images, names and layers in the state database, and the layer directories they own.
 * Every change is one transaction, ordered after the files it names exist (layers are renamed
 * into place before their rows are written), so a crash leaves the old or the new state; files
 * without rows are orphans that imgstore_scan() removes. */
#ifndef BERTH_BROKER_IMGSTORE_H
#define BERTH_BROKER_IMGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

struct db;

#define IMG_MAX_LAYERS 128

struct image_layer_rec {
	char chain_id[65];     /* hex */
	char diff_id[136];     /* "sha256:<hex>" */
	char blob_digest[136]; /* compressed blob it came from */
	uint64_t size;         /* uncompressed bytes */
};

struct image_record {
	char id[65];               /* config digest hex */
	char manifest_digest[140];
	char manifest_type[256];
	int64_t created;
	uint64_t size;
	const uint8_t *config;     /* msgpack of the verified config (MSG_V_CONFIG_REPLY body) */
	size_t config_len;
	size_t n_layers;
	struct image_layer_rec layers[IMG_MAX_LAYERS];
	const char *name;          /* "registry/repo:tag" to point at this image, or NULL */
	const char *verified_by;   /* what accepted it (policy/trust.h provenance); NULL or "":
				    * keep what is recorded (an unverified pull of the same image
				    * does not erase an earlier verification) */
};

/* Directory of layer contents: <root>/layers/<chain hex>. */
int imgstore_layer_path(const char *root, const char *chain, char *out, size_t len);
/* True when the layer's row says it is ready and its directory exists. */
bool imgstore_layer_ready(struct db *db, const char *root, const char *chain);
/* Writes the image, its layers and its name in one transaction. */
int imgstore_commit(struct db *db, const struct image_record *rec, struct berr *e);

/* Resolves what a user typed (a full name, a short name matched against stored names, a
 * full ID or a unique ID prefix) to an image ID. BERR_NOTFOUND "NAME: image not known". */
int imgstore_lookup(struct db *db, const char *name, char id[65], struct berr *e);
/* Like imgstore_lookup, and *resolved gets the stored name the text stood for ("busybox" ->
 * "registry.example/lib/busybox:latest"), or "" when it named the image by ID. */
int imgstore_lookup_name(struct db *db, const char *name, char id[65], char *resolved,
			 size_t len, struct berr *e);
/* The chain IDs (hex) of the image's layers, bottom first: the layer lock names. */
int imgstore_image_chains(struct db *db, const char *id, char (*chains)[65], size_t max,
			  size_t *n, struct berr *e);
int imgstore_list(struct db *db, struct msg_images_reply *out, struct berr *e);
int imgstore_inspect(struct db *db, const char *id, struct msg_image_inspect_reply *out,
		     struct berr *e);
int imgstore_add_name(struct db *db, const char *id, const char *name, struct berr *e);
/* Removes names from the image (all its names when n == 0); *removed gets heap copies. */
int imgstore_remove_names(struct db *db, const char *id, char **names, size_t n,
			  char ***removed, size_t *n_removed, struct berr *e);
/* Deletes an image that has no names left (or force), then every layer and blob nothing
 * references any more. Adds the deleted ID to *deleted. */
int imgstore_delete(struct db *db, const char *root, const char *id, char ***deleted,
		    size_t *n_deleted, struct berr *e);
/* The unpacked size recorded for a layer (0 if unknown). */
uint64_t imgstore_layer_size(struct db *db, const char *chain);
/* True if some image's manifest, config or layer is this blob. */
bool imgstore_blob_used(struct db *db, const char *digest);
/* On open: removes temporary and unreferenced layer directories no other process holds. */
int imgstore_scan(struct db *db, const char *root, struct berr *e);

#endif
