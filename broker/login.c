#include "broker/login.h"

#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/auth.h"
#include "broker/resolve.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/path.h"
#include "common/reference.h"
#include "ipc/codec.h"

#define LOGIN_TIMEOUT_MS (120 * 1000)

static int check_target(const char *registry, const char *authfile, struct berr *e)
{
	if (registry != NULL && !ref_domain_valid(registry, strlen(registry)))
		return berr_set(e, BERR_INVALID, 0, "%s is not a registry (host[:port])", registry);
	if (!path_is_clean_abs(authfile))
		return berr_set(e, BERR_INVALID, 0, "the auth file must be an absolute path");
	return 0;
}

int broker_login(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	struct msg_login *req = m->body;
	struct msg_f_get get = { 0 };
	struct msg_f_get_reply rep = { 0 };
	cleanup_close int out = -1;
	int ca = -1, fds[2];
	struct wk *w = NULL;
	int rc = -1;

	if (check_target(req->registry, req->authfile, e) < 0)
		goto out;
	ca = resolve_certs(b, strcmp(req->registry, "docker.io") == 0 ? "registry-1.docker.io"
								   : req->registry,
			   req->cert_dir, e);
	if (ca < 0 && e->code != BERR_OK)
		goto out;
	out = memfd_create("berth-ping", MFD_CLOEXEC);
	w = wk_spawn(b, "fetch", NULL, e);
	if (out < 0 || w == NULL)
		goto out;
	/* Docker Hub's API answers at registry-1.docker.io; the credentials stay keyed docker.io. */
	get.registry = strcmp(req->registry, "docker.io") == 0 ? (char *)"registry-1.docker.io"
								: req->registry;
	get.repository = (char *)"";
	get.kind = FETCH_PING;
	get.reference = (char *)"";
	get.tls_verify = req->tls_verify != TRI_FALSE;
	get.max_size = 64 * 1024;
	get.username = req->username;
	get.password = req->password;
	get.has_ca = ca >= 0;
	fds[0] = out;
	fds[1] = ca;
	if (wk_call(b, w, MSG_F_GET, &get, fds, ca >= 0 ? 2 : 1, LOGIN_TIMEOUT_MS, MSG_F_GET_REPLY,
		    &rep, NULL, e) < 0) {
		berr_wrap(e, "logging in to %s", req->registry);
		goto out;
	}
	if (auth_store(req->authfile, req->registry, req->username, req->password, e) < 0)
		goto out;
	struct msg_ok ok = { 0 };
	rc = ipc_send(b->front, MSG_OK, m->id, &ok, NULL, 0, e);
out:
	OPENSSL_cleanse(req->password, strlen(req->password));
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	if (ca >= 0)
		close(ca);
	if (w != NULL)
		wk_release(b, w);
	return rc;
}

int broker_logout(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_logout *req = m->body;
	struct msg_ok ok = { 0 };

	if (!req->all && req->registry == NULL)
		return berr_set(e, BERR_INVALID, 0, "registry must be given");
	if (check_target(req->all ? NULL : req->registry, req->authfile, e) < 0 ||
	    auth_remove(req->authfile, req->all ? NULL : req->registry, e) < 0)
		return -1;
	return ipc_send(b->front, MSG_OK, m->id, &ok, NULL, 0, e);
}
