/* Layer extraction: one OCI/Docker layer blob (tar, tar+gzip or tar+zstd) into one directory fd,
 * with libarchive reading and berth writing. Everything is created relative to that directory
 * fd: every lookup is an openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, so neither a hostile name ("../x", "/etc/x") nor a
 * symlink planted by an earlier entry ("evil -> /", then "evil/etc/shadow") can lead outside.
 * libarchive's archive_write_disk is never used: it works on paths.
 *
 * The uncompressed stream's SHA-256 (the layer's diff_id) is computed on the bytes the tar
 * reader is fed, end-of-archive blocks and trailing padding included.
 *
 * What a hostile or odd layer gets:
 *   NEUTRALISED (the entry or attribute is skipped and counted in skipped; extraction goes on):
 *     a name with a ".." component; a name longer than PATH_MAX or with a component the
 *     filesystem refuses as too long; a parent that is a symlink or not a directory; a
 *     hardlink whose target is outside, through a symlink, missing, a directory or the entry
 *     itself; a symlink with an empty target; device nodes and fifos when rootless; ".wh..wh.*"
 *     markers other than the opaque one; a non-empty directory that a later entry of another
 *     type (or a whiteout) would replace; xattrs other than "user.*" (and "security.capability"
 *     when rootful), any "user.overlay.*" / "trusted.overlay.*" (a layer must not forge overlay
 *     metadata), and values over UNPACK_XATTR_MAX; unknown entry types.
 *   COUNTED, NOT APPLIED: an owner that the user namespace does not map (unmapped_ids).
 *   DROPPED SILENTLY: setuid/setgid bits when rootless.
 *   REFUSED (error, the layer fails; the directory then holds a partial tree the caller
 *     removes): a stream that is not tar after decompression (garbage, truncation, a bad
 *     header checksum), more than max_bytes uncompressed (decompression bomb, also counting
 *     the apparent size of sparse files) or more than max_entries entries, an out-of-range
 *     sparse block, and failures of the filesystem itself (ENOSPC, EIO, ...) or of a whiteout
 *     or opaque marker (dropping one would resurrect files the image deleted).
 *
 * Allocation is bounded by the stream: names, xattrs and the list of directories whose mode
 * and times are applied at the end all come from bytes counted against max_bytes. */
#ifndef BERTH_WORKERS_UNPACK_EXTRACT_H
#define BERTH_WORKERS_UNPACK_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

/* berth-unpack finds its layer directory here from spawn on (broker/wk.h WK_SPAWN_FD_BASE). */
#define WORKER_LAYER_FD 5

/* Largest xattr value restored from a layer. */
#define UNPACK_XATTR_MAX (64 * 1024)

/* "sha256:" + 64 hex digits. */
#define UNPACK_DIFF_ID_LEN (7 + 64)

struct unpack_opts {
	bool rootless;         /* user.overlay.opaque, no device nodes/fifos, no setuid/setgid,
				  no security.capability */
	uint64_t max_bytes;    /* limit on the uncompressed stream; must be > 0 */
	uint64_t max_entries;  /* limit on tar entries (headers); must be > 0 */
};

struct unpack_result {
	char diff_id[UNPACK_DIFF_ID_LEN + 1]; /* "sha256:<hex>" of the uncompressed stream */
	uint64_t entries;      /* tar entries read, skipped ones included */
	uint64_t bytes;        /* uncompressed stream size */
	uint64_t skipped;      /* entries and xattrs neutralised (see above) */
	uint64_t unmapped_ids; /* entries whose owner could not be set (id not mapped here) */
};

/* Extracts the layer read from blob_fd (any offset: read from where it is; not taken) beneath
 * dir_fd (a directory, normally new and empty; not taken). Fills *r (also on failure, as far as
 * it got). Returns 0, or -1 with *e set: BERR_INVALID for a malformed or over-limit layer,
 * BERR_SYSTEM for a filesystem failure. Makes no change outside dir_fd. */
int unpack_layer(int blob_fd, int dir_fd, const struct unpack_opts *o, struct unpack_result *r,
		 struct berr *e);

/* openat2() beneath dir_fd (RESOLVE_BENEATH, no symlinks, no magic links, no other mount),
 * O_CLOEXEC added; retried on EAGAIN. Returns the fd or -1 with errno. */
int unpack_open_beneath(int dir_fd, const char *path, int flags, mode_t mode);

/* Normalises a tar member name into out (outlen bytes): leading "/" and "./" and every "." and
 * empty component go, "a//b/./c/" becomes "a/b/c". Pure. Returns 0 with out set (empty: the
 * layer root itself), or -1 if the name must be neutralised: it has a ".." component, or does
 * not fit in outlen. */
int unpack_path_normalise(const char *in, char *out, size_t outlen);

#endif
