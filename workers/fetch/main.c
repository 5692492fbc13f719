/* berth-fetch: the registry client. It speaks the OCI distribution protocol with libcurl and
 * OpenSSL (workers/fetch/registry.c for downloads, workers/fetch/upload.c for pushes), writing
 * only into fds the broker opened for it and uploading only from fds the broker opened,
 * read-only, for it.
 *
 * libcurl and OpenSSL are initialised here, before the sandbox, because their global set-up
 * reads configuration files and may load modules that the sandbox later forbids. The system
 * CA bundle is read here too, so that each transfer gets its trust anchors from memory. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/cleanup.h"
#include "common/xio.h"
#include "ipc/channel.h"
#include "workers/common/worker.h"
#include "workers/fetch/policy.h"
#include "workers/fetch/registry.h"
#include "workers/fetch/upload.h"

struct fetch_state {
	struct registry *reg;   /* owned; lives as long as the process */
};

static int fetch_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct fetch_state *st = worker_role_state(w);

	(void)argv;
	if (argc != 0)
		return berr_set(e, BERR_INVALID, 0, "berth-fetch takes no arguments");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return berr_set(e, BERR_INTERNAL, 0, "libcurl failed to initialise");
	st->reg = registry_new(e);
	return st->reg == NULL ? -1 : 0;
}

static int fetch_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	char buf[128];

	(void)w;
	snprintf(buf, sizeof(buf), "libcurl %s", v->version);
	if (worker_strv_add(&st->libraries, &st->n_libraries, buf, e) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s", OpenSSL_version(OPENSSL_VERSION));
	return worker_strv_add(&st->libraries, &st->n_libraries, buf, e);
}

/* One PEM document the broker passed as an fd (a sealed memfd): read whole from offset 0 with
 * pread, so several workers given the same fd do not share a position, at most max bytes.
 * *out is max + 1 bytes, wiped by tls_free. */
static int read_pem(int fd, size_t max, const char *what, char **out, size_t *len,
		    struct berr *e)
{
	char *buf = malloc(max + 1);
	char limit[32];
	size_t n = 0;

	if (buf == NULL)
		return berr_sys(e, "allocating");
	while (n <= max) {
		ssize_t r = pread(fd, buf + n, max + 1 - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			OPENSSL_cleanse(buf, max + 1);
			free(buf);
			return berr_sys(e, "reading %s", what);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		OPENSSL_cleanse(buf, max + 1);
		free(buf);
		registry_format_size(max, limit, sizeof(limit));
		return berr_set(e, BERR_INVALID, 0, "%s: larger than %s", what, limit);
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The TLS material of one request: extra CAs, and a client certificate with its key. */
struct req_tls {
	char *ca;           /* owned, or NULL */
	size_t ca_len;
	char *cert;         /* owned, or NULL (then key is NULL too) */
	size_t cert_len;
	char *key;          /* owned, secret: wiped by tls_free */
	size_t key_len;
};

/* A view of what t holds, for the client. */
static struct registry_pem tls_pem(const struct req_tls *t)
{
	return (struct registry_pem){ t->ca, t->ca_len, t->cert, t->cert_len, t->key, t->key_len };
}

static void tls_free(struct req_tls *t)
{
	free(t->ca);
	free(t->cert);
	if (t->key != NULL)
		OPENSSL_cleanse(t->key, REGISTRY_MAX_CLIENT_KEY_BYTES + 1);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

static void wipe(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
}

/* MSG_F_GET: one manifest or blob into fds[0]. The request's credentials and client key are
 * wiped as soon as the transfer is over, whatever its outcome. */
struct progress_ctx {
	struct worker *w;
	uint64_t id;
	struct timespec last;
};

/* Download progress for the broker's display, at most five times a second. A failure to send
 * it is left for the reply to find. */
static void send_progress(void *ud, uint64_t done, int64_t total)
{
	struct progress_ctx *p = ud;
	struct timespec now;
	struct msg_f_progress msg = { .done = done, .total = total > 0 ? (uint64_t)total : 0 };
	struct berr e = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	(void)ipc_send(worker_chan(p->w), MSG_F_PROGRESS, p->id, &msg, NULL, 0, &e);
}

/* After the content fd, the CA bundle exactly when has_ca, then the client certificate and its
 * key exactly when has_client_cert (a mismatch is the broker's bug, refused rather than guessed
 * at); what they hold into *t. One check for downloads and uploads alike. */
static int request_tls(const struct ipc_msg *m, bool has_ca, bool has_client_cert,
		       const char *what, struct req_tls *t, struct berr *e)
{
	size_t want = 1 + (has_ca ? 1 : 0) + (has_client_cert ? 2 : 0);
	size_t i = 1;

	memset(t, 0, sizeof(*t));
	if (m->nfds != want)
		return berr_set(e, BERR_INVALID, 0, "%s request with %zu fds (has_ca is %s, "
				"has_client_cert is %s)", what, m->nfds, has_ca ? "set" : "not set",
				has_client_cert ? "set" : "not set");
	if (has_ca && read_pem(m->fds[i++], REGISTRY_MAX_CA_BYTES,
			       "the registry's CA certificates", &t->ca, &t->ca_len, e) < 0)
		return -1;
	if (has_client_cert &&
	    (read_pem(m->fds[i], REGISTRY_MAX_CLIENT_CERT_BYTES, "the client certificate",
		      &t->cert, &t->cert_len, e) < 0 ||
	     read_pem(m->fds[i + 1], REGISTRY_MAX_CLIENT_KEY_BYTES, "the client key", &t->key,
		      &t->key_len, e) < 0)) {
		tls_free(t);
		return -1;
	}
	return 0;
}

static int handle_get(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct fetch_state *st = worker_role_state(w);
	struct msg_f_get *q = m->body;
	struct req_tls tls = { 0 };
	struct registry_result res;
	struct msg_f_get_reply reply;
	int rc = -1;

	if (request_tls(m, q->has_ca, q->has_client_cert, "fetch", &tls, e) < 0)
		goto out;

	struct registry_req req = {
		.registry = q->registry,
		.repository = q->repository,
		.kind = (enum fetch_kind)q->kind,
		.reference = q->reference,
		.accept = q->accept,
		.n_accept = q->n_accept,
		.tls_verify = q->tls_verify,
		.plain_http = q->plain_http,
		.head = q->head,
		.max_size = q->max_size,
		.username = q->username,
		.password = q->password,
		.pem = tls_pem(&tls),
		.url = q->url,
		.out_fd = m->fds[0],
	};
	struct progress_ctx pc = { .w = w, .id = m->id };
	if (q->kind == FETCH_BLOB) {
		req.progress = send_progress;
		req.progress_ctx = &pc;
	}
	if (registry_get(st->reg, &req, &res, e) < 0)
		goto out;
	reply = (struct msg_f_get_reply){
		.http_status = (uint64_t)res.http_status,
		.media_type = res.media_type,
		.digest = res.digest,
		.size = res.size,
	};
	rc = ipc_send(worker_chan(w), MSG_F_GET_REPLY, m->id, &reply, NULL, 0, e);
	if (rc < 0)
		e->code = BERR_PROTOCOL; /* the channel is gone: nothing left to report to */
out:
	tls_free(&tls);
	wipe(q->username);
	wipe(q->password);
	return rc;
}

/* MSG_F_PUT: one blob or manifest from fds[0] to the registry. As for MSG_F_GET, the
 * credentials and the client key are wiped when the upload is over, whatever its outcome. */
static int handle_put(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct fetch_state *st = worker_role_state(w);
	struct msg_f_put *q = m->body;
	struct req_tls tls = { 0 };
	struct registry_put_result res;
	struct msg_f_put_reply reply;
	int rc = -1;

	if (request_tls(m, q->has_ca, q->has_client_cert, "upload", &tls, e) < 0)
		goto out;

	struct registry_put_req req = {
		.registry = q->registry,
		.repository = q->repository,
		.kind = (enum fetch_kind)q->kind,
		.reference = q->reference,
		.media_type = q->media_type,
		.size = q->size,
		.mount_from = q->mount_from,
		.tls_verify = q->tls_verify,
		.plain_http = q->plain_http,
		.username = q->username,
		.password = q->password,
		.pem = tls_pem(&tls),
		.in_fd = m->fds[0],
	};
	if (registry_put(st->reg, &req, &res, e) < 0)
		goto out;
	reply = (struct msg_f_put_reply){
		.http_status = (uint64_t)res.http_status,
		.existed = res.existed,
		.digest = res.digest,
	};
	rc = ipc_send(worker_chan(w), MSG_F_PUT_REPLY, m->id, &reply, NULL, 0, e);
	if (rc < 0)
		e->code = BERR_PROTOCOL; /* the channel is gone: nothing left to report to */
out:
	tls_free(&tls);
	wipe(q->username);
	wipe(q->password);
	return rc;
}

static const struct ipc_dispatch fetch_table[] = {
	{ MSG_F_GET, true, WS_READY, handle_get },
	{ MSG_F_PUT, true, WS_READY, handle_put },
};

static const struct worker_role fetch_role = {
	.name = "fetch",
	.policy = &fetch_sandbox_policy,
	.init = fetch_init,
	.info = fetch_info,
	.table = fetch_table,
	.n_table = ARRAY_SIZE(fetch_table),
	.role_state_size = sizeof(struct fetch_state),
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &fetch_role);
}
