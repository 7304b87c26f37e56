/* ESC-03 tioclinux-paste: the Linux console's selection buffer
 * (CVE-2023-28100, jwilk/ttyjack): TIOCLINUX TIOCL_SETSEL selects text
 * on a virtual console, TIOCL_PASTESEL pastes it as input.  No console is
 * visible in the sandbox's /dev, and the filter refuses TIOCLINUX on any
 * fd: EPERM also for fd -1, where an unfiltered call would give EBADF. */
#include "attack.h"

#include <fcntl.h>
#include <linux/tiocl.h>
#include <sys/ioctl.h>

int main(void)
{
	char name[64];
	static const char *const consoles[] = {"/dev/tty0", "/dev/tty1",
					       "/dev/console", "/dev/vcs"};
	int fds[8], n = 0;
	for (int fd = 0; fd < 3; fd++)
		fds[n++] = fd;
	for (size_t i = 0; i < sizeof(consoles) / sizeof(consoles[0]); i++) {
		snprintf(name, sizeof(name), "open-%s", consoles[i] + 5);
		int fd = TRY(name, open(consoles[i], O_RDWR | O_NOCTTY));
		if (fd >= 0)
			fds[n++] = fd;
	}
	fds[n++] = -1;
	for (int i = 0; i < n; i++) {
		/* TIOCL_SETSEL: the subcode, then struct tiocl_selection
		 * (the first line, character mode). */
		struct {
			char code;
			struct tiocl_selection sel;
		} __attribute__((packed)) setsel = {
			.code = TIOCL_SETSEL,
			.sel = {.xs = 1,
				.ys = 1,
				.xe = 80,
				.ye = 1,
				.sel_mode = TIOCL_SELCHAR},
		};
		char paste = TIOCL_PASTESEL;
		snprintf(name, sizeof(name), "tioclinux-setsel-fd%d", fds[i]);
		TRY(name, syscall(SYS_ioctl, fds[i], (unsigned long)TIOCLINUX,
				  &setsel));
		snprintf(name, sizeof(name), "tioclinux-pastesel-fd%d", fds[i]);
		TRY(name, syscall(SYS_ioctl, fds[i], (unsigned long)TIOCLINUX,
				  &paste));
	}
	done();
	return 0;
}
