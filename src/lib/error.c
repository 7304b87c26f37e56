/* error.c - the library's error object. */
#define _GNU_SOURCE
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int stk_error_set(struct stk_error **err, int errnum, const char *step,
		  const char *fmt, ...)
{
	if (errnum <= 0)
		errnum = EINVAL;
	if (!err || *err)
		return -errnum;

	struct stk_error *e = calloc(1, sizeof(*e));
	if (!e)
		return -errnum;
	e->errnum = errnum;
	e->step = strdup(step ? step : "");
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		e->message = NULL;
	va_end(ap);
	if (!e->step || !e->message) {
		stk_error_free(e);
		return -errnum;
	}
	*err = e;
	return -errnum;
}

void stk_error_free(struct stk_error *err)
{
	if (!err)
		return;
	free(err->step);
	free(err->message);
	free(err);
}

const char *stk_strerror(int errnum)
{
	const char *text = strerrordesc_np(errnum);
	return text ? text : "Unknown error";
}
