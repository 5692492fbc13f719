/* Layer extraction (extract.h): libarchive reads, berth writes, always relative to the layer
 * directory fd.
 *
 * Two libarchive readers are chained. The outer one only decompresses: gzip, zstd or nothing,
 * in the raw format (one pseudo-entry holding the whole decompressed stream). Its data is fed
 * through stream_read() into the inner one, a tar reader with no filter of its own. Every byte
 * stream_read() hands over is hashed and counted there, so the diff_id covers exactly the
 * uncompressed stream and the size limit holds whatever the tar reader does with the bytes;
 * after the inner reader's end of archive, the rest of the stream (end blocks, padding) is
 * drained into the hash too.
 *
 * Not archive_read_support_filter_all(): for formats it was built without (lz4, lzop, lrzip,
 * grzip, ...) libarchive falls back to running an external program, i.e. fork + exec, which the
 * worker's seccomp filter kills and which the fuzz harness and the tests must never do. OCI and
 * Docker layers are tar, tar+gzip or tar+zstd; and a filter that reports ARCHIVE_WARN (it would
 * need a program) is refused.
 *
 * Writing: every name is normalised (unpack_path_normalise), every parent directory is opened
 * or created one openat2() at a time with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, and the entry itself is made with an *at() call on
 * that parent with a single-component name and no symlink following. An earlier entry can thus
 * plant a symlink anywhere it likes: nothing later resolves through it. Directory modes and
 * times are applied after the last entry (creating entries inside a directory changes its
 * mtime, and a read-only directory could not take them), by reopening each one the same way. */
#include "workers/unpack/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

#define RESOLVE_LAYER \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define READ_BLOCK (64 * 1024)
#define OPENAT2_RETRIES 16

#define WH_PREFIX ".wh."
#define WH_META ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

/* A directory whose mode and times are applied after the last entry (the list keeps entry
 * order). */
struct dir_fixup {
	char *path;                 /* owned; normalised, "" is the layer root */
	unsigned depth;             /* components in path */
	mode_t mode;
	struct timespec times[2];
};

/* The uncompressed stream, between the two readers. */
struct stream {
	struct archive *outer;      /* owned: decompression only */
	EVP_MD_CTX *md;             /* owned */
	uint64_t bytes;             /* handed to the tar reader or drained, all hashed */
	uint64_t max_bytes;
	bool eof;
	bool over_limit;            /* the stream passed max_bytes */
	bool outer_failed;          /* decompression failed: message in outer_err */
	char outer_err[256];
};

/* One extraction. */
struct ux {
	int dir_fd;                 /* not owned: the layer directory */
	const struct unpack_opts *o;
	struct unpack_result *r;
	struct archive *in;         /* not owned: the tar reader */
	uint64_t apparent;          /* sum of regular files' sizes (sparse holes included) */
	struct dir_fixup *fix;      /* owned, with each path */
	size_t nfix, capfix;
	/* The directory the last entry went into, kept open: a layer lists a directory's entries
	 * together, and a lookup from the layer root costs more than a dup. Dropped whenever a
	 * directory is removed (nothing else can change what a path names: nothing is renamed). */
	int cache_fd;               /* owned, or -1 */
	char cache_path[PATH_MAX];
};

/* ------------------------------------------------------------------ names */

int unpack_path_normalise(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = in;

	if (in == NULL || outlen == 0)
		return -1;
	while (*p != '\0') {
		const char *c = p;
		size_t n;

		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - c);
		while (*p == '/')
			p++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		/* Never resolved, not even when it would stay inside ("a/../b"): a name that
		 * needs ".." was made to test the extractor, not to build a root filesystem. */
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return -1;
		if (o > 0) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '/';
		}
		if (n >= outlen - o)
			return -1;
		memcpy(out + o, c, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

static unsigned path_depth(const char *p)
{
	unsigned d = p[0] != '\0';

	for (; *p != '\0'; p++)
		d += *p == '/';
	return d;
}

/* ------------------------------------------------------------------ syscalls beneath */

/* openat2() beneath dfd: no "..", no absolute names, no symlink of any kind, no other mount.
 * EAGAIN means a concurrent rename raced the lookup; it is retried a bounded number of times. */
int unpack_open_beneath(int dfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_LAYER,
	};
	int fd = -1;

	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/* Errors that a layer causes by its own names, types and order (a component that is a symlink
 * or a file, a name too long, an entry that cannot be replaced): the entry is neutralised.
 * Anything else (ENOSPC, EIO, EACCES from Landlock, ...) is the host's problem or a bug, and
 * fails the layer. */
static bool layer_errno(int err)
{
	switch (err) {
	case ELOOP:         /* a symlink in the way (RESOLVE_NO_SYMLINKS, O_NOFOLLOW) */
	case ENOTDIR:       /* a non-directory in the way */
	case EXDEV:         /* a mount point in the way (RESOLVE_NO_XDEV), or a cross-dir link */
	case ENAMETOOLONG:
	case EEXIST:
	case ENOTEMPTY:
	case EISDIR:
	case ENOENT:
	case EMLINK:
		return true;
	default:
		return false;
	}
}

static int skip(struct ux *x)
{
	x->r->skipped++;
	return 0;
}

static void cache_drop(struct ux *x)
{
	if (x->cache_fd >= 0)
		close(x->cache_fd);
	x->cache_fd = -1;
	x->cache_path[0] = '\0';
}

/* Remembers fd (not taken) as the directory at path. */
static void cache_set(struct ux *x, const char *path, int fd)
{
	cache_drop(x);
	if (strlen(path) >= sizeof(x->cache_path))
		return;
	x->cache_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (x->cache_fd >= 0)
		strcpy(x->cache_path, path);
}

static int open_dir_uncached(struct ux *x, const char *path, bool create, int *out,
			     struct berr *e);

/* Opens the directory at path (normalised, "" for the root) beneath the layer, creating the
 * missing components (mode 0755) when create is set. Returns 0 with *out set (owned by the
 * caller), 1 if the entry must be neutralised, -1 with *e set. */
static int open_dir(struct ux *x, const char *path, bool create, int *out, struct berr *e)
{
	int rc;

	if (x->cache_fd >= 0 && strcmp(path, x->cache_path) == 0) {
		*out = fcntl(x->cache_fd, F_DUPFD_CLOEXEC, 0);
		return *out >= 0 ? 0 : berr_sys(e, "dup");
	}
	rc = open_dir_uncached(x, path, create, out, e);
	if (rc == 0)
		cache_set(x, path, *out);
	return rc;
}

static int open_dir_uncached(struct ux *x, const char *path, bool create, int *out,
			     struct berr *e)
{
	char buf[PATH_MAX];
	cleanup_close int cur = -1;
	char *p, *slash;

	*out = unpack_open_beneath(x->dir_fd, path[0] != '\0' ? path : ".", O_RDONLY | O_DIRECTORY, 0);
	if (*out >= 0)
		return 0;
	if (errno != ENOENT || !create) {
		if (layer_errno(errno))
			return 1;
		return berr_sys(e, "opening directory '%s' in the layer", path);
	}

	/* Some component is missing: walk, one component per lookup. */
	if (strlen(path) >= sizeof(buf))
		return 1;
	strcpy(buf, path);
	cur = unpack_open_beneath(x->dir_fd, ".", O_RDONLY | O_DIRECTORY, 0);
	if (cur < 0)
		return berr_sys(e, "opening the layer directory");
	for (p = buf; p != NULL; p = slash) {
		int next;
		bool made = false;

		slash = strchr(p, '/');
		if (slash != NULL)
			*slash++ = '\0';
		next = unpack_open_beneath(cur, p, O_RDONLY | O_DIRECTORY, 0);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(cur, p, 0700) == 0)
				made = true;
			else if (errno != EEXIST)
				return layer_errno(errno) ? 1 :
					berr_sys(e, "creating directory '%s' in the layer", path);
			next = unpack_open_beneath(cur, p, O_RDONLY | O_DIRECTORY, 0);
		}
		if (next < 0)
			return layer_errno(errno) ? 1 :
				berr_sys(e, "opening directory '%s' in the layer", path);
		/* An implicit parent is 0755 as tar makes it, whatever the process umask. */
		if (made && fchmod(next, 0755) < 0) {
			close(next);
			return berr_sys(e, "chmod of directory '%s' in the layer", path);
		}
		close(cur);
		cur = next;
	}
	*out = TAKE_FD(cur);
	return 0;
}

/* Makes room for name in pfd, as tar does for a later entry with the same name: a
 * non-directory goes, a directory stays when a directory is wanted and is removed (if empty)
 * otherwise. Returns 0 (free), 2 (a directory is there and is wanted), 1 (neutralise: a
 * non-empty directory is in the way), -1 with *e set. */
static int make_room(struct ux *x, int pfd, const char *name, bool want_dir, struct berr *e)
{
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return layer_errno(errno) ? 1 : berr_sys(e, "stat '%s' in the layer", name);
	}
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 2;
		if (unlinkat(pfd, name, AT_REMOVEDIR) < 0)
			return layer_errno(errno) ? 1 :
				berr_sys(e, "removing directory '%s' in the layer", name);
		cache_drop(x);
		return 0;
	}
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
		return layer_errno(errno) ? 1 : berr_sys(e, "removing '%s' in the layer", name);
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off, struct berr *e)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(e, "writing");
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ metadata */

/* Owner as the layer says, in our user namespace. An id the namespace does not map (EINVAL), or
 * that we may not give away (EPERM, an unprivileged run), is counted, not fatal: the file
 * stays ours. fd >= 0: that fd; else name in pfd, never following a symlink. */
static int apply_owner(struct ux *x, int fd, int pfd, const char *name,
		       struct archive_entry *ent, struct berr *e)
{
	la_int64_t uid = archive_entry_uid(ent);
	la_int64_t gid = archive_entry_gid(ent);
	int rc;

	/* (uid_t)-1 would mean "leave as is", not an owner. */
	if (uid < 0 || gid < 0 || uid >= (la_int64_t)UINT32_MAX || gid >= (la_int64_t)UINT32_MAX) {
		x->r->unmapped_ids++;
		return 0;
	}
	if (fd >= 0)
		rc = fchown(fd, (uid_t)uid, (gid_t)gid);
	else
		rc = fchownat(pfd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
	if (rc < 0) {
		if (errno == EINVAL || errno == EPERM) {
			x->r->unmapped_ids++;
			return 0;
		}
		return berr_sys(e, "chown");
	}
	return 0;
}

static mode_t entry_perm(const struct ux *x, struct archive_entry *ent)
{
	mode_t m = archive_entry_perm(ent) & 07777;

	/* Rootless: no setuid/setgid file owned by a subordinate id on the host. */
	if (x->o->rootless)
		m &= ~(mode_t)(S_ISUID | S_ISGID);
	return m;
}

static long clamp_nsec(long ns)
{
	return ns >= 0 && ns < 1000000000L ? ns : 0;
}

/* atime, mtime; a time the entry lacks is left alone. */
static void entry_times(struct archive_entry *ent, struct timespec ts[2])
{
	if (archive_entry_mtime_is_set(ent)) {
		ts[1].tv_sec = archive_entry_mtime(ent);
		ts[1].tv_nsec = clamp_nsec(archive_entry_mtime_nsec(ent));
	} else {
		ts[1].tv_sec = 0;
		ts[1].tv_nsec = UTIME_OMIT;
	}
	if (archive_entry_atime_is_set(ent)) {
		ts[0].tv_sec = archive_entry_atime(ent);
		ts[0].tv_nsec = clamp_nsec(archive_entry_atime_nsec(ent));
	} else {
		ts[0] = ts[1];
	}
}

/* A time the filesystem cannot hold is the layer's oddity, not a failure. */
static int apply_times(struct ux *x, int fd, int pfd, const char *name,
		       struct archive_entry *ent, struct berr *e)
{
	struct timespec ts[2];
	int rc;

	entry_times(ent, ts);
	if (fd >= 0)
		rc = futimens(fd, ts);
	else
		rc = utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
	if (rc < 0) {
		if (errno == EINVAL || errno == EOVERFLOW || errno == EPERM)
			return skip(x);
		return berr_sys(e, "setting times");
	}
	return 0;
}

/* Which xattrs a layer may carry. Never overlay metadata in either namespace: a layer that set
 * trusted.overlay.opaque/redirect/metacopy or user.overlay.* would change what the mounted
 * image shows beyond its own files. */
static bool xattr_allowed(const char *name, bool rootless)
{
	if (strncmp(name, "user.overlay.", 13) == 0)
		return false;
	if (strncmp(name, "user.", 5) == 0)
		return name[5] != '\0';
	/* File capabilities (CAP_SETFCAP): rootful only; the kernel checks the value. */
	if (!rootless && strcmp(name, "security.capability") == 0)
		return true;
	return false;
}

/* The entry's xattrs on fd (a regular file or directory). Each one refused or failing is
 * counted; none is fatal (a filesystem without user xattrs still takes the layer). */
static void apply_xattrs(struct ux *x, int fd, struct archive_entry *ent)
{
	const char *name;
	const void *val;
	size_t size;

	if (archive_entry_xattr_reset(ent) == 0)
		return;
	while (archive_entry_xattr_next(ent, &name, &val, &size) == ARCHIVE_OK) {
		if (name == NULL || strlen(name) > XATTR_NAME_MAX ||
		    !xattr_allowed(name, x->o->rootless) || size > UNPACK_XATTR_MAX ||
		    (val == NULL && size > 0)) {
			x->r->skipped++;
			continue;
		}
		if (fsetxattr(fd, name, size > 0 ? val : "", size, 0) < 0)
			x->r->skipped++;
	}
}

static int add_fixup(struct ux *x, const char *path, struct archive_entry *ent, struct berr *e)
{
	struct dir_fixup *f;

	if (x->nfix == x->capfix) {
		size_t cap = x->capfix ? x->capfix * 2 : 64;
		struct dir_fixup *n = realloc(x->fix, cap * sizeof(*n));
		if (n == NULL)
			return berr_sys(e, "allocating");
		x->fix = n;
		x->capfix = cap;
	}
	f = &x->fix[x->nfix];
	f->path = strdup(path);
	if (f->path == NULL)
		return berr_sys(e, "allocating");
	f->depth = path_depth(path);
	f->mode = entry_perm(x, ent);
	entry_times(ent, f->times);
	x->nfix++;
	return 0;
}

/* Applies the recorded modes and times deepest first (a parent's mode cannot stop the
 * reopening of its children), and for one path the later entry last, so that it wins. The
 * order comes from a counting sort on depth, which keeps entry order within a depth: not
 * qsort(), whose glibc implementation asks the kernel for the memory size (sysinfo) when the
 * array is large, a call the sandbox has no other use for. */
static int apply_fixups(struct ux *x, struct berr *e)
{
	cleanup_free size_t *order = NULL;
	cleanup_free size_t *slot = NULL;
	unsigned maxd = 0;

	if (x->nfix == 0)
		return 0;
	for (size_t i = 0; i < x->nfix; i++)
		if (x->fix[i].depth > maxd)
			maxd = x->fix[i].depth;
	order = calloc(x->nfix, sizeof(*order));
	slot = calloc((size_t)maxd + 2, sizeof(*slot));
	if (order == NULL || slot == NULL)
		return berr_sys(e, "allocating");
	/* Bucket b = maxd - depth: deepest first. slot[b + 1] counts, then starts. */
	for (size_t i = 0; i < x->nfix; i++)
		slot[maxd - x->fix[i].depth + 1]++;
	for (unsigned b = 1; b <= maxd + 1; b++)
		slot[b] += slot[b - 1];
	for (size_t i = 0; i < x->nfix; i++)
		order[slot[maxd - x->fix[i].depth]++] = i;

	for (size_t k = 0; k < x->nfix; k++) {
		const struct dir_fixup *f = &x->fix[order[k]];
		cleanup_close int fd = -1;

		/* Reopened beneath the layer without following anything: if a later entry
		 * replaced the directory (by a symlink, say), there is nothing to fix. */
		fd = unpack_open_beneath(x->dir_fd, f->path[0] != '\0' ? f->path : ".",
				  O_RDONLY | O_DIRECTORY, 0);
		if (fd < 0) {
			if (layer_errno(errno))
				continue;
			return berr_sys(e, "reopening directory '%s' in the layer", f->path);
		}
		if (fchmod(fd, f->mode) < 0)
			return berr_sys(e, "chmod of directory '%s' in the layer", f->path);
		if (futimens(fd, f->times) < 0 && errno != EINVAL && errno != EOVERFLOW)
			return berr_sys(e, "setting times of directory '%s' in the layer",
					f->path);
	}
	return 0;
}

static void free_fixups(struct ux *x)
{
	for (size_t i = 0; i < x->nfix; i++)
		free(x->fix[i].path);
	free(x->fix);
	x->fix = NULL;
	x->nfix = x->capfix = 0;
}

/* ------------------------------------------------------------------ entries by type */

static int write_data(struct ux *x, int fd, uint64_t size, const char *path, struct berr *e)
{
	uint64_t end = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(x->in, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return berr_set(e, BERR_INVALID, 0, "reading the data of '%s': %s", path,
					archive_error_string(x->in) ?: "error");
		if (len == 0)
			continue;
		/* Sparse maps are untrusted too: every block must lie inside the file. */
		if (off < 0 || (uint64_t)off > size || len > size - (uint64_t)off)
			return berr_set(e, BERR_INVALID, 0,
					"'%s': a data block lies outside the file", path);
		if (pwrite_all(fd, buf, len, (off_t)off, e) < 0)
			return berr_wrap(e, "'%s'", path);
		if ((uint64_t)off + len > end)
			end = (uint64_t)off + len;
	}
	/* A sparse file's trailing hole. */
	if (end < size && ftruncate(fd, (off_t)size) < 0)
		return berr_sys(e, "'%s': setting the size", path);
	return 0;
}

static int do_file(struct ux *x, int pfd, const char *name, const char *path,
		   struct archive_entry *ent, struct berr *e)
{
	cleanup_close int fd = -1;
	la_int64_t size = archive_entry_size_is_set(ent) ? archive_entry_size(ent) : 0;
	int rc;

	if (size < 0)
		return berr_set(e, BERR_INVALID, 0, "'%s': negative size", path);
	/* Sparse files: their holes cost no stream bytes, so apparent sizes are bounded on
	 * their own (a few bytes of tar must not make a terabyte file for the next copy). */
	if ((uint64_t)size > x->o->max_bytes - x->apparent)
		return berr_set(e, BERR_INVALID, 0,
				"the layer's files add up to more than %llu bytes",
				(unsigned long long)x->o->max_bytes);
	x->apparent += (uint64_t)size;

	rc = make_room(x, pfd, name, false, e);
	if (rc != 0)
		return rc < 0 ? -1 : skip(x);
	fd = unpack_open_beneath(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		return layer_errno(errno) ? skip(x) : berr_sys(e, "creating '%s'", path);
	if (write_data(x, fd, (uint64_t)size, path, e) < 0)
		return -1;
	/* Order matters: chown clears setuid/setgid and file capabilities, so mode and xattrs
	 * come after it; times last. */
	if (apply_owner(x, fd, -1, NULL, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	if (fchmod(fd, entry_perm(x, ent)) < 0)
		return berr_sys(e, "chmod '%s'", path);
	apply_xattrs(x, fd, ent);
	if (apply_times(x, fd, -1, NULL, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	return 0;
}

static int do_dir(struct ux *x, int pfd, const char *name, const char *path,
		  struct archive_entry *ent, struct berr *e)
{
	cleanup_close int fd = -1;

	if (name == NULL) {
		/* The layer root itself ("./"): its owner, mode, times and xattrs, as docker
		 * applies them. */
		fd = unpack_open_beneath(x->dir_fd, ".", O_RDONLY | O_DIRECTORY, 0);
		if (fd < 0)
			return berr_sys(e, "opening the layer directory");
	} else {
		int rc = make_room(x, pfd, name, true, e);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return skip(x);
		if (rc == 0 && mkdirat(pfd, name, 0700) < 0)
			return layer_errno(errno) ? skip(x) :
				berr_sys(e, "creating directory '%s'", path);
		fd = unpack_open_beneath(pfd, name, O_RDONLY | O_DIRECTORY, 0);
		if (fd < 0)
			return layer_errno(errno) ? skip(x) :
				berr_sys(e, "opening directory '%s'", path);
	}
	if (apply_owner(x, fd, -1, NULL, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	apply_xattrs(x, fd, ent);
	/* Mode and times at the end (apply_fixups). */
	return add_fixup(x, path, ent, e);
}

static int do_symlink(struct ux *x, int pfd, const char *name, const char *path,
		      struct archive_entry *ent, struct berr *e)
{
	const char *target = archive_entry_symlink(ent);
	int rc;

	if (target == NULL)
		target = archive_entry_symlink_utf8(ent);
	/* The target is text stored as it is: it is never resolved here. */
	if (target == NULL || target[0] == '\0' || strlen(target) >= PATH_MAX)
		return skip(x);
	rc = make_room(x, pfd, name, false, e);
	if (rc != 0)
		return rc < 0 ? -1 : skip(x);
	if (symlinkat(target, pfd, name) < 0)
		return layer_errno(errno) ? skip(x) : berr_sys(e, "creating symlink '%s'", path);
	if (apply_owner(x, -1, pfd, name, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	if (apply_times(x, -1, pfd, name, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	return 0;
}

/* A hard link to an earlier entry: both names resolved beneath the layer, the target's parent
 * without following any symlink; the target itself is linked as it is (a symlink stays a
 * symlink: linkat without AT_SYMLINK_FOLLOW). Metadata is the target's. */
static int do_hardlink(struct ux *x, int pfd, const char *name, const char *path,
		       const char *target, struct berr *e)
{
	char tpath[PATH_MAX];
	cleanup_close int tpfd = -1;
	const char *tname;
	struct stat st;
	char *slash;
	int rc;

	if (unpack_path_normalise(target, tpath, sizeof(tpath)) < 0 || tpath[0] == '\0' ||
	    strcmp(tpath, path) == 0)
		return skip(x);
	slash = strrchr(tpath, '/');
	if (slash != NULL) {
		*slash = '\0';
		tname = slash + 1;
	} else {
		tname = tpath;
	}
	rc = open_dir(x, slash != NULL ? tpath : "", false, &tpfd, e);
	if (rc != 0)
		return rc < 0 ? -1 : skip(x);
	if (fstatat(tpfd, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return layer_errno(errno) ? skip(x) : berr_sys(e, "stat of link target");
	if (S_ISDIR(st.st_mode))
		return skip(x);
	rc = make_room(x, pfd, name, false, e);
	if (rc != 0)
		return rc < 0 ? -1 : skip(x);
	if (linkat(tpfd, tname, pfd, name, 0) < 0) {
		if (layer_errno(errno) || errno == EPERM)
			return skip(x);
		return berr_sys(e, "creating hard link '%s'", path);
	}
	return 0;
}

/* Device nodes and fifos: rootful only. Without CAP_MKNOD (EPERM) the node is skipped, as
 * other engines do when they run inside a container. */
static int do_node(struct ux *x, int pfd, const char *name, const char *path, mode_t type,
		   struct archive_entry *ent, struct berr *e)
{
	dev_t dev = 0;
	int rc;

	if (x->o->rootless)
		return skip(x);
	if (type != S_IFIFO)
		dev = makedev(archive_entry_rdevmajor(ent), archive_entry_rdevminor(ent));
	rc = make_room(x, pfd, name, false, e);
	if (rc != 0)
		return rc < 0 ? -1 : skip(x);
	if (mknodat(pfd, name, type | 0600, dev) < 0) {
		if (layer_errno(errno) || errno == EPERM || errno == EINVAL)
			return skip(x);
		return berr_sys(e, "creating node '%s'", path);
	}
	if (apply_owner(x, -1, pfd, name, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	/* fchmodat follows a symlink, but name is the node made just above, in a directory
	 * only this process writes to. */
	if (fchmodat(pfd, name, entry_perm(x, ent), 0) < 0)
		return berr_sys(e, "chmod '%s'", path);
	if (apply_times(x, -1, pfd, name, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	return 0;
}

/* OCI whiteouts (image-spec layer.md) in the overlay form. name starts with ".wh.". A marker
 * that cannot be written fails the layer: dropping it would bring back files the image
 * deleted. */
static int do_whiteout(struct ux *x, int pfd, const char *name, const char *path,
		       struct archive_entry *ent, struct berr *e)
{
	const char *victim = name + strlen(WH_PREFIX);
	int rc;

	if (strncmp(name, WH_META, strlen(WH_META)) == 0) {
		/* user.overlay.* in both modes: berth mounts its overlays with userxattr rootful
		 * too, so the unpacker never needs CAP_SYS_ADMIN (which trusted.* would). */
		const char *xa = "user.overlay.opaque";

		if (strcmp(name, WH_OPAQUE) != 0)
			return skip(x); /* aufs hardlink dirs and the like: meaningless here */
		/* pfd is the directory the marker sits in. */
		if (fsetxattr(pfd, xa, "y", 1, 0) < 0)
			return berr_sys(e, "'%s': setting %s", path, xa);
		return 0;
	}
	if (victim[0] == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
		return skip(x);
	rc = make_room(x, pfd, victim, false, e);
	if (rc != 0)
		return rc < 0 ? -1 : skip(x);
	/* The overlay whiteout: a 0:0 character device. The kernel lets anyone create this one
	 * device (Linux >= 5.8), inside a user namespace too. */
	if (mknodat(pfd, victim, S_IFCHR | 0, makedev(0, 0)) < 0)
		return berr_sys(e, "'%s': creating the whiteout", path);
	if (apply_owner(x, -1, pfd, victim, ent, e) < 0)
		return berr_wrap(e, "'%s'", path);
	return 0;
}

static int handle_entry(struct ux *x, struct archive_entry *ent, struct berr *e)
{
	const char *raw = archive_entry_pathname(ent);
	const char *hardlink = archive_entry_hardlink(ent);
	char path[PATH_MAX], parent[PATH_MAX];
	cleanup_close int pfd = -1;
	mode_t type = archive_entry_filetype(ent);
	const char *name;
	char *slash;
	int rc;

	if (raw == NULL)
		raw = archive_entry_pathname_utf8(ent);
	if (hardlink == NULL)
		hardlink = archive_entry_hardlink_utf8(ent);
	if (raw == NULL || unpack_path_normalise(raw, path, sizeof(path)) < 0)
		return skip(x);
	if (path[0] == '\0') {
		if (type == AE_IFDIR && hardlink == NULL)
			return do_dir(x, -1, NULL, path, ent, e);
		return skip(x);
	}

	strcpy(parent, path);
	slash = strrchr(parent, '/');
	if (slash != NULL) {
		*slash = '\0';
		name = path + (slash - parent) + 1;
	} else {
		parent[0] = '\0';
		name = path;
	}
	rc = open_dir(x, parent, true, &pfd, e);
	if (rc != 0)
		return rc < 0 ? berr_wrap(e, "'%s'", path) : skip(x);

	if (strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return do_whiteout(x, pfd, name, path, ent, e);
	if (hardlink != NULL)
		return do_hardlink(x, pfd, name, path, hardlink, e);
	switch (type) {
	case AE_IFREG:
		return do_file(x, pfd, name, path, ent, e);
	case AE_IFDIR:
		return do_dir(x, pfd, name, path, ent, e);
	case AE_IFLNK:
		return do_symlink(x, pfd, name, path, ent, e);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return do_node(x, pfd, name, path, type, ent, e);
	default:
		return skip(x); /* sockets, unknown types */
	}
}

/* ------------------------------------------------------------------ the stream */

static int stream_account(struct stream *s, const void *buf, size_t len)
{
	if (len > s->max_bytes - s->bytes) {
		s->over_limit = true;
		return -1;
	}
	s->bytes += len;
	if (EVP_DigestUpdate(s->md, buf, len) != 1)
		return -1;
	return 0;
}

/* The next decompressed block, hashed and counted. Returns its size, 0 at the end, -1 on
 * failure (s->over_limit / s->outer_failed say which). */
static la_ssize_t stream_next(struct stream *s, const void **buf)
{
	for (;;) {
		size_t len = 0;
		la_int64_t off;
		int r;

		if (s->eof)
			return 0;
		r = archive_read_data_block(s->outer, buf, &len, &off);
		if (r == ARCHIVE_EOF) {
			s->eof = true;
			return 0;
		}
		if (r != ARCHIVE_OK) {
			s->outer_failed = true;
			snprintf(s->outer_err, sizeof(s->outer_err), "%s",
				 archive_error_string(s->outer) ?: "decompression failed");
			return -1;
		}
		if (len == 0)
			continue;
		if (stream_account(s, *buf, len) < 0)
			return -1;
		return (la_ssize_t)len;
	}
}

/* libarchive read callback of the tar reader. */
static la_ssize_t stream_read(struct archive *a, void *arg, const void **buf)
{
	struct stream *s = arg;
	la_ssize_t n = stream_next(s, buf);

	if (n < 0)
		archive_set_error(a, EINVAL, "%s",
				  s->over_limit ? "decompression limit reached" : s->outer_err);
	return n;
}

static int stream_open(struct stream *s, int blob_fd, struct berr *e)
{
	struct archive_entry *ent;
	int r;

	s->md = EVP_MD_CTX_new();
	if (s->md == NULL || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1)
		return berr_set(e, BERR_INTERNAL, 0, "cannot set up SHA-256");
	s->outer = archive_read_new();
	if (s->outer == NULL)
		return berr_sys(e, "allocating a reader");
	/* ARCHIVE_WARN here means "would run an external program": refused (see the top). */
	if (archive_read_support_filter_gzip(s->outer) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(s->outer) != ARCHIVE_OK)
		return berr_set(e, BERR_UNSUPPORTED, 0,
				"libarchive lacks built-in gzip or zstd support");
	if (archive_read_support_format_raw(s->outer) != ARCHIVE_OK)
		return berr_set(e, BERR_INTERNAL, 0, "libarchive: %s",
				archive_error_string(s->outer) ?: "raw format");
	if (archive_read_open_fd(s->outer, blob_fd, READ_BLOCK) != ARCHIVE_OK)
		return berr_set(e, BERR_INVALID, 0, "reading the layer: %s",
				archive_error_string(s->outer) ?: "error");
	/* archive_filter_count counts the decompressors and the reader of the fd itself. One
	 * level of compression at most: gzip inside gzip is not a layer any other engine reads
	 * the same way, and its digest would not be the diff_id of the stream they see. */
	if (archive_filter_count(s->outer) > 2)
		return berr_set(e, BERR_INVALID, 0, "the layer is compressed more than once");
	r = archive_read_next_header(s->outer, &ent);
	if (r == ARCHIVE_EOF) {
		s->eof = true;
		return 0;
	}
	if (r != ARCHIVE_OK)
		return berr_set(e, BERR_INVALID, 0, "decompressing the layer: %s",
				archive_error_string(s->outer) ?: "error");
	return 0;
}

static void stream_close(struct stream *s)
{
	if (s->outer != NULL)
		archive_read_free(s->outer);
	if (s->md != NULL)
		EVP_MD_CTX_free(s->md);
	s->outer = NULL;
	s->md = NULL;
}

static int stream_error(const struct stream *s, const struct unpack_opts *o, const char *what,
			struct archive *in, struct berr *e)
{
	if (s->over_limit)
		return berr_set(e, BERR_INVALID, 0,
				"the layer is larger than %llu bytes uncompressed",
				(unsigned long long)o->max_bytes);
	if (s->outer_failed)
		return berr_set(e, BERR_INVALID, 0, "decompressing the layer: %s", s->outer_err);
	return berr_set(e, BERR_INVALID, 0, "%s: %s", what,
			(in != NULL ? archive_error_string(in) : NULL) ?: "error");
}

static int stream_finish(struct stream *s, struct unpack_result *r, struct berr *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_DigestFinal_ex(s->md, md, &mdlen) != 1 || mdlen != 32)
		return berr_set(e, BERR_INTERNAL, 0, "SHA-256 failed");
	memcpy(r->diff_id, "sha256:", 7);
	for (unsigned i = 0; i < mdlen; i++) {
		r->diff_id[7 + 2 * i] = hex[md[i] >> 4];
		r->diff_id[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	r->diff_id[UNPACK_DIFF_ID_LEN] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ the layer */

int unpack_layer(int blob_fd, int dir_fd, const struct unpack_opts *o, struct unpack_result *r,
		 struct berr *e)
{
	struct stream s = { .max_bytes = o->max_bytes };
	struct ux x = { .dir_fd = dir_fd, .o = o, .r = r, .cache_fd = -1 };
	struct archive *in = NULL;
	struct stat st;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (o->max_bytes == 0 || o->max_entries == 0)
		return berr_set(e, BERR_INVALID, 0, "layer limits must be set");
	if (fstat(dir_fd, &st) < 0)
		return berr_sys(e, "the layer directory");
	if (!S_ISDIR(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "the layer directory is not a directory");

	if (stream_open(&s, blob_fd, e) < 0)
		goto out;
	in = archive_read_new();
	if (in == NULL) {
		berr_sys(e, "allocating a reader");
		goto out;
	}
	x.in = in;
	/* tar only (ustar, pax, GNU, v7 and their extensions): no filter, no other format. */
	if (archive_read_support_format_tar(in) != ARCHIVE_OK) {
		berr_set(e, BERR_INTERNAL, 0, "libarchive: no tar support");
		goto out;
	}
	if (archive_read_open(in, &s, NULL, stream_read, NULL) != ARCHIVE_OK) {
		stream_error(&s, o, "not a tar layer", in, e);
		goto out;
	}

	for (;;) {
		struct archive_entry *ent;
		int ar = archive_read_next_header(in, &ent);

		if (ar == ARCHIVE_EOF)
			break;
		/* ARCHIVE_WARN (a name the locale cannot show, an ignored pax key) still yields
		 * a usable entry. ARCHIVE_RETRY is a damaged header (bad checksum): libarchive
		 * would go on reading the next blocks as headers, so a member's content could
		 * pass for entries; refused like every other failure. */
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			stream_error(&s, o, "malformed layer", in, e);
			goto out;
		}
		if (++r->entries > o->max_entries) {
			berr_set(e, BERR_INVALID, 0, "the layer has more than %llu entries",
				 (unsigned long long)o->max_entries);
			goto out;
		}
		if (handle_entry(&x, ent, e) < 0) {
			/* A data read that failed because of the stream says so. */
			if (s.over_limit || s.outer_failed)
				stream_error(&s, o, "", in, e);
			goto out;
		}
	}

	/* The end-of-archive blocks and any padding after them belong to the diff_id. */
	for (;;) {
		const void *buf;
		la_ssize_t n = stream_next(&s, &buf);

		if (n == 0)
			break;
		if (n < 0) {
			stream_error(&s, o, "", in, e);
			goto out;
		}
	}
	if (apply_fixups(&x, e) < 0)
		goto out;
	if (stream_finish(&s, r, e) < 0)
		goto out;
	rc = 0;
out:
	r->bytes = s.bytes;
	if (in != NULL)
		archive_read_free(in);
	stream_close(&s);
	free_fixups(&x);
	cache_drop(&x);
	return rc;
}
