/* Unit tests for container seccomp profiles (policy/seccomp_profile.c): berth's default
 * profile as compiled in, its parser's errors, and the conversion of containers/Docker
 * seccomp.json files. Besides looking at the OCI JSON, the tests evaluate it the way the
 * kernel filter would (every entry whose conditions hold; they must agree), so "ioctl TIOCSTI
 * is refused" is checked as behaviour, not as a string. Runs from the top of the source tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/xio.h"
#include "policy/seccomp_profile.h"

#ifdef BERTH_SANITIZE
/* sandbox/sanitizer_policy.c (linked into every unit test) turns leak detection off for
 * sandboxed workers; this test is never sandboxed, so it takes it back. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=1";
}
#endif

/* Podman's default capability set. */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT",
};
#define N_DEFAULT_CAPS (sizeof(default_caps) / sizeof(default_caps[0]))

#define ACT_ALLOW (-1)
#define ACT_DEFAULT (-2)   /* no entry matched */

/* The default profile for the default caps plus `extra` (NULL: none) on arch. */
static json_t *build(const char *extra, const char *arch)
{
	const char *caps[N_DEFAULT_CAPS + 1];
	struct sprof_target t = { .caps = caps, .n_caps = N_DEFAULT_CAPS, .arch = arch };
	struct berr e;
	json_t *o = NULL;

	memcpy(caps, default_caps, sizeof(default_caps));
	if (extra != NULL)
		caps[t.n_caps++] = extra;
	if (sprof_default_oci(&t, &o, &e) < 0)
		fail_msg("default profile: %s", e.msg);
	return o;
}

static bool entry_names(json_t *entry, const char *name)
{
	size_t i;
	json_t *n;

	json_array_foreach(json_object_get(entry, "names"), i, n)
		if (strcmp(json_string_value(n), name) == 0)
			return true;
	return false;
}

static size_t count_entries(json_t *oci, const char *name)
{
	size_t i, k = 0;
	json_t *s;

	json_array_foreach(json_object_get(oci, "syscalls"), i, s)
		k += entry_names(s, name);
	return k;
}

/* The single entry for name (fails the test if there are several or none). */
static json_t *only_entry(json_t *oci, const char *name)
{
	size_t i;
	json_t *s, *found = NULL;

	json_array_foreach(json_object_get(oci, "syscalls"), i, s)
		if (entry_names(s, name)) {
			if (found != NULL)
				fail_msg("%s has more than one entry", name);
			found = s;
		}
	if (found == NULL)
		fail_msg("%s has no entry", name);
	return found;
}

static int entry_action(json_t *s)
{
	const char *a = json_string_value(json_object_get(s, "action"));

	if (strcmp(a, "SCMP_ACT_ALLOW") == 0)
		return ACT_ALLOW;
	assert_string_equal(a, "SCMP_ACT_ERRNO");
	return (int)json_integer_value(json_object_get(s, "errnoRet"));
}

static bool arg_holds(json_t *a, const uint64_t *args)
{
	uint64_t x = args[json_integer_value(json_object_get(a, "index"))];
	uint64_t v = (uint64_t)json_integer_value(json_object_get(a, "value"));
	uint64_t v2 = (uint64_t)json_integer_value(json_object_get(a, "valueTwo"));
	const char *op = json_string_value(json_object_get(a, "op"));

	if (strcmp(op, "SCMP_CMP_EQ") == 0)
		return x == v;
	if (strcmp(op, "SCMP_CMP_NE") == 0)
		return x != v;
	if (strcmp(op, "SCMP_CMP_LT") == 0)
		return x < v;
	if (strcmp(op, "SCMP_CMP_LE") == 0)
		return x <= v;
	if (strcmp(op, "SCMP_CMP_GT") == 0)
		return x > v;
	if (strcmp(op, "SCMP_CMP_GE") == 0)
		return x >= v;
	assert_string_equal(op, "SCMP_CMP_MASKED_EQ");
	return (x & v) == v2;
}

/* What the filter answers for name(args): ACT_ALLOW, an errno, or ACT_DEFAULT. Every matching
 * entry must give the same answer (otherwise libseccomp would pick one silently). */
static int eval(json_t *oci, const char *name, const uint64_t args[6])
{
	size_t i, j;
	json_t *s, *a;
	int result = ACT_DEFAULT;

	json_array_foreach(json_object_get(oci, "syscalls"), i, s) {
		bool all = true;
		if (!entry_names(s, name))
			continue;
		json_array_foreach(json_object_get(s, "args"), j, a)
			all = all && arg_holds(a, args);
		if (!all)
			continue;
		if (result != ACT_DEFAULT && result != entry_action(s))
			fail_msg("%s: entries with different actions match the same call", name);
		result = entry_action(s);
	}
	return result;
}

static int eval1(json_t *oci, const char *name, uint64_t a0, uint64_t a1)
{
	uint64_t args[6] = { a0, a1, 0, 0, 0, 0 };
	return eval(oci, name, args);
}

/* ------------------------------------------------------------------ the default profile */

static void test_embedded_is_the_file(void **state)
{
	char *text = NULL;
	size_t len;
	struct berr e;
	(void)state;

	if (xread_file_at(AT_FDCWD, SPROF_DEFAULT_NAME, 1 << 20, &text, &len, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(text, sprof_default_text);  /* the build embedded the current file */
	free(text);
}

static void test_default_parses(void **state)
{
	json_t *o = build(NULL, "amd64"), *arches;
	(void)state;

	assert_string_equal(json_string_value(json_object_get(o, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(o, "defaultErrnoRet")), ENOSYS);
	arches = json_object_get(o, "architectures");
	assert_int_equal(json_array_size(arches), 3);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
	assert_string_equal(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_X86");
	assert_string_equal(json_string_value(json_array_get(arches, 2)), "SCMP_ARCH_X32");
	assert_true(json_array_size(json_object_get(o, "syscalls")) > 100);
	json_decref(o);

	o = build(NULL, "arm64");
	arches = json_object_get(o, "architectures");
	assert_int_equal(json_array_size(arches), 2);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_AARCH64");
	assert_string_equal(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_ARM");
	json_decref(o);

	/* the build's own architecture is the default */
	if (sprof_build_arch() != NULL) {
		o = build(NULL, NULL);
		assert_non_null(o);
		json_decref(o);
	}
}

static void test_arch_gated(void **state)
{
	json_t *x86 = build(NULL, "amd64"), *arm = build(NULL, "arm64");
	struct sprof_target t = { .arch = "riscv64" };
	struct berr e;
	json_t *o;
	(void)state;

	assert_int_equal(count_entries(x86, "arch_prctl"), 1);
	assert_int_equal(count_entries(arm, "arch_prctl"), 0);
	assert_int_equal(count_entries(x86, "set_tls"), 0);
	assert_int_equal(count_entries(arm, "set_tls"), 1);
	json_decref(x86);
	json_decref(arm);

	/* no arch line for the host: refused, not an empty filter */
	assert_int_equal(sprof_default_oci(&t, &o, &e), -1);
	assert_int_equal(e.code, BERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "riscv64"));
	t.arch = "vax";
	assert_int_equal(sprof_default_oci(&t, &o, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
}

/* Refused with EPERM for the default capabilities, whatever the arguments. */
static const char *const denied[] = {
	"mount", "umount2", "pivot_root", "unshare", "setns", "fsopen", "move_mount", "bpf",
	"keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "kexec_load",
	"kexec_file_load", "init_module", "finit_module", "delete_module", "perf_event_open",
	"userfaultfd", "open_by_handle_at", "reboot", "swapon", "swapoff", "acct", "quotactl",
	"lookup_dcookie", "syslog", "settimeofday", "clock_settime", "iopl", "ioperm", "vhangup",
	"set_mempolicy", "mbind", "move_pages", "sethostname",
};

static void expect_eperm(json_t *o, const char *name)
{
	json_t *s = only_entry(o, name);
	if (entry_action(s) != EPERM)
		fail_msg("%s: expected EPERM", name);
	assert_null(json_object_get(s, "args"));
}

static void expect_allow(json_t *o, const char *name)
{
	json_t *s = only_entry(o, name);
	if (entry_action(s) != ACT_ALLOW)
		fail_msg("%s: expected allow", name);
	assert_null(json_object_get(s, "args"));
}

static void test_denied_by_default(void **state)
{
	json_t *o = build(NULL, "amd64");
	(void)state;

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		expect_eperm(o, denied[i]);
	/* chroot is gated on CAP_SYS_CHROOT, which is in the default set */
	expect_allow(o, "chroot");
	json_decref(o);
}

static void test_cap_sys_admin(void **state)
{
	json_t *o = build("CAP_SYS_ADMIN", "amd64");
	const char *allowed[] = { "mount", "umount2", "pivot_root", "unshare", "setns",
				  "fsopen", "bpf", "perf_event_open", "syslog", "clone", "clone3" };
	(void)state;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		expect_allow(o, allowed[i]);
	/* other groups keep their own capability */
	expect_eperm(o, "ptrace");
	expect_eperm(o, "keyctl");
	expect_eperm(o, "init_module");
	expect_eperm(o, "kexec_load");
	json_decref(o);
}

static void test_cap_sys_ptrace(void **state)
{
	json_t *o = build("CAP_SYS_PTRACE", "amd64");
	(void)state;

	expect_allow(o, "ptrace");
	expect_allow(o, "process_vm_readv");
	expect_allow(o, "pidfd_getfd");
	expect_allow(o, "userfaultfd");
	expect_eperm(o, "mount");
	json_decref(o);

	o = build("CAP_BPF", "amd64");
	expect_allow(o, "bpf");
	expect_eperm(o, "perf_event_open");
	json_decref(o);
}

static void test_clone(void **state)
{
	const uint64_t ns_mask = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
	const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
				CLONE_CHILD_CLEARTID;
	json_t *o = build(NULL, "amd64"), *s, *a;
	size_t i, n_allow = 0;
	(void)state;

	assert_int_equal(ns_mask, 0x7E020000);
	/* one allowing entry with the namespace-flag mask, one EPERM entry per flag */
	assert_int_equal(count_entries(o, "clone"), 1 + 7);
	json_array_foreach(json_object_get(o, "syscalls"), i, s) {
		if (!entry_names(s, "clone") || entry_action(s) != ACT_ALLOW)
			continue;
		n_allow++;
		assert_int_equal(json_array_size(json_object_get(s, "args")), 1);
		a = json_array_get(json_object_get(s, "args"), 0);
		assert_int_equal(json_integer_value(json_object_get(a, "index")), 0);
		assert_int_equal(json_integer_value(json_object_get(a, "value")), ns_mask);
		assert_int_equal(json_integer_value(json_object_get(a, "valueTwo")), 0);
		assert_string_equal(json_string_value(json_object_get(a, "op")),
				    "SCMP_CMP_MASKED_EQ");
	}
	assert_int_equal(n_allow, 1);
	assert_int_equal(eval1(o, "clone", SIGCHLD, 0), ACT_ALLOW);                 /* fork */
	assert_int_equal(eval1(o, "clone", thread, 0), ACT_ALLOW);                  /* thread */
	assert_int_equal(eval1(o, "clone", CLONE_NEWUSER | SIGCHLD, 0), EPERM);
	assert_int_equal(eval1(o, "clone", CLONE_NEWNET, 0), EPERM);
	assert_int_equal(eval1(o, "clone", ns_mask | thread, 0), EPERM);
	/* clone3's flags are in memory: ENOSYS so glibc falls back to clone. That is the default
	 * answer, so the rule is not emitted (libseccomp refuses a rule equal to the default). */
	assert_int_equal(count_entries(o, "clone3"), 0);
	assert_int_equal(eval1(o, "clone3", 0, 0), ACT_DEFAULT);
	json_decref(o);

	o = build("CAP_SYS_ADMIN", "amd64");
	assert_int_equal(eval1(o, "clone", CLONE_NEWUSER | SIGCHLD, 0), ACT_ALLOW);
	json_decref(o);
}

static void test_common_syscalls(void **state)
{
	const char *allowed[] = { "read", "write", "openat", "close", "execve", "execveat",
				  "futex", "epoll_create1", "epoll_ctl", "epoll_wait",
				  "epoll_pwait", "epoll_pwait2", "mmap", "mprotect", "brk",
				  "rt_sigaction", "exit_group", "wait4", "newfstatat", "statx",
				  "getdents64", "socketpair", "connect", "accept4", "sendmsg",
				  "recvmsg", "prctl", "seccomp", "setuid", "capset", "chroot",
				  "getrandom", "rseq", "faccessat2", "close_range", "openat2",
				  "pidfd_open", "io_submit", "memfd_create" };
	json_t *o = build(NULL, "amd64");
	(void)state;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		expect_allow(o, allowed[i]);
	/* io_uring: ENOSYS on purpose (applications fall back to epoll / threads) */
	assert_int_equal(count_entries(o, "io_uring_setup"), 0);
	assert_int_equal(eval1(o, "io_uring_setup", 0, 0), ACT_DEFAULT);
	assert_int_equal(eval1(o, "io_uring_enter", 0, 0), ACT_DEFAULT);
	/* unlisted: the default answer */
	assert_int_equal(eval1(o, "uselib", 0, 0), ACT_DEFAULT);
	assert_int_equal(eval1(o, "nfsservctl", 0, 0), ACT_DEFAULT);
	json_decref(o);
}

static void test_argument_rules(void **state)
{
	json_t *o = build(NULL, "amd64");
	const uint64_t hi = UINT64_C(1) << 32;
	(void)state;

	/* ioctl: everything but TIOCSTI, also with high bits the kernel drops */
	assert_int_equal(eval1(o, "ioctl", 1, TIOCSTI), EPERM);
	assert_int_equal(eval1(o, "ioctl", 1, TIOCSTI | hi), EPERM);
	assert_int_equal(eval1(o, "ioctl", 1, TCGETS), ACT_ALLOW);
	assert_int_equal(eval1(o, "ioctl", 1, TIOCGWINSZ | hi), ACT_ALLOW);
	assert_int_equal(eval1(o, "ioctl", 1, TIOCSTI ^ 1), ACT_ALLOW);
	assert_int_equal(eval1(o, "ioctl", 1, 0), ACT_ALLOW);
	/* socket: every family but AF_VSOCK */
	assert_int_equal(eval1(o, "socket", AF_VSOCK, SOCK_STREAM), ACT_DEFAULT);
	assert_int_equal(eval1(o, "socket", AF_VSOCK | hi, SOCK_STREAM), ACT_DEFAULT);
	assert_int_equal(eval1(o, "socket", AF_INET, SOCK_STREAM), ACT_ALLOW);
	assert_int_equal(eval1(o, "socket", AF_UNIX, SOCK_DGRAM), ACT_ALLOW);
	assert_int_equal(eval1(o, "socket", AF_NETLINK, SOCK_RAW), ACT_ALLOW);
	/* personality: the safe values only */
	assert_int_equal(eval1(o, "personality", 0, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "personality", 8, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "personality", 0x20008, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "personality", 0xffffffff, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "personality", 0x0040000, 0), ACT_DEFAULT); /* ADDR_NO_RANDOMIZE */
	assert_int_equal(eval1(o, "personality", hi, 0), ACT_DEFAULT);
	json_decref(o);
}

/* No two entries with different actions match the same call, for any capability set: tried
 * on every syscall of the profile with argument values around every constant it uses. */
static void test_no_overlap(void **state)
{
	const char *extras[] = { NULL, "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_BPF",
				 "CAP_PERFMON", "CAP_SYSLOG", "CAP_SYS_NICE", "CAP_SYS_MODULE" };
	const uint64_t probes[] = { 0, 1, 8, 0x20000, 0x20008, 0xffffffff, TIOCSTI, TCGETS,
				    AF_VSOCK, AF_INET, 0x7E020000, CLONE_NEWUSER, SIGCHLD,
				    UINT64_C(1) << 32 | TIOCSTI, UINT64_C(1) << 32 | AF_VSOCK };
	(void)state;

	for (size_t x = 0; x < sizeof(extras) / sizeof(extras[0]); x++) {
		json_t *o = build(extras[x], "amd64"), *s, *n;
		size_t i, j;
		json_array_foreach(json_object_get(o, "syscalls"), i, s)
			json_array_foreach(json_object_get(s, "names"), j, n)
				for (size_t a = 0; a < sizeof(probes) / sizeof(probes[0]); a++)
					for (size_t b = 0; b < sizeof(probes) / sizeof(probes[0]); b++)
						eval1(o, json_string_value(n), probes[a], probes[b]);
		json_decref(o);
	}
}

/* Syscalls newer than the libseccomp this test is built with: the runtime's libseccomp
 * resolves them where it knows them and skips them where not. Kept short on purpose, so a
 * typo in the profile still fails below. */
static const char *const newer_than_libseccomp[] = {
	"cachestat", "fchmodat2", "futex_wake", "futex_wait", "futex_requeue",
	"set_mempolicy_home_node", "futex_waitv", "memfd_secret", "process_mrelease",
};

static void check_names_resolve(json_t *o, const uint32_t *arches, size_t n_arches)
{
	size_t i, j;
	json_t *s, *n;

	json_array_foreach(json_object_get(o, "syscalls"), i, s)
		json_array_foreach(json_object_get(s, "names"), j, n) {
			const char *name = json_string_value(n);
			bool known = false;
			for (size_t a = 0; a < n_arches; a++)
				known = known ||
					seccomp_syscall_resolve_name_arch(arches[a], name) !=
						__NR_SCMP_ERROR;
			for (size_t k = 0; !known && k < sizeof(newer_than_libseccomp) /
							    sizeof(newer_than_libseccomp[0]); k++)
				known = strcmp(name, newer_than_libseccomp[k]) == 0;
			if (!known)
				fail_msg("syscall '%s' is unknown on every architecture listed", name);
		}
}

static void test_names_are_syscalls(void **state)
{
	const uint32_t x86[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };
	const uint32_t arm[] = { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };
	const char *every_cap[] = { "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE",
				    "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_SYS_NICE",
				    "CAP_SYS_RAWIO", "CAP_SYSLOG", "CAP_SYS_PACCT",
				    "CAP_SYS_TTY_CONFIG", "CAP_DAC_READ_SEARCH", "CAP_BPF",
				    "CAP_PERFMON", "CAP_SYS_CHROOT" };
	struct sprof_target t = { .caps = every_cap, .n_caps = 14 };
	struct berr e;
	json_t *o;
	(void)state;

	for (int pass = 0; pass < 4; pass++) {
		t.arch = pass % 2 ? "arm64" : "amd64";
		t.n_caps = pass < 2 ? 14 : 0;
		if (sprof_default_oci(&t, &o, &e) < 0)
			fail_msg("%s", e.msg);
		if (pass % 2)
			check_names_resolve(o, arm, 2);
		else
			check_names_resolve(o, x86, 3);
		json_decref(o);
	}
}

/* ------------------------------------------------------------------ parser errors */

#define HEAD "default errno ENOSYS\narch amd64 SCMP_ARCH_X86_64\n"

static void expect_parse_err(const char *text, const char *want)
{
	struct sprof *p = NULL;
	struct berr e;

	berr_clear(&e);
	if (sprof_parse("t", text, &p, &e) == 0) {
		sprof_free(p);
		fail_msg("accepted, expected '%s':\n%s", want, text);
	}
	assert_null(p);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", e.msg, want);
}

static json_t *parse_ok(const char *text, const char *extra_cap)
{
	struct sprof *p = NULL;
	struct berr e;
	const char *caps[1] = { extra_cap };
	struct sprof_target t = { .caps = caps, .n_caps = extra_cap != NULL, .arch = "amd64" };
	json_t *o = NULL;

	if (sprof_parse("t", text, &p, &e) < 0)
		fail_msg("refused: %s\n%s", e.msg, text);
	if (sprof_to_oci(p, &t, &o, &e) < 0)
		fail_msg("to_oci: %s", e.msg);
	sprof_free(p);
	return o;
}

static void test_parse_errors(void **state)
{
	char longline[SPROF_LINE_MAX + 40];
	(void)state;

	expect_parse_err(HEAD "frobnicate read\n", "t:3: unknown word 'frobnicate'");
	expect_parse_err(HEAD "allow read\n# c\nallow write read\n", "t:5: duplicate rule for read (line 3)");
	expect_parse_err(HEAD "allow read read\n", "t:3: syscall read listed twice");
	expect_parse_err(HEAD "allow read\nallow read if arg0 == 1\n",
			 "t:4: rule for read overlaps line 3, one with conditions");
	expect_parse_err(HEAD "allow ioctl\nerrno EPERM ioctl if arg1 == 1\n",
			 "t:4: rule for ioctl can match the same calls as line 3");
	expect_parse_err(HEAD "allow ioctl if arg1 != 5\nerrno EPERM ioctl if arg1 < 9\n",
			 "t:4: rule for ioctl can match");
	expect_parse_err(HEAD "allow socket if arg0 != 40\nerrno EPERM socket if arg0 == 40\n",
			 "t:4: socket cannot have rules with different actions (line 3)");
	expect_parse_err(HEAD "allow ioctl if arg1 == 0x12g\n",
			 "t:3: unknown constant or bad number '0x12g'");
	expect_parse_err(HEAD "allow ioctl if arg1 == 09\n", "t:3: unknown constant or bad number");
	expect_parse_err(HEAD "allow ioctl if arg1 == 0xffffffffffffffff\n", "t:3:");
	expect_parse_err(HEAD "allow ioctl if arg1 == TIOCSTI||1\n", "t:3: bad value");
	expect_parse_err(HEAD "allow mount with CAP_BPF|\n", "t:3: bad capability list");
	expect_parse_err(HEAD "allow mount on |amd64\n", "t:3: bad architecture list");
	expect_parse_err(HEAD "allow mount with CAP_FOO\n", "t:3: unknown capability 'CAP_FOO'");
	expect_parse_err(HEAD "allow mount with CAP_SYS_ADMIN with CAP_BPF\n", "t:3: 'with' given twice");
	expect_parse_err(HEAD "allow mount with CAP_BPF without CAP_BPF\n", "t:3: a capability is both");
	expect_parse_err(HEAD "errno EFOO read\n", "t:3: unknown errno 'EFOO'");
	expect_parse_err(HEAD "errno 0 read\n", "t:3: unknown errno '0'");
	expect_parse_err(HEAD "errno EPERM\n", "t:3: no syscall named");
	expect_parse_err(HEAD "allow Read\n", "t:3: bad syscall name 'Read'");
	expect_parse_err(HEAD "allow clone if arg0 & 0xff == 0x100\n", "t:3: value 0x100 has bits outside");
	expect_parse_err(HEAD "allow clone if arg0 == 1 && arg0 == 2\n", "t:3: two conditions on arg0");
	expect_parse_err(HEAD "allow clone if arg6 == 1\n", "t:3: expected arg0..arg5");
	expect_parse_err(HEAD "allow clone if arg0 =~ 1\n", "t:3: unknown operator '=~'");
	expect_parse_err(HEAD "allow clone if arg0 & 3 < 1\n", "t:3: a masked compare takes");
	expect_parse_err(HEAD "allow clone if arg0 ==\n", "t:3:");
	expect_parse_err(HEAD "allow clone if arg0 == 1 &&\n", "t:3: nothing after '&&'");
	expect_parse_err(HEAD "allow clone if arg0 == 1 arg1 == 2\n", "t:3: unexpected 'arg1'");
	expect_parse_err(HEAD "allow clone if\n", "t:3: nothing after 'if'");
	expect_parse_err(HEAD "allow x if arg0 & 1 != 0 && arg1 & 1 != 0\n", "t:3: at most one masked !=");
	expect_parse_err(HEAD "allow x on vax\n", "t:3: unknown architecture 'vax'");
	expect_parse_err(HEAD "allow x with CAP_BPF extra\n", "t:3: unexpected 'extra'");
	expect_parse_err(HEAD "default allow\n", "t:3: second 'default' line");
	expect_parse_err(HEAD "arch amd64 SCMP_ARCH_X86_64\n", "t:3: second 'arch' line for amd64");
	expect_parse_err("default errno ENOSYS\narch amd64 SCMP_ARCH_X86\n", "t:2: the first architecture");
	expect_parse_err("default errno ENOSYS\narch amd64 SCMP_ARCH_X86_64 SCMP_ARCH_Z80\n",
			 "t:2: unknown seccomp architecture 'SCMP_ARCH_Z80'");
	expect_parse_err("default errno ENOSYS\nallow read\n", "t:3: no 'arch' line");
	expect_parse_err("arch amd64 SCMP_ARCH_X86_64\nallow read\n", "t:3: no 'default' line");
	expect_parse_err("default kill\n", "t:1: expected 'default allow'");
	expect_parse_err(HEAD "allow read\x01\n", "t:3: control or non-ASCII");

	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "allow ", 6);
	expect_parse_err(longline, "t:1: line longer than");
}

static void test_parse_accepts(void **state)
{
	json_t *o;
	(void)state;

	/* gates that exclude each other; ORed conditions; comments and blanks; no final newline */
	o = parse_ok(HEAD "\n# x\n  allow mount with CAP_SYS_ADMIN|CAP_BPF   # trailing\r\n"
		     "errno EPERM mount without CAP_SYS_ADMIN|CAP_BPF|CAP_PERFMON\n"
		     "allow personality if arg0 == 0\nallow personality if arg0 == 8\n"
		     "allow ioctl if arg1 & 0xff != 3 && arg0 > 2\n"
		     "errno 13 ioctl if arg1 & 0xff == 3\n"
		     "allow arch_prctl on amd64\nallow set_tls on arm64\n"
		     "allow a on amd64\nerrno EPERM a on arm64|386", NULL);
	assert_int_equal(entry_action(only_entry(o, "mount")), EPERM);
	assert_int_equal(count_entries(o, "personality"), 2);
	assert_int_equal(count_entries(o, "ioctl"), 8 + 1);
	assert_int_equal(eval1(o, "ioctl", 3, 0x104), ACT_ALLOW);
	assert_int_equal(eval1(o, "ioctl", 2, 0x104), ACT_DEFAULT);   /* arg0 > 2 fails */
	assert_int_equal(eval1(o, "ioctl", 3, 0x203), EACCES);
	assert_int_equal(count_entries(o, "arch_prctl"), 1);
	assert_int_equal(count_entries(o, "set_tls"), 0);
	assert_int_equal(entry_action(only_entry(o, "a")), ACT_ALLOW);
	json_decref(o);

	o = parse_ok(HEAD "allow mount with CAP_SYS_ADMIN|CAP_BPF\n"
		     "errno EPERM mount without CAP_SYS_ADMIN|CAP_BPF\n", "CAP_BPF");
	assert_int_equal(entry_action(only_entry(o, "mount")), ACT_ALLOW);
	json_decref(o);

	o = parse_ok("default allow\narch amd64 SCMP_ARCH_X86_64\nerrno 1 reboot\n", NULL);
	assert_string_equal(json_string_value(json_object_get(o, "defaultAction")),
			    "SCMP_ACT_ALLOW");
	assert_null(json_object_get(o, "defaultErrnoRet"));
	assert_int_equal(entry_action(only_entry(o, "reboot")), EPERM);
	json_decref(o);

	/* a rule with the default action is documentation: not emitted */
	o = parse_ok(HEAD "errno ENOSYS clone3\nerrno 38 io_uring_setup\nallow read\n", NULL);
	assert_int_equal(json_array_size(json_object_get(o, "syscalls")), 1);
	json_decref(o);
}

/* ------------------------------------------------------------------ seccomp.json */

static const char docker_sample[] =
	"{\n"
	"  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
	"  \"defaultErrnoRet\": 1,\n"
	"  \"archMap\": [\n"
	"    {\"architecture\": \"SCMP_ARCH_X86_64\",\n"
	"     \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},\n"
	"    {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},\n"
	"    {\"architecture\": \"SCMP_ARCH_RISCV64\", \"subArchitectures\": null}\n"
	"  ],\n"
	"  \"syscalls\": [\n"
	"    {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
	"    {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	"     \"includes\": {\"minKernel\": \"4.8\"}},\n"
	"    {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"x\",\n"
	"     \"args\": [{\"index\": 0, \"value\": 8, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"}]},\n"
	"    {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	"     \"includes\": {\"arches\": [\"amd64\", \"x32\"]}},\n"
	"    {\"names\": [\"set_tls\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	"     \"includes\": {\"arches\": [\"arm\", \"arm64\"]}},\n"
	"    {\"names\": [\"mount\", \"unshare\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	"     \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
	"    {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	"     \"args\": [{\"index\": 0, \"value\": 2114060288, \"op\": \"SCMP_CMP_MASKED_EQ\"}],\n"
	"     \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\": [\"s390\", \"s390x\"]}},\n"
	"    {\"name\": \"clone3\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,\n"
	"     \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
	"    {\"names\": [\"chroot\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	"     \"includes\": {\"caps\": [\"CAP_SYS_CHROOT\"]}}\n"
	"  ]\n"
	"}\n";

static json_t *docker(const char *json, const char *extra, const char *arch, unsigned kmaj,
		      unsigned kmin)
{
	const char *caps[N_DEFAULT_CAPS + 1];
	struct sprof_target t = { .caps = caps, .n_caps = N_DEFAULT_CAPS, .arch = arch,
				  .kernel_major = kmaj, .kernel_minor = kmin };
	struct berr e;
	json_t *o = NULL;

	memcpy(caps, default_caps, sizeof(default_caps));
	if (extra != NULL)
		caps[t.n_caps++] = extra;
	if (sprof_docker_to_oci("sample.json", json, strlen(json), &t, &o, &e) < 0)
		fail_msg("%s", e.msg);
	return o;
}

static void test_docker_sample(void **state)
{
	json_t *o = docker(docker_sample, NULL, "amd64", 6, 1), *arches, *a;
	(void)state;

	assert_string_equal(json_string_value(json_object_get(o, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(o, "defaultErrnoRet")), 1);
	arches = json_object_get(o, "architectures");
	assert_int_equal(json_array_size(arches), 3);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
	assert_string_equal(json_string_value(json_array_get(arches, 2)), "SCMP_ARCH_X32");
	assert_int_equal(eval1(o, "read", 0, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "write", 0, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "ptrace", 0, 0), ACT_ALLOW);       /* kernel 6.1 >= 4.8 */
	assert_int_equal(eval1(o, "personality", 8, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "personality", 9, 0), ACT_DEFAULT);
	assert_int_equal(count_entries(o, "arch_prctl"), 1);
	assert_int_equal(count_entries(o, "set_tls"), 0);
	assert_int_equal(count_entries(o, "mount"), 0);
	assert_int_equal(eval1(o, "clone", CLONE_NEWUSER, 0), ACT_DEFAULT);
	assert_int_equal(eval1(o, "clone", SIGCHLD, 0), ACT_ALLOW);
	a = json_array_get(json_object_get(only_entry(o, "clone"), "args"), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "valueTwo")), 0);
	assert_int_equal(eval1(o, "clone3", 0, 0), ENOSYS);
	assert_int_equal(eval1(o, "chroot", 0, 0), ACT_ALLOW);
	json_decref(o);

	/* CAP_SYS_ADMIN: mount in, the clone mask and clone3's ENOSYS out */
	o = docker(docker_sample, "CAP_SYS_ADMIN", "amd64", 6, 1);
	assert_int_equal(eval1(o, "mount", 0, 0), ACT_ALLOW);
	assert_int_equal(count_entries(o, "clone"), 0);
	assert_int_equal(count_entries(o, "clone3"), 0);
	json_decref(o);

	/* arm64: its archMap entry; an old or unknown kernel: no ptrace */
	o = docker(docker_sample, NULL, "arm64", 4, 4);
	arches = json_object_get(o, "architectures");
	assert_int_equal(json_array_size(arches), 2);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_AARCH64");
	assert_int_equal(count_entries(o, "set_tls"), 1);
	assert_int_equal(count_entries(o, "arch_prctl"), 0);
	assert_int_equal(count_entries(o, "ptrace"), 0);
	json_decref(o);
	o = docker(docker_sample, NULL, "riscv64", 0, 0);
	assert_int_equal(json_array_size(json_object_get(o, "architectures")), 1);
	assert_int_equal(count_entries(o, "ptrace"), 0);
	json_decref(o);
}

static void expect_docker_err(const char *json, const char *want)
{
	struct sprof_target t = { .caps = default_caps, .n_caps = N_DEFAULT_CAPS, .arch = "amd64" };
	struct berr e;
	json_t *o = NULL;

	berr_clear(&e);
	if (sprof_docker_to_oci("/etc/x/seccomp.json", json, strlen(json), &t, &o, &e) == 0) {
		json_decref(o);
		fail_msg("accepted, expected '%s':\n%s", want, json);
	}
	assert_null(o);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, "/etc/x/seccomp.json") == NULL || strstr(e.msg, want) == NULL)
		fail_msg("error '%s' does not name the file or '%s'", e.msg, want);
}

#define DA "\"defaultAction\": \"SCMP_ACT_ERRNO\""

static void test_docker_errors(void **state)
{
	(void)state;

	expect_docker_err("", "1:0");
	expect_docker_err("[]", "not a JSON object");
	expect_docker_err("{" DA ", " DA "}", "duplicate");
	expect_docker_err("{}", "defaultAction: is missing");
	expect_docker_err("{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "unknown action \"SCMP_ACT_MAYBE\"");
	expect_docker_err("{" DA ", \"defaultErrnoRet\": -1}", "\"defaultErrnoRet\" must be an integer");
	expect_docker_err("{" DA ", \"sycalls\": []}", "unknown key \"sycalls\"");
	expect_docker_err("{" DA ", \"architectures\": [\"SCMP_ARCH_X86_64\"], \"archMap\": "
			  "[{\"architecture\": \"SCMP_ARCH_X86_64\"}]}", "both \"architectures\"");
	expect_docker_err("{" DA ", \"architectures\": [\"SCMP_ARCH_Z80\"]}", "unknown architecture");
	expect_docker_err("{" DA ", \"archMap\": [{\"arch\": \"SCMP_ARCH_X86_64\"}]}",
			  "archMap[0]: unknown key \"arch\"");
	expect_docker_err("{" DA ", \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}", "unknown flag");
	expect_docker_err("{" DA ", \"syscalls\": {}}", "syscalls: must be an array");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"read\"]}]}",
			  "syscalls[0]: \"action\" is missing");
	expect_docker_err("{" DA ", \"syscalls\": [{\"name\": \"read\", \"names\": [\"write\"], "
			  "\"action\": \"SCMP_ACT_ALLOW\"}]}", "syscalls[0]: both \"name\" and \"names\"");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}]}",
			  "syscalls[0]: no \"names\"");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [1], \"action\": \"SCMP_ACT_ALLOW\"}]}",
			  "syscalls[0]: \"names\"[0] must be a string");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
			  "\"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
			  "syscalls[0].args[0]: \"index\" must be an integer from 0 to 5");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
			  "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XOR\"}]}]}",
			  "syscalls[0].args[0]: \"op\": unknown operator");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
			  "\"args\": [{\"index\": 0, \"value\": 1}]}]}", "\"op\" is missing");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
			  "\"includes\": {\"minKernel\": \"four\"}}]}",
			  "syscalls[0].includes: \"minKernel\": bad kernel version");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
			  "\"excludes\": {\"capabilities\": []}}]}",
			  "syscalls[0].excludes: unknown key \"capabilities\"");
	expect_docker_err("{" DA ", \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
			  "\"comment\": 3}]}", "\"comment\" must be a string");
}

/* berth's own OCI output is also a valid seccomp.json (architectures instead of archMap):
 * converting it again changes nothing. */
static void test_docker_roundtrip(void **state)
{
	const char *caps[] = { "CAP_SYS_ADMIN" };
	struct sprof_target t = { .caps = caps, .n_caps = 1, .arch = "amd64" };
	json_t *o = build(NULL, "amd64"), *back = NULL;
	struct berr e;
	char *text = json_dumps(o, JSON_COMPACT);
	(void)state;

	assert_non_null(text);
	if (sprof_docker_to_oci("oci.json", text, strlen(text), &t, &back, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(json_equal(o, back));
	free(text);
	json_decref(back);
	json_decref(o);
}

static void test_docker_system_file(void **state)
{
	const char *path = "/usr/share/containers/seccomp.json";
	struct sprof_target t = { .caps = default_caps, .n_caps = N_DEFAULT_CAPS, .arch = "amd64",
				  .kernel_major = 6, .kernel_minor = 1 };
	char *text = NULL;
	size_t len;
	struct berr e;
	json_t *o = NULL, *arches;
	(void)state;

	if (access(path, R_OK) != 0)
		skip();
	if (xread_file_at(AT_FDCWD, path, SPROF_JSON_MAX, &text, &len, &e) < 0)
		fail_msg("%s", e.msg);
	if (sprof_docker_to_oci(path, text, len, &t, &o, &e) < 0)
		fail_msg("%s", e.msg);
	free(text);
	arches = json_object_get(o, "architectures");
	assert_int_equal(json_array_size(arches), 3);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
	assert_true(json_array_size(json_object_get(o, "syscalls")) > 10);
	assert_int_equal(eval1(o, "read", 0, 0), ACT_ALLOW);
	assert_int_equal(eval1(o, "chroot", 0, 0), ACT_ALLOW);   /* CAP_SYS_CHROOT */
	assert_int_equal(eval1(o, "bpf", 0, 0), EPERM);          /* no CAP_SYS_ADMIN */
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_is_the_file),
		cmocka_unit_test(test_default_parses),
		cmocka_unit_test(test_arch_gated),
		cmocka_unit_test(test_denied_by_default),
		cmocka_unit_test(test_cap_sys_admin),
		cmocka_unit_test(test_cap_sys_ptrace),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_common_syscalls),
		cmocka_unit_test(test_argument_rules),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_names_are_syscalls),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_docker_sample),
		cmocka_unit_test(test_docker_errors),
		cmocka_unit_test(test_docker_roundtrip),
		cmocka_unit_test(test_docker_system_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
