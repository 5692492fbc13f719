/* try-syscall: proves what a worker's sandbox blocks (bubblewrap's habit). After sandbox_enter()
 * a worker run with `--try-syscall NAME` makes one system call and reports the outcome on fd 1:
 *   "allowed"            the call succeeded;
 *   "denied: <ERRNO>"    it failed with that errno: from seccomp (`-> errno`), from Landlock
 *                        (EACCES, EPERM), or from the kernel after the filter let it through
 *                        (the harmless arguments below make some of those fail on purpose, e.g.
 *                        setns on fd -1 gives EBADF: the filter allowed it);
 *   (nothing, SIGSYS)    the filter killed the process: the shell sees status 159.
 * Calls go through syscall() so libc cannot substitute a different syscall (open -> openat,
 * fork -> clone3), and arguments are chosen so that a call the filter wrongly allows still
 * does no harm to the host. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/xio.h"

#ifndef KEYCTL_GET_KEYRING_ID
#define KEYCTL_GET_KEYRING_ID 0
#endif
#ifndef KEY_SPEC_SESSION_KEYRING
#define KEY_SPEC_SESSION_KEYRING -3
#endif
#ifndef BPF_MAP_CREATE
#define BPF_MAP_CREATE 0
#endif

const char *const sandbox_try_syscall_names[] = {
	"socket",       /* socket(AF_INET, SOCK_STREAM) */
	"socket-unix",  /* socket(AF_UNIX, SOCK_STREAM) */
	"connect",      /* socket(AF_INET) + connect to 127.0.0.1:1 (ECONNREFUSED if allowed) */
	"execve",       /* execve("/bin/echo", "allowed"): prints "allowed" if it runs */
	"ptrace",       /* ptrace(PTRACE_TRACEME) */
	"mount",        /* mount tmpfs on a path that does not exist (ENOENT if allowed) */
	"setns",        /* setns(-1, CLONE_NEWNET): EBADF if allowed */
	"setns-user",   /* setns(-1, CLONE_NEWUSER): EBADF if allowed */
	"unshare",      /* unshare(CLONE_NEWUSER) */
	"clone",        /* clone(SIGCHLD): a fork; the child _exits at once */
	"clone3",       /* clone3(NULL, 0): EINVAL if allowed, ENOSYS from `-> errno ENOSYS` */
	"open-write",   /* openat(/tmp/berth-try-<pid>, O_WRONLY|O_CREAT|O_TRUNC) */
	"open-etc",     /* openat(/etc/passwd, O_RDONLY) */
	"open-etc-ssl", /* openat(/etc/ssl, O_RDONLY|O_DIRECTORY): fetch's CA certificates */
	"mprotect-wx",  /* mmap RW anonymous, then mprotect to RWX */
	"mmap-wx",      /* mmap(PROT_READ|PROT_WRITE|PROT_EXEC) anonymous */
	"bpf",          /* bpf(BPF_MAP_CREATE, NULL, 0): EFAULT/EINVAL if allowed */
	"keyctl",       /* keyctl(KEYCTL_GET_KEYRING_ID, session keyring, no create) */
	"kill-1",       /* kill(1, 0): a signal-0 probe of pid 1 */
	NULL,
};

static int report(long rc, int err, struct berr *e)
{
	char line[64];

	if (rc >= 0)
		snprintf(line, sizeof(line), "allowed\n");
	else
		snprintf(line, sizeof(line), "denied: %s\n", strerrorname_np(err) ?: "E?");
	return xwrite_all(STDOUT_FILENO, line, strlen(line), e);
}

/* Runs the named call; sets *err to errno when it returns < 0. */
static long try_one(const char *name, int *err, int *known)
{
	long rc = -1;

	*known = 1;
	errno = 0;
	if (strcmp(name, "socket") == 0 || strcmp(name, "socket-unix") == 0) {
		int af = strcmp(name, "socket") == 0 ? AF_INET : AF_UNIX;
		rc = syscall(SYS_socket, af, SOCK_STREAM | SOCK_CLOEXEC, 0);
		*err = errno;
		if (rc >= 0)
			close((int)rc);
	} else if (strcmp(name, "connect") == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1),
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			*err = errno;
			return fd;
		}
		rc = syscall(SYS_connect, (int)fd, &sin, sizeof(sin));
		*err = errno;
		close((int)fd);
	} else if (strcmp(name, "execve") == 0) {
		char *const argv[] = { "echo", "allowed", NULL };
		char *const envp[] = { NULL };
		rc = syscall(SYS_execve, "/bin/echo", argv, envp);
		*err = errno;  /* only reached when the call failed */
	} else if (strcmp(name, "ptrace") == 0) {
		rc = syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
		*err = errno;
	} else if (strcmp(name, "mount") == 0) {
		/* Never over a real directory: a filter that wrongly allowed mount must not hide
		 * the host's /tmp. The target does not exist, so an allowed call fails ENOENT
		 * (Landlock, when present, refuses every mount with EPERM first). */
		rc = syscall(SYS_mount, "tmpfs", "/tmp/berth-try-mount-nonexistent/x", "tmpfs",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m");
		*err = errno;
	} else if (strcmp(name, "setns") == 0) {
		rc = syscall(SYS_setns, -1, CLONE_NEWNET);
		*err = errno;
	} else if (strcmp(name, "setns-user") == 0) {
		rc = syscall(SYS_setns, -1, CLONE_NEWUSER);
		*err = errno;
	} else if (strcmp(name, "unshare") == 0) {
		rc = syscall(SYS_unshare, CLONE_NEWUSER);
		*err = errno;
	} else if (strcmp(name, "clone") == 0) {
		rc = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		*err = errno;
		if (rc == 0)
			_exit(0);
		/* Not waited for: wait4 may be killed; the zombie goes with us. */
	} else if (strcmp(name, "clone3") == 0) {
		rc = syscall(SYS_clone3, NULL, 0);
		*err = errno;
	} else if (strcmp(name, "open-write") == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/berth-try-%ld", (long)getpid());
		rc = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600);
		*err = errno;
		if (rc >= 0) {
			close((int)rc);
			/* Report first: if unlink is then killed, "allowed" is already out. */
			return rc;
		}
	} else if (strcmp(name, "open-etc") == 0) {
		rc = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);
		*err = errno;
		if (rc >= 0)
			close((int)rc);
	} else if (strcmp(name, "open-etc-ssl") == 0) {
		rc = syscall(SYS_openat, AT_FDCWD, "/etc/ssl", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*err = errno;
		if (rc >= 0)
			close((int)rc);
	} else if (strcmp(name, "mprotect-wx") == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			*err = errno;
			return -1;
		}
		rc = syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
		*err = errno;
	} else if (strcmp(name, "mmap-wx") == 0) {
		rc = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		*err = errno;
		if (rc == -1)
			return -1;
		rc = 0;         /* an address can look negative */
	} else if (strcmp(name, "bpf") == 0) {
		rc = syscall(SYS_bpf, BPF_MAP_CREATE, NULL, 0);
		*err = errno;
	} else if (strcmp(name, "keyctl") == 0) {
		rc = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
		*err = errno;
	} else if (strcmp(name, "kill-1") == 0) {
		rc = syscall(SYS_kill, 1, 0);
		*err = errno;
	} else {
		*known = 0;
	}
	return rc;
}

int sandbox_try_syscall(const char *name, struct berr *e)
{
	int err = 0, known;
	long rc = try_one(name, &err, &known);

	if (!known)
		return berr_set(e, BERR_INVALID, 0, "unknown try-syscall name '%s'", name);
	if (report(rc, err, e) < 0)
		return -1;
	if (strcmp(name, "open-write") == 0 && rc >= 0) {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/berth-try-%ld", (long)getpid());
		(void)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	}
	return 0;
}
