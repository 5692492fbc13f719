/* Full-read and full-write loops, and small fd helpers. Every fd berth opens is O_CLOEXEC. */
#ifndef BERTH_COMMON_XIO_H
#define BERTH_COMMON_XIO_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

/* Writes all len bytes, retrying on EINTR and short writes. Returns 0 or -1 with *e set. */
int xwrite_all(int fd, const void *buf, size_t len, struct berr *e);
/* Reads until len bytes or EOF. Returns the byte count (short only at EOF) or -1 with *e set. */
ssize_t xread_all(int fd, void *buf, size_t len, struct berr *e);
/* Copies everything from offset 0 of from (pread: its offset is untouched) to to's current
 * offset. Returns 0 or -1 with *e set. */
int xcopy_fd(int from, int to, struct berr *e);
/* Reads a whole small file (at most max bytes, else BERR_INVALID) into a NUL-terminated heap
 * buffer. *out is owned by the caller. */
int xread_file_at(int dirfd, const char *path, size_t max, char **out, size_t *outlen,
		  struct berr *e);
/* The same for a file a user names (configuration, keys): opened O_NONBLOCK so a FIFO in its
 * place cannot block, anything but a regular file refused (BERR_INVALID, "PATH is not a regular
 * file"). When fd is not NULL, *fd gets the open file at offset 0 (owned by the caller). A file
 * that does not exist: -1 with e->sys_errno ENOENT. */
int xread_regular_file_at(int dirfd, const char *path, size_t max, char **out, size_t *outlen,
			  int *fd, struct berr *e);
/* Closes every fd >= from except those listed in keep (sorted or not). Returns 0 or -1. */
int xclose_fds_except(int from, const int *keep, size_t nkeep, struct berr *e);
/* Makes sure fds 0, 1 and 2 are open (on /dev/null where closed), so a later open cannot land
 * on a standard fd by accident. */
int xensure_stdio(struct berr *e);

#endif
