/* config.json generation: see spec.h for the contract and the defaults.
 *
 * Facts taken from Podman (pkg/specgen/generate, containers/common pkg/config and
 * pkg/capabilities, runtime-tools' default mounts), read for behaviour, not copied:
 *   - command: the entrypoint (--entrypoint, else the image's) followed by the args, else the
 *     image's Cmd only when no --entrypoint was given; an entrypoint of [""] adds nothing;
 *   - capabilities: MergeCapabilities (drop ALL keeps only the adds; add ALL starts from the
 *     bounding set; a name both added and dropped is an error), filtered by the bounding set;
 *   - masked/read-only paths from containers.conf defaults, minus what unmask= matches
 *     (filepath.Match globs, "ALL"), plus mask=; none of the defaults when privileged;
 *   - sysfs cannot be mounted fresh with the host's network namespace in a user namespace:
 *     /sys and /sys/fs/cgroup are then bound read-only and, rootless, /sys/kernel is masked;
 *   - devpts drops gid=5 where gid 5 does not exist in the container;
 *   - tmpfs options as util.ProcessOptions fills them in (rprivate, noexec, nosuid, nodev,
 *     tmpcopyup unless the user said otherwise); --read-only adds /tmp, /var/tmp, /run;
 *   - mounts are ordered parent before child (libpod sorts by path depth).
 * Anything else is berth's own choice and says so where it is made. */
#include "policy/spec.h"

#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"

#define cleanup_json __attribute__((cleanup(json_decrefp)))

/* ---------------------------------------------------------------- tables */

/* Index = capability number (linux/capability.h). */
static const char *const cap_names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
#define CAP_COUNT ARRAY_SIZE(cap_names)
#define CAP_ALL_MASK ((UINT64_C(1) << CAP_COUNT) - 1)
#define CAPB(n) (UINT64_C(1) << (n))

/* containers.conf default_capabilities */
static const uint64_t default_caps = CAPB(0) /* CHOWN */ | CAPB(1) /* DAC_OVERRIDE */ |
	CAPB(3) /* FOWNER */ | CAPB(4) /* FSETID */ | CAPB(5) /* KILL */ |
	CAPB(10) /* NET_BIND_SERVICE */ | CAPB(31) /* SETFCAP */ | CAPB(6) /* SETGID */ |
	CAPB(8) /* SETPCAP */ | CAPB(7) /* SETUID */ | CAPB(18) /* SYS_CHROOT */;

static const char *const default_masked[] = {
	"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
	"/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
	"/sys/firmware", "/sys/fs/selinux", "/proc/interrupts",
};

static const char *const default_readonly[] = {
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const struct {
	const char *name;
	const char *type;
} ulimit_names[] = {
	{ "as", "RLIMIT_AS" }, { "core", "RLIMIT_CORE" }, { "cpu", "RLIMIT_CPU" },
	{ "data", "RLIMIT_DATA" }, { "fsize", "RLIMIT_FSIZE" }, { "locks", "RLIMIT_LOCKS" },
	{ "memlock", "RLIMIT_MEMLOCK" }, { "msgqueue", "RLIMIT_MSGQUEUE" },
	{ "nice", "RLIMIT_NICE" }, { "nofile", "RLIMIT_NOFILE" }, { "nproc", "RLIMIT_NPROC" },
	{ "rss", "RLIMIT_RSS" }, { "rtprio", "RLIMIT_RTPRIO" }, { "rttime", "RLIMIT_RTTIME" },
	{ "sigpending", "RLIMIT_SIGPENDING" }, { "stack", "RLIMIT_STACK" },
};

/* Signal numbers on Linux (x86, arm, and the generic table alike for these). */
static const char *const signal_names[] = {
	NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
	"USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
	"TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};

/* Podman's util.ValidateSysctls: namespaced sysctls a container may set. */
static const char *const sysctl_names[] = {
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
	"kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};
static const char *const sysctl_prefixes[] = { "net.", "fs.mqueue." };

#define MIN_MEMORY (6ULL << 20) /* Podman's linuxMinMemory */
#define CPU_PERIOD 100000
#define SPEC_SECCOMP_MAX (4u << 20)
#define IDMAP_MAX 340           /* lines the kernel takes in uid_map */

/* RLIM_INFINITY is 2^64-1, which a jansson integer (signed 64-bit) cannot hold. The value is
 * put in as this string and replaced in the dumped text. Its escaped form ("\u0000...") can
 * come from no input, since no C string holds a NUL. */
static const char rlim_inf_mark[] = "\0berth-rlimit-infinity";
static const char rlim_inf_text[] = "\"\\u0000berth-rlimit-infinity\"";
#define RLIM_INF UINT64_MAX

/* ---------------------------------------------------------------- build context */

struct sb {
	const struct spec_input *in;
	struct berr *e;
	bool oom;           /* a jansson allocation failed somewhere */
	bool userns;        /* the spec creates a user namespace */
	bool in_userns;     /* the container is in a user namespace other than the host's */
	bool can_mount_sys; /* a fresh sysfs can be mounted (see the top of the file) */
	bool cgroup_rw;     /* the cgroup mount is read-write */
	bool gid5;          /* gid 5 (tty) exists in the container */
	bool user_ping;     /* the user set net.ipv4.ping_group_range */
	uint64_t bounding;  /* the caller's bounding set, as a mask */
	json_t *uid_map;    /* owned: linux.uidMappings / gidMappings, or NULL */
	json_t *gid_map;
	char **tmpfs_dest;  /* owned: cleaned --tmpfs destinations, n_tmpfs of them */
	size_t n_tmpfs;
};

static void jset(struct sb *b, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) < 0)
		b->oom = true;
}

static void jpush(struct sb *b, json_t *arr, json_t *v)
{
	if (v == NULL || json_array_append_new(arr, v) < 0)
		b->oom = true;
}

/* Stores v (new) as parent[key] and returns it, borrowed; NULL, noted, when out of memory. */
static json_t *jput(struct sb *b, json_t *parent, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(parent, key, v) < 0) {
		b->oom = true;
		return NULL;
	}
	return v;
}

#define jobj(b, parent, key) jput(b, parent, key, json_object())
#define jarr(b, parent, key) jput(b, parent, key, json_array())

/* A new object appended to arr (borrowed); NULL, noted, when out of memory. */
static json_t *jpush_obj(struct sb *b, json_t *arr)
{
	json_t *o = json_object();

	if (o == NULL || json_array_append_new(arr, o) < 0) {
		b->oom = true;
		return NULL;
	}
	return o;
}

static void jpush_str(struct sb *b, json_t *arr, const char *s)
{
	jpush(b, arr, json_string(s));
}

static json_t *jstrv(struct sb *b, const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL) {
		b->oom = true;
		return NULL;
	}
	for (i = 0; i < n; i++)
		jpush_str(b, a, v[i]);
	return a;
}

/* ---------------------------------------------------------------- small parsers */

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != 0) {
		unsigned c = *p++, need, min, cp;

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		while (need-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

static int check_str(struct sb *b, const char *s, const char *what)
{
	if (s == NULL)
		return 0;
	if (strlen(s) > SPEC_STR_MAX)
		return berr_set(b->e, BERR_INVALID, 0, "%s: value too long", what);
	if (!utf8_valid(s))
		return berr_set(b->e, BERR_INVALID, 0, "%s: value is not valid UTF-8", what);
	return 0;
}

static int check_strv(struct sb *b, struct spec_strv sv, const char *what)
{
	size_t i;

	if (sv.n > SPEC_LIST_MAX || (sv.n > 0 && sv.v == NULL))
		return berr_set(b->e, BERR_INVALID, 0, "%s: too many values", what);
	for (i = 0; i < sv.n; i++) {
		if (sv.v[i] == NULL)
			return berr_set(b->e, BERR_INTERNAL, 0, "%s: NULL entry", what);
		if (check_str(b, sv.v[i], what) < 0)
			return -1;
	}
	return 0;
}

/* Decimal digits only, no sign, no overflow. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "-1" or a decimal, for the ulimit and pids values. */
static bool parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v;

	if (len == 2 && s[0] == '-' && s[1] == '1') {
		*out = -1;
		return true;
	}
	if (!parse_u64(s, len, &v) || v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

/* A size as docker/go-units RAMInBytes reads it: "512", "1.5g", "64m", "100MiB", "10 kb";
 * binary units. */
static bool parse_size(const char *s, uint64_t *out)
{
	uint64_t ip, fp = 0, fdiv = 1, mult = 1;
	const char *p = s, *q;

	for (q = p; *q >= '0' && *q <= '9'; q++)
		;
	if (!parse_u64(p, (size_t)(q - p), &ip))
		return false;
	p = q;
	if (*p == '.') {
		for (q = ++p; *q >= '0' && *q <= '9'; q++) {
			if (fdiv >= 1000000000)
				return false;
			fp = fp * 10 + (uint64_t)(*q - '0');
			fdiv *= 10;
		}
		if (q == p)
			return false;
		p = q;
	}
	if (*p == ' ')
		p++;
	if (*p != 0) {
		const char *units = "kmgtp", *u = strchr(units, tolower((unsigned char)*p));
		if (u != NULL) {
			mult = UINT64_C(1) << (10 * (u - units + 1));
			p++;
			if (*p == 'i' || *p == 'I')
				p++;
		}
		if (*p == 'b' || *p == 'B')
			p++;
	}
	if (*p != 0 || ip > UINT64_MAX / mult)
		return false;
	/* fp < fdiv <= 1e9 and mult <= 2^50: the product stays below 2^80... so divide first
	 * where it would overflow. */
	if (mult > UINT64_MAX / 1000000000)
		*out = ip * mult + fp * (mult / fdiv);
	else
		*out = ip * mult + fp * mult / fdiv;
	return *out >= ip;
}

/* Lexical path cleaning (Go's path.Clean) of an absolute path: "//a/./b/../c/" -> "/a/c". */
static int clean_path(struct sb *b, const char *p, const char *what, char **out)
{
	size_t len = strlen(p), n = 0;
	const char *s = p;
	char *r;

	if (p[0] != '/')
		return berr_set(b->e, BERR_INVALID, 0, "%s %s: not an absolute path", what, p);
	if (len > 4095)
		return berr_set(b->e, BERR_INVALID, 0, "%s: path too long", what);
	r = malloc(len + 2);
	if (r == NULL)
		return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
	while (*s != 0) {
		const char *c;
		size_t cl;

		while (*s == '/')
			s++;
		for (c = s; *s != 0 && *s != '/'; s++)
			;
		cl = (size_t)(s - c);
		if (cl == 0 || (cl == 1 && c[0] == '.'))
			continue;
		if (cl == 2 && c[0] == '.' && c[1] == '.') {
			while (n > 0 && r[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		r[n++] = '/';
		memcpy(r + n, c, cl);
		n += cl;
	}
	if (n == 0)
		r[n++] = '/';
	r[n] = 0;
	*out = r;
	return 0;
}

static size_t path_depth(const char *p)
{
	size_t d = 0;

	for (; *p != 0; p++)
		if (*p == '/' && p[1] != 0)
			d++;
	return d;
}

/* "key=value" with a non-empty key. */
static int split_kv(struct sb *b, const char *s, const char *what, size_t *klen)
{
	const char *eq = strchr(s, '=');

	if (eq == NULL || eq == s)
		return berr_set(b->e, BERR_INVALID, 0, "invalid %s %s: must be in the key=value form",
				what, s);
	*klen = (size_t)(eq - s);
	return 0;
}

/* ---------------------------------------------------------------- capabilities */

static int cap_lookup(const char *name)
{
	const char *n = name;
	size_t i;

	if (strncasecmp(n, "CAP_", 4) == 0)
		n += 4;
	for (i = 0; i < CAP_COUNT; i++)
		if (strcasecmp(n, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

static bool is_all(const char *s)
{
	return strcasecmp(s, "ALL") == 0 || strcasecmp(s, "CAP_ALL") == 0;
}

/* A list of names into a mask; *all is set when "ALL" is among them. */
static int cap_mask(struct sb *b, struct spec_strv sv, const char *flag, uint64_t *mask,
		    bool *all)
{
	size_t i;

	*mask = 0;
	*all = false;
	for (i = 0; i < sv.n; i++) {
		int c;

		if (is_all(sv.v[i])) {
			*all = true;
			continue;
		}
		c = cap_lookup(sv.v[i]);
		if (c < 0)
			return berr_set(b->e, BERR_INVALID, 0, "%s: unknown capability %s%s", flag,
					strncasecmp(sv.v[i], "CAP_", 4) == 0 ? "" : "CAP_", sv.v[i]);
		*mask |= CAPB(c);
	}
	return 0;
}

static int first_cap(uint64_t m)
{
	int i;

	for (i = 0; i < (int)CAP_COUNT; i++)
		if (m & CAPB(i))
			return i;
	return 0;
}

/* Podman's MergeCapabilities(base, adds, drops). */
static int cap_merge(struct sb *b, uint64_t base, uint64_t *out)
{
	uint64_t add, drop;
	bool add_all, drop_all;

	if (cap_mask(b, b->in->cap_add, "--cap-add", &add, &add_all) < 0 ||
	    cap_mask(b, b->in->cap_drop, "--cap-drop", &drop, &drop_all) < 0)
		return -1;
	if (drop_all) {
		if (add_all)
			return berr_set(b->e, BERR_INVALID, 0,
					"adding all caps and removing all caps not allowed");
		*out = add & b->bounding;
		return 0;
	}
	if (add_all) {
		base = b->bounding;
		add = 0;
	}
	if (add & drop)
		return berr_set(b->e, BERR_INVALID, 0, "capability CAP_%s cannot be dropped and added",
				cap_names[first_cap(add & drop)]);
	*out = ((base & ~drop) | add) & b->bounding;
	return 0;
}

/* The value of label key, command line over image; NULL when neither has it. */
static const char *label_value(const struct spec_input *in, const char *key)
{
	const struct spec_strv *lists[] = { &in->labels, &in->image_labels };
	size_t klen = strlen(key), l, i;

	for (l = 0; l < ARRAY_SIZE(lists); l++)
		for (i = lists[l]->n; i-- > 0;)
			if (strncmp(lists[l]->v[i], key, klen) == 0 && lists[l]->v[i][klen] == '=')
				return lists[l]->v[i] + klen + 1;
	return NULL;
}

/* io.containers.capabilities: an image (or -l) may narrow the set to what it says it needs;
 * Podman ignores a label that asks for more than the set, and so does berth. */
static int cap_label(struct sb *b, uint64_t *caps)
{
	const char *v = label_value(b->in, "io.containers.capabilities");
	uint64_t want = 0;
	char name[64];

	if (v == NULL)
		return 0;
	while (*v != 0) {
		size_t n = strcspn(v, ",");
		int c;

		if (n == 0 || n >= sizeof(name))
			return berr_set(b->e, BERR_INVALID, 0,
					"invalid io.containers.capabilities label");
		memcpy(name, v, n);
		name[n] = 0;
		c = cap_lookup(name);
		if (c < 0)
			return berr_set(b->e, BERR_INVALID, 0,
					"io.containers.capabilities label: unknown capability %s", name);
		want |= CAPB(c);
		v += n + (v[n] == ',');
	}
	if ((want & ~*caps) == 0)
		*caps = want;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in mask m, sorted as Podman sorts them. */
static json_t *cap_json(struct sb *b, uint64_t m)
{
	const char *names[CAP_COUNT];
	json_t *a = json_array();
	char name[32];
	size_t i, n = 0;

	if (a == NULL) {
		b->oom = true;
		return NULL;
	}
	for (i = 0; i < CAP_COUNT; i++)
		if (m & CAPB(i))
			names[n++] = cap_names[i];
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "CAP_%s", names[i]);
		jpush_str(b, a, name);
	}
	return a;
}

static int build_caps(struct sb *b, json_t *proc)
{
	const struct spec_input *in = b->in;
	uint64_t caps = 0, user_caps, add = 0;
	bool add_all;
	json_t *c;

	if (in->privileged) {
		caps = b->bounding;
	} else {
		uint64_t base = default_caps;
		bool all = false;

		if (in->conf_caps != NULL && cap_mask(b, *in->conf_caps, "containers.conf "
						      "default_capabilities", &base, &all) < 0)
			return -1;
		if (all)
			base = b->bounding;
		if (cap_merge(b, base, &caps) < 0 || cap_label(b, &caps) < 0)
			return -1;
	}
	/* A non-root process user starts with an empty effective/permitted set; only what
	 * --cap-add names is given to it, through ambient (Podman does the same). */
	if (cap_mask(b, in->cap_add, "--cap-add", &add, &add_all) < 0)
		return -1;
	user_caps = (add_all ? b->bounding : add) & b->bounding;

	c = jobj(b, proc, "capabilities");
	if (c == NULL)
		return 0;
	jset(b, c, "bounding", cap_json(b, caps));
	if (in->uid == 0) {
		jset(b, c, "effective", cap_json(b, caps));
		jset(b, c, "inheritable", cap_json(b, 0));
		jset(b, c, "permitted", cap_json(b, caps));
		jset(b, c, "ambient", cap_json(b, 0));
	} else {
		jset(b, c, "effective", cap_json(b, user_caps));
		jset(b, c, "inheritable", cap_json(b, user_caps));
		jset(b, c, "permitted", cap_json(b, user_caps));
		jset(b, c, "ambient", cap_json(b, user_caps));
	}
	return 0;
}

/* ---------------------------------------------------------------- process: args */

static int parse_entrypoint(struct sb *b, json_t **out)
{
	const char *ep = b->in->entrypoint;
	json_error_t je;
	json_t *a, *x;
	size_t i;

	if (ep[0] == '[') {
		a = json_loads(ep, JSON_REJECT_DUPLICATES, &je);
		if (a != NULL && json_is_array(a)) {
			json_array_foreach(a, i, x) {
				if (!json_is_string(x)) {
					json_decref(a);
					return berr_set(b->e, BERR_INVALID, 0,
							"invalid --entrypoint %s: the JSON array may hold only strings",
							ep);
				}
			}
			*out = a;
			return 0;
		}
		json_decref(a); /* not JSON: one word, as Podman reads it */
	}
	a = json_array();
	if (a == NULL || json_array_append_new(a, json_string(ep)) < 0) {
		json_decref(a);
		return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
	}
	*out = a;
	return 0;
}

static void append_strv(struct sb *b, json_t *arr, struct spec_strv sv)
{
	size_t i;

	for (i = 0; i < sv.n; i++)
		jpush_str(b, arr, sv.v[i]);
}

static int build_args(struct sb *b, json_t *proc)
{
	const struct spec_input *in = b->in;
	cleanup_json json_t *ep = NULL;
	json_t *args = jarr(b, proc, "args");
	size_t n_ep;

	if (args == NULL)
		return 0;
	if (in->init_path != NULL) {
		jpush_str(b, args, SPEC_INIT_PATH);
		jpush_str(b, args, "--");
	}
	if (in->entrypoint != NULL) {
		if (parse_entrypoint(b, &ep) < 0)
			return -1;
	} else {
		ep = jstrv(b, in->image_entrypoint.v, in->image_entrypoint.n);
		if (ep == NULL)
			return 0;
	}
	n_ep = json_array_size(ep);
	if (!(n_ep == 1 && json_string_value(json_array_get(ep, 0))[0] == 0) &&
	    json_array_extend(args, ep) < 0)
		b->oom = true;
	if (in->args.n > 0)
		append_strv(b, args, in->args);
	else if (in->entrypoint == NULL || n_ep == 0)
		append_strv(b, args, in->image_cmd);
	if (json_array_size(args) == (in->init_path != NULL ? 2u : 0u))
		return berr_set(b->e, BERR_INVALID, 0,
				"no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
	return 0;
}

/* ---------------------------------------------------------------- process: env */

struct envv {
	char **v; /* owned "KEY=value" strings */
	size_t n, cap;
};

static void envv_free(struct envv *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		free(ev->v[i]);
	free(ev->v);
}

static size_t env_klen(const char *kv)
{
	return strcspn(kv, "=");
}

/* "KEY=value" with a non-empty KEY. */
static bool env_is_pair(const char *kv)
{
	return env_klen(kv) > 0 && kv[env_klen(kv)] == '=';
}

static ssize_t env_find(const struct envv *ev, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		if (env_klen(ev->v[i]) == klen && strncmp(ev->v[i], key, klen) == 0)
			return (ssize_t)i;
	return -1;
}

/* Sets kv ("KEY=value"); a later value for a key replaces the earlier one in its place. */
static int env_put(struct sb *b, struct envv *ev, const char *kv)
{
	ssize_t at = env_find(ev, kv, env_klen(kv));
	char *s = strdup(kv);

	if (s == NULL)
		return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
	if (at >= 0) {
		free(ev->v[at]);
		ev->v[at] = s;
		return 0;
	}
	if (ev->n == ev->cap) {
		size_t nc = ev->cap == 0 ? 16 : ev->cap * 2;
		char **nv = realloc(ev->v, nc * sizeof(*nv));
		if (nv == NULL) {
			free(s);
			return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
		}
		ev->v = nv;
		ev->cap = nc;
	}
	ev->v[ev->n++] = s;
	return 0;
}

/* Every "KEY=value" of sv; anything else is an error that starts with what. */
static int env_put_all(struct sb *b, struct envv *ev, struct spec_strv sv, const char *what)
{
	for (size_t i = 0; i < sv.n; i++) {
		if (!env_is_pair(sv.v[i]))
			return berr_set(b->e, BERR_INVALID, 0, "%s \"%s\"", what, sv.v[i]);
		if (env_put(b, ev, sv.v[i]) < 0)
			return -1;
	}
	return 0;
}

static int env_default(struct sb *b, struct envv *ev, const char *key, const char *val)
{
	char *kv;
	int r;

	if (env_find(ev, key, strlen(key)) >= 0)
		return 0;
	if (asprintf(&kv, "%s=%s", key, val) < 0)
		return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
	r = env_put(b, ev, kv);
	free(kv);
	return r;
}

/* One -e / --env-file entry: KEY=value, KEY (from the host), or PREFIX* (all from the host). */
static int env_user(struct sb *b, struct envv *ev, const char *ent)
{
	const struct spec_strv *host = &b->in->host_env;
	size_t klen = env_klen(ent), i;
	bool glob;

	if (klen == 0)
		return berr_set(b->e, BERR_INVALID, 0, "invalid environment variable \"%s\"", ent);
	if (ent[klen] == '=')
		return env_put(b, ev, ent);
	glob = ent[klen - 1] == '*';
	if (glob)
		klen--;
	for (i = 0; i < host->n; i++) {
		size_t hk = env_klen(host->v[i]);

		if (host->v[i][hk] != '=' || strncmp(host->v[i], ent, klen) != 0)
			continue;
		if ((glob || hk == klen) && env_put(b, ev, host->v[i]) < 0)
			return -1;
	}
	return 0;
}

static int build_env(struct sb *b, json_t *proc)
{
	const struct spec_input *in = b->in;
	struct envv ev = { 0 };
	json_t *a;
	size_t i;
	int r = -1;

	/* Lowest first: the default PATH and "container", containers.conf's env, the host's with
	 * --env-host (entries without a '=' skipped), then the image, then the user; HOSTNAME, HOME and TERM only where nothing set them. */
	if (env_put(b, &ev, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
	    env_put(b, &ev, "container=berth") < 0)
		goto out;
	if (env_put_all(b, &ev, in->conf_env, "containers.conf: invalid env entry") < 0)
		goto out;
	for (i = 0; in->env_host && i < in->host_env.n; i++)
		if (env_is_pair(in->host_env.v[i]) && env_put(b, &ev, in->host_env.v[i]) < 0)
			goto out;
	if (env_put_all(b, &ev, in->image_env, "image config: invalid Env entry") < 0)
		goto out;
	for (i = 0; i < in->env.n; i++)
		if (env_user(b, &ev, in->env.v[i]) < 0)
			goto out;
	if ((in->hostname != NULL && env_default(b, &ev, "HOSTNAME", in->hostname) < 0) ||
	    env_default(b, &ev, "HOME", in->home != NULL && in->home[0] != 0 ? in->home : "/") < 0 ||
	    (in->tty && env_default(b, &ev, "TERM", "xterm") < 0))
		goto out;
	a = jstrv(b, (const char *const *)ev.v, ev.n);
	jset(b, proc, "env", a);
	r = 0;
out:
	envv_free(&ev);
	return r;
}

/* ---------------------------------------------------------------- process: the rest */

static int build_cwd(struct sb *b, json_t *proc)
{
	const char *w = b->in->workdir;
	cleanup_free char *rel = NULL;
	cleanup_free char *clean = NULL;

	if (w == NULL || w[0] == 0) {
		w = b->in->image_workdir;
		/* A relative WorkingDir in an image is taken from "/", as Docker builds it. */
		if (w != NULL && w[0] != 0 && w[0] != '/') {
			if (asprintf(&rel, "/%s", w) < 0)
				return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
			w = rel;
		}
	}
	if (w == NULL || w[0] == 0)
		w = "/";
	if (clean_path(b, w, "invalid --workdir", &clean) < 0)
		return -1;
	jset(b, proc, "cwd", json_string(clean));
	return 0;
}

static int build_user(struct sb *b, json_t *proc)
{
	const struct spec_input *in = b->in;
	json_t *u = jobj(b, proc, "user"), *g;
	size_t i;

	if (u == NULL)
		return 0;
	jset(b, u, "uid", json_integer(in->uid));
	jset(b, u, "gid", json_integer(in->gid));
	if (in->n_groups > SPEC_LIST_MAX || (in->n_groups > 0 && in->groups == NULL))
		return berr_set(b->e, BERR_INVALID, 0, "--group-add: too many groups");
	if (in->n_groups == 0)
		return 0;
	g = jarr(b, u, "additionalGids");
	for (i = 0; g != NULL && i < in->n_groups; i++)
		jpush(b, g, json_integer(in->groups[i]));
	return 0;
}

static void push_rlimit(struct sb *b, json_t *arr, const char *type, uint64_t soft, uint64_t hard)
{
	json_t *r = jpush_obj(b, arr);

	if (r == NULL)
		return;
	jset(b, r, "type", json_string(type));
	jset(b, r, "hard", hard == RLIM_INF ? json_stringn(rlim_inf_mark, sizeof(rlim_inf_mark) - 1)
					    : json_integer((json_int_t)hard));
	jset(b, r, "soft", soft == RLIM_INF ? json_stringn(rlim_inf_mark, sizeof(rlim_inf_mark) - 1)
					    : json_integer((json_int_t)soft));
}

/* "name=soft[:hard]" into the table index and limits (RLIM_INF for -1). */
static int parse_ulimit(struct sb *b, const char *s, size_t *idx, uint64_t *soft, uint64_t *hard)
{
	const char *eq = strchr(s, '='), *colon;
	int64_t sv, hv;
	size_t i, nlen;

	if (eq == NULL)
		return berr_set(b->e, BERR_INVALID, 0,
				"invalid --ulimit %s: must be in the name=soft[:hard] form", s);
	nlen = (size_t)(eq - s);
	for (i = 0; i < ARRAY_SIZE(ulimit_names); i++)
		if (strlen(ulimit_names[i].name) == nlen && strncmp(ulimit_names[i].name, s, nlen) == 0)
			break;
	if (i == ARRAY_SIZE(ulimit_names))
		return berr_set(b->e, BERR_INVALID, 0, "invalid --ulimit %s: unknown limit %.*s", s,
				(int)nlen, s);
	colon = strchr(eq + 1, ':');
	if (!parse_i64(eq + 1, colon != NULL ? (size_t)(colon - eq - 1) : strlen(eq + 1), &sv) ||
	    (colon != NULL && !parse_i64(colon + 1, strlen(colon + 1), &hv)))
		return berr_set(b->e, BERR_INVALID, 0,
				"invalid --ulimit %s: limits must be numbers or -1 for unlimited", s);
	if (colon == NULL)
		hv = sv;
	*soft = sv < 0 ? RLIM_INF : (uint64_t)sv;
	*hard = hv < 0 ? RLIM_INF : (uint64_t)hv;
	if (*soft > *hard)
		return berr_set(b->e, BERR_INVALID, 0,
				"invalid --ulimit %s: soft limit is greater than hard limit", s);
	*idx = i;
	return 0;
}

/* The caller's hard limit for resource type, or RLIM_INF when it does not say. */
static uint64_t held_hard(const struct spec_input *in, const char *type)
{
	if (strcmp(type, "RLIMIT_NOFILE") == 0)
		return in->nofile_hard;
	if (strcmp(type, "RLIMIT_NPROC") == 0)
		return in->nproc_hard;
	return RLIM_INF;
}

static int build_rlimits(struct sb *b, json_t *proc)
{
	const struct spec_input *in = b->in;
	uint64_t soft[ARRAY_SIZE(ulimit_names)], hard[ARRAY_SIZE(ulimit_names)];
	bool set[ARRAY_SIZE(ulimit_names)] = { false };
	json_t *arr;
	size_t i;

	if (in->nofile_hard == 0 || in->nproc_hard == 0)
		return berr_set(b->e, BERR_INTERNAL, 0,
				"spec: the caller's RLIMIT_NOFILE/RLIMIT_NPROC hard limits are missing");
	for (i = 0; i < in->ulimits.n; i++) {
		uint64_t s = 0, h = 0, held;
		size_t k = 0;

		if (parse_ulimit(b, in->ulimits.v[i], &k, &s, &h) < 0)
			return -1;
		held = held_hard(in, ulimit_names[k].type);
		/* Without CAP_SYS_RESOURCE the runtime cannot raise a hard limit: say so now,
		 * rather than let the container fail to start. */
		if (!in->can_raise_rlimits && h > held)
			return berr_set(b->e, BERR_INVALID, 0,
					"invalid --ulimit %s: the hard limit is above this user's own (%" PRIu64 ")",
					in->ulimits.v[i], held);
		soft[k] = s;
		hard[k] = h;
		set[k] = true;
	}
	arr = jarr(b, proc, "rlimits");
	if (arr == NULL)
		return 0;
	for (i = 0; i < ARRAY_SIZE(ulimit_names); i++) {
		const char *type = ulimit_names[i].type;
		uint64_t v;

		if (set[i]) {
			push_rlimit(b, arr, type, soft[i], hard[i]);
			continue;
		}
		if (strcmp(type, "RLIMIT_NOFILE") != 0 && strcmp(type, "RLIMIT_NPROC") != 0)
			continue;
		/* High by default, never more than the caller holds (the runtime could not set
		 * it): soft = hard, which needs no privilege. */
		v = SPEC_DEFAULT_RLIMIT;
		if (!in->can_raise_rlimits && held_hard(in, type) < v)
			v = held_hard(in, type);
		push_rlimit(b, arr, type, v, v);
	}
	return 0;
}

static int build_process(struct sb *b, json_t *root)
{
	json_t *proc = jobj(b, root, "process");

	if (proc == NULL)
		return 0;
	jset(b, proc, "terminal", json_boolean(b->in->tty));
	if (build_user(b, proc) < 0 || build_args(b, proc) < 0 || build_env(b, proc) < 0 ||
	    build_cwd(b, proc) < 0 || build_caps(b, proc) < 0 || build_rlimits(b, proc) < 0)
		return -1;
	jset(b, proc, "noNewPrivileges", json_boolean(b->in->no_new_privs));
	return 0;
}

/* ---------------------------------------------------------------- mounts */

/* opts: a NULL-terminated list. */
static json_t *mount_new(struct sb *b, const char *dest, const char *type, const char *src,
			 const char *const *opts)
{
	json_t *m = json_object(), *o = json_array();

	if (m == NULL || o == NULL) {
		json_decref(m);
		json_decref(o);
		b->oom = true;
		return NULL;
	}
	jset(b, m, "destination", json_string(dest));
	jset(b, m, "type", json_string(type));
	jset(b, m, "source", json_string(src));
	for (; *opts != NULL; opts++)
		jpush_str(b, o, *opts);
	jset(b, m, "options", o);
	return m;
}

static bool user_tmpfs_at(const struct sb *b, const char *dest)
{
	size_t i;

	for (i = 0; i < b->n_tmpfs; i++)
		if (strcmp(b->tmpfs_dest[i], dest) == 0)
			return true;
	return false;
}

/* A default mount stays unless a --tmpfs takes its place (or all of /dev, for those under it). */
static void add_default(struct sb *b, json_t *mounts, json_t *m)
{
	const char *dest;

	if (m == NULL)
		return;
	dest = json_string_value(json_object_get(m, "destination"));
	if (dest == NULL || user_tmpfs_at(b, dest) ||
	    (strncmp(dest, "/dev/", 5) == 0 && user_tmpfs_at(b, "/dev"))) {
		json_decref(m);
		return;
	}
	jpush(b, mounts, m);
}

static int default_mounts(struct sb *b, json_t *mounts)
{
	const struct spec_input *in = b->in;
	const char *sys_rw = in->privileged ? "rw" : "ro";
	const char *cg_perm = b->cgroup_rw ? "rw" : "ro";
	char shm_opt[64];
	uint64_t shm = SPEC_DEFAULT_SHM_SIZE;

	if (in->shm_size != NULL && (!parse_size(in->shm_size, &shm) || shm == 0))
		return berr_set(b->e, BERR_INVALID, 0,
				"invalid --shm-size %s: must be a size greater than 0, e.g. 64m",
				in->shm_size);
	snprintf(shm_opt, sizeof(shm_opt), "size=%" PRIu64, shm);

	add_default(b, mounts, mount_new(b, "/proc", "proc", "proc",
		(const char *[]){ "nosuid", "noexec", "nodev", NULL }));
	add_default(b, mounts, mount_new(b, "/dev", "tmpfs", "tmpfs",
		(const char *[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL }));
	add_default(b, mounts, mount_new(b, "/dev/pts", "devpts", "devpts",
		(const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
				  b->gid5 ? "gid=5" : NULL, NULL }));
	add_default(b, mounts, mount_new(b, "/dev/shm", "tmpfs", "shm",
		(const char *[]){ "nosuid", "noexec", "nodev", "mode=1777", shm_opt, NULL }));
	add_default(b, mounts, mount_new(b, "/dev/mqueue", "mqueue", "mqueue",
		(const char *[]){ "nosuid", "noexec", "nodev", NULL }));
	if (!b->can_mount_sys) {
		add_default(b, mounts, mount_new(b, "/sys", "bind", "/sys",
			(const char *[]){ "rprivate", "nosuid", "noexec", "nodev", sys_rw, "rbind", NULL }));
		add_default(b, mounts, mount_new(b, "/sys/fs/cgroup", "bind", "/sys/fs/cgroup",
			(const char *[]){ "rprivate", "nosuid", "noexec", "nodev", sys_rw, "rbind", NULL }));
		return 0;
	}
	if (in->privileged)
		add_default(b, mounts, mount_new(b, "/sys", "sysfs", "sysfs",
			(const char *[]){ "rprivate", "nosuid", "noexec", "nodev", "rw", NULL }));
	else
		add_default(b, mounts, mount_new(b, "/sys", "sysfs", "sysfs",
			(const char *[]){ "nosuid", "noexec", "nodev", "ro", NULL }));
	add_default(b, mounts, mount_new(b, "/sys/fs/cgroup", "cgroup", "cgroup",
		(const char *[]){ "rprivate", "nosuid", "noexec", "nodev", "relatime", cg_perm, NULL }));
	return 0;
}

/* Options of one --tmpfs, checked and completed as Podman's ProcessOptions does. */
static int tmpfs_options(struct sb *b, const char *spec, const char *opts, json_t *out)
{
	enum { F_WRITE, F_EXEC, F_SUID, F_DEV, F_PROP, F_SIZE, F_MODE, F_COPYUP, F_N };
	static const struct {
		int f;
		const char *opt;
	} fill[] = { { F_WRITE, "rw" }, { F_PROP, "rprivate" }, { F_EXEC, "noexec" },
		     { F_SUID, "nosuid" }, { F_DEV, "nodev" }, { F_COPYUP, "tmpcopyup" } };
	bool found[F_N] = { false };
	const char *p = opts;

	while (p != NULL && *p != 0) {
		size_t n = strcspn(p, ",");
		char o[64];
		int f = -1;
		uint64_t v;

		if (n == 0 || n >= sizeof(o))
			return berr_set(b->e, BERR_INVALID, 0, "invalid --tmpfs %s: bad option", spec);
		memcpy(o, p, n);
		o[n] = 0;
		p += n + (p[n] == ',');
		if (!strcmp(o, "rw") || !strcmp(o, "ro"))
			f = F_WRITE;
		else if (!strcmp(o, "exec") || !strcmp(o, "noexec"))
			f = F_EXEC;
		else if (!strcmp(o, "suid") || !strcmp(o, "nosuid"))
			f = F_SUID;
		else if (!strcmp(o, "dev") || !strcmp(o, "nodev"))
			f = F_DEV;
		else if (!strcmp(o, "private") || !strcmp(o, "rprivate") || !strcmp(o, "slave") ||
			 !strcmp(o, "rslave") || !strcmp(o, "shared") || !strcmp(o, "rshared") ||
			 !strcmp(o, "unbindable") || !strcmp(o, "runbindable"))
			f = F_PROP;
		else if (!strncmp(o, "size=", 5)) {
			if (!parse_size(o + 5, &v) || v == 0)
				return berr_set(b->e, BERR_INVALID, 0, "invalid --tmpfs %s: bad size %s",
						spec, o + 5);
			f = F_SIZE;
		} else if (!strncmp(o, "mode=", 5)) {
			char *end;
			unsigned long m = strtoul(o + 5, &end, 8);
			if (o[5] < '0' || o[5] > '7' || *end != 0 || m > 07777)
				return berr_set(b->e, BERR_INVALID, 0, "invalid --tmpfs %s: bad mode %s",
						spec, o + 5);
			f = F_MODE;
		} else if (!strcmp(o, "tmpcopyup") || !strcmp(o, "notmpcopyup"))
			f = F_COPYUP;
		else if (!strcmp(o, "noatime") || !strcmp(o, "consistency"))
			f = -2;
		if (f == -1)
			return berr_set(b->e, BERR_INVALID, 0, "invalid --tmpfs %s: unknown mount option %s",
					spec, o);
		if (f >= 0 && found[f])
			return berr_set(b->e, BERR_INVALID, 0,
					"invalid --tmpfs %s: option %s conflicts with an earlier one", spec, o);
		if (f >= 0)
			found[f] = true;
		/* notmpcopyup only turns the default off; consistency is ignored, as Docker does. */
		if (strcmp(o, "notmpcopyup") != 0 && strcmp(o, "consistency") != 0)
			jpush_str(b, out, o);
	}
	/* What the user did not say, Podman's defaults say. */
	for (size_t i = 0; i < ARRAY_SIZE(fill); i++)
		if (!found[fill[i].f])
			jpush_str(b, out, fill[i].opt);
	return 0;
}

/* Collects the --tmpfs destinations first: they decide which defaults stay. */
static int tmpfs_dests(struct sb *b)
{
	const struct spec_strv *t = &b->in->tmpfs;
	size_t i, j;

	if (t->n == 0)
		return 0;
	b->tmpfs_dest = calloc(t->n, sizeof(*b->tmpfs_dest));
	if (b->tmpfs_dest == NULL)
		return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
	for (i = 0; i < t->n; i++) {
		cleanup_free char *path = strndup(t->v[i], strcspn(t->v[i], ":"));

		if (path == NULL)
			return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
		if (clean_path(b, path, "invalid --tmpfs", &b->tmpfs_dest[i]) < 0)
			return -1;
		b->n_tmpfs++;
		if (strcmp(b->tmpfs_dest[i], "/") == 0)
			return berr_set(b->e, BERR_INVALID, 0, "invalid --tmpfs %s: cannot mount on /",
					t->v[i]);
		for (j = 0; j < i; j++)
			if (strcmp(b->tmpfs_dest[j], b->tmpfs_dest[i]) == 0)
				return berr_set(b->e, BERR_INVALID, 0,
						"invalid --tmpfs %s: duplicate mount destination %s",
						t->v[i], b->tmpfs_dest[i]);
	}
	return 0;
}

static int user_tmpfs(struct sb *b, json_t *mounts)
{
	const struct spec_strv *t = &b->in->tmpfs;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const char *colon = strchr(t->v[i], ':');
		json_t *m = mount_new(b, b->tmpfs_dest[i], "tmpfs", "tmpfs", (const char *[]){ NULL });

		if (m == NULL)
			continue;
		if (tmpfs_options(b, t->v[i], colon != NULL ? colon + 1 : NULL,
				  json_object_get(m, "options")) < 0) {
			json_decref(m);
			return -1;
		}
		jpush(b, mounts, m);
	}
	return 0;
}

static int bind_file(struct sb *b, json_t *mounts, const char *dest, const char *src)
{
	const char *ro[] = { "bind", "rprivate", "ro", "nosuid", "noexec", "nodev", NULL };
	const char *rw[] = { "bind", "rprivate", NULL };

	if (src == NULL || user_tmpfs_at(b, dest))
		return 0;
	if (src[0] != '/')
		return berr_set(b->e, BERR_INTERNAL, 0, "spec: %s source is not absolute", dest);
	/* With a read-only root the generated files are read-only too, as in Podman. */
	jpush(b, mounts, mount_new(b, dest, "bind", src, b->in->read_only ? ro : rw));
	return 0;
}

/* Parents before children, otherwise in the order they were added (a stable sort). */
static void sort_mounts(json_t *mounts)
{
	size_t n = json_array_size(mounts), i, j;

	for (i = 1; i < n; i++) {
		json_t *m = json_incref(json_array_get(mounts, i));
		size_t d = path_depth(json_string_value(json_object_get(m, "destination")));

		for (j = i; j > 0; j--) {
			json_t *p = json_array_get(mounts, j - 1);
			if (path_depth(json_string_value(json_object_get(p, "destination"))) <= d)
				break;
			json_array_set(mounts, j, p);
		}
		json_array_set_new(mounts, j, m);
	}
}

static int build_mounts(struct sb *b, json_t *root)
{
	const struct spec_input *in = b->in;
	static const char *const ro_tmpfs[] = { "/tmp", "/var/tmp", "/run" };
	json_t *mounts = jarr(b, root, "mounts");
	size_t i;

	if (mounts == NULL)
		return 0;
	if (default_mounts(b, mounts) < 0)
		return -1;
	/* --read-only keeps the usual scratch places writable (Podman's --read-only-tmpfs). */
	for (i = 0; in->read_only && i < ARRAY_SIZE(ro_tmpfs); i++)
		if (!user_tmpfs_at(b, ro_tmpfs[i]))
			jpush(b, mounts, mount_new(b, ro_tmpfs[i], "tmpfs", "tmpfs",
				(const char *[]){ "rw", "rprivate", "nosuid", "nodev", "noexec",
						  "tmpcopyup", NULL }));
	if (user_tmpfs(b, mounts) < 0 || bind_file(b, mounts, "/etc/hosts", in->hosts_path) < 0 ||
	    bind_file(b, mounts, "/etc/resolv.conf", in->resolv_path) < 0 ||
	    bind_file(b, mounts, "/etc/hostname", in->hostname_path) < 0)
		return -1;
	if (in->init_path != NULL) {
		if (in->init_path[0] != '/')
			return berr_set(b->e, BERR_INVALID, 0, "--init: %s is not an absolute path",
					in->init_path);
		if (user_tmpfs_at(b, SPEC_INIT_PATH))
			return berr_set(b->e, BERR_INVALID, 0,
					"--tmpfs %s conflicts with the mount added by --init",
					SPEC_INIT_PATH);
		jpush(b, mounts, mount_new(b, SPEC_INIT_PATH, "bind", in->init_path,
			(const char *[]){ "bind", "ro", "rprivate", NULL }));
	}
	sort_mounts(mounts);
	return 0;
}

/* ---------------------------------------------------------------- linux: user namespace */

static json_t *idmap_json(struct sb *b, const struct spec_idmap *m, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL) {
		b->oom = true;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		json_t *o = jpush_obj(b, a);

		if (o == NULL)
			continue;
		jset(b, o, "containerID", json_integer(m[i].container_id));
		jset(b, o, "hostID", json_integer(m[i].host_id));
		jset(b, o, "size", json_integer(m[i].size));
	}
	return a;
}

/* keep-id inside berth-pause's namespace, where the user is 0 and the subordinate IDs are
 * 1..max: the user becomes id, the subordinate IDs fill 0..id-1 and id+1.. (Podman's
 * getRootlessKeepIDMapping). */
static size_t keepid_map(uint32_t id, uint32_t max, struct spec_idmap m[3])
{
	size_t n = 0;

	if (max > 0 && id != 0)
		m[n++] = (struct spec_idmap){ 0, 1, id < max ? id : max };
	m[n++] = (struct spec_idmap){ id, 0, 1 };
	if (max > id)
		m[n++] = (struct spec_idmap){ id + 1, id + 1, max - id };
	return n;
}

static int check_idmap(struct sb *b, const struct spec_idmap *m, size_t n, const char *flag)
{
	size_t i;

	if (n == 0 || n > IDMAP_MAX || m == NULL)
		return berr_set(b->e, BERR_INVALID, 0, "%s: between 1 and %d mappings are needed",
				flag, IDMAP_MAX);
	for (i = 0; i < n; i++)
		if (m[i].size == 0 || (uint64_t)m[i].container_id + m[i].size > UINT32_MAX ||
		    (uint64_t)m[i].host_id + m[i].size > UINT32_MAX)
			return berr_set(b->e, BERR_INVALID, 0,
					"%s %" PRIu32 ":%" PRIu32 ":%" PRIu32 ": invalid mapping", flag,
					m[i].container_id, m[i].host_id, m[i].size);
	return 0;
}

static int build_idmaps(struct sb *b)
{
	const struct spec_input *in = b->in;
	struct spec_idmap um[3], gm[3];
	size_t nu, ng;

	switch (in->userns) {
	case SPEC_USERNS_HOST:
		return 0;
	case SPEC_USERNS_KEEPID:
		nu = keepid_map(in->keepid_uid, in->subid_uids, um);
		ng = keepid_map(in->keepid_gid, in->subid_gids, gm);
		b->uid_map = idmap_json(b, um, nu);
		b->gid_map = idmap_json(b, gm, ng);
		return 0;
	case SPEC_USERNS_NOMAP:
		if (in->subid_uids == 0 || in->subid_gids == 0)
			return berr_set(b->e, BERR_INVALID, 0,
					"--userns=nomap needs subordinate IDs (/etc/subuid, /etc/subgid)");
		um[0] = (struct spec_idmap){ 0, 1, in->subid_uids };
		gm[0] = (struct spec_idmap){ 0, 1, in->subid_gids };
		b->uid_map = idmap_json(b, um, 1);
		b->gid_map = idmap_json(b, gm, 1);
		return 0;
	case SPEC_USERNS_MAP:
		if (check_idmap(b, in->uid_map, in->n_uid_map, "--uidmap") < 0 ||
		    check_idmap(b, in->gid_map, in->n_gid_map, "--gidmap") < 0)
			return -1;
		b->uid_map = idmap_json(b, in->uid_map, in->n_uid_map);
		b->gid_map = idmap_json(b, in->gid_map, in->n_gid_map);
		return 0;
	}
	return berr_set(b->e, BERR_INTERNAL, 0, "spec: unknown user namespace mode");
}

/* Whether container gid g exists, and the highest container gid (for ping_group_range). */
static bool gid_mapped(const struct sb *b, uint32_t g, uint32_t *max)
{
	bool found = false;
	size_t i;

	*max = 0;
	if (b->gid_map == NULL) {
		/* No namespace of its own: rootful has every gid, rootless those of berth-pause. */
		*max = b->in->rootless ? b->in->subid_gids : 0;
		return !b->in->rootless || b->in->subid_gids >= g;
	}
	for (i = 0; i < json_array_size(b->gid_map); i++) {
		json_t *m = json_array_get(b->gid_map, i);
		uint64_t c = (uint64_t)json_integer_value(json_object_get(m, "containerID"));
		uint64_t s = (uint64_t)json_integer_value(json_object_get(m, "size"));

		if (c <= g && g < c + s)
			found = true;
		if (c + s - 1 > *max)
			*max = (uint32_t)(c + s - 1);
	}
	return found;
}

/* ---------------------------------------------------------------- linux: the rest */

static void push_ns(struct sb *b, json_t *arr, const char *type, const char *path)
{
	json_t *o = jpush_obj(b, arr);

	if (o == NULL)
		return;
	jset(b, o, "type", json_string(type));
	if (path != NULL)
		jset(b, o, "path", json_string(path));
}

static int build_namespaces(struct sb *b, json_t *lx)
{
	const struct spec_input *in = b->in;
	json_t *ns = jarr(b, lx, "namespaces");

	if (ns == NULL)
		return 0;
	push_ns(b, ns, "pid", NULL);
	if (in->net != SPEC_NET_HOST) {
		if (in->net_ns_path != NULL &&
		    (in->net != SPEC_NET_PRIVATE || in->net_ns_path[0] != '/'))
			return berr_set(b->e, BERR_INTERNAL, 0, "spec: bad network namespace path");
		push_ns(b, ns, "network", in->net_ns_path);
	}
	push_ns(b, ns, "ipc", NULL);
	push_ns(b, ns, "uts", NULL);
	push_ns(b, ns, "mount", NULL);
	/* Podman's cgroupns default: private on the unified hierarchy, host on v1. */
	if (in->cgroup2)
		push_ns(b, ns, "cgroup", NULL);
	if (b->userns)
		push_ns(b, ns, "user", NULL);
	return 0;
}

static int unsupported(struct sb *b, const char *flag, const char *what)
{
	const char *why = b->in->cgroup_reason;

	return berr_set(b->e, BERR_UNSUPPORTED, 0,
			"%s cannot be applied: the %s cgroup controller is not available here (%s)",
			flag, what, why != NULL ? why : "rootless without cgroup v2 delegation");
}

static int resources_memory(struct sb *b, json_t *res)
{
	const struct spec_input *in = b->in;
	uint64_t mem = 0, swap = 0;
	bool swap_unlimited = false;
	json_t *m;

	if (in->memory != NULL) {
		if (!parse_size(in->memory, &mem) || mem > INT64_MAX / 2)
			return berr_set(b->e, BERR_INVALID, 0, "invalid --memory %s: not a size",
					in->memory);
		if (mem < MIN_MEMORY)
			return berr_set(b->e, BERR_INVALID, 0,
					"invalid --memory %s: minimum memory limit allowed is 6MB",
					in->memory);
	}
	if (in->memory_swap != NULL) {
		swap_unlimited = strcmp(in->memory_swap, "-1") == 0;
		if (!swap_unlimited && (!parse_size(in->memory_swap, &swap) || swap > INT64_MAX))
			return berr_set(b->e, BERR_INVALID, 0, "invalid --memory-swap %s: not a size",
					in->memory_swap);
		if (in->memory == NULL)
			return berr_set(b->e, BERR_INVALID, 0, "--memory-swap needs --memory as well");
		if (!swap_unlimited && swap < mem)
			return berr_set(b->e, BERR_INVALID, 0,
					"--memory-swap must be larger than --memory");
	}
	if (in->memory == NULL)
		return 0;
	if (!(in->cgroup_controllers & SPEC_CG_MEMORY))
		return unsupported(b, in->memory_swap != NULL ? "--memory/--memory-swap" : "--memory",
				   "memory");
	/* Unset swap means as much swap as memory (Docker and Podman: swap = 2 x memory). */
	if (in->memory_swap == NULL)
		swap = 2 * mem;
	m = jobj(b, res, "memory");
	if (m == NULL)
		return 0;
	jset(b, m, "limit", json_integer((json_int_t)mem));
	jset(b, m, "swap", json_integer(swap_unlimited ? -1 : (json_int_t)swap));
	return 0;
}

/* --cpus as a fixed-point decimal into a CFS quota per 100ms period. */
static bool parse_cpus(const char *s, uint64_t *quota)
{
	uint64_t ip, nano = 0, scale = 100000000; /* nano-CPUs per digit, after the point */
	const char *q;

	for (q = s; *q >= '0' && *q <= '9'; q++)
		;
	if (!parse_u64(s, (size_t)(q - s), &ip) || ip > 1000000)
		return false;
	if (*q == '.') {
		if (q[1] == 0)
			return false;
		for (q++; *q >= '0' && *q <= '9'; q++, scale /= 10) {
			if (scale == 0)
				return false;
			nano += (uint64_t)(*q - '0') * scale;
		}
	}
	if (*q != 0)
		return false;
	*quota = (ip * 1000000000 + nano) * CPU_PERIOD / 1000000000;
	return true;
}

static int resources_cpu(struct sb *b, json_t *res)
{
	const struct spec_input *in = b->in;
	uint64_t quota = 0, shares = 0;
	json_t *c;

	if (in->cpus != NULL) {
		if (!parse_cpus(in->cpus, &quota))
			return berr_set(b->e, BERR_INVALID, 0, "invalid --cpus %s: not a number of CPUs",
					in->cpus);
		/* The kernel's smallest CFS quota is 1ms of each 100ms period. */
		if (quota < 1000)
			return berr_set(b->e, BERR_INVALID, 0,
					"invalid --cpus %s: must be at least 0.01", in->cpus);
	}
	if (in->cpu_shares != NULL &&
	    (!parse_u64(in->cpu_shares, strlen(in->cpu_shares), &shares) || shares < 2 ||
	     shares > 262144))
		return berr_set(b->e, BERR_INVALID, 0,
				"invalid --cpu-shares %s: must be between 2 and 262144", in->cpu_shares);
	if (in->cpus == NULL && in->cpu_shares == NULL)
		return 0;
	if (!(in->cgroup_controllers & SPEC_CG_CPU))
		return unsupported(b, in->cpus != NULL ? "--cpus" : "--cpu-shares", "cpu");
	c = jobj(b, res, "cpu");
	if (c == NULL)
		return 0;
	if (in->cpu_shares != NULL)
		jset(b, c, "shares", json_integer((json_int_t)shares));
	if (in->cpus != NULL) {
		jset(b, c, "quota", json_integer((json_int_t)quota));
		jset(b, c, "period", json_integer(CPU_PERIOD));
	}
	return 0;
}

static int resources_pids(struct sb *b, json_t *res)
{
	const struct spec_input *in = b->in;
	int64_t limit = SPEC_DEFAULT_PIDS_LIMIT;
	json_t *p;

	if (in->pids_limit != NULL) {
		if (!parse_i64(in->pids_limit, strlen(in->pids_limit), &limit))
			return berr_set(b->e, BERR_INVALID, 0,
					"invalid --pids-limit %s: must be a number, or -1 for no limit",
					in->pids_limit);
		if (limit <= 0)
			return 0; /* -1 or 0: no limit, so nothing to apply */
		if (!(in->cgroup_controllers & SPEC_CG_PIDS))
			return unsupported(b, "--pids-limit", "pids");
	} else if (!(in->cgroup_controllers & SPEC_CG_PIDS)) {
		return 0; /* the default is applied only where it can be */
	}
	p = jobj(b, res, "pids");
	if (p != NULL)
		jset(b, p, "limit", json_integer(limit));
	return 0;
}

static int build_resources(struct sb *b, json_t *lx)
{
	const struct spec_input *in = b->in;
	json_t *res = json_object();

	if (res == NULL) {
		b->oom = true;
		return 0;
	}
	if (resources_memory(b, res) < 0 || resources_cpu(b, res) < 0 ||
	    resources_pids(b, res) < 0) {
		json_decref(res);
		return -1;
	}
	/* The device cgroup: deny all but the runtime's default devices; --privileged allows
	 * all. Not in a user namespace, where there is no device cgroup to program (Podman). */
	if (!b->in_userns) {
		json_t *d = jarr(b, res, "devices");
		json_t *r = d != NULL ? jpush_obj(b, d) : NULL;

		if (r != NULL) {
			jset(b, r, "allow", json_boolean(in->privileged));
			jset(b, r, "access", json_string("rwm"));
		}
	}
	if (json_object_size(res) == 0) {
		json_decref(res);
		return 0;
	}
	jset(b, lx, "resources", res);
	return 0;
}

/* Podman's shouldMask: an unmask= entry of "ALL" or a ':'-separated glob matching path. */
static bool unmasked(const struct sb *b, const char *path)
{
	const struct spec_strv *u = &b->in->unmask;
	size_t i;

	for (i = 0; i < u->n; i++) {
		const char *p = u->v[i];

		if (strcasecmp(p, "all") == 0)
			return true;
		while (*p != 0) {
			size_t n = strcspn(p, ":");
			cleanup_free char *g = strndup(p, n);

			if (g != NULL && fnmatch(g, path, FNM_PATHNAME) == 0)
				return true;
			p += n + (p[n] == ':');
		}
	}
	return false;
}

static bool unmask_names(const struct sb *b, const char *path)
{
	const struct spec_strv *u = &b->in->unmask;
	size_t i, len = strlen(path);

	for (i = 0; i < u->n; i++) {
		const char *p = u->v[i];

		if (strcasecmp(p, "all") == 0)
			return true;
		while (*p != 0) {
			size_t n = strcspn(p, ":"), m = n;

			while (m > 1 && p[m - 1] == '/')
				m--;
			if (m == len && strncmp(p, path, len) == 0)
				return true;
			p += n + (p[n] == ':');
		}
	}
	return false;
}

static int build_paths(struct sb *b, json_t *lx)
{
	const struct spec_input *in = b->in;
	json_t *masked = jarr(b, lx, "maskedPaths"), *ro = jarr(b, lx, "readonlyPaths");
	size_t i;

	if (masked == NULL || ro == NULL)
		return 0;
	if (!in->privileged) {
		for (i = 0; i < ARRAY_SIZE(default_masked); i++)
			if (!unmasked(b, default_masked[i]))
				jpush_str(b, masked, default_masked[i]);
		for (i = 0; i < in->host_masked.n; i++)
			if (in->host_masked.v[i][0] == '/' && !unmasked(b, in->host_masked.v[i]))
				jpush_str(b, masked, in->host_masked.v[i]);
		for (i = 0; i < ARRAY_SIZE(default_readonly); i++)
			if (!unmasked(b, default_readonly[i]))
				jpush_str(b, ro, default_readonly[i]);
		/* The host's /sys is bound in: keep its kernel knobs out of sight. */
		if (!b->can_mount_sys && in->rootless)
			jpush_str(b, masked, "/sys/kernel");
	}
	/* mask= applies even under --privileged, as in Podman. */
	for (i = 0; i < in->mask.n; i++) {
		const char *p = in->mask.v[i];

		while (*p != 0) {
			size_t n = strcspn(p, ":");
			cleanup_free char *path = strndup(p, n);
			cleanup_free char *clean = NULL;

			if (path == NULL)
				return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
			p += n + (p[n] == ':');
			if (n == 0)
				continue;
			if (clean_path(b, path, "invalid --security-opt mask=", &clean) < 0)
				return -1;
			jpush_str(b, masked, clean);
		}
	}
	return 0;
}

static bool sysctl_key_ok(const char *k, size_t len)
{
	size_t i;

	if (len == 0 || k[0] == '.' || k[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = k[i];
		if (!(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-') ||
		    (c == '.' && k[i + 1] == '.'))
			return false;
	}
	return true;
}

static int build_sysctl(struct sb *b, json_t *lx)
{
	const struct spec_input *in = b->in;
	json_t *sc = jobj(b, lx, "sysctl");
	size_t i, j;

	if (sc == NULL)
		return 0;
	for (i = 0; i < in->sysctls.n; i++) {
		const char *s = in->sysctls.v[i];
		cleanup_free char *key = NULL;
		size_t klen = 0;
		bool ok = false;

		if (split_kv(b, s, "--sysctl", &klen) < 0)
			return -1;
		if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[klen - 1]) ||
		    isspace((unsigned char)s[klen + 1]) || strpbrk(s, "\n\r") != NULL)
			return berr_set(b->e, BERR_INVALID, 0, "invalid --sysctl '%s': extra spaces found",
					s);
		if (!sysctl_key_ok(s, klen))
			return berr_set(b->e, BERR_INVALID, 0, "invalid --sysctl %s: bad name", s);
		for (j = 0; j < ARRAY_SIZE(sysctl_names); j++)
			ok |= strlen(sysctl_names[j]) == klen && strncmp(sysctl_names[j], s, klen) == 0;
		for (j = 0; j < ARRAY_SIZE(sysctl_prefixes); j++)
			ok |= strncmp(s, sysctl_prefixes[j], strlen(sysctl_prefixes[j])) == 0;
		if (!ok)
			return berr_set(b->e, BERR_INVALID, 0, "sysctl '%.*s' is not allowed",
					(int)klen, s);
		if (in->net == SPEC_NET_HOST && strncmp(s, "net.", 4) == 0)
			return berr_set(b->e, BERR_INVALID, 0,
					"sysctl %s can't be set since the network namespace is the host's",
					s);
		key = strndup(s, klen);
		if (key == NULL)
			return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
		if (strcmp(key, "net.ipv4.ping_group_range") == 0)
			b->user_ping = true;
		jset(b, sc, key, json_string(s + klen + 1));
	}
	/* ping without NET_RAW (containers.conf default_sysctls "0 0"), widened to every group
	 * of a user namespace so a non-root user (keep-id) can ping too. Its own netns only. */
	if (in->net != SPEC_NET_HOST && !b->user_ping) {
		char v[32];
		uint32_t max;

		(void)gid_mapped(b, 0, &max);
		snprintf(v, sizeof(v), "0 %" PRIu32, max);
		jset(b, sc, "net.ipv4.ping_group_range", json_string(v));
	}
	return 0;
}

static int build_seccomp(struct sb *b, json_t *lx)
{
	const struct spec_input *in = b->in;
	json_error_t je;
	json_t *s;

	/* Podman: unconfined, or privileged with the default profile, means no filter. */
	if (in->seccomp_unconfined || (in->privileged && !in->seccomp_explicit))
		return 0;
	if (in->seccomp_json == NULL)
		return berr_set(b->e, BERR_INTERNAL, 0, "spec: no seccomp profile was given");
	s = json_loads(in->seccomp_json, JSON_REJECT_DUPLICATES, &je);
	if (s == NULL || !json_is_object(s)) {
		json_decref(s);
		return berr_set(b->e, BERR_INTERNAL, 0, "spec: the seccomp profile is not a JSON object");
	}
	jset(b, lx, "seccomp", s);
	return 0;
}

static int build_devices(struct sb *b, json_t *lx)
{
	const struct spec_input *in = b->in;
	json_t *devs;
	size_t i;

	/* Default set only (the runtime creates null, zero, full, random, urandom, tty, ptmx
	 * and the console itself); --privileged adds the host's. */
	if (!in->privileged || in->n_host_devices == 0)
		return 0;
	if (in->host_devices == NULL || in->n_host_devices > SPEC_LIST_MAX)
		return berr_set(b->e, BERR_INTERNAL, 0, "spec: bad host device list");
	devs = jarr(b, lx, "devices");
	for (i = 0; devs != NULL && i < in->n_host_devices; i++) {
		const struct spec_device *d = &in->host_devices[i];
		char type[2] = { d->type, 0 };
		json_t *o;

		if (d->path == NULL || strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, "/../") ||
		    strchr("cbup", d->type) == NULL || d->type == 0 || check_str(b, d->path, "device") < 0)
			return berr_set(b->e, BERR_INTERNAL, 0, "spec: bad host device %s",
					d->path != NULL ? d->path : "(null)");
		o = jpush_obj(b, devs);
		if (o == NULL)
			continue;
		jset(b, o, "path", json_string(d->path));
		jset(b, o, "type", json_string(type));
		jset(b, o, "major", json_integer(d->major));
		jset(b, o, "minor", json_integer(d->minor));
		jset(b, o, "fileMode", json_integer(d->file_mode & 07777));
		jset(b, o, "uid", json_integer(d->uid));
		jset(b, o, "gid", json_integer(d->gid));
	}
	return 0;
}

static int build_linux(struct sb *b, json_t *root)
{
	json_t *lx = jobj(b, root, "linux");

	if (lx == NULL)
		return 0;
	if (b->uid_map != NULL) {
		jset(b, lx, "uidMappings", json_incref(b->uid_map));
		jset(b, lx, "gidMappings", json_incref(b->gid_map));
	}
	if (build_namespaces(b, lx) < 0 || build_resources(b, lx) < 0 ||
	    build_paths(b, lx) < 0 || build_sysctl(b, lx) < 0 ||
	    build_seccomp(b, lx) < 0 || build_devices(b, lx) < 0)
		return -1;
	if (b->in->cgroups_path != NULL)
		jset(b, lx, "cgroupsPath", json_string(b->in->cgroups_path));
	return 0;
}

/* ---------------------------------------------------------------- the rest of the spec */

/* A signal name ("TERM", "SIGTERM", any case) or number 1..64, as "SIGTERM" or "40". */
static int parse_signal(struct sb *b, const char *s, const char *flag, char out[16])
{
	const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	uint64_t v;
	size_t i;

	if (parse_u64(s, strlen(s), &v)) {
		if (v < 1 || v > 64)
			return berr_set(b->e, BERR_INVALID, 0, "invalid %s %s: valid signals are 1 through 64",
					flag, s);
		snprintf(out, 16, "%" PRIu64, v);
		return 0;
	}
	for (i = 1; i < ARRAY_SIZE(signal_names); i++) {
		if (strcasecmp(n, signal_names[i]) == 0) {
			snprintf(out, 16, "SIG%s", signal_names[i]);
			return 0;
		}
	}
	return berr_set(b->e, BERR_INVALID, 0, "invalid %s %s: unknown signal", flag, s);
}

static int build_annotations(struct sb *b, json_t *root)
{
	const struct spec_input *in = b->in;
	json_t *a = jobj(b, root, "annotations");
	size_t i;

	if (a == NULL)
		return 0;
	for (i = 0; i < in->annotations.n; i++) {
		const char *s = in->annotations.v[i];
		cleanup_free char *key = NULL;
		size_t klen = 0;

		if (split_kv(b, s, "--annotation", &klen) < 0)
			return -1;
		key = strndup(s, klen);
		if (key == NULL)
			return berr_set(b->e, BERR_INTERNAL, 0, "out of memory");
		jset(b, a, key, json_string(s + klen + 1));
	}
	/* A label may be a key alone (its value empty), as Podman's. */
	for (i = 0; i < in->labels.n; i++)
		if (in->labels.v[i][0] == '=' || in->labels.v[i][0] == '\0')
			return berr_set(b->e, BERR_INVALID, 0, "invalid --label %s: the key is empty",
					in->labels.v[i]);
	/* The stop signal travels with the bundle (the OCI image annotation for it), so the
	 * monitor can read it there. */
	if (in->stop_signal != NULL || in->image_stop_signal != NULL) {
		char sig[16];
		bool user = in->stop_signal != NULL;

		if (parse_signal(b, user ? in->stop_signal : in->image_stop_signal,
				 user ? "--stop-signal" : "image StopSignal", sig) < 0)
			return -1;
		jset(b, a, "org.opencontainers.image.stopSignal", json_string(sig));
	}
	return 0;
}

static int check_hostname(struct sb *b, const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 64 || h[0] == '-' || h[0] == '.')
		return berr_set(b->e, BERR_INVALID, 0, "invalid --hostname %s", h);
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)h[i]) || h[i] == '-' || h[i] == '.' || h[i] == '_'))
			return berr_set(b->e, BERR_INVALID, 0, "invalid --hostname %s", h);
	return 0;
}

static int check_inputs(struct sb *b)
{
	const struct spec_input *in = b->in;
	const struct {
		struct spec_strv sv;
		const char *what;
	} lists[] = {
		{ in->image_env, "image Env" }, { in->image_cmd, "image Cmd" },
		{ in->image_entrypoint, "image Entrypoint" }, { in->image_labels, "image Labels" },
		{ in->args, "command" }, { in->env, "--env" }, { in->host_env, "host environment" },
		{ in->labels, "--label" }, { in->annotations, "--annotation" },
		{ in->cap_add, "--cap-add" }, { in->cap_drop, "--cap-drop" },
		{ in->mask, "--security-opt mask=" }, { in->unmask, "--security-opt unmask=" },
		{ in->ulimits, "--ulimit" }, { in->tmpfs, "--tmpfs" }, { in->sysctls, "--sysctl" },
		{ in->host_masked, "host masked paths" },
	};
	const char *strs[] = {
		in->image_workdir, in->image_stop_signal, in->entrypoint, in->workdir,
		in->stop_signal, in->hostname, in->memory, in->memory_swap, in->cpus,
		in->cpu_shares, in->pids_limit, in->shm_size, in->net_ns_path, in->init_path,
		in->home, in->rootfs, in->hosts_path, in->resolv_path, in->hostname_path,
		in->cgroups_path, in->cgroup_reason,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lists); i++)
		if (check_strv(b, lists[i].sv, lists[i].what) < 0)
			return -1;
	for (i = 0; i < ARRAY_SIZE(strs); i++)
		if (check_str(b, strs[i], "value") < 0)
			return -1;
	/* The seccomp profile is the one long value: a few hundred syscall rules. */
	if (in->seccomp_json != NULL &&
	    (strlen(in->seccomp_json) > SPEC_SECCOMP_MAX || !utf8_valid(in->seccomp_json)))
		return berr_set(b->e, BERR_INTERNAL, 0, "spec: the seccomp profile is too long or not UTF-8");
	if (in->rootfs == NULL || in->rootfs[0] != '/')
		return berr_set(b->e, BERR_INTERNAL, 0, "spec: the root filesystem path is missing");
	if (in->hostname != NULL && check_hostname(b, in->hostname) < 0)
		return -1;
	if ((in->userns == SPEC_USERNS_KEEPID || in->userns == SPEC_USERNS_NOMAP) && !in->rootless)
		return berr_set(b->e, BERR_UNSUPPORTED, 0, "--userns=%s is only supported rootless",
				in->userns == SPEC_USERNS_KEEPID ? "keep-id" : "nomap");
	return 0;
}

/* Whether /sys/fs/cgroup is named by an unmask= entry (or ALL). */
static bool cgroup_writable(const struct sb *b)
{
	if (b->in->privileged && b->can_mount_sys)
		return true;
	return b->in->cgroup2 && unmask_names(b, "/sys/fs/cgroup");
}

static int build_spec(struct sb *b, json_t *root)
{
	const struct spec_input *in = b->in;
	json_t *r;
	uint32_t max;

	if (check_inputs(b) < 0 || build_idmaps(b) < 0 || tmpfs_dests(b) < 0)
		return -1;
	b->userns = in->userns != SPEC_USERNS_HOST;
	b->in_userns = in->rootless || b->userns;
	b->can_mount_sys = !(in->net == SPEC_NET_HOST && b->in_userns);
	b->cgroup_rw = cgroup_writable(b);
	b->gid5 = gid_mapped(b, 5, &max);
	b->bounding = in->bounding != 0 ? in->bounding & CAP_ALL_MASK : CAP_ALL_MASK;

	jset(b, root, "ociVersion", json_string(SPEC_OCI_VERSION));
	if (build_process(b, root) < 0)
		return -1;
	r = jobj(b, root, "root");
	if (r != NULL) {
		jset(b, r, "path", json_string(in->rootfs));
		jset(b, r, "readonly", json_boolean(in->read_only));
	}
	if (in->hostname != NULL)
		jset(b, root, "hostname", json_string(in->hostname));
	if (build_mounts(b, root) < 0 || build_linux(b, root) < 0 || build_annotations(b, root) < 0)
		return -1;
	return 0;
}

/* Puts 18446744073709551615 where the RLIM_INFINITY marks are. */
static char *replace_inf(const char *text)
{
	static const char num[] = "18446744073709551615";
	size_t tl = strlen(rlim_inf_text), nl = strlen(num), n = 0, len;
	const char *p, *q;
	char *out, *o;

	for (p = text; (p = strstr(p, rlim_inf_text)) != NULL; p += tl)
		n++;
	len = strlen(text) - n * tl + n * nl;
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	for (p = text, o = out; (q = strstr(p, rlim_inf_text)) != NULL; p = q + tl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, num, nl);
		o += nl;
	}
	strcpy(o, p);
	return out;
}

int spec_build(const struct spec_input *in, char **json_out, struct berr *e)
{
	struct sb b = { .in = in, .e = e };
	cleanup_json json_t *root = NULL;
	cleanup_free char *text = NULL;
	size_t i;
	int r = -1;

	*json_out = NULL;
	root = json_object();
	if (root == NULL) {
		b.oom = true;
	} else if (build_spec(&b, root) < 0) {
		goto out;
	}
	if (!b.oom)
		text = json_dumps(root, JSON_INDENT(2));
	if (text != NULL)
		*json_out = replace_inf(text);
	if (*json_out == NULL) {
		berr_set(e, BERR_INTERNAL, 0, "out of memory generating the OCI spec");
		goto out;
	}
	r = 0;
out:
	json_decref(b.uid_map);
	json_decref(b.gid_map);
	for (i = 0; i < b.n_tmpfs; i++)
		free(b.tmpfs_dest[i]);
	free(b.tmpfs_dest);
	return r;
}
