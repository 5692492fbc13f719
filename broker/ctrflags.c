/* Create/run flags resolved by the broker. See ctrflags.h. */
#include "broker/ctrflags.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xio.h"

#define GID_MAX_VALUE 4294967294UL
#define SECCOMP_PROFILE_MAX (192 * 1024)

int ctrflags_conf_load(const struct broker *b, const struct msg_create *r, struct msg_create *out,
		       struct ctrflags_conf *hold, struct berr *e)
{
	char paths[CCONF_MAX_FILES][CCONF_MAX_PATH];
	const char *over = b->cfg.containers_conf;
	size_t n = cconf_paths(over, b->cfg.rootless, b->cfg.config_home, paths), len;

	memset(hold, 0, sizeof(*hold));
	*out = *r;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *text = NULL;

		/* Trusted configuration, the user's own or root's: read by the broker. */
		if (xread_file_at(AT_FDCWD, paths[i], TOML_MAX_INPUT, &text, &len, e) < 0) {
			if (e->sys_errno == ENOENT && over[0] == '\0') {
				berr_clear(e);
				continue;
			}
			goto fail;
		}
		log_debug("reading %s", paths[i]);
		if (cconf_add_buf(&hold->c, text, len, paths[i], e) < 0)
			goto fail;
	}
	const struct cconf *c = &hold->c;
	out->conf_env = c->env;
	out->n_conf_env = c->n_env;
	out->conf_caps = c->caps;
	out->n_conf_caps = c->n_caps;
	out->conf_caps_set = c->caps_set;
	out->conf_seccomp = out->conf_seccomp_path = out->conf_pids_limit = NULL;
	if (c->seccomp_profile != NULL && c->seccomp_profile[0] != '\0') {
		if (xread_file_at(AT_FDCWD, c->seccomp_profile, SECCOMP_PROFILE_MAX, &hold->seccomp,
				  &len, e) == 0) {
			out->conf_seccomp = hold->seccomp;
			out->conf_seccomp_path = c->seccomp_profile;
		} else if (e->sys_errno == ENOENT) {
			log_debug("containers.conf seccomp_profile %s does not exist: the default "
				  "profile", c->seccomp_profile);
			berr_clear(e);
		} else {
			berr_wrap(e, "containers.conf seccomp_profile");
			goto fail;
		}
	}
	if (c->pids_limit_set) {
		snprintf(hold->pids, sizeof(hold->pids), "%lld", (long long)c->pids_limit);
		out->conf_pids_limit = hold->pids;
	}
	if (r->runtime == NULL && c->runtime != NULL && c->runtime[0] != '\0')
		out->runtime = c->runtime;
	out->init = r->init != TRI_UNSET ? r->init : c->init_set && c->init ? TRI_TRUE : TRI_FALSE;
	if (r->init_path == NULL) {
		snprintf(hold->init_path, sizeof(hold->init_path), "%s/berth-init", b->cfg.libexec);
		out->init_path = c->init_path != NULL && c->init_path[0] != '\0' ? c->init_path
										  : hold->init_path;
	}
	if (out->init == TRI_TRUE) {
		struct stat st;
		/* The binary is bound into the container from the host: say now if it is not
		 * there, rather than leave it to the runtime's mount error. */
		const char *why = NULL;
		if (out->init_path[0] != '/')
			why = "not an absolute path";
		else if (stat(out->init_path, &st) < 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		if (why != NULL) {
			berr_set(e, BERR_INVALID, 0, "%s %s: %s",
				 r->init_path != NULL ? "--init-path"
				 : out->init_path != hold->init_path ? "containers.conf init_path"
								     : "--init: berth-init",
				 out->init_path, why);
			goto fail;
		}
	}
	return 0;
fail:
	ctrflags_conf_free(hold);
	return -1;
}

void ctrflags_conf_free(struct ctrflags_conf *hold)
{
	cconf_free(&hold->c);
	free(hold->seccomp);
	hold->seccomp = NULL;
}

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
int ctrflags_ns_max_id(const char *file, uint32_t *max, struct berr *e)
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
	/* nomap: only the subordinate IDs are mapped; broker/run.c gives such a container a
	 * copy of the image whose owners are shifted to match (workers/unpack/shift.h). */
	if (strcmp(u, "nomap") == 0) {
		in->userns = SPEC_USERNS_NOMAP;
		if (b->cfg.rootless && (ctrflags_ns_max_id("uid_map", &in->subid_uids, e) < 0 ||
					ctrflags_ns_max_id("gid_map", &in->subid_gids, e) < 0))
			return -1;
		return 0;
	}
	if (strcmp(u, "keep-id") != 0 && strncmp(u, "keep-id:", 8) != 0)
		return berr_set(e, BERR_INVALID, 0, "invalid --userns %s: berth knows host, nomap "
				"and keep-id[:uid=UID,gid=GID]", u);
	in->userns = SPEC_USERNS_KEEPID;
	in->keepid_uid = b->cfg.host_uid;
	in->keepid_gid = b->cfg.host_gid;
	if (u[7] == ':' && parse_keep_id(u + 8, &in->keepid_uid, &in->keepid_gid, e) < 0)
		return -1;
	/* Rootful, policy/spec.c refuses it with Podman's reason. */
	if (b->cfg.rootless && (ctrflags_ns_max_id("uid_map", &in->subid_uids, e) < 0 ||
				ctrflags_ns_max_id("gid_map", &in->subid_gids, e) < 0))
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
	in->conf_env = (struct spec_strv){ (const char *const *)r->conf_env, r->n_conf_env };
	f->conf_caps = (struct spec_strv){ (const char *const *)r->conf_caps, r->n_conf_caps };
	in->conf_caps = r->conf_caps_set ? &f->conf_caps : NULL;
	in->init_path = r->init == TRI_TRUE ? r->init_path : NULL;
	/* A default, not a request: where the host cannot apply it, it is left out (as Podman
	 * does rootless without a pids controller), where --pids-limit would be an error. */
	if (r->pids_limit == NULL && r->conf_pids_limit != NULL &&
	    (in->cgroup_controllers & SPEC_CG_PIDS))
		in->pids_limit = r->conf_pids_limit;
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
