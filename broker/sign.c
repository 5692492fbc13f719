#include "broker/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "broker/trustcmd.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/path.h"
#include "common/xio.h"
#include "ipc/msg.h"
#include "policy/registries_d.h"

#define SIGN_TIMEOUT_MS (120 * 1000)
/* As many as trustcheck reads (SIG_MAX there): a next index beyond it would never be read. */
#define SIGN_INDEX_MAX 64
#define SIGN_SIG_MAX (64 * 1024)

int sign_location(struct broker *b, const struct image_ref *ref, const char *directory,
		  char dir[PATH_MAX], struct berr *e)
{
	struct regd *r;
	const char *base;
	char name[REF_STR_MAX];
	int rc = -1;

	if (directory != NULL) {
		if (!path_is_clean_abs(directory))
			return berr_set(e, BERR_INVALID, 0, "--directory %.200s is not a clean "
					"absolute path", directory);
		snprintf(dir, PATH_MAX, "%s", directory);
		return 0;
	}
	r = trust_load_regd(b, NULL, e);
	if (r == NULL)
		return -1;
	ref_format_name(ref, name, sizeof(name));
	base = regd_lookaside(r, ref, true);
	if (base == NULL) {
		berr_set(e, BERR_NOTFOUND, 0, "cannot sign %s: registries.d names no lookaside or "
			 "lookaside-staging location for it to write signatures to", name);
	} else if (strncmp(base, "file://", 7) != 0 || base[7] != '/') {
		berr_set(e, BERR_UNSUPPORTED, 0, "cannot sign %s: signatures can be written to "
			 "file:// lookaside locations only, registries.d names %.200s", name, base);
	} else if (!path_is_clean_abs(base + 7) && strcmp(base + 7, "/") != 0) {
		berr_set(e, BERR_INVALID, 0, "cannot sign %s: the lookaside location %.200s is not "
			 "a clean absolute path", name, base);
	} else {
		snprintf(dir, PATH_MAX, "%s", base + 7);
		rc = 0;
	}
	regd_free(r);
	return rc;
}

struct wk *sign_spawn(struct broker *b, const char *gnupghome, struct berr *e)
{
	cleanup_close int fd = -1;
	struct stat st;
	struct wk *w;

	/* The frontend said where; the broker checks it is the user's own (the worker will run
	 * as the user and gpg will use the keys there): a hostile frontend could name another
	 * user's home only to be refused here, and rootful the broker's uid is the caller's. */
	if (gnupghome == NULL || !path_is_clean_abs(gnupghome))
		return berr_set(e, BERR_INVALID, 0, "the GnuPG home must be a clean absolute path "
				"(set GNUPGHOME)"), NULL;
	fd = open(gnupghome, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "the GnuPG home %s (set GNUPGHOME to the directory with your "
				"keys)", gnupghome), NULL;
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "fstat %s", gnupghome), NULL;
	if (st.st_uid != geteuid())
		return berr_set(e, BERR_DENIED, 0, "the GnuPG home %s is not owned by you",
				gnupghome), NULL;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return berr_set(e, BERR_DENIED, 0, "the GnuPG home %s is writable by other users",
				gnupghome), NULL;
	w = wk_spawn_fds(b, "sign", (char *[]){ (char *)"--gnupghome", (char *)gnupghome, NULL },
			 &fd, 1, e);
	return w;
}

int sign_check_fingerprint(const char *fpr, struct berr *e)
{
	size_t n = fpr != NULL ? strlen(fpr) : 0;

	if (n < 16 || n > 40 || strspn(fpr, "0123456789abcdefABCDEF") != n)
		return berr_set(e, BERR_INVALID, 0, "--sign-by %.128s is not a key fingerprint (16 "
				"to 40 hexadecimal digits)", fpr != NULL ? fpr : "");
	return 0;
}

int sign_payload(const char *reference, const char *digest, char **out, size_t *len,
		 struct berr *e)
{
	json_t *doc;
	char creator[64];

	/* The layout containers/image writes (signature/simple.go): the same keys, so every
	 * reader of simple signing accepts it. */
	snprintf(creator, sizeof(creator), "berth %s", BERTH_VERSION);
	doc = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:{s:s,s:I}}",
			"critical",
			"identity", "docker-reference", reference,
			"image", "docker-manifest-digest", digest,
			"type", "atomic container signature",
			"optional", "creator", creator, "timestamp", (json_int_t)time(NULL));
	if (doc == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "making the signature payload");
	*out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (*out == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "making the signature payload");
	*len = strlen(*out);
	return 0;
}

int sign_gpg(struct broker *b, struct wk *w, const char *reference, const char *digest,
	     const char *fpr, const char *passphrase, struct ipc_bin *sig, struct berr *e)
{
	cleanup_free char *payload = NULL;
	struct msg_s_gpg_sign req = { 0 };
	struct msg_s_gpg_sign_reply rep = { 0 };
	size_t len;

	memset(sig, 0, sizeof(*sig));
	if (sign_check_fingerprint(fpr, e) < 0 ||
	    sign_payload(reference, digest, &payload, &len, e) < 0)
		return -1;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = len;
	req.fingerprint = (char *)fpr;
	req.passphrase = (char *)passphrase;
	if (wk_call(b, w, MSG_S_GPG_SIGN, &req, NULL, 0, SIGN_TIMEOUT_MS, MSG_S_GPG_SIGN_REPLY,
		    &rep, NULL, e) < 0)
		return -1;
	/* The signature is the worker's word and is stored as it is; the broker checks only that
	 * there is one of a sane size (the schema bounds it too). */
	if (rep.signature.len == 0 || rep.signature.len > SIGN_SIG_MAX) {
		ipc_struct_free(&msg_s_gpg_sign_reply_schema, &rep);
		return berr_set(e, BERR_WORKER, 0, "berth-sign returned no usable signature");
	}
	*sig = rep.signature;
	rep.signature.data = NULL;
	rep.signature.len = 0;
	ipc_struct_free(&msg_s_gpg_sign_reply_schema, &rep);
	return 0;
}

int sign_store(const char *dir, const struct image_ref *ref, const char *digest,
	       const struct ipc_bin *sig, unsigned *index, struct berr *e)
{
	char base[PATH_MAX + 8], path[PATH_MAX + REF_STR_MAX + 200], tmp[sizeof(path) + 32];
	char *slash;
	cleanup_close int fd = -1;
	mode_t old;
	int r;

	snprintf(base, sizeof(base), "file://%s", dir);
	if (regd_signature_url(base, ref, digest, 1, path, sizeof(path), e) < 0)
		return -1;
	/* The image's directory: everything before "/signature-1". */
	slash = strrchr(path + 7, '/');
	*slash = '\0';
	/* containers/image makes these 0755 whatever the broker's own umask. */
	old = umask(022);
	r = mkdir_p(path + 7, 0755, e);
	umask(old);
	if (r < 0)
		return berr_wrap(e, "storing the signature");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.signature-XXXXXX", path + 7) >= sizeof(tmp))
		return berr_set(e, BERR_INVALID, 0, "signature path too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return berr_sys(e, "creating a signature file in %s", path + 7);
	if (xwrite_all(fd, sig->data, sig->len, e) < 0) {
		unlink(tmp);
		return berr_wrap(e, "writing %s", tmp);
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		berr_sys(e, "writing %s", tmp);
		unlink(tmp);
		return -1;
	}
	for (unsigned i = 1; i <= SIGN_INDEX_MAX; i++) {
		char name[sizeof(path)];

		if (regd_signature_url(base, ref, digest, i, name, sizeof(name), e) < 0)
			break;
		/* link, not rename: it fails on an existing name instead of replacing it. */
		if (link(tmp, name + 7) == 0) {
			unlink(tmp);
			*index = i;
			return 0;
		}
		if (errno != EEXIST) {
			berr_sys(e, "storing the signature as %s", name + 7);
			break;
		}
		if (i == SIGN_INDEX_MAX)
			berr_set(e, BERR_INVALID, 0, "%s already holds %d signatures for %s",
				 path + 7, SIGN_INDEX_MAX, digest);
	}
	unlink(tmp);
	return -1;
}
