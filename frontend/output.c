#include "frontend/output.h"

#include <stdbool.h>
#include <string.h>

int out_json(FILE *f, const json_t *v)
{
	if (json_dumpf(v, f, JSON_INDENT(4) | JSON_PRESERVE_ORDER) < 0)
		return -1;
	fputc('\n', f);
	return 0;
}

/* Plain YAML scalars for what can be printed bare; anything that could be misread is quoted. */
static void yaml_string(FILE *f, const char *s)
{
	bool quote = s[0] == '\0' || s[0] == ' ' || s[strlen(s) - 1] == ' ' ||
		     strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) != NULL || strstr(s, ": ") != NULL ||
		     strstr(s, " #") != NULL || strcmp(s, "true") == 0 || strcmp(s, "false") == 0 ||
		     strcmp(s, "null") == 0 || strspn(s, "0123456789.") == strlen(s);
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

static void yaml_scalar(FILE *f, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		yaml_string(f, json_string_value(v));
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(f, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("true", f);
		break;
	case JSON_FALSE:
		fputs("false", f);
		break;
	default:
		fputs("null", f);
		break;
	}
}

static bool is_container(const json_t *v)
{
	return json_is_object(v) || json_is_array(v);
}

static bool is_empty(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

static void yaml_node(FILE *f, const json_t *v, int indent);

static void yaml_object(FILE *f, const json_t *obj, int indent, bool first_inline)
{
	const char *key;
	json_t *val;
	bool first = true;

	json_object_foreach((json_t *)obj, key, val) {
		if (!(first && first_inline))
			fprintf(f, "%*s", indent, "");
		first = false;
		fprintf(f, "%s:", key);
		if (is_container(val) && !is_empty(val)) {
			fputc('\n', f);
			yaml_node(f, val, json_is_array(val) ? indent : indent + 2);
		} else if (is_empty(val)) {
			fputs(json_is_array(val) ? " []\n" : " {}\n", f);
		} else {
			fputc(' ', f);
			yaml_scalar(f, val);
			fputc('\n', f);
		}
	}
}

static void yaml_node(FILE *f, const json_t *v, int indent)
{
	if (json_is_object(v)) {
		yaml_object(f, v, indent, false);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *el;
		json_array_foreach(v, i, el) {
			fprintf(f, "%*s- ", indent, "");
			if (json_is_object(el) && !is_empty(el)) {
				yaml_object(f, el, indent + 2, true);
			} else {
				yaml_scalar(f, el);
				fputc('\n', f);
			}
		}
	}
}

int out_yaml(FILE *f, const json_t *v)
{
	yaml_node(f, v, 0);
	return 0;
}
