/* Image archives (docker-archive, oci-archive: a tar, possibly compressed) staged for the
 * broker: every regular file of the archive is copied into its own file "f<N>" beneath one
 * directory fd, and the archive's paths are reported as a table (path -> file, size). The
 * broker then hashes what it needs and has berth-verify parse the metadata; nothing here
 * interprets what the files say.
 *
 * Names are normalised (unpack_path_normalise); a name with "..", an empty one or one longer
 * than STAGE_PATH_MAX is skipped and counted. Hard links and symbolic links become aliases of
 * the regular file they lead to inside the archive (docker save writes duplicate layers as
 * "<id>/layer.tar -> ../<other>/layer.tar"), resolved by name only, never on disk; links that
 * lead nowhere or out of the archive are skipped. Directories and every other type are
 * skipped. A later entry of the same name replaces an earlier one, as tar does.
 *
 * Refused (error): not a tar after decompression, more than max_bytes of file content, more
 * than max_files regular files, or a filesystem error. Only dir_fd is written to, only with
 * openat2(O_CREAT | O_EXCL, beneath) of names made here. */
#ifndef BERTH_WORKERS_UNPACK_STAGE_H
#define BERTH_WORKERS_UNPACK_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define STAGE_PATH_MAX 255
#define STAGE_MAX_ENTRIES 512      /* rows in the reply (files and aliases) */

struct stage_opts {
	uint64_t max_bytes;        /* total content of the staged files */
	uint64_t max_files;        /* regular files staged; <= STAGE_MAX_ENTRIES */
};

struct stage_entry {
	char path[STAGE_PATH_MAX + 1];
	uint64_t file;             /* staged as "f<file>" */
	uint64_t size;
};

struct stage_result {
	struct stage_entry *entries; /* owned; every path unique */
	size_t n;
	uint64_t skipped;
};

int stage_archive(int in_fd, int dir_fd, const struct stage_opts *o, struct stage_result *r,
		  struct berr *e);
void stage_result_free(struct stage_result *r);

/* Joins a link target to the directory of the link's own (normalised) path and resolves "."
 * and ".." by name; an absolute target starts from the archive root. -1 if the result would
 * leave the root or not fit. Pure. */
int stage_resolve_link(const char *link_path, const char *target, char *out, size_t outlen);

#endif
