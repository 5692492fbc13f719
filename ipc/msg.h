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
/* broker <-> worker: a parsed image config with a long history is the largest reply. Kept
 * under the default AF_UNIX send buffer (net.core.wmem_default, 208 KiB), the real bound on
 * one SOCK_SEQPACKET message. */
#define IPC_MAX_MSG_WORKER (192 * 1024)
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
	MSG_OK = 8,             /* broker -> frontend: done, nothing to report */
	MSG_PULL = 9,           /* frontend -> broker: `berth pull` */
	MSG_PROGRESS = 10,      /* broker -> frontend: a progress line for the running request */
	MSG_PULL_DONE = 11,     /* broker -> frontend: the image ID */
	MSG_IMAGES = 12,        /* frontend -> broker: list images */
	MSG_IMAGES_REPLY = 13,
	MSG_IMAGE_INSPECT = 14, /* frontend -> broker: one image's details */
	MSG_IMAGE_INSPECT_REPLY = 15,
	MSG_TAG = 18,           /* frontend -> broker: add names to an image */
	MSG_UNTAG = 19,         /* frontend -> broker: remove names (all when none given) */
	MSG_RMI = 20,           /* frontend -> broker: remove images */
	MSG_RMI_REPLY = 21,
	MSG_PUSH = 22,          /* frontend -> broker: `berth push`; answered by MSG_OK */
	MSG_LOGIN = 23,         /* frontend -> broker: check credentials, store them in auth.json */
	MSG_LOGOUT = 24,        /* frontend -> broker: remove them; both answered by MSG_OK */
	MSG_LOAD = 26,          /* frontend -> broker: `berth load`, the archive as fds[0] */
	MSG_LOAD_REPLY = 27,    /* broker -> frontend: what was loaded */
	MSG_IMPORT = 28,        /* frontend -> broker: `berth import`, the tarball as fds[0];
				   answered by MSG_PULL_DONE */
	MSG_SAVE = 25,          /* frontend -> broker: `berth save`; fds[0] = the output the
				   frontend opened; answered by MSG_OK */
	MSG_CREATE = 80,        /* frontend -> broker: `berth create`/`run`: a container */
	MSG_CREATE_REPLY = 81,  /* broker -> frontend: its ID and name */
	MSG_START = 82,         /* frontend -> broker: start one; attached: fds = the frontend's
				   stdin, stdout, stderr */
	MSG_START_DONE = 83,    /* broker -> frontend: attached: the container's exit code */
	MSG_PS = 84,            /* frontend -> broker: list containers */
	MSG_PS_REPLY = 85,
	MSG_CRM = 86,           /* frontend -> broker: remove containers */
	MSG_CRM_REPLY = 87,
	MSG_CINSPECT = 88,      /* frontend -> broker: one container's record and config.json */
	MSG_CINSPECT_REPLY = 89,
	MSG_CSIGNAL = 90,       /* frontend -> broker: `stop` / `kill` containers */
	MSG_CSIGNAL_REPLY = 91, /* broker -> frontend: the ones done */
	MSG_CWAIT = 92,         /* frontend -> broker: wait for one container; MSG_START_DONE */
	MSG_LOGS = 94,          /* frontend -> broker: a container's log files */
	MSG_LOGS_REPLY = 95,    /* broker -> frontend: fds = the rotated and the current log;
				   with follow, a second reply (done) when the container exited */
	MSG_EXEC = 98,          /* frontend -> broker: run a process in a running container;
				   attached: fds = the frontend's stdio; MSG_START_DONE */
	MSG_CPRUNE = 100,       /* frontend -> broker: remove stopped containers; MSG_CRM_REPLY */
	MSG_W_INFO = 16,        /* broker -> worker: report role, sandbox state, libraries */
	MSG_W_INFO_REPLY = 17,  /* worker -> broker */

	/* berth-fetch: the registry client. */
	MSG_F_GET = 32,         /* broker -> fetch: GET (or HEAD) a manifest or blob into fds[0] */
	MSG_F_GET_REPLY = 33,   /* fetch -> broker */
	MSG_F_PUT = 34,         /* broker -> fetch: upload a blob or a manifest from fds[0] */
	MSG_F_PUT_REPLY = 35,   /* fetch -> broker */
	MSG_F_PROGRESS = 36,    /* fetch -> broker: bytes of a download so far (same id) */

	/* berth-verify: untrusted image metadata. */
	MSG_V_MANIFEST = 48,    /* broker -> verify: parse the manifest or index in fds[0] */
	MSG_V_MANIFEST_REPLY = 49,
	MSG_V_CONFIG = 50,      /* broker -> verify: parse the image config in fds[0] */
	MSG_V_CONFIG_REPLY = 51,
	MSG_V_ARCHIVE = 52,     /* broker -> verify: parse a docker-archive manifest.json (fds[0]) */
	MSG_V_ARCHIVE_REPLY = 53,
	MSG_V_USER = 54,        /* broker -> verify: resolve a user spec in the container's
				   /etc/passwd and /etc/group (fds: those present, in that order) */
	MSG_V_USER_REPLY = 55,
	MSG_V_KEY_UIDS = 56,    /* broker -> verify: user IDs and primary fingerprints of the
				   OpenPGP public key files in fds (1 to 4), for `image trust
				   show` and for checking the key a signature was accepted by */
	MSG_V_KEY_UIDS_REPLY = 57,
	MSG_V_SIGNATURE = 58,   /* broker -> verify (its gpg mode): is the simple-signing signature
				   in fds[0], by a key in fds[1], one for this image? */
	MSG_V_SIGNATURE_REPLY = 59,
	MSG_V_SIGATTACH = 60,   /* broker -> verify: parse the sigstore attachment manifest (the
				   "sha256-<hex>.sig" tag) in fds[0] */
	MSG_V_SIGATTACH_REPLY = 61,
	MSG_V_SIGSTORE = 62,    /* broker -> verify: is the cosign signature over the payload in
				   fds[0], by a key in fds[1], one for this image? */
	MSG_V_SIGSTORE_REPLY = 63,

	/* berth-unpack: one layer. */
	MSG_U_LAYER = 64,       /* broker -> unpack: extract blob fds[0] into the layer dir (fd 5) */
	MSG_U_LAYER_REPLY = 65,
	MSG_U_PACK = 66,        /* broker -> unpack: start a tar archive on fds[0] (`berth save`) */
	MSG_U_PACK_ENTRY = 67,  /* broker -> unpack: one entry from fds[0], or the end */
	MSG_U_PACK_REPLY = 68,  /* unpack -> broker: the answer to each of the two */
	MSG_L_WAIT = 96,        /* broker -> launch: wait for the container started at spawn */
	MSG_L_WAIT_REPLY = 97,  /* launch -> broker: how it ended */
	MSG_L_STATUS = 102,     /* broker -> launch: did the runtime start the container? */
	MSG_L_STATUS_REPLY = 103,
	MSG_L_CONNECT = 104,    /* client -> monitor, on its control socket: fds[0] is a fresh
				   channel for this client's requests (no reply) */
	MSG_L_KILL = 105,       /* client -> monitor: signal the container; MSG_OK */
	MSG_L_ATTACH = 106,     /* client -> monitor: send me the container's output; MSG_OK */
	MSG_L_OUTPUT = 107,     /* monitor -> attached client: a piece of output (id 0) */
	MSG_L_INPUT = 108,      /* attached client -> monitor: input for the container (no reply) */
	MSG_L_RESIZE = 109,     /* attached client -> monitor: the terminal's size (no reply) */
	MSG_ATTACH = 110,       /* frontend -> broker: `berth attach` */
	MSG_ATTACH_REPLY = 111, /* broker -> frontend: fds[0] = a channel to the monitor, attached */
	MSG_U_ARCHIVE = 69,     /* broker -> unpack: stage archive fds[0]'s files in the dir (fd 5) */
	MSG_U_ARCHIVE_REPLY = 70,
	MSG_U_SHIFT = 71,       /* broker -> unpack: copy "src" to "root" beneath the dir (fd 5),
				   owners shifted (--userns=nomap) */
	MSG_U_SHIFT_REPLY = 72,
	MSG_TRUST_SHOW = 112,   /* frontend -> broker: `berth image trust show` */
	MSG_TRUST_SHOW_REPLY = 113, /* broker -> frontend: the policy as rows; with raw, fds[0]
				   is the policy file that was read (read-only) */
	MSG_TRUST_SET = 114,    /* frontend -> broker: `berth image trust set`; MSG_OK */
	MSG_IMAGE_SIGN = 115,   /* frontend -> broker: `berth image sign`; MSG_OK */

	/* berth-sign: the user's signing keys. */
	MSG_S_GPG_SIGN = 116,   /* broker -> sign: an OpenPGP signed message of a payload berth made */
	MSG_S_GPG_SIGN_REPLY = 117,
	MSG_V_REGD = 118,       /* broker -> verify: parse the registries.d file in fds[0] */
	MSG_V_REGD_REPLY = 119,
	MSG_TYPE_MAX = 119,
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
	char *home;         /* the user's home, for user configuration (certs.d, registries.conf) */
	char *config_home;  /* $XDG_CONFIG_HOME, or NULL */
	char *registries_conf; /* $CONTAINERS_REGISTRIES_CONF, or NULL */
	char *containers_conf; /* $CONTAINERS_CONF, or NULL */
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

/* ---- images (frontend <-> broker) -------------------------------------------------------- */

struct msg_ok {
	bool debug;
};

enum tri { TRI_UNSET = 0, TRI_TRUE = 1, TRI_FALSE = 2 };

struct msg_pull {
	char *reference;     /* as the user typed it */
	uint64_t tls_verify; /* enum tri: --tls-verify, unset = registries.conf decides */
	char *creds;         /* --creds "user[:password]", or NULL; wiped after use */
	char *authfile;      /* --authfile, or NULL */
	char *cert_dir;      /* --cert-dir: CA certificates (*.crt) for the registry, or NULL */
	char *os;            /* --os / --platform, or NULL: the host's */
	char *arch;
	char *variant;
	bool quiet;
	char *policy_path;   /* --signature-policy, or NULL: the lookup order (broker/trustcheck.h) */
};

struct msg_progress {
	char *line;          /* one line for stderr, already worded for the user, or NULL */
	char *layer;         /* byte progress of this blob (short hex), or NULL */
	uint64_t current;
	uint64_t total;      /* 0: unknown */
};

struct msg_pull_done {
	char *image_id;      /* 64 hex */
};

struct msg_images {
	bool all;
};

struct msg_image_summary {
	char *id;            /* 64 hex */
	char *digest;        /* manifest digest */
	char **names;        /* "registry/repo:tag" */
	size_t n_names;
	int64_t created;     /* seconds since the epoch, from the image config; 0 unknown */
	uint64_t size;       /* uncompressed layers */
	char *verified;      /* provenance of the trust decision; empty: not verified */
};

struct msg_images_reply {
	struct msg_image_summary *images;
	size_t n_images;
};

struct msg_image_inspect {
	char *name;          /* a name, an ID or an ID prefix */
};

struct msg_v_config_reply;

struct msg_layer_info {
	char *blob_digest;
	uint64_t size;       /* uncompressed bytes */
};

struct msg_image_inspect_reply {
	struct msg_image_summary *summary;        /* exactly one */
	size_t n_summary;
	struct msg_v_config_reply *config;        /* exactly one: the config as verify parsed it */
	size_t n_config;
	char *manifest_type;
	char **layer_digests;                     /* compressed blobs, in order */
	size_t n_layer_digests;
	struct msg_layer_info *layers;            /* per layer: blob and unpacked size */
	size_t n_layers;
};

struct msg_tag {
	char *image;
	char **names;        /* full references ("localhost/x:latest" after normalising) */
	size_t n_names;
};

struct msg_rmi {
	char **names;
	size_t n_names;
	bool force;
	bool all;
	bool prune;          /* image prune: images without names (with all: every image) */
};

struct msg_rmi_reply {
	char **untagged;
	size_t n_untagged;
	char **deleted;
	size_t n_deleted;
	char **missing;      /* names that matched nothing (exit status 1 as Podman) */
	size_t n_missing;
};

/* ---- berth-fetch ---------------------------------------------------------------------- */

enum fetch_kind {
	FETCH_MANIFEST = 1,
	FETCH_BLOB = 2,
	FETCH_PING = 3,      /* GET /v2/: login */
	FETCH_LOOKASIDE = 4, /* GET url, a lookaside signature (registries.d): no credentials */
};

/* One GET of a registry object. The broker names the registry and the object; fetch does the
 * HTTP, TLS and authentication (token exchange included) and writes the body, at most max_size
 * bytes, into fds[0] (a file the broker opened: a memfd for a manifest, a temp file in the
 * store for a blob). Then, in this order, the extra CA certificates (PEM) for this registry when
 * has_ca, and the client certificate and its private key (PEM, from certs.d NAME.cert and
 * NAME.key) when has_client_cert: fetch reads them from fds since Landlock keeps it out of the
 * user's certs.d. Exactly 1 + has_ca + 2 * has_client_cert fds. Credentials and the key, when
 * present, are wiped by both sides after use.
 * FETCH_LOOKASIDE: a plain GET of url (http:// exactly when plain_http, on host registry, whose
 * certs.d material the fds bring), repository and reference empty, never credentials; a 404
 * anywhere along its redirects is BERR_NOTFOUND, "no more signatures". */
struct msg_f_get {
	char *registry;      /* "host[:port]" as the broker resolved it (mirror or location) */
	char *repository;    /* "library/busybox" */
	uint64_t kind;       /* enum fetch_kind */
	char *reference;     /* tag or "sha256:<hex>" */
	char **accept;       /* media types for Accept (manifests) */
	size_t n_accept;
	bool tls_verify;
	bool plain_http;     /* TLS verification off and the registry does not speak TLS: http:// */
	bool head;           /* HEAD only: size, media type and digest, no body */
	uint64_t max_size;   /* refuse bodies larger than this before writing them whole */
	char *username;      /* NULL: anonymous */
	char *password;      /* or an identity token; NULL with username NULL */
	bool has_ca;         /* fds[1] holds CA certificates */
	bool has_client_cert;/* the next two fds: client certificate, then its key */
	char *url;           /* FETCH_LOOKASIDE only: the whole URL */
};

struct msg_f_get_reply {
	uint64_t http_status;
	char *media_type;    /* Content-Type, or empty */
	char *digest;        /* Docker-Content-Digest header, or empty: evidence only */
	uint64_t size;       /* bytes written to fds[0] (HEAD: Content-Length) */
};

/* One upload. Blobs: HEAD first (already there: nothing sent, existed = true), then a
 * cross-repository mount when mount_from names a repository on the same registry, else an
 * upload session (POST, then one PUT for small blobs or PATCH chunks and a final PUT). The body
 * is fds[0] (read-only, from offset 0, exactly size bytes); then the CA certificates and the
 * client certificate and key as for MSG_F_GET. Manifests: PUT to reference (a tag or a digest) with media_type. Push scope
 * (pull,push) for tokens. */
struct msg_f_put {
	char *registry;
	char *repository;
	uint64_t kind;       /* enum fetch_kind */
	char *reference;     /* blob: its digest; manifest: tag or digest */
	char *media_type;    /* manifests: Content-Type */
	uint64_t size;
	char *mount_from;    /* blob: another repository on the same registry, or NULL */
	bool tls_verify;
	bool plain_http;     /* as for MSG_F_GET */
	char *username;
	char *password;
	bool has_ca;
	bool has_client_cert;
};

struct msg_f_progress {
	uint64_t done;
	uint64_t total;      /* 0: unknown */
};

struct msg_f_put_reply {
	uint64_t http_status;
	bool existed;        /* the registry had the blob already (HEAD) or mounted it */
	char *digest;        /* Docker-Content-Digest of the stored object, or empty */
};

struct msg_push {
	char *source;        /* local image: name, ID or ID prefix */
	char *destination;   /* where to: a full reference; NULL: the source name */
	uint64_t tls_verify; /* enum tri */
	char *creds;
	char *cert_dir;
	char *authfile;      /* auth.json to read credentials from when no --creds */
	bool quiet;
	char *sign_by;       /* --sign-by: an OpenPGP key fingerprint (hex), or NULL */
	char *sign_passphrase; /* --sign-passphrase-file's first line, or NULL; wiped after use */
	char *gnupghome;     /* with sign_by: $GNUPGHOME or ~/.gnupg of the user, absolute */
	struct ipc_bin sigstore_key; /* --sign-by-sigstore-private-key's content (read by the
				   frontend as the user), or empty; wiped after use */
	char *sigstore_key_path; /* that file's name, for messages */
};

/* `berth image sign`: simple-signing signatures of images already in a registry, written to
 * directory or to their registries.d staging location. */
struct msg_image_sign {
	char **images;       /* docker://REF or REF */
	size_t n_images;
	char *sign_by;       /* an OpenPGP key fingerprint (hex) */
	char *directory;     /* --directory, absolute, or NULL */
	char *cert_dir;
	char *authfile;
	uint64_t tls_verify; /* enum tri */
	char *gnupghome;     /* $GNUPGHOME or ~/.gnupg of the user, absolute */
};

struct msg_login {
	char *registry;      /* host[:port] */
	char *username;
	char *password;      /* wiped after use */
	char *authfile;      /* where to store them */
	uint64_t tls_verify; /* enum tri */
	char *cert_dir;
};

struct msg_logout {
	char *registry;      /* NULL with all */
	char *authfile;
	bool all;
};

/* ---- berth-verify ---------------------------------------------------------------------- */

enum manifest_kind { MANIFEST_IMAGE = 1, MANIFEST_INDEX = 2 };

struct msg_descriptor {
	char *media_type;
	char *digest;        /* "sha256:<64 hex>" or "sha512:<128 hex>" */
	uint64_t size;
	char *os;            /* index entries: platform; else NULL */
	char *architecture;
	char *variant;
	char *ref_name;      /* index entries: the org.opencontainers.image.ref.name annotation */
};

struct msg_v_manifest {
	char *media_type;    /* Content-Type the registry or archive claimed, or empty */
};

struct msg_v_manifest_reply {
	uint64_t kind;       /* enum manifest_kind */
	char *media_type;    /* the manifest's own, checked against the claim */
	uint64_t schema_version;
	struct msg_descriptor *config;      /* image manifests: exactly one */
	size_t n_config;
	struct msg_descriptor *layers;      /* image manifests, in order */
	size_t n_layers;
	struct msg_descriptor *manifests;   /* indexes */
	size_t n_manifests;
};

struct msg_history {
	char *created;
	char *created_by;
	char *comment;
	bool empty_layer;
};

struct msg_v_config {
	bool debug;
};

struct msg_v_config_reply {
	char *architecture;
	char *os;
	char *variant;
	char *created;       /* RFC 3339 as in the config, or empty */
	char *author;
	char **diff_ids;     /* rootfs.diff_ids, in order */
	size_t n_diff_ids;
	char **env;
	size_t n_env;
	char **cmd;
	size_t n_cmd;
	char **entrypoint;
	size_t n_entrypoint;
	char *working_dir;
	char *user;
	char *stop_signal;
	char **labels;       /* "key=value" */
	size_t n_labels;
	char **exposed_ports;
	size_t n_exposed_ports;
	char **volumes;
	size_t n_volumes;
	struct msg_history *history;
	size_t n_history;
};

/* ---- berth-unpack ---------------------------------------------------------------------- */

/* One berth-unpack process per layer: the new, empty layer directory is its fd 5 from spawn on
 * (so its Landlock ruleset can grant that directory and nothing else); fds[0] of this request is
 * the verified blob (read-only). The worker extracts beneath fd 5 only, converting OCI whiteouts to the overlay form, and reports the
 * uncompressed stream's digest, which the broker compares with the config's diff_id. */
struct msg_u_layer {
	char *media_type;    /* the layer's media type (compression is also sniffed) */
	bool rootless;       /* user.overlay.* xattrs, no device nodes, no setuid/setgid */
	uint64_t max_bytes;  /* decompression-bomb limit on the uncompressed stream */
	uint64_t max_entries;
};

struct msg_u_layer_reply {
	char *diff_id;       /* "sha256:<hex>" of the uncompressed tar stream */
	uint64_t entries;
	uint64_t bytes;      /* uncompressed size */
	uint64_t skipped;    /* hostile or unsupported entries neutralised */
};

/* `berth load`: the frontend opened the archive (its -i file or its stdin) as the user. */
struct msg_load {
	bool quiet;
	char *policy_path;   /* --signature-policy, or NULL: the lookup order (broker/trustcheck.h) */
};

struct msg_load_reply {
	char **names;        /* one "Loaded image: " line each: a name, or "sha256:<id>" */
	size_t n_names;
};

/* `berth import`: a root filesystem tarball (fds[0]) becomes a one-layer image. The --change
 * instructions arrive parsed by the frontend; the broker writes the config. */
struct msg_import {
	char *reference;     /* NULL: the image gets no name */
	char *message;       /* history comment */
	char *os;
	char *arch;
	char *variant;
	bool has_cmd;
	char **cmd;
	size_t n_cmd;
	bool has_entrypoint;
	char **entrypoint;
	size_t n_entrypoint;
	char **env;          /* "KEY=value" */
	size_t n_env;
	char **labels;       /* "key=value" */
	size_t n_labels;
	char **exposed;      /* "80/tcp" */
	size_t n_exposed;
	char **volumes;
	size_t n_volumes;
	char *user;
	char *workdir;
	char *stop_signal;
	bool quiet;
};

/* One image of a docker-archive manifest.json: paths inside the archive. */
struct msg_archive_image {
	char *config;
	char **layers;
	size_t n_layers;
	char **repo_tags;    /* as written, unnormalised */
	size_t n_repo_tags;
};

struct msg_v_archive {
	bool debug;
};

struct msg_v_archive_reply {
	struct msg_archive_image *images;
	size_t n_images;
};

/* Staging an image archive: fds[0] is the archive, fd 5 the empty staging directory. */
/* MSG_U_SHIFT: workers/unpack/shift.h. No fds: both trees are beneath fd 5. */
struct msg_u_shift {
	uint64_t uid_shift, gid_shift;
	uint64_t max_uid, max_gid;   /* the highest IDs the namespace maps */
};
struct msg_u_shift_reply {
	uint64_t entries;
	uint64_t skipped;
};

struct msg_u_archive {
	uint64_t max_bytes;
	uint64_t max_files;
};

struct msg_archive_entry {
	char *path;          /* normalised path inside the archive */
	uint64_t file;       /* staged as "f<file>" in the staging directory */
	uint64_t size;
};

struct msg_u_archive_reply {
	struct msg_archive_entry *entries;
	size_t n_entries;
	uint64_t skipped;
};

/* ---- berth save (ipc/msg_archive.c) ----------------------------------------------------- */

enum save_format { SAVE_DOCKER_ARCHIVE = 1, SAVE_OCI_ARCHIVE = 2 };

/* fds[0]: where the archive goes, opened by the frontend as the user (an -o file it created,
 * or its own stdout). The broker never opens a path the user named. */
struct msg_save {
	char **images;       /* as typed. Without multi_image, images[0] is the image and the
				others are extra names for it in the archive (docker-archive) */
	size_t n_images;
	uint64_t format;     /* enum save_format */
	bool multi_image;    /* -m: every argument is an image */
	bool quiet;
};

/* berth-unpack without a layer directory writes one tar archive into the output fd it is given
 * with MSG_U_PACK, one MSG_U_PACK_ENTRY at a time, each answered by MSG_U_PACK_REPLY (or an
 * error, after which the archive is abandoned: the worker accepts nothing more). */
enum pack_kind {
	PACK_FILE = 1,       /* a regular file whose content is read from fds[0] */
	PACK_DIR = 2,        /* a directory; no fd */
	PACK_END = 3,        /* the end of the archive: no name, no fd; the output is closed */
};

struct msg_u_pack {
	int64_t mtime;       /* every entry's modification time (seconds since the epoch) */
};

struct msg_u_pack_entry {
	uint64_t kind;       /* enum pack_kind */
	char *name;          /* relative and clean ("blobs/sha256/<hex>"); NULL for PACK_END */
	uint64_t mode;       /* permission bits, at most 0777 */
	uint64_t size;       /* PACK_FILE: exactly the bytes the entry holds */
	bool decompress;     /* PACK_FILE: fds[0] is a layer blob (gzip, zstd or plain tar): the
				entry holds its uncompressed stream */
	char *digest;        /* PACK_FILE: "sha256:<hex>" the entry's bytes must have, or NULL */
};

struct msg_u_pack_reply {
	uint64_t bytes;      /* PACK_FILE: bytes written as content; PACK_END: archive size */
	char *digest;        /* PACK_FILE: "sha256:<hex>" of them; otherwise empty */
};

/* ---- containers (broker/containers.c, broker/run.c) ------------------------------------ */

/* `berth create` / `berth run`: what the user typed, as strings; the broker resolves the image
 * and has policy/spec.c check every value (its messages name the flags). */
struct msg_create {
	char *image;
	char *name;           /* --name; NULL: a generated one */
	char **args;          /* the command after the image */
	size_t n_args;
	char *entrypoint;     /* --entrypoint (JSON array or a string; "" clears) */
	char **env;           /* --env-file entries, then -e values, in order */
	size_t n_env;
	char **host_env;      /* the frontend's environment, for -e NAME and NAME* */
	size_t n_host_env;
	char *workdir;
	char *user;           /* -u uid[:gid] */
	char *hostname;
	char **labels;
	size_t n_labels;
	char **annotations;
	size_t n_annotations;
	bool tty;
	bool interactive;
	bool rm;
	bool read_only;
	bool privileged;
	char **cap_add;
	size_t n_cap_add;
	char **cap_drop;
	size_t n_cap_drop;
	char **security_opt;  /* no-new-privileges, mask=, unmask=, seccomp= */
	size_t n_security_opt;
	char *seccomp_profile; /* seccomp=PATH: the file's content, read by the frontend */
	char *memory;
	char *memory_swap;
	char *cpus;
	char *cpu_shares;
	char *pids_limit;
	char *shm_size;
	char **ulimits;
	size_t n_ulimits;
	char **tmpfs;
	size_t n_tmpfs;
	char **sysctls;
	size_t n_sysctls;
	char *network;        /* none | host | private (NULL: private) */
	char *runtime;        /* --runtime: a name on PATH or an absolute path */
	char *stop_signal;
	uint64_t stop_timeout; /* --stop-timeout; 0: the default 10 */
	/* Added later: all optional, so a container created before still decodes. */
	char **group_add;     /* --group-add: gids or names in the container's /etc/group */
	size_t n_group_add;
	bool env_host;        /* --env-host: host_env goes in under the image's Env */
	char *userns;         /* --userns: host | keep-id[:uid=U,gid=G] (NULL: host) */
	uint64_t init;        /* enum tri: --init; unset = containers.conf's init (stored as set) */
	char *init_path;      /* --init-path, absolute (stored: the binary the broker chose) */
	char *detach_keys;    /* --detach-keys, Podman's form (checked by the frontend and the
			       * monitor); NULL: ctrl-p,ctrl-q */
	/* containers.conf's part, filled in by the broker at create (whatever the frontend sent
	 * here is replaced), so the stored request keeps the configuration of that moment. */
	char **conf_env;      /* [containers] env */
	size_t n_conf_env;
	char **conf_caps;     /* [containers] default_capabilities, when conf_caps_set */
	size_t n_conf_caps;
	bool conf_caps_set;
	char *conf_seccomp;   /* the content of [containers] seccomp_profile, or NULL */
	char *conf_seccomp_path;
	char *conf_pids_limit; /* [containers] pids_limit, unless --pids-limit */
};

struct msg_create_reply {
	char *container_id;   /* 64 hex */
	char *name;
};

/* `berth start` (and the start half of `run`). */
struct msg_start {
	char *container;      /* name, ID or unique ID prefix */
	bool attach;          /* carries the frontend's stdio (3 fds); answered by MSG_START_DONE
				 when the container exits; else MSG_CREATE_REPLY at once */
};

struct msg_start_done {
	bool detached;        /* the user detached (ctrl-p ctrl-q): it runs on */
	int64_t exit_code;
	char *error;          /* 126/127 and the like: why the command could not run */
};

struct msg_ps {
	bool all;
	bool labels;          /* fill each summary's labels (--filter label=, {{.Labels}}) */
};

struct msg_container_summary {
	char *id;
	char *name;
	char *image;          /* the name the user gave at create, or the image ID */
	char *image_id;
	char **command;       /* the process args as the container runs them */
	size_t n_command;
	int64_t created;      /* unix seconds */
	char *state;          /* created | running | exited */
	int64_t exit_code;
	int64_t started;
	int64_t finished;
	int64_t pid;          /* running: the container's init pid as the runtime reported */
	char **labels;        /* "key=value" as given at create; only when asked for */
	size_t n_labels;
};

/* Sent in parts of at most PS_REPLY_CHUNK containers (one packet must stay small); every part
 * but the last says more. */
#define PS_REPLY_CHUNK 200
struct msg_ps_reply {
	struct msg_container_summary *containers;
	size_t n_containers;
	bool more;
};

struct msg_crm {
	char **names;
	size_t n_names;
	bool force;           /* -f: a running container is killed first */
	bool all;
};

struct msg_crm_reply {
	char **removed;       /* as the user named them (IDs for -a) */
	size_t n_removed;
	char **missing;       /* names that matched nothing */
	size_t n_missing;
};

struct msg_cinspect {
	char *container;
};

struct msg_cinspect_reply {
	struct msg_container_summary *summary;   /* exactly one */
	size_t n_summary;
	char *config_json;    /* the config.json berth generated (trusted: the broker's own) */
	char *runtime;
};

/* berth-verify: the container's user (workers/verify/passwd.h says how it is resolved). fds:
 * the container's /etc/passwd when has_passwd, then its /etc/group when has_group (regular
 * files the broker opened inside the container's root, read-only). */
struct msg_v_user {
	bool has_passwd;
	bool has_group;
	char *user;          /* -u, or the image's User: "name", "uid", either with ":group"/":gid" */
};

struct msg_user_group {
	uint64_t gid;
};

struct msg_v_user_reply {
	uint64_t uid;        /* 0 .. 4294967294 */
	uint64_t gid;
	char *home;          /* absolute, printable */
	struct msg_user_group *groups; /* supplementary gids, at most 64 */
	size_t n_groups;
};

/* berth-launch, spawned with `--run RUNTIME --runtime-root DIR --bundle DIR --id ID` and the
 * container's stdin, stdout and stderr at fds 5, 6, 7, starts `RUNTIME run` before its sandbox;
 * MSG_L_WAIT is answered when that process has exited. */
struct msg_l_wait {
	bool debug;
};

struct msg_l_wait_reply {
	bool detached;       /* attached run: the user detached; the container runs on */
	int64_t exit_code;   /* the runtime's exit status: the container's, or 128 + signal */
	int64_t signal;      /* the runtime was killed by this signal; 0 otherwise */
};

/* The monitor's control socket: berth-launch keeps the other end of its control socketpair at
 * this fd for the container's whole life. A broker that needs the monitor (stop, kill, wait,
 * logs -f) takes a copy with pidfd_getfd(2) and sends MSG_L_CONNECT over it: nothing listens
 * on a socket, nothing is in the filesystem, and only a process that may ptrace the monitor
 * (the user's own broker) can reach it. */
#define LAUNCH_CTL_FD 15

struct msg_csignal {
	char **names;         /* names, IDs or unique ID prefixes */
	size_t n_names;
	bool all;             /* -a: every running container */
	bool stop;            /* stop: signal, wait timeout seconds, then SIGKILL */
	char *signal;         /* kill -s / the stop signal; NULL: SIGKILL for kill, the
				 container's stop signal for stop */
	int64_t timeout;      /* stop -t; -1: the container's --stop-timeout */
};

struct msg_csignal_reply {
	char **done;
	size_t n_done;
};

struct msg_cwait {
	char *container;
	char *condition;      /* NULL/"stopped"/"exited": until it is not running; "running" */
};

struct msg_logs {
	char *container;
	bool follow;
};

struct msg_logs_reply {
	bool running;         /* follow: a second reply (done) comes when it exits */
	bool done;
};

struct msg_exec {
	char *container;
	char **args;
	size_t n_args;
	char **env;           /* -e / --env-file, as for create */
	size_t n_env;
	char **host_env;
	size_t n_host_env;
	char *user;
	char *workdir;
	bool privileged;
	bool detach;
	bool interactive;
	bool tty;
};

struct msg_cprune {
	bool debug;
};

struct msg_l_status {
	bool debug;
};

struct msg_l_status_reply {
	int64_t pid;          /* the container's init, in the monitor's pid namespace */
	char *error;          /* the runtime failed: what it said */
};

struct msg_l_connect {
	bool debug;
};

struct msg_l_kill {
	int64_t signal;
};

struct msg_l_attach {
	bool debug;
};

struct msg_l_output {
	uint64_t stream;      /* 1 stdout (and a terminal's output), 2 stderr */
	struct ipc_bin data;
};

struct msg_l_input {
	struct ipc_bin data;
	bool eof;             /* the client's input ended: the container's stdin is closed */
};

struct msg_l_resize {
	uint64_t rows, cols;
};

struct msg_attach {
	char *container;
	bool no_stdin;
};

struct msg_attach_reply {
	bool tty;             /* the container has a terminal: the frontend goes raw */
	bool interactive;     /* it takes input */
};

/* ---- image trust (ipc/msg_trust.c) ------------------------------------------------------ */

/* `berth image trust show`: the broker reads policy.json and registries.d (trusted
 * configuration: the broker decides which files) and answers with Podman's rows. */
struct msg_trust_show {
	char *policy_path;    /* --signature-policy / --policypath, or NULL: the lookup order */
	char *registries_d;   /* --registrypath, or NULL: the lookup order */
	bool raw;             /* --raw: the reply carries the file as fds[0] */
};

struct msg_trust_entry {
	char *transport;      /* "all" (default), "repository" (docker), or the transport */
	char *name;           /* "* (default)" or the scope */
	char *repo_name;      /* "default" or the scope */
	char *type;           /* accept | reject | signed | sigstoreSigned */
	char **keys;          /* key paths, or "keyData" for inline keys */
	size_t n_keys;
	char *gpg_id;         /* key identities (signed), "N/A" (sigstoreSigned), or "" */
	char *sigstore;       /* the lookaside location registries.d gives the scope, or "" */
};

struct msg_trust_show_reply {
	char *policy_path;    /* the file read; "" when none exists (berth then accepts) */
	struct msg_trust_entry *entries;
	size_t n_entries;
};

/* berth-verify: the user IDs of each key file sent (workers/verify/pgpuid.h), in fd order; a
 * key that cannot be read has an error instead, so the others still answer. */
struct msg_v_key_uids {
	bool debug;
};

/* MSG_V_REGD: one registries.d file (fds[0], read-only), parsed by berth-verify
 * (workers/verify/regd_yaml.h); the broker checks the entries again (regd_file_check) and
 * merges them. */
struct msg_v_regd {
	char *path;              /* the file's name, for messages */
};

struct msg_regd_entry {
	bool is_default;         /* default-docker; else scope names the docker scope */
	char *scope;             /* NULL for default-docker */
	char *lookaside;         /* each location NULL when the file does not set it */
	char *lookaside_staging;
	char *sigstore;
	char *sigstore_staging;
	int64_t use_sigstore_attachments; /* -1 unset, 0, 1 */
};

struct msg_v_regd_reply {
	struct msg_regd_entry *entries;
	size_t n_entries;
};

struct msg_key_uids {
	char **uids;          /* printable ASCII, at most 16 of at most 256 bytes */
	size_t n_uids;
	char **fingerprints;  /* primary key fingerprints, upper-case hex (40 or 64), at most 8 */
	size_t n_fingerprints;
	char *error;          /* why this key gave no IDs, or NULL */
};

struct msg_v_key_uids_reply {
	struct msg_key_uids *keys;  /* one per fd of the request */
	size_t n_keys;
};

/* One lookaside signature against a signedBy requirement (broker/trustcheck.h). fds[0] is the
 * signature (untrusted bytes: a sealed memfd or a read-only file), fds[1] the requirement's
 * public keys, concatenated by the broker (trusted configuration, not parsed there). */
struct msg_v_signature {
	char *manifest_digest;   /* the pulled manifest's, "sha256:<hex>" */
	char *reference;         /* the image pulled, with its domain */
	uint64_t identity;       /* enum trust_identity_type: the requirement's signedIdentity */
	char *identity_reference; /* exactReference / exactRepository, else NULL */
	char *identity_prefix;   /* remapIdentity, else NULL */
	char *identity_signed_prefix;
};

struct msg_v_signature_reply {
	bool accepted;
	char *fingerprint;       /* the signing key's primary fingerprint (hex), when known */
	char *reason;            /* why it was not accepted, worded for the user, else NULL */
};

/* The sigstore attachment manifest of an image (broker/sigstore.h): an OCI image manifest whose
 * layers are the signatures. fds[0] is the manifest (a sealed memfd). */
struct msg_v_sigattach {
	char *media_type;        /* Content-Type the registry claimed, or empty */
};

/* One annotation of a layer, verbatim, so that `push --sign-by-sigstore-private-key` can write
 * the old layers again when it appends a signature (containers/image keeps them as they are). */
struct msg_sigattach_annotation {
	char *key;
	char *value;
};

struct msg_sigattach_layer {
	char *media_type;        /* the layer's, as written (printable ASCII) */
	char *digest;            /* the payload blob's: "sha256:<hex>" or "sha512:<hex>" */
	uint64_t size;
	char *signature;         /* dev.cosignproject.cosign/signature: base64, or NULL */
	bool has_certificate;    /* dev.sigstore.cosign/certificate or .../chain is there */
	bool has_bundle;         /* dev.sigstore.cosign/bundle (a Rekor entry) is there */
	struct msg_sigattach_annotation *annotations; /* all of them, in the document's order;
				    NULL when none, or when they were too many or too large to carry
				    (then the reply's unkept says so) */
	size_t n_annotations;
};

struct msg_v_sigattach_reply {
	struct msg_sigattach_layer *layers;
	size_t n_layers;
	char *unkept;            /* NULL, or the first part of the manifest this reply does not
				    carry (e.g. "subject", "layers[0].urls", "layers[3].annotations
				    (too large)"), printable ASCII: a manifest written again from
				    this reply would lose it, so berth does not append to it */
};

/* One cosign signature against a sigstoreSigned requirement. fds[0] is the payload blob (its
 * digest checked by the broker), fds[1] the requirement's PEM public keys, concatenated by the
 * broker (trusted configuration, not parsed there). */
struct msg_v_sigstore {
	char *manifest_digest;   /* the pulled manifest's, "sha256:<hex>" */
	char *reference;         /* the image pulled, with its domain */
	uint64_t identity;       /* enum trust_identity_type: the requirement's signedIdentity */
	char *identity_reference; /* exactReference / exactRepository, else NULL */
	char *identity_prefix;   /* remapIdentity, else NULL */
	char *identity_signed_prefix;
	char *signature;         /* the layer's signature annotation (base64), untrusted */
};

struct msg_v_sigstore_reply {
	bool accepted;
	char *key_sha256;        /* accepted: sha256 (64 hex) of the DER SubjectPublicKeyInfo of the
				    key that verified it; else NULL */
	uint64_t key_index;      /* accepted: which key of fds[1], from 0 */
	char *reason;            /* why it was not accepted, worded for the user, else NULL */
};

/* berth-sign: sign payload (a containers-signature(5) document the broker made) with the
 * secret key fingerprint of the GnuPG home berth-sign was started with. */
struct msg_s_gpg_sign {
	struct ipc_bin payload;
	char *fingerprint;       /* hex, 16 to 40 digits */
	char *passphrase;        /* for loopback pinentry, or NULL; wiped by both sides */
};

struct msg_s_gpg_sign_reply {
	struct ipc_bin signature; /* the OpenPGP signed message, binary */
	char *fingerprint;        /* the primary fingerprint of the key that signed */
};

/* `berth image trust set`: one scope's requirements replaced, as Podman's AddPolicyEntries. */
struct msg_trust_set {
	char *policy_path;    /* --policypath / --signature-policy, or NULL: the lookup order */
	char *scope;          /* "default" or a docker scope */
	char *trust_type;     /* accept | insecureAcceptAnything | reject | signedBy |
				 sigstoreSigned */
	char **keys;          /* -f: absolute paths of public key files */
	size_t n_keys;
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
extern const struct ipc_schema msg_trust_show_schema;
extern const struct ipc_schema msg_trust_entry_schema;
extern const struct ipc_schema msg_trust_show_reply_schema;
extern const struct ipc_schema msg_trust_set_schema;
extern const struct ipc_schema msg_v_key_uids_schema;
extern const struct ipc_schema msg_v_signature_schema;
extern const struct ipc_schema msg_v_signature_reply_schema;
extern const struct ipc_schema msg_v_sigattach_schema;
extern const struct ipc_schema msg_sigattach_annotation_schema;
extern const struct ipc_schema msg_sigattach_layer_schema;
extern const struct ipc_schema msg_v_sigattach_reply_schema;
extern const struct ipc_schema msg_v_sigstore_schema;
extern const struct ipc_schema msg_v_sigstore_reply_schema;
extern const struct ipc_schema msg_image_sign_schema;
extern const struct ipc_schema msg_s_gpg_sign_schema;
extern const struct ipc_schema msg_s_gpg_sign_reply_schema;
extern const struct ipc_schema msg_key_uids_schema;
extern const struct ipc_schema msg_v_regd_schema;
extern const struct ipc_schema msg_regd_entry_schema;
extern const struct ipc_schema msg_v_regd_reply_schema;
extern const struct ipc_schema msg_v_key_uids_reply_schema;
extern const struct ipc_schema msg_cinspect_schema;
extern const struct ipc_schema msg_cinspect_reply_schema;
extern const struct ipc_schema msg_v_user_schema;
extern const struct ipc_schema msg_user_group_schema;
extern const struct ipc_schema msg_v_user_reply_schema;
extern const struct ipc_schema msg_l_wait_schema;
extern const struct ipc_schema msg_l_wait_reply_schema;
extern const struct ipc_schema msg_csignal_schema;
extern const struct ipc_schema msg_csignal_reply_schema;
extern const struct ipc_schema msg_cwait_schema;
extern const struct ipc_schema msg_logs_schema;
extern const struct ipc_schema msg_logs_reply_schema;
extern const struct ipc_schema msg_exec_schema;
extern const struct ipc_schema msg_cprune_schema;
extern const struct ipc_schema msg_l_status_schema;
extern const struct ipc_schema msg_l_status_reply_schema;
extern const struct ipc_schema msg_l_connect_schema;
extern const struct ipc_schema msg_l_kill_schema;
extern const struct ipc_schema msg_l_attach_schema;
extern const struct ipc_schema msg_l_output_schema;
extern const struct ipc_schema msg_l_input_schema;
extern const struct ipc_schema msg_l_resize_schema;
extern const struct ipc_schema msg_attach_schema;
extern const struct ipc_schema msg_attach_reply_schema;
extern const struct ipc_schema msg_create_schema;
extern const struct ipc_schema msg_create_reply_schema;
extern const struct ipc_schema msg_start_schema;
extern const struct ipc_schema msg_start_done_schema;
extern const struct ipc_schema msg_ps_schema;
extern const struct ipc_schema msg_container_summary_schema;
extern const struct ipc_schema msg_ps_reply_schema;
extern const struct ipc_schema msg_crm_schema;
extern const struct ipc_schema msg_crm_reply_schema;
extern const struct ipc_schema msg_load_schema;
extern const struct ipc_schema msg_load_reply_schema;
extern const struct ipc_schema msg_import_schema;
extern const struct ipc_schema msg_archive_image_schema;
extern const struct ipc_schema msg_v_archive_schema;
extern const struct ipc_schema msg_v_archive_reply_schema;
extern const struct ipc_schema msg_u_shift_schema;
extern const struct ipc_schema msg_u_shift_reply_schema;
extern const struct ipc_schema msg_u_archive_schema;
extern const struct ipc_schema msg_archive_entry_schema;
extern const struct ipc_schema msg_u_archive_reply_schema;
extern const struct ipc_schema msg_hello_schema;
extern const struct ipc_schema msg_hello_ok_schema;
extern const struct ipc_schema msg_info_schema;
extern const struct ipc_schema msg_info_reply_schema;
extern const struct ipc_schema msg_unshare_schema;
extern const struct ipc_schema msg_unshare_done_schema;
extern const struct ipc_schema msg_w_info_schema;
extern const struct ipc_schema msg_w_info_reply_schema;
extern const struct ipc_schema msg_runtime_schema;
extern const struct ipc_schema msg_ok_schema;
extern const struct ipc_schema msg_pull_schema;
extern const struct ipc_schema msg_progress_schema;
extern const struct ipc_schema msg_pull_done_schema;
extern const struct ipc_schema msg_images_schema;
extern const struct ipc_schema msg_image_summary_schema;
extern const struct ipc_schema msg_images_reply_schema;
extern const struct ipc_schema msg_image_inspect_schema;
extern const struct ipc_schema msg_image_inspect_reply_schema;
extern const struct ipc_schema msg_tag_schema;
extern const struct ipc_schema msg_rmi_schema;
extern const struct ipc_schema msg_rmi_reply_schema;
extern const struct ipc_schema msg_f_get_schema;
extern const struct ipc_schema msg_f_put_schema;
extern const struct ipc_schema msg_f_progress_schema;
extern const struct ipc_schema msg_f_put_reply_schema;
extern const struct ipc_schema msg_push_schema;
extern const struct ipc_schema msg_login_schema;
extern const struct ipc_schema msg_logout_schema;
extern const struct ipc_schema msg_f_get_reply_schema;
extern const struct ipc_schema msg_descriptor_schema;
extern const struct ipc_schema msg_v_manifest_schema;
extern const struct ipc_schema msg_v_manifest_reply_schema;
extern const struct ipc_schema msg_history_schema;
extern const struct ipc_schema msg_v_config_schema;
extern const struct ipc_schema msg_v_config_reply_schema;
extern const struct ipc_schema msg_u_layer_schema;
extern const struct ipc_schema msg_u_layer_reply_schema;
extern const struct ipc_schema msg_save_schema;
extern const struct ipc_schema msg_u_pack_schema;
extern const struct ipc_schema msg_u_pack_entry_schema;
extern const struct ipc_schema msg_u_pack_reply_schema;

/* Digest syntax: "sha256:" + 64 or "sha512:" + 128 lowercase hex. Pure. */
bool ipc_digest_valid(const char *s);

#endif
