#include "workers/unpack/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "workers/unpack/extract.h"

#define READ_BLOCK (64 * 1024)
#define MAX_HEADERS 100000u        /* every entry, skipped ones included */
#define MAX_LINK_HOPS 8

struct link {
	char path[STAGE_PATH_MAX + 1];
	char target[STAGE_PATH_MAX + 1]; /* resolved, normalised */
};

struct stager {
	struct stage_result *r;
	struct link *links;
	size_t n_links;
	uint64_t files;
	uint64_t bytes;
};

void stage_result_free(struct stage_result *r)
{
	free(r->entries);
	r->entries = NULL;
	r->n = 0;
}

int stage_resolve_link(const char *link_path, const char *target, char *out, size_t outlen)
{
	char buf[2 * (STAGE_PATH_MAX + 1) + 2];
	size_t len = 0, n;
	const char *p;

	if (target[0] == '\0' || outlen == 0)
		return -1;
	buf[0] = '\0';
	if (target[0] != '/') {
		const char *slash = strrchr(link_path, '/');
		if (slash != NULL) {
			n = (size_t)(slash - link_path);
			if (n >= sizeof(buf))
				return -1;
			memcpy(buf, link_path, n);
			len = n;
		}
	}
	/* Components are pushed onto buf; ".." pops one, and popping past the root fails. */
	for (p = target; *p != '\0';) {
		const char *end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return -1;
			while (len > 0 && buf[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash */
		} else {
			if (len + 1 + n + 1 > sizeof(buf))
				return -1;
			if (len > 0)
				buf[len++] = '/';
			memcpy(buf + len, p, n);
			len += n;
		}
		p = *end == '/' ? end + 1 : end;
	}
	buf[len] = '\0';
	if (len == 0 || len >= outlen || len > STAGE_PATH_MAX)
		return -1;
	memcpy(out, buf, len + 1);
	return 0;
}

static struct stage_entry *find_entry(struct stage_result *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].path, path) == 0)
			return &r->entries[i];
	return NULL;
}

/* Adds or replaces the row for path. */
static int put_entry(struct stage_result *r, const char *path, uint64_t file, uint64_t size,
		     struct berr *e)
{
	struct stage_entry *x = find_entry(r, path);

	if (x == NULL) {
		if (r->n >= STAGE_MAX_ENTRIES)
			return berr_set(e, BERR_INVALID, 0, "the archive has more than %d files",
					STAGE_MAX_ENTRIES);
		x = &r->entries[r->n++];
		snprintf(x->path, sizeof(x->path), "%s", path);
	}
	x->file = file;
	x->size = size;
	return 0;
}

static int copy_data(struct archive *in, int fd, struct stager *s, const struct stage_opts *o,
		     uint64_t *size, struct berr *e)
{
	char buf[READ_BLOCK];

	*size = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(in, buf, sizeof(buf));
		if (n < 0)
			return berr_set(e, BERR_INVALID, 0, "reading the archive: %s",
					archive_error_string(in) ?: "error");
		if (n == 0)
			return 0;
		s->bytes += (uint64_t)n;
		if (s->bytes > o->max_bytes)
			return berr_set(e, BERR_INVALID, 0, "the archive holds more than %llu bytes",
					(unsigned long long)o->max_bytes);
		for (la_ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return berr_sys(e, "writing a staged file");
			}
			off += w;
		}
		*size += (uint64_t)n;
	}
}

static int stage_file(struct archive *in, int dir_fd, const char *path, struct stager *s,
		      const struct stage_opts *o, struct berr *e)
{
	char name[32];
	cleanup_close int fd = -1;
	uint64_t size;

	if (s->files >= o->max_files)
		return berr_set(e, BERR_INVALID, 0, "the archive has more than %llu files",
				(unsigned long long)o->max_files);
	snprintf(name, sizeof(name), "f%llu", (unsigned long long)s->files);
	fd = unpack_open_beneath(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_sys(e, "creating a staged file");
	if (copy_data(in, fd, s, o, &size, e) < 0)
		return -1;
	if (put_entry(s->r, path, s->files, size, e) < 0)
		return -1;
	s->files++;
	return 0;
}

static int add_link(struct stager *s, const char *path, const char *target, struct berr *e)
{
	struct link *l;

	if (s->n_links >= STAGE_MAX_ENTRIES)
		return berr_set(e, BERR_INVALID, 0, "the archive has more than %d links",
				STAGE_MAX_ENTRIES);
	l = &s->links[s->n_links++];
	snprintf(l->path, sizeof(l->path), "%s", path);
	snprintf(l->target, sizeof(l->target), "%s", target);
	return 0;
}

/* A later entry of a name replaces an earlier one, whatever the types of either (stage.h):
 * the earlier file's row or link goes before the new entry is looked at. Rows and links thus
 * never share a path. */
static void drop_name(struct stager *s, const char *path)
{
	struct stage_entry *x = find_entry(s->r, path);

	if (x != NULL) {
		if (x != &s->r->entries[s->r->n - 1])
			*x = s->r->entries[s->r->n - 1];
		s->r->n--;
	}
	for (size_t i = 0; i < s->n_links; i++) {
		if (strcmp(s->links[i].path, path) != 0)
			continue;
		if (i != s->n_links - 1)
			s->links[i] = s->links[s->n_links - 1];
		s->n_links--;
		break;
	}
}

/* Links become rows of the file they lead to, through at most MAX_LINK_HOPS other links. */
static int resolve_links(struct stager *s, struct berr *e)
{
	for (size_t i = 0; i < s->n_links; i++) {
		const char *t = s->links[i].target;
		struct stage_entry *x = NULL;

		for (int hop = 0; hop < MAX_LINK_HOPS && x == NULL && t != NULL; hop++) {
			const char *next = NULL;
			/* A later link of the same name as a file wins over the file and the
			 * reverse: the table keeps whichever the archive wrote last, so a link
			 * shadowed by a file is simply that file. */
			x = find_entry(s->r, t);
			if (x != NULL)
				break;
			for (size_t k = 0; k < s->n_links; k++)
				if (strcmp(s->links[k].path, t) == 0)
					next = s->links[k].target;
			t = next;
		}
		if (x == NULL) {
			s->r->skipped++;
			continue;
		}
		if (find_entry(s->r, s->links[i].path) != NULL)
			continue; /* never (drop_name); one row per path whatever happens */
		if (put_entry(s->r, s->links[i].path, x->file, x->size, e) < 0)
			return -1;
	}
	return 0;
}

/* Registers a decompressor only if libarchive has it built in: a program-based one would
 * need exec, which the sandbox refuses. */
static void add_filter(struct archive *a, int (*fn)(struct archive *))
{
	struct archive *probe = archive_read_new();

	if (probe == NULL)
		return;
	if (fn(probe) == ARCHIVE_OK)
		(void)fn(a);
	archive_read_free(probe);
}

static int open_reader(struct archive **out, int in_fd, struct berr *e)
{
	struct archive *a = archive_read_new();

	*out = a;
	if (a == NULL)
		return berr_sys(e, "allocating a reader");
	add_filter(a, archive_read_support_filter_gzip);
	add_filter(a, archive_read_support_filter_zstd);
	add_filter(a, archive_read_support_filter_xz);
	add_filter(a, archive_read_support_filter_bzip2);
	if (archive_read_support_format_tar(a) != ARCHIVE_OK)
		return berr_set(e, BERR_INTERNAL, 0, "libarchive: no tar support");
	if (archive_read_open_fd(a, in_fd, READ_BLOCK) != ARCHIVE_OK)
		return berr_set(e, BERR_INVALID, 0, "the input is not a tar archive: %s",
				archive_error_string(a) ?: "error");
	return 0;
}

static int one_entry(struct archive *in, struct archive_entry *ent, int dir_fd,
		     struct stager *s, const struct stage_opts *o, struct berr *e)
{
	char path[STAGE_PATH_MAX + 1], target[STAGE_PATH_MAX + 1];
	const char *name = archive_entry_pathname(ent);
	const char *hl = archive_entry_hardlink(ent);
	mode_t type = archive_entry_filetype(ent);

	if (name == NULL || unpack_path_normalise(name, path, sizeof(path)) < 0 || path[0] == '\0') {
		s->r->skipped++;
		return 0;
	}
	drop_name(s, path);
	if (hl != NULL) {
		char t[STAGE_PATH_MAX + 1];
		/* Hard link targets are named from the archive root. */
		if (unpack_path_normalise(hl, t, sizeof(t)) < 0 || t[0] == '\0' ||
		    stage_resolve_link("", t, target, sizeof(target)) < 0) {
			s->r->skipped++;
			return 0;
		}
		return add_link(s, path, target, e);
	}
	if (type == AE_IFLNK) {
		const char *sl = archive_entry_symlink(ent);
		if (sl == NULL || stage_resolve_link(path, sl, target, sizeof(target)) < 0) {
			s->r->skipped++;
			return 0;
		}
		return add_link(s, path, target, e);
	}
	if (type == AE_IFREG)
		return stage_file(in, dir_fd, path, s, o, e);
	if (type != AE_IFDIR)
		s->r->skipped++;
	return 0;
}

int stage_archive(int in_fd, int dir_fd, const struct stage_opts *o, struct stage_result *r,
		  struct berr *e)
{
	struct stager s = { .r = r };
	struct archive *in = NULL;
	uint64_t headers = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (o->max_bytes == 0 || o->max_files == 0 || o->max_files > STAGE_MAX_ENTRIES)
		return berr_set(e, BERR_INVALID, 0, "archive limits must be set");
	r->entries = calloc(STAGE_MAX_ENTRIES, sizeof(*r->entries));
	s.links = calloc(STAGE_MAX_ENTRIES, sizeof(*s.links));
	if (r->entries == NULL || s.links == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	if (open_reader(&in, in_fd, e) < 0)
		goto out;
	for (;;) {
		struct archive_entry *ent;
		int ar = archive_read_next_header(in, &ent);

		if (ar == ARCHIVE_EOF)
			break;
		/* ARCHIVE_RETRY is a damaged header (bad checksum): libarchive would go on to read
		 * the next blocks as headers, so a member's content could pass for entries. */
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			berr_set(e, BERR_INVALID, 0, "%s: %s",
				 headers == 0 ? "the input is not a tar archive" : "malformed archive",
				 archive_error_string(in) ?: "error");
			goto out;
		}
		if (++headers > MAX_HEADERS) {
			berr_set(e, BERR_INVALID, 0, "the archive has more than %u entries",
				 MAX_HEADERS);
			goto out;
		}
		if (one_entry(in, ent, dir_fd, &s, o, e) < 0)
			goto out;
	}
	if (resolve_links(&s, e) < 0)
		goto out;
	rc = 0;
out:
	if (in != NULL)
		archive_read_free(in);
	free(s.links);
	if (rc < 0)
		stage_result_free(r);
	return rc;
}
