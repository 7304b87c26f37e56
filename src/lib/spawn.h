/* spawn.h - the sandbox's processes as the supervisor holds them. */
#ifndef STK_SPAWN_H
#define STK_SPAWN_H

#include "cgroup.h"
#include "plan.h"

struct sandbox {
	pid_t pid;     /* init, pid 1 inside */
	int pidfd;     /* owned */
	int sync_fd;   /* owned; kept open: its closing tells init we died */
	int report_fd; /* owned; {step, errno} records and the exit status */
	int out_fd;    /* owned; the sandbox's stdout */
	int err_fd;    /* owned; the sandbox's stderr */
	int in_fd;     /* owned; the sandbox's stdin */
};

/* Starts the child; on failure after clone the child still exists and
 * *sb holds it, so the caller kills and reaps it as after any run. */
/* cg: the run's cgroup, or NULL: the child starts inside its v2 group and
 * joins its v1 groups before it leaves the sync pipe. */
int spawn_sandbox(struct plan *plan, const struct cgroup_run *cg,
		  struct sandbox *sb, struct stk_error **err);

/* treecpu.c: the CPU time the tree under init has used, from /proc
 * (where no cgroup counts it); cpu is left as it was when out of memory. */
struct tree_cpu {
	uint64_t user_us, system_us;
};
void tree_cpu(pid_t init, struct tree_cpu *cpu);
/* Fields first..first+n-1 of the text of a /proc/PID/stat (the pid is
 * field 1), read past the name, which may hold anything; how many there
 * were.  Async-signal-safe: the child uses it too. */
int stat_fields(const char *stat, int first, int n, unsigned long long *out);

#endif
