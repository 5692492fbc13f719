#include "broker/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/blobs.h"
#include "broker/containers.h"
#include "broker/db.h"
#include "broker/imgstore.h"
#include "common/log.h"
#include "common/path.h"

static int private_dir(const char *path, const char *what, struct berr *e)
{
	struct stat st;

	if (mkdir_p(path, 0700, e) < 0)
		return berr_wrap(e, "creating the %s", what);
	if (lstat(path, &st) < 0)
		return berr_sys(e, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "the %s %s is not a directory", what, path);
	if (st.st_uid != geteuid())
		return berr_set(e, BERR_DENIED, 0, "the %s %s belongs to another user (uid %u)",
				what, path, (unsigned)st.st_uid);
	/* Nothing in the store is for other users' eyes. */
	if ((st.st_mode & 077) != 0 && chmod(path, 0700) < 0)
		return berr_sys(e, "making %s private", path);
	return 0;
}

int store_open(struct broker *b, struct berr *e)
{
	char dbpath[4200];

	if (private_dir(b->cfg.root, "store root", e) < 0 ||
	    private_dir(b->cfg.runroot, "runtime root", e) < 0)
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/state.db", b->cfg.root);
	b->db = db_open(dbpath, e);
	if (b->db == NULL)
		return -1;
	if (blobs_init(b->cfg.root, e) < 0)
		return berr_wrap(e, "creating the blob store");
	/* Whatever an interrupted command left half-done goes before anything else looks. */
	if (imgstore_scan(b->db, b->cfg.root, e) < 0)
		return -1;
	return ctr_scan(b->db, b->cfg.root, b->cfg.runroot, e);
}

const char *store_probe_driver(const struct broker *b, char *reason, size_t len)
{
	char base[4200], sub[4300], opts[3 * 4200 + 64];
	static const char *const dirs[] = { "lower", "upper", "work", "merged" };
	const char *driver = "vfs";

	snprintf(base, sizeof(base), "%s/overlay-probe-XXXXXX", b->cfg.runroot);
	if (mkdtemp(base) == NULL) {
		snprintf(reason, len, "cannot create a probe directory: %s", strerror(errno));
		return driver;
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", base, dirs[i]);
		if (mkdir(sub, 0700) < 0) {
			snprintf(reason, len, "cannot create %s: %s", sub, strerror(errno));
			goto out;
		}
	}
	/* berth's overlays keep their metadata in user.overlay.* xattrs (userxattr) rootful as
	 * well as rootless: layers are unpacked that way, so the unpacker needs no CAP_SYS_ADMIN. */
	snprintf(opts, sizeof(opts), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work,userxattr",
		 base, base, base);
	snprintf(sub, sizeof(sub), "%s/merged", base);
	if (mount("overlay", sub, "overlay", MS_NODEV | MS_NOSUID, opts) == 0) {
		umount2(sub, MNT_DETACH);
		driver = "overlay";
		snprintf(reason, len, "native overlayfs%s", b->cfg.rootless ? " in the user namespace"
									      : "");
	} else {
		snprintf(reason, len, "overlayfs cannot be mounted here (%s)", strerror(errno));
	}
out:
	for (size_t i = 4; i-- > 0;) {
		snprintf(sub, sizeof(sub), "%s/%s", base, dirs[i]);
		/* The kernel may leave an empty work/work directory behind. */
		if (i == 2) {
			char ww[4400];
			snprintf(ww, sizeof(ww), "%s/work", sub);
			rmdir(ww);
		}
		rmdir(sub);
	}
	rmdir(base);
	log_debug("storage driver: %s (%s)", driver, reason);
	return driver;
}
