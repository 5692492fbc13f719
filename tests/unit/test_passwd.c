/* Unit tests for workers/verify/passwd.c: a container's user resolved in its /etc/passwd and
 * /etc/group as runc resolves it. Every spec form, members as supplementary groups, the
 * errors for unknown names, a numeric user without an entry, malformed lines skipped, absent
 * files, and the limits (line, file, groups, ids). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/ctruser.h"
#include "workers/verify/passwd.h"

static const char PASSWD[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"# a comment\n"
	"\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"  app:x:1000:1000:App User:/home/app:/bin/sh  \r\n"
	"nohome:x:1001:1001::\n"
	"relhome:x:1002:1002::home/rel:/bin/sh\n"
	"app:x:2000:2000:second app, ignored:/nowhere:/bin/sh\n"
	"last:x:1003:1003::/home/last:/bin/sh"; /* no newline at the end */

static const char GROUP[] =
	"root:x:0:\n"
	"wheel:x:10:root,app\n"
	"audio:x:29:daemon,app,last\n"
	"app:x:1000:\n"
	"staff:x:50:\n"
	"# comment:x:77:app\n"
	"video:x:44:nobody, app\n"; /* " app" is not "app" */

static struct passwd_file file(const char *s)
{
	return (struct passwd_file){ (const uint8_t *)s, strlen(s), true };
}

static const struct passwd_file ABSENT = { NULL, 0, false };

/* Resolves spec and checks the result; groups is a 0-terminated list (0 itself is never a
 * supplementary gid in these tests). */
static void expect(const char *pw, const char *gr, const char *spec, uint64_t uid,
		   uint64_t gid, const char *home, const uint64_t *groups)
{
	struct passwd_file p = pw != NULL ? file(pw) : ABSENT;
	struct passwd_file g = gr != NULL ? file(gr) : ABSENT;
	struct msg_v_user_reply r;
	struct berr e;
	size_t n = 0;

	if (verify_resolve_user(&p, &g, spec, &r, &e) < 0)
		fail_msg("%s: %s", spec, e.msg);
	assert_int_equal(r.uid, uid);
	assert_int_equal(r.gid, gid);
	assert_string_equal(r.home, home);
	while (groups != NULL && groups[n] != 0)
		n++;
	assert_int_equal(r.n_groups, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r.groups[i].gid, groups[i]);
	ipc_struct_free(&msg_v_user_reply_schema, &r);
}

static void expect_error(const char *pw, const char *gr, const char *spec, const char *msg)
{
	struct passwd_file p = pw != NULL ? file(pw) : ABSENT;
	struct passwd_file g = gr != NULL ? file(gr) : ABSENT;
	struct msg_v_user_reply r;
	struct berr e;

	assert_int_equal(verify_resolve_user(&p, &g, spec, &r, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", spec, e.msg, msg);
	assert_null(r.home);
	assert_null(r.groups);
	assert_int_equal(r.n_groups, 0);
}

static void test_name(void **state)
{
	(void)state;
	expect(PASSWD, GROUP, "app", 1000, 1000, "/home/app", (const uint64_t[]){ 10, 29, 0 });
	expect(PASSWD, GROUP, "root", 0, 0, "/root", (const uint64_t[]){ 10, 0 });
	expect(PASSWD, GROUP, "daemon", 1, 1, "/usr/sbin", (const uint64_t[]){ 29, 0 });
	/* The last line without its newline, and members at the end of a list. */
	expect(PASSWD, GROUP, "last", 1003, 1003, "/home/last", (const uint64_t[]){ 29, 0 });
	/* No home, or one that is not absolute: "/". */
	expect(PASSWD, GROUP, "nohome", 1001, 1001, "/", NULL);
	expect(PASSWD, GROUP, "relhome", 1002, 1002, "/", NULL);
}

static void test_uid(void **state)
{
	(void)state;
	/* A uid with an entry is that entry, groups included (by the entry's name). */
	expect(PASSWD, GROUP, "1000", 1000, 1000, "/home/app", (const uint64_t[]){ 10, 29, 0 });
	expect(PASSWD, GROUP, "0", 0, 0, "/root", (const uint64_t[]){ 10, 0 });
	/* Without one: gid 0, home "/", no groups. */
	expect(PASSWD, GROUP, "4242", 4242, 0, "/", NULL);
	expect(PASSWD, GROUP, "4294967294", 4294967294u, 0, "/", NULL);
	expect(NULL, NULL, "77", 77, 0, "/", NULL);
	expect(PASSWD, GROUP, "007", 7, 0, "/", NULL);
}

static void test_with_group(void **state)
{
	(void)state;
	/* An explicit group replaces the primary gid; no supplementary groups then. */
	expect(PASSWD, GROUP, "app:staff", 1000, 50, "/home/app", NULL);
	expect(PASSWD, GROUP, "app:44", 1000, 44, "/home/app", NULL);
	expect(PASSWD, GROUP, "app:5555", 1000, 5555, "/home/app", NULL);
	expect(PASSWD, GROUP, "4242:wheel", 4242, 10, "/", NULL);
	expect(PASSWD, GROUP, "4242:4343", 4242, 4343, "/", NULL);
	expect(PASSWD, NULL, "app:12", 1000, 12, "/home/app", NULL);
	expect(NULL, NULL, "5:6", 5, 6, "/", NULL);
}

static void test_absent_files(void **state)
{
	(void)state;
	/* No /etc/group: no supplementary groups; no /etc/passwd: no names. */
	expect(PASSWD, NULL, "app", 1000, 1000, "/home/app", NULL);
	expect_error(NULL, GROUP, "app", "unable to find user app: no matching entries in "
					  "passwd file");
	expect_error(PASSWD, NULL, "app:wheel", "unable to find group wheel: no matching "
						"entries in group file");
	expect(PASSWD, "", "app", 1000, 1000, "/home/app", NULL);
	expect_error("", "", "app", "unable to find user app");
}

static void test_unknown(void **state)
{
	(void)state;
	expect_error(PASSWD, GROUP, "nobody", "unable to find user nobody: no matching entries "
					      "in passwd file");
	expect_error(PASSWD, GROUP, "app:nogroup", "unable to find group nogroup: no matching "
						   "entries in group file");
	/* Comments are not entries; matches are whole names. */
	expect_error(PASSWD, GROUP, "#", "unable to find user #");
	expect_error(PASSWD, GROUP, "ap", "unable to find user ap");
	expect_error(PASSWD, GROUP, "app:comment", "unable to find group comment");
	/* Untrusted text is quoted sanitized. */
	expect_error(PASSWD, GROUP, "a\"b\x01", "unable to find user a?b?:");
}

static void test_bad_spec(void **state)
{
	(void)state;
	expect_error(PASSWD, GROUP, "", "invalid user");
	expect_error(PASSWD, GROUP, ":wheel", "invalid user");
	expect_error(PASSWD, GROUP, "app:", "invalid user");
	expect_error(PASSWD, GROUP, "app:wheel:x", "invalid user");
	expect_error(PASSWD, GROUP, "4294967295", "the uid is out of range");
	expect_error(PASSWD, GROUP, "99999999999999999999", "the uid is out of range");
	expect_error(PASSWD, GROUP, "app:4294967295", "the gid is out of range");
}

static void test_malformed_lines(void **state)
{
	static const char pw[] =
		"evil:x:abc:0::/root:/bin/sh\n"      /* uid not a number: skipped, never 0 */
		"evil:x:5:-1::/:/bin/sh\n"           /* gid negative */
		"evil:x:4294967295:5::/:/bin/sh\n"   /* out of range */
		"evil:x:\n"                          /* too few fields */
		":x:9:9::/:/bin/sh\n"                /* no name */
		"evil:x:+7:7::/:/bin/sh\n"           /* a sign */
		"evil:x:12:34:ok:/home/evil\n";      /* the first good one; no shell field */
	static const char gr[] =
		"g1:x:abc:evil\n"
		"g2:x:\n"
		":x:3:evil\n"
		"g4:x:44:evil\n"
		"g5:x:55\n"                          /* no member list */
		"g6:x:66:,,evil,\n";
	(void)state;
	expect(pw, gr, "evil", 12, 34, "/home/evil", (const uint64_t[]){ 44, 66, 0 });
	expect(pw, gr, "evil:g4", 12, 44, "/home/evil", NULL);
	expect_error(pw, gr, "evil:g1", "unable to find group g1");
	/* NUL bytes inside a line are just bytes. */
	static const char nul[] = "a\0b:x:1:1::/:/bin/sh\nab:x:2:2::/:/bin/sh\n";
	struct passwd_file p = { (const uint8_t *)nul, sizeof(nul) - 1, true };
	struct msg_v_user_reply r;
	struct berr e;
	assert_int_equal(verify_resolve_user(&p, &ABSENT, "ab", &r, &e), 0);
	assert_int_equal(r.uid, 2);
	ipc_struct_free(&msg_v_user_reply_schema, &r);
}

static char *repeat_line(const char *fmt, size_t n)
{
	size_t cap = n * 64 + 1, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, fmt, (unsigned)(100 + i));
	return s;
}

static void test_limits(void **state)
{
	struct passwd_file p, g;
	struct msg_v_user_reply r;
	struct berr e;
	char *gr;
	(void)state;

	/* 64 supplementary groups pass, 65 do not. */
	gr = repeat_line("g%u:x:%1$u:app\n", 64);
	expect(PASSWD, gr, "app:g163", 1000, 163, "/home/app", NULL);
	g = file(gr);
	p = file(PASSWD);
	assert_int_equal(verify_resolve_user(&p, &g, "app", &r, &e), 0);
	assert_int_equal(r.n_groups, 64);
	assert_int_equal(r.groups[63].gid, 163);
	ipc_struct_free(&msg_v_user_reply_schema, &r);
	free(gr);
	gr = repeat_line("g%u:x:%1$u:app\n", 65);
	expect_error(PASSWD, gr, "app", "user app is a member of more than 64 groups");
	free(gr);

	/* A line of 64 KiB is read; one byte more is an error. */
	size_t big = PASSWD_MAX_LINE + 2;
	char *pw = malloc(big + 64);
	assert_non_null(pw);
	memset(pw, 'x', big);
	memcpy(pw, "long:x:5:6::/", 13);
	pw[PASSWD_MAX_LINE] = '\n';
	strcpy(pw + PASSWD_MAX_LINE + 1, "u:x:7:8::/:\n");
	expect(pw, NULL, "u", 7, 8, "/", NULL);
	pw[PASSWD_MAX_LINE] = 'x';
	expect_error(pw, NULL, "u", "has a line longer than 64 KiB");
	free(pw);

	/* A file over 4 MiB is refused whole (the length alone decides). */
	p = (struct passwd_file){ (const uint8_t *)PASSWD, PASSWD_MAX_FILE + 1, true };
	g = ABSENT;
	assert_int_equal(verify_resolve_user(&p, &g, "app", &r, &e), -1);
	assert_non_null(strstr(e.msg, "/etc/passwd is more than 4 MiB"));
	/* A home longer than PATH_MAX is not used. */
	char *lh = malloc(5000 + 64);
	assert_non_null(lh);
	strcpy(lh, "h:x:1:1::/");
	memset(lh + 10, 'a', 4990);
	strcpy(lh + 5000, ":/bin/sh\n");
	expect(lh, NULL, "h", 1, 1, "/", NULL);
	free(lh);
}

/* The broker's side: which specs go to berth-verify (names) and which are final at create. */
static void test_broker_numeric(void **state)
{
	uint32_t uid, gid;
	struct berr e;
	(void)state;

	assert_true(ctr_user_numeric(NULL));
	assert_true(ctr_user_numeric(""));
	assert_true(ctr_user_numeric("root"));
	assert_true(ctr_user_numeric("1000"));
	assert_true(ctr_user_numeric("1000:50"));
	assert_false(ctr_user_numeric("app"));
	assert_false(ctr_user_numeric("root:wheel"));
	assert_false(ctr_user_numeric("1000:wheel"));
	assert_false(ctr_user_numeric("app:50"));
	assert_false(ctr_user_numeric("1000:"));
	assert_false(ctr_user_numeric(":50"));
	assert_false(ctr_user_numeric("-1"));
	assert_int_equal(ctr_user_parse_numeric("1000", &uid, &gid, &e), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 1000);
	assert_int_equal(ctr_user_parse_numeric("7:8", &uid, &gid, &e), 0);
	assert_int_equal(uid, 7);
	assert_int_equal(gid, 8);
	assert_int_equal(ctr_user_parse_numeric("root", &uid, &gid, &e), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(ctr_user_parse_numeric("4294967295", &uid, &gid, &e), -1);
	assert_non_null(strstr(e.msg, "the uid is out of range"));
	assert_int_equal(ctr_user_parse_numeric("1:4294967295", &uid, &gid, &e), -1);
	assert_non_null(strstr(e.msg, "the gid is out of range"));
	assert_int_equal(ctr_user_parse_numeric("app", &uid, &gid, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_uid),
		cmocka_unit_test(test_with_group),
		cmocka_unit_test(test_absent_files),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_bad_spec),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_broker_numeric),
	};
	return cmocka_run_group_tests_name("passwd", tests, NULL, NULL);
}
