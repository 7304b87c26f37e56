/* ESC-07 setup-path-race: plant symlinks where a later setup will mount or
 * write (runc CVE-2019-19921, CVE-2021-30465, CVE-2025-31133; flatpak
 * CVE-2024-42472; bwrap CVE-2019-12439), and race them with
 * renameat2(RENAME_EXCHANGE).  stockade shares nothing writable between
 * runs by default: /tmp and /dev/shm are fresh tmpfs mounts of each run,
 * the root is read-only, and the supervisor's own paths (/run/stockade)
 * are not in the sandbox.  So the plants work inside and reach nothing:
 * each run first looks for what an earlier run (the harness runs every
 * attack four times) planted, which must be gone, then plants it again.
 * Planting where the host or the next run would see it must fail.  (A
 * --rw bind shared by two runs, whose next setup mounts below a planted
 * symlink, needs a host directory per test: checked by hand, setup fails
 * closed with ELOOP or EINVAL, since every mount point is opened with
 * RESOLVE_NO_SYMLINKS.) */
#include "attack.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define MARK ".stockade-esc07-planted"

static const char *const dirs[] = {"/tmp", "/dev/shm"};
static const char *const labels[] = {"tmp", "shm"};
static const struct {
	const char *name, *target;
} plants[] = {
	{"proc", "/"},
	{"dev-null", "/proc/sys/kernel/core_pattern"},
	{"etc", "/etc"},
	{"out", "/root/.ssh"},
};

int main(void)
{
	char path[512], name[96];
	struct stat st;
	/* What an earlier run left: nothing may have survived it. */
	for (size_t d = 0; d < 2; d++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[d], MARK);
		if (lstat(path, &st) == 0)
			escaped("%s survived an earlier run", path);
		for (size_t p = 0; p < sizeof(plants) / sizeof(plants[0]);
		     p++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[d],
				 plants[p].name);
			if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
				escaped("the symlink %s survived an earlier "
					"run",
					path);
		}
	}
	/* Plant again, inside: this works, and is the sandbox's own. */
	for (size_t d = 0; d < 2; d++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[d], MARK);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		snprintf(name, sizeof(name), "plant-mark-%s", labels[d]);
		report(name, fd, errno);
		if (fd >= 0)
			close(fd);
		for (size_t p = 0; p < sizeof(plants) / sizeof(plants[0]);
		     p++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[d],
				 plants[p].name);
			snprintf(name, sizeof(name), "plant-%s-%s", labels[d],
				 plants[p].name);
			TRY(name, symlink(plants[p].target, path));
		}
	}
	/* Where the host, the supervisor or the next run would see it. */
	snprintf(path, sizeof(path), "%s/proc", canary("RO"));
	TRY("payoff-plant-canary-ro", symlink("/", path));
	TRY("payoff-plant-run-stockade", symlink("/", "/run/stockade"));
	TRY("payoff-mkdir-run", mkdir("/run", 0755));
	TRY("payoff-plant-root", symlink("/", "/proc2"));
	TRY("payoff-plant-var-tmp", symlink("/", "/var/tmp/stockade"));
	TRY("payoff-plant-usr", symlink("/", "/usr/stockade-planted"));
	/* The racer: swap a directory and a symlink to / for 100 ms. */
	mkdir("/tmp/race-dir", 0755);
	symlink("/", "/tmp/race-link");
	pid_t racer = fork();
	if (racer == 0) {
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		long swaps = 0;
		do {
			if (syscall(SYS_renameat2, AT_FDCWD, "/tmp/race-dir",
				    AT_FDCWD, "/tmp/race-link",
				    RENAME_EXCHANGE) == 0)
				swaps++;
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while ((now.tv_sec - start.tv_sec) * 1000000000L +
				 (now.tv_nsec - start.tv_nsec) <
			 100000000L);
		_exit(swaps > 0 ? 0 : 1);
	}
	int status;
	waitpid(racer, &status, 0);
	report("race-rename-exchange",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1, EINVAL);
	done();
	return 0;
}
