/* Detach-key scanning: see detachkeys.h. */
#include "common/detachkeys.h"

#include <string.h>

void detach_keys_default(struct detach_keys *d)
{
	memset(d, 0, sizeof(*d));
	d->seq[0] = 0x10; /* ctrl-p */
	d->seq[1] = 0x11; /* ctrl-q */
	d->len = 2;
}

int detach_keys_parse(struct detach_keys *d, const char *spec)
{
	static const char ctrl_punct[] = "@[\\]^_"; /* ctrl-@ is 0, ctrl-_ is 31 */
	struct detach_keys t = { 0 };
	const char *p = spec;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned char c;
		const char *hit;

		if (n == 1) {
			c = (unsigned char)p[0];
		} else if (n == 6 && strncmp(p, "ctrl-", 5) == 0 && p[5] >= 'a' && p[5] <= 'z') {
			c = (unsigned char)(p[5] - 'a' + 1);
		} else if (n == 6 && strncmp(p, "ctrl-", 5) == 0 &&
			   (hit = strchr(ctrl_punct, p[5])) != NULL && p[5] != '\0') {
			c = (unsigned char)(hit == ctrl_punct ? 0 : 27 + (hit - ctrl_punct) - 1);
		} else {
			return -1;
		}
		if (t.len == DETACH_KEYS_MAX)
			return -1;
		t.seq[t.len++] = c;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -1; /* a trailing comma */
	}
	*d = t;
	return 0;
}

size_t detach_keys_scan(struct detach_keys *d, const unsigned char *in, size_t n,
			unsigned char *out, bool *hit)
{
	size_t o = 0;

	*hit = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = in[i];
		if (d->len == 0) {
			out[o++] = c;
			continue;
		}
		if (c == d->seq[d->matched]) {
			if (++d->matched == d->len) {
				d->matched = 0;
				*hit = true;
				return o;
			}
			continue;
		}
		/* Not the sequence after all: what was held back goes on, then this byte is
		 * looked at afresh (it may start the sequence). */
		memcpy(out + o, d->seq, d->matched);
		o += d->matched;
		d->matched = 0;
		if (c == d->seq[0])
			d->matched = 1;
		else
			out[o++] = c;
	}
	return o;
}
