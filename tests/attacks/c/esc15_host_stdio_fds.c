/* ESC-15 host-stdio-fds: the caller puts a host object on stockade's
 * stdin - the host's "/" or another directory (a careless "< /"), an
 * O_PATH fd, a socket to a host service, its terminal, a file it may
 * write - and the program uses fds 0, 1 and 2 as handles: fchdir into
 * them, list them, open beneath them, connect or send through them, chmod
 * or touch what they name, reopen them through /proc/self/fd.  Landlock
 * governs none of fchdir, getdents, connect, fchmod or futimens: the only
 * defence is that no host description reaches the program, only pipes of
 * the supervisor's (the harness checks the host object after the run). */
#include "attack.h"

#include <sys/un.h>

static void on(int fd)
{
	char name[64];
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISFIFO(st.st_mode))
		printf("ESCAPED fd %d is a host object (mode %o)\n", fd,
		       st.st_mode);

	snprintf(name, sizeof(name), "payoff-fchdir-fd%d", fd);
	if (TRY(name, fchdir(fd)) == 0 && stat("etc", &st) == 0)
		printf("ESCAPED fd %d: the host tree beneath it\n", fd);
	char dents[4096];
	snprintf(name, sizeof(name), "payoff-getdents-fd%d", fd);
	TRY(name, syscall(SYS_getdents64, fd, dents, sizeof(dents)));
	snprintf(name, sizeof(name), "payoff-openat-fd%d", fd);
	int sub = (int)TRY(name, openat(fd, ".", O_RDONLY | O_CLOEXEC));
	if (sub >= 0)
		close(sub);

	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", canary("UNIX"));
	snprintf(name, sizeof(name), "payoff-connect-fd%d", fd);
	TRY(name, connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
	snprintf(name, sizeof(name), "payoff-send-fd%d", fd);
	TRY(name, send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));

	/* On the supervisor's pipe these may work (in the unprivileged mode
	 * the program owns it); on a host file they would change it, which
	 * the harness sees.  The mode is the one it has. */
	if (fstat(fd, &st) == 0) {
		snprintf(name, sizeof(name), "fchmod-fd%d", fd);
		TRY(name, fchmod(fd, st.st_mode & 07777));
	}
	struct timespec times[2] = {{.tv_nsec = UTIME_OMIT},
				    {.tv_nsec = UTIME_NOW}};
	snprintf(name, sizeof(name), "futimens-fd%d", fd);
	TRY(name, futimens(fd, times));

	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(name, sizeof(name), "reopen-fd%d", fd);
	int again = (int)TRY(name, open(path, O_RDONLY | O_CLOEXEC));
	if (again >= 0) {
		if (fstat(again, &st) == 0 && !S_ISFIFO(st.st_mode))
			printf("ESCAPED fd %d reopens as a host object\n", fd);
		close(again);
	}
	snprintf(name, sizeof(name), "payoff-reopen-dir-fd%d", fd);
	again = (int)TRY(name, open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (again >= 0)
		close(again);
}

int main(void)
{
	/* stdout last: its reports must reach the harness. */
	on(0);
	on(2);
	on(1);
	done();
	return 0;
}
