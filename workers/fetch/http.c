/* One HTTP exchange with a registry, a token server or a redirect target, for the registry
 * client (registry.c: downloads and authentication; upload.c: pushes): the libcurl handle's
 * options, the header and body callbacks, redirects followed by hand, retries with backoff,
 * and the error messages for what went wrong on the way. Runs inside berth-fetch's sandbox.
 *
 * Everything the other side sends is untrusted: each header is bounded and checked before it
 * is kept (struct xfer in registry_int.h), a 2xx body goes to the broker's fd (bounded by
 * max), a small wiped buffer or nowhere, and an error body is kept, bounded, for its message.
 * A request body is read from the broker's fd with pread, never mapped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xio.h"
#include "workers/fetch/registry_int.h"

#define CONNECT_TIMEOUT 30L
#define LOW_SPEED_LIMIT 1024L     /* bytes/s ... */
#define LOW_SPEED_TIME 30L        /* ... for this many seconds aborts the transfer */
#define IO_BUFFER (64 * 1024L)

/* A header list may hold an Authorization line: wipe every line before freeing. */
static void slist_free_wipe(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i != NULL; i = i->next)
		if (i->data != NULL)
			OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

/* ---------------------------------------------------------------- one transfer */

/* struct xfer, the state of one exchange, is in registry_int.h. */

static void xfer_reset_response(struct xfer *x)
{
	x->status = 0;
	x->content_length = -1;
	x->range_end = -1;
	x->content_type[0] = '\0';
	x->location[0] = '\0';
	x->location_bad = false;
	x->wwwauth[0] = '\0';
	x->wwwauth_len = 0;
	x->wwwauth_bad = false;
	x->errbody_len = 0;
	x->errbuf[0] = '\0';
	/* x->digest survives redirects: the registry's own hop is the one that carries it. */
}

static size_t trim_len(const char *v, size_t n)
{
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' ||
			 v[n - 1] == '\t'))
		n--;
	return n;
}

/* Keeps the media type of a Content-Type value (before any ';' parameter) if it is one. */
static void take_content_type(struct xfer *x, const char *v, size_t n)
{
	const char *semi = memchr(v, ';', n);
	char buf[MEDIA_TYPE_MAX + 1];

	if (semi != NULL)
		n = (size_t)(semi - v);
	n = trim_len(v, n);
	x->content_type[0] = '\0';
	if (n == 0 || n > MEDIA_TYPE_MAX)
		return;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (registry_valid_media_type(buf))
		memcpy(x->content_type, buf, n + 1);
}

static void take_digest(struct xfer *x, const char *v, size_t n)
{
	char buf[136];

	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (ipc_digest_valid(buf))
		memcpy(x->digest, buf, n + 1);
}

static void take_wwwauth(struct xfer *x, const char *v, size_t n)
{
	/* Several WWW-Authenticate lines are one comma-separated list (RFC 7230 3.2.2). */
	size_t sep = x->wwwauth_len > 0 ? 2 : 0;

	if (x->wwwauth_bad)
		return;
	if (x->wwwauth_len + sep + n > WWWAUTH_MAX_LEN) {
		x->wwwauth_bad = true;
		return;
	}
	if (sep > 0)
		memcpy(x->wwwauth + x->wwwauth_len, ", ", 2);
	memcpy(x->wwwauth + x->wwwauth_len + sep, v, n);
	x->wwwauth_len += sep + n;
	x->wwwauth[x->wwwauth_len] = '\0';
}

/* "Range: 0-N" (upload progress; some registries write "bytes=0-N"): N, or -2 when the value
 * is not that. */
static void take_range(struct xfer *x, const char *v, size_t n)
{
	int64_t end = 0;
	size_t i;

	if (n >= 6 && strncasecmp(v, "bytes=", 6) == 0) {
		v += 6;
		n -= 6;
	}
	if (n < 3 || n > 20 || v[0] != '0' || v[1] != '-') {
		x->range_end = -2;
		return;
	}
	for (i = 2; i < n; i++) {
		if (v[i] < '0' || v[i] > '9') {
			x->range_end = -2;
			return;
		}
		end = end * 10 + (v[i] - '0');
	}
	x->range_end = end;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nitems;
	const char *colon;
	size_t nlen, vlen;
	const char *v;

	/* A status line ("HTTP/1.1 200 OK", "HTTP/2 200") starts a new response (an interim
	 * 1xx may have come before): forget what the previous one said. */
	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		const char *sp = memchr(buf, ' ', n);
		xfer_reset_response(x);
		if (sp != NULL && (size_t)(sp - buf) + 4 <= n && sp[1] >= '1' && sp[1] <= '5' &&
		    sp[2] >= '0' && sp[2] <= '9' && sp[3] >= '0' && sp[3] <= '9')
			x->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		return n;
	}
	if (trim_len(buf, n) == 0) {
		/* End of the headers: refuse an announced body over the limit before reading it. */
		if (!x->head && x->status >= 200 && x->status < 300 && x->content_length >= 0 &&
		    (uint64_t)x->content_length > x->max - x->written) {
			x->too_large = true;
			return 0; /* aborts the transfer */
		}
		return n;
	}
	colon = memchr(buf, ':', n);
	if (colon == NULL)
		return n;
	nlen = (size_t)(colon - buf);
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	vlen = trim_len(v, vlen);
	/* NUL bytes in a header value: it is not a header we use. */
	if (memchr(v, '\0', vlen) != NULL)
		return n;
	if (nlen == 12 && strncasecmp(buf, "Content-Type", 12) == 0) {
		take_content_type(x, v, vlen);
	} else if (nlen == 21 && strncasecmp(buf, "Docker-Content-Digest", 21) == 0) {
		take_digest(x, v, vlen);
	} else if (nlen == 16 && strncasecmp(buf, "WWW-Authenticate", 16) == 0) {
		take_wwwauth(x, v, vlen);
	} else if (nlen == 14 && strncasecmp(buf, "Content-Length", 14) == 0) {
		/* Digits only, at most 18 of them (no overflow); a second, different value makes
		 * it unusable (libcurl itself refuses such a response). */
		int64_t val = 0;
		bool ok = vlen > 0 && vlen <= 18;
		for (size_t i = 0; ok && i < vlen; i++) {
			ok = v[i] >= '0' && v[i] <= '9';
			val = val * 10 + (v[i] - '0');
		}
		if (!ok || (x->content_length >= 0 && x->content_length != val))
			x->content_length = INT64_MAX; /* over any limit: refused */
		else
			x->content_length = val;
	} else if (nlen == 5 && strncasecmp(buf, "Range", 5) == 0) {
		take_range(x, v, vlen);
	} else if (nlen == 8 && strncasecmp(buf, "Location", 8) == 0) {
		if (vlen == 0 || vlen > LOCATION_MAX || x->location[0] != '\0') {
			x->location_bad = true; /* empty, too long, or given twice */
		} else {
			memcpy(x->location, v, vlen);
			x->location[vlen] = '\0';
		}
	}
	return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	struct berr e = { 0 };

	if (x->status < 200 || x->status >= 300) {
		/* An error or redirect body: keep the start for its message, drop the rest. */
		size_t room = sizeof(x->errbody) - x->errbody_len;
		size_t k = n < room ? n : room;
		memcpy(x->errbody + x->errbody_len, ptr, k);
		x->errbody_len += k;
		return n;
	}
	/* The limit holds before a byte past it is written anywhere. */
	if ((uint64_t)n > x->max - x->written) {
		x->too_large = true;
		return 0;
	}
	if (x->sink == SINK_NONE) {
		/* Counted against the limit above, and dropped. */
	} else if (x->sink == SINK_MEM) {
		char *nb = realloc(x->mem, x->mem_len + n + 1);
		if (nb == NULL) {
			x->write_errno = ENOMEM;
			return 0;
		}
		x->mem = nb;
		memcpy(x->mem + x->mem_len, ptr, n);
		x->mem_len += n;
		x->mem[x->mem_len] = '\0';
	} else if (xwrite_all(x->fd, ptr, n, &e) < 0) {
		x->write_errno = e.sys_errno != 0 ? e.sys_errno : EIO;
		return 0;
	}
	x->written += n;
	if (x->sink == SINK_FD && x->progress != NULL)
		x->progress(x->progress_ctx, x->written, x->content_length);
	return n;
}

/* The request body: body_len bytes of body_fd from body_off, read with pread (the fd's offset
 * is never used, so the broker's view of it does not matter), never mapped. A file that ends
 * early aborts the transfer rather than sending less than Content-Length promised. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t want = size * nitems;
	uint64_t left = x->body_len - x->body_pos;
	ssize_t n;

	if (left == 0)
		return 0;
	if (want > left)
		want = (size_t)left;
	do
		n = pread(x->body_fd, buf, want, (off_t)(x->body_off + x->body_pos));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		x->read_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	if (n == 0) {
		x->body_short = true;
		return CURL_READFUNC_ABORT;
	}
	x->body_pos += (uint64_t)n;
	return (size_t)n;
}

/* libcurl rewinds the body when it must send it again on a new connection. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
	struct xfer *x = ud;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->body_pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

void xfer_free(struct xfer *x)
{
	if (x->mem != NULL) {
		OPENSSL_cleanse(x->mem, x->mem_len);
		free(x->mem);
	}
	x->mem = NULL;
	x->mem_len = 0;
}

/* ---------------------------------------------------------------- URLs and origins */

/* Refuses URLs with user information: curl would send it as credentials. */
int url_origin(CURLU *u, const char *url, struct origin *o, struct berr *e)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL;
	int rc = -1;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);

	if (uc != CURLUE_OK)
		return berr_set(e, BERR_INVALID, 0, "invalid URL (%s)", curl_url_strerror(uc));
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		berr_set(e, BERR_INVALID, 0, "a URL with user information is refused");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    strlen(scheme) >= sizeof(o->scheme) || strlen(host) >= sizeof(o->host) ||
	    host[0] == '\0') {
		berr_set(e, BERR_INVALID, 0, "invalid URL");
		goto out;
	}
	snprintf(o->scheme, sizeof(o->scheme), "%s", scheme);
	for (size_t i = 0; host[i] != '\0'; i++)
		o->host[i] = (host[i] >= 'A' && host[i] <= 'Z') ? (char)(host[i] - 'A' + 'a') : host[i];
	o->host[strlen(host)] = '\0';
	o->port = strtol(port, NULL, 10);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(pass);
	return rc;
}

bool same_origin(const struct origin *a, const struct origin *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
	       a->port == b->port;
}

int url_encode(char *out, size_t len, const char *s)
{
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			if (j + 1 >= len)
				return -1;
			out[j++] = (char)*p;
		} else {
			if (j + 3 >= len)
				return -1;
			snprintf(out + j, 4, "%%%02X", *p);
			j += 3;
		}
	}
	out[j] = '\0';
	return 0;
}

/* A presigned URL's query is a credential; an upload session's may be one too. */
void url_for_msg(const char *url, char *buf, size_t len)
{
	size_t n = strcspn(url, "?#");
	snprintf(buf, len, "%.*s", (int)(n > 512 ? 512 : n), url);
}

/* ---------------------------------------------------------------- one request */

static bool curl_transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static const char *certs_d_hint =
	"put the registry's CA certificate in certs.d (/etc/containers/certs.d/%s/ca.crt, or "
	"~/.config/containers/certs.d/%s/ca.crt when rootless)%s";

/* OpenSSL calls this in a handshake where the server asks for a client certificate (with one
 * configured or not): the server's request is what tells a registry that requires mutual TLS
 * from one whose connection broke, since its refusal (an alert after the handshake, in TLS
 * 1.3) often arrives as a reset before libcurl reads it. */
static int on_cert_request(SSL *ssl, void *arg)
{
	struct xfer *x = arg;

	(void)ssl;
	x->cert_requested = true;
	return 1; /* go on, with the certificate configured, if any */
}

/* libcurl's hook on each new connection's SSL_CTX. Renegotiation is refused, so the callback
 * above runs only in the handshake of the transfer whose xfer it was given. */
static CURLcode on_ssl_ctx(CURL *curl, void *sslctx, void *arg)
{
	(void)curl;
	SSL_CTX_set_options(sslctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_cert_cb(sslctx, on_cert_request, arg);
	return CURLE_OK;
}

/* Whether a failure is the server refusing the connection over the client certificate: libcurl
 * read the TLS alert (none sent to a registry that requires one, TLS 1.3 "certificate
 * required", or one it does not accept), or the handshake asked for a certificate and the
 * connection broke right after. Retrying cannot help; the user's certs.d can. */
static bool client_cert_refused(const struct xfer *x, CURLcode rc)
{
	static const char *const alerts[] = {
		"alert certificate required", "alert bad certificate", "alert unknown ca",
		"alert certificate unknown", "alert certificate expired",
		"alert certificate revoked", "alert unsupported certificate",
	};

	for (size_t i = 0; i < ARRAY_SIZE(alerts); i++)
		if (strstr(x->errbuf, alerts[i]) != NULL)
			return true;
	/* Over HTTP/2 the broken connection is CURLE_HTTP2, with the same words. */
	return x->cert_requested &&
	       (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
		rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM);
}

static const char *method_of(const struct xfer *x)
{
	return x->method != NULL ? x->method : x->head ? "HEAD" : "GET";
}

/* Turns a libcurl failure into a message saying which host, what failed and what to do. */
static int transport_error(struct call *c, struct xfer *x, CURLcode rc, const char *url,
			   struct berr *e)
{
	const char *m = method_of(x);
	char shown[600], hint[700], detail[CURL_ERROR_SIZE + 64];
	const char *host = c->q->registry;
	long verify = 0;

	url_for_msg(url, shown, sizeof(shown));
	snprintf(detail, sizeof(detail), "%s",
		 x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
	/* A lookaside's TLS is always verified (broker/trustcheck.c): no --tls-verify hint. */
	snprintf(hint, sizeof(hint), certs_d_hint, host, host,
		 c->q->kind == FETCH_LOOKASIDE ? "" : ", or use --tls-verify=false if an "
		 "unauthenticated connection is acceptable");

	if (client_cert_refused(x, rc)) {
		if (c->cert.data == NULL)
			return berr_set(e, BERR_DENIED, 0,
					"%s \"%s\": the registry requires a client certificate "
					"(it asked for one, then: %s): put NAME.cert and NAME.key "
					"in certs.d/%s/ (/etc/containers/certs.d, or "
					"~/.config/containers/certs.d when rootless) or in the "
					"--cert-dir directory", m, shown, detail, host);
		return berr_set(e, BERR_DENIED, 0,
				"%s \"%s\": the registry did not accept berth's client certificate "
				"(%s): check the NAME.cert and NAME.key for %s in certs.d or "
				"--cert-dir", m, shown, detail, host);
	}
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		curl_easy_getinfo(x->curl, CURLINFO_SSL_VERIFYRESULT, &verify);
		/* libcurl checks the name itself and reports it only in words. */
		if (strstr(detail, "subject name") != NULL ||
		    strstr(detail, "does not match target host name") != NULL)
			verify = X509_V_ERR_HOSTNAME_MISMATCH;
		switch (verify) {
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
			return berr_set(e, BERR_DENIED, 0,
					"%s \"%s\": x509: certificate signed by unknown authority "
					"(%s); %s", m, shown, detail, hint);
		case X509_V_ERR_HOSTNAME_MISMATCH:
		case X509_V_ERR_IP_ADDRESS_MISMATCH:
			return berr_set(e, BERR_DENIED, 0,
					"%s \"%s\": x509: the certificate is not valid for this "
					"host name (%s); %s", m, shown, detail, hint);
		default:
			return berr_set(e, BERR_DENIED, 0, "%s \"%s\": x509: %s (%s); %s", m, shown,
					X509_verify_cert_error_string(verify), detail, hint);
		}
	case CURLE_SSL_CACERT_BADFILE:
		return berr_set(e, BERR_INVALID, 0, "%s \"%s\": the CA certificates for %s could not "
				"be loaded (%s): check its certs.d directory", m, shown, host, detail);
	case CURLE_SSL_CERTPROBLEM:
		return berr_set(e, BERR_INVALID, 0, "%s \"%s\": the client certificate or key for "
				"%s could not be used (%s): check NAME.cert and NAME.key in its "
				"certs.d directory", m, shown, host, detail);
	case CURLE_SSL_CONNECT_ERROR:
		/* With verification off, the broker tries http next: no advice needed. */
		if ((strstr(detail, "wrong version number") != NULL ||
		     strstr(detail, "packet length too long") != NULL) && c->q->tls_verify)
			return berr_set(e, BERR_SYSTEM, 0,
					"%s \"%s\": TLS handshake failed (%s): the server does not "
					"speak TLS there; if this registry is plain HTTP, use "
					"--tls-verify=false or mark it `insecure = true` in "
					"registries.conf", m, shown, detail);
		return berr_set(e, BERR_SYSTEM, 0, "%s \"%s\": TLS handshake failed: %s", m, shown,
				detail);
	case CURLE_COULDNT_RESOLVE_HOST:
		return berr_set(e, BERR_SYSTEM, 0, "%s \"%s\": cannot resolve the host name: %s",
				m, shown, detail);
	case CURLE_COULDNT_CONNECT:
		return berr_set(e, BERR_SYSTEM, 0, "%s \"%s\": cannot connect: %s", m, shown, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return berr_set(e, BERR_TIMEOUT, 0, "%s \"%s\": timed out: %s", m, shown, detail);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return berr_set(e, BERR_DENIED, 0, "%s \"%s\": protocol not allowed: %s", m, shown,
				detail);
	default:
		return berr_set(e, BERR_SYSTEM, 0, "%s \"%s\": %s", m, shown, detail);
	}
}

/* Sets the options of one hop on the (reset) handle. */
static int setup_handle(struct call *c, struct xfer *x, const char *url,
			struct curl_slist *headers, long timeout, struct berr *e)
{
	CURL *h = c->curl;
	CURLcode rc = CURLE_OK;

	curl_easy_reset(h);
#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	/* Plain HTTP only for a registry the broker marked so; a redirect from https to http is
	 * refused before it gets here. */
	SET(CURLOPT_PROTOCOLS_STR, c->q->plain_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);      /* redirects are ours: see request_once() */
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* The worker's environment is clean, so no proxy variable could apply; say so. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_USERAGENT, REGISTRY_USER_AGENT);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_NOBODY, x->head ? 1L : 0L);
	if (x->has_body) {
		/* An upload: the body streams from the broker's fd (on_read), with Content-Length
		 * (no chunked encoding). CURLOPT_UPLOAD makes a PUT; POST and PATCH only rename
		 * it. */
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body_len);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, x);
		SET(CURLOPT_SEEKFUNCTION, on_seek);
		SET(CURLOPT_SEEKDATA, x);
	}
	if (x->method != NULL && strcmp(x->method, "PUT") != 0)
		SET(CURLOPT_CUSTOMREQUEST, x->method);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	/* The bytes exactly as sent: the broker hashes them. No Accept-Encoding is sent, and a
	 * Content-Encoding the server applies anyway is not undone here (no decompression bomb;
	 * the digest check fails instead). */
	SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SET(CURLOPT_BUFFERSIZE, IO_BUFFER);
	SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT);
	SET(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
	if (timeout > 0)
		SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_SSL_VERIFYPEER, c->q->tls_verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, c->q->tls_verify ? 2L : 0L);
	/* Trust anchors only from memory: no file or directory lookup at transfer time. */
	SET(CURLOPT_CAINFO, (char *)NULL);
	SET(CURLOPT_CAPATH, (char *)NULL);
	if (c->ca.data != NULL)
		SET(CURLOPT_CAINFO_BLOB, &c->ca);
	SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);  /* https only: libcurl calls it for TLS */
	SET(CURLOPT_SSL_CTX_DATA, x);
	/* The certs.d client certificate, for registries that ask for one (mutual TLS). */
	if (c->cert.data != NULL) {
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLCERT_BLOB, &c->cert);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
		SET(CURLOPT_SSLKEY_BLOB, &c->key);
	}
#undef SET
	if (rc != CURLE_OK)
		return berr_set(e, BERR_INTERNAL, 0, "libcurl refused an option: %s",
				curl_easy_strerror(rc));
	return 0;
}

static bool is_redirect(long s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* One attempt: the request and its redirects. Returns 0 with x->status set (any status), or
 * -1 with *e set and *transient saying whether trying again could help. */
static int request_once(struct call *c, const char *start_url, const char *authz, bool follow,
			long timeout, struct xfer *x, bool *transient, struct berr *e)
{
	cleanup_free char *url = strdup(start_url);
	const char *m = method_of(x);
	bool to_origin = true;
	char shown[600];

	*transient = false;
	if (url == NULL)
		return berr_sys(e, "allocating");
	x->digest[0] = '\0';
	for (int hop = 0;; hop++) {
		struct curl_slist *hdrs = NULL;
		CURLcode rc;
		int r = 0;

		xfer_reset_response(x);
		x->body_pos = 0;
		x->cert_requested = false;
		x->read_errno = 0;
		x->body_short = false;
		for (size_t i = 0; i < ARRAY_SIZE(x->extra_hdrs) && x->extra_hdrs[i] != NULL; i++) {
			struct curl_slist *n = curl_slist_append(hdrs, x->extra_hdrs[i]);
			if (n == NULL) {
				slist_free_wipe(hdrs);
				return berr_sys(e, "allocating");
			}
			hdrs = n;
		}
		if (c->q->kind == FETCH_MANIFEST && c->q->n_accept > 0) {
			char accept[MAX_ACCEPT * (MEDIA_TYPE_MAX + 2) + 16] = "Accept: ";
			for (size_t i = 0; i < c->q->n_accept && i < MAX_ACCEPT; i++) {
				if (i > 0)
					strcat(accept, ", ");
				strcat(accept, c->q->accept[i]);
			}
			struct curl_slist *n = curl_slist_append(hdrs, accept);
			if (n == NULL) {
				slist_free_wipe(hdrs);
				return berr_sys(e, "allocating");
			}
			hdrs = n;
		}
		/* The credential goes to the registry's own origin only: never to the host of a
		 * redirect (a CDN, an object store, or whoever the registry names). */
		if (authz != NULL && to_origin) {
			struct curl_slist *n = curl_slist_append(hdrs, authz);
			if (n == NULL) {
				slist_free_wipe(hdrs);
				return berr_sys(e, "allocating");
			}
			hdrs = n;
		}
		if (setup_handle(c, x, url, hdrs, timeout, e) < 0) {
			slist_free_wipe(hdrs);
			return -1;
		}
		url_for_msg(url, shown, sizeof(shown));
		log_debug("berth-fetch: %s %s%s", m, shown,
			  authz != NULL && to_origin ? " (authorized)" : "");
		rc = curl_easy_perform(c->curl);
		/* The handle must not keep pointers to the list it is about to lose. */
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
		slist_free_wipe(hdrs);
		if (rc != CURLE_OK) {
			/* The callers say what the limit was for; these are the plain facts. */
			if (x->too_large)
				return berr_set(e, BERR_INVALID, 0, "the answer is larger than %llu "
						"bytes", (unsigned long long)x->max);
			if (x->write_errno != 0) {
				errno = x->write_errno;
				return berr_sys(e, "writing the answer");
			}
			/* The content to upload is the broker's file: if it cannot be read, or
			 * is shorter than it said, trying again would not help. */
			if (x->read_errno != 0) {
				errno = x->read_errno;
				return berr_sys(e, "reading the content to upload");
			}
			if (x->body_short)
				return berr_set(e, BERR_INVALID, 0, "the content to upload ended "
						"after %llu of %llu bytes",
						(unsigned long long)(x->body_off + x->body_pos),
						(unsigned long long)(x->body_off + x->body_len));
			*transient = curl_transient(rc) && !client_cert_refused(x, rc);
			return transport_error(c, x, rc, url, e);
		}
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &x->status);
		x->same_origin = to_origin;
		if (!follow || !is_redirect(x->status))
			return 0;

		/* A redirect: resolve Location against the URL that answered. */
		url_for_msg(url, shown, sizeof(shown));
		if (hop >= REGISTRY_MAX_REDIRECTS)
			return berr_set(e, BERR_WORKER, 0, "%s \"%s\": more than %d redirects",
					m, shown, REGISTRY_MAX_REDIRECTS);
		if (x->location[0] == '\0' || x->location_bad)
			return berr_set(e, BERR_WORKER, 0,
					"%s \"%s\": redirect (%ld) without a usable Location header",
					m, shown, x->status);
		CURLU *u = curl_url();
		struct origin o;
		char *next = NULL;
		if (u == NULL)
			return berr_sys(e, "allocating");
		if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
			r = berr_set(e, BERR_INTERNAL, 0, "%s \"%s\": cannot parse our own URL", m, shown);
		if (r == 0 && url_origin(u, x->location, &o, e) < 0)
			r = berr_wrap(e, "%s \"%s\": redirected to an unusable location", m, shown);
		if (r == 0 && strcmp(o.scheme, "https") != 0 &&
		    !(strcmp(o.scheme, "http") == 0 && c->q->plain_http))
			r = berr_set(e, BERR_DENIED, 0,
				     "%s \"%s\": refusing to follow a redirect to %s://%s "
				     "(only https%s)", m, shown, o.scheme, o.host,
				     c->q->plain_http ? " or http" : "");
		if (r == 0 && curl_url_get(u, CURLUPART_URL, &next, 0) != CURLUE_OK)
			r = berr_set(e, BERR_INVALID, 0, "%s \"%s\": unusable redirect", m, shown);
		curl_url_cleanup(u);
		if (r < 0)
			return -1;
		free(url);
		url = strdup(next);
		curl_free(next);
		if (url == NULL)
			return berr_sys(e, "allocating");
		to_origin = same_origin(&o, &c->origin);
	}
}

/* Puts the output back where it started, for another attempt. */
static int rewind_output(struct xfer *x, off_t start, struct berr *e)
{
	if (x->written == 0)
		return 0;
	if (x->sink == SINK_MEM) {
		OPENSSL_cleanse(x->mem, x->mem_len);
		x->mem_len = 0;
	} else if (x->sink == SINK_NONE) {
		/* nothing was kept */
	} else if (start < 0 || ftruncate(x->fd, start) < 0 ||
		   lseek(x->fd, start, SEEK_SET) < 0) {
		return berr_sys(e, "cannot start the download over (the output is not seekable)");
	}
	x->written = 0;
	return 0;
}

void registry_backoff(int attempt)
{
	static const long backoff_ms[RETRIES] = { 500, 1000, 2000 };
	long ms = backoff_ms[attempt < 0 ? 0 : attempt >= RETRIES ? RETRIES - 1 : attempt];
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The request with retries: transport errors, 429 and 5xx are tried `retries` (at most
 * RETRIES) more times after 0.5 s, 1 s and 2 s. Returns 0 with the last response in *x
 * (whatever its status), or -1; x->transient says whether the last failure was one of those. */
int http_request(struct call *c, const char *url, const char *authz, bool follow,
		   int retries, long timeout, struct xfer *x, struct berr *e)
{
	off_t start = x->sink == SINK_FD ? lseek(x->fd, 0, SEEK_CUR) : 0;

	x->curl = c->curl;
	if (retries > RETRIES)
		retries = RETRIES;
	for (int attempt = 0;; attempt++) {
		bool transient = false;
		int rc;

		x->attempts = attempt + 1;
		rc = request_once(c, url, authz, follow, timeout, x, &transient, e);
		if (rc == 0 && (x->status == 429 || x->status >= 500))
			transient = true;
		x->transient = transient;
		if (!transient || attempt >= retries) {
			if (rc < 0 && attempt > 0) {
				size_t l = strlen(e->msg);
				snprintf(e->msg + l, sizeof(e->msg) - l, " (after %d attempts)",
					 attempt + 1);
			}
			return rc;
		}
		log_debug("berth-fetch: attempt %d failed (%s), trying again",
			  attempt + 1, rc < 0 ? e->msg : "HTTP error");
		if (rewind_output(x, start, e) < 0)
			return -1;
		berr_clear(e);
		registry_backoff(attempt);
	}
}

/* ---------------------------------------------------------------- errors from the registry */

/* Copies untrusted text for a message: printable ASCII only, bounded. */
static void clean_text(char *dst, size_t len, const char *src)
{
	size_t j = 0;
	for (size_t i = 0; src[i] != '\0' && j + 1 < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[j] = '\0';
}

/* The registry's own words from an error body ({"errors":[{"code":..,"message":..}]}), as
 * "CODE: message", or "" when the body is not that. */
void registry_error_text(const struct xfer *x, char *out, size_t len)
{
	json_error_t jerr;
	json_t *root, *errs, *first, *code, *msg;
	char c[64] = "", m[200] = "";

	out[0] = '\0';
	if (x->errbody_len == 0 || x->errbody_len >= sizeof(x->errbody))
		return; /* empty, or cut: not worth parsing */
	root = json_loadb(x->errbody, x->errbody_len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return;
	errs = json_object_get(root, "errors");
	first = json_is_array(errs) ? json_array_get(errs, 0) : NULL;
	code = json_is_object(first) ? json_object_get(first, "code") : NULL;
	msg = json_is_object(first) ? json_object_get(first, "message") : NULL;
	if (json_is_string(code))
		clean_text(c, sizeof(c), json_string_value(code));
	if (json_is_string(msg))
		clean_text(m, sizeof(m), json_string_value(msg));
	if (c[0] != '\0' && m[0] != '\0')
		snprintf(out, len, "%s: %s", c, m);
	else if (c[0] != '\0' || m[0] != '\0')
		snprintf(out, len, "%s", c[0] != '\0' ? c : m);
	json_decref(root);
}

const char *registry_reason_phrase(long s)
{
	switch (s) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* An unwanted status, from the registry (token_server false) or its token server. */
int http_status_error(struct call *c, const struct xfer *x, bool token_server,
			struct berr *e)
{
	char reg[300], retried[64] = "";
	const char *who = token_server ? "the token server"
			  : x->same_origin ? "the registry" : "the redirect target";

	registry_error_text(x, reg, sizeof(reg));
	if (x->attempts > 1)
		snprintf(retried, sizeof(retried), " (after %d attempts)", x->attempts);
	if (x->status == 404 && x->same_origin && !token_server)
		return berr_set(e, BERR_NOTFOUND, 0, "%s unknown", c->what);
	if (x->status == 403)
		return berr_set(e, BERR_DENIED, 0, "denied: requested access to the resource is "
				"denied%s%s%s", reg[0] ? " (registry: " : "", reg, reg[0] ? ")" : "");
	return berr_set(e, BERR_WORKER, 0, "%s answered HTTP %ld %s%s%s%s", who, x->status,
			registry_reason_phrase(x->status), retried, reg[0] ? ": " : "", reg);
}
