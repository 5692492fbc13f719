/* Unit tests for policy/registries_d.c: registries.d YAML (old and new key names, staging,
 * use-sigstore-attachments), merging files and its conflicts, most-specific lookups, Podman's
 * `trust show` lookup, signature URLs and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/registries_d.h"
#include "workers/verify/regd_yaml.h"

static struct regd *R;

static int setup(void **state)
{
	struct berr e = { 0 };
	(void)state;
	R = regd_new(&e);
	return R == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	regd_free(R);
	return 0;
}

static void add(const char *path, const char *s)
{
	struct berr e = { 0 };
	if (regd_add_buf(R, s, strlen(s), path, &e) < 0)
		fail_msg("refused %s: %s", path, e.msg);
}

static void refused(const char *path, const char *s, const char *want)
{
	struct berr e = { 0 };
	if (regd_add_buf(R, s, strlen(s), path, &e) == 0)
		fail_msg("accepted: %s", s);
	assert_int_equal(e.code, BERR_INVALID);
	if (strstr(e.msg, want) == NULL)
		fail_msg("wanted [%s], got [%s]", want, e.msg);
}

static struct image_ref ref(const char *s)
{
	struct image_ref r;
	struct berr e = { 0 };
	assert_int_equal(ref_parse(s, &r, &e), 0);
	assert_int_equal(ref_normalize_docker_io(&r, &e), 0);
	return r;
}

static const char *look(const char *s, bool write)
{
	struct image_ref r = ref(s);
	const char *u = regd_lookaside(R, &r, write);
	return u == NULL ? "(none)" : u;
}

static bool attach(const char *s)
{
	struct image_ref r = ref(s);
	return regd_use_sigstore_attachments(R, &r);
}

static void test_empty(void **state)
{
	(void)state;
	add("/d/empty.yaml", "");
	add("/d/comment.yaml", "# nothing here\n");
	add("/d/null.yaml", "default-docker:\ndocker:\n");
	assert_null(regd_default(R));
	assert_string_equal(look("quay.io/x:1", false), "(none)");
	assert_false(attach("quay.io/x:1"));
	assert_null(regd_scope_lookaside(R, ""));
	assert_null(regd_scope_lookaside(R, "quay.io"));
}

static void test_default_and_scopes(void **state)
{
	(void)state;
	add("/d/default.yaml",
	    "default-docker:\n"
	    "  lookaside: file:///var/lib/containers/sigstore\n"
	    "  lookaside-staging: file:///srv/staging\n");
	add("/d/reg.yaml",
	    "docker:\n"
	    "  registry.example.com:\n"
	    "    lookaside: https://sigs.example.com/reg\n"
	    "    use-sigstore-attachments: true\n"
	    "  registry.example.com/ns:\n"
	    "    sigstore: https://old.example.com/ns\n"
	    "    sigstore-staging: file:///stage/ns\n"
	    "  registry.example.com/ns/repo:\n"
	    "    use-sigstore-attachments: false\n"
	    "  registry.example.com/both:\n"
	    "    lookaside: https://new.example.com\n"
	    "    sigstore: https://old.example.com\n"
	    "  '*.example.org':\n"
	    "    lookaside: http://wild.example.org/\n");
	assert_non_null(regd_default(R));
	assert_int_equal(regd_default(R)->use_sigstore_attachments, -1);
	assert_string_equal(look("quay.io/x:1", false), "file:///var/lib/containers/sigstore");
	assert_string_equal(look("quay.io/x:1", true), "file:///srv/staging");
	assert_string_equal(look("registry.example.com/x:1", false), "https://sigs.example.com/reg");
	/* No staging for the scope: writes go to its reading location. */
	assert_string_equal(look("registry.example.com/x:1", true), "https://sigs.example.com/reg");
	assert_string_equal(look("registry.example.com/ns/x:1", false), "https://old.example.com/ns");
	assert_string_equal(look("registry.example.com/ns/x:1", true), "file:///stage/ns");
	/* An entry without a location lets the search go on to the parent. */
	assert_string_equal(look("registry.example.com/ns/repo:1", false),
			    "https://old.example.com/ns");
	assert_string_equal(look("registry.example.com/both:1", false), "https://new.example.com");
	assert_string_equal(look("a.b.example.org/x:1", false), "http://wild.example.org/");
	assert_string_equal(look("example.org/x:1", false), "file:///var/lib/containers/sigstore");
	assert_true(attach("registry.example.com/x:1"));
	assert_true(attach("registry.example.com/ns/x:1"));
	assert_false(attach("registry.example.com/ns/repo:1"));
	assert_false(attach("quay.io/x:1"));
	/* Podman's `trust show` lookup: the scope, cut at each "/", then default-docker. */
	assert_string_equal(regd_scope_lookaside(R, "registry.example.com/ns/other/sub"),
			    "https://old.example.com/ns");
	/* The first entry found decides, even without a location (as Podman shows it). */
	assert_null(regd_scope_lookaside(R, "registry.example.com/ns/repo/sub"));
	assert_string_equal(regd_scope_lookaside(R, "quay.io/a"),
			    "file:///var/lib/containers/sigstore");
	assert_string_equal(regd_scope_lookaside(R, ""), "file:///var/lib/containers/sigstore");
	assert_non_null(regd_scope(R, "registry.example.com"));
	assert_null(regd_scope(R, "registry.example"));
}

static void test_conflicts(void **state)
{
	(void)state;
	add("/d/a.yaml", "default-docker:\n  lookaside: file:///a\n"
			 "docker:\n  quay.io:\n    lookaside: file:///q\n");
	refused("/d/b.yaml", "default-docker:\n  lookaside: file:///b\n",
		"\"default-docker\" is defined both in /d/a.yaml and in /d/b.yaml");
	refused("/d/c.yaml", "docker:\n  quay.io:\n    lookaside: file:///c\n",
		"docker scope \"quay.io\" is defined both in /d/a.yaml and in /d/c.yaml");
	/* A refused file changed nothing. */
	assert_string_equal(look("quay.io/x:1", false), "file:///q");
	assert_string_equal(look("a.io/x:1", false), "file:///a");
	add("/d/d.yaml", "docker:\n  quay.io/ns:\n    lookaside: file:///d\n");
	assert_string_equal(look("quay.io/ns/x:1", false), "file:///d");
}

static void test_refusals(void **state)
{
	(void)state;
	refused("/d/x.yaml", "docker: [", "/d/x.yaml:2: invalid YAML");
	refused("/d/x.yaml", "- a\n- b\n", "/d/x.yaml:1: expected a mapping, found a sequence");
	refused("/d/x.yaml", "dockers:\n", "unknown key \"dockers\"");
	refused("/d/x.yaml", "docker: 5\n", "docker: expected a mapping of scopes");
	refused("/d/x.yaml", "docker:\n  q.io: [1]\n", "docker: q.io: expected a mapping");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookside: file:///x\n",
		"/d/x.yaml:3: docker: q.io: unknown key \"lookside\"");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: /var/sigs\n",
		"lookaside \"/var/sigs\" is not an absolute file://, http:// or https:// URL");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: file://relative\n",
		"is not an absolute");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: https:///x\n", "is not an absolute");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: ftp://x/y\n", "is not an absolute");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: [a]\n",
		"lookaside: expected a URL, found a sequence");
	refused("/d/x.yaml", "docker:\n  q.io:\n    use-sigstore-attachments: maybe\n",
		"use-sigstore-attachments must be true or false");
	refused("/d/x.yaml", "docker:\n  q.io:\n    use-sigstore-attachments: \"true\"\n",
		"use-sigstore-attachments must be true or false");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: file:///a\n  q.io:\n    "
		"lookaside: file:///b\n", "/d/x.yaml:4: duplicate key \"q.io\"");
	refused("/d/x.yaml", "docker:\n  q.io: {}\n---\ndocker: {}\n", "more than one YAML document");
	refused("/d/x.yaml", "docker:\n  '':\n    lookaside: file:///a\n", "must not be empty");
	refused("/d/x.yaml", "docker:\n  [a]: {}\n", "mapping keys must be strings");
	refused("/d/x.yaml", "default-docker: x\n", "default-docker: expected a mapping");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: file:///a\n    lookaside: file:///b\n",
		"/d/x.yaml:4: duplicate key \"lookaside\"");
	refused("/d/x.yaml", "docker:\n  q.io:\n    lookaside: file:///a b\n", "is not an absolute");
	refused("/d/x.yaml", "docker: {}\n---\n[\n", "/d/x.yaml:4: invalid YAML");
	char nul[] = "docker:\n  q.io:\n    lookaside: file:///a\0b\n";
	struct berr e = { 0 };
	assert_int_equal(regd_add_buf(R, nul, sizeof(nul) - 1, "/d/nul.yaml", &e), -1);
	assert_int_equal(regd_add_buf(R, nul, REGD_FILE_MAX + 1, "/d/big.yaml", &e), -1);
	assert_non_null(strstr(e.msg, "larger than"));
	/* Nothing above was merged. */
	assert_null(regd_scope(R, "q.io"));
	/* Booleans in YAML 1.1's spellings; null values. */
	add("/d/ok.yaml", "docker:\n  a.io:\n    use-sigstore-attachments: yes\n"
			  "  b.io:\n    use-sigstore-attachments: Off\n    lookaside: ~\n"
			  "  c.io:\n");
	assert_true(attach("a.io/x:1"));
	assert_false(attach("b.io/x:1"));
	assert_null(regd_scope(R, "b.io")->lookaside);
	assert_non_null(regd_scope(R, "c.io"));
}

/* The scope limits, per file and after merging; a reference without a registry finds
 * nothing, not default-docker. */
static void test_limits(void **state)
{
	(void)state;
	size_t cap = 80 * (REGD_SCOPES_MAX + 2);
	char *big = malloc(cap);
	size_t n = (size_t)snprintf(big, cap, "docker:\n");
	for (int i = 0; i <= REGD_SCOPES_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, "  r%d.io: {}\n", i);
	refused("/d/big.yaml", big, "docker: more than 4096 scopes");
	n = (size_t)snprintf(big, cap, "default-docker:\n  lookaside: file:///d\ndocker:\n");
	for (int i = 0; i < REGD_SCOPES_MAX / 2 + 1; i++)
		n += (size_t)snprintf(big + n, cap - n, "  a%d.io: {}\n", i);
	add("/d/a.yaml", big);
	n = (size_t)snprintf(big, cap, "docker:\n");
	for (int i = 0; i < REGD_SCOPES_MAX / 2 + 1; i++)
		n += (size_t)snprintf(big + n, cap - n, "  b%d.io: {}\n", i);
	refused("/d/b.yaml", big, "more than 4096 docker scopes in registries.d");
	free(big);
	struct image_ref noreg = { .path = "x" };
	assert_null(regd_lookaside(R, &noreg, false));
	assert_string_equal(look("a1.io/x:1", false), "file:///d");
}

static void test_signature_url(void **state)
{
	(void)state;
	char out[512];
	struct berr e = { 0 };
	struct image_ref r = ref("busybox:latest");
	const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	assert_int_equal(regd_signature_url("file:///var/lib/containers/sigstore/", &r, d, 1, out,
					    sizeof(out), &e), 0);
	assert_string_equal(out, "file:///var/lib/containers/sigstore/library/busybox@sha256="
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/"
			    "signature-1");
	r = ref("quay.io:5000/a/b");
	assert_int_equal(regd_signature_url("https://s.io/x", &r, d, 12, out, sizeof(out), &e), 0);
	assert_string_equal(out, "https://s.io/x/a/b@sha256=0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef/signature-12");
	assert_int_equal(regd_signature_url("https://s.io/x", &r, "sha256:00", 1, out, sizeof(out),
					    &e), -1);
	assert_int_equal(regd_signature_url("https://s.io/x", &r, d, 0, out, sizeof(out), &e), -1);
	assert_int_equal(regd_signature_url("https://s.io/x", &r, d, 1, out, 20, &e), -1);
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

/* What the broker checks again on berth-verify's answer: a parsed file that passes, and each
 * way a lying worker could bend one. */
static void test_file_check(void **state)
{
	struct regd_scope sc = { .name = (char *)"example.com/ns",
				 .ns = { .lookaside = (char *)"https://sigs.example.com/x",
					 .use_sigstore_attachments = 1 } };
	struct regd_file f = { .has_default = true,
			       .def = { .lookaside = (char *)"file:///var/sigs",
					.use_sigstore_attachments = -1 },
			       .scopes = &sc, .n_scopes = 1 };
	struct berr e = { 0 };

	(void)state;
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), 0);
	sc.ns.lookaside = (char *)"ftp://sigs.example.com/x";
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), -1);
	assert_non_null(strstr(e.msg, "a.yaml: a location is not an absolute"));
	sc.ns.lookaside = (char *)"file://relative";
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), -1);
	sc.ns.lookaside = NULL;
	sc.ns.use_sigstore_attachments = 2;
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), -1);
	sc.ns.use_sigstore_attachments = 0;
	sc.name = (char *)"";
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), -1);
	assert_non_null(strstr(e.msg, "empty or too long"));
	sc.name = (char *)"example.com";
	f.def.sigstore_staging = (char *)"https://";
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), -1);
	f.def.sigstore_staging = NULL;
	assert_int_equal(regd_file_check(&f, "a.yaml", &e), 0);
}

static void test_dir(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(regd_dir("/home/u", yes, out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/.config/containers/registries.d");
	assert_int_equal(regd_dir("/home/u", no, out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/containers/registries.d");
	assert_int_equal(regd_dir(NULL, yes, out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/containers/registries.d");
	assert_int_equal(regd_dir("/home/u", yes, out, 10), -1);
	assert_int_equal(regd_dir(NULL, yes, out, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_and_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_url, setup, teardown),
		cmocka_unit_test(test_file_check),
		cmocka_unit_test(test_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
