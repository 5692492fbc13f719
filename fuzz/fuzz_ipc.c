/* libFuzzer harness for the IPC decoders: the raw pre-pass, ipc_peek_uint, the schema decoder
 * and ipc_msg_decode, fed arbitrary packets as a peer could send them.
 *
 * Besides "no crash, no leak, no UB", it checks three properties and abort()s if one fails:
 *  - whatever ipc_prevalidate() accepts, msgpack-c parses as exactly one object using every
 *    byte (the pre-pass is what stands between msgpack-c and hostile counts);
 *  - a decoded message re-encodes, and that encoding decodes again;
 *  - encoding is a fixed point: decode(encode(m)) encodes to the same bytes.
 * Types that must carry fds cannot decode without them, so their bodies are also run through
 * ipc_decode_struct() directly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/channel.h"
#include "ipc/codec.h"
#include "ipc/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const envelope[] = { "type", "id", NULL };

static void check_prevalidate(const uint8_t *data, size_t size)
{
	msgpack_unpacked u;
	size_t off = 0;
	msgpack_unpack_return r;

	if (ipc_prevalidate(data, size, IPC_MAX_DEPTH, NULL) < 0)
		return;
	msgpack_unpacked_init(&u);
	r = msgpack_unpack_next(&u, (const char *)data, size, &off);
	if (r != MSGPACK_UNPACK_SUCCESS || off != size)
		abort();
	msgpack_unpacked_destroy(&u);
}

static void check_message(const uint8_t *data, size_t size)
{
	struct ipc_msg *m = NULL, *m2 = NULL;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len, len2;
	struct berr e;

	if (ipc_msg_decode(data, size, NULL, 0, &m, &e) < 0)
		return;
	if (ipc_msg_encode(m->type, m->id, m->body, &buf, &len, &e) < 0)
		abort();
	if (ipc_msg_decode(buf, len, NULL, 0, &m2, &e) < 0)
		abort();
	if (ipc_msg_encode(m2->type, m2->id, m2->body, &buf2, &len2, &e) < 0)
		abort();
	if (len != len2 || memcmp(buf, buf2, len) != 0)
		abort();
	free(buf);
	free(buf2);
	ipc_msg_free(m);
	ipc_msg_free(m2);
}

static void check_body_with_fds(const uint8_t *data, size_t size)
{
	const struct ipc_msgdef *def;
	struct ipc_enc *enc;
	const uint8_t *out;
	size_t outlen;
	uint64_t type;
	void *body, *back;
	struct berr e;

	if (ipc_prevalidate(data, size, IPC_MAX_DEPTH, NULL) < 0 ||
	    ipc_peek_uint(data, size, "type", &type, NULL) < 0 || type > UINT32_MAX)
		return;
	def = ipc_msgdef((uint32_t)type);
	if (def == NULL || def->min_fds == 0)
		return;
	body = calloc(1, def->schema->size);
	back = calloc(1, def->schema->size);
	enc = ipc_enc_new();
	if (body == NULL || back == NULL || enc == NULL)
		abort();
	if (ipc_decode_struct(def->schema, data, size, envelope, body, &e) == 0) {
		if (ipc_enc_struct(enc, def->schema, body, NULL, NULL, 0, &e) < 0)
			abort();
		out = ipc_enc_data(enc, &outlen);
		if (ipc_decode_struct(def->schema, out, outlen, NULL, back, &e) < 0)
			abort();
		ipc_struct_free(def->schema, back);
		ipc_struct_free(def->schema, body);
	}
	ipc_enc_free(enc);
	free(back);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_prevalidate(data, size);
	check_message(data, size);
	check_body_with_fds(data, size);
	return 0;
}
