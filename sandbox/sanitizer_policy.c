/* The sanitizer build's additions to every worker's sandbox (-DBERTH_SANITIZE=1, set by
 * `make SANITIZE=1`). In a release build the allowlist is empty and nothing here exists. */
#include "sandbox/seccomp.h"

#ifdef BERTH_SANITIZE
#include "sandbox/embed.h"

/* sandbox/sanitizer.policy: what the ASan/UBSan runtimes need inside a sandboxed worker. */
SANDBOX_EMBED(sandbox_sanitizer_policy_text, "sandbox/sanitizer.policy");

/* Read by the ASan runtime at start-up, before main. Every sandboxed binary links sandbox/, so
 * this is the place for it:
 *  - detect_leaks=0: LeakSanitizer stops the world with clone + ptrace at exit, which the
 *    filter kills (and must: ptrace is never allowed);
 *  - external_symbolizer_path= (empty) disables the external symbolizer, which ASan would
 *    start with fork + exec in the middle of a report, where the filter kills it. Reports
 *    are still symbolized in-process where the binary's debug info can be read, otherwise
 *    they show module+offset (scripts can symbolize those afterwards);
 *  - color=never: deciding on colours costs an isatty() (an ioctl) that berth-pause's filter
 *    does not allow.
 * Weak, so a binary that is never sandboxed (a unit test) can define its own and keep leak
 * detection. */
const char *__asan_default_options(void) __attribute__((weak, visibility("default"), used));
const char *__asan_default_options(void)
{
	return "detect_leaks=0:external_symbolizer_path=:color=never";
}

/* UBSan reads its own options (its runtime has its own copy of the common ones): the same
 * reasons as above, for its stack traces (UBSAN_OPTIONS=print_stacktrace=1). */
const char *__ubsan_default_options(void) __attribute__((weak, visibility("default"), used));
const char *__ubsan_default_options(void)
{
	return "external_symbolizer_path=:color=never";
}
#else
const char sandbox_sanitizer_policy_text[] = "";
#endif
