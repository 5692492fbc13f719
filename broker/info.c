/* `berth info`: the host facts the broker reads itself, plus a live round trip through every
 * worker, each reporting its sandbox state as it measured it after entering the sandbox.
 * Worker replies are evidence, not truth: each is checked again here (role, hex capability
 * masks, printable text, runtimes only from launch and only those it was asked about). */
#include "broker/info.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <signal.h>
#include <unistd.h>

#include "broker/db.h"
#include "broker/hostinfo.h"
#include "broker/store.h"
#include "broker/userns.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"

#define INFO_TIMEOUT_MS 15000

static const char *const info_roles[] = { "fetch", "verify", "unpack", "netsetup", "launch" };
#define N_ROLES ARRAY_SIZE(info_roles)

struct info_job {
	uint64_t req_id;                      /* the frontend's request */
	struct msg_info_reply reply;          /* owned */
	struct msg_worker_status status[N_ROLES]; /* owned: replies, in role order */
	bool have[N_ROLES];
	size_t pending;
	struct berr err;                      /* the first failure */
	bool failed;
	struct host_cgroups cg;
	char runtime_paths[HOST_MAX_RUNTIMES][4096];
	size_t n_runtimes;
};

static void job_free(struct info_job *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < N_ROLES; i++)
		ipc_struct_free(&msg_w_info_reply_schema, &j->status[i]);
	ipc_struct_free(&msg_info_reply_schema, &j->reply);
	free(j);
}

static bool is_hex16(const char *s)
{
	if (strlen(s) != 16)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

static bool is_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static int check_status(struct info_job *j, size_t idx, const struct msg_worker_status *st,
			struct berr *e)
{
	const char *role = info_roles[idx];

	if (strcmp(st->role, role) != 0)
		return berr_set(e, BERR_PROTOCOL, 0, "berth-%s claims to be berth-%.32s", role,
				st->role);
	if (!is_hex16(st->cap_eff) || !is_hex16(st->cap_bnd) || !is_printable(st->landlock))
		return berr_set(e, BERR_PROTOCOL, 0, "berth-%s sent a malformed status", role);
	for (size_t i = 0; i < st->n_libraries; i++)
		if (!is_printable(st->libraries[i]))
			return berr_set(e, BERR_PROTOCOL, 0, "berth-%s sent a malformed library "
					"name", role);
	if (st->n_runtimes > 0 && strcmp(role, "launch") != 0)
		return berr_set(e, BERR_PROTOCOL, 0, "berth-%s reported runtimes", role);
	if (st->n_runtimes > j->n_runtimes)
		return berr_set(e, BERR_PROTOCOL, 0, "berth-launch reported runtimes it was not "
				"asked about");
	for (size_t i = 0; i < st->n_runtimes; i++) {
		const struct msg_runtime *rt = &st->runtimes[i];
		if (strcmp(rt->path, j->runtime_paths[i]) != 0 || !is_printable(rt->version) ||
		    !is_printable(rt->status) || !is_printable(rt->name))
			return berr_set(e, BERR_PROTOCOL, 0, "berth-launch sent a malformed runtime "
					"report");
	}
	return 0;
}

static int finish_reply(struct broker *b, struct info_job *j, struct berr *e)
{
	struct msg_info_reply *r = &j->reply;
	struct msg_worker_status *launch = &j->status[N_ROLES - 1];

	/* Runtimes: launch's probe, with what the broker knows about the host on top. */
	r->runtimes = calloc(launch->n_runtimes + 1, sizeof(*r->runtimes));
	if (r->runtimes == NULL)
		return berr_sys(e, "allocating");
	r->n_runtimes = launch->n_runtimes;
	for (size_t i = 0; i < launch->n_runtimes; i++) {
		struct msg_runtime *src = &launch->runtimes[i], *dst = &r->runtimes[i];
		char buf[512];
		const char *problem = NULL;
		if (strcmp(src->status, "ok") == 0)
			problem = host_runtime_problem(src->name, &j->cg, buf, sizeof(buf));
		dst->name = TAKE_PTR(src->name);
		dst->path = TAKE_PTR(src->path);
		dst->version = TAKE_PTR(src->version);
		if (problem != NULL) {
			free(src->status);
			src->status = NULL;
			dst->status = strdup(problem);
		} else {
			dst->status = TAKE_PTR(src->status);
		}
		if (dst->status == NULL)
			return berr_sys(e, "allocating");
		if (r->default_runtime == NULL && strcmp(dst->status, "ok") == 0)
			r->default_runtime = strdup(dst->name);
	}
	if (r->default_runtime == NULL)
		r->default_runtime = strdup("");
	/* Hand the worker statuses over, in role order, without their runtimes (reported once). */
	r->workers = calloc(N_ROLES, sizeof(*r->workers));
	if (r->workers == NULL || r->default_runtime == NULL)
		return berr_sys(e, "allocating");
	r->n_workers = N_ROLES;
	for (size_t i = 0; i < N_ROLES; i++) {
		r->workers[i] = j->status[i];
		memset(&j->status[i], 0, sizeof(j->status[i]));
		for (size_t k = 0; k < r->workers[i].n_runtimes; k++)
			ipc_struct_free(&msg_runtime_schema, &r->workers[i].runtimes[k]);
		free(r->workers[i].runtimes);
		r->workers[i].runtimes = NULL;
		r->workers[i].n_runtimes = 0;
	}
	return ipc_send(b->front, MSG_INFO_REPLY, j->req_id, r, NULL, 0, e);
}

static void job_step_done(struct broker *b, struct info_job *j)
{
	struct berr e = { 0 };

	if (--j->pending > 0)
		return;
	b->info = NULL;
	if (j->failed) {
		broker_reply_error(b, j->req_id, &j->err);
	} else if (finish_reply(b, j, &e) < 0) {
		broker_reply_error(b, j->req_id, &e);
	}
	job_free(j);
	broker_command_done(b);
}

static void on_worker_reply(struct broker *b, struct wk *w, struct ipc_msg *reply,
			    const struct berr *failure, void *arg)
{
	struct info_job *j = arg;
	size_t idx = 0;
	struct berr e = { 0 };

	while (idx < N_ROLES && strcmp(info_roles[idx], wk_role(w)) != 0)
		idx++;
	if (failure != NULL) {
		if (!j->failed) {
			j->err = *failure;
			j->failed = true;
		}
	} else if (idx == N_ROLES || reply->type != MSG_W_INFO_REPLY ||
		   check_status(j, idx, reply->body, &e) < 0) {
		if (e.code == BERR_OK)
			berr_set(&e, BERR_PROTOCOL, 0, "berth-%s sent an unexpected %s", wk_role(w),
				 reply->def->name);
		log_debug("%s", e.msg);
		kill(wk_pid(w), SIGKILL);
		if (!j->failed) {
			j->err = e;
			j->failed = true;
		}
	} else {
		j->status[idx] = *(struct msg_worker_status *)reply->body;
		memset(reply->body, 0, sizeof(j->status[idx]));
		j->have[idx] = true;
	}
	wk_release(b, w);
	job_step_done(b, j);
}

static int fill_host(struct broker *b, struct info_job *j, struct berr *e)
{
	struct msg_info_reply *r = &j->reply;
	struct utsname u;
	char reason[256];

	if (uname(&u) < 0)
		return berr_sys(e, "uname");
	if (host_cgroups(&j->cg, e) < 0)
		return -1;
	r->version = strdup(BERTH_VERSION);
	r->arch = strdup(host_arch(u.machine));
	r->os = strdup("linux");
	r->kernel = strdup(u.release);
	r->hostname = strdup(u.nodename);
	r->cgroup_version = strdup(j->cg.layout == CG_UNIFIED ? "v2" : "v1");
	r->cgroup_layout = strdup(cgroup_layout_name(j->cg.layout));
	r->rootless = b->cfg.rootless;
	r->pause_pid = (uint64_t)b->pause_pid;
	r->graph_root = strdup(b->cfg.root);
	r->run_root = strdup(b->cfg.runroot);
	char dbpath[4200];
	snprintf(dbpath, sizeof(dbpath), "%s/state.db", b->cfg.root);
	r->state_db = strdup(dbpath);
	r->db_schema = (uint64_t)db_schema_version(b->db);
	r->graph_driver = strdup(store_probe_driver(b, reason, sizeof(reason)));
	if (userns_read_map("uid_map", &r->uid_map, &r->n_uid_map, e) < 0 ||
	    userns_read_map("gid_map", &r->gid_map, &r->n_gid_map, e) < 0)
		return -1;
	if (r->version == NULL || r->arch == NULL || r->os == NULL || r->kernel == NULL ||
	    r->hostname == NULL || r->cgroup_version == NULL || r->cgroup_layout == NULL ||
	    r->graph_root == NULL || r->run_root == NULL || r->state_db == NULL ||
	    r->graph_driver == NULL)
		return berr_sys(e, "allocating");
	return 0;
}

int broker_info_start(struct broker *b, uint64_t req_id, struct berr *e)
{
	struct info_job *j = calloc(1, sizeof(*j));
	struct msg_w_info req = { 0 };
	char *launch_argv[2 * HOST_MAX_RUNTIMES + 1];

	if (j == NULL)
		return berr_sys(e, "allocating");
	j->req_id = req_id;
	if (fill_host(b, j, e) < 0)
		goto fail;
	j->n_runtimes = host_find_runtimes(b->cfg.runtime, j->runtime_paths, HOST_MAX_RUNTIMES, e);
	if (j->n_runtimes == 0 && b->cfg.runtime[0] != '\0')
		goto fail;
	for (size_t i = 0; i < j->n_runtimes; i++) {
		launch_argv[2 * i] = (char *)"--probe-runtime";
		launch_argv[2 * i + 1] = j->runtime_paths[i];
	}
	launch_argv[2 * j->n_runtimes] = NULL;

	/* All workers at once: the replies come back through the event loop. */
	b->info = j;
	for (size_t i = 0; i < N_ROLES; i++) {
		bool is_launch = strcmp(info_roles[i], "launch") == 0;
		struct wk *w = wk_spawn(b, info_roles[i], is_launch ? launch_argv : NULL, e);
		if (w == NULL)
			goto fail_started;
		if (wk_request(b, w, MSG_W_INFO, &req, NULL, 0, INFO_TIMEOUT_MS, on_worker_reply, j,
			       e) < 0) {
			kill(wk_pid(w), SIGKILL);
			wk_release(b, w);
			goto fail_started;
		}
		j->pending++;
	}
	return 0;
fail_started:
	/* Workers already asked will answer into a job that must then report this failure. */
	if (j->pending > 0) {
		j->err = *e;
		j->failed = true;
		return 0;
	}
	b->info = NULL;
fail:
	job_free(j);
	return -1;
}

void broker_info_abort(struct broker *b)
{
	job_free(b->info);
	b->info = NULL;
}
