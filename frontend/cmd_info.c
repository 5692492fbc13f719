/* `berth info`: asks the broker, which reads the host and asks every worker, then prints the
 * answer as Podman's field names where Podman has one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "frontend/output.h"
#include "ipc/msg.h"

enum { I_FORMAT, I_HELP };

static const struct fe_opt info_opts[] = {
	[I_FORMAT] = { "format", 'f', true, "Change the output format to JSON" },
	[I_HELP] = { "help", 'h', false, "Help for info" },
};

struct info_ctx {
	const char *format;
	bool help;
};

static int info_opt(int id, const char *val, void *ctx)
{
	struct info_ctx *c = ctx;
	if (id == I_FORMAT)
		c->format = val;
	else
		c->help = val == NULL;
	return 0;
}

static json_t *idmap_json(char **lines, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		unsigned long a, b, c;
		if (sscanf(lines[i], "%lu %lu %lu", &a, &b, &c) != 3)
			continue;
		json_array_append_new(arr, json_pack("{s:I,s:I,s:I}", "container_id", (json_int_t)a,
						     "host_id", (json_int_t)b, "size",
						     (json_int_t)c));
	}
	return arr;
}

static json_t *strv_json(char **v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static json_t *info_json(const struct msg_info_reply *r)
{
	json_t *runtimes = json_array();
	json_t *workers = json_array();
	char api[16];

	for (size_t i = 0; i < r->n_runtimes; i++)
		json_array_append_new(runtimes,
				      json_pack("{s:s,s:s,s:s,s:s}", "name", r->runtimes[i].name,
						"path", r->runtimes[i].path, "version",
						r->runtimes[i].version, "status",
						r->runtimes[i].status));
	for (size_t i = 0; i < r->n_workers; i++) {
		const struct msg_worker_status *w = &r->workers[i];
		json_array_append_new(
			workers,
			json_pack("{s:s,s:I,s:I,s:I,s:I,s:b,s:s,s:s,s:s,s:o}", "role", w->role, "pid",
				  (json_int_t)w->pid, "uid", (json_int_t)w->uid, "seccomp",
				  (json_int_t)w->seccomp, "seccompFilters",
				  (json_int_t)w->seccomp_filters, "noNewPrivs", w->no_new_privs,
				  "capEff", w->cap_eff, "capBnd", w->cap_bnd, "landlock",
				  w->landlock, "libraries", strv_json(w->libraries,
								      w->n_libraries)));
	}
	snprintf(api, sizeof(api), "%d", BERTH_PROTOCOL_VERSION);
	return json_pack(
		"{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:b},s:{s:o,s:o},s:I,s:o,s:s},"
		"s:{s:s,s:s,s:s,s:I,s:s},s:o,s:{s:s,s:s}}",
		"host", "arch", r->arch, "os", r->os, "kernel", r->kernel, "hostname", r->hostname,
		"cgroupVersion", r->cgroup_version, "cgroupLayout", r->cgroup_layout, "security",
		"rootless", r->rootless, "idMappings", "uidmap", idmap_json(r->uid_map, r->n_uid_map),
		"gidmap", idmap_json(r->gid_map, r->n_gid_map), "pausePid", (json_int_t)r->pause_pid,
		"ociRuntimes", runtimes, "defaultRuntime", r->default_runtime,
		"store", "graphDriverName", r->graph_driver, "graphRoot", r->graph_root, "runRoot",
		r->run_root, "dbSchemaVersion", (json_int_t)r->db_schema, "stateDb", r->state_db,
		"workers", workers,
		"version", "Version", r->version, "APIVersion", api);
}

int cmd_info(const struct fe_opts *o, int argc, char **argv)
{
	struct info_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	struct fe_broker br;
	struct berr e = { 0 };
	struct msg_info req = { 0 };
	struct ipc_msg *reply = NULL;
	json_t *j;
	int rc;

	if (fe_parse("berth info", info_opts, ARRAY_SIZE(info_opts), argc, argv, false, info_opt,
		     &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	free(pos);
	if (c.help) {
		fe_usage("berth info [options]", "Display berth related system information",
			 info_opts, ARRAY_SIZE(info_opts));
		return 0;
	}
	if (npos > 0) {
		fe_error("`berth info` takes no arguments");
		return EXIT_BERTH;
	}
	if (c.format != NULL && strcmp(c.format, "json") != 0) {
		fe_error("unsupported --format \"%s\": berth info supports json", c.format);
		return EXIT_BERTH;
	}
	if (fe_broker_start(o, &br, &e) < 0) {
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	if (fe_broker_call(&br, MSG_INFO, &req, NULL, 0, MSG_INFO_REPLY, &reply, &e) < 0) {
		fe_broker_stop(&br);
		fe_error("%s", e.msg);
		return EXIT_BERTH;
	}
	fe_broker_stop(&br);
	j = info_json(reply->body);
	ipc_msg_free(reply);
	if (j == NULL) {
		fe_error("cannot format the information");
		return EXIT_BERTH;
	}
	rc = (c.format != NULL ? out_json(stdout, j) : out_yaml(stdout, j)) < 0 ? EXIT_BERTH : 0;
	json_decref(j);
	if (fflush(stdout) != 0)
		rc = EXIT_BERTH;
	return rc;
}
