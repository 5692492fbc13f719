#include "broker/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/subid.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/xio.h"

#define PAUSE_SYNC_FD 3

static int read_proc_stat(pid_t pid, char *comm, size_t commlen, unsigned long long *start)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	if (lp == NULL || rp == NULL || rp < lp)
		return -1;
	snprintf(comm, commlen, "%.*s", (int)(rp - lp - 1), lp + 1);
	/* Field 22 (starttime), counting from the state field (3) after the ')'. */
	char *p = rp + 2;
	for (int field = 3; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return -1;
	*start = strtoull(p, NULL, 10);
	return 0;
}

/* The pause process named by the pid file, if it is still the same live process. */
static pid_t find_pause(const char *pidfile)
{
	char *text = NULL;
	char comm[64];
	unsigned long long want, got;
	int pid;
	struct stat st;
	char path[64];

	if (xread_file_at(AT_FDCWD, pidfile, 64, &text, NULL, NULL) < 0)
		return 0;
	int ok = sscanf(text, "%d %llu", &pid, &want) == 2 && pid > 1;
	free(text);
	if (!ok)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) < 0 || st.st_uid != getuid())
		return 0;
	if (read_proc_stat(pid, comm, sizeof(comm), &got) < 0 || got != want ||
	    strcmp(comm, "berth-pause") != 0)
		return 0;
	return pid;
}

static const char *find_helper(const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
	static char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

/* Runs newuidmap/newgidmap PID 0 ID 1 [1 START COUNT]... */
static int run_idmap(const char *tool, pid_t pid, uint32_t id, const struct subid_range *r,
		     size_t n, struct berr *e)
{
	const char *path = find_helper(tool);
	char args[3 + 3 * (SUBID_MAX_RANGES + 1)][16];
	char *argv[3 + 3 * (SUBID_MAX_RANGES + 1) + 1];
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	size_t a = 0;
	uint32_t inside = 1;
	int status;

	if (path == NULL)
		return berr_set(e, BERR_UNSUPPORTED, ENOENT, "%s not found", tool);
	argv[a] = (char *)path;
	a++;
	snprintf(args[a], sizeof(args[a]), "%d", (int)pid);
	argv[a] = args[a];
	a++;
#define ARG(v)                                                    \
	do {                                                      \
		snprintf(args[a], sizeof(args[a]), "%u", (unsigned)(v)); \
		argv[a] = args[a];                                \
		a++;                                              \
	} while (0)
	ARG(0);
	ARG(id);
	ARG(1);
	for (size_t i = 0; i < n; i++) {
		ARG(inside);
		ARG(r[i].start);
		ARG(r[i].count);
		inside += r[i].count;
	}
#undef ARG
	argv[a] = NULL;
	pid_t c = fork();
	if (c < 0)
		return berr_sys(e, "running %s", tool);
	if (c == 0) {
		execve(path, argv, envp);
		_exit(127);
	}
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			return berr_sys(e, "waiting for %s", tool);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berr_set(e, BERR_SYSTEM, 0,
				"%s failed (see its message above): check the ranges for this user "
				"in /etc/sub%cid", tool, tool[3] == 'u' ? 'u' : 'g');
	return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text, struct berr *e)
{
	char path[64];
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "open %s", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return berr_sys(e, "writing %s", path);
	return 0;
}

static size_t load_ranges(const char *file, const char *user, uint32_t id,
			  struct subid_range *r)
{
	char *text = NULL;
	size_t bad = 0, n;

	if (xread_file_at(AT_FDCWD, file, 1 << 20, &text, NULL, NULL) < 0)
		return 0;
	n = subid_parse(text, user, id, r, SUBID_MAX_RANGES, &bad);
	free(text);
	if (bad > 0)
		log_warn("%s has %zu malformed line(s); they were ignored", file, bad);
	return n;
}

static int write_maps(pid_t pid, uid_t uid, gid_t gid, struct berr *e)
{
	struct subid_range ur[SUBID_MAX_RANGES], gr[SUBID_MAX_RANGES];
	struct passwd *pw = getpwuid(uid);
	const char *user = pw != NULL ? pw->pw_name : NULL;
	size_t nu = load_ranges("/etc/subuid", user, uid, ur);
	size_t ng = load_ranges("/etc/subgid", user, uid, gr);
	char line[64];

	if (nu > 0 && ng > 0) {
		struct berr e2 = { 0 };
		if (run_idmap("newuidmap", pid, uid, ur, nu, &e2) == 0 &&
		    run_idmap("newgidmap", pid, gid, gr, ng, &e2) == 0)
			return 0;
		if (e2.sys_errno != ENOENT)
			return berr_set(e, e2.code, e2.sys_errno, "%s", e2.msg);
		log_warn("%s: install the uidmap package to use the subordinate ID ranges of "
			 "%s; using a single-ID mapping (containers can use only one user and group "
			 "ID)", e2.msg, user != NULL ? user : "this user");
	} else {
		log_warn("no subordinate %s for user %s in %s: using a single-ID mapping "
			 "(containers can use only one user and group ID); an administrator can add "
			 "a range with `usermod --add-subuids 100000-165535 --add-subgids "
			 "100000-165535 %s`", nu == 0 ? "UIDs" : "GIDs",
			 user != NULL ? user : "(unknown)", nu == 0 ? "/etc/subuid" : "/etc/subgid",
			 user != NULL ? user : "USER");
	}
	/* A process may map its own IDs into a namespace it owns, once setgroups is denied. */
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)uid);
	if (write_proc(pid, "uid_map", line, e) < 0)
		return -1;
	if (write_proc(pid, "setgroups", "deny\n", e) < 0)
		return -1;
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)gid);
	return write_proc(pid, "gid_map", line, e);
}

static int sync_recv(int fd, char want, struct berr *e)
{
	char buf[BERR_MSG_MAX + 2];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berr_sys(e, "waiting for berth-pause");
	if (n == 0)
		return berr_set(e, BERR_WORKER, 0, "berth-pause exited during set-up");
	buf[n] = '\0';
	if (buf[0] == 'E')
		return berr_set(e, BERR_SYSTEM, 0, "setting up the user namespace: %s", buf + 1);
	if (n != 1 || buf[0] != want)
		return berr_set(e, BERR_PROTOCOL, 0, "berth-pause broke its start-up protocol");
	return 0;
}

static int sync_send(int fd, char c, struct berr *e)
{
	if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
		return berr_sys(e, "talking to berth-pause");
	return 0;
}

static pid_t start_pause(const struct broker_cfg *cfg, const char *pidfile, struct berr *e)
{
	char path[4200];
	int sv[2];
	pid_t pid;
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	unsigned long long start;
	char comm[64], text[64];

	snprintf(path, sizeof(path), "%s/berth-pause", cfg->libexec);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berr_sys(e, "socketpair"), -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return berr_sys(e, "starting berth-pause"), -1;
	}
	if (pid == 0) {
		char *const argv[] = { path, NULL };
		if (dup2(sv[1], PAUSE_SYNC_FD) < 0)
			_exit(127);
		syscall(SYS_close_range, PAUSE_SYNC_FD + 1, ~0U, 0U);
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	cleanup_close int fd = sv[0];
	if (sync_recv(fd, 'U', e) < 0 || write_maps(pid, cfg->host_uid, cfg->host_gid, e) < 0 ||
	    sync_send(fd, 'M', e) < 0 || sync_recv(fd, 'R', e) < 0)
		goto fail;
	if (read_proc_stat(pid, comm, sizeof(comm), &start) < 0) {
		berr_set(e, BERR_SYSTEM, 0, "berth-pause vanished during set-up");
		goto fail;
	}
	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);
	if (write_file_atomic(pidfile, text, strlen(text), 0600, e) < 0 ||
	    sync_send(fd, 'C', e) < 0)
		goto fail;
	log_debug("started berth-pause as pid %d", (int)pid);
	return pid;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Opens the pause process's namespaces. Failing here changes nothing, so the caller may start a
 * new pause process instead. */
static int open_ns(pid_t pid, int *ufd, int *mfd, struct berr *e)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	*ufd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	*mfd = open(path, O_RDONLY | O_CLOEXEC);
	if (*ufd < 0 || *mfd < 0)
		return berr_sys(e, "opening the namespaces of berth-pause (pid %d)", (int)pid);
	return 0;
}

/* Joins for good: a failure after the first setns leaves the process half-joined, so it is
 * fatal for this command. */
static int join(pid_t pid, struct berr *e)
{
	cleanup_close int ufd = -1;
	cleanup_close int mfd = -1;

	if (open_ns(pid, &ufd, &mfd, e) < 0)
		return -1;
	if (setns(ufd, CLONE_NEWUSER) < 0)
		return berr_sys(e, "joining the user namespace of berth-pause (pid %d)", (int)pid);
	if (setns(mfd, CLONE_NEWNS) < 0)
		return berr_sys(e, "joining the mount namespace of berth-pause (pid %d)", (int)pid);
	if (setresgid(0, 0, 0) < 0)
		return berr_sys(e, "setresgid in the user namespace");
	/* Denied where only a single-ID map could be written; nothing to drop then. */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return berr_sys(e, "setgroups in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return berr_sys(e, "setresuid in the user namespace");
	if (chdir("/") < 0)
		return berr_sys(e, "chdir /");
	return 0;
}

int userns_enter(const struct broker_cfg *cfg, pid_t *pause_pid, struct berr *e)
{
	char lockpath[4200], pidfile[4200];
	cleanup_close int lockfd = -1;
	pid_t pid;

	if (mkdir_p(cfg->tmpdir, 0700, e) < 0)
		return berr_wrap(e, "creating berth's runtime directory");
	snprintf(lockpath, sizeof(lockpath), "%s/pause.lock", cfg->tmpdir);
	snprintf(pidfile, sizeof(pidfile), "%s/pause.pid", cfg->tmpdir);
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lockfd < 0)
		return berr_sys(e, "opening %s", lockpath);
	/* Two first commands at once must not start two pause processes. */
	while (flock(lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berr_sys(e, "locking %s", lockpath);
	pid = find_pause(pidfile);
	if (pid > 0) {
		int ufd = -1, mfd = -1;
		struct berr e2 = { 0 };
		int r = open_ns(pid, &ufd, &mfd, &e2);
		if (ufd >= 0)
			close(ufd);
		if (mfd >= 0)
			close(mfd);
		if (r == 0) {
			if (join(pid, e) < 0)
				return -1;
			*pause_pid = pid;
			return 0;
		}
		/* It died between the check and now: start a new one. */
		log_debug("berth-pause %d is gone: %s", (int)pid, e2.msg);
	} else {
		log_debug("no live berth-pause; starting one");
	}
	pid = start_pause(cfg, pidfile, e);
	if (pid < 0)
		return -1;
	if (join(pid, e) < 0)
		return -1;
	*pause_pid = pid;
	return 0;
}

int userns_read_map(const char *which, char ***lines, size_t *n, struct berr *e)
{
	char path[64];
	char *text = NULL;

	*lines = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/self/%s", which);
	if (xread_file_at(AT_FDCWD, path, 64 * 1024, &text, NULL, e) < 0)
		return -1;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		unsigned long a, b, c;
		char buf[64];
		if (sscanf(l, "%lu %lu %lu", &a, &b, &c) != 3)
			continue;
		snprintf(buf, sizeof(buf), "%lu %lu %lu", a, b, c);
		char **nv = realloc(*lines, (*n + 2) * sizeof(char *));
		if (nv == NULL || (nv[*n] = strdup(buf)) == NULL) {
			free(text);
			if (nv != NULL)
				*lines = nv;
			return berr_sys(e, "allocating");
		}
		*lines = nv;
		(*n)++;
		nv[*n] = NULL;
	}
	free(text);
	return 0;
}

static bool id_in_map(const char *which, uint32_t id)
{
	char **lines = NULL;
	size_t n = 0;
	bool found = false;

	if (userns_read_map(which, &lines, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned long inside, outside, count;
		if (sscanf(lines[i], "%lu %lu %lu", &inside, &outside, &count) == 3 &&
		    id >= inside && (uint64_t)id < (uint64_t)inside + count)
			found = true;
		free(lines[i]);
	}
	free(lines);
	return found;
}

bool userns_id_mapped(uint32_t id)
{
	return id_in_map("uid_map", id) && id_in_map("gid_map", id);
}
