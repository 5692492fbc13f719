/* Schemas of the image-path messages (fetch, verify, unpack). Limits are the most a legitimate
 * peer sends; a descriptor list or config beyond them is refused at the channel. */
#include <stddef.h>
#include <string.h>

#include "common/cleanup.h"
#include "ipc/msg.h"

#define MEDIA_TYPE_MAX 256
#define DIGEST_MAX 135       /* "sha512:" + 128 */
#define REF_MAX 256
#define REPO_MAX 512

bool ipc_digest_valid(const char *s)
{
	size_t hexlen;

	if (strncmp(s, "sha256:", 7) == 0)
		hexlen = 64;
	else if (strncmp(s, "sha512:", 7) == 0)
		hexlen = 128;
	else
		return false;
	if (strlen(s + 7) != hexlen)
		return false;
	for (const char *p = s + 7; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static const struct ipc_field f_get_fields[] = {
	IPC_F_STR(struct msg_f_get, registry, true, 255),
	IPC_F_STR(struct msg_f_get, repository, true, REPO_MAX),
	IPC_F_UINT(struct msg_f_get, kind, true, 4),
	IPC_F_STR(struct msg_f_get, reference, true, DIGEST_MAX > REF_MAX ? DIGEST_MAX : REF_MAX),
	IPC_F_STRV(struct msg_f_get, accept, false, 16, MEDIA_TYPE_MAX),
	IPC_F_BOOL(struct msg_f_get, tls_verify, true),
	IPC_F_BOOL(struct msg_f_get, plain_http, true),
	IPC_F_BOOL(struct msg_f_get, head, true),
	IPC_F_UINT(struct msg_f_get, max_size, true, 0),
	IPC_F_STR(struct msg_f_get, username, false, 1024),
	IPC_F_STR(struct msg_f_get, password, false, 8192),
	IPC_F_BOOL(struct msg_f_get, has_ca, true),
	IPC_F_BOOL(struct msg_f_get, has_client_cert, true),
	IPC_F_STR(struct msg_f_get, url, false, 4096),
};
const struct ipc_schema msg_f_get_schema = {
	"fetch-get", sizeof(struct msg_f_get), f_get_fields, ARRAY_SIZE(f_get_fields)
};

static const struct ipc_field f_get_reply_fields[] = {
	IPC_F_UINT(struct msg_f_get_reply, http_status, true, 599),
	IPC_F_STR(struct msg_f_get_reply, media_type, true, MEDIA_TYPE_MAX),
	IPC_F_STR(struct msg_f_get_reply, digest, true, DIGEST_MAX),
	IPC_F_UINT(struct msg_f_get_reply, size, true, 0),
};
const struct ipc_schema msg_f_get_reply_schema = {
	"fetch-get-reply", sizeof(struct msg_f_get_reply), f_get_reply_fields,
	ARRAY_SIZE(f_get_reply_fields)
};

static const struct ipc_field descriptor_fields[] = {
	IPC_F_STR(struct msg_descriptor, media_type, true, MEDIA_TYPE_MAX),
	IPC_F_STR(struct msg_descriptor, digest, true, DIGEST_MAX),
	IPC_F_UINT(struct msg_descriptor, size, true, 0),
	IPC_F_STR(struct msg_descriptor, os, false, 64),
	IPC_F_STR(struct msg_descriptor, architecture, false, 64),
	IPC_F_STR(struct msg_descriptor, variant, false, 64),
	IPC_F_STR(struct msg_descriptor, ref_name, false, 512),
};
const struct ipc_schema msg_descriptor_schema = {
	"descriptor", sizeof(struct msg_descriptor), descriptor_fields,
	ARRAY_SIZE(descriptor_fields)
};

static const struct ipc_field v_manifest_fields[] = {
	IPC_F_STR(struct msg_v_manifest, media_type, true, MEDIA_TYPE_MAX),
};
const struct ipc_schema msg_v_manifest_schema = {
	"verify-manifest", sizeof(struct msg_v_manifest), v_manifest_fields,
	ARRAY_SIZE(v_manifest_fields)
};

static const struct ipc_field v_manifest_reply_fields[] = {
	IPC_F_UINT(struct msg_v_manifest_reply, kind, true, 2),
	IPC_F_STR(struct msg_v_manifest_reply, media_type, true, MEDIA_TYPE_MAX),
	IPC_F_UINT(struct msg_v_manifest_reply, schema_version, true, 2),
	IPC_F_STRUCTV(struct msg_v_manifest_reply, config, false, 1, &msg_descriptor_schema),
	IPC_F_STRUCTV(struct msg_v_manifest_reply, layers, false, 128, &msg_descriptor_schema),
	IPC_F_STRUCTV(struct msg_v_manifest_reply, manifests, false, 64, &msg_descriptor_schema),
};
const struct ipc_schema msg_v_manifest_reply_schema = {
	"verify-manifest-reply", sizeof(struct msg_v_manifest_reply), v_manifest_reply_fields,
	ARRAY_SIZE(v_manifest_reply_fields)
};

static const struct ipc_field history_fields[] = {
	IPC_F_STR(struct msg_history, created, false, 64),
	IPC_F_STR(struct msg_history, created_by, false, 16384),
	IPC_F_STR(struct msg_history, comment, false, 1024),
	IPC_F_BOOL(struct msg_history, empty_layer, true),
};
const struct ipc_schema msg_history_schema = {
	"history", sizeof(struct msg_history), history_fields, ARRAY_SIZE(history_fields)
};

static const struct ipc_field v_config_fields[] = {
	IPC_F_BOOL(struct msg_v_config, debug, false),
};
const struct ipc_schema msg_v_config_schema = {
	"verify-config", sizeof(struct msg_v_config), v_config_fields, ARRAY_SIZE(v_config_fields)
};

static const struct ipc_field v_config_reply_fields[] = {
	IPC_F_STR(struct msg_v_config_reply, architecture, true, 64),
	IPC_F_STR(struct msg_v_config_reply, os, true, 64),
	IPC_F_STR(struct msg_v_config_reply, variant, false, 64),
	IPC_F_STR(struct msg_v_config_reply, created, false, 64),
	IPC_F_STR(struct msg_v_config_reply, author, false, 1024),
	IPC_F_STRV(struct msg_v_config_reply, diff_ids, true, 128, DIGEST_MAX),
	IPC_F_STRV(struct msg_v_config_reply, env, false, 256, 8192),
	IPC_F_STRV(struct msg_v_config_reply, cmd, false, 256, 8192),
	IPC_F_STRV(struct msg_v_config_reply, entrypoint, false, 256, 8192),
	IPC_F_STR(struct msg_v_config_reply, working_dir, false, 4096),
	IPC_F_STR(struct msg_v_config_reply, user, false, 256),
	IPC_F_STR(struct msg_v_config_reply, stop_signal, false, 32),
	IPC_F_STRV(struct msg_v_config_reply, labels, false, 256, 8192),
	IPC_F_STRV(struct msg_v_config_reply, exposed_ports, false, 256, 64),
	IPC_F_STRV(struct msg_v_config_reply, volumes, false, 256, 4096),
	IPC_F_STRUCTV(struct msg_v_config_reply, history, false, 1024, &msg_history_schema),
};
const struct ipc_schema msg_v_config_reply_schema = {
	"verify-config-reply", sizeof(struct msg_v_config_reply), v_config_reply_fields,
	ARRAY_SIZE(v_config_reply_fields)
};

static const struct ipc_field u_layer_fields[] = {
	IPC_F_STR(struct msg_u_layer, media_type, true, MEDIA_TYPE_MAX),
	IPC_F_BOOL(struct msg_u_layer, rootless, true),
	IPC_F_UINT(struct msg_u_layer, max_bytes, true, 0),
	IPC_F_UINT(struct msg_u_layer, max_entries, true, 0),
};
const struct ipc_schema msg_u_layer_schema = {
	"unpack-layer", sizeof(struct msg_u_layer), u_layer_fields, ARRAY_SIZE(u_layer_fields)
};

static const struct ipc_field u_shift_fields[] = {
	IPC_F_UINT(struct msg_u_shift, uid_shift, true, UINT32_MAX),
	IPC_F_UINT(struct msg_u_shift, gid_shift, true, UINT32_MAX),
	IPC_F_UINT(struct msg_u_shift, max_uid, true, UINT32_MAX),
	IPC_F_UINT(struct msg_u_shift, max_gid, true, UINT32_MAX),
};
const struct ipc_schema msg_u_shift_schema = {
	"unpack-shift", sizeof(struct msg_u_shift), u_shift_fields, ARRAY_SIZE(u_shift_fields)
};

static const struct ipc_field u_shift_reply_fields[] = {
	IPC_F_UINT(struct msg_u_shift_reply, entries, true, 0),
	IPC_F_UINT(struct msg_u_shift_reply, skipped, true, 0),
};
const struct ipc_schema msg_u_shift_reply_schema = {
	"unpack-shift-reply", sizeof(struct msg_u_shift_reply), u_shift_reply_fields,
	ARRAY_SIZE(u_shift_reply_fields)
};

static const struct ipc_field u_layer_reply_fields[] = {
	IPC_F_STR(struct msg_u_layer_reply, diff_id, true, DIGEST_MAX),
	IPC_F_UINT(struct msg_u_layer_reply, entries, true, 0),
	IPC_F_UINT(struct msg_u_layer_reply, bytes, true, 0),
	IPC_F_UINT(struct msg_u_layer_reply, skipped, true, 0),
};
const struct ipc_schema msg_u_layer_reply_schema = {
	"unpack-layer-reply", sizeof(struct msg_u_layer_reply), u_layer_reply_fields,
	ARRAY_SIZE(u_layer_reply_fields)
};

/* ---- frontend <-> broker ---- */

#define NAME_MAX_ 512
#define NAMES_MAX 256

static const struct ipc_field ok_fields[] = {
	IPC_F_BOOL(struct msg_ok, debug, false),
};
const struct ipc_schema msg_ok_schema = { "ok", sizeof(struct msg_ok), ok_fields,
					  ARRAY_SIZE(ok_fields) };

static const struct ipc_field pull_fields[] = {
	IPC_F_STR(struct msg_pull, reference, true, NAME_MAX_),
	IPC_F_UINT(struct msg_pull, tls_verify, true, 2),
	IPC_F_STR(struct msg_pull, creds, false, 8192),
	IPC_F_STR(struct msg_pull, authfile, false, 4096),
	IPC_F_STR(struct msg_pull, cert_dir, false, 4096),
	IPC_F_STR(struct msg_pull, os, false, 64),
	IPC_F_STR(struct msg_pull, arch, false, 64),
	IPC_F_STR(struct msg_pull, variant, false, 64),
	IPC_F_BOOL(struct msg_pull, quiet, true),
	IPC_F_STR(struct msg_pull, policy_path, false, IPC_PATH_MAX),
};
const struct ipc_schema msg_pull_schema = { "pull", sizeof(struct msg_pull), pull_fields,
					    ARRAY_SIZE(pull_fields) };

static const struct ipc_field progress_fields[] = {
	IPC_F_STR(struct msg_progress, line, false, 1024),
	IPC_F_STR(struct msg_progress, layer, false, 72),
	IPC_F_UINT(struct msg_progress, current, false, 0),
	IPC_F_UINT(struct msg_progress, total, false, 0),
};
const struct ipc_schema msg_progress_schema = { "progress", sizeof(struct msg_progress),
						progress_fields, ARRAY_SIZE(progress_fields) };

static const struct ipc_field pull_done_fields[] = {
	IPC_F_STR(struct msg_pull_done, image_id, true, 64),
};
const struct ipc_schema msg_pull_done_schema = { "pull-done", sizeof(struct msg_pull_done),
						 pull_done_fields, ARRAY_SIZE(pull_done_fields) };

static const struct ipc_field images_fields[] = {
	IPC_F_BOOL(struct msg_images, all, false),
};
const struct ipc_schema msg_images_schema = { "images", sizeof(struct msg_images),
					      images_fields, ARRAY_SIZE(images_fields) };

static const struct ipc_field image_summary_fields[] = {
	IPC_F_STR(struct msg_image_summary, id, true, 64),
	IPC_F_STR(struct msg_image_summary, digest, true, DIGEST_MAX),
	IPC_F_STRV(struct msg_image_summary, names, false, NAMES_MAX, NAME_MAX_),
	{ "created", IPC_T_INT, true, 0, 0, offsetof(struct msg_image_summary, created), 0, NULL },
	IPC_F_UINT(struct msg_image_summary, size, true, 0),
	IPC_F_STR(struct msg_image_summary, verified, true, 1024),
};
const struct ipc_schema msg_image_summary_schema = {
	"image-summary", sizeof(struct msg_image_summary), image_summary_fields,
	ARRAY_SIZE(image_summary_fields)
};

static const struct ipc_field images_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_images_reply, images, true, 400, &msg_image_summary_schema),
};
const struct ipc_schema msg_images_reply_schema = {
	"images-reply", sizeof(struct msg_images_reply), images_reply_fields,
	ARRAY_SIZE(images_reply_fields)
};

static const struct ipc_field image_inspect_fields[] = {
	IPC_F_STR(struct msg_image_inspect, name, true, NAME_MAX_),
};
const struct ipc_schema msg_image_inspect_schema = {
	"image-inspect", sizeof(struct msg_image_inspect), image_inspect_fields,
	ARRAY_SIZE(image_inspect_fields)
};

static const struct ipc_field layer_info_fields[] = {
	IPC_F_STR(struct msg_layer_info, blob_digest, true, DIGEST_MAX),
	IPC_F_UINT(struct msg_layer_info, size, true, 0),
};
static const struct ipc_schema msg_layer_info_schema = {
	"layer-info", sizeof(struct msg_layer_info), layer_info_fields, ARRAY_SIZE(layer_info_fields)
};

static const struct ipc_field image_inspect_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_image_inspect_reply, summary, true, 1, &msg_image_summary_schema),
	IPC_F_STRUCTV(struct msg_image_inspect_reply, config, true, 1, &msg_v_config_reply_schema),
	IPC_F_STR(struct msg_image_inspect_reply, manifest_type, true, MEDIA_TYPE_MAX),
	IPC_F_STRV(struct msg_image_inspect_reply, layer_digests, false, 128, DIGEST_MAX),
	IPC_F_STRUCTV(struct msg_image_inspect_reply, layers, false, 128, &msg_layer_info_schema),
};
const struct ipc_schema msg_image_inspect_reply_schema = {
	"image-inspect-reply", sizeof(struct msg_image_inspect_reply), image_inspect_reply_fields,
	ARRAY_SIZE(image_inspect_reply_fields)
};

static const struct ipc_field tag_fields[] = {
	IPC_F_STR(struct msg_tag, image, true, NAME_MAX_),
	IPC_F_STRV(struct msg_tag, names, false, NAMES_MAX, NAME_MAX_),
};
const struct ipc_schema msg_tag_schema = { "tag", sizeof(struct msg_tag), tag_fields,
					   ARRAY_SIZE(tag_fields) };

static const struct ipc_field rmi_fields[] = {
	IPC_F_STRV(struct msg_rmi, names, false, NAMES_MAX, NAME_MAX_),
	IPC_F_BOOL(struct msg_rmi, force, true),
	IPC_F_BOOL(struct msg_rmi, all, true),
	IPC_F_BOOL(struct msg_rmi, prune, false),
};
const struct ipc_schema msg_rmi_schema = { "rmi", sizeof(struct msg_rmi), rmi_fields,
					   ARRAY_SIZE(rmi_fields) };

static const struct ipc_field rmi_reply_fields[] = {
	IPC_F_STRV(struct msg_rmi_reply, untagged, false, 4096, NAME_MAX_),
	IPC_F_STRV(struct msg_rmi_reply, deleted, false, 4096, 64),
	IPC_F_STRV(struct msg_rmi_reply, missing, false, NAMES_MAX, NAME_MAX_),
};
const struct ipc_schema msg_rmi_reply_schema = { "rmi-reply", sizeof(struct msg_rmi_reply),
						 rmi_reply_fields, ARRAY_SIZE(rmi_reply_fields) };

static const struct ipc_field f_put_fields[] = {
	IPC_F_STR(struct msg_f_put, registry, true, 255),
	IPC_F_STR(struct msg_f_put, repository, true, REPO_MAX),
	IPC_F_UINT(struct msg_f_put, kind, true, 2),
	IPC_F_STR(struct msg_f_put, reference, true, DIGEST_MAX > REF_MAX ? DIGEST_MAX : REF_MAX),
	IPC_F_STR(struct msg_f_put, media_type, false, MEDIA_TYPE_MAX),
	IPC_F_UINT(struct msg_f_put, size, true, 0),
	IPC_F_STR(struct msg_f_put, mount_from, false, REPO_MAX),
	IPC_F_BOOL(struct msg_f_put, tls_verify, true),
	IPC_F_BOOL(struct msg_f_put, plain_http, true),
	IPC_F_STR(struct msg_f_put, username, false, 1024),
	IPC_F_STR(struct msg_f_put, password, false, 8192),
	IPC_F_BOOL(struct msg_f_put, has_ca, true),
	IPC_F_BOOL(struct msg_f_put, has_client_cert, true),
};
const struct ipc_schema msg_f_put_schema = { "fetch-put", sizeof(struct msg_f_put), f_put_fields,
					     ARRAY_SIZE(f_put_fields) };

static const struct ipc_field f_put_reply_fields[] = {
	IPC_F_UINT(struct msg_f_put_reply, http_status, true, 599),
	IPC_F_BOOL(struct msg_f_put_reply, existed, true),
	IPC_F_STR(struct msg_f_put_reply, digest, true, DIGEST_MAX),
};
const struct ipc_schema msg_f_put_reply_schema = {
	"fetch-put-reply", sizeof(struct msg_f_put_reply), f_put_reply_fields,
	ARRAY_SIZE(f_put_reply_fields)
};

static const struct ipc_field push_fields[] = {
	IPC_F_STR(struct msg_push, source, true, NAME_MAX_),
	IPC_F_STR(struct msg_push, destination, false, NAME_MAX_),
	IPC_F_UINT(struct msg_push, tls_verify, true, 2),
	IPC_F_STR(struct msg_push, creds, false, 8192),
	IPC_F_STR(struct msg_push, cert_dir, false, 4096),
	IPC_F_STR(struct msg_push, authfile, false, 4096),
	IPC_F_BOOL(struct msg_push, quiet, true),
	IPC_F_STR(struct msg_push, sign_by, false, 128),
	IPC_F_STR(struct msg_push, sign_passphrase, false, 4096),
	IPC_F_STR(struct msg_push, gnupghome, false, 4096),
	IPC_F_BIN(struct msg_push, sigstore_key, false, 64 * 1024),
	IPC_F_STR(struct msg_push, sigstore_key_path, false, 4096),
};
const struct ipc_schema msg_push_schema = { "push", sizeof(struct msg_push), push_fields,
					    ARRAY_SIZE(push_fields) };

static const struct ipc_field login_fields[] = {
	IPC_F_STR(struct msg_login, registry, true, 255),
	IPC_F_STR(struct msg_login, username, true, 1024),
	IPC_F_STR(struct msg_login, password, true, 8192),
	IPC_F_STR(struct msg_login, authfile, true, 4096),
	IPC_F_UINT(struct msg_login, tls_verify, true, 2),
	IPC_F_STR(struct msg_login, cert_dir, false, 4096),
};
const struct ipc_schema msg_login_schema = { "login", sizeof(struct msg_login), login_fields,
					     ARRAY_SIZE(login_fields) };

static const struct ipc_field logout_fields[] = {
	IPC_F_STR(struct msg_logout, registry, false, 255),
	IPC_F_STR(struct msg_logout, authfile, true, 4096),
	IPC_F_BOOL(struct msg_logout, all, true),
};
const struct ipc_schema msg_logout_schema = { "logout", sizeof(struct msg_logout),
					      logout_fields, ARRAY_SIZE(logout_fields) };

static const struct ipc_field f_progress_fields[] = {
	IPC_F_UINT(struct msg_f_progress, done, true, 0),
	IPC_F_UINT(struct msg_f_progress, total, true, 0),
};
const struct ipc_schema msg_f_progress_schema = {
	"fetch-progress", sizeof(struct msg_f_progress), f_progress_fields,
	ARRAY_SIZE(f_progress_fields)
};
