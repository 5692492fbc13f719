/* Schemas of the container messages between the frontend and the broker. The create request
 * carries the user's strings; policy/spec.c bounds and checks their values. */
#include <stddef.h>

#include "common/cleanup.h"
#include "ipc/msg.h"

#define ID_MAX 64
#define NAME_MAX_LEN 255
#define ARG_MAX_LEN 65536
#define LIST_MAX 1024
#define VALUE_MAX 4096

static const struct ipc_field create_fields[] = {
	IPC_F_STR(struct msg_create, image, true, 512),
	IPC_F_STR(struct msg_create, name, false, NAME_MAX_LEN),
	IPC_F_STRV(struct msg_create, args, false, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STR(struct msg_create, entrypoint, false, ARG_MAX_LEN),
	IPC_F_STRV(struct msg_create, env, false, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STRV(struct msg_create, host_env, false, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STR(struct msg_create, workdir, false, VALUE_MAX),
	IPC_F_STR(struct msg_create, user, false, 256),
	IPC_F_STR(struct msg_create, hostname, false, 255),
	IPC_F_STRV(struct msg_create, labels, false, LIST_MAX, VALUE_MAX),
	IPC_F_STRV(struct msg_create, annotations, false, LIST_MAX, VALUE_MAX),
	IPC_F_BOOL(struct msg_create, tty, true),
	IPC_F_BOOL(struct msg_create, interactive, true),
	IPC_F_BOOL(struct msg_create, rm, true),
	IPC_F_BOOL(struct msg_create, read_only, true),
	IPC_F_BOOL(struct msg_create, privileged, true),
	IPC_F_STRV(struct msg_create, cap_add, false, 64, 64),
	IPC_F_STRV(struct msg_create, cap_drop, false, 64, 64),
	IPC_F_STRV(struct msg_create, security_opt, false, 64, VALUE_MAX),
	IPC_F_STR(struct msg_create, seccomp_profile, false, 192 * 1024),
	IPC_F_STR(struct msg_create, memory, false, 64),
	IPC_F_STR(struct msg_create, memory_swap, false, 64),
	IPC_F_STR(struct msg_create, cpus, false, 64),
	IPC_F_STR(struct msg_create, cpu_shares, false, 64),
	IPC_F_STR(struct msg_create, pids_limit, false, 64),
	IPC_F_STR(struct msg_create, shm_size, false, 64),
	IPC_F_STRV(struct msg_create, ulimits, false, 64, 128),
	IPC_F_STRV(struct msg_create, tmpfs, false, 64, VALUE_MAX),
	IPC_F_STRV(struct msg_create, sysctls, false, 64, VALUE_MAX),
	IPC_F_STR(struct msg_create, network, false, 64),
	IPC_F_STR(struct msg_create, runtime, false, VALUE_MAX),
	IPC_F_STR(struct msg_create, stop_signal, false, 32),
	IPC_F_UINT(struct msg_create, stop_timeout, true, 86400),
	IPC_F_STRV(struct msg_create, group_add, false, 64, 256),
	IPC_F_BOOL(struct msg_create, env_host, false),
	IPC_F_STR(struct msg_create, userns, false, 128),
	IPC_F_UINT(struct msg_create, init, false, 2),
	IPC_F_STR(struct msg_create, init_path, false, VALUE_MAX),
	IPC_F_STR(struct msg_create, detach_keys, false, 128),
	IPC_F_STRV(struct msg_create, conf_env, false, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STRV(struct msg_create, conf_caps, false, 64, 64),
	IPC_F_BOOL(struct msg_create, conf_caps_set, false),
	IPC_F_STR(struct msg_create, conf_seccomp, false, 192 * 1024),
	IPC_F_STR(struct msg_create, conf_seccomp_path, false, VALUE_MAX),
	IPC_F_STR(struct msg_create, conf_pids_limit, false, 32),
};
const struct ipc_schema msg_create_schema = {
	"create", sizeof(struct msg_create), create_fields, ARRAY_SIZE(create_fields)
};

static const struct ipc_field create_reply_fields[] = {
	IPC_F_STR(struct msg_create_reply, container_id, true, ID_MAX),
	IPC_F_STR(struct msg_create_reply, name, true, NAME_MAX_LEN),
};
const struct ipc_schema msg_create_reply_schema = {
	"create-reply", sizeof(struct msg_create_reply), create_reply_fields,
	ARRAY_SIZE(create_reply_fields)
};

static const struct ipc_field start_fields[] = {
	IPC_F_STR(struct msg_start, container, true, NAME_MAX_LEN),
	IPC_F_BOOL(struct msg_start, attach, true),
};
const struct ipc_schema msg_start_schema = {
	"start", sizeof(struct msg_start), start_fields, ARRAY_SIZE(start_fields)
};

static const struct ipc_field start_done_fields[] = {
	IPC_F_BOOL(struct msg_start_done, detached, false),
	IPC_F_INT(struct msg_start_done, exit_code, true),
	IPC_F_STR(struct msg_start_done, error, false, 1024),
};
const struct ipc_schema msg_start_done_schema = {
	"start-done", sizeof(struct msg_start_done), start_done_fields,
	ARRAY_SIZE(start_done_fields)
};

static const struct ipc_field ps_fields[] = {
	IPC_F_BOOL(struct msg_ps, all, true),
	IPC_F_BOOL(struct msg_ps, labels, false),
};
const struct ipc_schema msg_ps_schema = { "ps", sizeof(struct msg_ps), ps_fields,
					  ARRAY_SIZE(ps_fields) };

static const struct ipc_field container_summary_fields[] = {
	IPC_F_STR(struct msg_container_summary, id, true, ID_MAX),
	IPC_F_STR(struct msg_container_summary, name, true, NAME_MAX_LEN),
	IPC_F_STR(struct msg_container_summary, image, true, 512),
	IPC_F_STR(struct msg_container_summary, image_id, true, ID_MAX),
	IPC_F_STRV(struct msg_container_summary, command, true, 64, 1024),
	IPC_F_INT(struct msg_container_summary, created, true),
	IPC_F_STR(struct msg_container_summary, state, true, 16),
	IPC_F_INT(struct msg_container_summary, exit_code, true),
	IPC_F_INT(struct msg_container_summary, started, true),
	IPC_F_INT(struct msg_container_summary, finished, true),
	IPC_F_INT(struct msg_container_summary, pid, true),
	IPC_F_STRV(struct msg_container_summary, labels, false, LIST_MAX, VALUE_MAX),
};
const struct ipc_schema msg_container_summary_schema = {
	"container-summary", sizeof(struct msg_container_summary), container_summary_fields,
	ARRAY_SIZE(container_summary_fields)
};

static const struct ipc_field ps_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_ps_reply, containers, true, PS_REPLY_CHUNK,
		      &msg_container_summary_schema),
	IPC_F_BOOL(struct msg_ps_reply, more, true),
};
const struct ipc_schema msg_ps_reply_schema = {
	"ps-reply", sizeof(struct msg_ps_reply), ps_reply_fields, ARRAY_SIZE(ps_reply_fields)
};

static const struct ipc_field crm_fields[] = {
	IPC_F_STRV(struct msg_crm, names, false, LIST_MAX, NAME_MAX_LEN),
	IPC_F_BOOL(struct msg_crm, force, true),
	IPC_F_BOOL(struct msg_crm, all, true),
};
const struct ipc_schema msg_crm_schema = { "container-rm", sizeof(struct msg_crm), crm_fields,
					   ARRAY_SIZE(crm_fields) };

static const struct ipc_field crm_reply_fields[] = {
	IPC_F_STRV(struct msg_crm_reply, removed, true, 4096, NAME_MAX_LEN),
	IPC_F_STRV(struct msg_crm_reply, missing, true, LIST_MAX, NAME_MAX_LEN),
};
const struct ipc_schema msg_crm_reply_schema = {
	"container-rm-reply", sizeof(struct msg_crm_reply), crm_reply_fields,
	ARRAY_SIZE(crm_reply_fields)
};

static const struct ipc_field l_wait_fields[] = {
	IPC_F_BOOL(struct msg_l_wait, debug, false),
};
const struct ipc_schema msg_l_wait_schema = { "launch-wait", sizeof(struct msg_l_wait),
					      l_wait_fields, ARRAY_SIZE(l_wait_fields) };

static const struct ipc_field l_wait_reply_fields[] = {
	IPC_F_BOOL(struct msg_l_wait_reply, detached, false),
	IPC_F_INT(struct msg_l_wait_reply, exit_code, true),
	IPC_F_INT(struct msg_l_wait_reply, signal, true),
};
const struct ipc_schema msg_l_wait_reply_schema = {
	"launch-wait-reply", sizeof(struct msg_l_wait_reply), l_wait_reply_fields,
	ARRAY_SIZE(l_wait_reply_fields)
};

static const struct ipc_field csignal_fields[] = {
	IPC_F_STRV(struct msg_csignal, names, true, LIST_MAX, NAME_MAX_LEN),
	IPC_F_BOOL(struct msg_csignal, all, true),
	IPC_F_BOOL(struct msg_csignal, stop, true),
	IPC_F_STR(struct msg_csignal, signal, false, 32),
	IPC_F_INT(struct msg_csignal, timeout, true),
};
const struct ipc_schema msg_csignal_schema = { "container-signal", sizeof(struct msg_csignal),
					       csignal_fields, ARRAY_SIZE(csignal_fields) };

static const struct ipc_field csignal_reply_fields[] = {
	IPC_F_STRV(struct msg_csignal_reply, done, true, 4096, NAME_MAX_LEN),
};
const struct ipc_schema msg_csignal_reply_schema = {
	"container-signal-reply", sizeof(struct msg_csignal_reply), csignal_reply_fields,
	ARRAY_SIZE(csignal_reply_fields)
};

static const struct ipc_field cwait_fields[] = {
	IPC_F_STR(struct msg_cwait, container, true, NAME_MAX_LEN),
	IPC_F_STR(struct msg_cwait, condition, false, 32),
};
const struct ipc_schema msg_cwait_schema = { "container-wait", sizeof(struct msg_cwait),
					     cwait_fields, ARRAY_SIZE(cwait_fields) };

static const struct ipc_field logs_fields[] = {
	IPC_F_STR(struct msg_logs, container, true, NAME_MAX_LEN),
	IPC_F_BOOL(struct msg_logs, follow, true),
};
const struct ipc_schema msg_logs_schema = { "logs", sizeof(struct msg_logs), logs_fields,
					    ARRAY_SIZE(logs_fields) };

static const struct ipc_field logs_reply_fields[] = {
	IPC_F_BOOL(struct msg_logs_reply, running, true),
	IPC_F_BOOL(struct msg_logs_reply, done, true),
};
const struct ipc_schema msg_logs_reply_schema = { "logs-reply", sizeof(struct msg_logs_reply),
						  logs_reply_fields,
						  ARRAY_SIZE(logs_reply_fields) };

static const struct ipc_field exec_fields[] = {
	IPC_F_STR(struct msg_exec, container, true, NAME_MAX_LEN),
	IPC_F_STRV(struct msg_exec, args, true, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STRV(struct msg_exec, env, false, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STRV(struct msg_exec, host_env, false, LIST_MAX, ARG_MAX_LEN),
	IPC_F_STR(struct msg_exec, user, false, 256),
	IPC_F_STR(struct msg_exec, workdir, false, VALUE_MAX),
	IPC_F_BOOL(struct msg_exec, privileged, true),
	IPC_F_BOOL(struct msg_exec, detach, true),
	IPC_F_BOOL(struct msg_exec, interactive, true),
	IPC_F_BOOL(struct msg_exec, tty, true),
};
const struct ipc_schema msg_exec_schema = { "exec", sizeof(struct msg_exec), exec_fields,
					    ARRAY_SIZE(exec_fields) };

static const struct ipc_field cprune_fields[] = {
	IPC_F_BOOL(struct msg_cprune, debug, false),
};
const struct ipc_schema msg_cprune_schema = { "container-prune", sizeof(struct msg_cprune),
					      cprune_fields, ARRAY_SIZE(cprune_fields) };

/* berth-launch, the container's monitor. */
static const struct ipc_field l_status_fields[] = {
	IPC_F_BOOL(struct msg_l_status, debug, false),
};
const struct ipc_schema msg_l_status_schema = { "launch-status", sizeof(struct msg_l_status),
						l_status_fields, ARRAY_SIZE(l_status_fields) };

static const struct ipc_field l_status_reply_fields[] = {
	IPC_F_INT(struct msg_l_status_reply, pid, true),
	IPC_F_STR(struct msg_l_status_reply, error, false, VALUE_MAX),
};
const struct ipc_schema msg_l_status_reply_schema = {
	"launch-status-reply", sizeof(struct msg_l_status_reply), l_status_reply_fields,
	ARRAY_SIZE(l_status_reply_fields)
};

static const struct ipc_field l_connect_fields[] = {
	IPC_F_BOOL(struct msg_l_connect, debug, false),
};
const struct ipc_schema msg_l_connect_schema = { "launch-connect",
						 sizeof(struct msg_l_connect), l_connect_fields,
						 ARRAY_SIZE(l_connect_fields) };

static const struct ipc_field l_kill_fields[] = {
	IPC_F_INT(struct msg_l_kill, signal, true),
};
const struct ipc_schema msg_l_kill_schema = { "launch-kill", sizeof(struct msg_l_kill),
					      l_kill_fields, ARRAY_SIZE(l_kill_fields) };

static const struct ipc_field l_attach_fields[] = {
	IPC_F_BOOL(struct msg_l_attach, debug, false),
};
const struct ipc_schema msg_l_attach_schema = { "launch-attach", sizeof(struct msg_l_attach),
						l_attach_fields, ARRAY_SIZE(l_attach_fields) };

static const struct ipc_field l_output_fields[] = {
	IPC_F_UINT(struct msg_l_output, stream, true, 2),
	IPC_F_BIN(struct msg_l_output, data, true, 65536),
};
const struct ipc_schema msg_l_output_schema = { "launch-output", sizeof(struct msg_l_output),
						l_output_fields, ARRAY_SIZE(l_output_fields) };

static const struct ipc_field l_input_fields[] = {
	IPC_F_BIN(struct msg_l_input, data, false, 65536),
	IPC_F_BOOL(struct msg_l_input, eof, true),
};
const struct ipc_schema msg_l_input_schema = { "launch-input", sizeof(struct msg_l_input),
					       l_input_fields, ARRAY_SIZE(l_input_fields) };

static const struct ipc_field l_resize_fields[] = {
	IPC_F_UINT(struct msg_l_resize, rows, true, 65535),
	IPC_F_UINT(struct msg_l_resize, cols, true, 65535),
};
const struct ipc_schema msg_l_resize_schema = { "launch-resize", sizeof(struct msg_l_resize),
						l_resize_fields, ARRAY_SIZE(l_resize_fields) };

static const struct ipc_field attach_fields[] = {
	IPC_F_STR(struct msg_attach, container, true, NAME_MAX_LEN),
	IPC_F_BOOL(struct msg_attach, no_stdin, true),
};
const struct ipc_schema msg_attach_schema = { "attach", sizeof(struct msg_attach),
					      attach_fields, ARRAY_SIZE(attach_fields) };

static const struct ipc_field attach_reply_fields[] = {
	IPC_F_BOOL(struct msg_attach_reply, tty, true),
	IPC_F_BOOL(struct msg_attach_reply, interactive, true),
};
const struct ipc_schema msg_attach_reply_schema = { "attach-reply",
						    sizeof(struct msg_attach_reply),
						    attach_reply_fields,
						    ARRAY_SIZE(attach_reply_fields) };

static const struct ipc_field cinspect_fields[] = {
	IPC_F_STR(struct msg_cinspect, container, true, NAME_MAX_LEN),
};
const struct ipc_schema msg_cinspect_schema = { "container-inspect", sizeof(struct msg_cinspect),
						cinspect_fields, ARRAY_SIZE(cinspect_fields) };

static const struct ipc_field cinspect_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_cinspect_reply, summary, true, 1, &msg_container_summary_schema),
	IPC_F_STR(struct msg_cinspect_reply, config_json, true, 192 * 1024),
	IPC_F_STR(struct msg_cinspect_reply, runtime, true, VALUE_MAX),
};
const struct ipc_schema msg_cinspect_reply_schema = {
	"container-inspect-reply", sizeof(struct msg_cinspect_reply), cinspect_reply_fields,
	ARRAY_SIZE(cinspect_reply_fields)
};

/* berth-verify: the container's user. The limits are workers/verify/passwd.h's. */
static const struct ipc_field v_user_fields[] = {
	IPC_F_BOOL(struct msg_v_user, has_passwd, true),
	IPC_F_BOOL(struct msg_v_user, has_group, true),
	IPC_F_STR(struct msg_v_user, user, true, 256),
};
const struct ipc_schema msg_v_user_schema = { "verify-user", sizeof(struct msg_v_user),
					      v_user_fields, ARRAY_SIZE(v_user_fields) };

static const struct ipc_field user_group_fields[] = {
	IPC_F_UINT(struct msg_user_group, gid, true, 4294967294u),
};
const struct ipc_schema msg_user_group_schema = {
	"user-group", sizeof(struct msg_user_group), user_group_fields,
	ARRAY_SIZE(user_group_fields)
};

static const struct ipc_field v_user_reply_fields[] = {
	IPC_F_UINT(struct msg_v_user_reply, uid, true, 4294967294u),
	IPC_F_UINT(struct msg_v_user_reply, gid, true, 4294967294u),
	IPC_F_STR(struct msg_v_user_reply, home, true, 4095),
	IPC_F_STRUCTV(struct msg_v_user_reply, groups, false, 64, &msg_user_group_schema),
};
const struct ipc_schema msg_v_user_reply_schema = {
	"verify-user-reply", sizeof(struct msg_v_user_reply), v_user_reply_fields,
	ARRAY_SIZE(v_user_reply_fields)
};
