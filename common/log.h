/* Logging to stderr, Podman's levels. A process keeps its level in its own context and passes
 * it here once at start; nothing else about logging is global. Never log secrets. */
#ifndef BERTH_COMMON_LOG_H
#define BERTH_COMMON_LOG_H

enum log_level {
	LOG_LVL_PANIC = 0,
	LOG_LVL_FATAL,
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL_TRACE,
};

/* The process's log setup, set once in main before any fork. */
void log_init(const char *prog, int level);
int log_level(void);
/* Parses Podman's --log-level names; returns -1 for an unknown name. */
int log_level_parse(const char *name);
const char *log_level_name(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
