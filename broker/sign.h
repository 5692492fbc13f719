/* Simple-signing signatures (containers-signature(5)) made for `berth push --sign-by` and
 * `berth image sign`, and stored where containers/image stores them.
 *
 * The payload is JSON berth writes itself (trusted: the broker may make it); the signature is
 * made by berth-sign with the user's own key (workers/sign/main.c), and is an opaque blob here:
 * the broker checks its size and writes it, it never parses it. Storage: the lookaside layout
 * "<base>/<repository path>@sha256=<hex>/signature-<N>", N the first free index, base a file://
 * location (registries.d lookaside-staging, else lookaside) or --directory. Each file appears
 * whole or not at all: written to a temporary file, then linked to its name (link fails on an
 * existing name, so two signers never overwrite each other's signature-N). Directories are made
 * 0755 and files 0644, as containers/image does: signatures are public. */
#ifndef BERTH_BROKER_SIGN_H
#define BERTH_BROKER_SIGN_H

#include <limits.h>
#include <stddef.h>

#include "broker/broker.h"
#include "common/err.h"
#include "common/reference.h"
#include "ipc/codec.h"

/* Where ref's signatures are written: with directory (--directory, absolute) that directory,
 * else registries.d's write location for ref, which must be file:// (containers/image cannot
 * write to http(s) either). dir receives the filesystem path. Returns 0, or -1 with *e set:
 * BERR_NOTFOUND when nothing is configured (the message names registries.d). */
int sign_location(struct broker *b, const struct image_ref *ref, const char *directory,
		  char dir[PATH_MAX], struct berr *e);

/* Checks the user's GnuPG home (absolute, a directory owned by the broker's uid, which is the
 * user: root, or the user mapped to 0 in the rootless user namespace; not writable by others)
 * and starts berth-sign on it. Returns the worker (owned by the broker's list: wk_release), or
 * NULL with *e set. */
struct wk *sign_spawn(struct broker *b, const char *gnupghome, struct berr *e);
/* How long to wait for berth-sign to exit (wk_finish) when done with it: it ends the gpg-agent
 * it started on its way out, which a kill at broker exit would cut short. */
#define SIGN_FINISH_MS 5000

/* A key fingerprint as --sign-by takes it: 16 to 40 hexadecimal digits (berth-sign checks it
 * again). Returns 0, or -1 with BERR_INVALID. */
int sign_check_fingerprint(const char *fpr, struct berr *e);

/* The containers-signature(5) payload for reference (the destination as the user named it,
 * "host/repo:tag") and digest; *out owned by the caller (free). Returns 0 or -1. Pure apart from
 * reading the clock. */
int sign_payload(const char *reference, const char *digest, char **out, size_t *len,
		 struct berr *e);

/* Signs the payload for reference and digest with the key fpr in berth-sign w; passphrase may
 * be NULL. sig gets the signature (free sig->data). Returns 0 or -1 with the worker's error. */
int sign_gpg(struct broker *b, struct wk *w, const char *reference, const char *digest,
	     const char *fpr, const char *passphrase, struct ipc_bin *sig, struct berr *e);

/* Writes sig as the next free signature-N for ref and digest beneath dir (sign_location).
 * *index gets N. Returns 0 or -1 with *e set (nothing left behind). */
int sign_store(const char *dir, const struct image_ref *ref, const char *digest,
	       const struct ipc_bin *sig, unsigned *index, struct berr *e);

#endif
