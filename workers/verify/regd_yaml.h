/* berth-verify's reader of registries.d files (containers-registries.d(5)): libyaml, with the
 * strict rules policy/registries_d.h states (unknown or duplicate keys, a value of the wrong
 * type, a second document, a location that is not an absolute file://, http:// or https:// URL:
 * errors naming the file and line). The files are trusted configuration, but YAML is parsed in
 * a worker all the same: the broker links no YAML parser (DESIGN.md).
 *
 * PURE: (buf, len) in, a struct regd_file out; no I/O. Linked into berth-verify, the unit tests
 * and fuzz/fuzz_registries_d. */
#ifndef BERTH_WORKERS_VERIFY_REGD_YAML_H
#define BERTH_WORKERS_VERIFY_REGD_YAML_H

#include <stddef.h>

#include "common/err.h"
#include "policy/registries_d.h"

/* Parses one file (at most REGD_FILE_MAX bytes) into *f (emptied first; cleared on error).
 * path names it in messages. Returns 0, or -1 with *e set (BERR_INVALID). */
int regd_parse_buf(const char *buf, size_t len, const char *path, struct regd_file *f,
		   struct berr *e);

/* regd_parse_buf, then regd_merge into r: the tests' and the fuzzer's one step. */
int regd_add_buf(struct regd *r, const char *buf, size_t len, const char *path,
		 struct berr *e);

#endif
