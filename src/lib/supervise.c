/* supervise.c - stk_run: prepare, start, watch, end, account.
 *
 * One poll loop watches init's pidfd, the sandbox's stdout and stderr
 * pipes and, when asked, a signalfd for the signals the caller wants passed
 * on.  There is no sleeping and no polling on a timer: the pidfd becomes
 * readable when init exits, which the kernel makes happen only after every
 * other process of the run is dead, so the loop cannot miss an exit nor
 * end before the tree is gone. */
#define _GNU_SOURCE
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

static int build_envp(struct plan *plan, const struct stk_policy *policy)
{
	plan->envp = calloc(policy->n_env + 1, sizeof(char *));
	if (!plan->envp)
		return -ENOMEM;
	size_t n = 0;
	/* Without PATH, search where execvp would (confstr _CS_PATH). */
	plan->path_env = "/bin:/usr/bin";
	for (size_t i = 0; i < policy->n_env; i++) {
		const struct env_var *e = &policy->env[i];
		if (!e->value)
			continue;
		if (asprintf(&plan->envp[n], "%s=%s", e->name, e->value) < 0) {
			plan->envp[n] = NULL;
			return -ENOMEM;
		}
		n++;
		if (strcmp(e->name, "PATH") == 0)
			plan->path_env = e->value;
	}
	return 0;
}

static int plan_build(struct plan *plan, const struct stk_policy *policy,
		      struct cgroup_run *cg, int *uid_lock,
		      struct stk_error **err)
{
	plan->argv = policy->argv;
	memcpy(plan->limits, policy->limits, sizeof(plan->limits));
	plan->workdir = policy->workdir;
	plan->hostname = policy->hostname;
	plan->uid = STK_SANDBOX_UID;
	plan->gid = STK_SANDBOX_GID;
	plan->privileged = geteuid() == 0;
	plan->host_uid = plan->privileged ? (uid_t)-1 : geteuid();
	plan->host_gid = plan->privileged ? (gid_t)-1 : getegid();
	if (!policy->argv)
		return stk_error_set(err, EINVAL, "command",
				     "no command to run");
	/* Checked before we open anything, which could take a closed one's
	 * number and receive the sandbox's output. */
	for (int i = 0; i < 3; i++)
		if (fcntl(policy->stdio[i], F_GETFD) < 0)
			return stk_error_set(err, EBADF, "stdio",
					     "stdio: fd %d is not open",
					     policy->stdio[i]);
	if (build_envp(plan, policy) < 0)
		return stk_error_set(err, ENOMEM, "plan", "out of memory");
	int r = plan_mounts(plan, policy, err);
	/* Root mode, or a delegated parent: a cgroup of its own for the
	 * run's limits and figures.  Without either there is none to write,
	 * and the record says so; a limit its controllers lack falls back
	 * to an rlimit, recorded as such.  Made before the filter, whose
	 * calls depend on what the group holds. */
	if (r == 0 && (plan->privileged || policy->cgroup_parent)) {
		r = cgroup_create(cg, policy->limits[STK_LIMIT_MEMORY],
				  policy->limits[STK_LIMIT_TASKS], err);
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
		r = limits_fit_descriptors(plan, policy->asked, err);
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
		r = creds_claim_host_uid(&plan->host_uid, uid_lock, err);
		plan->host_gid = plan->host_uid;
	}
	return r;
}

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
	const char *fired;	/* the limit that ended the run */
	struct cgroup_usage cg; /* the run's group's figures */
	bool have_cg;
	const struct cgroup_run *group; /* the run's, or NULL */
	int cpu_timer;			/* ticks to check --cpu-time, or -1 */
	uint64_t cpu_limit_us;
	uint64_t own_start_ns; /* this thread's CPU clock at the start */
	struct tree_cpu tree;  /* without a group: the last count from /proc */
	int passed;	       /* signals passed on so far */
	int first;	       /* the first of them */
	bool init_done;
	bool killed;	 /* SIGKILL sent to init */
	int loop_failed; /* errno of the loop itself */
	siginfo_t init_info;
	struct rusage usage;
};

/* Without a cgroup, init's rusage will hold only what it reaped, not
 * the processes a kill ends: the tree is counted from /proc first. */
static void kill_sandbox(struct loop *l)
{
	/* Once: the limits that fire go on firing while the tree dies (an
	 * output limit at each read), and /proc is walked only before the
	 * first kill. */
	if (l->killed)
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
		    (fd < 0 || l->listener >= 0 ||
		     msg.msg_flags & MSG_CTRUNC)) {
			/* Unwatched, refused calls would go unreported. */
			l->loop_failed = EPROTO;
			kill_sandbox(l);
		} else if (rep.kind == REPORT_LISTENER) {
			l->listener = steal_fd(&fd);
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
static void end_for(struct loop *l, const char *limit)
{
	if (!l->fired)
		l->fired = limit;
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
 * counts against --cpu-time. */
static uint64_t own_cpu_us(const struct loop *l)
{
	return (thread_cpu_ns() - l->own_start_ns) / 1000;
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
		end_for(l, "cpu");
}

/* Once the sandbox is gone, what it wrote and the caller has not taken
 * yet is still delivered: for as long as the caller reads, as in any
 * pipeline, when the program exited by itself and the run has no
 * wall-time limit; until that limit, when it has one; and for a second
 * more at least.  A run that ended any other way (a limit, a signal)
 * gets that second only: a reader that never reads cannot keep a killed
 * run's supervisor.  Returns the poll timeout in ms. */
static int drain_timeout(const struct loop *l)
{
	bool by_itself = l->exited.kind && WIFEXITED(l->exited.status) &&
			 !l->fired && !l->denials.killed_by;
	if (!l->deadline && by_itself)
		return -1;
	double until = l->ended + 1.0;
	if (by_itself && l->deadline > until)
		until = l->deadline;
	double left = until - now();
	return left > 0 ? (int)(left * 1000.0) + 1 : 0;
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

static void run_loop(struct loop *l)
{
	struct sandbox *sb = l->sb;
	for (;;) {
		bool live = !l->init_done;
		if (!live && !l->ended) {
			l->ended = now();
			take_reports(l);       /* how the payload ended */
			relay_stop(&l->io[0]); /* no one left to read it */
		}
		if (!live && relay_done(&l->io[1]) && relay_done(&l->io[2]))
			break;
		struct pollfd fds[PFD_COUNT] = {
			[PFD_INIT] = {.fd = live ? sb->pidfd : -1,
				      .events = POLLIN},
			[PFD_SIGNALS] = {.fd = l->sigfd, .events = POLLIN},
			[PFD_REPORTS] = {.fd = l->reports_done ? -1
							       : sb->report_fd,
					 .events = POLLIN},
			[PFD_LISTENER] = {.fd = l->listener, .events = POLLIN},
			[PFD_WALL] = {.fd = live ? l->timer : -1,
				      .events = POLLIN},
			[PFD_CPU] = {.fd = live ? l->cpu_timer : -1,
				     .events = POLLIN},
		};
		for (int i = 0; i < 3; i++)
			relay_poll(&l->io[i], &fds[PFD_RELAYS + 2 * i]);
		int n = poll(fds, PFD_COUNT, live ? -1 : drain_timeout(l));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Unwatched, the run must not go on. */
			l->loop_failed = errno;
			kill_sandbox(l);
			if (!l->init_done)
				reap_init(l);
			break;
		}
		if (n == 0) { /* the drain's time is up */
			relay_stop(&l->io[1]);
			relay_stop(&l->io[2]);
			break;
		}
		for (int i = 0; i < 3; i++)
			if (!relay_step(&l->io[i], &fds[PFD_RELAYS + 2 * i],
					i ? &l->budget : NULL))
				end_for(l, "output");
		if (fds[PFD_WALL].revents)
			end_for(l, "wall");
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
}

/* The relays between the caller's stdio and the sandbox's pipes, which
 * they take over from sb. */
static int relays_start(struct loop *l, struct sandbox *sb,
			struct stk_error **err)
{
	const int *stdio = l->policy->stdio;
	int r = relay_init(&l->io[0], stdio[0], steal_fd(&sb->in_fd), 0);
	if (r == 0)
		r = relay_init(&l->io[1], steal_fd(&sb->out_fd), stdio[1], 1);
	if (r == 0)
		r = relay_init(&l->io[2], steal_fd(&sb->err_fd), stdio[2], 1);
	if (r < 0)
		return stk_error_set(err, -r, "relay", "out of memory");
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
	if (l->loop_failed && !failed.kind)
		failed = (struct report){.kind = REPORT_FAILED,
					 .step = STEP_COUNT,
					 .index = -1,
					 .errnum = l->loop_failed};
	rec->interrupted = l->first;
	rec->supervisor_seconds = (double)own_cpu_us(l) / 1e6;
	/* The group's CPU counts every process of the run, whenever it
	 * ended; init's rusage only those it reaped. */
	if (l->have_cg && l->cg.cpu) {
		rec->user_seconds = (double)l->cg.user_us / 1e6;
		rec->system_seconds = (double)l->cg.system_us / 1e6;
		rec->cpu_from = "cgroup cpu.stat";
	} else {
		rec->user_seconds = (double)l->usage.ru_utime.tv_sec +
				    (double)l->usage.ru_utime.tv_usec / 1e6;
		rec->system_seconds = (double)l->usage.ru_stime.tv_sec +
				      (double)l->usage.ru_stime.tv_usec / 1e6;
		rec->cpu_from = "rusage of init";
		/* A killed tree's processes never reached init's rusage:
		 * then the count from /proc taken before the kill is the
		 * larger, and the truer. */
		double reaped = rec->user_seconds + rec->system_seconds;
		if ((double)(l->tree.user_us + l->tree.system_us) / 1e6 >
		    reaped) {
			rec->user_seconds = (double)l->tree.user_us / 1e6;
			rec->system_seconds = (double)l->tree.system_us / 1e6;
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
		rec->exit_code = WEXITSTATUS(status);
		rec->exit_status = rec->exit_code;
		rec->verdict = rec->exit_code == 0 ? "ok" : "exit";
	} else {
		rec->signal = WTERMSIG(status);
		rec->exit_status = STK_EXIT_SIGNAL_BASE + rec->signal;
		rec->verdict = "signal";
	}
	/* The verdict names why the run ended, from what we saw ourselves
	 * (a limit we enforced, the listener's report) or counted (CPU time,
	 * the cgroup's events).  A signal alone is no evidence: a program can
	 * send itself SIGXCPU or SIGXFSZ to look like a limit (the attack
	 * corpus's SUP-04), or SIGKILL once it has used nearly its CPU time
	 * to look like RLIMIT_CPU's; so CPU time too is the supervisor's own
	 * count, in both modes.  A write past --file-size gets SIGXFSZ, which
	 * no count tells from a forged one: it stays a "signal". */
	if (l->denials.killed_by)
		rec->verdict = "syscall-denied";
	else if (l->fired && strcmp(l->fired, "wall") == 0)
		rec->verdict = "wall-limit";
	else if (l->fired && strcmp(l->fired, "output") == 0)
		rec->verdict = "output-limit";
	else if (l->fired && strcmp(l->fired, "cpu") == 0)
		rec->verdict = "cpu-limit";
	else if (l->have_cg && l->cg.oom_kills)
		rec->verdict = "memory-limit";
	else if (l->have_cg && l->cg.pids_max_hits)
		rec->verdict = "tasks-limit";
	rec->limit_fired = l->fired;
}

static void end_sandbox(struct sandbox *sb, struct loop *l)
{
	if (sb->pidfd >= 0 && !l->init_done) {
		/* Setup failed in the supervisor after clone: the child must
		 * not go on. */
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

/* The thread's signals during a run.  SIGPIPE is always blocked: the
 * caller may have stopped reading what the sandbox writes, and that must
 * end in EPIPE, not in the caller's death.  The signals to pass on are
 * blocked and read from a signalfd when the policy asks for it. */
struct run_signals {
	sigset_t old_mask;
	bool pipe_was_pending;
	int fd;
};

static int signals_take(struct run_signals *rs, const struct stk_policy *p)
{
	sigset_t set, pending;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(passed_signals); i++)
		sigaddset(&set, passed_signals[i]);
	rs->fd = -1;
	rs->pipe_was_pending = true; /* until known: drain nothing */
	if (p->forward_signals) {
		pthread_sigmask(SIG_BLOCK, &set, &rs->old_mask);
		rs->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (rs->fd < 0)
			return -errno;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set,
			p->forward_signals ? NULL : &rs->old_mask);
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

int stk_run(const struct stk_policy *policy, struct stk_record **record,
	    struct stk_error **err_out)
{
	/* The record keeps the error even when the caller does not ask. */
	struct stk_error *error = NULL, **err = &error;
	struct stk_record *rec = calloc(1, sizeof(*rec));
	struct plan plan = {0};
	struct sandbox sb = {.pidfd = -1,
			     .sync_fd = -1,
			     .report_fd = -1,
			     .out_fd = -1,
			     .err_fd = -1,
			     .in_fd = -1};
	struct loop l = {.sb = &sb,
			 .policy = policy,
			 .sigfd = -1,
			 .listener = -1,
			 .timer = -1,
			 .cpu_timer = -1,
			 .io = {RELAY_NONE, RELAY_NONE, RELAY_NONE},
			 .budget = policy->limits[STK_LIMIT_OUTPUT]
					   ? policy->limits[STK_LIMIT_OUTPUT]
					   : UINT64_MAX};
	_cleanup_close_ int uid_lock = -1;
	struct run_signals rs;
	int r;

	if (record)
		*record = NULL;
	if (!rec)
		return stk_error_set(err_out, ENOMEM, "run", "out of memory");
	double start = now();
	struct cgroup_run cg = {.v2_fd = -1,
				.memory_required =
					policy->asked & 1U << STK_LIMIT_MEMORY,
				.parent = policy->cgroup_parent};
	r = plan_build(&plan, policy, &cg, &uid_lock, err);
	bool have_cg = plan.cgroup;
	if (record_init(rec, policy, &plan) < 0 && r == 0)
		r = stk_error_set(err, ENOMEM, "run", "out of memory");
	int sr = signals_take(&rs, policy);
	l.sigfd = rs.fd;
	if (r == 0 && sr < 0)
		r = stk_error_set(err, -sr, "signalfd", "signalfd: %s",
				  stk_strerror(-sr));
	/* The wall clock runs from the clone: the setup counts. */
	if (r == 0 && policy->limits[STK_LIMIT_WALL_TIME]) {
		l.deadline = start +
			     (double)policy->limits[STK_LIMIT_WALL_TIME] / 1e9;
		r = arm_timer(&l.timer, policy->limits[STK_LIMIT_WALL_TIME],
			      false, "--wall-time", err);
	}
	uint64_t cpu_ns = policy->limits[STK_LIMIT_CPU_TIME];
	l.own_start_ns = thread_cpu_ns();
	l.group = have_cg ? &cg : NULL; /* else the CPU is counted from /proc */
	if (r == 0 && cpu_ns) {
		l.cpu_limit_us = cpu_ns / 1000;
		r = arm_timer(&l.cpu_timer, 20 * 1000000ULL, true, "--cpu-time",
			      err);
	}
	if (r == 0)
		r = spawn_sandbox(&plan, have_cg ? &cg : NULL, &sb, err);
	if (r == 0)
		r = relays_start(&l, &sb, err);
	if (r == 0) {
		run_loop(&l);
		if (have_cg) {
			cgroup_usage(&cg, &l.cg);
			l.have_cg = true;
		}
		conclude(rec, &plan, &l, err);
		record_denials(rec, &l.denials);
		record_output(rec, l.io + 1,
			      l.fired && strcmp(l.fired, "output") == 0);
		if (rec->error)
			r = -rec->error->errnum;
	} else {
		record_fail(rec, error, STK_EXIT_SETUP);
	}
	end_sandbox(&sb, &l);
	record_cgroup(rec, have_cg ? &cg : NULL, l.have_cg ? &l.cg : NULL);
	if (have_cg)
		cgroup_destroy(&cg);
	if (l.timer >= 0)
		close(l.timer);
	if (l.cpu_timer >= 0)
		close(l.cpu_timer);
	denials_release(&l.denials);
	/* The run's time ends with its last process, not with the delivery
	 * of what it wrote to a slow reader. */
	rec->wall_seconds = (l.ended ? l.ended : now()) - start;
	signals_give_back(&rs);
	plan_release(&plan);
	if (record)
		*record = rec;
	else
		stk_record_free(rec);
	if (err_out && !*err_out)
		*err_out = error;
	else
		stk_error_free(error);
	return r;
}
