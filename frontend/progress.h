/* Pull progress on stderr. On a terminal: one line per blob being copied, redrawn in place
 * (bytes, total, speed); elsewhere the broker's plain lines only. */
#ifndef BERTH_FRONTEND_PROGRESS_H
#define BERTH_FRONTEND_PROGRESS_H

#include <stdint.h>

#include "ipc/msg.h"

struct progress;

struct progress *progress_new(void);
void progress_free(struct progress *p);
/* Shows one MSG_PROGRESS body. */
void progress_show(struct progress *p, const struct msg_progress *m);

#endif
