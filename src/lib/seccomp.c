/* seccomp.c - the syscall filter.
 *
 * Built once in the supervisor with libseccomp from the groups of
 * groups.c: a default-deny allowlist for the native architecture only
 * (any other ABI - i386 through int 0x80, x32 - kills the process), hot
 * calls without argument checks so that the kernel's constant-action
 * bitmap lets them through at no cost beyond having a filter, and
 * libseccomp's binary tree for the rest.  The payload loads it as its last
 * step before execve.
 *
 * Every call the filter does not allow goes to the supervisor through
 * seccomp user notification: the supervisor answers it with the policy's
 * errno (ENOSYS for a call the policy does not know, so that programs fall
 * back as on an older kernel; EPERM for one it forbids) and counts it, or
 * ends the run.  The payload cannot hide or forge a denial: the kernel
 * reports it, with the call's number and arguments, to a process outside
 * the sandbox. */
#define _GNU_SOURCE
#include "filter.h"

#include "cleanup.h"
#include "error.h"
#include "groups.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* clone may not make namespaces: each is new kernel surface to attack,
 * and a user namespace gives back every capability inside it. */
#define NAMESPACE_FLAGS                                                        \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |         \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

/* ioctl: an allowlist of requests, by the low 32 bits the kernel reads.
 * Each request is driver code of its own, reached through any fd the
 * program holds; those listed are what terminals, files, pipes and
 * sockets need (glibc's termios and isatty, openpty, the non-blocking
 * and close-on-exec ioctls of Python and libuv, a socket's queue sizes
 * and its interface queries in the run's own network namespace), and
 * what CPython's test suite uses (traced: docs/security.md).  Every other
 * request is refused (EPERM), among them those CVEs used or that tell
 * the host: TIOCSTI (input pushed into the caller's terminal), TIOCLINUX
 * (the console's selection buffer), TIOCSETD (a line discipline, a driver
 * of its own behind any terminal: n_hdlc CVE-2017-2636, n_gsm
 * CVE-2023-6546), FS_IOC_FIEMAP and FIBMAP (physical disk offsets of a
 * bound host file), the nsfs ones (a namespace's owner and parent), and
 * every device's own. */
static const uint32_t allowed_ioctls[] = {
	/* clang-format off */
	/* terminals: termios, window size, job control, the pty pair */
	TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETA, TCSETA, TCSETAW, TCSETAF,
	TCSBRK, TCSBRKP, TCXONC, TCFLSH, TIOCSBRK, TIOCCBRK, TIOCEXCL,
	TIOCNXCL, TIOCGEXCL, TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP,
	TIOCGSID, TIOCOUTQ, TIOCGWINSZ, TIOCSWINSZ, TIOCMGET, TIOCMBIS,
	TIOCMBIC, TIOCMSET, TIOCGSOFTCAR, TIOCSSOFTCAR, TIOCPKT, TIOCGPKT,
	TIOCGETD, TIOCGLCKTRMIOS, TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK,
	TIOCGPTPEER, TIOCGDEV, TIOCSIG,
	/* any descriptor */
	FIONREAD, FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX, FIOQSIZE,
	/* sockets: queues, owner, timestamps, interfaces of the run's own
	 * network namespace (lo), read only */
	SIOCOUTQNSD, SIOCATMARK, FIOSETOWN, FIOGETOWN, SIOCSPGRP, SIOCGPGRP,
	SIOCGSTAMP_OLD, SIOCGSTAMPNS_OLD, SIOCGSTAMP_NEW, SIOCGSTAMPNS_NEW,
	SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFDSTADDR,
	SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFMTU,
	SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN, SIOCGIFMAP, SIOCGIFPFLAGS,
	SIOCGIFCOUNT,
	/* /dev/urandom's entropy count */
	RNDGETENTCNT,
	/* clang-format on */
};

/* fcntl commands on shared host inodes: a lease can block the host's
 * open of a file for lease-break-time (45 s), and dnotify watches host
 * directories (the inotify the file-system group leaves out). */
static const uint32_t forbidden_fcntls[] = {F_SETLEASE, F_NOTIFY,
					    /* without the shared-memory
					     * group only: setsockopt's
					     * reason, below */
					    F_SETPIPE_SZ};

/* Calls that set a file's mode, and where the mode is: a setuid or setgid
 * bit on a file in a --rw bind would give whoever runs it on the host the
 * run's host uid (or the caller's, unprivileged).  The sandbox's own mounts
 * are nosuid; the host's are not ours to change. */
static const struct {
	const char *call;
	unsigned arg;
} mode_args[] = {
	{"chmod", 1}, {"fchmod", 1}, {"fchmodat", 2}, {"creat", 1},
	{"open", 2},  {"openat", 3}, {"mknod", 1},    {"mknodat", 2},
};

static int mode_arg(const char *call)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_args); i++)
		if (strcmp(call, mode_args[i].call) == 0)
			return (int)mode_args[i].arg;
	return -1;
}

/* Calls that set user or group ids, and which of their arguments are ids:
 * 'u' a user id, 'g' a group id, '-' not an id.  Only the sandbox's own
 * ids and -1 (unchanged) pass; the program holds no capability, so the
 * kernel would refuse any other id anyway, but with EINVAL for an id its
 * user namespace does not map (nearly all of them), where a program (and
 * CPython's tests) expects the EPERM of an unprivileged user.  setgroups
 * needs CAP_SETGID before it looks at its list; setfsuid and setfsgid
 * fail silently. */
static const struct {
	const char *call;
	const char *args;
} id_args[] = {
	{"setuid", "u"},      {"setreuid", "uu"}, {"setresuid", "uuu"},
	{"setgid", "g"},      {"setregid", "gg"}, {"setresgid", "ggg"},
	{"chown", "-ug"},     {"lchown", "-ug"},  {"fchown", "-ug"},
	{"fchownat", "--ug"},
};

static const char *id_arg_kinds(const char *call)
{
	for (size_t i = 0; i < ARRAY_SIZE(id_args); i++)
		if (strcmp(call, id_args[i].call) == 0)
			return id_args[i].args;
	return NULL;
}

/* A filter of the program's own, stacked on ours, would outrank our
 * notifications with its own errno or kill: it could hide what it is
 * refused, and escape --on-deny kill. */
static const uint32_t forbidden_prctls[] = {PR_SET_SECCOMP};

static bool denied_by_caller(const struct stk_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_denied; i++)
		if (strcmp(p->denied[i], name) == 0)
			return true;
	return false;
}

/* Rules on an int argument compare its low 32 bits only (the kernel
 * truncates it; attacks.md FLT-06). */
#define LOW32(arg, value)                                                      \
	SCMP_CMP((arg), SCMP_CMP_MASKED_EQ, 0xffffffffU, (value))

/* One rule per request: let through only the listed values of the low 32
 * bits of argument arg. */
static int allow_only(scmp_filter_ctx ctx, int nr, unsigned arg,
		      const uint32_t *allowed, size_t n, unsigned *rules)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					 LOW32(arg, allowed[i]));
		if (r < 0)
			return r;
		++*rules;
	}
	return 0;
}

/* Allows a call unless the low 32 bits of argument arg are one of
 * excluded; with a condition when, only calls that also meet it (the
 * others are left to other rules).  libseccomp can only OR allow
 * conditions, so the complement is spelled out: a value differing from the
 * excluded ones in a bit they share, or one of the few values that agree
 * on every shared bit without being excluded. */
static int allow_except_when(scmp_filter_ctx ctx, int nr,
			     const struct scmp_arg_cmp *when, unsigned arg,
			     const uint32_t *excluded, size_t n,
			     unsigned *rules)
{
	struct scmp_arg_cmp cmp[2];
	unsigned k = 0;
	if (when)
		cmp[k++] = *when;
	uint32_t same = ~0U, base = excluded[0];
	for (size_t i = 1; i < n; i++)
		same &= ~(excluded[i] ^ base);
	for (unsigned bit = 0; bit < 32; bit++) {
		uint32_t m = 1U << bit;
		if (!(same & m))
			continue;
		cmp[k] = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, m, ~base & m);
		int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, k + 1,
					       cmp);
		if (r < 0)
			return r;
		++*rules;
	}
	/* The values that agree on every shared bit: all patterns of the
	 * differing bits, less the excluded ones (few: 8 for two ioctls). */
	uint32_t differ = ~same, v = 0;
	do {
		uint32_t value = (base & same) | v;
		bool out = false;
		for (size_t i = 0; i < n; i++)
			out |= value == excluded[i];
		if (!out) {
			cmp[k] = LOW32(arg, value);
			int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr,
						       k + 1, cmp);
			if (r < 0)
				return r;
			++*rules;
		}
		v = (v - differ) & differ; /* next subset of differ */
	} while (v);
	return 0;
}

static int allow_except(scmp_filter_ctx ctx, int nr, unsigned arg,
			const uint32_t *excluded, size_t n, unsigned *rules)
{
	return allow_except_when(ctx, nr, NULL, arg, excluded, n, rules);
}

/* Without the shared-memory group no socket's buffer grows past the
 * kernel's default (wmem_default, rmem_default): with no memory cgroup to
 * count them, a run's buffers are bounded by its descriptors instead
 * (limits.c), each holding at most what the defaults allow. */
static const uint32_t buffer_sockopts[] = {SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE,
					   SO_RCVBUFFORCE};

static int allow_setsockopt(scmp_filter_ctx ctx, int nr, bool buffers,
			    unsigned *rules)
{
	if (buffers) {
		++*rules;
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* Any level but SOL_SOCKET; at SOL_SOCKET, any option but those. */
	static const uint32_t sol_socket[] = {SOL_SOCKET};
	struct scmp_arg_cmp at_socket = LOW32(1, SOL_SOCKET);
	int r = allow_except(ctx, nr, 1, sol_socket, 1, rules);
	return r < 0 ? r
		     : allow_except_when(ctx, nr, &at_socket, 2,
					 buffer_sockopts,
					 ARRAY_SIZE(buffer_sockopts), rules);
}

/* One rule for each way to choose, for every id argument, the sandbox's
 * own id or -1. */
static int allow_own_ids(scmp_filter_ctx ctx, int nr, const char *kinds,
			 unsigned *rules)
{
	unsigned ids[6], n = 0;
	for (unsigned a = 0; kinds[a] && a < ARRAY_SIZE(ids); a++)
		if (kinds[a] != '-')
			ids[n++] = a;
	for (unsigned pick = 0; pick < 1U << n; pick++) {
		struct scmp_arg_cmp cmp[6];
		for (unsigned i = 0; i < n; i++) {
			uint32_t own = kinds[ids[i]] == 'u' ? STK_SANDBOX_UID
							    : STK_SANDBOX_GID;
			cmp[i] = LOW32(ids[i], pick & 1U << i ? own : ~0U);
		}
		int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
		if (r < 0)
			return r;
		++*rules;
	}
	return 0;
}

static int allow_call(scmp_filter_ctx ctx, const struct stk_policy *p,
		      uint64_t groups, const char *name, unsigned *rules)
{
	bool buffers = stk_groups_has(groups, "shared-memory");
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR || denied_by_caller(p, name))
		return 0; /* not on this architecture, or forbidden */
	if (strcmp(name, "clone") == 0) {
		++*rules;
		return seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, nr, 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, NAMESPACE_FLAGS, 0));
	}
	if (strcmp(name, "ioctl") == 0)
		return allow_only(ctx, nr, 1, allowed_ioctls,
				  ARRAY_SIZE(allowed_ioctls), rules);
	int mode = mode_arg(name);
	if (mode >= 0) {
		++*rules;
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_CMP((unsigned)mode,
						 SCMP_CMP_MASKED_EQ,
						 S_ISUID | S_ISGID, 0));
	}
	if (strcmp(name, "fcntl") == 0)
		return allow_except(ctx, nr, 1, forbidden_fcntls,
				    ARRAY_SIZE(forbidden_fcntls) - buffers,
				    rules);
	if (strcmp(name, "setsockopt") == 0)
		return allow_setsockopt(ctx, nr, buffers, rules);
	if (strcmp(name, "prctl") == 0)
		return allow_except(ctx, nr, 0, forbidden_prctls,
				    ARRAY_SIZE(forbidden_prctls), rules);
	if (strcmp(name, "prlimit64") == 0) {
		/* Its own limits: another process's are init's or a
		 * sibling's to keep.  A negative pid names no process: the
		 * kernel answers ESRCH, as programs expect. */
		*rules += 2;
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					 LOW32(0, 0));
		return r < 0 ? r
			     : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						SCMP_A0(SCMP_CMP_MASKED_EQ,
							1U << 31, 1U << 31));
	}
	const char *kinds = id_arg_kinds(name);
	if (kinds)
		return allow_own_ids(ctx, nr, kinds, rules);
	if (strcmp(name, "personality") == 0) {
		++*rules; /* the query, personality(0xffffffff), only */
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					LOW32(0, 0xffffffffU));
	}
	if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0)
		return 0; /* by family, below */
	++*rules;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

/* socket only for AF_UNIX, and AF_INET/AF_INET6 and route netlink when the
 * network group is on; never another netlink protocol, packet, alg, vsock
 * or any other family.  Route netlink reads the interfaces and addresses
 * of the sandbox's own network namespace (getifaddrs, if_nameindex,
 * getaddrinfo's AI_ADDRCONFIG); changing them takes CAP_NET_ADMIN, which
 * the program does not have. */
static int allow_sockets(scmp_filter_ctx ctx, const struct stk_policy *p,
			 uint64_t groups, unsigned *rules)
{
	bool unix_ok = stk_groups_has(groups, "local-ipc");
	bool inet_ok = stk_groups_has(groups, "network");
	static const struct {
		const char *call;
		int family;
		int protocol; /* -1: any */
		bool inet;
	} rules_table[] = {
		{"socket", AF_UNIX, -1, false},
		{"socketpair", AF_UNIX, -1, false},
		{"socket", AF_INET, -1, true},
		{"socket", AF_INET6, -1, true},
		{"socket", AF_NETLINK, NETLINK_ROUTE, true},
	};
	for (size_t i = 0; i < ARRAY_SIZE(rules_table); i++) {
		if (!(rules_table[i].inet ? inet_ok : unix_ok) ||
		    denied_by_caller(p, rules_table[i].call))
			continue;
		int nr = seccomp_syscall_resolve_name(rules_table[i].call);
		struct scmp_arg_cmp cmp[] = {
			LOW32(0, (uint32_t)rules_table[i].family),
			LOW32(2, (uint32_t)rules_table[i].protocol),
		};
		int r = seccomp_rule_add_array(
			ctx, SCMP_ACT_ALLOW, nr,
			rules_table[i].protocol < 0 ? 1 : 2, cmp);
		if (r < 0)
			return r;
		++*rules;
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	_cleanup_close_ int fd = memfd_create("stockade-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter))
		return -EINVAL;
	prog->filter = malloc((size_t)size);
	if (!prog->filter)
		return -ENOMEM;
	if (pread(fd, prog->filter, (size_t)size, 0) != size) {
		free(prog->filter);
		prog->filter = NULL;
		return -EIO;
	}
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

/* libseccomp takes 1-2 ms to build the default program here, more than
 * the rest of a run's setup.  The build therefore runs the same code once
 * for the common policies (tools/mkfilters.c) and links the programs in
 * (build/prebuilt.c); a policy that is not among them builds its filter
 * at run time. */
static int find_prebuilt(const struct stk_policy *p, uint64_t groups,
			 struct filter *filter)
{
	if (p->n_denied)
		return -ENOENT;
	uint64_t with_calls = 0; /* terminals is a mount, not calls */
	for (size_t g = 0; g < stk_n_groups; g++)
		if (stk_groups[g].calls[0])
			with_calls |= 1ULL << g;
	for (size_t i = 0; i < stk_n_prebuilt_filters; i++) {
		const struct prebuilt_filter *pre = &stk_prebuilt_filters[i];
		if ((pre->groups ^ groups) & with_calls)
			continue;
		size_t size = pre->len * sizeof(struct sock_filter);
		filter->prog.filter = malloc(size);
		if (!filter->prog.filter)
			return -ENOMEM;
		memcpy(filter->prog.filter, pre->filter, size);
		filter->prog.len = pre->len;
		filter->rules = pre->rules;
		return 0;
	}
	return -ENOENT;
}

int filter_build(const struct stk_policy *p, uint64_t groups,
		 struct filter *filter, struct stk_error **err)
{
	*filter = (struct filter){0};
	int found = find_prebuilt(p, groups, filter);
	if (found != -ENOENT)
		return found < 0 ? stk_error_set(err, -found, "seccomp",
						 "out of memory")
				 : 0;
	return filter_build_now(p, groups, filter, err);
}

int filter_build_now(const struct stk_policy *p, uint64_t groups,
		     struct filter *filter, struct stk_error **err)
{
	*filter = (struct filter){0};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (!ctx)
		return stk_error_set(err, ENOMEM, "seccomp", "seccomp_init");
	/* Calls of any other ABI go to the supervisor too, which names them
	 * and ends the run (foreign_abi). */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t g = 0; r == 0 && g < stk_n_groups; g++)
		for (const char *const *c = stk_groups[g].calls;
		     r == 0 && (groups & 1ULL << g) && *c; c++)
			r = allow_call(ctx, p, groups, *c, &filter->rules);
	if (r == 0)
		r = allow_sockets(ctx, p, groups, &filter->rules);
	/* libc tries clone3 first and falls back to clone on ENOSYS; clone3
	 * passes its flags in memory, where no filter can read them.  Not
	 * a denial worth a report: every thread and fork makes it. */
	if (r == 0) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
		filter->rules++;
	}
	if (r == 0)
		r = export_bpf(ctx, &filter->prog);
	seccomp_release(ctx);
	if (r < 0)
		return stk_error_set(err, -r, "seccomp",
				     "building the seccomp filter: %s",
				     stk_strerror(-r));
	return 0;
}

void filter_release(struct filter *filter)
{
	free(filter->prog.filter);
	*filter = (struct filter){0};
}

/* Async-signal-safe: runs in the payload between clone and execve. */
int filter_load(const struct filter *filter)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter->prog);
}

static int denial_errno(const struct stk_policy *p, const char *name)
{
	if (stk_syscall_dangerous(name) || stk_syscall_has_arg_rules(name) ||
	    denied_by_caller(p, name))
		return EPERM;
	return ENOSYS;
}

/* The record keeps this many distinct calls; the rest are counted
 * together, so that a program cannot make the supervisor grow without
 * end by trying every number.  The calls of the never-reachable list
 * (groups.c) and of foreign ABIs (which end the run) are named whatever
 * came before: decoys cannot hide a try at ptrace or bpf among "other
 * calls", and there are few such names. */
#define DENIALS_KEPT 256

static struct denial *denial_of(struct denials *d, int nr, uint32_t arch,
				const char *name, bool named)
{
	bool others = d->n >= DENIALS_KEPT && !named;
	for (size_t i = 0; i < d->n; i++)
		if (others ? d->list[i].others
			   : !d->list[i].others && d->list[i].nr == nr &&
				     d->list[i].arch == arch)
			return &d->list[i];
	struct denial *list = reallocarray(d->list, d->n + 1, sizeof(*list));
	if (!list)
		return NULL;
	d->list = list;
	list[d->n] = (struct denial){.nr = nr, .arch = arch, .others = others};
	snprintf(list[d->n].name, sizeof(list[d->n].name), "%s",
		 others ? "(other calls)" : name);
	return &list[d->n++];
}

/* i386, x32 or any ABI but the native one: the filter hands every such
 * call to us (its bad-architecture action) so that the record can name
 * it, and the run ends - whatever --on-deny says. */
static bool foreign_abi(const struct seccomp_data *data)
{
	return data->arch != SCMP_ARCH_X86_64 || data->nr >= 0x40000000;
}

static void name_call(char *out, size_t size, const struct seccomp_data *data)
{
	bool x32 = data->arch == SCMP_ARCH_X86_64 && data->nr >= 0x40000000;
	uint32_t arch = x32 ? SCMP_ARCH_X32 : data->arch;
	char *name = seccomp_syscall_resolve_num_arch(arch, data->nr);
	const char *abi = x32				   ? "x32:"
			  : data->arch == SCMP_ARCH_X86	   ? "i386:"
			  : data->arch == SCMP_ARCH_X86_64 ? ""
							   : "foreign:";
	if (name)
		snprintf(out, size, "%s%s", abi, name);
	else
		snprintf(out, size, "%s%d",
			 abi[0] ? abi : "unknown:", data->nr);
	free(name);
}

int filter_answer(int listener, const struct stk_policy *p, struct denials *d)
{
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -errno;

	char name[48];
	name_call(name, sizeof(name), &req.data);
	bool foreign = foreign_abi(&req.data);
	/* 0: never answered, the run ends in it */
	bool ending = foreign || p->on_deny == STK_ON_DENY_KILL;
	int errnum = ending ? 0 : denial_errno(p, name);
	struct denial *den = denial_of(d, (int)req.data.nr, req.data.arch, name,
				       foreign || stk_syscall_dangerous(name));
	if (den) {
		if (!den->count++)
			den->errnum = errnum;
		if (den->kept < DENIAL_ARGS_KEPT)
			memcpy(den->args[den->kept++], req.data.args,
			       sizeof(req.data.args));
	}

	/* Ending the run: the call is never answered, so the caller stays
	 * blocked in it until the whole sandbox is killed. */
	if (ending) {
		if (!d->killed_by && den)
			d->killed_by = (int)(den - d->list) + 1;
		return 1;
	}
	struct seccomp_notif_resp resp = {
		.id = req.id,
		.error = -errnum,
	};
	/* ENOENT: the caller died meanwhile; nothing to answer. */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
	    errno != ENOENT && errno != EINTR)
		return -errno;
	return 0;
}

void denials_release(struct denials *d)
{
	free(d->list);
	*d = (struct denials){0};
}

/* What the argument rules of allow_call let through, for the listing. */
static const char *arg_rule_note(const char *call, uint64_t groups)
{
	if (!stk_groups_has(groups, "shared-memory")) {
		if (strcmp(call, "fcntl") == 0)
			return "  (not F_SETLEASE, F_NOTIFY, F_SETPIPE_SZ)";
		if (strcmp(call, "setsockopt") == 0)
			return "  (not SO_SNDBUF, SO_RCVBUF and their FORCE "
			       "forms)";
	}
	static const struct {
		const char *call, *note;
	} notes[] = {
		{"clone", "  (no namespace flags)"},
		{"ioctl", "  (terminal, descriptor and socket requests: "
			  "docs/security.md)"},
		{"personality", "  (query only)"},
		{"fcntl", "  (not F_SETLEASE, F_NOTIFY)"},
		{"prctl", "  (not PR_SET_SECCOMP)"},
		{"prlimit64",
		 "  (its own limits only; ESRCH for a negative pid)"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(notes); i++)
		if (strcmp(call, notes[i].call) == 0)
			return notes[i].note;
	if (id_arg_kinds(call))
		return "  (the sandbox's own ids only)";
	return mode_arg(call) >= 0 ? "  (no setuid or setgid mode)" : NULL;
}

int stk_policy_describe(const struct stk_policy *p, char **text,
			struct stk_error **err)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return stk_error_set(err, ENOMEM, "policy", "out of memory");
	fprintf(f, "# stockade syscall policy: default deny; x86_64 only "
		   "(a call of another ABI ends the run)\n");
	fprintf(f, "# a denied call gets %s and is named in the record\n",
		p->on_deny == STK_ON_DENY_KILL
			? "the run killed (verdict syscall-denied)"
			: "ENOSYS (unknown to the policy) or EPERM "
			  "(forbidden)");
	for (size_t g = 0; g < stk_n_groups; g++) {
		const struct syscall_group *grp = &stk_groups[g];
		fprintf(f, "\n[%s] %s\n# %s\n", grp->name,
			p->groups & 1ULL << g ? "allowed" : "denied",
			grp->description);
		for (const char *const *c = grp->calls; *c; c++) {
			const char *how = "";
			if (!stk_syscall_known(*c))
				how = "  (not on this architecture)";
			else if (denied_by_caller(p, *c))
				how = "  (denied: EPERM)";
			else if (arg_rule_note(*c, p->groups))
				how = arg_rule_note(*c, p->groups);
			else if (strcmp(*c, "socket") == 0)
				how = strcmp(grp->name, "network") == 0
					      ? "  (AF_INET, AF_INET6, "
						"NETLINK_ROUTE)"
					      : "  (AF_UNIX)";
			else if (strcmp(*c, "socketpair") == 0)
				how = "  (AF_UNIX)";
			fprintf(f, "%s%s\n", *c, how);
		}
	}
	fprintf(f, "\n[clone3] ENOSYS, not reported\n# libc falls back to "
		   "clone, whose flags the filter can read\nclone3\n");
	fprintf(f, "\n[forbidden] EPERM, whatever the policy\n");
	for (const char *const *d = stk_dangerous_syscalls; *d; d++)
		fprintf(f, "%s\n", *d);
	fprintf(f, "\n[anything else] ENOSYS\n");
	fprintf(f, "\n[/proc] masked\n# each covered by an empty read-only "
		   "file or directory where the kernel has it\n");
	for (size_t i = 0; i < stk_n_proc_masks; i++)
		fprintf(f, "%-26s %s\n", stk_proc_masks[i].path,
			stk_proc_masks[i].why);
	if (fclose(f) != 0) {
		free(buf);
		return stk_error_set(err, ENOMEM, "policy", "out of memory");
	}
	*text = buf;
	return 0;
}

int stk_policy_bpf(const struct stk_policy *p, void **program, size_t *size,
		   struct stk_error **err)
{
	struct filter filter;
	int r = filter_build(p, p->groups, &filter, err);
	if (r < 0)
		return r;
	*size = filter.prog.len * sizeof(struct sock_filter);
	*program = steal_ptr(&filter.prog.filter);
	return 0;
}
