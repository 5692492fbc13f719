/* Pushes: see upload.h for the protocol and what it promises. Runs inside berth-fetch's
 * sandbox. Everything the registry answers is untrusted: a Location is resolved and checked
 * against the registry's origin before anything (credentials, content) is sent to it, a
 * Docker-Content-Digest is taken only when it is a valid digest, and answer bodies are bounded
 * and dropped (kept only, bounded, as an error's message). */
#include "workers/fetch/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "workers/fetch/registry_int.h"

#define ANSWER_MAX (64 * 1024)    /* a 2xx answer's body to an upload step: dropped */
#define OCTET_STREAM "Content-Type: application/octet-stream"

/* One registry_put(). */
struct put {
	const struct registry_put_req *p;   /* not owned */
	struct registry_req q;              /* the call's view of p: names, TLS, credentials */
	struct call c;                      /* owns its CA buffer: call_done() */
	struct auth a;                      /* owns the Authorization: auth_done() */
	char uploads_url[2048];             /* <scheme>://<registry>/v2/<repo>/blobs/uploads/ */
};

/* ---------------------------------------------------------------- the request */

static int check_put(const struct registry_put_req *p, const struct registry_req *q,
		     struct berr *e)
{
	if (registry_check_common(q, e) < 0)
		return -1;
	if (p->media_type != NULL && !registry_valid_media_type(p->media_type))
		return berr_set(e, BERR_INVALID, 0, "invalid media type");
	if (p->kind == FETCH_MANIFEST) {
		if (p->media_type == NULL)
			return berr_set(e, BERR_INVALID, 0, "a manifest needs its media type");
		if (p->mount_from != NULL)
			return berr_set(e, BERR_INVALID, 0, "only blobs can be mounted");
		if (p->size == 0)
			return berr_set(e, BERR_INVALID, 0, "an empty manifest");
	} else if (p->mount_from != NULL) {
		/* It ends up in a query string and in a token scope. */
		if (!registry_valid_repository(p->mount_from))
			return berr_set(e, BERR_INVALID, 0, "invalid repository name to mount from");
		if (strcmp(p->mount_from, p->repository) == 0)
			return berr_set(e, BERR_INVALID, 0,
					"a blob cannot be mounted from its own repository");
	}
	return 0;
}

/* The content: a regular file (a store file or a memfd), open read-only (the worker has no
 * business writing the broker's files, so a writable fd is the broker's bug), holding exactly
 * size bytes. Checked again while it is read: see on_read() in http.c. */
static int check_content(int fd, uint64_t size, struct berr *e)
{
	struct stat st;
	int fl;

	if (fd < 0)
		return berr_set(e, BERR_INVALID, 0, "no content to upload");
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return berr_sys(e, "the content to upload");
	if ((fl & O_ACCMODE) != O_RDONLY || (fl & O_PATH) != 0)
		return berr_set(e, BERR_INVALID, 0, "the content to upload must be passed as a "
				"read-only file");
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "the content to upload");
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "the content to upload is not a regular file");
	if (st.st_size < 0 || (uint64_t)st.st_size != size)
		return berr_set(e, BERR_INVALID, 0, "the content to upload has %lld bytes, the "
				"request says %llu", (long long)st.st_size,
				(unsigned long long)size);
	return 0;
}

/* ---------------------------------------------------------------- steps */

/* A fresh exchange: method (NULL with head for HEAD), the answer's body dropped. */
static void xfer_prepare(struct xfer *x, const char *method, bool head)
{
	memset(x, 0, sizeof(*x));
	x->method = method;
	x->head = head;
	x->sink = SINK_NONE;
	x->max = ANSWER_MAX;
	x->body_fd = -1;
	x->fd = -1;
}

/* The request sends body_len bytes of the content from off (0 bytes: an empty body with
 * Content-Length: 0). */
static void xfer_body(struct xfer *x, const struct put *u, uint64_t off, uint64_t len)
{
	x->has_body = true;
	x->body_fd = u->p->in_fd;
	x->body_off = off;
	x->body_len = len;
}

/* An answer that is not the one the step wanted. */
static int answer_error(const struct put *u, const struct xfer *x, struct berr *e)
{
	char reg[300], retried[64] = "";

	registry_error_text(x, reg, sizeof(reg));
	if (x->attempts > 1)
		snprintf(retried, sizeof(retried), " (after %d attempts)", x->attempts);
	if (x->status == 401 && x->same_origin) {
		/* Final (call_send answered the first 401). With a token the password was right
		 * (the token server checked it): the token just does not allow this. */
		const char *why = u->q.username == NULL ? "authentication required"
				  : u->a.bearer ? "requested access to the resource is denied"
						: "invalid username/password";
		return berr_set(e, BERR_DENIED, 0, "401 unauthorized: %s", why);
	}
	if (x->status == 403)
		return berr_set(e, BERR_DENIED, 0, "403 denied: requested access to the resource is "
				"denied%s%s", reg[0] ? ": " : "", reg);
	if (x->status == 404)
		return berr_set(e, BERR_NOTFOUND, 0, "404 not found%s%s", reg[0] ? ": " : "", reg);
	if (x->status == 400)
		return berr_set(e, BERR_INVALID, 0, "the registry refused it: HTTP 400 Bad Request%s%s",
				reg[0] ? ": " : "", reg);
	return berr_set(e, BERR_WORKER, 0, "the registry answered HTTP %ld %s%s%s%s", x->status,
			registry_reason_phrase(x->status), retried, reg[0] ? ": " : "", reg);
}

/* The digest the registry names for a blob: evidence, but one that contradicts the request is
 * an error rather than something to pass on. */
static int take_blob_digest(const struct put *u, const struct xfer *x,
			    struct registry_put_result *res, struct berr *e)
{
	if (x->digest[0] != '\0' && strcmp(x->digest, u->p->reference) != 0)
		return berr_set(e, BERR_WORKER, 0, "the registry reports the digest %s for it",
				x->digest);
	snprintf(res->digest, sizeof(res->digest), "%s", x->digest);
	res->http_status = x->status;
	return 0;
}

/* The upload session's URL from x's Location, resolved against base (the URL that answered).
 * It must be on the registry's own origin: the next requests carry the Authorization and the
 * content. Returns a heap string, or NULL with *e set. */
static char *session_url(const struct put *u, const struct xfer *x, const char *base,
			 struct berr *e)
{
	CURLU *h;
	struct origin o;
	char *full = NULL, *out = NULL;

	if (x->location[0] == '\0' || x->location_bad) {
		berr_set(e, BERR_WORKER, 0, "the registry answered %ld without a usable Location "
			 "header", x->status);
		return NULL;
	}
	h = curl_url();
	if (h == NULL) {
		berr_sys(e, "allocating");
		return NULL;
	}
	if (curl_url_set(h, CURLUPART_URL, base, 0) != CURLUE_OK) {
		berr_set(e, BERR_INTERNAL, 0, "cannot parse our own URL");
	} else if (url_origin(h, x->location, &o, e) < 0) {
		berr_wrap(e, "the registry's upload location");
	} else if (!same_origin(&o, &u->c.origin)) {
		berr_set(e, BERR_DENIED, 0, "the registry sent the upload to %s://%s:%ld, not to "
			 "itself: refused (the credentials and the content go to the registry "
			 "only)", o.scheme, o.host, o.port);
	} else if (curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
		   curl_url_get(h, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		berr_set(e, BERR_WORKER, 0, "the registry's upload location is unusable");
	} else {
		out = strdup(full);
		if (out == NULL)
			berr_sys(e, "allocating");
	}
	curl_free(full);
	curl_url_cleanup(h);
	return out;
}

/* url (from session_url(): no fragment) with "digest=<digest>" appended to its query, after
 * "?" or "&". Heap, or NULL with *e. */
static char *with_digest(const char *url, const char *digest, struct berr *e)
{
	char enc[300];
	size_t n;
	char *out;

	if (url_encode(enc, sizeof(enc), digest) < 0) {
		berr_set(e, BERR_INVALID, 0, "the digest is too long");
		return NULL;
	}
	n = strlen(url) + strlen(enc) + 16;
	out = malloc(n);
	if (out == NULL) {
		berr_sys(e, "allocating");
		return NULL;
	}
	snprintf(out, n, "%s%cdigest=%s", url, strchr(url, '?') != NULL ? '&' : '?', enc);
	return out;
}

/* HEAD: 1 when the registry has the blob (res filled), 0 when it does not (404), -1. */
static int blob_exists(struct put *u, struct registry_put_result *res, struct berr *e)
{
	struct xfer x;

	xfer_prepare(&x, NULL, true);
	if (call_send(&u->c, &u->a, u->c.url, true, RETRIES, &x, e) < 0)
		return -1;
	if (x.status == 404)
		return 0;
	if (x.status != 200)
		return answer_error(u, &x, e);
	if (take_blob_digest(u, &x, res, e) < 0)
		return -1;
	res->existed = true;
	return 1;
}

/* POST ?mount=&from=: 1 when mounted (res filled), 0 with *loc set when the registry opened an
 * ordinary upload session instead, -1. */
static int blob_mount(struct put *u, char **loc, struct registry_put_result *res,
		      struct berr *e)
{
	char dig[300], from[1600];
	cleanup_free char *url = NULL;
	struct xfer x;
	size_t n;

	if (url_encode(dig, sizeof(dig), u->p->reference) < 0 ||
	    url_encode(from, sizeof(from), u->p->mount_from) < 0)
		return berr_set(e, BERR_INVALID, 0, "names too long");
	n = strlen(u->uploads_url) + strlen(dig) + strlen(from) + 16;
	url = malloc(n);
	if (url == NULL)
		return berr_sys(e, "allocating");
	snprintf(url, n, "%s?mount=%s&from=%s", u->uploads_url, dig, from);
	xfer_prepare(&x, "POST", false);
	xfer_body(&x, u, 0, 0);
	/* Not repeated: a POST is not idempotent (a second one opens a second session). */
	if (call_send(&u->c, &u->a, url, false, 0, &x, e) < 0)
		return -1;
	if (x.status == 201) {
		if (take_blob_digest(u, &x, res, e) < 0)
			return -1;
		res->existed = true;
		return 1;
	}
	if (x.status != 202)
		return answer_error(u, &x, e);
	*loc = session_url(u, &x, url, e);
	return *loc == NULL ? -1 : 0;
}

/* POST: a new upload session; *loc its URL. *transient: worth starting over. */
static int session_start(struct put *u, char **loc, bool *transient, struct berr *e)
{
	struct xfer x;

	xfer_prepare(&x, "POST", false);
	xfer_body(&x, u, 0, 0);
	if (call_send(&u->c, &u->a, u->uploads_url, false, 0, &x, e) < 0) {
		*transient = x.transient;
		return -1;
	}
	*transient = x.transient;
	if (x.status != 202)
		return answer_error(u, &x, e);
	*loc = session_url(u, &x, u->uploads_url, e);
	return *loc == NULL ? -1 : 0;
}

/* PUT <loc>?digest=: with the whole content (monolithic) or no body (after PATCHes). */
static int session_finish(struct put *u, const char *loc, bool with_body,
			  struct registry_put_result *res, bool *transient, struct berr *e)
{
	cleanup_free char *url = with_digest(loc, u->p->reference, e);
	struct xfer x;

	*transient = false;
	if (url == NULL)
		return -1;
	xfer_prepare(&x, "PUT", false);
	xfer_body(&x, u, 0, with_body ? u->p->size : 0);
	if (with_body)
		x.extra_hdrs[0] = OCTET_STREAM;
	if (call_send(&u->c, &u->a, url, false, 0, &x, e) < 0) {
		*transient = x.transient;
		return -1;
	}
	*transient = x.transient;
	if (x.status != 201)
		return answer_error(u, &x, e);
	return take_blob_digest(u, &x, res, e);
}

/* Up to REGISTRY_MONOLITHIC_MAX: POST, one PUT. The pair is idempotent as a whole (a new
 * session each time; the registry stores a blob once), so a transient failure of either
 * starts it over, RETRIES times. loc: a session the mount opened, used by the first try. */
static int upload_monolithic(struct put *u, char *loc, struct registry_put_result *res,
			     struct berr *e)
{
	cleanup_free char *session = loc;

	for (int attempt = 0;; attempt++) {
		bool transient = false;
		int rc = 0;

		if (session == NULL) {
			rc = session_start(u, &session, &transient, e);
			if (rc < 0)
				berr_wrap(e, "starting an upload session");
		}
		if (rc == 0) {
			rc = session_finish(u, session, true, res, &transient, e);
			if (rc < 0)
				berr_wrap(e, "sending it");
		}
		if (rc == 0)
			return 0;
		if (!transient || attempt >= RETRIES) {
			if (attempt > 0) {
				size_t l = strlen(e->msg);
				snprintf(e->msg + l, sizeof(e->msg) - l,
					 " (after %d attempts)", attempt + 1);
			}
			return -1;
		}
		log_debug("berth-fetch: upload attempt %d failed (%s), starting over",
			  attempt + 1, e->msg);
		free(session);
		session = NULL;
		berr_clear(e);
		registry_backoff(attempt);
	}
}

/* A PATCH's answer: 202, and the registry holding everything up to last when it says (Range);
 * its Location is taken by the caller. */
static int patch_answer(const struct put *u, const struct xfer *x, uint64_t last,
			struct berr *e)
{
	if (x->status != 202)
		return answer_error(u, x, e);
	if (x->range_end == -2)
		return berr_set(e, BERR_WORKER, 0, "the registry answered with an unusable Range "
				"header");
	if (x->range_end >= 0 && (uint64_t)x->range_end != last)
		return berr_set(e, BERR_WORKER, 0, "the registry holds bytes 0-%lld, not 0-%llu",
				(long long)x->range_end, (unsigned long long)last);
	return 0;
}

/* Larger: POST, PATCH chunk after chunk (each answer names the next URL), PUT. None of these
 * is repeated: a PATCH that may or may not have arrived cannot simply be sent again. */
static int upload_chunked(struct put *u, char *loc, struct registry_put_result *res,
			  struct berr *e)
{
	cleanup_free char *session = loc;
	uint64_t size = u->p->size;
	bool transient;

	if (session == NULL && session_start(u, &session, &transient, e) < 0)
		return berr_wrap(e, "starting an upload session");
	for (uint64_t off = 0; off < size;) {
		uint64_t n = size - off < REGISTRY_CHUNK ? size - off : REGISTRY_CHUNK;
		uint64_t last = off + n - 1;
		char range[64];
		struct xfer x;
		char *next;

		snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)off,
			 (unsigned long long)last);
		xfer_prepare(&x, "PATCH", false);
		xfer_body(&x, u, off, n);
		x.extra_hdrs[0] = OCTET_STREAM;
		x.extra_hdrs[1] = range;
		if (call_send(&u->c, &u->a, session, false, 0, &x, e) < 0 ||
		    patch_answer(u, &x, last, e) < 0 ||
		    (next = session_url(u, &x, session, e)) == NULL)
			return berr_wrap(e, "sending bytes %llu-%llu", (unsigned long long)off,
					 (unsigned long long)last);
		free(session);
		session = next;
		off += n;
	}
	if (session_finish(u, session, false, res, &transient, e) < 0)
		return berr_wrap(e, "completing the upload");
	return 0;
}

static int put_blob(struct put *u, struct registry_put_result *res, struct berr *e)
{
	char *loc = NULL;
	int r;

	r = blob_exists(u, res, e);
	if (r < 0)
		return berr_wrap(e, "checking whether the registry has it");
	if (r > 0)
		return 0;
	if (u->p->mount_from != NULL) {
		r = blob_mount(u, &loc, res, e);
		if (r < 0)
			return berr_wrap(e, "mounting it from %s", u->p->mount_from);
		if (r > 0)
			return 0;
	}
	/* loc: the session the mount opened, or NULL. Both take it. */
	if (u->p->size <= REGISTRY_MONOLITHIC_MAX)
		return upload_monolithic(u, loc, res, e);
	return upload_chunked(u, loc, res, e);
}

/* PUT the manifest: idempotent (the same bytes under the same name), so retried. */
static int put_manifest(struct put *u, struct registry_put_result *res, struct berr *e)
{
	char ctype[MEDIA_TYPE_MAX + 32];
	struct xfer x;

	snprintf(ctype, sizeof(ctype), "Content-Type: %s", u->p->media_type);
	xfer_prepare(&x, "PUT", false);
	xfer_body(&x, u, 0, u->p->size);
	x.extra_hdrs[0] = ctype;
	if (call_send(&u->c, &u->a, u->c.url, false, RETRIES, &x, e) < 0)
		return -1;
	if (x.status != 201)
		return answer_error(u, &x, e);
	res->http_status = x.status;
	snprintf(res->digest, sizeof(res->digest), "%s", x.digest);
	return 0;
}

int registry_put(struct registry *r, const struct registry_put_req *p,
		 struct registry_put_result *res, struct berr *e)
{
	struct put u;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&u, 0, sizeof(u));
	u.p = p;
	u.q = (struct registry_req){
		.registry = p->registry,
		.repository = p->repository,
		.kind = p->kind,
		.reference = p->reference,
		.tls_verify = p->tls_verify,
		.plain_http = p->plain_http,
		.username = p->username,
		.password = p->password,
		.pem = p->pem,
		.out_fd = -1,
	};
	if (check_put(p, &u.q, e) < 0 || check_content(p->in_fd, p->size, e) < 0)
		return berr_wrap(e, "upload request refused");
	if (call_init(r, &u.q, &u.c, e) < 0) {
		call_done(&u.c);
		return -1;
	}
	u.c.status_in_msg = true;
	if (p->mount_from != NULL)
		snprintf(u.c.scope, sizeof(u.c.scope), "repository:%s:pull,push repository:%s:pull",
			 p->repository, p->mount_from);
	else
		snprintf(u.c.scope, sizeof(u.c.scope), "repository:%s:pull,push", p->repository);
	snprintf(u.uploads_url, sizeof(u.uploads_url), "%s://%s/v2/%s/blobs/uploads/",
		 p->plain_http ? "http" : "https", p->registry, p->repository);

	rc = auth_init(&u.c, &u.a, e);
	if (rc == 0)
		rc = p->kind == FETCH_BLOB ? put_blob(&u, res, e) : put_manifest(&u, res, e);
	if (rc < 0)
		berr_wrap(e, "uploading %s %s to %s/%s", u.c.what, p->reference, p->registry,
			  p->repository);
	auth_done(&u.a);
	call_done(&u.c);
	return rc;
}
