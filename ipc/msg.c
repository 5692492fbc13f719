#include "ipc/msg.h"

#include <stddef.h>

#include "common/cleanup.h"

/* Schemas: one table per body. Limits are the most a legitimate peer ever sends. */

static const struct ipc_field error_fields[] = {
	IPC_F_UINT(struct msg_error, code, true, 255),
	IPC_F_UINT(struct msg_error, sys_errno, true, 4095),
	IPC_F_STR(struct msg_error, message, true, IPC_TEXT_MAX),
};
const struct ipc_schema msg_error_schema = {
	"error", sizeof(struct msg_error), error_fields, ARRAY_SIZE(error_fields)
};

static const struct ipc_field hello_fields[] = {
	IPC_F_UINT(struct msg_hello, protocol, true, 0xffff),
	IPC_F_STR(struct msg_hello, root, true, IPC_PATH_MAX),
	IPC_F_STR(struct msg_hello, runroot, true, IPC_PATH_MAX),
	IPC_F_UINT(struct msg_hello, log_level, true, 6),
	IPC_F_STR(struct msg_hello, runtime, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_hello, tmpdir, true, IPC_PATH_MAX),
	IPC_F_STR(struct msg_hello, home, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_hello, config_home, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_hello, registries_conf, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_hello, containers_conf, false, IPC_PATH_MAX),
};
const struct ipc_schema msg_hello_schema = {
	"hello", sizeof(struct msg_hello), hello_fields, ARRAY_SIZE(hello_fields)
};

static const struct ipc_field hello_ok_fields[] = {
	IPC_F_UINT(struct msg_hello_ok, rootless, true, 1),
	IPC_F_UINT(struct msg_hello_ok, broker_pid, true, 0x7fffffff),
};
const struct ipc_schema msg_hello_ok_schema = {
	"hello-ok", sizeof(struct msg_hello_ok), hello_ok_fields, ARRAY_SIZE(hello_ok_fields)
};

static const struct ipc_field info_fields[] = {
	IPC_F_BOOL(struct msg_info, debug, false),
};
const struct ipc_schema msg_info_schema = {
	"info", sizeof(struct msg_info), info_fields, ARRAY_SIZE(info_fields)
};

static const struct ipc_field runtime_fields[] = {
	IPC_F_STR(struct msg_runtime, name, true, IPC_NAME_MAX),
	IPC_F_STR(struct msg_runtime, path, true, IPC_PATH_MAX),
	IPC_F_STR(struct msg_runtime, version, true, IPC_TEXT_MAX),
	IPC_F_STR(struct msg_runtime, status, true, IPC_TEXT_MAX),
};
const struct ipc_schema msg_runtime_schema = {
	"runtime", sizeof(struct msg_runtime), runtime_fields, ARRAY_SIZE(runtime_fields)
};

static const struct ipc_field worker_status_fields[] = {
	IPC_F_STR(struct msg_worker_status, role, true, 32),
	IPC_F_UINT(struct msg_worker_status, pid, true, 0x7fffffff),
	IPC_F_UINT(struct msg_worker_status, uid, true, 0xffffffff),
	IPC_F_UINT(struct msg_worker_status, seccomp, true, 2),
	IPC_F_UINT(struct msg_worker_status, seccomp_filters, true, 1024),
	IPC_F_BOOL(struct msg_worker_status, no_new_privs, true),
	IPC_F_STR(struct msg_worker_status, cap_eff, true, 16),
	IPC_F_STR(struct msg_worker_status, cap_bnd, true, 16),
	IPC_F_STR(struct msg_worker_status, landlock, true, 128),
	IPC_F_STRV(struct msg_worker_status, libraries, false, 16, 128),
	IPC_F_STRUCTV(struct msg_worker_status, runtimes, false, 8, &msg_runtime_schema),
};
const struct ipc_schema msg_w_info_reply_schema = {
	"worker-info-reply", sizeof(struct msg_worker_status), worker_status_fields,
	ARRAY_SIZE(worker_status_fields)
};

static const struct ipc_field info_reply_fields[] = {
	IPC_F_STR(struct msg_info_reply, version, true, 64),
	IPC_F_STR(struct msg_info_reply, arch, true, 64),
	IPC_F_STR(struct msg_info_reply, os, true, 64),
	IPC_F_STR(struct msg_info_reply, kernel, true, 256),
	IPC_F_STR(struct msg_info_reply, hostname, true, 256),
	IPC_F_STR(struct msg_info_reply, cgroup_version, true, 8),
	IPC_F_STR(struct msg_info_reply, cgroup_layout, true, 16),
	IPC_F_BOOL(struct msg_info_reply, rootless, true),
	IPC_F_STRV(struct msg_info_reply, uid_map, true, 340, 64),
	IPC_F_STRV(struct msg_info_reply, gid_map, true, 340, 64),
	IPC_F_UINT(struct msg_info_reply, pause_pid, true, 0x7fffffff),
	IPC_F_STR(struct msg_info_reply, graph_root, true, IPC_PATH_MAX),
	IPC_F_STR(struct msg_info_reply, run_root, true, IPC_PATH_MAX),
	IPC_F_STR(struct msg_info_reply, state_db, true, IPC_PATH_MAX),
	IPC_F_UINT(struct msg_info_reply, db_schema, true, 0xffff),
	IPC_F_STR(struct msg_info_reply, graph_driver, true, 32),
	IPC_F_STR(struct msg_info_reply, default_runtime, true, IPC_NAME_MAX),
	IPC_F_STRUCTV(struct msg_info_reply, runtimes, true, 8, &msg_runtime_schema),
	IPC_F_STRUCTV(struct msg_info_reply, workers, true, 16, &msg_w_info_reply_schema),
};
const struct ipc_schema msg_info_reply_schema = {
	"info-reply", sizeof(struct msg_info_reply), info_reply_fields,
	ARRAY_SIZE(info_reply_fields)
};

static const struct ipc_field unshare_fields[] = {
	IPC_F_STRV(struct msg_unshare, argv, true, IPC_ARGV_MAX, IPC_ARG_MAX),
	IPC_F_STRV(struct msg_unshare, env, true, IPC_ARGV_MAX, IPC_ARG_MAX),
	IPC_F_STR(struct msg_unshare, cwd, true, IPC_PATH_MAX),
};
const struct ipc_schema msg_unshare_schema = {
	"unshare", sizeof(struct msg_unshare), unshare_fields, ARRAY_SIZE(unshare_fields)
};

static const struct ipc_field unshare_done_fields[] = {
	{ "status", IPC_T_INT, true, 0, 0, offsetof(struct msg_unshare_done, status), 0, NULL },
};
const struct ipc_schema msg_unshare_done_schema = {
	"unshare-done", sizeof(struct msg_unshare_done), unshare_done_fields,
	ARRAY_SIZE(unshare_done_fields)
};

static const struct ipc_field w_info_fields[] = {
	IPC_F_BOOL(struct msg_w_info, debug, false),
};
const struct ipc_schema msg_w_info_schema = {
	"worker-info", sizeof(struct msg_w_info), w_info_fields, ARRAY_SIZE(w_info_fields)
};

static const struct ipc_msgdef msgdefs[] = {
	{ MSG_ERROR, "error", &msg_error_schema, 0, 0 },
	{ MSG_HELLO, "hello", &msg_hello_schema, 0, 0 },
	{ MSG_HELLO_OK, "hello-ok", &msg_hello_ok_schema, 0, 0 },
	{ MSG_INFO, "info", &msg_info_schema, 0, 0 },
	{ MSG_INFO_REPLY, "info-reply", &msg_info_reply_schema, 0, 0 },
	/* The frontend's stdin, stdout and stderr, so the command talks to the user's terminal
	 * directly and nothing is copied through the broker. */
	{ MSG_UNSHARE, "unshare", &msg_unshare_schema, 3, 3 },
	{ MSG_UNSHARE_DONE, "unshare-done", &msg_unshare_done_schema, 0, 0 },
	{ MSG_OK, "ok", &msg_ok_schema, 0, 0 },
	{ MSG_PULL, "pull", &msg_pull_schema, 0, 0 },
	{ MSG_PROGRESS, "progress", &msg_progress_schema, 0, 0 },
	{ MSG_PULL_DONE, "pull-done", &msg_pull_done_schema, 0, 0 },
	{ MSG_IMAGES, "images", &msg_images_schema, 0, 0 },
	{ MSG_IMAGES_REPLY, "images-reply", &msg_images_reply_schema, 0, 0 },
	{ MSG_IMAGE_INSPECT, "image-inspect", &msg_image_inspect_schema, 0, 0 },
	{ MSG_IMAGE_INSPECT_REPLY, "image-inspect-reply", &msg_image_inspect_reply_schema, 0, 0 },
	{ MSG_TAG, "tag", &msg_tag_schema, 0, 0 },
	{ MSG_UNTAG, "untag", &msg_tag_schema, 0, 0 },
	{ MSG_RMI, "rmi", &msg_rmi_schema, 0, 0 },
	{ MSG_RMI_REPLY, "rmi-reply", &msg_rmi_reply_schema, 0, 0 },
	{ MSG_PUSH, "push", &msg_push_schema, 0, 0 },
	{ MSG_LOGIN, "login", &msg_login_schema, 0, 0 },
	{ MSG_LOGOUT, "logout", &msg_logout_schema, 0, 0 },
	/* The archive or tarball, opened by the frontend as the user. */
	{ MSG_LOAD, "load", &msg_load_schema, 1, 1 },
	{ MSG_LOAD_REPLY, "load-reply", &msg_load_reply_schema, 0, 0 },
	{ MSG_IMPORT, "import", &msg_import_schema, 1, 1 },
	{ MSG_CREATE, "create", &msg_create_schema, 0, 0 },
	{ MSG_CREATE_REPLY, "create-reply", &msg_create_reply_schema, 0, 0 },
	/* Attached: the frontend's stdin, stdout and stderr, handed to the container, and with a
	 * terminal (-t) the read end of a pipe the frontend writes to on SIGWINCH. */
	{ MSG_START, "start", &msg_start_schema, 4, 0 },
	{ MSG_START_DONE, "start-done", &msg_start_done_schema, 0, 0 },
	{ MSG_PS, "ps", &msg_ps_schema, 0, 0 },
	{ MSG_PS_REPLY, "ps-reply", &msg_ps_reply_schema, 0, 0 },
	{ MSG_CRM, "container-rm", &msg_crm_schema, 0, 0 },
	{ MSG_CRM_REPLY, "container-rm-reply", &msg_crm_reply_schema, 0, 0 },
	{ MSG_CINSPECT, "container-inspect", &msg_cinspect_schema, 0, 0 },
	{ MSG_CINSPECT_REPLY, "container-inspect-reply", &msg_cinspect_reply_schema, 0, 0 },
	{ MSG_L_WAIT, "launch-wait", &msg_l_wait_schema, 0, 0 },
	{ MSG_L_WAIT_REPLY, "launch-wait-reply", &msg_l_wait_reply_schema, 0, 0 },
	{ MSG_CSIGNAL, "container-signal", &msg_csignal_schema, 0, 0 },
	{ MSG_CSIGNAL_REPLY, "container-signal-reply", &msg_csignal_reply_schema, 0, 0 },
	{ MSG_CWAIT, "container-wait", &msg_cwait_schema, 0, 0 },
	{ MSG_LOGS, "logs", &msg_logs_schema, 0, 0 },
	/* The rotated log (when there is one) and the current one, read-only. */
	{ MSG_LOGS_REPLY, "logs-reply", &msg_logs_reply_schema, 2, 0 },
	/* Attached: the frontend's stdin, stdout and stderr, handed to the process. */
	{ MSG_EXEC, "exec", &msg_exec_schema, 3, 0 },
	{ MSG_CPRUNE, "container-prune", &msg_cprune_schema, 0, 0 },
	{ MSG_L_STATUS, "launch-status", &msg_l_status_schema, 0, 0 },
	{ MSG_L_STATUS_REPLY, "launch-status-reply", &msg_l_status_reply_schema, 0, 0 },
	/* The client's end of a fresh socketpair. */
	{ MSG_L_CONNECT, "launch-connect", &msg_l_connect_schema, 1, 1 },
	{ MSG_L_KILL, "launch-kill", &msg_l_kill_schema, 0, 0 },
	{ MSG_L_ATTACH, "launch-attach", &msg_l_attach_schema, 0, 0 },
	{ MSG_L_OUTPUT, "launch-output", &msg_l_output_schema, 0, 0 },
	{ MSG_L_INPUT, "launch-input", &msg_l_input_schema, 0, 0 },
	{ MSG_L_RESIZE, "launch-resize", &msg_l_resize_schema, 0, 0 },
	{ MSG_ATTACH, "attach", &msg_attach_schema, 0, 0 },
	/* The channel to the container's monitor, already attached. */
	{ MSG_ATTACH_REPLY, "attach-reply", &msg_attach_reply_schema, 1, 1 },
	{ MSG_TRUST_SHOW, "trust-show", &msg_trust_show_schema, 0, 0 },
	/* With raw: the policy file the broker read, read-only. */
	{ MSG_TRUST_SHOW_REPLY, "trust-show-reply", &msg_trust_show_reply_schema, 1, 0 },
	{ MSG_TRUST_SET, "trust-set", &msg_trust_set_schema, 0, 0 },
	{ MSG_IMAGE_SIGN, "image-sign", &msg_image_sign_schema, 0, 0 },
	{ MSG_S_GPG_SIGN, "sign-gpg", &msg_s_gpg_sign_schema, 0, 0 },
	{ MSG_S_GPG_SIGN_REPLY, "sign-gpg-reply", &msg_s_gpg_sign_reply_schema, 0, 0 },
	/* One registries.d file, read-only. */
	{ MSG_V_REGD, "verify-regd", &msg_v_regd_schema, 1, 1 },
	{ MSG_V_REGD_REPLY, "verify-regd-reply", &msg_v_regd_reply_schema, 0, 0 },
	/* The key files named by the policy (or a sealed memfd of inline keyData), read-only. */
	{ MSG_V_KEY_UIDS, "verify-key-uids", &msg_v_key_uids_schema, 4, 1 },
	{ MSG_V_KEY_UIDS_REPLY, "verify-key-uids-reply", &msg_v_key_uids_reply_schema, 0, 0 },
	/* A lookaside signature and the requirement's keys (both read-only). */
	{ MSG_V_SIGNATURE, "verify-signature", &msg_v_signature_schema, 2, 2 },
	{ MSG_V_SIGNATURE_REPLY, "verify-signature-reply", &msg_v_signature_reply_schema, 0, 0 },
	/* The attachment manifest (a sealed memfd). */
	{ MSG_V_SIGATTACH, "verify-sigattach", &msg_v_sigattach_schema, 1, 1 },
	{ MSG_V_SIGATTACH_REPLY, "verify-sigattach-reply", &msg_v_sigattach_reply_schema, 0, 0 },
	/* A cosign payload blob and the requirement's keys (both sealed memfds). */
	{ MSG_V_SIGSTORE, "verify-sigstore", &msg_v_sigstore_schema, 2, 2 },
	{ MSG_V_SIGSTORE_REPLY, "verify-sigstore-reply", &msg_v_sigstore_reply_schema, 0, 0 },
	{ MSG_W_INFO, "worker-info", &msg_w_info_schema, 0, 0 },
	{ MSG_W_INFO_REPLY, "worker-info-reply", &msg_w_info_reply_schema, 0, 0 },
	/* The output file, and optionally the registry's extra CA certificates and a client
	 * certificate with its key. */
	{ MSG_F_GET, "fetch-get", &msg_f_get_schema, 4, 1 },
	{ MSG_F_GET_REPLY, "fetch-get-reply", &msg_f_get_reply_schema, 0, 0 },
	/* The content to upload (read-only), and optionally the registry's CA certificates and a
	 * client certificate with its key. */
	{ MSG_F_PUT, "fetch-put", &msg_f_put_schema, 4, 1 },
	{ MSG_F_PUT_REPLY, "fetch-put-reply", &msg_f_put_reply_schema, 0, 0 },
	{ MSG_F_PROGRESS, "fetch-progress", &msg_f_progress_schema, 0, 0 },
	/* The stored bytes to parse, read-only. */
	{ MSG_V_MANIFEST, "verify-manifest", &msg_v_manifest_schema, 1, 1 },
	{ MSG_V_MANIFEST_REPLY, "verify-manifest-reply", &msg_v_manifest_reply_schema, 0, 0 },
	{ MSG_V_CONFIG, "verify-config", &msg_v_config_schema, 1, 1 },
	{ MSG_V_CONFIG_REPLY, "verify-config-reply", &msg_v_config_reply_schema, 0, 0 },
	{ MSG_V_ARCHIVE, "verify-archive", &msg_v_archive_schema, 1, 1 },
	{ MSG_V_ARCHIVE_REPLY, "verify-archive-reply", &msg_v_archive_reply_schema, 0, 0 },
	/* The container's /etc/passwd and /etc/group, each only when it exists, read-only. */
	{ MSG_V_USER, "verify-user", &msg_v_user_schema, 2, 0 },
	{ MSG_V_USER_REPLY, "verify-user-reply", &msg_v_user_reply_schema, 0, 0 },
	/* The verified blob, read-only. (The layer directory is given at spawn, at fd 5, so the
	 * worker's Landlock ruleset can name it.) */
	{ MSG_U_LAYER, "unpack-layer", &msg_u_layer_schema, 1, 1 },
	{ MSG_U_LAYER_REPLY, "unpack-layer-reply", &msg_u_layer_reply_schema, 0, 0 },
	/* The archive, read-only; the staging directory is given at spawn, at fd 5. */
	{ MSG_U_ARCHIVE, "unpack-archive", &msg_u_archive_schema, 1, 1 },
	{ MSG_U_ARCHIVE_REPLY, "unpack-archive-reply", &msg_u_archive_reply_schema, 0, 0 },
	/* Both trees are beneath the directory given at spawn, at fd 5. */
	{ MSG_U_SHIFT, "unpack-shift", &msg_u_shift_schema, 0, 0 },
	{ MSG_U_SHIFT_REPLY, "unpack-shift-reply", &msg_u_shift_reply_schema, 0, 0 },
	/* The output the frontend opened as the user. */
	{ MSG_SAVE, "save", &msg_save_schema, 1, 1 },
	/* The output, passed on by the broker. */
	{ MSG_U_PACK, "unpack-pack", &msg_u_pack_schema, 1, 1 },
	/* A file entry's content, read-only (a stored blob or a sealed memfd); none for a
	 * directory or the end. */
	{ MSG_U_PACK_ENTRY, "unpack-pack-entry", &msg_u_pack_entry_schema, 1, 0 },
	{ MSG_U_PACK_REPLY, "unpack-pack-reply", &msg_u_pack_reply_schema, 0, 0 },
};

const struct ipc_msgdef *ipc_msgdef(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(msgdefs); i++)
		if (msgdefs[i].type == type)
			return &msgdefs[i];
	return NULL;
}
