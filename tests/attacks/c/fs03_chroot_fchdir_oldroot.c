/* FS-03 chroot-fchdir-oldroot: the classic chroot escape (chroot into a
 * subdirectory, fchdir back out through a fd kept open, climb "..", chroot
 * "."), then the traces a pivot_root could leave: "/" and "/.." must be
 * the same inode, no mount of the sandbox may have the host's "/" as its
 * root or sit on an old root, and ".." from every mount point must stay
 * in the sandbox.  chroot is forbidden (EPERM); every path to the secret
 * ends in ENOENT; the checks print ESCAPED if a trace is found. */
#include "attack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void try_secret(const char *name)
{
	long fd = TRY(name, open(canary("SECRET"), O_RDONLY));
	if (fd >= 0) {
		escaped("%s: the host secret opened", name);
		close((int)fd);
	}
}

static int same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int main(void)
{
	struct stat root, up;
	stat("/", &root);

	/* 1. chroot into x, fchdir out, climb, chroot "." */
	report("mkdir-x", mkdir("/tmp/fs03-x", 0755), errno);
	int keep = open(".", O_RDONLY | O_DIRECTORY);
	TRY("chroot-x", chroot("/tmp/fs03-x"));
	TRY("fchdir-out", fchdir(keep));
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	TRY("chroot-dot", chroot("."));
	try_secret("open-secret-after-climb");
	char rel[4200];
	snprintf(rel, sizeof(rel), ".%s", canary("SECRET"));
	long fd = TRY("open-secret-relative", open(rel, O_RDONLY));
	if (fd >= 0)
		escaped("the secret opened relative to the climbed cwd");
	struct stat here;
	stat(".", &here);
	if (!same(&here, &root))
		escaped("64 times \"..\" from /tmp did not end at the sandbox "
			"root");

	/* 2. "/" and "/.." */
	stat("/..", &up);
	if (!same(&root, &up))
		escaped("/ and /.. are different inodes");
	note("/ is dev %u:%u ino %lu", major(root.st_dev), minor(root.st_dev),
	     (unsigned long)root.st_ino);

	/* 3. mountinfo: no mount of the host's root, no old root */
	FILE *mi = fopen("/proc/self/mountinfo", "r");
	report("read-mountinfo", mi ? 0 : -1, errno);
	char line[4096];
	char mounts[64][512];
	int n = 0;
	while (mi && fgets(line, sizeof(line), mi)) {
		unsigned id, parent, maj, min;
		char mroot[512], point[512], fstype[64];
		/* id parent maj:min root point options ... - fstype source */
		if (sscanf(line, "%u %u %u:%u %511s %511s", &id, &parent, &maj,
			   &min, mroot, point) != 6)
			continue;
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(dash, " - %63s", fstype) != 1)
			continue;
		if (strstr(line, "oldroot") || strstr(line, "old_root") ||
		    strstr(line, ".pivot"))
			escaped("an old root is still mounted: %s", point);
		/* a disk file system bound with its root: the host's "/" */
		if (strcmp(mroot, "/") == 0 && strcmp(fstype, "tmpfs") &&
		    strcmp(fstype, "proc") && strcmp(fstype, "devtmpfs"))
			escaped("%s is the root of a %s file system", point,
				fstype);
		if (n < 64)
			snprintf(mounts[n++], sizeof(mounts[0]), "%s", point);
	}
	if (mi)
		fclose(mi);
	note("%d mounts", n);

	/* 4. into every mount point (a directory), then ".." 64 times */
	int back = open("/", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(mounts[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (chdir(mounts[i]) < 0)
			continue;
		for (int k = 0; k < 64; k++)
			if (chdir("..") < 0)
				break;
		stat(".", &here);
		if (!same(&here, &root))
			escaped("\"..\" above %s leads out of the root",
				mounts[i]);
		fchdir(back);
	}
	try_secret("open-secret-absolute");
	done();
	return 0;
}
