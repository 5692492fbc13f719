/* Parsers of untrusted image metadata: see manifest.h for the contract. The comments here say
 * why each check exists. Every limit is read from the reply's own schema (ipc/msg_image.c), so
 * what this file accepts is exactly what the channel can carry and the two cannot drift. */
#include "workers/verify/manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"

/* Sizes are JSON numbers: beyond 2^53 a reader using doubles (JavaScript, many JSON libraries)
 * would see a different value than this one, so the spec's "int64" is narrowed to what every
 * reader agrees on. */
#define SIZE_VALUE_MAX (UINT64_C(1) << 53)

#define QBUF (VERIFY_QUOTE_MAX + 4)
/* Bounds on the shape of a document, checked in one pass before jansson builds its tree: a
 * 4 MiB document of "{}," would otherwise cost over 300 MB of json_t objects, and jansson's own
 * depth limit (2048) is far above any real document. Real manifests and configs hold a few
 * thousand values at most, nested fewer than ten deep. */
#define JSON_VALUES_MAX 100000
#define JSON_DEPTH_MAX 64

/* A claimed media type, normalized; longer claims are no type berth knows. */
#define MEDIA_CLAIM_BUF 260
#define NAME_MAX_LEN 160

/* jansson's own json_decrefp (behind its json_auto_t), under berth's cleanup naming. */
#define cleanup_json __attribute__((cleanup(json_decrefp)))

/* ---------------------------------------------------------------- messages */

/* Untrusted text in a message: printable ASCII only (no terminal escapes, no newlines that
 * could fake a second log line), '"' and '\' replaced so the quoting stays readable, cut at
 * VERIFY_QUOTE_MAX bytes. */
static const char *quote(char out[QBUF], const char *s, size_t n)
{
	size_t k = n < VERIFY_QUOTE_MAX ? n : VERIFY_QUOTE_MAX;

	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') ? (char)c : '?';
	}
	if (n > k)
		memcpy(out + k, "...", 4);
	else
		out[k] = '\0';
	return out;
}

static const char *quote_str(char out[QBUF], const char *s)
{
	return quote(out, s, strlen(s));
}

static int enomem(struct berr *e)
{
	return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory");
}

/* "where.key", or "key" at the root, for messages. */
static const char *field_name(char buf[NAME_MAX_LEN], const char *where, const char *key)
{
	if (where == NULL || where[0] == '\0')
		snprintf(buf, NAME_MAX_LEN, "%s", key);
	else
		snprintf(buf, NAME_MAX_LEN, "%s.%s", where, key);
	return buf;
}

/* jansson's errors, said the way a user can act on. Its own text may echo input (the token
 * near the error), so it is quoted like any untrusted text. */
static int json_error(struct berr *e, const json_error_t *je)
{
	char q[QBUF];

	switch (json_error_code(je)) {
	case json_error_out_of_memory:
		return berr_set(e, BERR_SYSTEM, ENOMEM, "out of memory parsing the JSON");
	case json_error_null_character:
		return berr_set(e, BERR_INVALID, 0,
				"a string contains a NUL character (\\u0000), which is refused "
				"(line %d, column %d)", je->line, je->column);
	case json_error_null_byte_in_key:
		return berr_set(e, BERR_INVALID, 0,
				"an object key contains a NUL character (\\u0000), which is refused "
				"(line %d, column %d)", je->line, je->column);
	case json_error_duplicate_key:
		/* Parsers keeping the first or the last of two equal keys would read two different
		 * documents: one of them could be what a signature covered. */
		return berr_set(e, BERR_INVALID, 0,
				"a key appears twice in one object (line %d, column %d: %s)",
				je->line, je->column, quote_str(q, je->text));
	case json_error_premature_end_of_input:
		return berr_set(e, BERR_INVALID, 0,
				"the JSON document is truncated (it ends after %d bytes)",
				je->position);
	case json_error_end_of_input_expected:
		return berr_set(e, BERR_INVALID, 0,
				"unexpected data after the JSON document (line %d, column %d)",
				je->line, je->column);
	case json_error_invalid_utf8:
		return berr_set(e, BERR_INVALID, 0, "the document is not valid UTF-8 (line %d, "
				"column %d)", je->line, je->column);
	case json_error_stack_overflow:
		return berr_set(e, BERR_INVALID, 0, "the JSON is nested too deeply");
	case json_error_numeric_overflow:
		return berr_set(e, BERR_INVALID, 0, "a number is too large (line %d, column %d)",
				je->line, je->column);
	default:
		return berr_set(e, BERR_INVALID, 0, "invalid JSON at line %d, column %d: %s",
				je->line, je->column, quote_str(q, je->text));
	}
}

/* ---------------------------------------------------------------- limits from the schemas */

static const struct ipc_field *schema_field(const struct ipc_schema *s, const char *key)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].key, key) == 0)
			return &s->fields[i];
	return NULL;
}

/* A string field's byte limit, or a vector's element count limit. 0 for an unknown key, which
 * refuses everything: the unit tests would see it at once. */
static uint64_t lim(const struct ipc_schema *s, const char *key)
{
	const struct ipc_field *f = schema_field(s, key);

	return f != NULL ? f->max : 0;
}

/* A string vector's per-element byte limit. */
static uint64_t elem_lim(const struct ipc_schema *s, const char *key)
{
	const struct ipc_field *f = schema_field(s, key);

	return f != NULL ? f->elem_max : 0;
}

/* ---------------------------------------------------------------- typed getters */

/* The value of key in obj, or NULL when absent. With null_absent a JSON null is absent too:
 * Docker writes "Cmd": null for "no command"; in manifests no known field may be null. */
static json_t *member(json_t *obj, const char *key, bool null_absent)
{
	json_t *v = json_object_get(obj, key);

	if (v != NULL && null_absent && json_is_null(v))
		return NULL;
	return v;
}

static bool printable_ascii(const char *s, bool allow_space)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e)
			return false;
	}
	return true;
}

/* Copies the JSON string v into *out (heap). name is the field for messages. */
static int take_str(json_t *v, const char *name, uint64_t max, char **out, struct berr *e)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return berr_set(e, BERR_INVALID, 0, "%s is not a string", name);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max)
		return berr_set(e, BERR_INVALID, 0, "%s is %zu bytes, more than the %" PRIu64
				" allowed", name, n, max);
	/* json_loadb without JSON_ALLOW_NUL already refuses \u0000; a NUL here would make the
	 * text checked and the text used differ, so it is checked again rather than assumed. */
	if (memchr(s, '\0', n) != NULL)
		return berr_set(e, BERR_INVALID, 0, "%s contains a NUL character", name);
	*out = strndup(s, n);
	if (*out == NULL)
		return enomem(e);
	return 0;
}

static int get_str(json_t *obj, const char *where, const char *key, bool required,
		   bool null_absent, uint64_t max, char **out, struct berr *e)
{
	char name[NAME_MAX_LEN];
	json_t *v = member(obj, key, null_absent);

	field_name(name, where, key);
	if (v == NULL)
		return required ? berr_set(e, BERR_INVALID, 0, "%s is missing", name) : 0;
	return take_str(v, name, max, out, e);
}

/* A short token compared by the broker (os, architecture, variant): printable ASCII without
 * spaces; a required one may not be empty. */
static int get_token(json_t *obj, const char *where, const char *key, bool required,
		     bool null_absent, uint64_t max, char **out, struct berr *e)
{
	char name[NAME_MAX_LEN], q[QBUF];

	if (get_str(obj, where, key, required, null_absent, max, out, e) < 0)
		return -1;
	if (*out == NULL)
		return 0;
	field_name(name, where, key);
	if (required && (*out)[0] == '\0')
		return berr_set(e, BERR_INVALID, 0, "%s is empty", name);
	if (!printable_ascii(*out, false))
		return berr_set(e, BERR_INVALID, 0, "%s \"%s\" contains characters other than "
				"printable ASCII", name, quote_str(q, *out));
	return 0;
}

/* A timestamp (RFC 3339 in practice): kept as text, but printable ASCII only. */
static int get_time(json_t *obj, const char *where, const char *key, uint64_t max, char **out,
		    struct berr *e)
{
	char name[NAME_MAX_LEN], q[QBUF];

	if (get_str(obj, where, key, false, true, max, out, e) < 0)
		return -1;
	if (*out != NULL && !printable_ascii(*out, true))
		return berr_set(e, BERR_INVALID, 0, "%s \"%s\" is not a timestamp",
				field_name(name, where, key), quote_str(q, *out));
	return 0;
}

/* An array of strings into a NULL-terminated vector. On failure *out and *n stay consistent
 * (the elements stored so far), for the caller's ipc_struct_free(). */
static int get_strv(json_t *obj, const char *where, const char *key, bool null_absent,
		    uint64_t max_n, uint64_t max_len, char ***out, size_t *n, struct berr *e)
{
	char name[NAME_MAX_LEN], el[NAME_MAX_LEN + 24];
	json_t *v = member(obj, key, null_absent);
	size_t cnt;

	field_name(name, where, key);
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return berr_set(e, BERR_INVALID, 0, "%s is not an array", name);
	cnt = json_array_size(v);
	if (cnt > max_n)
		return berr_set(e, BERR_INVALID, 0, "%s has %zu entries, more than the %" PRIu64
				" allowed", name, cnt, max_n);
	*out = calloc(cnt + 1, sizeof(char *));
	if (*out == NULL)
		return enomem(e);
	*n = 0;
	for (size_t i = 0; i < cnt; i++) {
		snprintf(el, sizeof(el), "%s[%zu]", name, i);
		if (take_str(json_array_get(v, i), el, max_len, &(*out)[i], e) < 0)
			return -1;
		*n = i + 1;
	}
	return 0;
}

/* The keys of an object whose values are objects ({} in practice: ExposedPorts, Volumes). */
static int get_keys(json_t *obj, const char *where, const char *key, bool token,
		    uint64_t max_n, uint64_t max_len, char ***out, size_t *n, struct berr *e)
{
	char name[NAME_MAX_LEN], q[QBUF];
	json_t *v = member(obj, key, true);
	const char *k;
	json_t *val;
	size_t cnt;

	field_name(name, where, key);
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", name);
	cnt = json_object_size(v);
	if (cnt > max_n)
		return berr_set(e, BERR_INVALID, 0, "%s has %zu entries, more than the %" PRIu64
				" allowed", name, cnt, max_n);
	*out = calloc(cnt + 1, sizeof(char *));
	if (*out == NULL)
		return enomem(e);
	*n = 0;
	json_object_foreach(v, k, val) {
		size_t klen = strlen(k);

		if (klen == 0)
			return berr_set(e, BERR_INVALID, 0, "%s has an empty key", name);
		if (klen > max_len)
			return berr_set(e, BERR_INVALID, 0, "%s key \"%s\" is %zu bytes, more than "
					"the %" PRIu64 " allowed", name, quote(q, k, klen), klen,
					max_len);
		if (token && !printable_ascii(k, false))
			return berr_set(e, BERR_INVALID, 0, "%s key \"%s\" contains characters "
					"other than printable ASCII", name, quote(q, k, klen));
		if (!json_is_object(val) && !json_is_null(val))
			return berr_set(e, BERR_INVALID, 0, "%s[\"%s\"] is not an object", name,
					quote(q, k, klen));
		if (*n >= cnt) /* jansson's count and its iteration agree; never trust it blindly */
			return berr_set(e, BERR_INTERNAL, 0, "%s: object changed while read", name);
		(*out)[*n] = strdup(k);
		if ((*out)[*n] == NULL)
			return enomem(e);
		(*n)++;
	}
	return 0;
}

/* config.Labels: an object of strings, as "key=value". A key holding '=' would be split
 * differently by whoever reads "key=value" back, and an empty one names nothing. */
static int get_labels(json_t *obj, const char *where, uint64_t max_n, uint64_t max_len,
		      char ***out, size_t *n, struct berr *e)
{
	char name[NAME_MAX_LEN], q[QBUF];
	json_t *v = member(obj, "Labels", true);
	const char *k;
	json_t *val;
	size_t cnt;

	field_name(name, where, "Labels");
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", name);
	cnt = json_object_size(v);
	if (cnt > max_n)
		return berr_set(e, BERR_INVALID, 0, "%s has %zu entries, more than the %" PRIu64
				" allowed", name, cnt, max_n);
	*out = calloc(cnt + 1, sizeof(char *));
	if (*out == NULL)
		return enomem(e);
	*n = 0;
	json_object_foreach(v, k, val) {
		size_t klen = strlen(k), vlen;
		char *kv;

		if (klen == 0)
			return berr_set(e, BERR_INVALID, 0, "%s has an empty key", name);
		if (memchr(k, '=', klen) != NULL)
			return berr_set(e, BERR_INVALID, 0, "%s key \"%s\" contains '='", name,
					quote(q, k, klen));
		if (!json_is_string(val))
			return berr_set(e, BERR_INVALID, 0, "%s[\"%s\"] is not a string", name,
					quote(q, k, klen));
		vlen = json_string_length(val);
		if (memchr(json_string_value(val), '\0', vlen) != NULL)
			return berr_set(e, BERR_INVALID, 0, "%s[\"%s\"] contains a NUL character",
					name, quote(q, k, klen));
		if (klen + 1 + vlen > max_len)
			return berr_set(e, BERR_INVALID, 0, "%s[\"%s\"] is %zu bytes with its key, "
					"more than the %" PRIu64 " allowed", name,
					quote(q, k, klen), klen + 1 + vlen, max_len);
		if (*n >= cnt)
			return berr_set(e, BERR_INTERNAL, 0, "%s: object changed while read", name);
		kv = malloc(klen + 1 + vlen + 1);
		if (kv == NULL)
			return enomem(e);
		memcpy(kv, k, klen);
		kv[klen] = '=';
		memcpy(kv + klen + 1, json_string_value(val), vlen);
		kv[klen + 1 + vlen] = '\0';
		(*out)[(*n)++] = kv;
	}
	return 0;
}

static int get_bool(json_t *obj, const char *where, const char *key, bool *out, struct berr *e)
{
	char name[NAME_MAX_LEN];
	json_t *v = member(obj, key, true);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return berr_set(e, BERR_INVALID, 0, "%s is not a boolean",
				field_name(name, where, key));
	*out = json_is_true(v);
	return 0;
}

/* Digest syntax, with the algorithm named first when it is the problem: "sha256" and "sha512"
 * are the ones the OCI spec registers and the only ones the broker can hash. */
static int check_digest(const char *name, const char *s, struct berr *e)
{
	char q[QBUF];
	const char *colon = strchr(s, ':');

	if (colon != NULL && !(colon - s == 6 && (strncmp(s, "sha256", 6) == 0 ||
						  strncmp(s, "sha512", 6) == 0)))
		return berr_set(e, BERR_INVALID, 0, "%s uses the digest algorithm \"%s\"; only "
				"sha256 and sha512 are supported", name,
				quote(q, s, (size_t)(colon - s)));
	if (!ipc_digest_valid(s))
		return berr_set(e, BERR_INVALID, 0, "%s is not a valid digest: \"%s\"", name,
				quote_str(q, s));
	return 0;
}

static int get_size(json_t *obj, const char *where, uint64_t *out, struct berr *e)
{
	char name[NAME_MAX_LEN];
	json_t *v = json_object_get(obj, "size");
	json_int_t n;

	field_name(name, where, "size");
	if (v == NULL)
		return berr_set(e, BERR_INVALID, 0, "%s is missing", name);
	/* 12.0 is a real in jansson: refused like "12", a size is an integer. */
	if (!json_is_integer(v))
		return berr_set(e, BERR_INVALID, 0, "%s is not an integer", name);
	n = json_integer_value(v);
	if (n < 0)
		return berr_set(e, BERR_INVALID, 0, "%s is negative", name);
	if ((uint64_t)n > SIZE_VALUE_MAX)
		return berr_set(e, BERR_INVALID, 0, "%s is %" PRIu64 ", more than 2^53", name,
				(uint64_t)n);
	*out = (uint64_t)n;
	return 0;
}

/* ---------------------------------------------------------------- media types */

enum mt_class {
	MTC_GENERIC,        /* a claim that says nothing: "", application/json, ... */
	MTC_OCI_MANIFEST,
	MTC_OCI_INDEX,
	MTC_DOCKER_MANIFEST,
	MTC_DOCKER_LIST,
	MTC_SCHEMA1,
	MTC_OTHER,
};

static const struct {
	const char *name;
	enum mt_class cls;
} manifest_types[] = {
	{ MT_OCI_MANIFEST, MTC_OCI_MANIFEST },
	{ MT_OCI_INDEX, MTC_OCI_INDEX },
	{ MT_DOCKER_MANIFEST, MTC_DOCKER_MANIFEST },
	{ MT_DOCKER_LIST, MTC_DOCKER_LIST },
	{ MT_DOCKER_SCHEMA1, MTC_SCHEMA1 },
	{ MT_DOCKER_SCHEMA1_SIGNED, MTC_SCHEMA1 },
};

/* Content types registries and archives use when they do not say what a manifest is. */
static const char *const generic_claims[] = {
	"", "application/json", "application/octet-stream", "text/plain",
};

static const char *const config_types[] = { MT_OCI_CONFIG, MT_DOCKER_CONFIG };

/* Layer media types berth can unpack. Nondistributable ("foreign") layers are treated as
 * normal layers: berth fetches whatever the registry serves under the digest. */
static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* A document's own mediaType: exact, as the specs spell them. */
static enum mt_class classify(const char *mt)
{
	for (size_t i = 0; i < ARRAY_SIZE(manifest_types); i++)
		if (strcmp(mt, manifest_types[i].name) == 0)
			return manifest_types[i].cls;
	return MTC_OTHER;
}

static const char *class_name(enum mt_class c)
{
	for (size_t i = 0; i < ARRAY_SIZE(manifest_types); i++)
		if (manifest_types[i].cls == c)
			return manifest_types[i].name;
	return "";
}

static bool class_is_index(enum mt_class c)
{
	return c == MTC_OCI_INDEX || c == MTC_DOCKER_LIST;
}

/* A claim is a Content-Type: parameters (";charset=utf-8") dropped, blanks trimmed, and
 * compared without regard to case, as RFC 9110 says of media types. */
static enum mt_class classify_claim(const char *claim, char norm[MEDIA_CLAIM_BUF])
{
	const char *end;
	size_t n = 0;

	norm[0] = '\0';
	if (claim == NULL)
		return MTC_GENERIC;
	end = strchr(claim, ';');
	if (end == NULL)
		end = claim + strlen(claim);
	while (claim < end && (*claim == ' ' || *claim == '\t'))
		claim++;
	while (end > claim && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - claim) >= MEDIA_CLAIM_BUF)
		return MTC_OTHER;
	for (const char *p = claim; p < end; p++)
		norm[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	norm[n] = '\0';
	if (in_list(norm, generic_claims, ARRAY_SIZE(generic_claims)))
		return MTC_GENERIC;
	return classify(norm);
}

static int schema1_error(struct berr *e)
{
	return berr_set(e, BERR_UNSUPPORTED, 0,
			"Docker schema 1 manifests are not supported (deprecated); ask the image's "
			"publisher to push a schema 2 or OCI image");
}

/* ---------------------------------------------------------------- manifests */

enum desc_role {
	DR_CONFIG,  /* an image manifest's config */
	DR_LAYER,   /* an image manifest's layer */
	DR_ENTRY,   /* an index entry */
};

/* Index entries carry the platform they were built for. The spec requires os and architecture
 * when platform is present; os.version, os.features and features are not passed on. */
static int parse_platform(json_t *d, const char *where, struct msg_descriptor *out,
			  struct berr *e)
{
	const struct ipc_schema *s = &msg_descriptor_schema;
	json_t *p = json_object_get(d, "platform");
	char pw[NAME_MAX_LEN];

	if (p == NULL)
		return 0;
	field_name(pw, where, "platform");
	if (!json_is_object(p))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", pw);
	if (get_token(p, pw, "architecture", true, false, lim(s, "architecture"),
		      &out->architecture, e) < 0 ||
	    get_token(p, pw, "os", true, false, lim(s, "os"), &out->os, e) < 0 ||
	    get_token(p, pw, "variant", false, false, lim(s, "variant"), &out->variant, e) < 0)
		return -1;
	return 0;
}

/* An OCI layout's index.json names its images with this annotation ("busybox:latest", a full
 * reference, or only a tag): kept as printable text for the broker to parse as a reference. */
static int parse_ref_name(json_t *d, const char *where, struct msg_descriptor *out,
			  struct berr *e)
{
	char aw[NAME_MAX_LEN];
	json_t *ann = json_object_get(d, "annotations");

	if (ann == NULL || json_is_null(ann))
		return 0;
	field_name(aw, where, "annotations");
	if (!json_is_object(ann))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", aw);
	return get_token(ann, aw, "org.opencontainers.image.ref.name", false, false,
			 lim(&msg_descriptor_schema, "ref_name"), &out->ref_name, e);
}

/* One descriptor into *out (zeroed by the caller; on failure partly filled, for the caller to
 * release). *keep says whether an index entry is a manifest berth can follow. */
static int parse_descriptor(json_t *d, const char *where, enum desc_role role,
			    struct msg_descriptor *out, bool *keep, struct berr *e)
{
	const struct ipc_schema *s = &msg_descriptor_schema;
	char name[NAME_MAX_LEN], q[QBUF];

	*keep = false;
	if (!json_is_object(d))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", where);
	/* Required by both specs (OCI: "This REQUIRED property"); it decides how the blob is
	 * read, so it is never guessed. */
	if (get_str(d, where, "mediaType", true, false, lim(s, "media_type"), &out->media_type,
		    e) < 0 ||
	    get_str(d, where, "digest", true, false, lim(s, "digest"), &out->digest, e) < 0 ||
	    check_digest(field_name(name, where, "digest"), out->digest, e) < 0 ||
	    get_size(d, where, &out->size, e) < 0)
		return -1;
	if (role == DR_ENTRY && (parse_platform(d, where, out, e) < 0 ||
				 parse_ref_name(d, where, out, e) < 0))
		return -1;

	switch (role) {
	case DR_CONFIG:
		if (in_list(out->media_type, config_types, ARRAY_SIZE(config_types)))
			break;
		/* Artifacts (Helm charts, signatures, SBOMs) are OCI manifests too, told apart by
		 * their config's media type: say so rather than just "unsupported". */
		return berr_set(e, BERR_INVALID, 0, "the config has media type \"%s\", so this "
				"is not a container image (perhaps an OCI artifact such as a Helm "
				"chart or a signature)", quote_str(q, out->media_type));
	case DR_LAYER:
		if (in_list(out->media_type, layer_types, ARRAY_SIZE(layer_types)))
			break;
		return berr_set(e, BERR_INVALID, 0, "%s has the unsupported layer media type "
				"\"%s\"", where, quote_str(q, out->media_type));
	case DR_ENTRY: {
		enum mt_class c = classify(out->media_type);

		*keep = c == MTC_OCI_MANIFEST || c == MTC_OCI_INDEX || c == MTC_DOCKER_MANIFEST ||
			c == MTC_DOCKER_LIST;
		break;
	}
	}
	return 0;
}

static int parse_image(json_t *root, struct msg_v_manifest_reply *out, struct berr *e)
{
	const struct ipc_schema *s = &msg_v_manifest_reply_schema;
	json_t *cfg = json_object_get(root, "config");
	json_t *layers = json_object_get(root, "layers");
	uint64_t max = lim(s, "layers");
	char where[32];
	bool keep;
	size_t n;

	if (cfg == NULL)
		return berr_set(e, BERR_INVALID, 0, "config is missing");
	out->config = calloc(1, sizeof(*out->config));
	if (out->config == NULL)
		return enomem(e);
	out->n_config = 1;
	if (parse_descriptor(cfg, "config", DR_CONFIG, &out->config[0], &keep, e) < 0)
		return -1;

	if (layers == NULL)
		return berr_set(e, BERR_INVALID, 0, "layers is missing");
	if (!json_is_array(layers))
		return berr_set(e, BERR_INVALID, 0, "layers is not an array");
	n = json_array_size(layers);
	if (n > max)
		return berr_set(e, BERR_INVALID, 0, "the image has %zu layers, more than the %"
				PRIu64 " berth supports", n, max);
	/* Never NULL, so an image of no layers still says "layers": [] on the channel. */
	out->layers = calloc(n > 0 ? n : 1, sizeof(*out->layers));
	if (out->layers == NULL)
		return enomem(e);
	for (size_t i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "layers[%zu]", i);
		out->n_layers = i + 1;
		if (parse_descriptor(json_array_get(layers, i), where, DR_LAYER, &out->layers[i],
				     &keep, e) < 0)
			return -1;
	}
	return 0;
}

static int parse_index(json_t *root, struct msg_v_manifest_reply *out, struct berr *e)
{
	const struct ipc_schema *s = &msg_v_manifest_reply_schema;
	json_t *list = json_object_get(root, "manifests");
	uint64_t max = lim(s, "manifests");
	char first_skipped[QBUF] = "";
	char where[32];
	size_t n;

	if (list == NULL)
		return berr_set(e, BERR_INVALID, 0, "manifests is missing");
	if (!json_is_array(list))
		return berr_set(e, BERR_INVALID, 0, "manifests is not an array");
	n = json_array_size(list);
	if (n > max)
		return berr_set(e, BERR_INVALID, 0, "the index lists %zu manifests, more than the %"
				PRIu64 " berth supports", n, max);
	if (n == 0)
		return berr_set(e, BERR_INVALID, 0, "the index lists no manifests");
	out->manifests = calloc(n, sizeof(*out->manifests));
	if (out->manifests == NULL)
		return enomem(e);
	for (size_t i = 0; i < n; i++) {
		struct msg_descriptor d = { 0 };
		bool keep;

		snprintf(where, sizeof(where), "manifests[%zu]", i);
		if (parse_descriptor(json_array_get(list, i), where, DR_ENTRY, &d, &keep, e) < 0) {
			ipc_struct_free(&msg_descriptor_schema, &d);
			return -1;
		}
		/* Attestations, signatures and other artifacts share the index with the images;
		 * they are checked like every entry but are nothing berth can run. */
		if (keep) {
			out->manifests[out->n_manifests++] = d;
		} else {
			if (first_skipped[0] == '\0')
				quote_str(first_skipped, d.media_type);
			ipc_struct_free(&msg_descriptor_schema, &d);
		}
	}
	if (out->n_manifests == 0)
		return berr_set(e, BERR_INVALID, 0, "none of the index's %zu entries is an image "
				"manifest or index (the first has media type \"%s\")", n,
				first_skipped);
	return 0;
}

/* Counts containers and list items ('{', '[' and ',' outside strings) and nesting. Not a JSON
 * validator: jansson decides what is valid; this only bounds what it will allocate. */
static int prescan(const uint8_t *buf, size_t len, struct berr *e)
{
	bool in_str = false, esc = false;
	size_t values = 0, depth = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '{':
		case '[':
			if (++depth > JSON_DEPTH_MAX)
				return berr_set(e, BERR_INVALID, 0, "the JSON is nested more than %d "
						"levels deep", JSON_DEPTH_MAX);
			values++;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ',':
			values++;
			break;
		default:
			break;
		}
		if (values > JSON_VALUES_MAX)
			return berr_set(e, BERR_INVALID, 0, "the document holds more than %d JSON "
					"values, far more than any image metadata", JSON_VALUES_MAX);
	}
	return 0;
}

static json_t *load_any(const uint8_t *buf, size_t len, bool array, struct berr *e)
{
	json_error_t je;
	json_t *root;

	if (len == 0) {
		berr_set(e, BERR_INVALID, 0, "the document is empty");
		return NULL;
	}
	if (buf == NULL) {
		berr_set(e, BERR_INTERNAL, 0, "no buffer for %zu bytes", len);
		return NULL;
	}
	if (prescan(buf, len, e) < 0)
		return NULL;
	/* No JSON_DISABLE_EOF_CHECK: bytes after the document are an error, as another reader
	 * might take them for part of it. No JSON_DECODE_ANY: the root is an object or an array.
	 * No JSON_ALLOW_NUL: \u0000 is refused. */
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		json_error(e, &je);
		return NULL;
	}
	if (array ? !json_is_array(root) : !json_is_object(root)) {
		json_decref(root);
		berr_set(e, BERR_INVALID, 0, "the document is not a JSON %s",
			 array ? "array" : "object");
		return NULL;
	}
	return root;
}

static json_t *load(const uint8_t *buf, size_t len, struct berr *e)
{
	return load_any(buf, len, false, e);
}

static int parse_manifest_root(json_t *root, enum mt_class claim, const char *claim_text,
			       struct msg_v_manifest_reply *out, struct berr *e)
{
	json_t *sv = json_object_get(root, "schemaVersion");
	json_t *mt = json_object_get(root, "mediaType");
	bool has_manifests = json_object_get(root, "manifests") != NULL;
	bool has_image = json_object_get(root, "config") != NULL ||
			 json_object_get(root, "layers") != NULL;
	char q[QBUF], q2[QBUF];
	enum mt_class doc;

	if (mt != NULL && !json_is_string(mt))
		return berr_set(e, BERR_INVALID, 0, "mediaType is not a string");
	doc = mt != NULL ? classify(json_string_value(mt)) : MTC_GENERIC;
	/* Schema 1 first, by either sign, so its users get the message that helps them. */
	if (doc == MTC_SCHEMA1 || (json_is_integer(sv) && json_integer_value(sv) == 1))
		return schema1_error(e);
	if (sv == NULL)
		return berr_set(e, BERR_INVALID, 0, "schemaVersion is missing");
	if (!json_is_integer(sv))
		return berr_set(e, BERR_INVALID, 0, "schemaVersion is not an integer");
	if (json_integer_value(sv) != 2)
		return berr_set(e, BERR_INVALID, 0, "schemaVersion is %" JSON_INTEGER_FORMAT
				", not 2", json_integer_value(sv));
	if (doc == MTC_OTHER)
		return berr_set(e, BERR_INVALID, 0, "unsupported media type \"%s\" (not an image "
				"manifest or index)", quote_str(q, json_string_value(mt)));

	if (mt == NULL) {
		/* OCI lets a manifest leave mediaType out: the shape says what it is, and a
		 * specific claim must agree with that shape. */
		if (has_manifests && has_image)
			return berr_set(e, BERR_INVALID, 0, "the document has both \"manifests\" and "
					"\"config\"/\"layers\" and no mediaType: it is ambiguous");
		if (!has_manifests && !has_image)
			return berr_set(e, BERR_INVALID, 0, "the document is neither an image manifest "
					"nor an index (no config, layers or manifests)");
		if (claim != MTC_GENERIC) {
			if (class_is_index(claim) != has_manifests)
				return berr_set(e, BERR_INVALID, 0, "the document was served as \"%s\" "
						"but has the shape of an %s", quote_str(q, claim_text),
						has_manifests ? "index" : "image manifest");
			doc = claim;
		} else {
			doc = has_manifests ? MTC_OCI_INDEX : MTC_OCI_MANIFEST;
		}
	} else if (claim != MTC_GENERIC && claim != doc) {
		/* The registry (or archive) and the document disagree on what this is: one of them
		 * is wrong or lying, and which reading is meant cannot be known. */
		return berr_set(e, BERR_INVALID, 0, "the document says it is \"%s\" but was served "
				"as \"%s\"", quote_str(q, json_string_value(mt)),
				quote_str(q2, claim_text));
	}

	/* A document that is both (CVE-2021-41190): readers that go by the mediaType and readers
	 * that go by the shape would pull different images. */
	if (class_is_index(doc) && has_image)
		return berr_set(e, BERR_INVALID, 0, "the index also has \"config\" or \"layers\": it "
				"is ambiguous");
	if (!class_is_index(doc) && has_manifests)
		return berr_set(e, BERR_INVALID, 0, "the image manifest also has \"manifests\": it is "
				"ambiguous");

	out->kind = class_is_index(doc) ? MANIFEST_INDEX : MANIFEST_IMAGE;
	out->schema_version = 2;
	out->media_type = strdup(class_name(doc));
	if (out->media_type == NULL)
		return enomem(e);
	return class_is_index(doc) ? parse_index(root, out, e) : parse_image(root, out, e);
}

int verify_parse_manifest(const uint8_t *buf, size_t len, const char *claimed_media_type,
			  struct msg_v_manifest_reply *out, struct berr *e)
{
	cleanup_json json_t *root = NULL;
	char norm[MEDIA_CLAIM_BUF], q[QBUF];
	enum mt_class claim;

	memset(out, 0, sizeof(*out));
	claim = classify_claim(claimed_media_type, norm);
	if (claim == MTC_SCHEMA1)
		return schema1_error(e), berr_wrap(e, "manifest");
	if (claim == MTC_OTHER)
		return berr_set(e, BERR_INVALID, 0, "manifest: served as \"%s\", which is not an "
				"image manifest or index type",
				quote_str(q, claimed_media_type));
	root = load(buf, len, e);
	if (root == NULL)
		return berr_wrap(e, "manifest");
	if (parse_manifest_root(root, claim, norm, out, e) < 0) {
		ipc_struct_free(&msg_v_manifest_reply_schema, out);
		return berr_wrap(e, "manifest");
	}
	return 0;
}

/* ---------------------------------------------------------------- image configs */

static int parse_history(json_t *root, struct msg_v_config_reply *out, struct berr *e)
{
	const struct ipc_schema *hs = &msg_history_schema;
	json_t *h = member(root, "history", true);
	uint64_t max = lim(&msg_v_config_reply_schema, "history");
	char where[32];
	size_t n;

	if (h == NULL)
		return 0;
	if (!json_is_array(h))
		return berr_set(e, BERR_INVALID, 0, "history is not an array");
	n = json_array_size(h);
	if (n > max)
		return berr_set(e, BERR_INVALID, 0, "history has %zu entries, more than the %" PRIu64
				" allowed", n, max);
	out->history = calloc(n > 0 ? n : 1, sizeof(*out->history));
	if (out->history == NULL)
		return enomem(e);
	for (size_t i = 0; i < n; i++) {
		json_t *el = json_array_get(h, i);
		struct msg_history *m = &out->history[i];

		out->n_history = i + 1;
		snprintf(where, sizeof(where), "history[%zu]", i);
		if (!json_is_object(el))
			return berr_set(e, BERR_INVALID, 0, "%s is not an object", where);
		if (get_time(el, where, "created", lim(hs, "created"), &m->created, e) < 0 ||
		    get_str(el, where, "created_by", false, true, lim(hs, "created_by"),
			    &m->created_by, e) < 0 ||
		    get_str(el, where, "comment", false, true, lim(hs, "comment"), &m->comment,
			    e) < 0 ||
		    get_bool(el, where, "empty_layer", &m->empty_layer, e) < 0)
			return -1;
	}
	return 0;
}

static int parse_rootfs(json_t *root, struct msg_v_config_reply *out, struct berr *e)
{
	const struct ipc_schema *s = &msg_v_config_reply_schema;
	json_t *r = member(root, "rootfs", true);
	cleanup_free char *type = NULL;
	char name[NAME_MAX_LEN], q[QBUF];

	if (r == NULL)
		return berr_set(e, BERR_INVALID, 0, "rootfs is missing");
	if (!json_is_object(r))
		return berr_set(e, BERR_INVALID, 0, "rootfs is not an object");
	if (get_str(r, "rootfs", "type", true, true, 64, &type, e) < 0)
		return -1;
	/* The only type the spec defines: anything else would be read some other way. */
	if (strcmp(type, "layers") != 0)
		return berr_set(e, BERR_INVALID, 0, "rootfs.type is \"%s\", not \"layers\"",
				quote_str(q, type));
	if (member(r, "diff_ids", true) == NULL)
		return berr_set(e, BERR_INVALID, 0, "rootfs.diff_ids is missing");
	if (get_strv(r, "rootfs", "diff_ids", true, lim(s, "diff_ids"), elem_lim(s, "diff_ids"),
		     &out->diff_ids, &out->n_diff_ids, e) < 0)
		return -1;
	for (size_t i = 0; i < out->n_diff_ids; i++) {
		snprintf(name, sizeof(name), "rootfs.diff_ids[%zu]", i);
		if (check_digest(name, out->diff_ids[i], e) < 0)
			return -1;
	}
	return 0;
}

static int parse_config_root(json_t *root, struct msg_v_config_reply *out, struct berr *e)
{
	const struct ipc_schema *s = &msg_v_config_reply_schema;
	json_t *c;

	if (get_token(root, "", "architecture", true, true, lim(s, "architecture"),
		      &out->architecture, e) < 0 ||
	    get_token(root, "", "os", true, true, lim(s, "os"), &out->os, e) < 0 ||
	    get_token(root, "", "variant", false, true, lim(s, "variant"), &out->variant, e) < 0 ||
	    get_time(root, "", "created", lim(s, "created"), &out->created, e) < 0 ||
	    get_str(root, "", "author", false, true, lim(s, "author"), &out->author, e) < 0)
		return -1;

	c = member(root, "config", true);
	if (c != NULL) {
		if (!json_is_object(c))
			return berr_set(e, BERR_INVALID, 0, "config is not an object");
		if (get_strv(c, "config", "Env", true, lim(s, "env"), elem_lim(s, "env"),
			     &out->env, &out->n_env, e) < 0 ||
		    get_strv(c, "config", "Cmd", true, lim(s, "cmd"), elem_lim(s, "cmd"),
			     &out->cmd, &out->n_cmd, e) < 0 ||
		    get_strv(c, "config", "Entrypoint", true, lim(s, "entrypoint"),
			     elem_lim(s, "entrypoint"), &out->entrypoint, &out->n_entrypoint, e) < 0 ||
		    get_str(c, "config", "WorkingDir", false, true, lim(s, "working_dir"),
			    &out->working_dir, e) < 0 ||
		    get_str(c, "config", "User", false, true, lim(s, "user"), &out->user, e) < 0 ||
		    get_str(c, "config", "StopSignal", false, true, lim(s, "stop_signal"),
			    &out->stop_signal, e) < 0 ||
		    get_labels(c, "config", lim(s, "labels"), elem_lim(s, "labels"), &out->labels,
			       &out->n_labels, e) < 0 ||
		    get_keys(c, "config", "ExposedPorts", true, lim(s, "exposed_ports"),
			     elem_lim(s, "exposed_ports"), &out->exposed_ports,
			     &out->n_exposed_ports, e) < 0 ||
		    get_keys(c, "config", "Volumes", false, lim(s, "volumes"),
			     elem_lim(s, "volumes"), &out->volumes, &out->n_volumes, e) < 0)
			return -1;
	}
	if (parse_rootfs(root, out, e) < 0)
		return -1;
	return parse_history(root, out, e);
}

int verify_parse_config(const uint8_t *buf, size_t len, struct msg_v_config_reply *out,
			struct berr *e)
{
	cleanup_json json_t *root = NULL;

	memset(out, 0, sizeof(*out));
	root = load(buf, len, e);
	if (root == NULL)
		return berr_wrap(e, "image config");
	if (parse_config_root(root, out, e) < 0) {
		ipc_struct_free(&msg_v_config_reply_schema, out);
		return berr_wrap(e, "image config");
	}
	return 0;
}

/* ---------------------------------------------------------------- docker-archive */

static int parse_archive_image(json_t *o, const char *where, struct msg_archive_image *out,
			       struct berr *e)
{
	const struct ipc_schema *s = &msg_archive_image_schema;

	if (!json_is_object(o))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", where);
	if (get_str(o, where, "Config", true, false, lim(s, "config"), &out->config, e) < 0 ||
	    get_strv(o, where, "Layers", false, lim(s, "layers"), elem_lim(s, "layers"),
		     &out->layers, &out->n_layers, e) < 0 ||
	    get_strv(o, where, "RepoTags", true, lim(s, "repo_tags"), elem_lim(s, "repo_tags"),
		     &out->repo_tags, &out->n_repo_tags, e) < 0)
		return -1;
	if (out->layers == NULL)
		return berr_set(e, BERR_INVALID, 0, "%s.Layers is missing", where);
	/* The schema wants the vectors present, empty or not. */
	if (out->repo_tags == NULL && (out->repo_tags = calloc(1, sizeof(char *))) == NULL)
		return enomem(e);
	return 0;
}

int verify_parse_docker_archive(const uint8_t *buf, size_t len, struct msg_v_archive_reply *out,
				struct berr *e)
{
	const struct ipc_schema *s = &msg_v_archive_reply_schema;
	json_t *root;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	root = load_any(buf, len, true, e);
	if (root == NULL)
		return berr_wrap(e, "manifest.json");
	n = json_array_size(root);
	if (n == 0) {
		berr_set(e, BERR_INVALID, 0, "manifest.json lists no images");
		goto out;
	}
	if (n > lim(s, "images")) {
		berr_set(e, BERR_INVALID, 0, "manifest.json lists %zu images, more than the %"
			 PRIu64 " berth loads from one archive", n, lim(s, "images"));
		goto out;
	}
	out->images = calloc(n, sizeof(*out->images));
	if (out->images == NULL) {
		enomem(e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char where[48];
		snprintf(where, sizeof(where), "manifest.json[%zu]", i);
		out->n_images = i + 1;
		if (parse_archive_image(json_array_get(root, i), where, &out->images[i], e) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		ipc_struct_free(s, out);
	return rc;
}

/* ---------------------------------------------------------------- sigstore attachments */

/* Annotations of a cosign signature layer (cosign pkg/oci/static, containers/image
 * internal/signature/sigstore.go). */
#define ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define ANN_CERTIFICATE "dev.sigstore.cosign/certificate"
#define ANN_CHAIN "dev.sigstore.cosign/chain"
#define ANN_BUNDLE "dev.sigstore.cosign/bundle"

static bool base64_text(const char *s)
{
	size_t n = strlen(s), eq = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			eq++;
			continue;
		}
		/* Padding only at the end. */
		if (eq > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				(c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return n > 0 && eq <= 2;
}

/* The annotations of all layers carried in one reply, counted as key + value + SIGATTACH_ENTRY
 * bytes each (the msgpack around them): with 64 layers at their largest (about 96 KiB) the
 * reply stays inside one worker packet (IPC_MAX_MSG_WORKER, 192 KiB). A real attachment has a
 * signature of about 100 bytes per layer, a certificate and a Rekor bundle a few KiB each. */
#define SIGATTACH_ANN_BUDGET (48 * 1024)
#define SIGATTACH_ENTRY 32
#define UNKEPT_MAX 200

/* What of the manifest a reply cannot carry: the first such part is named, so a push that
 * would write the manifest again says what it would lose. */
struct unkept {
	size_t budget;           /* annotation bytes still allowed */
	char first[UNKEPT_MAX];  /* empty while everything is kept */
};

static void note_unkept(struct unkept *u, const char *where, const char *what)
{
	if (u->first[0] == '\0')
		snprintf(u->first, sizeof(u->first), "%s%s%s", where != NULL ? where : "",
			 where != NULL && where[0] != '\0' ? "." : "", what);
}

/* Members of obj other than the allowed ones (NULL-terminated): the first is noted, quoted
 * as untrusted text. */
static void note_other_members(json_t *obj, const char *where, const char *const *allowed,
			       struct unkept *u)
{
	const char *key;
	json_t *v;
	char q[QBUF];

	json_object_foreach(obj, key, v) {
		size_t i = 0;

		while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
			i++;
		if (allowed[i] == NULL) {
			note_unkept(u, where, quote_str(q, key));
			return;
		}
	}
}

/* Every annotation, verbatim and in order, when they fit the reply; else none and noted. */
static int keep_annotations(json_t *ann, const char *where, struct msg_sigattach_layer *out,
			    struct unkept *u)
{
	const struct ipc_schema *s = &msg_sigattach_annotation_schema;
	size_t n = json_object_size(ann), i = 0, cost = 0;
	const char *key;
	json_t *v;

	if (n == 0)
		return 0;
	json_object_foreach(ann, key, v) {
		size_t kl = strlen(key), vl = json_string_length(v);

		/* jansson refuses \u0000 in keys and values (JSON_ALLOW_NUL is not set), so the
		 * strlen is the whole string; checked anyway, as the channel refuses a NUL. */
		if (kl == 0 || kl > lim(s, "key") || vl > lim(s, "value") ||
		    memchr(json_string_value(v), '\0', vl) != NULL) {
			note_unkept(u, where, "annotations (a key or value berth does not carry)");
			return 0;
		}
		cost += kl + vl + SIGATTACH_ENTRY;
	}
	if (n > lim(&msg_sigattach_layer_schema, "annotations") || cost > u->budget) {
		note_unkept(u, where, "annotations (too many or too large)");
		return 0;
	}
	out->annotations = calloc(n, sizeof(*out->annotations));
	if (out->annotations == NULL)
		return -1;
	json_object_foreach(ann, key, v) {
		out->n_annotations = i + 1;
		out->annotations[i].key = strdup(key);
		out->annotations[i].value = strdup(json_string_value(v));
		if (out->annotations[i].key == NULL || out->annotations[i].value == NULL)
			return -1;
		i++;
	}
	u->budget -= cost;
	return 0;
}

/* The layer's annotations: every value a string (the OCI spec's map of strings; a reader
 * that skipped a non-string value could disagree with one that does not about what is
 * there); the signature kept, the certificate and bundle noted, and all of them carried
 * verbatim when they fit (keep_annotations). */
static int parse_sig_annotations(json_t *d, const char *where, struct msg_sigattach_layer *out,
				 struct unkept *u, struct berr *e)
{
	json_t *ann = json_object_get(d, "annotations");
	char name[NAME_MAX_LEN];
	const char *key;
	json_t *v;

	if (ann == NULL)
		return 0;
	field_name(name, where, "annotations");
	if (!json_is_object(ann))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", name);
	json_object_foreach(ann, key, v) {
		if (!json_is_string(v))
			return berr_set(e, BERR_INVALID, 0, "%s has a value that is not a string",
					name);
		if (strcmp(key, ANN_CERTIFICATE) == 0 || strcmp(key, ANN_CHAIN) == 0)
			out->has_certificate = true;
		else if (strcmp(key, ANN_BUNDLE) == 0)
			out->has_bundle = true;
	}
	if (keep_annotations(ann, where, out, u) < 0)
		return enomem(e);
	if (get_str(ann, name, ANN_SIGNATURE, false, false,
		    lim(&msg_sigattach_layer_schema, "signature"), &out->signature, e) < 0)
		return -1;
	if (out->signature != NULL && !base64_text(out->signature))
		return berr_set(e, BERR_INVALID, 0, "%s.%s is not base64", name, ANN_SIGNATURE);
	return 0;
}

static int parse_sig_layer(json_t *d, const char *where, struct msg_sigattach_layer *out,
			   struct unkept *u, struct berr *e)
{
	/* A descriptor's other members (urls, data, platform, artifactType) are not carried. */
	static const char *const kept[] = { "mediaType", "digest", "size", "annotations", NULL };
	const struct ipc_schema *s = &msg_sigattach_layer_schema;
	char name[NAME_MAX_LEN];

	if (!json_is_object(d))
		return berr_set(e, BERR_INVALID, 0, "%s is not an object", where);
	note_other_members(d, where, kept, u);
	/* The media type decides whether this layer is a signature at all: required, and a
	 * token the broker can compare and print. */
	if (get_token(d, where, "mediaType", true, false, lim(s, "media_type"), &out->media_type,
		      e) < 0 ||
	    get_str(d, where, "digest", true, false, lim(s, "digest"), &out->digest, e) < 0 ||
	    check_digest(field_name(name, where, "digest"), out->digest, e) < 0 ||
	    get_size(d, where, &out->size, e) < 0)
		return -1;
	return parse_sig_annotations(d, where, out, u, e);
}

static int parse_sigattach_root(json_t *root, enum mt_class claim, const char *claim_text,
				struct msg_v_sigattach_reply *out, struct berr *e)
{
	/* The config is written anew by an append; annotations, subject and artifactType of the
	 * manifest itself would be lost, so they are noted. */
	static const char *const kept[] = { "schemaVersion", "mediaType", "config", "layers",
					    NULL };
	const struct ipc_schema *s = &msg_v_sigattach_reply_schema;
	struct unkept u = { .budget = SIGATTACH_ANN_BUDGET };
	json_t *sv = json_object_get(root, "schemaVersion");
	json_t *mt = json_object_get(root, "mediaType");
	json_t *layers = json_object_get(root, "layers");
	char q[QBUF], where[32];
	size_t n;

	/* An OCI image manifest and nothing else, as containers/image's OCI1FromManifest reads
	 * it: the claim and the document's own mediaType (when present) must say so, and an
	 * index's "manifests" makes it ambiguous. */
	if (claim != MTC_GENERIC && claim != MTC_OCI_MANIFEST)
		return berr_set(e, BERR_INVALID, 0, "it was served as \"%s\", not as an OCI image "
				"manifest", quote_str(q, claim_text));
	if (mt != NULL && (!json_is_string(mt) || strcmp(json_string_value(mt),
							  MT_OCI_MANIFEST) != 0))
		return berr_set(e, BERR_INVALID, 0, "mediaType is not \"%s\"", MT_OCI_MANIFEST);
	if (json_object_get(root, "manifests") != NULL)
		return berr_set(e, BERR_INVALID, 0, "it has \"manifests\": it is not an image "
				"manifest");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return berr_set(e, BERR_INVALID, 0, "schemaVersion is not 2");
	if (layers == NULL)
		return berr_set(e, BERR_INVALID, 0, "layers is missing");
	if (!json_is_array(layers))
		return berr_set(e, BERR_INVALID, 0, "layers is not an array");
	n = json_array_size(layers);
	if (n > lim(s, "layers"))
		return berr_set(e, BERR_INVALID, 0, "it has %zu layers, more than the %" PRIu64
				" signatures berth reads for one image", n, lim(s, "layers"));
	/* Never NULL: "layers": [] still goes on the channel. */
	out->layers = calloc(n > 0 ? n : 1, sizeof(*out->layers));
	if (out->layers == NULL)
		return enomem(e);
	note_other_members(root, "", kept, &u);
	for (size_t i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "layers[%zu]", i);
		out->n_layers = i + 1;
		if (parse_sig_layer(json_array_get(layers, i), where, &out->layers[i], &u, e) < 0)
			return -1;
	}
	if (u.first[0] != '\0' && (out->unkept = strdup(u.first)) == NULL)
		return enomem(e);
	return 0;
}

int verify_parse_sigattach(const uint8_t *buf, size_t len, const char *claimed_media_type,
			   struct msg_v_sigattach_reply *out, struct berr *e)
{
	cleanup_json json_t *root = NULL;
	char norm[MEDIA_CLAIM_BUF];
	enum mt_class claim;

	memset(out, 0, sizeof(*out));
	claim = classify_claim(claimed_media_type, norm);
	root = load(buf, len, e);
	if (root == NULL)
		return berr_wrap(e, "signature attachment manifest");
	if (parse_sigattach_root(root, claim, norm, out, e) < 0) {
		ipc_struct_free(&msg_v_sigattach_reply_schema, out);
		return berr_wrap(e, "signature attachment manifest");
	}
	return 0;
}
