/* ESC-11 core-pattern-handler: the privileged-container escape through
 * the kernel's core-dump helper - write "|/path/payload" to
 * /proc/sys/kernel/core_pattern, then crash: the kernel runs the helper as
 * root in the initial namespaces.  The sysctl belongs to the host's root
 * (EACCES, or EROFS), and the hard RLIMIT_CORE is 0, so it cannot be
 * raised (EPERM) and a crash dumps nothing: no core file, no handler. */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(void)
{
	char buf[256];
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	note("core_pattern reads \"%s\"", buf);
	if (fd >= 0)
		close(fd);
	/* step 1: the open for writing is the payoff; nothing is written */
	long w = TRY("payoff-open-core-pattern-w",
		     open("/proc/sys/kernel/core_pattern", O_WRONLY));
	if (w >= 0)
		close((int)w);
	TRY("payoff-open-core-pipe-limit-w",
	    open("/proc/sys/kernel/core_pipe_limit", O_WRONLY));
	TRY("payoff-open-sysrq-trigger-w",
	    open("/proc/sysrq-trigger", O_WRONLY));
	/* step 2: raise the core limit, become dumpable, crash */
	struct rlimit rl;
	getrlimit(RLIMIT_CORE, &rl);
	note("RLIMIT_CORE soft %llu hard %llu", (unsigned long long)rl.rlim_cur,
	     (unsigned long long)rl.rlim_max);
	TRY("setrlimit-core-unlimited",
	    setrlimit(RLIMIT_CORE,
		      &(struct rlimit){RLIM_INFINITY, RLIM_INFINITY}));
	TRY("setrlimit-core-1", /* 1: the value pipe handlers look at */
	    setrlimit(RLIMIT_CORE, &(struct rlimit){1, 1}));
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		struct rlimit big = {RLIM_INFINITY, RLIM_INFINITY};
		setrlimit(RLIMIT_CORE, &big);
		raise(SIGSEGV);
		_exit(0);
	}
	int status = 0;
	waitpid(child, &status, 0);
	note("the child %s by signal %d, core dumped: %s",
	     WIFSIGNALED(status) ? "was killed" : "exited",
	     WIFSIGNALED(status) ? WTERMSIG(status) : -1,
	     WIFSIGNALED(status) && WCOREDUMP(status) ? "yes" : "no");
	if (WIFSIGNALED(status) && WCOREDUMP(status))
		escaped("a crash produced a core dump");
	/* step 3: no dump anywhere the program can look */
	char path[64];
	snprintf(path, sizeof(path), "core.%d", (int)child);
	struct stat st;
	TRY("payoff-core-file", stat("core", &st));
	TRY("payoff-core-pid-file", stat(path, &st));
	done();
	return 0;
}
