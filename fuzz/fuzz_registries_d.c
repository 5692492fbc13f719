/* libFuzzer harness for policy/registries_d.c: arbitrary bytes as a registries.d YAML file.
 *
 * Besides "no crash, no leak, no UB", it abort()s when one of these properties fails:
 *  - an error is BERR_INVALID (BERR_SYSTEM only for memory) and names the file;
 *  - every location a lookup returns is an absolute file://, http:// or https:// URL;
 *  - the same file merged a second time (under another name) is refused exactly when the
 *    first one defined default-docker or any scope, and a refused merge changes no answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/registries_d.h"
#include "workers/verify/regd_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const refs[] = {
	"quay.io/ns/app:1", "docker.io/library/busybox:latest", "a.b.example.com:5000/x/y:2",
	"localhost/z:9",
};
#define NREFS (sizeof(refs) / sizeof(refs[0]))

static void url_check(const char *u)
{
	if (u == NULL)
		return;
	if (strncmp(u, "file:///", 8) != 0 && strncmp(u, "http://", 7) != 0 &&
	    strncmp(u, "https://", 8) != 0)
		abort();
}

/* Every answer for the fixed references, as one comparable record. */
static void answers(const struct regd *r, const char *out[NREFS][2], bool att[NREFS])
{
	for (size_t i = 0; i < NREFS; i++) {
		struct image_ref ref;
		struct berr e = { 0 };
		if (ref_parse(refs[i], &ref, &e) < 0)
			abort();
		out[i][0] = regd_lookaside(r, &ref, false);
		out[i][1] = regd_lookaside(r, &ref, true);
		att[i] = regd_use_sigstore_attachments(r, &ref);
		url_check(out[i][0]);
		url_check(out[i][1]);
	}
	url_check(regd_scope_lookaside(r, ""));
	url_check(regd_scope_lookaside(r, "quay.io/ns/app"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berr e = { 0 };
	struct regd *r = regd_new(&e);
	const char *a1[NREFS][2], *a2[NREFS][2];
	bool t1[NREFS], t2[NREFS];

	if (r == NULL)
		abort();
	if (regd_add_buf(r, (const char *)data, size, "/fuzz/a.yaml", &e) < 0) {
		if ((e.code != BERR_INVALID && e.code != BERR_SYSTEM) ||
		    strstr(e.msg, "/fuzz/a.yaml") == NULL)
			abort();
		regd_free(r);
		return 0;
	}
	answers(r, a1, t1);
	bool defined_something = regd_default(r) != NULL;
	/* Any scope at all: a lookup of a scope the file names is not possible without
	 * knowing it, so the second merge itself tells, and is checked against the default. */
	int second = regd_add_buf(r, (const char *)data, size, "/fuzz/b.yaml", &e);
	if (defined_something && second == 0)
		abort();
	if (second < 0) {
		if (strstr(e.msg, "defined both in /fuzz/a.yaml and in /fuzz/b.yaml") == NULL)
			abort();
		answers(r, a2, t2);
		if (memcmp(a1, a2, sizeof(a1)) != 0 || memcmp(t1, t2, sizeof(t1)) != 0)
			abort();
	}
	regd_free(r);
	return 0;
}
