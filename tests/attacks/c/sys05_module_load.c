/* SYS-05 module-load: loading kernel code, directly (init_module,
 * finit_module, delete_module: EPERM) or through the kernel's module
 * auto-loading: a socket of every address family (only AF_UNIX is
 * allowed, the rest EPERM; AF_INET/AF_INET6 need --allow network), the
 * N_HDLC line discipline on a terminal (CVE-2017-2636: no terminal is
 * reachable, /dev/ptmx does not exist), rare protocols' options on the
 * one socket allowed.  /proc/modules must be the same before and after
 * (this kernel has CONFIG_MODULES off: no /proc/modules). */
#include "attack.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#ifndef N_HDLC
#define N_HDLC 13
#endif
#ifndef SOL_TIPC
#define SOL_TIPC 271
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#ifndef SOL_RDS
#define SOL_RDS 276
#endif

int main(void)
{
	static char before[65536], after[65536];
	char name[64];
	ssize_t nb = TRY("read-proc-modules-before",
			 read_text("/proc/modules", before, sizeof(before)));

	TRY("init-module-badptr", syscall(SYS_init_module, (void *)1, 64, ""));
	TRY("finit-module-badfd", syscall(SYS_finit_module, -1, "", 0));
	TRY("delete-module",
	    syscall(SYS_delete_module, "stockade_attack_none", O_NONBLOCK));

	for (int family = 0; family <= 45; family++) {
		if (family == AF_UNIX)
			continue;
		snprintf(name, sizeof(name), "socket-af%d-dgram", family);
		/* Never anything more than creating it (AF_VSOCK is 40). */
		long fd =
			TRY(name, socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
		if (fd >= 0)
			close(fd);
		snprintf(name, sizeof(name), "socket-af%d-seqpacket", family);
		fd = TRY(name,
			 socket(family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
		if (fd >= 0)
			close(fd);
	}
	/* High bits on the family: the kernel reads an int (the filter
	 * must compare the low 32 bits). */
	long fd = TRY("socket-af-highbits-tipc",
		      syscall(SYS_socket, (1UL << 32) | 30, SOCK_DGRAM, 0));
	if (fd >= 0)
		close(fd);

	/* Rare protocols' options on the unix socket the policy allows. */
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;
	TRY("setsockopt-unix-sol-tipc",
	    setsockopt(s, SOL_TIPC, 1, &one, sizeof(one)));
	TRY("setsockopt-unix-sol-alg",
	    setsockopt(s, SOL_ALG, 1, &one, sizeof(one)));
	TRY("setsockopt-unix-sol-rds",
	    setsockopt(s, SOL_RDS, 1, &one, sizeof(one)));
	close(s);

	/* N_HDLC on a terminal: none of ours is one, and no pty can be
	 * made. */
	int ldisc = N_HDLC;
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "tiocsetd-n-hdlc-fd%d", i);
		TRY(name, ioctl(i, TIOCSETD, &ldisc));
	}
	fd = TRY("open-dev-ptmx",
		 open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
	if (fd >= 0) {
		TRY("tiocsetd-n-hdlc-ptmx", ioctl(fd, TIOCSETD, &ldisc));
		close(fd);
	}
	fd = TRY("open-dev-tty",
		 open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
	if (fd >= 0) {
		TRY("tiocsetd-n-hdlc-tty", ioctl(fd, TIOCSETD, &ldisc));
		close(fd);
	}

	ssize_t na = TRY("read-proc-modules-after",
			 read_text("/proc/modules", after, sizeof(after)));
	if (na != nb || (na > 0 && strcmp(before, after) != 0))
		escaped("/proc/modules changed during the run");
	done();
	return 0;
}
