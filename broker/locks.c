#include "broker/locks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/path.h"

int lock_object(const char *root, const char *kind, const char *name, bool try,
		struct berr *e)
{
	char path[4300];
	int fd;

	snprintf(path, sizeof(path), "%s/locks", root);
	if (mkdir_p(path, 0700, e) < 0)
		return -1;
	/* Names are hex digests or fixed words: no separators can reach the path. */
	if (strchr(name, '/') != NULL || strchr(kind, '/') != NULL)
		return berr_set(e, BERR_INTERNAL, 0, "bad lock name");
	snprintf(path, sizeof(path), "%s/locks/%s-%s.lock", root, kind, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_sys(e, "opening lock %s", path);
	while (flock(fd, LOCK_EX | (try ? LOCK_NB : 0)) < 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		if (try && err == EWOULDBLOCK)
			return -2;
		errno = err;
		return berr_sys(e, "locking %s", path);
	}
	return fd;
}
