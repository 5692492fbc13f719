/* registries.conf (version 2) interpretation: what containers-registries.conf(5) says the keys
 * mean, and the two questions berth asks of them: "which registry settings apply to this
 * fully-qualified reference" (registries_find) and "what does this short name resolve to"
 * (registries_resolve_short). Pure: it takes parsed TOML trees (or buffers it parses itself)
 * and never touches the file system; finding and reading the files is broker/registries.c.
 *
 * Semantics follow containers/image pkg/sysregistriesv2 and pkg/shortnames (what Podman runs):
 *  - Keys read: unqualified-search-registries, short-name-mode, [[registry]] (prefix, location,
 *    insecure, blocked, mirror-by-digest-only, [[registry.mirror]] location, insecure,
 *    pull-from-mirror), [aliases]. Unknown keys are ignored (logged at debug level), as
 *    Podman does; a known key of the wrong type is an error. credential-helpers and
 *    additional-layer-store-auth-helper are among the ignored ones.
 *  - The version 1 format ([registries.search] registries = [...]) is refused.
 *  - Each file is checked as a whole before it is merged: prefix defaults to location; both
 *    empty, or an empty location without a "*.example.com" prefix, is an error; "http://" and
 *    "https://" are refused; trailing "/" are dropped; a wildcard prefix may hold no "/", ":"
 *    or "@"; pull-from-mirror is "all", "digest-only" or "tag-only", only on mirrors, and not
 *    together with mirror-by-digest-only; two entries for one location may not disagree on
 *    insecure or blocked; within one file the first entry for a prefix wins.
 *  - Merging a later file (drop-in): [[registry]] entries replace earlier ones with the same
 *    prefix and add the others; unqualified-search-registries replaces the earlier list when
 *    the key is present (even as []); short-name-mode replaces when set and not ""; aliases
 *    are merged one by one, and an alias set to "" erases an earlier one.
 *  - short-name-mode unset: "permissive", the default of containers/image
 *    (defaultShortNameMode). Note that Fedora's packaged registries.conf sets "enforcing".
 *
 * Messages are Podman's, prefixed with "<file>:<line>: " where the line is known. */
#ifndef BERTH_COMMON_REGISTRIES_CONF_H
#define BERTH_COMMON_REGISTRIES_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/reference.h"
#include "common/toml.h"

#define REGISTRIES_MAX_MIRRORS 16   /* per [[registry]] */
#define REGISTRIES_MAX_SEARCH 64    /* unqualified-search-registries entries */
#define REGISTRIES_MAX_ENTRIES 4096 /* [[registry]] tables after merging */
#define REGISTRIES_MAX_ALIASES 16384

enum short_name_mode {
	SHORT_NAME_UNSET = 0, /* only inside a file: the key was absent or "" */
	SHORT_NAME_ENFORCING,
	SHORT_NAME_PERMISSIVE,
	SHORT_NAME_DISABLED,
};

/* The mode used when no file sets one (containers/image defaultShortNameMode). */
#define SHORT_NAME_DEFAULT SHORT_NAME_PERMISSIVE

struct registries; /* opaque */

/* One place to pull from: the reference rewritten for that endpoint, and its TLS setting. */
struct registry_endpoint {
	struct image_ref ref;
	bool insecure; /* plain HTTP and unverified TLS allowed */
};

struct registry_match {
	char prefix[REF_NAME_MAX + 2]; /* the [[registry]] prefix that matched; "" when none did */
	bool blocked;                  /* pulling from this prefix is forbidden */
	/* Mirrors in the order to try, already filtered by pull-from-mirror and
	 * mirror-by-digest-only for this reference; the primary location comes after them. */
	size_t n_mirrors;
	struct registry_endpoint mirrors[REGISTRIES_MAX_MIRRORS];
	struct registry_endpoint primary;
};

/* An empty configuration (no file at all). NULL only when out of memory (*e set). */
struct registries *registries_new(struct berr *e);
void registries_free(struct registries *r);

/* Interprets one parsed file and merges it into r as the next file in load order. path names
 * the file in messages and is remembered as the origin of its search list and aliases.
 * is_main: the file is registries.conf itself (not a drop-in): the origin of the search list is
 * then this file even when it does not set the key, as in Podman. On error r is unchanged. */
int registries_add(struct registries *r, const struct toml_value *root, const char *path,
		   bool is_main, struct berr *e);
/* toml_parse + registries_add. */
int registries_add_buf(struct registries *r, const char *buf, size_t len, const char *path,
		       bool is_main, struct berr *e);
/* Remembers a description of where the configuration came from ("a, b, c"), for messages such
 * as Podman's "registry x is blocked in <sources>". Copied. */
int registries_set_sources(struct registries *r, const char *sources, struct berr *e);
/* That description, or "" if never set. */
const char *registries_sources(const struct registries *r);

/* The [[registry]] settings that apply to ref, which must carry a domain (a short name must go
 * through registries_resolve_short first); docker.io names are normalised first. The entry
 * chosen is the one with the longest matching prefix ("host[:port][/ns...][/repo][:tag|@digest]",
 * matched only at "/", ":" or "@" boundaries, or "*.example.com" for any subdomain).
 * Returns 1 and fills *m when an entry matched; 0 when none did (m->primary is then ref,
 * normalised, not insecure, no mirrors, not blocked); -1 with *e set when a rewritten
 * reference is invalid ("rewriting reference: ..."). A blocked match still returns 1: the
 * caller refuses. */
int registries_find(const struct registries *r, const struct image_ref *ref,
		    struct registry_match *m, struct berr *e);

/* Short-name resolution as Podman's pkg/shortnames Resolve does, without ever prompting:
 *  - a reference with a domain is returned as it is (normalised, ":latest" when it has no tag
 *    and no digest) as the only candidate;
 *  - an alias for the name (tag and digest stripped for the lookup, put back after) is the
 *    only candidate;
 *  - else each unqualified-search registry, in order, gives "<registry>/<name>" (normalised,
 *    ":latest" by default). No registry: BERR_NOTFOUND, "short-name \"x\" did not resolve to
 *    an alias and no unqualified-search registries are defined in \"<file>\"" (or "... and no
 *    containers-registries.conf(5) was found" when no file set the list). With more than one
 *    candidate, mode "enforcing" refuses (BERR_DENIED, "short-name resolution enforced but
 *    cannot prompt without a TTY": berth never prompts); "permissive" and "disabled" return
 *    them all.
 * ref must be as ref_parse() returned it: a short name already normalised (domain set without
 * has_domain_explicitly) has lost the name the user typed, and is refused (BERR_INTERNAL).
 * Candidates carry has_domain_explicitly = true. max must cover the candidates
 * (REGISTRIES_MAX_SEARCH always does). Returns 0 with *n >= 1, or -1 with *e set. */
int registries_resolve_short(const struct registries *r, const struct image_ref *ref,
			     struct image_ref *candidates, size_t max, size_t *n, struct berr *e);
/* The same, and desc (when not NULL) receives the line Podman prints before pulling
 * ("Resolved \"alpine\" as an alias (<file>)", "Resolving \"x\" using unqualified-search
 * registries (<file>)"), or "" when there is nothing to say. */
int registries_resolve_short_desc(const struct registries *r, const struct image_ref *ref,
				  struct image_ref *candidates, size_t max, size_t *n,
				  char *desc, size_t desclen, struct berr *e);

/* Read-only views, mostly for `berth info` and the tests. */
enum short_name_mode registries_short_name_mode(const struct registries *r); /* never UNSET */
size_t registries_search_count(const struct registries *r);
const char *registries_search_at(const struct registries *r, size_t i);
/* The file that set the search list ("" when none did). */
const char *registries_search_origin(const struct registries *r);
/* The normalised target of alias name ("docker.io/library/alpine"), or NULL. */
const char *registries_alias(const struct registries *r, const char *name);
size_t registries_count(const struct registries *r); /* [[registry]] entries after merging */

#endif
