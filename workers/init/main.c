/* berth-init: the minimal init of `berth run --init`, bound read-only at /run/berth-init and
 * made the container's process 1: /run/berth-init -- COMMAND [ARG...].
 *
 * Process 1 of a PID namespace gets no default signal actions (a SIGTERM the command would die
 * of does nothing to a shell that is pid 1) and inherits every orphan of the namespace, which
 * a command that is not written as an init never reaps. berth-init runs the command as its
 * child and, until the child exits:
 *   - forwards every signal it can catch to the child (SIGCHLD aside, and SIGSTOP/SIGKILL,
 *     which no process can catch: the runtime's SIGKILL of pid 1 ends the whole namespace);
 *   - reaps every child, the orphans it inherits included;
 * then exits with the child's code: its exit status, or 128 + the signal that killed it (as a
 * shell reports it). A command that cannot be run is 127 (not found) or 126 (not executable),
 * as a shell says.
 *
 * It touches no untrusted data: its input is its argv, which the container's owner wrote. It
 * is linked static (static-pie), so it needs nothing from the image, and it is never built with
 * the sanitizers (their runtime would need the image's libraries and /proc). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "berth-init: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* The child: the signals back to their defaults and unblocked, its own process group (in the
 * terminal's foreground with -t, so ^C reaches it), then the command. */
static void run_child(char **argv, const sigset_t *old)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (int s = 1; s < NSIG; s++)
		(void)sigaction(s, &dfl, NULL);
	if (setpgid(0, 0) == 0 && isatty(STDIN_FILENO)) {
		(void)signal(SIGTTOU, SIG_IGN);
		(void)tcsetpgrp(STDIN_FILENO, getpid());
		(void)signal(SIGTTOU, SIG_DFL);
	}
	if (sigprocmask(SIG_SETMASK, old, NULL) < 0)
		die("sigprocmask");
	execvp(argv[0], argv);
	fprintf(stderr, "berth-init: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

int main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "usage: berth-init [--] COMMAND [ARG...]\n");
		return 125;
	}
	/* Every signal is taken by sigwaitinfo below, none by a handler. */
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, &old) < 0)
		die("sigprocmask");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		run_child(argv + first, &old);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), status;
		pid_t pid;

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die("sigwaitinfo");
		}
		if (sig != SIGCHLD) {
			/* The child may be gone already (ESRCH): nothing to forward to. */
			(void)kill(child, sig);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != child)
				continue; /* an orphan, reaped */
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
		}
		if (pid < 0 && errno != ECHILD)
			die("waitpid");
	}
}
