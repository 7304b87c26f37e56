/* RES-14 daemonize-orphans-zombies: outlive the run.  The program makes
 * itself a child subreaper, clears its parent-death signal, moves to a
 * process group of its own, starts a daemon (fork, setsid, fork; it
 * ignores SIGHUP and SIGTERM and holds stdout open), runs a chain of
 * vforks, leaves 100 zombies unreaped, and exits at once.  All of it works
 * inside; when the main process ends, stockade's init ends and the kernel
 * kills the whole pid namespace: the run ends at once with verdict ok
 * (not at the wall-time limit: the supervisor waits for the program, not
 * for the pipes), and nothing remains on the host (H6).  The daemon says
 * so if it is still alive 2 s later and can still write. */
#include "attack.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static void vfork_chain(int depth)
{
	if (depth == 0)
		return;
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_chain(depth - 1);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(void)
{
	TRY("set-child-subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	TRY("clear-pdeathsig", prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
	TRY("setpgid-own-group", setpgid(0, 0));

	int ready[2];
	TRY("pipe", pipe(ready));
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() > 0)
			_exit(0);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		close(ready[0]);
		(void)!write(ready[1], "r", 1);
		close(ready[1]);
		sleep(2);
		escaped("a daemon outlived the main process by 2 s");
		_exit(0);
	}
	TRY("fork-daemon", pid);
	waitpid(pid, NULL, 0); /* the session leader; the daemon lives on */
	close(ready[1]);
	char c;
	TRY("daemon-started",
	    read(ready[0], &c, 1) == 1 ? 0 : (errno = ECHILD, -1));

	errno = 0;
	vfork_chain(20);
	report("vfork-chain-20", errno ? -1 : 0, errno);

	int zombies = 0;
	for (; zombies < 100; zombies++) {
		pid_t z = fork();
		if (z == 0)
			_exit(0);
		if (z < 0)
			break;
	}
	report("zombies-100", zombies == 100 ? 0 : -1, errno);
	done();
	return 0; /* without reaping, with the daemon alive */
}
