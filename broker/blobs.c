#include "broker/blobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/path.h"
#include "ipc/msg.h"

static int blob_path(const char *root, const char *digest, char *out, size_t len,
		     struct berr *e)
{
	/* The digest is checked for syntax before it becomes a path component. */
	if (!ipc_digest_valid(digest))
		return berr_set(e, BERR_INVALID, 0, "invalid digest");
	const char *colon = strchr(digest, ':');
	if (snprintf(out, len, "%s/blobs/%.*s/%s", root, (int)(colon - digest), digest,
		     colon + 1) >= (int)len)
		return berr_set(e, BERR_INVALID, 0, "store path too long");
	return 0;
}

int blobs_init(const char *root, struct berr *e)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/blobs/sha256", root);
	if (mkdir_p(p, 0700, e) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/blobs/sha512", root);
	return mkdir_p(p, 0700, e);
}

int blobs_tmpfile(const char *root, struct berr *e)
{
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "%s/blobs/sha256", root);
	fd = open(p, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_sys(e, "creating a temporary file in %s", p);
	return fd;
}

static int hash_fd(int fd, const EVP_MD *md, unsigned char *out, unsigned *outlen,
		   uint64_t *size, struct berr *e)
{
	unsigned char buf[128 * 1024];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t off = 0;
	int rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		berr_set(e, BERR_INTERNAL, 0, "cannot start a digest");
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			berr_sys(e, "reading a blob");
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			berr_set(e, BERR_INTERNAL, 0, "digest update failed");
			goto out;
		}
		off += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(ctx, out, outlen) != 1) {
		berr_set(e, BERR_INTERNAL, 0, "digest failed");
		goto out;
	}
	if (size != NULL)
		*size = off;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static void to_hex(const unsigned char *in, unsigned n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int blobs_sha256_fd(int fd, char out[72], uint64_t *size, struct berr *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (hash_fd(fd, EVP_sha256(), md, &n, size, e) < 0)
		return -1;
	memcpy(out, "sha256:", 7);
	to_hex(md, n, out + 7);
	return 0;
}

int blobs_verify_fd(int fd, const char *want, uint64_t *size, struct berr *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char got[7 + 2 * EVP_MAX_MD_SIZE + 1];
	unsigned n = 0;
	const EVP_MD *alg;

	if (!ipc_digest_valid(want))
		return berr_set(e, BERR_INVALID, 0, "invalid digest");
	alg = strncmp(want, "sha512:", 7) == 0 ? EVP_sha512() : EVP_sha256();
	if (hash_fd(fd, alg, md, &n, size, e) < 0)
		return -1;
	memcpy(got, want, 7);
	to_hex(md, n, got + 7);
	/* Constant time: the comparison says nothing about how much of a forged digest matched. */
	if (strlen(got) != strlen(want) || CRYPTO_memcmp(got, want, strlen(want)) != 0)
		return berr_set(e, BERR_INVALID, 0, "digest mismatch: expected %s, the content has %s",
				want, got);
	return 0;
}

int blobs_commit(const char *root, int fd, const char *digest, struct berr *e)
{
	char path[4300], proc[64];

	if (blob_path(root, digest, path, sizeof(path), e) < 0)
		return -1;
	if (fsync(fd) < 0)
		return berr_sys(e, "syncing blob %s", digest);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* linkat through /proc gives an O_TMPFILE file its name without CAP_DAC_READ_SEARCH. */
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
		return berr_sys(e, "storing blob %s", digest);
	return 0;
}

int blobs_open(const char *root, const char *digest, struct berr *e)
{
	char path[4300];
	int fd;

	if (blob_path(root, digest, path, sizeof(path), e) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return berr_set(e, BERR_NOTFOUND, ENOENT, "blob %s is not in the store",
					digest);
		return berr_sys(e, "opening blob %s", digest);
	}
	return fd;
}

bool blobs_exists(const char *root, const char *digest)
{
	char path[4300];
	struct stat st;

	return blob_path(root, digest, path, sizeof(path), NULL) == 0 && lstat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

int blobs_remove(const char *root, const char *digest, struct berr *e)
{
	char path[4300];

	if (blob_path(root, digest, path, sizeof(path), e) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_sys(e, "removing blob %s", digest);
	return 0;
}
