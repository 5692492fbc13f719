/* libFuzzer harness for image archive staging (workers/unpack/stage.c): the input is an image
 * archive (tar, or tar compressed with gzip, zstd, xz or bzip2, or anything else) read from a
 * memfd and staged with small limits into a fresh directory, alone in a fresh private root;
 * both are then emptied and removed.
 *
 * Besides "no crash, no leak, no UB", it abort()s when:
 *  - the staging directory holds anything but regular files named "f<N>", more of them than
 *    max_files, or more content than max_bytes in all; or the root holds anything but the
 *    staging directory (something was made beside it);
 *  - a successful staging reports a row whose path is empty, absolute, has an empty, "." or
 *    ".." component or is longer than STAGE_PATH_MAX, a path twice, a file that was not
 *    staged, or a size other than that file's; or more rows than STAGE_MAX_ENTRIES;
 *  - its table, sent as berth-unpack sends it (MSG_U_ARCHIVE_REPLY), does not encode, or
 *    does not decode to the same rows;
 *  - a failure does not say why, or leaves a table behind. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"
#include "workers/unpack/stage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_BYTES (256u << 10)
#define FUZZ_MAX_FILES 32

/* Each run: a private root holding only the staging directory "s". */
struct run {
	char root[64];
	char dir[80];
	int dir_fd;
};

static void run_start(struct run *x)
{
	snprintf(x->root, sizeof(x->root), "/tmp/berth-fuzz-stage-XXXXXX");
	if (mkdtemp(x->root) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(x->dir, sizeof(x->dir), "%s/s", x->root);
	if (mkdir(x->dir, 0700) != 0)
		abort();
	x->dir_fd = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dir_fd < 0)
		abort();
}

/* The input as a file at offset 0 (a memfd takes a whole write at once). */
static int input_fd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("archive", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* "f" then a decimal number without leading zeros; its value, or -1. */
static long staged_index(const char *name)
{
	char *end;
	long v;

	if (name[0] != 'f' || name[1] < '0' || name[1] > '9' || (name[1] == '0' && name[2] != '\0'))
		return -1;
	v = strtol(name + 1, &end, 10);
	return *end == '\0' ? v : -1;
}

/* Checks what the staging directory holds, records each file's size (-1: absent) and removes
 * it, then the directory. */
static void check_and_empty(const char *dir, int dir_fd, long long sizes[FUZZ_MAX_FILES])
{
	DIR *d = fdopendir(dup(dir_fd));
	struct dirent *de;
	uint64_t total = 0;
	unsigned files = 0;

	if (d == NULL)
		abort();
	rewinddir(d);
	for (int i = 0; i < FUZZ_MAX_FILES; i++)
		sizes[i] = -1;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		long idx;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		idx = staged_index(de->d_name);
		if (idx < 0 || idx >= FUZZ_MAX_FILES ||
		    fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode)) {
			fprintf(stderr, "fuzz_stage: unexpected '%s' in the staging directory\n",
				de->d_name);
			abort();
		}
		sizes[idx] = st.st_size;
		total += (uint64_t)st.st_size;
		files++;
		if (unlinkat(dir_fd, de->d_name, 0) != 0)
			abort();
	}
	closedir(d);
	if (files > FUZZ_MAX_FILES || total > FUZZ_MAX_BYTES)
		abort();
	if (rmdir(dir) != 0)
		abort();
}

/* With the staging directory gone, the root must be empty: rmdir says so. */
static void run_end(struct run *x)
{
	close(x->dir_fd);
	if (rmdir(x->root) != 0) {
		fprintf(stderr, "fuzz_stage: something was made beside the staging directory in "
			"%s\n", x->root);
		abort();
	}
}

static bool path_ok(const char *p)
{
	size_t len = strnlen(p, STAGE_PATH_MAX + 1);

	if (len == 0 || len > STAGE_PATH_MAX || p[0] == '/' || p[len - 1] == '/')
		return false;
	for (const char *c = p; *c != '\0';) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

static void check_table(const struct stage_result *r, const long long sizes[FUZZ_MAX_FILES])
{
	if (r->n > STAGE_MAX_ENTRIES || (r->n > 0 && r->entries == NULL))
		abort();
	for (size_t i = 0; i < r->n; i++) {
		const struct stage_entry *x = &r->entries[i];

		if (!path_ok(x->path) || x->file >= FUZZ_MAX_FILES || sizes[x->file] < 0 ||
		    (uint64_t)sizes[x->file] != x->size)
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->entries[k].path, x->path) == 0)
				abort();
	}
}

/* The table as berth-unpack's handle_archive sends it must reach the broker as it is. */
static void check_channel(const struct stage_result *r)
{
	struct msg_u_archive_reply reply = { .n_entries = r->n, .skipped = r->skipped };
	const struct msg_u_archive_reply *got;
	struct ipc_msg *m = NULL;
	uint8_t *buf = NULL;
	struct berr e;
	size_t len;

	reply.entries = calloc(r->n + 1, sizeof(*reply.entries));
	if (reply.entries == NULL)
		abort();
	for (size_t i = 0; i < r->n; i++)
		reply.entries[i] = (struct msg_archive_entry){ .path = r->entries[i].path,
							       .file = r->entries[i].file,
							       .size = r->entries[i].size };
	if (ipc_msg_encode(MSG_U_ARCHIVE_REPLY, 1, &reply, &buf, &len, &e) < 0 ||
	    ipc_msg_decode(buf, len, NULL, 0, &m, &e) < 0) {
		fprintf(stderr, "fuzz_stage: the reply does not cross the channel: %s\n", e.msg);
		abort();
	}
	got = m->body;
	if (m->type != MSG_U_ARCHIVE_REPLY || got->n_entries != r->n || got->skipped != r->skipped)
		abort();
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(got->entries[i].path, r->entries[i].path) != 0 ||
		    got->entries[i].file != r->entries[i].file ||
		    got->entries[i].size != r->entries[i].size)
			abort();
	ipc_msg_free(m);
	free(buf);
	free(reply.entries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct stage_opts o = { .max_bytes = FUZZ_MAX_BYTES, .max_files = FUZZ_MAX_FILES };
	struct stage_result r;
	struct berr e = { 0 };
	long long sizes[FUZZ_MAX_FILES];
	struct run x;
	int in, rc;

	in = input_fd(data, size);
	run_start(&x);
	rc = stage_archive(in, x.dir_fd, &o, &r, &e);
	close(in);
	check_and_empty(x.dir, x.dir_fd, sizes);
	if (rc == 0) {
		check_table(&r, sizes);
		check_channel(&r);
		stage_result_free(&r);
	} else if (e.msg[0] == '\0' || r.entries != NULL || r.n != 0) {
		abort(); /* a failure says why and leaves nothing to free */
	}
	run_end(&x);
	return 0;
}
