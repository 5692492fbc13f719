/* A small, strict TOML 1.0 parser for the configuration files of the containers ecosystem
 * (registries.conf and its drop-ins, containers.conf). Trusted files, but parsed as if they
 * were not: bounded, no recursion without a depth limit, every error with a line number.
 *
 * Supported: comments; bare, quoted ("...") and literal ('...') keys; dotted keys; tables
 * [a.b]; arrays of tables [[a]] and nested [[a.b]]; basic strings with the escapes \b \t \n
 * \f \r \" \\ \uXXXX \UXXXXXXXX; literal strings; multi-line basic (""") and literal (''')
 * strings with line-ending backslashes; integers (decimal with sign and "_" separators,
 * 0x / 0o / 0b); booleans; arrays (multi-line, trailing comma, mixed types as TOML 1.0
 * allows); inline tables {k = v, ...}. A UTF-8 byte order mark at the start is skipped, as the
 * Go parser Podman uses does.
 *
 * Refused (each with "<name>:<line>: <message>"):
 *  - floats (incl. inf/nan) and dates/times: "unsupported value (floats and dates are not
 *    supported)". No containers configuration key berth reads takes one.
 *  - duplicate keys ("duplicate key \"location\""), a table defined twice, a table or array of
 *    tables over an existing value, keys added to an inline table or a static array, dotted
 *    keys reopening a table defined elsewhere (TOML 1.0 rules);
 *  - invalid UTF-8, NUL bytes anywhere (also as \u0000: strings here are C strings), control
 *    characters other than tab in strings and comments, a bare CR, a newline in a single-line
 *    string, invalid escapes, escapes of surrogates or of values above U+10FFFF;
 *  - anything unterminated, and anything after a value on its line but a comment;
 *  - input above TOML_MAX_INPUT, a string (or key) above TOML_MAX_STRING bytes once decoded,
 *    nesting deeper than TOML_MAX_DEPTH (tables, arrays and dotted-key parts all count), integers
 *    out of int64 range.
 *
 * Pure: no system call; memory comes from malloc and is owned by the returned tree. */
#ifndef BERTH_COMMON_TOML_H
#define BERTH_COMMON_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define TOML_MAX_INPUT (1024 * 1024)
#define TOML_MAX_STRING (64 * 1024)
#define TOML_MAX_DEPTH 32

enum toml_type {
	TOML_TABLE = 1,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INT,
	TOML_BOOL,
};

struct toml_value; /* opaque; a tree owned by the root returned from toml_parse */

/* Parses buf[0..len) (no NUL terminator needed). name is used only in error messages
 * ("registries.conf:12: duplicate key \"location\""). Returns the root table, or NULL with *e
 * set (BERR_INVALID for bad input, BERR_SYSTEM when out of memory). */
struct toml_value *toml_parse(const char *buf, size_t len, const char *name, struct berr *e);
/* Frees a tree returned by toml_parse (NULL is fine). Never call it on an inner node. */
void toml_free(struct toml_value *root);

enum toml_type toml_type(const struct toml_value *v);
/* "table", "array", "string", "integer", "boolean". */
const char *toml_type_name(enum toml_type t);
/* The line where the value started (tables: where first created). */
unsigned toml_line(const struct toml_value *v);

/* Tables keep keys in insertion order. For a table: the number of keys; for an array: the
 * number of elements; 0 for anything else. */
size_t toml_len(const struct toml_value *v);
/* The i-th key of a table (NULL if v is not a table or i is out of range). */
const char *toml_key_at(const struct toml_value *v, size_t i);
/* The i-th value of a table or the i-th element of an array (NULL when out of range). */
const struct toml_value *toml_at(const struct toml_value *v, size_t i);
/* The value under key in table t, or NULL when t is not a table or has no such key. Keys are
 * compared exactly (one level: "a.b" is the key "a.b", not a path). */
const struct toml_value *toml_get(const struct toml_value *t, const char *key);

/* Scalar accessors; each returns NULL/false when v has another type. */
const char *toml_string(const struct toml_value *v);
bool toml_int(const struct toml_value *v, int64_t *out);
bool toml_bool(const struct toml_value *v, bool *out);

/* The array under key in table t when every element is a table ([[key]] or key = [{...}], an
 * empty array included); NULL when absent or of another shape. */
const struct toml_value *toml_table_array(const struct toml_value *t, const char *key);
/* True when v is an array whose elements are all tables. */
bool toml_is_table_array(const struct toml_value *v);

#endif
