/* SYS-12 mount-apis: every way to change the mount table is forbidden
 * (EPERM): mount, umount2, pivot_root, chroot, the new mount API (fsopen,
 * fspick, fsconfig, fsmount, open_tree, move_mount, mount_setattr).
 * open_tree_attr (nr 467) and the read-only listmount/statmount (458,
 * 457) are newer than the policy's names: ENOSYS.  The mount table seen
 * inside is the same afterwards (the host's is checked by the harness). */
#include "attack.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif

int main(void)
{
	static char before[65536], after[65536];
	read_text("/proc/self/mountinfo", before, sizeof(before));
	mkdir("/tmp/x", 0755);

	TRY("mount-tmpfs", mount("none", "/tmp/x", "tmpfs", 0, ""));
	TRY("mount-remount-root-rw",
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
	TRY("mount-bind-usr", mount("/usr", "/tmp/x", NULL, MS_BIND, NULL));
	TRY("mount-make-shared",
	    mount(NULL, "/", NULL, MS_SHARED | MS_REC, NULL));
	TRY("umount2-proc-detach", umount2("/proc", MNT_DETACH));
	TRY("umount2-usr", umount2("/usr", 0));
	TRY("pivot-root-dot", syscall(SYS_pivot_root, ".", "."));
	TRY("chroot-tmp", chroot("/tmp"));

	long fd = TRY("fsopen-tmpfs", syscall(SYS_fsopen, "tmpfs", 0));
	if (fd >= 0)
		close(fd);
	fd = TRY("fspick-root", syscall(SYS_fspick, AT_FDCWD, "/", 0));
	if (fd >= 0)
		close(fd);
	TRY("fsconfig-badfd",
	    syscall(SYS_fsconfig, -1, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	TRY("fsmount-badfd", syscall(SYS_fsmount, -1, 0, 0));
	fd = TRY("open-tree-clone-recursive",
		 syscall(SYS_open_tree, AT_FDCWD, "/",
			 OPEN_TREE_CLONE | AT_RECURSIVE));
	if (fd >= 0)
		close(fd);
	fd = TRY("open-tree-attr-clone",
		 syscall(SYS_open_tree_attr, AT_FDCWD, "/", OPEN_TREE_CLONE,
			 NULL, 0));
	if (fd >= 0)
		close(fd);
	TRY("move-mount-badfd", syscall(SYS_move_mount, -1, "", AT_FDCWD,
					"/tmp/x", MOVE_MOUNT_F_EMPTY_PATH));
	struct mount_attr attr = {.attr_clr = MOUNT_ATTR_RDONLY};
	TRY("mount-setattr-root-clear-rdonly",
	    syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr,
		    sizeof(attr)));
	struct mount_attr attr2 = {.attr_clr = MOUNT_ATTR_NOSUID |
					       MOUNT_ATTR_NODEV};
	TRY("mount-setattr-tmp-clear-nosuid",
	    syscall(SYS_mount_setattr, AT_FDCWD, "/tmp", 0, &attr2,
		    sizeof(attr2)));
	TRY("statmount-badptr",
	    syscall(SYS_statmount, (void *)1, (void *)1, 64, 0));
	TRY("listmount-badptr",
	    syscall(SYS_listmount, (void *)1, (void *)1, 8, 0));

	read_text("/proc/self/mountinfo", after, sizeof(after));
	if (strcmp(before, after) != 0)
		escaped("the mount table inside changed");
	done();
	return 0;
}
