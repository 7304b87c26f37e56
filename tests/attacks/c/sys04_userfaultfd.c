/* SYS-04 userfaultfd: the standard tool to make kernel races
 * deterministic in exploits.  The call is refused (EPERM) with or without
 * UFFD_USER_MODE_ONLY, and the /dev/userfaultfd node does not exist in
 * the sandbox's /dev (ENOENT). */
#include "attack.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

int main(void)
{
	long fd =
		TRY("userfaultfd-user-mode-only",
		    syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
	if (fd >= 0)
		close(fd);
	fd = TRY("userfaultfd",
		 syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
	if (fd >= 0)
		close(fd);
	fd = TRY("open-dev-userfaultfd",
		 open("/dev/userfaultfd", O_RDWR | O_CLOEXEC));
	if (fd >= 0) {
		TRY("ioctl-uffdio-user-mode-only",
		    ioctl(fd, USERFAULTFD_IOC_NEW,
			  O_CLOEXEC | UFFD_USER_MODE_ONLY));
		close(fd);
	}
	done();
	return 0;
}
