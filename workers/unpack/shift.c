/* The owner-shifted copy of an image tree (shift.h).
 *
 * Directories are walked breadth-first by relative path, each one reopened from the two roots
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): the worker runs with 64 fds, so a walk
 * that kept every ancestor open would run out on a deep tree, and reopening by path is safe
 * here because nothing on either side can change a directory into a symlink meanwhile (the
 * source is a read-only mount, the target is written by this process alone). Directory
 * owners, modes and times are applied after the last entry, deepest first: entries made inside
 * a directory change its mtime, and a directory the image made read-only could not take them. */
#include "workers/unpack/shift.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"

#define RESOLVE_TREE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define COPY_BLOCK (128 * 1024)
#define XATTR_LIST_MAX_LEN (64 * 1024)
#define XATTR_VALUE_MAX (64 * 1024)

struct dirent_rec {
	char *path;       /* owned; relative to both roots, "." for the roots themselves */
	unsigned depth;
};

struct link_rec {
	dev_t dev;
	ino_t ino;
	char *path;       /* owned: the copy's path, relative to the target root */
};

struct walk {
	int src, dst;                 /* the two roots; not owned */
	const struct shift_opts *o;
	struct shift_result *r;
	struct dirent_rec *dirs;      /* owned: every directory, in creation order */
	size_t n_dirs, cap_dirs;
	struct link_rec *links;       /* owned: files with more than one link, seen once */
	size_t n_links, cap_links;
	char *buf;                    /* owned: COPY_BLOCK bytes */
};

static int open_tree_mode(int root, const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
				.mode = mode, .resolve = RESOLVE_TREE };
	int fd;

	do
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

static int open_tree(int root, const char *path, int flags)
{
	return open_tree_mode(root, path, flags, 0);
}

static int ids(const struct walk *w, const struct stat *st, const char *path, uid_t *uid,
	       gid_t *gid, struct berr *e)
{
	uint64_t u = (uint64_t)st->st_uid + w->o->uid_shift;
	uint64_t g = (uint64_t)st->st_gid + w->o->gid_shift;

	if (u > w->o->max_uid || g > w->o->max_gid)
		return berr_set(e, BERR_UNSUPPORTED, 0, "the image's /%s belongs to %u:%u, which "
				"--userns=nomap cannot map: the subordinate ID range ends at %u:%u",
				strcmp(path, ".") == 0 ? "" : path, (unsigned)st->st_uid,
				(unsigned)st->st_gid, (unsigned)(w->o->max_uid - w->o->uid_shift),
				(unsigned)(w->o->max_gid - w->o->gid_shift));
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* "user.*" xattrs from sfd to dfd (both regular files or directories), except the overlay's
 * own, which the merged view does not show anyway and which must never be forged. */
static int copy_xattrs(struct walk *w, int sfd, int dfd, struct berr *e)
{
	cleanup_free char *list = malloc(XATTR_LIST_MAX_LEN);
	cleanup_free char *val = malloc(XATTR_VALUE_MAX);
	ssize_t n = list != NULL ? flistxattr(sfd, list, XATTR_LIST_MAX_LEN) : -1;

	if (list == NULL || val == NULL)
		return berr_sys(e, "allocating");
	if (n < 0) {
		if (errno == ENOTSUP)
			return 0;
		return berr_sys(e, "listing xattrs");
	}
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		ssize_t vl;

		if (strncmp(k, "user.", 5) != 0 || strncmp(k, "user.overlay.", 13) == 0) {
			w->r->skipped++;
			continue;
		}
		vl = fgetxattr(sfd, k, val, XATTR_VALUE_MAX);
		if (vl < 0) {
			if (errno == ENODATA)
				continue;
			return berr_sys(e, "reading xattr %s", k);
		}
		if (fsetxattr(dfd, k, val, (size_t)vl, 0) < 0)
			return berr_sys(e, "setting xattr %s", k);
	}
	return 0;
}

/* Owner, then mode (chown clears setuid/setgid), then xattrs and times, on an open fd. */
static int apply_attrs(struct walk *w, int sfd, int dfd, const struct stat *st,
		       const char *path, struct berr *e)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	uid_t uid;
	gid_t gid;

	if (ids(w, st, path, &uid, &gid, e) < 0)
		return -1;
	if (fchown(dfd, uid, gid) < 0)
		return berr_sys(e, "chown /%s", path);
	if (fchmod(dfd, st->st_mode & 07777) < 0)
		return berr_sys(e, "chmod /%s", path);
	if (copy_xattrs(w, sfd, dfd, e) < 0)
		return berr_wrap(e, "/%s", path);
	if (futimens(dfd, ts) < 0)
		return berr_sys(e, "setting the times of /%s", path);
	return 0;
}

/* Room for one more element in *arr (n used of *cap, elem bytes each). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, struct berr *e)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	p = realloc(*arr, c * elem);
	if (p == NULL)
		return berr_sys(e, "allocating");
	*arr = p;
	*cap = c;
	return 0;
}

static int join(const char *dir, const char *name, char **out, struct berr *e)
{
	if (strcmp(dir, ".") == 0 ? asprintf(out, "%s", name) < 0
				  : asprintf(out, "%s/%s", dir, name) < 0) {
		*out = NULL;
		return berr_sys(e, "allocating");
	}
	return 0;
}

/* A file with other links already copied: linked to that copy. Returns 1 when linked, 0 when
 * it is the first of its links (recorded), -1 on error. */
static int hardlink(struct walk *w, const struct stat *st, int ddir, const char *name,
		    const char *path, struct berr *e)
{
	for (size_t i = 0; i < w->n_links; i++) {
		struct link_rec *l = &w->links[i];
		const char *slash;
		cleanup_close int parent = -1;

		if (l->dev != st->st_dev || l->ino != st->st_ino)
			continue;
		slash = strrchr(l->path, '/');
		if (slash != NULL) {
			cleanup_free char *pdir = strndup(l->path, (size_t)(slash - l->path));
			if (pdir == NULL)
				return berr_sys(e, "allocating");
			parent = open_tree(w->dst, pdir, O_PATH | O_DIRECTORY);
			if (parent < 0)
				return berr_sys(e, "opening the copy of /%s", pdir);
		}
		if (linkat(parent >= 0 ? parent : w->dst, slash != NULL ? slash + 1 : l->path, ddir,
			   name, 0) < 0)
			return berr_sys(e, "linking /%s to /%s", path, l->path);
		return 1;
	}
	if (grow((void **)&w->links, &w->cap_links, w->n_links, sizeof(*w->links), e) < 0)
		return -1;
	w->links[w->n_links].path = strdup(path);
	if (w->links[w->n_links].path == NULL)
		return berr_sys(e, "allocating");
	w->links[w->n_links].dev = st->st_dev;
	w->links[w->n_links].ino = st->st_ino;
	w->n_links++;
	return 0;
}

static int copy_file(struct walk *w, int sdir, int ddir, const char *name, const struct stat *st,
		     const char *path, struct berr *e)
{
	cleanup_close int in = -1, out = -1;
	int linked = 0;

	if (st->st_nlink > 1 && (linked = hardlink(w, st, ddir, name, path, e)) != 0)
		return linked < 0 ? -1 : 0;
	in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0)
		return berr_sys(e, "opening the image's /%s", path);
	/* openat2: the worker's filter lets plain openat read only, never create. */
	out = open_tree_mode(ddir, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (out < 0)
		return berr_sys(e, "creating /%s", path);
	for (;;) {
		ssize_t n = read(in, w->buf, COPY_BLOCK), off = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(e, "reading the image's /%s", path);
		if (n == 0)
			break;
		while (off < n) {
			ssize_t m = write(out, w->buf + off, (size_t)(n - off));
			if (m < 0 && errno == EINTR)
				continue;
			if (m < 0)
				return berr_sys(e, "writing /%s", path);
			off += m;
		}
	}
	return apply_attrs(w, in, out, st, path, e);
}

static int copy_symlink(struct walk *w, int sdir, int ddir, const char *name,
			const struct stat *st, const char *path, struct berr *e)
{
	char target[PATH_MAX + 1];
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	ssize_t n = readlinkat(sdir, name, target, sizeof(target));
	uid_t uid;
	gid_t gid;

	if (n < 0)
		return berr_sys(e, "reading the image's symlink /%s", path);
	if ((size_t)n >= sizeof(target))
		return berr_set(e, BERR_INVALID, 0, "the image's symlink /%s is too long", path);
	target[n] = '\0';
	if (ids(w, st, path, &uid, &gid, e) < 0)
		return -1;
	if (symlinkat(target, ddir, name) < 0)
		return berr_sys(e, "creating the symlink /%s", path);
	if (fchownat(ddir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_sys(e, "chown /%s", path);
	if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_sys(e, "setting the times of /%s", path);
	return 0;
}

static int copy_fifo(struct walk *w, int ddir, const char *name, const struct stat *st,
		     const char *path, struct berr *e)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	uid_t uid;
	gid_t gid;

	if (ids(w, st, path, &uid, &gid, e) < 0)
		return -1;
	if (mknodat(ddir, name, S_IFIFO | 0600, 0) < 0)
		return berr_sys(e, "creating the fifo /%s", path);
	if (fchownat(ddir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(ddir, name, st->st_mode & 07777, 0) < 0 ||
	    utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_sys(e, "setting up the fifo /%s", path);
	return 0;
}

static int add_dir(struct walk *w, const char *path, unsigned depth, struct berr *e)
{
	if (depth > SHIFT_DEPTH_MAX)
		return berr_set(e, BERR_UNSUPPORTED, 0, "the image's directories are nested more "
				"than %d deep", SHIFT_DEPTH_MAX);
	if (grow((void **)&w->dirs, &w->cap_dirs, w->n_dirs, sizeof(*w->dirs), e) < 0)
		return -1;
	w->dirs[w->n_dirs].path = strdup(path);
	if (w->dirs[w->n_dirs].path == NULL)
		return berr_sys(e, "allocating");
	w->dirs[w->n_dirs++].depth = depth;
	return 0;
}

/* The entries of one directory (already made in the target). */
static int copy_dir(struct walk *w, size_t idx, struct berr *e)
{
	const char *dpath = w->dirs[idx].path;
	unsigned depth = w->dirs[idx].depth;
	cleanup_close int ddir = open_tree(w->dst, dpath, O_RDONLY | O_DIRECTORY);
	int sfd = open_tree(w->src, dpath, O_RDONLY | O_DIRECTORY);
	DIR *d;
	struct dirent *de;
	int rc = -1;

	if (sfd < 0 || ddir < 0) {
		if (sfd >= 0)
			close(sfd);
		return berr_sys(e, "opening /%s", strcmp(dpath, ".") == 0 ? "" : dpath);
	}
	d = fdopendir(sfd);
	if (d == NULL) {
		close(sfd);
		return berr_sys(e, "reading /%s", dpath);
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		cleanup_free char *path = NULL;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (join(dpath, de->d_name, &path, e) < 0)
			goto out;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			berr_sys(e, "stat /%s", path);
			goto out;
		}
		switch (st.st_mode & S_IFMT) {
		case S_IFDIR:
			if (mkdirat(ddir, de->d_name, 0700) < 0) {
				berr_sys(e, "creating /%s", path);
				goto out;
			}
			if (add_dir(w, path, depth + 1, e) < 0)
				goto out;
			break;
		case S_IFREG:
			if (copy_file(w, dirfd(d), ddir, de->d_name, &st, path, e) < 0)
				goto out;
			break;
		case S_IFLNK:
			if (copy_symlink(w, dirfd(d), ddir, de->d_name, &st, path, e) < 0)
				goto out;
			break;
		case S_IFIFO:
			if (copy_fifo(w, ddir, de->d_name, &st, path, e) < 0)
				goto out;
			break;
		default: /* sockets; device nodes, which no rootless layer holds */
			w->r->skipped++;
			continue;
		}
		w->r->entries++;
	}
	if (errno != 0) {
		berr_sys(e, "reading /%s", dpath);
		goto out;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

static int fix_dir(struct walk *w, const char *path, struct berr *e)
{
	cleanup_close int sfd = open_tree(w->src, path, O_RDONLY | O_DIRECTORY);
	cleanup_close int dfd = open_tree(w->dst, path, O_RDONLY | O_DIRECTORY);
	struct stat st;

	if (sfd < 0 || dfd < 0 || fstat(sfd, &st) < 0)
		return berr_sys(e, "opening /%s", strcmp(path, ".") == 0 ? "" : path);
	return apply_attrs(w, sfd, dfd, &st, strcmp(path, ".") == 0 ? "" : path, e);
}

int shift_tree(int dir_fd, const struct shift_opts *o, struct shift_result *r, struct berr *e)
{
	/* Plain openat of one component, no symlink: "src" is a mount point, which
	 * RESOLVE_NO_XDEV would refuse; nothing beneath it is another mount. */
	cleanup_close int src = openat(dir_fd, SHIFT_SRC, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int dst = openat(dir_fd, SHIFT_DST, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct walk w = { .src = src, .dst = dst, .o = o, .r = r };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (src < 0 || dst < 0)
		return berr_sys(e, "opening the %s and %s directories", SHIFT_SRC, SHIFT_DST);
	w.buf = malloc(COPY_BLOCK);
	if (w.buf == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	if (add_dir(&w, ".", 0, e) < 0)
		goto out;
	/* n_dirs grows as the walk finds directories: breadth first. */
	for (size_t i = 0; i < w.n_dirs; i++)
		if (copy_dir(&w, i, e) < 0)
			goto out;
	for (size_t i = w.n_dirs; i-- > 0;)
		if (fix_dir(&w, w.dirs[i].path, e) < 0)
			goto out;
	rc = 0;
out:
	for (size_t i = 0; i < w.n_dirs; i++)
		free(w.dirs[i].path);
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	free(w.dirs);
	free(w.links);
	free(w.buf);
	return rc;
}
