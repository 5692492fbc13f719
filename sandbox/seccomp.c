/* Step 6 of sandbox_enter(): the role's allowlist, compiled with libseccomp and loaded last,
 * when everything else about the process is already fixed. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>

#include "sandbox/embed.h"

/* The shared groups (base, status), part of every binary that links sandbox/. The Makefile
 * must rebuild this object when sandbox/base.policy changes. */
SANDBOX_EMBED(sandbox_base_policy_text, "sandbox/base.policy");

static enum scmp_compare scmp_op(enum scp_op op)
{
	switch (op) {
	case SCP_EQ: return SCMP_CMP_EQ;
	case SCP_NE: return SCMP_CMP_NE;
	case SCP_LT: return SCMP_CMP_LT;
	case SCP_LE: return SCMP_CMP_LE;
	case SCP_GT: return SCMP_CMP_GT;
	case SCP_GE: return SCMP_CMP_GE;
	case SCP_MASKED_EQ: return SCMP_CMP_MASKED_EQ;
	}
	return _SCMP_CMP_MIN;   /* unreachable: the parser only produces the ops above */
}

int sandbox_seccomp_compile(const char *name, const char *text, struct scp_policy *pol,
			    struct berr *e)
{
	if (scp_parse(pol, name, text, SANDBOX_BASE_POLICY_NAME, sandbox_base_policy_text, e) < 0)
		return -1;
	if (sandbox_sanitizer_policy_text[0] == '\0')
		return 0;

	/* Sanitizer build: ASan/UBSan's own needs on top. They are appended, so a conflict with
	 * the role's rules is caught by the same check. Whatever that file says, it may not open
	 * a dangerous syscall (ptrace for LSan, clone/execve for an external symbolizer): a
	 * sanitizer build must prove the same filter as a release build. */
	size_t first = pol->n;
	if (scp_parse(pol, SANDBOX_SANITIZER_POLICY_NAME, sandbox_sanitizer_policy_text,
		      SANDBOX_BASE_POLICY_NAME, sandbox_base_policy_text, e) < 0)
		return -1;
	for (size_t i = first; i < pol->n; i++) {
		const struct scp_rule *r = &pol->rules[i];
		if (r->action == SCP_ACT_ALLOW && scp_is_dangerous(r->syscall))
			return berr_set(e, BERR_INVALID, 0,
					"%s:%u: the sanitizer allowlist may not allow %s", r->file,
					r->line, r->syscall);
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct scp_rule *r, struct berr *e)
{
	struct scmp_arg_cmp cmp[SCP_MAX_ARGS];
	uint32_t action = r->action == SCP_ACT_ERRNO ? SCMP_ACT_ERRNO((uint32_t)r->errnum)
						     : SCMP_ACT_ALLOW;
	int rc;

	for (unsigned i = 0; i < r->ncond; i++) {
		const struct scp_cond *c = &r->cond[i];
		cmp[i] = (struct scmp_arg_cmp){
			.arg = c->arg,
			.op = scmp_op(c->op),
			/* For a masked compare libseccomp takes the mask first. */
			.datum_a = c->op == SCP_MASKED_EQ ? c->mask : c->value,
			.datum_b = c->op == SCP_MASKED_EQ ? c->value : 0,
		};
	}
	rc = seccomp_rule_add_array(ctx, action, r->nr, r->ncond, cmp);
	if (rc < 0)
		return berr_set(e, BERR_INVALID, -rc, "%s:%u: libseccomp refused the rule for %s: %s",
				r->file, r->line, r->syscall, strerror(-rc));
	return 0;
}

int sandbox_seccomp_load(const char *name, const char *text, int *nrules, struct berr *e)
{
	struct scp_policy pol = { 0 };
	scmp_filter_ctx ctx = NULL;
	int rc = -1, sr;

	if (sandbox_seccomp_compile(name, text, &pol, e) < 0)
		goto out;
	/* Default: kill the whole process, not one thread, so a worker never limps on with a
	 * thread missing. Release builds never log instead of killing (STYLE.md 9). */
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "seccomp_init failed");
		goto out;
	}
	/* The filter is for the native architecture only; libseccomp checks seccomp_data.arch
	 * first, and for x86_64 also sends x32 numbers (bit 30 set) to the default action. A call
	 * from a foreign ABI (i386 int 0x80) is killed too, not just failed. */
	sr = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (sr < 0) {
		berr_set(e, BERR_SYSTEM, -sr, "seccomp: setting the bad-architecture action: %s",
			 strerror(-sr));
		goto out;
	}
	for (size_t i = 0; i < pol.n; i++)
		if (add_rule(ctx, &pol.rules[i], e) < 0)
			goto out;
	sr = seccomp_load(ctx);
	if (sr < 0) {
		berr_set(e, BERR_SYSTEM, -sr, "seccomp: loading the filter: %s", strerror(-sr));
		goto out;
	}
	if (nrules != NULL)
		*nrules = (int)pol.n;
	rc = 0;
out:
	if (ctx != NULL)
		seccomp_release(ctx);
	scp_policy_free(&pol);
	if (rc < 0)
		berr_wrap(e, "seccomp");
	return rc;
}
