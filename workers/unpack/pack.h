/* Archive writing for `berth save`: berth-unpack, spawned without a layer directory, writes one
 * tar archive (ustar, pax only where ustar cannot say it) into the output fd the broker passed
 * on from the frontend. The broker chooses every entry (name, mode, size, expected digest) from
 * its store; this side only copies bytes, which is where the untrusted part lies: a layer blob
 * is decompressed here (gzip, zstd or plain tar, sniffed by libarchive), since docker-archive
 * holds uncompressed layers, and those bytes were authored by whoever built the image.
 *
 * Each file entry is checked while it is written: exactly `size` bytes (a stream that runs
 * longer is cut off at once, so a decompression bomb costs nothing), and, when the broker gave
 * one, the SHA-256 of those bytes must be `digest` (the diff_id of a decompressed layer, the
 * blob digest of a copied one). Any failure abandons the archive: the session is freed, later
 * requests are refused, and the broker fails the save. Nothing here parses what it copies
 * beyond decompression; no path is opened (Landlock grants none in this mode).
 *
 * Protocol (ipc/msg.h): MSG_U_PACK once (fds[0] = output), then MSG_U_PACK_ENTRY per entry,
 * the last one of kind PACK_END; each is answered by MSG_U_PACK_REPLY. */
#ifndef BERTH_WORKERS_UNPACK_PACK_H
#define BERTH_WORKERS_UNPACK_PACK_H

#include <stdbool.h>

#include "common/err.h"
#include "ipc/channel.h"

struct pack_session;

/* Where the worker keeps its one archive (in its role state). */
struct pack_slot {
	struct pack_session *session; /* owned: the archive being written, NULL before and after */
	bool begun;                   /* MSG_U_PACK has arrived: a second one is a violation */
};

/* Handles MSG_U_PACK: takes fds[0] as the output and starts the archive. */
int pack_handle_begin(struct pack_slot *slot, struct ipc_chan *ch, struct ipc_msg *m,
		      struct berr *e);
/* Handles MSG_U_PACK_ENTRY: writes one entry (or ends the archive) and replies. */
int pack_handle_entry(struct pack_slot *slot, struct ipc_chan *ch, struct ipc_msg *m,
		      struct berr *e);

/* True if name may be an entry name: relative, at most 255 bytes, components of
 * [A-Za-z0-9._-] separated by single '/', none empty, "." or "..". Pure. */
bool pack_name_valid(const char *name);

#endif
