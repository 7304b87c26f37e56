/* check.c - what this host lets stockade enforce, layer by layer.
 *
 * Each probe asks the kernel the way a run would (a clone3 into every
 * namespace, the seccomp action query, the Landlock ABI, a pidfd), so
 * that the answer is what a run would meet, not what a configuration
 * file claims. */
#define _GNU_SOURCE
#include "stockade.h"

#include "cleanup.h"
#include "error.h"
#include "landlock.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe {
	const char *layer;
	bool required; /* a run needs it */
	bool ok;
	char detail[160];
};

static void namespaces(struct probe *pr)
{
	int pidfd = -1;
	struct clone_args args = {
		.flags = SANDBOX_CLONE_NAMESPACES | CLONE_NEWNET |
			 CLONE_NEWCGROUP | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal =
			0, /* as a run's init: no reaper of the caller's */
	};
	pid_t pid = sys_clone3(&args);
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		snprintf(pr->detail, sizeof(pr->detail),
			 "clone3 into user, mount, pid, net, ipc, uts and "
			 "cgroup namespaces: %s",
			 stk_strerror(errno));
		return;
	}
	siginfo_t si;
	while (sys_waitid(P_PIDFD, pidfd, &si, WEXITED | __WALL, NULL) < 0 &&
	       errno == EINTR)
		;
	close(pidfd);
	pr->ok = true;
	snprintf(pr->detail, sizeof(pr->detail),
		 "user, mount, pid, net, ipc, uts, cgroup (%s)",
		 geteuid() == 0 ? "as root" : "as this user, unprivileged");
}

static long read_long(const char *path)
{
	char buf[32];
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static void user_namespaces(struct probe *pr)
{
	long clone = read_long("/proc/sys/kernel/unprivileged_userns_clone");
	long max = read_long("/proc/sys/user/max_user_namespaces");
	long apparmor = read_long(
		"/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	pr->ok = clone != 0 && max != 0 && apparmor != 1;
	snprintf(pr->detail, sizeof(pr->detail),
		 "for ordinary users: %s (max_user_namespaces %ld%s%s)",
		 pr->ok ? "yes" : "no", max,
		 clone == 0 ? ", unprivileged_userns_clone 0" : "",
		 apparmor == 1 ? ", AppArmor restricts them" : "");
}

static void seccomp_probe(struct probe *pr)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	bool filter = prctl(PR_GET_SECCOMP) >= 0;
	bool notify =
		syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
	pr->ok = filter && notify;
	snprintf(pr->detail, sizeof(pr->detail),
		 "filters %s, user notification %s (denied calls are "
		 "reported through it)",
		 filter ? "yes" : "no", notify ? "yes" : "no");
}

static void landlock_probe(struct probe *pr)
{
	int abi = landlock_abi();
	pr->ok = abi >= 1;
	snprintf(pr->detail, sizeof(pr->detail), "ABI %d: files%s%s%s", abi,
		 abi >= 3 ? " (with truncate)" : "",
		 abi >= 4 ? ", TCP bind/connect" : ", no TCP rules",
		 abi >= 6 ? ", abstract sockets and signals scoped"
			  : ", no scoping");
	if (abi < 1)
		snprintf(pr->detail, sizeof(pr->detail),
			 "not enabled (boot with lsm=...,landlock)");
}

static void cgroup_probe(struct probe *pr)
{
	struct stat st;
	bool v2 = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
	bool hybrid =
		stat("/sys/fs/cgroup/unified/cgroup.controllers", &st) == 0;
	static const char *const v1[] = {"memory", "pids", "cpu", "cpuacct",
					 "freezer"};
	char found[96] = "";
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/tasks", v1[i]);
		if (stat(path, &st) == 0) {
			strcat(found, found[0] ? "," : "");
			strcat(found, v1[i]);
		}
	}
	pr->ok = v2 || hybrid || found[0];
	snprintf(pr->detail, sizeof(pr->detail),
		 "%s%s%s%s (limits come with the next version)",
		 v2	  ? "v2 (unified)"
		 : hybrid ? "hybrid: v2 at unified"
			  : "",
		 found[0] ? (v2 || hybrid ? ", v1: " : "v1: ") : "", found,
		 pr->ok ? "" : "none mounted");
}

static void pidfd_probe(struct probe *pr)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	/* clone3 with a size too small: EINVAL where it exists, ENOSYS
	 * where it does not. */
	long r = syscall(SYS_clone3, NULL, 0);
	bool clone3 = r < 0 && errno != ENOSYS;
	pr->ok = fd >= 0 && clone3;
	if (fd >= 0)
		close(fd);
	snprintf(pr->detail, sizeof(pr->detail), "pidfd %s, clone3 %s",
		 fd >= 0 ? "yes" : "no", clone3 ? "yes" : "no");
}

int stk_host_check(char **text, struct stk_error **err)
{
	struct probe probes[] = {
		{.layer = "namespaces", .required = true},
		{.layer = "user-namespaces", .required = geteuid() != 0},
		{.layer = "seccomp", .required = true},
		{.layer = "landlock", .required = true},
		{.layer = "cgroups", .required = false},
		{.layer = "pidfd-clone3", .required = true},
	};
	namespaces(&probes[0]);
	user_namespaces(&probes[1]);
	seccomp_probe(&probes[2]);
	landlock_probe(&probes[3]);
	cgroup_probe(&probes[4]);
	pidfd_probe(&probes[5]);

	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return stk_error_set(err, ENOMEM, "check", "out of memory");
	int missing = 0;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		const struct probe *pr = &probes[i];
		const char *state = pr->ok	   ? "ok"
				    : pr->required ? "MISSING"
						   : "absent";
		missing += !pr->ok && pr->required;
		fprintf(f, "%-16s %-8s %s\n", pr->layer, state, pr->detail);
	}
	fprintf(f, "%s\n",
		missing ? "stockade cannot run its default policy here"
			: "stockade can run its default policy here");
	if (fclose(f) != 0) {
		free(buf);
		return stk_error_set(err, ENOMEM, "check", "out of memory");
	}
	*text = buf;
	return missing;
}
