/* From what the user typed to where to pull it from: reference parsing, short-name resolution
 * and registry rewriting by registries.conf (trusted configuration), TLS settings, and the
 * registry's CA and client certificates from certs.d. */
#ifndef BERTH_BROKER_RESOLVE_H
#define BERTH_BROKER_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "common/err.h"

#define PULL_MAX_SOURCES 16

struct pull_source {
	char name[600];        /* what the image is called once stored: "host/repo:tag" */
	char registry[256];    /* host[:port] to contact (location or mirror) */
	char repository[512];  /* repository on that registry */
	char reference[140];   /* tag or "sha256:<hex>" */
	bool by_digest;
	bool tls_verify;
};

/* Candidates in the order to try them. tls is enum tri from the command line. */
int resolve_pull(struct broker *b, const char *input, uint64_t tls, struct pull_source *out,
		 size_t max, size_t *n, struct berr *e);

/* Whether to verify TLS for a registry named alone (login): --tls-verify when given (tls, enum
 * tri), else not for a registry registries.conf marks insecure = true. */
int resolve_registry_tls(struct broker *b, const char *registry, uint64_t tls, bool *verify,
			 struct berr *e);

/* The TLS material certs.d holds for one registry, each a sealed memfd. */
struct registry_certs {
	int ca_fd;     /* owned, -1 none: the CA certificates (*.crt), concatenated */
	int cert_fd;   /* owned, -1 none: the client certificate (NAME.cert), set with key_fd */
	int key_fd;    /* owned, -1 none: its private key (NAME.key); a secret, never logged */
};

/* Fills *out for the registry from cert_dir when given (--cert-dir), else from
 * certs.d/<registry>/ in the user's (rootless) and the system's directories: every *.crt as a
 * CA, and the first client certificate pair found (see broker/certsd.h; a *.cert without its
 * *.key, or the reverse, is an error naming the file). Returns 0 (every fd -1 when there is
 * nothing), or -1 with *e set and nothing open. */
int resolve_certs(struct broker *b, const char *registry, const char *cert_dir,
		  struct registry_certs *out, struct berr *e);
/* Closes what *c holds; every fd becomes -1. */
void resolve_certs_close(struct registry_certs *c);

#endif
