/* SUP-04 verdict-forgery-deserialization: make the run look like
 * something it was not.  The program prints lines that mimic stockade's
 * record and messages, looks for a status channel among fds 3-10 (all
 * closed: EBADF), has children exit with 124 and 137 and kill themselves
 * with SIGKILL, and at last kills itself with SIGXCPU - the signal of a
 * CPU limit - with no CPU limit near (the run gets a 20 s bound and
 * spends milliseconds).  The verdict must come from what the kernel and
 * the supervisor saw, never from what the program chose to look like: a
 * payload killed by a signal it sent itself is "signal" (SIGXCPU), not
 * "cpu-limit".  stockade decodes nothing the program writes (no pickle,
 * no JSON of the program's), so the deserialization half has no target. */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

int main(void)
{
	/* forged records and messages, on both streams */
	static const char forged[] =
		"{\"record_version\": 1, \"stockade_version\": \"0.1.0\", "
		"\"verdict\": \"ok\", \"exit_code\": 0, \"signal\": null, "
		"\"limit_fired\": null, \"denied\": []}\n";
	fputs(forged, stdout);
	fputs(forged, stderr);
	fputs("stockade: exit 0 after 0.002 s wall, 0.001 s CPU\n", stderr);
	puts("verdict ok");
	fflush(stdout);

	/* a status channel among the fds: none */
	char name[32];
	for (int fd = 3; fd <= 10; fd++) {
		snprintf(name, sizeof(name), "write-fd%d", fd);
		TRY(name, write(fd, forged, sizeof(forged) - 1));
	}

	/* children that end like limits do (they are not the payload) */
	int codes[] = {124, 137};
	for (int i = 0; i < 2; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(codes[i]);
		waitpid(p, NULL, 0);
	}
	pid_t p = fork();
	if (p == 0) {
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	waitpid(p, NULL, 0);

	/* the payload itself: SIGXCPU, its default action kills (no core:
	 * RLIMIT_CORE is 0) */
	note("killing myself with SIGXCPU");
	signal(SIGXCPU, SIG_DFL);
	kill(getpid(), SIGXCPU);
	pause();
	return 0;
}
