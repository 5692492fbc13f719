/* Unit tests for policy/trust.c: policy.json parsing (every requirement and signedIdentity
 * type, every refusal with the file and key in its message), scope matching (most specific
 * wins, wildcards, ports, the transport default, the policy default) and signedIdentity
 * evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/trust.h"

#define F "/etc/containers/policy.json"

static struct trust_policy *parse(const char *s)
{
	struct berr e = { 0 };
	struct trust_policy *p = trust_policy_parse(s, strlen(s), F, &e);
	if (p == NULL)
		fail_msg("refused: %s\n%s", e.msg, s);
	return p;
}

/* Refused with code and a message containing the file name and want. */
static void refused(const char *s, int code, const char *want)
{
	struct berr e = { 0 };
	struct trust_policy *p = trust_policy_parse(s, strlen(s), F, &e);
	if (p != NULL) {
		trust_policy_free(p);
		fail_msg("accepted: %s", s);
	}
	if (e.code != code || strncmp(e.msg, F ": ", strlen(F) + 2) != 0 ||
	    strstr(e.msg, want) == NULL)
		fail_msg("for %s\nwanted code %d and [%s], got code %d [%s]", s, code, want, e.code,
			 e.msg);
}

static struct image_ref R(const char *s)
{
	struct image_ref r;
	struct berr e = { 0 };
	if (ref_parse(s, &r, &e) < 0 || ref_normalize_docker_io(&r, &e) < 0)
		fail_msg("bad test reference %s: %s", s, e.msg);
	return r;
}

/* The scope that decides for ref under transport docker ("(default)" for the policy's). */
static const char *scope_for(const struct trust_policy *p, const char *ref,
			     const struct trust_req **reqs)
{
	struct image_ref r = R(ref);
	struct berr e = { 0 };
	const struct trust_req *rq;
	size_t n;
	const char *scope;
	if (trust_policy_requirements(p, "docker", &r, &rq, &n, &scope, &e) < 0)
		fail_msg("lookup %s: %s", ref, e.msg);
	assert_true(n >= 1);
	if (reqs != NULL)
		*reqs = rq;
	return scope == NULL ? "(default)" : scope;
}

/* ---------------------------------------------------------------- parsing */

static void test_minimal_default(void **state)
{
	(void)state;
	struct trust_policy *p = parse("{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
	size_t n;
	const struct trust_req *d = trust_policy_default(p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].type, TRUST_ACCEPT);
	assert_int_equal(d[0].key_source, TRUST_KEYS_NONE);
	assert_int_equal(trust_policy_scope_count(p), 0);
	assert_string_equal(trust_policy_origin(p), F);
	assert_string_equal(scope_for(p, "quay.io/a/b:1", NULL), "(default)");
	trust_policy_free(p);
}

static void test_fedora_policy(void **state)
{
	(void)state;
	/* Fedora's shipped policy.json, shape for shape. */
	struct trust_policy *p = parse(
		"{\n \"default\": [ { \"type\": \"insecureAcceptAnything\" } ],\n"
		" \"transports\": {\n"
		"  \"docker\": {\n"
		"   \"registry.access.redhat.com\": [ { \"type\": \"signedBy\", \"keyType\": "
		"\"GPGKeys\", \"keyPaths\": [\"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release\", "
		"\"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-beta\"] } ],\n"
		"   \"registry.redhat.io\": [ { \"type\": \"signedBy\", \"keyType\": \"GPGKeys\", "
		"\"keyPath\": \"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release\" } ]\n"
		"  },\n"
		"  \"docker-daemon\": { \"\": [ { \"type\": \"insecureAcceptAnything\" } ] }\n"
		" }\n}\n");
	assert_int_equal(trust_policy_scope_count(p), 3);
	struct trust_scope s0 = trust_policy_scope_at(p, 0);
	assert_string_equal(s0.transport, "docker");
	assert_string_equal(s0.scope, "registry.access.redhat.com");
	assert_int_equal(s0.reqs[0].type, TRUST_SIGNED_BY);
	assert_int_equal(s0.reqs[0].key_source, TRUST_KEYS_PATHS);
	assert_int_equal(s0.reqs[0].n_key_paths, 2);
	assert_string_equal(s0.reqs[0].key_paths[1], "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-beta");
	assert_int_equal(s0.reqs[0].identity.type, TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT);
	struct trust_scope s1 = trust_policy_scope_at(p, 1);
	assert_string_equal(s1.scope, "registry.redhat.io");
	assert_int_equal(s1.reqs[0].key_source, TRUST_KEYS_PATH);
	assert_int_equal(s1.reqs[0].n_key_paths, 1);
	struct trust_scope s2 = trust_policy_scope_at(p, 2);
	assert_string_equal(s2.transport, "docker-daemon");
	assert_string_equal(s2.scope, "");
	trust_policy_free(p);
}

static void test_key_data_and_sigstore(void **state)
{
	(void)state;
	/* "aGVsbG8=" is "hello", "aGk=" is "hi", "YWJj" is "abc". */
	struct trust_policy *p = parse(
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
		"\"a.io\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"aGVsbG8=\"}],"
		"\"b.io\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"aGk=\"}],"
		"\"c.io\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"YWJj\"},"
		"{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k.pub\"},"
		"{\"type\":\"sigstoreSigned\",\"keyPaths\":[\"/k1.pub\",\"/k2.pub\"]}]}}}");
	const struct trust_req *r;
	scope_for(p, "a.io/x:1", &r);
	assert_int_equal(r->type, TRUST_SIGNED_BY);
	assert_int_equal(r->key_source, TRUST_KEYS_DATA);
	assert_int_equal(r->key_data_len, 5);
	assert_memory_equal(r->key_data, "hello", 5);
	scope_for(p, "b.io/x:1", &r);
	assert_int_equal(r->type, TRUST_SIGSTORE_SIGNED);
	assert_int_equal(r->key_data_len, 2);
	assert_memory_equal(r->key_data, "hi", 2);
	scope_for(p, "c.io/x:1", &r);
	assert_int_equal(r[0].key_data_len, 3);
	assert_memory_equal(r[0].key_data, "abc", 3);
	assert_string_equal(r[1].key_paths[0], "/k.pub");
	assert_int_equal(r[2].n_key_paths, 2);
	size_t n;
	assert_int_equal(trust_policy_default(p, &n)[0].type, TRUST_REJECT);
	trust_policy_free(p);
}

static void test_signed_identities(void **state)
{
	(void)state;
	struct trust_policy *p = parse(
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
		"\"a.io\":["
		"{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
		" \"signedIdentity\":{\"type\":\"matchExact\"}},"
		"{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
		" \"signedIdentity\":{\"type\":\"matchRepository\"}},"
		"{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
		" \"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"busybox:1\"}},"
		"{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
		" \"signedIdentity\":{\"type\":\"exactRepository\",\"dockerRepository\":\"b.io/r\"}},"
		"{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\","
		" \"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"a.io/m\","
		"  \"signedPrefix\":\"b.io:5000/n\"}},"
		"{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\","
		" \"signedIdentity\":{\"type\":\"matchRepoDigestOrExact\"}}]}}}");
	const struct trust_req *r;
	scope_for(p, "a.io/x:1", &r);
	assert_int_equal(r[0].identity.type, TRUST_ID_MATCH_EXACT);
	assert_int_equal(r[1].identity.type, TRUST_ID_MATCH_REPOSITORY);
	assert_int_equal(r[2].identity.type, TRUST_ID_EXACT_REFERENCE);
	assert_string_equal(r[2].identity.reference, "docker.io/library/busybox:1");
	assert_int_equal(r[3].identity.type, TRUST_ID_EXACT_REPOSITORY);
	assert_string_equal(r[3].identity.reference, "b.io/r");
	assert_int_equal(r[4].identity.type, TRUST_ID_REMAP_IDENTITY);
	assert_string_equal(r[4].identity.prefix, "a.io/m");
	assert_string_equal(r[4].identity.signed_prefix, "b.io:5000/n");
	assert_int_equal(r[5].identity.type, TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT);
	for (int i = 0; i < 6; i++)
		assert_non_null(trust_identity_type_name(r[i].identity.type));
	assert_string_equal(trust_req_type_name(r[0].type), "signedBy");
	assert_string_equal(trust_req_type_name(r[4].type), "sigstoreSigned");
	assert_string_equal(trust_req_type_name(TRUST_ACCEPT), "insecureAcceptAnything");
	assert_string_equal(trust_req_type_name(TRUST_REJECT), "reject");
	assert_string_equal(trust_req_type_name((enum trust_req_type)99), "?");
	assert_string_equal(trust_identity_type_name((enum trust_identity_type)99), "?");
	trust_policy_free(p);
}

static void test_malformed(void **state)
{
	(void)state;
	refused("", BERR_INVALID, "invalid JSON");
	refused("{\"default\":[{\"type\":\"reject\"}]} x", BERR_INVALID, "invalid JSON");
	refused("[]", BERR_INVALID, "expected a JSON object");
	refused("{}", BERR_INVALID, "\"default\" policy is missing");
	refused("{\"default\":[{\"type\":\"reject\"}],\"default\":[]}", BERR_INVALID,
		"invalid JSON");
	refused("{\"default\":[{\"type\":\"reject\"}],\"extra\":1}", BERR_INVALID,
		"unknown key \"extra\"");
	refused("{\"default\":{}}", BERR_INVALID, "default: expected an array");
	refused("{\"default\":[]}", BERR_INVALID, "default: the list of requirements must not");
	refused("{\"default\":[1]}", BERR_INVALID, "default[0]: expected an object");
	refused("{\"default\":[{}]}", BERR_INVALID, "default[0]: type is missing");
	refused("{\"default\":[{\"type\":5}]}", BERR_INVALID, "type: expected a string");
	refused("{\"default\":[{\"type\":true}]}", BERR_INVALID, "found a boolean");
	refused("{\"default\":[{\"type\":null}]}", BERR_INVALID, "found null");
	refused("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"a.io\":"
		"{\"type\":\"reject\"}}}}", BERR_INVALID,
		"transports.docker[\"a.io\"]: expected an array of requirements, found an object");
	refused("{\"default\":[{\"type\":\"\"}]}", BERR_INVALID, "type must not be empty");
	refused("{\"default\":[{\"type\":\"accept\"}]}", BERR_INVALID,
		"default[0]: unknown requirement type \"accept\"");
	refused("{\"default\":[{\"type\":\"reject\",\"keyPath\":\"/k\"}]}", BERR_INVALID,
		"default[0]: unknown key \"keyPath\"");
	refused("{\"default\":[{\"type\":\"insecureAcceptAnything\",\"x\":1}]}", BERR_INVALID,
		"unknown key \"x\"");
	refused("{\"default\":[{\"type\":\"reject\"}],\"transports\":[]}", BERR_INVALID,
		"transports: expected an object");
	refused("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"dokcer\":{}}}",
		BERR_INVALID, "transports: unknown transport \"dokcer\"");
	refused("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":[]}}",
		BERR_INVALID, "transports.docker: expected an object of scopes");
	refused("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"a.io\":"
		"[{\"type\":\"rejected\"}]}}}", BERR_INVALID,
		"transports.docker[\"a.io\"][0]: unknown requirement type \"rejected\"");
	refused("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"a.io\":[]}}}",
		BERR_INVALID, "transports.docker[\"a.io\"]: the list of requirements");
	/* A NUL inside a string is not JSON berth accepts. */
	refused("{\"default\":[{\"type\":\"rej\\u0000ect\"}]}", BERR_INVALID, "invalid JSON");
	char big[16];
	struct berr e = { 0 };
	assert_null(trust_policy_parse(big, TRUST_POLICY_MAX + 1, F, &e));
	assert_non_null(strstr(e.msg, "larger than"));
}

static void test_signed_by_refusals(void **state)
{
	(void)state;
#define SB(x) "{\"default\":[{\"type\":\"signedBy\"" x "}]}"
	refused(SB(",\"keyPath\":\"/k\""), BERR_INVALID, "default[0]: keyType is missing");
	refused(SB(",\"keyType\":\"GPGKeys\""), BERR_INVALID,
		"exactly one of keyPath, keyPaths and keyData must be specified, found 0");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\",\"keyData\":\"YWJj\""),
		BERR_INVALID, "found 2");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\",\"keyPaths\":[\"/a\"],"
		   "\"keyData\":\"YWJj\""), BERR_INVALID, "found 3");
	refused(SB(",\"keyType\":\"X509Certificates\",\"keyPath\":\"/k\""), BERR_UNSUPPORTED,
		"keyType \"X509Certificates\" is not supported");
	refused(SB(",\"keyType\":\"signedByGPGKeys\",\"keyPath\":\"/k\""), BERR_UNSUPPORTED,
		"not supported");
	refused(SB(",\"keyType\":\"gpg\",\"keyPath\":\"/k\""), BERR_INVALID,
		"unknown keyType \"gpg\"");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPath\":\"k.gpg\""), BERR_INVALID,
		"keyPath \"k.gpg\" must be an absolute path");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPath\":7"), BERR_INVALID,
		"keyPath: expected a string, found a number");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPath\":\"\""), BERR_INVALID,
		"keyPath must not be empty");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPaths\":\"/k\""), BERR_INVALID,
		"keyPaths: expected an array");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPaths\":[]"), BERR_INVALID,
		"keyPaths must not be empty");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPaths\":[\"/a\",3]"), BERR_INVALID,
		"keyPaths[1]: expected a non-empty string");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPaths\":[\"/a\",\"b\"]"), BERR_INVALID,
		"keyPaths \"b\" must be an absolute path");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyData\":\"YWJ\""), BERR_INVALID,
		"keyData is not valid base64");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyData\":\"Y!Jj\""), BERR_INVALID,
		"keyData is not valid base64");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyData\":\"YW=j\""), BERR_INVALID,
		"keyData is not valid base64");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyData\":\"Y===\""), BERR_INVALID,
		"keyData is not valid base64");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyData\":\"\""), BERR_INVALID,
		"keyData must not be empty");
	refused(SB(",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\",\"keyring\":\"/x\""),
		BERR_INVALID, "unknown key \"keyring\"");
#undef SB
}

static void test_sigstore_refusals(void **state)
{
	(void)state;
#define SS(x) "{\"default\":[{\"type\":\"sigstoreSigned\"" x "}]}"
	static const char *const unsupported[] = {
		SS(",\"fulcio\":{\"caPath\":\"/ca\",\"oidcIssuer\":\"https://x\","
		   "\"subjectEmail\":\"a@b\"},\"rekorPublicKeyPath\":\"/r\""),
		SS(",\"keyPath\":\"/k\",\"rekorPublicKeyPath\":\"/r\""),
		SS(",\"keyPath\":\"/k\",\"rekorPublicKeyPaths\":[\"/r\"]"),
		SS(",\"keyPath\":\"/k\",\"rekorPublicKeyData\":\"YWJj\""),
		SS(",\"pki\":{}"),
	};
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		refused(unsupported[i], BERR_UNSUPPORTED, "is not supported: berth verifies "
			"sigstore signatures with public keys");
	refused(SS(""), BERR_INVALID, "exactly one of keyPath, keyPaths and keyData");
	refused(SS(",\"keyPath\":\"/k\",\"keyType\":\"GPGKeys\""), BERR_INVALID,
		"unknown key \"keyType\"");
#undef SS
}

static void test_identity_refusals(void **state)
{
	(void)state;
#define SI(x) "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"," \
	"\"signedIdentity\":" x "}]}"
	refused(SI("\"matchExact\""), BERR_INVALID,
		"default[0].signedIdentity: expected an object, found a string");
	refused(SI("{}"), BERR_INVALID, "default[0].signedIdentity: type is missing");
	refused(SI("{\"type\":\"matchAnything\"}"), BERR_INVALID,
		"unknown signedIdentity type \"matchAnything\"");
	refused(SI("{\"type\":\"matchExact\",\"dockerReference\":\"a.io/x:1\"}"), BERR_INVALID,
		"unknown key \"dockerReference\"");
	refused(SI("{\"type\":\"exactReference\"}"), BERR_INVALID, "dockerReference is missing");
	refused(SI("{\"type\":\"exactReference\",\"dockerReference\":\"a.io/x\"}"), BERR_INVALID,
		"has neither a tag nor a digest");
	refused(SI("{\"type\":\"exactReference\",\"dockerReference\":\"A b\"}"), BERR_INVALID,
		"dockerReference \"A b\": invalid reference format");
	refused(SI("{\"type\":\"exactRepository\"}"), BERR_INVALID, "dockerRepository is missing");
	refused(SI("{\"type\":\"exactRepository\",\"dockerRepository\":\"a.io/x:1\"}"),
		BERR_INVALID, "must be a repository name alone");
	refused(SI("{\"type\":\"exactRepository\",\"dockerRepository\":\"a.io/UP\"}"),
		BERR_INVALID, "must be lowercase");
	refused(SI("{\"type\":\"remapIdentity\",\"signedPrefix\":\"a.io\"}"), BERR_INVALID,
		"prefix is missing");
	refused(SI("{\"type\":\"remapIdentity\",\"prefix\":\"a.io\"}"), BERR_INVALID,
		"signedPrefix is missing");
	refused(SI("{\"type\":\"remapIdentity\",\"prefix\":\"a.io/x:1\",\"signedPrefix\":\"b.io\"}"),
		BERR_INVALID, "prefix \"a.io/x:1\" is not valid");
	refused(SI("{\"type\":\"remapIdentity\",\"prefix\":\"a.io\",\"signedPrefix\":\"b..io\"}"),
		BERR_INVALID, "signedPrefix \"b..io\" is not valid");
#undef SI
}

static void test_scope_refusals(void **state)
{
	(void)state;
#define SC(x) "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"" x \
	"\":[{\"type\":\"reject\"}]}}}"
	refused(SC("*.a.io:5000"), BERR_INVALID, "invalid wildcard scope");
	refused(SC("*.a/b"), BERR_INVALID, "invalid wildcard scope");
	refused(SC("*."), BERR_INVALID, "invalid wildcard scope");
	refused(SC("a_b"), BERR_INVALID, "invalid scope \"a_b\"");
	refused(SC("a.io/X"), BERR_INVALID, "invalid scope \"a.io/X\"");
	refused(SC("library/busybox"), BERR_INVALID, "it names no registry");
	refused(SC("index.docker.io/library/busybox"), BERR_INVALID,
		"can never match: write docker.io instead of index.docker.io");
	refused(SC("a.io/x:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
		BERR_INVALID, "a tag and a digest together");
#undef SC
	struct berr e = { 0 };
	assert_int_equal(trust_docker_scope_check("quay.io/ns", &e), 0);
	assert_int_equal(trust_docker_scope_check("", &e), 0);
	assert_int_equal(trust_docker_scope_check("a_b", &e), -1);
	assert_string_equal(e.msg, "invalid scope \"a_b\": expected "
			    "host[:port][/namespace[/repository]][:tag|@digest]");
	/* Other transports' scopes are paths, kept as written. */
	struct trust_policy *p = parse("{\"default\":[{\"type\":\"reject\"}],\"transports\":{"
				       "\"oci\":{\"/srv/images\":[{\"type\":\"reject\"}]},"
				       "\"atomic\":{\"x\":[{\"type\":\"reject\"}]}}}");
	assert_int_equal(trust_policy_scope_count(p), 2);
	assert_string_equal(trust_policy_scope_at(p, 0).transport, "atomic");
	trust_policy_free(p);
}

/* ---------------------------------------------------------------- scopes */

static void test_most_specific_wins(void **state)
{
	(void)state;
	struct trust_policy *p = parse(
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
		"\"\":[{\"type\":\"insecureAcceptAnything\"}],"
		"\"*.com\":[{\"type\":\"reject\"}],"
		"\"*.example.com\":[{\"type\":\"reject\"}],"
		"\"reg.example.com\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000/ns\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000/ns/sub\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000/ns/sub/repo\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000/ns/sub/repo:v1\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000/ns/sub/repo@sha256:0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef\":[{\"type\":\"reject\"}],"
		"\"docker.io/library\":[{\"type\":\"reject\"}],"
		"\"localhost:5000\":[{\"type\":\"reject\"}]"
		"}}}");
	const char *D = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char buf[256];
	assert_string_equal(scope_for(p, "reg.example.com:5000/ns/sub/repo:v1", NULL),
			    "reg.example.com:5000/ns/sub/repo:v1");
	snprintf(buf, sizeof(buf), "reg.example.com:5000/ns/sub/repo%s", D);
	assert_string_equal(scope_for(p, buf, NULL), buf);
	/* A tag and a digest: the digest decides. */
	snprintf(buf, sizeof(buf), "reg.example.com:5000/ns/sub/repo:v1%s", D);
	assert_string_equal(scope_for(p, buf, NULL) + strlen("reg.example.com:5000/ns/sub/repo"),
			    D);
	assert_string_equal(scope_for(p, "reg.example.com:5000/ns/sub/repo:v2", NULL),
			    "reg.example.com:5000/ns/sub/repo");
	assert_string_equal(scope_for(p, "reg.example.com:5000/ns/sub/other:v1", NULL),
			    "reg.example.com:5000/ns/sub");
	assert_string_equal(scope_for(p, "reg.example.com:5000/ns/x:1", NULL),
			    "reg.example.com:5000/ns");
	assert_string_equal(scope_for(p, "reg.example.com:5000/nsx/x:1", NULL),
			    "reg.example.com:5000");
	/* Another port is another registry: the host without a port does not match it, the
	 * wildcards (port stripped) do. */
	assert_string_equal(scope_for(p, "reg.example.com:6000/ns/x:1", NULL), "*.example.com");
	assert_string_equal(scope_for(p, "reg.example.com/ns/x:1", NULL), "reg.example.com");
	assert_string_equal(scope_for(p, "a.b.example.com/x:1", NULL), "*.example.com");
	/* A wildcard matches subdomains, never the domain itself. */
	assert_string_equal(scope_for(p, "example.com/x:1", NULL), "*.com");
	assert_string_equal(scope_for(p, "quay.io/x:1", NULL), "");
	/* Short names are looked up expanded. */
	assert_string_equal(scope_for(p, "busybox", NULL), "docker.io/library");
	assert_string_equal(scope_for(p, "index.docker.io/library/busybox:1", NULL),
			    "docker.io/library");
	assert_string_equal(scope_for(p, "docker.io/other/x:1", NULL), "");
	assert_string_equal(scope_for(p, "localhost:5000/x:1", NULL), "localhost:5000");
	assert_string_equal(scope_for(p, "[::1]:5000/x:1", NULL), "");
	trust_policy_free(p);
}

static void test_transport_default_and_policy_default(void **state)
{
	(void)state;
	struct trust_policy *p = parse(
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{"
		"\"docker\":{\"a.io\":[{\"type\":\"insecureAcceptAnything\"}]},"
		"\"docker-archive\":{\"\":[{\"type\":\"insecureAcceptAnything\"}]}}}");
	struct image_ref r = R("b.io/x:1");
	const struct trust_req *rq;
	size_t n;
	const char *scope = "unset";
	struct berr e = { 0 };
	assert_int_equal(trust_policy_requirements(p, "docker", &r, &rq, &n, &scope, &e), 0);
	assert_null(scope);
	assert_int_equal(rq[0].type, TRUST_REJECT);
	assert_int_equal(trust_policy_requirements(p, "docker-archive", &r, &rq, &n, &scope, &e),
			 0);
	assert_string_equal(scope, "");
	assert_int_equal(rq[0].type, TRUST_ACCEPT);
	assert_int_equal(trust_policy_requirements(p, "oci-archive", &r, &rq, &n, NULL, &e), 0);
	assert_int_equal(rq[0].type, TRUST_REJECT);
	/* Transports berth never consults are a bug in the caller. */
	assert_int_equal(trust_policy_requirements(p, "dir", &r, &rq, &n, NULL, &e), -1);
	assert_int_equal(e.code, BERR_INTERNAL);
	struct image_ref shortname = { .path = "x" };
	assert_int_equal(trust_policy_requirements(p, "docker", &shortname, &rq, &n, NULL, &e),
			 -1);
	trust_policy_free(p);
}

static void test_docker_scopes_list(void **state)
{
	(void)state;
	char (*c)[REF_STR_MAX] = malloc(TRUST_SCOPES_MAX * REF_STR_MAX);
	struct image_ref r = R("a.b.example.com:5000/ns/repo:tag");
	struct berr e = { 0 };
	int n = trust_docker_scopes(&r, c, TRUST_SCOPES_MAX, &e);
	static const char *const want[] = {
		"a.b.example.com:5000/ns/repo:tag", "a.b.example.com:5000/ns/repo",
		"a.b.example.com:5000/ns", "a.b.example.com:5000", "*.b.example.com",
		"*.example.com", "*.com",
	};
	assert_int_equal(n, 7);
	for (int i = 0; i < n; i++)
		assert_string_equal(c[i], want[i]);
	r = R("a.io/x");
	assert_int_equal(trust_docker_scopes(&r, c, TRUST_SCOPES_MAX, &e), 3);
	assert_string_equal(c[0], "a.io/x");
	assert_int_equal(trust_docker_scopes(&r, c, 2, &e), -1);
	free(c);
}

static bool yes(const char *p)
{
	(void)p;
	return true;
}

static bool no(const char *p)
{
	(void)p;
	return false;
}

static void test_policy_path(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(trust_policy_path("/x/p.json", "/home/u", yes, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/p.json");
	assert_int_equal(trust_policy_path(NULL, "/home/u", yes, out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/.config/containers/policy.json");
	assert_int_equal(trust_policy_path("", "/home/u", no, out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/containers/policy.json");
	assert_int_equal(trust_policy_path(NULL, NULL, yes, out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/containers/policy.json");
	assert_int_equal(trust_policy_path(NULL, NULL, yes, out, 8), -1);
	assert_int_equal(trust_policy_path("/very/long/path", NULL, yes, out, 8), -1);
	assert_int_equal(trust_policy_path(NULL, "/very/long/home", yes, out, 8), -1);
}

/* ---------------------------------------------------------------- signedIdentity */

static int match(enum trust_identity_type t, const char *ref, const char *prefix,
		 const char *signed_prefix, const char *pulled, const char *sig)
{
	struct trust_identity id = { t, (char *)ref, (char *)prefix, (char *)signed_prefix };
	struct image_ref p = R(pulled);
	struct berr e = { 0 };
	int r = trust_identity_match(&id, &p, sig, &e);
	if (r == 0) {
		assert_int_equal(e.code, BERR_DENIED);
		assert_non_null(strstr(e.msg, t == TRUST_ID_REMAP_IDENTITY ? "remapIdentity" :
				       trust_identity_type_name(t)));
	}
	return r;
}

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG2 "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_match_repo_digest_or_exact(void **state)
{
	(void)state;
	enum trust_identity_type t = TRUST_ID_MATCH_REPO_DIGEST_OR_EXACT;
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x:1", "a.io/x:1"), 1);
	assert_int_equal(match(t, NULL, NULL, NULL, "busybox:1", "docker.io/library/busybox:1"),
			 1);
	assert_int_equal(match(t, NULL, NULL, NULL, "docker.io/library/busybox:1", "busybox:1"),
			 1);
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x:1", "a.io/x:2"), 0);
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x:1", "a.io/y:1"), 0);
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x:1", "a.io/x"), 0);
	/* By digest: any signature for the repository (the digest is checked elsewhere). */
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x@" DG, "a.io/x:7"), 1);
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x:1@" DG, "a.io/x:7"), 1);
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x@" DG, "a.io/y:7"), 0);
	assert_int_equal(match(t, NULL, NULL, NULL, "a.io/x", "a.io/x:1"), 0);
	struct trust_identity id = { t, NULL, NULL, NULL };
	struct image_ref p = R("a.io/x:1");
	struct berr e = { 0 };
	assert_int_equal(trust_identity_match(&id, &p, "Not A Ref", &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_non_null(strstr(e.msg, "docker-reference \"Not A Ref\" is not valid"));
	assert_int_equal(trust_identity_match(&id, &p, "a.io/y:1", &e), 0);
	assert_string_equal(e.msg, "signature identity names \"a.io/y:1\", which does not match "
			    "\"a.io/x:1\" under signedIdentity matchRepoDigestOrExact");
}

static void test_match_exact_and_repository(void **state)
{
	(void)state;
	assert_int_equal(match(TRUST_ID_MATCH_EXACT, NULL, NULL, NULL, "a.io/x:1", "a.io/x:1"), 1);
	assert_int_equal(match(TRUST_ID_MATCH_EXACT, NULL, NULL, NULL, "a.io/x@" DG,
			       "a.io/x@" DG), 1);
	assert_int_equal(match(TRUST_ID_MATCH_EXACT, NULL, NULL, NULL, "a.io/x@" DG,
			       "a.io/x@" DG2), 0);
	assert_int_equal(match(TRUST_ID_MATCH_EXACT, NULL, NULL, NULL, "a.io/x@" DG, "a.io/x:1"),
			 0);
	assert_int_equal(match(TRUST_ID_MATCH_EXACT, NULL, NULL, NULL, "a.io/x", "a.io/x"), 0);
	assert_int_equal(match(TRUST_ID_MATCH_REPOSITORY, NULL, NULL, NULL, "a.io/x:1",
			       "a.io/x:2"), 1);
	assert_int_equal(match(TRUST_ID_MATCH_REPOSITORY, NULL, NULL, NULL, "a.io/x:1", "a.io/x"),
			 1);
	assert_int_equal(match(TRUST_ID_MATCH_REPOSITORY, NULL, NULL, NULL, "a.io/x:1",
			       "b.io/x:1"), 0);
}

static void test_exact_reference_and_repository(void **state)
{
	(void)state;
	/* The pulled reference does not matter: the signature must name the fixed one. */
	assert_int_equal(match(TRUST_ID_EXACT_REFERENCE, "docker.io/library/busybox:1", NULL, NULL,
			       "a.io/x:9", "busybox:1"), 1);
	assert_int_equal(match(TRUST_ID_EXACT_REFERENCE, "docker.io/library/busybox:1", NULL, NULL,
			       "a.io/x:9", "busybox:2"), 0);
	assert_int_equal(match(TRUST_ID_EXACT_REFERENCE, "docker.io/library/busybox:1", NULL, NULL,
			       "a.io/x:9", "busybox"), 0);
	assert_int_equal(match(TRUST_ID_EXACT_REPOSITORY, "b.io/r", NULL, NULL, "a.io/x:9",
			       "b.io/r:anything"), 1);
	assert_int_equal(match(TRUST_ID_EXACT_REPOSITORY, "b.io/r", NULL, NULL, "a.io/x:9",
			       "a.io/x:9"), 0);
}

static void test_remap_identity(void **state)
{
	(void)state;
	enum trust_identity_type t = TRUST_ID_REMAP_IDENTITY;
	/* A mirror: pulled from mirror.io/ns, signed as b.io:5000/upstream. */
	assert_int_equal(match(t, NULL, "mirror.io/ns", "b.io:5000/upstream", "mirror.io/ns/x:1",
			       "b.io:5000/upstream/x:1"), 1);
	assert_int_equal(match(t, NULL, "mirror.io/ns", "b.io:5000/upstream", "mirror.io/ns/x:1",
			       "mirror.io/ns/x:1"), 0);
	assert_int_equal(match(t, NULL, "mirror.io/ns", "b.io:5000/upstream",
			       "mirror.io/ns/x@" DG, "b.io:5000/upstream/x:2"), 1);
	/* Not under the prefix: matchRepoDigestOrExact on the reference itself. */
	assert_int_equal(match(t, NULL, "mirror.io/ns", "b.io/up", "mirror.io/nsx/x:1",
			       "mirror.io/nsx/x:1"), 1);
	assert_int_equal(match(t, NULL, "mirror.io/ns", "b.io/up", "mirror.io/nsx/x:1",
			       "b.io/upx/x:1"), 0);
	/* Another registry altogether: matched on its own reference. */
	assert_int_equal(match(t, NULL, "mirror.io", "b.io", "other.io/x:1", "other.io/x:1"), 1);
	assert_int_equal(match(t, NULL, "mirror.io", "b.io", "other.io/x:1", "b.io/x:1"), 0);
	/* A host prefix matches at "/" but not at ":" (another port is another registry). */
	assert_int_equal(match(t, NULL, "mirror.io", "b.io", "mirror.io/x:1", "b.io/x:1"), 1);
	assert_int_equal(match(t, NULL, "mirror.io", "b.io", "mirror.io:5000/x:1", "b.io/x:1"), 0);
	/* A repository prefix matches at ":" and "@". */
	assert_int_equal(match(t, NULL, "mirror.io/x", "b.io/y", "mirror.io/x:1", "b.io/y:1"), 1);
	assert_int_equal(match(t, NULL, "mirror.io/x", "b.io/y", "mirror.io/x@" DG, "b.io/y:3"),
			 1);
	/* The whole reference as prefix. */
	assert_int_equal(match(t, NULL, "mirror.io/x", "b.io/y", "mirror.io/xy:1", "b.io/yy:1"), 0);
	/* Remapping into something that is not a canonical reference never matches. */
	assert_int_equal(match(t, NULL, "mirror.io/ns", "docker.io", "mirror.io/ns/x:1",
			       "docker.io/x:1"), 0);
}

/* Provenance: requirements joined by ", "; one that does not fit is left out with a mark. */
static void test_provenance(void **state)
{
	char buf[48] = "";
	(void)state;
	assert_int_equal(trust_provenance_add(buf, sizeof(buf), "signedBy", "AAAA"), 0);
	assert_string_equal(buf, "signedBy:AAAA");
	assert_int_equal(trust_provenance_add(buf, sizeof(buf), "sigstoreSigned", "BBBB"), 0);
	assert_string_equal(buf, "signedBy:AAAA, sigstoreSigned:BBBB");
	assert_int_equal(trust_provenance_add(buf, sizeof(buf), "signedBy", "CCCCCCCC"), -1);
	assert_string_equal(buf, "signedBy:AAAA, sigstoreSigned:BBBB, ...");
	/* Once cut, nothing more is added, even what would fit. */
	assert_int_equal(trust_provenance_add(buf, sizeof(buf), "x", "y"), -1);
	assert_string_equal(buf, "signedBy:AAAA, sigstoreSigned:BBBB, ...");
	char tiny[8] = "";
	assert_int_equal(trust_provenance_add(tiny, sizeof(tiny), "signedBy", "AAAA"), -1);
	assert_string_equal(tiny, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_default),
		cmocka_unit_test(test_fedora_policy),
		cmocka_unit_test(test_key_data_and_sigstore),
		cmocka_unit_test(test_signed_identities),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_signed_by_refusals),
		cmocka_unit_test(test_sigstore_refusals),
		cmocka_unit_test(test_identity_refusals),
		cmocka_unit_test(test_scope_refusals),
		cmocka_unit_test(test_most_specific_wins),
		cmocka_unit_test(test_transport_default_and_policy_default),
		cmocka_unit_test(test_docker_scopes_list),
		cmocka_unit_test(test_policy_path),
		cmocka_unit_test(test_match_repo_digest_or_exact),
		cmocka_unit_test(test_match_exact_and_repository),
		cmocka_unit_test(test_exact_reference_and_repository),
		cmocka_unit_test(test_remap_identity),
		cmocka_unit_test(test_provenance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
