/* RES-02 thread-bomb: pthread_create with 16 KiB stacks until it fails.
 * Threads are tasks: the run's task limit (--tasks 32 in its entry: the
 * pids cgroup as root, RLIMIT_NPROC without privilege) must refuse them
 * with EAGAIN, with the memory they hold bounded.  The program stops at a
 * ceiling of its own, and says so if the limit let it get there. */
#include "attack.h"

#include <pthread.h>
#include <time.h>

#define TASKS 32     /* --tasks of the entry */
#define CEILING 2000 /* the bomb stops here whatever happens */

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(1000);
	return NULL;
}

int main(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 16384);
	int created = 0, r = 0;
	while (created < CEILING) {
		pthread_t t;
		r = pthread_create(&t, &attr, sleeper, NULL);
		if (r != 0)
			break;
		created++;
	}
	note("%d threads created", created);
	/* pthread_create returns the error instead of setting errno. */
	report("pthread-create-until-fail", r ? -1 : 0, r);
	if (created + 1 > TASKS)
		escaped("%d threads with --tasks %d", created + 1, TASKS);
	/* The threads die with the process: exit_group. */
	done();
	return 0;
}
