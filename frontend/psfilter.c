#include "frontend/psfilter.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"

enum pf_key { PF_ID, PF_NAME, PF_LABEL, PF_STATUS, PF_EXITED, PF_ANCESTOR, PF_BEFORE, PF_SINCE,
	      PF_NKEYS };

static const char *const key_names[PF_NKEYS] = {
	[PF_ID] = "id", [PF_NAME] = "name", [PF_LABEL] = "label", [PF_STATUS] = "status",
	[PF_EXITED] = "exited", [PF_ANCESTOR] = "ancestor", [PF_BEFORE] = "before",
	[PF_SINCE] = "since",
};

/* Podman's container states; berth's containers are only ever created, running or exited,
 * so the others are valid and match nothing. */
static const char *const statuses[] = { "created", "running", "exited", "paused", "stopped",
					"unknown", "restarting", "removing", "stopping" };

struct pf_value {
	enum pf_key key;
	const char *value; /* borrowed from argv */
	regex_t re;        /* id, name, ancestor */
	bool have_re;
};

struct ps_filters {
	struct pf_value *v;
	size_t n;
	bool need_labels;
};

void ps_filters_free(struct ps_filters *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].have_re)
			regfree(&f->v[i].re);
	free(f->v);
	free(f);
}

static int parse_one(struct pf_value *v, char *arg)
{
	char *eq = strchr(arg, '=');
	size_t klen = eq != NULL ? (size_t)(eq - arg) : 0;
	int k;

	if (eq == NULL || eq[1] == '\0') {
		fe_error("invalid filter \"%s\": want KEY=VALUE", arg);
		return -1;
	}
	for (k = 0; k < PF_NKEYS; k++)
		if (strlen(key_names[k]) == klen && strncmp(arg, key_names[k], klen) == 0)
			break;
	if (k == PF_NKEYS) {
		if ((klen == 3 && strncmp(arg, "pod", 3) == 0) ||
		    (klen == 7 && strncmp(arg, "network", 7) == 0) ||
		    (klen == 6 && strncmp(arg, "volume", 6) == 0) ||
		    (klen == 6 && strncmp(arg, "health", 6) == 0) ||
		    (klen == 5 && strncmp(arg, "until", 5) == 0)) {
			fe_error("filter %.*s is not supported by berth yet", (int)klen, arg);
			return -1;
		}
		fe_error("%.*s is an invalid filter", (int)klen, arg);
		return -1;
	}
	v->key = (enum pf_key)k;
	v->value = eq + 1;
	if (k == PF_STATUS) {
		for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			if (strcmp(v->value, statuses[i]) == 0)
				return 0;
		fe_error("%s is not a valid status", v->value);
		return -1;
	}
	if (k == PF_EXITED) {
		char *end;
		long c = strtol(v->value, &end, 10);
		if (*end != '\0' || c < 0 || c > 255) {
			fe_error("exited code out of range \"%s\"", v->value);
			return -1;
		}
		return 0;
	}
	if (k == PF_ID || k == PF_NAME || k == PF_ANCESTOR) {
		if (regcomp(&v->re, v->value, REG_EXTENDED | REG_NOSUB) != 0) {
			fe_error("invalid %s filter \"%s\": not a regular expression", key_names[k],
				 v->value);
			return -1;
		}
		v->have_re = true;
	}
	return 0;
}

struct ps_filters *ps_filters_parse(char **values, size_t n)
{
	struct ps_filters *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->v = calloc(n + 1, sizeof(*f->v))) == NULL) {
		free(f);
		fe_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (parse_one(&f->v[i], values[i]) < 0) {
			ps_filters_free(f);
			return NULL;
		}
		f->n++;
		f->need_labels = f->need_labels || f->v[i].key == PF_LABEL;
	}
	return f;
}

bool ps_filters_need_labels(const struct ps_filters *f)
{
	return f != NULL && f->need_labels;
}

static bool has_label(const struct msg_container_summary *s, const char *want)
{
	const char *eq = strchr(want, '=');
	size_t klen = eq != NULL ? (size_t)(eq - want) : strlen(want);

	for (size_t i = 0; i < s->n_labels; i++) {
		const char *l = s->labels[i];
		if (strncmp(l, want, klen) != 0 || (l[klen] != '=' && l[klen] != '\0'))
			continue;
		if (eq == NULL)
			return true;
		if (strcmp(l[klen] == '=' ? l + klen + 1 : "", eq + 1) == 0)
			return true;
	}
	return false;
}

/* The position in all (newest first: the broker lists them in creation order) of the
 * container named or ID-prefixed ref, or -1 (printed). */
static long position_of(const char *ref, const struct msg_ps_reply *all)
{
	long hit = -1;
	size_t len = strlen(ref);

	for (size_t i = 0; i < all->n_containers; i++)
		if (strcmp(all->containers[i].name, ref) == 0)
			return (long)i;
	for (size_t i = 0; i < all->n_containers; i++)
		if (strncmp(all->containers[i].id, ref, len) == 0) {
			if (hit >= 0) {
				fe_error("more than one container matches \"%s\"", ref);
				return -1;
			}
			hit = (long)i;
		}
	if (hit < 0)
		fe_error("no container with name or ID \"%s\" found: no such container", ref);
	return hit;
}

static int match_one(const struct pf_value *v, const struct msg_container_summary *s,
		     const struct msg_ps_reply *all)
{
	long at, self;

	switch (v->key) {
	case PF_ID:
		return strncmp(s->id, v->value, strlen(v->value)) == 0 ||
		       regexec(&v->re, s->id, 0, NULL, 0) == 0;
	case PF_NAME:
		return regexec(&v->re, s->name, 0, NULL, 0) == 0;
	case PF_LABEL:
		return has_label(s, v->value);
	case PF_STATUS:
		return strcmp(v->value, s->state) == 0 ||
		       (strcmp(v->value, "stopped") == 0 && strcmp(s->state, "exited") == 0);
	case PF_EXITED:
		return strcmp(s->state, "exited") == 0 && s->exit_code == strtol(v->value, NULL, 10);
	case PF_ANCESTOR:
		return regexec(&v->re, s->image, 0, NULL, 0) == 0 ||
		       strncmp(s->image_id, v->value, strlen(v->value)) == 0 ||
		       (strncmp(v->value, "sha256:", 7) == 0 &&
			strncmp(s->image_id, v->value + 7, strlen(v->value + 7)) == 0);
	case PF_BEFORE:
	case PF_SINCE:
		if ((at = position_of(v->value, all)) < 0)
			return -1;
		self = (long)(s - all->containers);
		return v->key == PF_BEFORE ? self > at : self < at;
	default:
		return 0;
	}
}

int ps_filters_match(const struct ps_filters *f, const struct msg_container_summary *s,
		     const struct msg_ps_reply *all)
{
	if (f == NULL)
		return 1;
	for (int k = 0; k < PF_NKEYS; k++) {
		bool seen = false, any = false;
		for (size_t i = 0; i < f->n; i++) {
			if (f->v[i].key != (enum pf_key)k)
				continue;
			int r = match_one(&f->v[i], s, all);
			if (r < 0)
				return -1;
			if (k == PF_LABEL && r == 0)
				return 0; /* every label must hold */
			seen = true;
			any = any || r == 1;
		}
		if (seen && !any)
			return 0;
	}
	return 1;
}
