/* cleanup.h - scope-bound release of locals, and explicit hand-over.
 *
 *   _cleanup_free_ char *s = strdup(x);      freed when s leaves scope
 *   _cleanup_close_ int fd = open(...);      closed when fd leaves scope
 *   return steal_ptr(&s);                     ownership moves to the caller
 */
#ifndef STK_CLEANUP_H
#define STK_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_free(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* a close in cleanup must not hide errno */
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_free)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_close)))

static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
