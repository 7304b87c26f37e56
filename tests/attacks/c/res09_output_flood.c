/* RES-09 output-flood: write 1 MiB blocks to stdout (one endless line, NUL
 * and control bytes, no newline) and, from a child, to stderr, as fast as
 * the pipes take them.  The supervisor passes on at most --output 1M of
 * the entry, stdout and stderr together, and then kills the run (verdict
 * output-limit).  Each writer stops after 64 MiB whatever happens, and
 * says so if it got there. */
#include "attack.h"

#include <signal.h>
#include <sys/wait.h>

#define CEILING (64L << 20) /* each writer stops here whatever happens */

static char block[1 << 20];

static void flood(int fd)
{
	long total = 0;
	while (total < CEILING) {
		ssize_t n = write(fd, block, sizeof(block));
		if (n < 0)
			break;
		total += n;
	}
	if (total >= CEILING)
		escaped("fd %d: %ld MiB written past --output 1M", fd,
			total >> 20);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = "x\0\1\t\033z"[i % 6]; /* no newline, valid UTF-8 */
	note("flooding stdout and stderr");
	pid_t pid = fork();
	if (pid == 0) {
		flood(2);
		_exit(0);
	}
	flood(1);
	waitpid(pid, NULL, 0);
	putchar('\n');
	done();
	return 0;
}
