#include "workers/launch/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int runtime_probe(const char *path, struct runtime_probe *p, struct berr *e)
{
	char buf[1024];
	size_t got = 0;
	int pfd[2];
	pid_t pid;
	int status;
	long deadline;

	memset(p, 0, sizeof(*p));
	if (path[0] != '/' || strlen(path) >= sizeof(p->path))
		return berr_set(e, BERR_INVALID, 0, "runtime path %s is not absolute", path);
	snprintf(p->path, sizeof(p->path), "%s", path);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(p->status, sizeof(p->status), "cannot probe: %s", strerror(errno));
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(p->status, sizeof(p->status), "cannot probe: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return 0;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)path, (char *)"--version", NULL };
		char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (dup2(pfd[1], STDOUT_FILENO) < 0 || devnull < 0 ||
		    dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDERR_FILENO) < 0)
			_exit(127);
		execve(path, argv, envp);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(pfd[1]);
	deadline = now_ms() + 5000;
	for (;;) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		long left = deadline - now_ms();
		if (left <= 0)
			break;
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			break;
	}
	close(pfd[0]);
	buf[got] = '\0';
	/* The runtime had its chance; whatever it still does is of no interest. */
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char *nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	/* Keep printable ASCII only: this text ends up on the user's terminal. */
	size_t j = 0;
	for (size_t i = 0; buf[i] != '\0' && j + 1 < sizeof(p->version); i++)
		if (buf[i] >= 0x20 && buf[i] < 0x7f)
			p->version[j++] = buf[i];
	p->version[j] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && p->version[0] != '\0')
		snprintf(p->status, sizeof(p->status), "ok");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(p->status, sizeof(p->status), "not found");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		snprintf(p->status, sizeof(p->status), "cannot be executed");
	else
		snprintf(p->status, sizeof(p->status), "`%s --version` failed", path);
	return 0;
}
