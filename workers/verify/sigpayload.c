/* Signature payload parsing; the format and its strictness are in sigpayload.h. */
#include "workers/verify/sigpayload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static int bad(struct berr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct berr *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berr_set(e, BERR_INVALID, 0, "signature payload: %s", msg);
}

/* obj must be an object with exactly the keys in keys (NULL-terminated), each present. */
static int exact_fields(const json_t *obj, const char *name, const char *const *keys,
			struct berr *e)
{
	size_t n = 0;

	if (!json_is_object(obj))
		return bad(e, "%s is not a JSON object", name);
	for (; keys[n] != NULL; n++)
		if (json_object_get(obj, keys[n]) == NULL)
			return bad(e, "%s.%s is missing", name, keys[n]);
	if (json_object_size(obj) != n)
		return bad(e, "%s has fields other than the %zu it may have", name, n);
	return 0;
}

/* A string member, NUL-free, copied into out (size bytes). */
static int get_str(const json_t *obj, const char *key, const char *name, char *out, size_t size,
		   struct berr *e)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	if (!json_is_string(v))
		return bad(e, "%s is not a string", name);
	n = json_string_length(v);
	if (n >= size)
		return bad(e, "%s is longer than %zu bytes", name, size - 1);
	if (memchr(json_string_value(v), '\0', n) != NULL)
		return bad(e, "%s contains a NUL character", name);
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

static int parse_optional(const json_t *opt, enum sigpayload_kind kind, struct sigpayload *out,
			  struct berr *e)
{
	const json_t *c, *t;

	if (kind == SIGPAYLOAD_COSIGN && json_is_null(opt))
		return 0;
	if (!json_is_object(opt))
		return bad(e, "optional is not a JSON object");
	c = json_object_get(opt, "creator");
	if (c != NULL) {
		if (get_str(opt, "creator", "optional.creator", out->creator, sizeof(out->creator),
			    e) < 0)
			return -1;
		out->has_creator = true;
	}
	t = json_object_get(opt, "timestamp");
	if (t == NULL)
		return 0;
	if (json_is_integer(t)) {
		out->timestamp = (int64_t)json_integer_value(t);
	} else if (kind == SIGPAYLOAD_COSIGN && json_is_real(t)) {
		double d = json_real_value(t);
		/* An integral value in int64's range; 2^63 itself is out of it. */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
		    (double)(int64_t)d != d)
			return bad(e, "optional.timestamp is not an integer");
		out->timestamp = (int64_t)d;
	} else {
		return bad(e, "optional.timestamp is not an integer");
	}
	out->has_timestamp = true;
	return 0;
}

int sigpayload_parse(const void *buf, size_t len, enum sigpayload_kind kind,
		     struct sigpayload *out, struct berr *e)
{
	static const char *const top[] = { "critical", "optional", NULL };
	static const char *const critical[] = { "type", "image", "identity", NULL };
	static const char *const image[] = { "docker-manifest-digest", NULL };
	static const char *const identity[] = { "docker-reference", NULL };
	const char *want = kind == SIGPAYLOAD_COSIGN ? SIGPAYLOAD_TYPE_COSIGN :
						       SIGPAYLOAD_TYPE_SIMPLE;
	json_auto_t *root = NULL;
	const json_t *crit;
	json_error_t je;
	struct image_ref ref;
	struct berr pe = { 0 };
	char type[64];

	memset(out, 0, sizeof(*out));
	if (kind != SIGPAYLOAD_SIMPLE_SIGNING && kind != SIGPAYLOAD_COSIGN)
		return berr_set(e, BERR_INTERNAL, 0, "unknown signature payload kind %d", (int)kind);
	if (len == 0 || buf == NULL)
		return bad(e, "empty");
	if (len > SIGPAYLOAD_MAX)
		return bad(e, "larger than %d bytes", SIGPAYLOAD_MAX);
	/* One document, nothing after it, no duplicate key, no \u0000 (jansson's defaults
	 * without JSON_DISABLE_EOF_CHECK, JSON_ALLOW_NUL or JSON_DECODE_ANY). */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return bad(e, "invalid JSON at line %d, column %d", je.line, je.column);
	if (exact_fields(root, "the payload", top, e) < 0)
		return -1;
	crit = json_object_get(root, "critical");
	if (exact_fields(crit, "critical", critical, e) < 0 ||
	    exact_fields(json_object_get(crit, "image"), "critical.image", image, e) < 0 ||
	    exact_fields(json_object_get(crit, "identity"), "critical.identity", identity, e) < 0)
		return -1;
	if (get_str(crit, "type", "critical.type", type, sizeof(type), e) < 0)
		return -1;
	if (strcmp(type, want) != 0)
		return bad(e, "critical.type is not \"%s\"", want);
	if (get_str(json_object_get(crit, "image"), "docker-manifest-digest",
		    "critical.image.docker-manifest-digest", out->manifest_digest,
		    sizeof(out->manifest_digest), e) < 0)
		return -1;
	if (ref_digest_check(out->manifest_digest, &pe) < 0)
		return bad(e, "critical.image.docker-manifest-digest: %s", pe.msg);
	if (get_str(json_object_get(crit, "identity"), "docker-reference",
		    "critical.identity.docker-reference", out->docker_reference,
		    sizeof(out->docker_reference), e) < 0)
		return -1;
	if (ref_parse(out->docker_reference, &ref, &pe) < 0)
		return bad(e, "critical.identity.docker-reference: %s", pe.msg);
	return parse_optional(json_object_get(root, "optional"), kind, out, e);
}
