/* RES-13 sleep-forever-pipe-held: block forever without using CPU, in
 * every way there is: pause(), read() of a pipe nobody writes, a futex
 * wait, select() without fds, nanosleep, each for 10 s (ten times the limit),
 * and a daemon in a session of its own that holds stdout and stderr open.
 * A supervisor waiting for the payload's CPU or for the pipes' EOF would
 * wait forever; stockade's wall-time limit (--wall-time 1s of the entry)
 * ends the run and kills every one of them, verdict wall-limit.  Each
 * sleeper that wakes up says so. */
#include "attack.h"

#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

#define AWAKE 10 /* seconds: each sleeper's own limit */

static void woke(const char *how)
{
	escaped("%s still in the run after %d s with --wall-time 1s", how,
		AWAKE);
	_exit(0);
}

static void sleeper(int which, int pipe_read)
{
	struct timespec t = {AWAKE, 0};
	switch (which) {
	case 0:
		alarm(AWAKE);
		signal(SIGALRM, SIG_DFL);
		pause();
		woke("pause()");
		break;
	case 1: {
		struct pollfd p = {.fd = pipe_read, .events = POLLIN};
		poll(&p, 1, AWAKE * 1000);
		char c;
		(void)!read(pipe_read, &c, 1);
		woke("read() of a silent pipe");
		break;
	}
	case 2: {
		static int word = 0;
		syscall(SYS_futex, &word, FUTEX_WAIT, 0, &t, NULL, 0);
		woke("a futex wait");
		break;
	}
	case 3: {
		struct timeval tv = {AWAKE, 0};
		select(0, NULL, NULL, NULL, &tv);
		woke("select() without fds");
		break;
	}
	case 4:
		/* The daemon: its own session, stdout and stderr kept open. */
		setsid();
		if (fork() > 0)
			_exit(0);
		signal(SIGHUP, SIG_IGN);
		nanosleep(&t, NULL);
		woke("a daemon holding stdout and stderr");
		break;
	}
	_exit(0);
}

int main(void)
{
	int p[2];
	TRY("pipe", pipe(p));
	const char *names[] = {"fork-pause", "fork-read-pipe",
			       "fork-futex-wait", "fork-select", "fork-daemon"};
	for (int i = 0; i < 5; i++) {
		pid_t pid = fork();
		if (pid == 0)
			sleeper(i, p[0]);
		TRY(names[i], pid);
	}
	struct timespec forever = {AWAKE, 0};
	note("the main process sleeps too");
	nanosleep(&forever, NULL);
	woke("nanosleep() of the main process");
	done();
	return 0;
}
