#include "broker/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/path.h"
#include "common/xio.h"

#define AUTHFILE_MAX (1024 * 1024)

static json_t *load(const char *path, bool *missing, struct berr *e)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *root;

	*missing = false;
	if (xread_file_at(AT_FDCWD, path, AUTHFILE_MAX, &text, &len, e) < 0) {
		if (e->sys_errno == ENOENT) {
			*missing = true;
			berr_clear(e);
			return json_object();
		}
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	OPENSSL_cleanse(text, len);
	free(text);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return berr_set(e, BERR_INVALID, 0, "%s is not a valid auth file (line %d: %s)", path,
				je.line, je.text), NULL;
	}
	return root;
}

static int decode(const char *b64, char **user, char **pass, struct berr *e)
{
	size_t n = strlen(b64);
	unsigned char *out = malloc(n + 4);
	int len;

	if (out == NULL)
		return berr_sys(e, "allocating");
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0) {
		free(out);
		return berr_set(e, BERR_INVALID, 0, "an auth file entry is not valid base64");
	}
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	while (n > 0 && b64[n - 1] == '=' && len > 0) {
		n--;
		len--;
	}
	out[len] = '\0';
	char *colon = memchr(out, ':', (size_t)len);
	if (colon == NULL || memchr(out, '\0', (size_t)len) != NULL) {
		OPENSSL_cleanse(out, (size_t)len);
		free(out);
		return berr_set(e, BERR_INVALID, 0, "an auth file entry is not user:password");
	}
	*user = strndup((char *)out, (size_t)(colon - (char *)out));
	*pass = strdup(colon + 1);
	OPENSSL_cleanse(out, (size_t)len);
	free(out);
	if (*user == NULL || *pass == NULL)
		return berr_sys(e, "allocating");
	return 0;
}

int auth_lookup(const char *authfile, const char *registry, const char *repository, char **user,
		char **pass, struct berr *e)
{
	bool missing;
	json_t *root, *auths;
	const char *key, *best = NULL;
	json_t *val, *bestval = NULL;
	char full[1024];
	int rc = 0;

	*user = *pass = NULL;
	if (authfile == NULL)
		return 0;
	root = load(authfile, &missing, e);
	if (root == NULL)
		return -1;
	snprintf(full, sizeof(full), "%s/%s", registry, repository);
	auths = json_object_get(root, "auths");
	json_object_foreach(auths, key, val) {
		const char *k = strncmp(key, "https://", 8) == 0 ? key + 8 : key;
		size_t kl = strlen(k);
		bool match = strcmp(k, registry) == 0 ||
			     (strncmp(full, k, kl) == 0 && (full[kl] == '/' || full[kl] == '\0'));
		if (match && (best == NULL || kl > strlen(best))) {
			best = k;
			bestval = val;
		}
	}
	if (bestval != NULL) {
		const char *b64 = json_string_value(json_object_get(bestval, "auth"));
		if (b64 != NULL && b64[0] != '\0')
			rc = decode(b64, user, pass, e) < 0 ? berr_wrap(e, "%s", authfile) : 0;
	}
	json_decref(root);
	return rc;
}

static int save(const char *path, json_t *root, struct berr *e)
{
	char dir[4096];
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int rc;

	if (text == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "cannot encode the auth file");
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir_p(dirname(dir), 0700, e) < 0) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return -1;
	}
	rc = write_file_atomic(path, text, strlen(text), 0600, e);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return rc;
}

int auth_store(const char *authfile, const char *registry, const char *user, const char *pass,
	       struct berr *e)
{
	bool missing;
	json_t *root = load(authfile, &missing, e);
	size_t plain_len = strlen(user) + 1 + strlen(pass);
	char *plain = malloc(plain_len + 1);
	char *b64 = malloc(4 * ((plain_len + 2) / 3) + 1);
	int rc = -1;

	if (root == NULL || plain == NULL || b64 == NULL) {
		if (root != NULL)
			berr_sys(e, "allocating");
		goto out;
	}
	memcpy(plain, user, strlen(user));
	plain[strlen(user)] = ':';
	memcpy(plain + strlen(user) + 1, pass, strlen(pass) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)plain_len);
	json_t *auths = json_object_get(root, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(root, "auths", auths);
	}
	json_object_set_new(auths, registry, json_pack("{s:s}", "auth", b64));
	rc = save(authfile, root, e);
out:
	if (plain != NULL) {
		OPENSSL_cleanse(plain, plain_len);
		free(plain);
	}
	if (b64 != NULL) {
		OPENSSL_cleanse(b64, strlen(b64));
		free(b64);
	}
	json_decref(root);
	return rc;
}

int auth_remove(const char *authfile, const char *registry, struct berr *e)
{
	bool missing;
	json_t *root = load(authfile, &missing, e);
	json_t *auths;
	int rc;

	if (root == NULL)
		return -1;
	auths = json_object_get(root, "auths");
	if (registry == NULL) {
		json_object_set_new(root, "auths", json_object());
	} else {
		char legacy[300];
		snprintf(legacy, sizeof(legacy), "https://%s", registry);
		/* The plain key, and the https:// form Docker's older files use. */
		bool had = json_is_object(auths) && json_object_del(auths, registry) == 0;
		if (json_is_object(auths) && json_object_del(auths, legacy) == 0)
			had = true;
		if (!had) {
			json_decref(root);
			return berr_set(e, BERR_NOTFOUND, 0, "not logged into %s", registry);
		}
	}
	rc = missing ? 0 : save(authfile, root, e);
	json_decref(root);
	return rc;
}
