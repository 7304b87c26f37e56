/* PROC-01 ptrace-others: ptrace is forbidden (policy A of attacks.md):
 * PTRACE_ATTACH and PTRACE_SEIZE on every pid the sandbox shows and on
 * the host's C-PROC are refused with EPERM, and so are pids 1-4096 by
 * number; a kill(pid, 0) scan of 1-65535 finds only the sandbox's own
 * processes (host pids do not resolve).  PTRACE_TRACEME is refused too
 * (CVE-2019-13272 needs it).  /proc/<pid>/mem of init cannot be opened
 * (init is not dumpable: EACCES); that of a child of our own can be
 * opened for reading, which gains nothing (it is ours already), and not
 * for writing (Landlock: /proc is not writable). */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(void)
{
	char name[64], path[64];
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(pipefd[1]);
		read(pipefd[0], &c, 1);
		_exit(0);
	}
	close(pipefd[0]);

	/* The pids /proc shows: init, us, the child. */
	pid_t own[64];
	int nown = own_pids(own, 64);
	note("/proc shows %d processes", nown);
	for (int i = 0; i < nown; i++) {
		if (own[i] == getpid())
			continue;
		const char *who = "other"; /* the setup helper, if alive */
		if (own[i] == 1)
			who = "init";
		else if (own[i] == child)
			who = "child";
		snprintf(name, sizeof(name), "ptrace-attach-%s", who);
		if (TRY(name, ptrace(PTRACE_ATTACH, own[i], 0, 0)) == 0)
			ptrace(PTRACE_DETACH, own[i], 0, 0);
		snprintf(name, sizeof(name), "ptrace-seize-%s", who);
		if (TRY(name, ptrace(PTRACE_SEIZE, own[i], 0, 0)) == 0)
			ptrace(PTRACE_DETACH, own[i], 0, 0);
	}
	/* The host's process, by its host pid. */
	pid_t host = atoi(canary("PID"));
	if (host > 0) {
		if (TRY("payoff-ptrace-attach-canary",
			ptrace(PTRACE_ATTACH, host, 0, 0)) == 0)
			ptrace(PTRACE_DETACH, host, 0, 0);
		if (TRY("payoff-ptrace-seize-canary",
			ptrace(PTRACE_SEIZE, host, 0, 0)) == 0)
			ptrace(PTRACE_DETACH, host, 0, 0);
		TRY("kill0-canary", kill(host, 0));
	}
	/* Pids by number: the first failure that is not the filter's EPERM
	 * is the one reported. */
	long r = -1;
	int err = EPERM;
	for (pid_t pid = 1; pid <= 4096; pid++) {
		if (is_own(pid, own, nown))
			continue;
		errno = 0;
		long one = ptrace(PTRACE_SEIZE, pid, 0, 0);
		if (one == 0) {
			ptrace(PTRACE_DETACH, pid, 0, 0);
			r = 0;
		} else if (errno != EPERM && r < 0) {
			err = errno;
		}
	}
	report("ptrace-seize-pids-1-4096", r, err);
	scan_foreign_pids(1, own, nown);

	/* CVE-2019-13272 starts with PTRACE_TRACEME. */
	pid_t tracee = fork();
	if (tracee == 0) {
		errno = 0;
		long t = ptrace(PTRACE_TRACEME, 0, 0, 0);
		_exit(t == 0 ? 0 : errno);
	}
	int status = 0;
	waitpid(tracee, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	report("ptrace-traceme", code ? -1 : 0, code);

	long fd =
		TRY("open-init-mem", open("/proc/1/mem", O_RDONLY | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	fd = TRY("open-child-mem-rdonly", open(path, O_RDONLY | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	/* Writing another process's memory: Landlock keeps /proc read-only. */
	fd = TRY("open-child-mem-rdwr", open(path, O_RDWR | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	close(pipefd[1]);
	waitpid(child, NULL, 0);
	done();
	return 0;
}
