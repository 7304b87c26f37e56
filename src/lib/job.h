/* job.h - what differs from one run of a policy to the next. */
#ifndef STK_JOB_H
#define STK_JOB_H

#include "policy.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* A file the job places in the sandbox before the start. */
struct job_file {
	char *path; /* owned; normal form, inside a tmpfs of the policy */
	char *data; /* owned */
	size_t len;
	mode_t mode;
};

/* A copy of len bytes (one byte allocated for none), or NULL. */
static inline char *bytes_copy(const void *data, size_t len)
{
	char *copy = malloc(len ? len : 1);
	if (copy && len)
		memcpy(copy, data, len);
	return copy;
}

/* At most this many, as a --copy tree. */
#define JOB_MAX_FILES 4096

struct stk_job {
	char **argv;	     /* owned; NULL: the policy's command */
	struct env_var *env; /* owned; over the policy's environment */
	size_t n_env;
	uint64_t limits[STK_LIMIT_COUNT]; /* stored as limit_value() does */
	uint32_t set;			  /* bit i: limits[i] is the job's */
	uint32_t asked;			  /* of those, limits (not lifts) */
	char *stdin_data;		  /* owned; the program's whole input */
	size_t stdin_len;
	bool has_stdin;
	int stdio[3]; /* -1: the policy's */
	stk_output_fn output;
	void *output_ctx;
	struct job_file *files; /* owned */
	size_t n_files;
};

struct plan;
/* mount.c: the job's files as ops of the plan, each checked to land in a
 * tmpfs of the policy. */
int plan_files(struct plan *plan, const struct stk_policy *policy,
	       const struct stk_job *job, struct stk_error **err);

#endif
