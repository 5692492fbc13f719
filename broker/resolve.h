/* From what the user typed to where to pull it from: reference parsing, short-name resolution
 * and registry rewriting by registries.conf (trusted configuration), TLS settings, and the
 * registry's extra CA certificates from certs.d. */
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

/* A sealed memfd holding the CA certificates (*.crt) for the registry: those of cert_dir when
 * given (--cert-dir), else of certs.d/<registry>/ in the user's and the system's directories;
 * -1 with e->code BERR_OK when there are none. */
int resolve_certs(struct broker *b, const char *registry, const char *cert_dir, struct berr *e);

#endif
