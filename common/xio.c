#include "common/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

int xwrite_all(int fd, const void *buf, size_t len, struct berr *e)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(e, "write");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int xcopy_fd(int from, int to, struct berr *e)
{
	char buf[64 * 1024];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof(buf), off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(e, "copying");
		}
		if (n == 0)
			return 0;
		if (xwrite_all(to, buf, (size_t)n, e) < 0)
			return -1;
		off += n;
	}
}

ssize_t xread_all(int fd, void *buf, size_t len, struct berr *e)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(e, "read");
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The one reader behind xread_file_at and xread_regular_file_at. */
static int read_file(int dirfd, const char *path, size_t max, bool regular, char **out,
		     size_t *outlen, int *fdp, struct berr *e)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	/* O_NONBLOCK for a file a user names: a FIFO put in its place must not block. */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular ? O_NONBLOCK : 0));
	if (fd < 0)
		return berr_sys(e, "open %s", path);
	if (regular) {
		if (fstat(fd, &st) < 0)
			return berr_sys(e, "stat %s", path);
		if (!S_ISREG(st.st_mode))
			return berr_set(e, BERR_INVALID, 0, "%s is not a regular file", path);
		if ((uint64_t)st.st_size > max)
			return berr_set(e, BERR_INVALID, 0, "%s is larger than %zu bytes", path,
					max);
	}
	buf = malloc(max + 2);
	if (buf == NULL)
		return berr_sys(e, "allocating %zu bytes", max + 2);
	/* Read one byte past the limit so an oversize file (or one that grew since the stat)
	 * is refused, not silently cut. */
	n = xread_all(fd, buf, max + 1, e);
	if (n < 0)
		return berr_wrap(e, "reading %s", path);
	if ((size_t)n > max)
		return berr_set(e, BERR_INVALID, 0, "%s is larger than %zu bytes", path, max);
	buf[n] = '\0';
	if (fdp != NULL) {
		if (lseek(fd, 0, SEEK_SET) < 0)
			return berr_sys(e, "seek %s", path);
		*fdp = TAKE_FD(fd);
	}
	if (outlen != NULL)
		*outlen = (size_t)n;
	*out = TAKE_PTR(buf);
	return 0;
}

int xread_file_at(int dirfd, const char *path, size_t max, char **out, size_t *outlen,
		  struct berr *e)
{
	return read_file(dirfd, path, max, false, out, outlen, NULL, e);
}

int xread_regular_file_at(int dirfd, const char *path, size_t max, char **out, size_t *outlen,
			  int *fd, struct berr *e)
{
	return read_file(dirfd, path, max, true, out, outlen, fd, e);
}

static int is_kept(int fd, const int *keep, size_t nkeep)
{
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

int xclose_fds_except(int from, const int *keep, size_t nkeep, struct berr *e)
{
	int maxkeep = from - 1;

	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] > maxkeep)
			maxkeep = keep[i];
	/* Close single fds in the gaps below the highest kept one, then everything above it in
	 * one close_range() call. */
	for (int fd = from; fd <= maxkeep; fd++)
		if (!is_kept(fd, keep, nkeep))
			(void)close(fd);
	if (syscall(SYS_close_range, (unsigned int)(maxkeep + 1), ~0U, 0U) == 0)
		return 0;
	if (errno != ENOSYS)
		return berr_sys(e, "close_range");
	/* Kernels before 5.9: walk /proc/self/fd. */
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return berr_sys(e, "opening /proc/self/fd");
	int dfd = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end != '\0' || end == de->d_name || fd == dfd || fd <= maxkeep)
			continue;
		(void)close((int)fd);
	}
	closedir(d);
	return 0;
}

int xensure_stdio(struct berr *e)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR | O_NOCTTY);
		if (n < 0)
			return berr_sys(e, "open /dev/null");
		if (n != fd) {
			/* A lower fd was free: that should not happen, since we go upward. */
			close(n);
			return berr_set(e, BERR_INTERNAL, 0, "cannot restore standard fd %d", fd);
		}
	}
	return 0;
}
