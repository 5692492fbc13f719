/* Bringing an image into the store, wherever its bytes come from (a registry for pull, an
 * archive for load, a tarball for import): berth-verify parses the manifest and the config,
 * the broker hashes every blob itself before it is linked in, berth-unpack extracts each new
 * layer into its own directory, and the image is recorded in one transaction at the end.
 * Nothing is named before every check passed; blobs stored by a failed attempt are removed
 * again (ingest_forget_new_blobs). */
#ifndef BERTH_BROKER_INGEST_H
#define BERTH_BROKER_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "common/err.h"
#include "ipc/msg.h"

#define INGEST_MANIFEST_MAX (4u * 1024 * 1024)
#define INGEST_CONFIG_MAX (4u * 1024 * 1024)

struct ingest;

/* Where blobs come from. store_config stores the config blob d (the store lacks it);
 * store_layers stores the layer blobs d[i] with want[i] set (the store lacks them). Both must
 * leave only blobs whose bytes the broker hashed against the digest and size of d, and call
 * ingest_note_new_blob for each. */
struct ingest_source {
	int (*store_config)(struct ingest *in, const struct msg_descriptor *d, struct berr *e);
	int (*store_layers)(struct ingest *in, const struct msg_descriptor *d, const bool *want,
			    size_t n, struct berr *e);
	void *ctx;
};

struct ingest {
	struct broker *b;
	uint64_t req_id;
	bool quiet;
	bool announced;               /* "Getting image source signatures" said already */
	struct wk *verify;            /* not owned */
	const char *verified_by;      /* not owned: provenance to record (imgstore.h), or NULL */
	const char *os;               /* platform wanted from an index; NULL: linux */
	const char *arch;             /* NULL: the host's */
	const char *variant;          /* NULL: any */
	struct ingest_source src;
	char **new_blobs;             /* owned: stored by this command, removed if it fails */
	size_t n_new_blobs;
	struct {                      /* a layer unpacked before its config existed (import) */
		char tmpname[160];    /* layers/<tmpname>, or "" */
		char diff_id[72];
		uint64_t bytes;
	} pre;
};

/* A progress line for the frontend (nothing with quiet). */
void ingest_progress(struct ingest *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "sha256:abc..." -> "abc...". */
const char *ingest_hex(const char *digest);
void ingest_note_new_blob(struct ingest *in, const char *digest);
/* Removes the blobs this command stored that no image uses (after a failure). */
void ingest_forget_new_blobs(struct ingest *in);
void ingest_free(struct ingest *in);

/* Copies fd (from offset 0) into a new store blob, hashes the copy and links it in as d's
 * digest if the bytes and size match. */
int ingest_store_blob_fd(struct ingest *in, int fd, const struct msg_descriptor *d,
			 struct berr *e);

/* Has berth-verify parse the manifest or index in fd (media_type: what the source claimed,
 * or "") and checks its summary again. */
int ingest_verify_manifest(struct ingest *in, int fd, const char *media_type,
			   struct msg_v_manifest_reply *out, struct berr *e);
/* Picks the entry of an index for the wanted platform; where names the source in the error. */
int ingest_choose_platform(struct ingest *in, const struct msg_v_manifest_reply *idx,
			   const char *where, const struct msg_descriptor **out, struct berr *e);

/* A random key for a temporary directory layers/tmp-<key>..., with its layer lock held (the
 * open-time scan removes such a directory only when nobody holds that lock). Release with
 * ingest_tmp_key_release, which also removes the lock file. */
int ingest_tmp_key(struct broker *b, char hex[65], int *lock, struct berr *e);
void ingest_tmp_key_release(struct broker *b, const char *hex, int lock);

/* Unpacks blob d (stored) before there is a config to check it against, for import, which
 * writes the config from the diff_id it learns here, into layers/tmp-<key>-<pid> (key from
 * ingest_tmp_key, held until ingest_image has placed the directory; ingest_free removes it if
 * it was not). */
int ingest_preunpack(struct ingest *in, const struct msg_descriptor *d, const char *key,
		     char diff_id[72], struct berr *e);

/* Writes an OCI image manifest for config and layers (descriptors the broker itself made)
 * into a sealed memfd; *mfd and digest ("sha256:<hex>") get it. */
int ingest_write_manifest(const struct msg_descriptor *config, const struct msg_descriptor *layers,
			  size_t n, int *mfd, char digest[72], struct berr *e);

/* From a verified image manifest (its bytes in mfd, digest mdigest): stores the config and the
 * layers through in->src, unpacks the new layers, stores the manifest and records the image
 * with names[0..n_names) (fully qualified). image_id gets the config digest's hex. */
int ingest_image(struct ingest *in, int mfd, const char *mdigest,
		 const struct msg_v_manifest_reply *man, const char *const *names, size_t n_names,
		 char image_id[65], struct berr *e);

#endif
