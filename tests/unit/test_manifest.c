/* Unit tests for workers/verify/manifest.c: manifests, indexes and image configs as registries
 * serve them (accepted, and the reply survives the IPC codec), and the documents berth must
 * refuse (each refusal leaves the reply zeroed, says what is wrong in printable text, and is
 * never a protocol error). A mutation pass flips and truncates real documents: nothing may
 * crash, every outcome is either a clean refusal or a reply the channel can carry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "ipc/channel.h"
#include "ipc/msg.h"
#include "workers/verify/manifest.h"

#define D1 "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define D2 "sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
#define D3 "sha256:4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
#define D4 "sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"
#define D5 "sha256:ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d"
#define D6 "sha256:e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683"
#define D512 "sha512:a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238b" \
	"c13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62"

/* ---------------------------------------------------------------- documents */

/* alpine:3.19 as Docker Hub serves it, linux/amd64. */
static const char oci_manifest[] =
	"{\n"
	"  \"schemaVersion\": 2,\n"
	"  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"  \"config\": {\n"
	"    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
	"    \"digest\": \"sha256:05455a08881ea9cf0e752bc48e61bbd71a34c029bb13df01e40e3e70e0d007bd\",\n"
	"    \"size\": 1471\n"
	"  },\n"
	"  \"layers\": [\n"
	"    {\n"
	"      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
	"      \"digest\": \"sha256:4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8\",\n"
	"      \"size\": 3408729\n"
	"    }\n"
	"  ],\n"
	"  \"annotations\": {\n"
	"    \"org.opencontainers.image.url\": \"https://hub.docker.com/_/alpine\",\n"
	"    \"org.opencontainers.image.version\": \"3.19.1\"\n"
	"  }\n"
	"}\n";

/* A BuildKit index: three platforms, an attestation manifest (an OCI manifest, kept: the
 * broker matches platforms) and an artifact of another type (left out). */
static const char oci_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\","
	"\"size\":1638,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\","
	"\"size\":1638,\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D3 "\","
	"\"size\":1639,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\","
	"\"os.features\":[\"x\"]}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D4 "\","
	"\"size\":840,\"annotations\":{\"vnd.docker.reference.digest\":\"" D1 "\","
	"\"vnd.docker.reference.type\":\"attestation-manifest\"},"
	"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}},"
	"{\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\",\"digest\":\"" D5 "\","
	"\"size\":512,\"artifactType\":\"application/vnd.example.sbom\"}"
	"],\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-27T00:30:56Z\"}}";

/* nginx-like Docker schema 2. */
static const char docker_manifest[] =
	"{\n"
	"   \"schemaVersion\": 2,\n"
	"   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"   \"config\": {\n"
	"      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
	"      \"size\": 7653,\n"
	"      \"digest\": \"" D6 "\"\n"
	"   },\n"
	"   \"layers\": [\n"
	"      {\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 29126484,"
	" \"digest\": \"" D1 "\"},\n"
	"      {\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 41383418,"
	" \"digest\": \"" D2 "\"},\n"
	"      {\"mediaType\": \"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\","
	" \"size\": 628, \"digest\": \"" D3 "\", \"urls\": [\"https://example.invalid/l\"]}\n"
	"   ]\n"
	"}";

static const char docker_list[] =
	"{\"schemaVersion\":2,"
	"\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":1570,"
	"\"digest\":\"" D1 "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":1570,"
	"\"digest\":\"" D2 "\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
	"\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":2134,"
	"\"digest\":\"" D512 "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\","
	"\"os.version\":\"10.0.17763.5329\"}}"
	"]}";

/* The OCI manifest with a format hole: %s replaces the layer media type. */
static const char layer_tmpl[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1
	"\",\"size\":1471},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"" D2
	"\",\"size\":3408729}]}";

/* A descriptor field hole: %s is the layer's "digest" and "size" members. */
static const char desc_tmpl[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1
	"\",\"size\":1471},\"layers\":[{\"mediaType\":"
	"\"application/vnd.oci.image.layer.v1.tar+gzip\",%s}]}";

/* Docker's own config for an nginx-like image: every field berth reads, nulls where Docker
 * writes them, and the fields berth ignores (container_config, Healthcheck, ...). */
static const char config_full[] =
	"{\"architecture\":\"arm\",\"variant\":\"v7\",\"os\":\"linux\","
	"\"author\":\"NGINX Docker Maintainers <docker-maint@nginx.com>\","
	"\"created\":\"2024-01-11T20:01:24.871421Z\",\"docker_version\":\"20.10.23\","
	"\"config\":{\"Hostname\":\"\",\"User\":\"101:101\",\"ExposedPorts\":{\"80/tcp\":{},"
	"\"443/udp\":{}},\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"NGINX_VERSION=1.25.3\",\"LANG=C.UTF-8\"],\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],"
	"\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"WorkingDir\":\"/usr/share/nginx\","
	"\"StopSignal\":\"SIGQUIT\",\"Volumes\":{\"/var/cache/nginx\":{},\"/var/log/my logs\":{}},"
	"\"Labels\":{\"maintainer\":\"NGINX Docker Maintainers <docker-maint@nginx.com>\","
	"\"org.opencontainers.image.title\":\"nginx \\u00e9t\\u00e9\",\"empty\":\"\"},"
	"\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"]},\"OnBuild\":null,\"ArgsEscaped\":true},"
	"\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) \",\"CMD [\\\"nginx\\\"]\"]},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\",\"" D512 "\"]},"
	"\"history\":[{\"created\":\"2024-01-11T00:00:00Z\",\"created_by\":\"/bin/sh -c #(nop) ADD "
	"file:abc in / \"},{\"created\":\"2024-01-11T00:00:01Z\",\"created_by\":\"/bin/sh -c #(nop) "
	" CMD [\\\"bash\\\"]\",\"empty_layer\":true},{\"created_by\":\"RUN /bin/sh -c set -x # "
	"buildkit\",\"comment\":\"buildkit.dockerfile.v0\",\"author\":\"x\"},"
	"{\"created\":null,\"created_by\":null,\"comment\":null,\"empty_layer\":null}]}";

/* What `docker build` writes for a FROM scratch image with only ENV: nulls everywhere. */
static const char config_nulls[] =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"variant\":null,\"author\":null,"
	"\"config\":{\"Env\":null,\"Cmd\":null,\"Entrypoint\":null,\"WorkingDir\":\"\","
	"\"User\":\"\",\"Labels\":null,\"ExposedPorts\":null,\"Volumes\":null,\"StopSignal\":null,"
	"\"OnBuild\":null},\"created\":\"2024-02-01T10:00:00Z\","
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":null}";

/* A config hole: %s is the whole "config" object. */
static const char cfg_tmpl[] =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":%s,"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}";

/* A rootfs hole. */
static const char rootfs_tmpl[] =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":%s}";

/* ---------------------------------------------------------------- helpers */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	assert_true(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void assert_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail_msg("message has byte 0x%02x: %s", *p, s);
}

/* The reply as the worker would send it: it must encode, and decode to an equal encoding. */
static void assert_channel_roundtrip(uint32_t type, const void *body)
{
	cleanup_free uint8_t *buf = NULL, *again = NULL;
	struct ipc_msg *m = NULL;
	size_t len, len2;
	struct berr e;

	if (ipc_msg_encode(type, 7, body, &buf, &len, &e) < 0)
		fail_msg("encode: %s", e.msg);
	if (ipc_msg_decode(buf, len, NULL, 0, &m, &e) < 0)
		fail_msg("decode: %s", e.msg);
	assert_int_equal(ipc_msg_encode(m->type, m->id, m->body, &again, &len2, &e), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, again, len);
	ipc_msg_free(m);
}

static void manifest_ok(const char *doc, const char *claim, struct msg_v_manifest_reply *r)
{
	struct berr e;

	if (verify_parse_manifest((const uint8_t *)doc, strlen(doc), claim, r, &e) < 0)
		fail_msg("refused: %s", e.msg);
	assert_channel_roundtrip(MSG_V_MANIFEST_REPLY, r);
}

static void manifest_free(struct msg_v_manifest_reply *r)
{
	ipc_struct_free(&msg_v_manifest_reply_schema, r);
	assert_true(all_zero(r, sizeof(*r)));
}

/* A refusal: -1, *out zeroed, printable text containing want, a job error not a protocol one. */
static void check_refusal(int rc, const void *out, size_t outlen, const struct berr *e,
			  const char *want, int code)
{
	assert_int_equal(rc, -1);
	assert_true(all_zero(out, outlen));
	assert_printable(e->msg);
	assert_int_equal(e->code, code);
	if (strstr(e->msg, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, e->msg);
}

static void manifest_bad_len(const char *doc, size_t len, const char *claim, const char *want,
			     int code)
{
	struct msg_v_manifest_reply r;
	struct berr e;
	int rc;

	memset(&r, 0x5a, sizeof(r));
	berr_clear(&e);
	rc = verify_parse_manifest((const uint8_t *)doc, len, claim, &r, &e);
	check_refusal(rc, &r, sizeof(r), &e, want, code);
}

static void manifest_bad(const char *doc, const char *claim, const char *want)
{
	manifest_bad_len(doc, strlen(doc), claim, want, BERR_INVALID);
}

/* Frees doc (from fmt()) after the check. */
static void manifest_bad_f(char *doc, const char *claim, const char *want)
{
	manifest_bad(doc, claim, want);
	free(doc);
}

static void config_ok(const char *doc, struct msg_v_config_reply *r)
{
	struct berr e;

	if (verify_parse_config((const uint8_t *)doc, strlen(doc), r, &e) < 0)
		fail_msg("refused: %s", e.msg);
	assert_channel_roundtrip(MSG_V_CONFIG_REPLY, r);
}

static void config_free(struct msg_v_config_reply *r)
{
	ipc_struct_free(&msg_v_config_reply_schema, r);
	assert_true(all_zero(r, sizeof(*r)));
}

static void config_bad_len(const char *doc, size_t len, const char *want)
{
	struct msg_v_config_reply r;
	struct berr e;
	int rc;

	memset(&r, 0x5a, sizeof(r));
	berr_clear(&e);
	rc = verify_parse_config((const uint8_t *)doc, len, &r, &e);
	check_refusal(rc, &r, sizeof(r), &e, want, BERR_INVALID);
}

static void config_bad(const char *doc, const char *want)
{
	config_bad_len(doc, strlen(doc), want);
}

static void config_bad_f(char *doc, const char *want)
{
	config_bad(doc, want);
	free(doc);
}

/* ---------------------------------------------------------------- accepted manifests */

static void test_oci_manifest(void **state)
{
	struct msg_v_manifest_reply r;

	(void)state;
	manifest_ok(oci_manifest, MT_OCI_MANIFEST, &r);
	assert_int_equal(r.kind, MANIFEST_IMAGE);
	assert_string_equal(r.media_type, MT_OCI_MANIFEST);
	assert_int_equal(r.schema_version, 2);
	assert_int_equal(r.n_config, 1);
	assert_string_equal(r.config[0].media_type, MT_OCI_CONFIG);
	assert_string_equal(r.config[0].digest,
			    "sha256:05455a08881ea9cf0e752bc48e61bbd71a34c029bb13df01e40e3e70e0d007bd");
	assert_int_equal(r.config[0].size, 1471);
	assert_null(r.config[0].os);
	assert_int_equal(r.n_layers, 1);
	assert_string_equal(r.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
	assert_string_equal(r.layers[0].digest,
			    "sha256:4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8");
	assert_int_equal(r.layers[0].size, 3408729);
	assert_null(r.manifests);
	assert_int_equal(r.n_manifests, 0);
	manifest_free(&r);
}

static void test_oci_index_platforms(void **state)
{
	struct msg_v_manifest_reply r;

	(void)state;
	manifest_ok(oci_index, "application/vnd.oci.image.index.v1+json", &r);
	assert_int_equal(r.kind, MANIFEST_INDEX);
	assert_string_equal(r.media_type, MT_OCI_INDEX);
	assert_null(r.config);
	assert_null(r.layers);
	/* Five entries, the artifact left out. */
	assert_int_equal(r.n_manifests, 4);
	assert_string_equal(r.manifests[0].digest, D1);
	assert_string_equal(r.manifests[0].os, "linux");
	assert_string_equal(r.manifests[0].architecture, "amd64");
	assert_null(r.manifests[0].variant);
	assert_int_equal(r.manifests[0].size, 1638);
	assert_string_equal(r.manifests[1].architecture, "arm");
	assert_string_equal(r.manifests[1].variant, "v7");
	assert_string_equal(r.manifests[2].architecture, "arm64");
	assert_string_equal(r.manifests[2].variant, "v8");
	assert_int_equal(r.manifests[2].size, 1639);
	assert_string_equal(r.manifests[3].os, "unknown");
	assert_string_equal(r.manifests[3].digest, D4);
	manifest_free(&r);
}

static void test_docker_manifest(void **state)
{
	struct msg_v_manifest_reply r;

	(void)state;
	manifest_ok(docker_manifest, MT_DOCKER_MANIFEST, &r);
	assert_int_equal(r.kind, MANIFEST_IMAGE);
	assert_string_equal(r.media_type, MT_DOCKER_MANIFEST);
	assert_string_equal(r.config[0].media_type, MT_DOCKER_CONFIG);
	assert_string_equal(r.config[0].digest, D6);
	assert_int_equal(r.config[0].size, 7653);
	assert_int_equal(r.n_layers, 3);
	assert_string_equal(r.layers[1].digest, D2);
	assert_int_equal(r.layers[1].size, 41383418);
	assert_string_equal(r.layers[2].media_type,
			    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
	manifest_free(&r);
}

static void test_docker_list(void **state)
{
	struct msg_v_manifest_reply r;

	(void)state;
	manifest_ok(docker_list, MT_DOCKER_LIST, &r);
	assert_int_equal(r.kind, MANIFEST_INDEX);
	assert_string_equal(r.media_type, MT_DOCKER_LIST);
	assert_int_equal(r.n_manifests, 3);
	assert_string_equal(r.manifests[0].media_type, MT_DOCKER_MANIFEST);
	assert_string_equal(r.manifests[1].variant, "v8");
	assert_string_equal(r.manifests[2].os, "windows");
	assert_string_equal(r.manifests[2].digest, D512);
	manifest_free(&r);
}

static void test_oci_without_media_type(void **state)
{
	struct msg_v_manifest_reply r;
	char *doc = fmt("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"digest\":\"" D1
			"\",\"size\":2},\"layers\":[]}", MT_OCI_CONFIG);
	char *idx = fmt("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\""
			D2 "\",\"size\":9}]}", MT_OCI_MANIFEST);

	(void)state;
	/* The shape decides, the claim picks the family when it names one. */
	manifest_ok(doc, NULL, &r);
	assert_int_equal(r.kind, MANIFEST_IMAGE);
	assert_string_equal(r.media_type, MT_OCI_MANIFEST);
	assert_int_equal(r.n_layers, 0);
	assert_non_null(r.layers); /* "layers": [] survives the channel */
	manifest_free(&r);
	manifest_ok(doc, "application/json", &r);
	assert_string_equal(r.media_type, MT_OCI_MANIFEST);
	manifest_free(&r);
	manifest_ok(doc, MT_DOCKER_MANIFEST, &r);
	assert_string_equal(r.media_type, MT_DOCKER_MANIFEST);
	manifest_free(&r);
	manifest_ok(idx, "", &r);
	assert_int_equal(r.kind, MANIFEST_INDEX);
	assert_string_equal(r.media_type, MT_OCI_INDEX);
	assert_string_equal(r.manifests[0].digest, D2);
	manifest_free(&r);
	/* A specific claim that the shape contradicts. */
	manifest_bad(doc, MT_OCI_INDEX, "served as \"application/vnd.oci.image.index.v1+json\" "
		     "but has the shape of an image manifest");
	manifest_bad(idx, MT_DOCKER_MANIFEST, "has the shape of an index");
	free(doc);
	free(idx);
}

static void test_claims(void **state)
{
	struct msg_v_manifest_reply r;

	(void)state;
	/* Content-Type parameters and case do not matter; generic claims constrain nothing. */
	manifest_ok(oci_manifest, "Application/VND.OCI.Image.Manifest.v1+JSON ; charset=utf-8", &r);
	manifest_free(&r);
	manifest_ok(oci_manifest, "application/octet-stream", &r);
	manifest_free(&r);
	manifest_ok(oci_manifest, "text/plain; charset=utf-8", &r);
	manifest_free(&r);
	manifest_ok(docker_list, "", &r);
	manifest_free(&r);
	manifest_ok(docker_list, NULL, &r);
	manifest_free(&r);
	/* Anything else is not a manifest at all. */
	manifest_bad(oci_manifest, "text/html; charset=\x1b[31mred",
		     "manifest: served as \"text/html; charset=?[31mred\", which is not an image "
		     "manifest or index type");
	manifest_bad(oci_manifest, MT_OCI_CONFIG, "which is not an image manifest or index type");
}

static void test_layer_types(void **state)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	struct msg_v_manifest_reply r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *doc = fmt(layer_tmpl, ok[i]);

		manifest_ok(doc, "", &r);
		assert_string_equal(r.layers[0].media_type, ok[i]);
		manifest_free(&r);
		free(doc);
	}
}

static void test_limits_at_the_edge(void **state)
{
	struct msg_v_manifest_reply r;
	size_t cap = 200 * 140 + 512;
	char *doc;
	size_t n;

	(void)state;
	/* Exactly 128 layers and exactly 64 entries are fine; one more is refused in words. */
	for (int extra = 0; extra < 2; extra++) {
		doc = malloc(cap);
		assert_non_null(doc);
		n = (size_t)snprintf(doc, cap, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":"
				     "{\"mediaType\":\"%s\",\"digest\":\"" D1 "\",\"size\":1},"
				     "\"layers\":[", MT_OCI_MANIFEST, MT_OCI_CONFIG);
		for (int i = 0; i < 128 + extra; i++)
			n += (size_t)snprintf(doc + n, cap - n, "%s{\"mediaType\":\"application/vnd.oci."
					      "image.layer.v1.tar\",\"digest\":\"" D2 "\",\"size\":%d}",
					      i ? "," : "", i);
		snprintf(doc + n, cap - n, "]}");
		if (extra == 0) {
			manifest_ok(doc, "", &r);
			assert_int_equal(r.n_layers, 128);
			assert_int_equal(r.layers[127].size, 127);
			manifest_free(&r);
		} else {
			manifest_bad(doc, "", "manifest: the image has 129 layers, more than the 128 "
				     "berth supports");
		}
		free(doc);

		doc = malloc(cap);
		assert_non_null(doc);
		n = (size_t)snprintf(doc, cap, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
				     "\"manifests\":[", MT_OCI_INDEX);
		for (int i = 0; i < 64 + extra; i++)
			n += (size_t)snprintf(doc + n, cap - n, "%s{\"mediaType\":\"%s\",\"digest\":\""
					      D3 "\",\"size\":%d,\"platform\":{\"os\":\"linux\","
					      "\"architecture\":\"a%d\"}}", i ? "," : "",
					      MT_OCI_MANIFEST, i, i);
		snprintf(doc + n, cap - n, "]}");
		if (extra == 0) {
			manifest_ok(doc, "", &r);
			assert_int_equal(r.n_manifests, 64);
			assert_string_equal(r.manifests[63].architecture, "a63");
			manifest_free(&r);
		} else {
			manifest_bad(doc, "", "manifest: the index lists 65 manifests, more than the 64 "
				     "berth supports");
		}
		free(doc);
	}
}

/* ---------------------------------------------------------------- refused manifests */

static void test_schema1(void **state)
{
	static const char s1[] =
		"{\"schemaVersion\":1,\"name\":\"library/busybox\",\"tag\":\"latest\","
		"\"architecture\":\"amd64\",\"fsLayers\":[{\"blobSum\":\"" D1 "\"}],"
		"\"history\":[{\"v1Compatibility\":\"{}\"}],\"signatures\":[]}";
	static const char s1_typed[] =
		"{\"schemaVersion\":1,\"mediaType\":"
		"\"application/vnd.docker.distribution.manifest.v1+prettyjws\",\"fsLayers\":[]}";
	const char *want = "manifest: Docker schema 1 manifests are not supported (deprecated); "
			   "ask the image's publisher to push a schema 2 or OCI image";

	(void)state;
	manifest_bad_len(s1, strlen(s1), "", want, BERR_UNSUPPORTED);
	manifest_bad_len(s1, strlen(s1), "application/json", want, BERR_UNSUPPORTED);
	manifest_bad_len(s1_typed, strlen(s1_typed), NULL, want, BERR_UNSUPPORTED);
	/* The claim alone says schema 1: the registry answered an Accept berth never sends. */
	manifest_bad_len(oci_manifest, strlen(oci_manifest), MT_DOCKER_SCHEMA1, want,
			 BERR_UNSUPPORTED);
	manifest_bad_len(s1, strlen(s1), MT_DOCKER_SCHEMA1_SIGNED, want, BERR_UNSUPPORTED);
}

static void test_schema_version(void **state)
{
	(void)state;
	manifest_bad("{\"schemaVersion\":\"2\",\"mediaType\":\"" MT_OCI_MANIFEST "\"}", "",
		     "manifest: schemaVersion is not an integer");
	manifest_bad("{\"schemaVersion\":2.0,\"mediaType\":\"" MT_OCI_MANIFEST "\"}", "",
		     "manifest: schemaVersion is not an integer");
	manifest_bad("{\"schemaVersion\":3,\"mediaType\":\"" MT_OCI_MANIFEST "\"}", "",
		     "manifest: schemaVersion is 3, not 2");
	manifest_bad("{\"mediaType\":\"" MT_OCI_MANIFEST "\"}", "",
		     "manifest: schemaVersion is missing");
	manifest_bad("{\"schemaVersion\":null}", "", "manifest: schemaVersion is not an integer");
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	manifest_bad("{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}", "",
		     "manifest: a key appears twice in one object");
	/* Deep inside, and in an ignored field: still two readings of one document. */
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"digest\":\"" D3 "\",\"size\":1"),
		       "", "a key appears twice in one object");
	manifest_bad("{\"schemaVersion\":2,\"annotations\":{\"a\":\"1\",\"a\":\"2\"}}", "",
		     "a key appears twice");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"os\":\"windows\"}",
		   "image config: a key appears twice in one object");
}

static void test_bad_digests(void **state)
{
	(void)state;
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\","
			   "\"size\":1"), "",
		       "manifest: layers[0].digest uses the digest algorithm \"md5\"; only sha256 "
		       "and sha512 are supported");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"SHA256:6b86b273ff34fce19d6b804eff5a3f5747ada4"
			   "eaa22f1d49c01e52ddb7875b4b\",\"size\":1"), "",
		       "uses the digest algorithm \"SHA256\"");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"sha256:6B86B273FF34FCE19D6B804EFF5A3F5747ADA4"
			   "EAA22F1D49C01E52DDB7875B4B\",\"size\":1"), "",
		       "manifest: layers[0].digest is not a valid digest: \"sha256:6B86B273FF34FCE19D6B8"
		       "04EFF5A3F5747ADA4EAA22F1D49C01E52DDB7875B4B\"");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"sha256:6b86b273ff34\",\"size\":1"), "",
		       "layers[0].digest is not a valid digest: \"sha256:6b86b273ff34\"");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"sha256:zz86b273ff34fce19d6b804eff5a3f5747ada4"
			   "eaa22f1d49c01e52ddb7875b4b\",\"size\":1"), "",
		       "is not a valid digest: \"sha256:zz86");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"sha512:6b86b273ff34fce19d6b804eff5a3f5747ada4"
			   "eaa22f1d49c01e52ddb7875b4b\",\"size\":1"), "",
		       "is not a valid digest");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d"
			   "49c01e52ddb7875b4b\",\"size\":1"), "", "is not a valid digest");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D1 "\\n\",\"size\":1"), "",
		       "is not a valid digest: \"sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d"
		       "49c01e52ddb7875b4b?\"");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":7,\"size\":1"), "",
		       "layers[0].digest is not a string");
	manifest_bad_f(fmt(desc_tmpl, "\"size\":1"), "", "layers[0].digest is missing");
	/* The index entries and the config descriptor are checked the same way. */
	manifest_bad("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
		     "\",\"digest\":\"sha384:00\",\"size\":3}]}", "",
		     "manifests[0].digest uses the digest algorithm \"sha384\"");
	manifest_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
		     "\",\"digest\":\"sha256:\",\"size\":3},\"layers\":[]}", "",
		     "config.digest is not a valid digest: \"sha256:\"");
}

static void test_bad_sizes(void **state)
{
	struct msg_v_manifest_reply r;
	char *doc;

	(void)state;
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":-1"), "",
		       "manifest: layers[0].size is negative");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":1.5"), "",
		       "layers[0].size is not an integer");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":12.0"), "",
		       "layers[0].size is not an integer");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":1e3"), "",
		       "layers[0].size is not an integer");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":\"12\""), "",
		       "layers[0].size is not an integer");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":9007199254740993"), "",
		       "layers[0].size is 9007199254740993, more than 2^53");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":99999999999999999999"), "",
		       "manifest: a number is too large");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\"}"), "", "invalid JSON");
	manifest_bad_f(fmt(desc_tmpl, "\"digest\":\"" D2 "\""), "",
		       "layers[0].size is missing");
	/* 2^53 itself and 0 are sizes. */
	doc = fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":9007199254740992");
	manifest_ok(doc, "", &r);
	assert_int_equal(r.layers[0].size, UINT64_C(9007199254740992));
	manifest_free(&r);
	free(doc);
	doc = fmt(desc_tmpl, "\"digest\":\"" D2 "\",\"size\":0");
	manifest_ok(doc, "", &r);
	assert_int_equal(r.layers[0].size, 0);
	manifest_free(&r);
	free(doc);
}

static void test_unknown_media_types(void **state)
{
	char long_type[300];

	(void)state;
	manifest_bad_f(fmt(layer_tmpl, "application/vnd.oci.image.layer.v1.tar+foo"), "",
		       "manifest: layers[0] has the unsupported layer media type "
		       "\"application/vnd.oci.image.layer.v1.tar+foo\"");
	/* Untrusted text in the message: printable, quoted safely, cut short. */
	manifest_bad_f(fmt(layer_tmpl, "evil\\u001b[2J\\\"\\\\type"), "",
		       "unsupported layer media type \"evil?[2J??type\"");
	memset(long_type, 'x', sizeof(long_type));
	memcpy(long_type, "application/", 12);
	long_type[200] = '\0';
	manifest_bad_f(fmt(layer_tmpl, long_type), "", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
	/* Over the schema's 256 bytes: refused for its length first. */
	long_type[200] = 'x';
	long_type[299] = '\0';
	manifest_bad_f(fmt(layer_tmpl, long_type), "",
		       "layers[0].mediaType is 299 bytes, more than the 256 allowed");
	/* Config types: an artifact is told apart from an image. */
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":"
		     "{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\",\"digest\":\"" D1
		     "\",\"size\":3},\"layers\":[]}", "",
		     "manifest: the config has media type \"application/vnd.cncf.helm.config.v1+json\", "
		     "so this is not a container image");
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":"
		     "{\"digest\":\"" D1 "\",\"size\":3},\"layers\":[]}", "",
		     "config.mediaType is missing");
	/* The document's own type. */
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest."
		     "v1+json\",\"blobs\":[]}", "",
		     "manifest: unsupported media type \"application/vnd.oci.artifact.manifest.v1+json\"");
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":[\"x\"]}", "",
		     "manifest: mediaType is not a string");
	/* An index whose entries are all of other kinds. */
	manifest_bad("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.in-toto"
		     "+json\",\"digest\":\"" D1 "\",\"size\":3}]}", "",
		     "none of the index's 1 entries is an image manifest or index (the first has "
		     "media type \"application/vnd.in-toto+json\")");
	manifest_bad("{\"schemaVersion\":2,\"manifests\":[]}", "", "the index lists no manifests");
}

static void test_claim_contradiction(void **state)
{
	(void)state;
	manifest_bad(oci_manifest, MT_OCI_INDEX,
		     "manifest: the document says it is \"application/vnd.oci.image.manifest.v1+json\" "
		     "but was served as \"application/vnd.oci.image.index.v1+json\"");
	manifest_bad(oci_manifest, MT_DOCKER_MANIFEST, "but was served as");
	manifest_bad(docker_list, MT_OCI_INDEX, "but was served as");
	manifest_bad(docker_manifest, MT_DOCKER_LIST, "but was served as");
}

static void test_ambiguous(void **state)
{
	(void)state;
	/* CVE-2021-41190: an index that is also an image manifest, or the reverse. */
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[],"
		     "\"layers\":[]}", "", "manifest: the index also has \"config\" or \"layers\"");
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":{},"
		     "\"layers\":[],\"manifests\":null}", "",
		     "manifest: the image manifest also has \"manifests\"");
	manifest_bad("{\"schemaVersion\":2,\"config\":{},\"manifests\":[]}", "",
		     "it is ambiguous");
	manifest_bad("{\"schemaVersion\":2,\"annotations\":{}}", "",
		     "neither an image manifest nor an index");
}

static void test_bad_structure(void **state)
{
	static const char *const cases[][2] = {
		{ "[]", "manifest: the document is not a JSON object" },
		{ "[{\"schemaVersion\":2}]", "the document is not a JSON object" },
		{ "2", "manifest: invalid JSON at line 1" },
		{ "", "manifest: the document is empty" },
		{ "null", "manifest: invalid JSON" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":[],"
		  "\"layers\":[]}", "manifest: config is not an object" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":{"
		  "\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":1},"
		  "\"layers\":{}}", "manifest: layers is not an array" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":{"
		  "\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":1}}",
		  "manifest: layers is missing" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":{"
		  "\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":1},"
		  "\"layers\":[\"" D2 "\"]}", "manifest: layers[0] is not an object" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"layers\":[]}",
		  "manifest: config is missing" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\"}",
		  "manifest: manifests is missing" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":{}}",
		  "manifest: manifests is not an array" },
		/* Index entries: media type required, platform strict where present. */
		{ "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1}]}",
		  "manifest: manifests[0].mediaType is missing" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
		  "\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\"}}]}",
		  "manifest: manifests[0].platform.os is missing" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
		  "\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"architecture\":\"amd 64\","
		  "\"os\":\"linux\"}}]}",
		  "manifests[0].platform.architecture \"amd 64\" contains characters other than "
		  "printable ASCII" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
		  "\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"architecture\":\"\","
		  "\"os\":\"linux\"}}]}", "manifests[0].platform.architecture is empty" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
		  "\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\","
		  "\"os\":\"linux\",\"variant\":null}}]}",
		  "manifests[0].platform.variant is not a string" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
		  "\"digest\":\"" D1 "\",\"size\":1,\"platform\":\"linux/amd64\"}]}",
		  "manifests[0].platform is not an object" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
		  "\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\","
		  "\"os\":\"linuxlinuxlinuxlinuxlinuxlinuxlinuxlinuxlinuxlinuxlinuxlinuxlinux\"}}]}",
		  "manifests[0].platform.os is 65 bytes, more than the 64 allowed" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		manifest_bad(cases[i][0], "", cases[i][1]);
}

static void test_truncated(void **state)
{
	const char *docs[] = { oci_manifest, oci_index, docker_manifest, docker_list };
	size_t end;

	(void)state;
	/* Every proper prefix is refused (the last one, minus only the newline, is whole). */
	for (size_t d = 0; d < ARRAY_SIZE(docs); d++) {
		end = strlen(docs[d]);
		while (end > 0 && docs[d][end - 1] == '\n')
			end--;
		for (size_t n = 0; n < end; n++)
			manifest_bad_len(docs[d], n, "", "manifest: ", BERR_INVALID);
	}
	manifest_bad_len(oci_manifest, 100, "", "manifest: the JSON document is truncated",
			 BERR_INVALID);
	for (size_t n = 0; n < strlen(config_full); n++)
		config_bad_len(config_full, n, "image config: ");
}

static void test_trailing_data(void **state)
{
	struct msg_v_manifest_reply r;
	char *doc;

	(void)state;
	/* Whitespace after the document is still one document... */
	doc = fmt("%s \n\t\r\n", oci_manifest);
	manifest_ok(doc, "", &r);
	manifest_free(&r);
	free(doc);
	/* ...anything else is not. */
	manifest_bad_f(fmt("%sx", oci_manifest), "",
		       "manifest: unexpected data after the JSON document (line 21, column 1)");
	manifest_bad_f(fmt("%s%s", oci_manifest, oci_manifest), "",
		       "unexpected data after the JSON document");
	manifest_bad_f(fmt("%s\n{}", docker_list), "", "unexpected data after the JSON document");
	config_bad_f(fmt("%s]", config_full), "image config: unexpected data after the JSON "
		     "document");
	/* A NUL byte after the document, as a C string would hide it. */
	manifest_bad_len("{\"schemaVersion\":2}\0{}", 22, "", "manifest: ", BERR_INVALID);
}

static void test_nul_and_encoding(void **state)
{
	static const char raw_nul[] = "{\"schemaVersion\":2,\"mediaType\":\"a\0b\"}";

	(void)state;
	manifest_bad_f(fmt(layer_tmpl, "application/vnd.oci.image.layer.v1.tar\\u0000+gzip"), "",
		       "manifest: a string contains a NUL character (\\u0000), which is refused");
	/* Even in a field berth ignores. */
	manifest_bad("{\"schemaVersion\":2,\"annotations\":{\"a\":\"x\\u0000y\"}}", "",
		     "NUL character");
	manifest_bad("{\"schemaVersion\":2,\"annotations\":{\"a\\u0000\":\"x\"}}", "",
		     "NUL character");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=\\u0000\"]},"
		   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		   "image config: a string contains a NUL character");
	/* A raw NUL inside a string, and invalid UTF-8. */
	manifest_bad_len(raw_nul, sizeof(raw_nul) - 1, "", "manifest: ", BERR_INVALID);
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"\xc3\x28\"}", "", "not valid UTF-8");
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"\xed\xa0\x80\"}", "", "manifest: ");
}

static void test_nesting(void **state)
{
	size_t depth = 100000;
	char *doc = malloc(depth * 2 + 64);
	size_t n;

	(void)state;
	assert_non_null(doc);
	n = (size_t)sprintf(doc, "{\"schemaVersion\":2,\"annotations\":");
	for (size_t i = 0; i < depth; i++)
		doc[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		doc[n++] = ']';
	doc[n++] = '}';
	doc[n] = '\0';
	manifest_bad(doc, "", "manifest: the JSON is nested more than 64 levels deep");
	free(doc);

	/* 64 levels are fine (and brackets inside strings do not count). */
	doc = malloc(256);
	assert_non_null(doc);
	n = (size_t)sprintf(doc, "{\"schemaVersion\":2,\"x\":\"[[[[{{{{\\\"[[[\",\"annotations\":");
	for (size_t i = 0; i < 63; i++)
		doc[n++] = '[';
	for (size_t i = 0; i < 63; i++)
		doc[n++] = ']';
	doc[n++] = '}';
	doc[n] = '\0';
	manifest_bad(doc, "", "manifest: the document is neither an image manifest nor an index");
	free(doc);
}

/* A document of many tiny values would cost far more memory as a tree than as text. */
static void test_too_many_values(void **state)
{
	size_t cap = 4 * 1024 * 1024;
	char *doc = malloc(cap + 1);
	struct msg_v_config_reply r;
	size_t n;

	(void)state;
	assert_non_null(doc);
	n = (size_t)sprintf(doc, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"x\":[");
	while (n + 8 < cap) {
		memcpy(doc + n, "{},", 3);
		n += 3;
	}
	n += (size_t)sprintf(doc + n - 1, "]}") - 1;
	config_bad_len(doc, n, "image config: the document holds more than 100000 JSON values");
	/* Commas inside strings are text, not values. */
	n = (size_t)sprintf(doc, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"x\":\"");
	memset(doc + n, ',', 200000);
	n += 200000;
	n += (size_t)sprintf(doc + n, "\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
	config_ok(doc, &r);
	config_free(&r);
	free(doc);
}

/* ---------------------------------------------------------------- configs */

static void test_config_full(void **state)
{
	struct msg_v_config_reply r;

	(void)state;
	config_ok(config_full, &r);
	assert_string_equal(r.architecture, "arm");
	assert_string_equal(r.variant, "v7");
	assert_string_equal(r.os, "linux");
	assert_string_equal(r.author, "NGINX Docker Maintainers <docker-maint@nginx.com>");
	assert_string_equal(r.created, "2024-01-11T20:01:24.871421Z");
	assert_int_equal(r.n_diff_ids, 3);
	assert_string_equal(r.diff_ids[0], D1);
	assert_string_equal(r.diff_ids[2], D512);
	assert_null(r.diff_ids[3]);
	assert_int_equal(r.n_env, 3);
	assert_string_equal(r.env[1], "NGINX_VERSION=1.25.3");
	assert_int_equal(r.n_cmd, 3);
	assert_string_equal(r.cmd[2], "daemon off;");
	assert_int_equal(r.n_entrypoint, 1);
	assert_string_equal(r.entrypoint[0], "/docker-entrypoint.sh");
	assert_string_equal(r.working_dir, "/usr/share/nginx");
	assert_string_equal(r.user, "101:101");
	assert_string_equal(r.stop_signal, "SIGQUIT");
	assert_int_equal(r.n_labels, 3);
	/* In the document's order. */
	assert_string_equal(r.labels[0], "maintainer=NGINX Docker Maintainers "
			    "<docker-maint@nginx.com>");
	assert_string_equal(r.labels[1], "org.opencontainers.image.title=nginx \xc3\xa9t\xc3\xa9");
	assert_string_equal(r.labels[2], "empty=");
	assert_int_equal(r.n_exposed_ports, 2);
	assert_string_equal(r.exposed_ports[0], "80/tcp");
	assert_string_equal(r.exposed_ports[1], "443/udp");
	assert_int_equal(r.n_volumes, 2);
	assert_string_equal(r.volumes[1], "/var/log/my logs");
	assert_int_equal(r.n_history, 4);
	assert_string_equal(r.history[0].created, "2024-01-11T00:00:00Z");
	assert_false(r.history[0].empty_layer);
	assert_true(r.history[1].empty_layer);
	assert_string_equal(r.history[1].created_by, "/bin/sh -c #(nop)  CMD [\"bash\"]");
	assert_null(r.history[2].created);
	assert_string_equal(r.history[2].comment, "buildkit.dockerfile.v0");
	assert_null(r.history[3].created);
	assert_null(r.history[3].created_by);
	assert_null(r.history[3].comment);
	assert_false(r.history[3].empty_layer);
	config_free(&r);
}

static void test_config_nulls(void **state)
{
	struct msg_v_config_reply r;

	(void)state;
	config_ok(config_nulls, &r);
	assert_string_equal(r.architecture, "amd64");
	assert_null(r.variant);
	assert_null(r.author);
	assert_null(r.env);
	assert_null(r.cmd);
	assert_null(r.entrypoint);
	assert_null(r.labels);
	assert_null(r.exposed_ports);
	assert_null(r.volumes);
	assert_null(r.stop_signal);
	assert_null(r.history);
	/* Empty strings are passed on as they are. */
	assert_string_equal(r.working_dir, "");
	assert_string_equal(r.user, "");
	assert_int_equal(r.n_diff_ids, 0);
	config_free(&r);

	/* The smallest config, and one whose "config" is null. */
	config_ok("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		  "\"diff_ids\":[\"" D1 "\"]}}", &r);
	assert_null(r.env);
	assert_null(r.created);
	assert_int_equal(r.n_diff_ids, 1);
	config_free(&r);
	config_ok("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":null,\"rootfs\":{\"type\":"
		  "\"layers\",\"diff_ids\":[]}}", &r);
	config_free(&r);
	/* Empty lists are kept as empty lists, not absent ones. */
	config_ok("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[],\"Labels\":{}},"
		  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}", &r);
	assert_non_null(r.cmd);
	assert_int_equal(r.n_cmd, 0);
	assert_non_null(r.labels);
	assert_non_null(r.history);
	assert_int_equal(r.n_history, 0);
	config_free(&r);
}

static void test_config_refused(void **state)
{
	static const char *const holes[][2] = {
		{ "{\"Labels\":{\"a\":1}}", "image config: config.Labels[\"a\"] is not a string" },
		{ "{\"Labels\":{\"a\":null}}", "config.Labels[\"a\"] is not a string" },
		{ "{\"Labels\":{\"a=b\":\"c\"}}", "config.Labels key \"a=b\" contains '='" },
		{ "{\"Labels\":{\"\":\"c\"}}", "config.Labels has an empty key" },
		{ "{\"Labels\":[\"a=b\"]}", "config.Labels is not an object" },
		{ "{\"Env\":\"PATH=/bin\"}", "image config: config.Env is not an array" },
		{ "{\"Env\":[\"A=1\",2]}", "config.Env[1] is not a string" },
		{ "{\"Cmd\":[null]}", "config.Cmd[0] is not a string" },
		{ "{\"Entrypoint\":{}}", "config.Entrypoint is not an array" },
		{ "{\"WorkingDir\":7}", "config.WorkingDir is not a string" },
		{ "{\"User\":[\"root\"]}", "config.User is not a string" },
		{ "{\"StopSignal\":\"SIGRTMIN+3SIGRTMIN+3SIGRTMIN+3SIGRTMIN+3\"}",
		  "config.StopSignal is 40 bytes, more than the 32 allowed" },
		{ "{\"ExposedPorts\":[\"80/tcp\"]}", "config.ExposedPorts is not an object" },
		{ "{\"ExposedPorts\":{\"80/tcp\":1}}", "config.ExposedPorts[\"80/tcp\"] is not an object" },
		{ "{\"ExposedPorts\":{\"80 /tcp\":{}}}",
		  "config.ExposedPorts key \"80 /tcp\" contains characters other than printable ASCII" },
		{ "{\"Volumes\":{\"\":{}}}", "config.Volumes has an empty key" },
		{ "[]", "image config: config is not an object" },
		{ "\"x\"", "config is not an object" },
	};
	static const char *const rootfs[][2] = {
		{ "{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"sha256:1234\"]}",
		  "image config: rootfs.diff_ids[1] is not a valid digest: \"sha256:1234\"" },
		{ "{\"type\":\"layers\",\"diff_ids\":[\"md5:d41d8cd98f00b204e9800998ecf8427e\"]}",
		  "rootfs.diff_ids[0] uses the digest algorithm \"md5\"" },
		{ "{\"type\":\"layers\",\"diff_ids\":[7]}", "rootfs.diff_ids[0] is not a string" },
		{ "{\"type\":\"layers\",\"diff_ids\":\"" D1 "\"}", "rootfs.diff_ids is not an array" },
		{ "{\"type\":\"layers\"}", "image config: rootfs.diff_ids is missing" },
		{ "{\"type\":\"layers\",\"diff_ids\":null}", "rootfs.diff_ids is missing" },
		{ "{\"type\":\"Layers\",\"diff_ids\":[]}",
		  "image config: rootfs.type is \"Layers\", not \"layers\"" },
		{ "{\"type\":\"overlay\\u001b\",\"diff_ids\":[]}",
		  "rootfs.type is \"overlay?\", not \"layers\"" },
		{ "{\"diff_ids\":[]}", "rootfs.type is missing" },
		{ "{\"type\":1,\"diff_ids\":[]}", "rootfs.type is not a string" },
		{ "[]", "image config: rootfs is not an object" },
		{ "null", "image config: rootfs is missing" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(holes); i++)
		config_bad_f(fmt(cfg_tmpl, holes[i][0]), holes[i][1]);
	for (size_t i = 0; i < ARRAY_SIZE(rootfs); i++)
		config_bad_f(fmt(rootfs_tmpl, rootfs[i][0]), rootfs[i][1]);

	config_bad("{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		   "image config: architecture is missing");
	config_bad("{\"architecture\":\"\",\"os\":\"linux\"}", "image config: architecture is empty");
	config_bad("{\"architecture\":null,\"os\":\"linux\"}", "architecture is missing");
	config_bad("{\"architecture\":\"amd64\",\"os\":[\"linux\"]}", "image config: os is not a string");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\"}", "image config: rootfs is missing");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"lin\\nux\"}",
		   "os \"lin?ux\" contains characters other than printable ASCII");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024\\u00e9\"}",
		   "image config: created \"2024??\" is not a timestamp");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":20240101}",
		   "created is not a string");
	config_bad("[{\"architecture\":\"amd64\"}]", "image config: the document is not a JSON object");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		   "\"diff_ids\":[]},\"history\":{}}", "image config: history is not an array");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		   "\"diff_ids\":[]},\"history\":[{\"empty_layer\":\"true\"}]}",
		   "image config: history[0].empty_layer is not a boolean");
	config_bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		   "\"diff_ids\":[]},\"history\":[{},7]}", "image config: history[1] is not an object");
}

/* Bounds from the schema, refused in words rather than cut. */
static void test_config_bounds(void **state)
{
	size_t cap = 300 * 16 + 20000;
	char *doc = malloc(cap), *big;
	struct msg_v_config_reply r;
	size_t n;

	(void)state;
	assert_non_null(doc);
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)snprintf(doc, cap, "{\"architecture\":\"amd64\",\"os\":\"linux\","
				     "\"config\":{\"Env\":[");
		for (int i = 0; i < 256 + extra; i++)
			n += (size_t)snprintf(doc + n, cap - n, "%s\"V%d=1\"", i ? "," : "", i);
		snprintf(doc + n, cap - n, "]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
		if (extra == 0) {
			config_ok(doc, &r);
			assert_int_equal(r.n_env, 256);
			config_free(&r);
		} else {
			config_bad(doc, "image config: config.Env has 257 entries, more than the 256 "
				   "allowed");
		}
	}
	free(doc);

	big = malloc(8200);
	assert_non_null(big);
	memset(big, 'v', 8192);
	big[8192] = '\0';
	config_bad_f(fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":"
			 "[\"A=1\",\"B%s\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", big),
		     "image config: config.Env[1] is 8193 bytes, more than the 8192 allowed");
	config_bad_f(fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":"
			 "{\"k\":\"%s\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", big),
		     "config.Labels[\"k\"] is 8194 bytes with its key, more than the 8192 allowed");
	big[8190] = '\0';
	config_ok(doc = fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":"
			    "{\"k\":\"%s\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", big),
		  &r);
	assert_int_equal(strlen(r.labels[0]), 8192);
	config_free(&r);
	free(doc);
	big[1025] = '\0';
	config_bad_f(fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"author\":\"%s\"}", big),
		     "image config: author is 1025 bytes, more than the 1024 allowed");
	free(big);
}

/* ---------------------------------------------------------------- index ref names */

/* An OCI layout's index.json with one image entry; %s is more members of that entry. */
static const char ref_tmpl[] =
	"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
	"\"digest\":\"" D1 "\",\"size\":1638%s}]}";

static void test_ref_name(void **state)
{
	struct msg_v_manifest_reply r;
	char *doc;

	(void)state;
	doc = fmt(ref_tmpl, ",\"annotations\":{\"org.opencontainers.image.created\":\"2024\","
		  "\"org.opencontainers.image.ref.name\":\"busybox:latest\"}");
	manifest_ok(doc, MT_OCI_INDEX, &r);
	assert_int_equal(r.n_manifests, 1);
	assert_string_equal(r.manifests[0].ref_name, "busybox:latest");
	manifest_free(&r);
	free(doc);
	/* A full reference, as skopeo writes it. */
	doc = fmt(ref_tmpl, ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
		  "\"localhost:5000/team/app@" D2 "\"}");
	manifest_ok(doc, "", &r);
	assert_string_equal(r.manifests[0].ref_name, "localhost:5000/team/app@" D2);
	manifest_free(&r);
	free(doc);
	/* Absent: no annotations, other annotations only, or annotations null. */
	{
		const char *const absent[] = {
			"",
			",\"annotations\":{\"org.opencontainers.image.title\":\"x\"}",
			",\"annotations\":null",
		};

		for (size_t i = 0; i < ARRAY_SIZE(absent); i++) {
			doc = fmt(ref_tmpl, absent[i]);
			manifest_ok(doc, "", &r);
			assert_null(r.manifests[0].ref_name);
			manifest_free(&r);
			free(doc);
		}
	}
	/* The annotation on an image manifest's own descriptors is not read. */
	manifest_ok(oci_manifest, "", &r);
	assert_null(r.config[0].ref_name);
	manifest_free(&r);
}

static void test_ref_name_refused(void **state)
{
	char *long_name = calloc(1, 600);

	(void)state;
	assert_non_null(long_name);
	memset(long_name, 'a', 513);
	manifest_bad_f(fmt(ref_tmpl, ",\"annotations\":{\"org.opencontainers.image.ref.name\":7}"),
		       "", "manifests[0].annotations.org.opencontainers.image.ref.name is not a "
		       "string");
	manifest_bad_f(fmt(ref_tmpl, ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
			   "null}"), "", "ref.name is not a string");
	manifest_bad_f(fmt(ref_tmpl, ",\"annotations\":[\"org.opencontainers.image.ref.name\"]"),
		       "", "manifests[0].annotations is not an object");
	manifest_bad_f(fmt(ref_tmpl, ",\"annotations\":\"busybox\""), "",
		       "manifests[0].annotations is not an object");
	manifest_bad_f(fmt(ref_tmpl, ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
			   "\"busy box\"}"), "", "contains characters other than printable ASCII");
	manifest_bad_f(fmt(ref_tmpl, ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
			   "\"a\\u001b[31m\"}"), "", "contains characters other than printable ASCII");
	manifest_bad_f(fmt("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
			   "\",\"digest\":\"" D1 "\",\"size\":1,\"annotations\":{"
			   "\"org.opencontainers.image.ref.name\":\"%s\"}}]}", long_name), "",
		       "is 513 bytes, more than the 512 allowed");
	free(long_name);
}

/* ---------------------------------------------------------------- docker-archive */

/* What `docker save busybox:latest` writes (layer paths shortened). */
static const char archive_single[] =
	"[{\"Config\":\"6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.json\","
	"\"RepoTags\":[\"busybox:latest\"],"
	"\"Layers\":[\"d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35/layer.tar\"]}]\n";

/* Two images, one untagged; Docker 25's OCI-style paths and its extra keys. */
static const char archive_multi[] =
	"[{\"Config\":\"c1.json\",\"RepoTags\":[\"a:1\",\"localhost:5000/b/a:2\"],"
	"\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\",\"l1/layer.tar\"]},"
	"{\"Config\":\"blobs/sha256/4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce\","
	"\"RepoTags\":null,\"Layers\":[],\"Parent\":\"sha256:x\","
	"\"LayerSources\":{\"" D1 "\":{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
	"\"size\":1,\"digest\":\"" D1 "\"}}}]";

/* One image; %s is its members. */
static const char archive_tmpl[] = "[{%s}]";

static void archive_ok(const char *doc, struct msg_v_archive_reply *r)
{
	struct berr e;

	if (verify_parse_docker_archive((const uint8_t *)doc, strlen(doc), r, &e) < 0)
		fail_msg("refused: %s", e.msg);
	assert_channel_roundtrip(MSG_V_ARCHIVE_REPLY, r);
}

static void archive_free(struct msg_v_archive_reply *r)
{
	ipc_struct_free(&msg_v_archive_reply_schema, r);
	assert_true(all_zero(r, sizeof(*r)));
}

static void archive_bad_len(const char *doc, size_t len, const char *want)
{
	struct msg_v_archive_reply r;
	struct berr e;
	int rc;

	memset(&r, 0x5a, sizeof(r));
	berr_clear(&e);
	rc = verify_parse_docker_archive((const uint8_t *)doc, len, &r, &e);
	check_refusal(rc, &r, sizeof(r), &e, want, BERR_INVALID);
}

static void archive_bad_f(char *doc, const char *want)
{
	archive_bad_len(doc, strlen(doc), want);
	free(doc);
}

static void test_archive_single(void **state)
{
	struct msg_v_archive_reply r;

	(void)state;
	archive_ok(archive_single, &r);
	assert_int_equal(r.n_images, 1);
	assert_string_equal(r.images[0].config,
			    "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.json");
	assert_int_equal(r.images[0].n_repo_tags, 1);
	assert_string_equal(r.images[0].repo_tags[0], "busybox:latest");
	assert_int_equal(r.images[0].n_layers, 1);
	assert_string_equal(r.images[0].layers[0],
			    "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35/layer.tar");
	assert_null(r.images[0].layers[1]);
	archive_free(&r);
}

static void test_archive_multi(void **state)
{
	struct msg_v_archive_reply r;

	(void)state;
	archive_ok(archive_multi, &r);
	assert_int_equal(r.n_images, 2);
	assert_string_equal(r.images[0].config, "c1.json");
	assert_int_equal(r.images[0].n_repo_tags, 2);
	assert_string_equal(r.images[0].repo_tags[1], "localhost:5000/b/a:2");
	/* Paths as written: a repeated layer stays repeated. */
	assert_int_equal(r.images[0].n_layers, 3);
	assert_string_equal(r.images[0].layers[2], "l1/layer.tar");
	assert_string_equal(r.images[1].config, "blobs/sha256/4e07408562bedb8b60ce05c1decfe3ad16b"
			    "72230967de01f640b7e4729b49fce");
	/* RepoTags null: no tags, but a vector (the schema wants it present). */
	assert_int_equal(r.images[1].n_repo_tags, 0);
	assert_non_null(r.images[1].repo_tags);
	assert_int_equal(r.images[1].n_layers, 0);
	assert_non_null(r.images[1].layers);
	archive_free(&r);
}

static void test_archive_no_tags(void **state)
{
	const char *const members[] = {
		"\"Config\":\"c.json\",\"RepoTags\":null,\"Layers\":[\"l.tar\"]",
		"\"Config\":\"c.json\",\"Layers\":[\"l.tar\"]",
		"\"Config\":\"c.json\",\"RepoTags\":[],\"Layers\":[\"l.tar\"]",
	};
	struct msg_v_archive_reply r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		char *doc = fmt(archive_tmpl, members[i]);

		archive_ok(doc, &r);
		assert_int_equal(r.n_images, 1);
		assert_int_equal(r.images[0].n_repo_tags, 0);
		assert_non_null(r.images[0].repo_tags);
		assert_null(r.images[0].repo_tags[0]);
		assert_int_equal(r.images[0].n_layers, 1);
		archive_free(&r);
		free(doc);
	}
}

static void test_archive_refused(void **state)
{
	static const char *const cases[][2] = {
		{ "\"RepoTags\":[\"a:1\"],\"Layers\":[\"l.tar\"]",
		  "manifest.json[0].Config is missing" },
		{ "\"Config\":null,\"RepoTags\":[],\"Layers\":[]",
		  "manifest.json[0].Config is not a string" },
		{ "\"Config\":[\"c.json\"],\"RepoTags\":[],\"Layers\":[]",
		  "manifest.json[0].Config is not a string" },
		{ "\"Config\":\"c.json\",\"RepoTags\":[]", "manifest.json[0].Layers is missing" },
		{ "\"Config\":\"c.json\",\"Layers\":\"l.tar\"",
		  "manifest.json[0].Layers is not an array" },
		{ "\"Config\":\"c.json\",\"Layers\":{\"l.tar\":1}",
		  "manifest.json[0].Layers is not an array" },
		{ "\"Config\":\"c.json\",\"Layers\":null", "manifest.json[0].Layers is not an array" },
		{ "\"Config\":\"c.json\",\"Layers\":[\"l.tar\",7]",
		  "manifest.json[0].Layers[1] is not a string" },
		{ "\"Config\":\"c.json\",\"Layers\":[],\"RepoTags\":\"a:1\"",
		  "manifest.json[0].RepoTags is not an array" },
		{ "\"Config\":\"c.json\",\"Layers\":[],\"RepoTags\":[null]",
		  "manifest.json[0].RepoTags[0] is not a string" },
		{ "\"Config\":\"c\\u0000.json\",\"Layers\":[]", "NUL" },
		{ "\"Config\":\"c.json\",\"Layers\":[],\"Config\":\"d.json\"", "a key appears twice" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		archive_bad_f(fmt(archive_tmpl, cases[i][0]), cases[i][1]);
	/* The image is not an object; the second one is checked too. */
	archive_bad_f(fmt("[\"c.json\"]"), "manifest.json[0] is not an object");
	archive_bad_f(fmt("[%s, null]", "{\"Config\":\"c.json\",\"Layers\":[]}"),
		      "manifest.json[1] is not an object");
	archive_bad_f(fmt("[{\"Config\":\"c.json\",\"Layers\":[]},{\"Layers\":[]}]"),
		      "manifest.json[1].Config is missing");
}

static void test_archive_document(void **state)
{
	(void)state;
	archive_bad_f(fmt("{\"Config\":\"c.json\",\"Layers\":[]}"),
		      "manifest.json: the document is not a JSON array");
	archive_bad_f(fmt("\"c.json\""), "manifest.json: invalid JSON");
	archive_bad_f(fmt("[]"), "manifest.json lists no images");
	archive_bad_len("", 0, "manifest.json: the document is empty");
	archive_bad_f(fmt("%sx", archive_single),
		      "manifest.json: unexpected data after the JSON document");
	archive_bad_f(fmt("%s%s", archive_single, archive_single),
		      "unexpected data after the JSON document");
	archive_bad_len(archive_single, strlen(archive_single) - 3,
			"manifest.json: the JSON document is truncated");
	/* A NUL byte after the document, which a C string would hide. */
	archive_bad_len("[{\"Config\":\"c\",\"Layers\":[]}]\0[]", 31, "manifest.json: ");
}

static void test_archive_bounds(void **state)
{
	char *doc, *big, *path = calloc(1, 300);
	size_t len = 0, cap = 64 * 1024;
	struct msg_v_archive_reply r;

	(void)state;
	assert_non_null(path);
	/* 16 images are fine, 17 are too many. */
	big = malloc(cap);
	assert_non_null(big);
	big[len++] = '[';
	for (int i = 0; i < 17; i++) {
		len += (size_t)snprintf(big + len, cap - len, "%s{\"Config\":\"c%d.json\","
					"\"Layers\":[]}", i ? "," : "", i);
		if (i == 15) {
			snprintf(big + len, cap - len, "]");
			archive_ok(big, &r);
			assert_int_equal(r.n_images, 16);
			assert_string_equal(r.images[15].config, "c15.json");
			archive_free(&r);
		}
	}
	snprintf(big + len, cap - len, "]");
	archive_bad_len(big, strlen(big), "manifest.json lists 17 images, more than the 16");
	/* 128 layers are fine, 129 are too many. */
	len = (size_t)snprintf(big, cap, "[{\"Config\":\"c.json\",\"Layers\":[");
	for (int i = 0; i < 129; i++) {
		len += (size_t)snprintf(big + len, cap - len, "%s\"l%d.tar\"", i ? "," : "", i);
		if (i == 127) {
			snprintf(big + len, cap - len, "]}]");
			archive_ok(big, &r);
			assert_int_equal(r.images[0].n_layers, 128);
			archive_free(&r);
		}
	}
	snprintf(big + len, cap - len, "]}]");
	archive_bad_len(big, strlen(big), "manifest.json[0].Layers has 129 entries, more than "
			"the 128 allowed");
	/* 32 tags are fine, 33 are too many. */
	len = (size_t)snprintf(big, cap, "[{\"Config\":\"c.json\",\"Layers\":[],\"RepoTags\":[");
	for (int i = 0; i < 33; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s\"t:%d\"", i ? "," : "", i);
	snprintf(big + len, cap - len, "]}]");
	archive_bad_len(big, strlen(big), "manifest.json[0].RepoTags has 33 entries");
	free(big);
	/* Paths: 255 bytes are fine, 256 are too many. */
	memset(path, 'p', 255);
	doc = fmt("[{\"Config\":\"%s\",\"Layers\":[\"%s\"]}]", path, path);
	archive_ok(doc, &r);
	assert_int_equal(strlen(r.images[0].config), 255);
	archive_free(&r);
	free(doc);
	path[255] = 'p';
	archive_bad_f(fmt("[{\"Config\":\"%s\",\"Layers\":[]}]", path),
		      "manifest.json[0].Config is 256 bytes, more than the 255 allowed");
	archive_bad_f(fmt("[{\"Config\":\"c\",\"Layers\":[\"%s\"]}]", path),
		      "manifest.json[0].Layers[0] is 256 bytes, more than the 255 allowed");
	free(path);
}

/* ---------------------------------------------------------------- sigstore attachments */

/* As cosign pushes it: one signature layer with a certificate, and an attestation. */
static const char sigattach[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":233,"
	"\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
	"\"layers\":[{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\","
	"\"size\":241,\"digest\":"
	"\"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
	"\"annotations\":{\"dev.cosignproject.cosign/signature\":\"MEUCIQCx+/Zy09AB==\","
	"\"dev.sigstore.cosign/certificate\":\"-----BEGIN CERTIFICATE-----\\n\"}},"
	"{\"mediaType\":\"application/vnd.dsse.envelope.v1+json\",\"size\":9,\"digest\":"
	"\"sha256:2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]}";

static void sigattach_bad(const char *doc, const char *claim, const char *want)
{
	struct msg_v_sigattach_reply r;
	struct berr e;
	int rc;

	memset(&r, 0x5a, sizeof(r));
	berr_clear(&e);
	rc = verify_parse_sigattach((const uint8_t *)doc, strlen(doc), claim, &r, &e);
	check_refusal(rc, &r, sizeof(r), &e, want, BERR_INVALID);
	assert_non_null(strstr(e.msg, "signature attachment manifest: "));
}

static void test_sigattach(void **state)
{
	struct msg_v_sigattach_reply r;
	struct berr e;

	(void)state;
	assert_int_equal(verify_parse_sigattach((const uint8_t *)sigattach, strlen(sigattach),
						MT_OCI_MANIFEST, &r, &e), 0);
	assert_channel_roundtrip(MSG_V_SIGATTACH_REPLY, &r);
	assert_int_equal(r.n_layers, 2);
	assert_string_equal(r.layers[0].media_type,
			    "application/vnd.dev.cosign.simplesigning.v1+json");
	assert_int_equal(r.layers[0].size, 241);
	assert_string_equal(r.layers[0].signature, "MEUCIQCx+/Zy09AB==");
	assert_true(r.layers[0].has_certificate);
	assert_false(r.layers[0].has_bundle);
	assert_null(r.layers[1].signature);
	assert_false(r.layers[1].has_certificate);
	/* Annotations verbatim, in order, for an append; nothing left out. */
	assert_int_equal(r.layers[0].n_annotations, 2);
	assert_string_equal(r.layers[0].annotations[0].key, "dev.cosignproject.cosign/signature");
	assert_string_equal(r.layers[0].annotations[0].value, "MEUCIQCx+/Zy09AB==");
	assert_string_equal(r.layers[0].annotations[1].key, "dev.sigstore.cosign/certificate");
	assert_string_equal(r.layers[0].annotations[1].value, "-----BEGIN CERTIFICATE-----\n");
	assert_int_equal(r.layers[1].n_annotations, 0);
	assert_null(r.layers[1].annotations);
	assert_null(r.unkept);
	ipc_struct_free(&msg_v_sigattach_reply_schema, &r);
	assert_true(all_zero(&r, sizeof(r)));
	/* No layers at all: an empty list, not a refusal (the broker says "not signed"). */
	static const char empty[] = "{\"schemaVersion\":2,\"layers\":[]}";
	assert_int_equal(verify_parse_sigattach((const uint8_t *)empty, strlen(empty), "", &r, &e),
			 0);
	assert_int_equal(r.n_layers, 0);
	ipc_struct_free(&msg_v_sigattach_reply_schema, &r);
}

/* What a reply cannot carry is named in unkept, not refused: a pull needs none of it. */
static void sigattach_unkept(const char *doc, const char *want)
{
	struct msg_v_sigattach_reply r;
	struct berr e;

	berr_clear(&e);
	assert_int_equal(verify_parse_sigattach((const uint8_t *)doc, strlen(doc), "", &r, &e), 0);
	assert_channel_roundtrip(MSG_V_SIGATTACH_REPLY, &r);
	assert_non_null(r.unkept);
	assert_string_equal(r.unkept, want);
	ipc_struct_free(&msg_v_sigattach_reply_schema, &r);
}

#define SA_LAYER(extra) \
	"{\"mediaType\":\"a\",\"size\":1,\"digest\":" \
	"\"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"" extra "}"

static void test_sigattach_unkept(void **state)
{
	(void)state;
	sigattach_unkept("{\"schemaVersion\":2,\"subject\":{},\"layers\":[]}", "subject");
	sigattach_unkept("{\"schemaVersion\":2,\"annotations\":{},\"layers\":[]}",
			 "annotations");
	sigattach_unkept("{\"schemaVersion\":2,\"layers\":[" SA_LAYER("") ","
			 SA_LAYER(",\"urls\":[\"http://x\"]") "]}", "layers[1].urls");
	/* A key quoted as untrusted text. */
	sigattach_unkept("{\"schemaVersion\":2,\"layers\":[" SA_LAYER(",\"a\\u001bb\":1") "]}",
			 "layers[0].a?b");
	sigattach_unkept("{\"schemaVersion\":2,\"layers\":[" SA_LAYER(",\"annotations\":{\"\":\"x\"}")
			 "]}", "layers[0].annotations (a key or value berth does not carry)");
	/* More annotations than a layer carries; then more bytes than a reply carries. */
	{
		static const char head[] = "{\"mediaType\":\"a\",\"size\":1,\"digest\":\"sha256:"
			"1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
			"\"annotations\":{";
		size_t cap = 256 * 1024, n = 0;
		char *doc = malloc(cap);
		assert_non_null(doc);
		n += (size_t)snprintf(doc + n, cap - n, "{\"schemaVersion\":2,\"layers\":[%s", head);
		for (int i = 0; i < 33; i++)
			n += (size_t)snprintf(doc + n, cap - n, "%s\"k%d\":\"v\"", i ? "," : "", i);
		snprintf(doc + n, cap - n, "}}]}");
		sigattach_unkept(doc, "layers[0].annotations (too many or too large)");
		n = (size_t)snprintf(doc, cap, "{\"schemaVersion\":2,\"layers\":[");
		for (int i = 0; i < 4; i++) {
			n += (size_t)snprintf(doc + n, cap - n, "%s%s\"k\":\"", i ? "," : "", head);
			memset(doc + n, 'v', 16000);
			n += 16000;
			n += (size_t)snprintf(doc + n, cap - n, "\"}}");
		}
		snprintf(doc + n, cap - n, "]}");
		sigattach_unkept(doc, "layers[3].annotations (too many or too large)");
		free(doc);
	}
}

static void test_sigattach_refused(void **state)
{
	(void)state;
	sigattach_bad(sigattach, MT_OCI_INDEX, "not as an OCI image manifest");
	sigattach_bad("{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"layers\":[]}",
		      "", "mediaType is not");
	sigattach_bad("{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", "", "manifests");
	sigattach_bad("{\"schemaVersion\":1,\"layers\":[]}", "", "schemaVersion is not 2");
	sigattach_bad("{\"schemaVersion\":2}", "", "layers is missing");
	sigattach_bad("{\"schemaVersion\":2,\"layers\":[{\"size\":1,\"digest\":\"sha256:"
		      "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]}", "",
		      "layers[0].mediaType is missing");
	sigattach_bad("{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"a\",\"size\":1,"
		      "\"digest\":\"md5:00\"}]}", "", "only sha256 and sha512");
	sigattach_bad("{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"a\",\"size\":1,\"digest\":"
		      "\"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		      "\"annotations\":{\"dev.cosignproject.cosign/signature\":\"not base64!\"}}]}",
		      "", "is not base64");
	sigattach_bad("{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"a\",\"size\":1,\"digest\":"
		      "\"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		      "\"annotations\":{\"dev.cosignproject.cosign/signature\":1}}]}",
		      "", "a value that is not a string");
	sigattach_bad("{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"a\",\"size\":1,\"digest\":"
		      "\"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		      "\"annotations\":{\"x\":\"1\",\"x\":\"2\"}}]}", "", "appears twice");
	/* More layers than a reply carries. */
	{
		size_t cap = 80 * 200, n = 0;
		char *doc = malloc(cap);
		assert_non_null(doc);
		n += (size_t)snprintf(doc + n, cap - n, "{\"schemaVersion\":2,\"layers\":[");
		for (int i = 0; i < 65; i++)
			n += (size_t)snprintf(doc + n, cap - n, "%s{\"mediaType\":\"a\",\"size\":1,"
					      "\"digest\":\"sha256:%064d\"}", i ? "," : "", i);
		snprintf(doc + n, cap - n, "]}");
		sigattach_bad(doc, "", "65 layers, more than the 64");
		free(doc);
	}
}

/* ---------------------------------------------------------------- mutation */

/* Every single-byte change and every truncation of real documents: a clean refusal or a reply
 * the channel carries. What matters is that neither crashes nor lets through what the codec
 * would refuse (ASan and the roundtrip check that). */
static void mutate(const char *doc, bool config, size_t *ok, size_t *refused)
{
	static const uint8_t bytes[] = { '"', '{', '}', '[', ']', ',', ':', '0', '-', '\\', 'x',
					 ' ', 0x00, 0x80, 0xff };
	size_t len = strlen(doc);
	uint8_t *copy = malloc(len);
	struct berr e;

	assert_non_null(copy);
	for (size_t pos = 0; pos < len; pos++) {
		for (size_t b = 0; b < ARRAY_SIZE(bytes); b++) {
			int rc;

			memcpy(copy, doc, len);
			copy[pos] = bytes[b];
			if (config) {
				struct msg_v_config_reply r;

				rc = verify_parse_config(copy, len, &r, &e);
				if (rc == 0) {
					assert_channel_roundtrip(MSG_V_CONFIG_REPLY, &r);
					config_free(&r);
				} else {
					assert_true(all_zero(&r, sizeof(r)));
				}
			} else {
				struct msg_v_manifest_reply r;

				rc = verify_parse_manifest(copy, len, "", &r, &e);
				if (rc == 0) {
					assert_channel_roundtrip(MSG_V_MANIFEST_REPLY, &r);
					manifest_free(&r);
				} else {
					assert_true(all_zero(&r, sizeof(r)));
				}
			}
			if (rc == 0) {
				(*ok)++;
			} else {
				assert_printable(e.msg);
				assert_int_not_equal(e.code, BERR_PROTOCOL);
				(*refused)++;
			}
		}
	}
	free(copy);
}

static void mutate_sigattach(size_t *ok, size_t *refused)
{
	size_t len = strlen(sigattach);
	uint8_t *copy = malloc(len);
	struct berr e;

	assert_non_null(copy);
	for (size_t pos = 0; pos < len; pos++) {
		for (unsigned b = 0; b < 256; b += 37) {
			struct msg_v_sigattach_reply r;

			memcpy(copy, sigattach, len);
			copy[pos] = (uint8_t)b;
			if (verify_parse_sigattach(copy, len, "", &r, &e) == 0) {
				assert_channel_roundtrip(MSG_V_SIGATTACH_REPLY, &r);
				ipc_struct_free(&msg_v_sigattach_reply_schema, &r);
				(*ok)++;
			} else {
				assert_true(all_zero(&r, sizeof(r)));
				assert_printable(e.msg);
				assert_int_not_equal(e.code, BERR_PROTOCOL);
				(*refused)++;
			}
		}
		/* Truncated here. */
		struct msg_v_sigattach_reply r;
		assert_int_equal(verify_parse_sigattach((const uint8_t *)sigattach, pos, "", &r, &e),
				 -1);
		assert_true(all_zero(&r, sizeof(r)));
	}
	free(copy);
}

static void test_mutations(void **state)
{
	size_t ok = 0, refused = 0;

	(void)state;
	mutate(oci_manifest, false, &ok, &refused);
	mutate(oci_index, false, &ok, &refused);
	mutate(docker_list, false, &ok, &refused);
	mutate(config_full, true, &ok, &refused);
	mutate(config_nulls, true, &ok, &refused);
	mutate_sigattach(&ok, &refused);
	/* Both happen: changes inside strings survive, changes to structure do not. */
	assert_true(ok > 100);
	assert_true(refused > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_manifest),
		cmocka_unit_test(test_sigattach),
		cmocka_unit_test(test_sigattach_refused),
		cmocka_unit_test(test_sigattach_unkept),
		cmocka_unit_test(test_oci_index_platforms),
		cmocka_unit_test(test_docker_manifest),
		cmocka_unit_test(test_docker_list),
		cmocka_unit_test(test_oci_without_media_type),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_layer_types),
		cmocka_unit_test(test_limits_at_the_edge),
		cmocka_unit_test(test_schema1),
		cmocka_unit_test(test_schema_version),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_bad_digests),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_unknown_media_types),
		cmocka_unit_test(test_claim_contradiction),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_bad_structure),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_data),
		cmocka_unit_test(test_nul_and_encoding),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_too_many_values),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_nulls),
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_config_bounds),
		cmocka_unit_test(test_ref_name),
		cmocka_unit_test(test_ref_name_refused),
		cmocka_unit_test(test_archive_single),
		cmocka_unit_test(test_archive_multi),
		cmocka_unit_test(test_archive_no_tags),
		cmocka_unit_test(test_archive_refused),
		cmocka_unit_test(test_archive_document),
		cmocka_unit_test(test_archive_bounds),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
