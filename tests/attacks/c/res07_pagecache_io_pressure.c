/* RES-07 pagecache-io-pressure: noisy-neighbour I/O, measured rather than
 * blocked: read /usr over and over, write and fsync a big file, O_DIRECT,
 * sync() and syncfs() in a loop (host-wide writeback: the policy has
 * neither, ENOSYS), posix_fadvise(DONTNEED) on the host's own read-only
 * files (allowed: it drops clean cache pages, which the host reads back),
 * and /proc/sys/vm/drop_caches, which must not open for writing.  Every
 * loop is bounded in time; the neighbour sandbox (H8) must keep beating. */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>

static long read_tree(const char *dir, double until, char *buf, size_t size)
{
	long total = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && monotonic_now() < until) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			total += read_tree(path, until, buf, size);
			continue;
		}
		if (e->d_type != DT_REG)
			continue;
		int fd = open(path, O_RDONLY | O_NOFOLLOW);
		if (fd < 0)
			continue;
		ssize_t n;
		while ((n = read(fd, buf, size)) > 0)
			total += n;
		close(fd);
	}
	closedir(d);
	return total;
}

int main(void)
{
	static char buf[1 << 20];
	double until = monotonic_now() + 0.3;
	long total = 0;
	while (monotonic_now() < until)
		total += read_tree("/usr/lib", until, buf, sizeof(buf));
	note("read %ld MiB of /usr/lib in 0.3 s", total >> 20);
	report("read-usr", total > 0 ? 0 : -1, EIO);

	int fd = open("/tmp/big", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	report("open-tmp-big", fd, errno);
	long written = 0;
	for (int i = 0; i < 16 && write(fd, buf, sizeof(buf)) > 0; i++)
		written += sizeof(buf);
	report("write-16M", written == 16L << 20 ? 0 : -1, errno);
	TRY("fsync", fsync(fd));
	TRY("fdatasync", fdatasync(fd));
	close(fd);
	unlink("/tmp/big");
	fd = open("/tmp/direct", O_WRONLY | O_CREAT | O_DIRECT, 0600);
	/* tmpfs's answer depends on the kernel: a note, not an attempt. */
	note("O_DIRECT open on tmpfs: %s",
	     fd < 0 ? strerrorname_np(errno) : "ok");
	if (fd >= 0)
		close(fd);
	unlink("/tmp/direct");

	/* A tight loop of both: each refusal goes through the supervisor. */
	fd = open("/usr", O_RDONLY | O_DIRECTORY);
	int n = 0;
	double sync_until = monotonic_now() + 0.2;
	for (; n < 100000 && monotonic_now() < sync_until; n++)
		if (syscall(SYS_sync) == 0 || syscall(SYS_syncfs, fd) == 0)
			break; /* it works: the attempts below say so */
	note("%d rounds of sync and syncfs", n);
	TRY("sync", syscall(SYS_sync));
	TRY("syncfs-usr", syscall(SYS_syncfs, fd));
	close(fd);

	fd = open("/usr/bin/python3", O_RDONLY);
	report("open-host-file", fd, errno);
	TRY("fadvise-dontneed-host-file",
	    syscall(SYS_fadvise64, fd, 0L, 0L, 4 /* POSIX_FADV_DONTNEED */));
	close(fd);
	TRY("open-drop-caches-write",
	    open("/proc/sys/vm/drop_caches", O_WRONLY));
	done();
	return 0;
}
