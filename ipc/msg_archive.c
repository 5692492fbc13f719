/* Schemas of the archive messages: save (the frontend's request and the archive writer's
 * requests to berth-unpack), load and import (frontend -> broker), the docker-archive manifest
 * summary (verify) and the staged archive table (unpack). */
#include <stddef.h>

#include "common/cleanup.h"
#include "ipc/msg.h"

#define NAME_MAX_LEN 512     /* a reference, a path inside an archive, a history comment */
#define ARCHIVE_PATH_MAX 255

static const struct ipc_field load_fields[] = {
	IPC_F_BOOL(struct msg_load, quiet, true),
	IPC_F_STR(struct msg_load, policy_path, false, IPC_PATH_MAX),
};
const struct ipc_schema msg_load_schema = {
	"load", sizeof(struct msg_load), load_fields, ARRAY_SIZE(load_fields)
};

static const struct ipc_field load_reply_fields[] = {
	IPC_F_STRV(struct msg_load_reply, names, true, 256, NAME_MAX_LEN),
};
const struct ipc_schema msg_load_reply_schema = {
	"load-reply", sizeof(struct msg_load_reply), load_reply_fields,
	ARRAY_SIZE(load_reply_fields)
};

static const struct ipc_field import_fields[] = {
	IPC_F_STR(struct msg_import, reference, false, NAME_MAX_LEN),
	IPC_F_STR(struct msg_import, message, false, 4096),
	IPC_F_STR(struct msg_import, os, false, 64),
	IPC_F_STR(struct msg_import, arch, false, 64),
	IPC_F_STR(struct msg_import, variant, false, 64),
	IPC_F_BOOL(struct msg_import, has_cmd, true),
	IPC_F_STRV(struct msg_import, cmd, false, 256, 4096),
	IPC_F_BOOL(struct msg_import, has_entrypoint, true),
	IPC_F_STRV(struct msg_import, entrypoint, false, 256, 4096),
	IPC_F_STRV(struct msg_import, env, false, 256, 4096),
	IPC_F_STRV(struct msg_import, labels, false, 256, 4096),
	IPC_F_STRV(struct msg_import, exposed, false, 256, 64),
	IPC_F_STRV(struct msg_import, volumes, false, 256, 4096),
	IPC_F_STR(struct msg_import, user, false, 256),
	IPC_F_STR(struct msg_import, workdir, false, 4096),
	IPC_F_STR(struct msg_import, stop_signal, false, 32),
	IPC_F_BOOL(struct msg_import, quiet, true),
};
const struct ipc_schema msg_import_schema = {
	"import", sizeof(struct msg_import), import_fields, ARRAY_SIZE(import_fields)
};

static const struct ipc_field archive_image_fields[] = {
	IPC_F_STR(struct msg_archive_image, config, true, ARCHIVE_PATH_MAX),
	IPC_F_STRV(struct msg_archive_image, layers, true, 128, ARCHIVE_PATH_MAX),
	IPC_F_STRV(struct msg_archive_image, repo_tags, true, 32, NAME_MAX_LEN),
};
const struct ipc_schema msg_archive_image_schema = {
	"archive-image", sizeof(struct msg_archive_image), archive_image_fields,
	ARRAY_SIZE(archive_image_fields)
};

static const struct ipc_field v_archive_fields[] = {
	IPC_F_BOOL(struct msg_v_archive, debug, false),
};
const struct ipc_schema msg_v_archive_schema = {
	"verify-archive", sizeof(struct msg_v_archive), v_archive_fields,
	ARRAY_SIZE(v_archive_fields)
};

static const struct ipc_field v_archive_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_v_archive_reply, images, true, 16, &msg_archive_image_schema),
};
const struct ipc_schema msg_v_archive_reply_schema = {
	"verify-archive-reply", sizeof(struct msg_v_archive_reply), v_archive_reply_fields,
	ARRAY_SIZE(v_archive_reply_fields)
};

static const struct ipc_field u_archive_fields[] = {
	IPC_F_UINT(struct msg_u_archive, max_bytes, true, 0),
	IPC_F_UINT(struct msg_u_archive, max_files, true, 512),
};
const struct ipc_schema msg_u_archive_schema = {
	"unpack-archive", sizeof(struct msg_u_archive), u_archive_fields,
	ARRAY_SIZE(u_archive_fields)
};

static const struct ipc_field archive_entry_fields[] = {
	IPC_F_STR(struct msg_archive_entry, path, true, ARCHIVE_PATH_MAX),
	IPC_F_UINT(struct msg_archive_entry, file, true, 511),
	IPC_F_UINT(struct msg_archive_entry, size, true, 0),
};
const struct ipc_schema msg_archive_entry_schema = {
	"archive-entry", sizeof(struct msg_archive_entry), archive_entry_fields,
	ARRAY_SIZE(archive_entry_fields)
};

static const struct ipc_field u_archive_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_u_archive_reply, entries, true, 512, &msg_archive_entry_schema),
	IPC_F_UINT(struct msg_u_archive_reply, skipped, true, 0),
};
const struct ipc_schema msg_u_archive_reply_schema = {
	"unpack-archive-reply", sizeof(struct msg_u_archive_reply), u_archive_reply_fields,
	ARRAY_SIZE(u_archive_reply_fields)
};

#define SAVE_NAME_MAX 512
#define SAVE_NAMES_MAX 256
#define PACK_NAME_MAX 256    /* "blobs/sha256/" + 64 hex is the longest berth makes */
#define PACK_DIGEST_MAX 71   /* "sha256:" + 64 */

static const struct ipc_field save_fields[] = {
	IPC_F_STRV(struct msg_save, images, true, SAVE_NAMES_MAX, SAVE_NAME_MAX),
	IPC_F_UINT(struct msg_save, format, true, SAVE_OCI_ARCHIVE),
	IPC_F_BOOL(struct msg_save, multi_image, true),
	IPC_F_BOOL(struct msg_save, quiet, true),
};
const struct ipc_schema msg_save_schema = { "save", sizeof(struct msg_save), save_fields,
					    ARRAY_SIZE(save_fields) };

static const struct ipc_field u_pack_fields[] = {
	IPC_F_INT(struct msg_u_pack, mtime, true),
};
const struct ipc_schema msg_u_pack_schema = { "unpack-pack", sizeof(struct msg_u_pack),
					      u_pack_fields, ARRAY_SIZE(u_pack_fields) };

static const struct ipc_field u_pack_entry_fields[] = {
	IPC_F_UINT(struct msg_u_pack_entry, kind, true, PACK_END),
	IPC_F_STR(struct msg_u_pack_entry, name, false, PACK_NAME_MAX),
	IPC_F_UINT(struct msg_u_pack_entry, mode, true, 0777),
	IPC_F_UINT(struct msg_u_pack_entry, size, true, 0),
	IPC_F_BOOL(struct msg_u_pack_entry, decompress, true),
	IPC_F_STR(struct msg_u_pack_entry, digest, false, PACK_DIGEST_MAX),
};
const struct ipc_schema msg_u_pack_entry_schema = {
	"unpack-pack-entry", sizeof(struct msg_u_pack_entry), u_pack_entry_fields,
	ARRAY_SIZE(u_pack_entry_fields)
};

static const struct ipc_field u_pack_reply_fields[] = {
	IPC_F_UINT(struct msg_u_pack_reply, bytes, true, 0),
	IPC_F_STR(struct msg_u_pack_reply, digest, true, PACK_DIGEST_MAX),
};
const struct ipc_schema msg_u_pack_reply_schema = {
	"unpack-pack-reply", sizeof(struct msg_u_pack_reply), u_pack_reply_fields,
	ARRAY_SIZE(u_pack_reply_fields)
};
