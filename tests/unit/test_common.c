/* Unit tests for common/ and the broker's pure parsers (subid). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "broker/subid.h"
#include "common/err.h"
#include "common/path.h"
#include "common/xio.h"

static void test_err_set_wrap(void **state)
{
	struct berr e = { 0 };
	(void)state;
	assert_int_equal(berr_set(&e, BERR_INVALID, 0, "bad %s", "thing"), -1);
	assert_string_equal(e.msg, "bad thing");
	berr_wrap(&e, "reading %s", "x");
	assert_string_equal(e.msg, "reading x: bad thing");
	assert_int_equal(e.code, BERR_INVALID);
	errno = ENOENT;
	berr_sys(&e, "open %s", "/nope");
	assert_int_equal(e.code, BERR_SYSTEM);
	assert_int_equal(e.sys_errno, ENOENT);
	assert_string_equal(e.msg, "open /nope: No such file or directory");
	assert_int_equal(berr_set(NULL, 1, 0, "x"), -1);
}

static void test_err_wrap_long(void **state)
{
	struct berr e = { 0 };
	char big[3000];
	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	berr_set(&e, BERR_INVALID, 0, "%s", big);
	assert_int_equal(strlen(e.msg), BERR_MSG_MAX - 1);
	for (int i = 0; i < 10; i++)
		berr_wrap(&e, "%s", big);
	assert_int_equal(strlen(e.msg), BERR_MSG_MAX - 1);
	errno = EIO;
	berr_sys(&e, "%s", big);
	assert_true(strlen(e.msg) < BERR_MSG_MAX);
}

static void test_path_clean(void **state)
{
	(void)state;
	assert_true(path_is_clean_abs("/"));
	assert_true(path_is_clean_abs("/var/lib/berth"));
	assert_true(path_is_clean_abs("/var/lib/berth/"));
	assert_true(path_is_clean_abs("/a/.hidden/..x"));
	assert_false(path_is_clean_abs(""));
	assert_false(path_is_clean_abs("relative"));
	assert_false(path_is_clean_abs("/a/../b"));
	assert_false(path_is_clean_abs("/a/./b"));
	assert_false(path_is_clean_abs("/a//b"));
	assert_false(path_is_clean_abs("/.."));
	assert_false(path_is_clean_abs("/a/.."));
}

static void test_mkdir_p_and_atomic(void **state)
{
	char dir[] = "/tmp/berth-test-XXXXXX";
	char path[256], file[256];
	struct berr e = { 0 };
	char *text = NULL;
	size_t len;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0700, &e), 0);
	assert_int_equal(mkdir_p(path, 0700, &e), 0);
	snprintf(file, sizeof(file), "%s/a/f", dir);
	assert_int_equal(write_file_atomic(file, "hello", 5, 0600, &e), 0);
	assert_int_equal(xread_file_at(AT_FDCWD, file, 16, &text, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(text, "hello");
	free(text);
	/* A file in the way of a directory is an error, not a silent success. */
	snprintf(path, sizeof(path), "%s/a/f/g", dir);
	assert_int_equal(mkdir_p(path, 0700, &e), -1);
	/* Oversize files are refused, not cut. */
	assert_int_equal(xread_file_at(AT_FDCWD, file, 4, &text, &len, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	unlink(file);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* A file a user names: a FIFO is refused without blocking, a missing file says ENOENT, an
 * oversize one is refused, and the open file comes back at offset 0 when asked for. */
static void test_read_regular(void **state)
{
	char dir[] = "/tmp/berth-test-XXXXXX";
	char fifo[256], file[256], buf[8];
	struct berr e = { 0 };
	char *text = NULL;
	size_t len = 0;
	int fd = -1;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/f", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(xread_regular_file_at(AT_FDCWD, fifo, 16, &text, &len, NULL, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(xread_regular_file_at(AT_FDCWD, file, 16, &text, &len, NULL, &e), -1);
	assert_int_equal(e.sys_errno, ENOENT);
	assert_int_equal(write_file_atomic(file, "hello", 5, 0600, &e), 0);
	assert_int_equal(xread_regular_file_at(AT_FDCWD, file, 4, &text, &len, &fd, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_int_equal(fd, -1);
	assert_int_equal(xread_regular_file_at(AT_FDCWD, file, 16, &text, &len, &fd, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(text, "hello");
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	close(fd);
	free(text);
	unlink(fifo);
	unlink(file);
	assert_int_equal(rmdir(dir), 0);
}

static void test_close_fds(void **state)
{
	int keep[1];
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY);
	int c = open("/dev/null", O_RDONLY);
	struct berr e = { 0 };
	(void)state;
	assert_true(a >= 3 && b > a && c > b);
	keep[0] = b;
	/* In a child, so the test process's own fds (cmocka's) are not disturbed. */
	pid_t pid = fork();
	if (pid == 0) {
		if (xclose_fds_except(3, keep, 1, &e) < 0)
			_exit(1);
		_exit(fcntl(a, F_GETFD) < 0 && fcntl(b, F_GETFD) >= 0 && fcntl(c, F_GETFD) < 0 ? 0
											      : 2);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(a);
	close(b);
	close(c);
}

static void test_subid(void **state)
{
	struct subid_range r[SUBID_MAX_RANGES];
	size_t bad;
	const char *text = "# comment\n"
			   "alice:100000:65536\n"
			   "bob:200000:65536\n"
			   "1001:300000:1000\n"
			   "alice:400000:10\n"
			   "broken line\n"
			   "alice:x:10\n"
			   "alice:10:0\n"
			   "alice:4294967295:2\n"
			   "alice:1:2:3\n";
	(void)state;
	assert_int_equal(subid_parse(text, "alice", 1000, r, SUBID_MAX_RANGES, &bad), 2);
	assert_int_equal(r[0].start, 100000);
	assert_int_equal(r[0].count, 65536);
	assert_int_equal(r[1].start, 400000);
	assert_int_equal(bad, 5);
	/* By numeric uid too. */
	assert_int_equal(subid_parse(text, "carol", 1001, r, SUBID_MAX_RANGES, &bad), 1);
	assert_int_equal(r[0].start, 300000);
	/* A name that is a prefix of another must not match. */
	assert_int_equal(subid_parse("alicex:1:2\n", "alice", 5, r, SUBID_MAX_RANGES, &bad), 0);
	assert_int_equal(subid_parse("", "alice", 5, r, SUBID_MAX_RANGES, &bad), 0);
	assert_int_equal(subid_parse("alice:1:2", "alice", 5, r, 1, &bad), 1);
	/* No trailing newline, and max respected. */
	assert_int_equal(subid_parse("alice:1:2\nalice:5:6\n", "alice", 5, r, 1, &bad), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_wrap),
		cmocka_unit_test(test_err_wrap_long),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_mkdir_p_and_atomic),
		cmocka_unit_test(test_read_regular),
		cmocka_unit_test(test_close_fds),
		cmocka_unit_test(test_subid),
	};
	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
