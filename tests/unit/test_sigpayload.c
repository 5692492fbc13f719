/* Unit tests for workers/verify/sigpayload.c: simple-signing and cosign payloads as real
 * signers write them, every strictness rule of containers/image, and truncations and byte
 * flips of a valid payload (an error or a sane result, never a crash: ASan and UBSan watch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workers/verify/sigpayload.h"

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* What skopeo/podman write with --sign-by. */
static const char simple[] =
	"{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example.com/ns/app:1\"},"
	"\"image\":{\"docker-manifest-digest\":\"" DG "\"},"
	"\"type\":\"atomic container signature\"},"
	"\"optional\":{\"creator\":\"atomic 2.0.0\",\"timestamp\":1458239713}}";

/* What cosign sign writes without annotations. */
static const char cosign[] =
	"{\"critical\":{\"identity\":{\"docker-reference\":\"localhost:5000/app\"},"
	"\"image\":{\"docker-manifest-digest\":\"" DG "\"},"
	"\"type\":\"cosign container image signature\"},\"optional\":null}";

static int parse(const char *s, enum sigpayload_kind k, struct sigpayload *p)
{
	struct berr e = { 0 };
	int r = sigpayload_parse(s, strlen(s), k, p, &e);
	if (r < 0) {
		assert_true(e.code == BERR_INVALID);
		assert_non_null(strstr(e.msg, "signature payload: "));
	}
	return r;
}

static void refused(const char *s, enum sigpayload_kind k, const char *want)
{
	struct sigpayload p;
	struct berr e = { 0 };
	if (sigpayload_parse(s, strlen(s), k, &p, &e) == 0)
		fail_msg("accepted: %s", s);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, want) == NULL)
		fail_msg("wanted [%s], got [%s]", want, e.msg);
}

static void test_simple_signing(void **state)
{
	struct sigpayload p;
	(void)state;
	assert_int_equal(parse(simple, SIGPAYLOAD_SIMPLE_SIGNING, &p), 0);
	assert_string_equal(p.docker_reference, "registry.example.com/ns/app:1");
	assert_string_equal(p.manifest_digest, DG);
	assert_true(p.has_creator);
	assert_string_equal(p.creator, "atomic 2.0.0");
	assert_true(p.has_timestamp);
	assert_int_equal(p.timestamp, 1458239713);
	/* optional may be empty, and may hold what berth does not know. */
	assert_int_equal(parse("{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},"
			       "\"image\":{\"docker-manifest-digest\":\"" DG "\"},"
			       "\"type\":\"atomic container signature\"},\"optional\":{\"x\":[1]}}",
			       SIGPAYLOAD_SIMPLE_SIGNING, &p), 0);
	assert_false(p.has_creator);
	assert_false(p.has_timestamp);
	/* The other format's type is refused. */
	refused(simple, SIGPAYLOAD_COSIGN, "critical.type is not \"cosign container image");
}

static void test_cosign(void **state)
{
	struct sigpayload p;
	(void)state;
	assert_int_equal(parse(cosign, SIGPAYLOAD_COSIGN, &p), 0);
	assert_string_equal(p.docker_reference, "localhost:5000/app");
	assert_false(p.has_creator);
	refused(cosign, SIGPAYLOAD_SIMPLE_SIGNING, "critical.type is not \"atomic container");
	assert_int_equal(parse("{\"critical\":{\"identity\":{\"docker-reference\":\"a.io/x\"},"
			       "\"image\":{\"docker-manifest-digest\":\"" DG "\"},"
			       "\"type\":\"cosign container image signature\"},"
			       "\"optional\":{\"timestamp\":1.7e9,\"creator\":\"c\"}}",
			       SIGPAYLOAD_COSIGN, &p), 0);
	assert_int_equal(p.timestamp, 1700000000);
	assert_string_equal(p.creator, "c");
}

#define CRIT(type, ident, image) \
	"{\"critical\":{\"identity\":" ident ",\"image\":" image ",\"type\":" type "}," \
	"\"optional\":{}}"
#define T "\"atomic container signature\""
#define I "{\"docker-reference\":\"a.io/x:1\"}"
#define M "{\"docker-manifest-digest\":\"" DG "\"}"

static void test_strictness(void **state)
{
	(void)state;
	enum sigpayload_kind S = SIGPAYLOAD_SIMPLE_SIGNING;
	refused("", S, "empty");
	refused("[]", S, "the payload is not a JSON object");
	refused("{", S, "invalid JSON");
	char trailing[sizeof(simple) + 1];
	snprintf(trailing, sizeof(trailing), "%sx", simple);
	refused(trailing, S, "invalid JSON");
	refused("{\"critical\":{}}", S, "the payload.optional is missing");
	refused("{\"optional\":{}}", S, "the payload.critical is missing");
	refused("{\"critical\":{},\"optional\":{},\"extra\":1}", S, "the payload has fields other");
	refused("{\"critical\":[],\"optional\":{}}", S, "critical is not a JSON object");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":" T ",\"x\":1},"
		"\"optional\":{}}", S, "critical has fields other");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M "},\"optional\":{}}", S,
		"critical.type is missing");
	refused(CRIT(T, I, "{\"docker-manifest-digest\":\"" DG "\",\"x\":1}"), S,
		"critical.image has fields other");
	refused(CRIT(T, "{\"docker-reference\":\"a.io/x\",\"x\":1}", M), S,
		"critical.identity has fields other");
	refused(CRIT(T, "{}", M), S, "critical.identity.docker-reference is missing");
	refused(CRIT(T, I, "{}"), S, "critical.image.docker-manifest-digest is missing");
	refused(CRIT("1", I, M), S, "critical.type is not a string");
	refused(CRIT("\"atomic container signature \"", I, M), S, "critical.type is not");
	refused(CRIT(T, I, "{\"docker-manifest-digest\":\"sha256:00\"}"), S,
		"docker-manifest-digest: invalid checksum digest length");
	refused(CRIT(T, I, "{\"docker-manifest-digest\":\"md5:00\"}"), S,
		"unsupported digest algorithm");
	refused(CRIT(T, I, "{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef"
			  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			  "0123456789abcdef0123456789abcdef0\"}"), S,
		"critical.image.docker-manifest-digest is longer than 135 bytes");
	refused(CRIT(T, I, "{\"docker-manifest-digest\":7}"), S,
		"docker-manifest-digest is not a string");
	refused(CRIT(T, "{\"docker-reference\":\"A/B\"}", M), S,
		"critical.identity.docker-reference: invalid reference format");
	refused(CRIT(T, "{\"docker-reference\":\"a\\u0000b\"}", M), S, "invalid JSON");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":" T ",\"type\":" T
		"},\"optional\":{}}", S, "invalid JSON");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":" T "},"
		"\"optional\":null}", S, "optional is not a JSON object");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":" T "},"
		"\"optional\":{\"creator\":5}}", S, "optional.creator is not a string");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":" T "},"
		"\"optional\":{\"timestamp\":\"1\"}}", S, "optional.timestamp is not an integer");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":" T "},"
		"\"optional\":{\"timestamp\":1.0}}", S, "optional.timestamp is not an integer");
	enum sigpayload_kind C = SIGPAYLOAD_COSIGN;
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":"
		"\"cosign container image signature\"},\"optional\":{\"timestamp\":1.5}}", C,
		"optional.timestamp is not an integer");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":"
		"\"cosign container image signature\"},\"optional\":{\"timestamp\":1e300}}", C,
		"optional.timestamp is not an integer");
	refused("{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":"
		"\"cosign container image signature\"},\"optional\":[]}", C,
		"optional is not a JSON object");
	/* Bounds. */
	char *big = malloc(SIGPAYLOAD_MAX + 2);
	memset(big, ' ', SIGPAYLOAD_MAX + 1);
	big[SIGPAYLOAD_MAX + 1] = '\0';
	refused(big, S, "larger than");
	free(big);
	char creator[SIGPAYLOAD_CREATOR_MAX + 2];
	memset(creator, 'c', sizeof(creator) - 1);
	creator[sizeof(creator) - 1] = '\0';
	char doc[4096];
	snprintf(doc, sizeof(doc), "{\"critical\":{\"identity\":" I ",\"image\":" M ",\"type\":"
		 T "},\"optional\":{\"creator\":\"%s\"}}", creator);
	refused(doc, S, "optional.creator is longer than 1024 bytes");
	struct sigpayload p;
	struct berr e = { 0 };
	assert_int_equal(sigpayload_parse(simple, strlen(simple), 9, &p, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
}

/* Truncations and single-byte changes of the valid payloads: never a crash, and anything
 * accepted still has a valid digest and a reference. */
static void test_mutations(void **state)
{
	(void)state;
	const char *docs[] = { simple, cosign };
	for (int d = 0; d < 2; d++) {
		enum sigpayload_kind k = d == 0 ? SIGPAYLOAD_SIMPLE_SIGNING : SIGPAYLOAD_COSIGN;
		size_t n = strlen(docs[d]);
		char *buf = malloc(n);
		struct sigpayload p;
		struct berr e = { 0 };
		for (size_t cut = 0; cut < n; cut++)
			assert_int_equal(sigpayload_parse(docs[d], cut, k, &p, &e), -1);
		for (size_t i = 0; i < n; i++) {
			static const char flips[] = { 0, '"', '{', '}', ',', 'x', '\\', 0x7f, (char)0xff };
			for (size_t f = 0; f < sizeof(flips); f++) {
				memcpy(buf, docs[d], n);
				buf[i] = flips[f];
				if (sigpayload_parse(buf, n, k, &p, &e) == 0) {
					assert_int_equal(strlen(p.manifest_digest), 71);
					assert_true(p.docker_reference[0] != '\0');
				}
			}
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_signing),
		cmocka_unit_test(test_cosign),
		cmocka_unit_test(test_strictness),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
