/* Every IPC message type berth knows, in one place: its number, its name, its body schema and
 * how many fds it may carry. A process's dispatch table (ipc/dispatch.h) says which of these it
 * accepts and when; this file only says what they look like.
 *
 * Envelope: every message is a msgpack map with "type" (uint) and "id" (uint; a reply carries
 * the id of its request), plus the body's fields. */
#ifndef BERTH_IPC_MSG_H
#define BERTH_IPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/codec.h"

#define BERTH_PROTOCOL_VERSION 1

/* Channel limits: a packet larger than this is a protocol violation, checked before any
 * allocation. Bulk data never travels inline (it goes as an fd). */
#define IPC_MAX_MSG_FRONTEND (256 * 1024) /* frontend <-> broker */
#define IPC_MAX_MSG_WORKER (64 * 1024)    /* broker <-> worker */
#define IPC_MAX_FDS 4

#define IPC_PATH_MAX 4096
#define IPC_NAME_MAX 256
#define IPC_TEXT_MAX 1024
#define IPC_ARGV_MAX 4096   /* elements of an argv or env vector */
#define IPC_ARG_MAX (128 * 1024)

enum ipc_msg_type {
	MSG_ERROR = 1,          /* any -> any: a request failed */
	MSG_HELLO = 2,          /* frontend -> broker: options; first message */
	MSG_HELLO_OK = 3,       /* broker -> frontend */
	MSG_INFO = 4,           /* frontend -> broker: `berth info` */
	MSG_INFO_REPLY = 5,     /* broker -> frontend */
	MSG_UNSHARE = 6,        /* frontend -> broker: run a command in the user namespace;
				   carries the frontend's stdin, stdout, stderr */
	MSG_UNSHARE_DONE = 7,   /* broker -> frontend: the command's exit status */
	MSG_W_INFO = 16,        /* broker -> worker: report role, sandbox state, libraries */
	MSG_W_INFO_REPLY = 17,  /* worker -> broker */
	MSG_TYPE_MAX = 17,
};

struct msg_error {
	uint64_t code;      /* enum berr_code */
	uint64_t sys_errno;
	char *message;
};

struct msg_hello {
	uint64_t protocol;  /* BERTH_PROTOCOL_VERSION: frontend and broker come from one build */
	char *root;         /* store root (graphroot), absolute */
	char *runroot;      /* runtime state root, absolute */
	uint64_t log_level;
	char *runtime;      /* --runtime, or NULL */
	char *tmpdir;       /* the user's runtime dir for berth (pause pid, locks), absolute */
};

struct msg_hello_ok {
	uint64_t rootless;
	uint64_t broker_pid;
};

struct msg_info {
	bool debug; /* unused today; keeps the body a map */
};

struct msg_runtime {
	char *name;
	char *path;
	char *version;  /* first line of `<runtime> --version`, or empty */
	char *status;   /* "ok" or why it cannot run containers on this host */
};

struct msg_worker_status {
	char *role;
	uint64_t pid;
	uint64_t uid;         /* as the worker sees it (inside the user namespace when rootless) */
	uint64_t seccomp;     /* /proc/self/status Seccomp: 0, 1 or 2 */
	uint64_t seccomp_filters;
	bool no_new_privs;
	char *cap_eff;        /* /proc/self/status CapEff, hex */
	char *cap_bnd;
	char *landlock;       /* "enforced (ABI n)", "not supported by the kernel", ... */
	char **libraries;     /* "libcurl 7.88.1", ... */
	size_t n_libraries;
	struct msg_runtime *runtimes; /* launch only */
	size_t n_runtimes;
};

struct msg_info_reply {
	char *version;
	char *arch;
	char *os;
	char *kernel;
	char *hostname;
	char *cgroup_version;   /* "v1", "v2" */
	char *cgroup_layout;    /* "unified", "hybrid", "legacy" */
	bool rootless;
	char **uid_map;         /* lines of /proc/self/uid_map as the broker sees it */
	size_t n_uid_map;
	char **gid_map;
	size_t n_gid_map;
	uint64_t pause_pid;     /* 0 when rootful */
	char *graph_root;
	char *run_root;
	char *state_db;
	uint64_t db_schema;
	char *graph_driver;
	char *default_runtime;  /* first runtime that works here, or empty */
	struct msg_runtime *runtimes;
	size_t n_runtimes;
	struct msg_worker_status *workers;
	size_t n_workers;
};

struct msg_unshare {
	char **argv;        /* empty: the user's shell */
	size_t n_argv;
	char **env;         /* the frontend's environment, "KEY=VALUE" */
	size_t n_env;
	char *cwd;
};

struct msg_unshare_done {
	int64_t status;     /* exit code as the shell reports it: code, or 128 + signal */
};

struct msg_w_info {
	bool debug;
};

/* The message type table. */
struct ipc_msgdef {
	uint32_t type;
	const char *name;
	const struct ipc_schema *schema;
	uint8_t max_fds;    /* 0: an fd on this message is a violation */
	uint8_t min_fds;
};

/* Returns the definition of a type, or NULL for an unknown type. */
const struct ipc_msgdef *ipc_msgdef(uint32_t type);

extern const struct ipc_schema msg_error_schema;
extern const struct ipc_schema msg_hello_schema;
extern const struct ipc_schema msg_hello_ok_schema;
extern const struct ipc_schema msg_info_schema;
extern const struct ipc_schema msg_info_reply_schema;
extern const struct ipc_schema msg_unshare_schema;
extern const struct ipc_schema msg_unshare_done_schema;
extern const struct ipc_schema msg_w_info_schema;
extern const struct ipc_schema msg_w_info_reply_schema;
extern const struct ipc_schema msg_runtime_schema;

#endif
