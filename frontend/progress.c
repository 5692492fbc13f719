#include "frontend/progress.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontend/humanize.h"

#define MAX_BARS 32

struct bar {
	char id[16];
	uint64_t current, total;
	double started;
	bool done;
};

struct progress {
	bool tty;
	struct bar bars[MAX_BARS];
	size_t n;
	size_t drawn;     /* bar lines currently on screen below the last plain line */
	double last_draw;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress *progress_new(void)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (p != NULL)
		p->tty = isatty(STDERR_FILENO) == 1;
	return p;
}

void progress_free(struct progress *p)
{
	free(p);
}

static void erase(struct progress *p)
{
	/* Up over the bars, clearing each line. */
	for (size_t i = 0; i < p->drawn; i++)
		fputs("\033[1A\033[2K", stderr);
	p->drawn = 0;
}

static void draw(struct progress *p)
{
	double t = now_s();

	for (size_t i = 0; i < p->n; i++) {
		struct bar *b = &p->bars[i];
		char cur[32], tot[32], rate[32];
		char meter[32];
		int width = 25, fill = 0;
		human_size(b->current, cur, sizeof(cur));
		human_size(b->total, tot, sizeof(tot));
		double el = t - b->started;
		human_size(el > 0.05 ? (uint64_t)((double)b->current / el) : 0, rate, sizeof(rate));
		if (b->total > 0)
			fill = (int)((double)width * (double)(b->current > b->total ? b->total
										     : b->current) /
				     (double)b->total);
		for (int k = 0; k < width; k++)
			meter[k] = k < fill ? '=' : (k == fill ? '>' : ' ');
		meter[width] = '\0';
		if (b->done)
			fprintf(stderr, "Copying blob %s done   | %s\n", b->id, tot);
		else
			fprintf(stderr, "Copying blob %s [%s] %s / %s (%s/s)\n", b->id, meter, cur,
				b->total > 0 ? tot : "?", rate);
	}
	p->drawn = p->n;
	p->last_draw = t;
}

static struct bar *find(struct progress *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->bars[i].id, id) == 0)
			return &p->bars[i];
	if (p->n == MAX_BARS)
		return NULL;
	struct bar *b = &p->bars[p->n++];
	memset(b, 0, sizeof(*b));
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->started = now_s();
	return b;
}

void progress_show(struct progress *p, const struct msg_progress *m)
{
	if (m->layer != NULL) {
		if (!p->tty)
			return; /* plain output has its own lines */
		struct bar *b = find(p, m->layer);
		if (b == NULL)
			return;
		b->current = m->current;
		b->total = m->total;
		if (now_s() - p->last_draw < 0.1 && b->current < b->total)
			return;
		erase(p);
		draw(p);
		fflush(stderr);
		return;
	}
	if (m->line == NULL)
		return;
	if (p->tty) {
		/* "Copying blob X" / "... done": on a terminal the bars say it. */
		char id[16];
		if (sscanf(m->line, "Copying blob %15s", id) == 1 &&
		    strstr(m->line, "skipped") == NULL) {
			struct bar *b = find(p, id);
			if (b != NULL && strstr(m->line, " done") != NULL) {
				b->done = true;
				b->current = b->total;
			}
			erase(p);
			draw(p);
			fflush(stderr);
			return;
		}
		bool all_done = true;
		for (size_t i = 0; i < p->n; i++)
			all_done = all_done && p->bars[i].done;
		if (all_done) {
			/* Finished bars stay where they are, above what follows. */
			p->n = 0;
			p->drawn = 0;
			fprintf(stderr, "%s\n", m->line);
		} else {
			erase(p);
			fprintf(stderr, "%s\n", m->line);
			draw(p);
		}
	} else {
		fprintf(stderr, "%s\n", m->line);
	}
	fflush(stderr);
}
