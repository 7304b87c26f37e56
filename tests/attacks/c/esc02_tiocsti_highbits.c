/* ESC-02 tiocsti-highbits: TIOCSTI and TIOCLINUX with the upper 32 bits of
 * the command set (CVE-2019-10063): the kernel truncates the command to an
 * int, so a filter comparing all 64 bits would let it through.  The
 * sandbox must refuse it with the same EPERM as the plain command, on
 * every standard fd and on /dev/tty.  A control shows that the encoding
 * reaches the kernel: an allowed ioctl (TCGETS) with the same high bits on
 * fd -1 fails with the kernel's EBADF, not the filter's EPERM. */
#include "attack.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
	char c = 'x';
	char name[64];
	static const unsigned long high[] = {0x123UL << 32, 0xffffffffUL << 32};
	int tty = open("/dev/tty", O_RDWR);
	report("open-dev-tty", tty, errno);
	int fds[] = {0, 1, 2, tty, -1};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] < 0 && i < 4)
			continue;
		snprintf(name, sizeof(name), "tiocsti-fd%d", fds[i]);
		TRY(name,
		    syscall(SYS_ioctl, fds[i], (unsigned long)TIOCSTI, &c));
		for (size_t h = 0; h < sizeof(high) / sizeof(high[0]); h++) {
			snprintf(name, sizeof(name), "tiocsti-highbits%zu-fd%d",
				 h, fds[i]);
			TRY(name,
			    syscall(SYS_ioctl, fds[i],
				    high[h] | (unsigned long)TIOCSTI, &c));
			snprintf(name, sizeof(name),
				 "tioclinux-highbits%zu-fd%d", h, fds[i]);
			char sel[] = {2, 0};
			TRY(name,
			    syscall(SYS_ioctl, fds[i],
				    high[h] | (unsigned long)TIOCLINUX, sel));
		}
	}
	struct termios t;
	TRY("control-tcgets-highbits-badfd",
	    syscall(SYS_ioctl, -1, (0x123UL << 32) | (unsigned long)TCGETS,
		    &t));
	done();
	return 0;
}
