/* One IPC channel over a SOCK_SEQPACKET socket. See channel.h for the checks on receive; the
 * comments here say why each is there. */
#include "ipc/channel.h"

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "ipc/codec.h"

struct ipc_chan {
	int fd;         /* owned: the SOCK_SEQPACKET socket */
	size_t max_msg; /* largest packet accepted or sent */
	char peer[64];  /* the other end's name, for messages */
};

/* Room for exactly IPC_MAX_FDS descriptors: more make the kernel set MSG_CTRUNC. */
union fd_cmsg_buf {
	char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	struct cmsghdr align;
};

static const char *const envelope_keys[] = { "type", "id", NULL };

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0) {
			int saved = errno;

			close(fds[i]);
			errno = saved;
			fds[i] = -1;
		}
	}
}

struct ipc_chan *ipc_chan_new(int fd, size_t max_msg, const char *peer, struct berr *e)
{
	cleanup_close int owned = fd;
	struct ipc_chan *ch;
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (fd < 0 || max_msg == 0) {
		berr_set(e, BERR_INTERNAL, 0, "ipc_chan_new: bad fd or size");
		return NULL;
	}
	/* The framing relies on one message per packet: on a stream socket the size peek
	 * (MSG_TRUNC) would discard data and messages could be split or merged. */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
		berr_sys(e, "channel to %s", peer != NULL ? peer : "peer");
		return NULL;
	}
	if (type != SOCK_SEQPACKET) {
		berr_set(e, BERR_INTERNAL, 0, "channel to %s is not a SOCK_SEQPACKET socket",
			 peer != NULL ? peer : "peer");
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		return NULL;
	}
	ch->fd = TAKE_FD(owned);
	ch->max_msg = max_msg;
	snprintf(ch->peer, sizeof(ch->peer), "%s", peer != NULL ? peer : "peer");
	return ch;
}

void ipc_chan_free(struct ipc_chan *ch)
{
	if (ch == NULL)
		return;
	if (ch->fd >= 0)
		close(ch->fd);
	free(ch);
}

int ipc_chan_fd(const struct ipc_chan *ch)
{
	return ch->fd;
}

const char *ipc_chan_peer(const struct ipc_chan *ch)
{
	return ch->peer;
}

/* ---------------------------------------------------------------- messages */

void ipc_msg_free(struct ipc_msg *m)
{
	if (m == NULL)
		return;
	/* An fd no handler took is closed here, so a refused or ignored message cannot leak
	 * the peer's descriptors into this process for good. */
	close_fds(m->fds, m->nfds);
	if (m->def != NULL)
		ipc_struct_free(m->def->schema, m->body);
	free(m->body);
	free(m);
}

int ipc_msg_encode(uint32_t type, uint64_t id, const void *body, uint8_t **buf, size_t *len,
		   struct berr *e)
{
	const struct ipc_msgdef *def = ipc_msgdef(type);
	const uint64_t vals[] = { type, id };
	struct ipc_enc *enc;
	const uint8_t *data;
	size_t n;
	uint8_t *out;

	*buf = NULL;
	*len = 0;
	if (def == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "cannot encode unknown message type %" PRIu32,
				type);
	if (body == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "cannot encode %s: no body", def->name);
	enc = ipc_enc_new();
	if (enc == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	if (ipc_enc_struct(enc, def->schema, body, envelope_keys, vals, ARRAY_SIZE(vals), e) < 0) {
		ipc_enc_free(enc);
		return -1;
	}
	data = ipc_enc_data(enc, &n);
	out = malloc(n);
	if (out == NULL) {
		ipc_enc_free(enc);
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	memcpy(out, data, n);
	ipc_enc_free(enc);
	*buf = out;
	*len = n;
	return 0;
}

int ipc_msg_decode(const uint8_t *buf, size_t len, int *fds, size_t nfds, struct ipc_msg **out,
		   struct berr *e)
{
	const struct ipc_msgdef *def;
	struct ipc_msg *m;
	uint64_t type, id;

	*out = NULL;
	if (nfds > 0 && fds == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "ipc_msg_decode: fds missing");
	if (nfds > IPC_MAX_FDS) {
		close_fds(fds, nfds);
		return berr_set(e, BERR_PROTOCOL, 0, "message carries %zu fds, more than %d",
				nfds, IPC_MAX_FDS);
	}
	/* The raw pass first: ipc_peek_uint and msgpack-c may only see well-formed bytes. */
	if (ipc_prevalidate(buf, len, IPC_MAX_DEPTH, e) < 0 ||
	    ipc_peek_uint(buf, len, "type", &type, e) < 0 ||
	    ipc_peek_uint(buf, len, "id", &id, e) < 0)
		goto fail;
	if (type > UINT32_MAX) {
		berr_set(e, BERR_PROTOCOL, 0, "unknown message type %" PRIu64, type);
		goto fail;
	}
	def = ipc_msgdef((uint32_t)type);
	if (def == NULL) {
		berr_set(e, BERR_PROTOCOL, 0, "unknown message type %" PRIu64, type);
		goto fail;
	}
	/* The fd count is part of the type: a descriptor on a message that carries none could
	 * be anything (a directory fd into the host, a socket), so it is a violation, not
	 * something to ignore. */
	if (nfds < def->min_fds || nfds > def->max_fds) {
		if (def->min_fds == def->max_fds)
			berr_set(e, BERR_PROTOCOL, 0, "message %s carries %zu fds, not %u", def->name,
				 nfds, (unsigned)def->max_fds);
		else
			berr_set(e, BERR_PROTOCOL, 0, "message %s carries %zu fds, not %u to %u",
				 def->name, nfds, (unsigned)def->min_fds, (unsigned)def->max_fds);
		goto fail;
	}

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < IPC_MAX_FDS; i++)
		m->fds[i] = -1;
	m->body = calloc(1, def->schema->size);
	if (m->body == NULL) {
		free(m);
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		goto fail;
	}
	if (ipc_decode_struct(def->schema, buf, len, envelope_keys, m->body, e) < 0) {
		free(m->body);
		free(m);
		goto fail;
	}
	m->type = (uint32_t)type;
	m->id = id;
	m->def = def;
	for (size_t i = 0; i < nfds; i++) {
		m->fds[i] = fds[i];
		fds[i] = -1; /* the message owns it now */
	}
	m->nfds = nfds;
	*out = m;
	return 0;

fail:
	close_fds(fds, nfds);
	return -1;
}

/* ---------------------------------------------------------------- send */

int ipc_send(struct ipc_chan *ch, uint32_t type, uint64_t id, const void *body, const int *fds,
	     size_t nfds, struct berr *e)
{
	const struct ipc_msgdef *def = ipc_msgdef(type);
	cleanup_free uint8_t *buf = NULL;
	union fd_cmsg_buf cbuf;
	struct iovec iov;
	struct msghdr mh;
	size_t len;
	ssize_t n;

	if (def == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "cannot send unknown message type %" PRIu32,
				type);
	/* The receiver refuses a wrong fd count; refusing here points at the bug instead. */
	if (nfds < def->min_fds || nfds > def->max_fds || nfds > IPC_MAX_FDS ||
	    (nfds > 0 && fds == NULL))
		return berr_set(e, BERR_INTERNAL, 0, "cannot send %s with %zu fds", def->name,
				nfds);
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return berr_set(e, BERR_INTERNAL, 0, "cannot send %s: fd %zu is invalid",
					def->name, i);
	if (ipc_msg_encode(type, id, body, &buf, &len, e) < 0)
		return berr_wrap(e, "sending to %s", ch->peer);
	if (len > ch->max_msg)
		return berr_set(e, BERR_INVALID, 0,
				"message %s to %s would be %zu bytes, more than the %zu allowed",
				def->name, ch->peer, len, ch->max_msg);

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* MSG_NOSIGNAL: a dead peer is an error to report, not a SIGPIPE to die of. */
	for (int waited = 0;;) {
		n = sendmsg(ch->fd, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		/* A non-blocking channel whose peer has not read the last packets yet (a reply in
		 * parts): wait for room, for a minute at most. */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && waited < 60000) {
			struct pollfd p = { .fd = ch->fd, .events = POLLOUT };
			if (poll(&p, 1, 1000) < 0 && errno != EINTR)
				return berr_sys(e, "sending %s to %s", def->name, ch->peer);
			waited += 1000;
			continue;
		}
		return berr_sys(e, "sending %s to %s", def->name, ch->peer);
	}
	/* A SEQPACKET send is all or nothing; anything else means the socket is not one. */
	if ((size_t)n != len)
		return berr_set(e, BERR_SYSTEM, EIO, "sending %s to %s: short send (%zd of %zu)",
				def->name, ch->peer, n, len);
	return 0;
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	/* Back off continuation bytes (10xxxxxx), then the lead byte they belong to. */
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

int ipc_send_error(struct ipc_chan *ch, uint64_t id, const struct berr *err, struct berr *e)
{
	char text[IPC_TEXT_MAX + 1];
	struct msg_error body;
	size_t n;

	if (err == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "ipc_send_error: no error");
	/* Clamped to the schema's limits so a strange code still reaches the peer as an error
	 * rather than failing to encode. */
	body.code = (err->code > 0 && err->code <= 255) ? (uint64_t)err->code : BERR_INTERNAL;
	body.sys_errno = (err->sys_errno > 0 && err->sys_errno <= 4095) ?
			 (uint64_t)err->sys_errno : 0;
	n = utf8_cut(err->msg, strnlen(err->msg, sizeof(err->msg)), IPC_TEXT_MAX);
	memcpy(text, err->msg, n);
	text[n] = '\0';
	body.message = text;
	return ipc_send(ch, MSG_ERROR, id, &body, NULL, 0, e);
}

/* ---------------------------------------------------------------- receive */

/* Collects the fds of every SCM_RIGHTS control message into fds (at most IPC_MAX_FDS) and
 * checks each header. Every descriptor received is either returned or closed, even when the
 * control data is refused, so a violation cannot leave the peer's fds open here. */
static int collect_fds(struct msghdr *mh, int *fds, size_t *nfds, const char *peer,
		       struct berr *e)
{
	bool bad = false;
	const char *why = NULL;

	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t n;
		const unsigned char *p;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			/* e.g. SCM_CREDENTIALS: nothing here asked for it. */
			bad = true;
			why = "an unexpected control message";
			continue;
		}
		if (c->cmsg_len < CMSG_LEN(0) ||
		    (c->cmsg_len - CMSG_LEN(0)) % sizeof(int) != 0) {
			/* Its fds cannot be located, so none are read; the kernel builds these
			 * headers, so this is a defence that should never fire. */
			bad = true;
			why = "a malformed control message";
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (*nfds < IPC_MAX_FDS) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				bad = true;
				why = "too many fds";
			}
		}
	}
	if (bad) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return berr_set(e, BERR_PROTOCOL, 0, "message from %s carries %s", peer, why);
	}
	return 0;
}

int ipc_recv(struct ipc_chan *ch, struct ipc_msg **out, struct berr *e)
{
	cleanup_free uint8_t *buf = NULL;
	union fd_cmsg_buf cbuf;
	int fds[IPC_MAX_FDS];
	size_t nfds = 0;
	struct iovec iov;
	struct msghdr mh;
	ssize_t size, n;
	char dummy;

	*out = NULL;
	/* Learn the packet's size without taking it: MSG_TRUNC makes a SEQPACKET recvmsg return
	 * the full length. The size is checked before anything is allocated for it. recvmsg
	 * rather than recv, so a sandboxed process needs only recvmsg and sendmsg. */
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &dummy;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	do {
		size = recvmsg(ch->fd, &mh, MSG_PEEK | MSG_TRUNC);
	} while (size < 0 && errno == EINTR);
	if (size < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			errno = EAGAIN;
			return 2;
		}
		return berr_sys(e, "receiving from %s", ch->peer);
	}
	/* 0 is the end of the stream. A zero-length packet reads the same; no valid message
	 * is empty, so treating it as the end still ends the channel, as a violation would. */
	if (size == 0)
		return 1;
	if ((size_t)size > ch->max_msg)
		return berr_set(e, BERR_PROTOCOL, 0,
				"message from %s is %zd bytes, more than the %zu allowed", ch->peer,
				size, ch->max_msg);

	buf = malloc((size_t)size);
	if (buf == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = buf;
	iov.iov_len = (size_t)size;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	/* MSG_CMSG_CLOEXEC: a received fd must never leak into a process we exec later. */
	do {
		n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			errno = EAGAIN;
			return 2;
		}
		return berr_sys(e, "receiving from %s", ch->peer);
	}
	if (collect_fds(&mh, fds, &nfds, ch->peer, e) < 0)
		return -1;
	/* MSG_CTRUNC: more fds were sent than we have room for, and the kernel dropped some;
	 * MSG_TRUNC or a size change: the packet is not the one we measured. */
	if ((mh.msg_flags & MSG_CTRUNC) != 0) {
		close_fds(fds, nfds);
		return berr_set(e, BERR_PROTOCOL, 0,
				"message from %s carries more than %d fds", ch->peer, IPC_MAX_FDS);
	}
	if ((mh.msg_flags & MSG_TRUNC) != 0 || n != size) {
		close_fds(fds, nfds);
		return berr_set(e, BERR_PROTOCOL, 0, "message from %s changed size while read",
				ch->peer);
	}
	if (ipc_msg_decode(buf, (size_t)n, fds, nfds, out, e) < 0)
		return berr_wrap(e, "message from %s", ch->peer);
	return 0;
}
