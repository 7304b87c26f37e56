/* spawn.c - start the sandbox: one clone3 into every namespace, then the
 * child's ordered steps, then the tiny init that runs the payload.
 *
 *   supervisor                     child = init, pid 1 of the new pid ns
 *   ----------                     -------------------------------------
 *   clone3(NEWUSER|NEWNS|...) ---> block signals, start the helper
 *   write uid_map, gid_map,        (helper.c), wait on the sync pipe
 *   move it into the cgroups
 *   write the sync byte      ---> new cgroup namespace, clone
 *                                 host trees, become the sandbox user,
 *                                 build the root, join the helper's
 *                                 network namespace, pivot, have the
 *                                 helper detach the old root, host name,
 *                                 drop every capability
 *                                 vfork ---> payload: default signals,
 *                                            execve
 *                                 reap; report the payload's status; exit
 *
 * The child runs on a copy-on-write copy of the supervisor (no CLONE_VM):
 * the supervisor may be multi-threaded, so the child calls no allocator
 * and no libc function that takes a lock, only system calls.  A failing
 * step writes {step, errno} on the report pipe and exits.
 *
 * Why an init of our own rather than the payload as pid 1: the kernel
 * drops a signal with the default action sent to a namespace's init, so a
 * payload at pid 1 would ignore the SIGTERM the supervisor passes on; and
 * orphans would be reparented to a program that never reaps them.  When
 * init exits, the kernel kills and reaps every process left in the
 * namespace before the supervisor sees init's exit: nothing outlives a
 * run, however it double-forks. */
#define _GNU_SOURCE
#include "spawn.h"

#include "cleanup.h"
#include "error.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const step_names[STEP_COUNT] = {
	[STEP_CGROUP_NS] = "cgroup namespace",
	[STEP_CMDLINE] = "hide the command line",
	[STEP_MOUNT_PRIVATE] = "make the mount tree private",
	[STEP_OPEN_TREE] = "clone host tree",
	[STEP_BIND_ATTRS] = "restrict bind",
	[STEP_SETGROUPS] = "setgroups",
	[STEP_SETGID] = "setresgid",
	[STEP_SETUID] = "setresuid",
	[STEP_CAPS_RAISE] = "capset (setup)",
	[STEP_PARENT_DEATH] = "parent death signal",
	[STEP_ROOT] = "tmpfs root",
	[STEP_MKDIR] = "create mount point",
	[STEP_MOUNT] = "bind",
	[STEP_SYMLINK] = "symlink",
	[STEP_WRITE_FILE] = "write file",
	[STEP_TMPFS] = "tmpfs",
	[STEP_PROC] = "proc",
	[STEP_PROC_MASK] = "mask /proc",
	[STEP_DEVPTS] = "devpts",
	[STEP_HOSTNAME] = "sethostname",
	[STEP_NETNS] = "network namespace",
	[STEP_NET_BUFFERS] = "bound socket queues",
	[STEP_PIVOT_ROOT] = "pivot_root",
	[STEP_DETACH_OLD_ROOT] = "detach old root",
	[STEP_ROOT_READ_ONLY] = "make root read-only",
	[STEP_CHDIR] = "chdir",
	[STEP_SETSID] = "setsid",
	[STEP_SECUREBITS] = "lock securebits",
	[STEP_CAPS_DROP] = "drop capabilities",
	[STEP_NO_NEW_PRIVS] = "no_new_privs",
	[STEP_DUMPABLE] = "non-dumpable init",
	[STEP_STDIO] = "stdio",
	[STEP_FDS] = "close fds",
	[STEP_FORK] = "fork payload",
	[STEP_RLIMITS] = "setrlimit",
	[STEP_LANDLOCK] = "landlock",
	[STEP_SECCOMP] = "load seccomp filter",
	[STEP_EXEC] = "execve",
};

const char *step_name(enum step step)
{
	return step >= 0 && step < STEP_COUNT ? step_names[step] : "supervise";
}

/* ---- the child ----------------------------------------------------- */

/* Closes every fd but the n in keep, which are in ascending order. */
static int close_all_but(const int *keep, size_t n)
{
	unsigned from = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned fd = (unsigned)keep[i];
		if (fd > from && sys_close_range(from, fd - 1, 0) < 0)
			return -1;
		from = fd + 1;
	}
	return sys_close_range(from, ~0U, 0);
}

ON_BORROWED_STACK static _Noreturn void
child_exit(const struct plan *plan, const struct report *rep, int status)
{
	if (rep->kind)
		(void)!write(plan->report_fd, rep, sizeof(*rep));
	_exit(status);
}

/* Moves the three stdio fds into place; they may overlap 0-2 in any order,
 * so they go out of the way first. */
static int setup_stdio(const struct plan *plan)
{
	int tmp[3];
	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(plan->stdio[i], F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			return -1;
	return 0;
}

/* execvpe without allocation, searching the sandbox's PATH. */
ON_BORROWED_STACK static int exec_command(const struct plan *plan)
{
	const char *file = plan->argv[0];
	if (strchr(file, '/')) {
		execve(file, plan->argv, plan->envp);
		return -1;
	}
	int seen_eacces = 0;
	char buf[PATH_MAX];
	size_t flen = strlen(file);
	for (const char *p = plan->path_env, *end; p;
	     p = *end ? end + 1 : NULL) {
		end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		if (dlen + 1 + flen + 1 > sizeof(buf))
			continue;
		memcpy(buf, p, dlen);
		if (dlen == 0)
			buf[dlen++] = '.';
		buf[dlen] = '/';
		memcpy(buf + dlen + 1, file, flen + 1);
		execve(buf, plan->argv, plan->envp);
		if (errno == EACCES)
			seen_eacces = 1;
		else if (errno != ENOENT && errno != ENOTDIR)
			return -1;
	}
	errno = seen_eacces ? EACCES : ENOENT;
	return -1;
}

ON_BORROWED_STACK static _Noreturn void payload_main(struct plan *plan)
{
	struct report rep = {0};
	/* The payload starts as a program normally does: no signal blocked,
	 * none ignored (the supervisor may ignore SIGPIPE, and ignored
	 * signals survive execve). */
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (landlock_apply(plan) < 0) {
		step_failed(&rep, STEP_LANDLOCK, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	/* After Landlock, which opens the paths of its rules: the fd limit
	 * may be lower than what is still open until execve. */
	if (limits_apply(plan, &rep) < 0)
		child_exit(plan, &rep, STK_EXIT_SETUP);
	/* Last: from here on, a call outside the policy waits for the
	 * supervisor's answer.  The listener lands in the fd table we share
	 * with init (CLONE_FILES), close-on-exec, for init to pass on. */
	plan->listener = filter_load(&plan->filter);
	if (plan->listener < 0) {
		step_failed(&rep, STEP_SECCOMP, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	exec_command(plan);
	step_failed(&rep, STEP_EXEC, -1, errno);
	child_exit(plan, &rep,
		   errno == ENOENT ? STK_EXIT_NOTFOUND : STK_EXIT_NOEXEC);
}

ON_BORROWED_STACK static int payload_start(void *plan)
{
	payload_main(plan);
}

/* The seccomp listener goes to the supervisor, which answers the
 * payload's denied calls; init keeps no copy. */
static int send_listener(struct plan *plan)
{
	struct report rep = {.kind = REPORT_LISTENER, .index = -1};
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &plan->listener, sizeof(int));
	ssize_t n = sendmsg(plan->report_fd, &msg, MSG_NOSIGNAL);
	int saved = errno;
	close(plan->listener);
	plan->listener = -1;
	errno = saved;
	return n == (ssize_t)sizeof(rep) ? 0 : -1;
}

/* Signals worth passing to the payload; the rest are ignored. */
static bool forwarded(int sig)
{
	static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
				   SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigs[i] == sig)
			return true;
	return false;
}

static _Noreturn void init_main(const struct plan *plan, pid_t payload)
{
	struct report rep = {0};
	sigset_t all;
	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		/* Only the supervisor, outside this pid namespace (si_pid
		 * 0), may have a signal passed on: a process inside could
		 * signal the payload itself anyway. */
		if (sig != SIGCHLD) {
			if (forwarded(sig) && si.si_pid == 0)
				kill(payload, sig);
			continue;
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != payload)
				continue;
			/* The run ends with the payload.  Kill and reap the
			 * rest here rather than leave it to the kernel at our
			 * exit: reaped by us, their CPU time counts in the
			 * rusage the supervisor gets from waitid. */
			kill(-1, SIGKILL);
			int ignored;
			while (waitpid(-1, &ignored, 0) > 0 || errno == EINTR)
				;
			rep.kind = REPORT_EXITED;
			rep.status = status;
			child_exit(plan, &rep,
				   WIFEXITED(status)
					   ? WEXITSTATUS(status)
					   : STK_EXIT_SIGNAL_BASE +
						     WTERMSIG(status));
		}
	}
}

/* init is a copy of the supervisor and would show the caller's command
 * line - host paths, the record file - to every process of the run in
 * /proc/1/cmdline.  The region the kernel reads it from is init's own
 * memory now: overwrite it, and the environment's too.  Fields 48-51 of
 * /proc/self/stat (the host's /proc, still mounted) give the bounds.
 * Not hidden, they would be shown: the run does not start. */
static int wipe_command_line(struct report *fail)
{
	char buf[4096];
	unsigned long long bounds[4]; /* arg_start, arg_end, env_... */
	static const char name[] = "stockade-init";
	if (read_small("/proc/self/stat", buf, sizeof(buf)) <= 0 ||
	    prctl(PR_SET_NAME, name, 0, 0, 0) < 0)
		return step_failed(fail, STEP_CMDLINE, -1, errno);
	if (stat_fields(buf, 48, 4, bounds) != 4)
		return step_failed(fail, STEP_CMDLINE, -1, EPROTO);
	for (int i = 0; i < 4; i += 2) {
		if (bounds[i + 1] <= bounds[i])
			continue;
		size_t len = bounds[i + 1] - bounds[i];
		memset((void *)bounds[i], 0, len);
		if (i == 0 && len > sizeof(name))
			memcpy((void *)bounds[i], name, sizeof(name));
	}
	return 0;
}

/* The working directory, resolved in the new root only: through a magic
 * link (/proc/self/fd/N, /proc/1/cwd) it would be whatever directory an fd
 * still open here names - the caller's stdin, an fd it leaked to us -
 * outside the root, where only Landlock would stand in the way. */
static int enter_workdir(const struct plan *plan)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	int dir = sys_openat2(root, plan->workdir,
			      O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
			      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	int r = dir < 0 ? -1 : fchdir(dir);
	int saved = errno;
	close(root);
	if (dir >= 0)
		close(dir);
	errno = saved;
	return r;
}

static _Noreturn void child_main(struct plan *plan)
{
	struct report rep = {0};
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	umask(0); /* the plan's modes are exact */
	/* At once, every fd but the few the setup reads: the caller's other
	 * threads may be starting runs of their own, and a copy of one of
	 * their pipes here would keep it open (a copy of our own sync pipe's
	 * write end would have us wait forever for a dead parent). */
	if (close_all_but(plan->keep, plan->n_keep) < 0) {
		step_failed(&rep, STEP_FDS, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	/* Before the id maps too: if the supervisor dies this early, the
	 * kernel ends us (set again after the uid change, which clears it). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	/* The helper needs no id map: it starts on the network namespace
	 * while the supervisor writes them. */
	struct helper helper;
	if (helper_start(&helper, &rep) < 0)
		child_exit(plan, &rep, STK_EXIT_SETUP);
	char go;
	if (read(plan->sync_fd, &go, 1) != 1)
		_exit(STK_EXIT_SETUP); /* the supervisor is gone */
	/* Only now, once the supervisor has moved us into the run's v1
	 * groups: a namespace made by clone3 would be rooted at the caller's
	 * groups, and /proc/self/cgroup inside would show the host's paths
	 * to the run's groups (and stockade's pid in their names). */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		step_failed(&rep, STEP_CGROUP_NS, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}

	if (wipe_command_line(&rep) < 0 ||
	    mount_clone_sources(plan, &rep) < 0 || creds_enter(plan, &rep) < 0)
		child_exit(plan, &rep, STK_EXIT_SETUP);
	/* Set only now: the uid change above clears it.  The supervisor may
	 * have died before; its end of the sync pipe is then closed. */
	struct pollfd pfd = {.fd = plan->sync_fd, .events = POLLIN};
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		step_failed(&rep, STEP_PARENT_DEATH, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	if (poll(&pfd, 1, 0) != 0)
		_exit(STK_EXIT_SETUP);

	if (mount_build_root(plan, &helper, &rep) < 0 ||
	    ns_set_hostname(plan, &rep) < 0 ||
	    ns_bound_net_buffers(plan, &rep) < 0)
		child_exit(plan, &rep, STK_EXIT_SETUP);
	umask(022); /* what a program expects to start with */
	if (enter_workdir(plan) < 0)
		step_failed(&rep, STEP_CHDIR, -1, errno);
	else if (setsid() < 0)
		step_failed(&rep, STEP_SETSID, -1, errno);
	else if (creds_drop(&rep) < 0)
		;
	/* init never executes anything: without this, the payload (same uid)
	 * could ptrace it or open its fds through /proc/1/fd. */
	else if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		step_failed(&rep, STEP_DUMPABLE, -1, errno);
	else if (setup_stdio(plan) < 0)
		step_failed(&rep, STEP_STDIO, -1, errno);
	/* Whatever the caller leaked into us ends here, and every fd the
	 * setup used: the payload, which shares this table until its
	 * execve, finds 0, 1, 2 and the report socket (close-on-exec). */
	else if (close_all_but((int[]){0, 1, 2, plan->report_fd}, 4) < 0)
		step_failed(&rep, STEP_FDS, -1, errno);
	if (rep.kind)
		child_exit(plan, &rep, STK_EXIT_SETUP);

	/* The payload shares init's memory until its execve (vfork): no page
	 * tables to copy, and init waits the few steps it takes. */
	static char payload_stack[64 * 1024] __attribute__((aligned(16)));
	plan->listener = -1;
	pid_t payload =
		clone(payload_start, payload_stack + sizeof(payload_stack),
		      CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, plan);
	if (payload < 0) {
		step_failed(&rep, STEP_FORK, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	/* Without the listener in the supervisor's hands a refused call would
	 * go unreported: the run does not go on. */
	if (plan->listener >= 0 && send_listener(plan) < 0) {
		kill(payload, SIGKILL);
		step_failed(&rep, STEP_SECCOMP, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	/* init keeps only the report socket. */
	if (sys_close_range(0, 2, 0) < 0) {
		kill(payload, SIGKILL);
		step_failed(&rep, STEP_FDS, -1, errno);
		child_exit(plan, &rep, STK_EXIT_SETUP);
	}
	init_main(plan, payload);
}

/* ---- the supervisor's side ------------------------------------------ */

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

/* init keeps its end of the report socket above 0-2, which its stdio
 * takes; a caller with 0-2 closed would have it land there. */
static int above_stdio(int *fd)
{
	if (*fd > 2)
		return 0;
	int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	int saved = errno;
	close(*fd);
	*fd = moved;
	errno = saved;
	return moved < 0 ? -1 : 0;
}

static int ascending(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The fds the child keeps at its start, in ascending order: the sync
 * pipe, the report socket, the payload's stdio, the files to copy. */
static int keep_list(struct plan *plan)
{
	size_t n = 0;
	plan->keep = malloc((5 + plan->n_ops) * sizeof(int));
	if (!plan->keep)
		return -ENOMEM;
	plan->keep[n++] = plan->sync_fd;
	plan->keep[n++] = plan->report_fd;
	for (int i = 0; i < 3; i++)
		plan->keep[n++] = plan->stdio[i];
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].fd >= 0)
			plan->keep[n++] = plan->ops[i].fd;
	qsort(plan->keep, n, sizeof(int), ascending);
	plan->n_keep = n;
	return 0;
}

int spawn_sandbox(struct plan *plan, const struct cgroup_run *cg,
		  struct sandbox *sb, struct stk_error **err)
{
	int sync_pipe[2] = {-1, -1}, report[2] = {-1, -1};
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	/* The program's stdin, stdout and stderr are pipes of ours, which the
	 * supervisor relays (relay.c): whatever the caller's fds 0-2 are - a
	 * terminal, a directory, a socket to a host service - they stay the
	 * caller's. */
	if (pipe2(sync_pipe, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, report) < 0 ||
	    above_stdio(&report[1]) < 0 || pipe2(in, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		int r = stk_error_set(err, errno, "pipe", "pipe: %s",
				      stk_strerror(errno));
		close_pair(sync_pipe), close_pair(report), close_pair(in),
			close_pair(out), close_pair(errp);
		return r;
	}
	/* Read and written in the poll loop: never block on them. */
	fcntl(report[0], F_SETFL, O_NONBLOCK);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	plan->sync_fd = sync_pipe[0];
	plan->report_fd = report[1];
	plan->stdio[0] = in[0];
	plan->stdio[1] = out[1];
	plan->stdio[2] = errp[1];
	if (keep_list(plan) < 0) {
		close_pair(sync_pipe), close_pair(report), close_pair(in),
			close_pair(out), close_pair(errp);
		return stk_error_set(err, ENOMEM, "plan", "out of memory");
	}

	int pidfd = -1;
	struct clone_args args = {
		.flags = SANDBOX_CLONE_NAMESPACES | CLONE_PIDFD |
			 CLONE_CLEAR_SIGHAND,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		/* No signal at its end: the caller's SIGCHLD handler and
		 * its waitpid(-1) (which, without __WALL, waits only for
		 * children that signal SIGCHLD) never see a run's init. */
		.exit_signal = 0,
	};
	/* Born in the run's v2 group: no moment outside it, and no
	 * migration (the kernel's cgroup lock) either. */
	if (cg && cg->v2_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cg->v2_fd;
	}
	/* Born with every signal blocked: the kernel drops a signal with
	 * the default action sent to a namespace's init, and the child may
	 * not have run at all when the start returns and the caller passes
	 * one on (stk_run_signal).  Blocked, it waits for init's loop. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = sys_clone3(&args);
	if (pid == 0)
		child_main(plan);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(plan->keep);
	plan->keep = NULL;
	close(sync_pipe[0]);
	close(report[1]);
	close(out[1]);
	close(errp[1]);
	close(in[0]);
	if (pid < 0) {
		close(in[1]);
		close(sync_pipe[1]), close(report[0]), close(out[0]),
			close(errp[0]);
		/* Moving into a delegated group needs write access to the
		 * common ancestor's cgroup.procs: the caller must already
		 * live in the subtree. */
		if (saved == EACCES && cg && cg->parent)
			return stk_error_set(
				err, saved, "--cgroup-parent",
				"--cgroup-parent: cannot start the run in %s: "
				"this process must itself be inside that "
				"group's subtree",
				cg->parent);
		return stk_error_set(err, saved, "clone3",
				     "creating the sandbox's namespaces: %s",
				     stk_strerror(saved));
	}
	*sb = (struct sandbox){.pid = pid,
			       .pidfd = pidfd,
			       .sync_fd = sync_pipe[1],
			       .report_fd = report[0],
			       .out_fd = out[0],
			       .err_fd = errp[0],
			       .in_fd = in[1]};
	int r = ns_write_id_maps(pid, plan, err);
	if (r == 0 && cg)
		r = cgroup_attach(cg, pid, err);
	if (r == 0 && write(sb->sync_fd, "", 1) != 1)
		r = stk_error_set(err, errno, "sync", "starting the child: %s",
				  stk_strerror(errno));
	return r;
}
