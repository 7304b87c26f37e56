/* FS-10 proc-host-facts: what the run's own procfs still tells about the
 * host.  A fresh procfs of the run's pid namespace shows only the run's
 * processes, but also the machine: the kernel's boot line, its symbols
 * and modules, the host's disks, buses and physical memory ranges, the
 * boot id (one value per host boot, the same for every run: a
 * fingerprint), every file lock of the host (other runs' locks among
 * them), every uid's key quota, and live host-wide figures: open files,
 * interrupts (input timing), disk I/O, stall times.  Each is read: "ok"
 * when it gave any byte or entry (a host fact reached), ENODATA when it
 * is empty, else the open's errno (EACCES: the kernel's own 0400 files).
 * Writing one must fail too. */
#include "attack.h"

#include <dirent.h>

static const char *files[] = {
	"cmdline",	  "sys/kernel/random/boot_id",
	"config.gz",	  "kallsyms",
	"modules",	  "partitions",
	"swaps",	  "mtrr",
	"locks",	  "key-users",
	"sys/fs/file-nr", "interrupts",
	"diskstats",	  "kcore",
	"kmsg",		  "kpagecount",
	"kpageflags",	  "kpagecgroup",
	"sysrq-trigger",  "timer_list",
	"timer_stats",	  "sched_debug",
	"vmallocinfo",	  "slabinfo",
	"pagetypeinfo",
};

static const char *dirs[] = {"bus", "scsi", "fs", "pressure"};

static void attempt_name(char *name, size_t size, const char *path)
{
	snprintf(name, size, "leak-%s", path);
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '-';
}

int main(void)
{
	char name[128], path[128], buf[4096];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		attempt_name(name, sizeof(name), files[i]);
		snprintf(path, sizeof(path), "/proc/%s", files[i]);
		int fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			report(name, -1, errno);
			continue;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		int e = errno;
		close(fd);
		if (n > 0) {
			buf[n < 60 ? n : 60] = '\0';
			for (char *c = buf; *c; c++)
				*c = *c == '\n' ? ' ' : *c;
			note("%s: %s", path, buf);
		}
		report(name, n > 0 ? 0 : -1, n == 0 ? ENODATA : e);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		attempt_name(name, sizeof(name), dirs[i]);
		snprintf(path, sizeof(path), "/proc/%s", dirs[i]);
		DIR *d = opendir(path);
		if (!d) {
			report(name, -1, errno);
			continue;
		}
		int entries = 0;
		for (struct dirent *e; (e = readdir(d));)
			entries += strcmp(e->d_name, ".") &&
				   strcmp(e->d_name, "..");
		closedir(d);
		report(name, entries ? 0 : -1, ENODATA);
	}
	/* the covers are read-only, and no file can be made in one */
	TRY("write-cmdline", open("/proc/cmdline", O_WRONLY));
	TRY("create-in-bus",
	    open("/proc/bus/planted", O_CREAT | O_WRONLY, 0600));
	done();
	return 0;
}
