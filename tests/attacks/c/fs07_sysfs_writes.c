/* FS-07 sysfs-writes: the sysfs files that change the host (uevent_helper,
 * power/state, module parameters, network devices, transparent huge
 * pages, the block scheduler, the cgroup trees) opened for writing, by
 * their path and through /proc/self/root; then sysfs and cgroup file
 * systems mounted anew.  stockade mounts no /sys: ENOENT for every path;
 * the mounts are forbidden (EPERM).
 *
 * Harmless if an open got through: nothing is ever written (an open that
 * works is reported and closed); the mount calls get an unreadable data
 * pointer (EFAULT before they act). */
#include "attack.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

int main(void)
{
	static const char *paths[] = {
		"/sys/kernel/uevent_helper",
		"/sys/power/state",
		"/sys/module/printk/parameters/time",
		"/sys/class/net/lo/mtu",
		"/sys/class/net/eth0/flags",
		"/sys/kernel/mm/transparent_hugepage/enabled",
		"/sys/block/vda/queue/scheduler",
		"/sys/fs/cgroup/cgroup.procs",
		"/sys/fs/cgroup/unified/cgroup.procs",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes",
		"/sys/fs/cgroup/pids/pids.max",
		"/sys/fs/cgroup/memory/release_agent",
		"/sys/kernel/profiling",
	};
	char name[300], path[300];
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(name, sizeof(name), "open-wronly%s", paths[i]);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '-';
		long fd = TRY(name, open(paths[i], O_WRONLY));
		if (fd >= 0)
			close((int)fd);
	}
	snprintf(path, sizeof(path), "/proc/self/root%s", paths[0]);
	long fd = TRY("open-wronly-proc-self-root-uevent-helper",
		      open(path, O_WRONLY));
	if (fd >= 0)
		close((int)fd);
	struct stat st;
	TRY("stat-sys", stat("/sys", &st));

	/* a sysfs or cgroup file system of its own */
	void *bad = (void *)1;
	report("mkdir-tmp-sys", mkdir("/tmp/sys", 0755), errno);
	TRY("mount-sysfs", mount("sysfs", "/tmp/sys", "sysfs", 0, bad));
	TRY("mount-cgroup2", mount("cgroup2", "/tmp/sys", "cgroup2", 0, bad));
	TRY("mount-cgroup-v1-memory",
	    mount("cgroup", "/tmp/sys", "cgroup", 0, bad));
	TRY("mount-debugfs", mount("debugfs", "/tmp/sys", "debugfs", 0, bad));
	TRY("fsopen-sysfs", syscall(SYS_fsopen, "sysfs", 0));
	TRY("fsopen-cgroup2", syscall(SYS_fsopen, "cgroup2", 0));
	done();
	return 0;
}
