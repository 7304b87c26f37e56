/* RES-01 fork-bomb: every process forks as fast as it can (for(;;) fork())
 * for half a second, then a churn of fork and immediate _exit.  The run's task
 * limit (--tasks 32 in its entry: the pids cgroup as root, RLIMIT_NPROC
 * per user namespace without privilege) must refuse the forks with EAGAIN
 * long before the bomb grows; a shared counter of the forks that worked
 * bounds the bomb even if the sandbox did not (and says so). */
#include "attack.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define TASKS 32     /* --tasks of the entry */
#define CEILING 1000 /* the bomb stops here whatever happens */

struct shared {
	atomic_long forked;  /* forks that succeeded, all processes */
	atomic_long refused; /* forks refused with EAGAIN */
	atomic_long other;   /* forks refused with another errno */
	atomic_int other_errno;
};

static void bomb(struct shared *s, double until)
{
	while (monotonic_now() < until) {
		if (atomic_load(&s->forked) >= CEILING)
			break;
		pid_t pid = fork();
		if (pid > 0) {
			atomic_fetch_add(&s->forked, 1);
		} else if (pid < 0 && errno == EAGAIN) {
			atomic_fetch_add(&s->refused, 1);
		} else if (pid < 0) {
			atomic_fetch_add(&s->other, 1);
			atomic_store(&s->other_errno, errno);
		}
		/* The child goes on in the same loop: the bomb doubles. */
	}
	for (;;)
		pause(); /* hold the task until the bomb is killed */
}

int main(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		report("mmap-shared", -1, errno);
		return 1;
	}
	double until = monotonic_now() + 0.5;
	pid_t leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		bomb(s, until);
	}
	if (leader < 0) {
		report("fork-leader", -1, errno);
		return 1;
	}
	setpgid(leader, leader);
	while (monotonic_now() < until + 0.1)
		usleep(10000);
	long forked = atomic_load(&s->forked);
	note("bomb: %ld forks worked, %ld refused with EAGAIN, %ld otherwise",
	     forked, atomic_load(&s->refused), atomic_load(&s->other));
	/* What the bomb's forks got once the limit was reached. */
	if (atomic_load(&s->refused) > 0)
		report("fork-bomb", -1, EAGAIN);
	else if (atomic_load(&s->other) > 0)
		report("fork-bomb", -1, atomic_load(&s->other_errno));
	else
		report("fork-bomb", 0, 0);
	/* The program's processes: this one, the leader, the bomb's forks. */
	if (forked + 2 > TASKS)
		escaped("the program had %ld processes with --tasks %d",
			forked + 2, TASKS);

	/* Kill the bomb (its processes share the leader's group) and let
	 * init reap what was reparented to it. */
	kill(-leader, SIGKILL);
	waitpid(leader, NULL, 0);
	usleep(200000);

	/* Churn: fork and exit at once, reaped at once; the limit must not
	 * count the dead. */
	long churned = 0;
	int churn_errno = 0;
	double churn_until = monotonic_now() + 0.3;
	while (churned < 20000 && monotonic_now() < churn_until) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			if (errno != EAGAIN) {
				churn_errno = errno;
				break;
			}
			usleep(1000); /* the bomb's last processes are going */
			continue;
		}
		waitpid(pid, NULL, 0);
		churned++;
	}
	note("churn: %ld forks", churned);
	report("fork-churn", churn_errno || churned < 100 ? -1 : 0,
	       churn_errno ? churn_errno : EAGAIN);
	done();
	return 0;
}
