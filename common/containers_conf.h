/* containers.conf(5): the [containers] and [engine] keys berth honours, merged over the files
 * in load order as Podman does (a key a later file sets replaces the earlier value, arrays
 * included; keys a file leaves out keep theirs). Pure: it takes parsed TOML trees
 * (common/toml.h) and never touches the file system; which files are read, and in which
 * order, is broker/ctrflags.c's.
 *
 * Keys read (others are ignored, as Podman ignores keys it does not know):
 *   [containers] env                   array of "KEY=value" (no '=' in KEY, KEY not empty)
 *                default_capabilities  array of capability names ("CHOWN", "CAP_CHOWN")
 *                seccomp_profile       string: path of a Docker-format profile ("" = default)
 *                pids_limit            integer >= 0 (0: no limit)
 *                init                  boolean
 *                init_path             string: absolute path
 *   [engine]     runtime               string: a runtime name or absolute path
 * A known key of the wrong type or value is an error "<file>:<line>: containers.env: ...",
 * and a file with one is not merged at all. */
#ifndef BERTH_COMMON_CONTAINERS_CONF_H
#define BERTH_COMMON_CONTAINERS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/toml.h"

#define CCONF_MAX_ENV 1024
#define CCONF_MAX_CAPS 64
#define CCONF_MAX_PATH 4096

/* The merged result. Strings and arrays are owned (free with cconf_free). */
struct cconf {
	char **env;            /* NULL-terminated; n_env entries */
	size_t n_env;
	bool env_set;
	char **caps;           /* default_capabilities, NULL-terminated */
	size_t n_caps;
	bool caps_set;         /* set, possibly to [] (no capability at all) */
	char *seccomp_profile; /* NULL or "": the default */
	int64_t pids_limit;
	bool pids_limit_set;
	bool init;
	bool init_set;
	char *init_path;       /* NULL or "": the default */
	char *runtime;         /* [engine] runtime; NULL or "": the default */
};

/* Merges one parsed file into c (path names it in messages). On error c is unchanged. */
int cconf_add(struct cconf *c, const struct toml_value *root, const char *path, struct berr *e);

/* toml_parse of buf[0..len) (path names it in messages), then cconf_add. */
int cconf_add_buf(struct cconf *c, const char *buf, size_t len, const char *path,
		  struct berr *e);

#define CCONF_MAX_FILES 3
/* The files to read, in order, into out[0..returned): $CONTAINERS_CONF alone when set
 * (override, non-empty); else /usr/share/containers/containers.conf,
 * /etc/containers/containers.conf, and for a rootless user
 * <config_home>/containers/containers.conf (config_home: $XDG_CONFIG_HOME or ~/.config; NULL
 * or "" for none). A path that does not fit is left out. */
size_t cconf_paths(const char *override, bool rootless, const char *config_home,
		   char out[CCONF_MAX_FILES][CCONF_MAX_PATH]);

/* Frees what c owns and zeroes it. */
void cconf_free(struct cconf *c);

#endif
