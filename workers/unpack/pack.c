/* Archive writing for `berth save` (pack.h). libarchive writes the tar headers through our own
 * write callback, so an abandoned archive never gets an end-of-archive trailer: after the first
 * failure the callback refuses every byte, and a reader of the output sees a truncated tar,
 * never a well-formed archive that silently lacks an entry. */
#include "workers/unpack/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/cleanup.h"
#include "ipc/msg.h"

#define PACK_BLOCK (64 * 1024)
#define PACK_NAME_LEN 255
#define SHA256_REF_LEN (7 + 64)

struct pack_session {
	struct archive *a;      /* owned: the tar writer */
	int out_fd;             /* owned: the output the frontend opened */
	int64_t mtime;
	bool failed;            /* the archive is abandoned: the write callback refuses bytes */
	char werr[160];         /* why the output could not be written, for the message */
	unsigned char *buf;     /* owned: PACK_BLOCK bytes for plain copies */
};

/* ---------------------------------------------------------------- names */

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool pack_name_valid(const char *name)
{
	size_t len = strlen(name), comp = 0;
	const char *start = name;

	if (len == 0 || len > PACK_NAME_LEN)
		return false;
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			if (comp == 0)
				return false; /* leading '/', "//" or a trailing '/' */
			if ((comp == 1 && start[0] == '.') ||
			    (comp == 2 && start[0] == '.' && start[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			comp = 0;
			start = p + 1;
			continue;
		}
		if (!name_char_ok(*p))
			return false;
		comp++;
	}
}

/* ---------------------------------------------------------------- the writer */

static la_ssize_t out_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct pack_session *s = arg;
	const unsigned char *p = buf;
	size_t done = 0;

	if (s->failed) {
		archive_set_error(a, ECANCELED, "the archive was abandoned");
		return -1;
	}
	while (done < len) {
		ssize_t n = write(s->out_fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			snprintf(s->werr, sizeof(s->werr), "writing the archive: %s", strerror(err));
			s->failed = true;
			archive_set_error(a, err, "%s", s->werr);
			return -1;
		}
		done += (size_t)n;
	}
	return (la_ssize_t)len;
}

static void session_free(struct pack_session *s)
{
	if (s == NULL)
		return;
	if (s->a != NULL) {
		/* Abandoned: archive_write_free() would close the archive, writing its trailer;
		 * the callback refuses it. */
		s->failed = true;
		archive_write_free(s->a);
	}
	if (s->out_fd >= 0)
		close(s->out_fd);
	free(s->buf);
	free(s);
}

static int fail_archive(struct pack_session *s, struct berr *e, const char *what)
{
	if (s->werr[0] != '\0')
		return berr_set(e, BERR_SYSTEM, 0, "%s", s->werr);
	return berr_set(e, BERR_INTERNAL, 0, "%s: %s", what,
			archive_error_string(s->a) ?: "libarchive failed");
}

static int session_new(int out_fd, int64_t mtime, struct pack_session **out, struct berr *e)
{
	struct pack_session *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		close(out_fd);
		return berr_sys(e, "allocating");
	}
	s->out_fd = out_fd;
	s->mtime = mtime;
	s->buf = malloc(PACK_BLOCK);
	s->a = archive_write_new();
	if (s->buf == NULL || s->a == NULL) {
		session_free(s);
		return berr_sys(e, "allocating");
	}
	/* ustar headers; pax extended ones only for what ustar cannot hold (no name berth makes
	 * needs one). No compression: the output is the tar itself. One 512-byte record at the
	 * end, not a padded 10 KiB block. */
	if (archive_write_set_format_pax_restricted(s->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(s->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(s->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(s->a, s, NULL, out_write, NULL, NULL) != ARCHIVE_OK) {
		fail_archive(s, e, "starting the archive");
		session_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static int write_header(struct pack_session *s, const char *name, mode_t type, uint64_t mode,
			uint64_t size, struct berr *e)
{
	struct archive_entry *ent = archive_entry_new();
	int r;

	if (ent == NULL)
		return berr_sys(e, "allocating");
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, type);
	archive_entry_set_perm(ent, (mode_t)mode);
	archive_entry_set_size(ent, (la_int64_t)size);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_mtime(ent, (time_t)s->mtime, 0);
	r = archive_write_header(s->a, ent);
	archive_entry_free(ent);
	if (r != ARCHIVE_OK)
		return fail_archive(s, e, name);
	return 0;
}

/* ---------------------------------------------------------------- sources */

/* Where an entry's bytes come from: the fd as it is, or its decompressed stream. */
struct source {
	int fd;                 /* not owned */
	struct archive *dec;    /* owned: gzip/zstd/plain reader in the raw format, or NULL */
	unsigned char *buf;     /* not owned: the session's buffer for plain reads */
	bool eof;
};

static int source_open_decompress(struct source *src, struct berr *e)
{
	struct archive_entry *ent;
	int r;

	src->dec = archive_read_new();
	if (src->dec == NULL)
		return berr_sys(e, "allocating a reader");
	/* Built-in gzip and zstd only: ARCHIVE_WARN would mean "through an external program",
	 * a fork + exec the sandbox forbids. Raw format: the decompressed stream is the one
	 * pseudo-entry, whatever it holds (the tar inside is not looked at). */
	if (archive_read_support_filter_gzip(src->dec) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(src->dec) != ARCHIVE_OK)
		return berr_set(e, BERR_UNSUPPORTED, 0,
				"libarchive lacks built-in gzip or zstd support");
	if (archive_read_support_format_raw(src->dec) != ARCHIVE_OK ||
	    archive_read_open_fd(src->dec, src->fd, PACK_BLOCK) != ARCHIVE_OK)
		return berr_set(e, BERR_INVALID, 0, "reading the layer: %s",
				archive_error_string(src->dec) ?: "error");
	/* The fd reader plus at most one decompressor: a layer compressed twice does not have
	 * the diff_id other engines compute. */
	if (archive_filter_count(src->dec) > 2)
		return berr_set(e, BERR_INVALID, 0, "the layer is compressed more than once");
	r = archive_read_next_header(src->dec, &ent);
	if (r == ARCHIVE_EOF)
		src->eof = true;
	else if (r != ARCHIVE_OK)
		return berr_set(e, BERR_INVALID, 0, "decompressing the layer: %s",
				archive_error_string(src->dec) ?: "error");
	return 0;
}

/* The next block of the source. Returns its length, 0 at the end, -1 on failure. */
static ssize_t source_next(struct source *src, const void **data, struct berr *e)
{
	if (src->eof)
		return 0;
	if (src->dec == NULL) {
		for (;;) {
			ssize_t n = read(src->fd, src->buf, PACK_BLOCK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return berr_sys(e, "reading the entry's content");
			src->eof = n == 0;
			*data = src->buf;
			return n;
		}
	}
	for (;;) {
		size_t len = 0;
		la_int64_t off;
		int r = archive_read_data_block(src->dec, data, &len, &off);
		if (r == ARCHIVE_EOF) {
			src->eof = true;
			return 0;
		}
		if (r != ARCHIVE_OK)
			return berr_set(e, BERR_INVALID, 0, "decompressing the layer: %s",
					archive_error_string(src->dec) ?: "error");
		if (len > 0)
			return (ssize_t)len;
	}
}

/* ---------------------------------------------------------------- entries */

static void hex_digest(EVP_MD_CTX *md, char out[SHA256_REF_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, d, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n && i < 32; i++) {
		out[7 + 2 * i] = hex[d[i] >> 4];
		out[8 + 2 * i] = hex[d[i] & 15];
	}
	out[SHA256_REF_LEN] = '\0';
}

/* Copies the source into the entry whose header is written: exactly want bytes, hashed. */
static int copy_content(struct pack_session *s, struct source *src, const char *name,
			uint64_t want, EVP_MD_CTX *md, struct berr *e)
{
	uint64_t done = 0;
	const void *data;
	ssize_t n;

	while ((n = source_next(src, &data, e)) > 0) {
		/* Cut off the moment it runs long: a bomb is never decompressed past want. */
		if ((uint64_t)n > want - done)
			return berr_set(e, BERR_INVALID, 0,
					"%s: the content is longer than the %llu bytes the store "
					"records", name, (unsigned long long)want);
		if (EVP_DigestUpdate(md, data, (size_t)n) != 1)
			return berr_set(e, BERR_INTERNAL, 0, "SHA-256 failed");
		for (size_t off = 0; off < (size_t)n;) {
			la_ssize_t w = archive_write_data(s->a, (const char *)data + off,
							  (size_t)n - off);
			if (w <= 0)
				return fail_archive(s, e, name);
			off += (size_t)w;
		}
		done += (uint64_t)n;
	}
	if (n < 0)
		return berr_wrap(e, "%s", name);
	if (done != want)
		return berr_set(e, BERR_INVALID, 0,
				"%s: the content is %llu bytes, the store records %llu",
				name, (unsigned long long)done, (unsigned long long)want);
	return 0;
}

static int write_file(struct pack_session *s, const struct msg_u_pack_entry *req, int fd,
		      struct msg_u_pack_reply *rep, char digest[SHA256_REF_LEN + 1],
		      struct berr *e)
{
	struct source src = { .fd = fd, .buf = s->buf };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		berr_set(e, BERR_INTERNAL, 0, "cannot set up SHA-256");
		goto out;
	}
	if (req->decompress && source_open_decompress(&src, e) < 0) {
		berr_wrap(e, "%s", req->name);
		goto out;
	}
	if (write_header(s, req->name, AE_IFREG, req->mode, req->size, e) < 0 ||
	    copy_content(s, &src, req->name, req->size, md, e) < 0)
		goto out;
	hex_digest(md, digest);
	if (req->digest != NULL && strcmp(digest, req->digest) != 0) {
		berr_set(e, BERR_INVALID, 0, "%s: the content's digest is %s, expected %s",
			 req->name, digest, req->digest);
		goto out;
	}
	rep->bytes = req->size;
	rep->digest = digest;
	rc = 0;
out:
	if (src.dec != NULL)
		archive_read_free(src.dec);
	EVP_MD_CTX_free(md);
	return rc;
}

static int end_archive(struct pack_session *s, struct msg_u_pack_reply *rep, struct berr *e)
{
	if (archive_write_close(s->a) != ARCHIVE_OK)
		return fail_archive(s, e, "finishing the archive");
	rep->bytes = (uint64_t)archive_filter_bytes(s->a, -1);
	archive_write_free(s->a);
	s->a = NULL;
	return 0;
}

/* The request's shape for its kind. The broker is trusted, but a confused one must not make
 * an archive other tools read differently from what it meant. */
static int check_entry(const struct msg_u_pack_entry *req, int nfds, struct berr *e)
{
	bool file = req->kind == PACK_FILE, dir = req->kind == PACK_DIR;

	if (req->kind < PACK_FILE)
		return berr_set(e, BERR_PROTOCOL, 0, "pack entry of unknown kind");
	if (nfds != (file ? 1 : 0))
		return berr_set(e, BERR_PROTOCOL, 0, "pack entry with %d fds", nfds);
	if ((file || dir) != (req->name != NULL))
		return berr_set(e, BERR_PROTOCOL, 0, "pack entry name missing or unexpected");
	if (req->name != NULL && !pack_name_valid(req->name))
		return berr_set(e, BERR_PROTOCOL, 0, "pack entry name \"%s\" refused", req->name);
	if (!file && (req->size != 0 || req->decompress || req->digest != NULL))
		return berr_set(e, BERR_PROTOCOL, 0, "pack entry fields for a file on another kind");
	if (req->digest != NULL &&
	    (strncmp(req->digest, "sha256:", 7) != 0 || !ipc_digest_valid(req->digest)))
		return berr_set(e, BERR_PROTOCOL, 0, "pack entry digest is not sha256");
	return 0;
}

/* ---------------------------------------------------------------- handlers */

int pack_handle_begin(struct pack_slot *slot, struct ipc_chan *ch, struct ipc_msg *m,
		      struct berr *e)
{
	const struct msg_u_pack *req = m->body;
	struct msg_u_pack_reply rep = { .digest = (char *)"" };

	if (slot->begun)
		return berr_set(e, BERR_PROTOCOL, 0, "a second archive request");
	slot->begun = true;
	if (m->nfds != 1 || m->fds[0] < 0)
		return berr_set(e, BERR_PROTOCOL, 0, "the archive request carries no output");
	/* A reader that goes away (`berth save | head`) is a write error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if (session_new(TAKE_FD(m->fds[0]), req->mtime, &slot->session, e) < 0)
		return -1;
	return ipc_send(ch, MSG_U_PACK_REPLY, m->id, &rep, NULL, 0, e);
}

int pack_handle_entry(struct pack_slot *slot, struct ipc_chan *ch, struct ipc_msg *m,
		      struct berr *e)
{
	const struct msg_u_pack_entry *req = m->body;
	struct msg_u_pack_reply rep = { .digest = (char *)"" };
	char digest[SHA256_REF_LEN + 1];
	cleanup_close int fd = m->nfds > 0 ? TAKE_FD(m->fds[0]) : -1;
	int r;

	if (slot->session == NULL)
		return berr_set(e, BERR_PROTOCOL, 0, slot->begun ? "an entry after the archive ended"
								 : "an entry before the archive");
	if (check_entry(req, (int)m->nfds, e) < 0)
		return -1;
	switch (req->kind) {
	case PACK_FILE:
		r = write_file(slot->session, req, fd, &rep, digest, e);
		break;
	case PACK_DIR:
		r = write_header(slot->session, req->name, AE_IFDIR, req->mode, 0, e);
		break;
	default:
		r = end_archive(slot->session, &rep, e);
		session_free(TAKE_PTR(slot->session));
		break;
	}
	if (r < 0) {
		/* One failed entry spoils the archive: nothing more is written to it. */
		session_free(TAKE_PTR(slot->session));
		return -1;
	}
	return ipc_send(ch, MSG_U_PACK_REPLY, m->id, &rep, NULL, 0, e);
}
