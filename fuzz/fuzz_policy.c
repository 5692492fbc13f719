/* libFuzzer harness for policy/trust.c: arbitrary bytes as policy.json.
 *
 * Besides "no crash, no leak, no UB", it abort()s when one of these properties fails:
 *  - an error names the file and is BERR_INVALID or BERR_UNSUPPORTED (never "accept");
 *  - a parsed policy has a non-empty default and non-empty requirement lists, each of a known
 *    type, signedBy/sigstoreSigned with keys and the others without;
 *  - lookups of fixed references (docker and the archive transports) always answer with
 *    requirements from the policy, and the answer for a reference is the same twice;
 *  - signedIdentity evaluation of every requirement against fixed signature references
 *    answers 1, 0 (BERR_DENIED) or -1 (BERR_INVALID), never anything else. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "/fuzz/policy.json"

static void check_reqs(const struct trust_req *r, size_t n)
{
	if (n == 0 || r == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		bool keyed = r[i].type == TRUST_SIGNED_BY || r[i].type == TRUST_SIGSTORE_SIGNED;
		if (r[i].type < TRUST_ACCEPT || r[i].type > TRUST_SIGSTORE_SIGNED)
			abort();
		if (keyed != (r[i].key_source != TRUST_KEYS_NONE))
			abort();
		if ((r[i].key_source == TRUST_KEYS_PATH || r[i].key_source == TRUST_KEYS_PATHS) &&
		    (r[i].n_key_paths == 0 || r[i].key_paths[0][0] != '/'))
			abort();
		if (r[i].key_source == TRUST_KEYS_DATA && r[i].key_data_len == 0)
			abort();
	}
}

static void check_identity(const struct trust_identity *id, const struct image_ref *pulled)
{
	static const char *const sigs[] = {
		"quay.io/ns/app:1", "docker.io/library/busybox:latest", "busybox",
		"mirror.example.com/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"NOT A REF",
	};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct berr e = { 0 };
		int r = trust_identity_match(id, pulled, sigs[i], &e);
		if (r == 0 && e.code != BERR_DENIED)
			abort();
		if (r < 0 && e.code != BERR_INVALID)
			abort();
		if (r > 1 || r < -1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = {
		"quay.io/ns/app:1", "docker.io/library/busybox:latest",
		"a.b.example.com:5000/x/y@sha256:0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef",
		"localhost/z:9",
	};
	static const char *const transports[] = { "docker", "docker-archive", "oci-archive", "oci",
						  "docker-daemon" };
	struct berr e = { 0 };
	struct trust_policy *p = trust_policy_parse((const char *)data, size, PATH, &e);

	if (p == NULL) {
		if ((e.code != BERR_INVALID && e.code != BERR_UNSUPPORTED) ||
		    strncmp(e.msg, PATH ": ", strlen(PATH) + 2) != 0)
			abort();
		return 0;
	}
	size_t n;
	const struct trust_req *d = trust_policy_default(p, &n);
	check_reqs(d, n);
	for (size_t i = 0; i < trust_policy_scope_count(p); i++) {
		struct trust_scope s = trust_policy_scope_at(p, i);
		check_reqs(s.reqs, s.n_reqs);
	}
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct image_ref ref;
		if (ref_parse(refs[i], &ref, &e) < 0)
			abort();
		for (size_t t = 0; t < sizeof(transports) / sizeof(transports[0]); t++) {
			const struct trust_req *r, *r2;
			size_t nr, nr2;
			const char *scope;
			if (trust_policy_requirements(p, transports[t], &ref, &r, &nr, &scope, &e) < 0 ||
			    trust_policy_requirements(p, transports[t], &ref, &r2, &nr2, NULL, &e) < 0)
				abort();
			if (r != r2 || nr != nr2)
				abort();
			check_reqs(r, nr);
			for (size_t k = 0; k < nr; k++)
				if (r[k].type == TRUST_SIGNED_BY || r[k].type == TRUST_SIGSTORE_SIGNED)
					check_identity(&r[k].identity, &ref);
		}
	}
	trust_policy_free(p);
	return 0;
}
