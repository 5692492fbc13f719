#include "broker/regconn.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "ipc/codec.h"

#define PING_TIMEOUT_MS (60 * 1000)
#define PING_MAX (64 * 1024)

void reg_conn_init(struct reg_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->certs.ca_fd = c->certs.cert_fd = c->certs.key_fd = -1;
}

void reg_conn_close(struct reg_conn *c)
{
	resolve_certs_close(&c->certs);
	reg_conn_init(c);
}

int reg_conn_open(struct broker *b, struct reg_conn *c, const char *registry, bool tls_verify,
		  const char *cert_dir, struct berr *e)
{
	if (c->registry[0] != '\0' && strcmp(c->registry, registry) == 0 &&
	    c->tls_verify == tls_verify)
		return 0;
	reg_conn_close(c);
	if (strlen(registry) >= sizeof(c->registry))
		return berr_set(e, BERR_INVALID, 0, "invalid registry name %s", registry);
	if (resolve_certs(b, registry, cert_dir, &c->certs, e) < 0)
		return -1;
	snprintf(c->registry, sizeof(c->registry), "%s", registry);
	c->tls_verify = tls_verify;
	return 0;
}

/* The fds after the content: CA certificates, then the client certificate and its key, in the
 * order berth-fetch expects them (ipc/msg.h, struct msg_f_get). */
static size_t tls_fds(const struct reg_conn *c, int first, int fds[REG_CONN_MAX_FDS])
{
	size_t n = 0;

	fds[n++] = first;
	if (c->certs.ca_fd >= 0)
		fds[n++] = c->certs.ca_fd;
	if (c->certs.cert_fd >= 0) {
		fds[n++] = c->certs.cert_fd;
		fds[n++] = c->certs.key_fd;
	}
	return n;
}

/* The fields MSG_F_GET and MSG_F_PUT have in common, wherever each struct keeps them. */
struct conn_fields {
	char **registry;
	bool *tls_verify, *plain_http, *has_ca, *has_client_cert;
};

static void set_fields(const struct reg_conn *c, const struct conn_fields *f)
{
	*f->registry = (char *)c->registry;
	*f->tls_verify = c->tls_verify;
	*f->plain_http = c->plain_http;
	*f->has_ca = c->certs.ca_fd >= 0;
	*f->has_client_cert = c->certs.cert_fd >= 0;
}

size_t reg_conn_get(const struct reg_conn *c, struct msg_f_get *q, int out_fd,
		    int fds[REG_CONN_MAX_FDS])
{
	set_fields(c, &(struct conn_fields){ &q->registry, &q->tls_verify, &q->plain_http,
					     &q->has_ca, &q->has_client_cert });
	return tls_fds(c, out_fd, fds);
}

size_t reg_conn_put(const struct reg_conn *c, struct msg_f_put *q, int in_fd,
		    int fds[REG_CONN_MAX_FDS])
{
	set_fields(c, &(struct conn_fields){ &q->registry, &q->tls_verify, &q->plain_http,
					     &q->has_ca, &q->has_client_cert });
	return tls_fds(c, in_fd, fds);
}

/* One anonymous GET /v2/ over the scheme c says. */
static int ping(struct broker *b, struct wk *fetch, const struct reg_conn *c, struct berr *e)
{
	cleanup_close int out = memfd_create("berth-ping", MFD_CLOEXEC);
	struct msg_f_get q = { 0 };
	struct msg_f_get_reply rep = { 0 };
	int fds[REG_CONN_MAX_FDS];
	size_t nfds;
	int rc;

	if (out < 0)
		return berr_sys(e, "memfd_create");
	q.repository = (char *)"";
	q.kind = FETCH_PING;
	q.reference = (char *)"";
	q.max_size = PING_MAX;
	nfds = reg_conn_get(c, &q, out, fds);
	rc = wk_call(b, fetch, MSG_F_GET, &q, fds, nfds, PING_TIMEOUT_MS, MSG_F_GET_REPLY, &rep,
		     NULL, e);
	ipc_struct_free(&msg_f_get_reply_schema, &rep);
	return rc;
}

/* Whether a failed ping says nothing about HTTP itself: no connection, no TLS handshake, no
 * answer in time. Any HTTP answer (401 included: BERR_DENIED) shows the scheme works. */
static bool transport_failure(const struct berr *e)
{
	return e->code == BERR_SYSTEM || e->code == BERR_TIMEOUT;
}

int reg_conn_probe(struct broker *b, struct wk *fetch, struct reg_conn *c, struct berr *e)
{
	struct berr over_https = { 0 }, over_http = { 0 };

	if (c->tls_verify || c->probed)
		return 0;
	c->plain_http = false;
	if (ping(b, fetch, c, &over_https) == 0 || !transport_failure(&over_https) ||
	    b->stopping) {
		c->probed = true;
		return 0;
	}
	log_debug("%s does not answer over https (%s); trying http", c->registry,
		  over_https.msg);
	/* Over http, only a real answer of the API counts (as in Podman: 200, or a 401 asking
	 * for credentials): a TLS server also answers plain HTTP, with a 400. */
	c->plain_http = true;
	if (ping(b, fetch, c, &over_http) == 0 || over_http.code == BERR_DENIED) {
		c->probed = true;
		log_debug("%s speaks plain HTTP: using http://", c->registry);
		return 0;
	}
	c->plain_http = false;
	return berr_set(e, over_https.code, over_https.sys_errno,
			"pinging container registry %s: %s (over http: %s)", c->registry,
			over_https.msg, over_http.msg);
}
