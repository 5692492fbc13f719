#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"

void fe_error(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int find_long(const struct fe_opt *opts, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].name != NULL && strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int find_short(const struct fe_opt *opts, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].shortname == c)
			return (int)i;
	return -1;
}

static int unknown(const char *cmdpath, const char *flag)
{
	fe_error("unknown flag: %s\nSee '%s --help'", flag, cmdpath);
	return -1;
}

int fe_parse(const char *cmdpath, const struct fe_opt *opts, size_t nopts, int argc, char **argv,
	     bool stop_at_arg, int (*fn)(int id, const char *value, void *ctx), void *ctx,
	     char ***pos, int *npos)
{
	char **out = calloc((size_t)argc + 1, sizeof(char *));
	int nout = 0;
	bool options = true;

	if (out == NULL) {
		fe_error("out of memory");
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!options || a[0] != '-' || a[1] == '\0') {
			out[nout++] = a;
			if (stop_at_arg)
				options = false;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
			int id = find_long(opts, nopts, name, len);
			const char *val = NULL;
			if (id < 0) {
				char flag[256];
				snprintf(flag, sizeof(flag), "--%.*s", (int)len, name);
				free(out);
				return unknown(cmdpath, flag);
			}
			if (opts[id].has_arg) {
				if (eq != NULL) {
					val = eq + 1;
				} else if (i + 1 < argc) {
					val = argv[++i];
				} else {
					fe_error("flag needs an argument: --%s", opts[id].name);
					free(out);
					return -1;
				}
			} else if (eq != NULL) {
				/* Boolean flags take =true / =false, as cobra's do. */
				if (strcmp(eq + 1, "true") == 0)
					val = NULL;
				else if (strcmp(eq + 1, "false") == 0)
					val = "false";
				else {
					fe_error("invalid argument \"%s\" for \"--%s\" flag: "
						 "strconv.ParseBool: parsing \"%s\": invalid syntax",
						 eq + 1, opts[id].name, eq + 1);
					free(out);
					return -1;
				}
			}
			if (fn(id, val, ctx) < 0) {
				free(out);
				return -1;
			}
			continue;
		}
		/* Short flags, possibly grouped: -abc, -fVALUE, -f VALUE. */
		for (char *c = a + 1; *c != '\0'; c++) {
			int id = find_short(opts, nopts, *c);
			if (id < 0) {
				char flag[8];
				snprintf(flag, sizeof(flag), "-%c", *c);
				free(out);
				return unknown(cmdpath, flag);
			}
			if (opts[id].has_arg) {
				const char *val;
				if (c[1] != '\0')
					val = c + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else {
					fe_error("flag needs an argument: '%c' in -%c", *c, *c);
					free(out);
					return -1;
				}
				if (fn(id, val, ctx) < 0) {
					free(out);
					return -1;
				}
				break;
			}
			if (fn(id, NULL, ctx) < 0) {
				free(out);
				return -1;
			}
		}
	}
	*pos = out;
	*npos = nout;
	return 0;
}

void fe_usage(const char *usage, const char *desc, const struct fe_opt *opts, size_t nopts)
{
	printf("%s\n\nUsage:\n  %s\n", desc, usage);
	if (nopts > 0)
		printf("\nOptions:\n");
	for (size_t i = 0; i < nopts; i++) {
		char left[64];
		if (opts[i].name == NULL)
			continue; /* a slot another command of the same table family uses */
		if (opts[i].shortname != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s", opts[i].shortname, opts[i].name,
				 opts[i].has_arg ? " string" : "");
		else
			snprintf(left, sizeof(left), "    --%s%s", opts[i].name,
				 opts[i].has_arg ? " string" : "");
		printf("  %-28s %s\n", left, opts[i].help);
	}
}

int fe_subcommand(const struct fe_opts *o, const char *group, const char *desc,
		  const struct fe_sub *subs, size_t n, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("%s\n\nUsage:\n  berth %s [command]\n\nAvailable Commands:\n", desc, group);
		for (size_t i = 0; i < n; i++)
			printf("  %s\n", subs[i].name);
		return argc < 2 ? EXIT_BERTH : 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(o, argc - 1, argv + 1);
	fe_error("unrecognized command `berth %s %s`\nTry 'berth %s --help' for more information",
		 group, argv[1], group);
	return EXIT_BERTH;
}
