/* limits.c - the resource limits a run gets from rlimits, and the ones the
 * supervisor enforces itself (wall time, output).
 *
 * Every rlimit is set with hard = soft, so the program cannot raise it
 * back; they are set in the payload just before Landlock and the filter.
 * The cgroup limits (memory, tasks of the whole tree, CPU of the whole
 * tree) come with the cgroup layer; until then RLIMIT_NPROC bounds the
 * tasks: since Linux 5.14 it counts per user namespace, so per run. */
#define _GNU_SOURCE
#include "plan.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* The table the setters, the record and the payload share. */
const struct limit_info stk_limits[STK_LIMIT_COUNT] = {
	[STK_LIMIT_WALL_TIME] = {"--wall-time", "wall_time_ns", -1, 0,
				 "supervisor timer", true},
	[STK_LIMIT_OUTPUT] = {"--output", "output_bytes", -1, 0,
			      "supervisor count", true},
	[STK_LIMIT_FILE_SIZE] = {"--file-size", "file_size_bytes", RLIMIT_FSIZE,
				 1ULL << 30, "RLIMIT_FSIZE", true},
	[STK_LIMIT_OPEN_FILES] = {"--open-files", "open_files", RLIMIT_NOFILE,
				  1024, "RLIMIT_NOFILE", false},
	[STK_LIMIT_TASKS] = {"--tasks", "tasks", RLIMIT_NPROC, 512,
			     "RLIMIT_NPROC (per run: counted in its user "
			     "namespace)",
			     false},
	[STK_LIMIT_STACK] = {"--stack", "stack_bytes", RLIMIT_STACK, 8ULL << 20,
			     "RLIMIT_STACK", false},
	[STK_LIMIT_MEMORY] = {"--memory", "memory_bytes", -1, 1ULL << 30,
			      "cgroup memory, no swap", false},
	[STK_LIMIT_CPU_TIME] = {"--cpu-time", "cpu_time_ns", -1, 0,
				"cgroup cpu.stat, checked every 20 ms "
				"(RLIMIT_CPU per process a second above it)",
				true},
	[STK_LIMIT_CORE] = {NULL, "core_bytes", RLIMIT_CORE, 0, "RLIMIT_CORE",
			    false},
	/* Pending signals count per user at every level of user namespaces:
	 * a run that queued the host's whole budget would leave none to the
	 * owner of its namespace (root, or the caller) and to other runs. */
	[STK_LIMIT_PENDING_SIGNALS] = {NULL, "pending_signals",
				       RLIMIT_SIGPENDING, 1024,
				       "RLIMIT_SIGPENDING", false},
	/* The caller's own limits are no measure of a hostile program's:
	 * root's locked memory and real-time priority are often unlimited,
	 * and one real-time thread that spins holds a host CPU. */
	[STK_LIMIT_LOCKED_MEMORY] = {NULL, "locked_memory_bytes",
				     RLIMIT_MEMLOCK, 64 << 10, "RLIMIT_MEMLOCK",
				     false},
	[STK_LIMIT_MESSAGE_QUEUES] = {NULL, "message_queue_bytes",
				      RLIMIT_MSGQUEUE, 0, "RLIMIT_MSGQUEUE",
				      false},
	[STK_LIMIT_NICE] = {NULL, "nice_ceiling", RLIMIT_NICE, 0, "RLIMIT_NICE",
			    false},
	[STK_LIMIT_REALTIME_PRIORITY] = {NULL, "realtime_priority",
					 RLIMIT_RTPRIO, 0, "RLIMIT_RTPRIO",
					 false},
	[STK_LIMIT_REALTIME_CPU] = {NULL, "realtime_cpu_us", RLIMIT_RTTIME, 0,
				    "RLIMIT_RTTIME", false},
};

void limits_default(uint64_t limits[STK_LIMIT_COUNT])
{
	for (int i = 0; i < STK_LIMIT_COUNT; i++)
		limits[i] = stk_limits[i].fallback;
}

int limit_value(enum stk_limit which, uint64_t value, uint64_t *stored,
		struct stk_error **err)
{
	if (which < 0 || which >= STK_LIMIT_COUNT || !stk_limits[which].option)
		return stk_error_set(err, EINVAL, "limit", "unknown limit %d",
				     (int)which);
	const char *opt = stk_limits[which].option;
	/* Lifted: the supervisor's limits and RLIMIT_CPU (0: none), or an
	 * rlimit of RLIM_INFINITY (all ones, as STK_UNLIMITED). */
	if (value == STK_UNLIMITED && stk_limits[which].liftable) {
		*stored = stk_limits[which].resource >= 0 ? RLIM_INFINITY : 0;
		return 0;
	}
	if (value == STK_UNLIMITED)
		return stk_error_set(err, EINVAL, opt,
				     "%s: cannot be unlimited", opt);
	if (value == 0)
		return stk_error_set(err, EINVAL, opt,
				     "%s: must be more than 0", opt);
	if (which == STK_LIMIT_OPEN_FILES && value < 4)
		return stk_error_set(err, EINVAL, opt,
				     "%s: at least 4 (stdin, stdout, stderr "
				     "and one more)",
				     opt);
	/* A limit the kernel cannot take as an rlimit (RLIM_INFINITY is all
	 * ones) is refused here rather than at the start. */
	if (stk_limits[which].resource >= 0 && value >= RLIM_INFINITY)
		return stk_error_set(err, ERANGE, opt, "%s: too large", opt);
	*stored = value;
	return 1;
}

int stk_policy_set_limit(struct stk_policy *p, enum stk_limit which,
			 uint64_t value, struct stk_error **err)
{
	bool known = which >= 0 && which < STK_LIMIT_COUNT &&
		     stk_limits[which].option;
	int r = policy_sealed(p, known ? stk_limits[which].option : "limit",
			      err);
	if (r == 0)
		r = limit_value(which, value, &p->limits[which], err);
	if (r < 0)
		return r;
	if (r > 0)
		p->asked |= 1U << which;
	const char *name = stk_limits[which].option + 2; /* no "--" */
	if (value == STK_UNLIMITED)
		policy_log(p, name, "unlimited");
	else if (which == STK_LIMIT_WALL_TIME || which == STK_LIMIT_CPU_TIME)
		policy_log(p, name, "%lluns", (unsigned long long)value);
	else
		policy_log(p, name, "%llu", (unsigned long long)value);
	return 0;
}

uint64_t stk_policy_get_limit(const struct stk_policy *p, enum stk_limit which)
{
	if (which < 0 || which >= STK_LIMIT_COUNT)
		return 0;
	uint64_t rank = limit_rank(which, p->limits[which]);
	return rank == UINT64_MAX ? STK_UNLIMITED : rank;
}

const char *stk_limit_option(enum stk_limit which)
{
	if (which < 0 || which >= STK_LIMIT_COUNT || !stk_limits[which].option)
		return NULL;
	return stk_limits[which].option + 2;
}

/* A limit as a number to compare: none is the largest. */
uint64_t limit_rank(enum stk_limit which, uint64_t stored)
{
	if (stk_limits[which].resource < 0 && stored == 0)
		return UINT64_MAX;
	return stored;
}

/* Without a memory cgroup nothing counts what the kernel holds behind a
 * descriptor.  With the shared-memory group off no buffer grows past its
 * default, and the run's own network namespace keeps its queues short
 * (ns.c), so one descriptor reaches at most about 1.4 MiB: a unix socket's
 * send buffer (208 KiB, 227 KiB as the kernel counts it) and, listening,
 * the buffers of 5 peers waiting for accept that closed their ends; a
 * pipe 64 KiB; a TCP socket two 64 KiB windows.  --memory then bounds a
 * process's descriptors as it bounds its address space: open files times
 * this cost within the limit. */
#define DESCRIPTOR_COST (2ULL << 20)

int limits_fit_descriptors(struct plan *plan, uint32_t asked,
			   struct stk_error **err)
{
	if (plan->cg_memory)
		return 0;
	uint64_t memory = plan->limits[STK_LIMIT_MEMORY];
	uint64_t most = memory / DESCRIPTOR_COST;
	uint64_t *files = &plan->limits[STK_LIMIT_OPEN_FILES];
	if (most < 4)
		return stk_error_set(err, EINVAL, "--memory",
				     "--memory %llu: without a memory cgroup "
				     "each descriptor counts 2 MiB against "
				     "it, and a process needs at least 4 "
				     "(give 8M or more, or a memory cgroup: "
				     "root, or --cgroup-parent)",
				     (unsigned long long)memory);
	if (*files <= most)
		return 0;
	if (asked & 1U << STK_LIMIT_OPEN_FILES)
		return stk_error_set(
			err, EINVAL, "--open-files",
			"--open-files %llu: without a memory cgroup each "
			"descriptor counts 2 MiB against --memory, which "
			"allows %llu (lower --open-files, raise --memory, or "
			"give the run a memory cgroup: root, or "
			"--cgroup-parent)",
			(unsigned long long)*files, (unsigned long long)most);
	*files = most;
	return 0;
}

/* Async-signal-safe: runs in the payload.  The hard limits of the host
 * (root here lacks CAP_SYS_RESOURCE) cannot be raised: asking for more
 * fails the run, it is not silently lowered. */
int limits_apply(const struct plan *plan, struct report *fail)
{
	for (int i = 0; i < STK_LIMIT_COUNT; i++) {
		int resource = stk_limits[i].resource;
		/* Without a memory cgroup, memory falls back to the address
		 * space of each process, the default limit too. */
		if (i == STK_LIMIT_MEMORY && !plan->cg_memory)
			resource = RLIMIT_AS;
		/* CPU time: whole seconds per process, a backstop a second
		 * above the tree's limit, which the supervisor counts. */
		uint64_t value = plan->limits[i];
		if (i == STK_LIMIT_CPU_TIME && value) {
			resource = RLIMIT_CPU;
			value = (value + 999999999ULL) / 1000000000ULL + 1;
		}
		if (resource < 0)
			continue;
		struct rlimit rl = {value, value};
		/* With a pids cgroup, the kernel's count of the whole run
		 * decides (tasks-limit); the rlimit, per user, stays a
		 * backstop above it. */
		if (i == STK_LIMIT_TASKS && plan->cg_pids)
			rl.rlim_cur = rl.rlim_max = plan->limits[i] + 16;
		if (setrlimit(resource, &rl) < 0)
			return step_failed(fail, STEP_RLIMITS, i, errno);
	}
	return 0;
}
