/* Output formats: JSON (jansson) and the YAML-like text Podman prints for `info`, both from one
 * jansson tree, so the two can never disagree. */
#ifndef BERTH_FRONTEND_OUTPUT_H
#define BERTH_FRONTEND_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Prints v as indented JSON with a final newline. Returns 0 or -1. */
int out_json(FILE *f, const json_t *v);
/* Prints an object as YAML (block style, keys in insertion order). */
int out_yaml(FILE *f, const json_t *v);

/* Rows (objects) through a Go template: format NULL uses default_tmpl as a table; "table ..."
 * prints a header (header_of names each {{.Field}}'s column) and aligns the columns as Go's
 * tabwriter does (padding 2); any other template prints each row as it is. "json" is the
 * caller's. Returns 0, or -1 after printing the error. */
int out_rows(const char *format, const char *default_tmpl, bool noheading, const json_t *rows,
	     const char *(*header_of)(const char *));

#endif
