/* The OCI runtime spec (config.json, runtime-spec 1.0.2) for one container, generated from the
 * image config and the command line with berth's secure defaults, which are Podman's:
 *
 *   - capabilities: Podman's 11 (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE,
 *     SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT) in bounding/effective/permitted, nothing in
 *     ambient or inheritable; a non-root process user gets only what --cap-add names in
 *     effective/permitted/ambient/inheritable (Podman's rule), the bounding set stays the same;
 *   - Podman's masked paths and read-only /proc paths, a seccomp profile (prepared by the
 *     caller), no_new_privs only when asked;
 *   - the default mounts (proc, dev tmpfs, devpts, shm with its size, mqueue, sysfs ro, cgroup
 *     ro), the per-container /etc/hosts, /etc/resolv.conf and /etc/hostname bound in;
 *   - RLIMIT_NOFILE and RLIMIT_NPROC at 1048576, clamped to the hard limits the caller holds,
 *     so the runtime is never asked for more than it can set; pids limit 2048 where the pids
 *     controller is usable; net.ipv4.ping_group_range so ping works without NET_RAW.
 *
 * --privileged relaxes what Podman's does and nothing more: every capability of the caller's
 * bounding set, no masked or read-only paths, no seccomp filter unless one was named with
 * --security-opt seccomp=, sysfs and the cgroup mount read-write, the host devices (given by the
 * caller) with an allow-all device rule.
 *
 * The module is pure: no system call, no file access. Everything it needs about the host (the
 * caller's rlimits and bounding set, cgroup controllers, subordinate ID counts, host devices,
 * the host environment for `-e NAME`) comes in through struct spec_input, so it is linked into
 * the unit tests as is. User-facing values come as the strings the user typed, so that every
 * check (and its message, which names the flag) lives here, and the broker can hand on what
 * the frontend sent without trusting the frontend's parsing. */
#ifndef BERTH_POLICY_SPEC_H
#define BERTH_POLICY_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define SPEC_OCI_VERSION "1.0.2"
/* Where --init's binary is bound inside the container (Podman: /run/podman-init). */
#define SPEC_INIT_PATH "/run/berth-init"
#define SPEC_DEFAULT_PIDS_LIMIT 2048
#define SPEC_DEFAULT_RLIMIT 1048576ULL
#define SPEC_DEFAULT_SHM_SIZE (64ULL << 20)
/* Refusal limits on list lengths and string sizes, far above any real command line. */
#define SPEC_LIST_MAX 16384
#define SPEC_STR_MAX (128 * 1024)

/* A borrowed list of strings: v[0..n-1], none NULL. {NULL, 0} is the empty list. */
struct spec_strv {
	const char *const *v;
	size_t n;
};

/* --userns */
enum spec_userns {
	SPEC_USERNS_HOST = 0, /* no user namespace of its own: the container shares the one the
	                       * runtime runs in (rootful: the host's; rootless: berth-pause's) */
	SPEC_USERNS_KEEPID,   /* keep-id: rootless only; the user's own uid/gid become keepid_uid
	                       * and keepid_gid inside, the subordinate IDs fill the rest */
	SPEC_USERNS_NOMAP,    /* nomap: rootless only; only the subordinate IDs are mapped */
	SPEC_USERNS_MAP,      /* explicit uid_map/gid_map given by the caller (--uidmap/--gidmap) */
};

/* --network (full networking is its own issue; private is a fresh network namespace that
 * berth-netsetup may have prepared at net_ns_path) */
enum spec_net {
	SPEC_NET_PRIVATE = 0,
	SPEC_NET_NONE,
	SPEC_NET_HOST,
};

/* One uidMappings/gidMappings line: container_id..+size maps to host_id..+size, where "host"
 * is the namespace the runtime runs in. */
struct spec_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

/* A host device for --privileged (the caller lists /dev; this module does not look). */
struct spec_device {
	const char *path; /* absolute, under /dev/ (borrowed) */
	char type;        /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	uint32_t file_mode; /* permission bits, e.g. 0666 */
	uint32_t uid, gid;
};

/* Bits of spec_input.cgroup_controllers: which limits the runtime can apply here. */
#define SPEC_CG_MEMORY 0x1u
#define SPEC_CG_CPU 0x2u
#define SPEC_CG_PIDS 0x4u

struct spec_input {
	/* ---- image side: the image config, already verified (borrowed) ---- */
	struct spec_strv image_env;        /* Env, "KEY=value" */
	struct spec_strv image_cmd;        /* Cmd */
	struct spec_strv image_entrypoint; /* Entrypoint */
	const char *image_workdir;         /* WorkingDir; NULL or "" when none */
	struct spec_strv image_labels;     /* Labels, "key=value" (io.containers.capabilities) */
	const char *image_stop_signal;     /* StopSignal; NULL when none */

	/* ---- command line (borrowed; NULL = flag not given) ---- */
	struct spec_strv args;     /* the command after the image name: replaces Cmd */
	const char *entrypoint;    /* --entrypoint: a JSON array of strings, or one string; ""
	                            * clears the image's entrypoint (and, as Podman, its Cmd) */
	struct spec_strv env;      /* --env-file entries then -e values, in order (later wins):
	                            * "KEY=value", "KEY" (taken from host_env, skipped when the
	                            * host has none), "PREFIX*" (every host_env KEY with PREFIX) */
	struct spec_strv host_env; /* the user's environment, "KEY=value", for the above */
	struct spec_strv conf_env; /* containers.conf env: over the built-in PATH, under the rest */
	const struct spec_strv *conf_caps; /* containers.conf default_capabilities in place of
	                            * Podman's 11 (NULL: those); --cap-add/--cap-drop apply on top */
	bool env_host;             /* --env-host: all of host_env, over the defaults and under
	                            * the image's Env (Podman's order) */
	const char *workdir;       /* -w: absolute */
	const char *stop_signal;   /* --stop-signal: name or number; overrides the image's */
	struct spec_strv labels;   /* -l "key=value", over the image's */
	struct spec_strv annotations; /* --annotation "key=value" */
	const char *hostname;      /* -h, or the caller's default (the short container ID) */
	bool tty;                  /* -t: process.terminal, and TERM=xterm unless set */
	bool read_only;            /* --read-only: root readonly, tmpfs on /run, /tmp, /var/tmp */
	bool privileged;           /* --privileged */
	bool no_new_privs;         /* --security-opt no-new-privileges */
	struct spec_strv cap_add;  /* --cap-add: "NET_RAW", "cap_net_raw", "ALL" */
	struct spec_strv cap_drop; /* --cap-drop: likewise */
	struct spec_strv mask;     /* --security-opt mask=: absolute paths, ':'-separated */
	struct spec_strv unmask;   /* --security-opt unmask=: globs, ':'-separated, or "ALL" */
	const char *seccomp_json;  /* the linux.seccomp object as JSON text, prepared by the
	                            * seccomp module; ignored when unconfined or privileged */
	bool seccomp_unconfined;   /* --security-opt seccomp=unconfined */
	bool seccomp_explicit;     /* the user named the profile (seccomp=PATH): it then stays
	                            * in force under --privileged, as in Podman */
	const char *memory;        /* --memory: "512m", bytes with b/k/m/g/t/p units */
	const char *memory_swap;   /* --memory-swap: same units, or "-1" for unlimited */
	const char *cpus;          /* --cpus: decimal, e.g. "1.5" */
	const char *cpu_shares;    /* --cpu-shares: 2..262144 */
	const char *pids_limit;    /* --pids-limit: N, or "-1"/"0" for no limit */
	const char *shm_size;      /* --shm-size: bytes with units; default 64m */
	struct spec_strv ulimits;  /* --ulimit "name=soft[:hard]", -1 = unlimited */
	struct spec_strv tmpfs;    /* --tmpfs "/path[:opt,opt...]" */
	struct spec_strv sysctls;  /* --sysctl "key=value" */
	enum spec_userns userns;
	uint32_t keepid_uid, keepid_gid; /* keep-id: the IDs the user gets inside (Podman: the
	                                  * user's own uid/gid unless keep-id:uid=,gid= said);
	                                  * the caller also runs the process as them unless -u */
	const struct spec_idmap *uid_map; /* SPEC_USERNS_MAP (borrowed) */
	size_t n_uid_map;
	const struct spec_idmap *gid_map;
	size_t n_gid_map;
	enum spec_net net;
	const char *net_ns_path;   /* private: a prepared netns to join; NULL = a new one */
	const char *init_path;     /* --init: the host path of the init binary; NULL = no init */

	/* ---- resolved by the caller ---- */
	uint32_t uid, gid;          /* -u / the image's User, resolved in the container's files;
	                             * uid != 0 gets Podman's non-root capability sets */
	const uint32_t *groups;     /* supplementary gids (its groups and --group-add) */
	size_t n_groups;
	const char *home;           /* the user's home from the container's passwd; NULL = "/" */
	const char *rootfs;         /* the mounted root filesystem (absolute) */
	const char *hosts_path;     /* generated files bound at /etc/hosts, /etc/resolv.conf, */
	const char *resolv_path;    /* /etc/hostname; NULL = not bound */
	const char *hostname_path;
	const char *cgroups_path;   /* linux.cgroupsPath; NULL = the runtime's default */

	/* ---- the host, as the caller found it ---- */
	bool rootless;              /* berth runs without host root (in berth-pause's userns) */
	bool cgroup2;               /* unified hierarchy: the container gets a cgroup namespace */
	unsigned cgroup_controllers; /* SPEC_CG_* the runtime can apply limits with */
	const char *cgroup_reason;  /* why some are missing, for the error ("rootless on cgroup
	                             * v1"); NULL = a generic reason */
	uint64_t nofile_hard;       /* the caller's own hard RLIMIT_NOFILE / RLIMIT_NPROC */
	uint64_t nproc_hard;        /* (UINT64_MAX = unlimited; 0 is refused as "not given") */
	bool can_raise_rlimits;     /* CAP_SYS_RESOURCE held: explicit ulimits may exceed them */
	uint64_t bounding;          /* the caller's capability bounding set, bit n = cap n;
	                             * 0 = every capability berth knows */
	uint32_t subid_uids;        /* rootless: how many subordinate uids/gids the user has */
	uint32_t subid_gids;        /* (0 = none: a single-ID user namespace) */
	struct spec_strv host_masked; /* extra masked paths that exist on this host (Podman
	                               * globs /sys/devices/system/cpu/cpu* /thermal_throttle) */
	const struct spec_device *host_devices; /* --privileged only (borrowed) */
	size_t n_host_devices;
};

/* Builds config.json for *in. On success returns 0 and stores in *json_out a NUL-terminated,
 * indented JSON text the caller frees. On failure returns -1, *json_out is NULL and *e says
 * why in one line that names the flag:
 *   BERR_INVALID      a bad value ("invalid --cpus 0: ...", "unknown capability CAP_FOO",
 *                     "--memory-swap must be larger than --memory", "invalid --ulimit
 *                     nofile=2:1: soft limit 2 is greater than hard limit 1", no command);
 *   BERR_UNSUPPORTED  a limit the user asked for cannot be applied on this host (--memory,
 *                     --memory-swap, --cpus, --cpu-shares, --pids-limit without the cgroup
 *                     controller), or --userns=keep-id/nomap when rootful;
 *   BERR_INTERNAL     the caller left out something only it can give (rootfs, rlimits,
 *                     the seccomp profile), or out of memory. */
int spec_build(const struct spec_input *in, char **json_out, struct berr *e);

#endif
