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

#include "broker/certsd.h"
#include "broker/registries.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/reference.h"
#include "common/xio.h"

#define CERTS_MAX (1024 * 1024)
#define CLIENT_CERT_MAX (256 * 1024)
#define CLIENT_KEY_MAX (64 * 1024)
#define CERTSD_MAX_FILES 256

static int seal(int fd, const char *what, struct berr *e)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0)
		return berr_sys(e, "sealing the %s", what);
	return 0;
}

/* Appends the CA certificate name of dir to fd, counting against CERTS_MAX. */
static int add_ca(int fd, int dfd, const char *dir, const char *name, size_t *total,
		  struct berr *e)
{
	char *text = NULL;
	size_t tlen = 0;
	int r;

	if (xread_file_at(dfd, name, CERTS_MAX, &text, &tlen, e) < 0)
		return berr_wrap(e, "reading %s/%s", dir, name);
	*total += tlen + 1;
	if (*total > CERTS_MAX) {
		free(text);
		return berr_set(e, BERR_INVALID, 0, "the certificates in %s exceed 1 MiB", dir);
	}
	r = xwrite_all(fd, text, tlen, e);
	if (r == 0)
		r = xwrite_all(fd, "\n", 1, e);
	free(text);
	return r;
}

/* A sealed memfd holding the regular file name of dir, at most max bytes. The bytes pass
 * through a stack buffer that is wiped, never the heap: this is how a private key travels. */
static int copy_sealed(int dfd, const char *dir, const char *name, size_t max,
		       const char *memfd_name, struct berr *e)
{
	cleanup_close int in = -1;
	cleanup_close int out = -1;
	char buf[4096];
	size_t total = 0;
	struct stat st;
	ssize_t n;
	int rc = -1;

	/* O_NONBLOCK: a FIFO planted in certs.d must not hang the command; fstat refuses it. */
	in = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0 || fstat(in, &st) < 0)
		return berr_sys(e, "opening %s/%s", dir, name);
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "%s/%s is not a regular file", dir, name);
	out = memfd_create(memfd_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (out < 0)
		return berr_sys(e, "memfd_create");
	for (;;) {
		n = xread_all(in, buf, sizeof(buf), e);
		if (n < 0) {
			berr_wrap(e, "reading %s/%s", dir, name);
			goto out;
		}
		total += (size_t)n;
		if (total > max) {
			berr_set(e, BERR_INVALID, 0, "%s/%s is larger than %zu KiB", dir, name,
				 max / 1024);
			goto out;
		}
		if (n > 0 && xwrite_all(out, buf, (size_t)n, e) < 0)
			goto out;
		if ((size_t)n < sizeof(buf))
			break;
	}
	if (total == 0) {
		berr_set(e, BERR_INVALID, 0, "%s/%s is empty", dir, name);
		goto out;
	}
	if (seal(out, "client certificate", e) < 0)
		goto out;
	rc = TAKE_FD(out);
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* The client certificate base.cert and its key base.key of dir into c. */
static int add_client_pair(int dfd, const char *dir, const char *base,
			   struct registry_certs *c, struct berr *e)
{
	char name[300];

	snprintf(name, sizeof(name), "%s.cert", base);
	c->cert_fd = copy_sealed(dfd, dir, name, CLIENT_CERT_MAX, "berth-client-cert", e);
	if (c->cert_fd < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.key", base);
	c->key_fd = copy_sealed(dfd, dir, name, CLIENT_KEY_MAX, "berth-client-key", e);
	if (c->key_fd < 0) {
		close(c->cert_fd);
		c->cert_fd = -1;
		return -1;
	}
	log_debug("client certificate %s/%s.cert for this registry", dir, base);
	return 0;
}

/* The certs.d names of dir that matter (see certsd.h), in names[]; the count, or -1. */
static int list_certsd(DIR *d, const char *dir, char **names, size_t max, struct berr *e)
{
	struct dirent *de;
	size_t n = 0;

	while ((de = readdir(d)) != NULL) {
		if (certsd_kind_of(de->d_name) == CERTSD_OTHER)
			continue;
		if (n == max) {
			berr_set(e, BERR_INVALID, 0, "more than %zu certificate files in %s", max,
				 dir);
			goto fail;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			berr_sys(e, "allocating");
			goto fail;
		}
		n++;
	}
	return (int)n;
fail:
	while (n > 0)
		free(names[--n]);
	return -1;
}

/* Adds what dir holds: every *.crt to ca_fd, and the client certificate pair when c has none
 * yet (the first directory that has one wins, as the first certs.d directory found wins in
 * Podman). A *.cert without its *.key, or the reverse, is an error wherever it is. Returns
 * the number of files used, or -1. */
static int add_dir(int ca_fd, const char *dir, size_t *total, struct registry_certs *c,
		   struct berr *e)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	char base[256];
	int n, used = 0, r = -1;

	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 : berr_sys(e, "opening %s", dir);
	names = calloc(CERTSD_MAX_FILES, sizeof(*names));
	if (names == NULL) {
		closedir(d);
		return berr_sys(e, "allocating");
	}
	n = list_certsd(d, dir, names, CERTSD_MAX_FILES, e);
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (certsd_kind_of(names[i]) != CERTSD_CA)
			continue;
		if (add_ca(ca_fd, dirfd(d), dir, names[i], total, e) < 0)
			goto out;
		used++;
	}
	r = certsd_client_pair((const char *const *)names, (size_t)n, dir, base, sizeof(base), e);
	if (r < 0)
		goto out;
	if (r == 1 && c->cert_fd < 0) {
		if (add_client_pair(dirfd(d), dir, base, c, e) < 0) {
			r = -1;
			goto out;
		}
		used += 2;
	}
	r = used;
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

void resolve_certs_close(struct registry_certs *c)
{
	if (c->ca_fd >= 0)
		close(c->ca_fd);
	if (c->cert_fd >= 0)
		close(c->cert_fd);
	if (c->key_fd >= 0)
		close(c->key_fd);
	c->ca_fd = c->cert_fd = c->key_fd = -1;
}

int resolve_certs(struct broker *b, const char *registry, const char *cert_dir,
		  struct registry_certs *out, struct berr *e)
{
	static const char *const sys[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
	cleanup_close int fd = -1;
	struct registry_certs c = { .ca_fd = -1, .cert_fd = -1, .key_fd = -1 };
	char dirs[3][4400];
	size_t n = 0, total = 0;

	berr_clear(e);
	*out = c;
	/* The registry name becomes a path component: it must be a plain host[:port]. */
	if (!ref_domain_valid(registry, strlen(registry)) || strstr(registry, "..") != NULL)
		return berr_set(e, BERR_INVALID, 0, "invalid registry name %s", registry);
	/* In Podman's order, which decides whose client certificate wins. */
	if (cert_dir != NULL) {
		snprintf(dirs[n++], sizeof(dirs[0]), "%s", cert_dir);
	} else {
		if (b->cfg.rootless && b->cfg.config_home[0] != '\0')
			snprintf(dirs[n++], sizeof(dirs[0]), "%s/containers/certs.d/%s",
				 b->cfg.config_home, registry);
		for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
			snprintf(dirs[n++], sizeof(dirs[0]), "%s/%s", sys[i], registry);
	}
	fd = memfd_create("berth-certs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return berr_sys(e, "memfd_create");
	for (size_t i = 0; i < n; i++)
		if (add_dir(fd, dirs[i], &total, &c, e) < 0)
			goto fail;
	if (total > 0) {
		if (seal(fd, "certificates", e) < 0)
			goto fail;
		c.ca_fd = TAKE_FD(fd);
	}
	log_debug("certs.d for %s: %s CA certificates, %s client certificate", registry,
		  c.ca_fd >= 0 ? "extra" : "no extra", c.cert_fd >= 0 ? "a" : "no");
	*out = c;
	return 0;
fail:
	resolve_certs_close(&c);
	return -1;
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

int resolve_registry_tls(struct broker *b, const char *registry, uint64_t tls, bool *verify,
			 struct berr *e)
{
	struct image_ref ref = { 0 };
	struct registries *regs;
	struct registry_match m;
	int rc;

	if (tls != TRI_UNSET) {
		*verify = tls == TRI_TRUE;
		return 0;
	}
	/* The registry as a name with a placeholder path: [[registry]] prefixes that name the host
	 * (or a wildcard over it) match; prefixes naming a namespace do not, as in Podman. */
	if (snprintf(ref.domain, sizeof(ref.domain), "%s", registry) >= (int)sizeof(ref.domain))
		return berr_set(e, BERR_INVALID, 0, "invalid registry name %s", registry);
	snprintf(ref.path, sizeof(ref.path), "x");
	ref.has_domain_explicitly = true;
	regs = registries_load_conf(b->cfg.registries_conf[0] != '\0' ? b->cfg.registries_conf
								    : NULL,
				    b->cfg.rootless, b->cfg.home[0] != '\0' ? b->cfg.home : NULL, e);
	if (regs == NULL)
		return -1;
	rc = registries_find(regs, &ref, &m, e);
	if (rc >= 0)
		*verify = !(rc == 1 && m.primary.insecure);
	registries_free(regs);
	return rc < 0 ? -1 : 0;
}
