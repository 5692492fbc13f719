#include "broker/subid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

size_t subid_parse(const char *text, const char *name, uint32_t id, struct subid_range *out,
		   size_t max, size_t *bad)
{
	size_t n = 0;
	const char *line = text;

	if (bad != NULL)
		*bad = 0;
	while (line != NULL && *line != '\0' && n < max) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line))
					    : NULL;
		uint32_t owner_id, start, count;

		if (len == 0 || line[0] == '#')
			goto next;
		if (c1 == NULL || c2 == NULL || memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - line))) {
			if (bad != NULL)
				(*bad)++;
			goto next;
		}
		if (!parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &start) ||
		    !parse_u32(c2 + 1, len - (size_t)(c2 + 1 - line), &count) || count == 0 ||
		    (uint64_t)start + count > (uint64_t)UINT32_MAX + 1) {
			if (bad != NULL)
				(*bad)++;
			goto next;
		}
		size_t olen = (size_t)(c1 - line);
		bool match = (name != NULL && strlen(name) == olen && memcmp(line, name, olen) == 0) ||
			     (parse_u32(line, olen, &owner_id) && owner_id == id);
		if (match) {
			out[n].start = start;
			out[n].count = count;
			n++;
		}
next:
		line = end != NULL ? end + 1 : NULL;
	}
	return n;
}
