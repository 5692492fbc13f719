/* Unit tests for ipc/channel.c and ipc/dispatch.c: message encode/decode of every real type,
 * mutation tests on their encodings (every truncation and every single-bit flip), fd
 * ownership in ipc_msg_decode, and the channel over a real SOCK_SEQPACKET socketpair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <msgpack.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/codec.h"
#include "ipc/dispatch.h"
#include "ipc/msg.h"

static const char *const skip_env[] = { "type", "id", NULL };

static void pstr(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}
#define PSTR(pk, lit) pstr(pk, lit, sizeof(lit) - 1)

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---------------------------------------------------------------- every message type */

static void assert_struct_eq(const struct ipc_schema *s, const void *a, const void *b)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const struct ipc_field *f = &s->fields[i];
		const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
		size_t na = 0, nb = 0;

		if (f->type == IPC_T_STRV || f->type == IPC_T_STRUCTV) {
			memcpy(&na, (const char *)a + f->count_offset, sizeof(na));
			memcpy(&nb, (const char *)b + f->count_offset, sizeof(nb));
			if (na != nb)
				fail_msg("%s.%s: %zu vs %zu elements", s->name, f->key, na, nb);
		}
		switch (f->type) {
		case IPC_T_UINT:
			assert_memory_equal(pa, pb, sizeof(uint64_t));
			break;
		case IPC_T_INT:
			assert_memory_equal(pa, pb, sizeof(int64_t));
			break;
		case IPC_T_BOOL:
			assert_int_equal(*(const bool *)pa, *(const bool *)pb);
			break;
		case IPC_T_STR: {
			const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;

			if (sa == NULL || sb == NULL)
				assert_ptr_equal(sa, sb);
			else
				assert_string_equal(sa, sb);
			break;
		}
		case IPC_T_BIN: {
			const struct ipc_bin *ba = (const void *)pa, *bb = (const void *)pb;

			assert_int_equal(ba->data == NULL, bb->data == NULL);
			assert_int_equal(ba->len, bb->len);
			if (ba->len > 0)
				assert_memory_equal(ba->data, bb->data, ba->len);
			break;
		}
		case IPC_T_STRV:
			for (size_t j = 0; j < na; j++)
				assert_string_equal((*(char **const *)pa)[j], (*(char **const *)pb)[j]);
			break;
		case IPC_T_STRUCTV:
			for (size_t j = 0; j < na; j++)
				assert_struct_eq(f->sub, *(char *const *)pa + j * f->sub->size,
						 *(char *const *)pb + j * f->sub->size);
			break;
		}
	}
}

static char *libs[] = { "libcurl 7.88.1", "OpenSSL 3.0.9", NULL };
static struct msg_runtime rts[] = {
	{ "crun", "/usr/bin/crun", "crun version 1.8.1", "ok" },
	{ "runc", "/usr/sbin/runc", "", "not found in $PATH" },
};
static struct msg_worker_status workers[] = {
	{ "fetch", 100, 1000, 2, 1, true, "0000000000000000", "000001ffffffffff",
	  "enforced (ABI 3)", libs, 2, NULL, 0 },
	{ "launch", 101, 0, 2, 2, false, "0", "0", "not supported by the kernel", NULL, 0,
	  rts, 2 },
};
static char *uid_map[] = { "         0       1000          1",
			   "         1     100000      65536", NULL };
static char *gid_map[] = { "         0       1000          1", NULL };
static char *argv_sh[] = { "sh", "-c", "echo \xc3\xa9t\xc3\xa9", NULL };
static char *envp[] = { "HOME=/home/u", "PATH=/usr/bin:/bin", "EMPTY=", NULL };

static struct msg_error m_error = { BERR_NOTFOUND, ENOENT, "no such image: \"alpine\"" };
static struct msg_hello m_hello = {
	.protocol = BERTH_PROTOCOL_VERSION, .root = "/var/lib/berth", .runroot = "/run/berth",
	.log_level = 4, .runtime = "/usr/bin/crun", .tmpdir = "/run/user/1000/berth",
	.home = "/home/u", .config_home = "/home/u/.config", .registries_conf = NULL,
};
static struct msg_hello_ok m_hello_ok = { 1, 4242 };
static struct msg_info m_info = { true };
static struct msg_info_reply m_info_reply = {
	"0.1.0", "amd64", "linux", "6.1.0-13-amd64", "host.example", "v2", "unified", true,
	uid_map, 2, gid_map, 1, 3141, "/home/u/.local/share/berth", "/run/user/1000/berth",
	"/home/u/.local/share/berth/state.db", 3, "overlay", "crun", rts, 2, workers, 2,
};
static struct msg_unshare m_unshare = { argv_sh, 3, envp, 3, "/home/u" };
static struct msg_unshare_done m_unshare_done = { -130 };
static struct msg_w_info m_w_info = { false };

/* The image path: frontend <-> broker. */
#define DIG_A "sha256:05455a08881ea9cf0e752bc48e61bbd71a34c029bb13df01e40e3e70e0d007bd"
#define DIG_B "sha256:4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8"
#define DIG_C "sha256:d4fc045c9e3a848011de66f34b81f052d4f2c15a17bb196d637e526349601820"
#define IMG_ID "05455a08881ea9cf0e752bc48e61bbd71a34c029bb13df01e40e3e70e0d007bd"

static char *img_names[] = { "docker.io/library/alpine:3.19", "docker.io/library/alpine:latest",
			     NULL };
static char *diff_ids[] = { DIG_C, "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
			    NULL };
static char *cfg_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			   "LANG=C.UTF-8", NULL };
static char *cfg_cmd[] = { "nginx", "-g", "daemon off;", NULL };
static char *cfg_entrypoint[] = { "/docker-entrypoint.sh", NULL };
static char *cfg_labels[] = { "maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>",
			      "org.opencontainers.image.title=caf\xc3\xa9", "empty=", NULL };
static char *cfg_ports[] = { "80/tcp", "443/tcp", NULL };
static char *cfg_volumes[] = { "/var/cache/nginx", NULL };
static struct msg_history cfg_history[] = {
	{ "2024-01-27T00:30:56.0016446Z", "/bin/sh -c #(nop) ADD file:37a76ec18f98 in / ", NULL,
	  false },
	{ "2024-01-27T00:30:56.150825642Z", "/bin/sh -c #(nop)  CMD [\"nginx\"]", NULL, true },
	{ NULL, "RUN /bin/sh -c apt-get update # buildkit", "buildkit.dockerfile.v0", false },
};
static struct msg_v_config_reply m_v_config_reply = {
	.architecture = "arm", .os = "linux", .variant = "v7",
	.created = "2024-01-27T00:30:56.150825642Z",
	.author = "NGINX Docker Maintainers <docker-maint@nginx.com>",
	.diff_ids = diff_ids, .n_diff_ids = 2, .env = cfg_env, .n_env = 2,
	.cmd = cfg_cmd, .n_cmd = 3, .entrypoint = cfg_entrypoint, .n_entrypoint = 1,
	.working_dir = "/usr/share/nginx", .user = "101:101", .stop_signal = "SIGQUIT",
	.labels = cfg_labels, .n_labels = 3, .exposed_ports = cfg_ports, .n_exposed_ports = 2,
	.volumes = cfg_volumes, .n_volumes = 1, .history = cfg_history, .n_history = 3,
};
static struct msg_image_summary img_summary[] = {
	{ .id = IMG_ID, .digest = DIG_B, .names = img_names, .n_names = 2, .created = 1706315456,
	  .size = 7377920, .verified = "" },
	{ .id = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
	  .digest = DIG_C, .names = NULL, .n_names = 0, .created = 0, .size = 0,
	  .verified = "signed by release@example.com (policy.json: signedBy)" },
};
static char *layer_digests[] = { DIG_B, NULL };
static char *rmi_untagged[] = { "docker.io/library/alpine:3.19", NULL };
static char *rmi_deleted[] = { IMG_ID, NULL };
static char *rmi_missing[] = { "nosuch:latest", NULL };
static struct msg_ok m_ok = { .debug = false };
static struct msg_pull m_pull = {
	.reference = "alpine:3.19", .tls_verify = TRI_FALSE, .creds = "user:pa:ss",
	.authfile = "/run/user/1000/containers/auth.json", .cert_dir = "/etc/certs",
	.os = "linux", .arch = "arm64", .variant = "v8", .quiet = true,
};
static struct msg_progress m_progress = { .line = "Copying blob 4abcf2066143 done" };
static struct msg_pull_done m_pull_done = { .image_id = IMG_ID };
static struct msg_images m_images = { .all = true };
static struct msg_images_reply m_images_reply = { .images = img_summary, .n_images = 2 };
static struct msg_image_inspect m_image_inspect = { .name = "05455a0888" };
static struct msg_image_inspect_reply m_image_inspect_reply = {
	.summary = img_summary, .n_summary = 1, .config = &m_v_config_reply, .n_config = 1,
	.manifest_type = "application/vnd.oci.image.manifest.v1+json",
	.layer_digests = layer_digests, .n_layer_digests = 1,
};
static struct msg_tag m_tag = { .image = "alpine", .names = img_names, .n_names = 2 };
static struct msg_tag m_untag = { .image = IMG_ID, .names = NULL, .n_names = 0 };
static struct msg_rmi m_rmi = { .names = img_names, .n_names = 2, .force = true, .all = false };
static struct msg_rmi_reply m_rmi_reply = {
	.untagged = rmi_untagged, .n_untagged = 1, .deleted = rmi_deleted, .n_deleted = 1,
	.missing = rmi_missing, .n_missing = 1,
};

/* The image path: broker <-> workers. */
static char *accept_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json", NULL,
};
static struct msg_f_get m_f_get = {
	.registry = "registry-1.docker.io", .repository = "library/alpine",
	.kind = FETCH_MANIFEST, .reference = "3.19", .accept = accept_types, .n_accept = 4,
	.tls_verify = true, .plain_http = false, .head = false, .max_size = 4194304,
	.username = "someone", .password = "dckr_pat_0123456789", .has_ca = false,
	.has_client_cert = true,
};
/* A lookaside signature: a URL, no repository, never credentials. */
static struct msg_f_get m_f_get_sig = {
	.registry = "sigs.example.com:8443", .repository = "", .kind = FETCH_LOOKASIDE,
	.reference = "", .tls_verify = true, .max_size = 4194304,
	.url = "https://sigs.example.com:8443/team/app@sha256=0123abcd/signature-1",
};
static struct msg_f_put m_f_put = {
	.registry = "127.0.0.1:5000", .repository = "team/app", .kind = FETCH_BLOB,
	.reference = DIG_B, .size = 2811, .mount_from = "team/base", .tls_verify = false,
	.plain_http = true, .username = "someone", .password = "s3cret", .has_ca = true,
	.has_client_cert = true,
};
static struct msg_f_put_reply m_f_put_reply = {
	.http_status = 201, .existed = false, .digest = DIG_B,
};
static struct msg_push m_push = {
	.source = "localhost/app:1", .destination = "127.0.0.1:5000/team/app:1",
	.tls_verify = TRI_FALSE, .creds = "u:p", .cert_dir = "/etc/certs", .quiet = true,
	.sign_by = "4082E336C3010270D665FFAF0137FC9E2332DC56", .sign_passphrase = "p4ss w0rd",
	.gnupghome = "/home/u/.gnupg",
	.sigstore_key = { (uint8_t *)"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", 46 },
	.sigstore_key_path = "/home/u/cosign.key",
};
static struct msg_login m_login = {
	.registry = "127.0.0.1:5000", .username = "berth", .password = "pw",
	.authfile = "/run/user/1000/containers/auth.json", .tls_verify = TRI_UNSET,
	.cert_dir = NULL,
};
static struct msg_logout m_logout = {
	.registry = NULL, .authfile = "/run/containers/0/auth.json", .all = true,
};
static struct msg_f_progress m_f_progress = { .done = 1234567, .total = 9999999 };
static struct msg_f_get_reply m_f_get_reply = {
	.http_status = 200, .media_type = "application/vnd.oci.image.index.v1+json",
	.digest = DIG_A, .size = 9218,
};
static struct msg_v_manifest m_v_manifest = {
	.media_type = "application/vnd.oci.image.manifest.v1+json",
};
static struct msg_descriptor mf_config[] = {
	{ "application/vnd.oci.image.config.v1+json", DIG_A, 1471, NULL, NULL, NULL, NULL },
};
static struct msg_descriptor mf_layers[] = {
	{ "application/vnd.oci.image.layer.v1.tar+gzip", DIG_B, 3408729, NULL, NULL, NULL, "busybox:1" },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", DIG_C, 0, NULL, NULL, NULL, NULL },
};
static struct msg_v_manifest_reply m_v_manifest_reply = {
	.kind = MANIFEST_IMAGE, .media_type = "application/vnd.oci.image.manifest.v1+json",
	.schema_version = 2, .config = mf_config, .n_config = 1, .layers = mf_layers,
	.n_layers = 2, .manifests = NULL, .n_manifests = 0,
};
static struct msg_v_config m_v_config = { .debug = false };
static struct msg_u_layer m_u_layer = {
	.media_type = "application/vnd.oci.image.layer.v1.tar+gzip", .rootless = true,
	.max_bytes = UINT64_C(68719476736), .max_entries = 1000000,
};
static struct msg_u_layer_reply m_u_layer_reply = {
	.diff_id = DIG_C, .entries = 527, .bytes = 7377920, .skipped = 1,
};
static char *m_names[] = { "docker.io/library/busybox:v1", DIG_B, NULL };
static struct msg_load m_load = { .quiet = true };
static struct msg_load_reply m_load_reply = { .names = m_names, .n_names = 2 };
static char *m_cmd[] = { "/bin/sh", "-c", "echo hi", NULL };
static char *m_env[] = { "A=b", NULL };
static char *m_ports[] = { "80/tcp", "53/udp", NULL };
static struct msg_import m_import = {
	.reference = "localhost/x:1", .message = "from a tarball", .os = "linux", .arch = "arm64",
	.variant = "v8", .has_cmd = true, .cmd = m_cmd, .n_cmd = 3, .has_entrypoint = false,
	.env = m_env, .n_env = 1, .labels = m_env, .n_labels = 1, .exposed = m_ports,
	.n_exposed = 2, .volumes = m_env, .n_volumes = 1, .user = "1000:1000", .workdir = "/w",
	.stop_signal = "SIGINT", .quiet = false,
};
static char *m_layers[] = { "aa/layer.tar", "bb.tar", NULL };
static char *m_tags[] = { "busybox:latest", NULL };
static char *m_none[] = { NULL };
static struct msg_archive_image m_arch_images[] = {
	{ .config = "cc.json", .layers = m_layers, .n_layers = 2, .repo_tags = m_tags,
	  .n_repo_tags = 1 },
	{ .config = "dd.json", .layers = m_layers, .n_layers = 1, .repo_tags = m_none,
	  .n_repo_tags = 0 },
};
static struct msg_v_archive m_v_archive = { .debug = false };
static struct msg_v_archive_reply m_v_archive_reply = { .images = m_arch_images, .n_images = 2 };
static struct msg_v_regd m_v_regd = { .path = "/etc/containers/registries.d/default.yaml" };
static struct msg_regd_entry m_regd_entries[] = {
	{ .is_default = true, .lookaside = "file:///var/lib/containers/sigstore",
	  .use_sigstore_attachments = -1 },
	{ .scope = "registry.example.com/ns", .lookaside = "https://sigs.example.com/store",
	  .lookaside_staging = "file:///srv/stage", .use_sigstore_attachments = 1 },
};
static struct msg_v_regd_reply m_v_regd_reply = { .entries = m_regd_entries, .n_entries = 2 };
static struct msg_u_shift m_u_shift = { .uid_shift = 1, .gid_shift = 1, .max_uid = 65536,
				       .max_gid = 65536 };
static struct msg_u_shift_reply m_u_shift_reply = { .entries = 1200, .skipped = 3 };
static struct msg_u_archive m_u_archive = { .max_bytes = UINT64_C(1) << 36, .max_files = 512 };
static struct msg_archive_entry m_entries[] = {
	{ .path = "manifest.json", .file = 0, .size = 312 },
	{ .path = "aa/layer.tar", .file = 1, .size = 10240 },
	{ .path = "bb/layer.tar", .file = 1, .size = 10240 },
};
static struct msg_u_archive_reply m_u_archive_reply = {
	.entries = m_entries, .n_entries = 3, .skipped = 2,
};
static char *save_images[] = { "alpine", "localhost/other:1", NULL };
static struct msg_save m_save = {
	.images = save_images, .n_images = 2, .format = SAVE_DOCKER_ARCHIVE, .multi_image = true,
	.quiet = false,
};
static struct msg_u_pack m_u_pack = { .mtime = 1706315456 };
static struct msg_u_pack_entry m_u_pack_entry = {
	.kind = PACK_FILE, .name = "blobs/sha256/" IMG_ID, .mode = 0444, .size = 7377920,
	.decompress = true, .digest = DIG_C,
};
static struct msg_u_pack_reply m_u_pack_reply = { .bytes = 7377920, .digest = DIG_C };

static char *m_ctr_args[] = { "sh", "-c", "exit 7", NULL };
static char *m_ctr_list[] = { "NET_RAW", NULL };
static struct msg_create m_create = {
	.image = "busybox", .name = "web", .args = m_ctr_args, .n_args = 3,
	.entrypoint = "[\"/bin/sh\"]", .env = m_env, .n_env = 1, .host_env = m_env,
	.n_host_env = 1, .workdir = "/w", .user = "1000:1000", .hostname = "h", .labels = m_env,
	.n_labels = 1, .annotations = m_env, .n_annotations = 1, .tty = false,
	.interactive = true, .rm = true, .read_only = true, .privileged = false,
	.cap_add = m_ctr_list, .n_cap_add = 1, .cap_drop = m_ctr_list, .n_cap_drop = 1,
	.security_opt = m_ctr_list, .n_security_opt = 1, .seccomp_profile = "{}",
	.memory = "512m", .memory_swap = "1g", .cpus = "1.5", .cpu_shares = "512",
	.pids_limit = "100", .shm_size = "64m", .ulimits = m_ctr_list, .n_ulimits = 1,
	.tmpfs = m_ctr_list, .n_tmpfs = 1, .sysctls = m_ctr_list, .n_sysctls = 1,
	.network = "none", .runtime = "runc", .stop_signal = "SIGTERM", .stop_timeout = 10,
};
static struct msg_create_reply m_create_reply = { .container_id = IMG_ID, .name = "web" };
static struct msg_start m_start = { .container = "web", .attach = true };
static struct msg_start_done m_start_done = { .exit_code = 127, .error = "not found" };
static struct msg_ps m_ps = { .all = true };
static struct msg_container_summary m_ctrs[] = {
	{ .id = IMG_ID, .name = "web", .image = "busybox", .image_id = IMG_ID,
	  .command = m_ctr_args, .n_command = 3, .created = 1700000000, .state = "exited",
	  .exit_code = 7, .started = 1700000001, .finished = 1700000002, .pid = 0 },
};
static struct msg_ps_reply m_ps_reply = { .containers = m_ctrs, .n_containers = 1 };
static struct msg_crm m_crm = { .names = m_ctr_list, .n_names = 1, .force = true };
static struct msg_crm_reply m_crm_reply = { .removed = m_ctr_list, .n_removed = 1,
					    .missing = m_none, .n_missing = 0 };
static struct msg_cinspect m_cinspect = { .container = "web" };
static struct msg_cinspect_reply m_cinspect_reply = {
	.summary = m_ctrs, .n_summary = 1, .config_json = "{\"ociVersion\": \"1.0.2\"}",
	.runtime = "/usr/bin/runc",
};
static struct msg_v_user m_v_user = { .has_passwd = true, .has_group = false, .user = "app:wheel" };
static struct msg_user_group m_user_groups[] = { { .gid = 10 }, { .gid = 4294967294u } };
static struct msg_v_user_reply m_v_user_reply = {
	.uid = 1000, .gid = 1000, .home = "/home/app", .groups = m_user_groups, .n_groups = 2,
};
static struct msg_l_wait m_l_wait = { .debug = false };
static struct msg_l_wait_reply m_l_wait_reply = { .exit_code = 137, .signal = 9 };
static struct msg_csignal m_csignal = { .names = m_ctr_list, .n_names = 1, .stop = true,
					.signal = "TERM", .timeout = 10 };
static struct msg_csignal_reply m_csignal_reply = { .done = m_ctr_list, .n_done = 1 };
static struct msg_cwait m_cwait = { .container = "web", .condition = "stopped" };
static struct msg_logs m_logs = { .container = "web", .follow = true };
static struct msg_logs_reply m_logs_reply = { .running = true };
static struct msg_exec m_exec = { .container = "web", .args = m_ctr_list, .n_args = 1,
				  .user = "1000:1000", .workdir = "/tmp", .interactive = true };
static struct msg_cprune m_cprune = { .debug = false };
static struct msg_l_status m_l_status = { .debug = false };
static struct msg_l_status_reply m_l_status_reply = { .pid = 4242, .error = "no such file" };
static struct msg_l_connect m_l_connect = { .debug = false };
static struct msg_l_kill m_l_kill = { .signal = 15 };
static struct msg_l_attach m_l_attach = { .debug = false };
static uint8_t m_bytes[] = { 'h', 'i', 0, 0x10 };
static struct msg_l_output m_l_output = { .stream = 2, .data = { m_bytes, sizeof(m_bytes) } };
static struct msg_l_input m_l_input = { .data = { m_bytes, sizeof(m_bytes) }, .eof = true };
static struct msg_l_resize m_l_resize = { .rows = 24, .cols = 80 };
static struct msg_attach m_attach = { .container = "web", .no_stdin = true };
static struct msg_attach_reply m_attach_reply = { .tty = true, .interactive = true };
static struct msg_trust_show m_trust_show = { .policy_path = "/etc/containers/policy.json",
					      .raw = true };
static char *trust_keys[] = { "/etc/pki/key.gpg", "keyData" };
static struct msg_trust_entry trust_entries[] = {
	{ .transport = "all", .name = "* (default)", .repo_name = "default", .type = "reject",
	  .gpg_id = "", .sigstore = "" },
	{ .transport = "repository", .name = "quay.io", .repo_name = "quay.io", .type = "signed",
	  .keys = trust_keys, .n_keys = 2, .gpg_id = "a@example.com",
	  .sigstore = "https://sigs.example.com" },
};
static char *trust_set_keys[] = { "/etc/pki/key.gpg" };
static struct msg_trust_set m_trust_set = { .scope = "quay.io/ns",
					    .trust_type = "signedBy", .keys = trust_set_keys,
					    .n_keys = 1 };
static struct msg_v_key_uids m_v_key_uids = { .debug = false };
static char *key_uids[] = { "signer@example.com", "Other Name" };
static char *key_fprs[] = { "82D9BC89519B0B98DAFCA693EE0E5E6364DB2585", NULL };
static struct msg_key_uids key_uid_lists[] = {
	{ .uids = key_uids, .n_uids = 2, .fingerprints = key_fprs, .n_fingerprints = 1 },
	{ .error = "OpenPGP key: not an OpenPGP packet" },
};
static struct msg_v_key_uids_reply m_v_key_uids_reply = { .keys = key_uid_lists, .n_keys = 2 };
static struct msg_v_signature m_v_signature = {
	.manifest_digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.reference = "localhost:5000/mirror/app:1", .identity = 5,
	.identity_prefix = "localhost:5000/mirror", .identity_signed_prefix = "localhost:5000/app",
};
static char *sign_images[] = { "docker://localhost:5000/app:1", "localhost:5000/app:2" };
static struct msg_image_sign m_image_sign = {
	.images = sign_images, .n_images = 2, .sign_by = "0137FC9E2332DC56",
	.directory = "/tmp/sigs", .tls_verify = TRI_TRUE, .gnupghome = "/home/u/.gnupg",
};
static uint8_t sign_payload[] = "{\"critical\":{\"type\":\"atomic container signature\"}}";
static uint8_t sign_sig[] = { 0xa3, 0x01, 0x3b, 0x00, 0xc4, 0xff, 0x90, 0x0d };
static struct msg_s_gpg_sign m_s_gpg_sign = {
	.payload = { sign_payload, sizeof(sign_payload) - 1 }, .fingerprint = "0137FC9E2332DC56",
	.passphrase = "secret",
};
static struct msg_s_gpg_sign_reply m_s_gpg_sign_reply = {
	.signature = { sign_sig, sizeof(sign_sig) },
	.fingerprint = "4082E336C3010270D665FFAF0137FC9E2332DC56",
};
static struct msg_v_signature_reply m_v_signature_reply = {
	.accepted = false, .fingerprint = "0137FC9E2332DC56",
	.reason = "signature is for digest A, pulled manifest is B",
};
static struct msg_v_sigattach m_v_sigattach = { .media_type = "application/vnd.oci.image.manifest.v1+json" };
static struct msg_sigattach_annotation sigattach_annotations[] = {
	{ .key = "dev.cosignproject.cosign/signature",
	  .value = "MEUCIQDx4Mq0pYJ0n6y3Q0vQ2bXbZ0lM5dQ4a0b1c2d3e4f5gAIgYWJjZGVm" },
	{ .key = "dev.sigstore.cosign/certificate", .value = "-----BEGIN CERTIFICATE-----\n" },
};
static struct msg_sigattach_layer sigattach_layers[] = {
	{ .media_type = "application/vnd.dev.cosign.simplesigning.v1+json",
	  .digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  .size = 241, .signature = "MEUCIQDx4Mq0pYJ0n6y3Q0vQ2bXbZ0lM5dQ4a0b1c2d3e4f5gAIgYWJjZGVm",
	  .has_certificate = true, .has_bundle = false,
	  .annotations = sigattach_annotations, .n_annotations = 2 },
	{ .media_type = "application/vnd.in-toto+json",
	  .digest = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
	  .size = 1024 },
};
static struct msg_v_sigattach_reply m_v_sigattach_reply = { .layers = sigattach_layers,
							     .n_layers = 2,
							     .unkept = "layers[1].urls" };
static struct msg_v_sigstore m_v_sigstore = {
	.manifest_digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.reference = "localhost:5000/app:1", .identity = 2,
	.signature = "MEUCIQDx4Mq0pYJ0n6y3Q0vQ2bXbZ0lM5dQ4a0b1c2d3e4f5gAIgYWJjZGVm",
};
static struct msg_v_sigstore_reply m_v_sigstore_reply = {
	.accepted = true,
	.key_sha256 = "5f2c8a1b0e9d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
	.key_index = 1,
};
static struct msg_trust_show_reply m_trust_show_reply = {
	.policy_path = "/etc/containers/policy.json", .entries = trust_entries, .n_entries = 2
};

static const struct {
	uint32_t type;
	const void *body;
} msg_cases[] = {
	{ MSG_ERROR, &m_error },
	{ MSG_HELLO, &m_hello },
	{ MSG_HELLO_OK, &m_hello_ok },
	{ MSG_INFO, &m_info },
	{ MSG_INFO_REPLY, &m_info_reply },
	{ MSG_UNSHARE, &m_unshare },
	{ MSG_UNSHARE_DONE, &m_unshare_done },
	{ MSG_W_INFO, &m_w_info },
	{ MSG_W_INFO_REPLY, &workers[1] },
	{ MSG_OK, &m_ok },
	{ MSG_PULL, &m_pull },
	{ MSG_PROGRESS, &m_progress },
	{ MSG_PULL_DONE, &m_pull_done },
	{ MSG_IMAGES, &m_images },
	{ MSG_IMAGES_REPLY, &m_images_reply },
	{ MSG_IMAGE_INSPECT, &m_image_inspect },
	{ MSG_IMAGE_INSPECT_REPLY, &m_image_inspect_reply },
	{ MSG_TAG, &m_tag },
	{ MSG_UNTAG, &m_untag },
	{ MSG_RMI, &m_rmi },
	{ MSG_RMI_REPLY, &m_rmi_reply },
	{ MSG_F_GET, &m_f_get },
	{ MSG_F_GET, &m_f_get_sig },
	{ MSG_F_PUT, &m_f_put },
	{ MSG_F_PUT_REPLY, &m_f_put_reply },
	{ MSG_PUSH, &m_push },
	{ MSG_LOGIN, &m_login },
	{ MSG_F_PROGRESS, &m_f_progress },
	{ MSG_LOGOUT, &m_logout },
	{ MSG_F_GET_REPLY, &m_f_get_reply },
	{ MSG_V_MANIFEST, &m_v_manifest },
	{ MSG_V_MANIFEST_REPLY, &m_v_manifest_reply },
	{ MSG_V_CONFIG, &m_v_config },
	{ MSG_V_CONFIG_REPLY, &m_v_config_reply },
	{ MSG_U_LAYER, &m_u_layer },
	{ MSG_U_LAYER_REPLY, &m_u_layer_reply },
	{ MSG_LOAD, &m_load },
	{ MSG_LOAD_REPLY, &m_load_reply },
	{ MSG_IMPORT, &m_import },
	{ MSG_V_ARCHIVE, &m_v_archive },
	{ MSG_V_ARCHIVE_REPLY, &m_v_archive_reply },
	{ MSG_U_ARCHIVE, &m_u_archive },
	{ MSG_U_ARCHIVE_REPLY, &m_u_archive_reply },
	{ MSG_U_SHIFT, &m_u_shift },
	{ MSG_V_REGD, &m_v_regd },
	{ MSG_V_REGD_REPLY, &m_v_regd_reply },
	{ MSG_U_SHIFT_REPLY, &m_u_shift_reply },
	{ MSG_SAVE, &m_save },
	{ MSG_CREATE, &m_create },
	{ MSG_CREATE_REPLY, &m_create_reply },
	{ MSG_START, &m_start },
	{ MSG_START_DONE, &m_start_done },
	{ MSG_PS, &m_ps },
	{ MSG_PS_REPLY, &m_ps_reply },
	{ MSG_CRM, &m_crm },
	{ MSG_CRM_REPLY, &m_crm_reply },
	{ MSG_CINSPECT, &m_cinspect },
	{ MSG_CINSPECT_REPLY, &m_cinspect_reply },
	{ MSG_V_USER, &m_v_user },
	{ MSG_V_USER_REPLY, &m_v_user_reply },
	{ MSG_L_WAIT, &m_l_wait },
	{ MSG_L_WAIT_REPLY, &m_l_wait_reply },
	{ MSG_CSIGNAL, &m_csignal },
	{ MSG_CSIGNAL_REPLY, &m_csignal_reply },
	{ MSG_CWAIT, &m_cwait },
	{ MSG_LOGS, &m_logs },
	{ MSG_LOGS_REPLY, &m_logs_reply },
	{ MSG_EXEC, &m_exec },
	{ MSG_CPRUNE, &m_cprune },
	{ MSG_L_STATUS, &m_l_status },
	{ MSG_L_STATUS_REPLY, &m_l_status_reply },
	{ MSG_L_CONNECT, &m_l_connect },
	{ MSG_L_KILL, &m_l_kill },
	{ MSG_L_ATTACH, &m_l_attach },
	{ MSG_L_OUTPUT, &m_l_output },
	{ MSG_L_INPUT, &m_l_input },
	{ MSG_L_RESIZE, &m_l_resize },
	{ MSG_ATTACH, &m_attach },
	{ MSG_ATTACH_REPLY, &m_attach_reply },
	{ MSG_TRUST_SHOW, &m_trust_show },
	{ MSG_TRUST_SHOW_REPLY, &m_trust_show_reply },
	{ MSG_TRUST_SET, &m_trust_set },
	{ MSG_V_KEY_UIDS, &m_v_key_uids },
	{ MSG_V_KEY_UIDS_REPLY, &m_v_key_uids_reply },
	{ MSG_V_SIGNATURE, &m_v_signature },
	{ MSG_V_SIGNATURE_REPLY, &m_v_signature_reply },
	{ MSG_V_SIGATTACH, &m_v_sigattach },
	{ MSG_V_SIGATTACH_REPLY, &m_v_sigattach_reply },
	{ MSG_V_SIGSTORE, &m_v_sigstore },
	{ MSG_V_SIGSTORE_REPLY, &m_v_sigstore_reply },
	{ MSG_IMAGE_SIGN, &m_image_sign },
	{ MSG_S_GPG_SIGN, &m_s_gpg_sign },
	{ MSG_S_GPG_SIGN_REPLY, &m_s_gpg_sign_reply },
	{ MSG_U_PACK, &m_u_pack },
	{ MSG_U_PACK_ENTRY, &m_u_pack_entry },
	{ MSG_U_PACK_REPLY, &m_u_pack_reply },
};

/* A new type in msg.c without a case here fails this test. */
static void test_every_type_has_a_case(void **state)
{
	(void)state;
	for (uint32_t t = 0; t <= MSG_TYPE_MAX + 16; t++) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(msg_cases); i++)
			found |= msg_cases[i].type == t;
		if ((ipc_msgdef(t) != NULL) != found)
			fail_msg("type %u: defined %d, tested %d", t, ipc_msgdef(t) != NULL, found);
	}
}

static void open_devnull(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
		assert_true(fds[i] >= 0);
	}
}

static void test_roundtrip_every_type(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(msg_cases); c++) {
		const struct ipc_msgdef *def = ipc_msgdef(msg_cases[c].type);
		cleanup_free uint8_t *buf = NULL, *again = NULL;
		struct ipc_msg *m = NULL;
		int fds[IPC_MAX_FDS];
		size_t len, len2;
		struct berr e;

		assert_non_null(def);
		if (ipc_msg_encode(def->type, 1000 + c, msg_cases[c].body, &buf, &len, &e) < 0)
			fail_msg("%s: %s", def->name, e.msg);
		open_devnull(fds, def->min_fds);
		if (ipc_msg_decode(buf, len, fds, def->min_fds, &m, &e) < 0)
			fail_msg("%s: %s", def->name, e.msg);
		assert_int_equal(m->type, def->type);
		assert_int_equal(m->id, 1000 + c);
		assert_ptr_equal(m->def, def);
		assert_int_equal(m->nfds, def->min_fds);
		for (size_t i = 0; i < def->min_fds; i++) {
			assert_int_equal(fds[i], -1); /* taken */
			assert_true(fcntl(m->fds[i], F_GETFD) >= 0);
		}
		for (size_t i = def->min_fds; i < IPC_MAX_FDS; i++)
			assert_int_equal(m->fds[i], -1);
		assert_struct_eq(def->schema, msg_cases[c].body, m->body);
		/* Deterministic: the decoded body encodes to the same bytes. */
		assert_int_equal(ipc_msg_encode(m->type, m->id, m->body, &again, &len2, &e), 0);
		assert_int_equal(len, len2);
		assert_memory_equal(buf, again, len);
		ipc_msg_free(m);
	}
}

/* The generic comparison above, checked against known values deep in the tree. */
static void test_info_reply_nested(void **state)
{
	cleanup_free uint8_t *buf = NULL;
	struct msg_info_reply r;
	struct berr e;
	size_t len;

	(void)state;
	assert_int_equal(ipc_msg_encode(MSG_INFO_REPLY, 9, &m_info_reply, &buf, &len, &e), 0);
	assert_int_equal(ipc_decode_struct(&msg_info_reply_schema, buf, len, skip_env, &r, &e), 0);
	assert_string_equal(r.kernel, "6.1.0-13-amd64");
	assert_true(r.rootless);
	assert_int_equal(r.n_uid_map, 2);
	assert_string_equal(r.uid_map[1], "         1     100000      65536");
	assert_null(r.uid_map[2]);
	assert_int_equal(r.n_workers, 2);
	assert_string_equal(r.workers[0].libraries[1], "OpenSSL 3.0.9");
	assert_null(r.workers[0].runtimes);
	assert_null(r.workers[1].libraries);
	assert_int_equal(r.workers[1].n_runtimes, 2);
	assert_string_equal(r.workers[1].runtimes[1].status, "not found in $PATH");
	assert_string_equal(r.workers[1].runtimes[1].version, "");
	assert_false(r.workers[1].no_new_privs);
	assert_int_equal(r.workers[1].seccomp_filters, 2);
	assert_string_equal(r.runtimes[0].path, "/usr/bin/crun");
	ipc_struct_free(&msg_info_reply_schema, &r);
	assert_true(all_zero(&r, sizeof(r)));
}

/* The error a user sees for a wrong type in a real message. */
static void test_real_schema_message(void **state)
{
	struct ipc_msg *m = NULL;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct berr e;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	PSTR(&pk, "type");
	msgpack_pack_uint64(&pk, MSG_INFO_REPLY);
	PSTR(&pk, "id");
	msgpack_pack_uint64(&pk, 1);
	PSTR(&pk, "kernel");
	msgpack_pack_uint64(&pk, 5);
	assert_int_equal(ipc_msg_decode((const uint8_t *)sb.data, sb.size, NULL, 0, &m, &e), -1);
	assert_null(m);
	assert_int_equal(e.code, BERR_PROTOCOL);
	assert_string_equal(e.msg, "malformed message (info-reply): key \"kernel\" is not a string");
	msgpack_sbuffer_destroy(&sb);
}


static void test_msg_encode_misuse(void **state)
{
	struct msg_hello h = m_hello;
	uint8_t *buf = NULL;
	struct berr e;
	size_t len;

	(void)state;
	assert_int_equal(ipc_msg_encode(99, 1, &h, &buf, &len, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
	assert_string_equal(e.msg, "cannot encode unknown message type 99");
	assert_int_equal(ipc_msg_encode(MSG_HELLO, 1, NULL, &buf, &len, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
	h.root = NULL;
	assert_int_equal(ipc_msg_encode(MSG_HELLO, 1, &h, &buf, &len, &e), -1);
	assert_string_equal(e.msg, "cannot encode hello: required field root is missing");
	assert_null(buf);
	h = m_hello;
	h.runtime = NULL; /* optional: left out, and decoded as NULL */
	assert_int_equal(ipc_msg_encode(MSG_HELLO, 1, &h, &buf, &len, &e), 0);
	assert_null(memmem(buf, len, "runtime", 7));
	free(buf);
}

/* ---------------------------------------------------------------- mutation */

struct mut_stats {
	size_t ok, refused;
};

/* Decodes buf as a message and as the given body schema. A success must re-encode and decode
 * to the same struct; a failure must be a protocol error with the output zeroed. */
static void try_decode(const struct ipc_schema *schema, const uint8_t *buf, size_t len,
		       struct mut_stats *st)
{
	struct ipc_msg *m = NULL;
	struct berr e;
	char body[512];

	assert_true(schema->size <= sizeof(body));
	if (ipc_msg_decode(buf, len, NULL, 0, &m, &e) == 0) {
		cleanup_free uint8_t *re = NULL;
		struct ipc_msg *m2 = NULL;
		size_t relen;

		if (ipc_msg_encode(m->type, m->id, m->body, &re, &relen, &e) < 0)
			fail_msg("re-encode failed: %s", e.msg);
		if (ipc_msg_decode(re, relen, NULL, 0, &m2, &e) < 0)
			fail_msg("re-decode failed: %s", e.msg);
		assert_struct_eq(m->def->schema, m->body, m2->body);
		ipc_msg_free(m2);
		ipc_msg_free(m);
		st->ok++;
	} else {
		assert_null(m);
		assert_int_equal(e.code, BERR_PROTOCOL);
		st->refused++;
	}
	memset(body, 0x5a, sizeof(body));
	if (ipc_decode_struct(schema, buf, len, skip_env, body, &e) == 0) {
		struct ipc_enc *enc = ipc_enc_new();
		const uint8_t *d;
		size_t dlen;
		char back[512];

		assert_int_equal(ipc_enc_struct(enc, schema, body, NULL, NULL, 0, &e), 0);
		d = ipc_enc_data(enc, &dlen);
		assert_int_equal(ipc_decode_struct(schema, d, dlen, NULL, back, &e), 0);
		assert_struct_eq(schema, body, back);
		ipc_struct_free(schema, back);
		ipc_struct_free(schema, body);
		ipc_enc_free(enc);
	} else {
		assert_int_equal(e.code, BERR_PROTOCOL);
		assert_true(all_zero(body, schema->size));
	}
}

static void test_mutations(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(msg_cases); c++) {
		const struct ipc_msgdef *def = ipc_msgdef(msg_cases[c].type);
		cleanup_free uint8_t *buf = NULL, *copy = NULL;
		struct mut_stats trunc = { 0, 0 }, flips = { 0, 0 };
		struct berr e;
		size_t len;

		assert_int_equal(ipc_msg_encode(def->type, 77, msg_cases[c].body, &buf, &len, &e),
				 0);
		copy = malloc(len);
		assert_non_null(copy);
		/* A proper prefix of one msgpack object is never a whole object. */
		for (size_t n = 0; n < len; n++) {
			memcpy(copy, buf, n);
			try_decode(def->schema, copy, n, &trunc);
		}
		assert_int_equal(trunc.ok, 0);
		for (size_t bit = 0; bit < len * 8; bit++) {
			memcpy(copy, buf, len);
			copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			try_decode(def->schema, copy, len, &flips);
		}
		/* Both outcomes occur: flips inside strings survive, flips in structure do not. */
		assert_true(flips.refused > 0);
		if (def->min_fds == 0 && def->type != MSG_INFO && def->type != MSG_W_INFO &&
		    def->type != MSG_HELLO_OK && def->type != MSG_UNSHARE_DONE)
			assert_true(flips.ok > 0);
	}
}

/* ---------------------------------------------------------------- fd ownership in decode */

/* A pipe whose write end is handed out: once every copy of the write end is closed, the read
 * end (non-blocking) reads EOF. That proves the code under test closed its copy. */
struct probe {
	int rd, wr;
};

static void probe_open(struct probe *p)
{
	int fds[2];

	assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	p->rd = fds[0];
	p->wr = fds[1];
}

static bool probe_closed(struct probe *p)
{
	char c;
	ssize_t n = read(p->rd, &c, 1);

	return n == 0;
}

static void probe_close(struct probe *p)
{
	if (p->wr >= 0)
		close(p->wr);
	close(p->rd);
}

static uint8_t *encode(uint32_t type, const void *body, size_t *len)
{
	uint8_t *buf = NULL;
	struct berr e;

	if (ipc_msg_encode(type, 5, body, &buf, len, &e) < 0)
		fail_msg("%s", e.msg);
	return buf;
}

/* Hands n probes' write ends to ipc_msg_decode and expects a refusal that closed them all. */
static void expect_decode_refused(const uint8_t *buf, size_t len, size_t n, const char *want)
{
	struct probe p[IPC_MAX_FDS + 2];
	int fds[IPC_MAX_FDS + 2];
	struct ipc_msg *m = NULL;
	struct berr e;

	for (size_t i = 0; i < n; i++) {
		probe_open(&p[i]);
		fds[i] = TAKE_FD(p[i].wr);
	}
	assert_int_equal(ipc_msg_decode(buf, len, fds, n, &m, &e), -1);
	assert_null(m);
	assert_int_equal(e.code, BERR_PROTOCOL);
	if (strstr(e.msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e.msg);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fds[i], -1);
		assert_true(probe_closed(&p[i]));
		probe_close(&p[i]);
	}
}

static void test_decode_fd_rules(void **state)
{
	static const uint8_t garbage[] = { 0xc1, 0x00 };
	/* {"type": 4, "id": 1, "debug": true} with type 2^32 + 4 and without "id" */
	static const uint8_t big_type[] = { 0x82, 0xa4, 't', 'y', 'p', 'e', 0xcf, 0, 0, 0, 1, 0, 0,
					    0, 4, 0xa2, 'i', 'd', 0x01 };
	static const uint8_t no_id[] = { 0x81, 0xa4, 't', 'y', 'p', 'e', 0x04 };
	static const uint8_t type99[] = { 0x82, 0xa4, 't', 'y', 'p', 'e', 99, 0xa2, 'i', 'd', 0x01 };
	cleanup_free uint8_t *hello = NULL, *unshare = NULL, *vman = NULL, *fget = NULL;
	size_t hlen, ulen, vlen, flen;

	(void)state;
	hello = encode(MSG_HELLO, &m_hello, &hlen);
	unshare = encode(MSG_UNSHARE, &m_unshare, &ulen);
	vman = encode(MSG_V_MANIFEST, &m_v_manifest, &vlen);
	fget = encode(MSG_F_GET, &m_f_get, &flen);
	/* The document to parse is the request's one fd; the output file (and the CA file, client
	 * certificate and key) too. */
	expect_decode_refused(vman, vlen, 0, "message verify-manifest carries 0 fds, not 1");
	expect_decode_refused(vman, vlen, 2, "message verify-manifest carries 2 fds, not 1");
	expect_decode_refused(fget, flen, 0, "message fetch-get carries 0 fds, not 1 to 4");
	expect_decode_refused(fget, flen, 5, "message carries 5 fds, more than 4");
	expect_decode_refused(hello, hlen, 1, "message hello carries 1 fds, not 0");
	expect_decode_refused(unshare, ulen, 2, "message unshare carries 2 fds, not 3");
	expect_decode_refused(unshare, ulen, 0, "message unshare carries 0 fds, not 3");
	expect_decode_refused(unshare, ulen, 5, "message carries 5 fds, more than 4");
	expect_decode_refused(unshare, ulen - 1, 3, "malformed message");
	expect_decode_refused(garbage, sizeof(garbage), 3, "malformed message");
	expect_decode_refused(big_type, sizeof(big_type), 1, "unknown message type 4294967300");
	expect_decode_refused(no_id, sizeof(no_id), 1, "key \"id\" is missing");
	expect_decode_refused(type99, sizeof(type99), 0, "unknown message type 99");
}

/* ipc_msg_free closes the fds no handler took, and only those. */
static void test_msg_free_closes_untaken(void **state)
{
	cleanup_free uint8_t *buf = NULL;
	struct ipc_msg *m = NULL;
	struct probe p[3];
	int fds[3], taken;
	struct berr e;
	size_t len;

	(void)state;
	buf = encode(MSG_UNSHARE, &m_unshare, &len);
	for (size_t i = 0; i < 3; i++) {
		probe_open(&p[i]);
		fds[i] = TAKE_FD(p[i].wr);
	}
	assert_int_equal(ipc_msg_decode(buf, len, fds, 3, &m, &e), 0);
	taken = TAKE_FD(m->fds[1]);
	ipc_msg_free(m);
	assert_true(probe_closed(&p[0]));
	assert_false(probe_closed(&p[1]));
	assert_true(probe_closed(&p[2]));
	close(taken);
	assert_true(probe_closed(&p[1]));
	for (size_t i = 0; i < 3; i++)
		probe_close(&p[i]);
}

/* ---------------------------------------------------------------- channel over a socket */

static struct ipc_chan *chan_pair(int *raw, size_t max)
{
	struct ipc_chan *ch;
	struct berr e;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ch = ipc_chan_new(sv[0], max, "peer-a", &e);
	assert_non_null(ch);
	*raw = sv[1];
	return ch;
}

static void raw_send(int fd, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { 0 };

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		assert_true(nfds <= 8);
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

static void expect_recv_refused(struct ipc_chan *ch, const char *want)
{
	struct ipc_msg *m = NULL;
	struct berr e;

	berr_clear(&e);
	assert_int_equal(ipc_recv(ch, &m, &e), -1);
	assert_null(m);
	assert_int_equal(e.code, BERR_PROTOCOL);
	if (strstr(e.msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e.msg);
}

static void test_chan_roundtrip(void **state)
{
	struct ipc_chan *a, *b;
	struct ipc_msg *m = NULL;
	const struct msg_hello *h;
	struct berr e, err;
	int raw;

	(void)state;
	a = chan_pair(&raw, IPC_MAX_MSG_FRONTEND);
	b = ipc_chan_new(raw, IPC_MAX_MSG_FRONTEND, "peer-b", &e);
	assert_non_null(b);
	assert_string_equal(ipc_chan_peer(b), "peer-b");
	assert_int_equal(ipc_chan_fd(b), raw);
	assert_int_equal(ipc_send(a, MSG_HELLO, 42, &m_hello, NULL, 0, &e), 0);
	assert_int_equal(ipc_recv(b, &m, &e), 0);
	assert_int_equal(m->type, MSG_HELLO);
	assert_int_equal(m->id, 42);
	assert_int_equal(m->nfds, 0);
	h = m->body;
	assert_string_equal(h->root, "/var/lib/berth");
	assert_string_equal(h->runtime, "/usr/bin/crun");
	ipc_msg_free(m);

	/* The error reply: code and errno carried, out-of-range values clamped. */
	berr_set(&err, BERR_NOTFOUND, ENOENT, "image \"x\": not found");
	assert_int_equal(ipc_send_error(b, 42, &err, &e), 0);
	assert_int_equal(ipc_recv(a, &m, &e), 0);
	assert_int_equal(m->type, MSG_ERROR);
	assert_int_equal(((struct msg_error *)m->body)->code, BERR_NOTFOUND);
	assert_int_equal(((struct msg_error *)m->body)->sys_errno, ENOENT);
	assert_string_equal(((struct msg_error *)m->body)->message, "image \"x\": not found");
	ipc_msg_free(m);
	err.code = 1000;
	err.sys_errno = 100000;
	assert_int_equal(ipc_send_error(b, 43, &err, &e), 0);
	assert_int_equal(ipc_recv(a, &m, &e), 0);
	assert_int_equal(((struct msg_error *)m->body)->code, BERR_INTERNAL);
	assert_int_equal(((struct msg_error *)m->body)->sys_errno, 0);
	ipc_msg_free(m);
	ipc_chan_free(a);
	ipc_chan_free(b);
}

static void test_chan_unshare_fds(void **state)
{
	struct ipc_chan *a, *b;
	struct ipc_msg *m = NULL;
	struct probe p[3];
	int fds[3], raw;
	struct berr e;

	(void)state;
	a = chan_pair(&raw, IPC_MAX_MSG_FRONTEND);
	b = ipc_chan_new(raw, IPC_MAX_MSG_FRONTEND, "peer-b", &e);
	for (size_t i = 0; i < 3; i++) {
		probe_open(&p[i]);
		fds[i] = p[i].wr;
	}
	assert_int_equal(ipc_send(a, MSG_UNSHARE, 7, &m_unshare, fds, 3, &e), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_true(fds[i] >= 0); /* ipc_send does not take them */
		close(TAKE_FD(p[i].wr));
	}
	assert_int_equal(ipc_recv(b, &m, &e), 0);
	assert_int_equal(m->type, MSG_UNSHARE);
	assert_int_equal(m->nfds, 3);
	assert_int_equal(m->fds[3], -1);
	for (size_t i = 0; i < 3; i++) {
		char c = 0;

		/* MSG_CMSG_CLOEXEC: never inherited by a child we exec. */
		assert_true(fcntl(m->fds[i], F_GETFD) & FD_CLOEXEC);
		assert_int_equal(write(m->fds[i], &"0123"[i], 1), 1);
		assert_int_equal(read(p[i].rd, &c, 1), 1);
		assert_int_equal(c, '0' + (int)i);
	}
	assert_string_equal(((struct msg_unshare *)m->body)->argv[2], "echo \xc3\xa9t\xc3\xa9");
	ipc_msg_free(m);
	for (size_t i = 0; i < 3; i++) {
		assert_true(probe_closed(&p[i]));
		probe_close(&p[i]);
	}
	ipc_chan_free(a);
	ipc_chan_free(b);
}

/* Sends buf with n probes' write ends attached, expects ipc_recv to refuse it, and checks that
 * every fd that reached this process was closed. */
static void expect_raw_refused(const uint8_t *buf, size_t len, size_t n, bool passcred,
			       const char *want)
{
	struct probe p[8];
	int fds[8], raw, one = 1;
	struct ipc_chan *a = chan_pair(&raw, IPC_MAX_MSG_FRONTEND);

	if (passcred)
		assert_int_equal(setsockopt(ipc_chan_fd(a), SOL_SOCKET, SO_PASSCRED, &one,
					    sizeof(one)), 0);
	for (size_t i = 0; i < n; i++) {
		probe_open(&p[i]);
		fds[i] = p[i].wr;
	}
	raw_send(raw, buf, len, fds, n);
	for (size_t i = 0; i < n; i++)
		close(TAKE_FD(p[i].wr));
	expect_recv_refused(a, want);
	for (size_t i = 0; i < n; i++) {
		assert_true(probe_closed(&p[i]));
		probe_close(&p[i]);
	}
	close(raw);
	ipc_chan_free(a);
}

static void test_chan_refusals(void **state)
{
	static const uint8_t garbage[] = { 0xc1, 'g', 'a', 'r', 'b', 'a', 'g', 'e' };
	cleanup_free uint8_t *hello = NULL, *unshare = NULL;
	size_t hlen, ulen;

	(void)state;
	hello = encode(MSG_HELLO, &m_hello, &hlen);
	unshare = encode(MSG_UNSHARE, &m_unshare, &ulen);
	expect_raw_refused(hello, hlen, 1, false,
			   "message from peer-a: message hello carries 1 fds, not 0");
	expect_raw_refused(unshare, ulen, 2, false, "message unshare carries 2 fds, not 3");
	/* More than fit in the control buffer: MSG_CTRUNC, and the kernel drops the rest. */
	expect_raw_refused(unshare, ulen, 5, false, "carries more than 4 fds");
	/* SO_PASSCRED adds SCM_CREDENTIALS, which nothing asked for. */
	expect_raw_refused(hello, hlen, 0, true, "carries an unexpected control message");
	expect_raw_refused(unshare, ulen, 3, true, "carries an unexpected control message");
	expect_raw_refused(garbage, sizeof(garbage), 3, false,
			   "message from peer-a: malformed message");
}

static void test_chan_oversize(void **state)
{
	uint8_t big[100];
	struct ipc_msg *m = NULL;
	struct ipc_chan *a;
	struct berr e;
	char c;
	int raw;

	(void)state;
	a = chan_pair(&raw, 64);
	memset(big, 0xc0, sizeof(big));
	raw_send(raw, big, sizeof(big), NULL, 0);
	expect_recv_refused(a, "message from peer-a is 100 bytes, more than the 64 allowed");

	/* Sending more than the channel allows fails before anything is sent. */
	assert_int_equal(ipc_send(a, MSG_HELLO, 1, &m_hello, NULL, 0, &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "bytes, more than the 64 allowed"));
	assert_int_equal(recv(raw, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_null(m);
	close(raw);
	ipc_chan_free(a);
}

static void test_chan_eof_and_nonblocking(void **state)
{
	struct ipc_msg *m = NULL;
	struct ipc_chan *a;
	struct berr e;
	int raw;

	(void)state;
	a = chan_pair(&raw, 64);
	assert_int_equal(fcntl(ipc_chan_fd(a), F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	assert_int_equal(ipc_recv(a, &m, &e), 2);
	assert_int_equal(errno, EAGAIN);
	/* A zero-length packet reads as the end of the stream: the channel ends either way. */
	raw_send(raw, "", 0, NULL, 0);
	assert_int_equal(ipc_recv(a, &m, &e), 1);
	close(raw);
	assert_int_equal(ipc_recv(a, &m, &e), 1);
	assert_null(m);
	ipc_chan_free(a);
}

static void test_chan_send_misuse(void **state)
{
	int fds[3] = { 0, 1, -1 };
	struct ipc_chan *a;
	struct berr e;
	char c;
	int raw, sv[2];

	(void)state;
	a = chan_pair(&raw, IPC_MAX_MSG_FRONTEND);
	assert_int_equal(ipc_send(a, MSG_UNSHARE, 1, &m_unshare, fds, 2, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
	assert_string_equal(e.msg, "cannot send unshare with 2 fds");
	assert_int_equal(ipc_send(a, MSG_UNSHARE, 1, &m_unshare, fds, 3, &e), -1);
	assert_string_equal(e.msg, "cannot send unshare: fd 2 is invalid");
	assert_int_equal(ipc_send(a, MSG_HELLO, 1, &m_hello, fds, 1, &e), -1);
	assert_int_equal(ipc_send(a, 99, 1, &m_hello, NULL, 0, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
	assert_int_equal(recv(raw, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	/* A dead peer is an error, not SIGPIPE. */
	close(raw);
	assert_int_equal(ipc_send(a, MSG_HELLO, 1, &m_hello, NULL, 0, &e), -1);
	assert_int_equal(e.code, BERR_SYSTEM);
	assert_int_equal(e.sys_errno, EPIPE);
	ipc_chan_free(a);

	/* A stream socket cannot carry the framing: refused, and the fd (taken) closed. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_null(ipc_chan_new(sv[0], 64, "s", &e));
	assert_int_equal(e.code, BERR_INTERNAL);
	assert_int_equal(fcntl(sv[0], F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	close(sv[1]);
}

/* ---------------------------------------------------------------- dispatch */

static int dummy_handler(void *ctx, struct ipc_msg *m, struct berr *e)
{
	(void)ctx;
	(void)m;
	(void)e;
	return 0;
}

static void test_dispatch(void **state)
{
	enum { S_START = 1, S_READY = 2 };
	static const struct ipc_dispatch table[] = {
		{ MSG_HELLO, false, S_START, dummy_handler },
		{ MSG_INFO, false, S_READY, dummy_handler },
		{ MSG_UNSHARE, true, S_READY, dummy_handler },
		{ MSG_W_INFO, false, S_READY, NULL },
	};
	struct ipc_msg m = { .type = MSG_HELLO, .def = ipc_msgdef(MSG_HELLO) };
	struct berr e;

	(void)state;
	assert_ptr_equal(ipc_dispatch_find(table, ARRAY_SIZE(table), S_START, &m, &e), &table[0]);
	assert_null(ipc_dispatch_find(table, ARRAY_SIZE(table), S_READY, &m, &e));
	assert_int_equal(e.code, BERR_PROTOCOL);
	assert_string_equal(e.msg, "message hello is not allowed now");
	assert_null(ipc_dispatch_find(table, ARRAY_SIZE(table), 0, &m, &e));

	m.type = MSG_UNSHARE, m.def = ipc_msgdef(MSG_UNSHARE), m.nfds = 3;
	assert_ptr_equal(ipc_dispatch_find(table, ARRAY_SIZE(table), S_READY, &m, &e), &table[2]);
	m.type = MSG_INFO, m.def = ipc_msgdef(MSG_INFO), m.nfds = 1;
	assert_null(ipc_dispatch_find(table, ARRAY_SIZE(table), S_READY, &m, &e));
	assert_string_equal(e.msg, "message info carries fds, which is not allowed here");
	m.nfds = 0;
	assert_ptr_equal(ipc_dispatch_find(table, ARRAY_SIZE(table), S_READY, &m, &e), &table[1]);

	m.type = MSG_HELLO_OK, m.def = ipc_msgdef(MSG_HELLO_OK);
	assert_null(ipc_dispatch_find(table, ARRAY_SIZE(table), S_READY | S_START, &m, &e));
	assert_int_equal(e.code, BERR_PROTOCOL);
	assert_string_equal(e.msg, "unexpected message hello-ok (type 3)");
	m.type = MSG_W_INFO, m.def = ipc_msgdef(MSG_W_INFO);
	assert_null(ipc_dispatch_find(table, ARRAY_SIZE(table), S_READY, &m, &e));
	assert_int_equal(e.code, BERR_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_has_a_case),
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_info_reply_nested),
		cmocka_unit_test(test_real_schema_message),
		cmocka_unit_test(test_msg_encode_misuse),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_decode_fd_rules),
		cmocka_unit_test(test_msg_free_closes_untaken),
		cmocka_unit_test(test_chan_roundtrip),
		cmocka_unit_test(test_chan_unshare_fds),
		cmocka_unit_test(test_chan_refusals),
		cmocka_unit_test(test_chan_oversize),
		cmocka_unit_test(test_chan_eof_and_nonblocking),
		cmocka_unit_test(test_chan_send_misuse),
		cmocka_unit_test(test_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
