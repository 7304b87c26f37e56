/* SYS-11 ns-create-join: no new namespace, no joining one.  unshare and
 * setns are forbidden outright (EPERM, unshare(0) too), clone with any
 * CLONE_NEW* flag is refused (EPERM), clone3 answers ENOSYS (libc falls
 * back to clone), the id maps cannot be written again (EACCES).  The
 * /proc/self/ns links are the same afterwards, and what CPython needs -
 * fork and threads - still works. */
#include "attack.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static const char *const ns_names[] = {"cgroup", "ipc",	 "mnt",	 "net",
				       "pid",	 "time", "user", "uts"};
#define NNS (sizeof(ns_names) / sizeof(ns_names[0]))

static void ns_links(char out[][64])
{
	char path[64];
	for (size_t i = 0; i < NNS; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		ssize_t n = readlink(path, out[i], 63);
		out[i][n < 0 ? 0 : n] = '\0';
	}
}

static void *thread_main(void *arg)
{
	return arg;
}

int main(void)
{
	char before[NNS][64], after[NNS][64], name[64], path[64];
	ns_links(before);

	static const struct {
		const char *name;
		unsigned long flags;
	} flags[] = {
		{"newuser", CLONE_NEWUSER},
		{"newns", CLONE_NEWNS},
		{"newpid", CLONE_NEWPID},
		{"newnet", CLONE_NEWNET},
		{"newipc", CLONE_NEWIPC},
		{"newuts", CLONE_NEWUTS},
		{"newcgroup", CLONE_NEWCGROUP},
		{"newtime", CLONE_NEWTIME},
		{"fs-files", CLONE_FS | CLONE_FILES},
		{"zero", 0},
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		snprintf(name, sizeof(name), "unshare-%s", flags[i].name);
		TRY(name, unshare(flags[i].flags));
	}
	TRY("clone-newuser", clone_raw(CLONE_NEWUSER | SIGCHLD));
	TRY("clone-newnet", clone_raw(CLONE_NEWNET | SIGCHLD));
	TRY("clone-newpid-newns",
	    clone_raw(CLONE_NEWPID | CLONE_NEWNS | SIGCHLD));
	/* The kernel reads flags as a 64-bit value for clone: high bits
	 * must not hide the namespace flag from a 32-bit compare either. */
	TRY("clone-newuser-highbits",
	    clone_raw((1UL << 32) | CLONE_NEWUSER | SIGCHLD));
	TRY("clone3-newuser", clone3_raw(CLONE_NEWUSER));

	for (size_t i = 0; i < NNS; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(name, sizeof(name), "setns-self-%s", ns_names[i]);
		if (fd < 0) {
			report(name, -1, errno);
			continue;
		}
		TRY(name, setns(fd, 0));
		close(fd);
		snprintf(path, sizeof(path), "/proc/1/ns/%s", ns_names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(name, sizeof(name), "setns-init-%s", ns_names[i]);
		if (fd < 0) {
			report(name, -1,
			       errno); /* init is not dumpable: EACCES */
			continue;
		}
		TRY(name, setns(fd, 0));
		close(fd);
	}
	long pidfd =
		TRY("pidfd-open-self", syscall(SYS_pidfd_open, getpid(), 0));
	if (pidfd >= 0) {
		TRY("setns-pidfd-newnet", setns(pidfd, CLONE_NEWNET));
		TRY("setns-pidfd-all",
		    setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET));
		close(pidfd);
	}
	pidfd = syscall(SYS_pidfd_open, 1, 0);
	report("pidfd-open-init", pidfd, errno);
	if (pidfd >= 0) {
		TRY("setns-pidfd-init-newnet", setns(pidfd, CLONE_NEWNET));
		close(pidfd);
	}
	TRY("setns-badfd", setns(-1, 0));

	/* The maps are written once, by the supervisor: a second write is
	 * refused whatever it says. */
	static const struct {
		const char *file, *text;
	} maps[] = {{"uid_map", "0 1000 1\n"},
		    {"gid_map", "0 1000 1\n"},
		    {"setgroups", "allow\n"}};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/self/%s", maps[i].file);
		snprintf(name, sizeof(name), "write-self-%s", maps[i].file);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			report(name, -1, errno);
			continue;
		}
		TRY(name, write(fd, maps[i].text, strlen(maps[i].text)));
		close(fd);
	}

	/* What must keep working. */
	pid_t child = fork();
	if (child == 0)
		_exit(7);
	int status = 0;
	if (child > 0)
		waitpid(child, &status, 0);
	report("fork",
	       child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0
									  : -1,
	       child < 0 ? errno : ECHILD);
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_main, NULL);
	if (e == 0)
		pthread_join(t, NULL);
	report("pthread-create", e ? -1 : 0, e);

	ns_links(after);
	for (size_t i = 0; i < NNS; i++) {
		if (strcmp(before[i], after[i]) != 0)
			escaped("/proc/self/ns/%s changed: %s -> %s",
				ns_names[i], before[i], after[i]);
	}
	done();
	return 0;
}
