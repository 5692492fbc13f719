/* Unit tests for workers/unpack/pack.c, the archive writer of `berth save`: its handlers are
 * driven with real messages (encoded, decoded with their fds), their replies read from the other
 * end of a socketpair, and the archive they write read back with libarchive. Layers are made
 * here with libarchive's writer (raw format, gzip or zstd or none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "common/cleanup.h"
#include "ipc/channel.h"
#include "workers/unpack/pack.h"

struct fx {
	struct ipc_chan *worker;   /* the handlers' end */
	struct ipc_chan *broker;   /* where their replies arrive */
	struct pack_slot slot;
	int out;                   /* the archive (a memfd); the handlers get a dup */
	uint64_t id;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct berr e;
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	f->worker = ipc_chan_new(sv[0], IPC_MAX_MSG_WORKER, "test-worker", &e);
	f->broker = ipc_chan_new(sv[1], IPC_MAX_MSG_WORKER, "test-broker", &e);
	assert_non_null(f->worker);
	assert_non_null(f->broker);
	f->out = memfd_create("pack-out", MFD_CLOEXEC);
	assert_true(f->out >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* An abandoned or unfinished archive is the handlers' to free; the tests end each one. */
	assert_null(f->slot.session);
	ipc_chan_free(f->worker);
	ipc_chan_free(f->broker);
	close(f->out);
	free(f);
	return 0;
}

/* Runs one request through a handler. Returns the handler's result; with 0, *rep gets the
 * reply (the caller frees it). */
static int call(struct fx *f, uint32_t type, const void *body, int fd, struct msg_u_pack_reply *rep,
		struct berr *e)
{
	cleanup_free uint8_t *buf = NULL;
	struct ipc_msg *m = NULL, *r = NULL;
	int fds[1] = { fd >= 0 ? dup(fd) : -1 };
	size_t len;
	int rc;

	assert_int_equal(ipc_msg_encode(type, ++f->id, body, &buf, &len, e), 0);
	assert_int_equal(ipc_msg_decode(buf, len, fds, fd >= 0 ? 1 : 0, &m, e), 0);
	rc = type == MSG_U_PACK ? pack_handle_begin(&f->slot, f->worker, m, e)
				: pack_handle_entry(&f->slot, f->worker, m, e);
	ipc_msg_free(m);
	if (rc < 0)
		return rc;
	assert_int_equal(ipc_recv(f->broker, &r, e), 0);
	assert_int_equal(r->type, MSG_U_PACK_REPLY);
	assert_int_equal(r->id, f->id);
	*rep = *(struct msg_u_pack_reply *)r->body;
	memset(r->body, 0, sizeof(*rep));
	ipc_msg_free(r);
	return 0;
}

static void begin(struct fx *f)
{
	struct msg_u_pack req = { .mtime = 1700000000 };
	struct msg_u_pack_reply rep;
	struct berr e;

	assert_int_equal(call(f, MSG_U_PACK, &req, f->out, &rep, &e), 0);
	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
}

static int entry(struct fx *f, uint64_t kind, const char *name, int fd, uint64_t size,
		 bool decompress, const char *digest, struct msg_u_pack_reply *rep, struct berr *e)
{
	struct msg_u_pack_entry req = {
		.kind = kind, .name = (char *)name, .mode = kind == PACK_DIR ? 0755 : 0444,
		.size = size, .decompress = decompress, .digest = (char *)digest,
	};
	struct msg_u_pack_reply tmp;

	/* As the broker does: every source is read from its start. */
	if (fd >= 0)
		assert_true(lseek(fd, 0, SEEK_SET) == 0);
	memset(e, 0, sizeof(*e));
	return call(f, MSG_U_PACK_ENTRY, &req, fd, rep != NULL ? rep : &tmp, e) < 0
		       ? -1
		       : (rep == NULL ? (ipc_struct_free(&msg_u_pack_reply_schema, &tmp), 0) : 0);
}

static void sha256_ref(const void *buf, size_t len, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(buf, len, d, &n, EVP_sha256(), NULL), 1);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[d[i] >> 4];
		out[8 + 2 * i] = hex[d[i] & 15];
	}
	out[71] = '\0';
}

static int memfd_with(const void *buf, size_t len)
{
	int fd = memfd_create("pack-src", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* buf compressed with filter (ARCHIVE_FILTER_GZIP, _ZSTD) into a memfd. */
static int compressed(const void *buf, size_t len, int filter)
{
	size_t cap = len + 65536, used = 0;
	cleanup_free char *out = malloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();

	assert_non_null(out);
	assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_pathname(ent, "raw");
	assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, buf, len), (la_ssize_t)len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(ent);
	return memfd_with(out, used);
}

/* A layer-like stream: a pseudo-random but fixed pattern, not very compressible. */
static char *pattern(size_t len)
{
	char *p = malloc(len);
	uint32_t x = 12345;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (char)(x >> 16);
	}
	return p;
}

/* ------------------------------------------------------------------ names */

static void test_names(void **state)
{
	static const char *good[] = { "manifest.json", "blobs", "blobs/sha256", "a.b-c_d/E9",
				      "blobs/sha256/0123456789abcdef", "..a", "a..", ".hidden" };
	static const char *bad[] = { "", "/abs", "a//b", "a/", "/", ".", "..", "a/../b",
				     "a/./b", "../x", "x/..", "sp ace", "back\\slash", "nl\n",
				     "colon:", "\xc3\xa9" };
	char longest[300];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!pack_name_valid(good[i]))
			fail_msg("refused \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pack_name_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	memset(longest, 'a', sizeof(longest));
	longest[255] = '\0';
	assert_true(pack_name_valid(longest));
	longest[255] = 'a';
	longest[256] = '\0';
	assert_false(pack_name_valid(longest));
}

/* ------------------------------------------------------------------ archives */

struct seen {
	char name[64];
	mode_t type;
	mode_t perm;
	int64_t size;
	time_t mtime;
	int64_t uid, gid;
	char digest[72];
};

/* Reads the whole archive in f->out; returns the number of entries (at most max), -1 when the
 * archive does not end properly. */
static int read_back(struct fx *f, struct seen *s, int max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	int n = 0, r;

	assert_int_equal(lseek(f->out, 0, SEEK_SET), 0);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_fd(a, f->out, 10240), ARCHIVE_OK);
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK && n < max) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned char d[32];
		unsigned int dn = 0;
		char buf[8192];
		la_ssize_t got;

		snprintf(s[n].name, sizeof(s[n].name), "%s", archive_entry_pathname(ent));
		s[n].type = archive_entry_filetype(ent);
		s[n].perm = archive_entry_perm(ent);
		s[n].size = archive_entry_size(ent);
		s[n].mtime = archive_entry_mtime(ent);
		s[n].uid = archive_entry_uid(ent);
		s[n].gid = archive_entry_gid(ent);
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		while ((got = archive_read_data(a, buf, sizeof(buf))) > 0)
			EVP_DigestUpdate(md, buf, (size_t)got);
		EVP_DigestFinal_ex(md, d, &dn);
		EVP_MD_CTX_free(md);
		static const char hex[] = "0123456789abcdef";
		memcpy(s[n].digest, "sha256:", 7);
		for (int i = 0; i < 32; i++) {
			s[n].digest[7 + 2 * i] = hex[d[i] >> 4];
			s[n].digest[8 + 2 * i] = hex[d[i] & 15];
		}
		s[n].digest[71] = '\0';
		n++;
	}
	archive_read_free(a);
	return r == ARCHIVE_EOF ? n : -1;
}

/* True if the archive ends with its two zero records. */
static bool has_trailer(struct fx *f)
{
	off_t end = lseek(f->out, 0, SEEK_END);
	char buf[1024];

	if (end < 1024 || pread(f->out, buf, sizeof(buf), end - 1024) != 1024)
		return false;
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0)
			return false;
	return true;
}

static void test_docker_like_archive(void **state)
{
	struct fx *f = *state;
	const size_t len = 300000;
	cleanup_free char *layer = pattern(len);
	static const char cfg[] = "{\"architecture\":\"amd64\"}";
	char layer_digest[72], cfg_digest[72];
	struct msg_u_pack_reply rep;
	struct berr e;
	int gz = compressed(layer, len, ARCHIVE_FILTER_GZIP);
	int zst = compressed(layer, len / 2, ARCHIVE_FILTER_ZSTD);
	int plain = memfd_with(layer, len / 3);
	int cfd = memfd_with(cfg, strlen(cfg));
	char half[72], third[72];

	sha256_ref(layer, len, layer_digest);
	sha256_ref(layer, len / 2, half);
	sha256_ref(layer, len / 3, third);
	sha256_ref(cfg, strlen(cfg), cfg_digest);
	begin(f);
	/* gzip, zstd and an uncompressed layer, each decompressed and checked. */
	assert_int_equal(entry(f, PACK_FILE, "a.tar", gz, len, true, layer_digest, &rep, &e), 0);
	assert_int_equal(rep.bytes, len);
	assert_string_equal(rep.digest, layer_digest);
	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	assert_int_equal(entry(f, PACK_FILE, "b.tar", zst, len / 2, true, half, NULL, &e), 0);
	assert_int_equal(entry(f, PACK_FILE, "c.tar", plain, len / 3, true, third, NULL, &e), 0);
	/* A blob copied as it is. */
	assert_int_equal(entry(f, PACK_FILE, "cfg.json", cfd, strlen(cfg), false, cfg_digest, &rep,
			       &e), 0);
	assert_string_equal(rep.digest, cfg_digest);
	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	/* Without a digest: only the size is held to. */
	assert_int_equal(entry(f, PACK_FILE, "d/raw", gz, 0, false, NULL, NULL, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "longer than the 0 bytes"));
	/* That failure abandoned the archive: nothing more is accepted, and it has no end. */
	assert_null(f->slot.session);
	assert_int_equal(entry(f, PACK_END, NULL, -1, 0, false, NULL, NULL, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
	assert_false(has_trailer(f));
	close(gz);
	close(zst);
	close(plain);
	close(cfd);
}

static void test_complete_archive(void **state)
{
	struct fx *f = *state;
	static const char text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cleanup_free char *layer = pattern(70000);
	char td[72], ld[72];
	struct msg_u_pack_reply rep;
	struct seen s[8];
	struct berr e;
	int tfd = memfd_with(text, strlen(text));
	int gz = compressed(layer, 70000, ARCHIVE_FILTER_GZIP);

	sha256_ref(text, strlen(text), td);
	sha256_ref(layer, 70000, ld);
	begin(f);
	assert_int_equal(entry(f, PACK_FILE, "oci-layout", tfd, strlen(text), false, NULL, NULL,
			       &e), 0);
	assert_int_equal(entry(f, PACK_DIR, "blobs", -1, 0, false, NULL, NULL, &e), 0);
	assert_int_equal(entry(f, PACK_FILE, "blobs/l.tar", gz, 70000, true, ld, NULL, &e), 0);
	assert_int_equal(entry(f, PACK_END, NULL, -1, 0, false, NULL, &rep, &e), 0);
	assert_int_equal(rep.bytes, (uint64_t)lseek(f->out, 0, SEEK_END));
	assert_int_equal(rep.bytes % 512, 0);
	ipc_struct_free(&msg_u_pack_reply_schema, &rep);
	assert_null(f->slot.session);
	assert_true(has_trailer(f));
	assert_int_equal(read_back(f, s, 8), 3);
	assert_string_equal(s[0].name, "oci-layout");
	assert_int_equal(s[0].type, AE_IFREG);
	assert_int_equal(s[0].perm, 0444);
	assert_int_equal(s[0].size, (int64_t)strlen(text));
	assert_int_equal(s[0].mtime, 1700000000);
	assert_int_equal(s[0].uid, 0);
	assert_int_equal(s[0].gid, 0);
	assert_string_equal(s[0].digest, td);
	assert_string_equal(s[1].name, "blobs/");
	assert_int_equal(s[1].type, AE_IFDIR);
	assert_int_equal(s[1].perm, 0755);
	assert_string_equal(s[2].name, "blobs/l.tar");
	assert_int_equal(s[2].size, 70000);
	assert_string_equal(s[2].digest, ld);
	/* After the end: nothing. */
	assert_int_equal(entry(f, PACK_DIR, "x", -1, 0, false, NULL, NULL, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
	close(tfd);
	close(gz);
}

/* A wrong digest, a short stream, garbage where a layer should be, a bomb: each fails the
 * entry with BERR_INVALID and a message naming the entry. */
static void test_refused_content(void **state)
{
	struct fx *f = *state;
	const size_t big = 8 * 1024 * 1024;
	cleanup_free char *layer = calloc(1, big); /* zeros: compresses to almost nothing */
	char d[72], wrong[72];
	struct berr e;
	int gz = compressed(layer, big, ARCHIVE_FILTER_GZIP);
	int junk = memfd_with("\x1f\x8b\x08\x00garbage", 12);
	struct {
		int fd;
		uint64_t size;
		bool dec;
		const char *digest;
		const char *msg;
	} cases[] = {
		{ gz, big, true, wrong, "digest is" },
		{ gz, big + 1, true, d, "the content is 8388608 bytes, the store records 8388609" },
		{ gz, 4096, true, d, "longer than the 4096 bytes" },  /* a bomb stops at once */
		{ junk, 100, true, NULL, "the layer" },
	};

	sha256_ref(layer, big, d);
	sha256_ref("x", 1, wrong);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		begin(f);
		f->slot.begun = false; /* one archive per process; the test reuses the slot */
		assert_int_equal(entry(f, PACK_FILE, "l.tar", cases[i].fd, cases[i].size,
				       cases[i].dec, cases[i].digest, NULL, &e), -1);
		if (e.code != BERR_INVALID || strstr(e.msg, cases[i].msg) == NULL ||
		    strstr(e.msg, "l.tar") == NULL)
			fail_msg("case %zu: %d %s", i, e.code, e.msg);
		assert_null(f->slot.session);
	}
	close(gz);
	close(junk);
}

/* Requests out of order or of the wrong shape are protocol violations. */
static void test_refused_requests(void **state)
{
	struct fx *f = *state;
	struct msg_u_pack req = { .mtime = 0 };
	struct msg_u_pack_reply rep;
	char d[72];
	struct berr e;
	int fd = memfd_with("abc", 3);

	sha256_ref("abc", 3, d);
	/* Before MSG_U_PACK. */
	assert_int_equal(entry(f, PACK_END, NULL, -1, 0, false, NULL, NULL, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
	begin(f);
	/* A second begin. */
	assert_int_equal(call(f, MSG_U_PACK, &req, f->out, &rep, &e), -1);
	assert_int_equal(e.code, BERR_PROTOCOL);
	struct {
		uint64_t kind;
		const char *name;
		int fd;
		uint64_t size;
		bool dec;
		const char *digest;
	} bad[] = {
		{ PACK_FILE, "../x", fd, 3, false, NULL },       /* name */
		{ PACK_FILE, "/etc/x", fd, 3, false, NULL },
		{ PACK_FILE, NULL, fd, 3, false, NULL },         /* no name */
		{ PACK_FILE, "x", -1, 3, false, NULL },          /* no content */
		{ PACK_DIR, "x", fd, 0, false, NULL },           /* content for a directory */
		{ PACK_DIR, "x", -1, 3, false, NULL },           /* a size for a directory */
		{ PACK_END, "x", -1, 0, false, NULL },           /* a name for the end */
		{ PACK_END, NULL, -1, 0, false, d },             /* a digest for the end */
		{ 0, "x", fd, 3, false, NULL },                  /* no kind */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (entry(f, bad[i].kind, bad[i].name, bad[i].fd, bad[i].size, bad[i].dec,
			  bad[i].digest, NULL, &e) != -1 || e.code != BERR_PROTOCOL)
			fail_msg("case %zu accepted (%d %s)", i, e.code, e.msg);
	}
	/* Refused before anything was written: the archive is still good. */
	assert_int_equal(entry(f, PACK_FILE, "x", fd, 3, false, d, NULL, &e), 0);
	assert_int_equal(entry(f, PACK_END, NULL, -1, 0, false, NULL, NULL, &e), 0);
	struct seen s[2];
	assert_int_equal(read_back(f, s, 2), 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_docker_like_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
