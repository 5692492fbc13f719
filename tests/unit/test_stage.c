/* Unit tests for workers/unpack/stage.c: stage_resolve_link on its own, and stage_archive on
 * archives described as member tables, written with libarchive into memory (pax, optionally
 * compressed), fed through a memfd or a pipe and staged into a fresh mkdtemp() directory. The
 * staging directory sits alone in its temp root, so anything made beside it shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "workers/unpack/stage.h"

/* ------------------------------------------------------------------ fixture */

struct fx {
	char root[64];     /* mkdtemp: holds only "stage" */
	char stage[96];
	int dir_fd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/berth-test-stage-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->stage, sizeof(f->stage), "%s/stage", f->root);
	assert_int_equal(mkdir(f->stage, 0700), 0);
	f->dir_fd = open(f->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dir_fd >= 0);
	*state = f;
	return 0;
}

/* Names in dir other than "." and ".."; with unlink_them, each is removed. */
static int count_names(int dir_fd, bool unlink_them)
{
	DIR *d = fdopendir(dup(dir_fd));
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	rewinddir(d); /* the dup shares its offset with dir_fd: start from the top */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlink_them)
			assert_int_equal(unlinkat(dir_fd, de->d_name, 0), 0);
		n++;
	}
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int root_fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Staging makes plain files only; the root holds the staging directory alone. */
	count_names(f->dir_fd, true);
	close(f->dir_fd);
	assert_int_equal(rmdir(f->stage), 0);
	assert_true(root_fd >= 0);
	assert_int_equal(count_names(root_fd, false), 0);
	close(root_fd);
	assert_int_equal(rmdir(f->root), 0);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ building archives */

/* One member: 'f' a file holding data, 'l' a symlink to data, 'h' a hard link to data, 'd' a
 * directory, 'p' a fifo. */
struct member {
	char type;
	const char *path;
	const char *data;
	size_t len;        /* files: 0 for strlen(data) */
};

static size_t member_len(const struct member *m)
{
	if (m->type != 'f')
		return 0;
	return m->len != 0 ? m->len : strlen(m->data);
}

#define ARCHIVE_CAP (4u << 20)

enum comp { PLAIN, GZIP, ZSTD };

struct blob {
	unsigned char *p;
	size_t len;
};

static struct archive_entry *member_entry(const struct member *m)
{
	struct archive_entry *e = archive_entry_new();

	assert_non_null(e);
	archive_entry_set_pathname(e, m->path);
	archive_entry_set_mtime(e, 1600000000, 0);
	archive_entry_set_perm(e, m->type == 'd' ? 0755 : 0644);
	switch (m->type) {
	case 'f':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)member_len(m));
		break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, m->data);
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, m->data);
		break;
	case 'd':
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case 'p':
		archive_entry_set_filetype(e, AE_IFIFO);
		break;
	default:
		fail_msg("unknown member type '%c'", m->type);
	}
	return e;
}

/* The archive of n members, in a pax tar, compressed with c. */
static void build(const struct member *m, size_t n, enum comp c, struct blob *out)
{
	struct archive *a = archive_write_new();
	size_t used = 0;

	assert_non_null(a);
	out->p = malloc(ARCHIVE_CAP);
	assert_non_null(out->p);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (c == GZIP)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else if (c == ZSTD)
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	/* No padding to 10 KiB blocks: small archives stay small. */
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, out->p, ARCHIVE_CAP, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = member_entry(&m[i]);
		size_t len = member_len(&m[i]);

		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len > 0)
			assert_int_equal(archive_write_data(a, m[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	out->len = used;
}

static int memfd_of(const void *data, size_t len)
{
	int fd = memfd_create("archive", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int stage_bytes(struct fx *f, const void *data, size_t len, const struct stage_opts *o,
		       struct stage_result *r, struct berr *e)
{
	int fd = memfd_of(data, len);
	int rc;

	berr_clear(e);
	rc = stage_archive(fd, f->dir_fd, o, r, e);
	close(fd);
	return rc;
}

static const struct stage_opts roomy = { .max_bytes = 1 << 20, .max_files = 64 };

/* Builds and stages the members; must succeed. */
static void stage_ok(struct fx *f, const struct member *m, size_t n, enum comp c,
		     const struct stage_opts *o, struct stage_result *r)
{
	struct blob b;
	struct berr e;

	build(m, n, c, &b);
	if (stage_bytes(f, b.p, b.len, o, r, &e) != 0)
		fail_msg("stage_archive: %s", e.msg);
	free(b.p);
}

/* Builds and stages the members; must fail with want in the message, and leave no table. */
static void stage_refused(struct fx *f, const struct member *m, size_t n,
			  const struct stage_opts *o, const char *want)
{
	struct stage_result r;
	struct blob b;
	struct berr e;

	build(m, n, PLAIN, &b);
	assert_int_equal(stage_bytes(f, b.p, b.len, o, &r, &e), -1);
	free(b.p);
	assert_null(r.entries);
	assert_int_equal(r.n, 0);
	if (strstr(e.msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e.msg);
}

static const struct stage_entry *row(const struct stage_result *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].path, path) == 0)
			return &r->entries[i];
	fail_msg("no row for \"%s\"", path);
	return NULL;
}

static bool has_row(const struct stage_result *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].path, path) == 0)
			return true;
	return false;
}

/* The row for path exists, its staged file holds want, and its size says so. */
static void assert_staged(struct fx *f, const struct stage_result *r, const char *path,
			  const char *want)
{
	const struct stage_entry *x = row(r, path);
	char name[32], buf[256];
	ssize_t n;
	int fd;

	assert_int_equal(x->size, strlen(want));
	snprintf(name, sizeof(name), "f%llu", (unsigned long long)x->file);
	fd = openat(f->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s (for %s) was not staged", name, path);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
}

static void assert_same_file(const struct stage_result *r, const char *a, const char *b)
{
	const struct stage_entry *x = row(r, a), *y = row(r, b);

	assert_int_equal(x->file, y->file);
	assert_int_equal(x->size, y->size);
}

/* ------------------------------------------------------------------ stage_resolve_link */

static void resolves(const char *link, const char *target, const char *want)
{
	char out[STAGE_PATH_MAX + 1];

	memset(out, 'x', sizeof(out));
	if (stage_resolve_link(link, target, out, sizeof(out)) != 0)
		fail_msg("\"%s\" -> \"%s\" refused, want \"%s\"", link, target, want);
	assert_string_equal(out, want);
}

static void refused(const char *link, const char *target)
{
	char out[STAGE_PATH_MAX + 1];

	if (stage_resolve_link(link, target, out, sizeof(out)) == 0)
		fail_msg("\"%s\" -> \"%s\" gave \"%s\", want a refusal", link, target, out);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_resolve_link(void **state)
{
	(void)state;
	resolves("a/b", "../c", "c");
	resolves("a/b", "c", "a/c");
	resolves("b", "c", "c");
	resolves("a/b", "/x/y", "x/y");
	resolves("a/b/c", "../../d/e", "d/e");
	resolves("a/b", "x/../../c", "c");
	resolves("a/b", ".", "a");
	resolves("a/b", "./c/./d", "a/c/d");
	resolves("a/b", "c//d/", "a/c/d");
	resolves("a/b", "//x", "x");
	resolves("a/b", "/./x/..//y", "y");
	/* Hard links are resolved from the root, with "" as the link. */
	resolves("", "x/y", "x/y");

	refused("a/b", "../../x");
	refused("a/b", "x/../../../c");
	refused("a/b", "/../x");
	refused("b", "../x");
	refused("", "..");
	/* The archive root itself is no file. */
	refused("a/b", "..");
	refused("b", ".");
	refused("a/b", "/");
	refused("a/b", "//");
	refused("a/b", "");
}

static void test_resolve_link_lengths(void **state)
{
	char *max = repeat('m', STAGE_PATH_MAX), *over = repeat('o', STAGE_PATH_MAX + 1);
	char *dir = repeat('d', 200), link[256], target[300], want[300], out[8];

	(void)state;
	resolves("l", max, max);
	/* "a/" and 253 bytes: exactly the limit. */
	snprintf(want, sizeof(want), "a/%s", max + 2);
	resolves("a/b", max + 2, want);
	refused("l", over);
	refused("a/b", max + 1);
	refused("a/b", max);
	/* Longer than the limit on the way, back within it at the end. */
	snprintf(link, sizeof(link), "%s/l", dir);
	snprintf(target, sizeof(target), "%s/../c", dir);
	snprintf(want, sizeof(want), "%s/c", dir);
	resolves(link, target, want);
	/* The out buffer bounds the result too. */
	assert_int_equal(stage_resolve_link("a/b", "c", out, 4), 0);
	assert_string_equal(out, "a/c");
	assert_int_equal(stage_resolve_link("a/b", "cd", out, 4), -1);
	assert_int_equal(stage_resolve_link("a/b", "c", out, 0), -1);
	free(max);
	free(over);
	free(dir);
}

/* ------------------------------------------------------------------ stage_archive */

static void test_regular_files(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		{ 'f', "manifest.json", "[{\"Config\":\"c.json\"}]", 0 },
		{ 'd', "abc", NULL, 0 },
		{ 'f', "./abc/layer.tar", "layer bytes", 0 },
		{ 'f', "abc//x/./y", "y", 0 },
		{ 'f', "empty", "", 0 },
	};
	struct stage_result r;

	stage_ok(f, m, ARRAY_SIZE(m), PLAIN, &roomy, &r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.skipped, 0); /* directories are not counted */
	assert_staged(f, &r, "manifest.json", "[{\"Config\":\"c.json\"}]");
	assert_staged(f, &r, "abc/layer.tar", "layer bytes");
	assert_staged(f, &r, "abc/x/y", "y");
	assert_staged(f, &r, "empty", "");
	/* One staged file per regular member, numbered in archive order. */
	assert_int_equal(row(&r, "manifest.json")->file, 0);
	assert_int_equal(row(&r, "empty")->file, 3);
	assert_int_equal(count_names(f->dir_fd, false), 4);
	stage_result_free(&r);
	assert_null(r.entries);
	assert_int_equal(r.n, 0);
}

static void test_link_aliases(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		/* A link may come before what it leads to: links are resolved at the end. */
		{ 'l', "early", "b/layer.tar", 0 },
		{ 'f', "b/layer.tar", "the layer", 0 },
		{ 'l', "a/layer.tar", "../b/layer.tar", 0 },  /* what docker save writes */
		{ 'h', "c/layer.tar", "b/layer.tar", 0 },
		{ 'h', "./d/hard", "/b/layer.tar", 0 },
		{ 'l', "e/abs", "/b/layer.tar", 0 },
		/* Chains: a symlink to a symlink to a hard link. */
		{ 'l', "chain1", "a/layer.tar", 0 },
		{ 'l', "x/chain2", "../chain1", 0 },
		{ 'h', "chain3", "c/layer.tar", 0 },
		{ 'l', "chain4", "x/chain2", 0 },
	};
	struct stage_result r;

	stage_ok(f, m, ARRAY_SIZE(m), PLAIN, &roomy, &r);
	assert_int_equal(r.skipped, 0);
	assert_int_equal(r.n, ARRAY_SIZE(m));
	assert_staged(f, &r, "b/layer.tar", "the layer");
	for (size_t i = 0; i < ARRAY_SIZE(m); i++)
		assert_same_file(&r, "b/layer.tar", i == 4 ? "d/hard" : m[i].path);
	/* Links stage nothing themselves. */
	assert_int_equal(count_names(f->dir_fd, false), 1);
	stage_result_free(&r);
}

static void test_dangling_links(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		{ 'f', "real", "data", 0 },
		{ 'd', "dir", NULL, 0 },
		{ 'l', "missing", "nowhere", 0 },
		{ 'l', "a/out", "../../etc/passwd", 0 },
		{ 'l', "todir", "dir", 0 },
		{ 'l', "toroot", ".", 0 },
		{ 'l', "empty", "", 0 },
		{ 'h', "hmissing", "nowhere", 0 },
		{ 'h', "hout", "../real", 0 },
		{ 'l', "loop1", "loop2", 0 },
		{ 'l', "loop2", "loop1", 0 },
		{ 'l', "self", "self", 0 },
		{ 'l', "ok", "real", 0 },
	};
	struct stage_result r;

	stage_ok(f, m, ARRAY_SIZE(m), PLAIN, &roomy, &r);
	assert_int_equal(r.n, 2);
	assert_same_file(&r, "real", "ok");
	assert_int_equal(r.skipped, ARRAY_SIZE(m) - 3);
	stage_result_free(&r);
}

/* A chain is followed for a few hops only. Each link here comes before the one it leads to,
 * so none is resolved yet when the next is looked at. */
static void test_long_chain(void **state)
{
	struct fx *f = *state;
	struct member m[24];
	char names[24][8];
	struct stage_result r;
	const size_t last = ARRAY_SIZE(m) - 1;

	for (size_t i = 0; i <= last; i++)
		snprintf(names[i], sizeof(names[i]), "l%zu", i);
	m[0] = (struct member){ 'f', names[0], "end", 0 };
	for (size_t i = 1; i <= last; i++)
		m[i] = (struct member){ 'l', names[last + 1 - i], names[last - i], 0 };
	stage_ok(f, m, ARRAY_SIZE(m), PLAIN, &roomy, &r);
	assert_true(has_row(&r, "l1"));
	assert_true(has_row(&r, "l2"));
	assert_false(has_row(&r, names[last]));
	assert_int_equal(r.n + r.skipped, ARRAY_SIZE(m));
	for (size_t i = 0; i < r.n; i++)
		assert_int_equal(r.entries[i].file, 0);
	stage_result_free(&r);
}

static void test_hostile_names(void **state)
{
	struct fx *f = *state;
	char *long_name = repeat('n', STAGE_PATH_MAX + 1), *max_name = repeat('m', STAGE_PATH_MAX);
	const struct member m[] = {
		{ 'f', "../x", "up", 0 },
		{ 'f', "a/../../x", "up2", 0 },
		{ 'f', "a/../b", "inside, but with ..", 0 },
		{ 'f', "..", "dotdot", 0 },
		{ 'f', ".", "root", 0 },
		{ 'f', long_name, "long", 0 },
		{ 'l', "../l", "ok", 0 },
		{ 'h', "../h", "ok", 0 },
		{ 'p', "fifo", NULL, 0 },
		/* A leading "/" goes, as tar takes it off (stage.h: names are normalised). */
		{ 'f', "/abs", "abs", 0 },
		{ 'f', max_name, "max", 0 },
		{ 'f', "ok", "fine", 0 },
	};
	struct stage_result r;

	stage_ok(f, m, ARRAY_SIZE(m), PLAIN, &roomy, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.skipped, 9);
	assert_staged(f, &r, "ok", "fine");
	assert_staged(f, &r, "abs", "abs");
	assert_staged(f, &r, max_name, "max");
	assert_false(has_row(&r, "x"));
	assert_false(has_row(&r, "b"));
	/* Nothing beside the staging directory (checked again by the teardown). */
	assert_int_equal(faccessat(f->dir_fd, "../x", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	stage_result_free(&r);
	free(long_name);
	free(max_name);
}

/* A later entry of a name replaces an earlier one, whatever the types, as tar leaves it. */
static void test_duplicates(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		{ 'f', "m", "first", 0 },
		{ 'f', "other", "other", 0 },
		{ 'f', "./m", "second, longer", 0 },
		/* link, then file */
		{ 'l', "l", "other", 0 },
		{ 'f', "l", "a file now", 0 },
		/* file, then links: the last one counts */
		{ 'f', "manifest.json", "the real one", 0 },
		{ 'l', "manifest.json", "m", 0 },
		{ 'h', "manifest.json", "other", 0 },
		/* file, then a link that leads nowhere: the name leads nowhere */
		{ 'f', "dangling", "was a file", 0 },
		{ 'l', "dangling", "nowhere", 0 },
		/* file, then a directory or a fifo: no file of that name */
		{ 'f', "d", "was a file", 0 },
		{ 'd', "d", NULL, 0 },
		{ 'f', "p", "was a file", 0 },
		{ 'p', "p", NULL, 0 },
	};
	struct stage_result r;

	stage_ok(f, m, ARRAY_SIZE(m), PLAIN, &roomy, &r);
	assert_int_equal(r.n, 4);
	assert_staged(f, &r, "m", "second, longer");
	assert_int_equal(row(&r, "m")->file, 2);
	assert_staged(f, &r, "l", "a file now");
	assert_same_file(&r, "manifest.json", "other");
	assert_false(has_row(&r, "dangling"));
	assert_false(has_row(&r, "d"));
	assert_false(has_row(&r, "p"));
	/* The replaced contents are still staged, unreferenced. */
	assert_int_equal(count_names(f->dir_fd, false), 8);
	stage_result_free(&r);
}

/* The first n_ok members are staged whole under ok (one row each); the first n_over are
 * refused under over, with want in the message. */
static void at_limit(struct fx *f, const struct member *m, size_t n_ok,
		     const struct stage_opts *ok, size_t n_over, const struct stage_opts *over,
		     const char *want)
{
	struct stage_result r;

	stage_ok(f, m, n_ok, PLAIN, ok, &r);
	assert_int_equal(r.n, n_ok);
	stage_result_free(&r);
	count_names(f->dir_fd, true);
	stage_refused(f, m, n_over, over, want);
}

static void test_max_files(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		{ 'f', "a", "1", 0 },
		{ 'l', "la", "a", 0 },   /* links stage no file */
		{ 'f', "b", "2", 0 },
		{ 'f', "c", "3", 0 },
	};
	const struct stage_opts three = { .max_bytes = 100, .max_files = 3 };
	const struct stage_opts two = { .max_bytes = 100, .max_files = 2 };

	at_limit(f, m, ARRAY_SIZE(m), &three, ARRAY_SIZE(m), &two, "more than 2 files");
	/* The third file was refused before it was made. */
	assert_int_equal(count_names(f->dir_fd, false), 2);
}

static void test_max_bytes(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		{ 'f', "a", "12345", 0 },
		{ 'h', "h", "a", 0 },    /* links add no bytes */
		{ 'f', "b", "67890", 0 },
	};
	const struct stage_opts ten = { .max_bytes = 10, .max_files = 8 };
	const struct stage_opts nine = { .max_bytes = 9, .max_files = 8 };

	at_limit(f, m, ARRAY_SIZE(m), &ten, ARRAY_SIZE(m), &nine, "more than 9 bytes");
}

/* Rows are bounded too: links cost no file and no byte, but each is a row. */
static void test_max_rows(void **state)
{
	struct fx *f = *state;
	struct member *m = calloc(STAGE_MAX_ENTRIES + 1, sizeof(*m));
	char (*names)[8] = calloc(STAGE_MAX_ENTRIES + 1, sizeof(*names));

	assert_non_null(m);
	assert_non_null(names);
	m[0] = (struct member){ 'f', "t", "target", 0 };
	for (size_t i = 1; i <= STAGE_MAX_ENTRIES; i++) {
		snprintf(names[i], sizeof(names[i]), "l%zu", i);
		m[i] = (struct member){ 'l', names[i], "t", 0 };
	}
	at_limit(f, m, STAGE_MAX_ENTRIES, &roomy, STAGE_MAX_ENTRIES + 1, &roomy, "more than 512");
	free(m);
	free(names);
}

static void test_bad_limits(void **state)
{
	struct fx *f = *state;
	const struct member m[] = { { 'f', "a", "1", 0 } };
	const struct stage_opts no_bytes = { .max_bytes = 0, .max_files = 8 };
	const struct stage_opts no_files = { .max_bytes = 8, .max_files = 0 };
	const struct stage_opts too_many = { .max_bytes = 8, .max_files = STAGE_MAX_ENTRIES + 1 };

	stage_refused(f, m, 1, &no_bytes, "limits");
	stage_refused(f, m, 1, &no_files, "limits");
	stage_refused(f, m, 1, &too_many, "limits");
}

static void garbage_refused(struct fx *f, const void *data, size_t len, const char *want)
{
	struct stage_result r;
	struct berr e;

	assert_int_equal(stage_bytes(f, data, len, &roomy, &r, &e), -1);
	assert_null(r.entries);
	assert_int_equal(r.n, 0);
	if (e.code != BERR_INVALID)
		fail_msg("code %d: %s", e.code, e.msg);
	if (strstr(e.msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e.msg);
	count_names(f->dir_fd, true); /* staging wants an empty directory */
}

static void test_garbage(void **state)
{
	struct fx *f = *state;
	const struct member m[] = {
		{ 'f', "a", "some content that is long enough to cut", 0 },
		{ 'f', "b", "more", 0 },
	};
	static const char text[] = "[{\"Config\":\"c.json\"}]\n";
	unsigned char noise[4096];
	struct blob b;

	garbage_refused(f, text, strlen(text), "not a tar archive");
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)(i * 7919u >> 3);
	garbage_refused(f, noise, sizeof(noise), "not a tar archive");
	garbage_refused(f, "", 0, "not a tar archive");
	/* A tar cut inside a member's data, and one whose second header is damaged. */
	build(m, ARRAY_SIZE(m), PLAIN, &b);
	garbage_refused(f, b.p, 512 + 20, "archive");
	memset(b.p + 1024 + 100, 'Z', 40);
	garbage_refused(f, b.p, b.len, "malformed archive");
	free(b.p);
	/* A member whose content is a tar, behind a header with a bad checksum: reading on
	 * after the damage would take that content for entries. */
	{
		const struct member inner_m[] = { { 'f', "evil", "x", 0 } };
		struct blob inner;

		build(inner_m, ARRAY_SIZE(inner_m), PLAIN, &inner);
		{
			const struct member outer_m[] = {
				{ 'f', "a", "a", 0 },
				{ 'f', "b", (const char *)inner.p, inner.len },
			};

			build(outer_m, ARRAY_SIZE(outer_m), PLAIN, &b);
		}
		free(inner.p);
		b.p[1024 + 148] ^= 1; /* b's header: checksum */
		garbage_refused(f, b.p, b.len, "malformed archive");
		free(b.p);
	}
	/* Valid gzip of something that is no tar. */
	{
		struct archive *a = archive_write_new();
		unsigned char gz[256];
		size_t used = 0;
		struct archive_entry *e = archive_entry_new();

		assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
		assert_int_equal(archive_write_open_memory(a, gz, sizeof(gz), &used), ARCHIVE_OK);
		archive_entry_set_pathname(e, "x");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)strlen(text));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
		archive_entry_free(e);
		assert_int_equal(archive_write_close(a), ARCHIVE_OK);
		archive_write_free(a);
		garbage_refused(f, gz, used, "not a tar archive");
	}
}

static const struct member docker_save[] = {
	{ 'f', "manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[\"a/layer.tar\"]}]", 0 },
	{ 'f', "c.json", "{\"os\":\"linux\"}", 0 },
	{ 'd', "b", NULL, 0 },
	{ 'f', "b/layer.tar", "layer", 0 },
	{ 'd', "a", NULL, 0 },
	{ 'l', "a/layer.tar", "../b/layer.tar", 0 },
};

static void check_docker_save(struct fx *f, const struct stage_result *r)
{
	assert_int_equal(r->n, 4);
	assert_int_equal(r->skipped, 0);
	assert_staged(f, r, "manifest.json", docker_save[0].data);
	assert_staged(f, r, "c.json", "{\"os\":\"linux\"}");
	assert_staged(f, r, "a/layer.tar", "layer");
	assert_same_file(r, "a/layer.tar", "b/layer.tar");
}

static void test_compressed(void **state)
{
	struct fx *f = *state;
	struct stage_result r;

	stage_ok(f, docker_save, ARRAY_SIZE(docker_save), GZIP, &roomy, &r);
	check_docker_save(f, &r);
	stage_result_free(&r);
	count_names(f->dir_fd, true);
	stage_ok(f, docker_save, ARRAY_SIZE(docker_save), ZSTD, &roomy, &r);
	check_docker_save(f, &r);
	stage_result_free(&r);
}

/* `berth load` without -i reads the archive from a pipe: nothing may need to seek. */
static void test_pipe(void **state)
{
	struct fx *f = *state;
	struct stage_result r;
	struct berr e;
	struct blob b;
	int p[2];

	build(docker_save, ARRAY_SIZE(docker_save), GZIP, &b);
	assert_true(b.len < 65536); /* fits the pipe buffer: written whole before reading */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], b.p, b.len), (ssize_t)b.len);
	close(p[1]);
	free(b.p);
	berr_clear(&e);
	if (stage_archive(p[0], f->dir_fd, &roomy, &r, &e) != 0)
		fail_msg("stage_archive: %s", e.msg);
	close(p[0]);
	check_docker_save(f, &r);
	stage_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_link),
		cmocka_unit_test(test_resolve_link_lengths),
		cmocka_unit_test_setup_teardown(test_regular_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dangling_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
