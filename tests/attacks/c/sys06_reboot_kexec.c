/* SYS-06 reboot-kexec: reboot and kexec are refused (EPERM).  In a pid
 * namespace with CAP_SYS_BOOT, reboot() would kill the namespace's init;
 * the sandbox must not allow even that.  Harmless when unfiltered: the
 * second reboot magic is wrong (EINVAL), the kexec flags name no
 * architecture (EINVAL) and its fds are bad (EBADF).  /proc/sysrq-trigger
 * is only opened, never written: it cannot be opened for writing. */
#include "attack.h"

#include <fcntl.h>
#include <linux/reboot.h>
#include <time.h>

int main(void)
{
	struct timespec boot0, boot1;
	clock_gettime(CLOCK_BOOTTIME, &boot0);
	TRY("reboot-power-off-badmagic",
	    syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678,
		    LINUX_REBOOT_CMD_POWER_OFF, NULL));
	TRY("reboot-cad-off-badmagic",
	    syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678,
		    LINUX_REBOOT_CMD_CAD_OFF, NULL));
	TRY("reboot-restart-badmagic",
	    syscall(SYS_reboot, 0x1234, LINUX_REBOOT_MAGIC2,
		    LINUX_REBOOT_CMD_RESTART, NULL));
	TRY("kexec-load-badflags",
	    syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
	TRY("kexec-file-load-badfd",
	    syscall(SYS_kexec_file_load, -1, -1, 1, "", 0xdead0000UL));
	long fd = TRY("open-sysrq-trigger-wronly",
		      open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	clock_gettime(CLOCK_BOOTTIME, &boot1);
	if (boot1.tv_sec < boot0.tv_sec)
		escaped("the boot clock went back: the machine rebooted?");
	done();
	return 0;
}
