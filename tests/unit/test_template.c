/* frontend/template.c: the Go-template subset behind --format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "frontend/template.h"

static json_t *doc(void)
{
	return json_pack("{s:s,s:I,s:b,s:{s:s,s:[s,s]},s:{s:s},s:[{s:s},{s:s}],s:n}", "Id", "abc",
			 "Size", (json_int_t)42, "Ok", 1, "Config", "User", "root", "Cmd", "/bin/sh",
			 "-c", "Labels", "a.b", "x", "List", "N", "one", "N", "two", "Nil");
}

/* Renders into a string; returns NULL (and leaves *e set) on an error. */
static char *render(const char *tmpl, struct berr *e)
{
	json_t *d = doc();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = tmpl_render(f, tmpl, d, e);
	fclose(f);
	json_decref(d);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void expect(const char *tmpl, const char *want)
{
	struct berr e = { 0 };
	char *got = render(tmpl, &e);
	if (got == NULL)
		fail_msg("%s: %s", tmpl, e.msg);
	assert_string_equal(got, want);
	free(got);
}

static void expect_error(const char *tmpl, const char *text)
{
	struct berr e = { 0 };
	char *got = render(tmpl, &e);
	if (got != NULL)
		fail_msg("%s rendered \"%s\"", tmpl, got);
	if (strstr(e.msg, text) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", tmpl, e.msg, text);
}

static void test_fields(void **state)
{
	(void)state;
	expect("{{.Id}}", "abc");
	expect("id={{ .Id }} size={{.Size}} ok={{.Ok}}", "id=abc size=42 ok=true");
	expect("{{.Config.User}}", "root");
	expect("{{.Config.Cmd}}", "[/bin/sh -c]");
	expect("{{.Nil}}", "<no value>");
	expect("a\\tb\\nc", "a\tb\nc");
	expect("plain", "plain");
}

static void test_json_index_range(void **state)
{
	(void)state;
	expect("{{json .Config.Cmd}}", "[\"/bin/sh\",\"-c\"]");
	expect("{{json .Id}}", "\"abc\"");
	expect("{{index .Labels \"a.b\"}}", "x");
	expect("{{index .Labels \"missing\"}}", "<no value>");
	expect("{{range .List}}[{{.N}}]{{end}}", "[one][two]");
	expect("{{range .List}}{{.N}},{{end}}", "one,two,");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{{.Nope}}", "can't evaluate field Nope");
	expect_error("{{.Config.Nope}}", "can't evaluate field Nope");
	expect_error("{{.Id", "unclosed action");
	expect_error("{{range .List}}x", "range without end");
	expect_error("{{Id}}", "expected a field");
	expect_error("{{index .Labels a}}", "index key must be a string");
}

static void test_each(void **state)
{
	json_t *rows = json_pack("[{s:s},{s:s}]", "A", "1", "A", "2");
	struct berr e = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;
	assert_int_equal(tmpl_render_each(f, "<{{.A}}>", rows, &e), 0);
	fclose(f);
	assert_string_equal(buf, "<1>\n<2>\n");
	free(buf);
	/* An error prints nothing for the row that failed. */
	f = open_memstream(&buf, &len);
	assert_int_equal(tmpl_render_each(f, "{{.B}}", rows, &e), -1);
	fclose(f);
	assert_string_equal(buf, "");
	free(buf);
	json_decref(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_json_index_range),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_each),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
