/* Landlock: filesystem (and TCP, and scope) confinement that needs no privilege. The ruleset
 * handles every right the running kernel knows, so anything not granted by a path rule is
 * denied; a right the kernel does not know cannot be handled and stays allowed, which is why
 * seccomp still matters on old kernels.
 *
 * The system headers are from Linux 6.1; newer constants and the grown ruleset attribute are
 * defined here. Values are the kernel's uapi, which never changes. */
#include "sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)           /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)        /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)       /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)        /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6. The kernel takes a prefix of it: we pass the size
 * the running ABI knows (8, 16 or 24 bytes). */
struct berth_ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;    /* ABI 4 */
	uint64_t scoped;                /* ABI 6 */
};

#define LL_FS_V1                                                                           \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                       \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |                       \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                   \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |                       \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                       \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                     \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* The rights the kernel accepts in a rule on a non-directory. */
#define LL_FS_FILE                                                                         \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                       \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                       \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define LL_FS_WRITE                                                                        \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                    \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                    \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                        \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                      \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM |                      \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

int sandbox_landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	/* ENOSYS: built without Landlock; EOPNOTSUPP: disabled at boot. */
	return abi > 0 ? (int)abi : 0;
}

uint64_t sandbox_ll_fs_handled(int abi)
{
	uint64_t r = 0;

	if (abi >= 1)
		r |= LL_FS_V1;
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

uint64_t sandbox_ll_fs_rights(unsigned access, int abi, bool is_dir)
{
	uint64_t r = 0;

	if (access & SB_LL_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (access & SB_LL_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (access & SB_LL_WRITE)
		r |= LL_FS_WRITE;
	r &= sandbox_ll_fs_handled(abi);
	if (!is_dir)
		r &= LL_FS_FILE;
	return r;
}

static int add_path_rule(int ruleset, const struct sandbox_ll_path *lp, int abi, struct berr *e)
{
	cleanup_close int fd = -1;
	struct landlock_path_beneath_attr pb;
	struct stat st;

	/* O_PATH follows symlinks: the rule is on the file or directory the path names now
	 * (/etc/resolv.conf -> /run/...), which is what later opens of that path reach. */
	fd = open(lp->path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;       /* nothing there to grant; nothing reachable either */
		return berr_sys(e, "landlock: opening %s", lp->path);
	}
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "landlock: fstat %s", lp->path);
	pb.allowed_access = sandbox_ll_fs_rights(lp->access, abi, S_ISDIR(st.st_mode));
	pb.parent_fd = fd;
	if (pb.allowed_access == 0)
		return 0;
	if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return berr_sys(e, "landlock: adding a rule for %s", lp->path);
	return 0;
}

/* Rules on directories the process already holds (the layer directory berth-unpack was
 * spawned with): no path lookup at all, so what is granted is exactly the directory the parent
 * opened, whatever its path is or becomes.
 *
 * Checked before the ruleset exists: creating the ruleset takes the lowest free fd, which is the
 * number of a listed fd that is absent (berth info starts berth-unpack without its fd 5), and
 * a later fstat of that number would find the ruleset. Returns the number of fds put in out. */
#define LL_MAX_RW_FDS 8
static int check_rw_fds(const struct sandbox_policy *p, int *out, struct berr *e)
{
	int n = 0;

	if (p->n_ll_rw_fds > LL_MAX_RW_FDS)
		return berr_set(e, BERR_INTERNAL, 0, "landlock: too many directory fds");
	for (size_t i = 0; i < p->n_ll_rw_fds; i++) {
		struct stat st;
		int fd = p->ll_rw_fds[i];

		if (fstat(fd, &st) < 0) {
			if (errno == EBADF)
				continue;       /* not given this time: nothing to grant */
			return berr_sys(e, "landlock: fstat of fd %d", fd);
		}
		if (!S_ISDIR(st.st_mode))
			return berr_set(e, BERR_INTERNAL, 0, "landlock: fd %d is not a directory",
					fd);
		out[n++] = fd;
	}
	return n;
}

static int add_fd_rule(int ruleset, int fd, int abi, struct berr *e)
{
	struct landlock_path_beneath_attr pb;

	pb.allowed_access = sandbox_ll_fs_rights(SB_LL_READ | SB_LL_WRITE, abi, true);
	pb.parent_fd = fd;
	if (pb.allowed_access == 0)
		return 0;
	if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return berr_sys(e, "landlock: adding a rule for fd %d", fd);
	return 0;
}

int sandbox_landlock_apply(const struct sandbox_policy *p, int *abi_out, bool *enforced,
			   struct berr *e)
{
	struct berth_ll_ruleset_attr attr = { 0 };
	size_t attr_size;
	cleanup_close int ruleset = -1;
	int abi = sandbox_landlock_abi();
	int rw_fds[LL_MAX_RW_FDS];
	int n_rw;

	*abi_out = abi;
	*enforced = false;
	if (abi <= 0)
		return 0;

	attr.handled_access_fs = sandbox_ll_fs_handled(abi);
	attr_size = offsetof(struct berth_ll_ruleset_attr, handled_access_net);
	if (abi >= 4) {
		/* No TCP port is ever granted by a rule: handling bind denies every TCP bind;
		 * connect is denied too unless the role talks to registries. */
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP;
		if (!p->ll_allow_tcp_connect)
			attr.handled_access_net |= LANDLOCK_ACCESS_NET_CONNECT_TCP;
		attr_size = offsetof(struct berth_ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		/* No connecting to abstract unix sockets made outside the sandbox (a desktop
		 * session's D-Bus, X11), no signals to processes outside it (the broker, the
		 * user's other processes). Our own threads and children are inside it. The
		 * launch monitor opts out of the signal scope: it must signal the container's
		 * runtime and init, which it started before entering its sandbox. */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
		if (!p->ll_signal_unscoped)
			attr.scoped |= LANDLOCK_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}

	n_rw = check_rw_fds(p, rw_fds, e);
	if (n_rw < 0)
		return -1;
	ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0U);
	if (ruleset < 0)
		return berr_sys(e, "landlock: creating the ruleset (ABI %d)", abi);
	for (size_t i = 0; i < p->n_ll_paths; i++)
		if (add_path_rule(ruleset, &p->ll_paths[i], abi, e) < 0)
			return -1;
	for (int i = 0; i < n_rw; i++)
		if (add_fd_rule(ruleset, rw_fds[i], abi, e) < 0)
			return -1;
	if (syscall(__NR_landlock_restrict_self, ruleset, 0U) < 0)
		return berr_sys(e, "landlock: enforcing the ruleset");
	*enforced = true;
	return 0;
}
