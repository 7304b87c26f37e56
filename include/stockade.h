/*
 * stockade.h - run an untrusted program inside an OS-level sandbox.
 *
 * Usage pattern:
 *
 *   1. Create a policy.  It starts as the default policy: every layer on,
 *      a read-only /usr, a tmpfs /tmp, a clean environment, no network.
 *
 *        struct stk_error *err = NULL;
 *        struct stk_policy *p = stk_policy_new();
 *
 *   2. Set it.  Setters validate and return a negative errno with *err
 *      filled; they have no side effect on failure.
 *
 *        const char *argv[] = {"python3", "-I", "-c", "print(1)", NULL};
 *        if (stk_policy_set_command(p, argv, &err) < 0 ||
 *            stk_policy_add_bind(p, "/srv/data", "/data", STK_BIND_RO, &err) <
 * 0) goto fail;
 *
 *   3. Run.  The call blocks until every process of the run is dead and
 *      reaped.  It fills *record whenever it can, also on failure.
 *
 *        struct stk_record *rec = NULL;
 *        int r = stk_run(p, &rec, &err);
 *
 *   4. Read the record.
 *
 *        printf("%s exit=%d\n", stk_record_verdict(rec),
 * stk_record_exit_code(rec)); char *json = stk_record_to_json(rec);
 *
 *   5. Free what you own.
 *
 *        free(json);
 *        stk_record_free(rec);
 *        stk_policy_free(p);
 *        stk_error_free(err);
 *
 * Ownership: every pointer argument is borrowed (strings are copied); every
 * object returned through an out-parameter or as char * is the caller's.
 * The library never exits and never writes to stdout or stderr itself except
 * to pass the sandbox's own output through.
 *
 * Threads: every function may be called from any thread.  A policy is
 * read, never changed, by a run: any number of threads may run one
 * policy at once, as long as none sets it meanwhile - stk_policy_seal
 * makes sure.  A job, a run handle, a record and an error each belong to
 * one thread at a time.  A run leaves the caller's signal handlers, its
 * other children and its other threads alone: the sandbox's processes
 * signal no one at their end and no waitpid(-1) without __WALL can take
 * them.  The exceptions are stk_policy_set_forward_signals (the mask of
 * the thread that starts the run) and $STOCKADE_PROFILE_PATH, read once
 * when the library is loaded.  docs/library.md has the details.
 *
 * Errors: functions that can fail return 0 (or a non-negative value) on
 * success and -errno on failure, and fill *err when err is not NULL.  A
 * failed run still yields a record whose verdict is "setup-error".
 */
#ifndef STOCKADE_H
#define STOCKADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libstockade is built with -fvisibility=hidden: the functions declared
 * here, and no others, are its ABI (src/lib/libstockade.map lists them). */
#pragma GCC visibility push(default)

#define STK_VERSION "0.1.0"
/* Bumped whenever a field of the JSON run record changes meaning. */
#define STK_RECORD_VERSION 1

/* Exit statuses of the CLI, besides the payload's own. */
enum stk_exit {
	STK_EXIT_SETUP = 125,	 /* stockade failed: bad option, setup step */
	STK_EXIT_NOEXEC = 126,	 /* the command exists but cannot be run */
	STK_EXIT_NOTFOUND = 127, /* the command does not exist in the sandbox */
	STK_EXIT_SIGNAL_BASE = 128, /* + N: the payload died of signal N */
};

/* ---- errors -------------------------------------------------------- */

struct stk_error {
	int errnum;    /* positive errno */
	char *step;    /* owned; what failed: "--ro", "mount /usr", "execve" */
	char *message; /* owned; complete sentence for a human */
};

void stk_error_free(struct stk_error *err);

/* ---- parsing helpers (shared by the CLI, profiles and the service) -- */

/* "4096", "64k", "256M", "1.5G", "2T" (binary units, case-insensitive, an
 * optional trailing "B" or "iB").  Refuses negatives, junk and overflow. */
int stk_parse_size(const char *text, uint64_t *bytes, struct stk_error **err);
/* "2", "1.5s", "500ms", "250us", "2m", "1h" (a bare number is seconds);
 * the result is in nanoseconds. */
int stk_parse_duration(const char *text, uint64_t *ns, struct stk_error **err);
/* Checks that PATH is absolute, has no "." or ".." component and no NUL,
 * and writes its normal form (no repeated or trailing slash) to out. */
int stk_path_normalize(const char *path, char *out, size_t size,
		       struct stk_error **err);

/* ---- policy -------------------------------------------------------- */

struct stk_policy;

enum stk_bind_flags {
	STK_BIND_RO = 0,       /* read-only, nosuid, nodev (recursive) */
	STK_BIND_RW = 1 << 0,  /* writable, still nosuid, nodev */
	STK_BIND_TRY = 1 << 1, /* nothing when HOST does not exist */
};

/* The default policy; see the README for what it contains. */
struct stk_policy *stk_policy_new(void);
void stk_policy_free(struct stk_policy *policy);

/* argv[0] is looked up in the sandbox's PATH when it has no slash. */
int stk_policy_set_command(struct stk_policy *p, const char *const argv[],
			   struct stk_error **err);
/* HOST must exist; PATH (absolute, inside) defaults to HOST when NULL. */
int stk_policy_add_bind(struct stk_policy *p, const char *host,
			const char *path, unsigned flags,
			struct stk_error **err);
/* size 0 means the default tmpfs size. */
int stk_policy_add_tmpfs(struct stk_policy *p, const char *path, uint64_t size,
			 struct stk_error **err);
/* Copies a host file or tree into a tmpfs of the sandbox before the start;
 * the program sees only the copy, owned by the sandbox user. */
int stk_policy_add_copy(struct stk_policy *p, const char *host,
			const char *path, struct stk_error **err);
int stk_policy_set_chdir(struct stk_policy *p, const char *path,
			 struct stk_error **err);
/* value NULL removes NAME from the sandbox's environment. */
int stk_policy_set_env(struct stk_policy *p, const char *name,
		       const char *value, struct stk_error **err);
int stk_policy_set_hostname(struct stk_policy *p, const char *name,
			    struct stk_error **err);
/* Makes the run's cgroup under DIR, an absolute path to a cgroup v2 group
 * the caller may write (a delegated subtree), so that a run without
 * privilege still has cgroup limits and accounting.  The caller must
 * itself live inside that subtree. */
int stk_policy_set_cgroup_parent(struct stk_policy *p, const char *dir,
				 struct stk_error **err);
/* Sets one option by its name and its value as text, as the CLI's options
 * and the keys of profiles give them: "ro" "/srv:/data", "memory" "256M",
 * "allow" "network", "env" "NAME=VALUE" ("NAME" alone removes it).  The
 * names are those of `stockade run`'s long options without the dashes
 * (docs/profiles.md lists them); each ends in the setter above. */
int stk_policy_set_option(struct stk_policy *p, const char *name,
			  const char *value, struct stk_error **err);
/* Applies a profile (docs/profiles.md), key by key as if each were given
 * to stk_policy_set_option; its command becomes p's command, which a
 * later stk_policy_set_command replaces.  NAME with a '/' is a file;
 * otherwise NAME.conf is looked for in the directories of
 * $STOCKADE_PROFILE_PATH, as it was when the library was loaded (by
 * default /etc/stockade/profiles, then the installed ones) and then among
 * the profiles built into stockade.  On
 * failure p may hold some of the profile's keys: free it. */
int stk_policy_load_profile(struct stk_policy *p, const char *name,
			    struct stk_error **err);
/* The profiles a NAME can name, a line each: the name, its description
 * and, when it comes from a file, the file; the caller frees *text. */
int stk_profiles_list(char **text, struct stk_error **err);
/* Where the sandbox's stdin comes from and where its stdout and stderr go
 * (the supervisor copies them through pipes).  Defaults: 0, 1, 2. */
int stk_policy_set_stdio(struct stk_policy *p, int in, int out, int err_fd,
			 struct stk_error **err);
/* The system calls the sandbox may make come in named groups ("basic-io",
 * "file-system", "process", "signals", "memory", "time", "local-ipc",
 * "network"; `stockade policy` lists them).  allow turns a group on; deny
 * turns a group off or forbids one call.  A denied call fails with ENOSYS
 * (a call the policy does not know) or EPERM (one it forbids), or ends the
 * run (STK_ON_DENY_KILL); either way the record names it. */
int stk_policy_allow(struct stk_policy *p, const char *group,
		     struct stk_error **err);
int stk_policy_deny(struct stk_policy *p, const char *group_or_syscall,
		    struct stk_error **err);
enum stk_on_deny {
	STK_ON_DENY_ERRNO = 0,
	STK_ON_DENY_KILL = 1,
};
int stk_policy_set_on_deny(struct stk_policy *p, enum stk_on_deny action,
			   struct stk_error **err);
/* The effective syscall policy as text, by group and call, and the BPF
 * program as raw struct sock_filter bytes (for tests and review); the
 * caller frees. */
int stk_policy_describe(const struct stk_policy *p, char **text,
			struct stk_error **err);
int stk_policy_bpf(const struct stk_policy *p, void **program, size_t *size,
		   struct stk_error **err);

/* Limits.  Wall time is in nanoseconds, output, file size and stack in
 * bytes, open files and tasks in numbers; 0 is refused.  Each has a
 * default that protects the host (docs/record.md lists them); wall time,
 * CPU time and output have none.  STK_UNLIMITED lifts one of the limits
 * whose absence the host can bear (wall time, CPU time, output, file
 * size: files stay bounded by their tmpfs mounts); the others refuse it. */
#define STK_UNLIMITED UINT64_MAX
enum stk_limit {
	STK_LIMIT_WALL_TIME,	   /* the run is killed after it: wall-limit */
	STK_LIMIT_OUTPUT,	   /* stdout + stderr bytes passed on; beyond,
				    * cut and killed: output-limit */
	STK_LIMIT_FILE_SIZE,	   /* the largest file it may write */
	STK_LIMIT_OPEN_FILES,	   /* fds per process */
	STK_LIMIT_TASKS,	   /* processes and threads of the run */
	STK_LIMIT_STACK,	   /* stack of each process */
	STK_LIMIT_MEMORY,	   /* memory of the whole run, no swap:
				    * memory-limit (cgroup; unprivileged without
				    * one, RLIMIT_AS per process) */
	STK_LIMIT_CPU_TIME,	   /* CPU of the whole run, in ns: cpu-limit
				    * (cgroup; without one, RLIMIT_CPU per
				    * process) */
	STK_LIMIT_CORE,		   /* always 0: no core dumps (not settable) */
	STK_LIMIT_PENDING_SIGNALS, /* always 1024 (not settable): queued
				    * signals and POSIX timers, which the
				    * kernel also charges to the owner of
				    * the run's user namespace */
	/* Not settable either: what a caller's own limits would otherwise
	 * hand the program (root's are often unlimited). */
	STK_LIMIT_LOCKED_MEMORY,     /* always 64 KiB of mlock */
	STK_LIMIT_MESSAGE_QUEUES,    /* always 0 bytes of POSIX queues */
	STK_LIMIT_NICE,		     /* always 0: no priority above normal */
	STK_LIMIT_REALTIME_PRIORITY, /* always 0: no real-time scheduling */
	STK_LIMIT_REALTIME_CPU,	     /* always 0 us without blocking */
	STK_LIMIT_COUNT,
};
int stk_policy_set_limit(struct stk_policy *p, enum stk_limit which,
			 uint64_t value, struct stk_error **err);
/* The limit a run of p gets (the default when none was set, in the units
 * of stk_policy_set_limit), STK_UNLIMITED for none, or 0 for an unknown
 * limit. */
uint64_t stk_policy_get_limit(const struct stk_policy *p, enum stk_limit which);
/* The option that sets a limit ("wall-time", "memory"), or NULL for one
 * that cannot be set. */
const char *stk_limit_option(enum stk_limit which);
/* p's command (NULL-terminated, p's), or NULL when it has none. */
const char *const *stk_policy_get_command(const struct stk_policy *p);
/* The description of the profile p loaded last, or NULL. */
const char *stk_policy_get_description(const struct stk_policy *p);
/* A profile's compile stage ([compile], docs/profiles.md), for a host
 * that compiles in a sandbox of its own (stockade serve): its command,
 * the path it leaves (artifact) and the command of the run stage, all
 * p's; false when p has none.  A run of p itself runs p's command. */
bool stk_policy_get_compile(const struct stk_policy *p,
			    const char *const **compile, const char **artifact,
			    const char *const **run);

/* When on, a run of p blocks SIGINT, SIGTERM, SIGHUP and SIGQUIT in the
 * thread that starts it, from stk_run_start to stk_run_free, and passes
 * each one to the sandbox; a second one kills the sandbox.  For a host
 * that starts, steps and frees its one run from one thread, as the CLI
 * does; off by default (a library should not take a process's signals
 * unasked).  Ignored once p is sealed. */
void stk_policy_set_forward_signals(struct stk_policy *p, bool on);

/* Seals p: from now on every setter fails with EPERM (and
 * stk_policy_set_forward_signals does nothing), so that any number of
 * threads and runs may share it without a lock.  For good: there is no
 * unseal; what differs per run goes in its job. */
void stk_policy_seal(struct stk_policy *p);
bool stk_policy_is_sealed(const struct stk_policy *p);
/* The policy as bytes for another process (a privileged runner, say):
 * its command, and the options its setters amounted to, in order.  The
 * stdio fds stay behind (the receiver sets its own).  EINVAL for a
 * policy set with a path holding ':', which has no text form.  The
 * caller frees *bytes. */
int stk_policy_marshal(const struct stk_policy *p, void **bytes, size_t *len,
		       struct stk_error **err);
/* A new, unsealed policy from such bytes: each option applied to a
 * default policy through stk_policy_set_option, so that the receiver
 * validates all of it again, on its own host, and trusts the sender with
 * nothing it could not have set by name.  A --copy or bind names a host
 * path: the receiver opens it anew.  Malformed bytes fail with EINVAL
 * naming the entry; nothing is returned then. */
int stk_policy_unmarshal(const void *bytes, size_t len,
			 struct stk_policy **policy, struct stk_error **err);

/* ---- jobs ---------------------------------------------------------- */

/* What one run of a policy runs, when it is not all the policy's: a
 * policy is the template, shared; a job is this run's part.  Every field
 * is optional; an empty job (or NULL) runs the policy as it is.  The run
 * copies what it needs at its start: the job may then be changed, reused
 * or freed. */
struct stk_job;

struct stk_job *stk_job_new(void);
void stk_job_free(struct stk_job *job);
/* Replaces the policy's command. */
int stk_job_set_command(struct stk_job *job, const char *const argv[],
			struct stk_error **err);
/* Over the policy's environment; value NULL removes NAME. */
int stk_job_set_env(struct stk_job *job, const char *name, const char *value,
		    struct stk_error **err);
/* A limit as stk_policy_set_limit takes it, which may only tighten the
 * policy's: a value above it fails the start (EPERM, its option named). */
int stk_job_set_limit(struct stk_job *job, enum stk_limit which, uint64_t value,
		      struct stk_error **err);
/* The program's whole input, copied; it reads its end after len bytes. */
int stk_job_set_stdin(struct stk_job *job, const void *data, size_t len,
		      struct stk_error **err);
/* A file the program finds at PATH (absolute, inside a tmpfs of the
 * policy, as for --copy), with len bytes of data (copied) and mode
 * (permissions only; 0: 0644), owned by the sandbox's user; missing
 * directories on the way are made.  At most 4096 files; their bytes
 * count against the tmpfs's size, and a file that does not fit fails the
 * start at step "write file".  A path that does not lie in a tmpfs fails
 * the start (EINVAL, step "file"). */
int stk_job_add_file(struct stk_job *job, const char *path, const void *data,
		     size_t len, unsigned mode, struct stk_error **err);
/* As stk_policy_set_stdio, each -1 leaving the policy's.  The fds are
 * borrowed: they must stay open until the run ends.  Of an input fd here
 * and stk_job_set_stdin, the one set last is the program's stdin. */
int stk_job_set_stdio(struct stk_job *job, int in, int out, int err_fd,
		      struct stk_error **err);
/* Hands the program's output to fn instead of the stdout and stderr fds,
 * as it comes, in the thread that drives the run: stream is 1 or 2, and
 * the bytes are fn's only during the call.  fn returns 0 to go on, or
 * anything else to take no more of that stream (the program then gets
 * EPIPE, as from a reader gone).  NULL turns it off. */
typedef int (*stk_output_fn)(void *ctx, int stream, const void *data,
			     size_t len);
void stk_job_set_output(struct stk_job *job, stk_output_fn fn, void *ctx);

/* ---- host ---------------------------------------------------------- */

/* What this host lets stockade enforce, a line per layer, in *text (the
 * caller frees).  Returns how many layers a run needs are missing (0: a
 * run can start), or -errno. */
int stk_host_check(char **text, struct stk_error **err);

/* ---- run ----------------------------------------------------------- */

struct stk_record;

/* A whole run, blocking: stk_run_start, stk_run_wait and stk_run_free.
 * Returns 0 when the payload ran (whatever its verdict), -errno when the
 * run could not start.  *record is filled in both cases when memory
 * allows; it is the caller's. */
int stk_run(const struct stk_policy *p, struct stk_record **record,
	    struct stk_error **err);

/* ---- run handles --------------------------------------------------- */

/* A run that the caller drives, for a host with its own event loop and
 * many runs at once:
 *
 *   struct stk_run *run;
 *   stk_run_start(policy, job, &run, &err);   returns at once
 *   int fd = stk_run_fd(run);                 add to epoll, EPOLLIN
 *   ... when fd is readable:
 *   if (stk_run_step(run) == 1)               never blocks
 *           stk_run_wait(run, &record, &err); the run is over: its record
 *   stk_run_free(run);
 *
 * The policy is borrowed until stk_run_free: it must stay alive and
 * unchanged until then.  A handle is used by one thread at a time (any
 * thread, one after another); different handles by as many as like.
 * Nothing of a run is done behind the caller's back: its output moves,
 * its limits fire and its end is seen only in stk_run_step or
 * stk_run_wait, so a host steps each run whose fd is readable, promptly. */
struct stk_run;

/* Starts a run of policy with job (NULL: none): the sandbox is made and
 * the program started before it returns.  *run is set in every case but
 * out of memory; when the run could not start, the return is -errno and
 * the handle is over already: its fd readable, its record a setup-error. */
int stk_run_start(const struct stk_policy *policy, const struct stk_job *job,
		  struct stk_run **run, struct stk_error **err);
/* A descriptor that is readable (EPOLLIN) whenever stk_run_step has work:
 * the handle's own, valid until stk_run_free; -errno if it cannot be
 * made.  Not to be read, written or closed. */
int stk_run_fd(struct stk_run *run);
/* Does what is ready and returns without waiting: 1 when the run is over
 * (every process dead and reaped, its output delivered or dropped), else
 * 0. */
int stk_run_step(struct stk_run *run);
/* Kills the whole sandbox: the verdict is "cancelled" unless the run had
 * ended already or a limit had fired first.  The end is still seen by
 * stk_run_step or stk_run_wait. */
int stk_run_cancel(struct stk_run *run);
/* Sends sig to the sandbox's program (its first process).  -ESRCH once
 * the run is over. */
int stk_run_signal(struct stk_run *run, int sig);
/* What a run's sandbox uses so far, from its control group: for a host
 * that measures parts of a long run (a session's cells).  A figure the
 * host cannot give (no group: the unprivileged mode; no memory
 * controller) is left 0 with its flag false. */
struct stk_usage {
	bool cpu, memory;      /* which figures below are known */
	uint64_t cpu_us;       /* every process's CPU time since the start */
	uint64_t memory_bytes; /* in use now */
	uint64_t memory_peak_bytes; /* the most since the start, or since the
				     * last reset */
};
/* Fills *u; with reset_peak, the peak it gives next starts from now (the
 * record's peak stays the whole run's).  -ESRCH once the run is over. */
int stk_run_usage(struct stk_run *run, struct stk_usage *u, bool reset_peak);
/* Drives the run to its end, blocking, then hands over its record and
 * returns as stk_run would.  The record is given once: a second call
 * yields NULL. */
int stk_run_wait(struct stk_run *run, struct stk_record **record,
		 struct stk_error **err);
/* Cancels a run not over yet, waits for its end (a killed sandbox ends at
 * once; what it wrote is dropped after a second), and frees everything. */
void stk_run_free(struct stk_run *run);

/* ---- record -------------------------------------------------------- */

/* Why the run ended. */
enum stk_verdict {
	STK_VERDICT_OK,		    /* exit status 0 */
	STK_VERDICT_EXIT,	    /* another exit status */
	STK_VERDICT_SIGNAL,	    /* killed by a signal no limit sent */
	STK_VERDICT_SETUP_ERROR,    /* the program never ran */
	STK_VERDICT_WALL_LIMIT,	    /* the limits, each as the supervisor */
	STK_VERDICT_CPU_LIMIT,	    /* saw it: its own timers and counts, */
	STK_VERDICT_MEMORY_LIMIT,   /* the cgroup's OOM kills, its refused */
	STK_VERDICT_TASKS_LIMIT,    /* forks; never a signal alone, which */
	STK_VERDICT_OUTPUT_LIMIT,   /* a program can send itself */
	STK_VERDICT_SYSCALL_DENIED, /* ended for a call (STK_ON_DENY_KILL) */
	STK_VERDICT_CANCELLED,	    /* by stk_run_cancel */
};
/* "ok", "exit", "signal", "setup-error", "wall-limit", ..., as in JSON. */
const char *stk_verdict_name(enum stk_verdict verdict);

/* A run's figures as the library measured them; the JSON record
 * (docs/record.md) is written from this and from what each layer
 * enforced.  Fields are only ever added at the end, with the version
 * raised: a caller compiled against an older header reads a prefix. */
#define STK_RESULT_VERSION 1
struct stk_result {
	uint32_t version; /* STK_RESULT_VERSION of the library */
	enum stk_verdict verdict;
	int exit_code;	    /* -1: none */
	int signal;	    /* 0: none */
	int exit_status;    /* the CLI's: the payload's, 128+N, 125-127 */
	int interrupted_by; /* the first signal passed on, or 0 */
	int limit_fired;    /* the enum stk_limit the supervisor enforced
			     * (wall time, CPU time, output), or -1 */
	bool privileged;    /* root mode */
	double wall_seconds;
	double user_seconds, system_seconds; /* the run's processes */
	double supervisor_seconds;	     /* ours on it, in --cpu-time */
	bool memory_counted; /* by a cgroup: the next two hold */
	uint64_t memory_peak_bytes, oom_kills;
	bool tasks_counted; /* by a cgroup: the next two hold */
	uint64_t tasks_peak, refused_forks;
	uint64_t stdout_bytes, stderr_bytes; /* passed on to the caller */
	uint64_t dropped_bytes; /* written by the program, never delivered */
	bool output_cut;	/* at --output */
	bool stdout_closed, stderr_closed; /* the caller's end refused */
	uint64_t denied_calls;		   /* calls the filter refused */
	const char *killed_for_call;	   /* the call that ended it, or NULL */
	const struct stk_error *error;	   /* with a setup error, or NULL */
};

/* The record's figures; the pointer and its strings live as long as r. */
const struct stk_result *stk_record_result(const struct stk_record *r);

/* A record for a run that never started because the caller refused its
 * request (a bad option, say): verdict "setup-error", exit status 125,
 * err copied.  NULL when out of memory. */
struct stk_record *stk_record_new_failed(const struct stk_error *err);

/* stk_verdict_name of the verdict. */
const char *stk_record_verdict(const struct stk_record *r);
int stk_record_exit_code(const struct stk_record *r); /* -1 if none */
int stk_record_signal(const struct stk_record *r);    /* 0 if none */
double stk_record_wall_seconds(const struct stk_record *r);
/* The status the CLI exits with: the payload's, 128+N, 125, 126 or 127. */
int stk_record_exit_status(const struct stk_record *r);
/* The record as JSON text (schema in docs/record.md); caller frees. */
char *stk_record_to_json(const struct stk_record *r);
/* One line for humans, e.g. "stockade: ok after 0.012 s wall, 0.004 s CPU";
 * caller frees. */
char *stk_record_summary(const struct stk_record *r);
void stk_record_free(struct stk_record *r);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
