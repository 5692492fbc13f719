/* What a worker that runs /usr/bin/gpg (through gpgme) must reach under Landlock: berth-verify
 * in its gpg mode (signature checks) and berth-sign. Each adds its own writable directory (a
 * GnuPG home) as an ll_rw_fds entry. */
#ifndef BERTH_WORKERS_COMMON_GPGPATHS_H
#define BERTH_WORKERS_COMMON_GPGPATHS_H

#include "sandbox/sandbox.h"

/* An initializer for a const struct sandbox_ll_path array. */
#define WORKER_GPG_LL_PATHS {                                                              \
	{ "/usr/bin/gpg", SB_LL_READ | SB_LL_EXEC },                                       \
	/* The ELF interpreter is opened for execution too (x86-64, arm64). */             \
	{ "/lib64/ld-linux-x86-64.so.2", SB_LL_READ | SB_LL_EXEC },                        \
	{ "/lib/ld-linux-aarch64.so.1", SB_LL_READ | SB_LL_EXEC },                         \
	{ "/usr/lib", SB_LL_READ },            /* gpg's shared libraries */                \
	{ "/etc/ld.so.cache", SB_LL_READ },                                                \
	{ "/etc/gnupg", SB_LL_READ },          /* system-wide gpg.conf, when there is one */ \
	{ "/etc/localtime", SB_LL_READ },                                                  \
	{ "/dev/null", SB_LL_READ | SB_LL_WRITE }, /* gpgme's stdin and stdout for gpg */  \
}

#endif
