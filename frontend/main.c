/* berth: the command line. Global options first, then a command from the table below. */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/xio.h"
#include "frontend/frontend.h"

/* For `make bench`: the frontend's own peak memory, at debug level. */
static void report_rss(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_debug("peak RSS of berth: %ld kB", ru.ru_maxrss);
}

struct command {
	const char *name;
	int (*run)(const struct fe_opts *o, int argc, char **argv);
	bool needs_paths;   /* resolves store paths (every command that starts a broker) */
	const char *summary;
};

static const struct command commands[] = {
	{ "attach", cmd_attach, true, "Attach to a running container" },
	{ "container", cmd_container, true, "Manage containers" },
	{ "create", cmd_create, true, "Create but do not start a container" },
	{ "exec", cmd_exec, true, "Run a process in a running container" },
	{ "history", cmd_history, true, "Show history of a specified image" },
	{ "image", cmd_image, true, "Manage images" },
	{ "images", cmd_images, true, "List images in local storage" },
	{ "import", cmd_import, true, "Import a tarball to create a filesystem image" },
	{ "info", cmd_info, true, "Display berth related system information" },
	{ "inspect", cmd_inspect, true, "Display the configuration of a container or image" },
	{ "kill", cmd_kill, true, "Kill one or more running containers with a specific signal" },
	{ "load", cmd_load, true, "Load image(s) from a tar archive" },
	{ "login", cmd_login, true, "Log in to a container registry" },
	{ "logout", cmd_logout, true, "Log out of a container registry" },
	{ "logs", cmd_logs, true, "Fetch the logs of one or more containers" },
	{ "ps", cmd_ps, true, "List containers" },
	{ "pull", cmd_pull, true, "Pull an image from a registry" },
	{ "push", cmd_push, true, "Push an image to a specified destination" },
	{ "restart", cmd_restart, true, "Restart one or more containers" },
	{ "rm", cmd_rm, true, "Remove one or more containers" },
	{ "rmi", cmd_rmi, true, "Remove one or more images from local storage" },
	{ "save", cmd_save, true, "Save image(s) to an archive" },
	{ "run", cmd_run, true, "Run a command in a new container" },
	{ "start", cmd_start, true, "Start one or more containers" },
	{ "stop", cmd_stop, true, "Stop one or more containers" },
	{ "tag", cmd_tag, true, "Add an additional name to a local image" },
	{ "unshare", cmd_unshare, true, "Run a command in a modified user namespace" },
	{ "untag", cmd_untag, true, "Remove a name from a local image" },
	{ "version", cmd_version, false, "Display the berth version information" },
	{ "wait", cmd_wait, true, "Block on one or more containers" },
};

enum { G_ROOT, G_RUNROOT, G_LOGLEVEL, G_RUNTIME, G_SIGPOLICY, G_HELP, G_VERSION };

static const struct fe_opt global_opts[] = {
	[G_ROOT] = { "root", 0, true, "Path to the root directory in which data is stored" },
	[G_RUNROOT] = { "runroot", 0, true, "Path to the 'run directory' where state is stored" },
	[G_LOGLEVEL] = { "log-level", 0, true,
			 "Log messages above specified level (trace, debug, info, warn, error, "
			 "fatal, panic)" },
	[G_RUNTIME] = { "runtime", 0, true, "Path or name of the OCI runtime (crun, runc)" },
	[G_SIGPOLICY] = { "signature-policy", 0, true,
			   "Path to a signature-policy file (policy.json)" },
	[G_HELP] = { "help", 'h', false, "Help for berth" },
	[G_VERSION] = { "version", 'v', false, "Version for berth" },
};

struct global_ctx {
	struct fe_opts *o;
	bool root_set, runroot_set, help, version;
};

static void usage(void)
{
	fe_usage("berth [options] [command]",
		 "Manage pods, containers and images (a daemonless, privilege-separated engine)",
		 global_opts, ARRAY_SIZE(global_opts));
	printf("\nAvailable Commands:\n");
	printf("  %-12s %s\n", "help", "Help about any command");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-12s %s\n", commands[i].name, commands[i].summary);
}

static int set_path(char *dst, size_t len, const char *val, const char *flag)
{
	if (!path_is_clean_abs(val)) {
		fe_error("%s must be a clean absolute path, not \"%s\"", flag, val);
		return -1;
	}
	snprintf(dst, len, "%s", val);
	return 0;
}

static int global_opt(int id, const char *val, void *ctx)
{
	struct global_ctx *g = ctx;

	switch (id) {
	case G_ROOT:
		g->root_set = true;
		return set_path(g->o->root, sizeof(g->o->root), val, "--root");
	case G_RUNROOT:
		g->runroot_set = true;
		return set_path(g->o->runroot, sizeof(g->o->runroot), val, "--runroot");
	case G_LOGLEVEL: {
		int l = log_level_parse(val);
		if (l < 0) {
			fe_error("log-level \"%s\" is not supported: the supported levels are "
				 "[trace debug info warn warning error fatal panic]", val);
			return -1;
		}
		g->o->log_level = l;
		return 0;
	}
	case G_RUNTIME:
		if (val[0] == '\0' || strlen(val) >= sizeof(g->o->runtime)) {
			fe_error("invalid --runtime \"%s\"", val);
			return -1;
		}
		snprintf(g->o->runtime, sizeof(g->o->runtime), "%s", val);
		return 0;
	case G_SIGPOLICY:
		if (val[0] == '\0' || strlen(val) >= sizeof(g->o->signature_policy)) {
			fe_error("invalid --signature-policy \"%s\"", val);
			return -1;
		}
		snprintf(g->o->signature_policy, sizeof(g->o->signature_policy), "%s", val);
		return 0;
	case G_HELP:
		g->help = val == NULL;
		return 0;
	case G_VERSION:
		g->version = val == NULL;
		return 0;
	}
	return -1;
}

static int find_libexec(struct fe_opts *o)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0) {
		fe_error("cannot find where berth is installed (/proc/self/exe)");
		return -1;
	}
	exe[n] = '\0';
	/* bin/berth -> libexec/berth/, the same in the build tree and once installed (resolved,
	 * so the helpers show up in ps under their real path). */
	char rel[sizeof(o->libexec)];
	if (snprintf(rel, sizeof(rel), "%s/../libexec/berth", dirname(exe)) >= (int)sizeof(rel)) {
		fe_error("the installation path is too long");
		return -1;
	}
	if (realpath(rel, o->libexec) == NULL)
		memcpy(o->libexec, rel, sizeof(rel));
	return 0;
}

int main(int argc, char **argv)
{
	struct fe_opts o = { .log_level = LOG_LVL_WARN };
	struct global_ctx g = { .o = &o };
	struct berr e = { 0 };
	char **pos = NULL;
	int npos = 0;
	struct rlimit core = { 0, 0 };

	if (xensure_stdio(&e) < 0)
		return EXIT_BERTH;
	setrlimit(RLIMIT_CORE, &core);
	signal(SIGPIPE, SIG_IGN);
	/* Global options end at the command name: what follows belongs to the command. */
	if (fe_parse("berth", global_opts, ARRAY_SIZE(global_opts), argc, argv, true, global_opt,
		     &g, &pos, &npos) < 0)
		return EXIT_BERTH;
	log_init("berth", o.log_level);
	if (o.log_level >= LOG_LVL_DEBUG)
		atexit(report_rss);
	if (g.version) {
		printf("berth version %s\n", BERTH_VERSION);
		free(pos);
		return 0;
	}
	if (g.help || (npos > 0 && strcmp(pos[0], "help") == 0 && npos == 1)) {
		usage();
		free(pos);
		return 0;
	}
	if (npos == 0) {
		fe_error("missing command 'berth COMMAND'\nTry 'berth --help' for more information");
		free(pos);
		return EXIT_BERTH;
	}
	if (strcmp(pos[0], "help") == 0) {
		/* `berth help CMD` is `berth CMD --help`. */
		pos++;
		npos--;
		char *hargv[] = { pos[0], (char *)"--help", NULL };
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
			if (strcmp(commands[i].name, pos[0]) == 0) {
				int rc = commands[i].run(&o, 2, hargv);
				free(pos - 1);
				return rc;
			}
		fe_error("unrecognized command `berth %s`\nTry 'berth --help' for more information",
			 pos[0]);
		free(pos - 1);
		return EXIT_BERTH;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, pos[0]) != 0)
			continue;
		if (find_libexec(&o) < 0 ||
		    (commands[i].needs_paths &&
		     fe_default_paths(&o, g.root_set, g.runroot_set, &e) < 0)) {
			if (e.msg[0] != '\0')
				fe_error("%s", e.msg);
			free(pos);
			return EXIT_BERTH;
		}
		int rc = commands[i].run(&o, npos, pos);
		free(pos);
		return rc;
	}
	fe_error("unrecognized command `berth %s`\nTry 'berth --help' for more information",
		 pos[0]);
	free(pos);
	return EXIT_BERTH;
}
