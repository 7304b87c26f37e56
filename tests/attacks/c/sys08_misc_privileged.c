/* SYS-08 misc-privileged: the capability-gated odds and ends.  The ones
 * the policy names are refused with EPERM (acct, swapon/swapoff,
 * quotactl, syslog, iopl/ioperm, vhangup, sethostname/setdomainname, the
 * NUMA calls); the obsolete ones it does not know get ENOSYS
 * (lookup_dcookie, nfsservctl, uselib, _sysctl, ustat, sysfs), and so
 * does fanotify_init.  The host name, swap and accounting stay as they
 * were.  Harmless when unfiltered: paths that do not exist, bad
 * pointers, the host name set to itself, the default memory policy. */
#include "attack.h"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/quota.h>
#include <sys/utsname.h>

#ifndef SYS_nfsservctl
#define SYS_nfsservctl 180
#endif

int main(void)
{
	static char swaps0[8192], swaps1[8192];
	char buf[4096];
	read_text("/proc/swaps", swaps0, sizeof(swaps0));

	TRY("acct-nonexistent",
	    syscall(SYS_acct, "/tmp/stockade-no-such-acct"));
	TRY("swapon-nonexistent",
	    syscall(SYS_swapon, "/tmp/stockade-no-such-swap", 0));
	TRY("swapoff-nonexistent",
	    syscall(SYS_swapoff, "/tmp/stockade-no-such-swap"));
	TRY("quotactl-getquota",
	    syscall(SYS_quotactl, QCMD(Q_GETQUOTA, USRQUOTA),
		    "/tmp/stockade-no-such-dev", 0, (void *)1));
	TRY("quotactl-fd-badfd",
	    syscall(SYS_quotactl_fd, -1, QCMD(Q_GETINFO, USRQUOTA), 0,
		    (void *)1));
	/* syslog(2): 3 = READ_ALL, 10 = SIZE_BUFFER, 8 = CONSOLE_LEVEL. */
	TRY("syslog-read-all", syscall(SYS_syslog, 3, buf, sizeof(buf)));
	TRY("syslog-size-buffer", syscall(SYS_syslog, 10, NULL, 0));
	TRY("syslog-console-level-badlevel", syscall(SYS_syslog, 8, NULL, 99));
	long fd = TRY("open-dev-kmsg", open("/dev/kmsg", O_RDONLY | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	TRY("iopl-3", syscall(SYS_iopl, 3));
	TRY("ioperm-port-80", syscall(SYS_ioperm, 0x80, 1, 1));
	TRY("vhangup", syscall(SYS_vhangup));
	TRY("lookup-dcookie", syscall(SYS_lookup_dcookie, 0, NULL, 0));
	TRY("nfsservctl", syscall(SYS_nfsservctl, 0, NULL, NULL));
	TRY("uselib-badptr", syscall(SYS_uselib, (void *)1));
	TRY("sysctl-badptr", syscall(SYS__sysctl, (void *)1));
	TRY("ustat-badptr", syscall(SYS_ustat, 0, (void *)1));
	TRY("sysfs-badptr", syscall(SYS_sysfs, 1, (void *)1));
	fd = TRY("fanotify-init",
		 syscall(SYS_fanotify_init, FAN_CLASS_NOTIF, 0));
	if (fd >= 0)
		close(fd);

	struct utsname u;
	uname(&u);
	note("host name inside: %s", u.nodename);
	TRY("sethostname-same",
	    syscall(SYS_sethostname, u.nodename, strlen(u.nodename)));
	TRY("setdomainname-same",
	    syscall(SYS_setdomainname, u.domainname, strlen(u.domainname)));
	TRY("sethostname-badptr", syscall(SYS_sethostname, (void *)1, 8));

	/* MPOL_DEFAULT is what every process has; the rest get bad
	 * pointers or nothing to move. */
	TRY("set-mempolicy-default", syscall(SYS_set_mempolicy, 0, NULL, 0));
	TRY("mbind-badaddr",
	    syscall(SYS_mbind, (void *)4096, 4096, 0, NULL, 0, 0));
	TRY("migrate-pages-badptr",
	    syscall(SYS_migrate_pages, 0, 64, (void *)1, (void *)1));
	TRY("move-pages-none",
	    syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0));

	read_text("/proc/swaps", swaps1, sizeof(swaps1));
	if (strcmp(swaps0, swaps1) != 0)
		escaped("/proc/swaps changed during the run");
	done();
	return 0;
}
