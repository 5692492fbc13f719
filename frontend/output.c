#include "frontend/output.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "frontend/frontend.h"
#include "frontend/template.h"

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

/* The header line of a "table" template: each {{.Field}} becomes its column title. */
static void print_header(FILE *out, const char *tmpl, const char *(*header_of)(const char *))
{
	for (const char *p = tmpl; *p != '\0';) {
		const char *o = strstr(p, "{{");
		const char *end = o != NULL ? o : p + strlen(p);
		for (const char *c = p; c < end; c++) {
			if (c[0] == '\\' && c[1] == 't') {
				fputc('\t', out);
				c++;
			} else {
				fputc(*c, out);
			}
		}
		if (o == NULL)
			break;
		const char *cl = strstr(o, "}}");
		if (cl == NULL)
			break;
		const char *f = o + 2;
		while (*f == ' ' || *f == '.')
			f++;
		char field[64];
		size_t n = 0;
		while (f < cl && *f != ' ' && n + 1 < sizeof(field))
			field[n++] = *f++;
		field[n] = '\0';
		fputs(header_of(field), out);
		p = cl + 2;
	}
	fputc('\n', out);
}

/* Prints rows aligned in columns, like Go's tabwriter with a padding of 2: cells are the
 * tab-separated parts of each line. */
static void print_aligned(char *text)
{
	size_t widths[16] = { 0 };
	char *save = NULL;
	char *copy = strdup(text);

	if (copy == NULL)
		return;
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t col = 0;
		for (char *c = line, *start = line;; c++) {
			if (*c == '\t' || *c == '\0') {
				size_t w = (size_t)(c - start);
				if (col < 16 && w > widths[col])
					widths[col] = w;
				col++;
				start = c + 1;
				if (*c == '\0')
					break;
			}
		}
	}
	free(copy);
	save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t col = 0;
		char *start = line;
		for (char *c = line;; c++) {
			if (*c == '\t' || *c == '\0') {
				bool last = *c == '\0';
				int w = (int)(c - start);
				if (last)
					printf("%.*s\n", w, start);
				else
					printf("%.*s%*s", w, start,
					       (int)(col < 16 ? widths[col] : 0) - w + 2, "");
				col++;
				start = c + 1;
				if (last)
					break;
			}
		}
	}
}

int out_rows(const char *format, const char *default_tmpl, bool noheading, const json_t *rows,
	     const char *(*header_of)(const char *))
{
	const char *tmpl = format != NULL ? format : default_tmpl;
	bool table = format == NULL || strncmp(format, "table", 5) == 0;
	struct berr e = { 0 };
	char *buf = NULL;
	size_t len = 0, i;
	json_t *row;
	int rc = 0;
	FILE *mem;

	if (format != NULL && table) {
		tmpl = format + 5;
		while (*tmpl == ' ')
			tmpl++;
	}
	mem = open_memstream(&buf, &len);
	if (mem == NULL)
		return -1;
	if (table && !noheading)
		print_header(mem, tmpl, header_of);
	json_array_foreach(rows, i, row) {
		if (tmpl_render(mem, tmpl, row, &e) < 0) {
			rc = -1;
			break;
		}
		fputc('\n', mem);
	}
	fclose(mem);
	if (rc != 0)
		fe_error("%s", e.msg);
	else if (table)
		print_aligned(buf);
	else
		fputs(buf, stdout);
	free(buf);
	return rc;
}
