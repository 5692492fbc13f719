/* The frontend: Podman's command line. It runs as the user, never more, parses the command
 * line, starts one broker for the command and prints what the broker answers. */
#ifndef BERTH_FRONTEND_FRONTEND_H
#define BERTH_FRONTEND_FRONTEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "ipc/channel.h"

#define EXIT_BERTH 125   /* berth itself failed */
#define EXIT_CANNOT 126  /* the command could not be invoked */
#define EXIT_NOTFOUND 127

/* Global options, const once parsed. */
struct progress;

struct fe_opts {
	char root[4096];
	char runroot[4096];
	char tmpdir[4096];
	char runtime[4096];
	int log_level;
	bool rootless;
	char libexec[4096];
	char authfile[4096];    /* default auth.json: $REGISTRY_AUTH_FILE, else the runtime dir's */
	char signature_policy[4096]; /* --signature-policy, or empty: the lookup order */
};

/* A running broker for this command. */
struct fe_broker {
	pid_t pid;
	struct ipc_chan *ch;   /* owned */
	bool rootless;
	uint64_t next_id;
	struct progress *progress; /* owned: the progress display, made on first use */
};

/* Starts berth-broker and says hello. On failure *e holds the broker's or the system's reason. */
int fe_broker_start(const struct fe_opts *o, struct fe_broker *br, struct berr *e);
/* Sends a request and waits for its reply: returns 0 with *reply (of want_type) or -1 with *e
 * (an error reply from the broker, or a broken channel). */
int fe_broker_call(struct fe_broker *br, uint32_t type, const void *body, const int *fds,
		   size_t nfds, uint32_t want_type, struct ipc_msg **reply, struct berr *e);
/* The next reply to the last request (answers that come in several messages). */
int fe_broker_next(struct fe_broker *br, uint32_t want_type, struct ipc_msg **reply,
		   struct berr *e);
/* One request through a fresh broker, for commands that need one round trip: *reply is the
 * answer of type want (caller frees), or -1 after printing "Error: ..." */
int fe_request(const struct fe_opts *o, uint32_t type, const void *body, uint32_t want,
	       struct ipc_msg **reply);
/* The same, passing fds (the frontend's own files: an archive, a terminal) with the request. */
int fe_request_fds(const struct fe_opts *o, uint32_t type, const void *body, const int *fds,
		   size_t nfds, uint32_t want, struct ipc_msg **reply);
/* Closes the channel (the broker then exits) and reaps the broker. */
void fe_broker_stop(struct fe_broker *br);

/* Resolves default store paths for root or rootless use (XDG dirs), after the options. */
int fe_default_paths(struct fe_opts *o, bool root_set, bool runroot_set, struct berr *e);

/* --signature-policy made absolute (realpath) in *out (caller frees), or NULL when not given:
 * the broker reads the file. Returns 0, or -1 after printing "Error: ...". */
int fe_signature_policy(const struct fe_opts *o, char **out);

/* Prints "Error: <msg>" to stderr. */
void fe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands. Each returns the process exit code. argv[0] is the command name. */
int cmd_version(const struct fe_opts *o, int argc, char **argv);
int cmd_info(const struct fe_opts *o, int argc, char **argv);
int cmd_unshare(const struct fe_opts *o, int argc, char **argv);
int cmd_pull(const struct fe_opts *o, int argc, char **argv);
int cmd_images(const struct fe_opts *o, int argc, char **argv);
int cmd_image_inspect(const struct fe_opts *o, int argc, char **argv);
int cmd_tag(const struct fe_opts *o, int argc, char **argv);
int cmd_untag(const struct fe_opts *o, int argc, char **argv);
int cmd_rmi(const struct fe_opts *o, int argc, char **argv);
int cmd_image(const struct fe_opts *o, int argc, char **argv);
int cmd_login(const struct fe_opts *o, int argc, char **argv);
int cmd_logout(const struct fe_opts *o, int argc, char **argv);
int cmd_push(const struct fe_opts *o, int argc, char **argv);
int cmd_history(const struct fe_opts *o, int argc, char **argv);
int cmd_image_prune(const struct fe_opts *o, int argc, char **argv);
int cmd_load(const struct fe_opts *o, int argc, char **argv);
int cmd_create(const struct fe_opts *o, int argc, char **argv);
int cmd_run(const struct fe_opts *o, int argc, char **argv);
int cmd_start(const struct fe_opts *o, int argc, char **argv);
int cmd_ps(const struct fe_opts *o, int argc, char **argv);
int cmd_rm(const struct fe_opts *o, int argc, char **argv);
int cmd_stop(const struct fe_opts *o, int argc, char **argv);
int cmd_kill(const struct fe_opts *o, int argc, char **argv);
int cmd_restart(const struct fe_opts *o, int argc, char **argv);
/* The whole `ps` answer (every part), the summaries moved into *out (zeroed by the caller);
 * -1 with the error printed. */
struct msg_ps;
struct msg_ps_reply;
int fe_ps_fetch(const struct fe_opts *o, const struct msg_ps *req, struct msg_ps_reply *out);
int cmd_wait(const struct fe_opts *o, int argc, char **argv);
int cmd_logs(const struct fe_opts *o, int argc, char **argv);
int cmd_exec(const struct fe_opts *o, int argc, char **argv);
int cmd_container_prune(const struct fe_opts *o, int argc, char **argv);
int cmd_attach(const struct fe_opts *o, int argc, char **argv);
int cmd_container(const struct fe_opts *o, int argc, char **argv);
int cmd_container_exists(const struct fe_opts *o, int argc, char **argv);
int cmd_container_inspect(const struct fe_opts *o, int argc, char **argv);
int cmd_inspect(const struct fe_opts *o, int argc, char **argv);
/* Container inspect for `inspect`: 1 found (*out: Podman's object), 0 none, -1 error printed. */
struct json_t;
int fe_container_inspect(const struct fe_opts *o, const char *name, struct json_t **out);
int cmd_import(const struct fe_opts *o, int argc, char **argv);
int cmd_save(const struct fe_opts *o, int argc, char **argv);
int cmd_image_trust(const struct fe_opts *o, int argc, char **argv);
int cmd_image_sign(const struct fe_opts *o, int argc, char **argv);
/* The user's GnuPG home: $GNUPGHOME, else ~/.gnupg. Returns 0, or -1 after fe_error. */
int fe_gnupghome(char *buf, size_t len);
/* The content of a --sign-passphrase-file without its trailing newline (heap; free with
 * fe_wipe_free), or NULL after fe_error. */
char *fe_read_passphrase(const char *path);
/* Wipes and frees a secret string (NULL is fine). */
void fe_wipe_free(char *s);
/* Reads a small secret file (at most 64 KiB) named by option into *out (fe_wipe_bin). Returns
 * 0, or -1 after fe_error. */
int fe_read_secret_file(const char *path, const char *option, struct ipc_bin *out);
void fe_wipe_bin(struct ipc_bin *b);

/* Option parsing shared by the commands, cobra-style: --name, --name=value, --name value, -x
 * value, -xVALUE; "--" ends options; with stop_at_arg, the first non-option ends them too. */
struct fe_opt {
	const char *name;   /* long name, without dashes; NULL: an unused slot */
	char shortname;     /* 0 for none */
	bool has_arg;
	const char *help;
};

/* Parses argv[1..] against opts. For each option found calls fn(id, value, ctx) where id is the
 * index in opts (a boolean flag gets NULL, or "false" for --flag=false) (fn returns -1 to fail, having printed the error). Positional arguments are
 * returned in *pos (pointing into argv) and *npos. Unknown flags print Podman's message naming
 * `cmdpath` ("berth info") and return -1. */
int fe_parse(const char *cmdpath, const struct fe_opt *opts, size_t nopts, int argc, char **argv,
	     bool stop_at_arg, int (*fn)(int id, const char *value, void *ctx), void *ctx,
	     char ***pos, int *npos);
void fe_usage(const char *usage, const char *desc, const struct fe_opt *opts, size_t nopts);

/* A command group (`berth image ...`): runs the subcommand argv[1] names, lists them for
 * --help (exit 0) or no argument (exit 125), refuses others in Podman's words. */
struct fe_sub {
	const char *name;
	int (*run)(const struct fe_opts *o, int argc, char **argv);
};
int fe_subcommand(const struct fe_opts *o, const char *group, const char *desc,
		  const struct fe_sub *subs, size_t n, int argc, char **argv);

#endif
