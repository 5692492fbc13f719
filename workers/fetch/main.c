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

/* Reads the extra CA bundle the broker passed (a certs.d ca.crt, or several concatenated),
 * from its start, bounded. */
static int read_ca(int fd, char **out, size_t *len, struct berr *e)
{
	char *buf = malloc(REGISTRY_MAX_CA_BYTES + 1);
	ssize_t n;

	if (buf == NULL)
		return berr_sys(e, "allocating");
	if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE) {
		free(buf);
		return berr_sys(e, "reading the registry's CA certificates");
	}
	n = xread_all(fd, buf, REGISTRY_MAX_CA_BYTES + 1, e);
	if (n < 0) {
		free(buf);
		return berr_wrap(e, "reading the registry's CA certificates");
	}
	if ((size_t)n > REGISTRY_MAX_CA_BYTES) {
		free(buf);
		return berr_set(e, BERR_INVALID, 0,
				"the registry's CA certificates are larger than 1 MiB");
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

static void wipe(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
}

/* MSG_F_GET: one manifest or blob into fds[0]. The request's credentials are wiped as soon as
 * the transfer is over, whatever its outcome. */
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

/* fds[1] exactly when has_ca (a mismatch is the broker's bug, refused rather than guessed
 * at), and the CA bundle it holds. */
static int request_ca(const struct ipc_msg *m, bool has_ca, const char *what, char **ca,
		      size_t *ca_len, struct berr *e)
{
	if (m->nfds != (has_ca ? 2u : 1u))
		return berr_set(e, BERR_INVALID, 0, "%s request with %zu fds (has_ca is %s)", what,
				m->nfds, has_ca ? "set" : "not set");
	if (has_ca && read_ca(m->fds[1], ca, ca_len, e) < 0)
		return -1;
	return 0;
}

static int handle_get(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct fetch_state *st = worker_role_state(w);
	struct msg_f_get *q = m->body;
	cleanup_free char *ca = NULL;
	size_t ca_len = 0;
	struct registry_result res;
	struct msg_f_get_reply reply;
	int rc = -1;

	if (request_ca(m, q->has_ca, "fetch", &ca, &ca_len, e) < 0)
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
		.extra_ca = ca,
		.extra_ca_len = ca_len,
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
	wipe(q->username);
	wipe(q->password);
	return rc;
}

/* MSG_F_PUT: one blob or manifest from fds[0] to the registry. As for MSG_F_GET, the
 * credentials are wiped when the upload is over, whatever its outcome. */
static int handle_put(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct fetch_state *st = worker_role_state(w);
	struct msg_f_put *q = m->body;
	cleanup_free char *ca = NULL;
	size_t ca_len = 0;
	struct registry_put_result res;
	struct msg_f_put_reply reply;
	int rc = -1;

	if (request_ca(m, q->has_ca, "upload", &ca, &ca_len, e) < 0)
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
		.plain_http = false, /* MSG_F_PUT has no plain_http: uploads are https only */
		.username = q->username,
		.password = q->password,
		.extra_ca = ca,
		.extra_ca_len = ca_len,
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
