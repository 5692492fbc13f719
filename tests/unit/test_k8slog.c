/* Unit tests for common/k8slog.c: the k8s-file container log format.
 *
 * Writer: the exact records for whole lines, partial lines, several lines per chunk, an empty
 * chunk and a chunk of only "\n"; rotation to NAME.1 and a fresh NAME, a record larger than
 * the limit, one larger than the writer's buffer, an existing file's size counted, a write
 * cut short by RLIMIT_FSIZE and repaired, a failed rename or open while rotating and the
 * retry; bad names and files, the file mode, local time stamps in several zones.
 * Reader: P...F joined per stream, since/until on a line's first record, --tail over joined
 * and open lines (alone and followed by later chunks), -t, incomplete records and consumed,
 * lines held back while another stream's line is open, malformed records, an emit failure.
 * Writer -> reader round trip. --since/--until values of every form, and their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/k8slog.h"
#include "common/rmtree.h"
#include "common/xio.h"

/* 1700000000.123456789 in the zone the writer tests use (TZ=IST-5:30). */
#define STAMP "2023-11-15T03:43:20.123456789+05:30"
static const struct timespec NOW = { 1700000000, 123456789 };

/* ------------------------------------------------------------------ helpers */

struct tmp {
	char path[64];
	int dirfd;
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	strcpy(t->path, "/tmp/test_k8slog.XXXXXX");
	assert_non_null(mkdtemp(t->path));
	t->dirfd = open(t->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	assert_true(t->dirfd >= 0);
	setenv("TZ", "IST-5:30", 1);
	tzset();
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	struct berr e;

	close(t->dirfd);
	assert_int_equal(rmtree_at(AT_FDCWD, t->path, &e), 0);
	free(t);
	return 0;
}

/* The whole file name under the test directory ("" when it does not exist). */
static char *slurp(const struct tmp *t, const char *name, size_t *len)
{
	struct berr e;
	char *buf = NULL;
	size_t n = 0;

	if (faccessat(t->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		assert_int_equal(errno, ENOENT);
		buf = strdup("");
		assert_non_null(buf);
	} else if (xread_file_at(t->dirfd, name, 1 << 24, &buf, &n, &e) < 0) {
		fail_msg("%s: %s", name, e.msg);
	}
	if (len != NULL)
		*len = n;
	return buf;
}

static void expect_file(const struct tmp *t, const char *name, const char *want)
{
	char *got = slurp(t, name, NULL);

	assert_string_equal(got, want);
	free(got);
}

static struct k8slog_writer *writer(const struct tmp *t, const char *name, uint64_t max)
{
	struct berr e;
	struct k8slog_writer *w = k8slog_writer_open(t->dirfd, name, max, &e);

	if (w == NULL)
		fail_msg("open %s: %s", name, e.msg);
	return w;
}

static void put(struct k8slog_writer *w, enum k8slog_stream s, const char *chunk)
{
	struct berr e;

	if (k8slog_write(w, s, chunk, strlen(chunk), &NOW, &e) < 0)
		fail_msg("write: %s", e.msg);
}

/* What emit() received: each stream's text, and every call as "<stream>:<text>|". */
struct out {
	char o[1 << 16], err[1 << 16], calls[1 << 17];
	size_t olen, elen, clen;
	int fail_errno; /* when set, emit fails with it */
};

static void add(char *dst, size_t cap, size_t *len, const char *p, size_t n)
{
	assert_true(*len + n < cap);
	memcpy(dst + *len, p, n);
	*len += n;
	dst[*len] = '\0';
}

static int collect(void *arg, enum k8slog_stream s, const char *buf, size_t len)
{
	struct out *o = arg;
	char tag[3] = { s == K8SLOG_STDOUT ? '1' : '2', ':', '\0' };

	if (o->fail_errno != 0) {
		errno = o->fail_errno;
		return -1;
	}
	assert_true(s == K8SLOG_STDOUT || s == K8SLOG_STDERR);
	if (s == K8SLOG_STDOUT)
		add(o->o, sizeof(o->o), &o->olen, buf, len);
	else
		add(o->err, sizeof(o->err), &o->elen, buf, len);
	add(o->calls, sizeof(o->calls), &o->clen, tag, 2);
	add(o->calls, sizeof(o->calls), &o->clen, buf, len);
	add(o->calls, sizeof(o->calls), &o->clen, "|", 1);
	return 0;
}

static const struct k8slog_filter ALL = { .tail = -1 };

/* Renders buf into a fresh *o; returns consumed, failing the test on an error. */
static size_t render(const char *buf, const struct k8slog_filter *f, bool final, struct out *o)
{
	size_t consumed = 12345;
	struct berr e;

	memset(o, 0, sizeof(*o));
	if (k8slog_render(buf, strlen(buf), f, final, collect, o, &consumed, &e) < 0)
		fail_msg("render: %s", e.msg);
	return consumed;
}

/* Renders buf and returns every emit() call, as "<stream>:<text>|" each. */
static const char *shown(struct out *o, const char *buf, const struct k8slog_filter *f,
			 bool final)
{
	render(buf, f, final, o);
	return o->calls;
}

static void expect_render_error(const char *buf, const char *msg)
{
	struct out *o = calloc(1, sizeof(*o));
	size_t consumed = 12345;
	struct berr e;

	assert_non_null(o);
	assert_int_equal(k8slog_render(buf, strlen(buf), &ALL, true, collect, o, &consumed, &e),
			 -1);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", e.msg, msg);
	assert_int_equal(consumed, 0);
	assert_int_equal(o->clen, 0); /* nothing shown before the bad record */
	free(o);
}

/* Records at 2023-11-14T22:13:SS UTC, written with a +01:00 offset. */
#define AT(ss) "2023-11-14T23:13:" ss ".000000000+01:00 "
/* Unix ns of second ss of that minute. */
#define NS(ss) ((1700000000LL - 20 + (ss)) * 1000000000LL)

/* ------------------------------------------------------------------ writer */

static void test_write_records(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w = writer(t, "ctr.log", 0);

	put(w, K8SLOG_STDOUT, "hello\nworld\n");
	put(w, K8SLOG_STDERR, "no newline");
	put(w, K8SLOG_STDERR, "");
	put(w, K8SLOG_STDERR, " yet\n");
	put(w, K8SLOG_STDOUT, "\n");
	put(w, K8SLOG_STDOUT, "a\n\nb");
	put(w, K8SLOG_STDOUT, "with spaces  and \r and \x01\n");
	k8slog_writer_close(w);
	expect_file(t, "ctr.log",
		    STAMP " stdout F hello\n"
		    STAMP " stdout F world\n"
		    STAMP " stderr P no newline\n"
		    STAMP " stderr F  yet\n"
		    STAMP " stdout F \n"
		    STAMP " stdout F a\n"
		    STAMP " stdout F \n"
		    STAMP " stdout P b\n"
		    STAMP " stdout F with spaces  and \r and \x01\n");
	/* Reopening appends. */
	w = writer(t, "ctr.log", 0);
	put(w, K8SLOG_STDOUT, "again\n");
	k8slog_writer_close(w);
	char *all = slurp(t, "ctr.log", NULL);
	assert_non_null(strstr(all, STAMP " stdout F with spaces"));
	assert_non_null(strstr(all, "\x01\n" STAMP " stdout F again\n"));
	free(all);
}

static void test_write_stamp_zones(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w;
	const struct timespec winter = { 1767265200, 5 }, summer = { 1782900000, 0 };
	struct berr e;

	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	w = writer(t, "tz.log", 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDOUT, "w\n", 2, &winter, &e), 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDOUT, "s\n", 2, &summer, &e), 0);
	k8slog_writer_close(w);
	setenv("TZ", "UTC0", 1);
	tzset();
	w = writer(t, "tz.log", 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDERR, "u\n", 2, &summer, &e), 0);
	k8slog_writer_close(w);
	setenv("TZ", "XST3:30", 1); /* west of UTC */
	tzset();
	w = writer(t, "tz.log", 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDERR, "x\n", 2, &summer, &e), 0);
	k8slog_writer_close(w);
	expect_file(t, "tz.log",
		    "2026-01-01T12:00:00.000000005+01:00 stdout F w\n"
		    "2026-07-01T12:00:00.000000000+02:00 stdout F s\n"
		    "2026-07-01T10:00:00.000000000+00:00 stderr F u\n"
		    "2026-07-01T06:30:00.000000000-03:30 stderr F x\n");
}

static void test_write_bad_args(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w = writer(t, "ctr.log", 0);
	const struct timespec bad = { 1700000000, 1000000000 };
	struct berr e;

	assert_int_equal(k8slog_write(w, (enum k8slog_stream)3, "x\n", 2, &NOW, &e), -1);
	assert_int_equal(k8slog_write(w, K8SLOG_STDOUT, "x\n", 2, &bad, &e), -1);
	k8slog_writer_close(w);
	expect_file(t, "ctr.log", "");
	k8slog_writer_close(NULL);
}

/* Each record of 10 bytes of content is 46 + 10 = 56 bytes. */
#define R(c) STAMP " stdout F " c "\n"

static void test_rotation(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w = writer(t, "ctr.log", 200);

	/* Three records make 168 bytes; the fourth would make 224. */
	put(w, K8SLOG_STDOUT, "r1--------\nr2--------\nr3--------\nr4--------\n");
	expect_file(t, "ctr.log.1", R("r1--------") R("r2--------") R("r3--------"));
	expect_file(t, "ctr.log", R("r4--------"));
	put(w, K8SLOG_STDOUT, "r5--------\n");
	put(w, K8SLOG_STDOUT, "r6--------\n");
	expect_file(t, "ctr.log.1", R("r1--------") R("r2--------") R("r3--------"));
	put(w, K8SLOG_STDOUT, "r7--------\n");
	/* The older NAME.1 is replaced. */
	expect_file(t, "ctr.log.1", R("r4--------") R("r5--------") R("r6--------"));
	expect_file(t, "ctr.log", R("r7--------"));
	k8slog_writer_close(w);

	/* A writer opened on an existing file counts what it holds: 56 + 3 * 56 > 200. */
	w = writer(t, "ctr.log", 200);
	put(w, K8SLOG_STDOUT, "r8--------\nr9--------\nra--------\n");
	expect_file(t, "ctr.log.1", R("r7--------") R("r8--------") R("r9--------"));
	expect_file(t, "ctr.log", R("ra--------"));
	k8slog_writer_close(w);

	/* Exactly max_size fits. */
	w = writer(t, "exact.log", 112);
	put(w, K8SLOG_STDOUT, "e1--------\ne2--------\n");
	put(w, K8SLOG_STDOUT, "e3--------\n");
	expect_file(t, "exact.log.1", R("e1--------") R("e2--------"));
	expect_file(t, "exact.log", R("e3--------"));
	k8slog_writer_close(w);
}

static void test_rotation_oversized(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w;
	char big[301], *want, *got;
	size_t n;

	memset(big, 'x', 300);
	big[300] = '\0';
	/* Into a fresh, empty file: written as is, nothing rotated. */
	w = writer(t, "big.log", 100);
	put(w, K8SLOG_STDOUT, big);
	expect_file(t, "big.log.1", "");
	k8slog_writer_close(w);

	w = writer(t, "ctr.log", 100);
	put(w, K8SLOG_STDOUT, "small-----\n");
	put(w, K8SLOG_STDERR, big);
	/* The older records went to NAME.1, the large one alone into the fresh file. */
	expect_file(t, "ctr.log.1", R("small-----"));
	got = slurp(t, "ctr.log", &n);
	assert_int_equal(n, 45 + 300 + 1);
	assert_memory_equal(got, STAMP " stderr P xxx", 48);
	free(got);
	/* The next record rotates again. */
	put(w, K8SLOG_STDOUT, "after-----\n");
	expect_file(t, "ctr.log", R("after-----"));
	got = slurp(t, "ctr.log.1", &n);
	assert_int_equal(n, 346);
	free(got);
	k8slog_writer_close(w);

	/* A record larger than the writer's buffer goes out whole, in pieces. */
	n = 100000;
	want = malloc(n + 2);
	assert_non_null(want);
	memset(want, 'y', n);
	want[n] = '\n';
	want[n + 1] = '\0';
	w = writer(t, "huge.log", 0);
	put(w, K8SLOG_STDOUT, "first\n");
	put(w, K8SLOG_STDOUT, want);
	put(w, K8SLOG_STDOUT, "last\n");
	k8slog_writer_close(w);
	got = slurp(t, "huge.log", &n);
	assert_int_equal(n, 51 + 45 + 100001 + 50);
	assert_memory_equal(got, STAMP " stdout F first\n" STAMP " stdout F yyy", 51 + 48);
	assert_memory_equal(got + 51 + 45, want, 100001);
	assert_string_equal(got + 51 + 45 + 100001, STAMP " stdout F last\n");
	free(got);
	free(want);
}

/* A write the file size limit cuts inside a record: the next write ends that record first, so
 * the file reads as records again. */
static void test_write_cut_short(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w = writer(t, "ctr.log", 0);
	struct rlimit old, lim;
	void (*oldsig)(int);
	struct out *o = calloc(1, sizeof(*o));
	struct berr e;
	char *got;

	assert_non_null(o);
	put(w, K8SLOG_STDOUT, "one\n");
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 49 + 60; /* cuts the next record after 60 bytes: in its content */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDERR, "0123456789012345678901234567890\nlost\n",
				      37, &NOW, &e), -1);
	assert_int_equal(e.code, BERR_SYSTEM);
	assert_int_equal(e.sys_errno, EFBIG);
	assert_non_null(strstr(e.msg, "writing log file ctr.log"));
	/* Still over the limit: fails again, adding nothing. */
	assert_int_equal(k8slog_write(w, K8SLOG_STDOUT, "x\n", 2, &NOW, &e), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	put(w, K8SLOG_STDOUT, "two\n");
	k8slog_writer_close(w);
	got = slurp(t, "ctr.log", NULL);
	assert_string_equal(got, STAMP " stdout F one\n"
				 STAMP " stderr F 012345678901234\n"
				 STAMP " stdout F two\n");
	assert_int_equal(render(got, &ALL, true, o), strlen(got));
	assert_string_equal(o->o, "one\ntwo\n");
	assert_string_equal(o->err, "012345678901234\n");
	free(got);
	free(o);
}

static void test_writer_open_errors(void **state)
{
	struct tmp *t = *state;
	const char *bad[] = { "", ".", "..", "a/b", "/abs" };
	char longname[300];
	struct berr e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(k8slog_writer_open(t->dirfd, bad[i], 0, &e));
		assert_int_equal(e.code, BERR_INVALID);
	}
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_null(k8slog_writer_open(t->dirfd, longname, 0, &e));

	/* No following a symlink someone put in place of the log. */
	assert_int_equal(symlinkat("target", t->dirfd, "link.log"), 0);
	assert_null(k8slog_writer_open(t->dirfd, "link.log", 0, &e));
	assert_int_equal(e.code, BERR_SYSTEM);
	assert_int_equal(e.sys_errno, ELOOP);
	assert_int_equal(faccessat(t->dirfd, "target", F_OK, 0), -1);
	assert_int_equal(mkdirat(t->dirfd, "dir.log", 0700), 0);
	assert_null(k8slog_writer_open(t->dirfd, "dir.log", 0, &e));
	assert_null(k8slog_writer_open(-1, "ctr.log", 0, &e));
	assert_int_equal(e.sys_errno, EBADF);
	assert_non_null(strstr(e.msg, "opening log file ctr.log"));
}

static void test_writer_mode(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w;
	struct stat st;
	mode_t old = umask(0);

	w = writer(t, "ctr.log", 0);
	umask(old);
	assert_int_equal(fstatat(t->dirfd, "ctr.log", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	k8slog_writer_close(w);
}

/* A rotation that fails is reported, and the next record that needs one tries again: the
 * rename (refused here because NAME.1 is a directory), or only the open of a fresh NAME when
 * the rename went through (refused here by RLIMIT_NOFILE). */
static void test_rotation_failure(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w = writer(t, "ctr.log", 100);
	struct rlimit old, lim;
	struct berr e;
	int lowest;

	put(w, K8SLOG_STDOUT, "r1--------\n");
	assert_int_equal(mkdirat(t->dirfd, "ctr.log.1", 0700), 0);
	assert_int_equal(mkdirat(t->dirfd, "ctr.log.1/sub", 0700), 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDOUT, "r2--------\n", 11, &NOW, &e), -1);
	assert_int_equal(e.code, BERR_SYSTEM);
	assert_non_null(strstr(e.msg, "rotating log file ctr.log"));
	assert_int_equal(rmtree_at(t->dirfd, "ctr.log.1", &e), 0);
	put(w, K8SLOG_STDOUT, "r3--------\n");
	expect_file(t, "ctr.log.1", R("r1--------"));
	expect_file(t, "ctr.log", R("r3--------"));

	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	assert_int_equal(k8slog_write(w, K8SLOG_STDOUT, "r4--------\n", 11, &NOW, &e), -1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(e.sys_errno, EMFILE);
	assert_non_null(strstr(e.msg, "rotating log file ctr.log: opening log file ctr.log"));
	expect_file(t, "ctr.log.1", R("r3--------"));
	expect_file(t, "ctr.log", "");
	/* The retry opens a fresh NAME and leaves NAME.1 alone. */
	put(w, K8SLOG_STDOUT, "r5--------\n");
	k8slog_writer_close(w);
	expect_file(t, "ctr.log.1", R("r3--------"));
	expect_file(t, "ctr.log", R("r5--------"));
}

static void test_round_trip(void **state)
{
	struct tmp *t = *state;
	struct k8slog_writer *w = writer(t, "ctr.log", 250);
	struct out *o = calloc(1, sizeof(*o));
	char *rotated, *cur, *all;
	size_t n1, n2;

	assert_non_null(o);
	put(w, K8SLOG_STDOUT, "Loading");
	put(w, K8SLOG_STDERR, "warning: ");
	put(w, K8SLOG_STDOUT, "...");
	put(w, K8SLOG_STDERR, "low disk\n");
	put(w, K8SLOG_STDOUT, " done\nnext line\n\nlast without newline");
	k8slog_writer_close(w);
	rotated = slurp(t, "ctr.log.1", &n1);
	cur = slurp(t, "ctr.log", &n2);
	assert_true(n1 > 0); /* the lines straddle a rotation */
	all = malloc(n1 + n2 + 1);
	assert_non_null(all);
	memcpy(all, rotated, n1);
	memcpy(all + n1, cur, n2 + 1);
	assert_int_equal(render(all, &ALL, true, o), n1 + n2);
	assert_string_equal(o->o, "Loading... done\nnext line\n\nlast without newline");
	assert_string_equal(o->err, "warning: low disk\n");
	assert_string_equal(o->calls, "2:warning: low disk\n|1:Loading... done\n|1:next line\n|"
				      "1:\n|1:last without newline|");
	free(rotated);
	free(cur);
	free(all);
	free(o);
}

/* ------------------------------------------------------------------ reader */

static void test_render_join(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	const char *log = AT("00") "stdout F first line\n"
			  AT("01") "stdout P a \n"
			  AT("02") "stderr F err line\n"
			  AT("03") "stdout P  b\n"
			  AT("04") "stdout F  c  \n"
			  AT("05") "stderr F \n"
			  AT("06") "stdout F \n";

	(void)state;
	assert_non_null(o);
	assert_int_equal(render(log, &ALL, true, o), strlen(log));
	assert_string_equal(o->o, "first line\na  b c  \n\n");
	assert_string_equal(o->err, "err line\n\n");
	assert_string_equal(o->calls,
			    "1:first line\n|2:err line\n|1:a  b c  \n|2:\n|1:\n|");
	/* The same when not final: no line is left open. */
	assert_int_equal(render(log, &ALL, false, o), strlen(log));
	assert_string_equal(o->o, "first line\na  b c  \n\n");
	/* Empty input. */
	assert_int_equal(render("", &ALL, true, o), 0);
	assert_int_equal(o->clen, 0);
	free(o);
}

static void test_render_timestamps(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	struct k8slog_filter f = { .tail = -1, .timestamps = true };
	const char *log = "2023-11-14T22:13:20.000000000+00:00 stdout F utc\n"
			  "2023-11-14T23:13:20.5+01:00 stdout P half \n"
			  "2023-11-14T23:13:21.000000000+01:00 stdout F past\n"
			  "2023-11-14T22:13:20.000000001Z stderr F zulu\n"
			  "2023-11-14T18:43:20.123456789-03:30 stderr P west\n";

	(void)state;
	assert_non_null(o);
	render(log, &f, true, o);
	/* The first record's time of each line, nine digits, Z for a zero offset. */
	assert_string_equal(o->o, "2023-11-14T22:13:20.000000000Z utc\n"
				  "2023-11-14T23:13:20.500000000+01:00 half past\n");
	assert_string_equal(o->err, "2023-11-14T22:13:20.000000001Z zulu\n"
				    "2023-11-14T18:43:20.123456789-03:30 west");
	free(o);
}

static void test_render_since_until(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	struct k8slog_filter f = { .tail = -1 };
	const char *log = AT("00") "stdout F zero\n"
			  AT("01") "stdout P one-\n"
			  AT("03") "stdout F three\n"
			  AT("02") "stderr F two\n"
			  AT("04") "stdout F four\n"
			  AT("05") "stderr P five\n";

	(void)state;
	assert_non_null(o);
	f.since_ns = NS(1);
	render(log, &f, true, o);
	assert_string_equal(o->o, "one-three\nfour\n");
	assert_string_equal(o->err, "two\nfive");
	/* A line counts at its first record: 01, not 03. */
	f.since_ns = NS(2);
	render(log, &f, true, o);
	assert_string_equal(o->o, "four\n");
	assert_string_equal(o->err, "two\nfive");
	f.since_ns = 0;
	f.until_ns = NS(2);
	render(log, &f, true, o);
	assert_string_equal(o->o, "zero\none-three\n");
	assert_string_equal(o->err, "two\n");
	f.since_ns = NS(2);
	f.until_ns = NS(2);
	assert_string_equal(shown(o, log, &f, true), "2:two\n|");
	f.since_ns = NS(6);
	f.until_ns = 0;
	assert_string_equal(shown(o, log, &f, true), "");
	/* The trailing partial line "five" is shown by a final render (at 05). */
	f.since_ns = NS(5);
	assert_string_equal(shown(o, log, &f, true), "2:five|");
	free(o);
}

static void test_render_tail(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	struct k8slog_filter f = { .tail = 2 };
	const char *log = AT("00") "stdout F a\n"
			  AT("01") "stdout P b1\n"
			  AT("02") "stdout P b2\n"
			  AT("03") "stdout F b3\n"
			  AT("04") "stderr F c\n"
			  AT("05") "stdout P d1\n"
			  AT("06") "stdout F d2\n";
	const char *open = AT("07") "stdout P e1\n"
			   AT("08") "stdout P e2\n";
	char *both;

	(void)state;
	assert_non_null(o);
	assert_string_equal(shown(o, log, &f, true), "2:c\n|1:d1d2\n|");
	f.tail = 3;
	assert_string_equal(shown(o, log, &f, true), "1:b1b2b3\n|2:c\n|1:d1d2\n|");
	f.tail = 0;
	assert_string_equal(shown(o, log, &f, true), "");
	f.tail = 100;
	assert_string_equal(shown(o, log, &f, true), "1:a\n|1:b1b2b3\n|2:c\n|1:d1d2\n|");

	/* A trailing open line counts as one of the N. */
	assert_true(asprintf(&both, "%s%s", log, open) > 0);
	f.tail = 2;
	assert_string_equal(shown(o, both, &f, true), "1:d1d2\n|1:e1e2|");
	/* Following: tail=N on the initial content leaves the open line for later, and it is
	 * still one of the N. */
	assert_int_equal(render(both, &f, false, o), strlen(log));
	assert_string_equal(o->calls, "1:d1d2\n|");
	f.tail = -1;
	const char *more = AT("07") "stdout P e1\n"
			   AT("08") "stdout P e2\n"
			   AT("09") "stdout F e3\n"
			   AT("10") "stdout F f\n";
	assert_int_equal(render(more, &f, false, o), strlen(more));
	assert_string_equal(o->calls, "1:e1e2e3\n|1:f\n|");

	/* Tail before since/until, as podman logs does. */
	f.tail = 2;
	f.since_ns = NS(6);
	assert_string_equal(shown(o, log, &f, true), "");
	f.since_ns = NS(5);
	assert_string_equal(shown(o, log, &f, true), "1:d1d2\n|");
	free(both);
	free(o);
}

static void test_render_incomplete(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	const char *whole = AT("00") "stdout F a\n";
	char buf[256];

	(void)state;
	assert_non_null(o);
	/* An incomplete last record is left alone, final or not. */
	snprintf(buf, sizeof(buf), "%s%s", whole, AT("01") "stdout F b");
	assert_int_equal(render(buf, &ALL, true, o), strlen(whole));
	assert_string_equal(o->calls, "1:a\n|");
	assert_int_equal(render(buf, &ALL, false, o), strlen(whole));
	assert_string_equal(o->calls, "1:a\n|");
	/* Cut anywhere, even inside the time stamp: no error, nothing consumed. */
	for (size_t cut = 0; cut < strlen(whole); cut++) {
		snprintf(buf, sizeof(buf), "%.*s", (int)cut, whole);
		assert_int_equal(render(buf, &ALL, true, o), 0);
		assert_int_equal(o->clen, 0);
	}
	/* A partial line, not final: kept with its records. */
	snprintf(buf, sizeof(buf), "%s%s", whole, AT("01") "stdout P b\n");
	assert_int_equal(render(buf, &ALL, false, o), strlen(whole));
	assert_string_equal(o->calls, "1:a\n|");
	assert_int_equal(render(buf, &ALL, true, o), strlen(buf));
	assert_string_equal(o->calls, "1:a\n|1:b|");
	free(o);
}

/* While one stream's line is open, the lines the other stream completes after its start are
 * held back, so the next call can begin where no line is open and shows each line once, in
 * order. */
static void test_render_follow_held(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	struct k8slog_filter f = { .tail = -1 };
	const char *head = AT("00") "stderr F before\n";
	const char *held = AT("01") "stdout P progress\n"
			   AT("02") "stderr F e1\n"
			   AT("03") "stderr F e2\n";
	const char *later = AT("04") "stdout F  done\n"
			    AT("05") "stderr F e3\n";
	char buf[1024], next[1024];
	size_t c;

	(void)state;
	assert_non_null(o);
	snprintf(buf, sizeof(buf), "%s%s", head, held);
	c = render(buf, &f, false, o);
	assert_int_equal(c, strlen(head));
	assert_string_equal(o->calls, "2:before\n|");
	snprintf(next, sizeof(next), "%s%s", buf + c, later);
	assert_int_equal(render(next, &f, false, o), strlen(next));
	assert_string_equal(o->calls, "2:e1\n|2:e2\n|1:progress done\n|2:e3\n|");

	/* With a tail, the held lines count among the N. */
	f.tail = 3;
	c = render(buf, &f, false, o);
	assert_int_equal(c, strlen(head));
	assert_int_equal(o->clen, 0); /* e1, e2 and the open line make the 3 */
	f.tail = 4;
	assert_string_equal(shown(o, buf, &f, false), "2:before\n|");
	free(o);
}

static void test_render_malformed(void **state)
{
	(void)state;
	expect_render_error(AT("00") "stdout F ok\n"
			    AT("01") "stdout F ok\n"
			    "2023-11-14 stdout F bad\n",
			    "log file line 3: invalid time \"2023-11-14\"");
	expect_render_error("2023-11-14T22:13:20.000000000 stdout F no zone\n",
			    "log file line 1: invalid time");
	expect_render_error("2023-11-14T22:13:61.000000000Z stdout F leap\n",
			    "time of day out of range");
	expect_render_error("2023-02-29T22:13:20Z stdout F x\n", "day out of range");
	expect_render_error("2023-11-14T22:13:20.Z stdout F x\n", "digits after the decimal");
	expect_render_error("2023-11-14T22:13:20+24:00 stdout F x\n", "zone offset out of range");
	expect_render_error("2300-01-01T00:00:00Z stdout F x\n", "out of range");
	expect_render_error("\xff\x01 stdout F x\n", "invalid time \"\\xff\\x01\"");
	expect_render_error(AT("00") "stdin F x\n",
			    "log file line 1: unknown stream \"stdin\" (want stdout or stderr)");
	expect_render_error(AT("00") "STDOUT F x\n", "unknown stream");
	expect_render_error(AT("00") "stdout X x\n",
			    "log file line 1: unknown tag \"X\" (want F or P)");
	expect_render_error(AT("00") "stdout FP x\n", "unknown tag \"FP\"");
	expect_render_error(AT("00") "stdout  x\n", "unknown tag \"\"");
	expect_render_error(AT("00") "stdout F\n", "log file line 1: missing fields");
	expect_render_error(AT("00") "stdout\n", "missing fields");
	expect_render_error("\n", "log file line 1: missing fields");
	expect_render_error(AT("00") "stdout F a\n\n", "log file line 2: missing fields");
}

static void test_render_emit_failure(void **state)
{
	struct out *o = calloc(1, sizeof(*o));
	size_t consumed = 7;
	struct berr e;
	const char *log = AT("00") "stdout F a\n";

	(void)state;
	assert_non_null(o);
	o->fail_errno = EPIPE;
	assert_int_equal(k8slog_render(log, strlen(log), &ALL, true, collect, o, &consumed, &e), -1);
	assert_int_equal(e.code, BERR_SYSTEM);
	assert_int_equal(e.sys_errno, EPIPE);
	assert_int_equal(consumed, 0);
	free(o);
}

/* ------------------------------------------------------------------ --since / --until */

#define NOW_NS 1700000000000000000LL

static void expect_time(const char *s, int64_t want)
{
	struct berr e;
	int64_t got = 42;

	if (k8slog_parse_time(s, NOW_NS, &got, &e) < 0)
		fail_msg("%s: %s", s, e.msg);
	if (got != want)
		fail_msg("%s: got %lld, want %lld", s, (long long)got, (long long)want);
}

static void expect_time_error(const char *s, const char *msg)
{
	struct berr e;
	int64_t got = 42;

	assert_int_equal(k8slog_parse_time(s, NOW_NS, &got, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", s, e.msg, msg);
}

static void test_parse_time(void **state)
{
	const int64_t S = 1000000000LL;

	(void)state;
	/* RFC3339 and RFC3339Nano, with a zone. */
	expect_time("2026-12-01T10:43:08+01:00", 1796118188 * S);
	expect_time("2026-12-01T09:43:08Z", 1796118188 * S);
	expect_time("2026-12-01T10:43:08.123456789+01:00", 1796118188 * S + 123456789);
	expect_time("2026-12-01T10:43:08.5+01:00", 1796118188 * S + 500000000);
	expect_time("2026-12-01T10:43:08.1234567891234+01:00", 1796118188 * S + 123456789);
	expect_time("2006-01-02T15:04:05+07:00", 1136189045 * S);
	expect_time("2006-01-02T03:34:05-04:30", 1136189045 * S);
	expect_time("1970-01-01T00:00:00Z", 0);
	expect_time("1969-12-31T23:59:59Z", -S);
	expect_time("2024-02-29T00:00:00Z", 1709164800 * S);
	expect_time("2000-03-01T00:00:00Z", 951868800 * S);
	expect_time("2262-04-11T23:47:16Z", 9223372036 * S);
	expect_time("1678-01-01T00:00:00Z", -9214560000 * S);
	/* A date, with or without a zone; shorter times. */
	expect_time("2024-02-29Z", 1709164800 * S);
	expect_time("2024-02-29+01:00", 1709164800 * S - 3600 * S);
	expect_time("2024-02-29T01Z", 1709164800 * S + 3600 * S);
	expect_time("2024-02-29T01:02Z", 1709164800 * S + 3720 * S);

	/* Local time: the offset in force at that date. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	expect_time("2026-07-01T12:00:00", 1782900000 * S);
	expect_time("2026-01-01T12:00:00", 1767265200 * S);
	expect_time("2026-01-01T12:00:00.25", 1767265200 * S + 250000000);
	expect_time("2026-01-01T12", 1767265200 * S);
	expect_time("2026-01-01T12:00", 1767265200 * S);
	expect_time("2026-01-01", 1767265200 * S - 12 * 3600 * S);
	expect_time("2026-07-01", 1782900000 * S - 12 * 3600 * S);
	/* Just after the spring change (01:00 UTC, 03:00 local on 2026-03-29). */
	expect_time("2026-03-29T03:30:00", 1774747800 * S);
	setenv("TZ", "UTC0", 1);
	tzset();
	expect_time("2026-07-01T10:00:00", 1782900000 * S);

	/* Unix seconds. */
	expect_time("0", 0);
	expect_time("1000", 1000 * S);
	expect_time("1700000000", NOW_NS);
	expect_time("1700000000.5", NOW_NS + 500000000);
	expect_time("1700000000.000000001", NOW_NS + 1);
	expect_time("1700000000.1234567899", NOW_NS + 123456789);
	expect_time("9223372036", 9223372036 * S);

	/* Durations ago. */
	expect_time("10m", NOW_NS - 600 * S);
	expect_time("1h30m", NOW_NS - 5400 * S);
	expect_time("90s", NOW_NS - 90 * S);
	expect_time("1.5h", NOW_NS - 5400 * S);
	expect_time(".5s", NOW_NS - 500000000);
	expect_time("5.s", NOW_NS - 5 * S);
	expect_time("500ms", NOW_NS - 500000000);
	expect_time("1us", NOW_NS - 1000);
	expect_time("1\xc2\xb5s", NOW_NS - 1000);
	expect_time("1\xce\xbcs", NOW_NS - 1000);
	expect_time("3ns", NOW_NS - 3);
	expect_time("1h1m1s1ms1us1ns", NOW_NS - 3661001001001);
	expect_time("-10m", NOW_NS + 600 * S);
	expect_time("+10m", NOW_NS - 600 * S);
	expect_time("-0", NOW_NS);
	expect_time("+0", NOW_NS);
	expect_time("0.000000001h", NOW_NS - 3600);
	expect_time("2562047h", NOW_NS - 2562047LL * 3600 * S);

}

static void test_parse_time_errors(void **state)
{
	(void)state;
	expect_time_error("", "invalid time \"\": want a timestamp");
	expect_time_error("yesterday", "invalid time \"yesterday\": want a timestamp");
	expect_time_error("10d", "want a timestamp");
	expect_time_error("1m2", "want a timestamp");
	expect_time_error("m", "want a timestamp");
	expect_time_error(".", "want a timestamp");
	expect_time_error("-", "want a timestamp");
	expect_time_error("1.", "want a timestamp");
	expect_time_error("1e5", "want a timestamp");
	expect_time_error("-5", "want a timestamp");
	expect_time_error("12:00", "want a timestamp");
	expect_time_error(" 10m", "want a timestamp");
	expect_time_error("10M", "want a timestamp");
	expect_time_error("2026-13-01", "month out of range");
	expect_time_error("2026-02-30", "day out of range");
	expect_time_error("2026-00-10", "month out of range");
	expect_time_error("2026-01-01T25:00:00Z", "time of day out of range");
	expect_time_error("2026-01-01T10:00:00+24:00", "zone offset out of range");
	expect_time_error("2026-01-01T10:00:00+01", "want a zone");
	expect_time_error("2026-01-01t10:00:00Z", "unexpected text");
	expect_time_error("2026-01-01T10:00:00z", "unexpected text");
	expect_time_error("2026-01-01T10:00:00Zjunk", "unexpected text");
	expect_time_error("2026-01-01T", "want a time");
	expect_time_error("2026-1-01", "want a date");
	expect_time_error("3000-01-01Z", "out of range");
	expect_time_error("1600-01-01Z", "out of range");
	expect_time_error("0000-01-01Z", "out of range");
	expect_time_error("9223372037", "out of range");
	expect_time_error("99999999999999999999999", "out of range");
	expect_time_error("2562048h", "duration \"2562048h\" is out of range");
	expect_time_error("99999999999999999999h", "out of range");
	expect_time_error("2562047h47m16.854775807s1ns", "out of range");
	expect_time_error("\x01\xff", "invalid time \"\\x01\\xff\"");
	/* The quoted input is cut, and the message stays one printable line. */
	char longs[600];
	struct berr e;
	int64_t out;

	memset(longs, 'z', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_int_equal(k8slog_parse_time(longs, NOW_NS, &out, &e), -1);
	assert_non_null(strstr(e.msg, "...\""));
	assert_true(strlen(e.msg) < 300);
	/* A time so far back that "now - duration" leaves int64. */
	assert_int_equal(k8slog_parse_time("2562047h", -NOW_NS * 5, &out, &e), -1);
	assert_non_null(strstr(e.msg, "out of range"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_records, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_write_stamp_zones, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_write_bad_args, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_oversized, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_write_cut_short, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_writer_open_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_writer_mode, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_failure, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_round_trip, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_render_join),
		cmocka_unit_test(test_render_timestamps),
		cmocka_unit_test(test_render_since_until),
		cmocka_unit_test(test_render_tail),
		cmocka_unit_test(test_render_incomplete),
		cmocka_unit_test(test_render_follow_held),
		cmocka_unit_test(test_render_malformed),
		cmocka_unit_test(test_render_emit_failure),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_time_errors),
	};
	return cmocka_run_group_tests_name("k8slog", tests, NULL, NULL);
}
