#include "broker/hostinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "common/cleanup.h"
#include "common/xio.h"

const char *cgroup_layout_name(enum cgroup_layout l)
{
	switch (l) {
	case CG_UNIFIED:
		return "unified";
	case CG_HYBRID:
		return "hybrid";
	default:
		return "legacy";
	}
}

int host_cgroups(struct host_cgroups *cg, struct berr *e)
{
	struct statfs sf;

	memset(cg, 0, sizeof(*cg));
	if (statfs("/sys/fs/cgroup", &sf) < 0)
		return berr_sys(e, "statfs /sys/fs/cgroup");
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		cg->layout = CG_UNIFIED;
		return 0;
	}
	cg->layout = CG_LEGACY;
	if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		char *text = NULL;
		cg->layout = CG_HYBRID;
		if (xread_file_at(AT_FDCWD, "/sys/fs/cgroup/unified/cgroup.controllers", 4096,
				  &text, NULL, NULL) == 0) {
			char *nl = strchr(text, '\n');
			if (nl != NULL)
				*nl = '\0';
			snprintf(cg->unified_controllers, sizeof(cg->unified_controllers), "%s",
				 text);
			cg->unified_has_controllers = text[0] != '\0';
			free(text);
		}
	}
	return 0;
}

const char *host_arch(const char *machine)
{
	static const struct {
		const char *uname, *oci;
	} map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" },
		{ "i686", "386" },     { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
		{ "riscv64", "riscv64" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(machine, map[i].uname) == 0)
			return map[i].oci;
	return machine;
}

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

size_t host_find_runtimes(const char *wanted, char paths[][4096], size_t max, struct berr *e)
{
	/* The directories Podman's containers.conf lists for its runtimes. */
	static const char *const dirs[] = { "/usr/local/bin", "/usr/local/sbin", "/usr/bin",
					    "/usr/sbin", "/bin", "/sbin" };
	static const char *const defaults[] = { "crun", "runc" };
	const char *const *names = defaults;
	size_t nnames = ARRAY_SIZE(defaults), n = 0;
	const char *one[1];

	if (wanted != NULL && wanted[0] != '\0') {
		if (wanted[0] == '/') {
			if (!executable(wanted))
				return berr_set(e, BERR_NOTFOUND, ENOENT,
						"OCI runtime %s not found or not executable",
						wanted), 0;
			snprintf(paths[0], 4096, "%s", wanted);
			return 1;
		}
		if (strchr(wanted, '/') != NULL)
			return berr_set(e, BERR_INVALID, 0, "--runtime takes a name or an absolute "
					"path, not %s", wanted), 0;
		one[0] = wanted;
		names = one;
		nnames = 1;
	}
	for (size_t i = 0; i < nnames && n < max; i++) {
		for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dirs[d], names[i]);
			if (executable(p)) {
				snprintf(paths[n++], 4096, "%s", p);
				break;
			}
		}
	}
	if (n == 0 && wanted != NULL && wanted[0] != '\0')
		berr_set(e, BERR_NOTFOUND, ENOENT, "OCI runtime \"%s\" not found", wanted);
	return n;
}

const char *host_runtime_problem(const char *name, const struct host_cgroups *cg, char *buf,
				 size_t len)
{
	/* crun refuses hybrid hosts whose v2 hierarchy holds controllers ("cgroups in hybrid mode
	 * not supported"); runc uses the v1 controllers and ignores the v2 mount. */
	if (strcmp(name, "crun") == 0 && cg->layout == CG_HYBRID && cg->unified_has_controllers) {
		snprintf(buf, len,
			 "refuses this host's hybrid cgroups (v1 controllers plus a v2 unified mount "
			 "holding %s); move them to v1 (e.g. `mount -t cgroup -o hugetlb cgroup DIR`) "
			 "or use runc", cg->unified_controllers);
		return buf;
	}
	return NULL;
}
