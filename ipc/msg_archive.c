/* Schemas of `berth save`: the frontend's request and the archive writer's requests to
 * berth-unpack. */
#include <stddef.h>

#include "common/cleanup.h"
#include "ipc/msg.h"

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
