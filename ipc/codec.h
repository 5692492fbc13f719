/* Schema-driven msgpack codec.
 *
 * Every IPC payload is one msgpack map. A schema lists its keys, each with a type, limits and
 * the offset of the C field it fills. The same schema drives the encoder and the strict decoder:
 *  - the buffer must hold exactly one msgpack object (no trailing bytes) and it must be a map;
 *  - every key must be a string naming a field of the schema, each at most once;
 *  - every required field must be present;
 *  - strings are bounded and may not contain NUL; arrays are bounded; nesting is bounded;
 *  - integers must fit the field (negative into unsigned is refused) and its max.
 *
 * Before msgpack-c sees the bytes, ipc_prevalidate() walks them once and refuses any container
 * whose element count could not fit in the bytes that remain, and any nesting deeper than
 * IPC_MAX_DEPTH: msgpack-c allocates count * sizeof(msgpack_object) up front, so without this
 * a 6-byte packet could ask for gigabytes.
 *
 * Decoded structs own their heap members; release them with ipc_struct_free(). */
#ifndef BERTH_IPC_CODEC_H
#define BERTH_IPC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define IPC_MAX_DEPTH 8

enum ipc_ftype {
	IPC_T_UINT,    /* uint64_t; max: largest value allowed (0 means UINT64_MAX) */
	IPC_T_INT,     /* int64_t */
	IPC_T_BOOL,    /* bool */
	IPC_T_STR,     /* char *, NUL-terminated, no embedded NUL; max: bytes */
	IPC_T_BIN,     /* struct ipc_bin; max: bytes */
	IPC_T_STRV,    /* char **, NULL-terminated; max: elements; elem_max: bytes each */
	IPC_T_STRUCTV, /* void * array of sub->size elements; max: elements */
};

struct ipc_bin {
	uint8_t *data; /* owned */
	size_t len;
};

struct ipc_schema;

struct ipc_field {
	const char *key;
	enum ipc_ftype type;
	bool required;
	uint64_t max;
	uint32_t elem_max;
	size_t offset;       /* offsetof the field in the struct */
	size_t count_offset; /* STRV/STRUCTV: offsetof a size_t element count */
	const struct ipc_schema *sub; /* STRUCTV: schema of each element */
};

struct ipc_schema {
	const char *name;
	size_t size; /* sizeof the struct this schema fills */
	const struct ipc_field *fields;
	size_t nfields;
};

/* Field constructors, so schemas read as tables. */
#define IPC_F_UINT(st, f, req, mx) \
	{ #f, IPC_T_UINT, req, mx, 0, offsetof(st, f), 0, NULL }
#define IPC_F_INT(st, f, req) \
	{ #f, IPC_T_INT, req, 0, 0, offsetof(st, f), 0, NULL }
#define IPC_F_BOOL(st, f, req) \
	{ #f, IPC_T_BOOL, req, 0, 0, offsetof(st, f), 0, NULL }
#define IPC_F_STR(st, f, req, mx) \
	{ #f, IPC_T_STR, req, mx, 0, offsetof(st, f), 0, NULL }
#define IPC_F_BIN(st, f, req, mx) \
	{ #f, IPC_T_BIN, req, mx, 0, offsetof(st, f), 0, NULL }
#define IPC_F_STRV(st, f, req, mx, emx) \
	{ #f, IPC_T_STRV, req, mx, emx, offsetof(st, f), offsetof(st, n_##f), NULL }
#define IPC_F_STRUCTV(st, f, req, mx, sch) \
	{ #f, IPC_T_STRUCTV, req, mx, 0, offsetof(st, f), offsetof(st, n_##f), sch }

/* Checks that buf holds exactly one well-formed msgpack object whose containers' declared
 * counts fit in the remaining bytes and whose depth is at most max_depth.
 * Returns 0, or -1 with BERR_PROTOCOL. Pure: no allocation, no syscalls. */
int ipc_prevalidate(const uint8_t *buf, size_t len, unsigned max_depth, struct berr *e);

/* Decodes the msgpack map in buf into *out (a zeroed struct of schema->size bytes), ignoring
 * the keys listed in skip_keys (e.g. "type", "id" of the envelope, which the caller reads).
 * On failure *out is released and zeroed. */
int ipc_decode_struct(const struct ipc_schema *schema, const uint8_t *buf, size_t len,
		      const char *const *skip_keys, void *out, struct berr *e);

/* Releases the heap members of a struct decoded (or filled by hand) for this schema, and zeroes
 * it. The struct itself is not freed. */
void ipc_struct_free(const struct ipc_schema *schema, void *st);

/* Encoder. An ipc_enc is a growing buffer holding one msgpack map. */
struct ipc_enc;

struct ipc_enc *ipc_enc_new(void);
void ipc_enc_free(struct ipc_enc *enc);
/* Starts the top-level map with `extra` envelope pairs the caller writes first with
 * ipc_enc_kv_uint(), followed by the schema's fields present in st. Checks the same limits the
 * decoder checks, so berth never sends what its peer must refuse. */
int ipc_enc_struct(struct ipc_enc *enc, const struct ipc_schema *schema, const void *st,
		   const char *const *envelope_keys, const uint64_t *envelope_vals,
		   size_t nenvelope, struct berr *e);
const uint8_t *ipc_enc_data(const struct ipc_enc *enc, size_t *len);

/* Reads an unsigned integer under key from the top-level map in buf without decoding the rest.
 * Used to find the envelope's type before choosing a schema. Requires ipc_prevalidate() first.
 * Returns 0, or -1 (BERR_PROTOCOL) if the key is missing, duplicated or not a uint. */
int ipc_peek_uint(const uint8_t *buf, size_t len, const char *key, uint64_t *val,
		  struct berr *e);

#endif
