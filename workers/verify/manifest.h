/* berth-verify's parsers of untrusted image metadata: image manifests, indexes (manifest lists)
 * and image configs, from a registry or an archive, into the small typed replies of ipc/msg.h.
 *
 * PURE: no system calls, no I/O, no global state beyond jansson's hash seed (which the worker
 * sets before its sandbox). The bytes come in as (buf, len); the caller reads them from the fd.
 * Linked into berth-verify, the unit tests and fuzz/fuzz_manifest.
 *
 * Strictness (the broker checks the reply's meaning again; this is the first line):
 *  - one JSON document, nothing after it; the root an object; no duplicate key at any depth
 *    (two parsers that keep the first or the last would see different images); no NUL in a
 *    string (\u0000); valid UTF-8 (jansson's own rules);
 *  - known fields have exactly their type (an integer is never a string or a float); unknown
 *    fields are ignored, as the OCI and Docker specs require of readers; annotations ignored;
 *  - every string, list and count is bounded by the reply schema (ipc/msg_image.c), and going
 *    over is an error naming the field, never a silent truncation;
 *  - digests are "sha256:" + 64 or "sha512:" + 128 lowercase hex (ipc_digest_valid); sizes are
 *    integers in 0 .. 2^53.
 *
 * Errors are for users: BERR_INVALID (BERR_UNSUPPORTED for Docker schema 1, BERR_SYSTEM for
 * ENOMEM) with "manifest: ..." or "image config: ...", naming the field (layers[3],
 * rootfs.diff_ids[1]) and quoting untrusted text only sanitized: printable ASCII, '"' and '\'
 * replaced by '?', at most VERIFY_QUOTE_MAX bytes then "...". Never BERR_PROTOCOL: a bad
 * document is the job's failure, not the channel's. */
#ifndef BERTH_WORKERS_VERIFY_MANIFEST_H
#define BERTH_WORKERS_VERIFY_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

#define VERIFY_QUOTE_MAX 80

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* Parses an image manifest or an index (OCI or Docker schema 2) into *out (zeroed by this
 * function first).
 *
 * claimed_media_type is what the source said the document is: a registry's Content-Type (with
 * or without parameters; compared case-insensitively) or an archive's descriptor; NULL or ""
 * when nothing was said. A generic claim ("", application/json, application/octet-stream,
 * text/plain) constrains nothing; a claim of one of the four supported types must agree with
 * the document; a claim of Docker schema 1 is refused as schema 1; any other claim is refused.
 *
 * The kind comes from the document's own mediaType when it has one; else (OCI lets it be left
 * out) from its shape: "manifests" makes an index, "config"/"layers" an image manifest, the
 * claim deciding between OCI and Docker. A document with both shapes is refused whatever its
 * mediaType says (the ambiguity of CVE-2021-41190).
 *
 * Image manifests: exactly one config descriptor (an OCI or Docker image config media type),
 * at most 128 layers of a known layer media type (OCI tar, tar+gzip, tar+zstd, their
 * nondistributable forms, Docker rootfs.diff.tar.gzip, rootfs.diff.tar and the foreign
 * variants). Indexes: at most 64 entries; each entry is checked (digest, size, platform) and
 * entries whose media type is not one of the four manifest types (attestations, signatures,
 * other artifacts) are left out of the reply; an index with no entry left is refused.
 * out->media_type is the document's mediaType, or when absent the claim, or the OCI type of its
 * shape.
 *
 * Returns 0 with *out filled (heap members owned by *out: release with
 * ipc_struct_free(&msg_v_manifest_reply_schema, out)), or -1 with *e set and *out zeroed. */
int verify_parse_manifest(const uint8_t *buf, size_t len, const char *claimed_media_type,
			  struct msg_v_manifest_reply *out, struct berr *e);

/* Parses an OCI or Docker image config into *out (zeroed first): architecture and os
 * (required, non-empty), variant, created, author, config.{Env, Cmd, Entrypoint, WorkingDir,
 * User, StopSignal, Labels ("key=value"), ExposedPorts and Volumes (their keys)}, rootfs (type
 * "layers", diff_ids digests, required) and history. A JSON null where an optional field may be
 * (Docker writes "Cmd": null) counts as absent; an empty string is passed on as it is. Label
 * keys may not be empty or contain '='.
 *
 * Returns 0 with *out filled (release with ipc_struct_free(&msg_v_config_reply_schema, out)),
 * or -1 with *e set and *out zeroed. */
int verify_parse_config(const uint8_t *buf, size_t len, struct msg_v_config_reply *out,
			struct berr *e);

/* Parses a docker-archive's manifest.json (an array of {"Config", "RepoTags", "Layers"}; other
 * keys ignored) into *out: the paths and tags as written, checked for type and length only
 * (the broker looks the paths up in the archive's table and parses the tags as references). */
int verify_parse_docker_archive(const uint8_t *buf, size_t len, struct msg_v_archive_reply *out,
				struct berr *e);

/* Parses a sigstore attachment manifest (the "sha256-<hex>.sig" tag cosign pushes next to an
 * image; containers/image docker/docker_image_src.go reads it the same way) into *out (zeroed
 * first): an OCI image manifest (the claim, when specific, and the document's mediaType, when
 * present, must say so; "manifests" is refused; schemaVersion 2), whose layers are each
 * returned with their media type (printable ASCII), digest, size and, from their annotations
 * (all strings, else refused), the base64 signature ("dev.cosignproject.cosign/signature",
 * base64 characters only) and whether a certificate or chain ("dev.sigstore.cosign/
 * certificate", ".../chain") or a Rekor bundle ("dev.sigstore.cosign/bundle") is there. Which
 * layers are signatures (their media type) is the caller's business; the config is not read.
 * At most 64 layers. Each layer's annotations are also returned verbatim, in order, for
 * `push` to write again when it appends a signature; when they do not fit the reply (more than
 * 32 on a layer, or more than 48 KiB over all layers) they are left out, and the first part
 * of the manifest that is not carried (those annotations, or a member other than
 * schemaVersion, mediaType, config and layers, or of a layer other than mediaType, digest,
 * size and annotations) is named in out->unkept (printable ASCII) instead of refusing: a pull
 * needs none of it.
 *
 * Returns 0 with *out filled (release with ipc_struct_free(&msg_v_sigattach_reply_schema,
 * out)), or -1 with *e set ("signature attachment manifest: ...") and *out zeroed. */
int verify_parse_sigattach(const uint8_t *buf, size_t len, const char *claimed_media_type,
			   struct msg_v_sigattach_reply *out, struct berr *e);

#endif
