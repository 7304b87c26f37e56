/* cgroup.c - a control group per run: limits on the whole tree (memory
 * without swap, tasks), its accounting (CPU, peak memory, OOM kills), and
 * nothing left behind.
 *
 * One interface over the layouts a host may have, detected per run:
 *   v2      one unified tree with the memory and pids controllers;
 *   hybrid  a v2 tree without them (it still gives cgroup.kill and
 *           cpu.stat) beside v1 memory and pids hierarchies - this host;
 *   v1      v1 hierarchies only;
 *   v2 (delegated)  with --cgroup-parent, a v2 group the caller was
 *           given (no root needed), and what controllers it hands down.
 * The run's groups are made under a "stockade" group of each hierarchy,
 * named after the supervisor's pid (for people; a supervisor in another
 * pid namespace may have the same); each is flock()ed by the run that
 * made it for as long as it lives, and the groups no run holds are
 * removed by the next run.  The child starts inside the v2 group
 * (CLONE_INTO_CGROUP) and is moved into the v1 groups before it leaves
 * the sync pipe, so no process of the run ever runs outside them. */
#define _GNU_SOURCE
#include "cgroup.h"

#include "cleanup.h"
#include "error.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"
#define CG_PARENT "stockade"

static const char *const v1_names[CG_V1_COUNT] = {
	[CG_MEMORY] = "memory",
	[CG_PIDS] = "pids",
	[CG_CPUACCT] = "cpuacct",
};

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool has_file(const char *dir, const char *file)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return exists(path);
}

/* What to write to cgroup.subtree_control to hand down those of memory
 * and pids that a group's cgroup.controllers lists; NULL: neither.  A
 * write naming an absent controller would enable none. */
static const char *hand_down(const char *controllers)
{
	bool memory = strstr(controllers, "memory");
	bool pids = strstr(controllers, "pids");
	return memory && pids ? "+memory +pids"
	       : memory	      ? "+memory"
	       : pids	      ? "+pids"
			      : NULL;
}

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	/* O_CREAT changes nothing on a cgroup file system, where every file
	 * exists; it lets the unit tests use a plain directory tree. */
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return -errno;
	return 0;
}

/* A short file's text ("" when it cannot be read); false then. */
static bool read_text(const char *dir, const char *file, char *buf, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_small(path, buf, size) >= 0;
}

/* The value of "key N" in a flat keyed file, or of a single-number file
 * when key is NULL. */
static bool read_value(const char *dir, const char *file, const char *key,
		       uint64_t *value)
{
	char path[512], buf[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	if (!key) {
		*value = strtoull(buf, NULL, 10);
		return true;
	}
	size_t klen = strlen(key);
	for (char *line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*value = strtoull(line + klen + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

/* Groups a SIGKILLed stockade left: it took its sandbox down
 * (parent-death signal) but could not remove them.  A group is stale when
 * no run holds its lock: the kernel drops a flock
 * when the last fd of it closes, however the supervisor ended.  A pid
 * would not tell: kill(pid, 0) sees only this pid namespace, and a
 * stockade in another one, sharing the cgroup tree, has other pids.  The
 * lock is taken before the rmdir and held through it, so a run that made
 * the group but has not locked it yet finds it gone and tries another
 * name (lock_group); a group with processes is never removed (EBUSY). */
static void remove_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "run-", 4) != 0)
			continue;
		int fd =
			openat(dirfd(d), e->d_name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		close(fd);
	}
	if (d)
		closedir(d);
}

/* The lock on a group this run just made, or -1 with errno: EEXIST when
 * another run's remove_stale took the group between our mkdir and now. */
static int lock_group(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? (errno = EEXIST, -1) : -1;
	struct stat held, now;
	errno = 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &held) < 0 ||
	    stat(dir, &now) < 0 || held.st_ino != now.st_ino ||
	    held.st_dev != now.st_dev) {
		/* Held by the remover, or gone, or another group now. */
		int e = errno == EWOULDBLOCK || errno == ENOENT || !errno
				? EEXIST
				: errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* parent/name, locked, after removing the stale groups beside it.  step
 * names what is at fault in the error: "cgroup", or the option that gave
 * the parent.  EEXIST: the name is another run's; try another. */
static int new_group(const char *parent, const char *name, const char *step,
		     char **out, int *lock, struct stk_error **err)
{
	remove_stale(parent);
	if (asprintf(out, "%s/%s", parent, name) < 0) {
		*out = NULL;
		return stk_error_set(err, ENOMEM, step, "out of memory");
	}
	const char *what = "mkdir";
	if (mkdir(*out, 0755) == 0) {
		what = "locking";
		*lock = lock_group(*out);
		if (*lock >= 0)
			return 0;
		int e = errno;
		if (e != EEXIST)
			rmdir(*out);
		errno = e;
	}
	int r = stk_error_set(err, errno, step, "%s: %s %s: %s", step, what,
			      *out, stk_strerror(errno));
	free(*out);
	*out = NULL;
	return r;
}

/* root/stockade/run-PID-N, the stockade group made on demand. */
static int make_group(const char *root, const char *name, char **out, int *lock,
		      struct stk_error **err)
{
	char parent[512];
	snprintf(parent, sizeof(parent), "%s/%s", root, CG_PARENT);
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		return stk_error_set(err, errno, "cgroup", "mkdir %s: %s",
				     parent, stk_strerror(errno));
	return new_group(parent, name, "cgroup", out, lock, err);
}

/* The v2 group's directory, for CLONE_INTO_CGROUP. */
static int open_v2(struct cgroup_run *cg, struct stk_error **err)
{
	cg->v2_fd = open(cg->v2, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cg->v2_fd < 0 ? stk_error_set(err, errno, "cgroup", "%s: %s",
					     cg->v2, stk_strerror(errno))
			     : 0;
}

static int set_limit(const char *dir, const char *file, uint64_t value,
		     struct stk_error **err)
{
	char text[32];
	snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
	int r = write_file(dir, file, text);
	return r < 0 ? stk_error_set(err, -r, "cgroup", "%s/%s = %s: %s", dir,
				     file, text, stk_strerror(-r))
		     : 0;
}

/* Memory without swap: past the limit the kernel's OOM killer acts
 * inside the group, which the record reports.  A limit asked for that no
 * controller can hold is an error; the default gives way. */
static int write_limits(struct cgroup_run *cg, uint64_t memory, uint64_t tasks,
			struct stk_error **err)
{
	int r = 0;
	if (memory && cg->memory_v2) {
		r = set_limit(cg->v2, "memory.max", memory, err);
		if (r == 0 && has_file(cg->v2, "memory.swap.max"))
			r = set_limit(cg->v2, "memory.swap.max", 0, err);
	} else if (memory && cg->v1[CG_MEMORY]) {
		r = set_limit(cg->v1[CG_MEMORY], "memory.limit_in_bytes",
			      memory, err);
		if (r == 0 &&
		    has_file(cg->v1[CG_MEMORY], "memory.memsw.limit_in_bytes"))
			r = set_limit(cg->v1[CG_MEMORY],
				      "memory.memsw.limit_in_bytes", memory,
				      err);
	} else if (memory && cg->memory_required) {
		r = cg->parent ? stk_error_set(err, EOPNOTSUPP, "--memory",
					       "--memory: the memory "
					       "controller is not delegated "
					       "to %s",
					       cg->parent)
			       : stk_error_set(err, EOPNOTSUPP, "--memory",
					       "--memory: no memory controller "
					       "on this host");
	}
	if (r == 0 && tasks) {
		const char *dir = cg->pids_v2 ? cg->v2 : cg->v1[CG_PIDS];
		if (dir)
			r = set_limit(dir, "pids.max", tasks, err);
	}
	return r;
}

/* --cgroup-parent: the run's group straight under a v2 group the caller
 * may write, such as the subtree systemd delegates to a user; only the
 * controllers the delegation hands down can limit. */
static int create_under(struct cgroup_run *cg, const char *name,
			struct stk_error **err)
{
	char given[256], enabled[256];
	const char *file = "cgroup.controllers";
	if (!read_text(cg->parent, file, given, sizeof(given)))
		goto unread;
	const char *enable = hand_down(given);
	if (enable)
		write_file(cg->parent, "cgroup.subtree_control", enable);
	file = "cgroup.subtree_control";
	if (!read_text(cg->parent, file, enabled, sizeof(enabled)))
		goto unread;
	cg->memory_v2 = strstr(enabled, "memory");
	cg->pids_v2 = strstr(enabled, "pids");
	cg->layout = "v2 (delegated)";
	int r = new_group(cg->parent, name, "--cgroup-parent", &cg->v2,
			  &cg->v2_lock, err);
	return r < 0 ? r : open_v2(cg, err);
unread:
	return stk_error_set(err, errno, "--cgroup-parent",
			     "--cgroup-parent: reading %s/%s: %s", cg->parent,
			     file, stk_strerror(errno));
}

static int create_on_host(struct cgroup_run *cg, const char *top,
			  const char *name, struct stk_error **err);

int cgroup_create(struct cgroup_run *cg, uint64_t memory, uint64_t tasks,
		  struct stk_error **err)
{
	return cgroup_create_at(cg, CG_ROOT, memory, tasks, err);
}

int cgroup_create_at(struct cgroup_run *cg, const char *top, uint64_t memory,
		     uint64_t tasks, struct stk_error **err)
{
	static unsigned counter; /* runs of this process: any thread */
	struct cgroup_run in = *cg;
	enum { NAMES_TRIED = 16 };
	int r = -EEXIST;
	/* A name taken by a supervisor of the same pid in another pid
	 * namespace, or a group removed under us before we locked it:
	 * another name. */
	for (int tries = 0; r == -EEXIST && tries < NAMES_TRIED; tries++) {
		struct stk_error *e = NULL;
		char name[64];
		snprintf(name, sizeof(name), "run-%d-%u", (int)getpid(),
			 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
		*cg = (struct cgroup_run){.v2_fd = -1,
					  .peak_fd = -1,
					  .memory_required = in.memory_required,
					  .parent = in.parent};
		r = cg->parent ? create_under(cg, name, &e)
			       : create_on_host(cg, top, name, &e);
		if (r == 0)
			r = write_limits(cg, memory, tasks, &e);
		if (r < 0)
			cgroup_destroy(cg);
		bool last = r != -EEXIST || tries == NAMES_TRIED - 1;
		if (r < 0 && last && err && !*err)
			*err = e;
		else
			stk_error_free(e);
	}
	return r;
}

/* The groups of every hierarchy the host has: v2, hybrid or v1. */
static int create_on_host(struct cgroup_run *cg, const char *top,
			  const char *name, struct stk_error **err)
{
	char unified[256], probe[300];
	snprintf(unified, sizeof(unified), "%s/unified", top);
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", top);
	const char *v2root = exists(probe) ? top : NULL;
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", unified);
	if (!v2root && exists(probe))
		v2root = unified;
	char controllers[256] = "";
	/* Unread, they would look absent and the limits fall back to
	 * weaker means: an error instead. */
	if (v2root && !read_text(v2root, "cgroup.controllers", controllers,
				 sizeof(controllers)))
		return stk_error_set(
			err, errno, "cgroup",
			"cgroup: reading %s/cgroup.controllers: %s", v2root,
			stk_strerror(errno));
	cg->memory_v2 = v2root && strstr(controllers, "memory");
	cg->pids_v2 = v2root && strstr(controllers, "pids");
	cg->layout = cg->memory_v2 ? "v2" : v2root ? "hybrid" : "v1";

	int r = 0;
	if (v2root) {
		/* The controllers must be handed down to our groups. */
		const char *enable = hand_down(controllers);
		if (enable) {
			char parent[512];
			snprintf(parent, sizeof(parent), "%s/%s", v2root,
				 CG_PARENT);
			mkdir(parent, 0755);
			write_file(v2root, "cgroup.subtree_control", enable);
			write_file(parent, "cgroup.subtree_control", enable);
		}
		r = make_group(v2root, name, &cg->v2, &cg->v2_lock, err);
		if (r == 0)
			r = open_v2(cg, err);
	}
	for (int c = 0; r == 0 && c < CG_V1_COUNT; c++) {
		/* A v2 group counts CPU already (cpu.stat, always there). */
		if ((c == CG_MEMORY && cg->memory_v2) ||
		    (c == CG_PIDS && cg->pids_v2) ||
		    (c == CG_CPUACCT && v2root))
			continue;
		char root[512];
		snprintf(root, sizeof(root), "%s/%s", top, v1_names[c]);
		if (!exists(root))
			continue;
		r = make_group(root, name, &cg->v1[c], &cg->v1_lock[c], err);
	}
	return r;
}

int cgroup_attach(const struct cgroup_run *cg, pid_t pid,
		  struct stk_error **err)
{
	char text[32];
	snprintf(text, sizeof(text), "%d", (int)pid);
	for (int c = 0; c < CG_V1_COUNT; c++) {
		if (!cg->v1[c])
			continue;
		int r = write_file(cg->v1[c], "cgroup.procs", text);
		if (r < 0)
			return stk_error_set(err, -r, "cgroup",
					     "joining %s: %s", cg->v1[c],
					     stk_strerror(-r));
	}
	return 0;
}

void cgroup_usage(const struct cgroup_run *cg, struct cgroup_usage *u)
{
	*u = (struct cgroup_usage){0};
	if (cg->v2 &&
	    read_value(cg->v2, "cpu.stat", "user_usec", &u->user_us) &&
	    read_value(cg->v2, "cpu.stat", "system_usec", &u->system_us))
		u->cpu = true;
	if (cg->memory_v2) {
		u->memory = read_value(cg->v2, "memory.peak", NULL,
				       &u->memory_peak);
		u->peak_from = "memory.peak";
		read_value(cg->v2, "memory.events", "oom_kill", &u->oom_kills);
	} else if (cg->v1[CG_MEMORY]) {
		u->memory = read_value(cg->v1[CG_MEMORY],
				       "memory.max_usage_in_bytes", NULL,
				       &u->memory_peak);
		if (u->memory_peak < cg->peak_floor)
			u->memory_peak = cg->peak_floor;
		u->peak_from = "memory.max_usage_in_bytes";
		read_value(cg->v1[CG_MEMORY], "memory.oom_control", "oom_kill",
			   &u->oom_kills);
	}
	const char *pids = cg->pids_v2 ? cg->v2 : cg->v1[CG_PIDS];
	if (pids) {
		read_value(pids, "pids.events", "max", &u->pids_max_hits);
		u->tasks = read_value(pids, "pids.peak", NULL, &u->tasks_peak);
	}
}

/* A number read from the start of fd. */
static bool read_fd_value(int fd, uint64_t *value)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = 0;
	*value = strtoull(buf, NULL, 10);
	return true;
}

bool cgroup_memory_now(struct cgroup_run *cg, uint64_t *current, uint64_t *peak)
{
	if (cg->memory_v2)
		return read_value(cg->v2, "memory.current", NULL, current) &&
		       (cg->peak_fd >= 0 ? read_fd_value(cg->peak_fd, peak)
					 : read_value(cg->v2, "memory.peak",
						      NULL, peak));
	const char *dir = cg->v1[CG_MEMORY];
	return dir && read_value(dir, "memory.usage_in_bytes", NULL, current) &&
	       read_value(dir, "memory.max_usage_in_bytes", NULL, peak);
}

int cgroup_memory_reset(struct cgroup_run *cg)
{
	if (cg->memory_v2) {
		/* A write to memory.peak resets it for that open file only:
		 * the record's read, through another, sees the whole run. */
		if (cg->peak_fd < 0) {
			char path[512];
			snprintf(path, sizeof(path), "%s/memory.peak", cg->v2);
			cg->peak_fd = open(path, O_RDWR | O_CLOEXEC);
			if (cg->peak_fd < 0)
				return -errno;
		}
		return pwrite(cg->peak_fd, "reset\n", 6, 0) == 6 ? 0 : -errno;
	}
	const char *dir = cg->v1[CG_MEMORY];
	uint64_t peak;
	if (!dir)
		return -ENOTSUP;
	/* v1 has one peak for everyone: the record's is kept apart. */
	if (read_value(dir, "memory.max_usage_in_bytes", NULL, &peak) &&
	    peak > cg->peak_floor)
		cg->peak_floor = peak;
	return write_file(dir, "memory.max_usage_in_bytes", "0");
}

uint64_t cgroup_cpu_us(const struct cgroup_run *cg)
{
	uint64_t us = 0, ns = 0;
	if (cg->v2 && read_value(cg->v2, "cpu.stat", "usage_usec", &us))
		return us;
	return cg->v1[CG_CPUACCT] && read_value(cg->v1[CG_CPUACCT],
						"cpuacct.usage", NULL, &ns)
		       ? ns / 1000
		       : 0;
}

void cgroup_destroy(struct cgroup_run *cg)
{
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	if (cg->peak_fd >= 0)
		close(cg->peak_fd);
	/* Every process of the run is dead by now: the pid namespace ended
	 * with its init.  cgroup.kill (v2, Linux 5.14) is the second line,
	 * against any the namespace did not hold.  An rmdir that then finds
	 * the group busy means the kernel has not finished removing one. */
	if (cg->v2 && has_file(cg->v2, "cgroup.kill"))
		write_file(cg->v2, "cgroup.kill", "1");
	char *dirs[CG_V1_COUNT + 1] = {cg->v2};
	int locks[CG_V1_COUNT + 1] = {cg->v2_lock};
	for (int c = 0; c < CG_V1_COUNT; c++) {
		dirs[c + 1] = cg->v1[c];
		locks[c + 1] = cg->v1_lock[c];
	}
	for (int i = 0; i < CG_V1_COUNT + 1; i++) {
		if (!dirs[i])
			continue; /* and its lock was never taken */
		for (int tries = 0;
		     rmdir(dirs[i]) < 0 && errno == EBUSY && tries < 100;
		     tries++)
			usleep(1000);
		close(locks[i]);
		free(dirs[i]);
	}
	*cg = (struct cgroup_run){.v2_fd = -1, .peak_fd = -1};
}
