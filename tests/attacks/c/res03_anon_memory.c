/* RES-03 anon-memory: lock a gigabyte, then malloc 64 MiB and touch it, in
 * a loop.  The memory limit of the entry (--memory 128M) must hold: as
 * root the run's memory cgroup, whose OOM killer ends the run (verdict
 * memory-limit); without privilege RLIMIT_AS, where malloc returns NULL
 * (ENOMEM) and the program goes on to its end.  mlock of 1 GiB fails with
 * ENOMEM at RLIMIT_MEMLOCK (8M); mlockall of the little the program has
 * mapped works and gains nothing.  The loop stops at 4 times the limit
 * whatever happens, and says so if it gets there. */
#include "attack.h"

#include <sys/mman.h>

#define LIMIT (128L << 20)  /* --memory of the entry */
#define CEILING (4 * LIMIT) /* the loop stops here whatever happens */
#define CHUNK (64L << 20)

int main(void)
{
	size_t gib = 1UL << 30;
	/* Without a mapping (RLIMIT_AS refuses 1 GiB) the range is unmapped,
	 * and mlock is refused all the same: the limit is checked first. */
	void *big = mmap(NULL, gib, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED)
		big = (void *)(1UL << 40);
	TRY("mlock-1G", mlock(big, gib));
	TRY("mlock2-onfault-1G",
	    syscall(SYS_mlock2, big, gib, 1 /* MLOCK_ONFAULT */));
	if (big != (void *)(1UL << 40))
		munmap(big, gib);
	TRY("mlockall-current-future", mlockall(MCL_CURRENT | MCL_FUTURE));
	TRY("munlockall", munlockall());

	long total = 0;
	while (total < CEILING) {
		char *p = malloc(CHUNK);
		if (!p)
			break;
		memset(p, 0x5a, CHUNK);
		total += CHUNK;
	}
	note("%ld MiB allocated and touched", total >> 20);
	if (total >= CEILING)
		escaped("%ld MiB touched with --memory %ld M", total >> 20,
			LIMIT >> 20);
	report("malloc-64M-until-fail", total < CEILING ? -1 : 0, ENOMEM);
	done();
	return 0;
}
