/* RES-11 uninterruptible-c-compute: a computation that no signal of its
 * own can stop: every blockable signal blocked (SIGXCPU, SIGALRM, SIGTERM
 * among them), an alarm armed that never arrives, then a tight loop.  No
 * in-process timer may be relied on: the CPU limit of the entry
 * (--cpu-time 1s) ends the run from outside, the cgroup's count and
 * stockade's SIGKILL as root, RLIMIT_CPU's SIGKILL at the hard limit
 * without privilege (SIGXCPU at the soft one is blocked): verdict
 * cpu-limit.  The loop stops after 5 s whatever happens, and says so. */
#include "attack.h"

#include <signal.h>
#include <time.h>

int main(void)
{
	sigset_t all;
	sigfillset(&all);
	TRY("block-all-signals", sigprocmask(SIG_BLOCK, &all, NULL));
	alarm(1);
	spin_for(5);
	escaped("computed for 5 s with --cpu-time 1s");
	done();
	return 0;
}
