/* record.h - the run record as the supervisor fills it. */
#ifndef STK_RECORD_H
#define STK_RECORD_H

#include "plan.h"

#include <jansson.h>
#include <stdbool.h>

struct stk_record {
	json_t *command;     /* owned; array of strings */
	json_t *profile;     /* owned; name and source, or NULL: none */
	const char *verdict; /* static */
	int exit_code;	     /* -1: none */
	int signal;	     /* 0: none */
	int exit_status;
	int interrupted; /* the signal stockade passed on, or 0 */
	double wall_seconds;
	double user_seconds;
	double system_seconds;
	double supervisor_seconds; /* our CPU on the run (in --cpu-time) */
	bool privileged;
	uid_t host_uid;
	gid_t host_gid;
	struct stk_error *error; /* owned; set with verdict setup-error */
	json_t *enforced;	 /* owned; what each layer applied */
	json_t *denied;		 /* owned; the calls the filter refused */
	char *killed_for;	 /* owned; the call that ended the run */
	const char *limit_fired; /* static: "wall", "output", or NULL */
	json_t *output;		 /* owned; bytes passed on, cut or not */
	const char *cpu_from;	 /* static: where the CPU figures came from */
	json_t *memory;		 /* owned; peak and OOM kills, or NULL */
	json_t *tasks;		 /* owned; peak and refused forks, or NULL */
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
/* out: the stdout and stderr relays, after the run. */
void record_output(struct stk_record *rec, const struct relay *out, bool cut);
/* Records a setup failure: verdict setup-error, exit status, error. */
void record_fail(struct stk_record *rec, const struct stk_error *err,
		 int exit_status);

#endif
