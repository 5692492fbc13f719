/* `berth image sign`, and what `berth push --sign-by` needs from the user's side: where the
 * user's GnuPG home is and the passphrase file's content. The frontend only reads these for the
 * user (it runs as the user); the broker checks the home again and berth-sign uses it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "ipc/msg.h"

#define PASSPHRASE_MAX 4096
#define SECRET_FILE_MAX (64 * 1024)

int fe_gnupghome(char *buf, size_t len)
{
	const char *g = getenv("GNUPGHOME"), *home = getenv("HOME");
	int n;

	if (g != NULL && g[0] != '\0') {
		if (g[0] != '/') {
			fe_error("GNUPGHOME must be an absolute path, not %s", g);
			return -1;
		}
		n = snprintf(buf, len, "%s", g);
	} else {
		if (home == NULL || home[0] != '/') {
			struct passwd *pw = getpwuid(getuid());
			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (home == NULL || home[0] != '/') {
			fe_error("cannot find your GnuPG home: set GNUPGHOME");
			return -1;
		}
		n = snprintf(buf, len, "%s/.gnupg", home);
	}
	if (n < 0 || (size_t)n >= len) {
		fe_error("the GnuPG home path is too long");
		return -1;
	}
	return 0;
}

/* Reads at most max bytes of path into a fresh buffer (one byte more allocated); *n gets the
 * count. NULL after fe_error (naming option) when the file cannot be read or is longer. */
static uint8_t *read_small(const char *path, const char *option, size_t max, size_t *n)
{
	uint8_t *buf;
	ssize_t r = 0;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*n = 0;
	if (fd < 0) {
		fe_error("reading %s %s: %s", option, path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		fe_error("out of memory");
		return NULL;
	}
	while (*n < max + 1) {
		r = read(fd, buf + *n, max + 1 - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*n += (size_t)r;
	}
	if (r < 0 || *n > max) {
		fe_error("reading %s %s: %s", option, path,
			 r < 0 ? strerror(errno) : "the file is too large");
		explicit_bzero(buf, max + 1);
		free(buf);
		return NULL;
	}
	return buf;
}

char *fe_read_passphrase(const char *path)
{
	size_t n;
	char *buf = (char *)read_small(path, "--sign-passphrase-file", PASSPHRASE_MAX, &n);

	if (buf == NULL)
		return NULL;
	if (memchr(buf, '\0', n) != NULL) {
		fe_error("reading --sign-passphrase-file %s: it holds a NUL byte", path);
		explicit_bzero(buf, n);
		free(buf);
		return NULL;
	}
	/* As containers/image's ReadPassphraseFile: one trailing newline is not part of it. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return buf;
}

int fe_read_secret_file(const char *path, const char *option, struct ipc_bin *out)
{
	out->data = read_small(path, option, SECRET_FILE_MAX, &out->len);
	return out->data == NULL ? -1 : 0;
}

void fe_wipe_bin(struct ipc_bin *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

void fe_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ------------------------------------------------------------------------------ image sign */

enum { S_SIGNBY, S_DIR, S_CERTDIR, S_AUTHFILE, S_TLS, S_HELP };
static const struct fe_opt sign_opts[] = {
	[S_SIGNBY] = { "sign-by", 0, true, "Name of the signing key" },
	[S_DIR] = { "directory", 'd', true, "Define an alternate directory to store signatures" },
	[S_CERTDIR] = { "cert-dir", 0, true, "Use certificates at the specified path to access "
					     "the registry" },
	[S_AUTHFILE] = { "authfile", 0, true, "Path of the authentication file" },
	[S_TLS] = { "tls-verify", 0, false, "Require HTTPS and verify certificates (default true)" },
	[S_HELP] = { "help", 'h', false, "Help for sign" },
};

struct sign_ctx {
	struct msg_image_sign req;
	bool help;
};

static int sign_opt(int id, const char *val, void *ctx)
{
	struct sign_ctx *c = ctx;

	switch (id) {
	case S_SIGNBY:
		c->req.sign_by = (char *)val;
		break;
	case S_DIR:
	case S_CERTDIR:
	case S_AUTHFILE:
		if (val[0] != '/') {
			fe_error("--%s must be an absolute path", sign_opts[id].name);
			return -1;
		}
		*(id == S_DIR ? &c->req.directory : id == S_CERTDIR ? &c->req.cert_dir
								      : &c->req.authfile) = (char *)val;
		break;
	case S_TLS:
		c->req.tls_verify = val == NULL ? TRI_TRUE : TRI_FALSE;
		break;
	default:
		c->help = val == NULL;
	}
	return 0;
}

int cmd_image_sign(const struct fe_opts *o, int argc, char **argv)
{
	struct sign_ctx c = { 0 };
	char **pos = NULL, home[PATH_MAX];
	int npos = 0, rc = EXIT_BERTH;
	struct ipc_msg *reply = NULL;

	if (fe_parse("berth image sign", sign_opts, ARRAY_SIZE(sign_opts), argc, argv, false,
		     sign_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth image sign [options] IMAGE [IMAGE...]",
			 "Sign an image", sign_opts, ARRAY_SIZE(sign_opts));
		return 0;
	}
	if (npos < 1) {
		fe_error("at least one image name must be specified");
		goto out;
	}
	if (c.req.sign_by == NULL) {
		fe_error("please provide an identity");
		goto out;
	}
	if (fe_gnupghome(home, sizeof(home)) < 0)
		goto out;
	if (c.req.authfile == NULL)
		c.req.authfile = (char *)o->authfile;
	c.req.images = pos;
	c.req.n_images = (size_t)npos;
	c.req.gnupghome = home;
	rc = fe_request(o, MSG_IMAGE_SIGN, &c.req, MSG_OK, &reply) < 0 ? EXIT_BERTH : 0;
	ipc_msg_free(reply);
out:
	free(pos);
	return rc;
}
