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
