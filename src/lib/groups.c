/* groups.c - the system calls a sandboxed program may make, in named
 * groups, and the ones it must never reach.
 *
 * This file is the syscall policy as data: a reviewer audits these tables,
 * not code.  A group is a promise, like OpenBSD's pledge: "basic-io" lets a
 * program use the fds it has, "file-system" lets it work with the files
 * its mounts show it, and so on.  The default policy turns on every group
 * marked default; a profile or --allow adds the others, --deny removes a
 * group or a single call.  Calls with argument rules (clone, socket,
 * ioctl, personality) are allowed here only in the forms seccomp.c lets
 * through; the table below says which. */
#include "groups.h"

#include <seccomp.h>

#include <stddef.h>
#include <string.h>

#define CALLS(...) ((const char *const[]){__VA_ARGS__, NULL})

const struct syscall_group stk_groups[] = {
	{
		"base",
		"what every process needs to start and end: execve, exit, "
		"memory, signals to itself (cannot be denied)",
		CALLS("execve", "exit", "exit_group", "brk", "mmap", "munmap",
		      "mprotect", "arch_prctl", "set_tid_address",
		      "set_robust_list", "rseq", "rt_sigreturn", "getrandom",
		      "uname", "close", "read", "write", "fstat", "newfstatat",
		      "openat", "pread64", "access", "faccessat", "faccessat2",
		      "prlimit64" /* own limits only */, "getpid", "gettid",
		      "futex",
		      /* The kernel makes a call a signal interrupted (a futex
		       * or nanosleep with a timeout) go on through this one:
		       * refused, glibc aborts ("The futex facility returned
		       * an unexpected error code"). */
		      "restart_syscall"),
		true,
		true,
	},
	{
		"basic-io",
		"use and pass on open fds: read, write, poll, pipes, dup",
		CALLS("readv", "writev", "pwrite64", "preadv", "preadv2",
		      "pwritev", "pwritev2", "lseek", "close_range", "dup",
		      "dup2", "dup3", "fcntl" /* no leases, no dnotify */,
		      "pipe", "pipe2", "poll", "ppoll", "select", "pselect6",
		      "epoll_create", "epoll_create1", "epoll_ctl",
		      "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd",
		      "eventfd2", "sendfile", "splice", "tee",
		      "copy_file_range", "fsync", "fdatasync",
		      "sync_file_range", "fadvise64", "readahead", "flock",
		      "ioctl" /* not TIOCSTI, ...: seccomp.c */),
		true,
		false,
	},
	{
		"file-system",
		"work with the files the mounts show: open, stat, list, "
		"create, rename, remove, links, modes, read xattrs",
		/* Not here: inotify, which would watch host inodes the binds
		 * share (host activity in /usr); setting xattrs, whose kernel
		 * memory no tmpfs size bounds; sync and syncfs, which flush
		 * the host's file systems. */
		/* openat2 neither: its mode is in memory no filter reads. */
		CALLS("open", "creat", "stat", "lstat", "statx", "statfs",
		      "fstatfs", "getdents", "getdents64", "getcwd", "chdir",
		      "fchdir", "readlink", "readlinkat", "mkdir", "mkdirat",
		      "rmdir", "unlink", "unlinkat", "rename", "renameat",
		      "renameat2", "link", "linkat", "symlink", "symlinkat",
		      "chmod", "fchmod", "fchmodat", "chown", "fchown",
		      "fchownat", "lchown", "truncate", "ftruncate", "utime",
		      "utimes", "utimensat", "futimesat", "umask", "fallocate",
		      "mknod", "mknodat",
		      /* modes without setuid and setgid: seccomp.c */
		      "getxattr", "lgetxattr", "fgetxattr", "listxattr",
		      "llistxattr", "flistxattr"),
		true,
		false,
	},
	{
		"process",
		"start, wait for and identify processes; ids, limits, "
		"scheduling (clone without namespace flags)",
		CALLS("fork", "vfork", "clone" /* no namespace flags */,
		      "execveat", "wait4", "waitid", "getppid", "getpgid",
		      "getpgrp", "setpgid", "getsid", "setsid",
		      "get_robust_list", "prctl" /* not PR_SET_SECCOMP */,
		      "getuid", "geteuid", "getgid", "getegid", "getresuid",
		      "getresgid", "getgroups", "setuid", "setgid", "setreuid",
		      "setregid", "setresuid", "setresgid", "setgroups",
		      "setfsuid", "setfsgid", "capget", "capset", "getrlimit",
		      "setrlimit", "getrusage", "times", "sched_yield",
		      "sched_getaffinity", "sched_setaffinity",
		      "sched_getparam", "sched_setparam", "sched_getscheduler",
		      "sched_setscheduler", "sched_get_priority_max",
		      "sched_get_priority_min", "sched_rr_get_interval",
		      "getpriority", "setpriority",
		      "personality" /* the query only */, "pidfd_open",
		      "pidfd_send_signal", "sysinfo", "membarrier", "getcpu",
		      "futex_waitv", "ioprio_get"),
		true,
		false,
	},
	{
		"signals",
		"handle, block, wait for and send signals (to processes of "
		"the sandbox: its pid namespace is all it sees)",
		CALLS("rt_sigaction", "rt_sigprocmask", "rt_sigpending",
		      "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
		      "rt_sigsuspend", "sigaltstack", "kill", "tgkill", "tkill",
		      "pause", "alarm", "signalfd", "signalfd4"),
		true,
		false,
	},
	{
		"memory",
		"map, protect, lock and advise memory",
		CALLS("mremap", "madvise", "msync", "mincore", "mlock",
		      "mlock2", "munlock", "mlockall", "munlockall",
		      "pkey_alloc", "pkey_free", "pkey_mprotect",
		      "remap_file_pages"),
		true,
		false,
	},
	{
		"time",
		"read clocks, sleep, timers",
		CALLS("clock_gettime", "clock_getres", "clock_nanosleep",
		      "nanosleep", "gettimeofday", "time", "timer_create",
		      "timer_settime", "timer_gettime", "timer_getoverrun",
		      "timer_delete", "timerfd_create", "timerfd_settime",
		      "timerfd_gettime", "getitimer", "setitimer"),
		true,
		false,
	},
	{
		"local-ipc",
		"unix sockets, private to the sandbox's namespaces",
		/* Not the POSIX message queue calls: Landlock refuses to open
		 * a file of the mqueue file system, which has no path a rule
		 * could grant, so mq_open could only fail (EACCES); as calls
		 * the policy does not know they fail clearly, with ENOSYS. */
		CALLS("socket" /* AF_UNIX; more with network */,
		      "socketpair" /* AF_UNIX */, "bind", "connect", "listen",
		      "accept", "accept4", "getsockname", "getpeername",
		      "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
		      "recvmmsg", "shutdown", "setsockopt", "getsockopt"),
		true,
		false,
	},
	{
		"shared-memory",
		"memory the kernel holds for a program outside its mappings: "
		"memfd, System V shared memory, semaphores and message "
		"queues, socket and pipe buffers grown past their defaults "
		"(off when no cgroup bounds a run's memory)",
		/* Without a memory cgroup, --memory is RLIMIT_AS, which
		 * counts a process's mappings only: a memfd or a System V
		 * segment holds its pages unmapped, a semaphore set or a
		 * message queue its slab, beyond any limit (the attack
		 * corpus's RES-05, RES-06 and RES-17).  Off, the buffers a
		 * socket or a pipe may grow to stay at the kernel's
		 * defaults: setsockopt's SO_SNDBUF, SO_RCVBUF and their
		 * FORCE forms and fcntl's F_SETPIPE_SZ are refused
		 * (seccomp.c), and the run's descriptors are counted against
		 * the memory limit (limits.c).  Files in /tmp and /dev/shm
		 * are bounded by their tmpfs size instead. */
		CALLS("memfd_create", "shmget", "shmat", "shmdt", "shmctl",
		      "semget", "semop", "semtimedop", "semctl", "msgget",
		      "msgsnd", "msgrcv", "msgctl"),
		true,
		false,
	},
	{
		"network",
		"IPv4 and IPv6 sockets, route netlink to read the interfaces "
		"(the sandbox's own network namespace: loopback only for now)",
		CALLS("socket" /* AF_INET, AF_INET6, NETLINK_ROUTE */),
		false,
		false,
	},
	{
		"terminals",
		"pseudo-terminals of the sandbox's own: a private devpts at "
		"/dev/pts, /dev/ptmx and /dev/tty (a mount: no calls)",
		/* The instance holds only the terminals the sandbox opens;
		 * the ioctls that reach past one (TIOCSTI, TIOCLINUX) or
		 * load a line discipline (TIOCSETD) stay refused. */
		(const char *const[]){NULL},
		false,
		false,
	},
};

const size_t stk_n_groups = sizeof(stk_groups) / sizeof(stk_groups[0]);

/* Never reachable, whatever the policy: each one is kernel attack surface
 * or a way around another layer (DESIGN.md §2.7, attacks.md §3.3).  They
 * fail with EPERM, and the record names them. */
const char *const stk_dangerous_syscalls[] = {
	/* kernel interfaces with a history of escapes */
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"keyctl",
	"add_key",
	"request_key",
	/* reaching other processes' memory */
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_getfd",
	"kcmp",
	/* mounts, old and new API, and namespaces */
	"mount",
	"umount2",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"open_tree",
	"move_mount",
	"mount_setattr",
	"unshare",
	"setns",
	"pivot_root",
	"chroot",
	/* files by handle, around the mount namespace */
	"open_by_handle_at",
	"name_to_handle_at",
	/* the CPU and the hardware */
	"modify_ldt",
	"iopl",
	"ioperm",
	/* the whole machine */
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"reboot",
	"swapon",
	"swapoff",
	"acct",
	"quotactl",
	"quotactl_fd",
	"clock_settime",
	"clock_adjtime",
	"settimeofday",
	"adjtimex",
	"syslog",
	"vhangup",
	"sethostname",
	"setdomainname",
	/* NUMA placement across the host */
	"mbind",
	"set_mempolicy",
	"migrate_pages",
	"move_pages",
	NULL,
};

const struct syscall_group *stk_group_find(const char *name)
{
	for (size_t i = 0; i < stk_n_groups; i++)
		if (strcmp(stk_groups[i].name, name) == 0)
			return &stk_groups[i];
	return NULL;
}

uint64_t stk_group_bit(const char *name)
{
	const struct syscall_group *g = stk_group_find(name);
	return g ? 1ULL << (g - stk_groups) : 0;
}

bool stk_groups_has(uint64_t groups, const char *name)
{
	return groups & stk_group_bit(name);
}

bool stk_syscall_dangerous(const char *name)
{
	for (const char *const *d = stk_dangerous_syscalls; *d; d++)
		if (strcmp(*d, name) == 0)
			return true;
	return false;
}

bool stk_syscall_known(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

bool stk_syscall_required(const char *name)
{
	for (size_t i = 0; i < stk_n_groups; i++)
		for (const char *const *c = stk_groups[i].calls;
		     stk_groups[i].required && *c; c++)
			if (strcmp(*c, name) == 0)
				return true;
	return false;
}

/* Calls allowed only in some forms (seccomp.c): a denial of another form
 * is a refusal (EPERM), not an unknown call. */
static const char *const arg_ruled[] = {
	/* clang-format off */
	"clone", "clone3", "socket", "socketpair", "ioctl", "personality",
	"prctl", "prlimit64", "fcntl", "setsockopt", "chmod", "fchmod", "fchmodat",
	"creat", "open", "openat", "mknod", "mknodat", "setuid", "setreuid",
	"setresuid", "setgid", "setregid", "setresgid", "chown", "lchown",
	"fchown", "fchownat",
	NULL,
	/* clang-format on */
};

bool stk_syscall_has_arg_rules(const char *name)
{
	for (const char *const *c = arg_ruled; *c; c++)
		if (strcmp(*c, name) == 0)
			return true;
	return false;
}
