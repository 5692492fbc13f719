#include "frontend/template.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Go prints values with fmt's %v: strings bare, numbers as numbers, booleans as true/false,
 * arrays as [a b c], maps as map[k:v], null as <no value>. */
static void print_value(FILE *f, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), f);
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
	case JSON_ARRAY: {
		size_t i;
		json_t *el;
		fputc('[', f);
		json_array_foreach(v, i, el) {
			if (i > 0)
				fputc(' ', f);
			print_value(f, el);
		}
		fputc(']', f);
		break;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *el;
		bool first = true;
		fputs("map[", f);
		json_object_foreach((json_t *)v, k, el) {
			if (!first)
				fputc(' ', f);
			first = false;
			fprintf(f, "%s:", k);
			print_value(f, el);
		}
		fputc(']', f);
		break;
	}
	default:
		fputs("<no value>", f);
	}
}

/* Resolves ".A.B" against dot; "." is dot itself. Returns NULL (with an error) for a field
 * that does not exist, as Go's template does for a struct. */
static const json_t *lookup(const json_t *dot, const char *path, size_t len, struct berr *e)
{
	const json_t *v = dot;
	size_t i = 0;

	if (len == 0 || path[0] != '.')
		return berr_set(e, BERR_INVALID, 0, "template: expected a field, got \"%.*s\"",
				(int)len, path), NULL;
	if (len == 1)
		return dot;
	while (i < len) {
		size_t start = ++i;
		while (i < len && path[i] != '.')
			i++;
		char key[128];
		if (i - start == 0 || i - start >= sizeof(key))
			return berr_set(e, BERR_INVALID, 0, "template: bad field \"%.*s\"", (int)len,
					path), NULL;
		memcpy(key, path + start, i - start);
		key[i - start] = '\0';
		if (!json_is_object(v) || (v = json_object_get(v, key)) == NULL)
			return berr_set(e, BERR_INVALID, 0, "template: can't evaluate field %s", key),
			       NULL;
	}
	return v;
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static int render(FILE *f, const char *t, size_t tlen, const json_t *dot, struct berr *e);

/* Finds the {{end}} matching a {{range}} that starts at p, honouring nesting. */
static const char *find_end(const char *p, const char *limit, const char **after)
{
	int depth = 1;
	while (p < limit) {
		const char *o = strstr(p, "{{");
		if (o == NULL || o >= limit)
			return NULL;
		const char *c = strstr(o, "}}");
		if (c == NULL || c >= limit)
			return NULL;
		const char *a = o + 2;
		size_t n = (size_t)(c - a);
		trim(&a, &n);
		if (n >= 5 && strncmp(a, "range", 5) == 0)
			depth++;
		else if (n == 3 && strncmp(a, "end", 3) == 0 && --depth == 0) {
			*after = c + 2;
			return o;
		}
		p = c + 2;
	}
	return NULL;
}

static int action(FILE *f, const char *a, size_t n, const json_t *dot, struct berr *e)
{
	const json_t *v;

	trim(&a, &n);
	if (n > 5 && strncmp(a, "json ", 5) == 0) {
		a += 5;
		n -= 5;
		trim(&a, &n);
		if ((v = lookup(dot, a, n, e)) == NULL)
			return -1;
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s == NULL)
			return berr_set(e, BERR_INTERNAL, 0, "template: cannot encode json");
		fputs(s, f);
		free(s);
		return 0;
	}
	if (n > 6 && strncmp(a, "index ", 6) == 0) {
		const char *sp = memchr(a + 6, ' ', n - 6);
		if (sp == NULL)
			return berr_set(e, BERR_INVALID, 0, "template: index needs two arguments");
		if ((v = lookup(dot, a + 6, (size_t)(sp - a - 6), e)) == NULL)
			return -1;
		const char *k = sp + 1;
		size_t kn = n - (size_t)(k - a);
		trim(&k, &kn);
		if (kn < 2 || k[0] != '"' || k[kn - 1] != '"')
			return berr_set(e, BERR_INVALID, 0, "template: index key must be a string");
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(kn - 2), k + 1);
		const json_t *el = json_is_object(v) ? json_object_get(v, key) : NULL;
		if (el != NULL)
			print_value(f, el);
		else
			fputs("<no value>", f);
		return 0;
	}
	if ((v = lookup(dot, a, n, e)) == NULL)
		return -1;
	print_value(f, v);
	return 0;
}

static int render(FILE *f, const char *t, size_t tlen, const json_t *dot, struct berr *e)
{
	const char *p = t, *limit = t + tlen;

	while (p < limit) {
		const char *o = strstr(p, "{{");
		if (o == NULL || o >= limit)
			o = limit;
		for (const char *c = p; c < o; c++) {
			if (c[0] == '\\' && c + 1 < o && (c[1] == 't' || c[1] == 'n')) {
				fputc(c[1] == 't' ? '\t' : '\n', f);
				c++;
			} else {
				fputc(*c, f);
			}
		}
		if (o == limit)
			break;
		const char *c = strstr(o, "}}");
		if (c == NULL || c >= limit)
			return berr_set(e, BERR_INVALID, 0, "template: unclosed action");
		const char *a = o + 2;
		size_t n = (size_t)(c - a);
		trim(&a, &n);
		if (n > 6 && strncmp(a, "range ", 6) == 0) {
			const char *after, *end = find_end(c + 2, limit, &after);
			if (end == NULL)
				return berr_set(e, BERR_INVALID, 0, "template: range without end");
			const json_t *list = lookup(dot, a + 6, n - 6, e);
			if (list == NULL)
				return -1;
			size_t i;
			json_t *el;
			if (json_is_array(list))
				json_array_foreach(list, i, el)
					if (render(f, c + 2, (size_t)(end - (c + 2)), el, e) < 0)
						return -1;
			p = after;
			continue;
		}
		if (action(f, a, n, dot, e) < 0)
			return -1;
		p = c + 2;
	}
	return 0;
}

int tmpl_render(FILE *f, const char *tmpl, const json_t *root, struct berr *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int rc;

	if (mem == NULL)
		return berr_sys(e, "open_memstream");
	/* Render into memory first: a template error prints nothing at all. */
	rc = render(mem, tmpl, strlen(tmpl), root, e);
	fclose(mem);
	if (rc == 0)
		fwrite(buf, 1, len, f);
	free(buf);
	return rc;
}

int tmpl_render_each(FILE *f, const char *tmpl, const json_t *rows, struct berr *e)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		if (tmpl_render(f, tmpl, row, e) < 0)
			return -1;
		fputc('\n', f);
	}
	return 0;
}
