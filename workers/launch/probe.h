/* Runtime probing for berth-launch: runs `<runtime> --version` before the sandbox is entered. */
#ifndef BERTH_WORKERS_LAUNCH_PROBE_H
#define BERTH_WORKERS_LAUNCH_PROBE_H

#include "common/err.h"

#define PROBE_VERSION_MAX 256

struct runtime_probe {
	char path[4096];
	char version[PROBE_VERSION_MAX]; /* first line of --version output */
	char status[256];                /* "ok" or why it could not be run */
};

/* Runs path --version with a clean environment and a 5 second limit. Always fills p (a failure
 * to run is a status, not an error); returns -1 only for a path that is not absolute. */
int runtime_probe(const char *path, struct runtime_probe *p, struct berr *e);

#endif
