/* FS-02 write-outside: every kind of write on the host-backed paths the
 * sandbox sees - the read-only canary tree (C-RO, bound from the host, its
 * directories mode 0777 and one file 0666 there), /usr and the Python
 * standard library, the synthesized /etc/passwd (the sandbox's own file on
 * the read-only root): open for writing, truncate, fallocate, chmod,
 * chown, utimensat, xattrs, rename, link, unlink, mkdir, mknod, symlink,
 * and reopening a read-only fd read-write through /proc/self/fd.
 *
 * Which layer answers: the read-only mount (EROFS) before the file's mode
 * (EACCES) for most calls; Landlock (EACCES) stands behind both for files
 * and directories but governs neither chmod, chown, utime nor xattrs (ABI
 * <= 7) - the mount does, and the xattr setters are not in the allowlist
 * (ENOSYS).  On /usr and /etc only calls that change nothing even if they
 * succeeded (same mode, same times, same size, no owner); the destructive
 * ones only on the canary tree, whose change the harness detects. */
#include "attack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static char name[256];

static const char *nm(const char *op, const char *tag)
{
	snprintf(name, sizeof(name), "%s-%s", op, tag);
	return name;
}

/* The calls that are harmless on any file: nothing changes if they work. */
static void harmless(const char *path, const char *tag)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		note("%s: %s", path, strerror(errno));
		return;
	}
	struct timespec times[2] = {st.st_atim, st.st_mtim};
	TRY(nm("chmod-same-mode", tag), chmod(path, st.st_mode & 0777));
	TRY(nm("chown-none", tag), chown(path, (uid_t)-1, (gid_t)-1));
	TRY(nm("lchown-none", tag), lchown(path, (uid_t)-1, (gid_t)-1));
	TRY(nm("utimensat-same", tag), utimensat(AT_FDCWD, path, times, 0));
	/* replace an attribute that is not there: ENODATA if it got through */
	TRY(nm("setxattr-user", tag),
	    setxattr(path, "user.fs02", "x", 1, XATTR_REPLACE));
	TRY(nm("setxattr-security-capability", tag),
	    setxattr(path, "security.capability", "", 0, XATTR_REPLACE));
	TRY(nm("removexattr-user", tag), removexattr(path, "user.fs02-none"));
	if (S_ISDIR(st.st_mode)) /* the rest opens it as a file */
		return;
	long fd = TRY(nm("open-wronly", tag), open(path, O_WRONLY));
	if (fd >= 0)
		close((int)fd);
	fd = TRY(nm("open-rdwr", tag), open(path, O_RDWR));
	if (fd >= 0)
		close((int)fd);
	TRY(nm("truncate-same-size", tag), truncate(path, st.st_size));
	/* read-only fd, then read-write through its magic link */
	int ro = open(path, O_RDONLY);
	if (ro >= 0) {
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", ro);
		fd = TRY(nm("reopen-rdwr", tag), open(link, O_RDWR));
		if (fd >= 0)
			close((int)fd);
		/* fallocate on the read-only fd: EBADF, the fd says no */
		TRY(nm("fallocate-rdonly-fd", tag),
		    fallocate(ro, 0, st.st_size, 4096));
		TRY(nm("fchmod-same-mode", tag), fchmod(ro, st.st_mode & 0777));
		TRY(nm("futimens-same", tag), futimens(ro, times));
		close(ro);
	}
}

/* The destructive calls: only in the canary tree. */
static void destructive(const char *dir, const char *file, const char *tag)
{
	char a[4200], b[4200];
	snprintf(a, sizeof(a), "%s/%s", dir, file);
	long fd = TRY(nm("open-creat-trunc", tag),
		      open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (fd >= 0)
		close((int)fd);
	snprintf(b, sizeof(b), "%s/fs02-new", dir);
	fd = TRY(nm("creat-new", tag),
		 open(b, O_WRONLY | O_CREAT | O_EXCL, 0644));
	if (fd >= 0)
		close((int)fd);
	TRY(nm("truncate-zero", tag), truncate(a, 0));
	TRY(nm("chmod-0777", tag), chmod(a, 0777));
	TRY(nm("chown-1000", tag), chown(a, 1000, 1000));
	TRY(nm("utimensat-now", tag), utimensat(AT_FDCWD, a, NULL, 0));
	TRY(nm("setxattr-user-create", tag),
	    setxattr(a, "user.fs02", "x", 1, 0));
	TRY(nm("rename", tag), rename(a, b));
	TRY(nm("link", tag), link(a, b));
	TRY(nm("unlink", tag), unlink(a));
	snprintf(b, sizeof(b), "%s/fs02-dir", dir);
	TRY(nm("mkdir", tag), mkdir(b, 0755));
	TRY(nm("rmdir", tag), rmdir(dir));
	snprintf(b, sizeof(b), "%s/fs02-fifo", dir);
	TRY(nm("mknod-fifo", tag), mknod(b, S_IFIFO | 0644, 0));
	snprintf(b, sizeof(b), "%s/fs02-null", dir);
	TRY(nm("mknod-chr", tag), mknod(b, S_IFCHR | 0666, makedev(1, 3)));
	snprintf(b, sizeof(b), "%s/fs02-sym", dir);
	TRY(nm("symlink", tag), symlink("/tmp", b));
	/* a file of /tmp moved into the tree (EXDEV or EROFS), and back */
	int t = open("/tmp/fs02-src", O_WRONLY | O_CREAT, 0644);
	if (t >= 0)
		close(t);
	snprintf(b, sizeof(b), "%s/fs02-moved", dir);
	TRY(nm("rename-from-tmp", tag), rename("/tmp/fs02-src", b));
	TRY(nm("rename-to-tmp", tag), rename(a, "/tmp/fs02-dst"));
}

int main(void)
{
	char a[4200];
	const char *ro = canary("RO");
	if (!ro[0]) {
		note("no CANARY_RO");
		return 1;
	}
	snprintf(a, sizeof(a), "%s/data.txt", ro);
	harmless(a, "ro-data");
	snprintf(a, sizeof(a), "%s/writable-looking", ro);
	harmless(a, "ro-0666");
	snprintf(a, sizeof(a), "%s/sub", ro);
	harmless(a, "ro-dir-0777");
	harmless("/usr/lib/python3.11/os.py", "usr-stdlib");
	harmless("/usr/bin", "usr-bin");
	harmless("/etc/passwd", "etc-passwd");
	harmless("/", "root");
	/* a file that only Landlock guards: /proc is a read-write mount and
	 * the program owns /proc/self/comm (writing it renames the program) */
	long fd = TRY("open-wronly-proc-self-comm",
		      open("/proc/self/comm", O_WRONLY));
	if (fd >= 0)
		close((int)fd);
	destructive(ro, "data.txt", "ro-data");
	destructive(ro, "writable-looking", "ro-0666");
	snprintf(a, sizeof(a), "%s/sub", ro);
	destructive(a, "script.py", "ro-sub");
	done();
	return 0;
}
