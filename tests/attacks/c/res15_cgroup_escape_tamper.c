/* RES-15 cgroup-escape-tamper: leave the run's cgroup or loosen its limits
 * (CVE-2022-0492, CVE-2023-25809): write a pid to cgroup.procs and tasks
 * of every hierarchy, at the root and at the run's own group (its path as
 * /proc/self/cgroup shows it), make a sub-group, write memory, pids and
 * CPU limits, notify_on_release and release_agent, and mount a cgroup file
 * system of its own.  No cgroup file system is in the sandbox (ENOENT),
 * its root is read-only (EROFS) and mounting is forbidden (EPERM).  In a
 * cgroup namespace the run's own groups are the namespace's root: every
 * line of /proc/self/cgroup must end in ":/", else it shows the host's
 * cgroup tree (and the supervisor's pid, in the group's name). */
#include "attack.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

static void try_write(const char *name, const char *path)
{
	/* Opened only: nothing is written, even where it would open. */
	int fd = TRY(name, open(path, O_WRONLY));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	char line[512], own[256] = "", path[512], name[128];
	FILE *f = fopen("/proc/self/cgroup", "r");
	report("read-proc-self-cgroup", f ? 0 : -1, errno);
	int leaked = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *group = strrchr(line, ':');
		if (group && strcmp(group, ":/") != 0) {
			note("host cgroup path: %s", line);
			leaked++;
			snprintf(own, sizeof(own), "%s", group + 1);
		}
	}
	if (f)
		fclose(f);
	/* "host-path" when the namespace shows the host's groups. */
	printf("own-cgroup-is-namespace-root %s\n",
	       leaked ? "host-path" : "ok");
	fflush(stdout);

	const char *hierarchies[] = {"", "/unified", "/memory", "/pids",
				     "/cpu"};
	const char *files[] = {"cgroup.procs",
			       "tasks",
			       "notify_on_release",
			       "release_agent",
			       "memory.limit_in_bytes",
			       "memory.max",
			       "pids.max",
			       "cpu.cfs_quota_us"};
	for (size_t h = 0; h < sizeof(hierarchies) / sizeof(*hierarchies);
	     h++) {
		for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s",
				 hierarchies[h], files[i]);
			snprintf(name, sizeof(name), "open-root%s-%s",
				 hierarchies[h][0] ? hierarchies[h] : "/v2",
				 files[i]);
			try_write(name, path);
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s%s/%s",
				 hierarchies[h], own, files[i]);
			snprintf(name, sizeof(name), "open-own%s-%s",
				 hierarchies[h][0] ? hierarchies[h] : "/v2",
				 files[i]);
			try_write(name, path);
		}
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s%s/escape",
			 hierarchies[h], own);
		snprintf(name, sizeof(name), "mkdir-subgroup%s",
			 hierarchies[h][0] ? hierarchies[h] : "/v2");
		TRY(name, mkdir(path, 0755));
	}
	TRY("mkdir-sys", mkdir("/sys", 0755));
	TRY("mkdir-tmp-cg", mkdir("/tmp/cg", 0755));
	TRY("mount-cgroup-v1-memory",
	    mount("cgroup", "/tmp/cg", "cgroup", 0, "memory"));
	TRY("mount-cgroup2", mount("cgroup2", "/tmp/cg", "cgroup2", 0, NULL));
	TRY("fsopen-cgroup2", syscall(SYS_fsopen, "cgroup2", 0));
	/* /proc/1/root is the sandbox's own root: no way around it. */
	TRY("open-proc1-root-sys",
	    open("/proc/1/root/sys/fs/cgroup", O_RDONLY));
	done();
	return 0;
}
