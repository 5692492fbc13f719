/* --userns=nomap: the image's root filesystem copied with every owner moved up by a fixed
 * shift, for a container whose user namespace maps container ID n to berth-pause's ID n + 1.
 *
 * Rootless, the image's layers belong to berth-pause's namespace, where the user is 0 and the
 * subordinate IDs are 1..N. A nomap container maps only the subordinate IDs (container 0 is
 * namespace 1), so a layer file owned by 0 would belong to no ID in the container, and one
 * owned by n would show up as n - 1. Podman's storage answers this with a per-mapping copy of
 * the image (containers/storage chown copy) when idmapped mounts are not at hand; so does
 * berth: runc 1.1.5 cannot idmap a root filesystem, and overlayfs on idmapped lower layers
 * needs CAP_SYS_ADMIN over the host filesystem, which a rootless broker does not have.
 *
 * The copy reads the merged, read-only overlay of the image's layers, so whiteouts and opaque
 * directories are already applied and never copied. Everything happens beneath one directory
 * fd: the source and target are two single-component names in it, every entry is created with
 * an *at() call on its parent's fd, nothing follows a symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW,
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and hard links within the image stay hard links.
 *
 * What is copied: directories, regular files, symlinks and fifos, with owner + shift, mode
 * (setuid/setgid included, applied after the owner, which clears them), "user.*" xattrs except
 * the overlay's own, and modification times. Skipped and counted: sockets, device nodes (a
 * rootless layer has none), other xattrs (a rootless layer has no file capabilities).
 * Refused: an owner whose shifted ID is above max_uid / max_gid (the namespace has no such ID),
 * a tree deeper than SHIFT_DEPTH_MAX, and filesystem errors. */
#ifndef BERTH_WORKERS_UNPACK_SHIFT_H
#define BERTH_WORKERS_UNPACK_SHIFT_H

#include <stdint.h>

#include "common/err.h"

#define SHIFT_DEPTH_MAX 256
#define SHIFT_SRC "src"   /* beneath the directory fd: the read-only image tree */
#define SHIFT_DST "root"  /* beneath it too: the copy, an existing empty directory */

struct shift_opts {
	uint32_t uid_shift, gid_shift;
	uint32_t max_uid, max_gid;   /* highest ID the namespace maps */
};

struct shift_result {
	uint64_t entries;            /* entries copied */
	uint64_t skipped;            /* entries and xattrs left out (see above) */
};

/* Copies dir_fd/SHIFT_SRC into dir_fd/SHIFT_DST (which must exist, empty; it takes the
 * source root's owner, mode and times). Returns 0, or -1 with *e set; *r says how far it got.
 * The target then holds a partial tree, which the caller removes. */
int shift_tree(int dir_fd, const struct shift_opts *o, struct shift_result *r, struct berr *e);

#endif
