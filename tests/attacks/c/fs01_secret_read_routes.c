/* FS-01 secret-read-routes: read the host secret (C-SECRET, a host file
 * outside every bind) by every route a path can take: absolute, "../"
 * chains from the cwd and from a directory fd of every mount, the magic
 * links of /proc (root and cwd of every visible pid, fd reopen), /dev/fd,
 * openat2 RESOLVE_IN_ROOT, a symlink and a hard link made in /tmp, O_PATH
 * then reopen, and file handles (ESC-08).  The file does not exist in the
 * sandbox's view: ENOENT everywhere, EACCES where a magic link belongs to
 * init (not dumpable), EPERM for the handle calls the filter forbids,
 * ENOSYS for openat2, which is not in the allowlist. */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

static const char *secret;

/* A route that opened something: is it the host secret? */
static void check(const char *route, long fd)
{
	if (fd < 0)
		return;
	char buf[256];
	ssize_t n = pread((int)fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (strstr(buf, "SECRET-"))
		escaped("%s read the host secret", route);
	close((int)fd);
}

static void try_open(const char *name, const char *path)
{
	check(name, TRY(name, open(path, O_RDONLY)));
}

static void try_openat(const char *name, int dir, const char *path)
{
	check(name, TRY(name, openat(dir, path, O_RDONLY)));
}

int main(void)
{
	char name[512], path[8192];
	secret = canary("SECRET");
	if (secret[0] != '/') {
		note("no CANARY_SECRET");
		return 1;
	}

	/* the absolute path, and ../ chains from the cwd (/tmp) */
	try_open("absolute", secret);
	snprintf(path, sizeof(path), "../../../../../../../..%s", secret);
	try_open("dotdot-cwd", path);
	snprintf(path, sizeof(path), "/tmp/../..%s", secret);
	try_open("dotdot-tmp", path);

	/* ../ chains from a directory fd of every mount and a few dirs */
	const char *dirs[] = {"/",	    "/tmp",	 "/proc",    "/usr",
			      "/usr/lib",   "/dev",	 "/dev/shm", "/etc",
			      canary("RO"), "/proc/self"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int d = open(dirs[i], O_RDONLY | O_DIRECTORY);
		if (d < 0) {
			note("%s: %s", dirs[i], strerror(errno));
			continue;
		}
		snprintf(name, sizeof(name), "dotdot-fd-%s", dirs[i]);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '_';
		snprintf(path, sizeof(path), "../../../../../../../..%s",
			 secret);
		try_openat(name, d, path);
		close(d);
	}

	/* /proc/self/root and /proc/PID/{root,cwd} for every visible pid */
	snprintf(path, sizeof(path), "/proc/self/root%s", secret);
	try_open("proc-self-root", path);
	snprintf(path, sizeof(path), "/proc/thread-self/root%s", secret);
	try_open("proc-thread-self-root", path);
	DIR *proc = opendir("/proc");
	struct dirent *e;
	int pids = 0;
	while (proc && (e = readdir(proc))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		pids++;
		const char *pid = e->d_name;
		/* the program's own pid is as good as self; init is pid 1 */
		const char *who = atoi(pid) == getpid() ? "ownpid" : pid;
		snprintf(name, sizeof(name), "proc-%s-root", who);
		snprintf(path, sizeof(path), "/proc/%s/root%s", pid, secret);
		try_open(name, path);
		snprintf(name, sizeof(name), "proc-%s-cwd", who);
		snprintf(path, sizeof(path), "/proc/%s/cwd/../../../../..%s",
			 pid, secret);
		try_open(name, path);
	}
	if (proc)
		closedir(proc);
	note("%d pids visible", pids);

	/* the canary host process's pid in the sandbox's /proc */
	snprintf(path, sizeof(path), "/proc/%s/root%s", canary("PID"), secret);
	try_open("proc-canary-pid-root", path);

	/* reopen every fd above 2 through /proc/self/fd and /dev/fd: a fd the
	 * caller leaked (the harness leaks the secret, open) would be here */
	for (int fd = 3; fd < 64; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		snprintf(name, sizeof(name), "reopen-proc-self-fd%d", fd);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		try_open(name, path);
		snprintf(name, sizeof(name), "reopen-dev-fd%d", fd);
		snprintf(path, sizeof(path), "/dev/fd/%d", fd);
		try_open(name, path);
	}
	/* a fd number that is not open: the magic link is not there */
	try_open("reopen-proc-self-fd-closed", "/proc/self/fd/63");

	/* openat2 with RESOLVE_IN_ROOT, from / and from /proc/self/root */
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
	int root = open("/", O_PATH);
	check("openat2-in-root",
	      TRY("openat2-in-root",
		  syscall(SYS_openat2, root, secret, &how, sizeof(how))));
	int pself = open("/proc/self/root", O_PATH);
	check("openat2-in-proc-self-root",
	      TRY("openat2-in-proc-self-root",
		  syscall(SYS_openat2, pself, secret, &how, sizeof(how))));
	struct open_how magic = {.flags = O_RDONLY};
	snprintf(path, sizeof(path), "root%s", secret);
	int pdir = open("/proc/self", O_PATH);
	check("openat2-proc-self-magic",
	      TRY("openat2-proc-self-magic",
		  syscall(SYS_openat2, pdir, path, &magic, sizeof(magic))));

	/* a symlink in /tmp to the host path (creating it works: it is
	 * only a string), then open through it; a hard link to it */
	report("symlink-to-secret", symlink(secret, "/tmp/fs01-link"), errno);
	try_open("open-through-symlink", "/tmp/fs01-link");
	TRY("link-to-secret", link(secret, "/tmp/fs01-hard"));
	TRY("linkat-follow-to-secret",
	    linkat(AT_FDCWD, "/tmp/fs01-link", AT_FDCWD, "/tmp/fs01-hard2",
		   AT_SYMLINK_FOLLOW));

	/* O_PATH, then reopen it through /proc/self/fd */
	long o = TRY("opath-secret", open(secret, O_PATH));
	if (o >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", o);
		try_open("opath-reopen", path);
	}

	/* file handles: name_to_handle_at, and open_by_handle_at with a
	 * forged handle of inode 2 (an ext4 root) on the /usr mount */
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h = {.fh = {.handle_bytes = 128}};
	int mnt = 0;
	TRY("name-to-handle-at",
	    syscall(SYS_name_to_handle_at, AT_FDCWD, "/usr", &h.fh, &mnt, 0));
	int usr = open("/usr", O_RDONLY | O_DIRECTORY);
	struct {
		struct file_handle fh;
		unsigned int ino[2];
	} forged = {.fh = {.handle_bytes = 8, .handle_type = 1}, .ino = {2, 0}};
	check("open-by-handle-at",
	      TRY("open-by-handle-at",
		  syscall(SYS_open_by_handle_at, usr, &forged.fh, O_RDONLY)));
	done();
	return 0;
}
