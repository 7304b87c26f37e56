/* threaded_host.c - libstockade in a busy server-like host
 * (test_library.py).
 *
 *   threaded_host THREADS RUNS TREE [wall]
 *
 * THREADS threads each make RUNS runs of one shared, sealed policy - the
 * even threads by stk_run, the odd ones by a run handle stepped from an
 * epoll set of their own - which copies
 * the directory TREE into the sandbox and checks that the copy is whole;
 * the first run of each thread instead writes more than any pipe holds to
 * a stdout nobody reads, under a wall-time limit.  Meanwhile other threads
 * do what a server's do: create and join threads, reap any child with
 * waitpid(-1), fork and exec.  Prints "N runs ok" and the number of fds
 * open before and after; any wrong verdict is an error (exit 1).  With
 * "wall", the reaper waits with __WALL and so can take a run's init: that
 * run must end as a setup error ("No child processes"), not hang. */
#include "stockade.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_bool stopping;
static atomic_int failures, stolen;
static int reap_flags;
static int runs_per_thread;
static struct stk_policy *checker, *flooder;

static void *nothing(void *arg)
{
	return arg;
}

/* Threads come and go: glibc's set*id wrappers wait for every thread it
 * knows of, and one being created at the clone is one the child would
 * wait for forever. */
static void *churn(void *arg)
{
	(void)arg;
	while (!stopping) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
	}
	return NULL;
}

/* A reaper of any child, as a server with a SIGCHLD handler has: it must
 * never take a run's processes. */
static void *reap(void *arg)
{
	(void)arg;
	while (!stopping)
		if (waitpid(-1, NULL, reap_flags) < 0)
			usleep(100);
	return NULL;
}

/* Children of the host's own; the reaper above may take them first. */
static void *fork_exec(void *arg)
{
	(void)arg;
	while (!stopping) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		usleep(1000);
	}
	return NULL;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

/* The odd threads drive their runs as an event loop would: a handle,
 * stepped when its fd is readable in an epoll set of the thread's own. */
static int by_handle(const struct stk_policy *p, struct stk_record **rec,
		     struct stk_error **err)
{
	struct stk_run *run = NULL;
	int r = stk_run_start(p, NULL, &run, err);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	if (!run || ep < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, stk_run_fd(run), &ev) < 0) {
		fprintf(stderr, "handle: %s\n", strerror(errno));
		exit(2);
	}
	while (r == 0 && stk_run_step(run) != 1)
		if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
			exit(2);
	close(ep);
	int w = stk_run_wait(run, rec, err);
	stk_run_free(run);
	return r < 0 ? r : w;
}

static void check(int thread, int run, const struct stk_policy *p,
		  const char *want)
{
	struct stk_error *err = NULL;
	struct stk_record *rec = NULL;
	int r = thread % 2 ? by_handle(p, &rec, &err) : stk_run(p, &rec, &err);
	const char *verdict = rec ? stk_record_verdict(rec) : "none";
	if (reap_flags && r == -ECHILD && !strcmp(verdict, "setup-error"))
		stolen++;
	else if (r < 0 || strcmp(verdict, want) != 0) {
		fprintf(stderr, "thread %d run %d: %s, not %s: %s\n", thread,
			run, verdict, want, err ? err->message : "");
		failures++;
	}
	stk_record_free(rec);
	stk_error_free(err);
}

static void *worker(void *arg)
{
	int thread = (int)(intptr_t)arg;
	check(thread, 0, flooder, "wall-limit");
	for (int i = 1; i < runs_per_thread; i++)
		check(thread, i, checker, "ok");
	return NULL;
}

static struct stk_policy *policy(const char *const argv[], const char *copy,
				 int out, const char *wall)
{
	struct stk_error *err = NULL;
	struct stk_policy *p = stk_policy_new();
	if (!p || stk_policy_set_command(p, argv, &err) < 0 ||
	    (copy && stk_policy_set_option(p, "copy", copy, &err) < 0) ||
	    stk_policy_set_stdio(p, 0, out, 2, &err) < 0 ||
	    (wall && stk_policy_set_option(p, "wall-time", wall, &err) < 0)) {
		fprintf(stderr, "policy: %s\n", err ? err->message : "?");
		exit(2);
	}
	/* One template for every thread's runs. */
	stk_policy_seal(p);
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5)
		return 2;
	reap_flags = argc == 5 ? __WALL : 0;
	int threads = atoi(argv[1]);
	runs_per_thread = atoi(argv[2]);
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s:/tmp/tree", argv[3]);
	int unread[2];
	if (pipe(unread) < 0)
		return 2;
	int fds_before = count_fds();

	/* The tree holds 20 files: a copy that shares its directory's
	 * position with another run's sees fewer. */
	const char *const count[] = {"/bin/sh", "-c",
				     "set -- /tmp/tree/*; [ $# = 20 ]", NULL};
	const char *const flood[] = {"/bin/sh", "-c",
				     "exec cat /tmp/tree/* /tmp/tree/* "
				     "/tmp/tree/* /tmp/tree/*",
				     NULL};
	checker = policy(count, copy, 1, NULL);
	flooder = policy(flood, copy, unread[1], "1s");

	pthread_t noise[3], work[64];
	void *(*fns[3])(void *) = {churn, reap, fork_exec};
	for (int i = 0; i < 3; i++)
		if (pthread_create(&noise[i], NULL, fns[i], NULL) != 0)
			return 2;
	for (int i = 0; i < threads && i < 64; i++)
		if (pthread_create(&work[i], NULL, worker,
				   (void *)(intptr_t)i) != 0)
			return 2;
	for (int i = 0; i < threads && i < 64; i++)
		pthread_join(work[i], NULL);
	stopping = true;
	for (int i = 0; i < 3; i++)
		pthread_join(noise[i], NULL);
	stk_policy_free(checker);
	stk_policy_free(flooder);
	int fds_after = count_fds();
	printf("%d runs, %d failed, fds %d before, %d after, %d taken\n",
	       threads * runs_per_thread, (int)failures, fds_before, fds_after,
	       (int)stolen);
	return failures || fds_after != fds_before;
}
