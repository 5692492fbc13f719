/* Sizes and ages as Podman prints them (go-units): "1.47 MB", "2 weeks ago". */
#ifndef BERTH_FRONTEND_HUMANIZE_H
#define BERTH_FRONTEND_HUMANIZE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* SI units with 3 significant digits: "5.6 kB", "1.47 MB", "0 B". */
void human_size(uint64_t bytes, char *buf, size_t len);
/* "Less than a second", "About a minute", "3 hours", "2 weeks", ... (no "ago"). */
void human_duration(int64_t seconds, char *buf, size_t len);

#endif
