/* libFuzzer harness for layer extraction (workers/unpack/extract.c): the input is a layer blob
 * (tar, tar+gzip, tar+zstd, or anything else), extracted rootless with small limits into a
 * fresh directory beneath a private base directory, which is then removed.
 *
 * Besides "no crash, no leak, no UB", it abort()s when:
 *  - after the layer directory is removed, the base directory is not empty: the extraction made
 *    something beside its layer directory ("../x", a symlink followed to "..");
 *  - a successful extraction reports a diff_id that is not "sha256:" + 64 hex digits, or more
 *    bytes or entries than its limits allow.
 * Absolute escapes ("/tmp/x" through a symlink) are what RESOLVE_BENEATH refuses in the same
 * code path; the unit tests check them against a sentinel directory.
 *
 * Run it as root (owners and whiteout device nodes are then really made); as another user the
 * same paths run and chown failures are merely counted. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "common/err.h"
#include "workers/unpack/extract.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_BYTES (1u << 20)
#define FUZZ_MAX_ENTRIES 256

static char base[64];

static void remove_base(void)
{
	if (base[0] != '\0')
		rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(base, sizeof(base), "/tmp/berth-fuzz-unpack-XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(remove_base);
	return 0;
}

/* First pass: make every directory traversable and writable for its owner, so the removal
 * works whatever modes the layer set (for a non-root run; root ignores them anyway). */
static int unlock_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && S_ISDIR(st->st_mode))
		chmod(p, 0700);
	return 0;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(p) < 0) {
		fprintf(stderr, "fuzz_unpack: cannot remove %s: %s\n", p, strerror(errno));
		abort();
	}
	return 0;
}

static void assert_base_empty(void)
{
	DIR *d = opendir(base);
	struct dirent *de;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		fprintf(stderr, "fuzz_unpack: '%s' was created beside the layer directory\n",
			de->d_name);
		abort();
	}
	closedir(d);
}

static bool diff_id_ok(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != UNPACK_DIFF_ID_LEN)
		return false;
	for (const char *p = s + 7; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct unpack_opts o = {
		.rootless = true,
		.max_bytes = FUZZ_MAX_BYTES,
		.max_entries = FUZZ_MAX_ENTRIES,
	};
	struct unpack_result r;
	struct berr e = { 0 };
	char layer[96];
	int blob, dir, rc;

	blob = memfd_create("layer", MFD_CLOEXEC);
	if (blob < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(blob, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(blob, 0, SEEK_SET) != 0)
		abort();
	snprintf(layer, sizeof(layer), "%s/l-XXXXXX", base);
	if (mkdtemp(layer) == NULL)
		abort();
	dir = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		abort();

	rc = unpack_layer(blob, dir, &o, &r, &e);
	if (rc == 0 && (!diff_id_ok(r.diff_id) || r.bytes > o.max_bytes ||
			r.entries > o.max_entries))
		abort();
	if (rc < 0 && e.msg[0] == '\0')
		abort(); /* a failure always says why */

	close(dir);
	close(blob);
	nftw(layer, unlock_one, 16, FTW_PHYS);
	if (nftw(layer, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		abort();
	assert_base_empty();
	return 0;
}
