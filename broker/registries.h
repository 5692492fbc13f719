/* Finding and reading registries.conf and its drop-ins, in Podman's order. What the files mean
 * (lookups, short-name resolution, registries_free) is common/registries_conf.h; this module
 * only reads files, so it lives in the broker, which is the process allowed to read the user's
 * and the system's configuration (trusted input, DESIGN.md).
 *
 * Order (containers/image pkg/sysregistriesv2 newConfigWrapper and tryUpdatingCache):
 *  1. the main file: $CONTAINERS_REGISTRIES_CONF when set (then it must exist); else, for a
 *     rootless user, $HOME/.config/containers/registries.conf if it exists; else
 *     /etc/containers/registries.conf (a missing one is an empty configuration);
 *  2. drop-ins, "*.conf" in each directory sorted by name (no recursion; other files and
 *     directories are skipped; a missing directory is fine): when the main file is the user's
 *     own, only $HOME/.config/containers/registries.conf.d; otherwise
 *     /etc/containers/registries.conf.d, then (rootless) $HOME/.config/containers/
 *     registries.conf.d.
 * Podman uses $HOME/.config here, not $XDG_CONFIG_HOME (containers/image userRegistriesFile is
 * relative to homedir.Get()), and berth does the same so a host set up for Podman reads the
 * same files. Podman also reads /root/.config/... when run as root; berth reads user files
 * only when rootless, so a rootful broker never trusts a file in a home directory.
 *
 * Environment: the caller (the frontend) reads CONTAINERS_REGISTRIES_CONF, falling back to
 * REGISTRIES_CONFIG_PATH as containers/image pkg/cli/environment does, and passes the value in
 * as conf_override. */
#ifndef BERTH_BROKER_REGISTRIES_H
#define BERTH_BROKER_REGISTRIES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/registries_conf.h"

#define REGISTRIES_SYSTEM_CONF "/etc/containers/registries.conf"
#define REGISTRIES_SYSTEM_DIR "/etc/containers/registries.conf.d"

/* Loads the configuration in the order above, without an override. home: the user's home
 * directory (used only when rootless; NULL or "" skips the user's files). xdg_config_home is
 * accepted for symmetry with containers.conf loading and deliberately unused (see above).
 * Returns a configuration to free with registries_free, or NULL with *e set; errors name the
 * file: "loading registries configuration: <path>:<line>: <message>". */
struct registries *registries_load(bool rootless, const char *home, const char *xdg_config_home,
				   struct berr *e);

/* The same with conf_override (NULL or "" for none) as the main file. */
struct registries *registries_load_conf(const char *conf_override, bool rootless,
					const char *home, struct berr *e);

/* Loads exactly these files, in order: paths[0] is the main file, the rest are drop-ins. Every
 * file must exist. For tests and tools. */
struct registries *registries_load_files(const char *const *paths, size_t n, struct berr *e);

#endif
