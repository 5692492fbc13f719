/* The seccomp policy parser. The format and the rules it enforces are described in
 * seccomp_policy.h. Nothing here makes a system call: the text is compiled into the binary and
 * handed over as a string, and libseccomp's syscall table is an in-memory lookup. */
#include "sandbox/seccomp_policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ constants */

struct scp_symbol {
	const char *name;
	uint64_t value;
};

#define SYM(x) { #x, (uint64_t)(x) }

/* The symbolic constants a policy may use. Kept to what the worker policies need, and to
 * values that are the same for every caller on this architecture: a constant whose value
 * depends on headers in surprising ways is spelled out with a comment. */
static const struct scp_symbol scp_symbols[] = {
	/* socket families, types and protocols */
	SYM(AF_UNIX), SYM(AF_INET), SYM(AF_INET6), SYM(AF_NETLINK), SYM(AF_PACKET),
	SYM(SOCK_STREAM), SYM(SOCK_DGRAM), SYM(SOCK_RAW), SYM(SOCK_SEQPACKET),
	SYM(SOCK_NONBLOCK), SYM(SOCK_CLOEXEC),
	SYM(NETLINK_ROUTE), SYM(NETLINK_NETFILTER),
	SYM(MSG_PEEK), SYM(MSG_TRUNC), SYM(MSG_DONTWAIT), SYM(MSG_NOSIGNAL), SYM(MSG_CMSG_CLOEXEC),
	/* memory */
	SYM(PROT_NONE), SYM(PROT_READ), SYM(PROT_WRITE), SYM(PROT_EXEC),
	SYM(MAP_SHARED), SYM(MAP_PRIVATE), SYM(MAP_FIXED), SYM(MAP_ANONYMOUS), SYM(MAP_NORESERVE),
	SYM(MAP_STACK), SYM(MAP_GROWSDOWN), SYM(MAP_DENYWRITE), SYM(MAP_FIXED_NOREPLACE),
	SYM(MADV_DONTNEED), SYM(MADV_FREE), SYM(MADV_DONTDUMP),
	/* open flags */
	SYM(O_RDONLY), SYM(O_WRONLY), SYM(O_RDWR), SYM(O_ACCMODE), SYM(O_CREAT), SYM(O_EXCL),
	SYM(O_TRUNC), SYM(O_APPEND), SYM(O_NONBLOCK), SYM(O_DIRECTORY), SYM(O_NOFOLLOW),
	SYM(O_CLOEXEC), SYM(O_PATH), SYM(O_NOCTTY), SYM(O_TMPFILE),
	/* glibc's __O_TMPFILE includes O_DIRECTORY; this is the kernel's lone bit, so that
	 * "no O_TMPFILE" can be tested without also refusing O_DIRECTORY. */
	{ "__O_TMPFILE", 020000000 },
	SYM(AT_EMPTY_PATH), SYM(AT_SYMLINK_NOFOLLOW), SYM(AT_REMOVEDIR),
	/* fcntl commands */
	SYM(F_DUPFD), SYM(F_DUPFD_CLOEXEC), SYM(F_GETFD), SYM(F_SETFD), SYM(F_GETFL), SYM(F_SETFL),
	SYM(F_GETLK), SYM(F_SETLK), SYM(F_SETLKW), SYM(F_OFD_GETLK), SYM(F_OFD_SETLK),
	SYM(F_OFD_SETLKW), SYM(F_ADD_SEALS), SYM(F_GET_SEALS), SYM(F_GETPIPE_SZ),
	/* ioctl requests */
	SYM(TCGETS), SYM(TIOCGWINSZ), SYM(TIOCSWINSZ), SYM(FIONREAD), SYM(FIONBIO), SYM(FIOCLEX),
	SYM(SIOCGIFINDEX), SYM(SIOCGIFFLAGS), SYM(SIOCSIFFLAGS), SYM(SIOCGIFMTU), SYM(SIOCSIFMTU),
	SYM(SIOCGIFNAME),
	/* clone flags */
	SYM(CLONE_VM), SYM(CLONE_FS), SYM(CLONE_FILES), SYM(CLONE_SIGHAND), SYM(CLONE_PIDFD),
	SYM(CLONE_PTRACE), SYM(CLONE_VFORK), SYM(CLONE_PARENT), SYM(CLONE_THREAD),
	SYM(CLONE_NEWNS), SYM(CLONE_SYSVSEM), SYM(CLONE_SETTLS), SYM(CLONE_PARENT_SETTID),
	SYM(CLONE_CHILD_CLEARTID), SYM(CLONE_DETACHED), SYM(CLONE_UNTRACED),
	SYM(CLONE_CHILD_SETTID), SYM(CLONE_NEWCGROUP), SYM(CLONE_NEWUTS), SYM(CLONE_NEWIPC),
	SYM(CLONE_NEWUSER), SYM(CLONE_NEWPID), SYM(CLONE_NEWNET), SYM(CLONE_IO),
	SYM(CLONE_NEWTIME),
	/* prctl options */
	SYM(PR_GET_DUMPABLE), SYM(PR_SET_DUMPABLE), SYM(PR_GET_NAME), SYM(PR_SET_NAME),
	SYM(PR_GET_SECCOMP), SYM(PR_GET_NO_NEW_PRIVS), SYM(PR_SET_PDEATHSIG),
	SYM(PR_GET_PDEATHSIG), SYM(PR_CAPBSET_READ), SYM(PR_GET_TIMERSLACK),
	/* signals */
	SYM(SIGHUP), SYM(SIGINT), SYM(SIGQUIT), SYM(SIGABRT), SYM(SIGKILL), SYM(SIGUSR1),
	SYM(SIGSEGV), SYM(SIGUSR2), SYM(SIGPIPE), SYM(SIGALRM), SYM(SIGTERM), SYM(SIGCHLD),
	SYM(SIGCONT), SYM(SIGSTOP), SYM(SIGWINCH),
	/* wait */
	SYM(WNOHANG), SYM(WEXITED), SYM(WSTOPPED), SYM(WCONTINUED), SYM(WNOWAIT),
	SYM(P_ALL), SYM(P_PID), SYM(P_PIDFD),
	/* landlock_create_ruleset(NULL, 0, VERSION): the ABI probe */
	SYM(LANDLOCK_CREATE_RULESET_VERSION),
};

int scp_symbol_value(const char *name, uint64_t *out)
{
	for (size_t i = 0; i < sizeof(scp_symbols) / sizeof(scp_symbols[0]); i++)
		if (strcmp(scp_symbols[i].name, name) == 0) {
			*out = scp_symbols[i].value;
			return 0;
		}
	return -1;
}

/* Syscalls whose allowing lines need a written reason (STYLE.md 8): they run programs, change
 * namespaces or mounts, reach other processes or the kernel's less-audited corners, create
 * sockets, or bypass seccomp's view of arguments (io_uring). */
static const char *const scp_dangerous[] = {
	"execve", "execveat", "fork", "vfork", "clone", "clone3",
	"mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
	"move_mount", "open_tree", "mount_setattr",
	"setns", "unshare",
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
	"kcmp",
	"kill", "tkill", "tgkill", "pidfd_send_signal",
	"socket", "socketpair", "ioctl", "prctl", "personality", "seccomp",
	"bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
	"io_uring_register",
	"keyctl", "add_key", "request_key",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"open_by_handle_at", "name_to_handle_at", "mknod", "mknodat", "shmat",
	"iopl", "ioperm", "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog",
};

bool scp_is_dangerous(const char *syscall)
{
	for (size_t i = 0; i < sizeof(scp_dangerous) / sizeof(scp_dangerous[0]); i++)
		if (strcmp(scp_dangerous[i], syscall) == 0)
			return true;
	return false;
}

static int errno_value(const char *name)
{
	/* strerrorname_np() is glibc's own table: no list to keep in sync here. */
	for (int i = 1; i < 4096; i++) {
		const char *n = strerrorname_np(i);
		if (n != NULL && strcmp(n, name) == 0)
			return i;
	}
	return -1;
}

/* ------------------------------------------------------------------ lexer */

enum tok_kind {
	T_END, T_IDENT, T_NUM, T_COLON, T_ARROW, T_ANDAND, T_AMP, T_PIPE,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD,
};

struct tok {
	enum tok_kind kind;
	char text[SCP_NAME_MAX];
};

struct lexer {
	const char *p;
	const char *file;
	unsigned line;
	struct berr *e;
};

static int lex_err(const struct lexer *lx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int lex_err(const struct lexer *lx, const char *fmt, ...)
{
	char msg[BERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(lx->e, BERR_INVALID, 0, "%s:%u: %s", lx->file, lx->line, msg);
}

static bool is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Reads the next token. A word longer than SCP_NAME_MAX - 1 is T_BAD. */
static void lex_next(struct lexer *lx, struct tok *t)
{
	const char *p = lx->p;

	while (*p == ' ' || *p == '\t')
		p++;
	t->text[0] = '\0';
	if (*p == '\0') {
		t->kind = T_END;
		lx->p = p;
		return;
	}
	if (is_ident_start((unsigned char)*p) || isdigit((unsigned char)*p)) {
		size_t n = 0;
		t->kind = isdigit((unsigned char)*p) ? T_NUM : T_IDENT;
		while (is_ident_char((unsigned char)p[n]))
			n++;
		if (n >= sizeof(t->text)) {
			t->kind = T_BAD;
			n = sizeof(t->text) - 1;
		}
		memcpy(t->text, p, n);
		t->text[n] = '\0';
		while (is_ident_char((unsigned char)*p))
			p++;
		lx->p = p;
		return;
	}
	static const struct { const char *s; enum tok_kind k; } ops[] = {
		{ "->", T_ARROW }, { "&&", T_ANDAND }, { "==", T_EQ }, { "!=", T_NE },
		{ "<=", T_LE }, { ">=", T_GE }, { "<", T_LT }, { ">", T_GT },
		{ "&", T_AMP }, { "|", T_PIPE }, { ":", T_COLON },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].s);
		if (strncmp(p, ops[i].s, n) == 0) {
			t->kind = ops[i].k;
			snprintf(t->text, sizeof(t->text), "%s", ops[i].s);
			lx->p = p + n;
			return;
		}
	}
	t->kind = T_BAD;
	snprintf(t->text, sizeof(t->text), "%c", *p);
	lx->p = p + 1;
}

/* ------------------------------------------------------------------ parser */

struct parse_ctx {
	struct scp_policy *pol;
	const char *lib_file;
	const char *lib_text;
	struct berr *e;
};

static int parse_text(struct parse_ctx *cx, const char *file, const char *text,
		      const char *group, unsigned depth);

static int pol_append(struct scp_policy *pol, const struct scp_rule *r, struct berr *e)
{
	if (pol->n == pol->cap) {
		size_t ncap = pol->cap ? pol->cap * 2 : 64;
		struct scp_rule *nr = realloc(pol->rules, ncap * sizeof(*nr));
		if (nr == NULL)
			return berr_sys(e, "allocating seccomp rules");
		pol->rules = nr;
		pol->cap = ncap;
	}
	pol->rules[pol->n++] = *r;
	return 0;
}

/* VALUE := TERM ('|' TERM)*. Leaves the token after the value in *t. */
static int parse_value(struct lexer *lx, struct tok *t, uint64_t *out)
{
	uint64_t v = 0;

	for (;;) {
		uint64_t term;
		if (t->kind == T_NUM) {
			char *end;
			errno = 0;
			term = strtoull(t->text, &end, 0);
			if (errno != 0 || *end != '\0')
				return lex_err(lx, "bad number '%s'", t->text);
		} else if (t->kind == T_IDENT) {
			if (scp_symbol_value(t->text, &term) < 0)
				return lex_err(lx, "unknown constant '%s'", t->text);
		} else {
			return lex_err(lx, "expected a number or a constant, found '%s'",
				       t->kind == T_END ? "end of line" : t->text);
		}
		v |= term;
		lex_next(lx, t);
		if (t->kind != T_PIPE)
			break;
		lex_next(lx, t);
	}
	*out = v;
	return 0;
}

/* COND := argN OP VALUE | argN & VALUE == VALUE. *t holds the first token on entry and the
 * token after the condition on return. */
static int parse_cond(struct lexer *lx, struct tok *t, struct scp_cond *c)
{
	if (t->kind != T_IDENT || strncmp(t->text, "arg", 3) != 0 || strlen(t->text) != 4 ||
	    !isdigit((unsigned char)t->text[3]))
		return lex_err(lx, "expected argN (N in 0..5), found '%s'",
			       t->kind == T_END ? "end of line" : t->text);
	c->arg = (unsigned)(t->text[3] - '0');
	if (c->arg >= SCP_MAX_ARGS)
		return lex_err(lx, "%s: syscalls have arguments arg0..arg5 only", t->text);
	c->mask = 0;
	lex_next(lx, t);
	if (t->kind == T_AMP) {
		lex_next(lx, t);
		if (parse_value(lx, t, &c->mask) < 0)
			return -1;
		if (t->kind != T_EQ)
			return lex_err(lx, "a masked compare must be '& MASK == VALUE' (libseccomp "
				       "has no other masked operator), found '%s'",
				       t->kind == T_END ? "end of line" : t->text);
		c->op = SCP_MASKED_EQ;
	} else {
		switch (t->kind) {
		case T_EQ: c->op = SCP_EQ; break;
		case T_NE: c->op = SCP_NE; break;
		case T_LT: c->op = SCP_LT; break;
		case T_LE: c->op = SCP_LE; break;
		case T_GT: c->op = SCP_GT; break;
		case T_GE: c->op = SCP_GE; break;
		default:
			return lex_err(lx, "expected an operator (== != < <= > >= or & MASK ==) "
				       "after arg%u, found '%s'", c->arg,
				       t->kind == T_END ? "end of line" : t->text);
		}
	}
	lex_next(lx, t);
	if (parse_value(lx, t, &c->value) < 0)
		return -1;
	if (c->op == SCP_MASKED_EQ && (c->value & ~c->mask) != 0)
		return lex_err(lx, "arg%u & 0x%llx == 0x%llx can never be true", c->arg,
			       (unsigned long long)c->mask, (unsigned long long)c->value);
	return 0;
}

/* True when no argument value satisfying c has all of bits set. */
static bool cond_excludes_all_of(const struct scp_cond *c, uint64_t bits)
{
	switch (c->op) {
	case SCP_EQ:
		return (c->value & bits) != bits;
	case SCP_MASKED_EQ:
		/* Some bit of `bits` is inside the mask and required to be 0. */
		return (c->mask & bits & ~c->value) != 0;
	case SCP_LT:
		/* The smallest number that has every bit of `bits` is `bits` itself. */
		return c->value <= bits;
	case SCP_LE:
		return c->value < bits;
	default:
		return false;
	}
}

static bool rule_excludes(const struct scp_rule *r, unsigned arg, uint64_t bits)
{
	for (unsigned i = 0; i < r->ncond; i++)
		if (r->cond[i].arg == arg && cond_excludes_all_of(&r->cond[i], bits))
			return true;
	return false;
}

/* W^X: the memory-protection argument of an allowing line must rule out writable+executable
 * (mmap) or executable at all (mprotect: turning existing memory executable is how injected
 * code is run). */
static int check_wx(const struct lexer *lx, const struct scp_rule *r)
{
	if (r->action != SCP_ACT_ALLOW)
		return 0;
	if (strcmp(r->syscall, "mmap") == 0) {
		if (!rule_excludes(r, 2, PROT_WRITE | PROT_EXEC))
			return lex_err(lx, "mmap must not be allowed with PROT_WRITE and PROT_EXEC "
				       "together: add a condition such as 'arg2 & PROT_EXEC == 0' or "
				       "'arg2 & PROT_WRITE == 0'");
	} else if (strcmp(r->syscall, "mprotect") == 0 || strcmp(r->syscall, "pkey_mprotect") == 0) {
		if (!rule_excludes(r, 2, PROT_EXEC))
			return lex_err(lx, "%s must not be allowed with PROT_EXEC: add the condition "
				       "'arg2 & PROT_EXEC == 0'", r->syscall);
	}
	return 0;
}

static int parse_rule(struct lexer *lx, struct tok *t, struct scp_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->file = lx->file;
	r->line = lx->line;
	if (t->kind != T_IDENT)
		return lex_err(lx, "expected a syscall name, found '%s'", t->text);
	snprintf(r->syscall, sizeof(r->syscall), "%s", t->text);
	for (const char *s = r->syscall; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return lex_err(lx, "'%s' is not a syscall name", r->syscall);
	r->nr = seccomp_syscall_resolve_name(r->syscall);
	if (r->nr == __NR_SCMP_ERROR)
		return lex_err(lx, "unknown syscall '%s'", r->syscall);
	if (r->nr < 0)
		return lex_err(lx, "syscall '%s' does not exist on this architecture", r->syscall);

	lex_next(lx, t);
	if (t->kind == T_COLON) {
		lex_next(lx, t);
		for (;;) {
			struct scp_cond c;
			if (r->ncond == SCP_MAX_ARGS)
				return lex_err(lx, "too many conditions (at most one per argument)");
			if (parse_cond(lx, t, &c) < 0)
				return -1;
			for (unsigned i = 0; i < r->ncond; i++)
				if (r->cond[i].arg == c.arg)
					return lex_err(lx, "arg%u is tested twice on one line: "
						       "libseccomp takes one condition per argument; "
						       "write two lines instead (they are ORed)", c.arg);
			r->cond[r->ncond++] = c;
			if (t->kind != T_ANDAND)
				break;
			lex_next(lx, t);
		}
	}
	r->action = SCP_ACT_ALLOW;
	if (t->kind == T_ARROW) {
		lex_next(lx, t);
		if (t->kind == T_IDENT && strcmp(t->text, "allow") == 0) {
			lex_next(lx, t);
		} else if (t->kind == T_IDENT && strcmp(t->text, "errno") == 0) {
			lex_next(lx, t);
			r->action = SCP_ACT_ERRNO;
			if (t->kind == T_IDENT) {
				r->errnum = errno_value(t->text);
				if (r->errnum < 0)
					return lex_err(lx, "unknown errno name '%s'", t->text);
			} else if (t->kind == T_NUM) {
				char *end;
				unsigned long v = strtoul(t->text, &end, 10);
				if (*end != '\0' || v == 0 || v > 4095)
					return lex_err(lx, "bad errno number '%s'", t->text);
				r->errnum = (int)v;
			} else {
				return lex_err(lx, "expected an errno name after 'errno'");
			}
			lex_next(lx, t);
		} else {
			return lex_err(lx, "unknown action '%s' (expected 'allow' or 'errno NAME')",
				       t->text);
		}
	}
	if (t->kind != T_END)
		return lex_err(lx, "unexpected '%s'", t->text);
	return check_wx(lx, r);
}

/* Copies the line starting at *pp (without its newline) into buf, cutting a trailing comment;
 * sets *was_comment if the line is a comment line. Advances *pp past the newline. */
static int next_line(struct lexer *lx, const char **pp, char *buf, size_t size, bool *was_comment)
{
	const char *p = *pp;
	const char *nl = strchr(p, '\n');
	size_t len = nl ? (size_t)(nl - p) : strlen(p);

	*pp = nl ? nl + 1 : p + len;
	if (len >= size)
		return lex_err(lx, "line longer than %zu bytes", size - 1);
	memcpy(buf, p, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0' || (buf[i] != '\t' && iscntrl((unsigned char)buf[i]) &&
				       !(buf[i] == '\r' && i == len - 1)))
			return lex_err(lx, "control character in line");
	char *s = buf;
	while (*s == ' ' || *s == '\t')
		s++;
	*was_comment = (*s == '#');
	char *hash = strchr(buf, '#');
	if (hash != NULL)
		*hash = '\0';
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (s != buf)
		memmove(buf, s, strlen(s) + 1);
	return 0;
}

/* Is this line "@<word> NAME"? Fills name; returns 1 if it is the directive, 0 if not, -1 on
 * a malformed directive. */
static int parse_directive(struct lexer *lx, const char *line, const char *word, char *name,
			   size_t size)
{
	size_t wl = strlen(word);
	struct tok t;

	if (line[0] != '@' || strncmp(line + 1, word, wl) != 0 ||
	    (line[1 + wl] != ' ' && line[1 + wl] != '\t' && line[1 + wl] != '\0'))
		return 0;
	lx->p = line + 1 + wl;
	lex_next(lx, &t);
	if (t.kind != T_IDENT)
		return lex_err(lx, "@%s needs a group name", word);
	snprintf(name, size, "%s", t.text);
	lex_next(lx, &t);
	if (t.kind != T_END)
		return lex_err(lx, "unexpected '%s' after @%s %s", t.text, word, name);
	return 1;
}

/* Parses text into cx->pol. group NULL: a role's policy (no @group allowed). group set: only
 * the lines of that group in a library file; an error if the file has no such group. */
static int parse_text(struct parse_ctx *cx, const char *file, const char *text,
		      const char *group, unsigned depth)
{
	struct lexer lx = { .file = file, .line = 0, .e = cx->e };
	const char *p = text;
	char line[SCP_LINE_MAX + 1];
	bool in_group = (group == NULL);
	bool found = (group == NULL);
	/* The written-reason rule: was the previous line a comment, or a justified line for
	 * this same dangerous syscall? */
	bool prev_comment = false;
	char justified[SCP_NAME_MAX] = "";

	if (text == NULL)
		return berr_set(cx->e, BERR_INVALID, 0, "%s: no policy text", file);
	while (*p != '\0') {
		bool is_comment;
		char name[SCP_NAME_MAX];
		int r;

		lx.line++;
		if (next_line(&lx, &p, line, sizeof(line), &is_comment) < 0)
			return -1;
		r = parse_directive(&lx, line, "group", name, sizeof(name));
		if (r < 0)
			return -1;
		if (r == 1) {
			if (group == NULL)
				return lex_err(&lx, "@group is only allowed in the library file");
			if (in_group)
				break;          /* the next group starts: ours is done */
			if (strcmp(name, group) == 0)
				in_group = found = true;
			prev_comment = false;
			justified[0] = '\0';
			continue;
		}
		if (!in_group)
			continue;
		if (is_comment) {
			prev_comment = true;
			justified[0] = '\0';
			continue;
		}
		if (line[0] == '\0') {
			prev_comment = false;
			justified[0] = '\0';
			continue;
		}
		r = parse_directive(&lx, line, "include", name, sizeof(name));
		if (r < 0)
			return -1;
		if (r == 1) {
			if (cx->lib_text == NULL)
				return lex_err(&lx, "@include %s: no library file to include from",
					       name);
			if (depth + 1 >= SCP_INCLUDE_DEPTH)
				return lex_err(&lx, "@include %s: includes nested too deeply "
					       "(a cycle?)", name);
			if (parse_text(cx, cx->lib_file, cx->lib_text, name, depth + 1) < 0)
				return berr_wrap(cx->e, "%s:%u: in @include %s", file, lx.line,
						 name);
			prev_comment = false;
			justified[0] = '\0';
			continue;
		}
		if (line[0] == '@')
			return lex_err(&lx, "unknown directive '%s'", line);

		struct scp_rule rule;
		struct tok t;
		lx.p = line;
		lex_next(&lx, &t);
		if (parse_rule(&lx, &t, &rule) < 0)
			return -1;
		if (rule.action == SCP_ACT_ALLOW && scp_is_dangerous(rule.syscall)) {
			if (!prev_comment && strcmp(justified, rule.syscall) != 0)
				return lex_err(&lx, "%s is dangerous: its line must follow a comment "
					       "saying why the worker needs it", rule.syscall);
			snprintf(justified, sizeof(justified), "%s", rule.syscall);
		} else {
			justified[0] = '\0';
		}
		prev_comment = false;
		if (pol_append(cx->pol, &rule, cx->e) < 0)
			return -1;
	}
	if (!found)
		return berr_set(cx->e, BERR_INVALID, 0, "%s: no @group %s", file, group);
	return 0;
}

/* ------------------------------------------------------------------ checks, API */

static bool same_action(const struct scp_rule *a, const struct scp_rule *b)
{
	return a->action == b->action && (a->action != SCP_ACT_ERRNO || a->errnum == b->errnum);
}

/* Two rules are disjoint when they test one argument with == against different values. */
static bool disjoint(const struct scp_rule *a, const struct scp_rule *b)
{
	for (unsigned i = 0; i < a->ncond; i++)
		for (unsigned j = 0; j < b->ncond; j++)
			if (a->cond[i].arg == b->cond[j].arg && a->cond[i].op == SCP_EQ &&
			    b->cond[j].op == SCP_EQ && a->cond[i].value != b->cond[j].value)
				return true;
	return false;
}

int scp_check_conflicts(const struct scp_policy *pol, struct berr *e)
{
	for (size_t i = 0; i < pol->n; i++)
		for (size_t j = i + 1; j < pol->n; j++) {
			const struct scp_rule *a = &pol->rules[i], *b = &pol->rules[j];
			if (a->nr != b->nr || same_action(a, b) || disjoint(a, b))
				continue;
			return berr_set(e, BERR_INVALID, 0,
					"%s:%u: this %s rule and the one at %s:%u have different "
					"actions and may match the same call; rules with different "
					"actions must test one argument with == against different "
					"values", b->file, b->line, b->syscall, a->file, a->line);
		}
	return 0;
}

int scp_parse(struct scp_policy *pol, const char *file, const char *text, const char *lib_file,
	      const char *lib_text, struct berr *e)
{
	struct parse_ctx cx = { .pol = pol, .lib_file = lib_file, .lib_text = lib_text, .e = e };

	if (parse_text(&cx, file, text, NULL, 0) < 0)
		return -1;
	return scp_check_conflicts(pol, e);
}

int scp_check_library(const char *lib_file, const char *lib_text, struct berr *e)
{
	struct lexer lx = { .file = lib_file, .line = 0, .e = e };
	const char *p = lib_text;
	char line[SCP_LINE_MAX + 1];
	char seen[32][SCP_NAME_MAX];
	size_t nseen = 0;

	if (lib_text == NULL)
		return berr_set(e, BERR_INVALID, 0, "%s: no policy text", lib_file);
	while (*p != '\0') {
		bool is_comment;
		char name[SCP_NAME_MAX];
		int r;

		lx.line++;
		if (next_line(&lx, &p, line, sizeof(line), &is_comment) < 0)
			return -1;
		r = parse_directive(&lx, line, "group", name, sizeof(name));
		if (r < 0)
			return -1;
		if (r == 0) {
			if (nseen == 0 && line[0] != '\0')
				return lex_err(&lx, "rules before the first @group belong to no "
					       "group");
			continue;
		}
		for (size_t i = 0; i < nseen; i++)
			if (strcmp(seen[i], name) == 0)
				return lex_err(&lx, "@group %s defined twice", name);
		if (nseen == sizeof(seen) / sizeof(seen[0]))
			return lex_err(&lx, "too many groups");
		snprintf(seen[nseen++], SCP_NAME_MAX, "%s", name);

		struct scp_policy pol = { 0 };
		struct parse_ctx cx = { .pol = &pol, .lib_file = lib_file, .lib_text = lib_text,
					.e = e };
		int rc = parse_text(&cx, lib_file, lib_text, name, 1);
		if (rc == 0)
			rc = scp_check_conflicts(&pol, e);
		scp_policy_free(&pol);
		if (rc < 0)
			return berr_wrap(e, "@group %s", name);
	}
	if (nseen == 0)
		return berr_set(e, BERR_INVALID, 0, "%s: no @group in the library file", lib_file);
	return 0;
}

void scp_policy_free(struct scp_policy *pol)
{
	free(pol->rules);
	pol->rules = NULL;
	pol->n = pol->cap = 0;
}
