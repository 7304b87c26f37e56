/* record.h - the run record as the supervisor fills it. */
#ifndef STK_RECORD_H
#define STK_RECORD_H

#include "plan.h"

#include <jansson.h>
#include <stdbool.h>

struct stk_record {
	struct stk_result res; /* the figures; stk_record_result's */
	json_t *command;       /* owned; array of strings */
	json_t *profile;       /* owned; name and source, or NULL: none */
	uid_t host_uid;
	gid_t host_gid;
	struct stk_error *error; /* owned; set with verdict setup-error */
	json_t *enforced;	 /* owned; what each layer applied */
	json_t *denied;		 /* owned; the calls the filter refused */
	char *killed_for;	 /* owned; the call that ended the run */
	const char *cpu_from;	 /* static: where the CPU figures came from */
	const char *memory_from; /* static: the file of the memory peak */
	bool relayed;		 /* the output figures hold (record_output) */
	bool broken; /* a part could not be made: no record is written */
};

/* Fills the parts known before the start: command, mode, ids, enforced. */
int record_init(struct stk_record *rec, const struct stk_policy *policy,
		const struct plan *plan);
/* The calls the filter refused, from the supervisor's count. */
void record_denials(struct stk_record *rec, const struct denials *denials);
struct cgroup_run;
struct cgroup_usage;
/* The run's cgroup as enforced, and its figures; cg NULL: none. */
void record_cgroup(struct stk_record *rec, const struct cgroup_run *cg,
		   const struct cgroup_usage *u);
struct relay;
/* out: the stdout and stderr relays, after the run (and its verdict: the
 * output was cut when the output limit fired). */
void record_output(struct stk_record *rec, const struct relay *out);
/* The figures of a run not yet started: no exit code, no limit fired. */
void record_start(struct stk_record *rec);
/* Records a setup failure: verdict setup-error, exit status, error. */
void record_fail(struct stk_record *rec, const struct stk_error *err,
		 int exit_status);

#endif
