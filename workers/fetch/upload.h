/* Pushes: one blob or one manifest uploaded to a registry over the OCI distribution API, with
 * the client of registry.h (its libcurl handle, TLS set-up, token cache and retry rules).
 *
 * Blobs (distribution spec, "Pushing blobs"):
 *   HEAD /v2/<repo>/blobs/<digest>                200: already there, nothing is sent
 *   POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<mount_from>   (when mount_from is set)
 *                                                201: mounted, nothing is sent
 *                                                202: an ordinary upload session, used below
 *   POST /v2/<repo>/blobs/uploads/               202 + Location: the upload session
 *   size <= REGISTRY_MONOLITHIC_MAX:
 *     PUT <location>?digest=<digest>             the whole blob; 201
 *   larger:
 *     PATCH <location>                           REGISTRY_CHUNK bytes at a time, with
 *                                                Content-Range "start-end"; 202 + the next
 *                                                Location (and Range "0-end", checked when
 *                                                present)
 *     PUT <location>?digest=<digest>             no body; 201
 * Manifests:
 *   PUT /v2/<repo>/manifests/<reference>         Content-Type media_type, the bytes; 201
 *
 * Every Location is resolved against the registry's URL and must stay on the registry's own
 * origin (scheme, host, port): the upload carries the user's Authorization, which goes nowhere
 * else, and the content goes where the user pushed it. A Location elsewhere is refused. Uploads
 * never follow redirects (a 3xx is an error); a blob's HEAD does, without the Authorization
 * beyond the registry's origin, as downloads do.
 *
 * Authentication is the download's (registry.h), with scope "repository:<repo>:pull,push", plus
 * "repository:<mount_from>:pull" in the same token request for a mount, as Docker asks. The
 * Authorization found at the first step is kept for the following ones; a token that expires
 * half-way is renewed once.
 *
 * Retries (429, 5xx, transport errors; 0.5 s, 1 s, 2 s) only where repeating cannot do harm: the
 * HEAD, a manifest PUT, and a monolithic upload, which is started over from its POST (a new
 * session). A mount and the steps of a chunked upload are not repeated.
 *
 * The content is read with pread from its fd (never mapped, the fd's offset never used). It
 * must be a regular file opened read-only holding exactly `size` bytes; a file that ends early
 * while it is sent aborts the upload. The registry checks the digest. */
#ifndef BERTH_WORKERS_FETCH_UPLOAD_H
#define BERTH_WORKERS_FETCH_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"
#include "workers/fetch/registry.h"

#define REGISTRY_MONOLITHIC_MAX (32ull * 1024 * 1024)  /* one PUT up to this size */
#define REGISTRY_CHUNK (16ull * 1024 * 1024)           /* PATCH size above it */

struct registry_put_req {
	const char *registry;       /* "host[:port]" */
	const char *repository;
	enum fetch_kind kind;
	const char *reference;      /* blob: its digest; manifest: a tag or a digest */
	const char *media_type;     /* manifests: the Content-Type (required); blobs: unused, NULL
				     * or a valid media type */
	uint64_t size;              /* bytes of content; a manifest has at least one */
	const char *mount_from;     /* blobs: another repository of the same registry, or NULL */
	bool tls_verify;
	bool plain_http;            /* http:// */
	const char *username;       /* NULL: anonymous */
	const char *password;       /* NULL exactly when username is NULL */
	struct registry_pem pem;    /* as in struct registry_req */
	int in_fd;                  /* not owned: the content, read with pread from offset 0 */
};

struct registry_put_result {
	long http_status;           /* of the last answer: 200 (HEAD), 201 */
	bool existed;               /* the blob was there (HEAD) or was mounted: nothing sent */
	char digest[136];           /* Docker-Content-Digest if it is a valid digest, or "" */
};

/* Uploads the content. Returns 0 with *res filled, or -1 with *e set; the message names the
 * object, the registry and repository, and the step that failed ("uploading blob sha256:..
 * to host:5000/team/app: starting an upload session: 401 unauthorized: authentication
 * required"). Codes: BERR_DENIED for 401 and 403 (and a Location off the registry's origin),
 * BERR_NOTFOUND for 404, BERR_INVALID for a request that cannot be made (bad names, content
 * fd not a read-only regular file of exactly size bytes) and for 400 (the registry refused the
 * content: a digest that does not match, a manifest naming unknown blobs), BERR_UNSUPPORTED
 * for an auth scheme berth does not speak, BERR_SYSTEM / BERR_TIMEOUT for the network,
 * BERR_WORKER for other answers. */
int registry_put(struct registry *r, const struct registry_put_req *req,
		 struct registry_put_result *res, struct berr *e);

#endif
