/* job.h - what differs from one run of a policy to the next. */
#ifndef STK_JOB_H
#define STK_JOB_H

#include "policy.h"

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
};

#endif
