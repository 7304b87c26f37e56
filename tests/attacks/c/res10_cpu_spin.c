/* RES-10 cpu-spin: raise the scheduling class and priority (SCHED_FIFO 99,
 * SCHED_DEADLINE, nice -20, real-time I/O priority, RLIMIT_RTPRIO and
 * RLIMIT_NICE), pin itself on CPU 0, then spin on every CPU.  The raises
 * fail (no CAP_SYS_NICE, RLIMIT_RTPRIO and RLIMIT_NICE 0 with hard = soft;
 * sched_setattr and ioprio_set are not in the policy); the pinning works
 * and gains nothing.  The CPU limit of the entry (--cpu-time 1s: the
 * cgroup's count as root, RLIMIT_CPU without privilege) ends the run with
 * verdict cpu-limit.  The spinners stop after 5 s whatever happens, and
 * say so. */
#include "attack.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

static double until;

static void *spin(void *arg)
{
	(void)arg;
	volatile unsigned long n = 0;
	while (monotonic_now() < until)
		n++;
	return NULL;
}

struct sched_attr {
	unsigned size, sched_policy;
	unsigned long long sched_flags;
	int sched_nice;
	unsigned sched_priority;
	unsigned long long sched_runtime, sched_deadline, sched_period;
};

int main(void)
{
	struct sched_param fifo = {.sched_priority = 99}, other = {0};
	if (TRY("sched-fifo-99", sched_setscheduler(0, SCHED_FIFO, &fifo)) == 0)
		sched_setscheduler(0, SCHED_OTHER,
				   &other); /* never spin at 99 */
	struct sched_attr dl = {.size = sizeof(dl),
				.sched_policy = 6 /* SCHED_DEADLINE */,
				.sched_runtime = 10000000,
				.sched_deadline = 30000000,
				.sched_period = 30000000};
	if (TRY("sched-deadline", syscall(SYS_sched_setattr, 0, &dl, 0)) == 0)
		sched_setscheduler(0, SCHED_OTHER, &other);
	TRY("setpriority-minus20", setpriority(PRIO_PROCESS, 0, -20));
	TRY("ioprio-set-rt",
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
		    (1 << 13) | 0 /* IOPRIO_CLASS_RT, level 0 */));
	struct rlimit rt = {99, 99};
	TRY("setrlimit-rtprio-99", setrlimit(RLIMIT_RTPRIO, &rt));
	struct rlimit nice = {40, 40};
	TRY("setrlimit-nice-40", setrlimit(RLIMIT_NICE, &nice));
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	TRY("setaffinity-cpu0", sched_setaffinity(0, sizeof(one), &one));
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	note("spinning on %ld CPUs", cpus);
	until = monotonic_now() + 5;
	pthread_t t;
	for (long i = 1; i < cpus; i++)
		pthread_create(&t, NULL, spin, NULL);
	spin(NULL);
	escaped("spun on %ld CPUs for 5 s with --cpu-time 1s", cpus);
	done();
	return 0;
}
