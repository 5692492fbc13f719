#include "common/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xio.h"

bool path_is_clean_abs(const char *p)
{
	size_t len = strlen(p);

	if (len == 0 || p[0] != '/' || len >= PATH_MAX)
		return false;
	for (const char *c = p; *c != '\0';) {
		const char *s = c + 1;
		const char *n = strchr(s, '/');
		size_t clen = n != NULL ? (size_t)(n - s) : strlen(s);
		if (clen == 0 && n != NULL)
			return false; /* "//" */
		if ((clen == 1 && s[0] == '.') || (clen == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (n == NULL)
			break;
		c = n;
	}
	return true;
}

int mkdir_p(const char *path, mode_t mode, struct berr *e)
{
	char buf[PATH_MAX];
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return berr_set(e, BERR_INVALID, 0, "path too long: %s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return berr_sys(e, "creating %s", buf);
		if (stat(buf, &st) < 0)
			return berr_sys(e, "%s", buf);
		if (!S_ISDIR(st.st_mode))
			return berr_set(e, BERR_INVALID, ENOTDIR, "%s is not a directory", buf);
		*p = saved;
		if (saved == '\0' || p[1] == '\0')
			break;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct berr *e)
{
	char tmp[PATH_MAX];
	cleanup_close int fd = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return berr_set(e, BERR_INVALID, 0, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return berr_sys(e, "creating %s", tmp);
	if (xwrite_all(fd, data, len, e) < 0) {
		berr_wrap(e, "writing %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (fsync(fd) < 0) {
		berr_sys(e, "writing %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		berr_sys(e, "renaming %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
