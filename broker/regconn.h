/* How berth reaches one registry during one command (pull, push, login): whether TLS is
 * verified, the certs.d material (CA certificates, a client certificate and its key, each a
 * sealed memfd) and whether the registry is spoken to over https or plain http.
 *
 * The scheme is decided once per registry per command, as Podman does it: with TLS
 * verification on, https only (a registry that speaks only plain HTTP fails with an error
 * that names --tls-verify=false and `insecure = true`); with it off (--tls-verify=false, or
 * `insecure = true` for the registry in registries.conf), a ping of /v2/ over https, and, only
 * if that fails at the connection or the TLS handshake, a ping over http. Every request of the
 * command then uses the scheme that answered. The pings are anonymous: credentials are sent
 * only once the scheme is known, and only to the registry itself (berth-fetch's rule). */
#ifndef BERTH_BROKER_REGCONN_H
#define BERTH_BROKER_REGCONN_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/broker.h"
#include "broker/resolve.h"
#include "broker/wk.h"
#include "common/err.h"
#include "ipc/msg.h"

/* The content fd, the CA certificates, the client certificate, its key. */
#define REG_CONN_MAX_FDS 4

struct reg_conn {
	char registry[256];           /* host[:port]; "" before reg_conn_open */
	bool tls_verify;
	bool plain_http;              /* http:// for every request (decided by reg_conn_probe) */
	bool probed;
	struct registry_certs certs;  /* owned */
};

/* An empty connection: nothing open. */
void reg_conn_init(struct reg_conn *c);
/* Prepares c for registry: reads its certs.d material (resolve_certs; cert_dir is --cert-dir
 * or NULL). When c already holds the same registry with the same tls_verify, it is kept as it
 * is, scheme included. Returns 0, or -1 with *e set (c is then empty). */
int reg_conn_open(struct broker *b, struct reg_conn *c, const char *registry, bool tls_verify,
		  const char *cert_dir, struct berr *e);
/* Decides http or https (see above) with fetch, once; does nothing when TLS is verified or the
 * decision is made. Returns 0, or -1 with *e set when neither scheme answers. */
int reg_conn_probe(struct broker *b, struct wk *fetch, struct reg_conn *c, struct berr *e);
/* Sets q's registry, TLS and certificate fields and fills fds (out_fd first). Returns the
 * number of fds to send with q. */
size_t reg_conn_get(const struct reg_conn *c, struct msg_f_get *q, int out_fd,
		    int fds[REG_CONN_MAX_FDS]);
size_t reg_conn_put(const struct reg_conn *c, struct msg_f_put *q, int in_fd,
		    int fds[REG_CONN_MAX_FDS]);
/* Closes what c holds (the key's memfd included) and empties it. */
void reg_conn_close(struct reg_conn *c);

#endif
