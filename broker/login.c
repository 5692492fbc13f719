#include "broker/login.h"

#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/auth.h"
#include "broker/regconn.h"
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
	struct reg_conn conn;
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	struct wk *w = NULL;
	bool verify = true;
	int rc = -1;

	reg_conn_init(&conn);
	if (check_target(req->registry, req->authfile, e) < 0 ||
	    resolve_registry_tls(b, req->registry, req->tls_verify, &verify, e) < 0)
		goto out;
	/* Docker Hub's API answers at registry-1.docker.io; the credentials stay keyed docker.io. */
	if (reg_conn_open(b, &conn, strcmp(req->registry, "docker.io") == 0
					    ? "registry-1.docker.io" : req->registry,
			  verify, req->cert_dir, e) < 0)
		goto out;
	out = memfd_create("berth-ping", MFD_CLOEXEC);
	if (out < 0) {
		berr_sys(e, "memfd_create");
		goto out;
	}
	w = wk_spawn(b, "fetch", NULL, e);
	/* The scheme is settled anonymously before the credentials go anywhere. */
	if (w == NULL || reg_conn_probe(b, w, &conn, e) < 0) {
		berr_wrap(e, "logging in to %s", req->registry);
		goto out;
	}
	get.repository = (char *)"";
	get.kind = FETCH_PING;
	get.reference = (char *)"";
	get.max_size = 64 * 1024;
	get.username = req->username;
	get.password = req->password;
	nfds = reg_conn_get(&conn, &get, out, fds);
	if (wk_call(b, w, MSG_F_GET, &get, fds, nfds, LOGIN_TIMEOUT_MS, MSG_F_GET_REPLY,
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
	reg_conn_close(&conn);
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
