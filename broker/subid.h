/* /etc/subuid and /etc/subgid: the subordinate ID ranges root granted each user. The files are
 * trusted configuration (root-owned); the parser is still strict, since a malformed line must
 * not turn into a wrong mapping. Pure: no syscalls. */
#ifndef BERTH_BROKER_SUBID_H
#define BERTH_BROKER_SUBID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct subid_range {
	uint32_t start;
	uint32_t count;
};

#define SUBID_MAX_RANGES 8

/* Collects the ranges of the user named `name` or numbered `id` from the file contents text.
 * Lines are "owner:start:count"; comments (#) and blank lines are skipped; malformed lines and
 * ranges that overflow 32 bits are skipped with a count in *bad (they are root's to fix, and
 * newuidmap refuses them anyway). Returns the number of ranges found (0..max). */
size_t subid_parse(const char *text, const char *name, uint32_t id, struct subid_range *out,
		   size_t max, size_t *bad);

#endif
