/* FS-05 procfs-writes: open for writing the /proc files that change the
 * host (core_pattern, modprobe, hostname, ns_last_pid, drop_caches,
 * sysrq-trigger, binfmt_misc's register) and the sandbox's own knobs that
 * must not go down or sideways (oom_score_adj, attr/current,
 * coredump_filter, uid_map, gid_map, setgroups).  /proc is a read-write
 * mount: Landlock, which allows writes only in the sandbox's tmpfs mounts
 * and devices, refuses every one of them (EACCES), with the files' owners
 * and modes behind it.
 *
 * Harmless if an open got through: nothing is ever written to a host
 * file (an open that works is reported and closed); only the program's
 * own oom_score_adj would get a value, and a higher one. */
#include "attack.h"

#include <fcntl.h>

static long try_open(const char *name, const char *path)
{
	long fd = TRY(name, open(path, O_WRONLY));
	if (fd >= 0)
		close((int)fd);
	return fd;
}

int main(void)
{
	static const struct {
		const char *name, *path;
	} host[] = {
		{"core-pattern", "/proc/sys/kernel/core_pattern"},
		{"modprobe", "/proc/sys/kernel/modprobe"},
		{"hostname", "/proc/sys/kernel/hostname"},
		{"domainname", "/proc/sys/kernel/domainname"},
		{"ns-last-pid", "/proc/sys/kernel/ns_last_pid"},
		{"sysrq", "/proc/sys/kernel/sysrq"},
		{"drop-caches", "/proc/sys/vm/drop_caches"},
		{"overcommit", "/proc/sys/vm/overcommit_memory"},
		{"randomize-va-space", "/proc/sys/kernel/randomize_va_space"},
		{"max-user-namespaces", "/proc/sys/user/max_user_namespaces"},
		{"ping-group-range", "/proc/sys/net/ipv4/ping_group_range"},
		{"protected-symlinks", "/proc/sys/fs/protected_symlinks"},
		{"sysrq-trigger", "/proc/sysrq-trigger"},
		{"binfmt-register", "/proc/sys/fs/binfmt_misc/register"},
		{"binfmt-status", "/proc/sys/fs/binfmt_misc/status"},
	};
	char name[96];
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		snprintf(name, sizeof(name), "open-wronly-%s", host[i].name);
		try_open(name, host[i].path);
	}

	/* the sandbox's own files */
	static const struct {
		const char *name, *path;
	} own[] = {
		{"attr-current", "/proc/self/attr/current"},
		{"attr-exec", "/proc/self/attr/exec"},
		{"coredump-filter", "/proc/self/coredump_filter"},
		{"uid-map", "/proc/self/uid_map"},
		{"gid-map", "/proc/self/gid_map"},
		{"setgroups", "/proc/self/setgroups"},
		{"init-oom-score-adj", "/proc/1/oom_score_adj"},
		{"init-comm", "/proc/1/comm"},
		{"mem", "/proc/self/mem"},
		{"clear-refs", "/proc/self/clear_refs"},
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		snprintf(name, sizeof(name), "open-wronly-%s", own[i].name);
		try_open(name, own[i].path);
	}

	/* oom_score_adj: the start value, then one lower (refused), one
	 * higher (allowed by the kernel, but the open is Landlock's) */
	char buf[32] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	int start = n > 0 ? (buf[n] = 0, atoi(buf)) : 0;
	note("oom_score_adj starts at %d", start);
	long w = TRY("open-wronly-oom-score-adj",
		     open("/proc/self/oom_score_adj", O_WRONLY));
	if (w >= 0) {
		int len = snprintf(buf, sizeof(buf), "%d",
				   start < 1000 ? start + 1 : 1000);
		report("write-oom-score-adj-higher", write((int)w, buf, len),
		       errno);
		len = snprintf(buf, sizeof(buf), "%d",
			       start > -1000 ? start - 1 : -1000);
		report("write-oom-score-adj-lower", write((int)w, buf, len),
		       errno);
		close((int)w);
	}
	/* the same through /proc/self/fd of a read-only fd */
	fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
	if (fd >= 0) {
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
		try_open("reopen-wronly-core-pattern", buf);
		close(fd);
	}
	done();
	return 0;
}
