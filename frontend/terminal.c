/* The user's terminal for -t: see terminal.h. */
#include "frontend/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"

/* The write end of the SIGWINCH pipe. A signal handler can reach nothing else: this is the one
 * piece of state the frontend keeps outside main's structures. */
static volatile sig_atomic_t winch_fd = -1;

static void on_winch(int sig)
{
	int saved = errno;
	(void)sig;
	if (winch_fd >= 0)
		(void)!write(winch_fd, "w", 1);
	errno = saved;
}

int fe_term_begin(struct fe_term *t, bool raw)
{
	struct sigaction sa;

	memset(t, 0, sizeof(*t));
	t->winch[0] = t->winch[1] = -1;
	if (pipe2(t->winch, O_CLOEXEC | O_NONBLOCK) < 0) {
		fe_error("pipe: %m");
		return -1;
	}
	winch_fd = t->winch[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	if (raw && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		struct termios r = t->saved;
		cfmakeraw(&r);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &r) == 0)
			t->raw = true;
	}
	return 0;
}

void fe_term_end(struct fe_term *t)
{
	if (t->raw)
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
	t->raw = false;
	signal(SIGWINCH, SIG_DFL);
	winch_fd = -1;
	for (int i = 0; i < 2; i++)
		if (t->winch[i] >= 0)
			close(t->winch[i]);
	t->winch[0] = t->winch[1] = -1;
}
