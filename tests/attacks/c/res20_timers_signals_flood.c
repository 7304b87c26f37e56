/* RES-20 timers-signals-flood: POSIX timers until the kernel refuses them
 * (each holds a queued signal: EAGAIN at RLIMIT_SIGPENDING), all armed
 * with a 1 us interval and then let fire for 0.2 s;
 * setitimer with a 1 us interval; timerfds until EMFILE
 * (--open-files 256 of the entry), armed likewise; real-time signals
 * queued to itself until EAGAIN; alarm() every millisecond; nanosleep of
 * 1 ns in a loop.  All bounded by the run's own limits and in time; the
 * neighbour sandbox must keep beating (H8), and everything is freed with
 * the run. */
#include "attack.h"

#include <signal.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#define CEILING 200000

int main(void)
{
	int sig = SIGRTMIN + 1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);

	struct itimerspec every_us = {{0, 1000}, {0, 1000}};
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig};
	long timers = 0, r = 0;
	timer_t t;
	while (timers < CEILING &&
	       (r = timer_create(CLOCK_MONOTONIC, &ev, &t)) == 0) {
		timer_settime(t, 0, &every_us, NULL);
		timers++;
	}
	report("timer-create-until-fail", r, errno);
	note("%ld POSIX timers armed at 1 us", timers);
	siginfo_t info = {.si_signo = sig,
			  .si_code = SI_QUEUE,
			  .si_pid = getpid(),
			  .si_uid = getuid()};
	TRY("sigqueue-with-timers",
	    syscall(SYS_rt_sigqueueinfo, getpid(), sig, &info));
	/* Let them fire for 0.2 s: each signal taken re-arms its timer,
	 * which fires 1 us later.  (With a handler instead the process
	 * would do nothing but take signals until the run ends.) */
	double until = monotonic_now() + 0.2;
	struct timespec zero = {0, 0};
	long taken = 0;
	while (monotonic_now() < until)
		if (sigtimedwait(&set, NULL, &zero) > 0)
			taken++;
	note("%ld timer signals taken in 0.2 s", taken);

	/* SIGALRM every microsecond, taken the same way (a handler would
	 * leave no time for anything else). */
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	struct itimerval it = {{0, 1}, {0, 1}};
	TRY("setitimer-1us", setitimer(ITIMER_REAL, &it, NULL));
	until = monotonic_now() + 0.1;
	taken = 0;
	while (monotonic_now() < until)
		if (sigtimedwait(&alrm, NULL, &zero) > 0)
			taken++;
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	note("%ld SIGALRM taken in 0.1 s", taken);

	int fds = 0, fd = 0;
	while (fds < CEILING &&
	       (fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) >= 0) {
		timerfd_settime(fd, 0, &every_us, NULL);
		fds++;
	}
	report("timerfd-until-fail", fd, errno);
	note("%d timerfds armed at 1 us", fds);

	int alarms = 0;
	until = monotonic_now() + 0.1;
	struct timespec ms = {0, 1000000}, ns = {0, 1};
	for (; monotonic_now() < until; alarms++) {
		alarm(1);
		nanosleep(&ms, NULL);
	}
	alarm(0);
	report("alarm-every-ms", alarms > 0 ? 0 : -1, EINVAL);
	long sleeps = 0;
	until = monotonic_now() + 0.1;
	for (; monotonic_now() < until; sleeps++)
		if (nanosleep(&ns, NULL) < 0 && errno != EINTR)
			break;
	report("nanosleep-1ns-loop", sleeps > 0 ? 0 : -1, errno);
	note("%d alarms, %ld sleeps of 1 ns", alarms, sleeps);
	done();
	return 0;
}
