/* sandbox_enter(): the one way a berth process confines itself, in the order sandbox.h gives.
 * Every step is fail-closed: an error leaves the process to die in its main loop, never to run
 * on half-confined. */
#include "sandbox/sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xio.h"
#include "sandbox/landlock.h"
#include "sandbox/seccomp.h"

#ifdef BERTH_SANITIZE
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

#define SANDBOX_MAX_CAPS 64

/* Capabilities, no_new_privs, Landlock and seccomp all apply to the calling thread only, and a
 * thread started before the sandbox would keep running unconfined: refuse. */
static int check_single_threaded(struct berr *e)
{
	cleanup_free char *stat = NULL;
	char *p;
	long threads = 0;

	if (xread_file_at(AT_FDCWD, "/proc/self/stat", 4096, &stat, NULL, e) < 0)
		return berr_wrap(e, "counting threads");
	/* Field 20 (num_threads); the fields start after the last ')' (the name may hold
	 * spaces and parentheses). */
	p = strrchr(stat, ')');
	for (int field = 2; p != NULL && field < 20; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		threads = strtol(p + 1, NULL, 10);
	if (threads <= 0)
		return berr_set(e, BERR_INTERNAL, 0, "cannot parse /proc/self/stat");
	if (threads != 1)
		return berr_set(e, BERR_INTERNAL, 0,
				"the process has %ld threads; the sandbox must be entered before "
				"any thread starts", threads);
	return 0;
}

/* Lowers soft and hard limit to want, or to the hard limit we already have if that is lower:
 * without CAP_SYS_RESOURCE a limit can only go down. */
static int lower_rlimit(int resource, const char *name, uint64_t want, struct berr *e)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0)
		return berr_sys(e, "getrlimit %s", name);
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)want)
		rl.rlim_max = (rlim_t)want;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(resource, &rl) < 0)
		return berr_sys(e, "setrlimit %s %" PRIu64, name, (uint64_t)rl.rlim_max);
	return 0;
}

static int set_rlimits(const struct sandbox_policy *p, struct berr *e)
{
	/* No core files: a worker's memory holds untrusted input and, for fetch, credentials. */
	if (lower_rlimit(RLIMIT_CORE, "RLIMIT_CORE", 0, e) < 0)
		return -1;
	if (p->rlimit_nofile != 0 && lower_rlimit(RLIMIT_NOFILE, "RLIMIT_NOFILE",
						  p->rlimit_nofile, e) < 0)
		return -1;
	if (p->rlimit_fsize != 0 && lower_rlimit(RLIMIT_FSIZE, "RLIMIT_FSIZE",
						 p->rlimit_fsize, e) < 0)
		return -1;
	return 0;
}

/* Keeps the role's capabilities that the process actually holds (none for an unprivileged
 * user: that is not an error), drops every other one from the effective, permitted and
 * inheritable sets, from the bounding set when CAP_SETPCAP allows it, and clears the ambient
 * set. Then reads the sets back: what the kernel reports must be what we asked for. */
static int drop_caps(const struct sandbox_policy *p, struct berr *e)
{
	int keep[SANDBOX_MAX_CAPS];
	size_t nkeep = 0;
	bool setpcap;

	if (p->n_caps > SANDBOX_MAX_CAPS)
		return berr_set(e, BERR_INTERNAL, 0, "too many capabilities in the policy");
	if (capng_get_caps_process() < 0)
		return berr_sys(e, "reading the process capabilities");
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;
	for (size_t i = 0; i < p->n_caps; i++) {
		if (p->caps[i] < 0 || p->caps[i] >= SANDBOX_MAX_CAPS)
			return berr_set(e, BERR_INTERNAL, 0, "bad capability %d in the policy",
					p->caps[i]);
		if (capng_have_capability(CAPNG_PERMITTED, (unsigned)p->caps[i]) == 1)
			keep[nkeep++] = p->caps[i];
	}

	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < nkeep; i++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				 (unsigned)keep[i]) < 0)
			return berr_sys(e, "capng_update %d", keep[i]);
	/* The bounding set first, while CAP_SETPCAP is still effective. (capng_apply with
	 * CAPNG_SELECT_ALL does the same steps but reports only the last one's result.)
	 * Without CAP_SETPCAP the bounding set stays: execve is killed by seccomp, and
	 * no_new_privs stops file capabilities. */
	if (setpcap && capng_apply(CAPNG_SELECT_BOUNDS) != 0)
		return berr_sys(e, "dropping the capability bounding set");
	if (capng_apply(CAPNG_SELECT_CAPS) != 0)
		return berr_sys(e, "dropping capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berr_sys(e, "clearing the ambient capabilities");

	if (capng_get_caps_process() < 0)
		return berr_sys(e, "reading the process capabilities back");
	for (unsigned cap = 0; cap < SANDBOX_MAX_CAPS; cap++) {
		bool want = false;
		for (size_t i = 0; i < nkeep; i++)
			want = want || keep[i] == (int)cap;
		if (capng_have_capability(CAPNG_INHERITABLE, cap) == 1 ||
		    (!want && (capng_have_capability(CAPNG_EFFECTIVE, cap) == 1 ||
			       capng_have_capability(CAPNG_PERMITTED, cap) == 1)))
			return berr_set(e, BERR_INTERNAL, 0,
					"capability %s is still held after dropping it",
					capng_capability_to_name(cap) ?: "?");
	}
	return 0;
}

#ifdef BERTH_SANITIZE
/* ASan/UBSan builds only, before Landlock and seccomp take away what the runtimes use. */
static void sanitizer_prepare(void)
{
	/* LeakSanitizer stops the world with clone + ptrace, which the filter kills. It is off
	 * by default in workers (sanitizer_policy.c); if ASAN_OPTIONS turned it on, check for
	 * leaks now, while it still works: that also disables the check at exit. */
	__lsan_do_leak_check();
	/* Reports read /proc/self/maps, which Landlock will refuse: the runtime caches it. */
	__sanitizer_sandbox_arguments args = { .coverage_sandboxed = 0, .coverage_fd = -1 };
	__sanitizer_sandbox_on_notify(&args);
	/* Symbolizing one address loads the debug info now, while the binary can still be
	 * opened: later reports name functions and lines instead of module offsets. */
	char sym[256];
	__sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L", sym, sizeof(sym));
}
#else
static void sanitizer_prepare(void)
{
}
#endif

int sandbox_enter(const struct sandbox_policy *p, struct sandbox_report *rep, struct berr *e)
{
	struct sandbox_report r = { 0 };

	if (check_single_threaded(e) < 0)
		goto fail;
	/* 1. Nothing inherited by accident: only stdio and the role's own fds stay. */
	if (xclose_fds_except(3, p->keep_fds, p->n_keep_fds, e) < 0)
		goto fail;
	/* 2. Only lowering: see lower_rlimit(). */
	if (set_rlimits(p, e) < 0)
		goto fail;
	/* 3. Before Landlock and seccomp, which leave no capset or prctl. */
	if (drop_caps(p, e) < 0)
		goto fail;
	/* 4. From here on no execve can gain privileges; Landlock requires it without
	 * CAP_SYS_ADMIN, and seccomp requires it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		berr_sys(e, "PR_SET_NO_NEW_PRIVS");
		goto fail;
	}
	sanitizer_prepare();
	/* 5. Needs no_new_privs (or CAP_SYS_ADMIN, which most roles no longer have). */
	if (p->landlock) {
		if (sandbox_landlock_apply(p, &r.landlock_abi, &r.landlock_enforced, e) < 0)
			goto fail;
	} else {
		r.landlock_abi = sandbox_landlock_abi();
	}
	/* 6. Last: the earlier steps need syscalls the filter kills. */
	if (p->seccomp_policy != NULL &&
	    sandbox_seccomp_load(p->seccomp_policy_name ? p->seccomp_policy_name : p->role,
				 p->seccomp_policy, &r.seccomp_rules, e) < 0)
		goto fail;
	if (rep != NULL)
		*rep = r;
	return 0;
fail:
	return berr_wrap(e, "sandbox (%s)", p->role ? p->role : "?");
}

int sandbox_write_status(int fd, const struct sandbox_report *rep, struct berr *e)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	char buf[512];
	char ll[96];
	int seccomp, nnp, n;
	uint64_t eff;

	seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (seccomp < 0)
		return berr_sys(e, "PR_GET_SECCOMP");
	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		return berr_sys(e, "PR_GET_NO_NEW_PRIVS");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return berr_sys(e, "capget");
	eff = (uint64_t)data[0].effective | (uint64_t)data[1].effective << 32;
	if (rep == NULL)
		snprintf(ll, sizeof(ll), "unknown");
	else if (rep->landlock_enforced)
		snprintf(ll, sizeof(ll), "enforced (ABI %d)", rep->landlock_abi);
	else if (rep->landlock_abi > 0)
		snprintf(ll, sizeof(ll), "not enforced (ABI %d, policy)", rep->landlock_abi);
	else
		snprintf(ll, sizeof(ll), "unsupported (ABI 0)");
	n = snprintf(buf, sizeof(buf), "Seccomp: %d\nNoNewPrivs: %d\nCapEff: %016" PRIx64
		     "\nLandlock: %s\n", seccomp, nnp, eff, ll);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return berr_set(e, BERR_INTERNAL, 0, "status line too long");
	return xwrite_all(fd, buf, (size_t)n, e);
}
