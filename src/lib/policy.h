/* policy.h - the policy object behind the public setters.  Plain data: the
 * setters validate, stk_run reads it through plan_build(). */
#ifndef STK_POLICY_H
#define STK_POLICY_H

#include "stockade.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STK_SANDBOX_UID 1000
#define STK_SANDBOX_GID 1000
#define STK_SANDBOX_USER "sandbox"
#define STK_DEFAULT_HOSTNAME "stockade"
#define STK_DEFAULT_TMPFS_SIZE (64ULL << 20)
#define STK_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

enum bind_origin {
	BIND_USER,   /* --ro/--rw: the host path must exist */
	BIND_MIRROR, /* default policy: a symlink on the host stays a symlink,
		      * a missing path is skipped */
};

struct bind {
	char *host; /* owned; absolute */
	char *path; /* owned; normal form, inside the sandbox */
	unsigned flags;
	enum bind_origin origin;
	dev_t dev; /* BIND_USER: what host was when the option was given */
	ino_t ino;
};

struct tmpfs {
	char *path; /* owned */
	uint64_t size;
	bool user; /* given by the caller, not the default policy */
};

struct copy {
	char *host; /* owned; absolute, for messages */
	char *path; /* owned */
	int fd;	    /* owned; the host file or directory, opened when the
		     * option was given */
};

struct env_var {
	char *name;  /* owned */
	char *value; /* owned; NULL: removed */
};

/* A setter's change as the option it amounts to (marshal.c). */
struct logged {
	char *name;  /* owned; stk_policy_set_option's name */
	char *value; /* owned */
};

struct stk_policy {
	char **argv; /* owned; NULL-terminated */
	struct bind *binds;
	size_t n_binds;
	struct tmpfs *tmpfs;
	size_t n_tmpfs;
	struct copy *copies;
	size_t n_copies;
	struct env_var *env;
	size_t n_env;
	char *workdir;	/* owned */
	char *hostname; /* owned */
	int stdio[3];
	bool forward_signals;
	uint64_t groups; /* bit i: stk_groups[i] is on */
	char **denied;	 /* owned; calls the caller forbade */
	size_t n_denied;
	enum stk_on_deny on_deny;
	uint64_t limits[STK_LIMIT_COUNT]; /* 0: none */
	uint32_t asked;	       /* bit i: limit i was given, not its default */
	char *cgroup_parent;   /* owned; a delegated v2 group */
	char *profile_name;    /* owned; the last one loaded */
	char *profile_source;  /* owned; its file, or "built-in" */
	char *profile_about;   /* owned; its description, or NULL */
	char **compile_argv;   /* owned; a profile's [compile] command */
	char *artifact;	       /* owned; what it leaves for the run stage */
	char **stage_run_argv; /* owned; the run stage's command */
	struct logged *log;    /* owned; the setters' changes, in order */
	size_t n_log;
	const char *unlogged; /* static: why the log is not whole, or NULL */
	bool sealed;	      /* every setter refuses */
};

/* option.c: the profile section in which option NAME is a key (NULL:
 * none), and whether any option is a key of SECTION. */
const char *option_section(const char *name);
bool option_section_known(const char *section);

struct limit_info {
	const char *option; /* NULL: not settable */
	const char *key;    /* in the record */
	int resource;	    /* RLIMIT_*, or -1: the supervisor's */
	uint64_t fallback;  /* the default; 0: none */
	const char *by;	    /* what enforces it */
	bool liftable;	    /* STK_UNLIMITED accepted */
};
extern const struct limit_info stk_limits[STK_LIMIT_COUNT];
void limits_default(uint64_t limits[STK_LIMIT_COUNT]);
/* Checks value for limit which and stores it as the run applies it
 * (none: 0 for the supervisor's limits, RLIM_INFINITY for rlimits).
 * Returns 1 for a limit, 0 for one lifted, or -errno. */
int limit_value(enum stk_limit which, uint64_t value, uint64_t *stored,
		struct stk_error **err);
/* A stored limit as a number to compare: none is the largest. */
uint64_t limit_rank(enum stk_limit which, uint64_t stored);

/* marshal.c: -EPERM (step named) once p is sealed, else 0. */
int policy_sealed(const struct stk_policy *p, const char *step,
		  struct stk_error **err);
/* Notes a setter's change as option NAME with the value printed. */
void policy_log(struct stk_policy *p, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for "A" or "A:B" (b NULL), which cannot hold another ':'. */
void policy_log_pair(struct stk_policy *p, const char *name, const char *a,
		     const char *b);
void policy_log_free(struct stk_policy *p);
/* profile.c: the profile the record names; -ENOMEM. */
int policy_set_profile(struct stk_policy *p, const char *name,
		       const char *source);

/* policy.c: what the policy's setters and the job's share (job.c). */
int command_copy(char ***dst, const char *const argv[], struct stk_error **err);
void strv_free(char **v);
/* The entry of NAME, or NULL. */
struct env_var *env_find(const struct env_var *env, size_t n_env,
			 const char *name);
int env_put(struct env_var **env, size_t *n_env, const char *name,
	    const char *value, struct stk_error **err);
void env_free(struct env_var *env, size_t n_env);

#endif
