/* Detach keys (Podman's default ctrl-p,ctrl-q): a scanner over a terminal's input, fed piece
 * by piece, that passes everything on except a complete detach sequence. Pure. */
#ifndef BERTH_COMMON_DETACHKEYS_H
#define BERTH_COMMON_DETACHKEYS_H

#include <stdbool.h>
#include <stddef.h>

#define DETACH_KEYS_MAX 8

struct detach_keys {
	unsigned char seq[DETACH_KEYS_MAX];
	size_t len;            /* 0: detaching is off */
	size_t matched;        /* how much of seq the input ends with, held back */
};

/* The default sequence, ctrl-p then ctrl-q. */
void detach_keys_default(struct detach_keys *d);

/* Podman's --detach-keys form: comma-separated keys, each a single character or ctrl- and
 * one of a-z @ [ \\ ] ^ _ ("ctrl-a,x"); "" turns detaching off. Returns 0, or -1 (d
 * unchanged) for a malformed or too long sequence. */
int detach_keys_parse(struct detach_keys *d, const char *spec);

/* Scans in[0..n): writes what is to be passed on to out (room for n + DETACH_KEYS_MAX bytes:
 * held-back bytes of a sequence that did not complete come out first) and returns its length.
 * *hit is set when the whole sequence was typed; the bytes after it are dropped. */
size_t detach_keys_scan(struct detach_keys *d, const unsigned char *in, size_t n,
			unsigned char *out, bool *hit);

#endif
