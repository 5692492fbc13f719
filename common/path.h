/* Small, safe path helpers. */
#ifndef BERTH_COMMON_PATH_H
#define BERTH_COMMON_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"

/* True if p is absolute, shorter than PATH_MAX, and has no "." or ".." component and no empty
 * component other than a trailing slash. Pure. */
bool path_is_clean_abs(const char *p);
/* mkdir -p with mode for every directory it creates; existing ones are left alone, but each
 * component must be a directory (a symlink to one is accepted for the parents only). */
int mkdir_p(const char *path, mode_t mode, struct berr *e);
/* Creates or updates a small file atomically: temp file in the same directory, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct berr *e);

#endif
