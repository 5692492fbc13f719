#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "frontend/frontend.h"
#include "frontend/output.h"
#include "ipc/msg.h"

enum { V_FORMAT, V_HELP };

static const struct fe_opt version_opts[] = {
	[V_FORMAT] = { "format", 'f', true, "Change the output format to JSON" },
	[V_HELP] = { "help", 'h', false, "Help for version" },
};

struct version_ctx {
	const char *format;
	bool help;
};

static int version_opt(int id, const char *val, void *ctx)
{
	struct version_ctx *v = ctx;
	if (id == V_FORMAT)
		v->format = val;
	else
		v->help = val == NULL;
	return 0;
}

static const char *oci_arch(void)
{
	static struct utsname u; /* read-only after the first call; single-threaded process */
	if (uname(&u) < 0)
		return "unknown";
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	return u.machine;
}

int cmd_version(const struct fe_opts *o, int argc, char **argv)
{
	struct version_ctx v = { 0 };
	char **pos = NULL;
	int npos = 0;
	char osarch[80], api[16];

	(void)o;
	if (fe_parse("berth version", version_opts, ARRAY_SIZE(version_opts), argc, argv, false,
		     version_opt, &v, &pos, &npos) < 0)
		return EXIT_BERTH;
	free(pos);
	if (v.help) {
		fe_usage("berth version [options]", "Display the berth version information",
			 version_opts, ARRAY_SIZE(version_opts));
		return 0;
	}
	if (npos > 0) {
		fe_error("`berth version` takes no arguments");
		return EXIT_BERTH;
	}
	snprintf(osarch, sizeof(osarch), "linux/%s", oci_arch());
	snprintf(api, sizeof(api), "%d", BERTH_PROTOCOL_VERSION);
	if (v.format != NULL) {
		if (strcmp(v.format, "json") != 0) {
			fe_error("unsupported --format \"%s\": berth supports json", v.format);
			return EXIT_BERTH;
		}
		json_t *root = json_pack("{s:{s:s,s:s,s:s,s:s}}", "Client", "Version", BERTH_VERSION,
					 "APIVersion", api, "BuiltTime", __DATE__ " " __TIME__,
					 "OsArch", osarch);
		int rc = root == NULL || out_json(stdout, root) < 0 ? EXIT_BERTH : 0;
		json_decref(root);
		return rc;
	}
	printf("Version:      %s\nAPI Version:  %s\nBuilt:        %s %s\nOS/Arch:      %s\n",
	       BERTH_VERSION, api, __DATE__, __TIME__, osarch);
	return 0;
}
