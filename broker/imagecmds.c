#include "broker/imagecmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/containers.h"
#include "broker/imgstore.h"
#include "common/cleanup.h"
#include "common/reference.h"

int imagecmd_normalize_name(const char *in, char *out, size_t len, struct berr *e)
{
	struct image_ref ref;

	if (ref_parse(in, &ref, e) < 0)
		return berr_wrap(e, "normalizing name for tag %s", in);
	if (ref.digest[0] != '\0')
		return berr_set(e, BERR_INVALID, 0, "%s: a tag cannot carry a digest", in);
	/* Podman names locally made images localhost/NAME. */
	if (ref_is_short(&ref))
		snprintf(ref.domain, sizeof(ref.domain), "localhost");
	if (ref.tag[0] == '\0')
		snprintf(ref.tag, sizeof(ref.tag), "latest");
	if (ref_format(&ref, out, len) < 0)
		return berr_set(e, BERR_INVALID, 0, "%s: name too long", in);
	return 0;
}

int imagecmd_images(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	struct msg_images_reply r = { 0 };
	int rc;

	if (imgstore_list(b->db, &r, e) < 0) {
		ipc_struct_free(&msg_images_reply_schema, &r);
		return -1;
	}
	rc = ipc_send(b->front, MSG_IMAGES_REPLY, m->id, &r, NULL, 0, e);
	ipc_struct_free(&msg_images_reply_schema, &r);
	return rc;
}

int imagecmd_inspect(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_image_inspect *q = m->body;
	struct msg_image_inspect_reply r = { 0 };
	char id[65];
	int rc;

	if (imgstore_lookup(b->db, q->name, id, e) < 0 || imgstore_inspect(b->db, id, &r, e) < 0)
		return -1;
	rc = ipc_send(b->front, MSG_IMAGE_INSPECT_REPLY, m->id, &r, NULL, 0, e);
	ipc_struct_free(&msg_image_inspect_reply_schema, &r);
	return rc;
}

static int reply_ok(struct broker *b, uint64_t id, struct berr *e)
{
	struct msg_ok ok = { 0 };
	return ipc_send(b->front, MSG_OK, id, &ok, NULL, 0, e);
}

int imagecmd_tag(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_tag *t = m->body;
	char id[65], name[600];

	if (t->n_names == 0)
		return berr_set(e, BERR_INVALID, 0, "at least two arguments are required");
	if (imgstore_lookup(b->db, t->image, id, e) < 0)
		return -1;
	for (size_t i = 0; i < t->n_names; i++)
		if (imagecmd_normalize_name(t->names[i], name, sizeof(name), e) < 0 ||
		    imgstore_add_name(b->db, id, name, e) < 0)
			return -1;
	return reply_ok(b, m->id, e);
}

int imagecmd_untag(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_tag *t = m->body;
	char id[65], **names = NULL, **removed = NULL;
	size_t n_removed = 0;
	int rc = -1;

	if (imgstore_lookup(b->db, t->image, id, e) < 0)
		return -1;
	names = calloc(t->n_names + 1, sizeof(char *));
	if (names == NULL)
		return berr_sys(e, "allocating");
	for (size_t i = 0; i < t->n_names; i++) {
		char n[600];
		if (imagecmd_normalize_name(t->names[i], n, sizeof(n), e) < 0)
			goto out;
		names[i] = strdup(n);
	}
	if (imgstore_remove_names(b->db, id, names, t->n_names, &removed, &n_removed, e) < 0)
		goto out;
	if (t->n_names > 0 && n_removed == 0) {
		berr_set(e, BERR_NOTFOUND, 0, "%s: tag not known", t->names[0]);
		goto out;
	}
	rc = reply_ok(b, m->id, e);
out:
	for (size_t i = 0; i < t->n_names; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; i < n_removed; i++)
		free(removed[i]);
	free(removed);
	return rc;
}

/* An image a container uses is not removed (nor untagged of its last name) unless -f, which
 * removes those containers first, as Podman does. */
static int in_use(struct broker *b, const char *id, bool all_names, bool ctr_force,
		  struct berr *e)
{
	struct msg_images_reply all = { 0 };
	char user[65];
	size_t names = 0;

	if (ctr_image_user(b->db, id, user, e) < 0)
		return -1;
	if (user[0] == '\0')
		return 0;
	if (!all_names) {
		if (imgstore_list(b->db, &all, e) < 0) {
			ipc_struct_free(&msg_images_reply_schema, &all);
			return -1;
		}
		for (size_t i = 0; i < all.n_images; i++)
			if (strcmp(all.images[i].id, id) == 0)
				names = all.images[i].n_names;
		ipc_struct_free(&msg_images_reply_schema, &all);
		if (names > 1)
			return 0; /* only a name goes */
	}
	if (!ctr_force)
		return berr_set(e, BERR_DENIED, 0, "image used by %s: image is in use by a "
				"container: consider listing external containers and force-removing "
				"image", user);
	/* -f: the containers go first. */
	while (user[0] != '\0') {
		if (ctr_delete(b->db, user, e) < 0 || ctr_remove_dirs(b->cfg.root, user, e) < 0 ||
		    ctr_image_user(b->db, id, user, e) < 0)
			return -1;
	}
	return 0;
}

static int rmi_one(struct broker *b, const char *name, bool force, bool ctr_force, struct msg_rmi_reply *r,
		   struct berr *e)
{
	char id[65];
	bool by_id;
	char **none = NULL;
	size_t left = 0;

	if (imgstore_lookup(b->db, name, id, e) < 0)
		return -1;
	by_id = strncmp(id, name, strlen(name)) == 0;
	if (in_use(b, id, by_id || force, ctr_force, e) < 0)
		return -1;
	/* rmi NAME removes that name; the image goes when no name is left. rmi ID (or -f)
	 * removes every name and the image. */
	if (by_id || force) {
		if (imgstore_remove_names(b->db, id, NULL, 0, &r->untagged, &r->n_untagged, e) < 0)
			return -1;
	} else {
		char norm[600];
		char *one[1];
		struct berr e2 = { 0 };
		if (imagecmd_normalize_name(name, norm, sizeof(norm), &e2) == 0)
			one[0] = norm;
		else
			one[0] = (char *)name;
		size_t before = r->n_untagged;
		if (imgstore_remove_names(b->db, id, one, 1, &r->untagged, &r->n_untagged, e) < 0)
			return -1;
		if (r->n_untagged == before) {
			/* A short name matched through search: remove the stored name it matched. */
			one[0] = (char *)name;
			if (imgstore_remove_names(b->db, id, one, 1, &r->untagged, &r->n_untagged,
						  e) < 0)
				return -1;
		}
	}
	struct msg_images_reply all = { 0 };
	if (imgstore_list(b->db, &all, e) < 0) {
		ipc_struct_free(&msg_images_reply_schema, &all);
		return -1;
	}
	for (size_t i = 0; i < all.n_images; i++)
		if (strcmp(all.images[i].id, id) == 0)
			left = all.images[i].n_names;
	ipc_struct_free(&msg_images_reply_schema, &all);
	(void)none;
	if (left > 0)
		return 0;
	return imgstore_delete(b->db, b->cfg.root, id, &r->deleted, &r->n_deleted, e);
}

static int add_missing(struct msg_rmi_reply *r, const char *name)
{
	char **nv = realloc(r->missing, (r->n_missing + 2) * sizeof(char *));
	if (nv == NULL)
		return -1;
	r->missing = nv;
	nv[r->n_missing] = strdup(name);
	nv[++r->n_missing] = NULL;
	return 0;
}

static bool image_used(struct broker *b, const char *id)
{
	char user[65];
	struct berr e2;

	return ctr_image_user(b->db, id, user, &e2) < 0 || user[0] != '\0';
}

int imagecmd_rmi(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct broker *b = ctx;
	const struct msg_rmi *q = m->body;
	struct msg_rmi_reply r = { 0 };
	int rc = -1;

	if (q->all || q->prune) {
		struct msg_images_reply all = { 0 };
		if (imgstore_list(b->db, &all, e) < 0) {
			ipc_struct_free(&msg_images_reply_schema, &all);
			goto out;
		}
		for (size_t i = 0; i < all.n_images; i++)
			/* prune alone: only images no name points at (dangling). */
			if ((q->all || all.images[i].n_names == 0) &&
			    !(q->prune && image_used(b, all.images[i].id)) &&
			    rmi_one(b, all.images[i].id, true, q->force, &r, e) < 0) {
				ipc_struct_free(&msg_images_reply_schema, &all);
				goto out;
			}
		ipc_struct_free(&msg_images_reply_schema, &all);
	}
	for (size_t i = 0; i < q->n_names; i++) {
		if (rmi_one(b, q->names[i], q->force, q->force, &r, e) < 0) {
			if (e->code != BERR_NOTFOUND)
				goto out;
			add_missing(&r, q->names[i]);
		}
	}
	rc = ipc_send(b->front, MSG_RMI_REPLY, m->id, &r, NULL, 0, e);
out:
	ipc_struct_free(&msg_rmi_reply_schema, &r);
	return rc;
}
