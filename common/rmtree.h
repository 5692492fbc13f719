/* Removing a directory tree that may hold hostile content (an unpacked layer): every step is
 * relative to an open directory fd, nothing is followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), and
 * the walk never leaves the tree, whatever symlinks it holds. */
#ifndef BERTH_COMMON_RMTREE_H
#define BERTH_COMMON_RMTREE_H

#include "common/err.h"

/* Removes dirfd/name and everything beneath it. A missing name is not an error. */
int rmtree_at(int dirfd, const char *name, struct berr *e);

#endif
