/* PROC-03 signal-host: signals reach only the sandbox's processes.  The
 * host's C-PROC does not resolve by its host pid (ESRCH) through kill,
 * tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_open, F_SETOWN or
 * FIOSETOWN (SIGIO aimed at its process or group); a kill(pid, 0) scan of
 * 1-65535 finds only the sandbox's own.  No terminal is inherited (tcsetpgrp,
 * TIOCSPGRP: ENOTTY).  stockade's init cannot be signalled from inside
 * (EPERM: Landlock scopes signals to the payload's domain, which init is
 * not part of; without that the kernel would drop a default-action
 * signal to a namespace's init, and init passes on only what the
 * supervisor sends).  Last, a child sends kill(-1, SIGKILL): it kills the
 * program itself (verdict signal:SIGKILL) and nothing outside (H4, H5,
 * H8). */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

int main(void)
{
	pid_t own[64];
	int nown = own_pids(own, 64);

	pid_t host = atoi(canary("PID"));
	if (host <= 0) { /* 0 would be our own process group */
		note("no CANARY_PID: a pid that cannot exist instead");
		host = 0x3fffffff;
	}
	TRY("kill0-canary", kill(host, 0));
	TRY("payoff-kill-canary", kill(host, SIGKILL));
	TRY("payoff-tgkill-canary", syscall(SYS_tgkill, host, host, SIGKILL));
	siginfo_t si = {.si_signo = SIGKILL, .si_code = SI_QUEUE};
	TRY("payoff-rt-sigqueueinfo-canary",
	    syscall(SYS_rt_sigqueueinfo, host, SIGKILL, &si));
	TRY("payoff-rt-tgsigqueueinfo-canary",
	    syscall(SYS_rt_tgsigqueueinfo, host, host, SIGKILL, &si));
	long pidfd = TRY("payoff-pidfd-open-canary",
			 syscall(SYS_pidfd_open, host, 0));
	if (pidfd >= 0) {
		TRY("payoff-pidfd-send-signal-canary",
		    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0));
		close(pidfd);
	}
	TRY("pidfd-send-signal-badfd",
	    syscall(SYS_pidfd_send_signal, -1, SIGKILL, NULL, 0));
	TRY("payoff-kill-canary-group", kill(-host, SIGKILL));

	/* SIGIO aimed at the host process and its group. */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	TRY("fcntl-setsig", fcntl(sv[0], F_SETSIG, SIGKILL));
	TRY("fcntl-o-async", fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK));
	TRY("payoff-fcntl-setown-canary", fcntl(sv[0], F_SETOWN, host));
	TRY("payoff-fcntl-setown-canary-group", fcntl(sv[0], F_SETOWN, -host));
	struct f_owner_ex owner = {.type = F_OWNER_PGRP, .pid = host};
	TRY("payoff-fcntl-setown-ex-canary-group",
	    fcntl(sv[0], F_SETOWN_EX, &owner));
	int owner_pid = host;
	TRY("payoff-fiosetown-canary", ioctl(sv[0], FIOSETOWN, &owner_pid));
	close(sv[0]);
	close(sv[1]);

	/* Every pid by number: those outside the sandbox must not resolve.
	 * They are probed with signal 0 only: nothing is sent to a stray
	 * host process if the pid namespace were broken. */
	scan_foreign_pids(2, own, nown);

	for (int fd = 0; fd < 3; fd++) {
		char name[64];
		snprintf(name, sizeof(name), "tcsetpgrp-fd%d", fd);
		TRY(name, tcsetpgrp(fd, getpgrp()));
		pid_t pgrp = host;
		snprintf(name, sizeof(name), "tiocspgrp-canary-fd%d", fd);
		TRY(name, ioctl(fd, TIOCSPGRP, &pgrp));
	}

	/* init, from inside: accepted, ignored. */
	TRY("kill-init-sigterm", kill(1, SIGTERM));
	TRY("kill-init-sigkill", kill(1, SIGKILL));
	TRY("kill-parent-sigkill", kill(getppid(), SIGKILL));
	long init_fd = TRY("pidfd-open-init", syscall(SYS_pidfd_open, 1, 0));
	if (init_fd >= 0) {
		TRY("pidfd-send-signal-init-sigkill",
		    syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0));
		close(init_fd);
	}
	struct timespec delay = {0, 50 * 1000 * 1000};
	nanosleep(&delay, NULL);
	TRY("init-alive", kill(1, 0));
	TRY("kill-minus-one-sig0", kill(-1, 0));
	done();

	/* kill(-1, SIGKILL) from a child: everything of the run it may
	 * signal, this program included; it waits for its end. */
	pid_t child = fork();
	if (child == 0) {
		kill(-1, SIGKILL);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	sleep(5);
	note("still alive after kill(-1, SIGKILL)");
	return 0;
}
