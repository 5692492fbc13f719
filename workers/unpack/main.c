/* berth-unpack: extracts one layer (libarchive) into one directory fd it was given; no network,
 * nothing outside that directory (extract.h says how, policy.c how the sandbox holds it to that).
 *
 * One process per layer. The broker spawns it with the new, empty layer directory at fd 5
 * (WORKER_LAYER_FD), so the Landlock ruleset built before the first request can grant that
 * directory and nothing else; then sends one MSG_U_LAYER carrying the blob as fds[0]. A second
 * MSG_U_LAYER is a protocol violation. `berth info` spawns it without fd 5 (it only asks for
 * MSG_W_INFO): a missing fd 5 is fine at start and refused only when a layer arrives.
 * `berth save` spawns it without fd 5 too, to write one archive (pack.h): MSG_U_PACK and
 * MSG_U_PACK_ENTRY are accepted in that mode only, where Landlock grants no path at all.
 *
 * Two libraries are warmed up before the sandbox, because their first use reads files that
 * Landlock then refuses: OpenSSL's SHA-256 (the first fetch may read openssl.cnf and set up the
 * default provider), and glibc's iconv, which libarchive opens to convert pax (UTF-8) names to
 * the locale's charset: the first iconv_open() reads the gconv module configuration once for
 * the process. The conversions involved (UTF-8 to ASCII or UTF-8) are built into glibc, so no
 * module is ever loaded, i.e. no executable mapping is needed. */
#include <errno.h>
#include <iconv.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <openssl/evp.h>

#include "common/cleanup.h"
#include "workers/common/worker.h"
#include "workers/unpack/extract.h"
#include "workers/unpack/pack.h"
#include "workers/unpack/policy.h"
#include "workers/unpack/shift.h"
#include "workers/unpack/stage.h"

struct unpack_state {
	bool have_dir;      /* fd 5 is the layer directory, checked at start */
	bool layer_seen;    /* the one MSG_U_LAYER of this process has arrived */
	struct pack_slot pack; /* the one archive of a process without a layer directory */
};

static int init_common(struct worker *w, int argc, bool layer, struct berr *e)
{
	struct unpack_state *s = worker_role_state(w);
	EVP_MD_CTX *md;
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len;
	struct stat st;
	iconv_t cd;
	int ok;

	if (argc != 0)
		return berr_set(e, BERR_INVALID, 0, "berth-unpack takes no arguments");
	if (layer) {
		/* main() saw fd 5 open; it must be the layer directory. */
		if (fstat(WORKER_LAYER_FD, &st) < 0 || !S_ISDIR(st.st_mode))
			return berr_set(e, BERR_INVALID, 0,
					"fd %d is not a directory: berth-unpack is started by "
					"berth, with the layer directory at fd %d",
					WORKER_LAYER_FD, WORKER_LAYER_FD);
		s->have_dir = true;
	}
	cd = iconv_open(nl_langinfo(CODESET), "UTF-8");
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	md = EVP_MD_CTX_new();
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestFinal_ex(md, out, &len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return berr_set(e, BERR_INTERNAL, 0, "OpenSSL SHA-256 failed to initialise");
	return 0;
}

static int unpack_init(struct worker *w, int argc, char **argv, struct berr *e)
{
	(void)argv;
	return init_common(w, argc, true, e);
}

static int unpack_init_nodir(struct worker *w, int argc, char **argv, struct berr *e)
{
	(void)argv;
	return init_common(w, argc, false, e);
}

static int unpack_info(struct worker *w, struct msg_worker_status *st, struct berr *e)
{
	(void)w;
	return worker_strv_add(&st->libraries, &st->n_libraries, archive_version_details(), e);
}

static int handle_layer(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct unpack_state *s = worker_role_state(w);
	const struct msg_u_layer *req = m->body;
	struct msg_u_layer_reply reply = { 0 };
	struct unpack_opts o;
	struct unpack_result r;
	cleanup_close int blob = -1;

	/* One layer per process: the Landlock grant is for one directory, and a broker that sends
	 * a second layer is confused. */
	if (s->layer_seen)
		return berr_set(e, BERR_PROTOCOL, 0, "a second layer request");
	s->layer_seen = true;
	if (m->nfds != 1 || m->fds[0] < 0)
		return berr_set(e, BERR_PROTOCOL, 0, "the layer request carries no blob");
	blob = TAKE_FD(m->fds[0]);
	if (!s->have_dir)
		return berr_set(e, BERR_INTERNAL, 0,
				"berth-unpack was started without a layer directory at fd %d",
				WORKER_LAYER_FD);
	if (req->max_bytes == 0 || req->max_entries == 0)
		return berr_set(e, BERR_INVALID, 0, "the layer request has no limits");

	/* req->media_type is only a hint: the compression is sniffed (gzip, zstd or none), and
	 * the broker checks the digest of what was really in the stream, the diff_id. */
	o = (struct unpack_opts){
		.rootless = req->rootless,
		.max_bytes = req->max_bytes,
		.max_entries = req->max_entries,
	};
	if (unpack_layer(blob, WORKER_LAYER_FD, &o, &r, e) < 0)
		return berr_wrap(e, "extracting the layer");
	reply.diff_id = r.diff_id;
	reply.entries = r.entries;
	reply.bytes = r.bytes;
	reply.skipped = r.skipped;
	if (ipc_send(worker_chan(w), MSG_U_LAYER_REPLY, m->id, &reply, NULL, 0, e) < 0)
		return -1;
	return 0;
}

/* An image archive (load): its files staged in the directory at fd 5, which the broker made
 * for this one archive, with the same one-request-per-process rule as a layer. */
static int handle_archive(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct unpack_state *s = worker_role_state(w);
	const struct msg_u_archive *req = m->body;
	struct msg_u_archive_reply reply = { 0 };
	struct stage_opts o = { .max_bytes = req->max_bytes, .max_files = req->max_files };
	struct stage_result r;
	cleanup_close int in = -1;
	int rc;

	if (s->layer_seen)
		return berr_set(e, BERR_PROTOCOL, 0, "a second request");
	s->layer_seen = true;
	if (m->nfds != 1 || m->fds[0] < 0)
		return berr_set(e, BERR_PROTOCOL, 0, "the archive request carries no archive");
	in = TAKE_FD(m->fds[0]);
	if (!s->have_dir)
		return berr_set(e, BERR_INTERNAL, 0,
				"berth-unpack was started without a staging directory at fd %d",
				WORKER_LAYER_FD);
	if (stage_archive(in, WORKER_LAYER_FD, &o, &r, e) < 0)
		return -1;
	reply.entries = calloc(r.n + 1, sizeof(*reply.entries));
	if (reply.entries == NULL) {
		stage_result_free(&r);
		return berr_sys(e, "allocating");
	}
	for (size_t i = 0; i < r.n; i++)
		reply.entries[i] = (struct msg_archive_entry){ .path = r.entries[i].path,
							       .file = r.entries[i].file,
							       .size = r.entries[i].size };
	reply.n_entries = r.n;
	reply.skipped = r.skipped;
	rc = ipc_send(worker_chan(w), MSG_U_ARCHIVE_REPLY, m->id, &reply, NULL, 0, e);
	free(reply.entries);
	stage_result_free(&r);
	return rc;
}

/* --userns=nomap: the image tree the broker mounted read-only at "src" beneath fd 5 copied to
 * "root" beside it, owners shifted (shift.h); one request per process, as a layer. */
static int handle_shift(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct worker *w = ctx;
	struct unpack_state *s = worker_role_state(w);
	const struct msg_u_shift *req = m->body;
	struct msg_u_shift_reply reply = { 0 };
	struct shift_opts o = { .uid_shift = (uint32_t)req->uid_shift,
				.gid_shift = (uint32_t)req->gid_shift,
				.max_uid = (uint32_t)req->max_uid, .max_gid = (uint32_t)req->max_gid };
	struct shift_result r;

	if (s->layer_seen)
		return berr_set(e, BERR_PROTOCOL, 0, "a second request");
	s->layer_seen = true;
	if (!s->have_dir)
		return berr_set(e, BERR_INTERNAL, 0,
				"berth-unpack was started without a directory at fd %d",
				WORKER_LAYER_FD);
	if (shift_tree(WORKER_LAYER_FD, &o, &r, e) < 0)
		return -1;
	reply.entries = r.entries;
	reply.skipped = r.skipped;
	return ipc_send(worker_chan(w), MSG_U_SHIFT_REPLY, m->id, &reply, NULL, 0, e);
}

static const struct ipc_dispatch unpack_table[] = {
	{ MSG_U_LAYER, true, WS_READY, handle_layer },
	{ MSG_U_ARCHIVE, true, WS_READY, handle_archive },
	{ MSG_U_SHIFT, false, WS_READY, handle_shift },
};

static int handle_pack(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct unpack_state *s = worker_role_state(ctx);
	return pack_handle_begin(&s->pack, worker_chan(ctx), m, e);
}

static int handle_pack_entry(void *ctx, struct ipc_msg *m, struct berr *e)
{
	struct unpack_state *s = worker_role_state(ctx);
	return pack_handle_entry(&s->pack, worker_chan(ctx), m, e);
}

/* Without a layer directory: a layer request is still refused by its handler, and an archive
 * may be written (into an fd the broker passes; no path is opened). */
static const struct ipc_dispatch unpack_nodir_table[] = {
	{ MSG_U_LAYER, true, WS_READY, handle_layer },
	{ MSG_U_PACK, true, WS_READY, handle_pack },
	{ MSG_U_PACK_ENTRY, true, WS_READY, handle_pack_entry },
};

static const struct worker_role unpack_role = {
	.name = "unpack",
	.policy = &unpack_sandbox_policy,
	.init = unpack_init,
	.info = unpack_info,
	.table = unpack_table,
	.n_table = ARRAY_SIZE(unpack_table),
	.role_state_size = sizeof(struct unpack_state),
};

/* Without a layer directory: fd 5 is neither kept nor granted (policy.c), a layer request is
 * refused, and `berth save` writes its archive. */
static const struct worker_role unpack_nodir_role = {
	.name = "unpack",
	.policy = &unpack_sandbox_policy_nodir,
	.init = unpack_init_nodir,
	.info = unpack_info,
	.table = unpack_nodir_table,
	.n_table = ARRAY_SIZE(unpack_nodir_table),
	.role_state_size = sizeof(struct unpack_state),
};

/* The role, and with it the policy, is chosen before anything else runs: the Landlock grant is
 * for the fd the broker put at 5, never for whatever a library might open there later. With
 * the broker's channel, an open fd 5 must be the layer directory (unpack_init checks); in the
 * sandbox test modes, fd 5 is whatever the caller's shell left, so only a directory counts. */
int main(int argc, char **argv)
{
	bool test_mode = argc >= 2 && (strcmp(argv[1], "--try-syscall") == 0 ||
				       strcmp(argv[1], "--sandbox-status") == 0);
	struct stat st;
	bool open5 = fstat(WORKER_LAYER_FD, &st) == 0;
	bool layer = test_mode ? open5 && S_ISDIR(st.st_mode) : open5;

	return worker_main(argc, argv, layer ? &unpack_role : &unpack_nodir_role);
}
