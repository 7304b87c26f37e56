/* supervise.c - a run: prepare, start, watch, end, account.
 *
 * One loop watches init's pidfd, the sandbox's stdout and stderr pipes
 * and, when asked, a signalfd for the signals the caller wants passed on.
 * There is no sleeping and no polling on a timer: the pidfd becomes
 * readable when init exits, which the kernel makes happen only after every
 * other process of the run is dead, so the loop cannot miss an exit nor
 * end before the tree is gone.
 *
 * The loop goes by turns, and each turn polls its descriptors: stk_run
 * and stk_run_wait wait in that poll; stk_run_step does not wait at all,
 * and the caller's event loop waits instead, on an epoll set that mirrors
 * what the next turn will poll (watch_sync). */
#define _GNU_SOURCE
#include "job.h"
#include "record.h"
#include "relay.h"
#include "spawn.h"

#include "cleanup.h"
#include "groups.h"
#include "error.h"
#include "sys.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static const int passed_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int put_env(struct plan *plan, size_t *n, const struct env_var *e)
{
	if (!e->value)
		return 0;
	if (asprintf(&plan->envp[*n], "%s=%s", e->name, e->value) < 0) {
		plan->envp[*n] = NULL;
		return -ENOMEM;
	}
	(*n)++;
	if (strcmp(e->name, "PATH") == 0)
		plan->path_env = e->value;
	return 0;
}

/* The policy's environment with the job's over it. */
static int build_envp(struct plan *plan, const struct stk_policy *policy,
		      const struct stk_job *job)
{
	size_t extra = job ? job->n_env : 0;
	plan->envp = calloc(policy->n_env + extra + 1, sizeof(char *));
	if (!plan->envp)
		return -ENOMEM;
	size_t n = 0;
	/* Without PATH, search where execvp would (confstr _CS_PATH). */
	plan->path_env = "/bin:/usr/bin";
	for (size_t i = 0; i < policy->n_env; i++) {
		const struct env_var *e = job ? env_find(job->env, job->n_env,
							 policy->env[i].name)
					      : NULL;
		if (put_env(plan, &n, e ? e : &policy->env[i]) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < extra; i++)
		if (!env_find(policy->env, policy->n_env, job->env[i].name) &&
		    put_env(plan, &n, &job->env[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* The job's limits over the policy's, each no looser.  Returns the
 * limits given (not defaults) as a bit set, or -errno. */
static int merge_limits(struct plan *plan, const struct stk_policy *policy,
			const struct stk_job *job, struct stk_error **err)
{
	memcpy(plan->limits, policy->limits, sizeof(plan->limits));
	uint32_t asked = policy->asked;
	for (int i = 0; job && i < STK_LIMIT_COUNT; i++) {
		if (!(job->set & 1U << i))
			continue;
		if (limit_rank(i, job->limits[i]) >
		    limit_rank(i, policy->limits[i]))
			return stk_error_set(err, EPERM, stk_limits[i].option,
					     "%s: a job may only lower the "
					     "policy's limit",
					     stk_limits[i].option);
		plan->limits[i] = job->limits[i];
		if (job->asked & 1U << i)
			asked |= 1U << i;
	}
	return (int)asked;
}

/* The poll entries of the loop's own descriptors, then two per relay. */
enum {
	PFD_INIT,
	PFD_SIGNALS,
	PFD_REPORTS,
	PFD_LISTENER,
	PFD_WALL,
	PFD_CPU,
	PFD_RELAYS,
	PFD_COUNT = PFD_RELAYS + 6
};

struct loop {
	struct sandbox *sb;
	const struct stk_policy *policy;
	int sigfd;
	int listener;		/* the payload's seccomp listener, or -1 */
	struct denials denials; /* what it was refused */
	struct report failed;	/* the first failed step */
	struct report exited;	/* the payload's status, from init */
	bool reports_done;	/* init's end is closed */
	int timer;		/* wall-time limit, or -1 */
	double deadline;	/* when the wall time is up, or 0 */
	double ended;		/* when init was reaped, or 0 */
	uint64_t budget;	/* output bytes still allowed */
	struct relay io[3];	/* stdin, stdout, stderr */
	int fired; /* the enum stk_limit that ended the run, or -1 */
	struct cgroup_usage cg; /* the run's group's figures */
	bool have_cg;
	const struct cgroup_run *group; /* the run's, or NULL */
	int cpu_timer;			/* ticks to check --cpu-time, or -1 */
	uint64_t cpu_limit_us;
	uint64_t own_ns;      /* our CPU on the run, up to own_mark */
	uint64_t own_mark;    /* the thread's CPU clock when this span began */
	struct tree_cpu tree; /* without a group: the last count from /proc */
	int passed;	      /* signals passed on so far */
	int first;	      /* the first of them */
	bool init_done;
	bool killed;	     /* SIGKILL sent to init */
	bool cancelled;	     /* by the caller, before any limit */
	bool listener_taken; /* the one listener init sends has come */
	bool broken;	     /* the loop cannot go on: over */
	int loop_failed;     /* errno of the loop itself */
	siginfo_t init_info;
	struct rusage usage;
};

/* The thread's signals while it works on a run.  SIGPIPE is blocked: the
 * caller may have stopped reading what the sandbox writes, and that must
 * end in EPIPE, not in the caller's death.  With forward, the signals to
 * pass on are blocked too and read from a signalfd, in the thread that
 * starts the run (stk_policy_set_forward_signals). */
struct run_signals {
	sigset_t old_mask;
	bool pipe_was_pending;
	int fd;
};

/* A run as a handle holds it (stk_run_start .. stk_run_free). */
struct stk_run {
	const struct stk_policy *policy; /* borrowed */
	char **argv;  /* owned; the job's command, or NULL: the policy's */
	int stdio[3]; /* the fds the relays use: the caller's, borrowed,
		       * or for stdin stdin_fd */
	int stdin_fd; /* owned; the job's input as a memfd, or -1 */
	struct relay_sink sink; /* the job's output function, or fn NULL */
	struct plan plan;
	struct sandbox sb;
	struct cgroup_run cg; /* made when plan.cgroup */
	int uid_lock;
	struct loop l;
	struct stk_record *rec;	 /* owned until stk_run_wait */
	struct stk_error *error; /* owned until stk_run_wait */
	double start;
	int result;	  /* what stk_run returns: 0 or -errno */
	bool over;	  /* ended and cleaned up: only the record is left */
	bool may_sigpipe; /* a relay writes to a pipe of the caller's */
	struct run_signals forward; /* with the policy's forward_signals */
	bool forwarding;
	/* For the caller's event loop, made by the first stk_run_fd. */
	int epfd;
	int wake; /* eventfd: readable while a turn has work that
		   * no watched descriptor would announce */
	bool woken;
	int drain_timer;		  /* timerfd at the drain's end */
	double drain_at;		  /* what it is armed for, or 0 */
	struct pollfd watched[PFD_COUNT]; /* what epfd holds */
	bool unpollable[PFD_COUNT];	  /* watched, but epoll refused it */
};

/* The job's input, whole, in a file of our own: the relay reads it as a
 * regular file, which never waits. */
static int job_input(struct stk_run *run, const struct stk_job *job)
{
	int fd = memfd_create("stockade-stdin", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	run->stdin_fd = fd;
	if (write_all(fd, job->stdin_data, job->stdin_len) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	run->stdio[0] = fd;
	return 0;
}

static int plan_build(struct stk_run *run, const struct stk_job *job,
		      struct stk_error **err)
{
	struct plan *plan = &run->plan;
	const struct stk_policy *policy = run->policy;
	struct cgroup_run *cg = &run->cg;
	plan->argv = run->argv ? run->argv : policy->argv;
	plan->workdir = policy->workdir;
	plan->hostname = policy->hostname;
	plan->uid = STK_SANDBOX_UID;
	plan->gid = STK_SANDBOX_GID;
	plan->privileged = geteuid() == 0;
	plan->host_uid = plan->privileged ? (uid_t)-1 : geteuid();
	plan->host_gid = plan->privileged ? (gid_t)-1 : getegid();
	int asked = merge_limits(plan, policy, job, err);
	if (asked < 0)
		return asked;
	if (!plan->argv)
		return stk_error_set(err, EINVAL, "command",
				     "no command to run");
	cg->memory_required = asked & 1U << STK_LIMIT_MEMORY;
	/* Checked before we open anything, which could take a closed one's
	 * number and receive the sandbox's output. */
	for (int i = 0; i < 3; i++)
		if (fcntl(run->stdio[i], F_GETFD) < 0)
			return stk_error_set(err, EBADF, "stdio",
					     "stdio: fd %d is not open",
					     run->stdio[i]);
	if (job && job->has_stdin && job_input(run, job) < 0)
		return stk_error_set(err, errno, "stdin", "stdin: %s",
				     stk_strerror(errno));
	if (build_envp(plan, policy, job) < 0)
		return stk_error_set(err, ENOMEM, "plan", "out of memory");
	int r = plan_mounts(plan, policy, err);
	if (r == 0 && job && job->n_files)
		r = plan_files(plan, policy, job, err);
	/* Root mode, or a delegated parent: a cgroup of its own for the
	 * run's limits and figures.  Without either there is none to write,
	 * and the record says so; a limit its controllers lack falls back
	 * to an rlimit, recorded as such.  Made before the filter, whose
	 * calls depend on what the group holds. */
	if (r == 0 && (plan->privileged || policy->cgroup_parent)) {
		r = cgroup_create(cg, plan->limits[STK_LIMIT_MEMORY],
				  plan->limits[STK_LIMIT_TASKS], err);
		plan->cgroup = r == 0;
		plan->cg_memory =
			plan->cgroup && (cg->memory_v2 || cg->v1[CG_MEMORY]);
		plan->cg_pids =
			plan->cgroup && (cg->pids_v2 || cg->v1[CG_PIDS]);
	}
	/* No memory controller will count the run's memory: the memory
	 * limit is an address space limit per process, which shared memory
	 * would pass. */
	plan->groups = policy->groups;
	if (!plan->cg_memory)
		plan->groups &= ~stk_group_bit("shared-memory");
	if (r == 0)
		r = limits_fit_descriptors(plan, (uint32_t)asked, err);
	if (r == 0)
		r = filter_build(policy, plan->groups, &plan->filter, err);
	/* Landlock is a layer of its own: a kernel without it cannot run
	 * the sandbox as promised, so the run does not start. */
	landlock_plan(&plan->landlock, landlock_abi(),
		      stk_groups_has(policy->groups, "network"));
	if (r == 0 && plan->landlock.abi < 1)
		r = stk_error_set(err, EOPNOTSUPP, "landlock",
				  "Landlock is not enabled in this kernel "
				  "(see stockade check)");
	/* Last: the host uid is claimed only for a plan that can run. */
	if (r == 0 && plan->privileged) {
		r = creds_claim_host_uid(&plan->host_uid, &run->uid_lock, err);
		plan->host_gid = plan->host_uid;
	}
	return r;
}

/* Without a cgroup, init's rusage will hold only what it reaped, not
 * the processes a kill ends: the tree is counted from /proc first. */
static void kill_sandbox(struct loop *l)
{
	/* Once: the limits that fire go on firing while the tree dies (an
	 * output limit at each read), and /proc is walked only before the
	 * first kill.  Not after init is reaped: its pid may be another
	 * process's by then. */
	if (l->killed || l->init_done)
		return;
	l->killed = true;
	if (!l->group)
		tree_cpu(l->sb->pid, &l->tree);
	sys_pidfd_send_signal(l->sb->pidfd, SIGKILL);
}

/* Reaps init, which has exited or been killed: by its pidfd, with __WALL
 * since it signals no one at its end (spawn.c).  Should someone else have
 * taken it - a waitpid(-1, __WALL) elsewhere in the caller - its status
 * and rusage are lost and the run is an error, not a verdict made up. */
static void reap_init(struct loop *l)
{
	while (sys_waitid(P_PIDFD, l->sb->pidfd, &l->init_info,
			  WEXITED | __WALL, &l->usage) < 0) {
		if (errno == EINTR)
			continue;
		if (!l->loop_failed)
			l->loop_failed = errno;
		break;
	}
	l->init_done = true;
}

static void take_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		/* The first interrupt is the program's to handle; a second
		 * one means the caller wants it gone now. */
		bool again = l->passed++ > 0;
		if (!l->first)
			l->first = (int)si.ssi_signo;
		if (again)
			kill_sandbox(l);
		else
			sys_pidfd_send_signal(l->sb->pidfd, (int)si.ssi_signo);
	}
}

/* Records from the child, as they come: a failed step, the payload's
 * status, the seccomp listener (with its fd). */
static void take_reports(struct loop *l)
{
	for (;;) {
		struct report rep;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} control;
		struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(l->sb->report_fd, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			l->reports_done = true;
		if (n != sizeof(rep))
			return;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		int fd = -1;
		if (c && c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		if (rep.kind == REPORT_LISTENER &&
		    (fd < 0 || l->listener_taken ||
		     msg.msg_flags & MSG_CTRUNC)) {
			/* Unwatched, refused calls would go unreported. */
			l->loop_failed = EPROTO;
			kill_sandbox(l);
		} else if (rep.kind == REPORT_LISTENER) {
			l->listener = steal_fd(&fd);
			l->listener_taken = true;
		}
		if (rep.kind == REPORT_FAILED && !l->failed.kind)
			l->failed = rep;
		else if (rep.kind == REPORT_EXITED)
			l->exited = rep;
		if (fd >= 0)
			close(fd);
	}
}

/* A call outside the policy: answered, counted, and with
 * --on-deny=kill the end of the run. */
static void take_denial(struct loop *l)
{
	int r = filter_answer(l->listener, l->policy, &l->denials);
	if (r == 1)
		kill_sandbox(l);
	if (r < 0) {
		close(l->listener);
		l->listener = -1;
	}
}

/* A timerfd that fires after ns, and every ns after that if repeat. */
static int arm_timer(int *fd, uint64_t ns, bool repeat, const char *step,
		     struct stk_error **err)
{
	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct timespec after = {.tv_sec = (time_t)(ns / 1000000000ULL),
				 .tv_nsec = (long)(ns % 1000000000ULL)};
	struct itimerspec when = {.it_value = after};
	if (repeat)
		when.it_interval = after;
	if (*fd < 0 || timerfd_settime(*fd, 0, &when, NULL) < 0)
		return stk_error_set(err, errno, step, "timerfd: %s",
				     stk_strerror(errno));
	return 0;
}

/* A limit the supervisor enforces fired: the whole sandbox is killed;
 * the first one is the verdict. */
static void end_for(struct loop *l, enum stk_limit limit)
{
	if (l->fired < 0)
		l->fired = (int)limit;
	kill_sandbox(l);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What the supervisor has spent on this run so far: answering its refused
 * calls, relaying its streams, watching it.  The program decides how much
 * (300 000 refused calls cost as much CPU here as in the program), so it
 * counts against --cpu-time.  A handle's run is driven by whichever
 * thread steps it, so the count goes by spans: each call that works on
 * the run (start, step, wait) is one, on its thread's clock. */
static void own_begin(struct loop *l)
{
	l->own_mark = thread_cpu_ns();
}

static void own_end(struct loop *l)
{
	l->own_ns += thread_cpu_ns() - l->own_mark;
}

/* Within a span. */
static uint64_t own_cpu_us(const struct loop *l)
{
	return (l->own_ns + thread_cpu_ns() - l->own_mark) / 1000;
}

/* The whole tree's CPU time, from the run's group or, without one, from
 * /proc (treecpu.c), and ours, against --cpu-time: checked on a tick, so
 * the run may overshoot it by a tick's worth.  Without a cgroup,
 * RLIMIT_CPU a second above the limit is each process's backstop. */
static void check_cpu(struct loop *l)
{
	uint64_t ticks;
	(void)!read(l->cpu_timer, &ticks, sizeof(ticks));
	uint64_t used;
	if (l->group) {
		used = cgroup_cpu_us(l->group);
	} else {
		tree_cpu(l->sb->pid, &l->tree);
		used = l->tree.user_us + l->tree.system_us;
	}
	if (used + own_cpu_us(l) >= l->cpu_limit_us)
		end_for(l, STK_LIMIT_CPU_TIME);
}

/* Once the sandbox is gone, what it wrote and the caller has not taken
 * yet is still delivered: for as long as the caller reads, as in any
 * pipeline, when the program exited by itself and the run has no
 * wall-time limit; until that limit, when it has one; and for a second
 * more at least.  A run that ended any other way (a limit, a signal, a
 * cancel) gets that second only: a reader that never reads cannot keep a
 * killed run's supervisor.  Returns when the drain ends (CLOCK_MONOTONIC
 * seconds), or 0: never. */
static double drain_until(const struct loop *l)
{
	bool by_itself = l->exited.kind && WIFEXITED(l->exited.status) &&
			 l->fired < 0 && !l->denials.killed_by && !l->cancelled;
	if (!l->deadline && by_itself)
		return 0;
	double until = l->ended + 1.0;
	if (by_itself && l->deadline > until)
		until = l->deadline;
	return until;
}

/* The same as a poll timeout in ms. */
static int drain_timeout(const struct loop *l)
{
	double until = drain_until(l);
	if (!until)
		return -1;
	double left = until - now();
	return left > 0 ? (int)(left * 1000.0) + 1 : 0;
}

/* Whether the run is over (and, the first time init is seen reaped, what
 * its end settles): its processes reaped and its output delivered or
 * dropped. */
static bool loop_over(struct loop *l)
{
	if (l->broken)
		return true;
	if (l->init_done && !l->ended) {
		l->ended = now();
		take_reports(l);       /* how the payload ended */
		relay_stop(&l->io[0]); /* no one left to read it */
	}
	return l->init_done && relay_done(&l->io[1]) && relay_done(&l->io[2]);
}

/* What the next turn polls. */
static void loop_fds(const struct loop *l, struct pollfd fds[PFD_COUNT])
{
	bool live = !l->init_done;
	const struct sandbox *sb = l->sb;
	struct pollfd own[PFD_RELAYS] = {
		[PFD_INIT] = {.fd = live ? sb->pidfd : -1, .events = POLLIN},
		[PFD_SIGNALS] = {.fd = l->sigfd, .events = POLLIN},
		[PFD_REPORTS] = {.fd = l->reports_done ? -1 : sb->report_fd,
				 .events = POLLIN},
		[PFD_LISTENER] = {.fd = l->listener, .events = POLLIN},
		[PFD_WALL] = {.fd = live ? l->timer : -1, .events = POLLIN},
		[PFD_CPU] = {.fd = live ? l->cpu_timer : -1, .events = POLLIN},
	};
	memcpy(fds, own, sizeof(own));
	for (int i = 0; i < 3; i++)
		relay_poll(&l->io[i], &fds[PFD_RELAYS + 2 * i]);
}

static void loop_events(struct loop *l, const struct pollfd fds[PFD_COUNT])
{
	for (int i = 0; i < 3; i++)
		if (!relay_step(&l->io[i], &fds[PFD_RELAYS + 2 * i],
				i ? &l->budget : NULL))
			end_for(l, STK_LIMIT_OUTPUT);
	if (fds[PFD_WALL].revents) {
		uint64_t ticks;
		(void)!read(l->timer, &ticks, sizeof(ticks));
		end_for(l, STK_LIMIT_WALL_TIME);
	}
	if (fds[PFD_CPU].revents)
		check_cpu(l);
	if (fds[PFD_SIGNALS].revents)
		take_signal(l);
	if (fds[PFD_REPORTS].revents)
		take_reports(l);
	if (fds[PFD_LISTENER].revents & POLLIN)
		take_denial(l);
	else if (fds[PFD_LISTENER].revents) { /* no process left */
		close(l->listener);
		l->listener = -1;
	}
	if (fds[PFD_INIT].revents)
		reap_init(l);
}

/* One turn of the loop: polls its descriptors - waiting for one, or for
 * the drain's end, when wait says so - and does what they are ready for.
 * True when the run is over. */
static bool loop_turn(struct loop *l, bool wait)
{
	if (loop_over(l))
		return true;
	struct pollfd fds[PFD_COUNT];
	loop_fds(l, fds);
	int timeout = !wait ? 0 : l->init_done ? drain_timeout(l) : -1;
	int n = poll(fds, PFD_COUNT, timeout);
	if (n < 0 && errno == EINTR)
		return false;
	if (n < 0) {
		/* Unwatched, the run must not go on. */
		l->loop_failed = errno;
		kill_sandbox(l);
		if (!l->init_done)
			reap_init(l);
		l->broken = true;
		return true;
	}
	if (n > 0)
		loop_events(l, fds);
	if (l->ended && drain_timeout(l) == 0) { /* the drain's time is up */
		relay_stop(&l->io[1]);
		relay_stop(&l->io[2]);
	}
	return loop_over(l);
}

/* The relays between the run's stdio and the sandbox's pipes, which
 * they take over from sb. */
static int relays_start(struct stk_run *run, struct stk_error **err)
{
	struct loop *l = &run->l;
	struct sandbox *sb = &run->sb;
	const int *stdio = run->stdio;
	const struct relay_sink *sink = run->sink.fn ? &run->sink : NULL;
	struct relay_sink sinks[2];
	for (int i = 0; sink && i < 2; i++) {
		sinks[i] = *sink;
		sinks[i].stream = i + 1;
	}
	int r = relay_init(&l->io[0], stdio[0], steal_fd(&sb->in_fd), 0, NULL);
	if (r == 0)
		r = relay_init(&l->io[1], steal_fd(&sb->out_fd),
			       sink ? -1 : stdio[1], 1,
			       sink ? &sinks[0] : NULL);
	if (r == 0)
		r = relay_init(&l->io[2], steal_fd(&sb->err_fd),
			       sink ? -1 : stdio[2], 1,
			       sink ? &sinks[1] : NULL);
	if (r < 0)
		return stk_error_set(err, -r, "relay", "out of memory");
	run->may_sigpipe =
		relay_may_sigpipe(&l->io[1]) || relay_may_sigpipe(&l->io[2]);
	/* In the background of our controlling terminal, reading it would
	 * stop us (SIGTTIN): the program's input is empty. */
	pid_t foreground = isatty(stdio[0]) ? tcgetpgrp(stdio[0]) : -1;
	if (foreground > 0 && foreground != getpgrp())
		relay_stop(&l->io[0]);
	return 0;
}

static int child_error(const struct plan *plan, const struct report *rep,
		       struct stk_error **err)
{
	const char *what = step_name((enum step)rep->step);
	if (rep->step == STEP_COUNT && rep->errnum == EPROTO)
		return stk_error_set(
			err, EPROTO, what,
			"%s: the sandbox's init broke its protocol "
			"(no report of the end, or a second "
			"listener)",
			what);
	if (rep->step == STEP_NET_BUFFERS)
		return stk_error_set(err, rep->errnum, what,
				     "%s: writing %s: %s", what,
				     ns_net_bound_path(rep->index),
				     stk_strerror(rep->errnum));
	if (rep->step == STEP_PROC_MASK && rep->index >= 0 &&
	    (size_t)rep->index < stk_n_proc_masks)
		return stk_error_set(err, rep->errnum, what,
				     "%s: covering /proc/%s: %s", what,
				     stk_proc_masks[rep->index].path,
				     stk_strerror(rep->errnum));
	if (rep->step != STEP_RLIMITS && rep->step != STEP_PROC_MASK &&
	    rep->index >= 0 && (size_t)rep->index < plan->n_ops) {
		const struct mount_op *op = &plan->ops[rep->index];
		return stk_error_set(err, rep->errnum, what, "%s /%s%s%s: %s",
				     what, op->dest,
				     op->kind == OP_BIND ? " from " : "",
				     op->kind == OP_BIND ? op->source : "",
				     stk_strerror(rep->errnum));
	}
	if (rep->step == STEP_RLIMITS && rep->index >= 0 &&
	    rep->index < STK_LIMIT_COUNT)
		return stk_error_set(
			err, rep->errnum, what, "setrlimit %s %llu: %s",
			stk_limits[rep->index].key,
			(unsigned long long)plan->limits[rep->index],
			stk_strerror(rep->errnum));
	if (rep->step == STEP_EXEC)
		return stk_error_set(err, rep->errnum, what, "execve %s: %s",
				     plan->argv[0], stk_strerror(rep->errnum));
	if (rep->step == STEP_CHDIR)
		return stk_error_set(err, rep->errnum, what, "chdir %s: %s",
				     plan->workdir, stk_strerror(rep->errnum));
	return stk_error_set(err, rep->errnum, what, "%s: %s", what,
			     stk_strerror(rep->errnum));
}

static void conclude(struct stk_record *rec, const struct plan *plan,
		     struct loop *l, struct stk_error **err)
{
	take_reports(l);
	struct report failed = l->failed, exited = l->exited;
	/* init reports how setup failed or how the payload ended before it
	 * exits; an exit without either is a report lost, and the status it
	 * exited with (125 for a failed step, say) is no payload's. */
	if (!failed.kind && !exited.kind && !l->loop_failed &&
	    l->init_info.si_code == CLD_EXITED)
		l->loop_failed = EPROTO;
	if (l->loop_failed && !failed.kind)
		failed = (struct report){.kind = REPORT_FAILED,
					 .step = STEP_COUNT,
					 .index = -1,
					 .errnum = l->loop_failed};
	struct stk_result *res = &rec->res;
	res->interrupted_by = l->first;
	res->supervisor_seconds = (double)own_cpu_us(l) / 1e6;
	/* The group's CPU counts every process of the run, whenever it
	 * ended; init's rusage only those it reaped. */
	if (l->have_cg && l->cg.cpu) {
		res->user_seconds = (double)l->cg.user_us / 1e6;
		res->system_seconds = (double)l->cg.system_us / 1e6;
		rec->cpu_from = "cgroup cpu.stat";
	} else {
		res->user_seconds = (double)l->usage.ru_utime.tv_sec +
				    (double)l->usage.ru_utime.tv_usec / 1e6;
		res->system_seconds = (double)l->usage.ru_stime.tv_sec +
				      (double)l->usage.ru_stime.tv_usec / 1e6;
		rec->cpu_from = "rusage of init";
		/* A killed tree's processes never reached init's rusage:
		 * then the count from /proc taken before the kill is the
		 * larger, and the truer. */
		double reaped = res->user_seconds + res->system_seconds;
		if ((double)(l->tree.user_us + l->tree.system_us) / 1e6 >
		    reaped) {
			res->user_seconds = (double)l->tree.user_us / 1e6;
			res->system_seconds = (double)l->tree.system_us / 1e6;
			rec->cpu_from = "/proc of the run's processes";
		}
	}
	if (failed.kind) {
		struct stk_error *e = NULL;
		child_error(plan, &failed, &e);
		record_fail(rec, e,
			    failed.step == STEP_EXEC
				    ? (failed.errnum == ENOENT
					       ? STK_EXIT_NOTFOUND
					       : STK_EXIT_NOEXEC)
				    : STK_EXIT_SETUP);
		if (err && !*err)
			*err = e;
		else
			stk_error_free(e);
		return;
	}
	/* Without a report from init, init itself was killed (by us, on a
	 * second interrupt, or by the kernel): that is how the run ended. */
	int status = 0;
	if (exited.kind)
		status = exited.status;
	else if (l->init_info.si_code == CLD_EXITED)
		status = (l->init_info.si_status & 0xff) << 8;
	else
		status = l->init_info.si_status & 0x7f;
	if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
		res->exit_status = res->exit_code;
		res->verdict =
			res->exit_code == 0 ? STK_VERDICT_OK : STK_VERDICT_EXIT;
	} else {
		res->signal = WTERMSIG(status);
		res->exit_status = STK_EXIT_SIGNAL_BASE + res->signal;
		res->verdict = STK_VERDICT_SIGNAL;
	}
	/* The verdict names why the run ended, from what we saw ourselves
	 * (a limit we enforced, the listener's report) or counted (CPU time,
	 * the cgroup's events).  A signal alone is no evidence: a program can
	 * send itself SIGXCPU or SIGXFSZ to look like a limit (the attack
	 * corpus's SUP-04), or SIGKILL once it has used nearly its CPU time
	 * to look like RLIMIT_CPU's; so CPU time too is the supervisor's own
	 * count, in both modes.  A write past --file-size gets SIGXFSZ, which
	 * no count tells from a forged one: it stays a "signal". */
	static const enum stk_verdict verdicts[] = {
		[STK_LIMIT_WALL_TIME] = STK_VERDICT_WALL_LIMIT,
		[STK_LIMIT_OUTPUT] = STK_VERDICT_OUTPUT_LIMIT,
		[STK_LIMIT_CPU_TIME] = STK_VERDICT_CPU_LIMIT,
	};
	res->limit_fired = l->fired;
	if (l->cancelled)
		res->verdict = STK_VERDICT_CANCELLED;
	else if (l->denials.killed_by)
		res->verdict = STK_VERDICT_SYSCALL_DENIED;
	else if (l->fired >= 0)
		res->verdict = verdicts[l->fired];
	else if (l->have_cg && l->cg.oom_kills)
		res->verdict = STK_VERDICT_MEMORY_LIMIT;
	else if (l->have_cg && l->cg.pids_max_hits)
		res->verdict = STK_VERDICT_TASKS_LIMIT;
}

static void end_sandbox(struct sandbox *sb, struct loop *l)
{
	if (sb->pidfd >= 0 && !l->init_done) {
		/* Setup failed in the supervisor after clone: the child must
		 * not go on.  The sync pipe closes first: a child still
		 * waiting for its start byte then ends by itself too, so the
		 * reap cannot wait for ever whatever became of the kill. */
		if (sb->sync_fd >= 0)
			close(steal_fd(&sb->sync_fd));
		sys_pidfd_send_signal(sb->pidfd, SIGKILL);
		reap_init(l);
	}
	int *fds[] = {&sb->pidfd,  &sb->sync_fd, &sb->report_fd, &sb->out_fd,
		      &sb->err_fd, &sb->in_fd,	 &l->listener};
	for (int i = 0; i < 3; i++)
		relay_release(&l->io[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

static int signals_take(struct run_signals *rs, bool forward)
{
	sigset_t set, pending;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(passed_signals); i++)
		sigaddset(&set, passed_signals[i]);
	rs->fd = -1;
	rs->pipe_was_pending = true; /* until known: drain nothing */
	if (forward) {
		pthread_sigmask(SIG_BLOCK, &set, &rs->old_mask);
		rs->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (rs->fd < 0)
			return -errno;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, forward ? NULL : &rs->old_mask);
	sigpending(&pending);
	rs->pipe_was_pending = sigismember(&pending, SIGPIPE);
	return 0;
}

static void signals_give_back(struct run_signals *rs)
{
	if (rs->fd >= 0) {
		/* Signals that came after the end are dropped, not left
		 * pending to strike the caller when unblocked. */
		struct signalfd_siginfo si;
		while (read(rs->fd, &si, sizeof(si)) == sizeof(si))
			;
		close(rs->fd);
	}
	if (!rs->pipe_was_pending) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		struct timespec zero = {0, 0};
		while (sigtimedwait(&set, NULL, &zero) > 0)
			;
	}
	pthread_sigmask(SIG_SETMASK, &rs->old_mask, NULL);
}

/* What is left once the loop is over, or the start failed: the record
 * completed, and every process, descriptor and group of the run gone. */
static void run_end(struct stk_run *run, bool ran)
{
	struct loop *l = &run->l;
	struct stk_error **err = &run->error;
	struct stk_record *rec = run->rec;
	if (ran) {
		if (run->plan.cgroup) {
			cgroup_usage(&run->cg, &l->cg);
			l->have_cg = true;
		}
		conclude(rec, &run->plan, l, err);
		record_denials(rec, &l->denials);
		record_output(rec, l->io + 1);
		if (rec->error)
			run->result = -rec->error->errnum;
	} else {
		record_fail(rec, run->error, STK_EXIT_SETUP);
	}
	end_sandbox(&run->sb, l);
	record_cgroup(rec, run->plan.cgroup ? &run->cg : NULL,
		      l->have_cg ? &l->cg : NULL);
	if (run->plan.cgroup)
		cgroup_destroy(&run->cg);
	int *fds[] = {&l->timer, &l->cpu_timer, &run->stdin_fd, &run->uid_lock};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(steal_fd(fds[i]));
	denials_release(&l->denials);
	/* The run's time ends with its last process, not with the delivery
	 * of what it wrote to a slow reader. */
	rec->res.wall_seconds = (l->ended ? l->ended : now()) - run->start;
	plan_release(&run->plan);
	run->over = true;
}

/* The start, in the calling thread's span; sigfd is stk_run's signalfd,
 * or -1.  Returns 0 or -errno; run_end has been called on failure. */
static int run_begin(struct stk_run *run, const struct stk_job *job, int sigfd)
{
	struct loop *l = &run->l;
	struct stk_error **err = &run->error;
	const struct stk_policy *policy = run->policy;
	int r = 0;
	run->start = now();
	for (int i = 0; i < 3; i++)
		run->stdio[i] = job && job->stdio[i] >= 0 ? job->stdio[i]
							  : policy->stdio[i];
	if (job && job->output)
		run->sink = (struct relay_sink){.fn = job->output,
						.ctx = job->output_ctx};
	if (job && job->argv)
		r = command_copy(&run->argv, (const char *const *)job->argv,
				 err);
	if (r == 0)
		r = plan_build(run, job, err);
	if (record_init(run->rec, policy, &run->plan) < 0 && r == 0)
		r = stk_error_set(err, ENOMEM, "run", "out of memory");
	const uint64_t *limits = run->plan.limits;
	l->budget = limits[STK_LIMIT_OUTPUT] ? limits[STK_LIMIT_OUTPUT]
					     : UINT64_MAX;
	l->sigfd = sigfd;
	/* The wall clock runs from the clone: the setup counts. */
	if (r == 0 && limits[STK_LIMIT_WALL_TIME]) {
		l->deadline =
			run->start + (double)limits[STK_LIMIT_WALL_TIME] / 1e9;
		r = arm_timer(&l->timer, limits[STK_LIMIT_WALL_TIME], false,
			      "--wall-time", err);
	}
	l->group = run->plan.cgroup ? &run->cg : NULL; /* else from /proc */
	if (r == 0 && limits[STK_LIMIT_CPU_TIME]) {
		l->cpu_limit_us = limits[STK_LIMIT_CPU_TIME] / 1000;
		r = arm_timer(&l->cpu_timer, 20 * 1000000ULL, true,
			      "--cpu-time", err);
	}
	if (r == 0)
		r = spawn_sandbox(&run->plan, l->group, &run->sb, err);
	if (r == 0)
		r = relays_start(run, err);
	run->result = r;
	if (r < 0)
		run_end(run, false);
	return r;
}

/* A handle in its first state, or NULL when out of memory. */
static struct stk_run *run_new(const struct stk_policy *policy)
{
	struct stk_run *run = calloc(1, sizeof(*run));
	if (!run)
		return NULL;
	run->rec = calloc(1, sizeof(*run->rec));
	if (!run->rec) {
		free(run);
		return NULL;
	}
	run->policy = policy;
	run->stdin_fd = run->uid_lock = run->forward.fd = -1;
	run->epfd = run->wake = run->drain_timer = -1;
	run->sb = (struct sandbox){.pidfd = -1,
				   .sync_fd = -1,
				   .report_fd = -1,
				   .out_fd = -1,
				   .err_fd = -1,
				   .in_fd = -1};
	run->cg = (struct cgroup_run){
		.v2_fd = -1, .peak_fd = -1, .parent = policy->cgroup_parent};
	run->l = (struct loop){.sb = &run->sb,
			       .policy = policy,
			       .sigfd = -1,
			       .listener = -1,
			       .timer = -1,
			       .cpu_timer = -1,
			       .fired = -1,
			       .io = {RELAY_NONE, RELAY_NONE, RELAY_NONE}};
	return run;
}

/* Hands over what a caller's error pointer asks for; the record keeps its
 * own copy. */
static void give_error(struct stk_run *run, struct stk_error **err)
{
	if (err && !*err)
		*err = steal_ptr(&run->error);
}

static int run_fail(struct stk_error **err, int errnum, const char *what)
{
	return stk_error_set(err, errnum, what, "%s: %s", what,
			     stk_strerror(errnum));
}

int stk_run_start(const struct stk_policy *policy, const struct stk_job *job,
		  struct stk_run **out, struct stk_error **err)
{
	*out = NULL;
	struct stk_run *run = run_new(policy);
	if (!run)
		return stk_error_set(err, ENOMEM, "run", "out of memory");
	own_begin(&run->l);
	int r = 0;
	/* Taken before the clone, so that one that comes during the setup
	 * is passed on too; given back by stk_run_free.  First: the guard
	 * below restores the mask it found, which must include these. */
	if (policy->forward_signals) {
		r = signals_take(&run->forward, true);
		run->forwarding = true;
	}
	/* The child may be dead before the sync byte reaches it. */
	struct run_signals rs;
	signals_take(&rs, false);
	if (r < 0) {
		run_fail(&run->error, -r, "signalfd");
		run->plan.argv = policy->argv;
		record_init(run->rec, policy, &run->plan);
		run->result = r;
		run_end(run, false);
	} else {
		r = run_begin(run, job, run->forward.fd);
	}
	own_end(&run->l);
	signals_give_back(&rs);
	if (r < 0)
		give_error(run, err);
	*out = run;
	return r;
}

/* epoll's events for poll's. */
static uint32_t epoll_events(short events)
{
	return (events & POLLIN ? EPOLLIN : 0) |
	       (events & POLLOUT ? EPOLLOUT : 0);
}

/* The wake eventfd readable (on) or not. */
static void wake(struct stk_run *run, bool on)
{
	uint64_t one = 1;
	if (on == run->woken)
		return;
	if (on)
		(void)!write(run->wake, &one, sizeof(one));
	else
		(void)!read(run->wake, &one, sizeof(one));
	run->woken = on;
}

/* Brings the epoll set in line with what the next turn polls: what was
 * watched and is no more goes, what is new comes.  A descriptor epoll
 * refuses (a regular file is always ready), a run that is over, or a
 * drain with an end keep the set readable by the wake eventfd or the
 * drain's timer; so a host that steps a run whenever its fd is readable
 * never misses work, and never spins on a run that has none. */
static void watch_sync(struct stk_run *run)
{
	struct pollfd want[PFD_COUNT];
	for (int i = 0; i < PFD_COUNT; i++)
		want[i] = (struct pollfd){.fd = -1};
	if (!run->over)
		loop_fds(&run->l, want);
	/* One registration per descriptor: a caller's fd may be both
	 * stdout and stderr. */
	for (int i = 0; i < PFD_COUNT; i++)
		for (int j = 0; j < i && want[i].fd >= 0; j++)
			if (want[j].fd == want[i].fd) {
				want[j].events |= want[i].events;
				want[i].fd = -1;
			}
	for (int i = 0; i < PFD_COUNT; i++) {
		struct pollfd *w = &run->watched[i];
		if (w->fd < 0 ||
		    (w->fd == want[i].fd && w->events == want[i].events))
			continue;
		if (!run->unpollable[i])
			epoll_ctl(run->epfd, EPOLL_CTL_DEL, w->fd, NULL);
		*w = (struct pollfd){.fd = -1};
		run->unpollable[i] = false;
	}
	bool spin = run->over;
	for (int i = 0; i < PFD_COUNT; i++) {
		struct pollfd *w = &run->watched[i];
		if (want[i].fd >= 0 && w->fd < 0) {
			struct epoll_event ev = {
				.events = epoll_events(want[i].events),
				.data.u32 = (uint32_t)i};
			*w = want[i];
			run->unpollable[i] = epoll_ctl(run->epfd, EPOLL_CTL_ADD,
						       w->fd, &ev) < 0;
		}
		spin |= w->fd >= 0 && run->unpollable[i];
	}
	double until = run->over || !run->l.ended ? 0 : drain_until(&run->l);
	if (until != run->drain_at) {
		struct itimerspec when = {
			.it_value = {.tv_sec = (time_t)until,
				     .tv_nsec = (long)((until -
							(double)(time_t)until) *
						       1e9)}};
		/* 0 disarms; an end already past fires at once. */
		if (until && !when.it_value.tv_sec && !when.it_value.tv_nsec)
			when.it_value.tv_nsec = 1;
		timerfd_settime(run->drain_timer, TFD_TIMER_ABSTIME, &when,
				NULL);
		run->drain_at = until;
	}
	wake(run, spin);
}

int stk_run_fd(struct stk_run *run)
{
	if (run->epfd >= 0)
		return run->epfd;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = PFD_COUNT};
	if (ep < 0 || wake < 0 || timer < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, timer, &ev) < 0) {
		int e = errno;
		int fds[] = {ep, wake, timer};
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return -e;
	}
	run->epfd = ep;
	run->wake = wake;
	run->drain_timer = timer;
	for (int i = 0; i < PFD_COUNT; i++)
		run->watched[i] = (struct pollfd){.fd = -1};
	watch_sync(run);
	return ep;
}

/* Turns until the run is over, waiting in each, then its end. */
static void run_drive(struct stk_run *run)
{
	while (!loop_turn(&run->l, true))
		;
	run_end(run, true);
}

int stk_run_step(struct stk_run *run)
{
	if (!run->over) {
		/* A write to a pipe whose reader is gone raises SIGPIPE: the
		 * caller's, or the sandbox's stdin once the program stopped
		 * reading it.  Blocked only while such a write can happen. */
		struct run_signals rs;
		bool guard = run->may_sigpipe || !relay_done(&run->l.io[0]);
		if (guard)
			signals_take(&rs, false);
		own_begin(&run->l);
		if (loop_turn(&run->l, false))
			run_end(run, true);
		own_end(&run->l);
		if (guard)
			signals_give_back(&rs);
	}
	if (run->epfd >= 0)
		watch_sync(run);
	return run->over;
}

int stk_run_cancel(struct stk_run *run)
{
	struct loop *l = &run->l;
	if (run->over)
		return 0;
	if (!l->init_done && l->fired < 0 && !l->denials.killed_by)
		l->cancelled = true;
	kill_sandbox(l);
	/* Already dead: what it wrote is not waited for. */
	if (l->init_done) {
		relay_stop(&l->io[1]);
		relay_stop(&l->io[2]);
	}
	if (run->epfd >= 0)
		wake(run, true);
	return 0;
}

int stk_run_signal(struct stk_run *run, int sig)
{
	if (sig <= 0 || sig >= NSIG)
		return -EINVAL;
	if (run->over || run->l.init_done)
		return -ESRCH;
	if (sys_pidfd_send_signal(run->sb.pidfd, sig) < 0)
		return -errno;
	if (!run->l.first)
		run->l.first = sig; /* the record's interrupted_by */
	return 0;
}

int stk_run_usage(struct stk_run *run, struct stk_usage *u, bool reset_peak)
{
	*u = (struct stk_usage){0};
	if (run->over || run->l.init_done)
		return -ESRCH;
	if (!run->plan.cgroup)
		return 0;
	u->cpu_us = cgroup_cpu_us(&run->cg);
	u->cpu = run->cg.v2 || run->cg.v1[CG_CPUACCT]; /* cgroup_cpu_us's */
	u->memory = cgroup_memory_now(&run->cg, &u->memory_bytes,
				      &u->memory_peak_bytes);
	if (u->memory && reset_peak)
		return cgroup_memory_reset(&run->cg);
	return 0;
}

int stk_run_wait(struct stk_run *run, struct stk_record **record,
		 struct stk_error **err)
{
	if (!run->over) {
		struct run_signals rs;
		signals_take(&rs, false);
		own_begin(&run->l);
		run_drive(run);
		own_end(&run->l);
		signals_give_back(&rs);
	}
	if (record)
		*record = steal_ptr(&run->rec);
	give_error(run, err);
	return run->result;
}

void stk_run_free(struct stk_run *run)
{
	if (!run)
		return;
	if (!run->over) {
		stk_run_cancel(run);
		stk_run_wait(run, NULL, NULL);
	}
	int fds[] = {run->epfd, run->wake, run->drain_timer};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (run->forwarding)
		signals_give_back(&run->forward);
	strv_free(run->argv);
	stk_record_free(run->rec);
	stk_error_free(run->error);
	free(run);
}

int stk_run(const struct stk_policy *policy, struct stk_record **record,
	    struct stk_error **err)
{
	if (record)
		*record = NULL;
	struct stk_run *run = NULL;
	stk_run_start(policy, NULL, &run, NULL);
	if (!run)
		return stk_error_set(err, ENOMEM, "run", "out of memory");
	int r = stk_run_wait(run, record, err);
	stk_run_free(run);
	return r;
}
