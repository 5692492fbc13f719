/* The public keys a signedBy or sigstoreSigned requirement names, handed to berth-verify as one
 * sealed memfd: keyData, or each key file in turn. Trusted configuration: read here as bytes,
 * never parsed (gpg or OpenSSL read them in berth-verify). */
#ifndef BERTH_BROKER_TRUSTKEYS_H
#define BERTH_BROKER_TRUSTKEYS_H

#include <stdbool.h>

#include "common/err.h"
#include "policy/trust.h"

#define TRUSTKEYS_MAX (4 * 1024 * 1024)

/* With newline_after, a newline follows each key file: PEM keys (sigstore) then cannot run
 * into the next file's "-----BEGIN" line; OpenPGP keys may be binary and get nothing added.
 * Returns the fd (owned by the caller), or -1 with *e set. */
int trustkeys_memfd(const struct trust_req *req, bool newline_after, struct berr *e);

#endif
