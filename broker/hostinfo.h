/* Facts about the host the broker reads itself (trusted sources: uname, /proc, statfs), and the
 * OCI runtimes found on it. */
#ifndef BERTH_BROKER_HOSTINFO_H
#define BERTH_BROKER_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum cgroup_layout { CG_UNIFIED, CG_HYBRID, CG_LEGACY };

struct host_cgroups {
	enum cgroup_layout layout;
	bool unified_has_controllers; /* hybrid: some controller (e.g. hugetlb) lives in v2 */
	char unified_controllers[128];
};

int host_cgroups(struct host_cgroups *cg, struct berr *e);
const char *cgroup_layout_name(enum cgroup_layout l);
/* "amd64", "arm64", ... from uname's machine. */
const char *host_arch(const char *machine);

#define HOST_MAX_RUNTIMES 4

/* Runtime candidates: the one --runtime names (a name or an absolute path), else crun and runc
 * from the usual directories. Fills absolute paths; returns how many were found. */
size_t host_find_runtimes(const char *wanted, char paths[][4096], size_t max, struct berr *e);

/* Why a runtime that answered --version still cannot run containers here, or NULL if nothing
 * is known against it. */
const char *host_runtime_problem(const char *name, const struct host_cgroups *cg, char *buf,
				 size_t len);

#endif
