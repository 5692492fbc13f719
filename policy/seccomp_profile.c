/* Container seccomp profiles to OCI linux.seccomp: berth's own format and the containers/
 * Docker seccomp.json format. Formats and rules: seccomp_profile.h. No system calls here. */
#include "policy/seccomp_profile.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "common/cleanup.h"
#include "sandbox/embed.h"

/* The default profile is the reviewed file itself, compiled in (Makefile: this object depends
 * on it), so a container's filter never depends on a file found at run time. */
SANDBOX_EMBED(sprof_default_text, "policy/container.seccomp");

/* ------------------------------------------------------------------ tables */

struct sym {
	const char *name;
	uint64_t value;
};

#define SYM(x) { #x, (uint64_t)(x) }

/* Constants a condition may name. Values come from this build's headers, so TIOCSTI is the
 * host architecture's (the profile is converted for the host's architecture only). */
static const struct sym value_syms[] = {
	SYM(CLONE_NEWNS), SYM(CLONE_NEWCGROUP), SYM(CLONE_NEWUTS), SYM(CLONE_NEWIPC),
	SYM(CLONE_NEWUSER), SYM(CLONE_NEWPID), SYM(CLONE_NEWNET), SYM(CLONE_NEWTIME),
	SYM(AF_UNIX), SYM(AF_INET), SYM(AF_INET6), SYM(AF_NETLINK), SYM(AF_PACKET), SYM(AF_VSOCK),
	SYM(TIOCSTI), SYM(TIOCLINUX),
	SYM(PER_LINUX), SYM(PER_LINUX32), SYM(UNAME26),
};

static const struct sym errno_syms[] = {
	SYM(EPERM), SYM(ENOENT), SYM(EACCES), SYM(EINVAL), SYM(ENOSYS), SYM(EOPNOTSUPP),
	SYM(EAFNOSUPPORT), SYM(EPROTONOSUPPORT),
};

/* Capability names by number (linux/capability.h). */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* Go architecture names and the seccomp architecture of their native ABI (Podman's map). */
struct goarch {
	const char *go;
	const char *scmp;
};

static const struct goarch goarches[] = {
	{ "386", "SCMP_ARCH_X86" },           { "amd64", "SCMP_ARCH_X86_64" },
	{ "amd64p32", "SCMP_ARCH_X32" },      { "arm", "SCMP_ARCH_ARM" },
	{ "arm64", "SCMP_ARCH_AARCH64" },     { "mips", "SCMP_ARCH_MIPS" },
	{ "mipsle", "SCMP_ARCH_MIPSEL" },     { "mips64", "SCMP_ARCH_MIPS64" },
	{ "mips64le", "SCMP_ARCH_MIPSEL64" }, { "mips64p32", "SCMP_ARCH_MIPS64N32" },
	{ "mips64p32le", "SCMP_ARCH_MIPSEL64N32" }, { "ppc", "SCMP_ARCH_PPC" },
	{ "ppc64", "SCMP_ARCH_PPC64" },       { "ppc64le", "SCMP_ARCH_PPC64LE" },
	{ "s390", "SCMP_ARCH_S390" },         { "s390x", "SCMP_ARCH_S390X" },
	{ "riscv64", "SCMP_ARCH_RISCV64" },   { "loong64", "SCMP_ARCH_LOONGARCH64" },
};

/* The seccomp architectures the OCI runtime spec names. */
static const char *const scmp_arches[] = {
	"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
};

static const char *const scmp_actions[] = {
	"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
};

static const char *const scmp_flags[] = {
	"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

enum cop { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_MEQ, C_MNE };

/* Operator spellings of berth's format and their OCI names (C_MNE has none: it is expanded). */
static const struct {
	const char *text;
	const char *oci;
} cops[] = {
	[C_EQ] = { "==", "SCMP_CMP_EQ" },  [C_NE] = { "!=", "SCMP_CMP_NE" },
	[C_LT] = { "<", "SCMP_CMP_LT" },   [C_LE] = { "<=", "SCMP_CMP_LE" },
	[C_GT] = { ">", "SCMP_CMP_GT" },   [C_GE] = { ">=", "SCMP_CMP_GE" },
	[C_MEQ] = { NULL, "SCMP_CMP_MASKED_EQ" }, [C_MNE] = { NULL, NULL },
};

static int str_index(const char *const *tab, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

static int sym_lookup(const struct sym *tab, size_t n, const char *s, uint64_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].name, s) == 0) {
			*out = tab[i].value;
			return 0;
		}
	return -1;
}

static int goarch_index(const char *go)
{
	for (size_t i = 0; i < ARRAY_SIZE(goarches); i++)
		if (strcmp(goarches[i].go, go) == 0)
			return (int)i;
	return -1;
}

const char *sprof_build_arch(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
	return "amd64p32";
#elif defined(__x86_64__)
	return "amd64";
#elif defined(__i386__)
	return "386";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return NULL;
#endif
}

static const char *target_arch(const struct sprof_target *t)
{
	return t->arch != NULL ? t->arch : sprof_build_arch();
}

/* ------------------------------------------------------------------ the parsed profile */

struct cond {
	unsigned arg;
	enum cop op;
	uint64_t mask;   /* C_MEQ / C_MNE; ~0 for the others */
	uint64_t value;
};

struct rule {
	char *names;          /* owned: n_names NUL-terminated names back to back */
	size_t n_names;
	int errnum;           /* 0: allow */
	unsigned ncond;
	struct cond cond[6];
	uint64_t with, without;   /* capability bits; 0 = no such clause */
	uint64_t on;              /* goarches bits; 0 = every architecture */
	unsigned line;
};

struct arch_line {
	int goarch;               /* index in goarches */
	uint32_t scmp;            /* scmp_arches bits, listed in table order... */
	char order[ARRAY_SIZE(scmp_arches)];   /* ...and in the order written */
	size_t n;
};

struct sprof {
	bool have_default;
	int default_errno;        /* 0: allow */
	struct arch_line arches[ARRAY_SIZE(goarches)];
	size_t n_arches;
	struct rule *rules;       /* owned */
	size_t n_rules;
};

void sprof_free(struct sprof *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->rules[i].names);
	free(p->rules);
	free(p);
}

static void sprof_freep(struct sprof **p)
{
	sprof_free(*p);
}

#define cleanup_sprof __attribute__((cleanup(sprof_freep)))

/* ------------------------------------------------------------------ berth format: lines */

#define MAX_WORDS (SPROF_LINE_MAX / 2 + 1)

struct pctx {
	const char *name;
	unsigned line;
	struct berr *e;
};

__attribute__((format(printf, 2, 3)))
static int perr(const struct pctx *c, const char *fmt, ...)
{
	char msg[BERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(c->e, BERR_INVALID, 0, "%s:%u: %s", c->name, c->line, msg);
}

static bool is_clause_word(const char *w)
{
	return strcmp(w, "if") == 0 || strcmp(w, "with") == 0 || strcmp(w, "without") == 0 ||
	       strcmp(w, "on") == 0;
}

static bool valid_syscall_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SPROF_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* A number in C syntax (decimal, 0x hex, 0 octal), at most INT64_MAX (jansson's integers). */
static int parse_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
		p++;
	}
	if (*p == '\0')
		return -1;
	for (; *p != '\0'; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return -1;
		if (d >= base || v > ((uint64_t)INT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* Calls fn for each term of a TERM[|TERM]... word (what: the list's name in messages); fn ORs
 * its term into *acc. */
typedef int (*term_fn)(const struct pctx *c, const char *term, uint64_t *acc);

static int each_term(const struct pctx *c, const char *w, const char *what, term_fn fn,
		     uint64_t *acc)
{
	char buf[SPROF_LINE_MAX];
	char *save = NULL;
	size_t len = strlen(w);

	*acc = 0;
	if (len == 0 || len >= sizeof(buf) || w[0] == '|' || w[len - 1] == '|' ||
	    strstr(w, "||") != NULL)
		return perr(c, "bad %s '%s'", what, w);
	memcpy(buf, w, len + 1);
	for (char *t = strtok_r(buf, "|", &save); t != NULL; t = strtok_r(NULL, "|", &save))
		if (fn(c, t, acc) < 0)
			return -1;
	return 0;
}

static int value_term(const struct pctx *c, const char *t, uint64_t *acc)
{
	uint64_t term;

	if (parse_number(t, &term) < 0 &&
	    sym_lookup(value_syms, ARRAY_SIZE(value_syms), t, &term) < 0)
		return perr(c, "unknown constant or bad number '%s'", t);
	*acc |= term;
	return 0;
}

static int cap_term(const struct pctx *c, const char *t, uint64_t *acc)
{
	int i = str_index(cap_names, ARRAY_SIZE(cap_names), t);

	if (i < 0)
		return perr(c, "unknown capability '%s'", t);
	*acc |= UINT64_C(1) << i;
	return 0;
}

static int arch_term(const struct pctx *c, const char *t, uint64_t *acc)
{
	int i = goarch_index(t);

	if (i < 0)
		return perr(c, "unknown architecture '%s' (Go names: amd64, arm64, ...)", t);
	*acc |= UINT64_C(1) << i;
	return 0;
}

/* VALUE := TERM[|TERM]... , at most INT64_MAX (the OCI JSON holds signed 64-bit integers) */
static int parse_value(const struct pctx *c, const char *w, uint64_t *out)
{
	if (each_term(c, w, "value", value_term, out) < 0)
		return -1;
	if (*out > (uint64_t)INT64_MAX)
		return perr(c, "value '%s' is too large", w);
	return 0;
}

static int parse_errno(const struct pctx *c, const char *w, int *out)
{
	uint64_t v;

	if (sym_lookup(errno_syms, ARRAY_SIZE(errno_syms), w, &v) < 0 &&
	    (parse_number(w, &v) < 0 || v == 0 || v > 4095))
		return perr(c, "unknown errno '%s' (a name such as EPERM, or 1..4095)", w);
	*out = (int)v;
	return 0;
}

/* argN OP VALUE | argN & MASK (==|!=) VALUE, from w[*i]; advances *i past it. */
static int parse_cond(const struct pctx *c, char **w, size_t n, size_t *i, struct rule *r)
{
	struct cond cd = { .mask = UINT64_MAX };
	const char *a = w[*i];
	const char *op;
	size_t k = *i + 1;

	if (strncmp(a, "arg", 3) != 0 || a[3] < '0' || a[3] > '5' || a[4] != '\0')
		return perr(c, "expected arg0..arg5, found '%s'", a);
	cd.arg = (unsigned)(a[3] - '0');
	for (unsigned j = 0; j < r->ncond; j++)
		if (r->cond[j].arg == cd.arg)
			return perr(c, "two conditions on %s in one line (seccomp allows one)", a);
	if (k < n && strcmp(w[k], "&") == 0) {
		if (k + 3 >= n)
			return perr(c, "incomplete condition after '%s &'", a);
		if (parse_value(c, w[k + 1], &cd.mask) < 0)
			return -1;
		op = w[k + 2];
		if (strcmp(op, "==") == 0)
			cd.op = C_MEQ;
		else if (strcmp(op, "!=") == 0)
			cd.op = C_MNE;
		else
			return perr(c, "a masked compare takes == or !=, not '%s'", op);
		if (cd.mask == 0)
			return perr(c, "mask of %s is 0", a);
		k += 3;
	} else {
		if (k + 1 >= n)
			return perr(c, "incomplete condition on '%s'", a);
		int found = -1;
		op = w[k];
		for (int o = C_EQ; o <= C_GE; o++)
			if (strcmp(cops[o].text, op) == 0)
				found = o;
		if (found < 0)
			return perr(c, "unknown operator '%s'", op);
		cd.op = (enum cop)found;
		k += 1;
	}
	if (k >= n)
		return perr(c, "missing value in condition on %s", a);
	if (parse_value(c, w[k], &cd.value) < 0)
		return -1;
	if ((cd.value & ~cd.mask) != 0)
		return perr(c, "value %s has bits outside the mask", w[k]);
	r->cond[r->ncond++] = cd;
	*i = k + 1;
	return 0;
}

static int add_name(const struct pctx *c, struct rule *r, const char *nm, size_t *used,
		    size_t cap)
{
	size_t len = strlen(nm);
	const char *p = r->names;

	if (!valid_syscall_name(nm))
		return perr(c, "bad syscall name '%s'", nm);
	for (size_t j = 0; j < r->n_names; j++, p += strlen(p) + 1)
		if (strcmp(p, nm) == 0)
			return perr(c, "syscall %s listed twice in one line", nm);
	if (*used + len + 1 > cap)
		return perr(c, "line too long");
	memcpy(r->names + *used, nm, len + 1);
	*used += len + 1;
	r->n_names++;
	return 0;
}

/* ACTION NAME... [CLAUSE]... ; r is zeroed, its names buffer is allocated here. */
static int parse_rule(const struct pctx *c, char **w, size_t n, struct rule *r)
{
	size_t i = 1, used = 0;
	bool seen_if = false, seen_with = false, seen_without = false, seen_on = false;

	r->line = c->line;
	if (strcmp(w[0], "errno") == 0) {
		if (n < 2 || parse_errno(c, w[1], &r->errnum) < 0)
			return n < 2 ? perr(c, "errno needs a value") : -1;
		i = 2;
	}
	r->names = malloc(SPROF_LINE_MAX);
	if (r->names == NULL)
		return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (; i < n && !is_clause_word(w[i]); i++)
		if (add_name(c, r, w[i], &used, SPROF_LINE_MAX) < 0)
			return -1;
	if (r->n_names == 0)
		return perr(c, "no syscall named");
	while (i < n) {
		const char *kw = w[i++];
		bool *seen = strcmp(kw, "if") == 0 ? &seen_if : strcmp(kw, "with") == 0 ? &seen_with :
			     strcmp(kw, "without") == 0 ? &seen_without : &seen_on;
		if (*seen)
			return perr(c, "'%s' given twice", kw);
		*seen = true;
		if (i >= n)
			return perr(c, "nothing after '%s'", kw);
		if (seen == &seen_if) {
			for (;;) {
				if (parse_cond(c, w, n, &i, r) < 0)
					return -1;
				if (i >= n || strcmp(w[i], "&&") != 0)
					break;
				i++;
				if (i >= n)
					return perr(c, "nothing after '&&'");
			}
			if (i < n && !is_clause_word(w[i]))
				return perr(c, "unexpected '%s' after a condition", w[i]);
			continue;
		}
		if (seen == &seen_with ? each_term(c, w[i], "capability list", cap_term, &r->with) < 0 :
		    seen == &seen_without ?
			      each_term(c, w[i], "capability list", cap_term, &r->without) < 0 :
			      each_term(c, w[i], "architecture list", arch_term, &r->on) < 0)
			return -1;
		i++;
		if (i < n && !is_clause_word(w[i]))
			return perr(c, "unexpected '%s'", w[i]);
	}
	unsigned n_mne = 0;
	for (unsigned j = 0; j < r->ncond; j++)
		n_mne += r->cond[j].op == C_MNE;
	if (n_mne > 1)
		return perr(c, "at most one masked != per line");
	if ((r->with & r->without) != 0)
		return perr(c, "a capability is both in 'with' and 'without'");
	return 0;
}

static int parse_default(const struct pctx *c, struct sprof *p, char **w, size_t n)
{
	if (p->have_default)
		return perr(c, "second 'default' line");
	p->have_default = true;
	if (n == 2 && strcmp(w[1], "allow") == 0) {
		p->default_errno = 0;
		return 0;
	}
	if (n == 3 && strcmp(w[1], "errno") == 0)
		return parse_errno(c, w[2], &p->default_errno);
	return perr(c, "expected 'default allow' or 'default errno ERRNO'");
}

static int parse_arch(const struct pctx *c, struct sprof *p, char **w, size_t n)
{
	struct arch_line *a = &p->arches[p->n_arches];
	int g;

	if (n < 3)
		return perr(c, "expected 'arch GOARCH SCMP_ARCH_...'");
	g = goarch_index(w[1]);
	if (g < 0)
		return perr(c, "unknown architecture '%s' (Go names: amd64, arm64, ...)", w[1]);
	for (size_t i = 0; i < p->n_arches; i++)
		if (p->arches[i].goarch == g)
			return perr(c, "second 'arch' line for %s", w[1]);
	memset(a, 0, sizeof(*a));
	a->goarch = g;
	for (size_t i = 2; i < n; i++) {
		int s = str_index(scmp_arches, ARRAY_SIZE(scmp_arches), w[i]);
		if (s < 0)
			return perr(c, "unknown seccomp architecture '%s'", w[i]);
		if (a->scmp & (UINT32_C(1) << s))
			return perr(c, "%s listed twice", w[i]);
		a->scmp |= UINT32_C(1) << s;
		a->order[a->n++] = (char)s;
	}
	if (strcmp(scmp_arches[(int)a->order[0]], goarches[g].scmp) != 0)
		return perr(c, "the first architecture for %s must be its own, %s", w[1],
			    goarches[g].scmp);
	p->n_arches++;
	return 0;
}

/* Splits one line (comment removed) into words; returns the count or -1. */
static int split_words(const struct pctx *c, char *line, char **w)
{
	size_t n = 0;
	char *hash = strchr(line, '#');
	char *save = NULL;

	if (hash != NULL)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t != NULL; t = strtok_r(NULL, " \t\r", &save)) {
		for (const char *q = t; *q != '\0'; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
				return perr(c, "control or non-ASCII character");
		if (n >= MAX_WORDS)
			return perr(c, "too many words");
		w[n++] = t;
	}
	return (int)n;
}

static int parse_line(const struct pctx *c, struct sprof *p, char *line)
{
	char *w[MAX_WORDS];
	int n = split_words(c, line, w);
	struct rule *r;

	if (n <= 0)
		return n;
	if (strcmp(w[0], "default") == 0)
		return parse_default(c, p, w, (size_t)n);
	if (strcmp(w[0], "arch") == 0)
		return parse_arch(c, p, w, (size_t)n);
	if (strcmp(w[0], "allow") != 0 && strcmp(w[0], "errno") != 0)
		return perr(c, "unknown word '%s' (expected default, arch, allow or errno)", w[0]);
	if (p->n_rules >= SPROF_MAX_RULES)
		return perr(c, "more than %d rules", SPROF_MAX_RULES);
	r = &p->rules[p->n_rules];
	memset(r, 0, sizeof(*r));
	p->n_rules++;   /* counted now, so sprof_free frees its names even on error */
	return parse_rule(c, w, (size_t)n, r);
}

/* ------------------------------------------------------------------ overlap check */

struct name_ref {
	const char *name;
	size_t rule;
};

static int cmp_name_ref(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int d = strcmp(x->name, y->name);
	if (d != 0)
		return d;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* with W (any of W present) excludes without N (none of N present) when W is inside N. */
static bool gates_exclusive(const struct rule *a, const struct rule *b)
{
	if (a->with != 0 && (a->with & ~b->without) == 0)
		return true;
	if (b->with != 0 && (b->with & ~a->without) == 0)
		return true;
	return a->on != 0 && b->on != 0 && (a->on & b->on) == 0;
}

static bool conds_disjoint(const struct cond *x, const struct cond *y)
{
	bool xeq = x->op == C_EQ || x->op == C_MEQ, yeq = y->op == C_EQ || y->op == C_MEQ;
	bool xne = x->op == C_NE || x->op == C_MNE, yne = y->op == C_NE || y->op == C_MNE;

	if (xeq && yeq)
		return ((x->value ^ y->value) & x->mask & y->mask) != 0;
	if (xne && yeq) {
		const struct cond *t = x;
		x = y;
		y = t;
		xeq = true;
		yne = true;
	}
	/* (arg & mx) == vx and (arg & my) != vy: never both when my is inside mx and vx gives
	 * vy under my. */
	if (xeq && yne)
		return (y->mask & ~x->mask) == 0 && (x->value & y->mask) == y->value;
	return false;
}

static bool rules_disjoint(const struct rule *a, const struct rule *b)
{
	for (unsigned i = 0; i < a->ncond; i++)
		for (unsigned j = 0; j < b->ncond; j++)
			if (a->cond[i].arg == b->cond[j].arg && conds_disjoint(&a->cond[i], &b->cond[j]))
				return true;
	return false;
}

/* Calls the i386 ABI also reaches through the socketcall() and ipc() multiplexers. libseccomp
 * adds a rule for one of them to the multiplexer too, without its argument conditions (they
 * are in memory there): two actions for one of these calls then conflict (EEXIST). */
static const char *const multiplexed[] = {
	"socket", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
	"socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt",
	"sendmsg", "recvmsg", "recvmmsg", "sendmmsg", "semop", "semget", "semctl", "semtimedop",
	"msgsnd", "msgrcv", "msgget", "msgctl", "shmat", "shmdt", "shmget", "shmctl",
};

static int check_pair(const char *file, const char *name, const struct rule *a,
		      const struct rule *b, struct berr *e)
{
	if (gates_exclusive(a, b))
		return 0;
	if (a->errnum != b->errnum &&
	    str_index(multiplexed, ARRAY_SIZE(multiplexed), name) >= 0)
		return berr_set(e, BERR_INVALID, 0,
				"%s:%u: %s cannot have rules with different actions (line %u): "
				"on i386 it is also reached through socketcall()/ipc(), where "
				"libseccomp cannot check arguments", file, b->line, name, a->line);
	if (a->errnum == b->errnum) {
		if (a->ncond > 0 && b->ncond > 0)
			return 0;   /* ORed */
		if (a->ncond == 0 && b->ncond == 0)
			return berr_set(e, BERR_INVALID, 0, "%s:%u: duplicate rule for %s (line %u)",
					file, b->line, name, a->line);
		return berr_set(e, BERR_INVALID, 0,
				"%s:%u: rule for %s overlaps line %u, one with conditions and one "
				"without", file, b->line, name, a->line);
	}
	if (rules_disjoint(a, b))
		return 0;
	return berr_set(e, BERR_INVALID, 0,
			"%s:%u: rule for %s can match the same calls as line %u with another "
			"action (make the conditions exclude each other, or gate them with / "
			"without the same capability)", file, b->line, name, a->line);
}

static int check_overlaps(const char *file, const struct sprof *p, struct berr *e)
{
	size_t total = 0, k = 0;
	cleanup_free struct name_ref *refs = NULL;

	for (size_t i = 0; i < p->n_rules; i++)
		total += p->rules[i].n_names;
	refs = calloc(total ? total : 1, sizeof(*refs));
	if (refs == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_rules; i++) {
		const char *nm = p->rules[i].names;
		for (size_t j = 0; j < p->rules[i].n_names; j++, nm += strlen(nm) + 1)
			refs[k++] = (struct name_ref){ nm, i };
	}
	qsort(refs, total, sizeof(*refs), cmp_name_ref);
	for (size_t i = 0; i < total; i++)
		for (size_t j = i + 1; j < total && strcmp(refs[i].name, refs[j].name) == 0; j++)
			if (check_pair(file, refs[i].name, &p->rules[refs[i].rule],
				       &p->rules[refs[j].rule], e) < 0)
				return -1;
	return 0;
}

int sprof_parse(const char *name, const char *text, struct sprof **out, struct berr *e)
{
	cleanup_sprof struct sprof *p = calloc(1, sizeof(*p));
	struct pctx c = { .name = name, .line = 0, .e = e };
	const char *s = text;

	*out = NULL;
	if (p == NULL || (p->rules = calloc(SPROF_MAX_RULES, sizeof(*p->rules))) == NULL)
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	while (*s != '\0') {
		char line[SPROF_LINE_MAX + 1];
		const char *nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);

		c.line++;
		if (len > SPROF_LINE_MAX)
			return perr(&c, "line longer than %d bytes", SPROF_LINE_MAX);
		memcpy(line, s, len);
		line[len] = '\0';
		if (parse_line(&c, p, line) < 0)
			return -1;
		s += len + (nl != NULL);
	}
	c.line++;
	if (!p->have_default)
		return perr(&c, "no 'default' line");
	if (p->n_arches == 0)
		return perr(&c, "no 'arch' line");
	if (check_overlaps(name, p, e) < 0)
		return -1;
	*out = TAKE_PTR(p);
	return 0;
}

/* ------------------------------------------------------------------ OCI output */

/* json_object_set_new / json_array_append_new that also fail on a NULL value. */
static int oset(json_t *o, const char *k, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static int apush(json_t *a, json_t *v)
{
	return v == NULL ? -1 : json_array_append_new(a, v);
}

static json_t *oci_arg(unsigned index, const char *op, uint64_t value, uint64_t value_two)
{
	json_t *o = json_object();

	if (o == NULL || oset(o, "index", json_integer(index)) < 0 ||
	    oset(o, "value", json_integer((json_int_t)value)) < 0 ||
	    oset(o, "valueTwo", json_integer((json_int_t)value_two)) < 0 ||
	    oset(o, "op", json_string(op)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* One syscalls[] entry for rule r; for a C_MNE condition, the variant for mask bit `bit`. */
static json_t *oci_rule(const struct rule *r, uint64_t bit)
{
	json_t *o = json_object(), *names = json_array(), *args = json_array();
	const char *nm = r->names;

	if (o == NULL || names == NULL || args == NULL)
		goto fail;
	for (size_t i = 0; i < r->n_names; i++, nm += strlen(nm) + 1)
		if (apush(names, json_string(nm)) < 0)
			goto fail;
	for (unsigned i = 0; i < r->ncond; i++) {
		const struct cond *cd = &r->cond[i];
		json_t *a;
		/* OCI's MASKED_EQ: value is the mask, valueTwo the value the masked arg must equal */
		if (cd->op == C_MNE)
			a = oci_arg(cd->arg, "SCMP_CMP_MASKED_EQ", bit, ~cd->value & bit);
		else if (cd->op == C_MEQ)
			a = oci_arg(cd->arg, "SCMP_CMP_MASKED_EQ", cd->mask, cd->value);
		else
			a = oci_arg(cd->arg, cops[cd->op].oci, cd->value, 0);
		if (apush(args, a) < 0)
			goto fail;
	}
	if (json_object_set_new(o, "names", names) < 0) {
		names = NULL;
		goto fail;
	}
	names = NULL;
	if (oset(o, "action", json_string(r->errnum ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW")) < 0 ||
	    (r->errnum != 0 && oset(o, "errnoRet", json_integer(r->errnum)) < 0))
		goto fail;
	if (r->ncond > 0) {
		int rc = json_object_set_new(o, "args", args);
		args = NULL;
		if (rc < 0)
			goto fail;
	}
	json_decref(args);
	return o;
fail:
	json_decref(names);
	json_decref(args);
	json_decref(o);
	return NULL;
}

static uint64_t caps_bits(const struct sprof_target *t)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < t->n_caps; i++) {
		int k = str_index(cap_names, ARRAY_SIZE(cap_names), t->caps[i]);
		if (k >= 0)
			bits |= UINT64_C(1) << k;
	}
	return bits;
}

static bool rule_applies(const struct rule *r, uint64_t caps, int g)
{
	if (r->with != 0 && (r->with & caps) == 0)
		return false;
	if ((r->without & caps) != 0)
		return false;
	return r->on == 0 || (r->on & (UINT64_C(1) << g)) != 0;
}

static int emit_rule(json_t *sys, const struct rule *r)
{
	const struct cond *mne = NULL;

	for (unsigned i = 0; i < r->ncond; i++)
		if (r->cond[i].op == C_MNE)
			mne = &r->cond[i];
	if (mne == NULL)
		return apush(sys, oci_rule(r, 0));
	for (unsigned b = 0; b < 64; b++) {
		uint64_t bit = UINT64_C(1) << b;
		if ((mne->mask & bit) != 0 && apush(sys, oci_rule(r, bit)) < 0)
			return -1;
	}
	return 0;
}

int sprof_to_oci(const struct sprof *p, const struct sprof_target *t, json_t **out,
		 struct berr *e)
{
	const char *arch = target_arch(t);
	int g = arch != NULL ? goarch_index(arch) : -1;
	const struct arch_line *al = NULL;
	uint64_t caps = caps_bits(t);
	json_t *o, *arches, *sys;

	*out = NULL;
	if (g < 0)
		return berr_set(e, BERR_INVALID, 0, "unknown host architecture '%s'",
				arch != NULL ? arch : "(none)");
	for (size_t i = 0; i < p->n_arches; i++)
		if (p->arches[i].goarch == g)
			al = &p->arches[i];
	if (al == NULL)
		return berr_set(e, BERR_UNSUPPORTED, 0,
				"the seccomp profile has no 'arch' line for %s", arch);
	o = json_object();
	arches = json_array();
	sys = json_array();
	if (o == NULL || arches == NULL || sys == NULL)
		goto fail;
	for (size_t i = 0; i < al->n; i++)
		if (apush(arches, json_string(scmp_arches[(int)al->order[i]])) < 0)
			goto fail;
	/* A rule whose action is the default one is left out: the answer is the same, and
	 * libseccomp refuses such a rule (EACCES) in a runtime that does not skip it itself. */
	for (size_t i = 0; i < p->n_rules; i++)
		if (rule_applies(&p->rules[i], caps, g) && p->rules[i].errnum != p->default_errno &&
		    emit_rule(sys, &p->rules[i]) < 0)
			goto fail;
	if (oset(o, "defaultAction",
		 json_string(p->default_errno ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW")) < 0 ||
	    (p->default_errno != 0 &&
	     oset(o, "defaultErrnoRet", json_integer(p->default_errno)) < 0))
		goto fail;
	if (oset(o, "architectures", TAKE_PTR(arches)) < 0 || oset(o, "syscalls", TAKE_PTR(sys)) < 0)
		goto fail;
	*out = o;
	return 0;
fail:
	json_decref(arches);
	json_decref(sys);
	json_decref(o);
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory building the seccomp profile");
}

int sprof_default_oci(const struct sprof_target *t, json_t **out, struct berr *e)
{
	cleanup_sprof struct sprof *p = NULL;

	*out = NULL;
	if (sprof_parse(SPROF_DEFAULT_NAME, sprof_default_text, &p, e) < 0)
		return -1;
	return sprof_to_oci(p, t, out, e);
}

/* ------------------------------------------------------------------ seccomp.json */

struct jctx {
	const char *path;
	struct berr *e;
};

__attribute__((format(printf, 3, 4)))
static int jerr(const struct jctx *c, const char *key, const char *fmt, ...)
{
	char msg[BERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(c->e, BERR_INVALID, 0, "seccomp profile %s: %s: %s", c->path, key, msg);
}

static int check_keys(const struct jctx *c, json_t *obj, const char *where,
		      const char *const *allowed, size_t n)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return jerr(c, where, "not a JSON object");
	json_object_foreach(obj, k, v) {
		(void)v;
		if (str_index(allowed, n, k) < 0)
			return jerr(c, where, "unknown key \"%s\"", k);
	}
	return 0;
}

/* A string member (NULL when absent or null); -1 when of another type. */
static int get_str(const struct jctx *c, json_t *obj, const char *key, const char *where,
		   const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return jerr(c, where, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

/* An integer member in [0, max]; *present false when absent or null. */
static int get_uint(const struct jctx *c, json_t *obj, const char *key, const char *where,
		    json_int_t max, json_int_t *out, bool *present)
{
	json_t *v = json_object_get(obj, key);

	*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return jerr(c, where, "\"%s\" must be an integer from 0 to %lld", key,
			    (long long)max);
	*out = json_integer_value(v);
	*present = true;
	return 0;
}

/* An array member whose elements are strings (an empty array when absent or null). */
static int get_str_array(const struct jctx *c, json_t *obj, const char *key, const char *where,
			 json_t **out)
{
	json_t *v = json_object_get(obj, key), *x;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return jerr(c, where, "\"%s\" must be an array of strings", key);
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return jerr(c, where, "\"%s\"[%zu] must be a string", key, i);
	*out = v;
	return 0;
}

static bool json_array_has(json_t *arr, const char *s)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (strcmp(json_string_value(x), s) == 0)
			return true;
	return false;
}

static int check_enum(const struct jctx *c, const char *where, const char *key, const char *val,
		      const char *const *tab, size_t n, const char *what)
{
	if (str_index(tab, n, val) < 0)
		return jerr(c, where, "\"%s\": unknown %s \"%s\"", key, what, val);
	return 0;
}

static int parse_kernel(const char *s, unsigned *major, unsigned *minor)
{
	char *end;
	unsigned long a, b;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	a = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (*end != '\0' || a > 1000 || b > 1000)
		return -1;
	*major = (unsigned)a;
	*minor = (unsigned)b;
	return 0;
}

static bool target_has_cap(const struct sprof_target *t, const char *cap)
{
	for (size_t i = 0; i < t->n_caps; i++)
		if (strcmp(t->caps[i], cap) == 0)
			return true;
	return false;
}

/* includes / excludes: {"arches": [...], "caps": [...], "minKernel": "M.N"}. Sets *match to
 * whether the filter matches (includes: everything it names holds; excludes: anything it names
 * holds). */
static int eval_filter(const struct jctx *c, json_t *f, const char *where, bool include,
		       const struct sprof_target *t, bool *match)
{
	static const char *const keys[] = { "arches", "caps", "minKernel" };
	json_t *arches, *caps;
	const char *mk;
	const char *arch = target_arch(t);
	size_t i;
	json_t *x;

	*match = include;
	if (f == NULL || json_is_null(f))
		return 0;
	if (check_keys(c, f, where, keys, ARRAY_SIZE(keys)) < 0 ||
	    get_str_array(c, f, "arches", where, &arches) < 0 ||
	    get_str_array(c, f, "caps", where, &caps) < 0 ||
	    get_str(c, f, "minKernel", where, &mk) < 0)
		return -1;
	if (include) {
		if (json_array_size(arches) > 0 && !json_array_has(arches, arch))
			*match = false;
		json_array_foreach(caps, i, x)
			if (!target_has_cap(t, json_string_value(x)))
				*match = false;
	} else {
		if (json_array_has(arches, arch))
			*match = true;
		json_array_foreach(caps, i, x)
			if (target_has_cap(t, json_string_value(x)))
				*match = true;
	}
	if (mk != NULL && mk[0] != '\0') {
		unsigned maj, min;
		bool newer;
		if (parse_kernel(mk, &maj, &min) < 0)
			return jerr(c, where, "\"minKernel\": bad kernel version \"%s\"", mk);
		/* an unknown kernel (0.0) counts as the oldest */
		newer = t->kernel_major > maj || (t->kernel_major == maj && t->kernel_minor >= min);
		if (include && !newer)
			*match = false;
		if (!include && newer)
			*match = true;
	}
	return 0;
}

static int convert_args(const struct jctx *c, json_t *args, const char *where, json_t *out_args)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op" };
	static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
					   "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					   "SCMP_CMP_MASKED_EQ" };
	size_t i;
	json_t *a;

	if (!json_is_array(args))
		return jerr(c, where, "\"args\" must be an array");
	json_array_foreach(args, i, a) {
		char w[128];
		json_int_t index = 0, value = 0, two = 0;
		bool has_index, has_value, has_two;
		const char *op;

		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if (check_keys(c, a, w, keys, ARRAY_SIZE(keys)) < 0 ||
		    get_uint(c, a, "index", w, 5, &index, &has_index) < 0 ||
		    get_uint(c, a, "value", w, INT64_MAX, &value, &has_value) < 0 ||
		    get_uint(c, a, "valueTwo", w, INT64_MAX, &two, &has_two) < 0 ||
		    get_str(c, a, "op", w, &op) < 0)
			return -1;
		if (op == NULL)
			return jerr(c, w, "\"op\" is missing");
		if (check_enum(c, w, "op", op, ops, ARRAY_SIZE(ops), "operator") < 0)
			return -1;
		if (apush(out_args, oci_arg((unsigned)index, op, (uint64_t)value, (uint64_t)two)) < 0)
			return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	return 0;
}

static int convert_syscall(const struct jctx *c, json_t *s, size_t idx,
			   const struct sprof_target *t, json_t *out_sys)
{
	static const char *const keys[] = { "name", "names", "action", "args", "comment",
					    "includes", "excludes", "errnoRet", "errno" };
	char w[64], wi[80], we[80];
	const char *name, *action, *errname;
	json_t *names, *args = json_object_get(s, "args"), *entry, *out_names, *out_args;
	json_int_t errno_ret = 0;
	bool has_errno, inc, exc;

	snprintf(w, sizeof(w), "syscalls[%zu]", idx);
	snprintf(wi, sizeof(wi), "%s.includes", w);
	snprintf(we, sizeof(we), "%s.excludes", w);
	if (check_keys(c, s, w, keys, ARRAY_SIZE(keys)) < 0 ||
	    get_str(c, s, "name", w, &name) < 0 || get_str_array(c, s, "names", w, &names) < 0 ||
	    get_str(c, s, "action", w, &action) < 0 || get_str(c, s, "errno", w, &errname) < 0 ||
	    get_uint(c, s, "errnoRet", w, 4095, &errno_ret, &has_errno) < 0)
		return -1;
	if (json_object_get(s, "comment") != NULL && !json_is_string(json_object_get(s, "comment")))
		return jerr(c, w, "\"comment\" must be a string");
	if (name != NULL && json_array_size(names) > 0)
		return jerr(c, w, "both \"name\" and \"names\" are given: use one");
	if (name == NULL && json_array_size(names) == 0)
		return jerr(c, w, "no \"names\"");
	if (action == NULL)
		return jerr(c, w, "\"action\" is missing");
	if (check_enum(c, w, "action", action, scmp_actions, ARRAY_SIZE(scmp_actions),
		       "action") < 0)
		return -1;
	if (eval_filter(c, json_object_get(s, "includes"), wi, true, t, &inc) < 0 ||
	    eval_filter(c, json_object_get(s, "excludes"), we, false, t, &exc) < 0)
		return -1;
	out_args = json_array();
	if (out_args == NULL)
		return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	if (args != NULL && !json_is_null(args) && convert_args(c, args, w, out_args) < 0) {
		json_decref(out_args);
		return -1;
	}
	if (!inc || exc) {
		json_decref(out_args);
		return 0;
	}
	entry = json_object();
	out_names = name != NULL ? json_pack("[s]", name) : json_deep_copy(names);
	if (entry == NULL || oset(entry, "names", out_names) < 0 ||
	    oset(entry, "action", json_string(action)) < 0 ||
	    (has_errno && oset(entry, "errnoRet", json_integer(errno_ret)) < 0) ||
	    (json_array_size(out_args) > 0 && oset(entry, "args", json_incref(out_args)) < 0) ||
	    apush(out_sys, json_incref(entry)) < 0) {
		json_decref(out_args);
		json_decref(entry);
		return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	json_decref(out_args);
	json_decref(entry);
	return 0;
}

static int convert_arches(const struct jctx *c, json_t *root, const struct sprof_target *t,
			  json_t *out)
{
	json_t *list, *map = json_object_get(root, "archMap"), *m, *subs, *x;
	const char *arch = target_arch(t);
	int g = arch != NULL ? goarch_index(arch) : -1;
	size_t i, j;

	if (get_str_array(c, root, "architectures", "architectures", &list) < 0)
		return -1;
	json_array_foreach(list, i, x)
		if (check_enum(c, "architectures", "architectures", json_string_value(x),
			       scmp_arches, ARRAY_SIZE(scmp_arches), "architecture") < 0)
			return -1;
	if (map != NULL && !json_is_null(map) && !json_is_array(map))
		return jerr(c, "archMap", "must be an array");
	if (json_array_size(list) > 0 && json_array_size(map) > 0)
		return jerr(c, "archMap", "both \"architectures\" and \"archMap\" are given: use one");
	json_array_foreach(list, i, x)
		if (apush(out, json_incref(x)) < 0)
			return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	json_array_foreach(map, i, m) {
		static const char *const keys[] = { "architecture", "subArchitectures" };
		char w[64];
		const char *main_arch;

		snprintf(w, sizeof(w), "archMap[%zu]", i);
		if (check_keys(c, m, w, keys, ARRAY_SIZE(keys)) < 0 ||
		    get_str(c, m, "architecture", w, &main_arch) < 0 ||
		    get_str_array(c, m, "subArchitectures", w, &subs) < 0)
			return -1;
		if (main_arch == NULL)
			return jerr(c, w, "\"architecture\" is missing");
		if (check_enum(c, w, "architecture", main_arch, scmp_arches,
			       ARRAY_SIZE(scmp_arches), "architecture") < 0)
			return -1;
		json_array_foreach(subs, j, x)
			if (check_enum(c, w, "subArchitectures", json_string_value(x), scmp_arches,
				       ARRAY_SIZE(scmp_arches), "architecture") < 0)
				return -1;
		if (g < 0 || strcmp(main_arch, goarches[g].scmp) != 0)
			continue;
		if (apush(out, json_string(main_arch)) < 0)
			return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
		json_array_foreach(subs, j, x)
			if (apush(out, json_incref(x)) < 0)
				return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	return 0;
}

static int convert_top(const struct jctx *c, json_t *root, const struct sprof_target *t,
		       json_t *out)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet", "defaultErrno",
					    "architectures", "archMap", "syscalls", "flags",
					    "listenerPath", "listenerMetadata" };
	const char *action, *derrno, *lpath, *lmeta;
	json_int_t ret = 0;
	bool has_ret;
	json_t *flags, *arches, *sys, *x, *calls = json_object_get(root, "syscalls");
	size_t i;

	if (check_keys(c, root, "(top level)", keys, ARRAY_SIZE(keys)) < 0 ||
	    get_str(c, root, "defaultAction", "defaultAction", &action) < 0 ||
	    get_str(c, root, "defaultErrno", "defaultErrno", &derrno) < 0 ||
	    get_uint(c, root, "defaultErrnoRet", "defaultErrnoRet", 4095, &ret, &has_ret) < 0 ||
	    get_str_array(c, root, "flags", "flags", &flags) < 0 ||
	    get_str(c, root, "listenerPath", "listenerPath", &lpath) < 0 ||
	    get_str(c, root, "listenerMetadata", "listenerMetadata", &lmeta) < 0)
		return -1;
	if (action == NULL)
		return jerr(c, "defaultAction", "is missing");
	if (check_enum(c, "defaultAction", "defaultAction", action, scmp_actions,
		       ARRAY_SIZE(scmp_actions), "action") < 0)
		return -1;
	json_array_foreach(flags, i, x)
		if (check_enum(c, "flags", "flags", json_string_value(x), scmp_flags,
			       ARRAY_SIZE(scmp_flags), "flag") < 0)
			return -1;
	if (calls != NULL && !json_is_null(calls) && !json_is_array(calls))
		return jerr(c, "syscalls", "must be an array");
	if (oset(out, "defaultAction", json_string(action)) < 0 ||
	    (has_ret && oset(out, "defaultErrnoRet", json_integer(ret)) < 0) ||
	    oset(out, "architectures", arches = json_array()) < 0 ||
	    (json_array_size(flags) > 0 && oset(out, "flags", json_deep_copy(flags)) < 0) ||
	    (lpath != NULL && lpath[0] != '\0' && oset(out, "listenerPath", json_string(lpath)) < 0) ||
	    (lmeta != NULL && lmeta[0] != '\0' &&
	     oset(out, "listenerMetadata", json_string(lmeta)) < 0) ||
	    oset(out, "syscalls", sys = json_array()) < 0)
		return berr_set(c->e, BERR_SYSTEM, ENOMEM, "out of memory");
	if (convert_arches(c, root, t, arches) < 0)
		return -1;
	json_array_foreach(calls, i, x)
		if (convert_syscall(c, x, i, t, sys) < 0)
			return -1;
	return 0;
}

int sprof_docker_to_oci(const char *path, const char *buf, size_t len,
			const struct sprof_target *t, json_t **out, struct berr *e)
{
	struct jctx c = { .path = path, .e = e };
	json_error_t je;
	json_t *root, *o;
	int rc;

	*out = NULL;
	if (len > SPROF_JSON_MAX)
		return berr_set(e, BERR_INVALID, 0, "seccomp profile %s: larger than %u bytes", path,
				SPROF_JSON_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return berr_set(e, BERR_INVALID, 0, "seccomp profile %s:%d:%d: %s", path, je.line,
				je.column, je.text);
	o = json_object();
	if (o == NULL) {
		json_decref(root);
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
	}
	rc = convert_top(&c, root, t, o);
	json_decref(root);
	if (rc < 0) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}
