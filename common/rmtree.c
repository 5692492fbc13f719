#include "common/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RMTREE_MAX_DEPTH 2048

static int rm_dir_contents(int fd, int depth, struct berr *e)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > RMTREE_MAX_DEPTH)
		return berr_set(e, BERR_INVALID, 0, "directory tree deeper than %d levels",
				RMTREE_MAX_DEPTH);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berr_sys(e, "reading a directory to remove");
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			rc = berr_sys(e, "stat %s", de->d_name);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = berr_sys(e, "opening %s", de->d_name);
				break;
			}
			rc = rm_dir_contents(sub, depth + 1, e);
			if (rc == 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 &&
			    errno != ENOENT)
				rc = berr_sys(e, "removing %s", de->d_name);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			rc = berr_sys(e, "removing %s", de->d_name);
		}
	}
	if (rc == 0 && errno != 0 && de == NULL)
		rc = berr_sys(e, "reading a directory to remove");
	closedir(d);
	return rc;
}

int rmtree_at(int dirfd, const char *name, struct berr *e)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berr_sys(e, "stat %s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return berr_sys(e, "removing %s", name);
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "opening %s", name);
	if (rm_dir_contents(fd, 0, e) < 0)
		return berr_wrap(e, "removing %s", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berr_sys(e, "removing %s", name);
	return 0;
}
