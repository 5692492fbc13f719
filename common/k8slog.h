/* The "k8s-file" container log format, as Podman's conmon writes it and `podman logs` reads it.
 *
 * One record per line:  TIMESTAMP STREAM TAG CONTENT\n
 *   TIMESTAMP  RFC3339 with nanoseconds and a numeric offset, in local time
 *              (2026-12-01T10:43:08.123456789+01:00)
 *   STREAM     stdout | stderr
 *   TAG        F: CONTENT was followed by a newline in the container's output;
 *              P: a piece without its newline yet, continued by the next record(s) of the
 *                 same stream up to and including an F record (one "logical line").
 *   CONTENT    any bytes but '\n' (the newline that ended it is the record's terminator).
 *
 * The writer runs inside berth-launch's sandbox, so it makes no system call but write, openat,
 * renameat, fstat and close, and only on the fds it is given (glibc issues fstat as newfstatat,
 * and renameat as renameat2 where the architecture has no renameat, as on aarch64; localtime_r
 * reads no file once tzset() ran). The reader side is pure: it
 * takes bytes in memory and calls back with the lines to show. No threads, no global state. */
#ifndef BERTH_COMMON_K8SLOG_H
#define BERTH_COMMON_K8SLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

enum k8slog_stream { K8SLOG_STDOUT = 1, K8SLOG_STDERR = 2 };

/* ------------------------------------------------------------------ writer */

struct k8slog_writer;

/* Opens (O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW, mode 0600) the regular file name under
 * dirfd, appending to what it already holds. dirfd is not taken, but it is used again for every
 * rotation, so it must stay open until k8slog_writer_close(). max_size is the size in bytes the
 * file should not grow past (0: never rotate). name is copied. The writer assumes an existing
 * file ends with a whole record (the writer never leaves it otherwise, see k8slog_write).
 * Returns the writer, or NULL with *e set. */
struct k8slog_writer *k8slog_writer_open(int dirfd, const char *name, uint64_t max_size,
					 struct berr *e);

/* Appends one chunk of stream s's output as records: each '\n'-terminated piece an F record, a
 * trailing piece without its newline a P record (a chunk of only "\n" gives one F record with
 * empty content; an empty chunk writes nothing). *now stamps every record of the chunk, in
 * local time (the caller runs tzset() before entering its sandbox, so localtime_r reads no
 * file).
 *
 * Rotation: when a record would take the file past max_size, name is renamed to name.1
 * (replacing an older name.1) and a fresh name is started; a single record larger than
 * max_size is still written whole, into the fresh file. The records of a chunk reach the file
 * when this returns (nothing stays buffered between calls).
 *
 * Returns 0, or -1 with *e set. On failure the records of the chunk that were not written are
 * lost, and the writer stays usable: if a write stopped inside a record, the next call first
 * ends that record with a newline so later records stay intact; a failed rotation is retried
 * by the next record that needs it. */
int k8slog_write(struct k8slog_writer *w, enum k8slog_stream s, const char *buf, size_t len,
		 const struct timespec *now, struct berr *e);

/* Closes the file and frees w (NULL is fine). */
void k8slog_writer_close(struct k8slog_writer *w);

/* ------------------------------------------------------------------ reader */

struct k8slog_filter {
	/* Unix nanoseconds; 0 = unbounded. A logical line is shown when
	 * since_ns <= the time of its first record <= until_ns. */
	int64_t since_ns, until_ns;
	/* -1: all lines; N >= 0: only the last N logical lines (applied before since/until, as
	 * podman logs does). */
	long tail;
	/* -t: prefix each line with its first record's time, as podman logs -t prints it
	 * (2026-12-01T10:43:08.123456789+01:00, nine digits, "Z" for a zero offset), and a space. */
	bool timestamps;
};

/* Called once per logical line with its stream, its content and its newline (all in buf).
 * Returns 0 to go on, or -1 with errno set to stop: k8slog_render then fails with that errno. */
typedef int (*k8slog_emit_fn)(void *arg, enum k8slog_stream s, const char *buf, size_t len);

/* Renders the records in buf[0..len) (the rotated file's content followed by the current
 * file's) as podman logs shows them: each logical line (the content of its P records joined
 * with its F record's) passed to emit() with its newline, in the order the lines were
 * completed.
 *
 * Only complete records are read: an incomplete last record (no '\n' yet, as when following a
 * growing file) is left for the next call. When final is false, a logical line still open at
 * the end (P records without their F) is kept for the next call too, and so is every record
 * after the first such line's start, since the next call must begin where no line is open (a
 * line of the other stream completed after that point is held back until then, so nothing is
 * shown twice or out of order). When final is true, open lines are shown as they are, without
 * a newline, and everything complete is consumed.
 *
 * *consumed is set to the number of bytes taken (always the end of a record); the caller
 * passes buf + *consumed again, with what arrived since, on the next call. With tail >= 0,
 * the count covers every logical line in buf, lines still open included (as podman counts a
 * trailing partial line), so a caller that renders the initial content with tail = N and then
 * later chunks with tail = -1 shows N lines from the initial content in all, unless more than
 * N lines are held back by an open line of the other stream.
 *
 * Returns 0, or -1 with *e set: a malformed record is an error naming its line, counted from
 * the start of buf ("log file line 12: ..."), before anything is emitted; an emit() failure
 * stops rendering. *consumed is 0 after an error. */
int k8slog_render(const char *buf, size_t len, const struct k8slog_filter *f, bool final,
		  k8slog_emit_fn emit, void *arg, size_t *consumed, struct berr *e);

/* Parses a --since/--until value as podman logs takes it, into Unix nanoseconds:
 *  - an RFC3339 / RFC3339Nano timestamp with "Z" or a numeric offset
 *    (2006-01-02T15:04:05Z, 2006-01-02T15:04:05.999999999+07:00);
 *  - the same without a zone, in local time, with fewer parts allowed: 2006-01-02,
 *    2006-01-02T15, 2006-01-02T15:04, 2006-01-02T15:04:05[.999999999]; a date alone may carry
 *    a zone (2006-01-02Z, 2006-01-02+07:00);
 *  - Unix seconds with an optional fraction (1700000000, 1700000000.5);
 *  - a Go duration ago (10m, 1h30m, 90s, 1.5h, 500ms; units ns us µs ms s m h), counted back
 *    from now_ns ("0" alone is Unix time 0, as in Podman).
 * Fractions beyond nine digits are cut. Times outside what int64 nanoseconds hold (years
 * 1678-2261) are refused. Returns 0, or -1 with *e set (BERR_INVALID). */
int k8slog_parse_time(const char *s, int64_t now_ns, int64_t *out_ns, struct berr *e);

#endif
