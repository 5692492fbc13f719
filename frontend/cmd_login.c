/* `berth login` and `berth logout`, as Podman's: credentials are checked against the registry
 * and kept in auth.json ($REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json, or
 * /run/containers/0/auth.json as root; --authfile overrides). Passwords are read without echo
 * from a terminal, or from stdin with --password-stdin, and wiped after use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>


#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "ipc/msg.h"

enum { L_USER, L_PASS, L_PASSSTDIN, L_AUTHFILE, L_TLS, L_CERTDIR, L_ALL, L_HELP };
static const struct fe_opt login_opts[] = {
	[L_USER] = { "username", 'u', true, "Username for registry" },
	[L_PASS] = { "password", 'p', true, "Password for registry" },
	[L_PASSSTDIN] = { "password-stdin", 0, false, "Take the password from stdin" },
	[L_AUTHFILE] = { "authfile", 0, true, "Path of the authentication file" },
	[L_TLS] = { "tls-verify", 0, false, "Require HTTPS and verify certificates (default true)" },
	[L_CERTDIR] = { "cert-dir", 0, true, "Use certificates at the specified path to access "
					     "the registry" },
	[L_ALL] = { "all", 'a', false, "Remove the cached credentials for all registries "
				       "(logout)" },
	[L_HELP] = { "help", 'h', false, "Help for this command" },
};

struct login_ctx {
	const char *user, *pass, *authfile, *cert_dir;
	bool stdin_pass, all, help;
	uint64_t tls;
};

static int login_opt(int id, const char *val, void *ctx)
{
	struct login_ctx *c = ctx;
	switch (id) {
	case L_USER: c->user = val; break;
	case L_PASS: c->pass = val; break;
	case L_PASSSTDIN: c->stdin_pass = val == NULL; break;
	case L_AUTHFILE:
	case L_CERTDIR:
		if (val[0] != '/') {
			fe_error("--%s must be an absolute path", login_opts[id].name);
			return -1;
		}
		if (id == L_AUTHFILE)
			c->authfile = val;
		else
			c->cert_dir = val;
		break;
	case L_TLS: c->tls = val == NULL ? TRI_TRUE : TRI_FALSE; break;
	case L_ALL: c->all = val == NULL; break;
	default: c->help = val == NULL; break;
	}
	return 0;
}

/* Reads one line; on a terminal with echo off. The newline is dropped. */
static int read_secret(const char *prompt, char *buf, size_t len, bool echo)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && !echo;

	if (prompt != NULL && isatty(STDIN_FILENO)) {
		fputs(prompt, stderr);
		fflush(stderr);
	}
	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	} else {
		tty = false;
	}
	char *r = fgets(buf, (int)len, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int run_one(const struct fe_opts *o, uint32_t type, const void *body)
{
	struct ipc_msg *reply = NULL;

	if (fe_request(o, type, body, MSG_OK, &reply) < 0)
		return -1;
	ipc_msg_free(reply);
	return 0;
}

int cmd_login(const struct fe_opts *o, int argc, char **argv)
{
	struct login_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	char user[1024] = "", pass[8192] = "";
	int rc = EXIT_BERTH;

	if (fe_parse("berth login", login_opts, L_ALL, argc, argv, false, login_opt, &c, &pos,
		     &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		fe_usage("berth login [options] REGISTRY", "Log in to a container registry",
			 login_opts, L_ALL);
		goto out;
	}
	if (npos != 1) {
		fe_error("login accepts only one registry to login to");
		goto out;
	}
	if (c.pass != NULL && c.stdin_pass) {
		fe_error("--password and --password-stdin are mutually exclusive");
		goto out;
	}
	if (c.user != NULL)
		snprintf(user, sizeof(user), "%s", c.user);
	else if (c.stdin_pass) {
		fe_error("must provide --username with --password-stdin");
		goto out;
	} else if (read_secret("Username: ", user, sizeof(user), true) < 0 || user[0] == '\0') {
		fe_error("username is required");
		goto out;
	}
	if (c.pass != NULL)
		snprintf(pass, sizeof(pass), "%s", c.pass);
	else if (read_secret(c.stdin_pass ? NULL : "Password: ", pass, sizeof(pass), false) < 0 ||
		 pass[0] == '\0') {
		fe_error("password is required");
		goto out;
	}
	/* A registry, not an image: "https://" and a trailing path are dropped as Podman does. */
	char reg[256];
	const char *r = pos[0];
	if (strncmp(r, "https://", 8) == 0)
		r += 8;
	snprintf(reg, sizeof(reg), "%.*s", (int)strcspn(r, "/"), r);
	struct msg_login req = { .registry = reg, .username = user, .password = pass,
				 .authfile = (char *)(c.authfile ? c.authfile : o->authfile),
				 .tls_verify = c.tls, .cert_dir = (char *)c.cert_dir };
	if (run_one(o, MSG_LOGIN, &req) == 0) {
		printf("Login Succeeded!\n");
		rc = 0;
	}
out:
	explicit_bzero(pass, sizeof(pass));
	free(pos);
	return rc == EXIT_BERTH && c.help ? 0 : rc;
}

int cmd_logout(const struct fe_opts *o, int argc, char **argv)
{
	struct login_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	static const struct fe_opt *opts = login_opts;

	/* logout takes --authfile, --all and --help only. */
	struct fe_opt lo[3] = { opts[L_AUTHFILE], opts[L_ALL], opts[L_HELP] };
	(void)lo;
	if (fe_parse("berth logout", login_opts, ARRAY_SIZE(login_opts), argc, argv, false,
		     login_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth logout [options] REGISTRY", "Log out of a container registry", lo,
			 3);
		return 0;
	}
	if (c.user != NULL || c.pass != NULL || c.stdin_pass || c.cert_dir != NULL) {
		free(pos);
		fe_error("logout takes only --authfile and --all");
		return EXIT_BERTH;
	}
	if ((npos != 1 && !c.all) || (npos > 0 && c.all)) {
		free(pos);
		fe_error(c.all ? "--all takes no registry" : "registry must be given");
		return EXIT_BERTH;
	}
	char reg[256] = "";
	if (npos == 1) {
		const char *r = pos[0];
		if (strncmp(r, "https://", 8) == 0)
			r += 8;
		snprintf(reg, sizeof(reg), "%.*s", (int)strcspn(r, "/"), r);
	}
	free(pos);
	struct msg_logout req = { .registry = c.all ? NULL : reg,
				  .authfile = (char *)(c.authfile ? c.authfile : o->authfile),
				  .all = c.all };
	if (run_one(o, MSG_LOGOUT, &req) < 0)
		return EXIT_BERTH;
	if (c.all)
		printf("Removed login credentials for all registries\n");
	else
		printf("Removed login credentials for %s\n", reg);
	return 0;
}
