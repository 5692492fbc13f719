/* Unit tests for policy/spec.c: the OCI runtime spec generator. Every case builds config.json
 * from a spec_input and parses the text back with jansson to check the fields: the secure
 * defaults (capabilities, masked and read-only paths, rlimits clamped to the caller's, pids
 * limit, seccomp), what --privileged and --security-opt relax, the command and environment
 * merge rules of Docker/Podman, mounts and their options, user namespaces, resource limits
 * and the errors for values that cannot be used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/cleanup.h"
#include "policy/spec.h"

#define SV(...) \
	((struct spec_strv){ (const char *const[]){ __VA_ARGS__ }, \
			     sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *) })

static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT",
};

static const char seccomp[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[]}";

static const char *const sh_cmd[] = { "/bin/sh" };

static struct spec_input base(void)
{
	struct spec_input in = { 0 };

	in.image_cmd = (struct spec_strv){ sh_cmd, 1 };
	in.rootfs = "/var/lib/berth/c/rootfs";
	in.hostname = "0123456789ab";
	in.seccomp_json = seccomp;
	in.cgroup2 = true;
	in.cgroup_controllers = SPEC_CG_MEMORY | SPEC_CG_CPU | SPEC_CG_PIDS;
	in.nofile_hard = 4096;
	in.nproc_hard = UINT64_MAX;
	in.hosts_path = "/run/berth/c/hosts";
	in.resolv_path = "/run/berth/c/resolv.conf";
	in.hostname_path = "/run/berth/c/hostname";
	return in;
}

static json_t *build(const struct spec_input *in)
{
	struct berr e = { 0 };
	json_error_t je;
	char *text = NULL;
	json_t *root;

	if (spec_build(in, &text, &e) != 0)
		fail_msg("spec_build failed: %s", e.msg);
	assert_non_null(text);
	root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		fail_msg("bad JSON (%s): %s", je.text, text);
	free(text);
	return root;
}

/* spec_build must fail with code and a message containing want. */
static void refused(const struct spec_input *in, int code, const char *want)
{
	struct berr e = { 0 };
	char *text = (char *)"untouched";

	assert_int_equal(spec_build(in, &text, &e), -1);
	assert_null(text);
	if (e.code != code || strstr(e.msg, want) == NULL)
		fail_msg("wanted code %d with \"%s\", got %d: %s", code, want, e.code, e.msg);
	assert_null(strchr(e.msg, '\n'));
}

/* root["a"]["b"]... (NULL-terminated keys). */
static json_t *at(json_t *root, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, root);
	while (root != NULL && (k = va_arg(ap, const char *)) != NULL)
		root = json_object_get(root, k);
	va_end(ap);
	return root;
}

static bool has_str(json_t *arr, const char *s)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return true;
	return false;
}

static void strs_equal(json_t *arr, const char *const *want, size_t n)
{
	size_t i;

	assert_true(json_is_array(arr));
	if (json_array_size(arr) != n)
		fail_msg("wanted %zu entries, got %zu", n, json_array_size(arr));
	for (i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(arr, i)), want[i]);
}

static json_t *mount_at(json_t *root, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(root, "mounts"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
			return m;
	return NULL;
}

static bool has_ns(json_t *root, const char *type)
{
	json_t *n;
	size_t i;

	json_array_foreach(at(root, "linux", "namespaces", NULL), i, n)
		if (strcmp(json_string_value(json_object_get(n, "type")), type) == 0)
			return true;
	return false;
}

static json_t *rlimit(json_t *root, const char *type)
{
	json_t *r;
	size_t i;

	json_array_foreach(at(root, "process", "rlimits", NULL), i, r)
		if (strcmp(json_string_value(json_object_get(r, "type")), type) == 0)
			return r;
	return NULL;
}

static const char *env_get(json_t *root, const char *key)
{
	size_t i, kl = strlen(key);
	json_t *x;

	json_array_foreach(at(root, "process", "env", NULL), i, x) {
		const char *s = json_string_value(x);
		if (strncmp(s, key, kl) == 0 && s[kl] == '=')
			return s + kl + 1;
	}
	return NULL;
}

static json_int_t int_at(json_t *v)
{
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* ---------------------------------------------------------------- defaults */

static void test_defaults(void **state)
{
	struct spec_input in = base();
	json_t *root, *caps, *m;
	(void)state;

	root = build(&in);
	assert_string_equal(json_string_value(at(root, "ociVersion", NULL)), "1.0.2");
	caps = at(root, "process", "capabilities", NULL);
	strs_equal(json_object_get(caps, "bounding"), default_caps, 11);
	strs_equal(json_object_get(caps, "effective"), default_caps, 11);
	strs_equal(json_object_get(caps, "permitted"), default_caps, 11);
	assert_int_equal(json_array_size(json_object_get(caps, "ambient")), 0);
	assert_int_equal(json_array_size(json_object_get(caps, "inheritable")), 0);
	assert_true(json_is_false(at(root, "process", "noNewPrivileges", NULL)));
	assert_true(json_is_false(at(root, "process", "terminal", NULL)));
	assert_null(at(root, "process", "oomScoreAdj", NULL));
	assert_string_equal(json_string_value(at(root, "process", "cwd", NULL)), "/");
	assert_int_equal(int_at(at(root, "process", "user", "uid", NULL)), 0);
	assert_null(at(root, "process", "user", "additionalGids", NULL));

	assert_true(has_str(at(root, "linux", "maskedPaths", NULL), "/proc/kcore"));
	assert_true(has_str(at(root, "linux", "maskedPaths", NULL), "/sys/firmware"));
	assert_true(has_str(at(root, "linux", "maskedPaths", NULL), "/proc/keys"));
	assert_false(has_str(at(root, "linux", "maskedPaths", NULL), "/sys/kernel"));
	assert_true(has_str(at(root, "linux", "readonlyPaths", NULL), "/proc/sys"));
	assert_true(has_str(at(root, "linux", "readonlyPaths", NULL), "/proc/sysrq-trigger"));
	assert_string_equal(json_string_value(at(root, "linux", "seccomp", "defaultAction", NULL)),
			    "SCMP_ACT_ERRNO");

	/* NOFILE clamped to the caller's 4096; NPROC (unlimited for the caller) at 1048576. */
	assert_int_equal(int_at(json_object_get(rlimit(root, "RLIMIT_NOFILE"), "hard")), 4096);
	assert_int_equal(int_at(json_object_get(rlimit(root, "RLIMIT_NOFILE"), "soft")), 4096);
	assert_int_equal(int_at(json_object_get(rlimit(root, "RLIMIT_NPROC"), "hard")), 1048576);
	assert_int_equal(int_at(at(root, "linux", "resources", "pids", "limit", NULL)), 2048);
	assert_null(at(root, "linux", "resources", "memory", NULL));
	m = json_array_get(at(root, "linux", "resources", "devices", NULL), 0);
	assert_true(json_is_false(json_object_get(m, "allow")));
	assert_string_equal(json_string_value(json_object_get(m, "access")), "rwm");

	assert_true(has_ns(root, "pid") && has_ns(root, "network") && has_ns(root, "ipc") &&
		    has_ns(root, "uts") && has_ns(root, "mount") && has_ns(root, "cgroup"));
	assert_false(has_ns(root, "user"));
	assert_null(at(root, "linux", "uidMappings", NULL));
	assert_string_equal(json_string_value(at(root, "linux", "sysctl",
						 "net.ipv4.ping_group_range", NULL)), "0 0");
	assert_string_equal(json_string_value(at(root, "hostname", NULL)), "0123456789ab");
	assert_true(json_is_false(at(root, "root", "readonly", NULL)));
	assert_string_equal(json_string_value(at(root, "root", "path", NULL)),
			    "/var/lib/berth/c/rootfs");

	assert_string_equal(env_get(root, "PATH"),
			    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(env_get(root, "HOSTNAME"), "0123456789ab");
	assert_string_equal(env_get(root, "HOME"), "/");
	assert_null(env_get(root, "TERM"));
	json_decref(root);
}

static void test_default_mounts(void **state)
{
	static const char *const order[] = { "/proc", "/dev", "/sys", "/dev/pts", "/dev/shm",
		"/dev/mqueue", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/sys/fs/cgroup" };
	struct spec_input in = base();
	json_t *root, *m, *opts;
	size_t i;
	(void)state;

	root = build(&in);
	assert_int_equal(json_array_size(json_object_get(root, "mounts")), ARRAY_SIZE(order));
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		m = json_array_get(json_object_get(root, "mounts"), i);
		assert_string_equal(json_string_value(json_object_get(m, "destination")), order[i]);
	}
	opts = json_object_get(mount_at(root, "/sys"), "options");
	assert_true(has_str(opts, "ro") && has_str(opts, "nosuid") && has_str(opts, "noexec"));
	opts = json_object_get(mount_at(root, "/sys/fs/cgroup"), "options");
	assert_true(has_str(opts, "ro"));
	assert_string_equal(json_string_value(json_object_get(mount_at(root, "/sys/fs/cgroup"), "type")),
			    "cgroup");
	opts = json_object_get(mount_at(root, "/dev/pts"), "options");
	assert_true(has_str(opts, "gid=5") && has_str(opts, "newinstance") &&
		    has_str(opts, "ptmxmode=0666"));
	opts = json_object_get(mount_at(root, "/dev/shm"), "options");
	assert_true(has_str(opts, "size=67108864") && has_str(opts, "mode=1777") &&
		    has_str(opts, "noexec"));
	opts = json_object_get(mount_at(root, "/proc"), "options");
	assert_true(has_str(opts, "nosuid") && has_str(opts, "noexec") && has_str(opts, "nodev"));
	m = mount_at(root, "/etc/hosts");
	assert_string_equal(json_string_value(json_object_get(m, "source")), "/run/berth/c/hosts");
	assert_false(has_str(json_object_get(m, "options"), "ro"));
	json_decref(root);

	in.shm_size = "128m";
	in.hosts_path = NULL;
	root = build(&in);
	assert_true(has_str(json_object_get(mount_at(root, "/dev/shm"), "options"),
			    "size=134217728"));
	assert_null(mount_at(root, "/etc/hosts"));
	json_decref(root);

	in.shm_size = "0";
	refused(&in, BERR_INVALID, "invalid --shm-size 0");
	in.shm_size = "lots";
	refused(&in, BERR_INVALID, "--shm-size");
}

/* ---------------------------------------------------------------- privileged */

static void test_privileged(void **state)
{
	static const struct spec_device devs[] = {
		{ "/dev/sda", 'b', 8, 0, 0660, 0, 6 },
		{ "/dev/kvm", 'c', 10, 232, 0660, 0, 36 },
	};
	struct spec_input in = base();
	json_t *root, *d;
	(void)state;

	in.privileged = true;
	in.host_devices = devs;
	in.n_host_devices = 2;
	in.cap_drop = SV("CHOWN"); /* ignored under --privileged, as in Podman */
	root = build(&in);
	assert_int_equal(json_array_size(at(root, "process", "capabilities", "bounding", NULL)), 41);
	assert_int_equal(json_array_size(at(root, "process", "capabilities", "effective", NULL)), 41);
	assert_true(has_str(at(root, "process", "capabilities", "bounding", NULL), "CAP_SYS_ADMIN"));
	assert_true(has_str(at(root, "process", "capabilities", "bounding", NULL), "CAP_CHOWN"));
	assert_int_equal(json_array_size(at(root, "process", "capabilities", "ambient", NULL)), 0);
	assert_int_equal(json_array_size(at(root, "linux", "maskedPaths", NULL)), 0);
	assert_int_equal(json_array_size(at(root, "linux", "readonlyPaths", NULL)), 0);
	assert_null(at(root, "linux", "seccomp", NULL));
	d = json_array_get(at(root, "linux", "resources", "devices", NULL), 0);
	assert_true(json_is_true(json_object_get(d, "allow")));
	d = at(root, "linux", "devices", NULL);
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "path")), "/dev/kvm");
	assert_int_equal(int_at(json_object_get(json_array_get(d, 1), "minor")), 232);
	assert_true(has_str(json_object_get(mount_at(root, "/sys"), "options"), "rw"));
	assert_true(has_str(json_object_get(mount_at(root, "/sys/fs/cgroup"), "options"), "rw"));
	assert_true(json_is_false(at(root, "process", "noNewPrivileges", NULL)));
	json_decref(root);

	/* The caller's bounding set limits even --privileged. */
	in.bounding = (1u << 0) | (1u << 21);
	root = build(&in);
	strs_equal(at(root, "process", "capabilities", "bounding", NULL),
		   (const char *const[]){ "CAP_CHOWN", "CAP_SYS_ADMIN" }, 2);
	json_decref(root);

	/* A profile the user named stays; mask= still applies. */
	in.bounding = 0;
	in.seccomp_explicit = true;
	in.mask = SV("/opt/secret");
	root = build(&in);
	assert_non_null(at(root, "linux", "seccomp", NULL));
	strs_equal(at(root, "linux", "maskedPaths", NULL), (const char *const[]){ "/opt/secret" }, 1);
	json_decref(root);
}

static void test_seccomp(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.seccomp_unconfined = true;
	root = build(&in);
	assert_null(at(root, "linux", "seccomp", NULL));
	json_decref(root);

	in.seccomp_unconfined = false;
	in.no_new_privs = true;
	root = build(&in);
	assert_non_null(at(root, "linux", "seccomp", NULL));
	assert_true(json_is_true(at(root, "process", "noNewPrivileges", NULL)));
	json_decref(root);

	in.seccomp_json = NULL;
	refused(&in, BERR_INTERNAL, "seccomp");
	in.seccomp_json = "[1]";
	refused(&in, BERR_INTERNAL, "seccomp");
}

/* ---------------------------------------------------------------- capabilities */

static json_t *bounding_of(struct spec_input *in)
{
	json_t *root = build(in);
	json_t *b = json_incref(at(root, "process", "capabilities", "bounding", NULL));

	json_decref(root);
	return b;
}

static void test_caps(void **state)
{
	struct spec_input in = base();
	json_t *b;
	(void)state;

	in.cap_add = SV("NET_RAW", "cap_net_admin");
	in.cap_drop = SV("CAP_CHOWN", "kill");
	b = bounding_of(&in);
	assert_int_equal(json_array_size(b), 11);
	assert_true(has_str(b, "CAP_NET_RAW") && has_str(b, "CAP_NET_ADMIN"));
	assert_false(has_str(b, "CAP_CHOWN") || has_str(b, "CAP_KILL"));
	json_decref(b);

	in.cap_add = SV("NET_RAW");
	in.cap_drop = SV("ALL");
	b = bounding_of(&in);
	strs_equal(b, (const char *const[]){ "CAP_NET_RAW" }, 1);
	json_decref(b);

	in.cap_add = (struct spec_strv){ 0 };
	b = bounding_of(&in);
	assert_int_equal(json_array_size(b), 0);
	json_decref(b);

	in.cap_add = SV("all");
	in.cap_drop = SV("SYS_ADMIN");
	b = bounding_of(&in);
	assert_int_equal(json_array_size(b), 40);
	assert_false(has_str(b, "CAP_SYS_ADMIN"));
	json_decref(b);

	/* containers.conf default_capabilities in place of Podman's, the flags on top. */
	struct spec_strv conf = SV("CHOWN", "cap_net_raw");
	in.conf_caps = &conf;
	in.cap_add = SV("KILL");
	in.cap_drop = SV("CHOWN");
	b = bounding_of(&in);
	strs_equal(b, (const char *const[]){ "CAP_KILL", "CAP_NET_RAW" }, 2);
	json_decref(b);
	conf = SV("NOSUCH");
	refused(&in, BERR_INVALID, "containers.conf default_capabilities: unknown capability");
	in.conf_caps = NULL;
	in.cap_add = SV("all");

	in.cap_drop = SV("ALL");
	refused(&in, BERR_INVALID, "adding all caps and removing all caps not allowed");
	in.cap_add = SV("NET_RAW");
	in.cap_drop = SV("NET_RAW");
	refused(&in, BERR_INVALID, "capability CAP_NET_RAW cannot be dropped and added");
	in.cap_drop = (struct spec_strv){ 0 };
	in.cap_add = SV("FOO");
	refused(&in, BERR_INVALID, "unknown capability CAP_FOO");
	in.cap_add = (struct spec_strv){ 0 };
	in.cap_drop = SV("CAP_BAR");
	refused(&in, BERR_INVALID, "--cap-drop: unknown capability CAP_BAR");

	/* Capabilities the caller does not hold are left out, not asked for. */
	in.cap_drop = (struct spec_strv){ 0 };
	in.cap_add = SV("SYS_ADMIN");
	in.bounding = 0x3f; /* CHOWN..KILL */
	b = bounding_of(&in);
	strs_equal(b, (const char *const[]){ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
					     "CAP_FSETID", "CAP_KILL" }, 5);
	json_decref(b);
}

static void test_caps_nonroot(void **state)
{
	struct spec_input in = base();
	json_t *root, *caps;
	(void)state;

	in.uid = 1000;
	in.gid = 1000;
	root = build(&in);
	caps = at(root, "process", "capabilities", NULL);
	assert_int_equal(json_array_size(json_object_get(caps, "bounding")), 11);
	assert_int_equal(json_array_size(json_object_get(caps, "effective")), 0);
	assert_int_equal(json_array_size(json_object_get(caps, "permitted")), 0);
	assert_int_equal(json_array_size(json_object_get(caps, "ambient")), 0);
	json_decref(root);

	in.cap_add = SV("NET_BIND_SERVICE");
	root = build(&in);
	caps = at(root, "process", "capabilities", NULL);
	strs_equal(json_object_get(caps, "effective"),
		   (const char *const[]){ "CAP_NET_BIND_SERVICE" }, 1);
	strs_equal(json_object_get(caps, "ambient"),
		   (const char *const[]){ "CAP_NET_BIND_SERVICE" }, 1);
	strs_equal(json_object_get(caps, "inheritable"),
		   (const char *const[]){ "CAP_NET_BIND_SERVICE" }, 1);
	json_decref(root);
}

static void test_caps_label(void **state)
{
	struct spec_input in = base();
	json_t *b;
	(void)state;

	in.image_labels = SV("io.containers.capabilities=CHOWN,kill", "x=y");
	b = bounding_of(&in);
	strs_equal(b, (const char *const[]){ "CAP_CHOWN", "CAP_KILL" }, 2);
	json_decref(b);

	/* Asking for more than the set: ignored, as Podman does. */
	in.labels = SV("io.containers.capabilities=SYS_ADMIN");
	b = bounding_of(&in);
	assert_int_equal(json_array_size(b), 11);
	json_decref(b);

	in.labels = SV("io.containers.capabilities=NOPE");
	refused(&in, BERR_INVALID, "unknown capability NOPE");
}

/* ---------------------------------------------------------------- command and environment */

struct cmd_case {
	const char *entrypoint; /* --entrypoint, or NULL */
	struct spec_strv args;
	const char *want[4];    /* NULL-terminated; want[0] NULL = an error */
};

static void test_command(void **state)
{
	const struct cmd_case cases[] = {
		{ NULL, { 0 }, { "/ep", "-x", "cmd", NULL } },
		{ NULL, SV("arg"), { "/ep", "-x", "arg", NULL } },
		{ "/bin/other", { 0 }, { "/bin/other", NULL } }, /* the image's Cmd goes too */
		{ "/bin/other", SV("a", "b"), { "/bin/other", "a", "b", NULL } },
		{ "", SV("/bin/true"), { "/bin/true", NULL } },
		{ "", { 0 }, { NULL } },
		{ "[\"/bin/sh\",\"-c\"]", SV("echo hi"), { "/bin/sh", "-c", "echo hi", NULL } },
		{ "[]", { 0 }, { "cmd", NULL } },
		{ "[not json", { 0 }, { "[not json", NULL } },
	};
	size_t i, j;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct spec_input in = base();
		json_t *root, *args;

		in.image_entrypoint = SV("/ep", "-x");
		in.image_cmd = SV("cmd");
		in.entrypoint = cases[i].entrypoint;
		in.args = cases[i].args;
		if (cases[i].want[0] == NULL) {
			refused(&in, BERR_INVALID, "no command or entrypoint provided");
			continue;
		}
		root = build(&in);
		args = at(root, "process", "args", NULL);
		for (j = 0; cases[i].want[j] != NULL; j++)
			assert_string_equal(json_string_value(json_array_get(args, j)), cases[i].want[j]);
		assert_int_equal(json_array_size(args), j);
		json_decref(root);
	}
}

static void test_command_errors(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.image_cmd = (struct spec_strv){ 0 };
	refused(&in, BERR_INVALID, "no command or entrypoint provided, and no CMD or ENTRYPOINT");
	in.entrypoint = "[\"/bin/sh\", 1]";
	refused(&in, BERR_INVALID, "invalid --entrypoint");
	in.entrypoint = NULL;
	in.args = SV("/bin/echo", "\xff\xfe");
	refused(&in, BERR_INVALID, "UTF-8");

	/* --init: the init binary first, bound read-only. */
	in.args = SV("/bin/app");
	in.init_path = "/usr/libexec/catatonit";
	root = build(&in);
	strs_equal(at(root, "process", "args", NULL),
		   (const char *const[]){ SPEC_INIT_PATH, "--", "/bin/app" }, 3);
	assert_string_equal(json_string_value(json_object_get(mount_at(root, SPEC_INIT_PATH), "source")),
			    "/usr/libexec/catatonit");
	assert_true(has_str(json_object_get(mount_at(root, SPEC_INIT_PATH), "options"), "ro"));
	json_decref(root);
	in.init_path = "catatonit";
	refused(&in, BERR_INVALID, "--init");
}

static void test_env(void **state)
{
	struct spec_input in = base();
	json_t *root, *env;
	(void)state;

	in.image_env = SV("PATH=/image/bin", "FOO=image", "KEEP=1");
	in.env = SV("FOO=file", "FOO=flag", "FROMHOST", "MISSING", "PFX_*", "EMPTY=");
	in.host_env = SV("FROMHOST=h", "PFX_A=1", "PFX_B=2", "OTHER=x");
	in.home = "/root";
	in.tty = true;
	root = build(&in);
	assert_string_equal(env_get(root, "PATH"), "/image/bin");
	assert_string_equal(env_get(root, "FOO"), "flag");
	assert_string_equal(env_get(root, "KEEP"), "1");
	assert_string_equal(env_get(root, "FROMHOST"), "h");
	assert_null(env_get(root, "MISSING"));
	assert_string_equal(env_get(root, "PFX_A"), "1");
	assert_string_equal(env_get(root, "PFX_B"), "2");
	assert_null(env_get(root, "OTHER"));
	assert_string_equal(env_get(root, "EMPTY"), "");
	assert_string_equal(env_get(root, "HOME"), "/root");
	assert_string_equal(env_get(root, "TERM"), "xterm");
	assert_string_equal(env_get(root, "container"), "berth");
	assert_true(json_is_true(at(root, "process", "terminal", NULL)));
	/* Every key once; a later value keeps the first one's place. */
	env = at(root, "process", "env", NULL);
	assert_string_equal(json_string_value(json_array_get(env, 0)), "PATH=/image/bin");
	assert_string_equal(json_string_value(json_array_get(env, 2)), "FOO=flag");
	json_decref(root);

	in.env = SV("HOME=/mine", "TERM=dumb", "HOSTNAME=h");
	root = build(&in);
	assert_string_equal(env_get(root, "HOME"), "/mine");
	assert_string_equal(env_get(root, "TERM"), "dumb");
	assert_string_equal(env_get(root, "HOSTNAME"), "h");
	json_decref(root);

	/* containers.conf env, under the image's Env. */
	in.env = (struct spec_strv){ 0 };
	in.conf_env = SV("CONF=c", "FOO=conf");
	root = build(&in);
	assert_string_equal(env_get(root, "CONF"), "c");
	assert_string_equal(env_get(root, "FOO"), "image");
	json_decref(root);
	in.conf_env = SV("BAD");
	refused(&in, BERR_INVALID, "containers.conf: invalid env entry \"BAD\"");
	in.conf_env = (struct spec_strv){ 0 };

	/* --env-host: the host's whole environment, under the image's Env and the user's. */
	in.env = SV("FOO=flag");
	in.env_host = true;
	in.host_env = SV("OTHER=x", "FOO=host", "PATH=/host/bin", "NOEQUALS");
	root = build(&in);
	assert_string_equal(env_get(root, "OTHER"), "x");
	assert_string_equal(env_get(root, "FOO"), "flag");
	assert_string_equal(env_get(root, "PATH"), "/image/bin");
	assert_null(env_get(root, "NOEQUALS"));
	json_decref(root);
	in.env_host = false;

	in.env = SV("=oops");
	refused(&in, BERR_INVALID, "invalid environment variable");
	in.env = (struct spec_strv){ 0 };
	in.image_env = SV("NOEQUALS");
	refused(&in, BERR_INVALID, "image config");
}

static void test_user_workdir_hostname(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.uid = 1000;
	in.gid = 100;
	in.groups = (const uint32_t[]){ 10, 20 };
	in.n_groups = 2;
	in.image_workdir = "app";
	root = build(&in);
	assert_int_equal(int_at(at(root, "process", "user", "uid", NULL)), 1000);
	assert_int_equal(int_at(at(root, "process", "user", "gid", NULL)), 100);
	assert_int_equal(int_at(json_array_get(at(root, "process", "user", "additionalGids", NULL), 1)), 20);
	assert_string_equal(json_string_value(at(root, "process", "cwd", NULL)), "/app");
	json_decref(root);

	in.workdir = "//srv/./data/../www/";
	root = build(&in);
	assert_string_equal(json_string_value(at(root, "process", "cwd", NULL)), "/srv/www");
	json_decref(root);

	in.workdir = "relative";
	refused(&in, BERR_INVALID, "invalid --workdir relative");
	in.workdir = NULL;
	in.hostname = "bad host";
	refused(&in, BERR_INVALID, "invalid --hostname");
	in.hostname = "-x";
	refused(&in, BERR_INVALID, "invalid --hostname");
	in.hostname = NULL;
	root = build(&in);
	assert_null(at(root, "hostname", NULL));
	assert_null(env_get(root, "HOSTNAME"));
	json_decref(root);
}

/* ---------------------------------------------------------------- mounts */

static void test_read_only(void **state)
{
	static const char *const tmp_opts[] = { "rw", "rprivate", "nosuid", "nodev", "noexec",
						"tmpcopyup" };
	struct spec_input in = base();
	json_t *root, *m;
	(void)state;

	in.read_only = true;
	root = build(&in);
	assert_true(json_is_true(at(root, "root", "readonly", NULL)));
	m = mount_at(root, "/tmp");
	assert_string_equal(json_string_value(json_object_get(m, "type")), "tmpfs");
	strs_equal(json_object_get(m, "options"), tmp_opts, ARRAY_SIZE(tmp_opts));
	strs_equal(json_object_get(mount_at(root, "/var/tmp"), "options"), tmp_opts,
		   ARRAY_SIZE(tmp_opts));
	strs_equal(json_object_get(mount_at(root, "/run"), "options"), tmp_opts,
		   ARRAY_SIZE(tmp_opts));
	m = mount_at(root, "/etc/resolv.conf");
	assert_true(has_str(json_object_get(m, "options"), "ro"));
	json_decref(root);

	/* A --tmpfs of the user's own at /tmp replaces the read-only one. */
	in.tmpfs = SV("/tmp:size=1m");
	root = build(&in);
	m = mount_at(root, "/tmp");
	assert_true(has_str(json_object_get(m, "options"), "size=1m"));
	json_decref(root);
}

static void test_tmpfs(void **state)
{
	struct spec_input in = base();
	json_t *root, *m, *mounts;
	size_t i;
	(void)state;

	in.tmpfs = SV("/data:size=10m,exec,mode=1777", "/cache/", "/dev/shm:size=1g");
	root = build(&in);
	m = mount_at(root, "/data");
	strs_equal(json_object_get(m, "options"),
		   (const char *const[]){ "size=10m", "exec", "mode=1777", "rw", "rprivate",
					  "nosuid", "nodev", "tmpcopyup" }, 8);
	m = mount_at(root, "/cache");
	strs_equal(json_object_get(m, "options"),
		   (const char *const[]){ "rw", "rprivate", "noexec", "nosuid", "nodev",
					  "tmpcopyup" }, 6);
	/* The user's /dev/shm takes the default's place, after /dev. */
	m = mount_at(root, "/dev/shm");
	assert_string_equal(json_string_value(json_object_get(m, "source")), "tmpfs");
	assert_true(has_str(json_object_get(m, "options"), "size=1g"));
	mounts = json_object_get(root, "mounts");
	for (i = 0; i < json_array_size(mounts); i++) {
		const char *d = json_string_value(json_object_get(json_array_get(mounts, i),
								  "destination"));
		if (strcmp(d, "/dev") == 0)
			break;
		assert_string_not_equal(d, "/dev/shm");
	}
	json_decref(root);

	/* --tmpfs /dev replaces every default under /dev too. */
	in.tmpfs = SV("/dev");
	root = build(&in);
	assert_null(mount_at(root, "/dev/pts"));
	assert_null(mount_at(root, "/dev/shm"));
	assert_non_null(mount_at(root, "/dev"));
	json_decref(root);

	in.tmpfs = SV("/a", "/a/");
	refused(&in, BERR_INVALID, "duplicate mount destination /a");
	in.tmpfs = SV("/a:bogus");
	refused(&in, BERR_INVALID, "unknown mount option bogus");
	in.tmpfs = SV("/a:exec,noexec");
	refused(&in, BERR_INVALID, "conflicts");
	in.tmpfs = SV("/a:size=big");
	refused(&in, BERR_INVALID, "bad size");
	in.tmpfs = SV("/a:mode=999");
	refused(&in, BERR_INVALID, "bad mode");
	in.tmpfs = SV("/a:bind");
	refused(&in, BERR_INVALID, "unknown mount option bind");
	in.tmpfs = SV("a");
	refused(&in, BERR_INVALID, "not an absolute path");
	in.tmpfs = SV("/");
	refused(&in, BERR_INVALID, "cannot mount on /");
}

/* ---------------------------------------------------------------- namespaces */

static void assert_map(json_t *arr, size_t i, json_int_t c, json_int_t h, json_int_t s)
{
	json_t *m = json_array_get(arr, i);

	assert_non_null(m);
	assert_int_equal(int_at(json_object_get(m, "containerID")), c);
	assert_int_equal(int_at(json_object_get(m, "hostID")), h);
	assert_int_equal(int_at(json_object_get(m, "size")), s);
}

static void test_keep_id(void **state)
{
	struct spec_input in = base();
	json_t *root, *um;
	(void)state;

	in.rootless = true;
	in.userns = SPEC_USERNS_KEEPID;
	in.keepid_uid = 1000;
	in.keepid_gid = 1000;
	in.uid = 1000;
	in.gid = 1000;
	in.subid_uids = 65536;
	in.subid_gids = 65536;
	root = build(&in);
	assert_true(has_ns(root, "user"));
	um = at(root, "linux", "uidMappings", NULL);
	assert_int_equal(json_array_size(um), 3);
	assert_map(um, 0, 0, 1, 1000);
	assert_map(um, 1, 1000, 0, 1);
	assert_map(um, 2, 1001, 1001, 64536);
	assert_map(at(root, "linux", "gidMappings", NULL), 1, 1000, 0, 1);
	assert_string_equal(json_string_value(at(root, "linux", "sysctl",
						 "net.ipv4.ping_group_range", NULL)), "0 65536");
	/* In a user namespace: no device cgroup rule. */
	assert_null(at(root, "linux", "resources", "devices", NULL));
	assert_true(has_str(json_object_get(mount_at(root, "/dev/pts"), "options"), "gid=5"));
	json_decref(root);

	/* No subordinate IDs: only the user is mapped, and gid 5 does not exist. */
	in.subid_uids = in.subid_gids = 0;
	root = build(&in);
	um = at(root, "linux", "uidMappings", NULL);
	assert_int_equal(json_array_size(um), 1);
	assert_map(um, 0, 1000, 0, 1);
	assert_false(has_str(json_object_get(mount_at(root, "/dev/pts"), "options"), "gid=5"));
	json_decref(root);

	in.rootless = false;
	refused(&in, BERR_UNSUPPORTED, "--userns=keep-id is only supported rootless");
	in.userns = SPEC_USERNS_NOMAP;
	refused(&in, BERR_UNSUPPORTED, "--userns=nomap");
}

static void test_userns_maps(void **state)
{
	static const struct spec_idmap map[] = { { 0, 100000, 65536 } };
	static const struct spec_idmap bad[] = { { 0, 100000, 0 } };
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.rootless = true;
	in.userns = SPEC_USERNS_NOMAP;
	in.subid_uids = in.subid_gids = 65536;
	root = build(&in);
	assert_map(at(root, "linux", "uidMappings", NULL), 0, 0, 1, 65536);
	json_decref(root);
	in.subid_gids = 0;
	refused(&in, BERR_INVALID, "--userns=nomap needs subordinate IDs");

	in.rootless = false;
	in.userns = SPEC_USERNS_MAP;
	in.uid_map = in.gid_map = map;
	in.n_uid_map = in.n_gid_map = 1;
	root = build(&in);
	assert_true(has_ns(root, "user"));
	assert_map(at(root, "linux", "gidMappings", NULL), 0, 0, 100000, 65536);
	assert_null(at(root, "linux", "resources", "devices", NULL));
	json_decref(root);
	in.gid_map = bad;
	refused(&in, BERR_INVALID, "--gidmap");
	in.n_gid_map = 0;
	refused(&in, BERR_INVALID, "--gidmap");

	/* Rootless sharing berth-pause's namespace: no user namespace in the spec. */
	in.userns = SPEC_USERNS_HOST;
	in.rootless = true;
	in.subid_gids = 65536;
	root = build(&in);
	assert_false(has_ns(root, "user"));
	assert_null(at(root, "linux", "uidMappings", NULL));
	assert_string_equal(json_string_value(at(root, "linux", "sysctl",
						 "net.ipv4.ping_group_range", NULL)), "0 65536");
	json_decref(root);
}

static void test_network(void **state)
{
	struct spec_input in = base();
	json_t *root, *m;
	(void)state;

	in.net = SPEC_NET_NONE;
	root = build(&in);
	assert_true(has_ns(root, "network"));
	json_decref(root);

	in.net = SPEC_NET_PRIVATE;
	in.net_ns_path = "/run/berth/netns/c1";
	root = build(&in);
	m = json_array_get(at(root, "linux", "namespaces", NULL), 1);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "network");
	assert_string_equal(json_string_value(json_object_get(m, "path")), "/run/berth/netns/c1");
	json_decref(root);

	in.net_ns_path = NULL;
	in.net = SPEC_NET_HOST;
	root = build(&in);
	assert_false(has_ns(root, "network"));
	assert_true(has_ns(root, "uts"));
	assert_null(at(root, "linux", "sysctl", "net.ipv4.ping_group_range", NULL));
	assert_string_equal(json_string_value(json_object_get(mount_at(root, "/sys"), "type")), "sysfs");
	json_decref(root);

	in.sysctls = SV("net.ipv4.ip_forward=1");
	refused(&in, BERR_INVALID, "network namespace is the host's");

	/* Rootless with the host's network: sysfs cannot be mounted, the host's is bound. */
	in.sysctls = (struct spec_strv){ 0 };
	in.rootless = true;
	in.subid_gids = 65536;
	root = build(&in);
	m = mount_at(root, "/sys");
	assert_string_equal(json_string_value(json_object_get(m, "type")), "bind");
	assert_true(has_str(json_object_get(m, "options"), "ro"));
	assert_string_equal(json_string_value(json_object_get(mount_at(root, "/sys/fs/cgroup"), "type")),
			    "bind");
	assert_true(has_str(at(root, "linux", "maskedPaths", NULL), "/sys/kernel"));
	json_decref(root);

	in.cgroup2 = false;
	in.rootless = false;
	in.net = SPEC_NET_PRIVATE;
	root = build(&in);
	assert_false(has_ns(root, "cgroup"));
	json_decref(root);
}

/* ---------------------------------------------------------------- resources */

static void test_resources(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.memory = "512m";
	in.cpus = "1.5";
	in.cpu_shares = "512";
	in.pids_limit = "100";
	in.cgroups_path = "/berth/c1";
	root = build(&in);
	assert_int_equal(int_at(at(root, "linux", "resources", "memory", "limit", NULL)), 536870912);
	assert_int_equal(int_at(at(root, "linux", "resources", "memory", "swap", NULL)), 1073741824);
	assert_int_equal(int_at(at(root, "linux", "resources", "cpu", "quota", NULL)), 150000);
	assert_int_equal(int_at(at(root, "linux", "resources", "cpu", "period", NULL)), 100000);
	assert_int_equal(int_at(at(root, "linux", "resources", "cpu", "shares", NULL)), 512);
	assert_int_equal(int_at(at(root, "linux", "resources", "pids", "limit", NULL)), 100);
	assert_string_equal(json_string_value(at(root, "linux", "cgroupsPath", NULL)), "/berth/c1");
	json_decref(root);

	in.memory_swap = "-1";
	in.cpus = "0.01";
	in.pids_limit = "-1";
	root = build(&in);
	assert_int_equal(int_at(at(root, "linux", "resources", "memory", "swap", NULL)), -1);
	assert_int_equal(int_at(at(root, "linux", "resources", "cpu", "quota", NULL)), 1000);
	assert_null(at(root, "linux", "resources", "pids", NULL));
	json_decref(root);

	in.memory_swap = "1g";
	in.memory = "1.5GB";
	refused(&in, BERR_INVALID, "--memory-swap must be larger than --memory");
	in.memory = "1m";
	in.memory_swap = NULL;
	refused(&in, BERR_INVALID, "minimum memory limit allowed is 6MB");
	in.memory = "-5m";
	refused(&in, BERR_INVALID, "invalid --memory -5m");
	in.memory = NULL;
	in.memory_swap = "1g";
	refused(&in, BERR_INVALID, "--memory-swap needs --memory");
	in.memory_swap = NULL;
	in.cpus = "0";
	refused(&in, BERR_INVALID, "invalid --cpus 0");
	in.cpus = "1e3";
	refused(&in, BERR_INVALID, "invalid --cpus 1e3");
	in.cpus = "-1";
	refused(&in, BERR_INVALID, "invalid --cpus -1");
	in.cpus = NULL;
	in.cpu_shares = "1";
	refused(&in, BERR_INVALID, "invalid --cpu-shares 1");
	in.cpu_shares = NULL;
	in.pids_limit = "-2";
	refused(&in, BERR_INVALID, "invalid --pids-limit -2");
}

static void test_unsupported_limits(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.cgroup_controllers = 0;
	in.cgroup_reason = "rootless on cgroup v1";
	root = build(&in); /* nothing asked: silence, and no default pids limit */
	assert_null(at(root, "linux", "resources", "pids", NULL));
	json_decref(root);

	in.memory = "64m";
	refused(&in, BERR_UNSUPPORTED, "--memory cannot be applied");
	refused(&in, BERR_UNSUPPORTED, "rootless on cgroup v1");
	in.memory = NULL;
	in.cpus = "2";
	refused(&in, BERR_UNSUPPORTED, "--cpus");
	in.cpus = NULL;
	in.cpu_shares = "100";
	refused(&in, BERR_UNSUPPORTED, "--cpu-shares");
	in.cpu_shares = NULL;
	in.pids_limit = "10";
	refused(&in, BERR_UNSUPPORTED, "--pids-limit");
	in.pids_limit = "-1"; /* no limit asked for */
	json_decref(build(&in));

	/* Only the pids controller delegated: memory refused, pids applied. */
	in.cgroup_controllers = SPEC_CG_PIDS;
	in.cgroup_reason = NULL;
	in.pids_limit = NULL;
	root = build(&in);
	assert_int_equal(int_at(at(root, "linux", "resources", "pids", "limit", NULL)), 2048);
	json_decref(root);
	in.memory = "64m";
	refused(&in, BERR_UNSUPPORTED, "memory cgroup controller");
}

static void test_ulimits(void **state)
{
	struct spec_input in = base();
	struct berr e = { 0 };
	json_t *root, *r;
	char *text;
	(void)state;

	in.ulimits = SV("nofile=1024:2048", "core=0", "nproc=500");
	root = build(&in);
	r = rlimit(root, "RLIMIT_NOFILE");
	assert_int_equal(int_at(json_object_get(r, "soft")), 1024);
	assert_int_equal(int_at(json_object_get(r, "hard")), 2048);
	assert_int_equal(int_at(json_object_get(rlimit(root, "RLIMIT_CORE"), "hard")), 0);
	assert_int_equal(int_at(json_object_get(rlimit(root, "RLIMIT_NPROC"), "soft")), 500);
	assert_int_equal(json_array_size(at(root, "process", "rlimits", NULL)), 3);
	json_decref(root);

	in.ulimits = SV("nofile=2048:1024");
	refused(&in, BERR_INVALID, "invalid --ulimit nofile=2048:1024: soft limit is greater than hard limit");
	in.ulimits = SV("files=1");
	refused(&in, BERR_INVALID, "unknown limit files");
	in.ulimits = SV("nofile=lots");
	refused(&in, BERR_INVALID, "invalid --ulimit nofile=lots");
	in.ulimits = SV("nofile");
	refused(&in, BERR_INVALID, "name=soft[:hard]");
	/* Above the caller's own hard limit: the runtime could not set it. */
	in.ulimits = SV("nofile=8192");
	refused(&in, BERR_INVALID, "above this user's own (4096)");
	in.ulimits = SV("nofile=-1");
	refused(&in, BERR_INVALID, "above this user's own");

	/* With CAP_SYS_RESOURCE: allowed, and unlimited is 2^64-1 in the text. */
	in.can_raise_rlimits = true;
	in.ulimits = SV("nofile=-1", "stack=-1:-1");
	assert_int_equal(spec_build(&in, &text, &e), 0);
	assert_non_null(strstr(text, "\"hard\": 18446744073709551615"));
	assert_null(strstr(text, "berth-rlimit"));
	free(text);
	in.ulimits = (struct spec_strv){ 0 };
	root = build(&in);
	assert_int_equal(int_at(json_object_get(rlimit(root, "RLIMIT_NOFILE"), "hard")), 1048576);
	json_decref(root);

	in.nofile_hard = 0;
	refused(&in, BERR_INTERNAL, "RLIMIT_NOFILE");
}

/* ---------------------------------------------------------------- security-opt, sysctls */

static void test_mask_unmask(void **state)
{
	struct spec_input in = base();
	json_t *root, *masked;
	(void)state;

	in.unmask = SV("/proc/kcore:/sys/firmware", "/proc/acpi");
	in.mask = SV("/opt/a:/opt/b/", "/srv");
	root = build(&in);
	masked = at(root, "linux", "maskedPaths", NULL);
	assert_false(has_str(masked, "/proc/kcore") || has_str(masked, "/sys/firmware") ||
		     has_str(masked, "/proc/acpi"));
	assert_true(has_str(masked, "/proc/keys"));
	assert_true(has_str(masked, "/opt/a") && has_str(masked, "/opt/b") && has_str(masked, "/srv"));
	json_decref(root);

	in.mask = (struct spec_strv){ 0 };
	in.unmask = SV("/proc/*");
	root = build(&in);
	masked = at(root, "linux", "maskedPaths", NULL);
	assert_false(has_str(masked, "/proc/kcore"));
	assert_true(has_str(masked, "/sys/firmware"));
	assert_false(has_str(at(root, "linux", "readonlyPaths", NULL), "/proc/sys"));
	assert_true(has_str(json_object_get(mount_at(root, "/sys/fs/cgroup"), "options"), "ro"));
	json_decref(root);

	in.unmask = SV("ALL");
	root = build(&in);
	assert_int_equal(json_array_size(at(root, "linux", "maskedPaths", NULL)), 0);
	assert_int_equal(json_array_size(at(root, "linux", "readonlyPaths", NULL)), 0);
	assert_true(has_str(json_object_get(mount_at(root, "/sys/fs/cgroup"), "options"), "rw"));
	assert_non_null(at(root, "linux", "seccomp", NULL)); /* unmask touches paths only */
	json_decref(root);

	in.unmask = SV("/sys/fs/cgroup");
	root = build(&in);
	assert_true(has_str(json_object_get(mount_at(root, "/sys/fs/cgroup"), "options"), "rw"));
	json_decref(root);

	in.unmask = (struct spec_strv){ 0 };
	in.host_masked = SV("/sys/devices/system/cpu/cpu0/thermal_throttle");
	root = build(&in);
	assert_true(has_str(at(root, "linux", "maskedPaths", NULL),
			    "/sys/devices/system/cpu/cpu0/thermal_throttle"));
	json_decref(root);

	in.mask = SV("relative/path");
	refused(&in, BERR_INVALID, "mask=");
}

static void test_sysctl(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.sysctls = SV("net.ipv4.ping_group_range=0 1000", "kernel.shmmax=4096",
			"fs.mqueue.msg_max=20");
	root = build(&in);
	assert_string_equal(json_string_value(at(root, "linux", "sysctl",
						 "net.ipv4.ping_group_range", NULL)), "0 1000");
	assert_string_equal(json_string_value(at(root, "linux", "sysctl", "kernel.shmmax", NULL)),
			    "4096");
	json_decref(root);

	in.sysctls = SV("kernel.hostname=x");
	refused(&in, BERR_INVALID, "sysctl 'kernel.hostname' is not allowed");
	in.sysctls = SV("vm.swappiness=1");
	refused(&in, BERR_INVALID, "not allowed");
	in.sysctls = SV("net.ipv4.ip_forward = 1");
	refused(&in, BERR_INVALID, "extra spaces");
	in.sysctls = SV("net.ipv4.ip_forward");
	refused(&in, BERR_INVALID, "key=value");
	in.sysctls = SV("net.ipv4/../../x=1");
	refused(&in, BERR_INVALID, "bad name");
}

static void test_annotations_signal(void **state)
{
	struct spec_input in = base();
	json_t *root;
	(void)state;

	in.annotations = SV("com.example.a=1", "b=x=y");
	in.image_stop_signal = "9";
	root = build(&in);
	assert_string_equal(json_string_value(at(root, "annotations", "com.example.a", NULL)), "1");
	assert_string_equal(json_string_value(at(root, "annotations", "b", NULL)), "x=y");
	assert_string_equal(json_string_value(at(root, "annotations",
						 "org.opencontainers.image.stopSignal", NULL)), "9");
	json_decref(root);

	in.stop_signal = "term";
	root = build(&in);
	assert_string_equal(json_string_value(at(root, "annotations",
						 "org.opencontainers.image.stopSignal", NULL)), "SIGTERM");
	json_decref(root);

	in.stop_signal = "SIGFOO";
	refused(&in, BERR_INVALID, "invalid --stop-signal SIGFOO");
	in.stop_signal = "65";
	refused(&in, BERR_INVALID, "valid signals are 1 through 64");
	in.stop_signal = NULL;
	in.annotations = SV("novalue");
	refused(&in, BERR_INVALID, "invalid --annotation novalue");
	in.annotations = (struct spec_strv){ 0 };
	in.labels = SV("=x");
	refused(&in, BERR_INVALID, "--label");
}

static void test_missing_inputs(void **state)
{
	struct spec_input in = base();
	(void)state;

	in.rootfs = NULL;
	refused(&in, BERR_INTERNAL, "root filesystem");
	in.rootfs = "relative";
	refused(&in, BERR_INTERNAL, "root filesystem");
	in = base();
	in.hosts_path = "hosts";
	refused(&in, BERR_INTERNAL, "/etc/hosts");
	in = base();
	in.n_groups = 1;
	refused(&in, BERR_INVALID, "--group-add");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_mounts),
		cmocka_unit_test(test_privileged),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_caps_nonroot),
		cmocka_unit_test(test_caps_label),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_user_workdir_hostname),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_keep_id),
		cmocka_unit_test(test_userns_maps),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_unsupported_limits),
		cmocka_unit_test(test_ulimits),
		cmocka_unit_test(test_mask_unmask),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_annotations_signal),
		cmocka_unit_test(test_missing_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
