/* libFuzzer harness for the reader side of common/k8slog.c: k8slog_render on arbitrary log
 * bytes, and k8slog_parse_time on the same bytes as a --since value.
 *
 * Input: a flags byte (bit 0: -t), a tail byte (0-127: tail = byte % 8, else all lines), two
 * bytes choosing since and until (0: unbounded, else that many seconds around the minute the
 * seed corpus is written in, minus 128), a byte choosing where to split the log for the
 * follow check, then the log.
 *
 * Besides "no crash, no leak, no UB", it abort()s when:
 *  - an error is not a printable, non-protocol message, or leaves *consumed other than 0, or
 *    the final and the non-final render disagree on whether the log is valid;
 *  - *consumed is not the end of a record, a final render leaves a complete record unread,
 *    or a non-final one reads further than a final one;
 *  - a line is emitted for a stream other than stdout/stderr, holds a newline anywhere but at
 *    its end, lacks one when it is not one of the open lines a final render
 *    shows at the very end, or more lines are shown than the tail allows;
 *  - following (a non-final render of a prefix, then a final render from its *consumed on)
 *    shows other lines, in another order, than one final render of the whole log;
 *  - k8slog_parse_time fails without a printable reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/k8slog.h"
#include "fuzz/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 5
/* 2023-11-14T22:13:00Z, the minute the seed corpus is written in. */
#define BASE_NS (1699999980LL * 1000000000LL)

/* Every emit() call: stream byte, length, bytes. */
struct transcript {
	uint8_t *buf;
	size_t len, cap;
	size_t lines;     /* emit() calls */
	size_t unended;   /* of those, the ones without a trailing newline */
	bool after_open;  /* a line without its newline was shown: only such lines may follow */
};

static void put(struct transcript *t, const void *p, size_t n)
{
	if (n > t->cap - t->len) {
		size_t cap = t->cap > 0 ? t->cap : 4096;

		while (n > cap - t->len)
			cap *= 2;
		t->buf = realloc(t->buf, cap);
		if (t->buf == NULL)
			abort();
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static int emit(void *arg, enum k8slog_stream s, const char *buf, size_t len)
{
	struct transcript *t = arg;
	uint8_t sb = (uint8_t)s;
	const char *nl = memchr(buf, '\n', len);
	bool ended = len > 0 && buf[len - 1] == '\n';

	if (s != K8SLOG_STDOUT && s != K8SLOG_STDERR)
		abort();
	if (nl != NULL && nl != buf + len - 1)
		abort();
	if (t->after_open && ended)
		abort();
	if (!ended) {
		t->after_open = true;
		t->unended++;
	}
	t->lines++;
	put(t, &sb, 1);
	put(t, &len, sizeof(len));
	put(t, buf, len);
	return 0;
}

/* Renders, checks what every render must satisfy, and returns 0 or -1. */
static int run(const char *log, size_t len, const struct k8slog_filter *f, bool final,
	       struct transcript *t, size_t *consumed)
{
	const char *last_nl = NULL;
	struct berr e = { 0 };

	*consumed = 12345;
	if (k8slog_render(log, len, f, final, emit, t, consumed, &e) < 0) {
		fuzz_check_error(&e);
		if (*consumed != 0)
			abort();
		return -1;
	}
	for (size_t i = len; i > 0; i--)
		if (log[i - 1] == '\n') {
			last_nl = log + i - 1;
			break;
		}
	if (*consumed > len || (*consumed > 0 && log[*consumed - 1] != '\n'))
		abort();
	if (final && *consumed != (last_nl != NULL ? (size_t)(last_nl - log) + 1 : 0))
		abort();
	if (!final && t->unended != 0)
		abort();
	if (t->unended > 2)
		abort();
	if (f->tail >= 0 && t->lines > (size_t)f->tail)
		abort();
	return 0;
}

static void check_render(const char *log, size_t len, const struct k8slog_filter *f,
			 size_t split)
{
	struct transcript whole = { 0 }, open = { 0 }, a = { 0 }, b = { 0 };
	struct k8slog_filter all = *f;
	size_t cw, co, ca, cb;
	int rw, ro;

	rw = run(log, len, f, true, &whole, &cw);
	ro = run(log, len, f, false, &open, &co);
	if (rw != ro || (rw == 0 && co > cw))
		abort();
	free(whole.buf);
	free(open.buf);
	if (rw < 0)
		return;

	/* Follow: what a prefix shows, then what the rest shows from where it stopped, is what
	 * the whole log shows at once (no tail: it counts per call). */
	all.tail = -1;
	whole = (struct transcript){ 0 };
	if (run(log, len, &all, true, &whole, &cw) < 0 ||
	    run(log, split, &all, false, &a, &ca) < 0 || ca > split ||
	    run(log + ca, len - ca, &all, true, &b, &cb) < 0)
		abort();
	if (a.len + b.len != whole.len || memcmp(a.buf, whole.buf, a.len) != 0 ||
	    memcmp(b.buf, whole.buf + a.len, b.len) != 0)
		abort();
	free(whole.buf);
	free(a.buf);
	free(b.buf);
}

static int64_t pick_time(uint8_t b)
{
	return b == 0 ? 0 : BASE_NS + ((int64_t)b - 128) * 1000000000LL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8slog_filter f;
	const char *log;
	size_t len, split;
	char *s;
	int64_t out;
	struct berr e = { 0 };

	if (size < HEADER || size > HEADER + 65536)
		return 0;
	f = (struct k8slog_filter){
		.timestamps = (data[0] & 1) != 0,
		.tail = data[1] < 0x80 ? data[1] % 8 : -1,
		.since_ns = pick_time(data[2]),
		.until_ns = pick_time(data[3]),
	};
	log = (const char *)data + HEADER;
	len = size - HEADER;
	split = len * data[4] / 255;
	check_render(log, len, &f, split);

	s = malloc(len + 1);
	if (s == NULL)
		return 0;
	memcpy(s, log, len);
	s[len] = '\0';
	if (k8slog_parse_time(s, BASE_NS, &out, &e) < 0)
		fuzz_check_error(&e);
	free(s);
	return 0;
}
