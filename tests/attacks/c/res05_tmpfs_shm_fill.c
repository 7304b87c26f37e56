/* RES-05 tmpfs-shm-fill: fill the sandbox's memory-backed file systems in
 * 1 MiB blocks until they refuse: /tmp and /dev/shm (64M tmpfs mounts:
 * ENOSPC), space held by an unlinked file that is still open, then a
 * memfd, which lives on no mount with a size: only the memory limit
 * (--memory 128M of the entry) can bound it.  As root the run's memory
 * cgroup is charged for the pages and its OOM killer ends the run
 * (memory-limit); without privilege RLIMIT_AS does not count page cache,
 * so the sandbox must bound a memfd some other way.  The memfd stops at
 * twice the limit whatever happens, and says so if it gets there. */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>

#define LIMIT (128L << 20)  /* --memory of the entry */
#define CEILING (2 * LIMIT) /* the memfds stop here whatever happens */
#define BLOCK (1L << 20)

static char block[BLOCK];

/* Writes blocks to fd until a write fails or max bytes are written;
 * returns the bytes written, errno set by the failed write (0 if none). */
static long fill(int fd, long max)
{
	long total = 0;
	errno = 0;
	while (total < max) {
		ssize_t n = write(fd, block, BLOCK);
		if (n < 0)
			return total;
		total += n;
		if (n < BLOCK) {
			errno = ENOSPC; /* a short write: the next one fails */
			return total;
		}
	}
	errno = 0;
	return total;
}

static void fill_dir(const char *dir, const char *label)
{
	char path[64], name[64];
	snprintf(path, sizeof(path), "%s/fill", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	long n = fill(fd, 1L << 30);
	int e = errno;
	note("%s: %ld MiB written", dir, n >> 20);
	snprintf(name, sizeof(name), "write-%s-until-fail", label);
	report(name, e ? -1 : 0, e);
	/* Unlinked, open: the space stays taken. */
	unlink(path);
	snprintf(path, sizeof(path), "%s/other", dir);
	int other = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	snprintf(name, sizeof(name), "write-%s-unlinked-held", label);
	report(name, write(other, block, BLOCK), errno);
	close(fd);
	snprintf(name, sizeof(name), "write-%s-after-close", label);
	report(name, write(other, block, BLOCK), errno);
	close(other);
	unlink(path);
}

int main(void)
{
	memset(block, 'f', sizeof(block));
	signal(SIGXFSZ, SIG_IGN); /* past RLIMIT_FSIZE: EFBIG, not death */
	fill_dir("/tmp", "tmp");
	fill_dir("/dev/shm", "shm");

	int fd = memfd_create("fill", 0);
	report("memfd-create", fd, errno);
	TRY("memfd-ftruncate-1T", ftruncate(fd, 1L << 40));
	long total = 0;
	int e = 0;
	while (fd >= 0 && total < CEILING) {
		long n = fill(fd, 64L << 20); /* a new memfd every 64 MiB */
		total += n;
		if (errno) {
			e = errno;
			break;
		}
		fd = memfd_create("fill", 0);
	}
	note("memfds: %ld MiB written", total >> 20);
	if (total >= CEILING)
		escaped("memfds hold %ld MiB with --memory %ld M", total >> 20,
			LIMIT >> 20);
	report("memfd-write-until-fail", e ? -1 : 0, e);
	done();
	return 0;
}
