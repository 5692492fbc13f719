/* `berth history` and `berth image prune`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "frontend/humanize.h"
#include "frontend/output.h"
#include "frontend/template.h"
#include "ipc/msg.h"

enum { H_FORMAT, H_NOTRUNC, H_QUIET, H_HUMAN, H_HELP };
static const struct fe_opt history_opts[] = {
	[H_FORMAT] = { "format", 0, true, "Change the output to JSON or a Go template" },
	[H_NOTRUNC] = { "no-trunc", 0, false, "Do not truncate the output" },
	[H_QUIET] = { "quiet", 'q', false, "Display the numeric IDs only" },
	[H_HUMAN] = { "human", 'H', false, "Display sizes and dates in human readable format "
					   "(default true)" },
	[H_HELP] = { "help", 'h', false, "Help for history" },
};

struct history_ctx {
	const char *format;
	bool notrunc, quiet, human, help;
};

static int history_opt(int id, const char *val, void *ctx)
{
	struct history_ctx *c = ctx;
	bool on = val == NULL;
	switch (id) {
	case H_FORMAT: c->format = val; break;
	case H_NOTRUNC: c->notrunc = on; break;
	case H_QUIET: c->quiet = on; break;
	case H_HUMAN: c->human = on; break;
	default: c->help = on; break;
	}
	return 0;
}

static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

int cmd_history(const struct fe_opts *o, int argc, char **argv)
{
	struct history_ctx c = { .human = true };
	char **pos = NULL;
	int npos = 0;
	struct ipc_msg *reply = NULL;
	json_t *rows;
	int rc = 0;

	if (fe_parse("berth history", history_opts, ARRAY_SIZE(history_opts), argc, argv, false,
		     history_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	if (c.help) {
		free(pos);
		fe_usage("berth history [options] IMAGE", "Show history of a specified image",
			 history_opts, ARRAY_SIZE(history_opts));
		return 0;
	}
	if (npos != 1) {
		free(pos);
		fe_error("accepts 1 arg(s), received %d", npos);
		return EXIT_BERTH;
	}
	struct msg_image_inspect req = { .name = pos[0] };
	if (fe_request(o, MSG_IMAGE_INSPECT, &req, MSG_IMAGE_INSPECT_REPLY, &reply) < 0) {
		free(pos);
		return EXIT_BERTH;
	}
	free(pos);
	const struct msg_image_inspect_reply *r = reply->body;
	const struct msg_v_config_reply *cfg = &r->config[0];
	rows = json_array();
	/* Newest first; entries that made a layer take that layer's size, in order. */
	size_t layer = 0, nonempty = 0;
	for (size_t i = 0; i < cfg->n_history; i++)
		if (!cfg->history[i].empty_layer)
			nonempty++;
	layer = nonempty < r->n_layers ? nonempty : r->n_layers;
	for (size_t i = cfg->n_history; i-- > 0;) {
		const struct msg_history *h = &cfg->history[i];
		uint64_t size = 0;
		char since[64], sz[32], id[80];
		if (!h->empty_layer && layer > 0)
			size = r->layers[--layer].size;
		int64_t t = parse_time(h->created);
		human_duration((int64_t)time(NULL) - t, since, sizeof(since));
		strncat(since, " ago", sizeof(since) - strlen(since) - 1);
		human_size(size, sz, sizeof(sz));
		if (i == cfg->n_history - 1)
			snprintf(id, sizeof(id), "%.*s", c.notrunc ? 64 : 12, r->summary[0].id);
		else
			snprintf(id, sizeof(id), "<missing>");
		const char *by = h->created_by != NULL ? h->created_by : "";
		char byt[64];
		if (!c.notrunc && strlen(by) > 45) {
			snprintf(byt, sizeof(byt), "%.42s...", by);
			by = byt;
		}
		json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "ID", id,
						      "Created", c.human ? since : (h->created ? h->created : ""),
						      "CreatedBy", by, "Size",
						      c.human ? sz : "", "Comment",
						      h->comment ? h->comment : "", "SizeBytes",
						      (json_int_t)size, "CreatedAt",
						      h->created ? h->created : ""));
	}
	if (c.quiet) {
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row)
			printf("%s\n", json_string_value(json_object_get(row, "ID")));
	} else if (c.format != NULL && strcmp(c.format, "json") == 0) {
		out_json(stdout, rows);
	} else if (c.format != NULL) {
		struct berr e = { 0 };
		if (tmpl_render_each(stdout, c.format, rows, &e) < 0) {
			fe_error("%s", e.msg);
			rc = EXIT_BERTH;
		}
	} else {
		size_t i;
		json_t *row;
		printf("%-14s %-16s %-46s %-11s %s\n", "ID", "CREATED", "CREATED BY", "SIZE", "COMMENT");
		json_array_foreach(rows, i, row) {
			const char *size = json_string_value(json_object_get(row, "Size"));
			char raw[32];
			if (!c.human) {
				snprintf(raw, sizeof(raw), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(json_object_get(row, "SizeBytes")));
				size = raw;
			}
			printf("%-14s %-16s %-46s %-11s %s\n",
			       json_string_value(json_object_get(row, "ID")),
			       json_string_value(json_object_get(row, "Created")),
			       json_string_value(json_object_get(row, "CreatedBy")), size,
			       json_string_value(json_object_get(row, "Comment")));
		}
	}
	json_decref(rows);
	ipc_msg_free(reply);
	return rc;
}

enum { X_ALL, X_FORCE, X_HELP };
static const struct fe_opt prune_opts[] = {
	[X_ALL] = { "all", 'a', false, "Remove all images not in use by containers, not just "
				       "dangling ones" },
	[X_FORCE] = { "force", 'f', false, "Do not prompt for confirmation" },
	[X_HELP] = { "help", 'h', false, "Help for prune" },
};

struct prune_ctx {
	bool all, force, help;
};

static int prune_opt(int id, const char *val, void *ctx)
{
	struct prune_ctx *c = ctx;
	bool on = val == NULL;
	if (id == X_ALL)
		c->all = on;
	else if (id == X_FORCE)
		c->force = on;
	else
		c->help = on;
	return 0;
}

int cmd_image_prune(const struct fe_opts *o, int argc, char **argv)
{
	struct prune_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0;
	struct ipc_msg *reply = NULL;

	if (fe_parse("berth image prune", prune_opts, ARRAY_SIZE(prune_opts), argc, argv, false,
		     prune_opt, &c, &pos, &npos) < 0)
		return EXIT_BERTH;
	free(pos);
	if (c.help) {
		fe_usage("berth image prune [options]", "Remove unused images", prune_opts,
			 ARRAY_SIZE(prune_opts));
		return 0;
	}
	if (npos > 0) {
		fe_error("`berth image prune` takes no arguments");
		return EXIT_BERTH;
	}
	if (!c.force) {
		char line[16] = "";
		fprintf(stderr, "WARNING! This command removes all %s images.\nAre you sure you "
				"want to continue? [y/N] ", c.all ? "unused" : "dangling");
		if (fgets(line, sizeof(line), stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
			return 0;
	}
	struct msg_rmi req = { .prune = true, .all = c.all, .force = true };
	if (fe_request(o, MSG_RMI, &req, MSG_RMI_REPLY, &reply) < 0)
		return EXIT_BERTH;
	const struct msg_rmi_reply *r = reply->body;
	for (size_t i = 0; i < r->n_deleted; i++)
		printf("%s\n", r->deleted[i]);
	ipc_msg_free(reply);
	return 0;
}
