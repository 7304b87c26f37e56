/* error.h - filling struct stk_error from inside the library. */
#ifndef STK_ERROR_INTERNAL_H
#define STK_ERROR_INTERNAL_H

#include "stockade.h"

/* Fills *err (when err is not NULL and *err is still empty: the first
 * failure is the one reported) and returns -errnum, so that callers can
 * write "return stk_error_set(err, EINVAL, "--ro", "...", ...);". */
int stk_error_set(struct stk_error **err, int errnum, const char *step,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The English description of errnum, e.g. "No such file or directory".
 * Unlike strerror, safe in any thread: the text is a constant, never a
 * shared buffer, and no locale is consulted. */
const char *stk_strerror(int errnum);

#endif
