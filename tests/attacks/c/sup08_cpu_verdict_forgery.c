/* SUP-08 cpu-verdict-forgery: look like the CPU limit without reaching
 * it.  The run has --cpu-time 2s; the program spins to 1.86 s of CPU
 * time (93 %, with what its profile's compiler used), then kills itself
 * with SIGKILL, the signal RLIMIT_CPU's hard limit sends.  Before stockade
 * counted CPU time itself in both modes, the unprivileged mode (no cgroup) took
 * a SIGKILL near the limit for the limit's: verdict cpu-limit.  The verdict
 * must be "signal" (SIGKILL): the limit never fired. */
#include "attack.h"

#include <sys/times.h>

int main(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct tms t;
	/* Its own time and that of the children reaped before the execve
	 * (the c profile's compiler): all of it counts against the limit. */
	clock_t used;
	do {
		times(&t);
		used = t.tms_utime + t.tms_stime + t.tms_cutime + t.tms_cstime;
	} while (used < 186 * hz / 100);
	note("%.2f s of CPU used; killing myself", (double)used / (double)hz);
	kill(getpid(), SIGKILL);
	return 0;
}
