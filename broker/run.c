/* Containers: create (record + config.json), start (overlay rootfs, berth-launch running the
 * OCI runtime), ps and rm. See run.h. */
#include "broker/run.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "broker/containers.h"
#include "broker/ctrflags.h"
#include "broker/ctruser.h"
#include "broker/hostinfo.h"
#include "broker/imgstore.h"
#include "broker/lifecycle.h"
#include "broker/locks.h"
#include "broker/wk.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/rmtree.h"
#include "common/xio.h"
#include "ipc/codec.h"
#include "policy/seccomp_profile.h"
#include "policy/spec.h"

/* Copying an image for --userns=nomap: bounded only by the image's size. */
#define RUN_SHIFT_MS (30 * 60 * 1000)

/* The container runs as long as it runs: the wait has no deadline of its own. */
#define RUN_WAIT_MS INT_MAX

static struct spec_strv strv(char **v, size_t n)
{
	return (struct spec_strv){ (const char *const *)v, n };
}

/* ---------------------------------------------------------------- host facts */

static uint64_t cap_bounding(void)
{
	cleanup_free char *buf = NULL;
	size_t len;
	struct berr e;
	const char *p;

	if (xread_file_at(AT_FDCWD, "/proc/self/status", 65536, &buf, &len, &e) < 0 ||
	    (p = strstr(buf, "\nCapBnd:\t")) == NULL)
		return 0;
	return strtoull(p + 9, NULL, 16);
}

static uint64_t hard_limit(int res)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0)
		return 1024;
	return rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
}

/* Which cgroup limits runc can apply here: rootful on v1 (or hybrid) with the controller
 * mounted; rootless without delegation, none. */
static unsigned cgroup_controllers(const struct broker *b, const char **reason)
{
	static const struct { const char *dir; unsigned bit; } v1[] = {
		{ "/sys/fs/cgroup/memory", SPEC_CG_MEMORY },
		{ "/sys/fs/cgroup/cpu", SPEC_CG_CPU },
		{ "/sys/fs/cgroup/pids", SPEC_CG_PIDS },
	};
	unsigned bits = 0;

	if (b->cfg.rootless) {
		*reason = "rootless containers on this host's cgroup v1 controllers get no "
			  "delegated cgroup";
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++)
		if (access(v1[i].dir, F_OK) == 0)
			bits |= v1[i].bit;
	*reason = NULL;
	return bits;
}

/* The runtime to use: --runtime, else the first of crun and runc that can run containers on
 * this host. */
static int pick_runtime(const char *wanted, char path[4096], struct berr *e)
{
	char found[HOST_MAX_RUNTIMES][4096], why[512], tmp[4096];
	struct host_cgroups cg = { 0 };
	size_t n;

	n = host_find_runtimes(wanted, found, HOST_MAX_RUNTIMES, e);
	if (n == 0)
		return e->code != BERR_OK ? -1 : berr_set(e, BERR_NOTFOUND, 0, "no OCI runtime "
							   "found: install crun or runc");
	(void)host_cgroups(&cg, e);
	berr_clear(e);
	for (size_t i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s", found[i]);
		const char *problem = host_runtime_problem(basename(tmp), &cg, why, sizeof(why));
		if (problem == NULL) {
			snprintf(path, 4096, "%s", found[i]);
			return 0;
		}
		if (wanted != NULL && wanted[0] != '\0')
			return berr_set(e, BERR_UNSUPPORTED, 0, "OCI runtime %s %s", found[i], problem);
		log_debug("skipping %s: %s", found[i], problem);
	}
	return berr_set(e, BERR_UNSUPPORTED, 0, "no OCI runtime can run containers on this host: "
			"%s %s", found[0], why);
}

/* ---------------------------------------------------------------- create */

static int write_etc_files(const char *userdata, const char *hostname, struct berr *e)
{
	char path[4500], text[1024];
	cleanup_free char *resolv = NULL;
	size_t rlen = 0;
	struct berr e2;

	snprintf(path, sizeof(path), "%s/hostname", userdata);
	snprintf(text, sizeof(text), "%s\n", hostname);
	if (write_file_atomic(path, text, strlen(text), 0644, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/hosts", userdata);
	snprintf(text, sizeof(text), "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t%s\n",
		 hostname);
	if (write_file_atomic(path, text, strlen(text), 0644, e) < 0)
		return -1;
	/* The host's resolvers (the container has no network of its own yet). */
	if (xread_file_at(AT_FDCWD, "/etc/resolv.conf", 65536, &resolv, &rlen, &e2) < 0)
		rlen = 0;
	snprintf(path, sizeof(path), "%s/resolv.conf", userdata);
	return write_file_atomic(path, rlen > 0 ? resolv : "", rlen, 0644, e);
}

static json_t *caps_of(json_t *spec)
{
	return json_object_get(json_object_get(json_object_get(spec, "process"), "capabilities"),
			       "bounding");
}

/* The user's IDs for config.json: those resolved in the container's files (user != NULL, at
 * start), a numeric -u or image User as it is, or 0 as a placeholder for a name until start
 * resolves it in the mounted root. */
static int config_user(const char *spec, const struct ctr_user *user, struct spec_input *in,
		       struct berr *e)
{
	if (user != NULL) {
		in->uid = user->uid;
		in->gid = user->gid;
		in->groups = user->groups;
		in->n_groups = user->n_groups;
		in->home = user->home;
		return 0;
	}
	if (!ctr_user_numeric(spec)) {
		in->uid = in->gid = 0;
		return 0;
	}
	return ctr_user_parse_numeric(spec, &in->uid, &in->gid, e);
}

/* config.json: policy/spec.c, then the seccomp profile for the capabilities it chose. Called
 * at create, and again at start when the user is a name (user then holds what it resolved
 * to). */
static int make_config(struct broker *b, const struct msg_create *r,
		       const struct msg_v_config_reply *img, const struct ctr_user *user,
		       const struct ctrflags_groups *named, const char *id, const char *userdata, const char *rootfs, char **out,
		       char **command_json, struct berr *e)
{
	struct spec_input in = { 0 };
	struct ctrflags flags;
	char hosts[4500], resolv[4500], hostname_path[4500], hostname[16];
	cleanup_free char *text = NULL;
	json_t *spec = NULL, *seccomp = NULL;
	int rc = -1;
	bool unconfined = false;
	const char *seccomp_path = NULL;
	char *masks[64], *unmasks[64];
	size_t n_mask = 0, n_unmask = 0;

	in.image_env = strv(img->env, img->n_env);
	in.image_cmd = strv(img->cmd, img->n_cmd);
	in.image_entrypoint = strv(img->entrypoint, img->n_entrypoint);
	in.image_workdir = img->working_dir;
	in.image_labels = strv(img->labels, img->n_labels);
	in.image_stop_signal = img->stop_signal;
	in.args = strv(r->args, r->n_args);
	in.entrypoint = r->entrypoint;
	in.env = strv(r->env, r->n_env);
	in.host_env = strv(r->host_env, r->n_host_env);
	in.env_host = r->env_host;
	in.workdir = r->workdir;
	in.stop_signal = r->stop_signal;
	in.labels = strv(r->labels, r->n_labels);
	in.annotations = strv(r->annotations, r->n_annotations);
	snprintf(hostname, sizeof(hostname), "%.12s", id);
	in.hostname = r->hostname != NULL ? r->hostname : hostname;
	in.tty = r->tty;
	in.read_only = r->read_only;
	in.privileged = r->privileged;
	in.cap_add = strv(r->cap_add, r->n_cap_add);
	in.cap_drop = strv(r->cap_drop, r->n_cap_drop);
	for (size_t i = 0; i < r->n_security_opt; i++) {
		const char *o = r->security_opt[i];
		if (strcmp(o, "no-new-privileges") == 0 || strcmp(o, "no-new-privileges=true") == 0)
			in.no_new_privs = true;
		else if (strcmp(o, "seccomp=unconfined") == 0)
			unconfined = true;
		else if (strncmp(o, "seccomp=", 8) == 0)
			seccomp_path = o + 8;
		else if (strncmp(o, "mask=", 5) == 0 && n_mask < ARRAY_SIZE(masks))
			masks[n_mask++] = (char *)o + 5;
		else if (strncmp(o, "unmask=", 7) == 0 && n_unmask < ARRAY_SIZE(unmasks))
			unmasks[n_unmask++] = (char *)o + 7;
		else
			return berr_set(e, BERR_INVALID, 0, "invalid --security-opt %s: berth knows "
					"no-new-privileges, seccomp=, mask= and unmask=", o);
	}
	in.mask = strv(masks, n_mask);
	in.unmask = strv(unmasks, n_unmask);
	in.seccomp_unconfined = unconfined;
	in.seccomp_explicit = seccomp_path != NULL;
	in.seccomp_json = "{}"; /* replaced below, once the capabilities are known */
	in.memory = r->memory;
	in.memory_swap = r->memory_swap;
	in.cpus = r->cpus;
	in.cpu_shares = r->cpu_shares;
	in.pids_limit = r->pids_limit;
	in.shm_size = r->shm_size;
	in.ulimits = strv(r->ulimits, r->n_ulimits);
	in.tmpfs = strv(r->tmpfs, r->n_tmpfs);
	in.sysctls = strv(r->sysctls, r->n_sysctls);
	if (r->network == NULL || strcmp(r->network, "private") == 0 ||
	    strcmp(r->network, "bridge") == 0)
		in.net = SPEC_NET_PRIVATE;
	else if (strcmp(r->network, "none") == 0)
		in.net = SPEC_NET_NONE;
	else if (strcmp(r->network, "host") == 0)
		in.net = SPEC_NET_HOST;
	else
		return berr_set(e, BERR_INVALID, 0, "invalid --network %s: berth knows none, host and "
				"private", r->network);
	if (config_user(r->user != NULL ? r->user : img->user, user, &in, e) < 0)
		return -1;
	in.rootfs = rootfs;
	snprintf(hosts, sizeof(hosts), "%s/hosts", userdata);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", userdata);
	snprintf(hostname_path, sizeof(hostname_path), "%s/hostname", userdata);
	in.hosts_path = hosts;
	in.resolv_path = resolv;
	in.hostname_path = hostname_path;
	in.rootless = b->cfg.rootless;
	in.cgroup_controllers = cgroup_controllers(b, &in.cgroup_reason);
	in.nofile_hard = hard_limit(RLIMIT_NOFILE);
	in.nproc_hard = hard_limit(RLIMIT_NPROC);
	in.bounding = cap_bounding();
	if (ctrflags_apply(b, r, named, &in, &flags, e) < 0 || spec_build(&in, &text, e) < 0)
		return -1;
	if (write_etc_files(userdata, in.hostname, e) < 0)
		return -1;
	spec = json_loads(text, 0, NULL);
	if (spec == NULL)
		return berr_set(e, BERR_INTERNAL, 0, "policy/spec.c wrote invalid JSON");
	json_t *linux_ = json_object_get(spec, "linux");
	if (json_object_get(linux_, "seccomp") != NULL) {
		json_t *caps = caps_of(spec), *c;
		const char *names[64];
		size_t i, n = 0;
		struct sprof_target t = { 0 };
		json_array_foreach(caps, i, c)
			if (n < ARRAY_SIZE(names) && json_is_string(c))
				names[n++] = json_string_value(c);
		t.caps = names;
		t.n_caps = n;
		if (seccomp_path != NULL) {
			/* The frontend read the file as the user: the broker opens no path a user
			 * names (rootful, it could read what the user cannot). */
			if (r->seccomp_profile == NULL) {
				berr_set(e, BERR_INVALID, 0, "--security-opt seccomp=%s: the profile's "
					 "content did not come with the request", seccomp_path);
				goto out;
			}
			if (sprof_docker_to_oci(seccomp_path, r->seccomp_profile,
						strlen(r->seccomp_profile), &t, &seccomp, e) < 0)
				goto out;
		} else if (r->conf_seccomp != NULL) {
			/* containers.conf's seccomp_profile, read at create. */
			if (sprof_docker_to_oci(r->conf_seccomp_path, r->conf_seccomp,
						strlen(r->conf_seccomp), &t, &seccomp, e) < 0) {
				berr_wrap(e, "containers.conf seccomp_profile");
				goto out;
			}
		} else if (sprof_default_oci(&t, &seccomp, e) < 0) {
			goto out;
		}
		if (json_object_set_new(linux_, "seccomp", seccomp) < 0) {
			berr_sys(e, "allocating");
			goto out;
		}
	}
	*out = json_dumps(spec, JSON_INDENT(1));
	*command_json = json_dumps(json_object_get(json_object_get(spec, "process"), "args"),
				   JSON_COMPACT);
	if (*out == NULL || *command_json == NULL) {
		free(*out);
		free(*command_json);
		*out = *command_json = NULL;
		berr_sys(e, "allocating");
		goto out;
	}
	rc = 0;
out:
	json_decref(spec);
	return rc;
}

static int create(struct broker *b, const struct msg_create *req, char id[65], char name[256],
		  struct berr *e)
{
	struct msg_create conf_req;
	const struct msg_create *r = &conf_req; /* req with containers.conf's part */
	struct ctrflags_conf conf;
	struct msg_image_inspect_reply img = { 0 };
	struct ctr_record rec = { 0 };
	struct ipc_enc *enc = NULL;
	char image_id[65], dir[4400], userdata[4400], rootfs[4400], config_path[4500];
	char runtime[4096], resolved[512] = "";
	cleanup_free char *config = NULL, *command = NULL;
	bool made = false;
	int rc = -1;

	if (req->name != NULL && !ctr_name_valid(req->name))
		return berr_set(e, BERR_INVALID, 0, "container name \"%s\" is invalid: names must "
				"match [a-zA-Z0-9][a-zA-Z0-9_.-]*", req->name);
	if (ctrflags_conf_load(b, req, &conf_req, &conf, e) < 0)
		return -1;
	if (pick_runtime(r->runtime, runtime, e) < 0)
		goto out;
	if (imgstore_lookup_name(b->db, r->image, image_id, resolved, sizeof(resolved), e) < 0) {
		berr_wrap(e, "%s: pull the image first (berth pull)", r->image);
		goto out;
	}
	if (imgstore_inspect(b->db, image_id, &img, e) < 0)
		goto out;
	if (ctr_new_id(id, e) < 0)
		goto out;
	if (r->name != NULL)
		snprintf(name, 256, "%s", r->name);
	else if (ctr_generate_name(b->db, name, 256, e) < 0)
		goto out;
	ctr_path(b->cfg.root, id, NULL, dir, sizeof(dir));
	ctr_path(b->cfg.root, id, "userdata", userdata, sizeof(userdata));
	ctr_path(b->cfg.root, id, "merged", rootfs, sizeof(rootfs));
	if (mkdir_p(userdata, 0700, e) < 0)
		goto out;
	made = true;
	for (size_t i = 0; i < 3; i++) {
		static const char *const subs[] = { "upper", "work", "merged" };
		char p[4500];
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		if (mkdir(p, 0755) < 0) {
			berr_sys(e, "creating %s", p);
			goto out;
		}
	}
	if (make_config(b, r, &img.config[0], NULL, NULL, id, userdata, rootfs, &config,
			&command, e) < 0)
		goto out;
	snprintf(config_path, sizeof(config_path), "%s/config.json", userdata);
	if (write_file_atomic(config_path, config, strlen(config), 0600, e) < 0)
		goto out;
	enc = ipc_enc_new();
	if (enc == NULL || ipc_enc_struct(enc, &msg_create_schema, r, NULL, NULL, 0, e) < 0)
		goto out;
	snprintf(rec.id, sizeof(rec.id), "%s", id);
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.image_id, sizeof(rec.image_id), "%s", image_id);
	/* The name as stored ("localhost/bb:1" for "bb:1"); an ID stays as the user gave it. */
	snprintf(rec.image_name, sizeof(rec.image_name), "%s",
		 resolved[0] != '\0' ? resolved : r->image);
	snprintf(rec.runtime, sizeof(rec.runtime), "%s", runtime);
	rec.created = (int64_t)time(NULL);
	rec.state = CTR_CREATED;
	rec.config = ipc_enc_data(enc, &rec.config_len);
	rec.command_json = command;
	/* A generated name another create took meanwhile: another name. */
	for (int tries = 0; ctr_insert(b->db, &rec, e) < 0; tries++) {
		if (r->name != NULL || e->sys_errno != EEXIST || tries == 10 ||
		    ctr_generate_name(b->db, name, 256, e) < 0)
			goto out;
		snprintf(rec.name, sizeof(rec.name), "%s", name);
	}
	rc = 0;
out:
	if (rc < 0 && made) {
		struct berr e2;
		(void)ctr_remove_dirs(b->cfg.root, id, &e2);
	}
	ipc_enc_free(enc);
	ipc_struct_free(&msg_image_inspect_reply_schema, &img);
	ctrflags_conf_free(&conf);
	return rc;
}

/* ---------------------------------------------------------------- start */

/* "lowerdir=<top>:...:<bottom>" of the image's layers into opts (cap bytes). Returns the
 * length, or -1 with *e set. */
static int layer_lowers(struct broker *b, const struct ctr_record *c, char *opts, size_t cap,
			struct berr *e)
{
	char (*chains)[65] = calloc(IMG_MAX_LAYERS, sizeof(*chains));
	size_t n = 0, len;
	int rc = -1;

	if (chains == NULL)
		return berr_sys(e, "allocating");
	if (imgstore_image_chains(b->db, c->image_id, chains, IMG_MAX_LAYERS, &n, e) < 0)
		goto out;
	if (n == 0) {
		berr_set(e, BERR_INVALID, 0, "image %.12s has no layers", c->image_id);
		goto out;
	}
	/* lowerdir lists the top layer first. */
	len = (size_t)snprintf(opts, cap, "lowerdir=");
	for (size_t i = n; i-- > 0 && len < cap;)
		len += (size_t)snprintf(opts + len, cap - len, "%s/layers/%s%s", b->cfg.root,
					chains[i], i > 0 ? ":" : "");
	if (len >= cap || len >= 3500) {
		berr_set(e, BERR_UNSUPPORTED, 0, "the image's %zu layers make an overlay option "
			 "string longer than the kernel takes", n);
		goto out;
	}
	rc = (int)len;
out:
	free(chains);
	return rc;
}

/* --userns=nomap (rootless): the container maps only the subordinate IDs, container n being
 * berth-pause's n + 1, so it gets its own copy of the image with every owner moved up by one
 * (workers/unpack/shift.h says why a copy). Made once, at the first start: the image's layers
 * are mounted read-only at <ctr>/nomap-build/src (an empty directory below them, since an
 * overlay without an upper layer needs two lower ones), berth-unpack copies that tree to
 * nomap-build/root beneath the one directory it may write to, and the copy is renamed to
 * <ctr>/nomap-lower. A start that died half-way leaves nomap-build, which the next start (or
 * rm) unmounts and removes; nomap-lower exists only complete. */
static int nomap_lower(struct broker *b, const struct ctr_record *c, const char *dir,
		       char *lower, size_t lowlen, struct berr *e)
{
	char build[4500], src[4600], path[4600], opts[4096];
	struct msg_u_shift req = { .uid_shift = 1, .gid_shift = 1 };
	struct msg_u_shift_reply rep = { 0 };
	uint32_t max_uid, max_gid;
	cleanup_close int bfd = -1;
	struct stat st;
	struct wk *w;
	int len, rc = -1;

	snprintf(lower, lowlen, "%s/nomap-lower", dir);
	if (lstat(lower, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (ctrflags_ns_max_id("uid_map", &max_uid, e) < 0 ||
	    ctrflags_ns_max_id("gid_map", &max_gid, e) < 0)
		return -1;
	req.max_uid = max_uid;
	req.max_gid = max_gid;
	snprintf(build, sizeof(build), "%s/nomap-build", dir);
	snprintf(src, sizeof(src), "%s/src", build);
	if (run_nomap_cleanup(dir, e) < 0)
		return -1;
	len = layer_lowers(b, c, opts, sizeof(opts) - 100, e);
	if (len < 0)
		return -1;
	snprintf(opts + len, sizeof(opts) - (size_t)len, ":%s/empty,userxattr", build);
	if (mkdir(build, 0700) < 0 || mkdir(src, 0700) < 0)
		return berr_sys(e, "making %s", src);
	snprintf(path, sizeof(path), "%s/empty", build);
	if (mkdir(path, 0700) < 0)
		return berr_sys(e, "making %s", path);
	snprintf(path, sizeof(path), "%s/root", build);
	if (mkdir(path, 0700) < 0)
		return berr_sys(e, "making %s", path);
	if (mount("overlay", src, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opts) < 0)
		return berr_sys(e, "mounting the image's layers for --userns=nomap");
	bfd = open(build, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0) {
		berr_sys(e, "opening %s", build);
		goto out;
	}
	w = wk_spawn_fds(b, "unpack", NULL, &bfd, 1, e);
	if (w == NULL)
		goto out;
	rc = wk_call(b, w, MSG_U_SHIFT, &req, NULL, 0, RUN_SHIFT_MS, MSG_U_SHIFT_REPLY, &rep, NULL,
		     e);
	wk_finish(b, w, 5000);
	if (rc < 0) {
		berr_wrap(e, "copying the image for --userns=nomap");
		goto out;
	}
	log_debug("--userns=nomap copy of %.12s: %" PRIu64 " entries, %" PRIu64 " skipped",
		  c->image_id, rep.entries, rep.skipped);
	rc = -1;
	if (umount2(src, MNT_DETACH) < 0) {
		berr_sys(e, "unmounting %s", src);
		goto out;
	}
	if (rename(path, lower) < 0) {
		berr_sys(e, "renaming %s to %s", path, lower);
		goto out;
	}
	rc = 0;
out:
	if (run_nomap_cleanup(dir, rc < 0 ? NULL : e) < 0)
		rc = -1;
	return rc;
}

int run_nomap_cleanup(const char *ctr_dir, struct berr *e)
{
	char build[4500], src[4600];
	struct berr ignore;

	snprintf(build, sizeof(build), "%s/nomap-build", ctr_dir);
	snprintf(src, sizeof(src), "%s/src", build);
	if (umount2(src, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return berr_sys(e != NULL ? e : &ignore, "unmounting %s", src);
	if (rmtree_at(AT_FDCWD, build, e != NULL ? e : &ignore) < 0 && e != NULL)
		return -1;
	return 0;
}

/* POSIX ACL xattr (system.posix_acl_access, linux/posix_acl_xattr.h): version 2, then entries
 * sorted by tag and id; ids are read in the caller's user namespace. */
#define ACL_XATTR_VERSION 2
enum { ACL_T_USER_OBJ = 0x01, ACL_T_USER = 0x02, ACL_T_GROUP_OBJ = 0x04, ACL_T_MASK = 0x10,
       ACL_T_OTHER = 0x20 };
struct acl_entry_x {
	uint16_t tag, perm;
	uint32_t id;
};

/* Lets uid (this namespace's) search the directory at path, which this process owns: its mode
 * bits as they are, plus a named-user entry with search only. */
static int grant_search(const char *path, const struct stat *st, uint32_t uid, struct berr *e)
{
	struct {
		uint32_t version;
		struct acl_entry_x e[5];
	} __attribute__((packed)) acl = {
		.version = ACL_XATTR_VERSION,
		.e = {
			{ ACL_T_USER_OBJ, (uint16_t)((st->st_mode >> 6) & 7), UINT32_MAX },
			{ ACL_T_USER, 1, uid },
			{ ACL_T_GROUP_OBJ, (uint16_t)((st->st_mode >> 3) & 7), UINT32_MAX },
			{ ACL_T_MASK, (uint16_t)(((st->st_mode >> 3) & 7) | 1), UINT32_MAX },
			{ ACL_T_OTHER, (uint16_t)(st->st_mode & 7), UINT32_MAX },
		},
	};

	if (setxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0) < 0)
		return berr_sys(e, "--userns=nomap: letting the container's root user reach %s "
				"(an ACL entry)", path);
	return 0;
}

/* --userns=nomap: the runtime mounts the root filesystem and the files of userdata/ as the
 * container's root user, berth-pause's uid 1, which is not the store's owner (uid 0 here):
 * every directory from / down must let it search. The store's own directories get an ACL
 * entry for that one ID (they stay 0700: no other user of the host gains anything); a
 * directory above the store that it cannot search is the user's to open, as Podman asks too. */
static int nomap_reach(const struct broker *b, const char *target, struct berr *e)
{
	char path[4500];
	size_t root_len = strlen(b->cfg.root);

	if (snprintf(path, sizeof(path), "%s", target) >= (int)sizeof(path))
		return berr_set(e, BERR_INVALID, 0, "%s: path too long", target);
	for (char *p = path;; p++) {
		bool end = *p == '\0';
		struct stat st;

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (path[0] != '\0' && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			bool owned = st.st_uid == 0, in_store = strlen(path) >= root_len;
			bool ok = (st.st_mode & S_IXOTH) ||
				  (st.st_uid == 1 && (st.st_mode & S_IXUSR)) ||
				  (st.st_gid == 1 && (st.st_mode & S_IXGRP));
			if (!ok && owned && in_store && grant_search(path, &st, 1, e) < 0)
				return -1;
			if (!ok && !(owned && in_store))
				return berr_set(e, BERR_UNSUPPORTED, 0, "--userns=nomap: the container's "
						"root user (berth unshare's uid 1) cannot reach %s "
						"(mode %04o): let it search the directory (chmod o+x "
						"%s) or keep the store elsewhere", path,
						(unsigned)(st.st_mode & 07777), path);
		}
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

static int mount_rootfs(struct broker *b, const struct ctr_record *c,
			const struct msg_create *cr, struct berr *e)
{
	char dir[4400], merged[4500], lower[4500], upper[4500];
	char opts[4096];
	int len;

	ctr_path(b->cfg.root, c->id, NULL, dir, sizeof(dir));
	if (cr->userns != NULL && strcmp(cr->userns, "nomap") == 0) {
		if (nomap_lower(b, c, dir, lower, sizeof(lower), e) < 0)
			return -1;
		/* The merged root is the upper directory: container root is namespace 1. */
		snprintf(upper, sizeof(upper), "%s/upper", dir);
		if (chown(upper, 1, 1) < 0)
			return berr_sys(e, "chown %s", upper);
		snprintf(upper, sizeof(upper), "%s/userdata", dir);
		if (nomap_reach(b, upper, e) < 0)
			return -1;
		len = snprintf(opts, sizeof(opts), "lowerdir=%s", lower);
	} else {
		len = layer_lowers(b, c, opts, sizeof(opts), e);
		if (len < 0)
			return -1;
	}
	/* userxattr: berth's layers mark opaque directories user.overlay.opaque, rootful and
	 * rootless alike. */
	len += snprintf(opts + len, sizeof(opts) - (size_t)len,
			",upperdir=%s/upper,workdir=%s/work,userxattr", dir, dir);
	if (len >= 4096 || (size_t)len >= sizeof(opts))
		return berr_set(e, BERR_UNSUPPORTED, 0, "the image's layers make an overlay option "
				"string longer than the kernel takes");
	snprintf(merged, sizeof(merged), "%s/merged", dir);
	(void)umount2(merged, MNT_DETACH); /* left by a run that died */
	if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
		return berr_sys(e, "mounting the container's root filesystem (overlay)");
	return 0;
}

/* Exit codes 127 and 126, as Podman gives them, decided before the runtime runs: the command
 * looked up in the container's own root (openat2 RESOLVE_IN_ROOT: absolute symlinks inside the
 * image resolve inside it). */
int run_check_exec(const char *rootfs, const char *config, int64_t *code, char *msg,
		   size_t msglen)
{
	json_t *spec = json_loads(config, 0, NULL), *env, *v;
	const char *arg0, *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	cleanup_close int root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool exists = false;
	size_t i;

	*code = 0;
	json_t *args = json_object_get(json_object_get(spec, "process"), "args");
	arg0 = json_string_value(json_array_get(args, 0));
	/* --init: berth-init (bound in, not in the root) runs what follows its "--". */
	if (arg0 != NULL && strcmp(arg0, SPEC_INIT_PATH) == 0)
		arg0 = json_string_value(json_array_get(args, 2));
	if (spec == NULL || arg0 == NULL || root < 0) {
		json_decref(spec);
		return 0; /* the runtime will say */
	}
	env = json_object_get(json_object_get(spec, "process"), "env");
	json_array_foreach(env, i, v)
		if (json_is_string(v) && strncmp(json_string_value(v), "PATH=", 5) == 0)
			path = json_string_value(v) + 5;
	char cand[8192];
	const char *p = path;
	do {
		const char *end = strchrnul(p, ':');
		if (strchr(arg0, '/') != NULL)
			snprintf(cand, sizeof(cand), "%s", arg0);
		else
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)(end - p), p, arg0);
		struct open_how how = { .flags = O_PATH | O_CLOEXEC,
					.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
		int fd = (int)syscall(SYS_openat2, root, cand, &how, sizeof(how));
		if (fd >= 0) {
			struct stat st;
			bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
			close(fd);
			if (ok) {
				json_decref(spec);
				return 0;
			}
			exists = true;
		}
		if (strchr(arg0, '/') != NULL)
			break;
		p = *end == ':' ? end + 1 : end;
	} while (*p != '\0');
	*code = exists ? 126 : 127;
	snprintf(msg, msglen, exists ? "%s: permission denied: the file is not an executable "
				       "regular file in the container: OCI permission denied"
				     : "executable file `%s` not found in $PATH: No such file or "
				       "directory: OCI runtime attempted to invoke a command that was "
				       "not found",
		 arg0);
	json_decref(spec);
	return 0;
}

/* At start, a user given by name (-u, else the image's User) or --group-add names: resolved in
 * the container's own files now that its root is mounted, then config.json made again with the
 * IDs (create could only put 0 there, and leave the named groups out). *config is replaced by
 * the new text. Numeric IDs only change nothing. */
static int resolve_user_config(struct broker *b, const struct ctr_record *c,
			       const char *userdata, const char *rootfs, const char *config_path,
			       char **config, struct berr *e)
{
	static const char *const none[] = { NULL };
	struct msg_create cr = { 0 };
	struct msg_image_inspect_reply img = { 0 };
	struct ctr_user user;
	struct ctrflags_groups named = { 0 };
	cleanup_free char *command = NULL, *text = NULL;
	const char *spec;
	bool names;
	int rc = -1;

	if (ipc_decode_struct(&msg_create_schema, c->config, c->config_len, none, &cr, e) < 0)
		return berr_wrap(e, "container %s: its stored create request", c->name);
	names = ctrflags_group_names(&cr);
	if (cr.user != NULL && ctr_user_numeric(cr.user) && !names) {
		rc = 0;
		goto out;
	}
	if (imgstore_inspect(b->db, c->image_id, &img, e) < 0)
		goto out;
	spec = cr.user != NULL ? cr.user : img.config[0].user;
	if (ctr_user_numeric(spec) && !names) {
		rc = 0;
		goto out;
	}
	if ((!ctr_user_numeric(spec) && ctr_user_resolve(b, rootfs, spec, &user, e) < 0) ||
	    (names && ctrflags_resolve_groups(b, rootfs, &cr, &named, e) < 0) ||
	    make_config(b, &cr, &img.config[0], ctr_user_numeric(spec) ? NULL : &user, &named,
			c->id, userdata, rootfs, &text, &command, e) < 0 ||
	    write_file_atomic(config_path, text, strlen(text), 0600, e) < 0)
		goto out;
	free(*config);
	*config = TAKE_PTR(text);
	rc = 0;
out:
	ipc_struct_free(&msg_create_schema, &cr);
	ipc_struct_free(&msg_image_inspect_reply_schema, &img);
	return rc;
}

/* ctr.log is rotated beyond this size (Podman's log_size_max is unlimited by default; a
 * monitor that runs for months must not fill the disk). */
#define RUN_LOG_MAX (16u << 20)
/* berth-launch answers MSG_L_STATUS once the runtime's `run --detach` has returned. */
#define RUN_START_MS (120 * 1000)

static int run_exit_file(const struct broker *b, const char *id, char *out, size_t len)
{
	return snprintf(out, len, "%s/exits/%s", b->cfg.runroot, id) < (int)len ? 0 : -1;
}

/* Starts the container under berth-launch. Attached (stdio = the frontend's three fds): waits
 * for its end and records it. Detached: returns once the runtime has started it, leaving the
 * monitor (which holds the container's lock) to outlive this broker. *exit_code/errmsg: the
 * container's exit (attached), or 126/127 with the reason when it could not run. */
static int launch_container(struct broker *b, struct ipc_msg *m, const struct ctr_record *c,
			    const struct msg_create *cr, bool attach, int64_t *exit_code,
			    bool *detached, char *errmsg, size_t errlen, struct berr *e)
{
	char userdata[4400], rootfs[4400], rtroot[4300], config_path[4500], exits[4300];
	char exit_file[4400], pidfile[4500], log_max[32], broker_path[4200];
	char *argv[32];
	size_t n = 0;
	cleanup_free char *config = NULL;
	size_t clen;
	cleanup_close int lock = -1;
	cleanup_close int devnull = -1;
	bool keep_mounted = false;
	struct wk *w;
	int rc = -1;

	ctr_path(b->cfg.root, c->id, "userdata", userdata, sizeof(userdata));
	ctr_path(b->cfg.root, c->id, "merged", rootfs, sizeof(rootfs));
	snprintf(rtroot, sizeof(rtroot), "%s/runtime", b->cfg.runroot);
	snprintf(exits, sizeof(exits), "%s/exits", b->cfg.runroot);
	snprintf(config_path, sizeof(config_path), "%s/config.json", userdata);
	snprintf(pidfile, sizeof(pidfile), "%s/pidfile", userdata);
	(void)run_exit_file(b, c->id, exit_file, sizeof(exit_file));
	if (mkdir_p(rtroot, 0700, e) < 0 || mkdir_p(exits, 0700, e) < 0 ||
	    xread_file_at(AT_FDCWD, config_path, 16u << 20, &config, &clen, e) < 0)
		return -1;
	/* Held for the whole run, by us and by the monitor: a later command that can take it
	 * knows the container is not running. */
	lock = lock_object(b->cfg.root, "container", c->id, true, e);
	if (lock == -2)
		return berr_set(e, BERR_INVALID, 0, "container %s is already running", c->name);
	if (lock < 0)
		return -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return berr_sys(e, "opening /dev/null");
	if (mount_rootfs(b, c, cr, e) < 0)
		return -1;
	if (resolve_user_config(b, c, userdata, rootfs, config_path, &config, e) < 0)
		goto out;
	if (run_check_exec(rootfs, config, exit_code, errmsg, errlen) < 0 || *exit_code != 0) {
		rc = 0;
		goto out;
	}
	/* Left by an earlier run. */
	(void)unlink(exit_file);
	(void)unlink(pidfile);
	snprintf(log_max, sizeof(log_max), "%u", RUN_LOG_MAX);
	snprintf(broker_path, sizeof(broker_path), "%s/berth-broker", b->cfg.libexec);
	argv[n++] = (char *)"--run";
	argv[n++] = (char *)c->runtime;
	argv[n++] = (char *)"--runtime-root";
	argv[n++] = rtroot;
	argv[n++] = (char *)"--bundle";
	argv[n++] = userdata;
	argv[n++] = (char *)"--id";
	argv[n++] = (char *)c->id;
	argv[n++] = (char *)"--exit-dir";
	argv[n++] = exits;
	argv[n++] = (char *)"--log-max";
	argv[n++] = log_max;
	if (cr->interactive)
		argv[n++] = (char *)"--interactive";
	if (cr->tty)
		argv[n++] = (char *)"--tty";
	if (cr->detach_keys != NULL) {
		argv[n++] = (char *)"--detach-keys";
		argv[n++] = cr->detach_keys;
	}
	if (!attach) {
		argv[n++] = (char *)"--detach";
		argv[n++] = (char *)"--broker";
		argv[n++] = broker_path;
		argv[n++] = (char *)"--store-root";
		argv[n++] = b->cfg.root;
		argv[n++] = (char *)"--runroot";
		argv[n++] = b->cfg.runroot;
		argv[n++] = (char *)"--tmpdir";
		argv[n++] = b->cfg.tmpdir;
		if (b->cfg.rootless)
			argv[n++] = (char *)"--rootless";
	}
	argv[n] = NULL;
	/* Attached -t: the frontend's SIGWINCH pipe follows (fd 9 in the monitor). */
	int fds[5] = { attach ? m->fds[0] : devnull, attach ? m->fds[1] : devnull,
		       attach ? m->fds[2] : devnull, lock, attach && m->nfds == 4 ? m->fds[3] : -1 };
	w = wk_spawn_fds(b, "launch", argv, fds, fds[4] >= 0 ? 5 : 4, e);
	if (w == NULL)
		goto out;
	if (!attach) {
		struct msg_l_status req = { 0 };
		struct msg_l_status_reply rep = { 0 };
		if (wk_call(b, w, MSG_L_STATUS, &req, NULL, 0, RUN_START_MS, MSG_L_STATUS_REPLY,
			    &rep, NULL, e) < 0) {
			wk_release(b, w);
			goto out;
		}
		if (rep.error != NULL) {
			/* The runtime refused: the container never ran. */
			*exit_code = 126;
			snprintf(errmsg, errlen, "OCI runtime error: %s", rep.error);
			ipc_struct_free(&msg_l_status_reply_schema, &rep);
			wk_release(b, w);
			rc = 0;
			goto out;
		}
		ipc_struct_free(&msg_l_status_reply_schema, &rep);
		if (ctr_set_running(b->db, c->id, wk_pid(w), e) < 0) {
			wk_release(b, w); /* it sees EOF, and runs on: the next scan records it */
			goto out;
		}
		wk_disown(b, w);
		keep_mounted = true;
		rc = 0;
		goto out;
	}
	if (ctr_set_running(b->db, c->id, wk_pid(w), e) < 0) {
		wk_release(b, w);
		goto out;
	}
	struct msg_l_wait req = { 0 };
	struct msg_l_wait_reply rep = { 0 };
	rc = wk_call(b, w, MSG_L_WAIT, &req, NULL, 0, RUN_WAIT_MS, MSG_L_WAIT_REPLY, &rep, NULL, e);
	if (rc == 0 && rep.detached)
		wk_disown(b, w); /* it outlives us now, as after run -d */
	else
		wk_release(b, w);
	/* berth-launch's word, checked: an exit status, or 128 + a signal number. */
	if (rc == 0 && (rep.exit_code < 0 || rep.exit_code > 255 || rep.signal < 0 ||
			rep.signal > 64 || (rep.signal != 0 && rep.exit_code != 128 + rep.signal))) {
		rc = berr_set(e, BERR_PROTOCOL, 0, "berth-launch reported an impossible exit status "
			      "%lld (signal %lld)", (long long)rep.exit_code, (long long)rep.signal);
	}
	if (rc == 0 && rep.detached) {
		/* ctrl-p ctrl-q: it runs on under its monitor, like one started with -d. */
		*detached = true;
		keep_mounted = true;
		goto out;
	}
	*exit_code = rc == 0 ? rep.exit_code : 125;
	struct berr e2;
	if (ctr_set_exited(b->db, c->id, *exit_code, &e2) < 0)
		log_warn("%s", e2.msg);
	(void)unlink(exit_file);
out:
	if (!keep_mounted && umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL)
		log_warn("unmounting %s: %s", rootfs, strerror(errno));
	return rc;
}

static int start(struct broker *b, struct ipc_msg *m, const char *name, bool attach,
		 struct berr *e)
{
	static const char *const none[] = { NULL };
	struct msg_create cr = { 0 };
	struct ctr_record c;
	char id[65], errmsg[1024] = "";
	int64_t code = 0;
	bool detached = false;
	int rc;

	if (ctr_lookup(b->db, name, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
		return -1;
	if (c.state == CTR_RUNNING) {
		ctr_record_free(&c);
		return berr_set(e, BERR_INVALID, 0, "container %s is already running", c.name);
	}
	if (ipc_decode_struct(&msg_create_schema, c.config, c.config_len, none, &cr, e) < 0) {
		ctr_record_free(&c);
		return berr_wrap(e, "container %s: its stored create request", c.name);
	}
	rc = launch_container(b, m, &c, &cr, attach, &code, &detached, errmsg, sizeof(errmsg), e);
	/* --rm: removed once it ran (attached), or could not run at all; a detached one is
	 * removed by its monitor's cleanup. */
	if (cr.rm && ((attach && !detached) || rc < 0 || errmsg[0] != '\0')) {
		struct berr e2;
		if (ctr_delete(b->db, c.id, &e2) < 0 || ctr_remove_dirs(b->cfg.root, c.id, &e2) < 0)
			log_warn("removing container %s: %s", c.name, e2.msg);
	}
	ipc_struct_free(&msg_create_schema, &cr);
	if (rc < 0) {
		ctr_record_free(&c);
		return -1;
	}
	if (!attach) {
		if (errmsg[0] != '\0') {
			rc = berr_set(e, code == 127 ? BERR_NOTFOUND : BERR_INVALID, 0, "%s",
				      errmsg);
		} else {
			struct msg_create_reply rep = { .container_id = c.id, .name = c.name };
			rc = ipc_send(b->front, MSG_CREATE_REPLY, m->id, &rep, NULL, 0, e);
		}
		ctr_record_free(&c);
		return rc;
	}
	ctr_record_free(&c);
	struct msg_start_done done = { .exit_code = code, .detached = detached,
				       .error = errmsg[0] != '\0' ? errmsg : NULL };
	return ipc_send(b->front, MSG_START_DONE, m->id, &done, NULL, 0, e);
}

int broker_create(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_create *r = m->body;
	char id[65], name[256];

	if (create(b, r, id, name, e) < 0)
		return -1;
	struct msg_create_reply rep = { .container_id = id, .name = name };
	return ipc_send(b->front, MSG_CREATE_REPLY, m->id, &rep, NULL, 0, e);
}

int broker_run(struct broker *b, struct ipc_msg *m, struct berr *e)
{
	const struct msg_start *s = m->body;

	if (s->attach != (m->nfds == 3 || m->nfds == 4))
		return berr_set(e, BERR_PROTOCOL, 0, "an attached start carries the three stdio fds "
				"(and a SIGWINCH pipe), a detached one none");
	return start(b, m, s->container, s->attach, e);
}

/* ---------------------------------------------------------------- ps, rm */

int broker_ps(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_ps *req = m->body;
	struct msg_ps_reply r = { 0 };
	int rc;

	if (ctr_list(b->db, req->all, &r, e) < 0)
		return -1;
	for (size_t i = 0; req->labels && i < r.n_containers; i++)
		if (ctr_summary_labels(b->db, &r.containers[i], e) < 0) {
			ipc_struct_free(&msg_ps_reply_schema, &r);
			return -1;
		}
	size_t off = 0;
	do {
		struct msg_ps_reply part = { .containers = r.containers + off };
		/* Labels make a summary larger: fewer of them in a part. */
		size_t chunk = req->labels ? PS_REPLY_CHUNK / 20 : PS_REPLY_CHUNK;
		part.n_containers = r.n_containers - off > chunk ? chunk : r.n_containers - off;
		off += part.n_containers;
		part.more = off < r.n_containers;
		rc = ipc_send(b->front, MSG_PS_REPLY, m->id, &part, NULL, 0, e);
	} while (rc == 0 && off < r.n_containers);
	ipc_struct_free(&msg_ps_reply_schema, &r);
	return rc;
}

int run_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (nv == NULL)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	if (nv[*n] == NULL)
		return -1;
	nv[++*n] = NULL;
	return 0;
}

int broker_crm(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_crm *req = m->body;
	struct msg_crm_reply r = { 0 };
	struct msg_ps_reply all = { 0 };
	int rc = -1;

	if (run_strv_add(&r.removed, &r.n_removed, "") < 0 || run_strv_add(&r.missing, &r.n_missing, "") < 0)
		goto nomem;
	/* Empty vectors, not NULL: the schema wants them present. */
	free(r.removed[0]);
	free(r.missing[0]);
	r.removed[0] = r.missing[0] = NULL;
	r.n_removed = r.n_missing = 0;
	if (req->all && ctr_list(b->db, true, &all, e) < 0)
		goto out;
	size_t n = req->all ? all.n_containers : req->n_names;
	for (size_t i = 0; i < n; i++) {
		const char *name = req->all ? all.containers[i].id : req->names[i];
		struct ctr_record c;
		char id[65];
		struct berr e2 = { 0 };
		if (ctr_lookup(b->db, name, id, &e2) < 0) {
			if (e2.code != BERR_NOTFOUND) {
				*e = e2;
				goto out;
			}
			if (run_strv_add(&r.missing, &r.n_missing, name) < 0)
				goto nomem;
			continue;
		}
		if (ctr_get(b->db, id, &c, e) < 0)
			goto out;
		if (c.state == CTR_RUNNING && !req->force) {
			berr_set(e, BERR_INVALID, 0, "cannot remove container %s as it is running - "
				 "running or paused containers cannot be removed without force",
				 c.id);
			ctr_record_free(&c);
			goto out;
		}
		/* -f: killed first, through its monitor, and its end recorded. */
		if (c.state == CTR_RUNNING && lc_stop(b, &c, SIGKILL, 0, e) < 0) {
			ctr_record_free(&c);
			goto out;
		}
		ctr_record_free(&c);
		if (ctr_get(b->db, id, &c, e) < 0) {
			if (e->code != BERR_NOTFOUND)
				goto out;
			/* an --rm container: its stop removed it */
			berr_clear(e);
			if (run_strv_add(&r.removed, &r.n_removed, req->all ? id : name) < 0)
				goto nomem;
			continue;
		}
		ctr_record_free(&c);
		if (ctr_delete(b->db, id, e) < 0 || ctr_remove_dirs(b->cfg.root, id, e) < 0 ||
		    run_strv_add(&r.removed, &r.n_removed, req->all ? id : name) < 0)
			goto out;
	}
	rc = ipc_send(b->front, MSG_CRM_REPLY, m->id, &r, NULL, 0, e);
	goto out;
nomem:
	berr_sys(e, "allocating");
out:
	ipc_struct_free(&msg_crm_reply_schema, &r);
	ipc_struct_free(&msg_ps_reply_schema, &all);
	return rc;
}

int broker_cinspect(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_cinspect *req = m->body;
	struct msg_ps_reply all = { 0 };
	struct msg_cinspect_reply r = { 0 };
	char id[65], path[4500];
	cleanup_free char *config = NULL;
	size_t len;
	struct ctr_record c;
	int rc = -1;

	if (ctr_lookup(b->db, req->container, id, e) < 0 || ctr_get(b->db, id, &c, e) < 0)
		return -1;
	r.runtime = c.runtime;
	ctr_path(b->cfg.root, id, "userdata/config.json", path, sizeof(path));
	if (xread_file_at(AT_FDCWD, path, 192 * 1024, &config, &len, e) < 0 ||
	    ctr_list(b->db, true, &all, e) < 0)
		goto out;
	for (size_t i = 0; i < all.n_containers; i++)
		if (strcmp(all.containers[i].id, id) == 0) {
			r.summary = &all.containers[i];
			r.n_summary = 1;
		}
	if (r.summary == NULL) {
		berr_set(e, BERR_NOTFOUND, 0, "container %s went away", req->container);
		goto out;
	}
	if (ctr_summary_labels(b->db, r.summary, e) < 0)
		goto out;
	r.config_json = config;
	rc = ipc_send(b->front, MSG_CINSPECT_REPLY, m->id, &r, NULL, 0, e);
out:
	ctr_record_free(&c);
	ipc_struct_free(&msg_ps_reply_schema, &all);
	return rc;
}
