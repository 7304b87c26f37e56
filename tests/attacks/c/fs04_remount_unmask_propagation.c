/* FS-04 remount-unmask-propagation: make a read-only bind writable again
 * (remount without MS_RDONLY, mount_setattr clearing RDONLY, NOSUID,
 * NODEV, NOEXEC), unmount what hides something (the binds over the root
 * tmpfs, /dev/null's bind), make / shared, and look in mountinfo for a
 * peer group shared with the host.  Every mount call is forbidden
 * (EPERM); the kernel would refuse them too (no capability, mounts locked
 * in a child user namespace).  No mount may carry "shared:": a peer group
 * would let mounts propagate between the sandbox and the host.
 *
 * Harmless if a call got through (on a broken sandbox these are the host's
 * mounts): every mount(2) gets an unreadable data pointer (EFAULT before
 * it acts), umount2 an unknown flag (EINVAL), mount_setattr an unreadable
 * attribute (EFAULT); the filter answers before it looks at any of them,
 * so the names say what each call stands for. */
#include "attack.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>

#define BAD_DATA ((void *)1)
#define BAD_UMOUNT_FLAG (1 << 30)

int main(void)
{
	/* 1. remount writable, and the new API's equivalent */
	TRY("remount-usr-rw",
	    mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, BAD_DATA));
	TRY("remount-canary-rw",
	    mount(NULL, canary("RO"), NULL, MS_REMOUNT | MS_BIND, BAD_DATA));
	TRY("remount-root-rw", mount(NULL, "/", NULL, MS_REMOUNT, BAD_DATA));
	TRY("remount-tmp-suid-dev",
	    mount(NULL, "/tmp", NULL, MS_REMOUNT | MS_BIND, BAD_DATA));
	/* clearing RDONLY, NOSUID, NODEV, NOEXEC: struct mount_attr */
	const char *clears[] = {"rdonly", "nosuid", "nodev", "noexec"};
	char name[64];
	for (size_t i = 0; i < sizeof(clears) / sizeof(clears[0]); i++) {
		snprintf(name, sizeof(name), "mount-setattr-clear-%s",
			 clears[i]);
		TRY(name, syscall(SYS_mount_setattr, AT_FDCWD, "/usr",
				  AT_RECURSIVE, BAD_DATA, 32));
	}
	/* a new bind of the read-only tree, writable: open_tree + move */
	TRY("open-tree-clone", syscall(SYS_open_tree, AT_FDCWD, "/usr",
				       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
	TRY("fsopen-tmpfs", syscall(SYS_fsopen, "tmpfs", 0));
	TRY("fspick-usr", syscall(SYS_fspick, AT_FDCWD, "/usr", 0));
	TRY("move-mount-bad-fd", syscall(SYS_move_mount, -1, "", AT_FDCWD,
					 "/tmp", MOVE_MOUNT_F_EMPTY_PATH));
	TRY("bind-usr-again", mount("/usr", "/tmp", NULL, MS_BIND, BAD_DATA));

	/* 2. unmount what covers something */
	TRY("umount-usr-detach", umount2("/usr", MNT_DETACH | BAD_UMOUNT_FLAG));
	TRY("umount-dev-null",
	    umount2("/dev/null", MNT_DETACH | BAD_UMOUNT_FLAG));
	TRY("umount-canary", umount2(canary("RO"), BAD_UMOUNT_FLAG));
	TRY("umount-proc", umount2("/proc", MNT_DETACH | BAD_UMOUNT_FLAG));
	TRY("umount-root", umount2("/", MNT_DETACH | BAD_UMOUNT_FLAG));

	/* 3. propagation */
	TRY("make-root-shared", mount(NULL, "/", NULL, MS_SHARED, BAD_DATA));
	TRY("make-root-rshared",
	    mount(NULL, "/", NULL, MS_SHARED | MS_REC, BAD_DATA));
	TRY("make-usr-slave", mount(NULL, "/usr", NULL, MS_SLAVE, BAD_DATA));

	/* 4. no peer group in mountinfo, and the binds still read-only */
	FILE *mi = fopen("/proc/self/mountinfo", "r");
	report("read-mountinfo", mi ? 0 : -1, errno);
	char line[4096];
	while (mi && fgets(line, sizeof(line), mi)) {
		char point[512], opts[512];
		if (sscanf(line, "%*u %*u %*u:%*u %*s %511s %511s", point,
			   opts) != 2)
			continue;
		const char *dash = strstr(line, " - ");
		const char *shared = strstr(line, " shared:");
		if (shared && (!dash || shared < dash))
			escaped("%s is in a shared peer group", point);
		int ro = strncmp(opts, "ro", 2) == 0 &&
			 (opts[2] == ',' || !opts[2]);
		if ((!strcmp(point, "/usr") || !strcmp(point, canary("RO")) ||
		     !strcmp(point, "/")) &&
		    !ro)
			escaped("%s is writable: %s", point, opts);
		if (!strstr(opts, "nosuid"))
			escaped("%s is not nosuid", point);
	}
	if (mi)
		fclose(mi);
	/* and a write still fails */
	long fd = TRY("write-usr-after",
		      open("/usr/fs04", O_WRONLY | O_CREAT | O_EXCL, 0644));
	if (fd >= 0) {
		escaped("created a file in /usr");
		unlink("/usr/fs04");
	}
	done();
	return 0;
}
