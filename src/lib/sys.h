/* sys.h - the raw system calls glibc 2.36 does not wrap, in one place.
 *
 * Each is a thin syscall(2) call: async-signal-safe, usable between clone
 * and execve, and the single spot to change when a kernel or libc drifts. */
#ifndef STK_SYS_H
#define STK_SYS_H

#include <errno.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#include <linux/openat2.h>

/* The namespaces the sandbox's first process is cloned into; the network
 * namespace comes from the helper (helper.c). */
#define SANDBOX_CLONE_NAMESPACES                                               \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |           \
	 CLONE_NEWUTS)

static inline pid_t sys_clone3(struct clone_args *args)
{
	return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int sys_openat2(int dirfd, const char *path, uint64_t flags,
			      uint64_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = flags, .mode = mode, .resolve = resolve};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static inline int sys_open_tree(int dirfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static inline int sys_move_mount(int from_dirfd, const char *from_path,
				 int to_dirfd, const char *to_path,
				 unsigned flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd,
			    to_path, flags);
}

static inline int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
				    struct mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr,
			    sizeof(*attr));
}

static inline int sys_fsopen(const char *fsname, unsigned flags)
{
	return (int)syscall(SYS_fsopen, fsname, flags);
}

static inline int sys_fsconfig(int fd, unsigned cmd, const char *key,
			       const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int sys_fsmount(int fd, unsigned flags, unsigned attrs)
{
	return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static inline int sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* waitid with the rusage argument glibc leaves out. */
static inline int sys_waitid(int idtype, int id, siginfo_t *info, int options,
			     struct rusage *ru)
{
	return (int)syscall(SYS_waitid, idtype, id, info, options, ru);
}

struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
#define CAP_VERSION_3 0x20080522

static inline int sys_capset(const struct cap_data data[2])
{
	struct cap_header h = {CAP_VERSION_3, 0};
	return (int)syscall(SYS_capset, &h, data);
}

static inline int sys_capget(struct cap_data data[2])
{
	struct cap_header h = {CAP_VERSION_3, 0};
	return (int)syscall(SYS_capget, &h, data);
}

/* The credential calls of the child, raw: glibc's setgroups, setresgid
 * and setresuid change every thread of the process (__nptl_setxid), and
 * in a child cloned from a threaded caller they wait for threads it does
 * not have - for ever when one was being created at the clone. */
static inline int sys_setgroups_none(void)
{
	return (int)syscall(SYS_setgroups, 0, NULL);
}

static inline int sys_setresgid(gid_t gid)
{
	return (int)syscall(SYS_setresgid, gid, gid, gid);
}

static inline int sys_setresuid(uid_t uid)
{
	return (int)syscall(SYS_setresuid, uid, uid, uid);
}

/* All of len bytes to fd, across short writes and EINTR; 0 or -1.
 * Async-signal-safe, for the child as for the supervisor. */
static inline int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A small file's text, NUL-terminated in buf (of size > 0): the bytes
 * read, or -1 with buf "".  One open, one read, one close, each
 * async-signal-safe, so the child may use it between clone and execve;
 * what does not fit in size - 1 bytes is not read. */
static inline ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

#endif
