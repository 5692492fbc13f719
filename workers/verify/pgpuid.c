/* OpenPGP user IDs; the accepted input and the output are described in pgpuid.h. */
#include "workers/verify/pgpuid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/cleanup.h"

#define ARMOR_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define ARMOR_END "-----END PGP PUBLIC KEY BLOCK-----"

#define TAG_PUBLIC_KEY 6
#define TAG_USER_ID 13

static int bad(struct berr *e, const char *msg)
{
	return berr_set(e, BERR_INVALID, 0, "OpenPGP key: %s", msg);
}

/* One line of buf from *pos: [*line, *line + *n), trailing CR and blanks dropped. */
static bool next_line(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **line,
		      size_t *n)
{
	const uint8_t *nl;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + (nl != NULL);
	while (*n > 0 && ((*line)[*n - 1] == '\r' || (*line)[*n - 1] == ' ' ||
			  (*line)[*n - 1] == '\t'))
		(*n)--;
	return true;
}

static bool line_is(const uint8_t *line, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(line, s, n) == 0;
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* RFC 4880 6.1. */
static uint32_t crc24(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xB704CEu;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint32_t)p[i] << 16;
		for (int b = 0; b < 8; b++) {
			crc <<= 1;
			if (crc & 0x1000000u)
				crc ^= 0x1864CFBu;
		}
	}
	return crc & 0xFFFFFFu;
}

/* Base64 of [s, s+n) appended to out (at *olen); '=' only as final padding. */
struct b64 {
	uint32_t acc;
	int bits;
	bool padded;
};

static int b64_feed(struct b64 *st, const uint8_t *s, size_t n, uint8_t *out, size_t *olen,
		    struct berr *e)
{
	for (size_t i = 0; i < n; i++) {
		int v;

		if (s[i] == '=') {
			st->padded = true;
			continue;
		}
		v = b64val(s[i]);
		if (v < 0 || st->padded)
			return bad(e, "invalid base64 in the armor");
		st->acc = (st->acc << 6) | (uint32_t)v;
		st->bits += 6;
		if (st->bits >= 8) {
			st->bits -= 8;
			out[(*olen)++] = (uint8_t)(st->acc >> st->bits);
		}
	}
	return 0;
}

/* Dearmors the first armor block of buf at or after *at into *out (owned); *at moves past its
 * end line. Returns 1, 0 when no block begins after *at (nothing allocated), or -1. */
static int dearmor(const uint8_t *buf, size_t len, size_t *at, uint8_t **out, size_t *olen,
		   struct berr *e)
{
	size_t pos = *at, n = 0;
	const uint8_t *line = NULL;
	cleanup_free uint8_t *data = malloc(len / 4 * 3 + 3);
	struct b64 st = { 0 };
	bool have_crc = false, ended = false;
	uint32_t want_crc = 0;

	if (data == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	*olen = 0;
	bool begun = false;
	while (!begun && next_line(buf, len, &pos, &line, &n))
		begun = line_is(line, n, ARMOR_BEGIN);
	if (!begun)
		return 0;
	/* Armor headers ("Version: ...", "Comment: ...") up to a blank line. */
	size_t save = pos;
	while (next_line(buf, len, &pos, &line, &n)) {
		if (n == 0)
			break;
		if (memchr(line, ':', n) == NULL) {
			pos = save; /* no headers and no blank line: the body starts here */
			break;
		}
		save = pos;
	}
	while (next_line(buf, len, &pos, &line, &n)) {
		if (line_is(line, n, ARMOR_END)) {
			ended = true;
			break;
		}
		if (have_crc)
			return bad(e, "text after the armor checksum");
		if (n == 5 && line[0] == '=') {
			uint8_t c[3];
			size_t cl = 0;
			struct b64 cs = { 0 };
			if (b64_feed(&cs, line + 1, 4, c, &cl, e) < 0 || cl != 3)
				return bad(e, "invalid armor checksum");
			want_crc = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
			have_crc = true;
			continue;
		}
		if (b64_feed(&st, line, n, data, olen, e) < 0)
			return -1;
	}
	if (!ended)
		return bad(e, "no complete \"" ARMOR_BEGIN "\" block");
	if (have_crc && crc24(data, *olen) != want_crc)
		return bad(e, "the armor checksum does not match");
	*at = pos;
	*out = TAKE_PTR(data);
	return 1;
}

/* The ID as Podman shows it, sanitised, into dst. */
static void take_uid(const uint8_t *p, size_t n, char *dst)
{
	const uint8_t *lt = memchr(p, '<', n), *gt = memchr(p, '>', n);
	size_t k = 0;

	if (lt != NULL && gt != NULL) {
		const uint8_t *end;
		n -= (size_t)(lt + 1 - p);
		p = lt + 1;
		end = memchr(p, '>', n);
		if (end != NULL)
			n = (size_t)(end - p);
	}
	for (size_t i = 0; i < n && k < PGPUID_LEN_MAX; i++)
		dst[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[k] = '\0';
}

/* The primary key's fingerprint from its packet body (see pgpuid.h), into out->fpr; nothing
 * for a version without one berth knows, or a v4 body too long for its two-octet length. */
static void take_fpr(const uint8_t *body, size_t n, struct pgp_uids *out)
{
	uint8_t pre[5], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t pn;
	const EVP_MD *alg;
	EVP_MD_CTX *ctx;
	bool ok;

	if (n == 0 || out->n_fpr == PGPFPR_MAX)
		return;
	if (body[0] == 4 && n <= 0xffff) {
		pre[0] = 0x99;
		pre[1] = (uint8_t)(n >> 8);
		pre[2] = (uint8_t)n;
		pn = 3;
		alg = EVP_sha1();
	} else if ((body[0] == 5 || body[0] == 6) && n <= 0xffffffffu) {
		pre[0] = body[0] == 5 ? 0x9a : 0x9b;
		pre[1] = (uint8_t)(n >> 24);
		pre[2] = (uint8_t)(n >> 16);
		pre[3] = (uint8_t)(n >> 8);
		pre[4] = (uint8_t)n;
		pn = 5;
		alg = EVP_sha256();
	} else {
		return;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, alg, NULL) == 1 &&
	     EVP_DigestUpdate(ctx, pre, pn) == 1 && EVP_DigestUpdate(ctx, body, n) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen * 2 <= PGPFPR_LEN_MAX;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return; /* no fingerprint: that key can accept nothing (fail closed) */
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out->fpr[out->n_fpr] + 2 * i, 3, "%02X", md[i]);
	out->n_fpr++;
}

static int walk_packets(const uint8_t *p, size_t len, struct pgp_uids *out, struct berr *e)
{
	size_t pos = 0;
	bool first = true;

	if (len == 0)
		return bad(e, "empty");
	while (pos < len) {
		uint8_t h = p[pos++];
		unsigned tag;
		uint64_t plen;

		if (!(h & 0x80))
			return bad(e, "not an OpenPGP packet");
		if (h & 0x40) {
			tag = h & 0x3f;
			if (pos >= len)
				return bad(e, "truncated packet header");
			uint8_t l1 = p[pos++];
			if (l1 < 192) {
				plen = l1;
			} else if (l1 < 224) {
				if (pos >= len)
					return bad(e, "truncated packet header");
				plen = ((uint64_t)(l1 - 192) << 8) + p[pos++] + 192;
			} else if (l1 == 255) {
				if (len - pos < 4)
					return bad(e, "truncated packet header");
				plen = (uint64_t)p[pos] << 24 | (uint64_t)p[pos + 1] << 16 |
				       (uint64_t)p[pos + 2] << 8 | p[pos + 3];
				pos += 4;
			} else {
				return bad(e, "partial body lengths are not allowed in a key");
			}
		} else {
			unsigned lt = h & 3, nb = lt == 0 ? 1 : lt == 1 ? 2 : lt == 2 ? 4 : 0;
			tag = (h >> 2) & 0xf;
			if (len - pos < nb)
				return bad(e, "truncated packet header");
			plen = nb == 0 ? len - pos : 0;
			for (unsigned i = 0; i < nb; i++)
				plen = plen << 8 | p[pos++];
		}
		if (plen > len - pos)
			return bad(e, "a packet runs past the end of the key");
		if (first && tag != TAG_PUBLIC_KEY)
			return bad(e, "not a public key (the first packet is no public key packet)");
		first = false;
		if (tag == TAG_USER_ID && out->n < PGPUID_MAX)
			take_uid(p + pos, (size_t)plen, out->uid[out->n++]);
		if (tag == TAG_PUBLIC_KEY)
			take_fpr(p + pos, (size_t)plen, out);
		pos += (size_t)plen;
	}
	return 0;
}

int pgp_key_uids(const uint8_t *buf, size_t len, struct pgp_uids *out, struct berr *e)
{
	size_t skip = 0;

	memset(out, 0, sizeof(*out));
	if (len > PGPUID_INPUT_MAX)
		return bad(e, "larger than 1 MiB");
	while (skip < len && (buf[skip] == ' ' || buf[skip] == '\t' || buf[skip] == '\r' ||
			      buf[skip] == '\n'))
		skip++;
	if (len - skip >= strlen(ARMOR_BEGIN) &&
	    memcmp(buf + skip, ARMOR_BEGIN, strlen(ARMOR_BEGIN)) == 0) {
		/* Every block, as gpg --import reads them: key files are often several armored
		 * keys one after the other (cat a.asc b.asc). */
		size_t at = 0;
		int r;
		do {
			cleanup_free uint8_t *bin = NULL;
			size_t blen = 0;
			r = dearmor(buf, len, &at, &bin, &blen, e);
			if (r == 1 && walk_packets(bin, blen, out, e) < 0)
				return -1;
		} while (r == 1);
		return r;
	}
	return walk_packets(buf, len, out, e);
}
