/* A requirement's public keys in one sealed memfd; see trustkeys.h. */
#include "broker/trustkeys.h"

#include <fcntl.h>
#include <sys/mman.h>

#include "common/cleanup.h"
#include "common/xio.h"

int trustkeys_memfd(const struct trust_req *req, bool newline_after, struct berr *e)
{
	cleanup_close int fd = memfd_create("berth-keys", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t total = 0;

	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (req->key_source == TRUST_KEYS_DATA &&
	    xwrite_all(fd, req->key_data, req->key_data_len, e) < 0)
		return -1;
	for (size_t i = 0; i < req->n_key_paths; i++) {
		cleanup_free char *buf = NULL;
		size_t len = 0;

		if (xread_regular_file_at(AT_FDCWD, req->key_paths[i], TRUSTKEYS_MAX, &buf, &len,
					  NULL, e) < 0)
			return berr_wrap(e, "reading the public key %s", req->key_paths[i]);
		total += len + (newline_after ? 1 : 0);
		if (total > TRUSTKEYS_MAX)
			return berr_set(e, BERR_INVALID, 0, "the public keys of the policy are larger "
					"than %d bytes", TRUSTKEYS_MAX);
		if (xwrite_all(fd, buf, len, e) < 0 ||
		    (newline_after && xwrite_all(fd, "\n", 1, e) < 0))
			return -1;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return berr_sys(e, "sealing the public keys");
	return TAKE_FD(fd);
}
