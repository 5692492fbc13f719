/* berth-sign: makes OpenPGP "simple signing" signatures (containers-signature(5)) with the
 * user's own secret key, for `berth push --sign-by` and `berth image sign`.
 *
 * Why a worker of its own and not a mode of berth-verify: berth-verify parses untrusted bytes
 * and runs as nobody with a GnuPG home of its own that holds only public keys; signing needs
 * the opposite, the user's identity (the worker runs as the user, uid 0 inside the rootless
 * user namespace, never as nobody) and the user's GnuPG home with its secret keys, and it never
 * sees an untrusted byte (the payload is JSON the broker wrote). Keeping the two apart means the
 * process that parses registry bytes can never reach a secret key, and the one that can
 * reach the key parses nothing. gpgme stays out of the broker and the frontend.
 *
 * Started as `berth-sign --gnupghome DIR` with DIR open at SIGN_HOME_FD (the broker opened and
 * checked it: a directory owned by the user). Requests: MSG_S_GPG_SIGN only.
 *
 * The gpg-agent: GnuPG 2 keeps secret keys in gpg-agent, which gpg starts on first use and
 * which then stays running. berth must not leave behind an agent it started, and must not end
 * one the user had running (with passphrases cached, maybe serving an ssh-agent socket). So,
 * before the sandbox: if the agent socket of DIR answers, that agent is the user's and is used
 * as it is; otherwise berth-sign launches one (`gpgconf --launch gpg-agent`, which is what gpg
 * would do) and, when the worker ends, tells exactly that agent to go (KILLAGENT on its socket,
 * what `gpgconf --kill gpg-agent` sends). Starting it before the sandbox keeps the agent, a
 * long-running daemon with its own threads and sockets, out of a seccomp filter written for
 * gpg; inside the sandbox gpg only connects to it. gpg's own --no-autostart is not reachable
 * through gpgme, and is not needed: the agent is always running by the time gpg is. A
 * berth-sign that is killed (its sandbox, the broker's timeout) cannot end the agent it
 * started; that agent is the user's own process, as one gpg itself had started would be.
 *
 * Passphrases: loopback pinentry (the agent asks gpg, gpg asks gpgme, gpgme asks us), with the
 * passphrase that came in the request (--sign-passphrase-file, read by the frontend), wiped
 * after use. Without one, a protected key fails with a message naming the option: there is no
 * terminal for a pinentry in a sandboxed worker. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gpgme.h>
#include <openssl/crypto.h>

#include "common/cleanup.h"
#include "workers/common/worker.h"
#include "workers/sign/policy.h"

struct sign_state {
	const char *gpgme_version;   /* static string owned by gpgme */
	char home[PATH_MAX];         /* the user's GnuPG home */
	char agent_socket[PATH_MAX]; /* its gpg-agent's socket */
	bool started_agent;          /* berth-sign launched that agent and must end it */
};

/* atexit() cannot take an argument: the one agent this process started, if any. */
static char agent_to_end[PATH_MAX];

/* Connects to the agent socket; -1 when nothing listens there. */
static int agent_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one Assuan line (the agent's answers are short); false on EOF or error. */
static bool agent_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return true;
}

/* Ends the agent berth-sign started: KILLAGENT, as `gpgconf --kill gpg-agent` does. Runs at
 * exit, inside the sandbox (connect to an AF_UNIX socket beneath the home is allowed). */
static void end_agent(void)
{
	char line[256];
	int fd;

	if (agent_to_end[0] == '\0')
		return;
	fd = agent_connect(agent_to_end);
	if (fd < 0)
		return;
	if (agent_line(fd, line, sizeof(line)) && strncmp(line, "OK", 2) == 0 &&
	    write(fd, "KILLAGENT\n", 10) == 10)
		(void)agent_line(fd, line, sizeof(line));
	close(fd);
	/* The agent goes a moment after it answered; until then its socket still accepts, and a
	 * berth-sign started right after this one would take it for the user's agent and leave
	 * it running. Wait (at most 2 s) until nothing answers there. */
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		fd = agent_connect(agent_to_end);
		if (fd < 0)
			break;
		close(fd);
		nanosleep(&ts, NULL);
	}
	agent_to_end[0] = '\0';
}

/* Runs `gpgconf --launch gpg-agent` for the home (in the environment) and waits for it. */
static int launch_agent(struct berr *e)
{
	char *const argv[] = { (char *)"gpgconf", (char *)"--launch", (char *)"gpg-agent", NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return berr_sys(e, "starting gpgconf");
	if (pid == 0) {
		/* The IPC socket and the home fd are not the agent's business. */
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		execv("/usr/bin/gpgconf", argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berr_sys(e, "waiting for gpgconf");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "could not start gpg-agent for %s "
				"(gpgconf --launch gpg-agent failed): install gnupg", getenv("GNUPGHOME"));
	return 0;
}

static int sign_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct sign_state *ss = worker_role_state(w);
	struct stat a, b;
	const char *sock;
	int fd;

	if (argc != 2 || strcmp(argv[0], "--gnupghome") != 0 || argv[1][0] != '/' ||
	    strlen(argv[1]) >= sizeof(ss->home))
		return berr_set(e, BERR_INVALID, 0, "usage: berth-sign --gnupghome DIR");
	if (fstat(SIGN_HOME_FD, &a) < 0 || stat(argv[1], &b) < 0)
		return berr_sys(e, "the GnuPG home %s", argv[1]);
	if (!S_ISDIR(a.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return berr_set(e, BERR_INVALID, 0, "%s is not the directory the broker handed over",
				argv[1]);
	snprintf(ss->home, sizeof(ss->home), "%s", argv[1]);
	/* gpgconf, gpg and the agent all find the home here (the environment is otherwise only
	 * PATH: the broker starts workers with a clean one). */
	if (setenv("GNUPGHOME", ss->home, 1) < 0)
		return berr_sys(e, "setenv");
	ss->gpgme_version = gpgme_check_version(NULL);
	if (ss->gpgme_version == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "gpgme failed to initialise");
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "GnuPG (gpg) is not usable: install gnupg");
	sock = gpgme_get_dirinfo("agent-socket");
	if (sock == NULL || sock[0] != '/' || strlen(sock) >= sizeof(ss->agent_socket))
		return berr_set(e, BERR_UNSUPPORTED, 0, "GnuPG does not say where gpg-agent listens "
				"for %s", ss->home);
	snprintf(ss->agent_socket, sizeof(ss->agent_socket), "%s", sock);
	fd = agent_connect(ss->agent_socket);
	if (fd >= 0) {
		close(fd); /* the user's own agent: used, never ended */
		return 0;
	}
	if (launch_agent(e) < 0)
		return -1;
	ss->started_agent = true;
	snprintf(agent_to_end, sizeof(agent_to_end), "%s", ss->agent_socket);
	if (atexit(end_agent) != 0) {
		end_agent();
		return berr_set(e, BERR_INTERNAL, 0, "atexit");
	}
	return 0;
}

static int sign_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	struct sign_state *ss = worker_role_state(w);
	char buf[128];

	snprintf(buf, sizeof(buf), "gpgme %s", ss->gpgme_version);
	return worker_strv_add(&st->libraries, &st->n_libraries, buf, e);
}

/* gpgme's passphrase callback (loopback pinentry): the request's passphrase, or a refusal. */
struct pass_ctx {
	const char *passphrase; /* not owned: the request's */
	bool asked;
};

static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint, const char *info,
				   int prev_was_bad, int fd)
{
	struct pass_ctx *pc = hook;

	(void)uid_hint;
	(void)info;
	pc->asked = true;
	/* A wrong passphrase is not retried: gpg would ask again and get the same one. */
	if (pc->passphrase == NULL || prev_was_bad)
		return gpgme_error(prev_was_bad ? GPG_ERR_BAD_PASSPHRASE : GPG_ERR_NO_PASSPHRASE);
	if (gpgme_io_writen(fd, pc->passphrase, strlen(pc->passphrase)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error_from_syserror();
	return 0;
}

static bool hex_fingerprint(const char *s)
{
	size_t n = strlen(s);

	if (n < 16 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static void wipe_str(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
}

/* Signs the payload; the reply carries the signature. Every refusal (no such secret key, a
 * wrong or missing passphrase) is an error reply worded for the user. */
static int handle_gpg_sign(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct sign_state *ss = worker_role_state(w);
	struct msg_s_gpg_sign *req = m->body;
	struct msg_s_gpg_sign_reply reply = { 0 };
	struct pass_ctx pc = { .passphrase = req->passphrase };
	gpgme_ctx_t gctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t err;
	gpgme_sign_result_t res;
	char *sig = NULL;
	size_t sig_len = 0;
	int rc = -1;

	if (!hex_fingerprint(req->fingerprint)) {
		berr_set(e, BERR_INVALID, 0, "--sign-by %.128s is not a key fingerprint (16 to 40 "
			 "hexadecimal digits)", req->fingerprint);
		goto out;
	}
	if ((err = gpgme_new(&gctx)) != 0 ||
	    (err = gpgme_set_protocol(gctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(gctx, GPGME_PROTOCOL_OpenPGP, NULL, ss->home)) != 0 ||
	    (err = gpgme_set_pinentry_mode(gctx, GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
		berr_set(e, BERR_UNSUPPORTED, 0, "starting GnuPG: %s", gpgme_strerror(err));
		goto out;
	}
	gpgme_set_offline(gctx, 1);
	gpgme_set_armor(gctx, 0);
	gpgme_set_textmode(gctx, 0);
	gpgme_set_passphrase_cb(gctx, passphrase_cb, &pc);
	err = gpgme_get_key(gctx, req->fingerprint, &key, 1);
	if (err != 0 || key == NULL) {
		berr_set(e, BERR_NOTFOUND, 0, "no secret key %s in %s%s%s", req->fingerprint,
			 ss->home, err != 0 && gpgme_err_code(err) != GPG_ERR_EOF ? ": " : "",
			 err != 0 && gpgme_err_code(err) != GPG_ERR_EOF ? gpgme_strerror(err) : "");
		goto out;
	}
	if ((err = gpgme_signers_add(gctx, key)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, (const char *)req->payload.data, req->payload.len,
					   0)) != 0 ||
	    (err = gpgme_data_new(&out)) != 0) {
		berr_set(e, BERR_SYSTEM, 0, "preparing the signature: %s", gpgme_strerror(err));
		goto out;
	}
	err = gpgme_op_sign(gctx, in, out, GPGME_SIG_MODE_NORMAL);
	if (gpgme_err_code(err) == GPG_ERR_BAD_PASSPHRASE) {
		berr_set(e, BERR_DENIED, 0, "signing with key %s: wrong passphrase", key->fpr);
		goto out;
	}
	if (gpgme_err_code(err) == GPG_ERR_NO_PASSPHRASE ||
	    (err != 0 && pc.asked && req->passphrase == NULL)) {
		berr_set(e, BERR_DENIED, 0, "signing with key %s: the key is protected by a "
			 "passphrase: use --sign-passphrase-file", key->fpr);
		goto out;
	}
	if (err != 0) {
		berr_set(e, BERR_DENIED, 0, "signing with key %s: %s", key->fpr,
			 gpgme_strerror(err));
		goto out;
	}
	res = gpgme_op_sign_result(gctx);
	if (res == NULL || res->invalid_signers != NULL || res->signatures == NULL ||
	    res->signatures->next != NULL) {
		berr_set(e, BERR_DENIED, 0, "signing with key %s: %s", key->fpr,
			 res != NULL && res->invalid_signers != NULL
				 ? gpgme_strerror(res->invalid_signers->reason)
				 : "gpg made no signature");
		goto out;
	}
	sig = gpgme_data_release_and_get_mem(out, &sig_len);
	out = NULL;
	if (sig == NULL || sig_len == 0) {
		berr_set(e, BERR_INTERNAL, 0, "gpg made an empty signature");
		goto out;
	}
	reply.signature.data = (uint8_t *)sig;
	reply.signature.len = sig_len;
	reply.fingerprint = key->fpr;
	rc = ipc_send(worker_chan(w), MSG_S_GPG_SIGN_REPLY, m->id, &reply, NULL, 0, e);
out:
	wipe_str(req->passphrase);
	gpgme_free(sig);
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_key_unref(key);
	gpgme_release(gctx);
	return rc;
}

/* One request type; each signature is independent of the last. */
static const struct ipc_dispatch sign_table[] = {
	{ MSG_S_GPG_SIGN, false, WS_READY, handle_gpg_sign },
};

static const struct worker_role sign_role = {
	.name = "sign",
	.policy = &sign_sandbox_policy,
	.init = sign_init,
	.info = sign_info,
	.table = sign_table,
	.n_table = ARRAY_SIZE(sign_table),
	.role_state_size = sizeof(struct sign_state),
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &sign_role);
}
