/* Create/run flags resolved by the broker. See ctrflags.h. */
#include "broker/ctrflags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GID_MAX_VALUE 4294967294UL

/* 1: a gid (*gid set); 0: a name; -1: neither (*e says why). */
static int group_value(const char *s, uint32_t *gid, struct berr *e)
{
	char *end;
	unsigned long v;

	if (strcmp(s, "keep-groups") == 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "--group-add keep-groups needs crun's "
				"run.oci.keep_original_groups, which berth's runtime (runc) does "
				"not have: name the groups instead");
	if (s[0] == '\0' || strlen(s) > 255 || strchr(s, ':') != NULL || strchr(s, '\n') != NULL)
		return berr_set(e, BERR_INVALID, 0, "invalid --group-add \"%s\": give a group name "
				"or a gid", s);
	if (strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > GID_MAX_VALUE)
		return berr_set(e, BERR_INVALID, 0, "invalid --group-add %s: a gid is 0 to %lu", s,
				GID_MAX_VALUE);
	*gid = (uint32_t)v;
	return 1;
}

bool ctrflags_group_names(const struct msg_create *r)
{
	struct berr e;
	uint32_t g;

	for (size_t i = 0; i < r->n_group_add; i++)
		if (group_value(r->group_add[i], &g, &e) == 0)
			return true;
	return false;
}

int ctrflags_resolve_groups(struct broker *b, const char *rootfs, const struct msg_create *r,
			    struct ctrflags_groups *out, struct berr *e)
{
	out->n = 0;
	for (size_t i = 0; i < r->n_group_add; i++) {
		struct ctr_user u;
		char spec[300];
		uint32_t g;
		int k = group_value(r->group_add[i], &g, e);

		if (k < 0)
			return -1;
		if (k == 1)
			continue;
		if (out->n == CTRFLAGS_MAX_GROUP_ADD)
			return berr_set(e, BERR_INVALID, 0, "--group-add: more than %d groups",
					CTRFLAGS_MAX_GROUP_ADD);
		/* Uid 0 needs no passwd entry: the answer's gid is the group's, found by name in
		 * the container's /etc/group by the same resolver as -u USER:GROUP. */
		snprintf(spec, sizeof(spec), "0:%s", r->group_add[i]);
		if (ctr_user_resolve(b, rootfs, spec, &u, e) < 0)
			return berr_wrap(e, "--group-add");
		out->gid[out->n++] = u.gid;
	}
	return 0;
}

static void add_gid(struct ctrflags *f, size_t *n, uint32_t g)
{
	for (size_t i = 0; i < *n; i++)
		if (f->groups[i] == g)
			return;
	f->groups[(*n)++] = g;
}

/* The highest ID mapped in this process's user namespace (rootless: berth-pause's, where the
 * user is 0 and the subordinate IDs follow from 1), from /proc/self/{uid,gid}_map. */
static int ns_max_id(const char *file, uint32_t *max, struct berr *e)
{
	char path[64], buf[4096];
	FILE *f;
	unsigned long in, out, count;
	uint64_t top = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "re");
	if (f == NULL)
		return berr_sys(e, "reading %s", path);
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "%lu %lu %lu", &in, &out, &count) == 3 && count > 0 &&
		    (uint64_t)in + count - 1 > top)
			top = (uint64_t)in + count - 1;
	fclose(f);
	*max = top > UINT32_MAX ? UINT32_MAX : (uint32_t)top;
	return 0;
}

/* keep-id[:uid=U,gid=G] (Podman's syntax; either key may be left out). */
static int parse_keep_id(const char *opts, uint32_t *uid, uint32_t *gid, struct berr *e)
{
	char buf[128], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", opts) >= (int)sizeof(buf))
		return berr_set(e, BERR_INVALID, 0, "invalid --userns keep-id:%s", opts);
	for (char *o = strtok_r(buf, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		uint32_t *dst = strncmp(o, "uid=", 4) == 0 ? uid : strncmp(o, "gid=", 4) == 0 ? gid
											   : NULL;
		char *end;
		unsigned long v;

		errno = 0;
		v = dst != NULL ? strtoul(o + 4, &end, 10) : 0;
		if (dst == NULL || errno != 0 || end == o + 4 || *end != '\0' || v > GID_MAX_VALUE)
			return berr_set(e, BERR_INVALID, 0, "invalid --userns keep-id option \"%s\": "
					"berth knows uid=UID and gid=GID", o);
		*dst = (uint32_t)v;
	}
	return 0;
}

static int apply_userns(const struct broker *b, const struct msg_create *r,
			struct spec_input *in, struct berr *e)
{
	const char *u = r->userns;

	if (u == NULL || u[0] == '\0' || strcmp(u, "host") == 0) {
		in->userns = SPEC_USERNS_HOST;
		return 0;
	}
	if (strcmp(u, "nomap") == 0)
		return berr_set(e, BERR_UNSUPPORTED, 0, "--userns nomap is not supported by berth: "
				"the image's files would belong to no ID in the container; use "
				"keep-id or host");
	if (strcmp(u, "keep-id") != 0 && strncmp(u, "keep-id:", 8) != 0)
		return berr_set(e, BERR_INVALID, 0, "invalid --userns %s: berth knows host and "
				"keep-id[:uid=UID,gid=GID]", u);
	in->userns = SPEC_USERNS_KEEPID;
	in->keepid_uid = b->cfg.host_uid;
	in->keepid_gid = b->cfg.host_gid;
	if (u[7] == ':' && parse_keep_id(u + 8, &in->keepid_uid, &in->keepid_gid, e) < 0)
		return -1;
	/* Rootful, policy/spec.c refuses it with Podman's reason. */
	if (b->cfg.rootless && (ns_max_id("uid_map", &in->subid_uids, e) < 0 ||
				ns_max_id("gid_map", &in->subid_gids, e) < 0))
		return -1;
	/* As Podman: the process runs as the user unless -u says otherwise. */
	if (r->user == NULL) {
		in->uid = in->keepid_uid;
		in->gid = in->keepid_gid;
		in->groups = NULL;
		in->n_groups = 0;
		in->home = NULL;
	}
	return 0;
}

int ctrflags_apply(const struct broker *b, const struct msg_create *r,
		   const struct ctrflags_groups *named, struct spec_input *in, struct ctrflags *f,
		   struct berr *e)
{
	size_t n = 0, k = 0;

	if (apply_userns(b, r, in, e) < 0)
		return -1;
	if (r->n_group_add > CTRFLAGS_MAX_GROUP_ADD || in->n_groups > CTR_USER_MAX_GROUPS)
		return berr_set(e, BERR_INVALID, 0, "--group-add: more than %d groups",
				CTRFLAGS_MAX_GROUP_ADD);
	/* The user's own supplementary groups first, then --group-add in the order given. */
	for (size_t i = 0; i < in->n_groups; i++)
		add_gid(f, &n, in->groups[i]);
	for (size_t i = 0; i < r->n_group_add; i++) {
		uint32_t g;
		int v = group_value(r->group_add[i], &g, e);

		if (v < 0)
			return -1;
		if (v == 1)
			add_gid(f, &n, g);
		else if (named != NULL && k < named->n)
			add_gid(f, &n, named->gid[k++]);
	}
	in->groups = f->groups;
	in->n_groups = n;
	return 0;
}
