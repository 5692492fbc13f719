/* libFuzzer harness for common/reference.c: ref_parse on arbitrary strings.
 *
 * Besides "no crash, no UB", it abort()s when one of these properties fails:
 *  - a parsed reference formats back to exactly the input (parsing loses and invents nothing),
 *    and parsing that again gives the same structure;
 *  - every field is within its bounds and satisfies its own grammar check;
 *  - normalising is idempotent, keeps the reference valid, and only ever touches the domain
 *    and the path;
 *  - an error always comes with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct image_ref *a, const struct image_ref *b)
{
	if (strcmp(a->domain, b->domain) != 0 || strcmp(a->path, b->path) != 0 ||
	    strcmp(a->tag, b->tag) != 0 || strcmp(a->digest, b->digest) != 0 ||
	    a->has_domain_explicitly != b->has_domain_explicitly)
		abort();
}

static void check_fields(const struct image_ref *r)
{
	size_t dl = strlen(r->domain), pl = strlen(r->path);

	if (pl == 0 || !ref_path_valid(r->path, pl))
		abort();
	if ((dl > 0) != r->has_domain_explicitly) /* only ever called on parsed references */
		abort();
	if (dl > 0 && !ref_domain_valid(r->domain, dl))
		abort();
	if ((dl > 0 ? dl + 1 : 0) + pl > REF_NAME_MAX)
		abort();
	if (r->tag[0] != '\0' && !ref_tag_valid(r->tag))
		abort();
	if (r->digest[0] != '\0' && ref_digest_check(r->digest, NULL) != 0)
		abort();
	if (ref_is_short(r) == r->has_domain_explicitly)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, buf[REF_STR_MAX], buf2[REF_STR_MAX];
	struct image_ref r, r2, n;
	struct berr e;
	int len;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (ref_parse(s, &r, &e) < 0) {
		if (e.code != BERR_INVALID || e.msg[0] == '\0')
			abort();
		free(s);
		return 0;
	}
	check_fields(&r);
	len = ref_format(&r, buf, sizeof(buf));
	if (len < 0 || (size_t)len != strlen(s) || strcmp(buf, s) != 0)
		abort();
	if (ref_parse(buf, &r2, &e) < 0)
		abort();
	same(&r, &r2);

	n = r;
	if (ref_normalize_docker_io(&n, &e) == 0) {
		struct image_ref n2 = n;

		if (strcmp(n.tag, r.tag) != 0 || strcmp(n.digest, r.digest) != 0 ||
		    n.has_domain_explicitly != r.has_domain_explicitly || n.domain[0] == '\0')
			abort();
		if (ref_normalize_docker_io(&n2, &e) < 0)
			abort();
		same(&n, &n2);
		/* The normalised form is itself a valid, explicit reference. */
		if (ref_format(&n, buf2, sizeof(buf2)) < 0 || ref_parse(buf2, &n2, &e) < 0)
			abort();
		n.has_domain_explicitly = true;
		same(&n, &n2);
		check_fields(&n2);
	} else if (e.msg[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
