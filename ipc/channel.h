/* One IPC channel: a SOCK_SEQPACKET socket, one message per packet.
 *
 * Receiving checks, before anything is allocated for the body: the packet fits the channel's
 * maximum (MSG_TRUNC is a violation: we peek the size first), no control data was cut
 * (MSG_CTRUNC), every control message is SOL_SOCKET/SCM_RIGHTS with a sane cmsg_len, and fds
 * arrive with MSG_CMSG_CLOEXEC. Then the envelope is decoded strictly, and an fd on a type that
 * carries none, or the wrong number of fds, is a violation (the fds are closed).
 *
 * Any violation is reported as BERR_PROTOCOL; the caller must then drop the channel (and, for a
 * worker, fail its job and kill it). */
#ifndef BERTH_IPC_CHANNEL_H
#define BERTH_IPC_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

struct ipc_chan;

/* A received, decoded message. Owns its body's heap members and its fds. */
struct ipc_msg {
	uint32_t type;
	uint64_t id;
	const struct ipc_msgdef *def;
	void *body;          /* owned: a struct of def->schema->size bytes */
	int fds[IPC_MAX_FDS];/* owned until taken (set to -1 by the taker) */
	size_t nfds;
};

/* Takes ownership of fd. peer names the other end in error messages ("berth-fetch"). */
struct ipc_chan *ipc_chan_new(int fd, size_t max_msg, const char *peer, struct berr *e);
/* Closes the fd and frees the channel. NULL is fine. */
void ipc_chan_free(struct ipc_chan *ch);
int ipc_chan_fd(const struct ipc_chan *ch);
const char *ipc_chan_peer(const struct ipc_chan *ch);

/* Sends one message. body must match ipc_msgdef(type)->schema; fds (nfds of them, not taken)
 * must fit the type's declared count. Returns 0 or -1. */
int ipc_send(struct ipc_chan *ch, uint32_t type, uint64_t id, const void *body, const int *fds,
	     size_t nfds, struct berr *e);
/* Sends MSG_ERROR carrying err's code, errno and message. */
int ipc_send_error(struct ipc_chan *ch, uint64_t id, const struct berr *err, struct berr *e);

/* Receives one message (blocking, unless the fd is non-blocking and nothing is there: then
 * returns 2 with errno EAGAIN). Returns 0 with *out set, 1 at end of stream (peer closed),
 * or -1 with *e set. */
int ipc_recv(struct ipc_chan *ch, struct ipc_msg **out, struct berr *e);

/* Decodes one packet's bytes and already-received fds into a message (fds are taken, and closed
 * on failure). The pure half of ipc_recv(), exposed for tests and the fuzzer. */
int ipc_msg_decode(const uint8_t *buf, size_t len, int *fds, size_t nfds, struct ipc_msg **out,
		   struct berr *e);

/* Frees a message, closing any fd not taken. NULL is fine. */
void ipc_msg_free(struct ipc_msg *m);

/* Encodes a message (envelope + body) into a heap buffer, for tests and for ipc_send. */
int ipc_msg_encode(uint32_t type, uint64_t id, const void *body, uint8_t **buf, size_t *len,
		   struct berr *e);

#define cleanup_ipc_msg __attribute__((cleanup(ipc_msg_freep)))
static inline void ipc_msg_freep(struct ipc_msg **m)
{
	ipc_msg_free(*m);
}

#endif
