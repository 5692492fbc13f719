/* Unit tests for common/registries_conf.c (interpretation, lookups, short names) and
 * broker/registries.c (which files, in which order). Expected behaviour and messages are those
 * of containers/image pkg/sysregistriesv2 and pkg/shortnames (Podman). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker/registries.h"
#include "common/registries_conf.h"
#include "common/reference.h"

#define A64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MAIN "/etc/containers/registries.conf"

/* ------------------------------------------------------------------ helpers */

/* docs[0] is the main file, the others drop-ins named /etc/containers/registries.conf.d/N.conf */
static struct registries *load_n(const char *const *docs, size_t n, struct berr *e)
{
	struct registries *r = registries_new(e);

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		char path[128];

		if (i == 0)
			snprintf(path, sizeof(path), MAIN);
		else
			snprintf(path, sizeof(path), "/etc/containers/registries.conf.d/%zu.conf", i);
		if (registries_add_buf(r, docs[i], strlen(docs[i]), path, i == 0, e) < 0) {
			registries_free(r);
			return NULL;
		}
	}
	return r;
}

static struct registries *load1(const char *doc)
{
	struct berr e = { 0 };
	struct registries *r = load_n(&doc, 1, &e);

	if (r == NULL)
		fail_msg("refused: %s", e.msg);
	return r;
}

static void refused(const char *doc, const char *msg)
{
	struct berr e = { 0 };
	struct registries *r = load_n(&doc, 1, &e);

	if (r != NULL) {
		registries_free(r);
		fail_msg("accepted, wanted: %s\n%s", msg, doc);
	}
	if (strcmp(e.msg, msg) != 0)
		fail_msg("got:  %s\nwant: %s", e.msg, msg);
}

static struct image_ref ref(const char *s)
{
	struct image_ref r;
	struct berr e = { 0 };

	if (ref_parse(s, &r, &e) < 0)
		fail_msg("%s: %s", s, e.msg);
	return r;
}

static const char *fmt(const struct image_ref *r)
{
	static char buf[4][REF_STR_MAX];
	static int i;

	i = (i + 1) % 4;
	assert_true(ref_format(r, buf[i], sizeof(buf[i])) > 0);
	return buf[i];
}

/* Runs registries_find on s; returns its result and fills m. */
static int find(const struct registries *r, const char *s, struct registry_match *m)
{
	struct image_ref in = ref(s);
	struct berr e = { 0 };
	int rc = registries_find(r, &in, m, &e);

	if (rc < 0)
		fail_msg("%s: %s", s, e.msg);
	return rc;
}

/* ------------------------------------------------------------------ finding */

static const char example[] =
	"unqualified-search-registries = [\"example.com\"]\n"
	"\n"
	"[[registry]]\n"
	"prefix = \"example.com/foo\"\n"
	"insecure = false\n"
	"blocked = false\n"
	"location = \"internal-registry-for-example.com/bar\"\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = \"example-mirror-0.local/mirror-for-foo\"\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = \"example-mirror-1.local/mirrors/foo\"\n"
	"insecure = true\n"
	"\n"
	"[[registry]]\n"
	"location = \"registry.com\"\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = \"mirror.registry.com\"\n";

/* The example of containers-registries.conf(5), with the outcome the man page gives. */
static void test_find_manpage_example(void **state)
{
	struct registries *r = load1(example);
	struct registry_match m;

	(void)state;
	assert_int_equal(registries_count(r), 2);
	assert_int_equal(find(r, "example.com/foo/image:latest", &m), 1);
	assert_string_equal(m.prefix, "example.com/foo");
	assert_false(m.blocked);
	assert_int_equal(m.n_mirrors, 2);
	assert_string_equal(fmt(&m.mirrors[0].ref), "example-mirror-0.local/mirror-for-foo/image:latest");
	assert_false(m.mirrors[0].insecure);
	assert_string_equal(fmt(&m.mirrors[1].ref), "example-mirror-1.local/mirrors/foo/image:latest");
	assert_true(m.mirrors[1].insecure);
	assert_string_equal(fmt(&m.primary.ref), "internal-registry-for-example.com/bar/image:latest");
	assert_false(m.primary.insecure);

	/* A mirror belongs to its own [[registry]] only. */
	assert_int_equal(find(r, "registry.com/image:latest", &m), 1);
	assert_string_equal(m.prefix, "registry.com");
	assert_int_equal(m.n_mirrors, 1);
	assert_string_equal(fmt(&m.mirrors[0].ref), "mirror.registry.com/image:latest");
	assert_string_equal(fmt(&m.primary.ref), "registry.com/image:latest");

	/* No match: the reference itself, TLS required. */
	assert_int_equal(find(r, "quay.io/x/y@sha256:" A64, &m), 0);
	assert_string_equal(m.prefix, "");
	assert_int_equal(m.n_mirrors, 0);
	assert_false(m.primary.insecure);
	assert_false(m.blocked);
	assert_string_equal(fmt(&m.primary.ref), "quay.io/x/y@sha256:" A64);
	registries_free(r);
}

static void test_find_prefix_rules(void **state)
{
	struct registries *r = load1(
		"[[registry]]\nprefix = \"example.com\"\nlocation = \"a.io\"\n"
		"[[registry]]\nprefix = \"example.com/foo\"\nlocation = \"b.io/x\"\n"
		"[[registry]]\nprefix = \"example.com/foo/bar\"\nlocation = \"c.io/y\"\n"
		"[[registry]]\nprefix = \"example.com/foo/bar:tag\"\nlocation = \"d.io/z\"\n"
		"[[registry]]\nlocation = \"docker.io/library/alpine\"\n"
		"[[registry.mirror]]\nlocation = \"hub-mirror.local/alpine\"\n"
		"[[registry]]\nprefix = \"docker.io/alpine\"\nlocation = \"never.local/x\"\n");
	struct registry_match m;

	(void)state;
	/* Longest prefix wins; matching is at "/" ":" "@" boundaries only. */
	assert_int_equal(find(r, "example.com/foo/bar/baz:1", &m), 1);
	assert_string_equal(m.prefix, "example.com/foo/bar");
	assert_string_equal(fmt(&m.primary.ref), "c.io/y/baz:1");
	assert_int_equal(find(r, "example.com/foo/bar:tag", &m), 1);
	/* Registry lookups use the name, so a prefix with a tag never matches (as in Podman). */
	assert_string_equal(m.prefix, "example.com/foo/bar");
	assert_string_equal(fmt(&m.primary.ref), "c.io/y:tag");
	assert_int_equal(find(r, "example.com/foobar/x", &m), 1);
	assert_string_equal(m.prefix, "example.com");
	assert_string_equal(fmt(&m.primary.ref), "a.io/foobar/x");
	assert_int_equal(find(r, "example.com/foo@sha256:" A64, &m), 1);
	assert_string_equal(m.prefix, "example.com/foo");
	assert_string_equal(fmt(&m.primary.ref), "b.io/x@sha256:" A64);
	/* containers/image quirk, kept: "example.com" also matches "example.com:5000". */
	assert_int_equal(find(r, "example.com:5000/x", &m), 1);
	assert_string_equal(m.prefix, "example.com");
	assert_string_equal(fmt(&m.primary.ref), "a.io:5000/x");
	assert_int_equal(find(r, "example.co/x", &m), 0);
	assert_int_equal(find(r, "sub.example.com/x", &m), 0);

	/* docker.io names are matched in their normalised form ("library/"). */
	assert_int_equal(find(r, "docker.io/alpine:3", &m), 1);
	assert_string_equal(m.prefix, "docker.io/library/alpine");
	assert_int_equal(m.n_mirrors, 1);
	assert_string_equal(fmt(&m.mirrors[0].ref), "hub-mirror.local/alpine:3");
	assert_string_equal(fmt(&m.primary.ref), "docker.io/library/alpine:3");
	{
		struct image_ref in = ref("alpine");
		struct berr e = { 0 };

		/* A short name normalised to docker.io by the caller works too. */
		assert_int_equal(ref_normalize_docker_io(&in, &e), 0);
		assert_int_equal(registries_find(r, &in, &m, &e), 1);
		assert_string_equal(m.prefix, "docker.io/library/alpine");
		/* A short name that was not is a caller bug. */
		in = ref("alpine");
		assert_int_equal(registries_find(r, &in, &m, &e), -1);
		assert_int_equal(e.code, BERR_INTERNAL);
	}
	assert_int_equal(find(r, "docker.io/alpine/helm", &m), 1);
	assert_string_equal(m.prefix, "docker.io/alpine");
	registries_free(r);
}

static void test_find_wildcard(void **state)
{
	struct registries *r = load1(
		"[[registry]]\nprefix = \"*.example.com\"\ninsecure = true\n"
		"[[registry.mirror]]\nlocation = \"mirror.local/wild\"\n"
		"[[registry]]\nprefix = \"*.corp.example.com\"\nlocation = \"corp-mirror.local\"\n"
		"blocked = true\n"
		"[[registry]]\nprefix = \"exact.example.com/ns\"\nlocation = \"exact.local/ns\"\n");
	struct registry_match m;

	(void)state;
	assert_int_equal(find(r, "blah.example.com/foo/myimage:latest", &m), 1);
	assert_string_equal(m.prefix, "*.example.com");
	/* Empty location: the reference is used as it is; other settings still apply. */
	assert_string_equal(fmt(&m.primary.ref), "blah.example.com/foo/myimage:latest");
	assert_true(m.primary.insecure);
	assert_int_equal(m.n_mirrors, 1);
	assert_string_equal(fmt(&m.mirrors[0].ref), "mirror.local/wild/foo/myimage:latest");
	/* Any number of subdomains. */
	assert_int_equal(find(r, "a.b.c.example.com/x", &m), 1);
	assert_string_equal(m.prefix, "*.example.com");
	assert_string_equal(fmt(&m.mirrors[0].ref), "mirror.local/wild/x");
	/* The port is not part of the wildcard match, so it lands in the mirror's path, which
	 * makes no valid name: Podman fails the same way. */
	{
		struct image_ref in = ref("a.example.com:5000/x");
		struct berr e = { 0 };

		assert_int_equal(registries_find(r, &in, &m, &e), -1);
		assert_string_equal(e.msg, "rewriting reference: invalid reference format");
		assert_string_equal(m.prefix, "");
		assert_int_equal(m.n_mirrors, 0);
	}
	/* Not the domain itself, not elsewhere in the name. */
	assert_int_equal(find(r, "example.com/x", &m), 0);
	assert_int_equal(find(r, "other.com/x.example.com", &m), 0);
	assert_int_equal(find(r, "other.com/x.example.com/y", &m), 0);
	assert_int_equal(find(r, "a.example.community/x", &m), 0);
	/* The longer wildcard wins for deeper subdomains, with a rewrite. */
	assert_int_equal(find(r, "build.corp.example.com/team/app:1", &m), 1);
	assert_string_equal(m.prefix, "*.corp.example.com");
	assert_true(m.blocked);
	assert_false(m.primary.insecure);
	assert_string_equal(fmt(&m.primary.ref), "corp-mirror.local/team/app:1");
	/* An exact prefix longer than the wildcard wins. */
	assert_int_equal(find(r, "exact.example.com/ns/app", &m), 1);
	assert_string_equal(m.prefix, "exact.example.com/ns");
	assert_string_equal(fmt(&m.primary.ref), "exact.local/ns/app");
	registries_free(r);
}

static void test_find_mirror_filters(void **state)
{
	struct registries *r = load1(
		"[[registry]]\nlocation = \"a.io\"\n"
		"[[registry.mirror]]\nlocation = \"all.local\"\n"
		"[[registry.mirror]]\nlocation = \"dig.local\"\npull-from-mirror = \"digest-only\"\n"
		"[[registry.mirror]]\nlocation = \"tag.local\"\npull-from-mirror = \"tag-only\"\n"
		"[[registry.mirror]]\nlocation = \"all2.local\"\npull-from-mirror = \"all\"\n"
		"[[registry]]\nlocation = \"b.io\"\nmirror-by-digest-only = true\n"
		"[[registry.mirror]]\nlocation = \"bm.local\"\ninsecure = true\n");
	struct registry_match m;

	(void)state;
	assert_int_equal(find(r, "a.io/x:1", &m), 1);
	assert_int_equal(m.n_mirrors, 3);
	assert_string_equal(fmt(&m.mirrors[0].ref), "all.local/x:1");
	assert_string_equal(fmt(&m.mirrors[1].ref), "tag.local/x:1");
	assert_string_equal(fmt(&m.mirrors[2].ref), "all2.local/x:1");
	assert_int_equal(find(r, "a.io/x@sha256:" A64, &m), 1);
	assert_int_equal(m.n_mirrors, 3);
	assert_string_equal(fmt(&m.mirrors[0].ref), "all.local/x@sha256:" A64);
	assert_string_equal(fmt(&m.mirrors[1].ref), "dig.local/x@sha256:" A64);
	assert_string_equal(fmt(&m.mirrors[2].ref), "all2.local/x@sha256:" A64);
	/* name:tag@digest counts as digested. */
	assert_int_equal(find(r, "a.io/x:1@sha256:" A64, &m), 1);
	assert_int_equal(m.n_mirrors, 3);
	assert_string_equal(fmt(&m.mirrors[1].ref), "dig.local/x:1@sha256:" A64);

	assert_int_equal(find(r, "b.io/x:1", &m), 1);
	assert_int_equal(m.n_mirrors, 0);
	assert_string_equal(fmt(&m.primary.ref), "b.io/x:1");
	assert_int_equal(find(r, "b.io/x@sha256:" A64, &m), 1);
	assert_int_equal(m.n_mirrors, 1);
	assert_true(m.mirrors[0].insecure);
	assert_false(m.primary.insecure);
	registries_free(r);
}

static void test_find_rewrite_errors(void **state)
{
	struct registries *r = load1(
		"[[registry]]\nprefix = \"example.com/app\"\nlocation = \"docker.io\"\n"
		"[[registry]]\nprefix = \"example.com/nodomain\"\nlocation = \"plainname\"\n"
		"[[registry]]\nprefix = \"example.com/long\"\nlocation = \"example.com/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
		"[[registry]]\nprefix = \"example.com/hub\"\nlocation = \"docker.io/library\"\n");
	struct registry_match m;
	struct image_ref in;
	struct berr e = { 0 };

	(void)state;
	/* docker.io/x is not canonical (docker.io/library/x is): Podman's ParseNamed refuses. */
	in = ref("example.com/app/x:1");
	assert_int_equal(registries_find(r, &in, &m, &e), -1);
	assert_string_equal(e.msg, "rewriting reference: repository name must be canonical");
	in = ref("example.com/nodomain/x");
	assert_int_equal(registries_find(r, &in, &m, &e), -1);
	assert_string_equal(e.msg, "rewriting reference: repository name must be canonical");
	in = ref("example.com/long/some/more");
	assert_int_equal(registries_find(r, &in, &m, &e), -1);
	assert_string_equal(e.msg, "rewriting reference: repository name must not be more than 255 "
				   "characters");
	/* The canonical form is fine. */
	in = ref("example.com/hub/busybox");
	assert_int_equal(registries_find(r, &in, &m, &e), 1);
	assert_string_equal(fmt(&m.primary.ref), "docker.io/library/busybox");
	registries_free(r);
}

/* ------------------------------------------------------------------ checking */

static void test_conf_errors(void **state)
{
	(void)state;
	refused("[[registry]]\ninsecure = true\n",
		MAIN ":1: invalid condition: both location and prefix are unset");
	refused("[[registry]]\nprefix = \"example.com\"\n",
		MAIN ":1: invalid condition: location is unset and prefix is not in the format: "
		"*.example.com");
	refused("\n[[registry]]\nlocation = \"https://example.com\"\n",
		MAIN ":2: invalid location 'https://example.com': URI schemes are not supported");
	refused("[[registry]]\nprefix = \"http://example.com\"\nlocation = \"a.io\"\n",
		MAIN ":1: invalid location 'http://example.com': URI schemes are not supported");
	refused("[[registry]]\nlocation = \"a.io\"\npull-from-mirror = \"all\"\n",
		MAIN ":1: pull-from-mirror must not be set for a non-mirror registry \"a.io\"");
	refused("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n",
		MAIN ":3: invalid condition: mirror location is unset");
	refused("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"/\"\n",
		MAIN ":3: invalid condition: mirror location is unset");
	refused("[[registry]]\nlocation = \"a.io\"\nmirror-by-digest-only = true\n"
		"[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"tag-only\"\n",
		MAIN ":4: cannot set mirror usage mirror-by-digest-only for the registry (\"a.io\") "
		"and pull-from-mirror for per-mirror (\"m.io\") at the same time");
	refused("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\n"
		"pull-from-mirror = \"sometimes\"\n",
		MAIN ":3: unsupported pull-from-mirror value \"sometimes\" for mirror \"m.io\"");
	refused("[[registry]]\nlocation = \"a.io\"\n[[registry]]\nprefix = \"a.io/x\"\n"
		"location = \"a.io\"\ninsecure = true\n",
		MAIN ":3: registry 'a.io' is defined multiple times with conflicting 'insecure' "
		"setting");
	refused("[[registry]]\nlocation = \"a.io\"\nblocked = true\n[[registry]]\n"
		"prefix = \"b.io\"\nlocation = \"a.io\"\n",
		MAIN ":4: registry 'a.io' is defined multiple times with conflicting 'blocked' "
		"setting");
	refused("[[registry]]\nprefix = \"*.example.com/foo\"\n",
		MAIN ":1: Wildcarded prefix should be in the format: *.example.com. Current prefix "
		"\"*.example.com/foo\" is incorrectly formatted");
	refused("[[registry]]\nprefix = \"*.example.com:5000\"\n",
		MAIN ":1: Wildcarded prefix should be in the format: *.example.com. Current prefix "
		"\"*.example.com:5000\" is incorrectly formatted");
	refused("unqualified-search-registries = [\"quay.io/ns\"]\n",
		MAIN ":1: Invalid unqualified-search-registries entry \"quay.io/ns\"");
	refused("unqualified-search-registries = [\"https://quay.io\"]\n",
		MAIN ":1: invalid location 'https://quay.io': URI schemes are not supported");
	refused("unqualified-search-registries = [\"\"]\n",
		MAIN ":1: Invalid unqualified-search-registries entry \"\"");
	refused("unqualified-search-registries = \"quay.io\"\n",
		MAIN ":1: unqualified-search-registries: expected an array of strings");
	refused("unqualified-search-registries = [\"quay.io\", 1]\n",
		MAIN ":1: unqualified-search-registries: expected an array of strings");
	refused("short-name-mode = \"prompt\"\n", MAIN ":1: invalid short-name mode: \"prompt\"");
	refused("short-name-mode = true\n", MAIN ":1: short-name-mode: expected a string, found a "
		"boolean");
	refused("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n",
		MAIN ":3: registry.insecure: expected a boolean, found a string");
	refused("[[registry]]\nlocation = 5\n",
		MAIN ":2: registry.location: expected a string, found an integer");
	refused("[registry]\nlocation = \"a.io\"\n", MAIN ":1: registry: expected an array of tables");
	refused("[[registry]]\nlocation = \"a.io\"\nmirror = \"m.io\"\n",
		MAIN ":3: registry.mirror: expected an array of tables");
	refused("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = true\n",
		MAIN ":4: registry.mirror.location: expected a string, found a boolean");
	refused("aliases = [\"x\"]\n", MAIN ":1: aliases: expected a table");
	refused("[aliases]\nx = 1\n", MAIN ":2: aliases.\"x\": expected a string");
	/* TOML errors come through with the file name and line. */
	refused("[[registry]]\nlocation = \"a.io\"\nlocation = \"b.io\"\n",
		MAIN ":3: duplicate key \"location\"");
	{
		char doc[4096] = "[[registry]]\nlocation = \"a.io\"\n";

		for (int i = 0; i <= REGISTRIES_MAX_MIRRORS; i++)
			snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc),
				 "[[registry.mirror]]\nlocation = \"m%d.io\"\n", i);
		refused(doc, MAIN ":3: registry \"a.io\" has more than 16 mirrors");
	}
}

static void test_conf_v1_refused(void **state)
{
	static const char *v1 = "[registries.search]\nregistries = ['registry1.com', "
				"'registry2.com']\n\n[registries.insecure]\nregistries = "
				"['registry3.com']\n";
	const char *docs[2] = { "", "[registries.block]\nregistries = []\n" };
	struct berr e = { 0 };

	(void)state;
	refused(v1, MAIN ":1: registries.conf uses the v1 format, which berth does not read; "
		"convert it to v2 (see containers-registries.conf(5))");
	refused("unqualified-search-registries = [\"a.io\"]\n[registries.insecure]\n"
		"registries = [\"b.io\"]\n",
		MAIN ":2: registries.conf uses the v1 format, which berth does not read; convert it "
		"to v2 (see containers-registries.conf(5))");
	/* In a drop-in too, even with an empty list. */
	assert_null(load_n(docs, 2, &e));
	assert_string_equal(e.msg, "/etc/containers/registries.conf.d/1.conf:1: registries.conf "
				   "uses the v1 format, which berth does not read; convert it to v2 "
				   "(see containers-registries.conf(5))");
	/* A "registries" table without the v1 keys is just an unknown key. */
	registries_free(load1("[registries]\nother = 1\n"));
}

static void test_conf_unknown_keys_ignored(void **state)
{
	struct registries *r = load1(
		"credential-helpers = [\"containers-auth.json\"]\n"
		"additional-layer-store-auth-helper = \"x\"\n"
		"some-future-key = { a = 1 }\n"
		"[[registry]]\nlocation = \"a.io\"\nfuture = true\n"
		"[[registry.mirror]]\nlocation = \"m.io\"\nweight = 7\n");
	struct registry_match m;

	(void)state;
	assert_int_equal(registries_count(r), 1);
	assert_int_equal(find(r, "a.io/x", &m), 1);
	assert_int_equal(m.n_mirrors, 1);
	registries_free(r);
}

static void test_conf_same_prefix_first_wins(void **state)
{
	struct registries *r = load1(
		"[[registry]]\nprefix = \"a.io/x\"\nlocation = \"first.io\"\n"
		"[[registry]]\nprefix = \"a.io/x/\"\nlocation = \"second.io\"\n"
		"[[registry]]\nlocation = \"a.io\"\n");
	struct registry_match m;

	(void)state;
	/* "a.io/x/" becomes "a.io/x" (trailing "/" dropped): the first entry is kept. */
	assert_int_equal(registries_count(r), 2);
	assert_int_equal(find(r, "a.io/x/y", &m), 1);
	assert_string_equal(fmt(&m.primary.ref), "first.io/y");
	registries_free(r);
}

/* ------------------------------------------------------------------ merging */

static void test_dropin_override(void **state)
{
	const char *docs[] = {
		"unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
		"short-name-mode = \"enforcing\"\n"
		"[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"old-mirror.io\"\n"
		"[[registry]]\nlocation = \"keep.io\"\ninsecure = true\n"
		"[aliases]\nfoo = \"a.io/foo\"\nbar = \"a.io/bar\"\n",
		/* replaces a.io's entry, adds c.io, sets no search list */
		"[[registry]]\nlocation = \"a.io\"\nblocked = true\n"
		"[[registry]]\nlocation = \"c.io\"\n"
		"[aliases]\nfoo = \"c.io/foo\"\nbaz = \"c.io/baz\"\n",
		/* replaces the search list, erases an alias, changes the mode */
		"unqualified-search-registries = [\"d.io\"]\n"
		"short-name-mode = \"disabled\"\n"
		"[aliases]\nbar = \"\"\n",
		/* an empty mode changes nothing */
		"short-name-mode = \"\"\n",
	};
	struct berr e = { 0 };
	struct registries *r = load_n(docs, 4, &e);
	struct registry_match m;

	(void)state;
	if (r == NULL)
		fail_msg("%s", e.msg);
	assert_int_equal(registries_count(r), 3);
	assert_int_equal(find(r, "a.io/x", &m), 1);
	assert_true(m.blocked);
	assert_int_equal(m.n_mirrors, 0); /* the whole entry was replaced, mirrors included */
	assert_int_equal(find(r, "keep.io/x", &m), 1);
	assert_true(m.primary.insecure);
	assert_int_equal(find(r, "c.io/x", &m), 1);
	assert_int_equal(registries_search_count(r), 1);
	assert_string_equal(registries_search_at(r, 0), "d.io");
	assert_null(registries_search_at(r, 1));
	assert_string_equal(registries_search_origin(r), "/etc/containers/registries.conf.d/2.conf");
	assert_int_equal(registries_short_name_mode(r), SHORT_NAME_DISABLED);
	assert_string_equal(registries_alias(r, "foo"), "c.io/foo");
	assert_string_equal(registries_alias(r, "baz"), "c.io/baz");
	assert_null(registries_alias(r, "bar"));
	assert_null(registries_alias(r, "nope"));
	registries_free(r);

	/* An empty list in a drop-in still replaces the search list. */
	{
		const char *d2[] = { "unqualified-search-registries = [\"a.io\"]\n",
				     "unqualified-search-registries = []\n" };

		r = load_n(d2, 2, &e);
		assert_non_null(r);
		assert_int_equal(registries_search_count(r), 0);
		assert_string_equal(registries_search_origin(r),
				    "/etc/containers/registries.conf.d/1.conf");
		registries_free(r);
	}
	/* A drop-in without the key keeps the main file as the origin. */
	{
		const char *d3[] = { "", "[aliases]\nx = \"a.io/x\"\n" };

		r = load_n(d3, 2, &e);
		assert_non_null(r);
		assert_string_equal(registries_search_origin(r), MAIN);
		registries_free(r);
	}
}

static void test_dropin_error_keeps_state(void **state)
{
	struct berr e = { 0 };
	struct registries *r = load1("unqualified-search-registries = [\"a.io\"]\n"
				     "[[registry]]\nlocation = \"a.io\"\n");
	static const char bad[] = "unqualified-search-registries = [\"b.io\"]\n"
				  "[[registry]]\nlocation = \"b.io\"\n"
				  "[[registry]]\nprefix = \"x.io\"\n";

	(void)state;
	assert_int_equal(registries_add_buf(r, bad, strlen(bad), "d.conf", false, &e), -1);
	assert_string_equal(e.msg, "d.conf:4: invalid condition: location is unset and prefix is "
				   "not in the format: *.example.com");
	assert_int_equal(registries_count(r), 1);
	assert_int_equal(registries_search_count(r), 1);
	assert_string_equal(registries_search_at(r, 0), "a.io");
	registries_free(r);
}

/* ------------------------------------------------------------------ short names */

static int resolve(const struct registries *r, const char *s, struct image_ref *c, size_t *n,
		   char *desc, struct berr *e)
{
	struct image_ref in = ref(s);

	return registries_resolve_short_desc(r, &in, c, REGISTRIES_MAX_SEARCH, n, desc, 256, e);
}

static void test_short_aliases(void **state)
{
	struct registries *r = load1(
		"unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
		"short-name-mode = \"enforcing\"\n"
		"[aliases]\n"
		"\"alpine\" = \"docker.io/alpine\"\n"
		"\"opensuse/leap\" = \"registry.opensuse.org/opensuse/leap\"\n"
		"\"local\" = \"localhost:5000/team/local\"\n");
	struct image_ref c[REGISTRIES_MAX_SEARCH];
	struct berr e = { 0 };
	char desc[256];
	size_t n;

	(void)state;
	/* The alias target is normalised when it is loaded. */
	assert_string_equal(registries_alias(r, "alpine"), "docker.io/library/alpine");
	assert_int_equal(resolve(r, "alpine", c, &n, desc, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fmt(&c[0]), "docker.io/library/alpine:latest");
	assert_true(c[0].has_domain_explicitly);
	assert_false(ref_is_short(&c[0]));
	assert_string_equal(desc, "Resolved \"alpine\" as an alias (" MAIN ")");
	/* Tag and digest are stripped for the lookup and put back. */
	assert_int_equal(resolve(r, "alpine:3.19@sha256:" A64, c, &n, desc, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fmt(&c[0]), "docker.io/library/alpine:3.19@sha256:" A64);
	assert_int_equal(resolve(r, "alpine@sha256:" A64, c, &n, desc, &e), 0);
	assert_string_equal(fmt(&c[0]), "docker.io/library/alpine@sha256:" A64);
	assert_int_equal(resolve(r, "opensuse/leap:15", c, &n, desc, &e), 0);
	assert_string_equal(fmt(&c[0]), "registry.opensuse.org/opensuse/leap:15");
	assert_int_equal(resolve(r, "local", c, &n, desc, &e), 0);
	assert_string_equal(fmt(&c[0]), "localhost:5000/team/local:latest");
	/* No alias and two search registries in enforcing mode: refused, never prompted. */
	assert_int_equal(resolve(r, "busybox", c, &n, desc, &e), -1);
	assert_int_equal(e.code, BERR_DENIED);
	assert_string_equal(e.msg, "short-name resolution enforced but cannot prompt without a TTY");
	assert_int_equal(n, 0);
	/* Aliases are looked up by the name as typed: "library/alpine" is another name. */
	assert_int_equal(resolve(r, "library/alpine", c, &n, desc, &e), -1);
	registries_free(r);
}

static void test_short_alias_errors(void **state)
{
	(void)state;
	refused("[aliases]\n\"alpine\" = \"docker.io/library/alpine:3\"\n",
		MAIN ":2: validating short-name aliases: invalid alias "
		"\"docker.io/library/alpine:3\": must not contain tag");
	refused("[aliases]\n\"alpine\" = \"docker.io/library/alpine@sha256:" A64 "\"\n",
		MAIN ":2: validating short-name aliases: invalid alias "
		"\"docker.io/library/alpine@sha256:" A64 "\": must not contain digest");
	refused("[aliases]\n\"alpine\" = \"library/alpine\"\n",
		MAIN ":2: validating short-name aliases: invalid alias \"library/alpine\": must "
		"contain registry and repository");
	refused("[aliases]\n\"alpine\" = \"Docker.io/Alpine\"\n",
		MAIN ":2: validating short-name aliases: parsing alias \"Docker.io/Alpine\": invalid "
		"reference format: repository name must be lowercase");
	refused("[aliases]\n\"quay.io/alpine\" = \"quay.io/alpine\"\n",
		MAIN ":2: validating short-name aliases: invalid short name \"quay.io/alpine\": must "
		"not contain registry");
	refused("[aliases]\n\"localhost/alpine\" = \"quay.io/alpine\"\n",
		MAIN ":2: validating short-name aliases: invalid short name \"localhost/alpine\": "
		"must not contain registry");
	refused("[aliases]\n\"alpine:3\" = \"quay.io/alpine\"\n",
		MAIN ":2: validating short-name aliases: invalid short name \"alpine:3\": must not "
		"contain tag");
	refused("[aliases]\n\"alpine@sha256:" A64 "\" = \"quay.io/alpine\"\n",
		MAIN ":2: validating short-name aliases: invalid short name \"alpine@sha256:" A64
		"\": must not contain digest");
	refused("[aliases]\n\"Alpine\" = \"quay.io/alpine\"\n",
		MAIN ":2: validating short-name aliases: cannot parse short name: \"Alpine\": invalid "
		"reference format: repository name must be lowercase");
	/* "" erases an alias; it is no error. */
	registries_free(load1("[aliases]\n\"alpine\" = \"\"\n"));
}

static void test_short_search(void **state)
{
	struct image_ref c[REGISTRIES_MAX_SEARCH];
	struct berr e = { 0 };
	char desc[256];
	size_t n;
	struct registries *r;

	(void)state;
	/* One search registry: no ambiguity, even when enforcing. */
	r = load1("unqualified-search-registries = [\"docker.io\"]\nshort-name-mode = \"enforcing\"\n");
	assert_int_equal(resolve(r, "busybox", c, &n, desc, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fmt(&c[0]), "docker.io/library/busybox:latest");
	assert_true(c[0].has_domain_explicitly);
	assert_string_equal(desc, "Resolving \"busybox\" using unqualified-search registries (" MAIN
				  ")");
	assert_int_equal(resolve(r, "user/app:1", c, &n, desc, &e), 0);
	assert_string_equal(fmt(&c[0]), "docker.io/user/app:1");
	registries_free(r);

	/* Unset mode: permissive (containers/image default): every candidate, in order. */
	r = load1("unqualified-search-registries = [\"registry.fedoraproject.org\", "
		  "\"localhost:5000\", \"docker.io\", \"plainhost\"]\n");
	assert_int_equal(registries_short_name_mode(r), SHORT_NAME_PERMISSIVE);
	assert_int_equal(resolve(r, "busybox@sha256:" A64, c, &n, desc, &e), 0);
	assert_int_equal(n, 4);
	assert_string_equal(fmt(&c[0]), "registry.fedoraproject.org/busybox@sha256:" A64);
	assert_string_equal(fmt(&c[1]), "localhost:5000/busybox@sha256:" A64);
	assert_string_equal(fmt(&c[2]), "docker.io/library/busybox@sha256:" A64);
	/* containers/image quirk, kept: a search entry without "." or ":" is no domain to
	 * ParseNormalizedNamed, so the name ends up on Docker Hub under that namespace. */
	assert_string_equal(fmt(&c[3]), "docker.io/plainhost/busybox@sha256:" A64);
	/* Too little room is an error, not a silent cut. */
	{
		struct image_ref in = ref("busybox");

		assert_int_equal(registries_resolve_short(r, &in, c, 3, &n, &e), -1);
		assert_int_equal(e.code, BERR_INTERNAL);
		assert_int_equal(registries_resolve_short(r, &in, c, 4, &n, &e), 0);
		assert_int_equal(n, 4);
	}
	registries_free(r);

	r = load1("unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
		  "short-name-mode = \"disabled\"\n");
	assert_int_equal(resolve(r, "x", c, &n, desc, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(fmt(&c[0]), "a.io/x:latest");
	assert_string_equal(fmt(&c[1]), "b.io/x:latest");
	registries_free(r);

	r = load1("unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
		  "short-name-mode = \"permissive\"\n");
	assert_int_equal(resolve(r, "x", c, &n, desc, &e), 0);
	assert_int_equal(n, 2);
	registries_free(r);

	/* A name that becomes too long on a search registry. */
	{
		char in[300];

		memset(in, 'a', 250);
		in[250] = '\0';
		r = load1("unqualified-search-registries = [\"quay.io\"]\n");
		assert_int_equal(resolve(r, in, c, &n, desc, &e), -1);
		assert_string_equal(e.msg, "creating reference with unqualified-search registry "
					   "\"quay.io\": repository name must not be more than 255 "
					   "characters");
		registries_free(r);
	}
}

static void test_short_no_search(void **state)
{
	struct image_ref c[4];
	struct berr e = { 0 };
	char desc[256];
	size_t n;
	struct registries *r;

	(void)state;
	/* Debian's registries.conf sets nothing: Podman's message names the file. */
	r = load1("# all comments\n");
	assert_int_equal(resolve(r, "busybox", c, &n, desc, &e), -1);
	assert_int_equal(e.code, BERR_NOTFOUND);
	assert_string_equal(e.msg, "short-name \"busybox\" did not resolve to an alias and no "
				   "unqualified-search registries are defined in "
				   "\"/etc/containers/registries.conf\"");
	/* The name in the message is the whole input. */
	assert_int_equal(resolve(r, "busybox:1.36", c, &n, desc, &e), -1);
	assert_string_equal(e.msg, "short-name \"busybox:1.36\" did not resolve to an alias and no "
				   "unqualified-search registries are defined in "
				   "\"/etc/containers/registries.conf\"");
	/* A short name must come as parsed: once normalised, the name the user typed (and so
	 * the alias key) is lost ("library/busybox"). */
	{
		struct image_ref in = ref("busybox");

		assert_int_equal(ref_normalize_docker_io(&in, &e), 0);
		assert_int_equal(registries_resolve_short(r, &in, c, 4, &n, &e), -1);
		assert_int_equal(e.code, BERR_INTERNAL);
		assert_string_equal(e.msg, "registries_resolve_short: \"docker.io/library/busybox\" "
					   "was normalised; pass the reference as parsed");
	}
	registries_free(r);

	/* No file at all. */
	r = registries_new(&e);
	assert_non_null(r);
	assert_int_equal(resolve(r, "busybox", c, &n, desc, &e), -1);
	assert_string_equal(e.msg, "short-name \"busybox\" did not resolve to an alias and no "
				   "containers-registries.conf(5) was found");
	assert_int_equal(registries_short_name_mode(r), SHORT_NAME_PERMISSIVE);
	assert_string_equal(registries_search_origin(r), "");
	assert_string_equal(registries_sources(r), "");
	registries_free(r);
}

static void test_short_not_short(void **state)
{
	struct registries *r = load1("unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
				     "short-name-mode = \"enforcing\"\n");
	struct image_ref c[4];
	struct berr e = { 0 };
	char desc[256];
	size_t n;

	(void)state;
	assert_int_equal(resolve(r, "quay.io/podman/stable", c, &n, desc, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fmt(&c[0]), "quay.io/podman/stable:latest");
	assert_string_equal(desc, "");
	assert_int_equal(resolve(r, "docker.io/busybox@sha256:" A64, c, &n, desc, &e), 0);
	assert_string_equal(fmt(&c[0]), "docker.io/library/busybox@sha256:" A64);
	assert_int_equal(resolve(r, "localhost/app:dev", c, &n, desc, &e), 0);
	assert_string_equal(fmt(&c[0]), "localhost/app:dev");
	{
		struct image_ref in = ref("quay.io/x");

		assert_int_equal(registries_resolve_short(r, &in, c, 0, &n, &e), -1);
	}
	registries_free(r);
}

/* ------------------------------------------------------------------ files */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_load_files(void **state)
{
	char dir[] = "/tmp/berth-reg-XXXXXX";
	char p0[600], p1[600], p2[600];
	const char *paths[3] = { p0, p1, p2 };
	struct berr e = { 0 };
	struct registries *r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p0, sizeof(p0), "%s/main.conf", dir);
	snprintf(p1, sizeof(p1), "%s/a.conf", dir);
	snprintf(p2, sizeof(p2), "%s/b.conf", dir);
	write_file(dir, "main.conf", "unqualified-search-registries = [\"a.io\"]\n");
	write_file(dir, "a.conf", "unqualified-search-registries = [\"b.io\"]\n");
	write_file(dir, "b.conf", "[aliases]\nx = \"c.io/x\"\n");
	r = registries_load_files(paths, 3, &e);
	if (r == NULL)
		fail_msg("%s", e.msg);
	assert_string_equal(registries_search_at(r, 0), "b.io");
	assert_string_equal(registries_search_origin(r), p1);
	assert_string_equal(registries_alias(r, "x"), "c.io/x");
	assert_string_equal(registries_sources(r), p0);
	registries_free(r);

	/* Errors name the file and the line; a drop-in's say so. */
	write_file(dir, "b.conf", "[aliases]\nx = \"c.io/x\"\nx = \"d.io/x\"\n");
	assert_null(registries_load_files(paths, 3, &e));
	{
		char want[1024];

		snprintf(want, sizeof(want), "loading drop-in registries configuration: %s:3: "
			 "duplicate key \"x\"", p2);
		assert_string_equal(e.msg, want);
		write_file(dir, "main.conf", "short-name-mode = 1\n");
		assert_null(registries_load_files(paths, 1, &e));
		snprintf(want, sizeof(want), "loading registries configuration: %s:1: "
			 "short-name-mode: expected a string, found an integer", p0);
		assert_string_equal(e.msg, want);
		/* Named files must exist. */
		write_file(dir, "main.conf", "\n");
		unlink(p1);
		assert_null(registries_load_files(paths, 2, &e));
		snprintf(want, sizeof(want), "loading drop-in registries configuration: open %s: No "
			 "such file or directory", p1);
		assert_string_equal(e.msg, want);
		/* Not a regular file. */
		assert_null(registries_load_files((const char *const[]){ dir }, 1, &e));
		snprintf(want, sizeof(want), "loading registries configuration: %s is not a regular "
			 "file", dir);
		assert_string_equal(e.msg, want);
	}
	rm_rf(dir);
}

static void mkdirs(const char *base, const char *sub)
{
	char path[600], *p;

	snprintf(path, sizeof(path), "%s/%s", base, sub);
	for (p = path + strlen(base) + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
			*p = '/';
		}
	}
	assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
}

static void test_load_user_config(void **state)
{
	char home[] = "/tmp/berth-home-XXXXXX";
	char conf[600], dropins[600], sources[2048];
	struct berr e = { 0 };
	struct registries *r;

	(void)state;
	assert_non_null(mkdtemp(home));
	mkdirs(home, ".config/containers/registries.conf.d/sub.conf");
	snprintf(conf, sizeof(conf), "%s/.config/containers", home);
	snprintf(dropins, sizeof(dropins), "%s/.config/containers/registries.conf.d", home);
	/* The user's registries.conf replaces the system's, and only the user's drop-ins are
	 * read: nothing from /etc, whatever this host has there. */
	write_file(conf, "registries.conf", "unqualified-search-registries = [\"main.io\"]\n"
					    "short-name-mode = \"enforcing\"\n");
	write_file(dropins, "20-b.conf", "unqualified-search-registries = [\"b.io\"]\n");
	write_file(dropins, "10-a.conf", "unqualified-search-registries = [\"a.io\"]\n"
					 "[aliases]\nalpine = \"quay.io/me/alpine\"\n");
	write_file(dropins, "30-c.conf.disabled", "unqualified-search-registries = [\"c.io\"]\n");
	write_file(dropins, "README", "not toml at all = = =\n");
	/* Drop-ins 00..09, written in reverse: each sets its alias and erases the one before.
	 * Only when they are read in name order does a single alias survive. */
	for (int i = 9; i >= 0; i--) {
		char name[32], text[128];

		snprintf(name, sizeof(name), "0%d.conf", i);
		snprintf(text, sizeof(text), "[aliases]\n\"a%d\" = \"r%d.io/x\"\n\"a%d\" = \"\"\n", i,
			 i, i > 0 ? i - 1 : 99);
		write_file(dropins, name, text);
	}
	r = registries_load(true, home, "/nonexistent/xdg", &e);
	if (r == NULL)
		fail_msg("%s", e.msg);
	for (int i = 0; i < 9; i++) {
		char name[8];

		snprintf(name, sizeof(name), "a%d", i);
		assert_null(registries_alias(r, name));
	}
	assert_string_equal(registries_alias(r, "a9"), "r9.io/x");
	/* Sorted by name: 20-b.conf is last. */
	assert_int_equal(registries_search_count(r), 1);
	assert_string_equal(registries_search_at(r, 0), "b.io");
	assert_string_equal(registries_alias(r, "alpine"), "quay.io/me/alpine");
	assert_int_equal(registries_short_name_mode(r), SHORT_NAME_ENFORCING);
	snprintf(sources, sizeof(sources), "%s/registries.conf, %s", conf, dropins);
	assert_string_equal(registries_sources(r), sources);
	registries_free(r);

	/* A bad drop-in fails the whole load, naming the file. */
	write_file(dropins, "15-bad.conf", "unqualified-search-registries = [\"bad/name\"]\n");
	assert_null(registries_load(true, home, NULL, &e));
	{
		char want[1024];

		snprintf(want, sizeof(want), "loading drop-in registries configuration: "
			 "%s/15-bad.conf:1: Invalid unqualified-search-registries entry \"bad/name\"",
			 dropins);
		assert_string_equal(e.msg, want);
	}
	/* An override must exist, and replaces the user's file. */
	assert_null(registries_load_conf("/nonexistent/registries.conf", true, home, &e));
	assert_string_equal(e.msg, "loading registries configuration: open "
				   "/nonexistent/registries.conf: No such file or directory");
	rm_rf(home);
}

static void test_load_rootful_ignores_home(void **state)
{
	char home[] = "/tmp/berth-home-XXXXXX";
	char conf[600];
	struct berr e = { 0 };
	struct registries *r;

	(void)state;
	assert_non_null(mkdtemp(home));
	mkdirs(home, ".config/containers");
	snprintf(conf, sizeof(conf), "%s/.config/containers", home);
	write_file(conf, "registries.conf", "unqualified-search-registries = [\"user.io\"]\n");
	/* Rootful: the home directory's file is never read (whatever /etc holds). */
	r = registries_load(false, home, NULL, &e);
	if (r == NULL)
		fail_msg("%s", e.msg);
	for (size_t i = 0; i < registries_search_count(r); i++)
		assert_string_not_equal(registries_search_at(r, i), "user.io");
	assert_string_equal(registries_sources(r),
			    REGISTRIES_SYSTEM_CONF ", " REGISTRIES_SYSTEM_DIR);
	registries_free(r);
	/* Rootless with that file: it is. */
	r = registries_load(true, home, NULL, &e);
	assert_non_null(r);
	assert_string_equal(registries_search_at(r, 0), "user.io");
	registries_free(r);
	rm_rf(home);
}

/* This host's own files, as the distribution packages them (Debian: shortnames.conf as a
 * drop-in), load without error. Skipped where there are none. */
static void test_load_host_files(void **state)
{
	struct berr e = { 0 };
	struct registries *r;

	(void)state;
	if (access(REGISTRIES_SYSTEM_CONF, R_OK) != 0)
		skip();
	r = registries_load(false, NULL, NULL, &e);
	if (r == NULL)
		fail_msg("%s", e.msg);
	if (access(REGISTRIES_SYSTEM_DIR "/shortnames.conf", R_OK) == 0 ||
	    access(REGISTRIES_SYSTEM_DIR "/000-shortnames.conf", R_OK) == 0)
		assert_non_null(registries_alias(r, "fedora"));
	registries_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_manpage_example),
		cmocka_unit_test(test_find_prefix_rules),
		cmocka_unit_test(test_find_wildcard),
		cmocka_unit_test(test_find_mirror_filters),
		cmocka_unit_test(test_find_rewrite_errors),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_v1_refused),
		cmocka_unit_test(test_conf_unknown_keys_ignored),
		cmocka_unit_test(test_conf_same_prefix_first_wins),
		cmocka_unit_test(test_dropin_override),
		cmocka_unit_test(test_dropin_error_keeps_state),
		cmocka_unit_test(test_short_aliases),
		cmocka_unit_test(test_short_alias_errors),
		cmocka_unit_test(test_short_search),
		cmocka_unit_test(test_short_no_search),
		cmocka_unit_test(test_short_not_short),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_load_user_config),
		cmocka_unit_test(test_load_rootful_ignores_home),
		cmocka_unit_test(test_load_host_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
