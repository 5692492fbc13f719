/* What the files of one certs.d/<host:port>/ directory are, as containers-certs.d(5) and
 * Docker define them: *.crt are CA certificates, each *.cert is a client certificate that
 * comes with the *.key of the same base name (and each *.key with its *.cert); anything else
 * is ignored. Pure: names in, a verdict out, so it can be tested without files. */
#ifndef BERTH_BROKER_CERTSD_H
#define BERTH_BROKER_CERTSD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum certsd_kind {
	CERTSD_OTHER = 0,
	CERTSD_CA,          /* NAME.crt */
	CERTSD_CLIENT_CERT, /* NAME.cert */
	CERTSD_CLIENT_KEY,  /* NAME.key */
};

/* The kind of a file name; a bare suffix (".crt") or a hidden file is CERTSD_OTHER. */
enum certsd_kind certsd_kind_of(const char *name);

/* Checks the pairing of the n names of directory dir (for messages only) and picks the client
 * certificate to present: the first *.cert in byte order (libcurl presents one). Returns 1 with
 * its base name (without ".cert") in base, 0 when the directory holds no client certificate,
 * or -1 with *e (BERR_INVALID) naming the file whose partner is missing, as Podman does. */
int certsd_client_pair(const char *const *names, size_t n, const char *dir, char *base,
		       size_t len, struct berr *e);

#endif
