/* SYS-07 clock-set: setting or steering the clocks is refused (EPERM),
 * and the wall clock keeps its offset to the monotonic clock.  stockade
 * forbids adjtimex and clock_adjtime altogether, the read-only
 * {.modes = 0} query included (Docker allows that one: a stricter
 * choice).  Harmless when unfiltered: clock_settime and settimeofday set
 * the current time, the adjtimex offsets are invalid (EINVAL). */
#include "attack.h"

#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

static double offset(void)
{
	struct timespec real, mono;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (real.tv_sec - mono.tv_sec) +
	       (real.tv_nsec - mono.tv_nsec) / 1e9;
}

int main(void)
{
	double before = offset();
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	TRY("clock-settime-realtime-now",
	    syscall(SYS_clock_settime, CLOCK_REALTIME, &now));
	TRY("clock-settime-badptr",
	    syscall(SYS_clock_settime, CLOCK_REALTIME, (void *)1));
	struct timeval tv;
	gettimeofday(&tv, NULL);
	TRY("settimeofday-now", syscall(SYS_settimeofday, &tv, NULL));
	TRY("settimeofday-badptr", syscall(SYS_settimeofday, (void *)1, NULL));
	/* ADJ_SETOFFSET with tv_usec out of range under ADJ_NANO: EINVAL. */
	struct timex tx = {.modes = ADJ_OFFSET | ADJ_SETOFFSET | ADJ_NANO,
			   .offset = 0,
			   .time = {.tv_sec = 0, .tv_usec = 2000000000}};
	TRY("adjtimex-setoffset-invalid", syscall(SYS_adjtimex, &tx));
	struct timex tx2 = tx;
	TRY("clock-adjtime-realtime-invalid",
	    syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx2));
	struct timex query = {.modes = 0};
	TRY("adjtimex-read-only", syscall(SYS_adjtimex, &query));
	struct timex query2 = {.modes = 0};
	TRY("clock-adjtime-read-only",
	    syscall(SYS_clock_adjtime, CLOCK_REALTIME, &query2));
	double after = offset();
	note("CLOCK_REALTIME - CLOCK_MONOTONIC moved by %.6f s",
	     after - before);
	if (after - before > 0.5 || before - after > 0.5)
		escaped("the wall clock jumped by %.3f s", after - before);
	done();
	return 0;
}
