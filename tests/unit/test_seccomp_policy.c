/* Unit tests for the seccomp policy parser (sandbox/seccomp_policy.c) and the pure parts of the
 * Landlock mapping. The real policies are read from disk: the tests run from the top of the
 * source tree, like make. */
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
#include <linux/landlock.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/xio.h"
#include "sandbox/landlock.h"
#include "sandbox/seccomp.h"
#include "sandbox/seccomp_policy.h"

#ifdef BERTH_SANITIZE
/* sandbox/sanitizer_policy.c turns leak detection off for sandboxed workers (LSan needs
 * ptrace); this test is never sandboxed, so it takes it back (that definition is weak). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=1";
}
#endif

static const char lib_text[] =
	"# test library\n"
	"@group base\n"
	"read\n"
	"write\n"
	"@include extra\n"
	"@group extra\n"
	"close\n"
	"@group loop\n"
	"@include loop\n";

/* Parses text with lib_text as the library; returns the parser's result, *pol filled. */
static int parse(const char *text, struct scp_policy *pol, struct berr *e)
{
	memset(pol, 0, sizeof(*pol));
	berr_clear(e);
	return scp_parse(pol, "t.policy", text, "lib.policy", lib_text, e);
}

static void expect_ok(const char *text)
{
	struct scp_policy pol;
	struct berr e;
	int rc = parse(text, &pol, &e);
	if (rc != 0)
		fail_msg("policy refused: %s\n---\n%s", e.msg, text);
	scp_policy_free(&pol);
}

/* The policy must be refused, with a message containing want. */
static void expect_err(const char *text, const char *want)
{
	struct scp_policy pol;
	struct berr e;
	int rc = parse(text, &pol, &e);
	scp_policy_free(&pol);
	if (rc == 0)
		fail_msg("policy accepted, expected an error with '%s':\n%s", want, text);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", e.msg, want);
}

static void test_simple_and_comments(void **state)
{
	struct scp_policy pol;
	struct berr e;
	(void)state;

	assert_int_equal(parse("# a comment\n\nread\n  write   # trailing comment\r\n"
			       "\texit_group\n", &pol, &e), 0);
	assert_int_equal(pol.n, 3);
	assert_string_equal(pol.rules[0].syscall, "read");
	assert_int_equal(pol.rules[0].nr, 0);           /* x86_64 */
	assert_int_equal(pol.rules[0].ncond, 0);
	assert_int_equal(pol.rules[0].action, SCP_ACT_ALLOW);
	assert_int_equal(pol.rules[0].line, 3);
	assert_string_equal(pol.rules[0].file, "t.policy");
	assert_string_equal(pol.rules[1].syscall, "write");
	assert_int_equal(pol.rules[2].line, 5);
	scp_policy_free(&pol);

	expect_ok("");
	expect_ok("# only a comment");
	expect_ok("read");                      /* no final newline */
}

static void test_conditions(void **state)
{
	struct scp_policy pol;
	struct berr e;
	(void)state;

	assert_int_equal(parse("fcntl: arg1 == F_GETFD\n"
			       "openat: arg2 & O_CREAT|__O_TMPFILE == 0\n"
			       "prlimit64: arg0 == 0 && arg2 == 0x0\n"
			       "lseek: arg2 <= 2 && arg0 != 99 && arg1 < 10 && arg3 > 1 && "
			       "arg4 >= 010\n",
			       &pol, &e), 0);
	assert_int_equal(pol.n, 4);
	assert_int_equal(pol.rules[0].ncond, 1);
	assert_int_equal(pol.rules[0].cond[0].arg, 1);
	assert_int_equal(pol.rules[0].cond[0].op, SCP_EQ);
	assert_int_equal(pol.rules[0].cond[0].value, F_GETFD);
	assert_int_equal(pol.rules[1].cond[0].op, SCP_MASKED_EQ);
	assert_int_equal(pol.rules[1].cond[0].mask, O_CREAT | 020000000);
	assert_int_equal(pol.rules[1].cond[0].value, 0);
	assert_int_equal(pol.rules[2].ncond, 2);
	assert_int_equal(pol.rules[2].cond[1].arg, 2);
	assert_int_equal(pol.rules[3].ncond, 5);
	assert_int_equal(pol.rules[3].cond[0].op, SCP_LE);
	assert_int_equal(pol.rules[3].cond[1].op, SCP_NE);
	assert_int_equal(pol.rules[3].cond[2].op, SCP_LT);
	assert_int_equal(pol.rules[3].cond[3].op, SCP_GT);
	assert_int_equal(pol.rules[3].cond[4].op, SCP_GE);
	assert_int_equal(pol.rules[3].cond[4].value, 8);        /* octal, as in C */
	scp_policy_free(&pol);
}

static void test_or_lines_and_wx(void **state)
{
	struct scp_policy pol;
	struct berr e;
	(void)state;

	/* Allowed unless both W and X: two ORed lines. */
	assert_int_equal(parse("mmap: arg2 & PROT_EXEC == 0\nmmap: arg2 & PROT_WRITE == 0\n",
			       &pol, &e), 0);
	assert_int_equal(pol.n, 2);
	assert_int_equal(pol.rules[0].nr, pol.rules[1].nr);
	scp_policy_free(&pol);

	expect_ok("mmap: arg2 & PROT_WRITE|PROT_EXEC == PROT_WRITE\n");
	expect_ok("mmap: arg2 == PROT_READ|PROT_EXEC\n");
	expect_ok("mmap: arg2 <= 5\n");
	expect_ok("mmap: arg2 < 6\n");
	expect_ok("mprotect: arg2 & PROT_EXEC == 0\n");
	expect_ok("mprotect: arg2 == PROT_READ\n");
	expect_ok("mprotect: arg2 < PROT_EXEC\n");
	expect_ok("pkey_mprotect: arg2 & PROT_EXEC == 0\n");
	/* Denying is always fine. */
	expect_ok("mmap -> errno EPERM\n");
	expect_ok("mprotect: arg2 & PROT_EXEC == PROT_EXEC -> errno EACCES\n");
}

static void test_wx_refused(void **state)
{
	(void)state;
	expect_err("mmap\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mmap: arg0 == 0\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mmap: arg2 & PROT_READ == 0\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mmap: arg2 != PROT_WRITE|PROT_EXEC\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mmap: arg2 == PROT_READ|PROT_WRITE|PROT_EXEC\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mmap: arg2 <= 6\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mmap: arg2 & PROT_EXEC == 0\nmmap: arg3 == 0\n", "PROT_WRITE and PROT_EXEC");
	expect_err("mprotect\n", "PROT_EXEC");
	expect_err("mprotect: arg2 & PROT_WRITE == 0\n", "PROT_EXEC");
	expect_err("mprotect: arg2 == PROT_READ|PROT_EXEC\n", "PROT_EXEC");
	expect_err("mprotect: arg2 & PROT_EXEC == PROT_EXEC\n", "PROT_EXEC");
	expect_err("pkey_mprotect\n", "PROT_EXEC");
}

static void test_errno_actions(void **state)
{
	struct scp_policy pol;
	struct berr e;
	(void)state;

	assert_int_equal(parse("clone3 -> errno ENOSYS\n"
			       "socket: arg0 == AF_UNIX -> errno EACCES\n"
			       "getcwd -> errno 13\n"
			       "read -> allow\n", &pol, &e), 0);
	assert_int_equal(pol.n, 4);
	assert_int_equal(pol.rules[0].action, SCP_ACT_ERRNO);
	assert_int_equal(pol.rules[0].errnum, ENOSYS);
	assert_int_equal(pol.rules[1].errnum, EACCES);
	assert_int_equal(pol.rules[1].cond[0].value, AF_UNIX);
	assert_int_equal(pol.rules[2].errnum, 13);
	assert_int_equal(pol.rules[3].action, SCP_ACT_ALLOW);
	scp_policy_free(&pol);

	expect_err("clone3 -> errno ENOTANERRNO\n", "unknown errno");
	expect_err("clone3 -> errno 0\n", "bad errno");
	expect_err("clone3 -> errno 5000\n", "bad errno");
	expect_err("clone3 -> errno\n", "expected an errno");
	expect_err("clone3 -> kill\n", "unknown action");
	expect_err("clone3 -> errno EPERM EPERM\n", "unexpected");
}

static void test_includes(void **state)
{
	struct scp_policy pol;
	struct berr e;
	(void)state;

	assert_int_equal(parse("@include base\nexit_group\n", &pol, &e), 0);
	assert_int_equal(pol.n, 4);     /* read, write, close (nested), exit_group */
	assert_string_equal(pol.rules[0].file, "lib.policy");
	assert_int_equal(pol.rules[0].line, 3);
	assert_string_equal(pol.rules[2].syscall, "close");
	assert_string_equal(pol.rules[3].file, "t.policy");
	scp_policy_free(&pol);

	expect_err("@include nosuch\n", "no @group nosuch");
	expect_err("@include loop\n", "nested too deeply");
	expect_err("@include\n", "needs a group name");
	expect_err("@include base extra\n", "unexpected");
	expect_err("@group mine\nread\n", "only allowed in the library");
	expect_err("@frobnicate\n", "unknown directive");

	/* No library given. */
	memset(&pol, 0, sizeof(pol));
	assert_int_equal(scp_parse(&pol, "t.policy", "@include base\n", NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "no library"));
	scp_policy_free(&pol);
}

static void test_library_check(void **state)
{
	struct berr e;
	(void)state;

	assert_int_equal(scp_check_library("l", "# c\n@group a\nread\n@group b\n@include a\n", &e),
			 0);
	assert_int_equal(scp_check_library("l", "read\n@group a\nwrite\n", &e), -1);
	assert_non_null(strstr(e.msg, "belong to no group"));
	assert_int_equal(scp_check_library("l", "@group a\nread\n@group a\nwrite\n", &e), -1);
	assert_non_null(strstr(e.msg, "defined twice"));
	assert_int_equal(scp_check_library("l", "# nothing\n", &e), -1);
	assert_int_equal(scp_check_library("l", "@group a\nnosuchcall\n", &e), -1);
	assert_non_null(strstr(e.msg, "l:2: unknown syscall"));
}

static void test_unknown_names(void **state)
{
	(void)state;
	expect_err("read\nnosuchsyscall\n", "t.policy:2: unknown syscall 'nosuchsyscall'");
	/* Exists on other architectures, not on this one. */
	expect_err("socketcall\n", "does not exist on this architecture");
	expect_err("Read\n", "not a syscall name");
	expect_err("fcntl: arg1 == F_NOSUCH\n", "t.policy:1: unknown constant 'F_NOSUCH'");
	expect_err("fcntl: arg1 == F_GETFD|BOGUS\n", "unknown constant 'BOGUS'");
}

static void test_bad_syntax(void **state)
{
	char longline[SCP_LINE_MAX + 20];
	(void)state;

	expect_err("fcntl: arg1 = 1\n", "expected an operator");
	expect_err("fcntl: arg1 =~ 1\n", "expected an operator");
	expect_err("fcntl: arg1 => 1\n", "expected an operator");
	expect_err("fcntl: arg1 & 3 != 1\n", "masked compare must be");
	expect_err("fcntl: arg1 & 3 < 1\n", "masked compare must be");
	expect_err("fcntl: arg1 & 1 == 2\n", "can never be true");
	expect_err("fcntl: arg6 == 1\n", "arg0..arg5");
	expect_err("fcntl: arg9 == 1\n", "arg0..arg5");
	expect_err("fcntl: arg10 == 1\n", "expected argN");
	expect_err("fcntl: argx == 1\n", "expected argN");
	expect_err("fcntl: 1 == arg1\n", "expected argN");
	expect_err("fcntl: arg1 == \n", "expected a number");
	expect_err("fcntl: arg1 == 1 |\n", "expected a number");
	expect_err("fcntl: arg1 == 1 &&\n", "expected argN");
	expect_err("fcntl: arg1 == 1 arg2 == 2\n", "unexpected");
	expect_err("fcntl: arg1 == 1 && arg1 == 2\n", "tested twice");
	expect_err("fcntl: arg1 == 0x\n", "bad number");
	expect_err("fcntl: arg1 == 99999999999999999999999\n", "bad number");
	expect_err("fcntl: arg1 == 12abc\n", "bad number");
	expect_err("fcntl:\n", "expected argN");
	expect_err("fcntl arg1 == 1\n", "unexpected");
	expect_err("fcntl:: arg1 == 1\n", "expected argN");
	expect_err("$%^\n", "expected a syscall name");
	expect_err("read write\n", "unexpected");
	expect_err("read\x01\n", "control character");
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	expect_err(longline, "longer than");
}

static void test_dangerous_needs_reason(void **state)
{
	(void)state;
	assert_true(scp_is_dangerous("execve"));
	assert_true(scp_is_dangerous("ioctl"));
	assert_false(scp_is_dangerous("read"));

	expect_err("execve\n", "t.policy:1: execve is dangerous");
	expect_err("read\nptrace\n", "t.policy:2: ptrace is dangerous");
	expect_err("# why\n\nsocket: arg0 == AF_INET\n", "socket is dangerous");   /* gap */
	expect_err("# why\nread\nioctl: arg1 == TCGETS\n", "ioctl is dangerous");  /* not next */
	expect_err("# why\nsocket: arg0 == AF_INET\nsocketpair: arg0 == AF_UNIX\n",
		   "socketpair is dangerous");          /* a block is one syscall */
	expect_err("# why\nsetns: arg1 == CLONE_NEWNET\nread\nsetns\n", "setns is dangerous");
	expect_err("clone: arg0 & CLONE_THREAD == CLONE_THREAD\n", "clone is dangerous");
	expect_err("bpf\n", "bpf is dangerous");
	expect_err("mount\n", "mount is dangerous");
	expect_err("unshare\n", "unshare is dangerous");

	expect_ok("# the reason\nexecve\n");
	expect_ok("read\n   # indented reason\nioctl: arg1 == TCGETS\n");
	expect_ok("# one reason for the block\nsocket: arg0 == AF_INET\nsocket: arg0 == AF_INET6\n");
	/* Denying needs no reason. */
	expect_ok("clone3 -> errno ENOSYS\nptrace -> errno EPERM\n");
}

static void test_conflicts(void **state)
{
	(void)state;
	/* Disjoint by one argument tested with ==: fine. */
	expect_ok("# r\nsocket: arg0 == AF_INET\nsocket: arg0 == AF_UNIX -> errno EACCES\n");
	expect_ok("# r\nsocket: arg0 == AF_NETLINK && arg2 == 0\n"
		  "socket: arg0 == AF_UNIX -> errno EACCES\n");
	/* Same action: ORed, no conflict. */
	expect_ok("read\nread: arg0 == 3\n");
	/* libseccomp would silently let one of them win: refused. */
	expect_err("write: arg0 == 1\nwrite -> errno EPERM\n", "different actions");
	expect_err("write -> errno EPERM\nwrite: arg0 == 1\n", "different actions");
	expect_err("# r\nsocket: arg0 == AF_INET\nsocket: arg1 == 1 -> errno EPERM\n",
		   "different actions");
	expect_err("# r\nsocket: arg0 == AF_INET\nsocket: arg0 == AF_INET -> errno EPERM\n",
		   "different actions");
	expect_err("read -> errno EPERM\nread -> errno EACCES\n", "different actions");
	expect_err("read: arg0 & 1 == 0\nread: arg0 & 1 == 1 -> errno EPERM\n",
		   "different actions");
}

static void test_symbols(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(scp_symbol_value("AF_INET6", &v), 0);
	assert_int_equal(v, AF_INET6);
	assert_int_equal(scp_symbol_value("CLONE_THREAD", &v), 0);
	assert_int_equal(v, CLONE_THREAD);
	assert_int_equal(scp_symbol_value("PROT_EXEC", &v), 0);
	assert_int_equal(v, PROT_EXEC);
	assert_int_equal(scp_symbol_value("__O_TMPFILE", &v), 0);
	assert_int_equal(v & O_DIRECTORY, 0);   /* the lone bit, not glibc's composite */
	assert_int_equal(scp_symbol_value("NOPE", &v), -1);
}

/* ------------------------------------------------------------- the real policies */

static const char *const worker_policies[] = {
	"workers/fetch/seccomp.policy", "workers/verify/seccomp.policy",
	"workers/unpack/seccomp.policy", "workers/netsetup/seccomp.policy",
	"workers/launch/seccomp.policy", "workers/pause/seccomp.policy",
};

static char *read_policy(const char *path)
{
	char *text = NULL;
	struct berr e;

	if (xread_file_at(AT_FDCWD, path, 256 * 1024, &text, NULL, &e) < 0)
		fail_msg("%s (run the tests from the top of the source tree)", e.msg);
	return text;
}

static bool has_rule(const struct scp_policy *pol, const char *syscall)
{
	for (size_t i = 0; i < pol->n; i++)
		if (strcmp(pol->rules[i].syscall, syscall) == 0 &&
		    pol->rules[i].action == SCP_ACT_ALLOW)
			return true;
	return false;
}

static void test_base_library(void **state)
{
	struct berr e;
	char *text = read_policy(SANDBOX_BASE_POLICY_NAME);
	(void)state;

	if (scp_check_library(SANDBOX_BASE_POLICY_NAME, text, &e) < 0)
		fail_msg("%s", e.msg);
	/* The compiled-in copy is the reviewed file. */
	assert_string_equal(sandbox_base_policy_text, text);
	free(text);
}

static void test_worker_policies(void **state)
{
	struct berr e;
	char *lib = read_policy(SANDBOX_BASE_POLICY_NAME);
	(void)state;

	for (size_t i = 0; i < sizeof(worker_policies) / sizeof(worker_policies[0]); i++) {
		char *text = read_policy(worker_policies[i]);
		struct scp_policy pol = { 0 };

		if (scp_parse(&pol, worker_policies[i], text, SANDBOX_BASE_POLICY_NAME, lib, &e) < 0)
			fail_msg("%s", e.msg);
		assert_true(pol.n > 5);
		/* No worker may ever run a program or trace one (as of this issue). */
		assert_false(has_rule(&pol, "execve"));
		assert_false(has_rule(&pol, "execveat"));
		assert_false(has_rule(&pol, "ptrace"));
		assert_false(has_rule(&pol, "mount"));
		assert_false(has_rule(&pol, "unshare"));
		assert_false(has_rule(&pol, "bpf"));
		/* Only fetch and netsetup make sockets. */
		if (strstr(worker_policies[i], "/fetch/") == NULL &&
		    strstr(worker_policies[i], "/netsetup/") == NULL)
			assert_false(has_rule(&pol, "socket"));
		scp_policy_free(&pol);

		/* The way sandbox_enter() compiles it (with the sanitizer rules in such a
		 * build) must work too. */
		memset(&pol, 0, sizeof(pol));
		if (sandbox_seccomp_compile(worker_policies[i], text, &pol, &e) < 0)
			fail_msg("%s", e.msg);
		scp_policy_free(&pol);
		free(text);
	}
	free(lib);
}

/* berth-verify's gpg mode (signature checks only) runs gpg: execve is its one exception, and
 * it still may not trace, mount, make namespaces or open any socket but AF_UNIX. */
static void test_verify_gpg_policy(void **state)
{
	static const char name[] = "workers/verify/seccomp-gpg.policy";
	struct berr e;
	char *lib = read_policy(SANDBOX_BASE_POLICY_NAME);
	char *text = read_policy(name);
	struct scp_policy pol = { 0 };
	(void)state;

	if (scp_parse(&pol, name, text, SANDBOX_BASE_POLICY_NAME, lib, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(has_rule(&pol, "execve"));
	assert_false(has_rule(&pol, "execveat"));
	assert_false(has_rule(&pol, "ptrace"));
	assert_false(has_rule(&pol, "mount"));
	assert_false(has_rule(&pol, "unshare"));
	assert_false(has_rule(&pol, "setns"));
	assert_false(has_rule(&pol, "bpf"));
	for (size_t i = 0; i < pol.n; i++)
		if (strcmp(pol.rules[i].syscall, "socket") == 0)
			assert_true(pol.rules[i].ncond == 1);
	scp_policy_free(&pol);
	memset(&pol, 0, sizeof(pol));
	if (sandbox_seccomp_compile(name, text, &pol, &e) < 0)
		fail_msg("%s", e.msg);
	scp_policy_free(&pol);
	free(text);
	free(lib);
}

static void test_sanitizer_policy(void **state)
{
	struct berr e;
	struct scp_policy pol = { 0 };
	char *lib = read_policy(SANDBOX_BASE_POLICY_NAME);
	char *text = read_policy(SANDBOX_SANITIZER_POLICY_NAME);
	(void)state;

	if (scp_parse(&pol, SANDBOX_SANITIZER_POLICY_NAME, text, SANDBOX_BASE_POLICY_NAME, lib,
		      &e) < 0)
		fail_msg("%s", e.msg);
	for (size_t i = 0; i < pol.n; i++)
		if (pol.rules[i].action == SCP_ACT_ALLOW && scp_is_dangerous(pol.rules[i].syscall))
			fail_msg("sanitizer.policy allows %s", pol.rules[i].syscall);
	scp_policy_free(&pol);
	free(text);
	free(lib);
}

/* ------------------------------------------------------------- Landlock mapping */

static void test_landlock_rights(void **state)
{
	(void)state;
	assert_int_equal(sandbox_ll_fs_handled(0), 0);
	assert_int_equal(sandbox_ll_fs_handled(1), (1ULL << 13) - 1);   /* 13 rights */
	assert_int_equal(sandbox_ll_fs_handled(2), (1ULL << 14) - 1);   /* + REFER */
	assert_int_equal(sandbox_ll_fs_handled(3), (1ULL << 15) - 1);   /* + TRUNCATE */
	assert_int_equal(sandbox_ll_fs_handled(4), (1ULL << 15) - 1);   /* net only */
	assert_int_equal(sandbox_ll_fs_handled(5), (1ULL << 16) - 1);   /* + IOCTL_DEV */
	assert_int_equal(sandbox_ll_fs_handled(7), (1ULL << 16) - 1);

	assert_int_equal(sandbox_ll_fs_rights(SB_LL_READ, 7, true),
			 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
	/* A file cannot be granted READ_DIR: the kernel refuses directory rights on it. */
	assert_int_equal(sandbox_ll_fs_rights(SB_LL_READ, 7, false), LANDLOCK_ACCESS_FS_READ_FILE);
	assert_int_equal(sandbox_ll_fs_rights(SB_LL_EXEC, 1, false), LANDLOCK_ACCESS_FS_EXECUTE);
	uint64_t w = sandbox_ll_fs_rights(SB_LL_WRITE, 7, true);
	assert_true(w & LANDLOCK_ACCESS_FS_MAKE_REG);
	assert_true(w & LANDLOCK_ACCESS_FS_REFER);
	assert_true(w & (1ULL << 14));          /* TRUNCATE */
	assert_false(w & LANDLOCK_ACCESS_FS_READ_FILE);
	assert_false(w & LANDLOCK_ACCESS_FS_EXECUTE);
	/* Rights newer than the ABI are left out (the kernel would refuse the rule). */
	assert_false(sandbox_ll_fs_rights(SB_LL_WRITE, 1, true) & LANDLOCK_ACCESS_FS_REFER);
	assert_int_equal(sandbox_ll_fs_rights(SB_LL_WRITE, 7, false),
			 LANDLOCK_ACCESS_FS_WRITE_FILE | (1ULL << 14));
	assert_int_equal(sandbox_ll_fs_rights(SB_LL_READ, 0, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_and_comments),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_or_lines_and_wx),
		cmocka_unit_test(test_wx_refused),
		cmocka_unit_test(test_errno_actions),
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_library_check),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_dangerous_needs_reason),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_base_library),
		cmocka_unit_test(test_worker_policies),
		cmocka_unit_test(test_verify_gpg_policy),
		cmocka_unit_test(test_sanitizer_policy),
		cmocka_unit_test(test_landlock_rights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
