/* RES-17 per-uid-kernel-counters: the limits the kernel counts per user
 * (or user namespace) rather than per cgroup, filled to the top and held
 * for a moment while the host's processes of the same uid (C-PROC, the
 * neighbour sandbox: H4, H8) go on: inotify and fanotify are not in the
 * policy (ENOSYS), nor are POSIX queues (ENOSYS; their bytes would stop
 * at RLIMIT_MSGQUEUE: EMFILE); queued real-time
 * signals stop at RLIMIT_SIGPENDING (EAGAIN); the key quota is out of
 * reach (keyctl, add_key: EPERM); so are new user namespaces (EPERM).
 * The pipe pages of RES-16 are another such counter.
 *
 * Pending signals (and POSIX timers, RES-20) are counted per user
 * namespace and again, up the tree, for the uid that owns the namespace:
 * the host's user that made it (root as root: the per-run host uid does
 * not help; the caller without privilege).  A run whose RLIMIT_SIGPENDING
 * is the owner's own takes the owner's whole budget, and the host's
 * processes of that user, and every other sandbox, can then neither
 * sigqueue nor timer_create.  The run's budget must stay below its
 * owner's, which stockade's init (pid 1) still has. */
#include "attack.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>

#define CEILING 1000000

/* "Max pending signals" of a /proc/PID/limits, or -1. */
static long pending_limit(const char *limits)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(limits, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Max pending signals", 19) == 0)
			v = strtol(line + 26, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

int main(void)
{
	TRY("inotify-init1", syscall(SYS_inotify_init1, 0));
	TRY("inotify-add-watch",
	    syscall(SYS_inotify_add_watch, -1, "/tmp", 0xfff));
	TRY("fanotify-init", syscall(SYS_fanotify_init, 0, 0));

	struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = 8192};
	int queues = 0;
	mqd_t q = 0;
	while (queues < 1000) {
		char name[32];
		snprintf(name, sizeof(name), "/res17-%d", queues);
		q = mq_open(name, O_WRONLY | O_CREAT | O_EXCL, 0600, &attr);
		if (q < 0)
			break;
		queues++;
	}
	report("mq-open-until-fail", q, errno);
	note("%d POSIX queues", queues);

	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	siginfo_t info = {.si_signo = SIGRTMIN,
			  .si_code = SI_QUEUE,
			  .si_pid = getpid(),
			  .si_uid = getuid()};
	long queued = 0, r = 0;
	while (queued < CEILING && (r = syscall(SYS_rt_sigqueueinfo, getpid(),
						SIGRTMIN, &info)) == 0)
		queued++;
	report("sigqueue-until-fail", r, errno);
	note("%ld real-time signals queued", queued);
	long owner_budget = pending_limit("/proc/1/limits");
	int ns = open("/proc/self/ns/user", O_RDONLY);
	unsigned owner = 0;
	ioctl(ns, _IO(0xb7, 0x4) /* NS_GET_OWNER_UID */, &owner);
	close(ns);
	note("the user namespace's owner is uid %u inside; its budget %ld",
	     owner, owner_budget);
	/* "owner-budget-taken" when the run queued all its owner may. */
	printf("sigqueue-below-owner-budget %s\n",
	       owner_budget > 0 && queued >= owner_budget ? "owner-budget-taken"
							  : "ok");
	fflush(stdout);

	TRY("add-key", syscall(SYS_add_key, "user", "res17", "x", 1,
			       -2 /* user keyring */));
	TRY("keyctl-join-session",
	    syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL));
	TRY("unshare-user", unshare(CLONE_NEWUSER));
	TRY("clone-newuser",
	    syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0));

	usleep(300000); /* held at the limits while the host goes on */
	done();
	return 0;
}
