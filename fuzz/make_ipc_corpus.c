/* Writes the seed corpus of fuzz_ipc: one valid encoding of each message type (two for
 * info-reply, verify-manifest-reply and verify-config-reply), named after the type. Not built by the Makefile; rerun after a schema change,
 * from the top directory:
 *   cc -std=gnu11 -I. -D_GNU_SOURCE -o /tmp/mkc fuzz/make_ipc_corpus.c $(ls ipc/[a-z]*.c) \
 *      $(ls common/[a-z]*.c) -lmsgpackc && /tmp/mkc fuzz/corpus/fuzz_ipc */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipc/channel.h"
#include "ipc/msg.h"

static char *libs[] = { "libcurl 7.88.1", "OpenSSL 3.0.9", NULL };
static char *maps[] = { "         0       1000          1", "         1     100000      65536",
			NULL };
static char *argv_sh[] = { "sh", "-c", "id", NULL };
static char *envp[] = { "HOME=/home/u", "PATH=/usr/bin:/bin", NULL };
static struct msg_runtime rts[] = {
	{ "crun", "/usr/bin/crun", "crun version 1.8.1", "ok" },
	{ "runc", "/usr/sbin/runc", "", "not found" },
};
static struct msg_worker_status workers[] = {
	{ "fetch", 100, 1000, 2, 1, true, "0000000000000000", "000001ffffffffff",
	  "enforced (ABI 3)", libs, 2, NULL, 0 },
	{ "launch", 101, 0, 2, 2, true, "0", "0", "not supported", NULL, 0, rts, 2 },
};
static struct msg_error error = { BERR_NOTFOUND, ENOENT, "no such image" };
static struct msg_hello hello = {
	.protocol = BERTH_PROTOCOL_VERSION, .root = "/var/lib/berth", .runroot = "/run/berth",
	.log_level = 4, .runtime = "/usr/bin/crun", .tmpdir = "/run/user/1000/berth",
	.home = "/home/u", .config_home = "/home/u/.config",
	.registries_conf = "/home/u/registries.conf",
};
static struct msg_hello_ok hello_ok = { 1, 4242 };
static struct msg_info info = { false };
static struct msg_info_reply info_reply = {
	"0.1.0", "amd64", "linux", "6.1.0", "host", "v2", "unified", true, maps, 2, maps, 1, 3141,
	"/var/lib/berth", "/run/berth", "/var/lib/berth/state.db", 3, "overlay", "crun", rts, 2,
	workers, 2,
};
static struct msg_info_reply info_reply_min = {
	"0.1.0", "amd64", "linux", "6.1.0", "host", "v1", "legacy", false, NULL, 0, NULL, 0, 0,
	"/", "/", "/db", 0, "vfs", "", NULL, 0, NULL, 0,
};
static struct msg_unshare unshare = { argv_sh, 3, envp, 2, "/" };
static struct msg_unshare_done unshare_done = { -1 };
static struct msg_w_info w_info = { true };

#define DIG_A "sha256:05455a08881ea9cf0e752bc48e61bbd71a34c029bb13df01e40e3e70e0d007bd"
#define DIG_B "sha256:4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8"
#define DIG_C "sha256:d4fc045c9e3a848011de66f34b81f052d4f2c15a17bb196d637e526349601820"
#define IMG_ID "05455a08881ea9cf0e752bc48e61bbd71a34c029bb13df01e40e3e70e0d007bd"

static char *names[] = { "docker.io/library/alpine:3.19", NULL };
static char *diff_ids[] = { DIG_C, NULL };
static char *cfg_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			   NULL };
static char *cfg_cmd[] = { "/bin/sh", NULL };
static char *cfg_labels[] = { "maintainer=someone", NULL };
static char *cfg_ports[] = { "80/tcp", NULL };
static struct msg_history history[] = {
	{ "2024-01-27T00:30:56Z", "/bin/sh -c #(nop) ADD file:37a7 in / ", NULL, false },
	{ "2024-01-27T00:30:57Z", "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]", "c", true },
};
static struct msg_v_config_reply v_config_reply = {
	.architecture = "amd64", .os = "linux", .variant = "v8", .created = "2024-01-27T00:30:57Z",
	.author = "someone", .diff_ids = diff_ids, .n_diff_ids = 1, .env = cfg_env, .n_env = 1,
	.cmd = cfg_cmd, .n_cmd = 1, .entrypoint = cfg_cmd, .n_entrypoint = 1, .working_dir = "/",
	.user = "1000", .stop_signal = "SIGTERM", .labels = cfg_labels, .n_labels = 1,
	.exposed_ports = cfg_ports, .n_exposed_ports = 1, .volumes = cfg_cmd, .n_volumes = 1,
	.history = history, .n_history = 2,
};
static struct msg_v_config_reply v_config_reply_min = {
	.architecture = "amd64", .os = "linux", .diff_ids = NULL, .n_diff_ids = 0,
};
static struct msg_image_summary summaries[] = {
	{ .id = IMG_ID, .digest = DIG_B, .names = names, .n_names = 1, .created = 1706315456,
	  .size = 7377920, .verified = "" },
};
static struct msg_ok ok = { false };
static struct msg_pull pull = { .reference = "alpine", .tls_verify = TRI_UNSET, .os = "linux",
				.arch = "amd64", .quiet = false };
static struct msg_progress progress = { "Copying blob 4abcf2066143 done" };
static struct msg_pull_done pull_done = { IMG_ID };
static struct msg_images images = { false };
static struct msg_images_reply images_reply = { summaries, 1 };
static struct msg_image_inspect image_inspect = { "alpine" };
static struct msg_image_inspect_reply image_inspect_reply = {
	.summary = summaries, .n_summary = 1, .config = &v_config_reply, .n_config = 1,
	.manifest_type = "application/vnd.oci.image.manifest.v1+json", .layer_digests = diff_ids,
	.n_layer_digests = 1,
};
static struct msg_tag tag = { "alpine", names, 1 };
static struct msg_rmi rmi = { .names = names, .n_names = 1, .force = false, .all = false };
static struct msg_rmi_reply rmi_reply = { .untagged = names, .n_untagged = 1 };
static char *accept_types[] = { "application/vnd.oci.image.index.v1+json",
				"application/vnd.docker.distribution.manifest.v2+json", NULL };
static struct msg_f_get f_get = {
	.registry = "registry-1.docker.io", .repository = "library/alpine", .kind = FETCH_MANIFEST,
	.reference = "latest", .accept = accept_types, .n_accept = 2, .tls_verify = true,
	.max_size = 4194304,
};
static struct msg_f_get f_get_sig = {
	.registry = "sigs.example.com", .repository = "", .kind = FETCH_LOOKASIDE, .reference = "",
	.tls_verify = true, .max_size = 4194304,
	.url = "https://sigs.example.com/library/alpine@sha256=0123abcd/signature-1",
};
static struct msg_f_get_reply f_get_reply = {
	200, "application/vnd.oci.image.index.v1+json", DIG_A, 9218,
};
static struct msg_v_manifest v_manifest = { "application/vnd.oci.image.manifest.v1+json" };
static struct msg_descriptor desc_config[] = {
	{ "application/vnd.oci.image.config.v1+json", DIG_A, 1471, NULL, NULL, NULL },
};
static struct msg_descriptor desc_layers[] = {
	{ "application/vnd.oci.image.layer.v1.tar+gzip", DIG_B, 3408729, NULL, NULL, NULL },
};
static struct msg_descriptor desc_entries[] = {
	{ "application/vnd.oci.image.manifest.v1+json", DIG_A, 1638, "linux", "amd64", NULL },
	{ "application/vnd.oci.image.manifest.v1+json", DIG_B, 1638, "linux", "arm64", "v8" },
};
static struct msg_v_manifest_reply v_manifest_reply = {
	.kind = MANIFEST_IMAGE, .media_type = "application/vnd.oci.image.manifest.v1+json",
	.schema_version = 2, .config = desc_config, .n_config = 1, .layers = desc_layers,
	.n_layers = 1,
};
static struct msg_v_manifest_reply v_index_reply = {
	.kind = MANIFEST_INDEX, .media_type = "application/vnd.oci.image.index.v1+json",
	.schema_version = 2, .manifests = desc_entries, .n_manifests = 2,
};
static struct msg_v_config v_config = { false };
static struct msg_u_layer u_layer = { "application/vnd.oci.image.layer.v1.tar+gzip", true,
				      UINT64_C(68719476736), 1000000 };
static struct msg_u_layer_reply u_layer_reply = { DIG_C, 527, 7377920, 1 };
static struct msg_save save = { .images = names, .n_images = 1, .format = SAVE_OCI_ARCHIVE,
				.multi_image = false, .quiet = true };
static struct msg_u_pack u_pack = { 0 };
static struct msg_u_pack_entry u_pack_entry = {
	.kind = PACK_FILE, .name = "blobs/sha256/" IMG_ID, .mode = 0444, .size = 3408729,
	.decompress = true, .digest = DIG_C,
};
static struct msg_u_pack_reply u_pack_reply = { 3408729, DIG_C };
static struct msg_v_signature v_signature = {
	.manifest_digest = DIG_A, .reference = "registry.example.com/mirror/app:1", .identity = 5,
	.identity_prefix = "registry.example.com/mirror",
	.identity_signed_prefix = "registry.example.com/app",
};
static char *sign_images[] = { "docker://registry.example.com/app:1" };
static struct msg_image_sign image_sign = {
	.images = sign_images, .n_images = 1, .sign_by = "4082E336C3010270D665FFAF0137FC9E2332DC56",
	.directory = "/tmp/sigs", .tls_verify = 1, .gnupghome = "/home/u/.gnupg",
};
static uint8_t sign_payload[] = "{\"critical\":{\"type\":\"atomic container signature\"}}";
static struct msg_s_gpg_sign s_gpg_sign = {
	.payload = { sign_payload, sizeof(sign_payload) - 1 },
	.fingerprint = "4082E336C3010270D665FFAF0137FC9E2332DC56",
};
static uint8_t sign_sig[] = { 0xa3, 0x01, 0x3b, 0x00, 0xc4, 0xff, 0x90, 0x0d };
static struct msg_s_gpg_sign_reply s_gpg_sign_reply = {
	.signature = { sign_sig, sizeof(sign_sig) },
	.fingerprint = "4082E336C3010270D665FFAF0137FC9E2332DC56",
};
static struct msg_v_signature_reply v_signature_reply = {
	.accepted = false, .fingerprint = "4082E336C3010270D665FFAF0137FC9E2332DC56",
	.reason = "signed by key 4082E336C3010270D665FFAF0137FC9E2332DC56, which the policy "
		  "does not name",
};
static struct msg_v_sigattach v_sigattach = { .media_type = "application/vnd.oci.image.manifest.v1+json" };
static struct msg_sigattach_annotation sigattach_annotations[] = {
	{ .key = "dev.cosignproject.cosign/signature",
	  .value = "MEUCIQDx4Mq0pYJ0n6y3Q0vQ2bXbZ0lM5dQ4a0b1c2d3e4f5gAIgYWJjZGVm" },
	{ .key = "dev.sigstore.cosign/certificate", .value = "-----BEGIN CERTIFICATE-----\n" },
};
static struct msg_sigattach_layer sigattach_layers[] = {
	{ .media_type = "application/vnd.dev.cosign.simplesigning.v1+json", .digest = DIG_A,
	  .size = 241, .signature = "MEUCIQDx4Mq0pYJ0n6y3Q0vQ2bXbZ0lM5dQ4a0b1c2d3e4f5gAIgYWJjZGVm",
	  .has_certificate = true, .annotations = sigattach_annotations, .n_annotations = 2 },
	{ .media_type = "application/vnd.in-toto+json", .digest = DIG_C, .size = 1024 },
};
static struct msg_v_sigattach_reply v_sigattach_reply = { .layers = sigattach_layers,
							   .n_layers = 2, .unkept = "layers[1].urls" };
static struct msg_v_sigstore v_sigstore = {
	.manifest_digest = DIG_A, .reference = "registry.example.com/app:1", .identity = 2,
	.signature = "MEUCIQDx4Mq0pYJ0n6y3Q0vQ2bXbZ0lM5dQ4a0b1c2d3e4f5gAIgYWJjZGVm",
};
static struct msg_v_sigstore_reply v_sigstore_reply = {
	.accepted = false, .reason = "the sigstore signature does not match the payload and the "
				     "key the policy names",
};

static const struct {
	const char *file;
	uint32_t type;
	const void *body;
} seeds[] = {
	{ "error", MSG_ERROR, &error },
	{ "hello", MSG_HELLO, &hello },
	{ "hello-ok", MSG_HELLO_OK, &hello_ok },
	{ "info", MSG_INFO, &info },
	{ "info-reply", MSG_INFO_REPLY, &info_reply },
	{ "info-reply-min", MSG_INFO_REPLY, &info_reply_min },
	{ "unshare", MSG_UNSHARE, &unshare },
	{ "unshare-done", MSG_UNSHARE_DONE, &unshare_done },
	{ "worker-info", MSG_W_INFO, &w_info },
	{ "worker-info-reply", MSG_W_INFO_REPLY, &workers[1] },
	{ "ok", MSG_OK, &ok },
	{ "pull", MSG_PULL, &pull },
	{ "progress", MSG_PROGRESS, &progress },
	{ "pull-done", MSG_PULL_DONE, &pull_done },
	{ "images", MSG_IMAGES, &images },
	{ "images-reply", MSG_IMAGES_REPLY, &images_reply },
	{ "image-inspect", MSG_IMAGE_INSPECT, &image_inspect },
	{ "image-inspect-reply", MSG_IMAGE_INSPECT_REPLY, &image_inspect_reply },
	{ "tag", MSG_TAG, &tag },
	{ "untag", MSG_UNTAG, &tag },
	{ "rmi", MSG_RMI, &rmi },
	{ "rmi-reply", MSG_RMI_REPLY, &rmi_reply },
	{ "fetch-get", MSG_F_GET, &f_get },
	{ "fetch-get-signature", MSG_F_GET, &f_get_sig },
	{ "fetch-get-reply", MSG_F_GET_REPLY, &f_get_reply },
	{ "verify-manifest", MSG_V_MANIFEST, &v_manifest },
	{ "verify-manifest-reply", MSG_V_MANIFEST_REPLY, &v_manifest_reply },
	{ "verify-manifest-reply-index", MSG_V_MANIFEST_REPLY, &v_index_reply },
	{ "verify-config", MSG_V_CONFIG, &v_config },
	{ "verify-config-reply", MSG_V_CONFIG_REPLY, &v_config_reply },
	{ "verify-config-reply-min", MSG_V_CONFIG_REPLY, &v_config_reply_min },
	{ "unpack-layer", MSG_U_LAYER, &u_layer },
	{ "unpack-layer-reply", MSG_U_LAYER_REPLY, &u_layer_reply },
	{ "save", MSG_SAVE, &save },
	{ "unpack-pack", MSG_U_PACK, &u_pack },
	{ "unpack-pack-entry", MSG_U_PACK_ENTRY, &u_pack_entry },
	{ "unpack-pack-reply", MSG_U_PACK_REPLY, &u_pack_reply },
	{ "verify-signature", MSG_V_SIGNATURE, &v_signature },
	{ "verify-signature-reply", MSG_V_SIGNATURE_REPLY, &v_signature_reply },
	{ "verify-sigattach", MSG_V_SIGATTACH, &v_sigattach },
	{ "verify-sigattach-reply", MSG_V_SIGATTACH_REPLY, &v_sigattach_reply },
	{ "verify-sigstore", MSG_V_SIGSTORE, &v_sigstore },
	{ "verify-sigstore-reply", MSG_V_SIGSTORE_REPLY, &v_sigstore_reply },
	{ "image-sign", MSG_IMAGE_SIGN, &image_sign },
	{ "sign-gpg", MSG_S_GPG_SIGN, &s_gpg_sign },
	{ "sign-gpg-reply", MSG_S_GPG_SIGN_REPLY, &s_gpg_sign_reply },
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4096];
		uint8_t *buf;
		size_t len;
		struct berr e;
		FILE *f;

		if (ipc_msg_encode(seeds[i].type, i + 1, seeds[i].body, &buf, &len, &e) < 0) {
			fprintf(stderr, "%s: %s\n", seeds[i].file, e.msg);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].file);
		f = fopen(path, "wbe");
		if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		free(buf);
	}
	return 0;
}
