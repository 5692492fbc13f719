#include "broker/unshare.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"

struct unshare_job {
	uint64_t req_id;
	pid_t pid;
};

/* Between fork and exec in the child. The command is the user's own, run with the user's own
 * environment in the user's own namespace: it gains nothing the user did not have. */
static void child(struct broker *b, const struct msg_unshare *u, const int *fds)
{
	char **env;
	size_t n = 0;
	char *shell_argv[2] = { NULL, NULL };
	char *const *argv = u->argv;
	char root_env[4200], runroot_env[4200];
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(125);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	if (chdir(u->cwd) < 0 && chdir("/") < 0)
		_exit(125);
	env = calloc(u->n_env + 3, sizeof(char *));
	if (env == NULL)
		_exit(125);
	for (size_t i = 0; i < u->n_env; i++)
		if (strncmp(u->env[i], "BERTH_GRAPHROOT=", 16) != 0 &&
		    strncmp(u->env[i], "BERTH_RUNROOT=", 14) != 0)
			env[n++] = u->env[i];
	/* Tell the command where berth's store is, as podman unshare does for its own. */
	snprintf(root_env, sizeof(root_env), "BERTH_GRAPHROOT=%s", b->cfg.root);
	snprintf(runroot_env, sizeof(runroot_env), "BERTH_RUNROOT=%s", b->cfg.runroot);
	env[n++] = root_env;
	env[n++] = runroot_env;
	env[n] = NULL;
	environ = env;
	if (u->n_argv == 0) {
		const char *sh = getenv("SHELL");
		shell_argv[0] = (char *)(sh != NULL && sh[0] == '/' ? sh : "/bin/sh");
		argv = shell_argv;
	}
	execvp(argv[0], argv);
	int err = errno;
	if (err == ENOENT)
		fprintf(stderr, "Error: exec: \"%s\": executable file not found in $PATH\n",
			argv[0]);
	else
		fprintf(stderr, "Error: exec: \"%s\": %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

int broker_unshare_start(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_unshare *u = m->body;
	struct unshare_job *j;
	pid_t pid;

	if (!b->cfg.rootless)
		return berr_set(e, BERR_INVALID, 0, "please use unshare with rootless");
	if (u->cwd[0] != '/')
		return berr_set(e, BERR_INVALID, 0, "the working directory must be absolute");
	for (size_t i = 0; i < u->n_env; i++)
		if (strchr(u->env[i], '=') == NULL)
			return berr_set(e, BERR_INVALID, 0, "malformed environment entry");
	if (u->n_argv > 0 && u->argv[0][0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "empty command name");
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return berr_sys(e, "allocating");
	pid = fork();
	if (pid < 0) {
		free(j);
		return berr_sys(e, "starting the command");
	}
	if (pid == 0)
		child(b, u, m->fds);
	j->req_id = m->id;
	j->pid = pid;
	b->unshare = j;
	/* The command has its own copies now. */
	for (size_t i = 0; i < m->nfds; i++) {
		close(m->fds[i]);
		m->fds[i] = -1;
	}
	log_debug("unshare: started pid %d", (int)pid);
	return 0;
}

bool broker_unshare_reap(struct broker *b, pid_t pid, int status)
{
	struct unshare_job *j = b->unshare;
	struct msg_unshare_done done = { 0 };
	struct berr e = { 0 };

	if (j == NULL || j->pid != pid)
		return false;
	b->unshare = NULL;
	done.status = WIFEXITED(status) ? WEXITSTATUS(status)
					: WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125;
	if (ipc_send(b->front, MSG_UNSHARE_DONE, j->req_id, &done, NULL, 0, &e) < 0) {
		log_error("%s", e.msg);
		broker_stop(b, 1);
	}
	free(j);
	broker_command_done(b);
	return true;
}
