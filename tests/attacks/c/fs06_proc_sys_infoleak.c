/* FS-06 proc-sys-infoleak: what /proc and /sys tell about the host.  The
 * sandbox has a procfs of its own pid namespace (no host pid, no host
 * environment), a network namespace of its own (/proc/net shows lo and
 * none of the host's sockets), no /sys; root-only files stay closed
 * (EACCES), kallsyms shows zero addresses and pagemap zero frame numbers
 * (no CAP_SYSLOG, CAP_SYS_ADMIN in the host's user namespace), and the
 * host facts of /proc read empty (FS-10 reads each).  The files that are
 * readable are read and checked: a host trace in them prints ESCAPED. */
#include "attack.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>

static char buf[1 << 20];

/* Reads up to sizeof(buf)-1 bytes of path into buf; reports name. */
static long slurp(const char *name, const char *path)
{
	buf[0] = '\0';
	long fd = TRY(name, open(path, O_RDONLY));
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 &&
	       (n = read((int)fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close((int)fd);
	return (long)len;
}

int main(void)
{
	char name[300], path[300];
	/* kallsyms: readable, every address zero */
	if (slurp("read-kallsyms", "/proc/kallsyms") > 0) {
		unsigned long long addr = 0;
		char *line = buf;
		int nonzero = 0;
		for (int k = 0; k < 1000 && line && *line; k++) {
			if (sscanf(line, "%llx", &addr) == 1 && addr)
				nonzero++;
			line = strchr(line, '\n');
			line = line ? line + 1 : NULL;
		}
		if (nonzero)
			escaped("kallsyms shows %d kernel addresses", nonzero);
	}
	/* iomem: readable, every address zero */
	if (slurp("read-iomem", "/proc/iomem") > 0) {
		unsigned long long lo = 0, hi = 0;
		for (char *line = buf; line && *line;) {
			if (sscanf(line, " %llx-%llx", &lo, &hi) == 2 &&
			    (lo || hi)) {
				escaped("iomem shows physical addresses");
				break;
			}
			line = strchr(line, '\n');
			line = line ? line + 1 : NULL;
		}
	}
	/* keys and key-users: only what the sandbox's user owns */
	slurp("read-keys", "/proc/keys");
	note("/proc/keys has %zu bytes", strlen(buf));
	slurp("read-key-users", "/proc/key-users");
	/* pagemap: frame numbers zero without CAP_SYS_ADMIN */
	static volatile char page[4096] __attribute__((aligned(4096)));
	page[0] = 1;
	long pm = TRY("read-pagemap", open("/proc/self/pagemap", O_RDONLY));
	if (pm >= 0) {
		uint64_t entry = 0;
		off_t off = (off_t)((uintptr_t)page / 4096 * 8);
		if (pread((int)pm, &entry, 8, off) == 8 &&
		    (entry & ((1ULL << 55) - 1)) && (entry >> 63))
			escaped("pagemap shows frame number %llx",
				(unsigned long long)(entry &
						     ((1ULL << 55) - 1)));
		close((int)pm);
	}

	/* the network namespace: lo only, none of the host's sockets */
	if (slurp("read-net-dev", "/proc/net/dev") > 0) {
		for (char *l = strchr(buf, '\n'); l; l = strchr(l + 1, '\n')) {
			char ifname[64];
			if (sscanf(l + 1, " %63[^:]:", ifname) == 1 &&
			    strcmp(ifname, "lo") && !strchr(ifname, '|'))
				escaped("/proc/net/dev shows interface %s",
					ifname);
		}
	}
	char port[16];
	snprintf(port, sizeof(port), ":%04X ", atoi(canary("TCP_PORT")));
	if (slurp("read-net-tcp", "/proc/net/tcp") > 0 && strstr(buf, port))
		escaped("/proc/net/tcp shows the host listener's port");
	if (slurp("read-net-tcp6", "/proc/net/tcp6") > 0 && strstr(buf, port))
		escaped("/proc/net/tcp6 shows the host listener's port");
	snprintf(port, sizeof(port), ":%04X ", atoi(canary("UDP_PORT")));
	if (slurp("read-net-udp", "/proc/net/udp") > 0 && strstr(buf, port))
		escaped("/proc/net/udp shows the host's DNS canary");
	if (slurp("read-net-unix", "/proc/net/unix") > 0 &&
	    ((canary("ABSTRACT")[0] && strstr(buf, canary("ABSTRACT"))) ||
	     (canary("UNIX")[0] && strstr(buf, canary("UNIX")))))
		escaped("/proc/net/unix shows a host unix socket");
	if (slurp("read-net-route", "/proc/net/route") > 0 &&
	    strchr(strchr(buf, '\n') ? strchr(buf, '\n') + 1 : buf, '\t'))
		escaped("/proc/net/route has a route");

	/* every visible pid: none of the host's, no host environment */
	int pids = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pids++;
		const char *who = atoi(e->d_name) == getpid() ? "self"
				  : atoi(e->d_name) == 1      ? "init"
							      : "other";
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		snprintf(name, sizeof(name), "read-status-%s", who);
		slurp(name, path);
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		snprintf(name, sizeof(name), "read-cmdline-%s", who);
		slurp(name, path);
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		snprintf(name, sizeof(name), "read-environ-%s", who);
		long len = slurp(name, path);
		for (long k = 0; k < len; k += (long)strlen(buf + k) + 1)
			if (!strncmp(buf + k, "SBX_SECRET=", 11))
				escaped("pid %s has the supervisor's "
					"environment",
					e->d_name);
	}
	if (d)
		closedir(d);
	note("%d pids visible", pids);
	snprintf(path, sizeof(path), "/proc/%s/status", canary("PID"));
	slurp("read-canary-pid-status", path);
	/* the host name the kernel shows is the sandbox's */
	if (slurp("read-sys-hostname", "/proc/sys/kernel/hostname") > 0 &&
	    strcmp(buf, "stockade\n"))
		escaped("/proc/sys/kernel/hostname is not the sandbox's");
	/* the cgroup namespace hides the host's cgroup paths: the run's
	 * group is the root of every hierarchy, v1 ones included */
	if (slurp("read-self-cgroup", "/proc/self/cgroup") > 0) {
		for (char *line = buf; line && *line;) {
			char *end = strchr(line, '\n');
			if (end)
				*end = '\0';
			char *colon = strrchr(line, ':');
			if (colon && strcmp(colon, ":/"))
				escaped("/proc/self/cgroup shows a host cgroup "
					"path: %s",
					line);
			line = end ? end + 1 : NULL;
		}
	}

	/* /sys: not mounted */
	static const char *sys[] = {"/sys/kernel/debug",
				    "/sys/firmware",
				    "/sys/class/dmi/id/product_serial",
				    "/sys/devices/virtual/powercap",
				    "/sys/fs/cgroup/memory/memory.stat",
				    "/sys/fs/cgroup/unified/cgroup.procs",
				    "/sys/kernel/notes",
				    "/sys/kernel/vmcoreinfo"};
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		snprintf(name, sizeof(name), "read%s", sys[i]);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '-';
		slurp(name, sys[i]);
	}
	done();
	return 0;
}
