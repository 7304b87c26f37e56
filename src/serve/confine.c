/* confine.c - the front's own sandbox, made once its socket listens.
 *
 * The front parses what anyone on the network sends, so it is the part
 * to expect a memory-safety bug in.  Before it reads a byte it becomes
 * the configured unprivileged user (when started as root), sets
 * no_new_privs, gives up every file-system access and any new TCP bind
 * or connect (Landlock), and keeps a short list of system calls
 * (seccomp, the process killed on any other).  What it keeps is what an
 * event loop over sockets needs; it cannot open a file, start a process,
 * make a socket or signal anyone but itself.  Whatever a bug there gets,
 * the runner still decodes and re-checks every job (runner.c). */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <grp.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Landlock's newest UAPI, as far as the front uses it (Debian 12's
 * headers stop at ABI 3). */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
#define FS_ALL_ABI1 ((1ULL << 13) - 1)
#define FS_REFER (1ULL << 13)	    /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)    /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15)   /* ABI 5 */
#define NET_ALL ((1ULL << 2) - 1)   /* ABI 4: bind and connect TCP */
#define SCOPE_ALL ((1ULL << 2) - 1) /* ABI 6: abstract unix, signals */

static int drop_user(const struct serve_config *c, char *why, size_t size)
{
	if (getuid() != 0)
		return 0;
	uid_t r, e, s;
	if (setgroups(0, NULL) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
	    setresuid(c->uid, c->uid, c->uid) < 0 ||
	    getresuid(&r, &e, &s) < 0 || r != c->uid || e != c->uid ||
	    s != c->uid) {
		snprintf(why, size, "becoming user %s: %s", c->user,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int landlock(char *why, size_t size)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		snprintf(why, size, "Landlock is not available");
		return -1;
	}
	struct ruleset_attr attr = {.handled_access_fs = FS_ALL_ABI1};
	if (abi >= 2)
		attr.handled_access_fs |= FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= FS_TRUNCATE;
	if (abi >= 4)
		attr.handled_access_net = NET_ALL;
	if (abi >= 5)
		attr.handled_access_fs |= FS_IOCTL_DEV;
	if (abi >= 6)
		attr.scoped = SCOPE_ALL;
	size_t attr_size = abi >= 6   ? sizeof(attr)
			   : abi >= 4 ? offsetof(struct ruleset_attr, scoped)
				      : sizeof(uint64_t);
	/* no rule: nothing of the file system, no new TCP endpoint */
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		snprintf(why, size, "Landlock: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The calls of an event loop over sockets that already exist, of glibc,
 * jansson and libmicrohttpd; nothing else. */
static const int allowed[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(close),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(mprotect),
	SCMP_SYS(brk),
	SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(accept4),
	SCMP_SYS(accept),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(shutdown),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	SCMP_SYS(fcntl),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(getrandom),
	SCMP_SYS(memfd_create),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(sched_yield),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(ioctl),
	SCMP_SYS(sigaltstack),
};

/* The sanitizers' runtime forks a symbolizer and traces for leaks: in
 * their build (make SAN=1, a test build) a call off the list fails with
 * ENOSYS instead of ending the front, so that their report gets out. */
#ifdef STK_SANITIZED
#define OFF_THE_LIST SCMP_ACT_ERRNO(ENOSYS)
#else
#define OFF_THE_LIST SCMP_ACT_KILL_PROCESS
#endif

static int filter(char *why, size_t size)
{
	scmp_filter_ctx ctx = seccomp_init(OFF_THE_LIST);
	int r = ctx ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(*allowed);
	     i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* abort() signals itself; nothing else may be signalled */
	struct scmp_arg_cmp self = {.arg = 0,
				    .op = SCMP_CMP_EQ,
				    .datum_a = (scmp_datum_t)getpid(),
				    .datum_b = 0};
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     self);
	/* a file glibc looks for (a locale, the time zone) is refused,
	 * not fatal; Landlock refuses it anyway */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
				     SCMP_SYS(openat), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	if (r < 0)
		snprintf(why, size, "seccomp: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}

int confine_front(const struct serve_config *c, char *why, size_t size)
{
	if (drop_user(c, why, size) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(why, size, "prctl: %s", strerror(errno));
		return -1;
	}
	/* Only Landlock may be missing, and only when asked: a kernel
	 * without it still gets the user, no_new_privs and the filter. */
	if (landlock(why, size) < 0) {
		if (!c->best_effort_confine)
			return -1;
		serve_log("front: %s; going on (confine = best-effort)", why);
	}
	return filter(why, size);
}
