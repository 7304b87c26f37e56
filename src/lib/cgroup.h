/* cgroup.h - a control group per run (cgroup.c). */
#ifndef STK_CGROUP_H
#define STK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct stk_error;

enum cg_v1 { CG_MEMORY, CG_PIDS, CG_CPUACCT, CG_V1_COUNT };

struct cgroup_run {
	const char *layout;    /* "v2", "hybrid", "v1", "v2 (delegated)" */
	char *v2;	       /* owned; the run's group in the v2 tree */
	int v2_fd;	       /* owned; for CLONE_INTO_CGROUP, or -1 */
	char *v1[CG_V1_COUNT]; /* owned; the run's v1 groups, or NULL */
	int v2_lock, v1_lock[CG_V1_COUNT]; /* owned; the flock held on each
					    * group, valid where its path is */
	bool memory_v2, pids_v2;	   /* the limits live in the v2 group */
	bool memory_required; /* in: --memory was asked for; a default gives
			       * way on a host without the controller */
	const char *parent;   /* in: --cgroup-parent, a v2 group the caller
			       * may write (a delegated subtree), or NULL */
	int peak_fd;	      /* owned; v2 memory.peak opened for a reset of
			       * its own (Linux 6.12), or -1 */
	uint64_t peak_floor;  /* v1: the most seen before the last reset */
};

struct cgroup_usage {
	bool cpu; /* the figures below are the group's */
	uint64_t user_us, system_us;
	bool memory;
	uint64_t memory_peak; /* bytes */
	uint64_t oom_kills;
	uint64_t pids_max_hits; /* forks refused by the task limit */
	bool tasks;		/* the run has a pids group with pids.peak */
	uint64_t tasks_peak;	/* most tasks at once */
	const char *peak_from;	/* the file the peak came from */
};

/* Supervisor, before clone: the groups, limits written (0: none). */
int cgroup_create(struct cgroup_run *cg, uint64_t memory, uint64_t tasks,
		  struct stk_error **err);
/* The same under another top than /sys/fs/cgroup (unit tests). */
int cgroup_create_at(struct cgroup_run *cg, const char *top, uint64_t memory,
		     uint64_t tasks, struct stk_error **err);
/* After clone, before the child goes on: join the v1 groups. */
int cgroup_attach(const struct cgroup_run *cg, pid_t pid,
		  struct stk_error **err);
void cgroup_usage(const struct cgroup_run *cg, struct cgroup_usage *u);
/* The group's memory now, and its peak since the last
 * cgroup_memory_reset (since its start before any); false when the group
 * has no memory controller. */
bool cgroup_memory_now(struct cgroup_run *cg, uint64_t *current,
		       uint64_t *peak);
/* The peak cgroup_memory_now gives starts again from the current usage;
 * the record's peak (cgroup_usage) stays the whole run's.  0 or -errno. */
int cgroup_memory_reset(struct cgroup_run *cg);
/* CPU time of the whole group so far, in microseconds. */
uint64_t cgroup_cpu_us(const struct cgroup_run *cg);
/* After every process is reaped: the groups go. */
void cgroup_destroy(struct cgroup_run *cg);

#endif
