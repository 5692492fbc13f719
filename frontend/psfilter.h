/* `ps --filter KEY=VALUE`, as Podman's: values of one key are alternatives (labels must all
 * hold), different keys must all match. */
#ifndef BERTH_FRONTEND_PSFILTER_H
#define BERTH_FRONTEND_PSFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "ipc/msg.h"

struct ps_filters;

/* Parses the --filter values. NULL (the error printed) when one is malformed or unknown. */
struct ps_filters *ps_filters_parse(char **values, size_t n);
void ps_filters_free(struct ps_filters *f);
/* Whether the summaries must carry their labels for these filters. */
bool ps_filters_need_labels(const struct ps_filters *f);
/* Whether s passes; all is the whole list (for before= and since=). -1 (printed) when a
 * before=/since= container does not exist. */
int ps_filters_match(const struct ps_filters *f, const struct msg_container_summary *s,
		     const struct msg_ps_reply *all);

#endif
