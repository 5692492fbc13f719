#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The one piece of process-wide state outside main: the logger's name and level, written once
 * by log_init() before the process forks or starts its loop, read-only afterwards. */
static struct {
	char prog[32];
	int level;
} log_cfg = { "berth", LOG_LVL_WARN };

static const char *const level_names[] = {
	"panic", "fatal", "error", "warn", "info", "debug", "trace",
};

void log_init(const char *prog, int level)
{
	snprintf(log_cfg.prog, sizeof(log_cfg.prog), "%s", prog);
	if (level >= LOG_LVL_PANIC && level <= LOG_LVL_TRACE)
		log_cfg.level = level;
}

int log_level(void)
{
	return log_cfg.level;
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_LVL_WARN;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < LOG_LVL_PANIC || level > LOG_LVL_TRACE)
		return "unknown";
	return level_names[level];
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[2048];
	int n;
	va_list ap;

	if (level > log_cfg.level)
		return;
	/* Warnings look like Podman's ("WARN[0000] ..."); debug output names the process, since
	 * several berth processes share one stderr. */
	if (level <= LOG_LVL_WARN)
		n = snprintf(buf, sizeof(buf), "%s[0000] ", level == LOG_LVL_WARN ? "WARN" : "ERRO");
	else
		n = snprintf(buf, sizeof(buf), "%s[%s:%d] ", level == LOG_LVL_INFO ? "INFO" : "DEBU",
			     log_cfg.prog, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	if ((size_t)n < sizeof(buf) - 1)
		buf[n++] = '\n';
	/* One write per line so lines from several processes do not interleave. */
	(void)!write(STDERR_FILENO, buf, (size_t)n);
}
