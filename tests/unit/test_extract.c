/* Unit tests for workers/unpack/extract.c: layers are built in memory with libarchive's writer
 * (pax or ustar, then optionally gzip or zstd), written to a temp file, and extracted into a
 * fresh mkdtemp() directory. Each test's directory has a "layer" to extract into and an
 * "outside" sentinel next to it that must stay as it was. Runs as root (make test-unit), so
 * owners, device nodes and trusted.* xattrs can be checked; rootless behaviour is checked
 * through the option, the real user namespace in tests/integration/unpack.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "workers/unpack/extract.h"

#define MTIME 1600000000

/* ------------------------------------------------------------------ fixture */

struct fx {
	char root[64];     /* mkdtemp */
	char layer[96];    /* root/layer */
	char outside[96];  /* root/outside: the sentinel, holds "keep" */
	int layer_fd;
	int outside_fd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/berth-test-extract-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->layer, sizeof(f->layer), "%s/layer", f->root);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->root);
	assert_int_equal(mkdir(f->layer, 0755), 0);
	assert_int_equal(mkdir(f->outside, 0755), 0);
	f->layer_fd = open(f->layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f->outside_fd = open(f->outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->layer_fd >= 0 && f->outside_fd >= 0);
	fd = openat(f->outside_fd, "keep", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	*state = f;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->layer_fd);
	close(f->outside_fd);
	/* The layer may hold 0000 directories: root removes them regardless. */
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* The sentinel directory still holds exactly "keep", unchanged, with one link. */
static void assert_outside_untouched(struct fx *f)
{
	char path[160], buf[8];
	struct stat st;
	int n = 0, fd;
	FILE *p;

	snprintf(path, sizeof(path), "ls -A '%s' | wc -l", f->outside);
	p = popen(path, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	assert_int_equal(n, 1);
	assert_int_equal(fstatat(f->outside_fd, "keep", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 4);
	fd = openat(f->outside_fd, "keep", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_memory_equal(buf, "keep", 4);
	/* Nothing next to layer/ and outside/ either. */
	snprintf(path, sizeof(path), "ls -A '%s' | wc -l", f->root);
	p = popen(path, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	assert_int_equal(n, 2);
}

/* ------------------------------------------------------------------ building layers */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t buf_write(struct archive *a, void *arg, const void *data, size_t n)
{
	struct buf *b = arg;
	(void)a;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return (la_ssize_t)n;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

struct tb {
	struct archive *a;
	struct buf tar;
};

static void tb_init(struct tb *t, bool ustar)
{
	memset(t, 0, sizeof(*t));
	t->a = archive_write_new();
	assert_non_null(t->a);
	assert_int_equal(ustar ? archive_write_set_format_ustar(t->a) :
				 archive_write_set_format_pax(t->a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(t->a, &t->tar, NULL, buf_write, NULL), ARCHIVE_OK);
}

static struct archive_entry *ent(const char *path, mode_t type, mode_t perm)
{
	struct archive_entry *e = archive_entry_new();
	assert_non_null(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, MTIME, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return e;
}

/* Writes e (taken) with len bytes of data. */
static void tb_put(struct tb *t, struct archive_entry *e, const void *data, size_t len)
{
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL)
		archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (len > 0)
		assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void tb_file(struct tb *t, const char *path, const char *data, mode_t perm)
{
	tb_put(t, ent(path, AE_IFREG, perm), data, strlen(data));
}

static void tb_dir(struct tb *t, const char *path, mode_t perm)
{
	tb_put(t, ent(path, AE_IFDIR, perm), NULL, 0);
}

static void tb_symlink(struct tb *t, const char *path, const char *target)
{
	struct archive_entry *e = ent(path, AE_IFLNK, 0777);
	archive_entry_set_symlink(e, target);
	tb_put(t, e, NULL, 0);
}

static void tb_hardlink(struct tb *t, const char *path, const char *target)
{
	struct archive_entry *e = ent(path, AE_IFREG, 0644);
	archive_entry_set_hardlink(e, target);
	archive_entry_set_size(e, 0);
	tb_put(t, e, NULL, 0);
}

static void tb_node(struct tb *t, const char *path, mode_t type, unsigned maj, unsigned min)
{
	struct archive_entry *e = ent(path, type, 0640);
	archive_entry_set_rdevmajor(e, maj);
	archive_entry_set_rdevminor(e, min);
	tb_put(t, e, NULL, 0);
}

static void tb_finish(struct tb *t)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
	t->a = NULL;
}

enum comp { PLAIN, GZIP, ZSTD };

/* The blob: tar as is, or compressed (libarchive's raw format: one stream, no container). */
static void compress(const struct buf *tar, enum comp c, struct buf *out)
{
	struct archive *a;
	struct archive_entry *e;

	memset(out, 0, sizeof(*out));
	if (c == PLAIN) {
		buf_write(NULL, out, tar->p, tar->len);
		return;
	}
	a = archive_write_new();
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(c == GZIP ? archive_write_add_filter_gzip(a) :
				     archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);
	e = archive_entry_new();
	archive_entry_set_pathname(e, "layer");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)tar->len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, tar->p, tar->len), (la_ssize_t)tar->len);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* A temp file holding data, unlinked, at offset 0. */
static int blob_fd(struct fx *f, const void *data, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/blob-XXXXXX", f->root);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static const struct unpack_opts rootful = { false, 64 << 20, 10000 };
static const struct unpack_opts rootless = { true, 64 << 20, 10000 };

static int extract(struct fx *f, const void *data, size_t len, const struct unpack_opts *o,
		   struct unpack_result *r, struct berr *e)
{
	int fd = blob_fd(f, data, len);
	int rc;

	memset(e, 0, sizeof(*e));
	rc = unpack_layer(fd, f->layer_fd, o, r, e);
	close(fd);
	return rc;
}

/* Builds the blob of t (finished) compressed with c and extracts it; must succeed. */
static void extract_ok(struct fx *f, struct tb *t, enum comp c, const struct unpack_opts *o,
		       struct unpack_result *r)
{
	struct buf blob;
	struct berr e;
	int rc;

	compress(&t->tar, c, &blob);
	rc = extract(f, blob.p, blob.len, o, r, &e);
	if (rc != 0)
		fail_msg("unpack_layer: %s", e.msg);
	buf_free(&blob);
}

static void sha256_hex(const void *data, size_t len, char out[UNPACK_DIFF_ID_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, data, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, md, &mdlen), 1);
	EVP_MD_CTX_free(c);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static void stat_in(struct fx *f, const char *path, struct stat *st)
{
	if (fstatat(f->layer_fd, path, st, AT_SYMLINK_NOFOLLOW) != 0)
		fail_msg("stat %s in the layer: %s", path, strerror(errno));
}

static bool exists_in(struct fx *f, const char *path)
{
	struct stat st;
	return fstatat(f->layer_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_content(struct fx *f, const char *path, const char *want)
{
	char buf[256];
	int fd = openat(f->layer_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

/* ------------------------------------------------------------------ names */

static void test_normalise(void **state)
{
	char out[64];
	(void)state;

	assert_int_equal(unpack_path_normalise("a/b/c", out, sizeof(out)), 0);
	assert_string_equal(out, "a/b/c");
	assert_int_equal(unpack_path_normalise("./a//b/./c/", out, sizeof(out)), 0);
	assert_string_equal(out, "a/b/c");
	assert_int_equal(unpack_path_normalise("/abs/path", out, sizeof(out)), 0);
	assert_string_equal(out, "abs/path");
	assert_int_equal(unpack_path_normalise("///./", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(unpack_path_normalise("./", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(unpack_path_normalise("a/.hidden/..x/...", out, sizeof(out)), 0);
	assert_string_equal(out, "a/.hidden/..x/...");
	assert_int_equal(unpack_path_normalise("../escape", out, sizeof(out)), -1);
	assert_int_equal(unpack_path_normalise("a/../../x", out, sizeof(out)), -1);
	assert_int_equal(unpack_path_normalise("a/..", out, sizeof(out)), -1);
	assert_int_equal(unpack_path_normalise("a/../b", out, sizeof(out)), -1);
	assert_int_equal(unpack_path_normalise("/..", out, sizeof(out)), -1);
	assert_int_equal(unpack_path_normalise(NULL, out, sizeof(out)), -1);
	/* Exactly fitting, and one byte too long. */
	assert_int_equal(unpack_path_normalise("abc/def", out, 8), 0);
	assert_string_equal(out, "abc/def");
	assert_int_equal(unpack_path_normalise("abc/defg", out, 8), -1);
	assert_int_equal(unpack_path_normalise("abcdefgh", out, 8), -1);
}

/* ------------------------------------------------------------------ ordinary layers */

static void build_basic(struct tb *t)
{
	tb_init(t, false);
	tb_dir(t, "./", 0755);
	tb_dir(t, "bin/", 0755);
	tb_file(t, "bin/busybox", "#!busybox\n", 0755);
	tb_symlink(t, "bin/sh", "busybox");
	tb_symlink(t, "bin/abs", "/bin/busybox");
	tb_hardlink(t, "bin/ls", "bin/busybox");
	tb_dir(t, "etc/", 0700);
	tb_file(t, "etc/hostname", "box\n", 0640);
	tb_file(t, "deep/a/b/c/file", "deep\n", 0600); /* parents implicit */
	tb_dir(t, "ro/", 0555);
	tb_file(t, "ro/inside", "ro\n", 0444);
	tb_finish(t);
}

static void check_basic(struct fx *f, const struct tb *t, const struct unpack_result *r)
{
	char want[UNPACK_DIFF_ID_LEN + 1];
	struct stat st, st2;
	char link[64];
	ssize_t n;

	sha256_hex(t->tar.p, t->tar.len, want);
	assert_string_equal(r->diff_id, want);
	assert_int_equal(r->bytes, t->tar.len);
	assert_int_equal(r->entries, 11);
	assert_int_equal(r->skipped, 0);

	stat_in(f, "bin/busybox", &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_mtime, MTIME);
	assert_int_equal(st.st_nlink, 2);
	assert_content(f, "bin/busybox", "#!busybox\n");
	stat_in(f, "bin/ls", &st2);
	assert_int_equal(st2.st_ino, st.st_ino);

	stat_in(f, "bin/sh", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_mtime, MTIME);
	n = readlinkat(f->layer_fd, "bin/sh", link, sizeof(link));
	assert_int_equal(n, 7);
	assert_memory_equal(link, "busybox", 7);
	n = readlinkat(f->layer_fd, "bin/abs", link, sizeof(link));
	assert_int_equal(n, 12);
	assert_memory_equal(link, "/bin/busybox", 12);

	stat_in(f, "etc", &st);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_mtime, MTIME); /* applied after its contents */
	stat_in(f, "etc/hostname", &st);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_content(f, "etc/hostname", "box\n");

	stat_in(f, "deep/a/b/c", &st);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755); /* implicit parents, whatever the umask */
	assert_content(f, "deep/a/b/c/file", "deep\n");

	stat_in(f, "ro", &st);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_content(f, "ro/inside", "ro\n");

	/* The root entry "./" applies to the layer directory itself. */
	assert_int_equal(fstat(f->layer_fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_mtime, MTIME);
	assert_outside_untouched(f);
}

static void basic(void **state, enum comp c)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct tb t;

	build_basic(&t);
	extract_ok(f, &t, c, &rootful, &r);
	check_basic(f, &t, &r);
	buf_free(&t.tar);
}

static void test_basic_plain(void **state)
{
	basic(state, PLAIN);
}

static void test_basic_gzip(void **state)
{
	basic(state, GZIP);
}

static void test_basic_zstd(void **state)
{
	basic(state, ZSTD);
}

static void test_basic_ustar_owner(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct archive_entry *e;
	struct stat st;
	struct tb t;

	tb_init(&t, true);
	e = ent("owned", AE_IFREG, 0600);
	archive_entry_set_uid(e, 1234);
	archive_entry_set_gid(e, 5678);
	tb_put(&t, e, "x", 1);
	e = ent("owned-dir", AE_IFDIR, 0750);
	archive_entry_set_uid(e, 42);
	archive_entry_set_gid(e, 43);
	tb_put(&t, e, NULL, 0);
	e = ent("owned-link", AE_IFLNK, 0777);
	archive_entry_set_symlink(e, "owned");
	archive_entry_set_uid(e, 7);
	archive_entry_set_gid(e, 8);
	tb_put(&t, e, NULL, 0);
	tb_finish(&t);
	extract_ok(f, &t, GZIP, &rootful, &r);
	stat_in(f, "owned", &st);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	stat_in(f, "owned-dir", &st);
	assert_int_equal(st.st_uid, 42);
	assert_int_equal(st.st_gid, 43);
	assert_int_equal(st.st_mode & 07777, 0750);
	stat_in(f, "owned-link", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_uid, 7);
	assert_int_equal(st.st_gid, 8);
	assert_int_equal(r.unmapped_ids, 0);
	buf_free(&t.tar);
}

/* Trailing bytes after the end-of-archive blocks are part of the uncompressed stream. */
static void test_diff_id_trailing_padding(void **state)
{
	struct fx *f = *state;
	char want[UNPACK_DIFF_ID_LEN + 1];
	struct unpack_result r;
	struct buf blob;
	struct berr e;
	struct tb t;

	tb_init(&t, false);
	tb_file(&t, "a", "a\n", 0644);
	tb_finish(&t);
	/* 7 KiB of zeros and a few odd bytes more. */
	for (int i = 0; i < 7; i++) {
		static const unsigned char zero[1024];
		buf_write(NULL, &t.tar, zero, sizeof(zero));
	}
	buf_write(NULL, &t.tar, "junk", 4);
	sha256_hex(t.tar.p, t.tar.len, want);
	compress(&t.tar, GZIP, &blob);
	assert_int_equal(extract(f, blob.p, blob.len, &rootful, &r, &e), 0);
	assert_string_equal(r.diff_id, want);
	assert_int_equal(r.bytes, t.tar.len);
	assert_content(f, "a", "a\n");
	buf_free(&blob);
	buf_free(&t.tar);
}

/* A later entry with the same name replaces the earlier one, as tar does. */
static void test_replace(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct stat st;
	char link[16];
	struct tb t;

	tb_init(&t, false);
	tb_file(&t, "f", "first", 0644);
	tb_file(&t, "f", "second", 0600);
	tb_symlink(&t, "s", "somewhere");
	tb_file(&t, "s", "now a file", 0644);     /* never written through the symlink */
	tb_dir(&t, "d", 0755);
	tb_dir(&t, "d", 0700);                    /* kept, the later mode wins */
	tb_file(&t, "d/x", "x", 0644);
	tb_dir(&t, "empty", 0755);
	tb_symlink(&t, "empty", "f");             /* an empty directory goes */
	tb_dir(&t, "full", 0755);
	tb_file(&t, "full/y", "y", 0644);
	tb_file(&t, "full", "cannot replace", 0644); /* a non-empty one stays: skipped */
	tb_finish(&t);
	extract_ok(f, &t, PLAIN, &rootful, &r);
	assert_content(f, "f", "second");
	stat_in(f, "f", &st);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_content(f, "s", "now a file");
	stat_in(f, "d", &st);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_content(f, "d/x", "x");
	assert_int_equal(readlinkat(f->layer_fd, "empty", link, sizeof(link)), 1);
	stat_in(f, "full", &st);
	assert_true(S_ISDIR(st.st_mode));
	assert_content(f, "full/y", "y");
	assert_int_equal(r.skipped, 1);
	assert_outside_untouched(f);
	buf_free(&t.tar);
}

static void test_sparse(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct archive_entry *e;
	struct stat st;
	char buf[8];
	int fd;
	struct tb t;

	tb_init(&t, false);
	e = ent("sparse", AE_IFREG, 0644);
	archive_entry_set_size(e, 1 << 20);
	archive_entry_sparse_add_entry(e, 512 * 1024, 4);
	assert_int_equal(archive_write_header(t.a, e), ARCHIVE_OK);
	/* The writer takes the logical content and stores only the mapped block. */
	{
		char *all = calloc(1, 512 * 1024 + 4);
		assert_non_null(all);
		memcpy(all + 512 * 1024, "DATA", 4);
		assert_int_equal(archive_write_data(t.a, all, 512 * 1024 + 4), 512 * 1024 + 4);
		free(all);
	}
	archive_entry_free(e);
	assert_true(t.tar.len < 64 * 1024); /* the hole is not in the stream */
	tb_finish(&t);
	extract_ok(f, &t, GZIP, &rootful, &r);
	stat_in(f, "sparse", &st);
	assert_int_equal(st.st_size, 1 << 20);
	fd = openat(f->layer_fd, "sparse", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 4, 512 * 1024), 4);
	assert_memory_equal(buf, "DATA", 4);
	assert_int_equal(pread(fd, buf, 4, 0), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	close(fd);
	/* The hole counts against max_bytes: a 64 KiB budget refuses the 1 MiB file. */
	{
		struct unpack_opts o = rootful;
		struct buf blob;
		struct berr er;

		o.max_bytes = 64 * 1024;
		compress(&t.tar, GZIP, &blob);
		assert_int_equal(unlinkat(f->layer_fd, "sparse", 0), 0);
		assert_int_equal(extract(f, blob.p, blob.len, &o, &r, &er), -1);
		assert_int_equal(er.code, BERR_INVALID);
		assert_non_null(strstr(er.msg, "more than 65536 bytes"));
		buf_free(&blob);
	}
	buf_free(&t.tar);
}

/* ------------------------------------------------------------------ whiteouts */

static void test_whiteout(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct stat st;
	struct tb t;

	tb_init(&t, false);
	tb_dir(&t, "d", 0755);
	tb_file(&t, "d/victim", "gone soon", 0644);
	tb_file(&t, "d/.wh.victim", "", 0644);     /* removes the file of this layer */
	tb_file(&t, "d/.wh.lower", "", 0644);      /* hides a lower layer's file */
	tb_file(&t, "new/dir/.wh.x", "", 0644);    /* parents made as usual */
	tb_file(&t, ".wh..wh.plnk", "", 0644);     /* aufs metadata: skipped */
	tb_file(&t, "d/.wh..", "", 0644);          /* a whiteout of "..": skipped */
	tb_finish(&t);
	extract_ok(f, &t, GZIP, &rootful, &r);
	stat_in(f, "d/victim", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 0);
	assert_int_equal(minor(st.st_rdev), 0);
	stat_in(f, "d/lower", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	stat_in(f, "new/dir/x", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_false(exists_in(f, "d/.wh.victim"));
	assert_false(exists_in(f, "d/.wh.lower"));
	assert_false(exists_in(f, ".wh..wh.plnk"));
	assert_false(exists_in(f, "plnk"));
	assert_int_equal(r.skipped, 2);
	assert_outside_untouched(f);
	buf_free(&t.tar);
}

static void test_opaque_rootful(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	char v[8];
	struct tb t;
	int fd;

	tb_init(&t, false);
	tb_dir(&t, "d", 0755);
	tb_file(&t, "d/.wh..wh..opq", "", 0644);
	tb_file(&t, "d/kept", "k", 0644);
	tb_finish(&t);
	extract_ok(f, &t, ZSTD, &rootful, &r);
	fd = openat(f->layer_fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* Rootful too: user.overlay.* (berth's overlays are mounted with userxattr). */
	assert_int_equal(fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), -1);
	close(fd);
	assert_false(exists_in(f, "d/.wh..wh..opq"));
	assert_content(f, "d/kept", "k");
	buf_free(&t.tar);
}

static void test_opaque_rootless(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	char v[8];
	struct tb t;
	int fd;

	tb_init(&t, false);
	tb_file(&t, "a/b/.wh..wh..opq", "", 0644); /* the directory is implicit */
	tb_finish(&t);
	extract_ok(f, &t, PLAIN, &rootless, &r);
	fd = openat(f->layer_fd, "a/b", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), -1);
	close(fd);
	buf_free(&t.tar);
}

/* ------------------------------------------------------------------ hostile layers */

static void test_hostile_names(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	char longname[PATH_MAX + 64];
	struct tb t;

	memset(longname, 'a', sizeof(longname) - 1);
	for (size_t i = 200; i < sizeof(longname) - 1; i += 200)
		longname[i] = '/';
	longname[sizeof(longname) - 1] = '\0';

	tb_init(&t, false);
	tb_file(&t, "../escape", "bad", 0644);
	tb_file(&t, "../outside/keep", "overwritten", 0644);
	tb_file(&t, "a/../../x", "bad", 0644);
	tb_file(&t, "a/../b", "bad", 0644);
	tb_file(&t, "/abs/path", "inside", 0644);   /* neutralised to abs/path */
	tb_file(&t, longname, "long", 0644);
	tb_finish(&t);
	extract_ok(f, &t, GZIP, &rootful, &r);
	assert_int_equal(r.entries, 6);
	assert_int_equal(r.skipped, 5);
	assert_content(f, "abs/path", "inside");
	assert_false(exists_in(f, "escape"));
	assert_false(exists_in(f, "x"));
	assert_false(exists_in(f, "b"));
	assert_false(exists_in(f, "a"));
	assert_outside_untouched(f);
	buf_free(&t.tar);
}

/* A symlink planted by one entry must never be followed by a later one. */
static void test_symlink_then_write(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct stat st;
	struct tb t;

	tb_init(&t, false);
	tb_symlink(&t, "evil", f->outside);
	tb_file(&t, "evil/pwned", "pwned", 0644);
	tb_file(&t, "evil/keep", "overwritten", 0644);
	tb_dir(&t, "evil/newdir", 0755);
	tb_symlink(&t, "evil/link", "/etc/shadow");
	tb_file(&t, "evil/.wh.keep", "", 0644);
	tb_symlink(&t, "rel", "../outside");
	tb_file(&t, "rel/pwned", "pwned", 0644);
	tb_symlink(&t, "dirlink", ".");
	tb_file(&t, "dirlink/loop", "x", 0644);
	tb_finish(&t);
	extract_ok(f, &t, PLAIN, &rootful, &r);
	assert_int_equal(r.skipped, 7);
	stat_in(f, "evil", &st);
	assert_true(S_ISLNK(st.st_mode));
	stat_in(f, "rel", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_false(exists_in(f, "loop"));
	assert_outside_untouched(f);
	buf_free(&t.tar);
}

static void test_hardlink_escapes(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct stat st, before;
	char target[160];
	struct tb t;

	assert_int_equal(stat("/etc/passwd", &before), 0);
	snprintf(target, sizeof(target), "%s/keep", f->outside);
	tb_init(&t, false);
	tb_symlink(&t, "out", f->outside);
	tb_hardlink(&t, "through", "out/keep");          /* through a symlink */
	tb_hardlink(&t, "up", "../../etc/passwd");        /* outside by .. */
	tb_hardlink(&t, "up2", "../outside/keep");
	tb_hardlink(&t, "abs", target);                   /* absolute: looked up inside */
	tb_hardlink(&t, "etcpw", "/etc/passwd");          /* absent inside */
	tb_file(&t, "real", "real", 0644);
	tb_hardlink(&t, "real", "real");                  /* itself */
	tb_dir(&t, "dir", 0755);
	tb_hardlink(&t, "dirlink", "dir");                /* a directory */
	tb_hardlink(&t, "ok", "real");
	tb_hardlink(&t, "symhl", "out");                  /* the symlink itself: allowed */
	tb_finish(&t);
	extract_ok(f, &t, GZIP, &rootful, &r);
	assert_int_equal(r.skipped, 7);
	assert_false(exists_in(f, "through"));
	assert_false(exists_in(f, "up"));
	assert_false(exists_in(f, "up2"));
	assert_false(exists_in(f, "abs"));
	assert_false(exists_in(f, "etcpw"));
	assert_false(exists_in(f, "dirlink"));
	assert_content(f, "real", "real");
	stat_in(f, "ok", &st);
	assert_int_equal(st.st_nlink, 2);
	stat_in(f, "symhl", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(stat("/etc/passwd", &st), 0);
	assert_int_equal(st.st_nlink, before.st_nlink);
	assert_outside_untouched(f);
	buf_free(&t.tar);
}

static void test_devices(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct stat st;
	struct tb t;

	tb_init(&t, false);
	tb_node(&t, "dev/null", AE_IFCHR, 1, 3);
	tb_node(&t, "dev/sda", AE_IFBLK, 8, 0);
	tb_node(&t, "fifo", AE_IFIFO, 0, 0);
	tb_finish(&t);

	/* Rootless: all skipped. */
	extract_ok(f, &t, PLAIN, &rootless, &r);
	assert_int_equal(r.skipped, 3);
	assert_false(exists_in(f, "dev/null"));
	assert_false(exists_in(f, "dev/sda"));
	assert_false(exists_in(f, "fifo"));

	/* Rootful (we are root): made as the layer says. */
	extract_ok(f, &t, PLAIN, &rootful, &r);
	assert_int_equal(r.skipped, 0);
	stat_in(f, "dev/null", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	assert_int_equal(st.st_mode & 07777, 0640);
	stat_in(f, "dev/sda", &st);
	assert_true(S_ISBLK(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(8, 0));
	stat_in(f, "fifo", &st);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mtime, MTIME);
	buf_free(&t.tar);
}

static void test_setuid(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct stat st;
	struct tb t;

	tb_init(&t, false);
	tb_file(&t, "su", "su", 04755);
	tb_file(&t, "sg", "sg", 02755);
	tb_file(&t, "sticky", "t", 01777);
	tb_finish(&t);
	extract_ok(f, &t, GZIP, &rootless, &r);
	stat_in(f, "su", &st);
	assert_int_equal(st.st_mode & 07777, 0755);
	stat_in(f, "sg", &st);
	assert_int_equal(st.st_mode & 07777, 0755);
	stat_in(f, "sticky", &st);
	assert_int_equal(st.st_mode & 07777, 01777);

	extract_ok(f, &t, GZIP, &rootful, &r);
	stat_in(f, "su", &st);
	assert_int_equal(st.st_mode & 07777, 04755);
	stat_in(f, "sg", &st);
	assert_int_equal(st.st_mode & 07777, 02755);
	buf_free(&t.tar);
}

static void test_xattrs(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct archive_entry *e;
	static char big[UNPACK_XATTR_MAX + 1];
	char v[16];
	struct tb t;
	int fd;

	memset(big, 'B', sizeof(big));
	tb_init(&t, false);
	e = ent("file", AE_IFREG, 0644);
	archive_entry_xattr_add_entry(e, "user.small", "v1", 2);
	archive_entry_xattr_add_entry(e, "user.big", big, sizeof(big));          /* > 64 KiB */
	archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);      /* forged */
	archive_entry_xattr_add_entry(e, "user.overlay.redirect", "/etc", 5);    /* forged */
	archive_entry_xattr_add_entry(e, "security.selinux", "x", 1);            /* not ours */
	tb_put(&t, e, "data", 4);
	e = ent("dir", AE_IFDIR, 0755);
	archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
	archive_entry_xattr_add_entry(e, "user.dirattr", "d", 1);
	tb_put(&t, e, NULL, 0);
	tb_finish(&t);
	extract_ok(f, &t, PLAIN, &rootful, &r);
	/* libarchive's pax writer stores each xattr twice (SCHILY.xattr and LIBARCHIVE.xattr), so
	 * the reader may report each refused one twice. */
	assert_true(r.skipped >= 5);
	fd = openat(f->layer_fd, "file", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fgetxattr(fd, "user.small", v, sizeof(v)), 2);
	assert_memory_equal(v, "v1", 2);
	assert_int_equal(fgetxattr(fd, "user.big", NULL, 0), -1);
	assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), -1);
	assert_int_equal(fgetxattr(fd, "user.overlay.redirect", v, sizeof(v)), -1);
	close(fd);
	fd = openat(f->layer_fd, "dir", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), -1);
	assert_int_equal(fgetxattr(fd, "user.dirattr", v, sizeof(v)), 1);
	close(fd);
	buf_free(&t.tar);
}

/* A raw pax header with SCHILY.xattr.trusted.overlay.opaque, as other tools write it. */
static void test_pax_schily_opaque(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct berr e;
	unsigned char tar[512 * 6];
	const char *rec = "41 SCHILY.xattr.trusted.overlay.opaque=y\n";
	char v[4];
	int fd;

	/* A pax 'x' header, its record, then the directory "d/" and two zero blocks. */
	memset(tar, 0, sizeof(tar));
	assert_int_equal(strlen(rec), 41);
	memcpy(tar + 512, rec, 41);
	for (int h = 0; h < 2; h++) {
		unsigned char *b = tar + (h == 0 ? 0 : 1024);
		unsigned sum = 0;
		strcpy((char *)b, h == 0 ? "PaxHeaders/d" : "d/");
		strcpy((char *)b + 100, h == 0 ? "0000644" : "0000755");
		strcpy((char *)b + 108, "0000000");
		strcpy((char *)b + 116, "0000000");
		strcpy((char *)b + 124, h == 0 ? "00000000051" : "00000000000");
		strcpy((char *)b + 136, "13600000000");
		b[156] = h == 0 ? 'x' : '5';
		memcpy(b + 257, "ustar", 6);
		memcpy(b + 263, "00", 2);
		memset(b + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += b[i];
		snprintf((char *)b + 148, 8, "%06o", sum);
	}
	assert_int_equal(extract(f, tar, sizeof(tar), &rootful, &r, &e), 0);
	assert_int_equal(r.entries, 1);
	assert_int_equal(r.skipped, 1);
	fd = openat(f->layer_fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), -1);
	close(fd);
}

/* ------------------------------------------------------------------ refused layers */

static void test_bomb(void **state)
{
	struct fx *f = *state;
	struct unpack_opts o = rootful;
	struct unpack_result r;
	struct buf blob;
	struct berr e;
	static char zeros[1 << 20];
	struct tb t;

	tb_init(&t, false);
	tb_put(&t, ent("zeros", AE_IFREG, 0644), zeros, sizeof(zeros));
	tb_finish(&t);
	compress(&t.tar, GZIP, &blob);
	assert_true(blob.len < 8192); /* a megabyte of zeros is tiny compressed */
	o.max_bytes = 256 * 1024;
	/* The header's size alone gives it away, before anything is decompressed. */
	assert_int_equal(extract(f, blob.p, blob.len, &o, &r, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "more than 262144 bytes"));
	assert_true(r.bytes <= o.max_bytes);
	/* Exactly the stream's size passes. */
	o.max_bytes = t.tar.len;
	assert_int_equal(extract(f, blob.p, blob.len, &o, &r, &e), 0);
	o.max_bytes = t.tar.len - 1;
	assert_int_equal(extract(f, blob.p, blob.len, &o, &r, &e), -1);
	buf_free(&blob);
	buf_free(&t.tar);

	/* A small tar followed by a megabyte of "padding": only the stream count sees it. */
	tb_init(&t, false);
	tb_file(&t, "small", "s", 0644);
	tb_finish(&t);
	buf_write(NULL, &t.tar, zeros, sizeof(zeros));
	compress(&t.tar, ZSTD, &blob);
	o.max_bytes = 256 * 1024;
	assert_int_equal(extract(f, blob.p, blob.len, &o, &r, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "larger than 262144 bytes uncompressed"));
	assert_true(r.bytes <= o.max_bytes);
	buf_free(&blob);
	buf_free(&t.tar);
}

static void test_too_many_entries(void **state)
{
	struct fx *f = *state;
	struct unpack_opts o = rootful;
	struct unpack_result r;
	struct berr e;
	char name[32];
	struct tb t;

	tb_init(&t, false);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		tb_file(&t, name, "", 0644);
	}
	tb_finish(&t);
	o.max_entries = 49;
	assert_int_equal(extract(f, t.tar.p, t.tar.len, &o, &r, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "more than 49 entries"));
	o.max_entries = 50;
	assert_int_equal(extract(f, t.tar.p, t.tar.len, &o, &r, &e), 0);
	assert_int_equal(r.entries, 50);
	/* Limits of zero are refused, not taken as "unlimited". */
	o.max_entries = 0;
	assert_int_equal(extract(f, t.tar.p, t.tar.len, &o, &r, &e), -1);
	o = rootful;
	o.max_bytes = 0;
	assert_int_equal(extract(f, t.tar.p, t.tar.len, &o, &r, &e), -1);
	buf_free(&t.tar);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct buf blob;
	struct berr e;
	struct tb t;
	static char data[100000];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7919 % 251);
	tb_init(&t, false);
	tb_put(&t, ent("big", AE_IFREG, 0644), data, sizeof(data));
	tb_file(&t, "after", "after", 0644);
	tb_finish(&t);
	for (enum comp c = PLAIN; c <= ZSTD; c++) {
		compress(&t.tar, c, &blob);
		/* Cut inside the compressed data (or, plain, inside the file's data). */
		assert_int_equal(extract(f, blob.p, blob.len / 2, &rootful, &r, &e), -1);
		assert_int_equal(e.code, BERR_INVALID);
		buf_free(&blob);
	}
	buf_free(&t.tar);
}

/* Every truncation and many bit flips of a small gzip layer: an error or a success, never a
 * crash, and never anything outside. */
static void test_mutations(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct buf blob;
	struct berr e;
	unsigned char *m;
	struct tb t;

	tb_init(&t, false);
	tb_file(&t, "a", "aaaa", 0644);
	tb_symlink(&t, "l", "/");
	tb_file(&t, "l/x", "x", 0644);
	tb_file(&t, ".wh.z", "", 0644);
	tb_finish(&t);
	compress(&t.tar, GZIP, &blob);
	for (size_t len = 0; len < blob.len; len++)
		(void)extract(f, blob.p, len, &rootless, &r, &e);
	m = malloc(blob.len);
	assert_non_null(m);
	for (size_t i = 0; i < blob.len * 8; i += 3) {
		memcpy(m, blob.p, blob.len);
		m[i / 8] ^= (unsigned char)(1u << (i % 8));
		(void)extract(f, m, blob.len, &rootless, &r, &e);
	}
	/* The same on the plain tar. */
	for (size_t i = 0; i < 1536 * 8; i += 5) {
		unsigned char *p = malloc(t.tar.len);
		assert_non_null(p);
		memcpy(p, t.tar.p, t.tar.len);
		p[i / 8] ^= (unsigned char)(1u << (i % 8));
		(void)extract(f, p, t.tar.len, &rootless, &r, &e);
		free(p);
	}
	free(m);
	assert_outside_untouched(f);
	buf_free(&blob);
	buf_free(&t.tar);
}

static void test_garbage(void **state)
{
	struct fx *f = *state;
	struct unpack_result r;
	struct buf blob, gz2;
	struct berr e;
	unsigned char junk[4096];
	struct tb t;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 31 + 7);
	assert_int_equal(extract(f, junk, sizeof(junk), &rootful, &r, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	/* Empty input. */
	assert_int_equal(extract(f, NULL, 0, &rootful, &r, &e), -1);
	/* A gzip of garbage. */
	{
		struct buf j = { 0 };
		buf_write(NULL, &j, junk, sizeof(junk));
		compress(&j, GZIP, &blob);
		assert_int_equal(extract(f, blob.p, blob.len, &rootful, &r, &e), -1);
		assert_int_equal(e.code, BERR_INVALID);
		buf_free(&blob);
		buf_free(&j);
	}
	/* A tar compressed twice: not a layer. */
	tb_init(&t, false);
	tb_file(&t, "a", "a", 0644);
	tb_finish(&t);
	compress(&t.tar, GZIP, &blob);
	compress(&blob, GZIP, &gz2);
	assert_int_equal(extract(f, gz2.p, gz2.len, &rootful, &r, &e), -1);
	assert_non_null(strstr(e.msg, "compressed more than once"));
	assert_false(exists_in(f, "a"));
	buf_free(&gz2);
	buf_free(&blob);
	/* A zip is no tar, even though libarchive could read it. */
	{
		struct archive *a = archive_write_new();
		struct archive_entry *en = ent("z", AE_IFREG, 0644);
		struct buf zip = { 0 };
		archive_write_set_format_zip(a);
		archive_write_open(a, &zip, NULL, buf_write, NULL);
		archive_entry_set_size(en, 1);
		archive_write_header(a, en);
		archive_write_data(a, "z", 1);
		archive_entry_free(en);
		archive_write_close(a);
		archive_write_free(a);
		assert_int_equal(extract(f, zip.p, zip.len, &rootful, &r, &e), -1);
		assert_false(exists_in(f, "z"));
		buf_free(&zip);
	}
	/* The layer directory must be a directory. */
	{
		int fd = blob_fd(f, t.tar.p, t.tar.len);
		assert_int_equal(unpack_layer(fd, fd, &rootful, &r, &e), -1);
		close(fd);
	}
	buf_free(&t.tar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test_setup_teardown(test_basic_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_zstd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_ustar_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff_id_trailing_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whiteout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opaque_rootful, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opaque_rootless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_then_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hardlink_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setuid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pax_schily_opaque, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	};
	if (geteuid() != 0) {
		fprintf(stderr, "test_extract: must run as root (owners, device nodes, "
				"trusted.* xattrs)\n");
		return 1;
	}
	return cmocka_run_group_tests_name("extract", tests, NULL, NULL);
}
