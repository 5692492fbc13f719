/* The image trust policy: policy.json in the containers-policy.json(5) format, as Podman reads
 * it (containers/image signature/policy_config.go and policy_eval.go), and the two questions
 * berth asks of it: "which requirements apply to this reference" and "does this signature's
 * docker-reference satisfy this requirement's signedIdentity for the reference being pulled".
 *
 * policy.json is trusted configuration (the user's or root's), read by the broker; the parser
 * is still strict, because a policy that is silently misread is a policy that accepts what its
 * owner meant to refuse:
 *  - the whole file is checked before anything is used: unknown keys, duplicate keys, wrong
 *    types, an empty requirement list, an unknown requirement type, an unknown transport or a
 *    scope that is not a valid scope of its transport are errors, each naming the file and the
 *    key ("<file>: transports.docker[\"quay.io\"][0]: unknown requirement type \"x\"");
 *  - "default" is required (as in containers/image);
 *  - transports: containers/image's transport names are accepted (a Podman policy.json works
 *    unchanged); berth consults "docker", "docker-archive", "oci-archive", "oci" and
 *    "docker-daemon"; the others ("atomic", "containers-storage", "dir", "ostree", "sif",
 *    "tarball") are accepted and never consulted. Any other name is an error, so a typo such
 *    as "dokcer" cannot quietly leave the default in force;
 *  - docker scopes: "" (the transport's default), "*.example.com" (any subdomain, not the
 *    domain itself), "host[:port]", "host[:port]/ns...", "host[:port]/ns/repo", optionally
 *    with ":tag" or "@digest". Other transports' scopes are kept as written (not validated:
 *    berth does not evaluate them yet);
 *  - requirements: insecureAcceptAnything, reject (only "type"); signedBy (keyType "GPGKeys",
 *    exactly one of keyPath, keyPaths, keyData, optional signedIdentity); sigstoreSigned
 *    (exactly one of keyPath, keyPaths, keyData, optional signedIdentity; "fulcio",
 *    "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData" and "pki" are known and
 *    refused as unsupported, BERR_UNSUPPORTED, rather than ignored). Key paths must be
 *    absolute (the broker has no meaningful working directory); keyData is base64, decoded
 *    here, never empty;
 *  - signedIdentity: matchRepoDigestOrExact (the default), matchExact, matchRepository
 *    (only "type"), exactReference ("dockerReference": a reference with a tag or a digest),
 *    exactRepository ("dockerRepository": a repository name alone), remapIdentity ("prefix"
 *    and "signedPrefix": "host[:port]" or "host[:port]/path", no tag or digest).
 *
 * Scope matching (docker): the reference's identity ("name:tag" or "name@digest") first, then
 * the repository name, then each parent namespace ("host/a/b", "host/a"), then "host[:port]",
 * then "*.<parent domain>" for each parent domain of the host (port stripped), then the
 * transport's "" scope, then "default". The first present scope decides: most specific wins,
 * and there is no merging between scopes.
 *
 * Everything here is pure: no file access, no system call. Reading the file (and which file)
 * is the broker's business (trust_policy_path says which). */
#ifndef BERTH_POLICY_TRUST_H
#define BERTH_POLICY_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/reference.h"

/* policy.json larger than this is refused (Fedora's is about 1 KiB; keyData inline keys are
 * the big part of any real one). */
#define TRUST_POLICY_MAX (4 * 1024 * 1024)

enum trust_req_type {
	TRUST_ACCEPT = 1,       /* insecureAcceptAnything */
	TRUST_REJECT,           /* reject */
	TRUST_SIGNED_BY,        /* signedBy, keyType GPGKeys */
	TRUST_SIGSTORE_SIGNED,  /* sigstoreSigned, public keys */
};

enum trust_identity_type {
	TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT = 0, /* the default */
	TRUST_ID_MATCH_EXACT,
	TRUST_ID_MATCH_REPOSITORY,
	TRUST_ID_EXACT_REFERENCE,
	TRUST_ID_EXACT_REPOSITORY,
	TRUST_ID_REMAP_IDENTITY,
};

/* How the keys of a signedBy or sigstoreSigned requirement were given. */
enum trust_key_source {
	TRUST_KEYS_NONE = 0,    /* accept / reject */
	TRUST_KEYS_PATH,        /* keyPath: key_paths holds one */
	TRUST_KEYS_PATHS,       /* keyPaths: key_paths holds one or more */
	TRUST_KEYS_DATA,        /* keyData: key_data */
};

struct trust_identity {
	enum trust_identity_type type;
	char *reference;        /* owned: exactReference's dockerReference, normalised
				   ("docker.io/library/x:tag"), or exactRepository's
				   dockerRepository, normalised; NULL otherwise */
	char *prefix;           /* owned: remapIdentity's prefix, as written; else NULL */
	char *signed_prefix;    /* owned: remapIdentity's signedPrefix, as written; else NULL */
};

struct trust_req {
	enum trust_req_type type;
	enum trust_key_source key_source;
	char **key_paths;       /* owned: absolute paths, n_key_paths >= 1 for PATH(S) */
	size_t n_key_paths;
	unsigned char *key_data; /* owned: decoded keyData (binary or armored), for DATA */
	size_t key_data_len;
	struct trust_identity identity; /* signedBy / sigstoreSigned only */
};

/* One scope of one transport, as written in the file. */
struct trust_scope {
	const char *transport;  /* "docker", ... */
	const char *scope;      /* "" is the transport's default */
	const struct trust_req *reqs;
	size_t n_reqs;          /* >= 1 */
};

struct trust_policy; /* opaque */

/* Parses and checks a whole policy.json (buf need not be NUL-terminated). path names the file
 * in messages. Returns the policy, or NULL with *e set (BERR_INVALID for a malformed file,
 * BERR_UNSUPPORTED for a requirement berth knows but cannot enforce, BERR_SYSTEM for memory). */
struct trust_policy *trust_policy_parse(const char *buf, size_t len, const char *path,
					struct berr *e);
void trust_policy_free(struct trust_policy *p);
/* The file it was parsed from, as given to trust_policy_parse. */
const char *trust_policy_origin(const struct trust_policy *p);

/* The "default" requirements (n >= 1). */
const struct trust_req *trust_policy_default(const struct trust_policy *p, size_t *n);
/* Every transport scope, sorted by transport name, then by scope (bytewise), for `image trust
 * show`. i < trust_policy_scope_count(). */
size_t trust_policy_scope_count(const struct trust_policy *p);
struct trust_scope trust_policy_scope_at(const struct trust_policy *p, size_t i);

/* The requirements that apply to ref for transport ("docker" for a registry), by the matching
 * order above. ref must carry a domain and a path (it is normalised for docker.io here); a tag
 * and a digest together use the digest (a digested pull ignores the tag). For the consulted
 * transports other than "docker" (archives and the daemon), only their "" scope and the
 * default are looked at for now: their named scopes are kept for `image trust show`. *reqs
 * points into p.
 * scope (when not NULL) receives the scope that matched, "" for the transport's default, or
 * NULL when the policy's "default" applied. Returns 0, or -1 with *e set (a reference that
 * cannot be normalised, a transport berth does not know). */
int trust_policy_requirements(const struct trust_policy *p, const char *transport,
			      const struct image_ref *ref, const struct trust_req **reqs,
			      size_t *n, const char **scope, struct berr *e);

/* The candidate scopes for a docker reference, most specific first (identity, repository,
 * namespaces, host[:port], "*.domain" wildcards), without "" and "default", as containers/image
 * PolicyConfigurationIdentity + PolicyConfigurationNamespaces. Each candidate is written into
 * out[i] (REF_STR_MAX bytes each); returns the count (at most max), or -1 with *e set. Shared
 * with registries.d lookups. */
#define TRUST_SCOPES_MAX (2 + REF_NAME_MAX)
int trust_docker_scopes(const struct image_ref *ref, char (*out)[REF_STR_MAX], size_t max,
			struct berr *e);

/* Does a signature whose (untrusted) docker-reference is sig_ref satisfy id, for the image
 * being pulled as pulled (domain set; normalised here)? Returns 1 when it does, 0 when it does
 * not (why in *e, BERR_DENIED, worded for the user: "signature identity names X, not Y"), or
 * -1 with *e set when sig_ref is not a valid reference (BERR_INVALID). */
int trust_identity_match(const struct trust_identity *id, const struct image_ref *pulled,
			 const char *sig_ref, struct berr *e);

/* Is scope a valid docker scope, as above ("" included)? 0, or -1 with *e set (BERR_INVALID,
 * "invalid scope ..."). */
int trust_docker_scope_check(const char *scope, struct berr *e);

/* Names, as policy.json spells them. */
const char *trust_req_type_name(enum trust_req_type t);

/* Provenance: what accepted an image, recorded with it (images.verified_by) and shown by
 * `images --format {{.Verified}}` and `image inspect`: one "TYPE:WHO" per requirement that a
 * signature met (e.g. "signedBy:<primary key fingerprint>"), joined by ", "; "" when nothing
 * was verified (insecureAcceptAnything, no policy). At most TRUST_PROVENANCE_MAX - 1 bytes,
 * the IPC bound of the field. */
#define TRUST_PROVENANCE_MAX 1024
/* Appends type:who to buf (len bytes, NUL-terminated). One that does not fit is left out and
 * ", ..." (or "...") marks the cut, so a reader never takes a cut-off key for a whole one.
 * Returns 0, or -1 when it was left out. Pure. */
int trust_provenance_add(char *buf, size_t len, const char *type, const char *who);
const char *trust_identity_type_name(enum trust_identity_type t);

/* Which policy.json applies: override (--signature-policy) when set, else
 * "<home>/.config/containers/policy.json" when exists(path) says so, else
 * "/etc/containers/policy.json". Writes it into out. Returns 0, or -1 when out is too small.
 * home may be NULL (no user file). exists is the caller's check (the broker stats the file). */
int trust_policy_path(const char *override, const char *home, bool (*exists)(const char *path),
		      char *out, size_t len);
/* The same order for any containers configuration name ("policy.json", "registries.d"):
 * "<home>/.config/containers/<name>" when it exists, else "/etc/containers/<name>". */
int trust_config_path(const char *home, const char *name, bool (*exists)(const char *path),
		      char *out, size_t len);

#endif
