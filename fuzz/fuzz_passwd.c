/* libFuzzer harness for berth-verify's user resolver (workers/verify/passwd.c).
 *
 * Input: a flags byte (bit 0: /etc/passwd present, bit 1: /etc/group present), a byte N, N
 * bytes of user spec (cut at a NUL), two bytes (little-endian) P, P bytes of passwd (fewer
 * when the input ends), the rest the group file.
 *
 * Besides "no crash, no leak, no UB", it abort()s when:
 *  - a resolve that succeeds gives a reply the channel does not carry (ipc_msg_encode() as
 *    MSG_V_USER_REPLY fails: an id out of range, more than 64 groups, a home too long), that
 *    does not decode to the same bytes, or whose home is not an absolute printable path;
 *  - a resolve that fails leaves the reply all zero, does not say why in printable ASCII, or
 *    is a protocol error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "workers/verify/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const struct msg_v_user_reply *r)
{
	if (r->home == NULL || r->home[0] != '/' || !fuzz_printable(r->home))
		abort();
	fuzz_check_reply(MSG_V_USER_REPLY, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct passwd_file passwd = { 0 }, group = { 0 };
	struct msg_v_user_reply r;
	struct berr e = { 0 };
	char spec[256];
	size_t n, plen;

	if (size < 2)
		return 0;
	passwd.present = (data[0] & 1) != 0;
	group.present = (data[0] & 2) != 0;
	n = data[1];
	data += 2;
	size -= 2;
	if (n > size)
		n = size;
	memcpy(spec, data, n);
	spec[n] = '\0';
	data += n;
	size -= n;
	plen = 0;
	if (size >= 2) {
		plen = (size_t)data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
	}
	if (plen > size)
		plen = size;
	passwd.buf = data;
	passwd.len = plen;
	group.buf = data + plen;
	group.len = size - plen;
	if (verify_resolve_user(&passwd, &group, spec, &r, &e) == 0) {
		check_reply(&r);
		ipc_struct_free(&msg_v_user_reply_schema, &r);
	} else {
		if (!fuzz_all_zero(&r, sizeof(r)))
			abort();
		fuzz_check_error(&e);
	}
	return 0;
}
