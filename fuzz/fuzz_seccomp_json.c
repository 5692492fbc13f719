/* libFuzzer harness for the container seccomp profile parsers (policy/seccomp_profile.c): the
 * containers/Docker seccomp.json converter, and berth's own profile text format on the same
 * bytes. Both read trusted configuration, but a crash in the broker's conversion would still
 * take the command down, so they are held to the same bar as parsers of untrusted input.
 *
 * Besides "no crash, no leak, no UB" it checks, and abort()s when one fails:
 *  - an error is BERR_INVALID (or an allocation failure) with a message naming the file;
 *  - an accepted profile gives a well-formed OCI object: defaultAction, architectures and
 *    syscalls of the right types, every entry with a non-empty names list and an action;
 *  - the OCI object is itself a valid seccomp.json that converts to exactly itself (the
 *    filtering happened once; nothing is lost or invented on the way);
 *  - for berth's format: an accepted profile converts for amd64, or says why not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "policy/seccomp_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const caps_default[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT",
};
static const char *const caps_admin[] = { "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_BPF" };

static const struct sprof_target targets[] = {
	{ caps_default, sizeof(caps_default) / sizeof(caps_default[0]), "amd64", 6, 1 },
	{ caps_admin, sizeof(caps_admin) / sizeof(caps_admin[0]), "arm64", 4, 4 },
	{ NULL, 0, "riscv64", 0, 0 },
};

static void check_error(const struct berr *e)
{
	if (e->msg[0] == '\0')
		abort();
	if (e->code == BERR_SYSTEM)
		return; /* allocation failure under -malloc_limit_mb */
	if (e->code != BERR_INVALID && e->code != BERR_UNSUPPORTED)
		abort();
}

static void check_strings(json_t *a)
{
	size_t i;
	json_t *x;

	if (!json_is_array(a))
		abort();
	json_array_foreach(a, i, x)
		if (!json_is_string(x))
			abort();
}

static void check_oci(json_t *o)
{
	size_t i;
	json_t *s;

	if (!json_is_object(o) || !json_is_string(json_object_get(o, "defaultAction")))
		abort();
	check_strings(json_object_get(o, "architectures"));
	if (!json_is_array(json_object_get(o, "syscalls")))
		abort();
	json_array_foreach(json_object_get(o, "syscalls"), i, s) {
		json_t *names = json_object_get(s, "names");
		check_strings(names);
		if (json_array_size(names) == 0 || !json_is_string(json_object_get(s, "action")))
			abort();
	}
}

static void roundtrip(json_t *o, const struct sprof_target *t)
{
	char *text = json_dumps(o, JSON_COMPACT);
	json_t *back = NULL;
	struct berr e;

	if (text == NULL)
		return; /* allocation failure */
	if (sprof_docker_to_oci("again.json", text, strlen(text), t, &back, &e) < 0) {
		if (e.code != BERR_SYSTEM)
			abort();
	} else if (!json_equal(o, back)) {
		abort();
	}
	json_decref(back);
	free(text);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		json_t *o = NULL;
		struct berr e;
		if (sprof_docker_to_oci("fuzz.json", (const char *)data, size, &targets[i], &o,
					&e) < 0) {
			check_error(&e);
			if (e.code == BERR_INVALID && strstr(e.msg, "fuzz.json") == NULL)
				abort();
			if (o != NULL)
				abort();
			return; /* the same bytes fail the same way for every target */
		}
		check_oci(o);
		roundtrip(o, &targets[i]);
		json_decref(o);
	}
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct sprof *p = NULL;
	struct berr e;
	json_t *o = NULL;

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sprof_parse("fuzz.seccomp", text, &p, &e) < 0) {
		check_error(&e);
		if (p != NULL)
			abort();
	} else {
		if (sprof_to_oci(p, &targets[0], &o, &e) < 0)
			check_error(&e);
		else
			check_oci(o);
		json_decref(o);
		sprof_free(p);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_json(data, size);
	fuzz_text(data, size);
	return 0;
}
