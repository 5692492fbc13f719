/* Ownership made visible: variables that own a resource carry a cleanup attribute, and a
 * transfer of ownership is spelled out with TAKE_FD / TAKE_PTR. */
#ifndef BERTH_COMMON_CLEANUP_H
#define BERTH_COMMON_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))

/* Moves ownership out of a cleanup variable: the variable no longer owns it. */
#define TAKE_FD(fd) ({ int take_fd_tmp_ = (fd); (fd) = -1; take_fd_tmp_; })
#define TAKE_PTR(p) ({ __typeof__(p) take_ptr_tmp_ = (p); (p) = NULL; take_ptr_tmp_; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
