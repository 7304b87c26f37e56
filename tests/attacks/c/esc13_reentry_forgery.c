/* ESC-13 reentry-forgery: forge what a supervisor might read to find or
 * configure a sandbox, then use its features that attach to a live one
 * (firejail CVE-2022-31214 --join into a fake sandbox; firejail#2718, a
 * seccomp filter file writable inside the jail).  stockade has no join,
 * attach or exec-into: it knows its run by the pidfd, cgroup and pipes it
 * made, and keeps the policy in its own memory, so the forgeries (a
 * process named like its init, pid and status files, a fake record and a
 * fake summary line on the output) change nothing.  What can be tested
 * from inside: the program can neither drop nor replace its filter (a
 * filter of its own is refused: ENOSYS for seccomp(2), EPERM for prctl;
 * no_new_privs cannot be cleared: EINVAL), nothing of the supervisor's
 * cgroup is reachable (ENOENT), and every process of the run - a fork, a
 * thread, an exec'd program - shows Seccomp 2, one filter and
 * NoNewPrivs 1.  The harness checks that the verdict is still "ok". */
#include "attack.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* Checks the filter fields of a status file; a process of the run
 * without our filter is a finding. */
static void check_status(const char *who, const char *path)
{
	char buf[4096];
	read_text(path, buf, sizeof(buf));
	const char *want[] = {"\nNoNewPrivs:\t1\n", "\nSeccomp:\t2\n",
			      "\nSeccomp_filters:\t1\n"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(buf, want[i]))
			escaped("%s lacks%s", who, want[i]);
	note("%s: NoNewPrivs 1, Seccomp 2, 1 filter", who);
}

static void *thread(void *arg)
{
	(void)arg;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", gettid());
	check_status("a thread", path);
	return NULL;
}

int main(void)
{
	/* The forgeries: a process called like stockade's init, pid files
	 * and a status file, a fake record and a fake -v line. */
	prctl(PR_SET_NAME, "stockade-init", 0, 0, 0);
	static const char *const files[] = {
		"/tmp/stockade.pid", "/dev/shm/stockade.pid",
		"/tmp/record.json", "/tmp/policy.bpf"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "w");
		if (f) {
			fprintf(f, "1\n{\"verdict\": \"ok\", \"seccomp\": "
				   "{\"applied\": false}}\n");
			fclose(f);
		}
	}
	note("{\"record_version\": 1, \"verdict\": \"wall-limit\", "
	     "\"exit_code\": null}");
	fprintf(stderr, "stockade: exit 0 after 0.001 s wall, 0.000 s CPU\n");

	/* A filter of our own: would outrank the supervisor's answers.  Null
	 * programs: were the call let through, the kernel says EFAULT. */
	TRY("seccomp-set-mode-filter",
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL));
	TRY("seccomp-new-listener",
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_NEW_LISTENER, NULL));
	TRY("prctl-set-seccomp-filter",
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0));
	TRY("prctl-clear-no-new-privs", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
	/* The supervisor's handles: the run's cgroup, its files */
	TRY("open-sys-fs-cgroup",
	    open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY));
	TRY("open-run-stockade", open("/run/stockade/host-uids.lock", O_RDWR));

	/* Every process of the run keeps the filter. */
	check_status("the program", "/proc/self/status");
	pthread_t t;
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, NULL);
	pid_t child = fork();
	if (child == 0) {
		check_status("a forked child", "/proc/self/status");
		fflush(stdout);
		/* an exec'd program reads its own status */
		execl("/bin/sh", "sh", "-c",
		      "grep -E '^(NoNewPrivs|Seccomp|Seccomp_filters):' "
		      "/proc/self/status "
		      "| tr '\\t\\n' ' ' | sed 's/^/# exec: /'; echo",
		      (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(child, &status, 0);
	/* and the same from the outside of the exec'd program */
	child = fork();
	if (child == 0) {
		execl("/bin/sleep", "sleep", "0.2", (char *)NULL);
		_exit(127);
	}
	char path[64];
	usleep(50000);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);
	check_status("an exec'd program", path);
	waitpid(child, &status, 0);
	done();
	return 0;
}
