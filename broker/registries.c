/* Reading registries.conf and its drop-ins; the order and the reasons are in registries.h. The
 * files are trusted configuration, but they are still read with bounds: regular files only
 * (a FIFO would block the broker), at most TOML_MAX_INPUT bytes each, at most MAX_DROPINS per
 * directory. */
#include "broker/registries.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xio.h"

#define MAX_DROPINS 1024

static void registries_freep(struct registries **r)
{
	registries_free(*r);
}

#define cleanup_registries __attribute__((cleanup(registries_freep)))

/* Reads a whole configuration file. Returns 0, 1 when it does not exist (ENOENT: nothing
 * read), or -1 with *e set. *out is owned by the caller. */
static int read_conf(const char *path, char **out, size_t *len, struct berr *e)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return berr_sys(e, "open %s", path);
	}
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "%s is not a regular file", path);
	if (st.st_size > TOML_MAX_INPUT)
		return berr_set(e, BERR_INVALID, 0, "%s is larger than %d bytes", path,
				TOML_MAX_INPUT);
	buf = malloc(TOML_MAX_INPUT + 1);
	if (buf == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	/* Read one byte past the limit: a file that grew meanwhile is refused, not cut. */
	n = xread_all(fd, buf, TOML_MAX_INPUT + 1, e);
	if (n < 0)
		return berr_wrap(e, "reading %s", path);
	if (n > TOML_MAX_INPUT)
		return berr_set(e, BERR_INVALID, 0, "%s is larger than %d bytes", path,
				TOML_MAX_INPUT);
	*out = TAKE_PTR(buf);
	*len = (size_t)n;
	return 0;
}

/* Reads and merges one file. missing_ok: a file that does not exist is skipped (returns 1). */
static int add_file(struct registries *r, const char *path, bool is_main, bool missing_ok,
		    struct berr *e)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int rc;

	log_debug("Loading registries configuration \"%s\"", path);
	rc = read_conf(path, &buf, &len, e);
	if (rc == 1) {
		if (missing_ok)
			return 1;
		errno = ENOENT;
		berr_sys(e, "open %s", path);
		rc = -1;
	}
	if (rc == 0)
		rc = registries_add_buf(r, buf, len, path, is_main, e);
	if (rc < 0)
		return berr_wrap(e, is_main ? "loading registries configuration" :
				 "loading drop-in registries configuration");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "*.conf" entries of dir that are not directories, sorted by name, each merged in turn.
 * A missing directory is no error. */
static int add_dir(struct registries *r, const char *dir, struct berr *e)
{
	DIR *d;
	struct dirent *de;
	char *names[MAX_DROPINS];
	size_t n = 0;
	int rc = 0;

	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return berr_sys(e, "reading registries.conf.d: opendir %s", dir);
	}
	for (;;) {
		size_t l;
		struct stat st;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = berr_sys(e, "reading registries.conf.d: %s", dir);
			break;
		}
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		/* Sub-directories are not walked (and "x.conf/" is not a file). */
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode))
			continue;
		if (n == MAX_DROPINS) {
			rc = berr_set(e, BERR_INVALID, 0, "reading registries.conf.d: more than %d "
				      "files in %s", MAX_DROPINS, dir);
			break;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0)
		qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX];

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			rc = berr_set(e, BERR_INVALID, 0, "path too long: %s/%s", dir, names[i]);
			break;
		}
		/* A file removed between the listing and the open is an expected race. */
		if (add_file(r, path, false, true, e) < 0)
			rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rc;
}

static int join(char *out, size_t len, const char *a, const char *b, struct berr *e)
{
	if ((size_t)snprintf(out, len, "%s%s", a, b) >= len)
		return berr_set(e, BERR_INVALID, 0, "path too long: %s%s", a, b);
	return 0;
}

struct registries *registries_load_conf(const char *conf_override, bool rootless,
					const char *home, struct berr *e)
{
	cleanup_registries struct registries *r = NULL;
	char user_conf[PATH_MAX], user_dir[PATH_MAX], sources[3 * PATH_MAX + 8];
	const char *main_conf = REGISTRIES_SYSTEM_CONF;
	const char *sys_dir = REGISTRIES_SYSTEM_DIR;
	const char *usr_dir = NULL;
	bool have_user = rootless && home != NULL && home[0] == '/';
	bool override = conf_override != NULL && conf_override[0] != '\0';

	r = registries_new(e);
	if (r == NULL)
		return NULL;
	if (have_user) {
		if (join(user_conf, sizeof(user_conf), home, "/.config/containers/registries.conf",
			 e) < 0 ||
		    join(user_dir, sizeof(user_dir), home, "/.config/containers/registries.conf.d",
			 e) < 0)
			return NULL;
		usr_dir = user_dir;
	}
	if (override) {
		main_conf = conf_override;
	} else if (have_user && faccessat(AT_FDCWD, user_conf, F_OK, AT_EACCESS) == 0) {
		/* The user's own registries.conf replaces the system's, drop-ins included. */
		main_conf = user_conf;
		sys_dir = NULL;
	}
	snprintf(sources, sizeof(sources), "%s%s%s%s%s", main_conf, sys_dir ? ", " : "",
		 sys_dir ? sys_dir : "", usr_dir ? ", " : "", usr_dir ? usr_dir : "");
	if (registries_set_sources(r, sources, e) < 0)
		return NULL;
	/* Only the default system file may be missing; a file named on purpose must exist. */
	if (add_file(r, main_conf, true, !override, e) < 0)
		return NULL;
	if (sys_dir != NULL && add_dir(r, sys_dir, e) < 0)
		return NULL;
	if (usr_dir != NULL && add_dir(r, usr_dir, e) < 0)
		return NULL;
	return TAKE_PTR(r);
}

struct registries *registries_load(bool rootless, const char *home, const char *xdg_config_home,
				   struct berr *e)
{
	(void)xdg_config_home; /* registries.conf lives under $HOME/.config: see registries.h */
	return registries_load_conf(NULL, rootless, home, e);
}

struct registries *registries_load_files(const char *const *paths, size_t n, struct berr *e)
{
	cleanup_registries struct registries *r = NULL;

	r = registries_new(e);
	if (r == NULL)
		return NULL;
	if (n > 0 && registries_set_sources(r, paths[0], e) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (add_file(r, paths[i], i == 0, false, e) < 0)
			return NULL;
	return TAKE_PTR(r);
}
