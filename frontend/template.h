/* A small subset of Go's text/template, enough for Podman's --format strings over a jansson
 * value: literal text, {{.Field}}, {{.A.B}}, {{.}}, {{json .X}}, {{json .}}, {{index .M "k"}},
 * {{range .List}}...{{end}} over arrays, and the escapes \t and \n in the literal text. A leading
 * "table " is handled by the caller (it prints a header). Unknown constructs are errors. */
#ifndef BERTH_FRONTEND_TEMPLATE_H
#define BERTH_FRONTEND_TEMPLATE_H

#include <stdio.h>

#include <jansson.h>

#include "common/err.h"

/* Renders tmpl with root as "." to f. Returns 0 or -1 with *e set (nothing is printed for a
 * template that does not parse). */
int tmpl_render(FILE *f, const char *tmpl, const json_t *root, struct berr *e);
/* Renders tmpl once per element of the array rows, each followed by a newline; stops at the
 * first error. */
int tmpl_render_each(FILE *f, const char *tmpl, const json_t *rows, struct berr *e);

#endif
