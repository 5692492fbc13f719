/* Unit tests for common/containers_conf.c: the keys berth reads from containers.conf, their
 * types, merging over several files (a later file's key replaces), and which files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/containers_conf.h"

static int add(struct cconf *c, const char *doc, struct berr *e)
{
	return cconf_add_buf(c, doc, strlen(doc), "/etc/containers/containers.conf", e);
}

static void test_keys(void **state)
{
	struct cconf c = { 0 };
	struct berr e = { 0 };
	(void)state;

	assert_int_equal(add(&c, "[containers]\n"
				 "env = [\"A=1\", \"B=two=2\"]\n"
				 "default_capabilities = [\"CHOWN\", \"cap_kill\"]\n"
				 "seccomp_profile = \"/etc/p.json\"\n"
				 "pids_limit = 100\n"
				 "init = true\n"
				 "init_path = \"/usr/libexec/init\"\n"
				 "tz = \"local\"\n" /* ignored */
				 "[engine]\nruntime = \"runc\"\n[network]\nx = 1\n", &e), 0);
	assert_true(c.env_set);
	assert_int_equal(c.n_env, 2);
	assert_string_equal(c.env[1], "B=two=2");
	assert_null(c.env[2]);
	assert_true(c.caps_set);
	assert_string_equal(c.caps[1], "cap_kill");
	assert_string_equal(c.seccomp_profile, "/etc/p.json");
	assert_true(c.pids_limit_set);
	assert_int_equal(c.pids_limit, 100);
	assert_true(c.init_set && c.init);
	assert_string_equal(c.init_path, "/usr/libexec/init");
	assert_string_equal(c.runtime, "runc");
	cconf_free(&c);
	assert_null(c.env);
}

static void test_merge(void **state)
{
	struct cconf c = { 0 };
	struct berr e = { 0 };
	(void)state;

	assert_int_equal(add(&c, "[containers]\nenv = [\"A=1\"]\npids_limit = 5\n"
				 "default_capabilities = [\"CHOWN\"]\n[engine]\nruntime = \"crun\"\n",
			     &e), 0);
	/* A later file replaces what it sets, arrays as a whole, and keeps the rest. */
	assert_int_equal(add(&c, "[containers]\nenv = [\"B=2\", \"C=3\"]\n"
				 "default_capabilities = []\n", &e), 0);
	assert_int_equal(c.n_env, 2);
	assert_string_equal(c.env[0], "B=2");
	assert_true(c.caps_set);
	assert_int_equal(c.n_caps, 0);
	assert_int_equal(c.pids_limit, 5);
	assert_string_equal(c.runtime, "crun");
	/* "" puts the default back. */
	assert_int_equal(add(&c, "[engine]\nruntime = \"\"\n", &e), 0);
	assert_string_equal(c.runtime, "");
	/* A file with an error is not merged at all. */
	assert_int_equal(add(&c, "[containers]\nenv = [\"D=4\"]\npids_limit = \"x\"\n", &e), -1);
	assert_int_equal(e.code, BERR_INVALID);
	assert_string_equal(e.msg, "/etc/containers/containers.conf:3: containers.pids_limit: "
				   "expected an integer from 0 to 2147483647");
	assert_string_equal(c.env[0], "B=2");
	cconf_free(&c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ "[containers]\nenv = \"A=1\"\n", ":2: containers.env: expected an array" },
		{ "[containers]\nenv = [\"NOVALUE\"]\n", "containers.env: entry 1 is not KEY=value" },
		{ "[containers]\nenv = [\"=x\"]\n", "entry 1 is not KEY=value" },
		{ "[containers]\nenv = [1]\n", "entry 1 is not KEY=value" },
		{ "[containers]\ndefault_capabilities = [\"CAP CHOWN\"]\n", "not a capability name" },
		{ "[containers]\nseccomp_profile = \"rel.json\"\n", "not an absolute path" },
		{ "[containers]\ninit_path = 3\n", "containers.init_path: expected a string" },
		{ "[containers]\ninit = \"yes\"\n", "containers.init: expected a boolean" },
		{ "[containers]\npids_limit = -1\n", "containers.pids_limit" },
		{ "containers = 1\n", "containers: expected a table" },
		{ "[engine]\nruntime = \"bin/runc\"\n", "neither a name nor an absolute path" },
		{ "[engine]\nruntime = [\"runc\"]\n", "engine.runtime: expected a string" },
		{ "[containers\n", "/etc/containers/containers.conf:1:" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cconf c = { 0 };
		struct berr e = { 0 };

		assert_int_equal(add(&c, bad[i].doc, &e), -1);
		if (strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("%s: %s does not say %s", bad[i].doc, e.msg, bad[i].msg);
		assert_null(c.env);
		assert_null(c.runtime);
		cconf_free(&c);
	}
}

static void test_paths(void **state)
{
	char p[CCONF_MAX_FILES][CCONF_MAX_PATH];
	(void)state;

	assert_int_equal(cconf_paths(NULL, false, "/root/.config", p), 2);
	assert_string_equal(p[0], "/usr/share/containers/containers.conf");
	assert_string_equal(p[1], "/etc/containers/containers.conf");
	assert_int_equal(cconf_paths("", true, "/home/u/.config", p), 3);
	assert_string_equal(p[2], "/home/u/.config/containers/containers.conf");
	assert_int_equal(cconf_paths(NULL, true, NULL, p), 2);
	/* $CONTAINERS_CONF: that file alone. */
	assert_int_equal(cconf_paths("/tmp/my.conf", true, "/home/u/.config", p), 1);
	assert_string_equal(p[0], "/tmp/my.conf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
