/* Schemas of the image trust messages between the frontend and the broker. */
#include <stddef.h>

#include "common/cleanup.h"
#include "ipc/msg.h"
#include "policy/registries_d.h"

/* Podman's policy.json has a handful of scopes; thousands is far beyond any real one, and
 * the reply must fit one packet (IPC_MAX_MSG_FRONTEND). */
#define TRUST_ENTRIES_MAX 512
#define TRUST_KEYS_MAX 16
#define SCOPE_MAX 1024

static const struct ipc_field trust_show_fields[] = {
	IPC_F_STR(struct msg_trust_show, policy_path, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_trust_show, registries_d, false, IPC_PATH_MAX),
	IPC_F_BOOL(struct msg_trust_show, raw, true),
};
const struct ipc_schema msg_trust_show_schema = {
	"trust-show", sizeof(struct msg_trust_show), trust_show_fields,
	ARRAY_SIZE(trust_show_fields)
};

static const struct ipc_field trust_entry_fields[] = {
	IPC_F_STR(struct msg_trust_entry, transport, true, 64),
	IPC_F_STR(struct msg_trust_entry, name, true, SCOPE_MAX),
	IPC_F_STR(struct msg_trust_entry, repo_name, true, SCOPE_MAX),
	IPC_F_STR(struct msg_trust_entry, type, true, 32),
	IPC_F_STRV(struct msg_trust_entry, keys, false, TRUST_KEYS_MAX, IPC_PATH_MAX),
	IPC_F_STR(struct msg_trust_entry, gpg_id, true, IPC_TEXT_MAX),
	IPC_F_STR(struct msg_trust_entry, sigstore, true, IPC_TEXT_MAX * 2),
};
const struct ipc_schema msg_trust_entry_schema = {
	"trust-entry", sizeof(struct msg_trust_entry), trust_entry_fields,
	ARRAY_SIZE(trust_entry_fields)
};

static const struct ipc_field trust_show_reply_fields[] = {
	IPC_F_STR(struct msg_trust_show_reply, policy_path, true, IPC_PATH_MAX),
	IPC_F_STRUCTV(struct msg_trust_show_reply, entries, true, TRUST_ENTRIES_MAX,
		      &msg_trust_entry_schema),
};
const struct ipc_schema msg_trust_show_reply_schema = {
	"trust-show-reply", sizeof(struct msg_trust_show_reply), trust_show_reply_fields,
	ARRAY_SIZE(trust_show_reply_fields)
};

static const struct ipc_field trust_set_fields[] = {
	IPC_F_STR(struct msg_trust_set, policy_path, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_trust_set, scope, true, SCOPE_MAX),
	IPC_F_STR(struct msg_trust_set, trust_type, true, 32),
	IPC_F_STRV(struct msg_trust_set, keys, false, TRUST_KEYS_MAX, IPC_PATH_MAX),
};
static const struct ipc_field v_signature_fields[] = {
	IPC_F_STR(struct msg_v_signature, manifest_digest, true, 140),
	IPC_F_STR(struct msg_v_signature, reference, true, 600),
	IPC_F_UINT(struct msg_v_signature, identity, true, 5),
	IPC_F_STR(struct msg_v_signature, identity_reference, false, 600),
	IPC_F_STR(struct msg_v_signature, identity_prefix, false, 600),
	IPC_F_STR(struct msg_v_signature, identity_signed_prefix, false, 600),
};
const struct ipc_schema msg_v_signature_schema = {
	"verify-signature", sizeof(struct msg_v_signature), v_signature_fields,
	ARRAY_SIZE(v_signature_fields)
};

static const struct ipc_field v_signature_reply_fields[] = {
	IPC_F_BOOL(struct msg_v_signature_reply, accepted, true),
	IPC_F_STR(struct msg_v_signature_reply, fingerprint, false, 64),
	IPC_F_STR(struct msg_v_signature_reply, reason, false, IPC_TEXT_MAX),
};
const struct ipc_schema msg_v_signature_reply_schema = {
	"verify-signature-reply", sizeof(struct msg_v_signature_reply), v_signature_reply_fields,
	ARRAY_SIZE(v_signature_reply_fields)
};

static const struct ipc_field v_sigattach_fields[] = {
	IPC_F_STR(struct msg_v_sigattach, media_type, true, 255),
};
const struct ipc_schema msg_v_sigattach_schema = {
	"verify-sigattach", sizeof(struct msg_v_sigattach), v_sigattach_fields,
	ARRAY_SIZE(v_sigattach_fields)
};

/* Annotation keys are short names; a value may be a certificate chain or a Rekor bundle (a
 * few KiB). berth-verify also bounds the sum over the whole reply (manifest.c), so it fits one
 * worker packet. */
static const struct ipc_field sigattach_annotation_fields[] = {
	IPC_F_STR(struct msg_sigattach_annotation, key, true, 255),
	IPC_F_STR(struct msg_sigattach_annotation, value, true, 64 * 1024),
};
const struct ipc_schema msg_sigattach_annotation_schema = {
	"sigattach-annotation", sizeof(struct msg_sigattach_annotation),
	sigattach_annotation_fields, ARRAY_SIZE(sigattach_annotation_fields)
};

/* workers/verify/sigattach.h bounds: SIGATTACH_LAYERS_MAX layers, SIGATTACH_SIG_MAX bytes of
 * base64 (an ECDSA P-256 signature is 96, an Ed25519 one 88). */
static const struct ipc_field sigattach_layer_fields[] = {
	IPC_F_STR(struct msg_sigattach_layer, media_type, true, 255),
	IPC_F_STR(struct msg_sigattach_layer, digest, true, 140),
	IPC_F_UINT(struct msg_sigattach_layer, size, true, UINT64_C(9007199254740992)),
	IPC_F_STR(struct msg_sigattach_layer, signature, false, 1024),
	IPC_F_BOOL(struct msg_sigattach_layer, has_certificate, true),
	IPC_F_BOOL(struct msg_sigattach_layer, has_bundle, true),
	IPC_F_STRUCTV(struct msg_sigattach_layer, annotations, false, 32,
		      &msg_sigattach_annotation_schema),
};
const struct ipc_schema msg_sigattach_layer_schema = {
	"sigattach-layer", sizeof(struct msg_sigattach_layer), sigattach_layer_fields,
	ARRAY_SIZE(sigattach_layer_fields)
};

static const struct ipc_field v_sigattach_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_v_sigattach_reply, layers, true, 64, &msg_sigattach_layer_schema),
	IPC_F_STR(struct msg_v_sigattach_reply, unkept, false, 200),
};
const struct ipc_schema msg_v_sigattach_reply_schema = {
	"verify-sigattach-reply", sizeof(struct msg_v_sigattach_reply), v_sigattach_reply_fields,
	ARRAY_SIZE(v_sigattach_reply_fields)
};

static const struct ipc_field v_sigstore_fields[] = {
	IPC_F_STR(struct msg_v_sigstore, manifest_digest, true, 140),
	IPC_F_STR(struct msg_v_sigstore, reference, true, 600),
	IPC_F_UINT(struct msg_v_sigstore, identity, true, 5),
	IPC_F_STR(struct msg_v_sigstore, identity_reference, false, 600),
	IPC_F_STR(struct msg_v_sigstore, identity_prefix, false, 600),
	IPC_F_STR(struct msg_v_sigstore, identity_signed_prefix, false, 600),
	IPC_F_STR(struct msg_v_sigstore, signature, true, 1024),
};
const struct ipc_schema msg_v_sigstore_schema = {
	"verify-sigstore", sizeof(struct msg_v_sigstore), v_sigstore_fields,
	ARRAY_SIZE(v_sigstore_fields)
};

static const struct ipc_field v_sigstore_reply_fields[] = {
	IPC_F_BOOL(struct msg_v_sigstore_reply, accepted, true),
	IPC_F_STR(struct msg_v_sigstore_reply, key_sha256, false, 64),
	IPC_F_UINT(struct msg_v_sigstore_reply, key_index, true, 4095),
	IPC_F_STR(struct msg_v_sigstore_reply, reason, false, IPC_TEXT_MAX),
};
const struct ipc_schema msg_v_sigstore_reply_schema = {
	"verify-sigstore-reply", sizeof(struct msg_v_sigstore_reply), v_sigstore_reply_fields,
	ARRAY_SIZE(v_sigstore_reply_fields)
};

const struct ipc_schema msg_trust_set_schema = {
	"trust-set", sizeof(struct msg_trust_set), trust_set_fields, ARRAY_SIZE(trust_set_fields)
};

static const struct ipc_field v_regd_fields[] = {
	IPC_F_STR(struct msg_v_regd, path, true, IPC_PATH_MAX),
};
const struct ipc_schema msg_v_regd_schema = {
	"verify-regd", sizeof(struct msg_v_regd), v_regd_fields, ARRAY_SIZE(v_regd_fields)
};

static const struct ipc_field regd_entry_fields[] = {
	IPC_F_BOOL(struct msg_regd_entry, is_default, true),
	IPC_F_STR(struct msg_regd_entry, scope, false, REF_STR_MAX),
	IPC_F_STR(struct msg_regd_entry, lookaside, false, REGD_URL_MAX),
	IPC_F_STR(struct msg_regd_entry, lookaside_staging, false, REGD_URL_MAX),
	IPC_F_STR(struct msg_regd_entry, sigstore, false, REGD_URL_MAX),
	IPC_F_STR(struct msg_regd_entry, sigstore_staging, false, REGD_URL_MAX),
	IPC_F_INT(struct msg_regd_entry, use_sigstore_attachments, true),
};
const struct ipc_schema msg_regd_entry_schema = {
	"regd-entry", sizeof(struct msg_regd_entry), regd_entry_fields,
	ARRAY_SIZE(regd_entry_fields)
};

static const struct ipc_field v_regd_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_v_regd_reply, entries, true, REGD_SCOPES_MAX + 1,
		      &msg_regd_entry_schema),
};
const struct ipc_schema msg_v_regd_reply_schema = {
	"verify-regd-reply", sizeof(struct msg_v_regd_reply), v_regd_reply_fields,
	ARRAY_SIZE(v_regd_reply_fields)
};

static const struct ipc_field v_key_uids_fields[] = {
	IPC_F_BOOL(struct msg_v_key_uids, debug, false),
};
const struct ipc_schema msg_v_key_uids_schema = {
	"verify-key-uids", sizeof(struct msg_v_key_uids), v_key_uids_fields,
	ARRAY_SIZE(v_key_uids_fields)
};

/* workers/verify/pgpuid.h bounds: PGPUID_MAX IDs of PGPUID_LEN_MAX bytes. */
static const struct ipc_field key_uids_fields[] = {
	IPC_F_STRV(struct msg_key_uids, uids, true, 16, 256),
	IPC_F_STRV(struct msg_key_uids, fingerprints, false, 8, 64),
	IPC_F_STR(struct msg_key_uids, error, false, IPC_TEXT_MAX),
};
const struct ipc_schema msg_key_uids_schema = {
	"key-uids", sizeof(struct msg_key_uids), key_uids_fields, ARRAY_SIZE(key_uids_fields)
};

static const struct ipc_field v_key_uids_reply_fields[] = {
	IPC_F_STRUCTV(struct msg_v_key_uids_reply, keys, true, IPC_MAX_FDS, &msg_key_uids_schema),
};
const struct ipc_schema msg_v_key_uids_reply_schema = {
	"verify-key-uids-reply", sizeof(struct msg_v_key_uids_reply), v_key_uids_reply_fields,
	ARRAY_SIZE(v_key_uids_reply_fields)
};

static const struct ipc_field image_sign_fields[] = {
	IPC_F_STRV(struct msg_image_sign, images, true, 64, 600),
	IPC_F_STR(struct msg_image_sign, sign_by, true, 128),
	IPC_F_STR(struct msg_image_sign, directory, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_image_sign, cert_dir, false, IPC_PATH_MAX),
	IPC_F_STR(struct msg_image_sign, authfile, false, IPC_PATH_MAX),
	IPC_F_UINT(struct msg_image_sign, tls_verify, true, 2),
	IPC_F_STR(struct msg_image_sign, gnupghome, true, IPC_PATH_MAX),
};
const struct ipc_schema msg_image_sign_schema = {
	"image-sign", sizeof(struct msg_image_sign), image_sign_fields,
	ARRAY_SIZE(image_sign_fields)
};

/* The payload is a few hundred bytes of JSON berth wrote; the signature adds the OpenPGP
 * packets around it (a few hundred bytes more with an RSA-4096 key). */
#define SIGN_PAYLOAD_MAX (16 * 1024)
#define SIGN_SIGNATURE_MAX (64 * 1024)

static const struct ipc_field s_gpg_sign_fields[] = {
	IPC_F_BIN(struct msg_s_gpg_sign, payload, true, SIGN_PAYLOAD_MAX),
	IPC_F_STR(struct msg_s_gpg_sign, fingerprint, true, 128),
	IPC_F_STR(struct msg_s_gpg_sign, passphrase, false, 4096),
};
const struct ipc_schema msg_s_gpg_sign_schema = {
	"sign-gpg", sizeof(struct msg_s_gpg_sign), s_gpg_sign_fields,
	ARRAY_SIZE(s_gpg_sign_fields)
};

static const struct ipc_field s_gpg_sign_reply_fields[] = {
	IPC_F_BIN(struct msg_s_gpg_sign_reply, signature, true, SIGN_SIGNATURE_MAX),
	IPC_F_STR(struct msg_s_gpg_sign_reply, fingerprint, true, 64),
};
const struct ipc_schema msg_s_gpg_sign_reply_schema = {
	"sign-gpg-reply", sizeof(struct msg_s_gpg_sign_reply), s_gpg_sign_reply_fields,
	ARRAY_SIZE(s_gpg_sign_reply_fields)
};
