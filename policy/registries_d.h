/* registries.d: where signatures are stored for a registry (containers-registries.d(5)), read as
 * containers/image docker/registries_d.go reads it:
 *
 *   default-docker:                    # for every docker reference no scope below matches
 *     lookaside: https://sigs.example.com/store
 *   docker:
 *     registry.example.com/ns:         # a scope: host[:port][/namespace...][/repo][:tag|@digest]
 *       lookaside: file:///var/lib/sigs        # read (and write, without -staging)
 *       lookaside-staging: file:///srv/stage   # write only
 *       use-sigstore-attachments: true
 *
 * "sigstore" and "sigstore-staging" are the old names of lookaside and lookaside-staging; the
 * new names win when both are set.
 *
 * Files: every "*.yaml" in one directory: "$HOME/.config/containers/registries.d" when it
 * exists, else "/etc/containers/registries.d" (containers/image uses the first that exists,
 * it does not merge the two; regd_dir says which). Files are merged in name order;
 * "default-docker" in two files, or one docker scope in two files, is an error naming both.
 *
 * berth is stricter than containers/image, which ignores what it does not know: unknown keys,
 * duplicate keys, a value of the wrong type, a second YAML document, and a location that is
 * not an absolute file://, http:// or https:// URL are errors naming the file and line. This is
 * trusted configuration read by the broker; strictness only turns a typo into a message.
 *
 * Lookups (containers/image signatureTopLevel / useSigstoreAttachments): the reference's
 * scopes most specific first (trust_docker_scopes), then default-docker; a scope whose entry
 * has no location (or no use-sigstore-attachments) lets the search go on to the next.
 *
 * The YAML itself is read in berth-verify (workers/verify/regd_yaml.h: regd_parse_buf), never
 * in the broker: a file comes back as a struct regd_file, which the broker checks again
 * (regd_file_check) and merges here (regd_merge). Pure: no YAML, no I/O. */
#ifndef BERTH_POLICY_REGISTRIES_D_H
#define BERTH_POLICY_REGISTRIES_D_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/reference.h"

#define REGD_FILE_MAX (1024 * 1024) /* one registries.d file */
#define REGD_SCOPES_MAX 4096        /* docker scopes after merging */
#define REGD_URL_MAX 2048

/* One namespace entry; NULL / -1 where the key is absent. */
struct regd_ns {
	char *lookaside;          /* owned */
	char *lookaside_staging;  /* owned */
	char *sigstore;           /* owned: old name of lookaside */
	char *sigstore_staging;   /* owned: old name of lookaside-staging */
	int use_sigstore_attachments; /* -1 unset, 0, 1 */
};

struct regd; /* opaque */

/* One docker scope of a file. */
struct regd_scope {
	char *name;         /* owned */
	char *origin;       /* owned: the file that set it (set by regd_merge) */
	struct regd_ns ns;
};

/* One file's entries, before merging. */
struct regd_file {
	bool has_default;
	struct regd_ns def;          /* default-docker */
	struct regd_scope *scopes;   /* owned */
	size_t n_scopes;
};

void regd_ns_clear(struct regd_ns *ns);
void regd_scopes_free(struct regd_scope *s, size_t n);
void regd_file_clear(struct regd_file *f);
/* A location registries.d may name: an absolute file://, http:// or https:// URL of at most
 * REGD_URL_MAX - 1 bytes, no white space. */
bool regd_url_ok(const char *s);
/* The rules a parsed file must meet (regd_yaml.c enforces them while parsing; the broker checks
 * a worker's answer against them again): non-empty scopes of at most REF_STR_MAX - 1 bytes,
 * at most REGD_SCOPES_MAX of them, every location regd_url_ok, use_sigstore_attachments -1, 0
 * or 1. Returns 0, or -1 with *e set naming path. */
int regd_file_check(const struct regd_file *f, const char *path, struct berr *e);

/* An empty configuration. NULL only when out of memory (*e set). */
struct regd *regd_new(struct berr *e);
void regd_free(struct regd *r);

/* Merges one file's entries in (files in name order), taking them (*f is emptied, also on
 * error). path names the file in messages: "default-docker" or a scope set by two files is an
 * error naming both. On error r is unchanged. */
int regd_merge(struct regd *r, struct regd_file *f, const char *path, struct berr *e);

/* The signature store for ref (a docker reference with a domain): for reading
 * (lookaside, else sigstore) or, with write, for writing (lookaside-staging, sigstore-staging,
 * then the reading ones). NULL when nothing is configured for it. */
const char *regd_lookaside(const struct regd *r, const struct image_ref *ref, bool write);
/* use-sigstore-attachments for ref (false when nothing says). */
bool regd_use_sigstore_attachments(const struct regd *r, const struct image_ref *ref);
/* `image trust show`: the reading location for a policy.json scope as Podman shows it (the
 * scope, then the scope cut at each "/", then default-docker; "" is default-docker alone), or
 * NULL. */
const char *regd_scope_lookaside(const struct regd *r, const char *scope);
/* default-docker, or NULL. */
const struct regd_ns *regd_default(const struct regd *r);
/* The docker entry for exactly this scope, or NULL. */
const struct regd_ns *regd_scope(const struct regd *r, const char *scope);

/* "<base>/<repository path>@<algorithm>=<hex>/signature-<index>" (index from 1), the lookaside
 * layout of containers-signature(5) ("docker.io/library/busybox" has path "library/busybox").
 * Returns 0, or -1 with *e set (a bad digest, out too small). */
int regd_signature_url(const char *base, const struct image_ref *ref, const char *digest,
		       unsigned index, char *out, size_t len, struct berr *e);

/* Which directory applies: "<home>/.config/containers/registries.d" when exists() says so,
 * else "/etc/containers/registries.d". Returns 0, or -1 when out is too small. */
int regd_dir(const char *home, bool (*exists)(const char *path), char *out, size_t len);

#endif
