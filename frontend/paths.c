/* Default store paths, as Podman picks its own: rootful /var/lib/berth and /run/berth;
 * rootless $XDG_DATA_HOME/berth (default ~/.local/share/berth) and $XDG_RUNTIME_DIR/berth. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/path.h"
#include "frontend/frontend.h"

static bool own_dir(const char *p)
{
	struct stat st;
	return p != NULL && p[0] == '/' && stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == getuid();
}

/* The user's runtime directory: $XDG_RUNTIME_DIR, else /run/user/UID, else a private directory
 * in /tmp that must be ours. */
static int runtime_dir(char *out, size_t len, struct berr *e)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	char buf[64];
	struct stat st;

	if (own_dir(x)) {
		snprintf(out, len, "%s", x);
		return 0;
	}
	snprintf(buf, sizeof(buf), "/run/user/%u", (unsigned)getuid());
	if (own_dir(buf)) {
		snprintf(out, len, "%s", buf);
		return 0;
	}
	snprintf(buf, sizeof(buf), "/tmp/berth-run-%u", (unsigned)getuid());
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return berr_sys(e, "creating %s", buf);
	if (lstat(buf, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0)
		return berr_set(e, BERR_DENIED, 0, "%s is not a private directory of yours: set "
				"XDG_RUNTIME_DIR to one", buf);
	snprintf(out, len, "%s", buf);
	return 0;
}

int fe_default_paths(struct fe_opts *o, bool root_set, bool runroot_set, struct berr *e)
{
	char rt[4096];

	o->rootless = geteuid() != 0;
	const char *raf = getenv("REGISTRY_AUTH_FILE");
	if (raf != NULL && raf[0] == '/')
		snprintf(o->authfile, sizeof(o->authfile), "%s", raf);
	if (!o->rootless) {
		/* Podman's rootful default. */
		if (o->authfile[0] == '\0')
			snprintf(o->authfile, sizeof(o->authfile), "/run/containers/0/auth.json");
		if (!root_set)
			snprintf(o->root, sizeof(o->root), "/var/lib/berth");
		if (!runroot_set)
			snprintf(o->runroot, sizeof(o->runroot), "/run/berth");
		snprintf(o->tmpdir, sizeof(o->tmpdir), "/run/berth");
		return 0;
	}
	if (runtime_dir(rt, sizeof(rt), e) < 0)
		return -1;
	if (o->authfile[0] == '\0' &&
	    snprintf(o->authfile, sizeof(o->authfile), "%s/containers/auth.json", rt) >=
		    (int)sizeof(o->authfile))
		return berr_set(e, BERR_INVALID, 0, "runtime directory path too long");
	if (snprintf(o->tmpdir, sizeof(o->tmpdir), "%s/berth", rt) >= (int)sizeof(o->tmpdir))
		return berr_set(e, BERR_INVALID, 0, "runtime directory path too long");
	if (!runroot_set)
		snprintf(o->runroot, sizeof(o->runroot), "%s", o->tmpdir);
	if (!root_set) {
		const char *data = getenv("XDG_DATA_HOME");
		const char *home = getenv("HOME");
		struct passwd *pw;
		if (data != NULL && data[0] == '/') {
			snprintf(o->root, sizeof(o->root), "%s/berth", data);
		} else {
			if (home == NULL || home[0] != '/') {
				pw = getpwuid(getuid());
				home = pw != NULL ? pw->pw_dir : NULL;
			}
			if (home == NULL || home[0] != '/')
				return berr_set(e, BERR_INVALID, 0, "cannot find your home directory: "
						"set HOME or use --root");
			snprintf(o->root, sizeof(o->root), "%s/.local/share/berth", home);
		}
	}
	if (!path_is_clean_abs(o->root) || !path_is_clean_abs(o->runroot) ||
	    !path_is_clean_abs(o->tmpdir))
		return berr_set(e, BERR_INVALID, 0, "the store paths (%s, %s) must be clean absolute "
				"paths", o->root, o->runroot);
	return 0;
}
