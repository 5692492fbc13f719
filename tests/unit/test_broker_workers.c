/* The broker's handling of workers that misbehave: protocol violations, deaths, timeouts,
 * unsolicited replies, fds where none belong, and error replies with hostile text. Each must fail
 * the job with a clear error, exactly once, and leave the worker reaped. The "worker" is
 * fake-worker, run under the name berth-unpack from a directory named after its behaviour. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "broker/broker.h"
#include "broker/wk.h"

struct outcome {
	int calls;
	bool ok;
	struct berr err;
	pid_t pid;
};

static char tmpdir[] = "/tmp/berth-wk-XXXXXX";

static void on_reply(struct broker *b, struct wk *w, struct ipc_msg *reply,
		     const struct berr *failure, void *arg)
{
	struct outcome *o = arg;
	o->calls++;
	o->ok = reply != NULL;
	if (failure != NULL)
		o->err = *failure;
	wk_release(b, w);
}

static void on_sigchld(evutil_socket_t s, short w, void *arg)
{
	struct broker *b = arg;
	int st;
	pid_t pid;
	(void)s;
	(void)w;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		wk_reap(b, pid, st);
}

static void stop_when_idle(evutil_socket_t s, short w, void *arg)
{
	struct broker *b = arg;
	(void)s;
	(void)w;
	if (b->workers == NULL)
		event_base_loopbreak(b->base);
}

/* Runs one request against the fake worker in mode, until the worker is reaped. */
static void run_mode(const char *mode, int timeout_ms, struct outcome *o)
{
	struct broker b = { 0 };
	struct berr e = { 0 };
	struct msg_w_info req = { 0 };
	char dir[256], link[PATH_MAX], target[PATH_MAX];
	struct timeval tick = { 0, 20000 };

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, mode);
	mkdir(dir, 0755);
	snprintf(link, sizeof(link), "%s/berth-unpack", dir);
	snprintf(target, sizeof(target), "%s/fake-worker", FAKE_WORKER_DIR);
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	snprintf(b.cfg.libexec, sizeof(b.cfg.libexec), "%s", dir);
	b.base = event_base_new();
	assert_non_null(b.base);
	struct event *sig = evsignal_new(b.base, SIGCHLD, on_sigchld, &b);
	struct event *idle = event_new(b.base, -1, EV_PERSIST, stop_when_idle, &b);
	assert_int_equal(event_add(sig, NULL), 0);
	assert_int_equal(event_add(idle, &tick), 0);

	memset(o, 0, sizeof(*o));
	struct wk *w = wk_spawn(&b, "unpack", NULL, &e);
	assert_non_null(w);
	o->pid = wk_pid(w);
	assert_int_equal(wk_request(&b, w, MSG_W_INFO, &req, NULL, 0, timeout_ms, on_reply, o, &e),
			 0);
	event_base_dispatch(b.base);
	/* Reaped: no zombie left behind. */
	assert_int_equal(waitpid(o->pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_null(b.workers);
	event_free(sig);
	event_free(idle);
	event_base_free(b.base);
}

static void test_good(void **state)
{
	struct outcome o;
	(void)state;
	run_mode("good", 5000, &o);
	assert_int_equal(o.calls, 1);
	assert_true(o.ok);
}

static void expect_failure(const char *mode, int timeout_ms, int code, const char *text)
{
	struct outcome o;
	run_mode(mode, timeout_ms, &o);
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	if (strstr(o.err.msg, text) == NULL)
		fail_msg("mode %s: \"%s\" does not mention \"%s\"", mode, o.err.msg, text);
	assert_int_equal(o.err.code, code);
}

static void test_garbage(void **state)
{
	(void)state;
	expect_failure("garbage", 5000, BERR_PROTOCOL, "berth-unpack (the layer unpacker) broke "
			"the IPC protocol");
}

static void test_exit(void **state)
{
	(void)state;
	expect_failure("exit3", 5000, BERR_WORKER, "exited with status 3 before answering");
}

static void test_sigsys(void **state)
{
	(void)state;
	expect_failure("sigsys", 5000, BERR_WORKER, "SIGSYS: its sandbox stopped a forbidden");
}

static void test_timeout(void **state)
{
	(void)state;
	expect_failure("hang", 300, BERR_TIMEOUT, "did not answer within");
}

static void test_wrong_id(void **state)
{
	(void)state;
	expect_failure("wrongid", 5000, BERR_PROTOCOL, "unsolicited");
}

static void test_fd_on_reply(void **state)
{
	(void)state;
	expect_failure("withfd", 5000, BERR_PROTOCOL, "broke the IPC protocol");
}

static void test_oversize(void **state)
{
	(void)state;
	expect_failure("oversize", 5000, BERR_PROTOCOL, "broke the IPC protocol");
}

static void test_error_reply_sanitized(void **state)
{
	struct outcome o;
	(void)state;
	run_mode("error", 5000, &o);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.err.code, BERR_DENIED);
	/* The worker's text reaches the user without its terminal escapes. */
	assert_null(strchr(o.err.msg, '\x1b'));
	assert_non_null(strstr(o.err.msg, "refused"));
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_sigsys),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_wrong_id),
		cmocka_unit_test(test_fd_on_reply),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_error_reply_sanitized),
	};
	return cmocka_run_group_tests_name("broker-workers", tests, setup, teardown);
}
