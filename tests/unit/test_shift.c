/* Unit tests for workers/unpack/shift.c: the owner-shifted copy of an image tree for
 * --userns=nomap. A tree with every kind of entry (directories, a read-only one, files, a
 * setuid file, a hard link pair, a symlink pointing out of the tree, a fifo, a socket, user
 * and overlay xattrs) is copied with a shift of one: owners, modes, times, link targets and
 * contents come out as they went in, owners moved up by one, the symlink not followed, the hard
 * links still one inode, the socket and the overlay xattr left out and counted. An owner that
 * would go past the namespace's last ID is refused, naming the file; a missing source too.
 * Run as root (the suite is): chown to arbitrary IDs needs CAP_CHOWN. */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/rmtree.h"
#include "workers/unpack/shift.h"

struct fx {
	char dir[64];
	int fd;
};

static void put(const char *path, const char *text, mode_t mode, uid_t u, gid_t g)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chown(path, u, g), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[256];
	struct timespec ts[2] = { { 1000, 0 }, { 123456, 0 } };

	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-test-shift-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
#define P(s) (snprintf(p, sizeof(p), "%s/%s", f->dir, s), p)
	assert_int_equal(mkdir(P("src"), 0755), 0);
	assert_int_equal(mkdir(P("root"), 0700), 0);
	assert_int_equal(mkdir(P("src/etc"), 0755), 0);
	assert_int_equal(mkdir(P("src/home"), 0755), 0);
	assert_int_equal(mkdir(P("src/home/app"), 0750), 0);
	assert_int_equal(chown(P("src/home/app"), 1000, 1001), 0);
	put(P("src/etc/passwd"), "root:x:0:0::/:/bin/sh\n", 0644, 0, 0);
	put(P("src/home/app/notes"), "mine\n", 0600, 1000, 1001);
	put(P("src/su"), "#!/bin/sh\n", 04755, 0, 0);
	put(P("src/a"), "linked\n", 0644, 7, 8);
	assert_int_equal(link(P("src/a"), (snprintf(p + 128, 128, "%s/src/etc/b", f->dir), p + 128)), 0);
	assert_int_equal(symlink("/etc/shadow", P("src/escape")), 0);
	assert_int_equal(lchown(P("src/escape"), 5, 6), 0);
	assert_int_equal(mkfifo(P("src/fifo"), 0640), 0);
	assert_int_equal(setxattr(P("src/etc/passwd"), "user.note", "hi", 2, 0), 0);
	assert_int_equal(setxattr(P("src/etc/passwd"), "user.overlay.opaque", "y", 1, 0), 0);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/src/sock", f->dir);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	assert_int_equal(mkdir(P("src/ro"), 0755), 0);
	put(P("src/ro/f"), "x", 0444, 0, 0);
	assert_int_equal(chmod(P("src/ro"), 0555), 0);
	assert_int_equal(utimensat(AT_FDCWD, P("src/home/app"), ts, 0), 0);
#undef P
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->fd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct berr e;

	close(f->fd);
	assert_int_equal(rmtree_at(AT_FDCWD, f->dir, &e), 0);
	free(f);
	return 0;
}

static void st_of(const struct fx *f, const char *rel, struct stat *st)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	assert_int_equal(lstat(p, st), 0);
}

static void test_copy(void **state)
{
	struct fx *f = *state;
	struct shift_opts o = { 1, 1, 65536, 65536 };
	struct shift_result r;
	struct berr e = { 0 };
	struct stat st, st2;
	char p[256], buf[64];
	ssize_t n;

	assert_int_equal(shift_tree(f->fd, &o, &r, &e), 0);
	/* etc, home, home/app, notes, passwd, su, a, b, escape, fifo, ro, ro/f */
	assert_int_equal(r.entries, 12);
	assert_int_equal(r.skipped, 2); /* the socket, the overlay xattr */

	st_of(f, "root", &st);
	assert_int_equal(st.st_uid, 1);
	assert_int_equal(st.st_mode & 07777, 0755);
	st_of(f, "root/home/app", &st);
	assert_int_equal(st.st_uid, 1001);
	assert_int_equal(st.st_gid, 1002);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_mtim.tv_sec, 123456);
	st_of(f, "root/home/app/notes", &st);
	assert_int_equal(st.st_uid, 1001);
	assert_int_equal(st.st_mode & 07777, 0600);
	st_of(f, "root/su", &st);
	assert_int_equal(st.st_uid, 1);
	assert_int_equal(st.st_mode & 07777, 04755); /* setuid kept after the chown */
	st_of(f, "root/a", &st);
	st_of(f, "root/etc/b", &st2);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_uid, 8);
	assert_int_equal(st.st_gid, 9);
	st_of(f, "root/escape", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_uid, 6);
	snprintf(p, sizeof(p), "%s/root/escape", f->dir);
	n = readlink(p, buf, sizeof(buf));
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "/etc/shadow", 11);
	st_of(f, "root/fifo", &st);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	st_of(f, "root/ro", &st);
	assert_int_equal(st.st_mode & 07777, 0555);
	snprintf(p, sizeof(p), "%s/root/sock", f->dir);
	assert_int_equal(lstat(p, &st), -1);
	snprintf(p, sizeof(p), "%s/root/etc/passwd", f->dir);
	assert_int_equal(getxattr(p, "user.note", buf, sizeof(buf)), 2);
	assert_int_equal(getxattr(p, "user.overlay.opaque", buf, sizeof(buf)), -1);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 22);
	assert_memory_equal(buf, "root:x:0:0::/:/bin/sh\n", 22);
}

static void test_unmappable_owner(void **state)
{
	struct fx *f = *state;
	struct shift_opts o = { 1, 1, 1000, 65536 }; /* 1000 + 1 is past the end */
	struct shift_result r;
	struct berr e = { 0 };

	assert_int_equal(shift_tree(f->fd, &o, &r, &e), -1);
	assert_int_equal(e.code, BERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "belongs to 1000:1001"));
	assert_non_null(strstr(e.msg, "/home/app"));
}

static void test_no_source(void **state)
{
	struct fx *f = *state;
	struct shift_opts o = { 1, 1, 65536, 65536 };
	struct shift_result r;
	struct berr e = { 0 };
	char p[256];

	snprintf(p, sizeof(p), "%s/src", f->dir);
	assert_int_equal(rename(p, (snprintf(p + 128, 128, "%s/other", f->dir), p + 128)), 0);
	assert_int_equal(shift_tree(f->fd, &o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "opening the src and root directories"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmappable_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_source, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
