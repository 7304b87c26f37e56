/* RES-21 kernel-buffers: memory the kernel holds behind descriptors, which
 * no address-space limit counts.  Without a memory cgroup (unprivileged)
 * a unix socket pair grew to 8 MiB with SO_SNDBUF, and 16 of them held
 * 125 MiB under --memory 64M.  The sandbox keeps every buffer at its
 * default there (SO_SNDBUF, SO_RCVBUF, F_SETPIPE_SZ refused), keeps the
 * queues of its own network namespace short, and counts each descriptor
 * against the memory limit (RLIMIT_NOFILE <= --memory / 2 MiB); as root
 * the cgroup counts the buffers, and nothing is refused.
 *
 * Then each of argv[1] processes (default 3, with this one) fills every
 * descriptor it may open: socket pairs full both ways, a listener whose
 * backlog holds connections whose clients wrote and closed, a datagram
 * socket whose senders closed, pipes.  It holds them until the wall limit.
 * tests/e2e/test_limits.py measures the host's MemAvailable meanwhile. */
#include "attack.h"

#include <sys/resource.h>
#include <sys/un.h>

#define MEMORY (128L << 20) /* --memory of the entry */
#define DESCRIPTOR_COST (2L << 20)

static char block[256 << 10];

/* Writes until the socket or pipe is full, its buffer grown first where
 * the sandbox lets it; the bytes it took. */
static long fill(int fd, size_t chunk)
{
	long total = 0;
	ssize_t n;
	int big = 8 << 20;
	(void)!setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	(void)!setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	(void)!fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = write(fd, block, chunk)) > 0)
		total += n;
	return total;
}

/* A listener at a path of its own, its backlog full of connections whose
 * clients wrote what they could and closed; and a datagram socket whose
 * queue holds messages of senders that closed.  Returns the descriptors
 * it keeps (2), or -1 at EMFILE. */
static int fill_queues(int i, long *held)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/res17-%d-%d",
		 (int)getpid(), i);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1024) < 0)
		return -1;
	for (int k = 0; k < 64; k++) {
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c < 0)
			return -1;
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(c);
			break; /* the backlog is full */
		}
		*held += fill(c, 65536);
		close(c);
	}
	unlink(a.sun_path);
	int d[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) < 0)
		return -1;
	for (int k = 0; k < 64; k++) {
		int s = dup(d[0]);
		if (s < 0)
			return -1;
		long n = fill(s, 200000);
		close(s);
		if (n == 0)
			break;
		*held += n;
	}
	close(d[0]);
	return 2;
}

/* who: NULL for a process that says nothing. */
static void fill_everything(const char *who)
{
	long held = 0;
	int fds = 0, last = 0;
	for (int i = 0;; i++) {
		int p[2];
		if (i % 8 == 0) {
			int kept = fill_queues(i, &held);
			if (kept < 0) {
				last = errno;
				break;
			}
			fds += kept;
		}
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0) {
			last = errno;
			break;
		}
		held += fill(p[0], 65536) + fill(p[1], 65536);
		fds += 2;
		if (pipe(p) < 0) {
			last = errno;
			break;
		}
		held += fill(p[1], 65536);
		fds += 2;
	}
	if (!who)
		return;
	note("%s: %d descriptors hold %ld MiB", who, fds, held >> 20);
	report("fill-until-emfile", -1, last);
}

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 3;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int big = 8 << 20;
	TRY("setsockopt-sndbuf-8M",
	    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
	TRY("setsockopt-rcvbuf-8M",
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)));
	TRY("setsockopt-sndbufforce-8M",
	    setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)));
	/* The level is an int: the kernel reads its low 32 bits, SOL_SOCKET. */
	TRY("setsockopt-sndbuf-level-highbits",
	    syscall(SYS_setsockopt, s, 0x100000000L | SOL_SOCKET, SO_SNDBUF,
		    &big, sizeof(big)));
	int one = 1;
	TRY("setsockopt-keepalive",
	    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	close(s);
	int p[2];
	if (pipe(p) == 0) {
		TRY("fcntl-setpipe-sz-1M", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
		TRY("fcntl-getpipe-sz", fcntl(p[1], F_GETPIPE_SZ));
		close(p[0]);
		close(p[1]);
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	/* Without a memory cgroup the descriptors must fit the limit. */
	report("nofile-within-memory",
	       (long)rl.rlim_cur * DESCRIPTOR_COST <= MEMORY ? 0 : -1, E2BIG);

	int filled[2];
	if (pipe(filled) < 0)
		return 1;
	int forked = 0;
	for (int i = 1; i < procs; i++, forked++) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			fill_everything(NULL);
			(void)!write(filled[1], "", 1);
			pause();
			_exit(0);
		}
	}
	fill_everything("this process");
	char c;
	for (int i = 0; i < forked && read(filled[0], &c, 1) == 1; i++)
		;
	note("%d processes full", forked + 1);
	puts("done");
	fflush(stdout);
	pause();
	return 0;
}
