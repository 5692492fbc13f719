/* The container's user from its /etc/passwd and /etc/group. See passwd.h. */
#include "workers/verify/passwd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define QUOTE_MAX 64

/* A run of bytes inside the file or the spec (not NUL-terminated). */
struct span {
	const char *p;
	size_t len;
};

/* Fields of one line: passwd has 7 (name:pass:uid:gid:gecos:home:shell), group 4
 * (name:pass:gid:members); more are ignored. */
#define MAX_FIELDS 7
struct line {
	struct span f[MAX_FIELDS];
	size_t n;
};

/* Walks a file line by line. */
struct lines {
	const struct passwd_file *file;
	const char *what;
	size_t off;
};

static void quote(char *dst, size_t cap, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < cap; i++) {
		if (i == QUOTE_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		char c = s[i];
		dst[o++] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '?' : c;
	}
	dst[o] = '\0';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool span_eq(struct span a, struct span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool all_digits(struct span s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return true;
}

/* A decimal id in 0..PASSWD_ID_MAX (leading zeros allowed, as strconv.Atoi allows them). */
static bool parse_id(struct span s, uint32_t *id)
{
	uint64_t v = 0;

	if (!all_digits(s))
		return false;
	for (size_t i = 0; i < s.len; i++) {
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v > PASSWD_ID_MAX)
			return false;
	}
	*id = (uint32_t)v;
	return true;
}

static void split_fields(struct span s, struct line *l)
{
	const char *p = s.p, *end = s.p + s.len;

	l->n = 0;
	for (;;) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		const char *fe = c != NULL ? c : end;
		if (l->n < MAX_FIELDS)
			l->f[l->n++] = (struct span){ p, (size_t)(fe - p) };
		if (c == NULL)
			break;
		p = c + 1;
	}
}

/* The next line that is neither blank nor a comment, split; 0 at the end, -1 on a line over
 * PASSWD_MAX_LINE. */
static int next_line(struct lines *it, struct line *l, struct berr *e)
{
	const char *buf = (const char *)it->file->buf;
	size_t len = it->file->len;

	while (it->file->present && it->off < len) {
		const char *start = buf + it->off;
		const char *nl = memchr(start, '\n', len - it->off);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - it->off;

		if (n > PASSWD_MAX_LINE)
			return berr_set(e, BERR_INVALID, 0, "the container's %s has a line longer "
					"than %d KiB", it->what, PASSWD_MAX_LINE / 1024);
		it->off += n + (nl != NULL ? 1 : 0);
		while (n > 0 && is_space(start[0])) {
			start++;
			n--;
		}
		while (n > 0 && is_space(start[n - 1]))
			n--;
		if (n == 0 || start[0] == '#')
			continue;
		split_fields((struct span){ start, n }, l);
		return 1;
	}
	return 0;
}

/* The passwd entry found for the user part. */
struct pw_entry {
	struct span name;
	uint32_t uid, gid;
	struct span home;
};

static int find_user(const struct passwd_file *passwd, struct span user, bool numeric,
		     uint32_t uid, struct pw_entry *out, struct berr *e)
{
	struct lines it = { passwd, "/etc/passwd", 0 };
	struct line l;
	int r;

	while ((r = next_line(&it, &l, e)) > 0) {
		struct pw_entry p = { 0 };
		if (l.n < 4 || l.f[0].len == 0 || !parse_id(l.f[2], &p.uid) ||
		    !parse_id(l.f[3], &p.gid))
			continue; /* malformed */
		if (numeric ? p.uid != uid : !span_eq(l.f[0], user))
			continue;
		p.name = l.f[0];
		if (l.n > 5)
			p.home = l.f[5];
		*out = p;
		return 1;
	}
	return r;
}

/* A group line's gid, or false when the line is malformed. */
static bool group_gid(const struct line *l, uint32_t *gid)
{
	return l->n >= 3 && l->f[0].len > 0 && parse_id(l->f[2], gid);
}

static int find_group(const struct passwd_file *group, struct span name, bool numeric,
		      uint32_t want, uint32_t *gid, struct berr *e)
{
	struct lines it = { group, "/etc/group", 0 };
	struct line l;
	uint32_t g;
	int r;

	while ((r = next_line(&it, &l, e)) > 0) {
		if (!group_gid(&l, &g))
			continue;
		if (numeric ? g == want : span_eq(l.f[0], name)) {
			*gid = g;
			return 1;
		}
	}
	return r;
}

static bool has_member(struct span list, struct span name)
{
	const char *p = list.p, *end = list.p + list.len;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *me = c != NULL ? c : end;
		if (span_eq((struct span){ p, (size_t)(me - p) }, name))
			return true;
		p = me + 1;
	}
	return false;
}

static int member_groups(const struct passwd_file *group, struct span name,
			 struct msg_v_user_reply *out, struct berr *e)
{
	struct lines it = { group, "/etc/group", 0 };
	struct line l;
	uint32_t g;
	int r;

	while ((r = next_line(&it, &l, e)) > 0) {
		if (!group_gid(&l, &g) || l.n < 4 || !has_member(l.f[3], name))
			continue;
		if (out->n_groups == PASSWD_MAX_GROUPS) {
			char q[QUOTE_MAX + 8];
			quote(q, sizeof(q), name.p, name.len);
			return berr_set(e, BERR_INVALID, 0, "user %s is a member of more than %d "
					"groups in the container's /etc/group", q,
					PASSWD_MAX_GROUPS);
		}
		if (out->groups == NULL) {
			out->groups = calloc(PASSWD_MAX_GROUPS, sizeof(*out->groups));
			if (out->groups == NULL)
				return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		}
		out->groups[out->n_groups++].gid = g;
	}
	return r;
}

static bool home_ok(struct span h)
{
	if (h.len == 0 || h.len > PASSWD_HOME_MAX || h.p[0] != '/')
		return false;
	for (size_t i = 0; i < h.len; i++)
		if (h.p[i] < 0x20 || h.p[i] > 0x7e)
			return false;
	return true;
}

/* The user or group part of the spec: a number (then *id, in range) or a name. q is the whole
 * spec, quoted, for the error. */
static int spec_part(struct span s, const char *q, const char *what, bool *numeric,
		     uint32_t *id, struct berr *e)
{
	*numeric = all_digits(s);
	if (*numeric && !parse_id(s, id))
		return berr_set(e, BERR_INVALID, 0, "invalid user \"%s\": the %s is out of range "
				"(0 to %" PRIu32 ")", q, what, PASSWD_ID_MAX);
	return 0;
}

static int resolve(const struct passwd_file *passwd, const struct passwd_file *group,
		   const char *spec, struct msg_v_user_reply *out, struct berr *e)
{
	const char *colon = strchr(spec, ':');
	struct span user = { spec, colon != NULL ? (size_t)(colon - spec) : strlen(spec) };
	struct span grp = { colon != NULL ? colon + 1 : "", colon != NULL ? strlen(colon + 1) : 0 };
	struct pw_entry pw = { 0 };
	char q[QUOTE_MAX + 8];
	uint32_t uid = 0, gid = 0;
	bool unum, gnum = false, found;
	int r;

	quote(q, sizeof(q), spec, strlen(spec));
	if (user.len == 0 || (colon != NULL && (grp.len == 0 || strchr(grp.p, ':') != NULL)))
		return berr_set(e, BERR_INVALID, 0, "invalid user \"%s\": give NAME or UID, "
				"optionally followed by :GROUP or :GID", q);
	if (spec_part(user, q, "uid", &unum, &uid, e) < 0 ||
	    (grp.len > 0 && spec_part(grp, q, "gid", &gnum, &gid, e) < 0))
		return -1;
	r = find_user(passwd, user, unum, uid, &pw, e);
	if (r < 0)
		return -1;
	found = r > 0;
	if (!found && !unum) {
		quote(q, sizeof(q), user.p, user.len);
		return berr_set(e, BERR_INVALID, 0, "unable to find user %s: no matching entries "
				"in passwd file", q);
	}
	out->uid = found ? pw.uid : uid;
	out->gid = found ? pw.gid : 0;
	out->home = strndup(found && home_ok(pw.home) ? pw.home.p : "/",
			    found && home_ok(pw.home) ? pw.home.len : 1);
	if (out->home == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	if (grp.len > 0) {
		r = find_group(group, grp, gnum, gid, &gid, e);
		if (r < 0)
			return -1;
		if (r == 0 && !gnum) {
			quote(q, sizeof(q), grp.p, grp.len);
			return berr_set(e, BERR_INVALID, 0, "unable to find group %s: no matching "
					"entries in group file", q);
		}
		out->gid = gid;
		return 0;
	}
	return found ? member_groups(group, pw.name, out, e) : 0;
}

int verify_resolve_user(const struct passwd_file *passwd, const struct passwd_file *group,
			const char *spec, struct msg_v_user_reply *out, struct berr *e)
{
	memset(out, 0, sizeof(*out));
	if ((passwd->present && passwd->len > PASSWD_MAX_FILE) ||
	    (group->present && group->len > PASSWD_MAX_FILE))
		return berr_set(e, BERR_INVALID, 0, "the container's /etc/%s is more than %d MiB",
				passwd->present && passwd->len > PASSWD_MAX_FILE ? "passwd"
										  : "group",
				PASSWD_MAX_FILE / (1024 * 1024));
	if (spec == NULL)
		spec = "";
	if (resolve(passwd, group, spec, out, e) < 0) {
		ipc_struct_free(&msg_v_user_reply_schema, out);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
