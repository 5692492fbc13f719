/* berth-fetch's sandbox. It speaks to registries over the network, so it keeps TCP connect
 * and new sockets; in exchange it has no capability, no writable path and no way to start a
 * process. Blobs are written into fds the broker opened. */
#include "workers/fetch/policy.h"

#include <stddef.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"
#include "workers/common/worker.h"

SANDBOX_EMBED(fetch_seccomp_policy_text, "workers/fetch/seccomp.policy");

/* The IPC socket, and /proc/self/status opened before the sandbox (worker.h): the worker
 * reports its own confinement from it, since Landlock will not let it open the file again. */
static const int fetch_keep_fds[] = { WORKER_IPC_FD, WORKER_STATUS_FD };

/* Read-only: TLS trust anchors (every distribution's location), the resolver's configuration,
 * and the shared libraries NSS and OpenSSL dlopen() on first use. Paths that do not exist on
 * this host are skipped. A symlinked file (/etc/resolv.conf -> /run/...) is granted as the
 * file it points to when the sandbox is entered. */
static const struct sandbox_ll_path fetch_ll_paths[] = {
	{ "/etc/ssl", SB_LL_READ },
	{ "/etc/ca-certificates", SB_LL_READ },
	{ "/etc/pki", SB_LL_READ },
	{ "/usr/share/ca-certificates", SB_LL_READ },
	{ "/etc/resolv.conf", SB_LL_READ },
	{ "/etc/hosts", SB_LL_READ },
	{ "/etc/nsswitch.conf", SB_LL_READ },
	{ "/etc/host.conf", SB_LL_READ },
	{ "/etc/gai.conf", SB_LL_READ },
	{ "/etc/services", SB_LL_READ },
	{ "/etc/localtime", SB_LL_READ },      /* libcurl and OpenSSL format dates */
	{ "/etc/ld.so.cache", SB_LL_READ },
	{ "/usr/lib", SB_LL_READ },
	{ "/usr/lib64", SB_LL_READ },
	{ "/lib", SB_LL_READ },
	{ "/lib64", SB_LL_READ },
};

const struct sandbox_policy fetch_sandbox_policy = {
	.role = "fetch",
	.keep_fds = fetch_keep_fds,
	.n_keep_fds = ARRAY_SIZE(fetch_keep_fds),
	.rlimit_nofile = 256,   /* parallel layer downloads + resolver sockets */
	.caps = NULL,
	.n_caps = 0,
	.landlock = true,
	.ll_paths = fetch_ll_paths,
	.n_ll_paths = ARRAY_SIZE(fetch_ll_paths),
	.ll_allow_tcp_connect = true,   /* registries, on any port */
	.seccomp_policy = fetch_seccomp_policy_text,
	.seccomp_policy_name = "workers/fetch/seccomp.policy",
};
