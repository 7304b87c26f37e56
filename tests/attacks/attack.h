/* attack.h - what the attack programs of tests/attacks share.
 *
 * An attack program makes its attempts one after another and prints one
 * line per attempt, "NAME RESULT": RESULT is "ok" when the call succeeded,
 * else the errno's name ("EPERM").  The harness (test_attacks.py) judges
 * the lines against the expected outcome of corpus.py; the program itself
 * never decides whether the sandbox held.  Lines starting with "#" are
 * notes for people.  A program that sees the real goal reached (it read
 * the secret token, a host file changed) prints "ESCAPED what", which
 * fails the attack whatever else happens.  The last line is "done".
 *
 * Arguments are harmless where the call is not filtered: a bad fd (-1) or
 * pointer makes an unfiltered call fail with EBADF or EFAULT, which the
 * harness tells apart from the filter's EPERM or ENOSYS (the trick of
 * bubblewrap's try-syscall.c).
 *
 * Where the canaries are comes in the environment (the harness sets it with
 * --env): CANARY_SECRET (a host file outside every bind), CANARY_RO (a host
 * tree bound read-only, at its path inside), CANARY_TCP_PORT (listeners on
 * host 127.0.0.1 and ::1), CANARY_UDP_PORT (a fake DNS server on host
 * 127.0.0.1), CANARY_ABSTRACT (an abstract unix socket name of the host),
 * CANARY_UNIX (a pathname unix socket of the host), CANARY_PID (a host
 * process). */
#ifndef ATTACK_H
#define ATTACK_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Address families an older C library does not name. */
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Prints "name result" for a call that returned r with errno e. */
static inline long report(const char *name, long r, int e)
{
	const char *what = r >= 0 ? "ok" : strerrorname_np(e);
	printf("%s %s\n", name, what ? what : "E?");
	fflush(stdout);
	return r;
}

/* TRY("name", call): runs call, reports it, and is its value.  errno is
 * read right after the call, before anything else can change it. */
#define TRY(name, call)                                                        \
	({                                                                     \
		errno = 0;                                                     \
		long try_r_ = (long)(call);                                    \
		report((name), try_r_, errno);                                 \
	})

/* A note for people: not judged. */
__attribute__((format(printf, 1, 2))) static inline void note(const char *fmt,
							      ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* The goal was reached: the attack succeeded. */
__attribute__((format(printf, 1, 2))) static inline void
escaped(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ESCAPED ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline void done(void)
{
	puts("done");
	fflush(stdout);
}

/* A canary's value from the environment; "" when the harness gave none. */
static inline const char *canary(const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "CANARY_%s", name);
	const char *v = getenv(key);
	return v ? v : "";
}

/* report() for a raw kernel return: -4095..-1 is an errno, else a result. */
static inline long report_raw(const char *name, long r)
{
	int failed = r < 0 && r > -4096;
	return report(name, failed ? -1 : r, failed ? (int)-r : 0);
}

/* An i386 system call by int $0x80; the compat entry clobbers r8-r11. */
static inline long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

/* Reads path into buf, NUL-ended: its length, or -1 with errno (to TRY). */
static inline ssize_t read_text(const char *path, char *buf, size_t size)
{
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n = 0;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	int e = errno;
	close(fd);
	errno = e;
	buf[len] = '\0';
	return n < 0 ? -1 : (ssize_t)len;
}

/* The value of a "Key:" line of a /proc/PID/status text, or -1 and "". */
static inline int status_field(const char *status, const char *key, char *out,
			       size_t size)
{
	out[0] = '\0';
	const char *p = strstr(status, key);
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	size_t len = strcspn(p, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

/* The pids /proc shows (this pid namespace), at most max; how many. */
static inline int own_pids(pid_t *own, int max)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) && n < max)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			own[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	return n;
}

/* Whether pid is one of the n pids in own. */
static inline int is_own(pid_t pid, const pid_t *own, int n)
{
	for (int i = 0; i < n; i++)
		if (own[i] == pid)
			return 1;
	return 0;
}

/* "kill0-scan-foreign-pids": no pid first..65535 but own's may resolve. */
static inline void scan_foreign_pids(pid_t first, const pid_t *own, int n)
{
	int foreign = 0;
	for (pid_t pid = first; pid <= 65535; pid++)
		if (!is_own(pid, own, n) &&
		    (kill(pid, 0) == 0 || errno != ESRCH))
			foreign++;
	report("kill0-scan-foreign-pids", foreign ? 0 : -1, ESRCH);
	if (foreign)
		escaped("%d pids outside the sandbox's /proc resolve", foreign);
}

/* A raw clone(flags): a child that got through exits at once, reaped. */
static inline long clone_raw(unsigned long flags)
{
	long r = syscall(SYS_clone, flags, 0, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	return r;
}

/* clone3, its flags in memory where seccomp cannot read them; as clone_raw. */
static inline long clone3_raw(unsigned long long flags)
{
	struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

/* The monotonic clock, in seconds. */
static inline double monotonic_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Burns CPU for seconds of wall time; no timer of its own can stop it. */
static inline void spin_for(int seconds)
{
	struct timespec start, t;
	clock_gettime(CLOCK_MONOTONIC, &start);
	volatile unsigned long n = 0;
	do {
		for (int i = 0; i < 1000000; i++)
			n++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - start.tv_sec < seconds);
}

/* Nests depth dirs "d" in top through fds, past PATH_MAX; how deep it got. */
static inline int dir_chain(const char *top, int depth)
{
	int dir = open(top, O_RDONLY | O_DIRECTORY);
	int made = 0;
	for (; made < depth; made++) {
		if (mkdirat(dir, "d", 0755) < 0)
			break;
		int next = openat(dir, "d", O_RDONLY | O_DIRECTORY);
		close(dir);
		if (next < 0)
			break;
		dir = next;
	}
	int e = errno;
	close(dir);
	errno = e;
	return made;
}

#endif
