/* auth.json, the containers ecosystem's credential file (containers-auth.json(5)): trusted
 * configuration owned by the user, read and written by the broker only. Credentials read from it
 * are heap strings the caller wipes (OPENSSL_cleanse) and frees. */
#ifndef BERTH_BROKER_AUTH_H
#define BERTH_BROKER_AUTH_H

#include "common/err.h"

/* Credentials for repository on registry: the longest matching key among
 * "registry/repository...", "registry", "https://registry". 0 with *user NULL when the file
 * or an entry does not exist. */
int auth_lookup(const char *authfile, const char *registry, const char *repository, char **user,
		char **pass, struct berr *e);
/* Stores user:pass for registry (0600 file, 0700 directory, written atomically). */
int auth_store(const char *authfile, const char *registry, const char *user, const char *pass,
	       struct berr *e);
/* Removes registry's entry (or every entry when registry is NULL). BERR_NOTFOUND when there was
 * none. */
int auth_remove(const char *authfile, const char *registry, struct berr *e);

#endif
