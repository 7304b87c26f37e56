/* fault_host.c - every system call of a run's setup, made to fail in turn.
 *
 *   fault_host TREE
 *
 * Linked with -Wl,--wrap for each call below (tests/e2e/test_faults.py),
 * so that libstockade's references to them land here; the library itself
 * carries no injection code.  For each errno of the table, the Nth wrapped
 * call made from stk_run_start on - in the supervisor, or in the sandbox's
 * processes before they exec the program, which inherit the count - fails
 * with it, for N = 1, 2, ... until a run makes no call that fails.  Each
 * run must then end as a setup error naming its step, or (a failure the
 * library may ride out) as the clean run; and after each, nothing of it
 * may be left: no fd, child, cgroup or mount.  One line per injection,
 * then a summary; exit status 1 at the first violation. */
#define _GNU_SOURCE
#include "stockade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* Seen by every process of a run: which call failed, and where. */
struct shared {
	int fired;	  /* injections made */
	char where[8];	  /* "parent" or "child" */
	char call[32];	  /* the wrapped function */
	long syscall_nr;  /* for syscall(): its number */
	unsigned long at; /* the caller, as an offset in this program */
};

extern const char __executable_start[];

static struct shared *shared;
static pid_t host;
static int target, count, inject;
static bool armed;

/* 0, or -1 with errno set: this call is the one to fail. */
#define fault(call, nr) fault_at(call, nr, __builtin_return_address(0))

static int fault_at(const char *call, long nr, void *caller)
{
	if (!armed || ++count != target)
		return 0;
	pid_t me = getpid();
	if (!shared->fired++) {
		snprintf(shared->where, sizeof(shared->where), "%s",
			 me == host ? "parent" : "child");
		snprintf(shared->call, sizeof(shared->call), "%s", call);
		shared->syscall_nr = nr;
		shared->at = (unsigned long)((const char *)caller -
					     __executable_start);
	}
	errno = inject;
	return -1;
}

#define WRAP(ret, name, params, args)                                          \
	ret __real_##name params;                                              \
	ret __wrap_##name params;                                              \
	ret __wrap_##name params                                               \
	{                                                                      \
		if (fault(#name, -1) < 0)                                      \
			return (ret)-1;                                        \
		return __real_##name args;                                     \
	}

WRAP(int, mkdir, (const char *p, mode_t m), (p, m))
WRAP(int, mkdirat, (int d, const char *p, mode_t m), (d, p, m))
WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
WRAP(int, pipe2, (int fds[2], int flags), (fds, flags))
WRAP(int, socketpair, (int d, int t, int p, int sv[2]), (d, t, p, sv))
WRAP(int, socket, (int d, int t, int p), (d, t, p))
WRAP(int, timerfd_create, (int c, int f), (c, f))
WRAP(int, timerfd_settime,
     (int fd, int f, const struct itimerspec *n, struct itimerspec *o),
     (fd, f, n, o))
WRAP(int, memfd_create, (const char *n, unsigned f), (n, f))
WRAP(int, signalfd, (int fd, const sigset_t *m, int f), (fd, m, f))
WRAP(int, flock, (int fd, int op), (fd, op))
WRAP(int, mount,
     (const char *s, const char *t, const char *f, unsigned long fl,
      const void *d),
     (s, t, f, fl, d))
WRAP(int, umount2, (const char *t, int f), (t, f))
WRAP(int, setrlimit, (__rlimit_resource_t r, const struct rlimit *l), (r, l))
WRAP(int, sethostname, (const char *n, size_t l), (n, l))
WRAP(int, setdomainname, (const char *n, size_t l), (n, l))
WRAP(int, setns, (int fd, int t), (fd, t))
WRAP(int, unshare, (int f), (f))
WRAP(pid_t, setsid, (void), ())
WRAP(int, dup2, (int a, int b), (a, b))
WRAP(int, symlinkat, (const char *a, int d, const char *b), (a, d, b))
WRAP(ssize_t, sendmsg, (int fd, const struct msghdr *m, int f), (fd, m, f))
WRAP(ssize_t, sendfile, (int o, int i, off_t *off, size_t n), (o, i, off, n))
WRAP(int, chdir, (const char *p), (p))
WRAP(int, fchdir, (int fd), (fd))
WRAP(off_t, lseek, (int fd, off_t o, int w), (fd, o, w))
WRAP(int, execve, (const char *p, char *const a[], char *const e[]), (p, a, e))

/* The variadic ones, their optional arguments passed on as they came. */
int __real_open(const char *p, int f, ...);
int __wrap_open(const char *p, int f, ...);
int __wrap_open(const char *p, int f, ...)
{
	va_list ap;
	va_start(ap, f);
	mode_t m = (f & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (fault("open", -1) < 0)
		return -1;
	return __real_open(p, f, m);
}

int __real_openat(int d, const char *p, int f, ...);
int __wrap_openat(int d, const char *p, int f, ...);
int __wrap_openat(int d, const char *p, int f, ...)
{
	va_list ap;
	va_start(ap, f);
	mode_t m = (f & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (fault("openat", -1) < 0)
		return -1;
	return __real_openat(d, p, f, m);
}

/* _FORTIFY_SOURCE's forms of open without a mode. */
WRAP(int, __open_2, (const char *p, int f), (p, f))
WRAP(int, __openat_2, (int d, const char *p, int f), (d, p, f))

int __real_prctl(int op, ...);
int __wrap_prctl(int op, ...);
int __wrap_prctl(int op, ...)
{
	va_list ap;
	va_start(ap, op);
	unsigned long a[4];
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (fault("prctl", op) < 0)
		return -1;
	return __real_prctl(op, a[0], a[1], a[2], a[3]);
}

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (fault("ioctl", (long)req) < 0)
		return -1;
	return __real_ioctl(fd, req, arg);
}

/* Every raw call of sys.h: clone3, the new mount API, pivot_root, the
 * credential calls, capset, close_range, openat2... */
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
long __wrap_syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	/* Not the teardown's kill and reap, which a failed start makes too:
	 * they are no setup step, and against our own child they fail only
	 * with EINTR (retried) or ECHILD (nothing left to reap). */
	bool teardown = nr == SYS_waitid || nr == SYS_pidfd_send_signal;
	if (!teardown && fault("syscall", nr) < 0)
		return -1;
	return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- the runs ------------------------------------------------------- */

static int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own */
}

/* This process's run groups in every hierarchy, as one text. */
static void groups_of_ours(char *out, size_t size)
{
	static const char *const roots[] = {"/sys/fs/cgroup/unified/stockade",
					    "/sys/fs/cgroup/memory/stockade",
					    "/sys/fs/cgroup/pids/stockade",
					    "/sys/fs/cgroup/stockade"};
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "run-%d-", (int)host);
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		DIR *d = opendir(roots[i]);
		for (struct dirent *e; d && (e = readdir(d));)
			if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
			    used + strlen(e->d_name) + 2 < size)
				used += (size_t)snprintf(out + used,
							 size - used, "%s ",
							 e->d_name);
		if (d)
			closedir(d);
	}
}

static char *mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *text = NULL;
	size_t len = 0;
	if (!f || getdelim(&text, &len, '\0', f) < 0) {
		fprintf(stderr, "fault_host: mountinfo: %s\n", strerror(errno));
		exit(2);
	}
	fclose(f);
	return text;
}

struct sink {
	char text[64];
	size_t len;
};

static int take(void *ctx, int stream, const void *data, size_t len)
{
	struct sink *s = ctx;
	(void)stream;
	size_t n = len < sizeof(s->text) - 1 - s->len
			   ? len
			   : sizeof(s->text) - 1 - s->len;
	memcpy(s->text + s->len, data, n);
	s->len += n;
	s->text[s->len] = '\0';
	return 0;
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "?";
}

/* One run with the Nth call failing with e (n 0: none).  Returns whether
 * a call failed; exits at a violation. */
static bool run_once(const struct stk_policy *p, int n, int e,
		     const char *clean_mounts, int clean_fds)
{
	static const char *const cat[] = {"/bin/cat", NULL};
	struct stk_error *err = NULL;
	struct stk_job *job = stk_job_new();
	struct sink out = {0};
	if (!job || stk_job_set_command(job, cat, &err) < 0 ||
	    stk_job_set_stdin(job, "hello\n", 6, &err) < 0 ||
	    stk_job_add_file(job, "/tmp/job/file", "x", 1, 0600, &err) < 0) {
		fprintf(stderr, "fault_host: job: %s\n",
			err ? err->message : "out of memory");
		exit(2);
	}
	stk_job_set_output(job, take, &out);
	memset(shared, 0, sizeof(*shared));
	target = n, count = 0, inject = e, armed = n > 0;
	struct stk_run *run = NULL;
	int r = stk_run_start(p, job, &run, &err);
	armed = false;
	stk_job_free(job);
	struct stk_record *rec = NULL;
	if (run)
		stk_run_wait(run, &rec, err ? NULL : &err);
	stk_run_free(run);
	bool fired = shared->fired > 0;
	const char *verdict = rec ? stk_record_verdict(rec) : "none";
	bool ok =
		strcmp(verdict, "ok") == 0 && strcmp(out.text, "hello\n") == 0;
	bool named = strcmp(verdict, "setup-error") == 0 && err &&
		     err->step[0] && err->message[0];
	if (fired)
		printf("%s %d %s %s(%ld) at %#lx -> %s%s%s%s\n", errname(e), n,
		       shared->where, shared->call, shared->syscall_nr,
		       shared->at, verdict, named ? " [" : "",
		       named ? err->message : "", named ? "]" : "");
	const char *bad = NULL;
	if (!fired && !ok)
		bad = "a run with no failed call did not end ok";
	else if (fired && !ok && !named)
		bad = "a failed call ended the run without a setup error that "
		      "names its step";
	else if (r < 0 && !named)
		bad = "the start failed without a named setup error";
	char groups[1024];
	groups_of_ours(groups, sizeof(groups));
	char *now = mounts();
	siginfo_t si = {0};
	int children =
		waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL);
	if (!bad && fd_count() != clean_fds)
		bad = "an fd is left";
	if (!bad && groups[0])
		bad = "a cgroup is left";
	if (!bad && strcmp(now, clean_mounts) != 0)
		bad = "the host's mounts changed";
	if (!bad && !(children < 0 && errno == ECHILD))
		bad = "a child is left";
	if (bad) {
		printf("VIOLATION %s %d %s %s(%ld): %s (verdict %s, fds %d of "
		       "%d, groups \"%s\", error \"%s\")\n",
		       errname(e), n, shared->where, shared->call,
		       shared->syscall_nr, bad, verdict, fd_count(), clean_fds,
		       groups, err ? err->message : "");
		exit(1);
	}
	free(now);
	stk_record_free(rec);
	stk_error_free(err);
	return fired;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fault_host TREE\n");
		return 2;
	}
	host = getpid();
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct stk_error *err = NULL;
	struct stk_policy *p = stk_policy_new();
	if (shared == MAP_FAILED || !p ||
	    stk_policy_add_copy(p, argv[1], "/tmp/data", &err) < 0 ||
	    stk_policy_set_limit(p, STK_LIMIT_WALL_TIME, 20000000000ULL, &err) <
		    0 ||
	    stk_policy_set_limit(p, STK_LIMIT_CPU_TIME, 10000000000ULL, &err) <
		    0 ||
	    stk_policy_set_limit(p, STK_LIMIT_MEMORY, 256ULL << 20, &err) < 0) {
		fprintf(stderr, "fault_host: policy: %s\n",
			err ? err->message : "out of memory");
		return 2;
	}
	/* A first run for whatever a library sets up once. */
	char *clean_mounts = mounts();
	int clean_fds = fd_count();
	run_once(p, 0, 0, clean_mounts, clean_fds);
	static const int errnos[] = {EPERM, ENOSPC, EMFILE, EINTR, EAGAIN};
	int total = 0;
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		int n = 1;
		while (run_once(p, n, errnos[i], clean_mounts, clean_fds))
			n++;
		printf("summary %s: %d calls failed in turn, each clean\n",
		       errname(errnos[i]), n - 1);
		total += n - 1;
	}
	printf("total %d\n", total);
	free(clean_mounts);
	stk_policy_free(p);
	return 0;
}
