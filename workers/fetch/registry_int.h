/* The registry client's internals, shared by its parts: http.c (one HTTP exchange: options,
 * callbacks, redirects, retries, error messages), registry.c (set-up, validation, tokens and
 * authentication, downloads) and upload.c (pushes). Nothing else includes this header: main.c
 * sees the client through registry.h and upload.h only.
 *
 * One exchange is a struct xfer (what goes out, and what came back, every field bounded), made
 * inside a struct call (one registry_get() or registry_put(): the registry's origin, the trust
 * anchors, the token scope) with a struct auth (the Authorization line, kept across the steps
 * of an upload). */
#ifndef BERTH_WORKERS_FETCH_REGISTRY_INT_H
#define BERTH_WORKERS_FETCH_REGISTRY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/err.h"
#include "workers/fetch/registry.h"
#include "workers/fetch/wwwauth.h"

#define MEDIA_TYPE_MAX 256
#define MAX_ACCEPT 16             /* media types in one Accept header (the IPC schema's bound) */
#define LOCATION_MAX 8192
#define ERRBODY_MAX 4096          /* an error response's body, kept for its message */
#define RETRIES 3                 /* after the first attempt: 0.5 s, 1 s, 2 s */

/* Where a 2xx body goes. */
enum sink {
	SINK_FD,       /* the broker's output fd (downloads) */
	SINK_MEM,      /* a small wiped buffer (token answers) */
	SINK_NONE,     /* counted against max, then dropped (answers to uploads) */
};

/* One HTTP exchange (one hop); the response half is reset before each. Filled by the callbacks
 * from untrusted headers and body, every field bounded. */
struct xfer {
	CURL *curl;                         /* not owned */
	/* --- the request */
	const char *method;                 /* not owned: "POST", "PUT", "PATCH"; NULL: GET, or HEAD
					     * if head */
	bool head;
	bool has_body;                      /* method sends body_len bytes (0 is a body too) */
	int body_fd;                        /* not owned; read with pread only */
	uint64_t body_off;                  /* where the body starts in body_fd */
	uint64_t body_len;
	uint64_t body_pos;                  /* bytes handed to libcurl in this hop */
	int read_errno;                     /* pread failed */
	bool body_short;                    /* body_fd ended before body_len bytes */
	const char *extra_hdrs[3];          /* header lines, NULL-terminated; not owned */
	/* --- where a 2xx body goes */
	enum sink sink;
	int fd;                             /* SINK_FD: not owned */
	uint64_t max;                       /* bytes a 2xx body may have */
	uint64_t written;                   /* bytes taken over the attempt */
	bool too_large;
	int write_errno;
	char *mem;                          /* SINK_MEM: owned, wiped (token bodies) */
	/* SINK_FD: called as bytes arrive (throttled by the callee), or NULL. */
	void (*progress)(void *ctx, uint64_t done, int64_t total);
	void *progress_ctx;                 /* not owned */
	size_t mem_len;

	/* --- the response */
	long status;                        /* from the status line, for the callbacks */
	int64_t content_length;             /* -1: absent or unusable */
	int64_t range_end;                  /* "Range: 0-N": N; -1 absent; -2 unusable */
	char content_type[MEDIA_TYPE_MAX + 1];
	char digest[136];
	char location[LOCATION_MAX + 1];
	bool location_bad;
	char wwwauth[WWWAUTH_MAX_LEN + 1];
	size_t wwwauth_len;
	bool wwwauth_bad;
	char errbody[ERRBODY_MAX];
	size_t errbody_len;
	char errbuf[CURL_ERROR_SIZE];
	bool same_origin;                   /* the final hop was the registry itself */
	bool cert_requested;                /* this hop's TLS handshake asked for a client
					     * certificate (set by OpenSSL's cert callback) */
	int attempts;
	bool transient;                     /* the last attempt failed in a way worth retrying */
};

struct origin {
	char scheme[8];
	char host[256];
	long port;
};

/* Everything one registry_get() or registry_put() needs, built once by call_init(). */
struct call {
	struct registry *r;                 /* not owned */
	CURL *curl;                         /* not owned: r's handle */
	const struct registry_req *q;       /* not owned: names, TLS and credentials */
	const char *what;                   /* "manifest" or "blob" */
	struct origin origin;               /* the registry's */
	struct curl_blob ca;                /* system + extra CAs; data owned by ca_buf */
	char *ca_buf;                       /* owned, or NULL when ca.data is the system bundle */
	struct curl_blob cert;              /* the client certificate, or data NULL; not owned
					     * (q's), never copied by libcurl */
	struct curl_blob key;               /* its key, the same way: secret */
	char url[2048];                     /* /v2/<repo>/(manifests|blobs)/<reference> */
	char scope[1200];                   /* token scopes, separated by one space */
	bool status_in_msg;                 /* "401 unauthorized: ..." rather than "unauthorized:
					     * ...": how upload messages name a refusal */
};

enum auth_state {
	AUTH_NONE,        /* anonymous */
	AUTH_CACHED,      /* a token that worked, from the cache or earlier in this call: it may
			   * have expired on the server, so one 401 renews it */
	AUTH_SENT,        /* credentials or a fresh token: a 401 now is final */
};

/* The Authorization of one call, across its requests. */
struct auth {
	char *authz;                        /* owned, secret: "Authorization: ..." or NULL */
	enum auth_state state;
	bool bearer;                        /* authz holds a token (else Basic credentials) */
};

/* ---- registry.c */

/* Checks what a download and an upload have in common: registry, repository, the reference for
 * q->kind, and the credentials' characters. Returns 0 or -1 with *e set (BERR_INVALID); never
 * echoes a credential. */
int registry_check_common(const struct registry_req *q, struct berr *e);
/* A media type fit for a header: type "/" subtype, RFC 7230 tchars only. */
bool registry_valid_media_type(const char *s);
bool registry_valid_repository(const char *s);

/* Fills *c for q: the object's URL, scope "repository:<repo>:pull", the trust anchors. The
 * caller may change c->scope before the first request. Free with call_done(). */
int call_init(struct registry *r, const struct registry_req *q, struct call *c, struct berr *e);
void call_done(struct call *c);

/* Starts the call's authorization: a cached token for (registry, scope, user) if there is
 * one, else anonymous. Free with auth_done(), which wipes. */
int auth_init(struct call *c, struct auth *a, struct berr *e);
void auth_done(struct auth *a);

/* One request of the call, to url: x describes it (method, body, sink). Answers a 401 from the
 * registry's own origin by its challenge, once, and repeats the request; a request that
 * worked with a token makes a later 401 renew the token once more (it may have expired during
 * a long upload). Transport errors, 429 and 5xx are tried `retries` more times (at most
 * RETRIES) with backoff. follow: follow redirects (GET and HEAD only; the Authorization stays
 * with the registry's origin). Returns 0 with the final response in *x, whatever its status
 * (401 only when it is final), or -1 with *e set; x->transient says whether the failure, or
 * the status, is worth another try from the caller. */
int call_send(struct call *c, struct auth *a, const char *url, bool follow, int retries,
	      struct xfer *x, struct berr *e);

/* ---- http.c */

/* One request to url with x (method, body, sink), authz (an "Authorization: ..." line, or NULL)
 * sent to the registry's origin only. Transport errors, 429 and 5xx are tried `retries` (at most
 * RETRIES) more times after 0.5 s, 1 s and 2 s, the output put back where it started each time.
 * follow: follow redirects by hand (at most REGISTRY_MAX_REDIRECTS; never from https to http
 * unless the registry is plain HTTP). timeout: seconds for the whole exchange, 0 for none.
 * Returns 0 with the last response in *x (whatever its status), or -1 with *e set;
 * x->transient says whether the last failure was one of those worth retrying. */
int http_request(struct call *c, const char *url, const char *authz, bool follow, int retries,
		 long timeout, struct xfer *x, struct berr *e);
/* The error for an unwanted status from the registry (token_server false) or its token
 * server: BERR_NOTFOUND for the registry's 404, BERR_DENIED for 403, else BERR_WORKER with the
 * status and the registry's own words. Returns -1. */
int http_status_error(struct call *c, const struct xfer *x, bool token_server, struct berr *e);
/* Frees x->mem. */
void xfer_free(struct xfer *x);

/* Parses url into u (a fresh CURLU, or one holding a base URL that a relative url is resolved
 * against) and its origin. Refuses URLs with user information. Returns 0, or -1 with *e set. */
int url_origin(CURLU *u, const char *url, struct origin *o, struct berr *e);
bool same_origin(const struct origin *a, const struct origin *b);
/* Percent-encodes s (all but RFC 3986 unreserved) onto out. Returns 0, or -1 if it does not
 * fit. */
int url_encode(char *out, size_t len, const char *s);
/* For messages: scheme://host[:port]/path of a URL, never its query. */
void url_for_msg(const char *url, char *buf, size_t len);

/* The registry's own words from an error body, as "CODE: message", or "". */
void registry_error_text(const struct xfer *x, char *out, size_t len);
/* "Not Found", or "" for a status without a well-known phrase. */
const char *registry_reason_phrase(long status);
/* Sleeps for the backoff before retry number attempt (0-based, < RETRIES). */
void registry_backoff(int attempt);

#endif
