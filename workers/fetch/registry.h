/* The registry client: one GET or HEAD of a manifest or blob over the OCI distribution API
 * (Docker registry v2), with libcurl and OpenSSL, inside berth-fetch's sandbox.
 *
 *   https://<registry>/v2/<repository>/manifests/<tag or digest>
 *   https://<registry>/v2/<repository>/blobs/<digest>
 *   (http:// only when the broker says plain_http: TLS verification is off for the registry,
 *   by --tls-verify=false or registries.conf `insecure = true`, and it does not speak TLS)
 *
 * Authentication (the Docker token flow, as Podman does it): the first request goes out with a
 * cached bearer token for (registry, scope) if there is one, else anonymous. A 401 from the
 * registry is answered once, by the challenge in its WWW-Authenticate header:
 *   Bearer: GET <realm>?service=<service>&scope=repository:<repo>:pull (with HTTP Basic
 *           credentials when the broker gave some), read {"token": ...} or
 *           {"access_token": ...}, retry with "Authorization: Bearer <token>";
 *   Basic:  retry with the credentials.
 * The realm may be on another host (Docker Hub's is auth.docker.io): the registry names its
 * token server, as with every Docker client, but it must be an https URL (http only for a
 * registry the user declared plain HTTP), so the credentials never travel in clear text.
 * A second 401 is the user's error ("unauthorized: authentication required", or "invalid
 * username/password" when credentials were sent). Credentials travel only over TLS, or over
 * plain HTTP when the broker explicitly allowed that registry to be plain HTTP.
 *
 * Redirects (blob downloads go to a CDN or object store) are followed here, not by libcurl, at
 * most REGISTRY_MAX_REDIRECTS times: the Authorization header is sent to the registry's own
 * origin (scheme, host, port) only, never to the host a redirect names, and an https URL never
 * redirects to http unless the registry itself is plain HTTP.
 *
 * Bodies: only a 2xx body is written to the output fd, at most max_size bytes; a response that
 * announces more (Content-Length), or sends more, aborts the transfer with an error naming the
 * limit. Error bodies go to a small memory buffer (the registry's JSON error message, bounded,
 * in the error text). 429, 5xx and transport errors are retried with backoff (0.5 s, 1 s, 2 s);
 * other 4xx are not.
 *
 * TLS: peer and host name verification unless tls_verify is false. Trust anchors are the
 * system bundle (read at start-up, before the sandbox) plus the registry's extra CAs (certs.d,
 * passed by the broker as an fd), handed to libcurl as one in-memory PEM blob. A client
 * certificate and its key from certs.d (NAME.cert / NAME.key, also passed by the broker as
 * fds) are handed to libcurl as PEM blobs it does not copy, wiped by the caller afterwards;
 * a registry that asks for a client certificate and gets none (or refuses the one it got) is
 * reported as such, not retried.
 *
 * Secrets (password, tokens, Authorization headers built here) are wiped when freed and never
 * logged or put in error messages.
 *
 * Lookaside signatures (FETCH_LOOKASIDE, registries.d(5)): a plain GET of the URL the broker
 * built, on the host it names (whose certs.d material it sent), with no Authorization of any
 * kind, as containers/image fetches them; redirects as above. A 404, wherever a redirect led,
 * is BERR_NOTFOUND: the end of the list of signatures.
 *
 * Uploads (registry_put, workers/fetch/upload.h) use the same client: its handle, trust
 * anchors, token cache (scope "repository:<repo>:pull,push"), origin rule and retry rules.
 * The code is in three files that share workers/fetch/registry_int.h: http.c (one HTTP
 * exchange), registry.c (this header: set-up, checks, authentication, downloads), upload.c. */
#ifndef BERTH_WORKERS_FETCH_REGISTRY_H
#define BERTH_WORKERS_FETCH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

#define REGISTRY_MAX_REDIRECTS 5
#define REGISTRY_MAX_CA_BYTES (1024 * 1024)        /* extra CAs from the broker */
#define REGISTRY_MAX_CLIENT_CERT_BYTES (256 * 1024) /* certs.d NAME.cert */
#define REGISTRY_MAX_CLIENT_KEY_BYTES (64 * 1024)   /* certs.d NAME.key */
#define REGISTRY_MAX_SYSTEM_CA_BYTES (8 * 1024 * 1024)
#define REGISTRY_USER_AGENT "berth/" BERTH_VERSION

/* The worker's client: the system CA bundle, one libcurl handle (its connection, DNS and TLS
 * session caches) and the token cache. Opaque. */
struct registry;

/* Creates the client. Reads the system CA bundle: call before the sandbox. A host without a
 * bundle gets a client that trusts only the CAs each request brings (and says so at debug
 * level). Returns NULL with *e set. */
struct registry *registry_new(struct berr *e);
/* Wipes the cached tokens and frees the client. NULL is fine. */
void registry_free(struct registry *r);

/* The PEM material of one request's TLS, none of it owned: extra CA certificates (certs.d
 * *.crt) and a client certificate (NAME.cert) with its key (NAME.key, a secret the caller
 * wipes). Each NULL when absent; key exactly when cert. */
struct registry_pem {
	const char *ca;
	size_t ca_len;
	const char *cert;
	size_t cert_len;
	const char *key;
	size_t key_len;
};

struct registry_req {
	const char *registry;       /* "host[:port]" */
	const char *repository;
	enum fetch_kind kind;
	const char *reference;      /* tag or digest; a digest for blobs */
	char *const *accept;        /* manifests: media types for Accept; may be NULL */
	size_t n_accept;
	bool tls_verify;
	bool plain_http;            /* http:// (the broker's ping decided it) */
	bool head;
	uint64_t max_size;          /* > 0 */
	const char *username;       /* NULL: anonymous */
	const char *password;       /* NULL exactly when username is NULL */
	struct registry_pem pem;    /* the key is handed to libcurl without a copy */
	const char *url;            /* FETCH_LOOKASIDE: the whole URL, on host registry; else NULL */
	int out_fd;                 /* not owned; written from its current offset */
	/* Called as body bytes arrive (total -1 when unknown); may be NULL. */
	void (*progress)(void *ctx, uint64_t done, int64_t total);
	void *progress_ctx;         /* not owned */
};

struct registry_result {
	long http_status;
	char media_type[257];       /* Content-Type without parameters, or "" when unusable */
	char digest[136];           /* Docker-Content-Digest if it is a valid digest, or "" */
	uint64_t size;              /* bytes written; HEAD: Content-Length (0 if absent) */
};

/* Performs the request. Returns 0 with *res filled (a 2xx status), or -1 with *e set:
 * BERR_NOTFOUND for 404, BERR_DENIED for authentication failures, BERR_INVALID for a request
 * that cannot be made (bad names, body over max_size), BERR_UNSUPPORTED for an auth scheme
 * berth does not speak, BERR_SYSTEM / BERR_TIMEOUT for the network, BERR_WORKER for other HTTP
 * statuses. */
int registry_get(struct registry *r, const struct registry_req *req, struct registry_result *res,
		 struct berr *e);

/* "4 MiB", "512 KiB", "1000 bytes": how a limit is named in messages. Pure. */
void registry_format_size(uint64_t n, char *buf, size_t len);

#endif
