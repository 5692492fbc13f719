/* Image references ("docker.io/library/alpine:3.19@sha256:..."), parsed and normalised as
 * Podman does (containers/image docker/reference, itself the distribution/reference grammar):
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [ domain "/" ] path                     total length <= 255
 *   domain         := host [ ":" port ]
 *   host           := domain-name | "[" ipv6-hex-and-colons "]"
 *   domain-name    := component ( "." component )*            component: [A-Za-z0-9] or
 *                                                             [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
 *   port           := [0-9]+
 *   path           := path-component ( "/" path-component )*
 *   path-component := [a-z0-9]+ ( separator [a-z0-9]+ )*      separator: "." | "_" | "__" | "-"+
 *   tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest         := "sha256:" 64 lowercase hex | "sha512:" 128 lowercase hex
 *
 * The first "/"-separated component is the domain only when there is a "/" after it and it
 * contains "." or ":" or is exactly "localhost" (containers/image SplitDockerDomain); otherwise
 * the whole name is the path of a short name ("library/alpine", "foo_bar.com/x"). Uppercase is
 * allowed in the domain and the tag, never in the path.
 *
 * Digests: the grammar accepts any algorithm, but berth only knows sha256 and sha512, so every
 * other algorithm is refused (Podman's go-digest also knows sha384; berth does not).
 *
 * Everything here is pure: no allocation, no system call. */
#ifndef BERTH_COMMON_REFERENCE_H
#define BERTH_COMMON_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define REF_NAME_MAX 255    /* domain "/" path */
#define REF_TAG_MAX 128
#define REF_DIGEST_MAX 135  /* "sha512:" + 128 hex */
/* Enough for ref_format() of any valid reference, NUL included. */
#define REF_STR_MAX (REF_NAME_MAX + 1 + REF_TAG_MAX + 1 + REF_DIGEST_MAX + 1)

struct image_ref {
	char domain[REF_NAME_MAX + 1];  /* "" for a short name (until normalised) */
	char path[REF_NAME_MAX + 1];    /* always set: "library/alpine" */
	char tag[REF_TAG_MAX + 1];      /* "" when none */
	char digest[REF_DIGEST_MAX + 1]; /* "" when none, else "sha256:<hex>" / "sha512:<hex>" */
	bool has_domain_explicitly;     /* the domain was in the input (not added by normalising) */
};

/* Parses s into *out. Returns 0, or -1 with *e set (BERR_INVALID) and *out zeroed. Messages
 * are Podman's:
 *   "repository name must have at least one component"              (empty input)
 *   "invalid reference format"                                        (grammar)
 *   "invalid reference format: repository name must be lowercase"     (would parse lowercased)
 *   "repository name must not be more than 255 characters"
 *   "invalid repository name (<s>), cannot specify 64-byte hexadecimal strings"
 *   "unsupported digest algorithm" / "invalid checksum digest length" /
 *   "invalid checksum digest format"
 * "name:tag@digest" is accepted and keeps both. No normalisation is done here. */
int ref_parse(const char *s, struct image_ref *out, struct berr *e);

/* True when ref names no registry of its own (no explicit domain), so it must go through
 * short-name resolution (aliases, unqualified-search registries). Digested names count too. */
bool ref_is_short(const struct image_ref *ref);

/* Docker Hub normalisation, as containers/image ParseNormalizedNamed does: an empty domain
 * becomes "docker.io" (has_domain_explicitly is left as it was), "index.docker.io" becomes
 * "docker.io", and on docker.io a one-component path gets "library/" in front. Other domains
 * are untouched. Returns 0, or -1 (BERR_INVALID) if the result would be longer than 255. */
int ref_normalize_docker_io(struct image_ref *ref, struct berr *e);

/* Writes "domain/path", then ":tag" if any, then "@digest" if any ("path..." when the domain
 * is empty). Returns the length, or -1 if buf is too small (buf then holds "" when len > 0).
 * REF_STR_MAX is always enough. */
int ref_format(const struct image_ref *ref, char *buf, size_t len);

/* Writes the name alone: "domain/path" or "path". Same return convention as ref_format. */
int ref_format_name(const struct image_ref *ref, char *buf, size_t len);

/* Grammar checks, exported for configuration code (registries.conf search entries) and for the
 * broker's own checks of what workers report. Pure. */
bool ref_domain_valid(const char *s, size_t n); /* host[:port], IPv6 in brackets allowed */
bool ref_path_valid(const char *s, size_t n);   /* lowercase path components */
bool ref_tag_valid(const char *s);
/* Checks a digest string as ref_parse does: 0, or -1 with the message above. */
int ref_digest_check(const char *s, struct berr *e);

#endif
