/* RES-12 signal-resistance: ignore SIGTERM, SIGINT, SIGHUP, SIGXCPU,
 * SIGXFSZ, SIGALRM, SIGPIPE and SIGUSR1, catch the rest with handlers that
 * return, block every blockable signal, try to ignore SIGKILL and SIGSTOP
 * (EINVAL), signal stockade's init (pid 1: the kernel drops what init does
 * not handle, so the run goes on), then spin in the process and in a child
 * in a session of its own.  Nothing of this stops the supervisor: the
 * wall-time limit of the entry (--wall-time 1s) ends the run with SIGKILL
 * for the whole pid namespace, verdict wall-limit.  The spinners stop
 * after 5 s whatever happens, and say so. */
#include "attack.h"

#include <signal.h>
#include <time.h>

static void keep_running(int sig)
{
	(void)sig;
}

static void spin(const char *who)
{
	spin_for(5);
	escaped("%s spun for 5 s with --wall-time 1s", who);
}

int main(void)
{
	const int ignored[] = {SIGTERM, SIGINT,	 SIGHUP,  SIGXCPU,
			       SIGXFSZ, SIGALRM, SIGPIPE, SIGUSR1};
	char name[64];
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		snprintf(name, sizeof(name), "ignore-SIG%s",
			 sigabbrev_np(ignored[i]));
		TRY(name, signal(ignored[i], SIG_IGN) == SIG_ERR ? -1 : 0);
	}
	struct sigaction handler = {.sa_handler = keep_running,
				    .sa_flags = SA_RESTART};
	TRY("handle-SIGUSR2", sigaction(SIGUSR2, &handler, NULL));
	TRY("handle-SIGQUIT", sigaction(SIGQUIT, &handler, NULL));
	struct sigaction ign = {.sa_handler = SIG_IGN};
	TRY("ignore-SIGKILL", sigaction(SIGKILL, &ign, NULL));
	TRY("ignore-SIGSTOP", sigaction(SIGSTOP, &ign, NULL));
	sigset_t all;
	sigfillset(&all);
	TRY("block-all-signals", sigprocmask(SIG_BLOCK, &all, NULL));
	/* The supervisor's init: the kernel drops signals its handlers do
	 * not take, SIGKILL included; the run must go on after both. */
	TRY("kill-init-SIGTERM", kill(1, SIGTERM));
	TRY("kill-init-SIGKILL", kill(1, SIGKILL));
	usleep(100000);
	TRY("init-still-parent", getppid() == 1 ? 0 : (errno = ESRCH, -1));

	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		spin("a child in its own session");
		_exit(0);
	}
	TRY("fork-spinner", pid);
	spin("the main process");
	done();
	return 0;
}
