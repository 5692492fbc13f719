/* berth-verify's resolver of a container's user: the user spec of `-u` or the image's User
 * ("name", "uid", "name:group", "name:gid", "uid:group", "uid:gid") looked up in the
 * container's own /etc/passwd and /etc/group, which are untrusted image content.
 *
 * PURE: no system calls, no I/O, no global state. Linked into berth-verify, the unit tests and
 * fuzz/fuzz_passwd.
 *
 * The meaning is runc's (libcontainer/user GetExecUser):
 *  - the user part: a number is a uid (its passwd entry, if any, gives the primary gid and the
 *    home; without one the gid is 0 and the home "/"); a name must have a passwd entry;
 *  - the group part: a number is a gid as it is (its group entry is not needed); a name must
 *    have a group entry; either replaces the primary gid and then there are no supplementary
 *    groups;
 *  - without a group part, the supplementary gids are those of the groups that list the
 *    user's name (of the passwd entry found) as a member, in file order;
 *  - the first matching entry wins; blank lines and '#' comments are skipped.
 *
 * Where berth is stricter than runc: a line whose uid or gid field is not a number in
 * 0..PASSWD_ID_MAX is skipped (runc reads it as 0: a malformed line would give root), a home
 * that is not an absolute printable path becomes "/", a line longer than PASSWD_MAX_LINE, a
 * file longer than PASSWD_MAX_FILE and more than PASSWD_MAX_GROUPS supplementary groups are
 * errors. Errors are BERR_INVALID (BERR_SYSTEM for ENOMEM) and quote names sanitized. */
#ifndef BERTH_WORKERS_VERIFY_PASSWD_H
#define BERTH_WORKERS_VERIFY_PASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ipc/msg.h"

#define PASSWD_MAX_FILE (4 * 1024 * 1024)
#define PASSWD_MAX_LINE (64 * 1024)
#define PASSWD_MAX_GROUPS 64
#define PASSWD_ID_MAX UINT32_C(4294967294)
#define PASSWD_HOME_MAX 4095

/* One file's bytes; present = false when the container has no such file (buf is then
 * ignored). */
struct passwd_file {
	const uint8_t *buf;
	size_t len;
	bool present;
};

/* Resolves spec with the two files into *out (all zero on failure; free it with
 * ipc_struct_free(&msg_v_user_reply_schema, out)). */
int verify_resolve_user(const struct passwd_file *passwd, const struct passwd_file *group,
			const char *spec, struct msg_v_user_reply *out, struct berr *e);

#endif
