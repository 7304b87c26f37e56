/* ESC-04 proc-self-exe-overwrite: the runc escape (CVE-2019-5736) - open a
 * process's executable through /proc/PID/exe and write over it, so that
 * the host runs the payload the next time it starts that binary.  Inside,
 * the visible processes are stockade's init (a host binary: it must stay
 * unreachable, init is not dumpable) and the program itself (its copy on
 * the sandbox's tmpfs, busy while it runs; or a binary of the read-only
 * /usr).  Every open for writing must fail: EACCES, ETXTBSY or EROFS.
 * The harness checks the stockade binary's hash (H5) and C-RO (H2).
 * Step 3 of attacks.md (a "#!/proc/self/exe" entry program, for a
 * supervisor that execs helpers inside) does not apply: stockade execs
 * nothing in the sandbox after the program starts. */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>

/* Opens /proc/self/fd/FD for writing, again while the target is busy
 * (ETXTBSY), for at most 50 ms: runc's loop waits for the host to exit
 * the binary. */
static void overwrite(const char *name, int fd, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	long r = -1;
	int e = 0;
	for (int i = 0; i < 50; i++) {
		errno = 0;
		r = open(path, flags);
		e = errno;
		if (r >= 0 || e != ETXTBSY)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	report(name, r, e);
	if (r >= 0) { /* never write: the open is the whole payoff */
		escaped("opened an executable for writing: %s", name);
		close((int)r);
	}
}

int main(void)
{
	char name[96], path[300], target[300];
	pid_t self = getpid();
	DIR *proc = opendir("/proc");
	if (!proc)
		return 1;
	struct dirent *e;
	while ((e = readdir(proc))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		const char *who = pid == self ? "self"
				  : pid == 1  ? "init"
					      : "other";
		snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		int why = errno;
		note("pid %ld (%s): exe %s", pid, who,
		     n >= 0 ? (target[n] = 0, target) : strerrorname_np(why));
		if (n < 0 && why == ENOENT)
			continue; /* gone meanwhile, or a zombie: no exe */
		/* step 1: an O_PATH handle of the executable; our own is
		 * ours to have, another process's must be refused */
		snprintf(name, sizeof(name), "exe-path-%s-pid%ld", who, pid);
		int fd = pid == self ? open(path, O_PATH)
				     : (int)TRY(name, open(path, O_PATH));
		if (fd < 0)
			continue;
		/* step 2: reopen it for writing through the fd */
		snprintf(name, sizeof(name), "%s-%s-exe-wronly-trunc",
			 pid == self ? "write" : "payoff-write", who);
		overwrite(name, fd, O_WRONLY | O_TRUNC);
		close(fd);
	}
	closedir(proc);
	/* step 4: /proc/self/exe itself, and the mappings of map_files */
	TRY("open-self-exe-rdwr", open("/proc/self/exe", O_RDWR));
	TRY("payoff-open-init-exe-rdwr", open("/proc/1/exe", O_RDWR));
	TRY("list-init-map-files",
	    open("/proc/1/map_files", O_RDONLY | O_DIRECTORY));
	DIR *maps = opendir("/proc/self/map_files");
	int tried = 0;
	while (maps && (e = readdir(maps)) && tried < 4) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/map_files/%s",
			 e->d_name);
		snprintf(name, sizeof(name), "map-files-rdwr-%d", tried++);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		note("%s: %s", e->d_name,
		     n >= 0 ? (target[n] = 0, target) : strerrorname_np(errno));
		long fd = TRY(name, open(path, O_RDWR));
		if (fd >= 0)
			close((int)fd);
	}
	if (maps)
		closedir(maps);
	done();
	return 0;
}
