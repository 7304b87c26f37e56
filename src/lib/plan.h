/* plan.h - a policy turned into what the child applies.
 *
 * The supervisor builds the plan before clone (it may allocate, open files
 * and read the host); the child only walks it with async-signal-safe
 * system calls.  The child runs on a copy-on-write copy of the supervisor's
 * memory, so it may store its own fds in the plan. */
#ifndef STK_PLAN_H
#define STK_PLAN_H

#include "policy.h"
#include "filter.h"
#include "landlock.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Code of the child that runs on a stack ASan did not see allocated:
 * instrumented, it would only print false alarms into the sandbox. */
#define ON_BORROWED_STACK __attribute__((no_sanitize("address")))

enum op_kind {
	OP_BIND,      /* host tree, recursive, read-only or writable */
	OP_DEVICE,    /* one host device node */
	OP_SYMLINK,   /* source is the link's target */
	OP_DIR,	      /* an empty directory */
	OP_FILE,      /* a file with the bytes of source */
	OP_COPY_FILE, /* a file with the bytes of fd */
	OP_TMPFS,
	OP_PROC,
	OP_DEVPTS, /* a private instance: the sandbox's own terminals */
};

struct mount_op {
	enum op_kind kind;
	char *dest;    /* owned; relative to the new root, e.g. "usr/bin" */
	char *source;  /* owned; host path, link target or file content */
	size_t length; /* OP_FILE: bytes of source */
	char size[24]; /* OP_TMPFS: the size option, in bytes */
	char nr_inodes[24]; /* OP_TMPFS: the inode limit */
	mode_t mode;
	bool read_only;
	bool is_dir;   /* OP_BIND: a directory rather than a file */
	bool optional; /* OP_BIND: skipped if the source has gone */
	bool fallback; /* the default policy's: gives way to the caller's */
	dev_t dev;     /* OP_BIND, OP_DEVICE: what the child must find at */
	ino_t ino;     /* source, or refuse (a path can be swapped) */
	int fd;	       /* OP_COPY_FILE: the source; OP_BIND, OP_DEVICE: the
			* detached tree the child cloned */
};

/* Steps of the child, in order; their names are in the record. */
enum step {
	STEP_CGROUP_NS,
	STEP_CMDLINE,
	STEP_MOUNT_PRIVATE,
	STEP_OPEN_TREE,
	STEP_BIND_ATTRS,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_CAPS_RAISE,
	STEP_PARENT_DEATH,
	STEP_ROOT,
	STEP_MKDIR,
	STEP_MOUNT,
	STEP_SYMLINK,
	STEP_WRITE_FILE,
	STEP_TMPFS,
	STEP_PROC,
	STEP_PROC_MASK,
	STEP_DEVPTS,
	STEP_HOSTNAME,
	STEP_NETNS,
	STEP_NET_BUFFERS,
	STEP_PIVOT_ROOT,
	STEP_DETACH_OLD_ROOT,
	STEP_ROOT_READ_ONLY,
	STEP_CHDIR,
	STEP_SETSID,
	STEP_SECUREBITS,
	STEP_CAPS_DROP,
	STEP_NO_NEW_PRIVS,
	STEP_DUMPABLE,
	STEP_STDIO,
	STEP_FDS,
	STEP_FORK,
	STEP_RLIMITS,
	STEP_LANDLOCK,
	STEP_SECCOMP,
	STEP_EXEC,
	STEP_COUNT,
};

const char *step_name(enum step step);

/* What the child sends on the report socket (SOCK_SEQPACKET: one record
 * per message, never torn or merged). */
enum report_kind {
	REPORT_FAILED = 1,   /* a setup step failed */
	REPORT_EXITED = 2,   /* init reaped the payload: status is its wait
			      * status */
	REPORT_LISTENER = 3, /* carries the seccomp listener (SCM_RIGHTS) */
};

struct report {
	int32_t kind;
	int32_t step;
	int32_t index; /* the mount op concerned, or -1 */
	int32_t errnum;
	int32_t status;
};

struct plan {
	struct mount_op *ops; /* owned; in the order they are applied */
	size_t n_ops;
	char **argv;	      /* borrowed from the policy */
	char **envp;	      /* owned; "NAME=VALUE" */
	const char *path_env; /* borrowed; PATH for the command lookup */
	const char *workdir;  /* borrowed */
	const char *hostname; /* borrowed */
	bool privileged;      /* root mode: the child switches to host_uid */
	uid_t uid;	      /* inside */
	gid_t gid;
	uid_t host_uid; /* what uid maps to */
	gid_t host_gid;
	int stdio[3];  /* what the payload gets as 0, 1, 2 */
	int sync_fd;   /* read end: the supervisor wrote the id maps */
	int report_fd; /* our end of the report socket */
	int *keep;     /* owned until the clone; the fds the child keeps */
	size_t n_keep;
	struct filter filter; /* owned; the payload loads it */
	struct landlock_plan landlock;
	uint64_t limits[STK_LIMIT_COUNT]; /* copied from the policy */
	bool cgroup;			  /* the run has a cgroup */
	bool cg_memory, cg_pids;	  /* and it limits memory, tasks */
	uint64_t groups; /* the syscall groups in force: the policy's, less
			  * shared-memory where memory is RLIMIT_AS */
	int listener;	 /* the payload's seccomp listener, for init */
};

struct helper;

/* mount.c */
int plan_mounts(struct plan *plan, const struct stk_policy *policy,
		struct stk_error **err);
void plan_release(struct plan *plan);
/* Child: before the credentials change, clone every host tree it binds
 * (so that root mode still reaches what root can reach). */
int mount_clone_sources(struct plan *plan, struct report *fail);
/* Child: build the new root (its /proc masked), join the helper's network
 * namespace, pivot into the root and have the helper detach the old one. */
int mount_build_root(struct plan *plan, struct helper *helper,
		     struct report *fail);

/* ns.c */
int ns_write_id_maps(pid_t pid, const struct plan *plan,
		     struct stk_error **err);
int ns_set_hostname(const struct plan *plan, struct report *fail);
int ns_bound_net_buffers(const struct plan *plan, struct report *fail);
const char *ns_net_bound_path(int index);

/* helper.c: a process of the child that creates the network namespace
 * and waits out the detach of the old root while the child goes on. */
struct helper {
	pid_t pid;
	int report; /* read end: the helper's errnos */
	int go;	    /* write end: detach now */
};
int helper_start(struct helper *helper, struct report *fail);
/* Joins the network namespace the helper made, its lo up. */
int helper_join_network(const struct helper *helper, struct report *fail);
/* After pivot_root: returns once "/.." is new_root, the old one detached. */
int helper_detach_old_root(struct helper *helper, const struct stat *new_root,
			   struct report *fail);

/* limits.c: payload, before Landlock. */
int limits_apply(const struct plan *plan, struct report *fail);
int limits_fit_descriptors(struct plan *plan, uint32_t asked,
			   struct stk_error **err);

/* creds.c */
int creds_enter(const struct plan *plan, struct report *fail);
int creds_drop(struct report *fail);
/* Supervisor, root mode: a host uid no other run holds, and the fd whose
 * lock holds it (close it when the run is over). */
int creds_claim_host_uid(uid_t *uid, int *lock_fd, struct stk_error **err);

static inline int step_failed(struct report *fail, enum step step, int index,
			      int errnum)
{
	fail->kind = REPORT_FAILED;
	fail->step = (int32_t)step;
	fail->index = index;
	fail->errnum = errnum;
	return -1;
}

#endif
