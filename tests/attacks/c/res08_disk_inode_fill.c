/* RES-08 disk-inode-fill: exhaust what a writable file system has: inodes
 * (files, directories, symbolic links until ENOSPC at the tmpfs's
 * nr_inodes), names (256 bytes: ENAMETOOLONG), depth (1000 nested
 * directories of 16-byte names work, but no path of PATH_MAX reaches them:
 * ERANGE; deeper costs time only, as Landlock walks every path up to its
 * root: 10 000 levels took 4.5 s here), space (fallocate of 1 TiB, with
 * and without KEEP_SIZE, and a write past the limit with SIGXFSZ ignored:
 * EFBIG at RLIMIT_FSIZE; files below it until ENOSPC at the tmpfs's size),
 * and at last a write past the file-size limit (--file-size 8M of the
 * entry) with SIGXFSZ's default action: it dies of SIGXFSZ (verdict
 * signal: stockade cannot tell the kernel's SIGXFSZ from a forged one).
 * The only writable mounts are tmpfs; nothing reaches a disk of the host. */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#define FILE_SIZE (8L << 20) /* --file-size of the entry */
#define CEILING 50000	     /* inodes: the loop stops here */

static char block[1 << 20];

int main(void)
{
	memset(block, 'd', sizeof(block));
	mkdir("/tmp/inodes", 0700);
	int dir = open("/tmp/inodes", O_RDONLY | O_DIRECTORY);
	int made = 0, r = 0;
	char name[300];
	for (; made < CEILING; made++) {
		snprintf(name, sizeof(name), "%d", made);
		switch (made % 3) {
		case 0:
			r = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL,
				   0600);
			if (r >= 0)
				r = close(r);
			break;
		case 1:
			r = mkdirat(dir, name, 0700);
			break;
		case 2:
			r = symlinkat("target", dir, name);
			break;
		}
		if (r < 0)
			break;
	}
	note("%d inodes made", made);
	report("inodes-until-fail", made < CEILING ? -1 : 0, errno);
	for (int i = 0; i < made; i++) {
		snprintf(name, sizeof(name), "%d", i);
		unlinkat(dir, name, i % 3 == 1 ? AT_REMOVEDIR : 0);
	}

	memset(name, 'n', 256);
	name[256] = '\0';
	TRY("name-256", openat(dir, name, O_WRONLY | O_CREAT, 0600));
	name[255] = '\0';
	int fd = TRY("name-255", openat(dir, name, O_WRONLY | O_CREAT, 0600));
	close(fd);
	unlinkat(dir, name, 0);

	int depth = 0;
	for (; depth < 1000; depth++)
		if (mkdir("dddddddddddddddd", 0700) < 0 ||
		    chdir("dddddddddddddddd") < 0)
			break;
	note("%d directories deep", depth);
	report("nest-1000", depth == 1000 ? 0 : -1, errno);
	char cwd[4096];
	TRY("getcwd-deep", getcwd(cwd, sizeof(cwd)) ? 0 : -1);
	chdir("/tmp");

	signal(SIGXFSZ, SIG_IGN);
	fd = open("/tmp/space", O_RDWR | O_CREAT | O_TRUNC, 0600);
	TRY("fallocate-keep-size-1T",
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1L << 40));
	TRY("fallocate-1T", fallocate(fd, 0, 0, 1L << 40));
	TRY("write-past-file-size-ignored",
	    pwrite(fd, block, sizeof(block), FILE_SIZE));
	close(fd);
	unlink("/tmp/space");

	/* Files just below the file-size limit until the tmpfs is full. */
	int files = 0;
	ssize_t n = 0;
	for (; files < 64 && n >= 0; files++) {
		snprintf(name, sizeof(name), "/tmp/fill%d", files);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		for (int i = 0;
		     i < 7 && (n = write(fd, block, sizeof(block))) > 0; i++)
			;
		close(fd);
	}
	report("write-until-fail", n, errno);
	for (int i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "/tmp/fill%d", i);
		unlink(name);
	}

	/* Past the limit with SIGXFSZ's default action: the end of the run. */
	signal(SIGXFSZ, SIG_DFL);
	fd = open("/tmp/past", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	long total = 0;
	while (total <= FILE_SIZE && write(fd, block, sizeof(block)) > 0)
		total += sizeof(block);
	report("write-past-file-size", -1, errno);
	escaped("wrote %ld MiB past --file-size 8M and lived", total >> 20);
	done();
	return 0;
}
