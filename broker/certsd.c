#include "broker/certsd.h"

#include <stdio.h>
#include <string.h>

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	/* A bare suffix, or a hidden file (editor and packaging leftovers), is nobody's. */
	return n > s && name[0] != '.' && strcmp(name + n - s, suffix) == 0;
}

enum certsd_kind certsd_kind_of(const char *name)
{
	if (has_suffix(name, ".crt"))
		return CERTSD_CA;
	if (has_suffix(name, ".cert"))
		return CERTSD_CLIENT_CERT;
	if (has_suffix(name, ".key"))
		return CERTSD_CLIENT_KEY;
	return CERTSD_OTHER;
}

/* Whether names holds base + suffix. */
static bool has_partner(const char *const *names, size_t n, const char *base, size_t blen,
			const char *suffix)
{
	size_t slen = strlen(suffix);

	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == blen + slen && strncmp(names[i], base, blen) == 0 &&
		    strcmp(names[i] + blen, suffix) == 0)
			return true;
	return false;
}

int certsd_client_pair(const char *const *names, size_t n, const char *dir, char *base,
		       size_t len, struct berr *e)
{
	const char *first = NULL;
	size_t first_len = 0;

	for (size_t i = 0; i < n; i++) {
		enum certsd_kind k = certsd_kind_of(names[i]);
		size_t blen = strlen(names[i]);

		if (k == CERTSD_CLIENT_CERT) {
			blen -= strlen(".cert");
			if (!has_partner(names, n, names[i], blen, ".key"))
				return berr_set(e, BERR_INVALID, 0,
						"missing key %s/%.*s.key for client certificate "
						"%s/%s (CA certificates use the extension .crt)",
						dir, (int)blen, names[i], dir, names[i]);
			if (first == NULL || strcmp(names[i], first) < 0) {
				first = names[i];
				first_len = blen;
			}
		} else if (k == CERTSD_CLIENT_KEY) {
			blen -= strlen(".key");
			if (!has_partner(names, n, names[i], blen, ".cert"))
				return berr_set(e, BERR_INVALID, 0,
						"missing client certificate %s/%.*s.cert for key "
						"%s/%s", dir, (int)blen, names[i], dir, names[i]);
		}
	}
	if (first == NULL)
		return 0;
	if (first_len >= len)
		return berr_set(e, BERR_INVALID, 0, "client certificate name %s/%s is too long",
				dir, first);
	memcpy(base, first, first_len);
	base[first_len] = '\0';
	return 1;
}
