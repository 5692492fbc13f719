/* Output formats: JSON (jansson) and the YAML-like text Podman prints for `info`, both from one
 * jansson tree, so the two can never disagree. */
#ifndef BERTH_FRONTEND_OUTPUT_H
#define BERTH_FRONTEND_OUTPUT_H

#include <stdio.h>

#include <jansson.h>

/* Prints v as indented JSON with a final newline. Returns 0 or -1. */
int out_json(FILE *f, const json_t *v);
/* Prints an object as YAML (block style, keys in insertion order). */
int out_yaml(FILE *f, const json_t *v);

#endif
