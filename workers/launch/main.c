/* berth-launch: starts the OCI runtime and stays as the container's monitor (the containers
 * issue). The runtime must be started before the monitor sandbox is entered, since the sandbox
 * (seccomp, no_new_privs) would be inherited by the runtime and the container. Today the only
 * runtime work is probing: the broker names the runtimes it found with --probe-runtime PATH,
 * launch runs `PATH --version` for each before the sandbox, then enters its monitor sandbox and
 * answers MSG_W_INFO with the results. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/common/worker.h"
#include "workers/launch/policy.h"
#include "workers/launch/probe.h"

#define LAUNCH_MAX_PROBES 8

struct launch_state {
	struct runtime_probe probes[LAUNCH_MAX_PROBES];
	size_t n_probes;
};

static int launch_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	struct launch_state *ls = worker_role_state(w);

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--probe-runtime") != 0 || i + 1 >= argc)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: unknown argument %s",
					argv[i]);
		if (ls->n_probes == LAUNCH_MAX_PROBES)
			return berr_set(e, BERR_INVALID, 0, "berth-launch: too many runtimes");
		if (runtime_probe(argv[++i], &ls->probes[ls->n_probes], e) < 0)
			return -1;
		ls->n_probes++;
	}
	return 0;
}

static int launch_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	struct launch_state *ls = worker_role_state(w);

	if (ls->n_probes == 0)
		return 0;
	st->runtimes = calloc(ls->n_probes, sizeof(*st->runtimes));
	if (st->runtimes == NULL)
		return berr_sys(e, "allocating");
	st->n_runtimes = ls->n_probes;
	for (size_t i = 0; i < ls->n_probes; i++) {
		struct runtime_probe *p = &ls->probes[i];
		char tmp[sizeof(p->path)];
		snprintf(tmp, sizeof(tmp), "%s", p->path);
		st->runtimes[i].name = strdup(basename(tmp));
		st->runtimes[i].path = strdup(p->path);
		st->runtimes[i].version = strdup(p->version);
		st->runtimes[i].status = strdup(p->status);
		if (st->runtimes[i].name == NULL || st->runtimes[i].path == NULL ||
		    st->runtimes[i].version == NULL || st->runtimes[i].status == NULL)
			return berr_sys(e, "allocating");
	}
	return 0;
}

static const struct worker_role launch_role = {
	.name = "launch",
	.policy = &launch_sandbox_policy,
	.init = launch_init,
	.info = launch_info,
	.role_state_size = sizeof(struct launch_state),
};

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &launch_role);
}
