/* mount.c - the sandbox's file system: a new root on tmpfs holding only
 * what the policy binds, /proc, a minimal /dev, size-limited tmpfs mounts,
 * and synthesized /etc files; pivot_root into it and detach the old root.
 *
 * The supervisor turns the policy into an ordered list of mount ops
 * (plan_mounts).  The child applies them with the new mount API: each
 * host tree is cloned with open_tree and made read-only, nosuid and nodev
 * recursively by one mount_setattr call - no parsing of
 * /proc/self/mountinfo, no remount per submount.  Every path inside the new
 * root is resolved beneath it without following symlinks, so nothing a
 * bound directory contains can redirect a mount. */
#define _GNU_SOURCE
#include "job.h"
#include "plan.h"

#include "cleanup.h"
#include "error.h"
#include "groups.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

/* The root itself holds only mount points and the files below. */
#define ROOT_TMPFS_SIZE "1048576"
#define ROOT_TMPFS_INODES "1024"
/* A --copy of a tree keeps one fd per file and directory until the child
 * copies it; this keeps them well under the usual limit of open files. */
#define COPY_MAX_ENTRIES 512

static const char *const devices[] = {"null", "zero", "full", "random",
				      "urandom"};
static const char *const dev_links[][2] = {
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
};

/* ---- planning, in the supervisor ----------------------------------- */

static int add_op(struct plan *plan, const struct mount_op *op,
		  const char *dest)
{
	struct mount_op *ops =
		reallocarray(plan->ops, plan->n_ops + 1, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	plan->ops = ops;
	ops[plan->n_ops] = *op;
	ops[plan->n_ops].dest = strdup(dest[0] == '/' ? dest + 1 : dest);
	if (!ops[plan->n_ops].dest)
		return -ENOMEM;
	plan->n_ops++;
	return 0;
}

static int add_text(struct plan *plan, enum op_kind kind, const char *dest,
		    const char *text, mode_t mode)
{
	struct mount_op op = {.kind = kind, .mode = mode, .fd = -1};
	op.source = strdup(text);
	if (!op.source)
		return -ENOMEM;
	op.length = strlen(text);
	int r = add_op(plan, &op, dest);
	if (r < 0)
		free(op.source);
	return r;
}

/* A tmpfs's size bounds its data, not its inodes: each costs kernel
 * memory no size accounts for (a review filled 1.3 GB of it in a 64 MB
 * /tmp).  One inode per 4 KiB of size, at least 1024. */
static void tmpfs_limits(struct mount_op *op, uint64_t size)
{
	uint64_t inodes = size / 4096 < 1024 ? 1024 : size / 4096;
	snprintf(op->size, sizeof(op->size), "%llu", (unsigned long long)size);
	snprintf(op->nr_inodes, sizeof(op->nr_inodes), "%llu",
		 (unsigned long long)inodes);
}

/* add_text for the default policy's own entries (give_way). */
static int add_fallback(struct plan *plan, enum op_kind kind, const char *dest,
			const char *text, mode_t mode)
{
	int r = add_text(plan, kind, dest, text, mode);
	if (r == 0)
		plan->ops[plan->n_ops - 1].fallback = true;
	return r;
}

static int add_tmpfs(struct plan *plan, const char *dest, uint64_t size,
		     mode_t mode)
{
	struct mount_op op = {.kind = OP_TMPFS, .mode = mode, .fd = -1};
	tmpfs_limits(&op, size);
	return add_op(plan, &op, dest);
}

static int plan_bind(struct plan *plan, const struct bind *b,
		     struct stk_error **err)
{
	const char *step = (b->flags & STK_BIND_RW) ? "--rw" : "--ro";
	struct stat st;
	struct mount_op op = {.kind = OP_BIND,
			      .read_only = !(b->flags & STK_BIND_RW),
			      .fd = -1};

	op.fallback = b->origin == BIND_MIRROR;
	if (b->origin == BIND_MIRROR) {
		if (lstat(b->host, &st) < 0)
			return 0; /* not on this host: nothing to mirror */
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n =
				readlink(b->host, target, sizeof(target) - 1);
			if (n < 0)
				return 0;
			target[n] = '\0';
			return add_fallback(plan, OP_SYMLINK, b->path, target,
					    0);
		}
		op.optional = true;
	} else if (stat(b->host, &st) < 0) {
		return stk_error_set(err, errno, step, "%s %s: %s", step,
				     b->host, stk_strerror(errno));
	}
	if (b->origin == BIND_USER &&
	    (st.st_dev != b->dev || st.st_ino != b->ino))
		return stk_error_set(err, ESTALE, step,
				     "%s %s: no longer what it was when the "
				     "option was given",
				     step, b->host);
	op.is_dir = S_ISDIR(st.st_mode);
	op.dev = st.st_dev;
	op.ino = st.st_ino;
	op.source = strdup(b->host);
	if (!op.source)
		return -ENOMEM;
	int r = add_op(plan, &op, b->path);
	if (r < 0)
		free(op.source);
	return r;
}

static int copy_error(struct stk_error **err, int errnum, const char *host,
		      const char *what)
{
	return stk_error_set(err, errnum, "--copy", "--copy %s: %s", host,
			     what ? what : stk_strerror(errnum));
}

static int plan_copy_open(struct plan *plan, int fd, const struct stat *st,
			  const char *host, const char *dest, size_t *entries,
			  struct stk_error **err);

/* One entry of a --copy, NAME in the directory DIR (already open).  The
 * tree is walked through fds, never by re-walking path strings: a file
 * swapped for a link or a FIFO on the way is refused, not followed or
 * blocked on.  host is only for messages. */
static int plan_copy_entry(struct plan *plan, int dir, const char *name,
			   const char *host, const char *dest, size_t *entries,
			   struct stk_error **err)
{
	struct stat st;
	if (++*entries > COPY_MAX_ENTRIES)
		return stk_error_set(err, EMFILE, "--copy",
				     "--copy: more than %d files, directories "
				     "and links",
				     COPY_MAX_ENTRIES);
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return copy_error(err, errno, host, NULL);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dir, name, target, sizeof(target) - 1);
		if (n < 0)
			return copy_error(err, errno, host, NULL);
		target[n] = '\0';
		return add_text(plan, OP_SYMLINK, dest, target, 0);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return copy_error(err, EINVAL, host,
				  "not a file, directory or symlink");
	int fd = openat(dir, name,
			O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
				(S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return copy_error(err, errno, host, NULL);
	struct stat now;
	if (fstat(fd, &now) < 0 ||
	    (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
		close(fd);
		return copy_error(err, EAGAIN, host, "changed while copied");
	}
	return plan_copy_open(plan, fd, &now, host, dest, entries, err);
}

/* A file or a directory of a --copy, already open: fd is ours to keep in
 * the plan or close. */
static int plan_copy_open(struct plan *plan, int fd, const struct stat *st,
			  const char *host, const char *dest, size_t *entries,
			  struct stk_error **err)
{
	struct mount_op op = {.mode = st->st_mode & 0777, .fd = fd};
	if (S_ISREG(st->st_mode)) {
		op.kind = OP_COPY_FILE;
		int r = add_op(plan, &op, dest);
		if (r < 0)
			close(op.fd);
		return r;
	}
	if (!S_ISDIR(st->st_mode)) {
		close(fd);
		return copy_error(err, EINVAL, host,
				  "not a file, directory or symlink");
	}

	op.kind = OP_DIR;
	op.fd = -1;
	DIR *d = fdopendir(fd); /* owns the fd from here */
	if (!d) {
		int saved = errno;
		close(fd);
		return copy_error(err, saved, host, NULL);
	}
	int r = add_op(plan, &op, dest);
	struct dirent *e;
	while (r >= 0 && (errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		_cleanup_free_ char *h = NULL, *sub = NULL;
		if (asprintf(&h, "%s/%s", host, e->d_name) < 0 ||
		    asprintf(&sub, "%s/%s", dest, e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = plan_copy_entry(plan, dirfd(d), e->d_name, h, sub, entries,
				    err);
	}
	if (r >= 0 && errno)
		r = copy_error(err, errno, host, NULL);
	closedir(d);
	return r;
}

/* The policy's --copy fd, for one run: a directory is opened again, for
 * a position of its own (a dup would share it with every run of the
 * policy, which other threads may be reading at the same time); a file
 * is read at explicit offsets and can be shared. */
static int reopen_copy(int fd)
{
	int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dir >= 0 || errno != ENOTDIR ? dir
					    : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* A copy lands in a tmpfs of the sandbox, never in a bind, and never on a
 * mount point: it must not write to the host, and it must fit a size
 * limit.  So the innermost mount above it must be a tmpfs. */
static bool copy_target_ok(const struct stk_policy *policy, const char *path)
{
	size_t best = 0;
	bool tmpfs = false;
	for (size_t i = 0; i < policy->n_binds + policy->n_tmpfs; i++) {
		bool is_tmpfs = i >= policy->n_binds;
		const char *m =
			is_tmpfs ? policy->tmpfs[i - policy->n_binds].path
				 : policy->binds[i].path;
		size_t len = strlen(m);
		if (strcmp(path, m) == 0)
			return false;
		if (len > best && strncmp(path, m, len) == 0 &&
		    path[len] == '/') {
			best = len;
			tmpfs = is_tmpfs;
		}
	}
	return tmpfs;
}

static size_t depth(const char *dest)
{
	size_t n = 1;
	for (; *dest; dest++)
		n += *dest == '/';
	return n;
}

/* Parents before children, and otherwise the order of the policy: a
 * stable insertion sort on the number of components. */
static void sort_by_depth(struct mount_op *ops, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct mount_op op = ops[i];
		size_t d = depth(op.dest), j = i;
		for (; j > 0 && depth(ops[j - 1].dest) > d; j--)
			ops[j] = ops[j - 1];
		ops[j] = op;
	}
}

static int plan_etc(struct plan *plan, const struct stk_policy *policy)
{
	char text[512];
	int r = add_fallback(plan, OP_DIR, "etc", "", 0755);
	/* root is only a name here (uid 0 maps to no one), but programs
	 * take it for granted: tar, CPython's tests, getpwuid(0). */
	snprintf(text, sizeof(text),
		 "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
		 "%s:x:%u:%u:stockade sandbox:/tmp:/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 STK_SANDBOX_USER, STK_SANDBOX_UID, STK_SANDBOX_GID);
	if (r >= 0)
		r = add_fallback(plan, OP_FILE, "etc/passwd", text, 0644);
	snprintf(text, sizeof(text), "root:x:0:\n%s:x:%u:\nnogroup:x:65534:\n",
		 STK_SANDBOX_USER, STK_SANDBOX_GID);
	if (r >= 0)
		r = add_fallback(plan, OP_FILE, "etc/group", text, 0644);
	snprintf(text, sizeof(text),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
		 "ip6-loopback\n127.0.1.1\t%s\n",
		 policy->hostname);
	if (r >= 0)
		r = add_fallback(plan, OP_FILE, "etc/hosts", text, 0644);
	snprintf(text, sizeof(text), "%s\n", policy->hostname);
	if (r >= 0)
		r = add_fallback(plan, OP_FILE, "etc/hostname", text, 0644);
	/* As on a host, where only root reads it: programs and tests expect
	 * EACCES from /etc/shadow, not its absence.  It is empty anyway. */
	if (r >= 0)
		r = add_fallback(plan, OP_FILE, "etc/shadow", "", 0);
	/* Only files: there is no network and no directory service. */
	if (r >= 0)
		r = add_fallback(plan, OP_FILE, "etc/nsswitch.conf",
				 "passwd: files\ngroup: files\nshadow: files\n"
				 "hosts: files\nservices: files\n"
				 "protocols: files\n",
				 0644);
	return r;
}

/* The host's device node /dev/NAME, bound at the same path. */
static int add_device(struct plan *plan, const char *name)
{
	char dest[32];
	struct mount_op op = {.kind = OP_DEVICE, .fd = -1};
	snprintf(dest, sizeof(dest), "dev/%s", name);
	if (asprintf(&op.source, "/%s", dest) < 0)
		return -ENOMEM;
	struct stat st;
	if (stat(op.source, &st) < 0 || !S_ISCHR(st.st_mode)) {
		free(op.source);
		return -ENODEV;
	}
	op.dev = st.st_dev;
	op.ino = st.st_ino;
	int r = add_op(plan, &op, dest);
	if (r < 0)
		free(op.source);
	return r;
}

static int plan_dev(struct plan *plan, bool terminals)
{
	char dest[32];
	int r = add_text(plan, OP_DIR, "dev", "", 0755);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(devices); i++)
		r = add_device(plan, devices[i]);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(dev_links); i++) {
		snprintf(dest, sizeof(dest), "dev/%s", dev_links[i][0]);
		r = add_text(plan, OP_SYMLINK, dest, dev_links[i][1], 0);
	}
	if (r >= 0)
		r = add_tmpfs(plan, "dev/shm", STK_DEFAULT_TMPFS_SIZE, 01777);
	/* The terminals group: a devpts of the run's own, its ptmx, and
	 * /dev/tty, which means the controlling terminal: the sandbox (a
	 * new session) has none until it makes one of its own pty. */
	if (r >= 0 && terminals) {
		struct mount_op op = {.kind = OP_DEVPTS, .fd = -1};
		r = add_op(plan, &op, "dev/pts");
		if (r >= 0)
			r = add_text(plan, OP_SYMLINK, "dev/ptmx", "pts/ptmx",
				     0);
		if (r >= 0)
			r = add_device(plan, "tty");
	}
	return r;
}

/* The default policy's files and mirrors below a bind of the caller's
 * (say --rw DIR:/etc) give way to it: written there, they would land in
 * the host's directory, or fail on a read-only one. */
static void give_way(struct plan *plan, const struct stk_policy *policy)
{
	size_t kept = 0;
	for (size_t i = 0; i < plan->n_ops; i++) {
		struct mount_op *op = &plan->ops[i];
		bool under = false;
		for (size_t b = 0; op->fallback && b < policy->n_binds; b++) {
			const char *dest = policy->binds[b].path + 1;
			size_t len = strlen(dest);
			under |= policy->binds[b].origin == BIND_USER &&
				 strncmp(op->dest, dest, len) == 0 &&
				 op->dest[len] == '/';
		}
		if (!under) {
			plan->ops[kept++] = *op;
			continue;
		}
		free(op->dest);
		free(op->source);
		if (op->fd >= 0)
			close(op->fd);
	}
	plan->n_ops = kept;
}

int plan_mounts(struct plan *plan, const struct stk_policy *policy,
		struct stk_error **err)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && i < policy->n_binds; i++)
		r = plan_bind(plan, &policy->binds[i], err);
	for (size_t i = 0; r >= 0 && i < policy->n_tmpfs; i++)
		r = add_tmpfs(plan, policy->tmpfs[i].path,
			      policy->tmpfs[i].size,
			      policy->tmpfs[i].user ? 0755 : 01777);
	if (r >= 0) {
		struct mount_op op = {.kind = OP_PROC, .fd = -1};
		r = add_op(plan, &op, "proc");
	}
	if (r >= 0)
		r = plan_dev(plan, stk_groups_has(policy->groups, "terminals"));
	if (r >= 0)
		r = plan_etc(plan, policy);
	if (r >= 0)
		give_way(plan, policy);
	size_t entries = 0;
	for (size_t i = 0; r >= 0 && i < policy->n_copies; i++) {
		const struct copy *c = &policy->copies[i];
		if (!copy_target_ok(policy, c->path))
			return stk_error_set(err, EINVAL, "--copy",
					     "--copy %s:%s: the destination "
					     "must lie inside a tmpfs "
					     "(/tmp or a --tmpfs), not in "
					     "or on a bind",
					     c->host, c->path);
		/* The host path was opened when the option was given: what
		 * is copied is what was named then, whatever the path
		 * leads to now. */
		struct stat st;
		int fd = reopen_copy(c->fd);
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = copy_error(err, errno, c->host, NULL);
			if (fd >= 0)
				close(fd);
			break;
		}
		++entries;
		r = plan_copy_open(plan, fd, &st, c->host, c->path, &entries,
				   err);
	}
	if (r < 0)
		return stk_error_set(err, -r, "plan", "planning the mounts: %s",
				     stk_strerror(-r));
	sort_by_depth(plan->ops, plan->n_ops);
	return 0;
}

int plan_files(struct plan *plan, const struct stk_policy *policy,
	       const struct stk_job *job, struct stk_error **err)
{
	for (size_t i = 0; i < job->n_files; i++) {
		const struct job_file *f = &job->files[i];
		if (!copy_target_ok(policy, f->path))
			return stk_error_set(err, EINVAL, "file",
					     "file %s: the destination must "
					     "lie inside a tmpfs (/tmp or a "
					     "--tmpfs), not in or on a bind",
					     f->path);
		struct mount_op op = {.kind = OP_FILE,
				      .mode = f->mode,
				      .fd = -1,
				      .source = bytes_copy(f->data, f->len),
				      .length = f->len};
		if (!op.source)
			return stk_error_set(err, ENOMEM, "file",
					     "out of memory");
		if (add_op(plan, &op, f->path) < 0) {
			free(op.source);
			return stk_error_set(err, ENOMEM, "file",
					     "out of memory");
		}
	}
	/* After the tmpfs they land in (a stable sort: each after what
	 * plan_mounts put at its depth). */
	sort_by_depth(plan->ops, plan->n_ops);
	return 0;
}

void plan_release(struct plan *plan)
{
	for (size_t i = 0; i < plan->n_ops; i++) {
		free(plan->ops[i].dest);
		free(plan->ops[i].source);
		if (plan->ops[i].fd >= 0)
			close(plan->ops[i].fd);
	}
	free(plan->ops);
	for (char **e = plan->envp; e && *e; e++)
		free(*e);
	free(plan->envp);
	filter_release(&plan->filter);
	*plan = (struct plan){0};
}

/* ---- applying, in the child: async-signal-safe only ----------------- */

int mount_clone_sources(struct plan *plan, struct report *fail)
{
	/* Nothing mounted in here may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return step_failed(fail, STEP_MOUNT_PRIVATE, -1, errno);

	for (size_t i = 0; i < plan->n_ops; i++) {
		struct mount_op *op = &plan->ops[i];
		if (op->kind != OP_BIND && op->kind != OP_DEVICE)
			continue;
		/* A bound tree takes its submounts along (recursive), and
		 * every one of them gets the same restrictions below. */
		unsigned rec = op->kind == OP_BIND ? AT_RECURSIVE : 0;
		int fd = sys_open_tree(AT_FDCWD, op->source,
				       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					       rec);
		if (fd < 0 && errno == ENOENT && op->optional)
			continue;
		if (fd < 0)
			return step_failed(fail, STEP_OPEN_TREE, (int)i, errno);
		/* The supervisor looked at this path; the child reads it
		 * again, later and perhaps with other rights (root mode):
		 * what it cloned must be what was planned. */
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_dev != op->dev ||
		    st.st_ino != op->ino)
			return step_failed(fail, STEP_OPEN_TREE, (int)i,
					   ESTALE);
		struct mount_attr attr = {.propagation = MS_PRIVATE};
		if (op->kind == OP_DEVICE)
			attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
		else
			attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					(op->read_only ? MOUNT_ATTR_RDONLY : 0);
		if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr) < 0)
			return step_failed(fail, STEP_BIND_ATTRS, (int)i,
					   errno);
		op->fd = fd;
	}
	return 0;
}

static int open_beneath(int dir, const char *name)
{
	return sys_openat2(dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
			   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
				   RESOLVE_NO_MAGICLINKS);
}

/* Opens the directory that will hold dest, creating missing ones, one
 * component at a time beneath root and never through a symlink.  On
 * success *base points at the last component inside buf. */
static int open_parent(int root, const char *dest, char *buf, size_t size,
		       const char **base)
{
	size_t len = strlen(dest);
	if (len >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dest, len + 1);
	int dir = open_beneath(root, ".");
	char *part = buf, *slash;
	while (dir >= 0 && (slash = strchr(part, '/'))) {
		*slash = '\0';
		int next = open_beneath(dir, part);
		if (next < 0 && errno == ENOENT &&
		    (mkdirat(dir, part, 0755) == 0 || errno == EEXIST))
			next = open_beneath(dir, part);
		int saved = errno;
		close(dir);
		errno = saved;
		dir = next;
		part = slash + 1;
	}
	*base = part;
	return dir;
}

static int copy_fd(int out, int in)
{
	/* From an explicit offset: the fd's own is shared with the policy,
	 * which may run again. */
	off_t offset = 0;
	for (;;) {
		ssize_t n = sendfile(out, in, &offset, 1 << 30);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int new_fs(const char *type, const struct mount_op *op)
{
	int fs = sys_fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	int r = 0;
	if (op && op->kind == OP_TMPFS) {
		char mode[8] = {'0',
				'0' + ((op->mode >> 9) & 7),
				'0' + ((op->mode >> 6) & 7),
				'0' + ((op->mode >> 3) & 7),
				'0' + (op->mode & 7),
				'\0'};
		r = sys_fsconfig(fs, FSCONFIG_SET_STRING, "size", op->size, 0);
		if (r == 0)
			r = sys_fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes",
					 op->nr_inodes, 0);
		if (r == 0)
			r = sys_fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode,
					 0);
	}
	/* Every devpts mount is a new instance; its ptmx is the sandbox's
	 * way in (/dev/ptmx links to it), and its terminals belong to whoever
	 * opens them.  No gid=tty: the user namespace does not map it. */
	if (op && op->kind == OP_DEVPTS) {
		r = sys_fsconfig(fs, FSCONFIG_SET_STRING, "ptmxmode", "0666",
				 0);
		if (r == 0)
			r = sys_fsconfig(fs, FSCONFIG_SET_STRING, "mode",
					 "0620", 0);
	}
	if (r == 0)
		r = sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	/* devpts holds device nodes: nodev would make them useless. */
	unsigned attrs = MOUNT_ATTR_NOSUID |
			 (op && op->kind == OP_DEVPTS ? MOUNT_ATTR_NOEXEC
						      : MOUNT_ATTR_NODEV);
	if (op && op->kind == OP_PROC)
		attrs |= MOUNT_ATTR_NOEXEC;
	int mnt = r == 0 ? sys_fsmount(fs, FSMOUNT_CLOEXEC, attrs) : -1;
	int saved = errno;
	close(fs);
	errno = saved;
	return mnt;
}

static int attach(int mnt, int dir, const char *base, bool is_dir)
{
	if (is_dir) {
		if (mkdirat(dir, base, 0755) < 0 && errno != EEXIST)
			return -1;
	} else {
		int fd = openat(dir, base,
				O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
				0444);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return sys_move_mount(mnt, "", dir, base, MOVE_MOUNT_F_EMPTY_PATH);
}

static enum step apply_op(struct mount_op *op, int dir, const char *base)
{
	int fd, mnt;
	switch (op->kind) {
	case OP_DIR:
		return mkdirat(dir, base, op->mode) < 0 && errno != EEXIST
			       ? STEP_MKDIR
			       : STEP_COUNT;
	case OP_BIND:
	case OP_DEVICE:
		if (op->fd < 0)
			return STEP_COUNT; /* optional and absent */
		return attach(op->fd, dir, base, op->is_dir) < 0 ? STEP_MOUNT
								 : STEP_COUNT;
	case OP_SYMLINK:
		return symlinkat(op->source, dir, base) < 0 ? STEP_SYMLINK
							    : STEP_COUNT;
	case OP_FILE:
	case OP_COPY_FILE:
		fd = openat(dir, base,
			    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
				    O_NOFOLLOW,
			    op->mode);
		if (fd < 0)
			return STEP_WRITE_FILE;
		int r = op->kind == OP_FILE
				? write_all(fd, op->source, op->length)
				: copy_fd(fd, op->fd);
		int saved = errno;
		close(fd);
		errno = saved;
		return r < 0 ? STEP_WRITE_FILE : STEP_COUNT;
	case OP_TMPFS:
	case OP_PROC:
	case OP_DEVPTS:
		mnt = new_fs(op->kind == OP_TMPFS  ? "tmpfs"
			     : op->kind == OP_PROC ? "proc"
						   : "devpts",
			     op);
		if (mnt < 0 || attach(mnt, dir, base, true) < 0)
			return op->kind == OP_TMPFS  ? STEP_TMPFS
			       : op->kind == OP_PROC ? STEP_PROC
						     : STEP_DEVPTS;
		close(mnt);
		return STEP_COUNT;
	}
	errno = EINVAL;
	return STEP_MOUNT;
}

/* Covers each entry of masks.c in the run's /proc with an empty file or
 * directory of a small tmpfs of its own, read-only.  The tmpfs is made
 * read-only once, before any cover is cloned from it (a clone keeps its
 * mount's flags), and attached at /.blank of the new root for as long as
 * it takes (open_tree clones only from a mount of this namespace), then
 * detached: only the covers remain.  An entry this kernel does not have
 * needs none, nor a file the kernel itself lets no one but the host's
 * root read or write (kmsg, slabinfo: 0400): the run is never the host's
 * root.  One that cannot be covered ends the run's setup. */
static int mask_proc(int root, const char *blank_path, struct report *fail)
{
	struct mount_op blank_op = {.kind = OP_TMPFS,
				    .mode = 0555,
				    .size = "4096",
				    .nr_inodes = "8"};
	struct mount_attr ro = {.attr_set =
					MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	int blank = new_fs("tmpfs", &blank_op);
	int file = blank < 0 ? -1
			     : openat(blank, "file",
				      O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC,
				      0444);
	if (file >= 0)
		close(file);
	if (file < 0 || mkdirat(blank, "dir", 0555) < 0 ||
	    sys_mount_setattr(blank, "", AT_EMPTY_PATH, &ro) < 0 ||
	    mkdirat(root, ".blank", 0700) < 0 ||
	    sys_move_mount(blank, "", root, ".blank", MOVE_MOUNT_F_EMPTY_PATH) <
		    0)
		return step_failed(fail, STEP_PROC_MASK, -1, errno);
	close(blank);
	int proc = open_beneath(root, "proc");
	if (proc < 0)
		return step_failed(fail, STEP_PROC_MASK, -1, errno);
	for (size_t i = 0; i < stk_n_proc_masks; i++) {
		const char *path = stk_proc_masks[i].path;
		struct stat st;
		if (fstatat(proc, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			int saved = errno; /* unknown: never left uncovered */
			close(proc);
			return step_failed(fail, STEP_PROC_MASK, (int)i, saved);
		}
		bool dir = S_ISDIR(st.st_mode);
		if (!dir && !(st.st_mode & (S_IROTH | S_IWOTH)))
			continue;
		int cover =
			sys_open_tree(root, dir ? ".blank/dir" : ".blank/file",
				      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (cover < 0 || sys_move_mount(cover, "", proc, path,
						MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			int saved = errno;
			close(proc);
			return step_failed(fail, STEP_PROC_MASK, (int)i, saved);
		}
		close(cover);
	}
	close(proc);
	if (umount2(blank_path, MNT_DETACH) < 0 ||
	    unlinkat(root, ".blank", AT_REMOVEDIR) < 0)
		return step_failed(fail, STEP_PROC_MASK, -1, errno);
	return 0;
}

int mount_build_root(struct plan *plan, struct helper *helper,
		     struct report *fail)
{
	/* The new root is a small tmpfs attached over /tmp of this mount
	 * namespace's copy of the host tree (the host's /tmp is untouched):
	 * every host tree the plan binds was cloned before, so nothing
	 * needed is hidden by it. */
	struct mount_op root_op = {.kind = OP_TMPFS, .mode = 0755};
	memcpy(root_op.size, ROOT_TMPFS_SIZE, sizeof(ROOT_TMPFS_SIZE));
	memcpy(root_op.nr_inodes, ROOT_TMPFS_INODES, sizeof(ROOT_TMPFS_INODES));
	int root = new_fs("tmpfs", &root_op);
	if (root < 0 || sys_move_mount(root, "", AT_FDCWD, "/tmp",
				       MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return step_failed(fail, STEP_ROOT, -1, errno);

	char buf[PATH_MAX];
	for (size_t i = 0; i < plan->n_ops; i++) {
		struct mount_op *op = &plan->ops[i];
		const char *base;
		int dir = open_parent(root, op->dest, buf, sizeof(buf), &base);
		if (dir < 0)
			return step_failed(fail, STEP_MKDIR, (int)i, errno);
		enum step failed = apply_op(op, dir, base);
		int saved = errno;
		close(dir);
		if (failed != STEP_COUNT)
			return step_failed(fail, failed, (int)i, saved);
	}
	/* The root is /tmp of this namespace until pivot_root. */
	if (mask_proc(root, "/tmp/.blank", fail) < 0)
		return -1;

	/* The network namespace is joined here, where the helper has had the
	 * whole mount work to make it. */
	if (helper_join_network(helper, fail) < 0)
		return -1;

	/* pivot_root(".", ".") stacks the old root on the new one; the
	 * detach then drops the whole host tree from this namespace, so no
	 * path, however crafted, leads back to it. */
	struct stat new_root;
	if (fstat(root, &new_root) < 0 || fchdir(root) < 0 ||
	    sys_pivot_root(".", ".") < 0)
		return step_failed(fail, STEP_PIVOT_ROOT, -1, errno);
	close(root);
	if (helper_detach_old_root(helper, &new_root, fail) < 0)
		return -1;
	if (chdir("/") < 0)
		return step_failed(fail, STEP_DETACH_OLD_ROOT, -1, errno);
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (sys_mount_setattr(AT_FDCWD, "/", 0, &ro) < 0)
		return step_failed(fail, STEP_ROOT_READ_ONLY, -1, errno);
	return 0;
}
