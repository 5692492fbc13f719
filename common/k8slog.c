#include "common/k8slog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

#define NSEC_PER_SEC 1000000000LL

/* ------------------------------------------------------------------ time stamps */

/* A broken-down time as written in a log record or typed by the user. */
struct stamp {
	int year, mon, day, hour, min, sec;
	long nsec;
	int off;   /* seconds east of UTC; meaningful when zone is set */
	bool zone; /* "Z" or an offset was given */
};

/* "2026-12-01T10:43:08.123456789+01:00": 35 characters; the buffer leaves room for years
 * past 9999 so a formatting bug cannot truncate silently. */
#define STAMP_MAX 48

/* Formats t with nine fraction digits, as conmon writes it and as podman logs -t prints it.
 * zulu: a zero offset is written "Z" (podman logs -t, which formats with Go's Z07:00);
 * otherwise always as a number (conmon). Returns the length. */
static size_t format_stamp(char out[STAMP_MAX], const struct stamp *t, bool zulu)
{
	int off = t->off < 0 ? -t->off : t->off;
	int n;

	n = snprintf(out, STAMP_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld", t->year, t->mon,
		     t->day, t->hour, t->min, t->sec, t->nsec);
	if (zulu && t->off == 0)
		n += snprintf(out + n, STAMP_MAX - (size_t)n, "Z");
	else
		n += snprintf(out + n, STAMP_MAX - (size_t)n, "%c%02d:%02d",
			      t->off < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
	return (size_t)n;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly n digits at s[*i]. */
static bool take_digits(const char *s, size_t len, size_t *i, int n, int *out)
{
	int v = 0;

	if (*i + (size_t)n > len)
		return false;
	for (int k = 0; k < n; k++) {
		char c = s[*i + (size_t)k];

		if (!is_digit(c))
			return false;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)n;
	*out = v;
	return true;
}

/* Reads a fraction's digits (at least one) at s[*i] as nanoseconds; digits past the ninth are
 * cut, as Go's time parser does. */
static bool take_fraction(const char *s, size_t len, size_t *i, long *nsec)
{
	long v = 0;
	int n = 0;

	while (*i < len && is_digit(s[*i])) {
		if (n < 9) {
			v = v * 10 + (s[*i] - '0');
			n++;
		}
		(*i)++;
	}
	if (n == 0)
		return false;
	for (; n < 9; n++)
		v *= 10;
	*nsec = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Parses DATE [T hh [:mm [:ss [.fraction]]]] [Z | (+|-)hh:mm] from s[0..len). full demands
 * all of RFC3339 (time to the second and a zone), as in a log record. Returns NULL, or why
 * the text is not such a time. */
static const char *parse_stamp(const char *s, size_t len, bool full, struct stamp *t)
{
	size_t i = 0;
	int oh = 0, om = 0;

	memset(t, 0, sizeof(*t));
	if (!take_digits(s, len, &i, 4, &t->year) || i >= len || s[i++] != '-' ||
	    !take_digits(s, len, &i, 2, &t->mon) || i >= len || s[i++] != '-' ||
	    !take_digits(s, len, &i, 2, &t->day))
		return "want a date as 2006-01-02";
	if (i < len && s[i] == 'T') {
		int *field[3] = { &t->hour, &t->min, &t->sec };
		int n = 0;

		/* hh, then :mm and :ss as far as they are given. */
		do {
			i++; /* the 'T' or the ':' */
			if (!take_digits(s, len, &i, 2, field[n++]))
				return "want a time as 15:04:05 after T";
		} while (n < 3 && i < len && s[i] == ':');
		if (n < 3 && full)
			return "want a time as 15:04:05 after T";
		if (n == 3 && i < len && s[i] == '.') {
			i++;
			if (!take_fraction(s, len, &i, &t->nsec))
				return "want digits after the decimal point";
		}
	} else if (full) {
		return "want a time after the date (2006-01-02T15:04:05)";
	}
	if (i < len && s[i] == 'Z') {
		i++;
		t->zone = true;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		bool neg = s[i++] == '-';

		if (!take_digits(s, len, &i, 2, &oh) || i >= len || s[i++] != ':' ||
		    !take_digits(s, len, &i, 2, &om))
			return "want a zone as Z or +07:00";
		t->off = (oh * 3600 + om * 60) * (neg ? -1 : 1);
		t->zone = true;
	} else if (full) {
		return "want a zone as Z or +07:00";
	}
	if (i != len)
		return "unexpected text after the time";
	if (t->mon < 1 || t->mon > 12)
		return "month out of range";
	if (t->day < 1 || t->day > days_in_month(t->year, t->mon))
		return "day out of range";
	if (t->hour > 23 || t->min > 59 || t->sec > 59)
		return "time of day out of range";
	if (oh > 23 || om > 59)
		return "zone offset out of range";
	return NULL;
}

/* Seconds since the epoch of a wall-clock time read as UTC. Years from 1 on. */
static int64_t wall_seconds(const struct stamp *t)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	/* Leap days in the years [1, y): every 4th year, except centuries not divisible by 400. */
	int64_t yb = (int64_t)t->year - 1;
	int64_t leaps = yb / 4 - yb / 100 + yb / 400 - (1969 / 4 - 1969 / 100 + 1969 / 400);
	int64_t days = 365 * ((int64_t)t->year - 1970) + leaps + before[t->mon - 1] +
		       (t->mon > 2 && is_leap(t->year)) + t->day - 1;

	return days * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

static bool seconds_to_ns(int64_t secs, long nsec, int64_t *out)
{
	int64_t ns;

	return !__builtin_mul_overflow(secs, NSEC_PER_SEC, &ns) &&
	       !__builtin_add_overflow(ns, (int64_t)nsec, out);
}

/* The instant t names, in Unix nanoseconds: at its own offset, or in local time when it has
 * none (the offset in force at that date, found by asking localtime_r twice: once near the
 * answer, then at the answer, which settles a date on the other side of a DST change). */
static bool stamp_to_ns(const struct stamp *t, int64_t *out)
{
	int64_t secs;

	if (t->year < 1)
		return false;
	secs = wall_seconds(t);
	if (t->zone) {
		secs -= t->off;
	} else {
		struct tm tm;
		time_t guess = (time_t)secs;

		if (localtime_r(&guess, &tm) == NULL)
			return false;
		guess = (time_t)(secs - tm.tm_gmtoff);
		if (localtime_r(&guess, &tm) == NULL)
			return false;
		secs -= tm.tm_gmtoff;
	}
	return seconds_to_ns(secs, t->nsec, out);
}

/* Writes s[0..n) into out as a double-quoted string fit for a one-line, printable message:
 * bytes outside printable ASCII as \xNN, quotes and backslashes escaped, cut with "..." when
 * long. */
static void quote(char *out, size_t outlen, const char *s, size_t n)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		int tl;

		if (c < 0x20 || c > 0x7e)
			tl = snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else if (c == '"' || c == '\\')
			tl = snprintf(tmp, sizeof(tmp), "\\%c", c);
		else
			tl = snprintf(tmp, sizeof(tmp), "%c", c);
		if (o + (size_t)tl + 5 > outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, (size_t)tl);
		o += (size_t)tl;
	}
	out[o++] = '"';
	out[o] = '\0';
}

#define QUOTE_MAX 80

/* ------------------------------------------------------------------ writer */

/* Records are gathered here and written with as few write() calls as fit; one record larger
 * than this goes out in pieces. Nothing stays in it between calls. */
#define WRITER_BUF (64 * 1024)

struct k8slog_writer {
	int dirfd;         /* not owned: the caller's log directory, used again to rotate */
	int fd;            /* owned: the log file being appended to */
	char *name;        /* owned: the file's name under dirfd */
	char *name1;       /* owned: name + ".1", where a rotation moves the full file */
	uint64_t max_size; /* 0: never rotate */
	uint64_t size;     /* bytes in the file fd refers to */
	/* fd already is name.1: a rotation renamed it but could not open a fresh name, so the
	 * next one only retries the open (renaming again would put whatever name is by then, or
	 * nothing, in place of the records just rotated out). */
	bool detached;
	/* The file ends inside a record: a write failed part-way through one. */
	bool mid_record;
	size_t used;          /* bytes of buf waiting to be written */
	char buf[WRITER_BUF]; /* records on their way to fd */
};

static int open_log(struct k8slog_writer *w, struct berr *e)
{
	cleanup_close int fd = -1;
	struct stat st;

	fd = openat(w->dirfd, w->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return berr_sys(e, "opening log file %s", w->name);
	if (fstat(fd, &st) < 0)
		return berr_sys(e, "log file %s", w->name);
	if (!S_ISREG(st.st_mode))
		return berr_set(e, BERR_INVALID, 0, "log file %s is not a regular file", w->name);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = TAKE_FD(fd);
	w->size = (uint64_t)st.st_size;
	w->mid_record = false;
	return 0;
}

struct k8slog_writer *k8slog_writer_open(int dirfd, const char *name, uint64_t max_size,
					 struct berr *e)
{
	struct k8slog_writer *w;
	size_t n = name != NULL ? strlen(name) : 0;

	/* A plain name: rotation appends ".1" to it, and a path could leave the directory the
	 * sandbox confines the writer to. */
	if (n == 0 || n + 2 > NAME_MAX || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		berr_set(e, BERR_INVALID, 0, "invalid log file name");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		return NULL;
	}
	w->dirfd = dirfd;
	w->fd = -1;
	w->max_size = max_size;
	w->name = strdup(name);
	if (w->name != NULL && asprintf(&w->name1, "%s.1", name) < 0)
		w->name1 = NULL;
	if (w->name == NULL || w->name1 == NULL) {
		berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
		k8slog_writer_close(w);
		return NULL;
	}
	if (open_log(w, e) < 0) {
		k8slog_writer_close(w);
		return NULL;
	}
	return w;
}

void k8slog_writer_close(struct k8slog_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->name);
	free(w->name1);
	free(w);
}

/* Writes p[0..n) to the file in full, retrying on EINTR and short writes. Keeps size and
 * mid_record true to what reached the file, even when it fails part-way: a record never
 * holds '\n' but at its end, so the last byte written says whether the file ends between
 * records. */
static int put(struct k8slog_writer *w, const char *p, size_t n, struct berr *e)
{
	while (n > 0) {
		ssize_t r = write(w->fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return berr_sys(e, "writing log file %s", w->name);
		}
		w->size += (uint64_t)r;
		w->mid_record = p[r - 1] != '\n';
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int flush(struct k8slog_writer *w, struct berr *e)
{
	size_t n = w->used;

	/* Whatever happens, these bytes are done with: on failure they are dropped, never
	 * written twice. */
	w->used = 0;
	return put(w, w->buf, n, e);
}

/* Queues p[0..n) after what is queued, writing first when it would not fit. */
static int append(struct k8slog_writer *w, const char *p, size_t n, struct berr *e)
{
	if (n > sizeof(w->buf) - w->used && flush(w, e) < 0)
		return -1;
	if (n > sizeof(w->buf))
		return put(w, p, n, e);
	memcpy(w->buf + w->used, p, n);
	w->used += n;
	return 0;
}

/* Moves the full file to name.1 and starts a fresh name. */
static int rotate(struct k8slog_writer *w, struct berr *e)
{
	if (!w->detached) {
		if (renameat(w->dirfd, w->name, w->dirfd, w->name1) < 0)
			return berr_sys(e, "rotating log file %s", w->name);
		w->detached = true;
	}
	if (open_log(w, e) < 0)
		return berr_wrap(e, "rotating log file %s", w->name);
	w->detached = false;
	return 0;
}

int k8slog_write(struct k8slog_writer *w, enum k8slog_stream s, const char *buf, size_t len,
		 const struct timespec *now, struct berr *e)
{
	char head[STAMP_MAX + 16];
	struct stamp t;
	struct tm tm;
	size_t hlen;

	if (s != K8SLOG_STDOUT && s != K8SLOG_STDERR)
		return berr_set(e, BERR_INTERNAL, 0, "log: unknown stream %d", (int)s);
	if (now->tv_nsec < 0 || now->tv_nsec >= NSEC_PER_SEC)
		return berr_set(e, BERR_INTERNAL, 0, "log: invalid time");
	if (len == 0)
		return 0;
	if (localtime_r(&now->tv_sec, &tm) == NULL)
		return berr_sys(e, "log: local time");
	t = (struct stamp){
		.year = tm.tm_year + 1900, .mon = tm.tm_mon + 1, .day = tm.tm_mday,
		.hour = tm.tm_hour, .min = tm.tm_min, .sec = tm.tm_sec,
		.nsec = now->tv_nsec, .off = (int)tm.tm_gmtoff, .zone = true,
	};
	hlen = format_stamp(head, &t, false);
	hlen += (size_t)snprintf(head + hlen, sizeof(head) - hlen, " %s ? ",
				 s == K8SLOG_STDOUT ? "stdout" : "stderr");

	/* End a record a failed write cut short, so what follows is read as records again. */
	if (w->mid_record && append(w, "\n", 1, e) < 0)
		goto fail;
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t clen = nl != NULL ? (size_t)(nl - buf) : len;
		uint64_t rec = hlen + clen + 1, have = w->size + w->used;

		/* A fresh file takes any record, however large: rotating again would only
		 * move an empty file over the older records. */
		if (w->max_size > 0 && have > 0 && have + rec > w->max_size &&
		    (flush(w, e) < 0 || rotate(w, e) < 0))
			goto fail;
		head[hlen - 2] = nl != NULL ? 'F' : 'P';
		if (append(w, head, hlen, e) < 0 || append(w, buf, clen, e) < 0 ||
		    append(w, "\n", 1, e) < 0)
			goto fail;
		buf += clen;
		len -= clen;
		if (nl != NULL) {
			buf++;
			len--;
		}
	}
	if (flush(w, e) < 0)
		goto fail;
	return 0;
fail:
	w->used = 0;
	return -1;
}

/* ------------------------------------------------------------------ reader */

/* One record, pointing into the caller's buffer. */
struct record {
	struct stamp stamp;
	int64_t ns;
	enum k8slog_stream stream;
	bool partial;
	const char *content; /* not owned */
	size_t clen;
};

/* Parses the record line[0..n) (its '\n' left off), line number lineno. */
static int parse_record(const char *line, size_t n, size_t lineno, struct record *r,
			struct berr *e)
{
	const char *end = line + n, *f[3], *p = line;
	size_t flen[3];
	char q[QUOTE_MAX];
	const char *why;

	/* TIME, STREAM and TAG each end at a space; CONTENT is the rest, spaces and all. */
	for (int i = 0; i < 3; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		if (sp == NULL)
			return berr_set(e, BERR_INVALID, 0,
					"log file line %zu: missing fields (want TIME STREAM F|P "
					"CONTENT)", lineno);
		f[i] = p;
		flen[i] = (size_t)(sp - p);
		p = sp + 1;
	}
	why = parse_stamp(f[0], flen[0], true, &r->stamp);
	if (why == NULL && !stamp_to_ns(&r->stamp, &r->ns))
		why = "out of range";
	if (why != NULL) {
		quote(q, sizeof(q), f[0], flen[0]);
		return berr_set(e, BERR_INVALID, 0, "log file line %zu: invalid time %s: %s",
				lineno, q, why);
	}
	if (flen[1] == 6 && memcmp(f[1], "stdout", 6) == 0) {
		r->stream = K8SLOG_STDOUT;
	} else if (flen[1] == 6 && memcmp(f[1], "stderr", 6) == 0) {
		r->stream = K8SLOG_STDERR;
	} else {
		quote(q, sizeof(q), f[1], flen[1]);
		return berr_set(e, BERR_INVALID, 0,
				"log file line %zu: unknown stream %s (want stdout or stderr)",
				lineno, q);
	}
	if (flen[2] != 1 || (f[2][0] != 'F' && f[2][0] != 'P')) {
		quote(q, sizeof(q), f[2], flen[2]);
		return berr_set(e, BERR_INVALID, 0,
				"log file line %zu: unknown tag %s (want F or P)", lineno, q);
	}
	r->partial = f[2][0] == 'P';
	r->content = p;
	r->clen = (size_t)(end - p);
	return 0;
}

/* What the first pass learns about buf. */
struct scan {
	size_t end;        /* end of the last complete record */
	size_t clean;      /* end of the last record after which no logical line is open */
	uint64_t complete; /* logical lines completed (F records) in [0, end) */
	uint64_t open;     /* logical lines still open at end (0, 1 or 2) */
};

/* Checks every complete record and counts logical lines. */
static int scan(const char *buf, size_t len, struct scan *sc, struct berr *e)
{
	bool open[2] = { false, false };
	size_t pos = 0, lineno = 0;

	memset(sc, 0, sizeof(*sc));
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		struct record r;

		if (nl == NULL)
			break;
		if (parse_record(buf + pos, (size_t)(nl - (buf + pos)), ++lineno, &r, e) < 0)
			return -1;
		open[r.stream - 1] = r.partial;
		if (!r.partial)
			sc->complete++;
		pos = (size_t)(nl - buf) + 1;
		if (!open[0] && !open[1])
			sc->clean = pos;
	}
	sc->end = pos;
	sc->open = (uint64_t)open[0] + (uint64_t)open[1];
	return 0;
}

/* A logical line being gathered, one per stream. */
struct line {
	bool started; /* a record of this line has been seen */
	bool keep;    /* its first record is within since/until */
	size_t start; /* offset of its first record, to order the lines left open at the end */
	char *buf;    /* owned: timestamp prefix and content so far */
	size_t len, cap;
};

struct render {
	const struct k8slog_filter *f;
	k8slog_emit_fn emit;
	void *arg;
	uint64_t done; /* logical lines completed so far, shown or not */
	uint64_t skip; /* the first lines that --tail leaves out */
	struct line line[2];
	struct berr *e;
};

static int line_add(struct render *R, struct line *l, const char *p, size_t n)
{
	if (n > l->cap - l->len) {
		size_t cap = l->cap > 0 ? l->cap : 256;
		char *nb;

		while (n > cap - l->len) {
			if (cap > SIZE_MAX / 2)
				return berr_set(R->e, BERR_SYSTEM, ENOMEM, "log line too long");
			cap *= 2;
		}
		nb = realloc(l->buf, cap);
		if (nb == NULL)
			return berr_set(R->e, BERR_SYSTEM, ENOMEM, "out of memory");
		l->buf = nb;
		l->cap = cap;
	}
	if (n > 0)
		memcpy(l->buf + l->len, p, n);
	l->len += n;
	return 0;
}

static bool in_window(const struct k8slog_filter *f, int64_t ns)
{
	return (f->since_ns == 0 || ns >= f->since_ns) && (f->until_ns == 0 || ns <= f->until_ns);
}

/* Ends stream s's line: shows it unless filtered out or before the tail. */
static int line_end(struct render *R, enum k8slog_stream s, bool newline)
{
	struct line *l = &R->line[s - 1];
	bool show = l->keep && R->done >= R->skip;

	R->done++;
	l->started = false;
	if (!show)
		return 0;
	if (newline && line_add(R, l, "\n", 1) < 0)
		return -1;
	if (R->emit(R->arg, s, l->buf, l->len) < 0)
		return berr_sys(R->e, "writing the log");
	return 0;
}

static int render_record(struct render *R, const struct record *r, size_t off)
{
	struct line *l = &R->line[r->stream - 1];

	if (!l->started) {
		l->started = true;
		l->keep = in_window(R->f, r->ns);
		l->start = off;
		l->len = 0;
		if (l->keep && R->f->timestamps) {
			char ts[STAMP_MAX + 1];
			size_t n = format_stamp(ts, &r->stamp, true);

			ts[n++] = ' ';
			if (line_add(R, l, ts, n) < 0)
				return -1;
		}
	}
	if (l->keep && line_add(R, l, r->content, r->clen) < 0)
		return -1;
	return r->partial ? 0 : line_end(R, r->stream, true);
}

static int render_all(struct render *R, const char *buf, size_t upto, bool final)
{
	size_t pos = 0, lineno = 0;

	while (pos < upto) {
		const char *nl = memchr(buf + pos, '\n', upto - pos);
		struct record r;

		/* The first pass checked every record up to here. */
		if (nl == NULL ||
		    parse_record(buf + pos, (size_t)(nl - (buf + pos)), ++lineno, &r, R->e) < 0)
			return berr_set(R->e, BERR_INTERNAL, 0, "log: records changed under the reader");
		if (render_record(R, &r, pos) < 0)
			return -1;
		pos = (size_t)(nl - buf) + 1;
	}
	if (!final)
		return 0;
	/* The lines still open, shown as they are, the one started first first. */
	for (int k = 0; k < 2; k++) {
		struct line *a = &R->line[0], *b = &R->line[1];
		enum k8slog_stream s;

		if (a->started && (!b->started || a->start < b->start))
			s = K8SLOG_STDOUT;
		else if (b->started)
			s = K8SLOG_STDERR;
		else
			break;
		if (line_end(R, s, false) < 0)
			return -1;
	}
	return 0;
}

int k8slog_render(const char *buf, size_t len, const struct k8slog_filter *f, bool final,
		  k8slog_emit_fn emit, void *arg, size_t *consumed, struct berr *e)
{
	struct render R = { .f = f, .emit = emit, .arg = arg, .e = e };
	struct scan sc;
	uint64_t total;
	int rc;

	*consumed = 0;
	if (scan(buf, len, &sc, e) < 0)
		return -1;
	/* Every logical line counts towards the tail, the open ones too: they are shown now
	 * (final) or by a later call. */
	total = sc.complete + sc.open;
	if (f->tail >= 0 && total > (uint64_t)f->tail)
		R.skip = total - (uint64_t)f->tail;
	rc = render_all(&R, buf, final ? sc.end : sc.clean, final);
	free(R.line[0].buf);
	free(R.line[1].buf);
	if (rc < 0)
		return -1;
	*consumed = final ? sc.end : sc.clean;
	return 0;
}

/* ------------------------------------------------------------------ --since / --until */

/* Parses a Go duration ([-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, units ns us µs μs ms s m h) into
 * nanoseconds. Returns 0, -1 when s is not a duration, -2 when it is one out of range. */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "\xc2\xb5s", 1000 }, /* U+00B5 MICRO SIGN */
		{ "\xce\xbcs", 1000 }, /* U+03BC GREEK SMALL LETTER MU */
		{ "ms", 1000000 },
		{ "s", NSEC_PER_SEC },
		{ "m", 60 * NSEC_PER_SEC },
		{ "h", 3600 * NSEC_PER_SEC },
	};
	const uint64_t limit = (uint64_t)INT64_MAX + 1; /* |INT64_MIN| */
	uint64_t total = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		uint64_t whole = 0, frac = 0, scale = 1, unit = 0, v;
		bool digits = false, big = false;
		size_t ulen;

		for (; is_digit(*s); s++, digits = true) {
			if (whole > (limit - 9) / 10)
				big = true;
			else
				whole = whole * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.') {
			/* Digits past what 64 bits keep change nothing that shows in nanoseconds. */
			for (s++; is_digit(*s); s++, digits = true)
				if (scale <= UINT64_MAX / 10) {
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
		}
		if (!digits)
			return -1;
		ulen = strcspn(s, ".0123456789");
		for (size_t k = 0; k < ARRAY_SIZE(units); k++)
			if (strlen(units[k].name) == ulen && memcmp(s, units[k].name, ulen) == 0)
				unit = units[k].ns;
		if (unit == 0)
			return -1;
		s += ulen;
		if (big || whole > limit / unit)
			return -2;
		v = whole * unit;
		if (frac > 0)
			v += (uint64_t)((unsigned __int128)frac * unit / scale);
		if (v > limit - total)
			return -2;
		total += v;
	}
	if (!neg && total > (uint64_t)INT64_MAX)
		return -2;
	*out = neg ? (int64_t)(0 - total) : (int64_t)total;
	return 0;
}

/* Unix seconds with an optional fraction: 1700000000, 1700000000.5. */
static int parse_unix(const char *s, int64_t *out)
{
	int64_t secs = 0;
	long nsec = 0;
	size_t i = 0, len = strlen(s);

	if (!is_digit(s[0]))
		return -1;
	for (; is_digit(s[i]); i++)
		if (__builtin_mul_overflow(secs, 10, &secs) ||
		    __builtin_add_overflow(secs, s[i] - '0', &secs))
			return -2;
	if (s[i] == '.') {
		i++;
		if (!take_fraction(s, len, &i, &nsec))
			return -1;
	}
	if (i != len)
		return -1;
	return seconds_to_ns(secs, nsec, out) ? 0 : -2;
}

int k8slog_parse_time(const char *s, int64_t now_ns, int64_t *out_ns, struct berr *e)
{
	char q[QUOTE_MAX];
	struct stamp t;
	int64_t d;
	int rc;

	quote(q, sizeof(q), s, strlen(s));
	/* "0" is Unix time 0, not a zero duration, as in Podman. */
	rc = strcmp(s, "0") != 0 ? parse_duration(s, &d) : -1;
	if (rc == 0) {
		if (__builtin_sub_overflow(now_ns, d, out_ns))
			return berr_set(e, BERR_INVALID, 0, "time %s is out of range", q);
		return 0;
	}
	if (rc == -2)
		return berr_set(e, BERR_INVALID, 0, "duration %s is out of range", q);
	/* A date: four digits and a dash, which neither a duration nor Unix seconds have. */
	if (strlen(s) >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
	    is_digit(s[3]) && s[4] == '-') {
		const char *why = parse_stamp(s, strlen(s), false, &t);

		if (why != NULL)
			return berr_set(e, BERR_INVALID, 0, "invalid time %s: %s", q, why);
		if (!stamp_to_ns(&t, out_ns))
			return berr_set(e, BERR_INVALID, 0, "time %s is out of range", q);
		return 0;
	}
	rc = parse_unix(s, out_ns);
	if (rc == -2)
		return berr_set(e, BERR_INVALID, 0, "time %s is out of range", q);
	if (rc < 0)
		return berr_set(e, BERR_INVALID, 0,
				"invalid time %s: want a timestamp (2006-01-02T15:04:05Z07:00), a "
				"date (2006-01-02), Unix seconds or a duration (10m)", q);
	return 0;
}
