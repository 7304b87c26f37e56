/* landlock.c - access control that mirrors the mount plan.
 *
 * The mounts decide what the sandbox sees; Landlock, a second and
 * independent layer, decides what it may do with it: read and execute
 * anywhere in its tree, write only in its tmpfs mounts, --rw binds and
 * the /dev devices, never through a path the mounts do not show.  It also
 * applies where seccomp cannot look (io_uring, attacks.md V7).  On top:
 * no TCP bind or connect unless the network group is allowed (ABI 4), and
 * no abstract unix socket or signal beyond the sandbox's own domain
 * (ABI 6).
 *
 * The ABI is probed once per run in the supervisor; what an older kernel
 * lacks is left out here, in one place, and the record says what applied.
 * The payload applies the ruleset just before the seccomp filter. */
#define _GNU_SOURCE
#include "landlock.h"

#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The newest UAPI, spelled out: Debian 12's headers stop at ABI 3. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
#define FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define NET_CONNECT_TCP (1ULL << 1)
#define SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)

#define FS_READ                                                                \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |           \
	 LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE_ABI1                                                          \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |       \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |       \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |           \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |         \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* What each ABI can control; anything newer than the kernel is dropped
 * here, and only here. */
void landlock_plan(struct landlock_plan *ll, int abi, bool network)
{
	*ll = (struct landlock_plan){.abi = abi};
	if (abi < 1)
		return;
	ll->fs = FS_READ | FS_WRITE_ABI1;
	if (abi >= 2)
		ll->fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		ll->fs |= FS_TRUNCATE;
	if (abi >= 5)
		ll->fs |= FS_IOCTL_DEV;
	if (abi >= 4 && !network)
		ll->net = NET_BIND_TCP | NET_CONNECT_TCP;
	if (abi >= 6)
		ll->scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
}

static int allow_path(int ruleset, const char *path, uint64_t access)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct landlock_path_beneath_attr rule = {
		.allowed_access = access,
		.parent_fd = fd,
	};
	int r = (int)syscall(SYS_landlock_add_rule, ruleset,
			     LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* Async-signal-safe: runs in the payload, after the pivot, before the
 * seccomp filter (which does not allow these calls). */
int landlock_apply(const struct plan *plan)
{
	const struct landlock_plan *ll = &plan->landlock;
	struct ruleset_attr attr = {
		.handled_access_fs = ll->fs,
		.handled_access_net = ll->net,
		.scoped = ll->scoped,
	};
	/* Older kernels take the attribute only as long as they know it. */
	size_t size = ll->abi >= 6   ? sizeof(attr)
		      : ll->abi >= 4 ? 2 * sizeof(uint64_t)
				     : sizeof(uint64_t);
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return -1;
	uint64_t write = ll->fs & ~(uint64_t)FS_READ;
	int r = allow_path(ruleset, "/", ll->fs & FS_READ);
	char path[4096];
	for (size_t i = 0; r == 0 && i < plan->n_ops; i++) {
		const struct mount_op *op = &plan->ops[i];
		bool writable = op->kind == OP_TMPFS ||
				(op->kind == OP_BIND && !op->read_only) ||
				op->kind == OP_DEVICE || op->kind == OP_DEVPTS;
		if (!writable ||
		    (op->kind != OP_TMPFS && op->fd < 0 && op->optional))
			continue;
		size_t len = strlen(op->dest);
		if (len + 2 > sizeof(path))
			continue;
		path[0] = '/';
		memcpy(path + 1, op->dest, len + 1);
		/* A device or a bound file is a file: only file rights
		 * apply to it (the kernel refuses the others). */
		uint64_t file = LANDLOCK_ACCESS_FS_EXECUTE |
				LANDLOCK_ACCESS_FS_READ_FILE |
				LANDLOCK_ACCESS_FS_WRITE_FILE | FS_TRUNCATE;
		uint64_t access =
			op->kind == OP_DEVICE || op->kind == OP_DEVPTS
				? ll->fs & (LANDLOCK_ACCESS_FS_READ_FILE |
					    LANDLOCK_ACCESS_FS_WRITE_FILE |
					    FS_IOCTL_DEV)
			: op->kind == OP_BIND && !op->is_dir
				? ll->fs & file
				: ll->fs & (FS_READ | write);
		r = allow_path(ruleset, path, access);
	}
	if (r == 0)
		r = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
	int saved = errno;
	close(ruleset);
	errno = saved;
	return r;
}
