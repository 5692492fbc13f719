/* A container's user by name. See ctruser.h. */
#include "broker/ctruser.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker/wk.h"
#include "common/cleanup.h"
#include "ipc/msg.h"

/* The files are a few KiB; the bound keeps a hostile image from making the worker read more
 * (berth-verify refuses more too). */
#define USER_FILE_MAX (4 * 1024 * 1024)
#define USER_TIMEOUT_MS (30 * 1000)
#define ID_MAX 4294967294UL

static bool digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool ctr_user_numeric(const char *spec)
{
	const char *colon;

	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "root") == 0)
		return true;
	colon = strchr(spec, ':');
	if (colon == NULL)
		return digits(spec, strlen(spec));
	return digits(spec, (size_t)(colon - spec)) && digits(colon + 1, strlen(colon + 1));
}

static int parse_id(const char *s, const char *spec, const char *what, uint32_t *id,
		    struct berr *e)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || (*end != '\0' && *end != ':') || v > ID_MAX)
		return berr_set(e, BERR_INVALID, 0, "invalid user \"%s\": the %s is out of range "
				"(0 to %lu)", spec, what, ID_MAX);
	*id = (uint32_t)v;
	return 0;
}

int ctr_user_parse_numeric(const char *spec, uint32_t *uid, uint32_t *gid, struct berr *e)
{
	const char *colon;

	*uid = *gid = 0;
	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "root") == 0)
		return 0;
	if (!ctr_user_numeric(spec))
		return berr_set(e, BERR_INTERNAL, 0, "user \"%s\" is not numeric", spec);
	if (parse_id(spec, spec, "uid", uid, e) < 0)
		return -1;
	*gid = *uid;
	colon = strchr(spec, ':');
	return colon != NULL ? parse_id(colon + 1, spec, "gid", gid, e) : 0;
}

/* Opens /etc/NAME inside the container's root: absolute symlinks in the image resolve inside
 * it, magic links not at all, and a FIFO or device there neither blocks nor opens (the type is
 * checked before any read). -1 with *missing = true when there is no such file. */
static int open_user_file(int root, const char *name, bool *missing, struct berr *e)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	cleanup_close int fd = -1;
	struct stat st;

	*missing = false;
	fd = (int)syscall(SYS_openat2, root, name, &how, sizeof(how));
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		*missing = true;
		return -1;
	}
	if (fd < 0)
		return berr_sys(e, "opening the container's %s", name);
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "the container's %s: fstat", name);
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "the container's %s is not a regular file",
				name);
	if (st.st_size > USER_FILE_MAX)
		return berr_set(e, BERR_INVALID, 0, "the container's %s is %jd bytes, more than "
				"the %d MiB berth reads", name, (intmax_t)st.st_size,
				USER_FILE_MAX / (1024 * 1024));
	return TAKE_FD(fd);
}

static bool home_valid(const char *h)
{
	size_t n = h != NULL ? strlen(h) : 0;

	if (n == 0 || n >= sizeof(((struct ctr_user *)0)->home) || h[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (h[i] < 0x20 || h[i] > 0x7e)
			return false;
	return true;
}

/* The worker's answer is checked as untrusted: its ids in range, its list bounded, its home
 * an absolute printable path (it goes into HOME). */
static int take_reply(const struct msg_v_user_reply *r, struct ctr_user *out, struct berr *e)
{
	if (r->uid > ID_MAX || r->gid > ID_MAX || r->n_groups > CTR_USER_MAX_GROUPS ||
	    !home_valid(r->home))
		return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a bad user");
	out->uid = (uint32_t)r->uid;
	out->gid = (uint32_t)r->gid;
	out->n_groups = r->n_groups;
	for (size_t i = 0; i < r->n_groups; i++) {
		if (r->groups[i].gid > ID_MAX)
			return berr_set(e, BERR_PROTOCOL, 0, "berth-verify sent a bad group");
		out->groups[i] = (uint32_t)r->groups[i].gid;
	}
	snprintf(out->home, sizeof(out->home), "%s", r->home);
	return 0;
}

int ctr_user_resolve(struct broker *b, const char *rootfs, const char *spec,
		     struct ctr_user *out, struct berr *e)
{
	cleanup_close int root = -1, passwd = -1, group = -1;
	struct msg_v_user req = { .user = (char *)spec };
	struct msg_v_user_reply rep = { 0 };
	int fds[2];
	size_t nfds = 0;
	bool missing;
	struct wk *w;
	int rc;

	memset(out, 0, sizeof(*out));
	root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return berr_sys(e, "opening the container's root %s", rootfs);
	passwd = open_user_file(root, "/etc/passwd", &missing, e);
	if (passwd < 0 && !missing)
		return -1;
	group = open_user_file(root, "/etc/group", &missing, e);
	if (group < 0 && !missing)
		return -1;
	req.has_passwd = passwd >= 0;
	req.has_group = group >= 0;
	if (passwd >= 0)
		fds[nfds++] = passwd;
	if (group >= 0)
		fds[nfds++] = group;
	w = wk_spawn(b, "verify", NULL, e);
	if (w == NULL)
		return -1;
	rc = wk_call(b, w, MSG_V_USER, &req, fds, nfds, USER_TIMEOUT_MS, MSG_V_USER_REPLY, &rep,
		     NULL, e);
	wk_release(b, w);
	if (rc == 0)
		rc = take_reply(&rep, out, e);
	ipc_struct_free(&msg_v_user_reply_schema, &rep);
	return rc;
}
