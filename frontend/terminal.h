/* The user's terminal for -t: raw mode while attached, and SIGWINCH turned into a byte on a
 * pipe (for the container's monitor, or for the attach loop to poll). */
#ifndef BERTH_FRONTEND_TERMINAL_H
#define BERTH_FRONTEND_TERMINAL_H

#include <stdbool.h>
#include <termios.h>

struct fe_term {
	bool raw;                 /* saved holds the mode to restore */
	struct termios saved;
	int winch[2];             /* owned; -1 when not watching */
};

/* Raw mode on stdin when it is a terminal (and raw is asked), and the SIGWINCH pipe. Returns
 * 0 or -1 after printing the error. */
int fe_term_begin(struct fe_term *t, bool raw);
/* Restores the terminal, stops watching SIGWINCH, closes the pipe. */
void fe_term_end(struct fe_term *t);

#endif
