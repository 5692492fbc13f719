/* berth save: Podman's `save` command line. The output is opened here, as the user (an -o file,
 * or the frontend's own stdout), and handed to the broker as an fd: a rootful broker is real
 * root and must never open a path the user named. A failed save removes the -o file it made
 * (a regular file only: `-o /dev/null` is left alone). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "ipc/msg.h"

enum { S_OUTPUT, S_FORMAT, S_MULTI, S_QUIET, S_COMPRESS, S_UNCOMPRESSED, S_HELP };
static const struct fe_opt save_opts[] = {
	[S_OUTPUT] = { "output", 'o', true,
		       "Write to a specified file (default: stdout, which must be redirected)" },
	[S_FORMAT] = { "format", 0, true,
		       "Save image to oci-archive, oci-dir (directory with oci manifest type), "
		       "docker-archive, docker-dir (directory with v2s2 manifest type)" },
	[S_MULTI] = { "multi-image-archive", 'm', false,
		      "Interpret additional arguments as images not tags and create a "
		      "multi-image-archive (only for docker-archive)" },
	[S_QUIET] = { "quiet", 'q', false, "Suppress the output" },
	[S_COMPRESS] = { "compress", 0, false,
			 "Compress tarball image layers when saving to a directory using the "
			 "'dir' transport. (default is same compression type as source)" },
	[S_UNCOMPRESSED] = { "uncompressed", 0, false,
			     "Accept uncompressed layers when copying OCI images" },
	[S_HELP] = { "help", 'h', false, "Help for save" },
};

struct save_ctx {
	struct msg_save req;
	const char *output;
	const char *format;
	bool compress_set;  /* --compress given at all, as cobra's Changed */
	bool help;
};

static int save_opt(int id, const char *val, void *ctx)
{
	struct save_ctx *c = ctx;
	bool on = val == NULL;

	switch (id) {
	case S_OUTPUT: c->output = val; break;
	case S_FORMAT: c->format = val; break;
	case S_MULTI: c->req.multi_image = on; break;
	case S_QUIET: c->req.quiet = on; break;
	case S_COMPRESS: c->compress_set = true; break;
	case S_UNCOMPRESSED: break; /* oci-dir only in Podman; accepted, nothing to do */
	default: c->help = on;
	}
	return 0;
}

/* Podman's checks, in its order: arguments and format, --compress, the terminal, the name. */
static int check_args(struct save_ctx *c, int npos)
{
	if (npos < 1) {
		fe_error("need at least 1 argument");
		return -1;
	}
	if (strcmp(c->format, "docker-archive") == 0) {
		c->req.format = SAVE_DOCKER_ARCHIVE;
	} else if (strcmp(c->format, "oci-archive") == 0) {
		c->req.format = SAVE_OCI_ARCHIVE;
	} else if (strcmp(c->format, "oci-dir") != 0 && strcmp(c->format, "docker-dir") != 0) {
		fe_error("format value must be one of oci-dir oci-archive docker-dir docker-archive");
		return -1;
	}
	if (c->compress_set && strcmp(c->format, "docker-dir") != 0) {
		fe_error("--compress can only be set when --format is 'docker-dir'");
		return -1;
	}
	if (c->req.format == 0) {
		fe_error("--format %s is not supported by berth: save to docker-archive or "
			 "oci-archive", c->format);
		return -1;
	}
	if (c->output == NULL) {
		/* Podman: no progress lines when the archive goes to stdout. */
		c->req.quiet = true;
		if (isatty(STDOUT_FILENO)) {
			fe_error("refusing to save to terminal. Use -o flag or redirect");
			return -1;
		}
	} else if (strchr(c->output, ':') != NULL) {
		fe_error("invalid filename (should not contain ':') \"%s\"", c->output);
		return -1;
	} else if (c->output[0] == '\0') {
		fe_error("invalid filename \"\"");
		return -1;
	}
	return 0;
}

/* Removes the -o file after a failure, if it is still the regular file this command opened. */
static void remove_output(const char *path, const struct stat *made)
{
	struct stat now;

	if (path == NULL || !S_ISREG(made->st_mode))
		return;
	if (lstat(path, &now) == 0 && now.st_dev == made->st_dev && now.st_ino == made->st_ino &&
	    unlink(path) < 0)
		fe_error("removing the incomplete %s: %s", path, strerror(errno));
}

static int run_save(const struct fe_opts *o, struct save_ctx *c)
{
	struct fe_broker br;
	struct berr e = { 0 };
	struct ipc_msg *reply = NULL;
	struct stat made = { 0 };
	cleanup_close int fd = -1;
	int out;

	if (c->output != NULL) {
		fd = open(c->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || fstat(fd, &made) < 0) {
			fe_error("opening %s: %s", c->output, strerror(errno));
			return EXIT_BERTH;
		}
		out = fd;
	} else {
		out = STDOUT_FILENO;
	}
	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		remove_output(c->output, &made);
		return EXIT_BERTH;
	}
	if (fe_broker_call(&br, MSG_SAVE, &c->req, &out, 1, MSG_OK, &reply, &e) < 0) {
		/* The broker has stopped its writer before answering: nothing writes the file
		 * any more. */
		fe_broker_stop(&br);
		fe_error("%s", e.msg);
		remove_output(c->output, &made);
		return EXIT_BERTH;
	}
	ipc_msg_free(reply);
	fe_broker_stop(&br);
	if (fd >= 0 && close(TAKE_FD(fd)) < 0) {
		fe_error("closing %s: %s", c->output, strerror(errno));
		remove_output(c->output, &made);
		return EXIT_BERTH;
	}
	return 0;
}

int cmd_save(const struct fe_opts *o, int argc, char **argv)
{
	struct save_ctx c = { .format = "docker-archive" };
	char **pos = NULL;
	int npos = 0, rc;

	if (fe_parse("berth save", save_opts, ARRAY_SIZE(save_opts), argc, argv, false, save_opt,
		     &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth save [options] IMAGE [IMAGE...]", "Save image(s) to an archive",
			 save_opts, ARRAY_SIZE(save_opts));
		return 0;
	}
	if (check_args(&c, npos) < 0) {
		free(pos);
		return EXIT_BERTH;
	}
	c.req.images = pos;
	c.req.n_images = (size_t)npos;
	rc = run_save(o, &c);
	free(pos);
	return rc;
}
