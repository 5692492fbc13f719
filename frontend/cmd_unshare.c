/* `berth unshare [command]`: runs a command as uid 0 in berth's user namespace, as
 * `podman unshare` does; with no command, the user's shell. The command is started by the
 * broker (which is in the namespace) on this process's own stdin, stdout and stderr, passed as
 * fds, so nothing is copied in between. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "ipc/msg.h"

extern char **environ;

enum { U_HELP };

static const struct fe_opt unshare_opts[] = {
	[U_HELP] = { "help", 'h', false, "Help for unshare" },
};

static int unshare_opt(int id, const char *val, void *ctx)
{
	(void)id;
	*(bool *)ctx = val == NULL;
	return 0;
}

int cmd_unshare(const struct fe_opts *o, int argc, char **argv)
{
	bool help = false;
	char **pos = NULL;
	int npos = 0;
	struct fe_broker br;
	struct berr e = { 0 };
	struct msg_unshare req = { 0 };
	struct ipc_msg *reply = NULL;
	char cwd[PATH_MAX];
	const int fds[3] = { 0, 1, 2 };
	size_t nenv = 0;
	int rc;

	/* Options end at the command: `berth unshare ls -l` passes -l to ls. */
	if (fe_parse("berth unshare", unshare_opts, ARRAY_SIZE(unshare_opts), argc, argv, true,
		     unshare_opt, &help, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (help) {
		free(pos);
		fe_usage("berth unshare [options] [COMMAND [ARG...]]",
			 "Run a command in a modified user namespace", unshare_opts,
			 ARRAY_SIZE(unshare_opts));
		return 0;
	}
	if (!o->rootless) {
		free(pos);
		fe_error("please use unshare with rootless");
		return EXIT_BERTH;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	while (environ != NULL && environ[nenv] != NULL)
		nenv++;
	req.argv = pos;
	req.n_argv = (size_t)npos;
	req.env = environ;
	req.n_env = nenv;
	req.cwd = cwd;
	if (fe_broker_start(o, &br, &e) < 0) {
		free(pos);
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	/* Like a shell waiting for its child: the terminal's ^C is for the command. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	rc = fe_broker_call(&br, MSG_UNSHARE, &req, fds, 3, MSG_UNSHARE_DONE, &reply, &e);
	free(pos);
	fe_broker_stop(&br);
	if (rc < 0) {
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	rc = (int)((const struct msg_unshare_done *)reply->body)->status;
	ipc_msg_free(reply);
	return rc;
}
