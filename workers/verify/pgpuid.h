/* berth-verify: the user IDs of an OpenPGP public key file, for `image trust show` (Podman
 * shows them, from `gpg --with-colons`, in its ID column). Key files are named by the trusted
 * policy, but they are still OpenPGP, which the broker never parses (DESIGN.md).
 *
 * Input: a transferable public key or a keyring of them (RFC 4880 section 11.1), binary or
 * ASCII-armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----", optional armor headers, base64, an
 * optional "=XXXX" CRC-24 that must match when present, "-----END PGP PUBLIC KEY BLOCK-----"),
 * one armor block or several one after the other (text between them is skipped, as gpg does).
 * Packets are only walked, never interpreted, except for their tags: the first must be a
 * public key (tag 6), and each User ID packet (tag 13) gives one ID. Old and new packet
 * formats; partial body lengths (not allowed in keys) are refused, as is a packet running
 * past the end.
 *
 * Each ID is reported as Podman reports it: the text between the first "<" and the next ">"
 * when the ID has both (the e-mail address), else the whole ID. Bytes outside printable ASCII
 * become "?" (the ID reaches a terminal). At most PGPUID_MAX IDs (the first ones) of at most
 * PGPUID_LEN_MAX bytes each (longer ones are cut).
 *
 * The primary key fingerprint of each public key packet (tag 6) is reported too, so the broker
 * can check that a key berth-verify says made a signature is one the policy names (RFC 4880
 * 12.2 for v4: SHA-1 of 0x99, a two-octet length and the packet body; the crypto-refresh for
 * v5 and v6: SHA-256 of 0x9A or 0x9B, a four-octet length and the body), in upper-case hex as
 * gpg prints it, at most PGPFPR_MAX per input (the first ones); other versions get none.
 *
 * PURE: (buf, len) in, a struct out (hashing with libcrypto, no syscalls). Errors are
 * BERR_INVALID, "OpenPGP key: ...", never quoting the input. */
#ifndef BERTH_WORKERS_VERIFY_PGPUID_H
#define BERTH_WORKERS_VERIFY_PGPUID_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define PGPUID_MAX 16
#define PGPUID_LEN_MAX 256
#define PGPUID_INPUT_MAX (1024 * 1024)
#define PGPFPR_MAX 8
#define PGPFPR_LEN_MAX 64

struct pgp_uids {
	size_t n;
	char uid[PGPUID_MAX][PGPUID_LEN_MAX + 1];
	size_t n_fpr;
	char fpr[PGPFPR_MAX][PGPFPR_LEN_MAX + 1];
};

/* Fills *out (zeroed first) with the IDs of the key(s) in buf. 0, or -1 with *e set. */
int pgp_key_uids(const uint8_t *buf, size_t len, struct pgp_uids *out, struct berr *e);

#endif
