#include "broker/resolve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/registries.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/reference.h"
#include "common/xio.h"

#define CERTS_MAX (1024 * 1024)

/* Appends every *.crt of dir to fd. Returns the number of files added, or -1. */
static int add_certs(int fd, const char *dir, size_t *total, struct berr *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 : berr_sys(e, "opening %s", dir);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *text = NULL;
		size_t tlen = 0;
		if (len < 5 || strcmp(de->d_name + len - 4, ".crt") != 0)
			continue;
		if (xread_file_at(dirfd(d), de->d_name, CERTS_MAX, &text, &tlen, e) < 0) {
			closedir(d);
			return berr_wrap(e, "reading %s/%s", dir, de->d_name);
		}
		*total += tlen + 1;
		if (*total > CERTS_MAX) {
			free(text);
			closedir(d);
			return berr_set(e, BERR_INVALID, 0, "the certificates in %s exceed 1 MiB", dir);
		}
		int r = xwrite_all(fd, text, tlen, e);
		if (r == 0)
			r = xwrite_all(fd, "\n", 1, e);
		free(text);
		if (r < 0) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return n;
}

int resolve_certs(struct broker *b, const char *registry, const char *cert_dir, struct berr *e)
{
	cleanup_close int fd = -1;
	char dir[4400];
	size_t total = 0;
	int found = 0, r;

	berr_clear(e);
	/* The registry name becomes a path component: it must be a plain host[:port]. */
	if (!ref_domain_valid(registry, strlen(registry)) || strstr(registry, "..") != NULL)
		return berr_set(e, BERR_INVALID, 0, "invalid registry name %s", registry);
	fd = memfd_create("berth-certs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return berr_sys(e, "memfd_create");
	if (cert_dir != NULL) {
		r = add_certs(fd, cert_dir, &total, e);
		if (r < 0)
			return -1;
		found += r;
	} else {
		const char *const sys[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
		if (b->cfg.rootless && b->cfg.config_home[0] != '\0') {
			snprintf(dir, sizeof(dir), "%s/containers/certs.d/%s", b->cfg.config_home,
				 registry);
			if ((r = add_certs(fd, dir, &total, e)) < 0)
				return -1;
			found += r;
		}
		for (size_t i = 0; i < ARRAY_SIZE(sys); i++) {
			snprintf(dir, sizeof(dir), "%s/%s", sys[i], registry);
			if ((r = add_certs(fd, dir, &total, e)) < 0)
				return -1;
			found += r;
		}
	}
	if (found == 0)
		return -1;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0)
		return berr_sys(e, "sealing the certificates");
	log_debug("%d CA certificate file(s) for %s", found, registry);
	return TAKE_FD(fd);
}

static int add_source(const struct image_ref *user_name, const struct registry_endpoint *ep,
		      uint64_t tls, struct pull_source *out, size_t max, size_t *n, struct berr *e)
{
	struct pull_source *s;
	const struct image_ref *r = &ep->ref;

	if (*n == max)
		return 0;
	s = &out[*n];
	memset(s, 0, sizeof(*s));
	if (ref_format(user_name, s->name, sizeof(s->name)) < 0)
		return berr_set(e, BERR_INVALID, 0, "image name too long");
	/* Docker Hub's registry answers at registry-1.docker.io, as every client knows. */
	snprintf(s->registry, sizeof(s->registry), "%s",
		 strcmp(r->domain, "docker.io") == 0 ? "registry-1.docker.io" : r->domain);
	snprintf(s->repository, sizeof(s->repository), "%s", r->path);
	const char *reference = user_name->digest[0] != '\0' ? user_name->digest
				: user_name->tag[0] != '\0'  ? user_name->tag
							     : "latest";
	if (r->digest[0] != '\0')
		reference = r->digest;
	else if (r->tag[0] != '\0')
		reference = r->tag;
	snprintf(s->reference, sizeof(s->reference), "%s", reference);
	s->by_digest = strchr(s->reference, ':') != NULL;
	s->tls_verify = tls == TRI_TRUE ? true : tls == TRI_FALSE ? false : !ep->insecure;
	(*n)++;
	return 0;
}

int resolve_pull(struct broker *b, const char *input, uint64_t tls, struct pull_source *out,
		 size_t max, size_t *n, struct berr *e)
{
	struct image_ref ref;
	struct image_ref *cands = NULL;
	struct registries *regs = NULL;
	size_t nc = 0;
	char desc[1024] = "";
	int rc = -1;

	*n = 0;
	if (ref_parse(input, &ref, e) < 0)
		return -1;
	regs = registries_load_conf(b->cfg.registries_conf[0] != '\0' ? b->cfg.registries_conf
								    : NULL,
				    b->cfg.rootless, b->cfg.home[0] != '\0' ? b->cfg.home : NULL, e);
	if (regs == NULL)
		return -1;
	cands = calloc(REGISTRIES_MAX_SEARCH, sizeof(*cands));
	if (cands == NULL) {
		berr_sys(e, "allocating");
		goto out;
	}
	if (registries_resolve_short_desc(regs, &ref, cands, REGISTRIES_MAX_SEARCH, &nc, desc,
					  sizeof(desc), e) < 0)
		goto out;
	if (desc[0] != '\0')
		log_info("%s", desc);
	for (size_t i = 0; i < nc; i++) {
		struct registry_match m;
		char name[600];
		if (registries_find(regs, &cands[i], &m, e) < 0)
			goto out;
		if (m.blocked) {
			ref_format(&cands[i], name, sizeof(name));
			berr_set(e, BERR_DENIED, 0, "registry %s is blocked in %s", cands[i].domain,
				 registries_sources(regs)[0] != '\0' ? registries_sources(regs)
								     : "registries.conf");
			goto out;
		}
		for (size_t k = 0; k < m.n_mirrors; k++)
			if (add_source(&cands[i], &m.mirrors[k], tls, out, max, n, e) < 0)
				goto out;
		if (add_source(&cands[i], &m.primary, tls, out, max, n, e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(cands);
	registries_free(regs);
	return rc;
}
