/* The content-addressed blob store: blobs/sha256/<hex>. A blob is written into an unnamed
 * temporary file (O_TMPFILE) in that directory, hashed here by the broker (a process that did
 * not parse it), and linked into place only if the digest matches: a command killed at any
 * moment leaves no partial blob visible, and nothing is ever stored under a digest its bytes do
 * not have. */
#ifndef BERTH_BROKER_BLOBS_H
#define BERTH_BROKER_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Creates blobs/sha256 under root (0700). */
int blobs_init(const char *root, struct berr *e);
/* An unnamed, writable temporary file in the blob directory. */
int blobs_tmpfile(const char *root, struct berr *e);
/* Hashes fd's whole content (from offset 0) with the digest's algorithm and compares it in
 * constant time with want ("sha256:<hex>" / "sha512:<hex>"). *size gets the byte count.
 * Returns 0 on a match, -1 with BERR_INVALID naming both digests on a mismatch. */
int blobs_verify_fd(int fd, const char *want, uint64_t *size, struct berr *e);
/* Computes "sha256:<hex>" of fd's content. */
int blobs_sha256_fd(int fd, char out[72], uint64_t *size, struct berr *e);
/* Links a verified temporary file into place as digest (already there: fine). */
int blobs_commit(const char *root, int fd, const char *digest, struct berr *e);
/* Opens a stored blob read-only; -1 with BERR_NOTFOUND if absent. */
int blobs_open(const char *root, const char *digest, struct berr *e);
bool blobs_exists(const char *root, const char *digest);
int blobs_remove(const char *root, const char *digest, struct berr *e);

#endif
