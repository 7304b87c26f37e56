/* engine.c - runs per second and latency of many runs from one process
 * (bench/engine.sh builds and drives it).
 *
 *   engine lib  INFLIGHT RUNS -- COMMAND...   stk_run in INFLIGHT threads,
 *                                             one policy shared by all
 *   engine loop INFLIGHT RUNS -- COMMAND...   run handles, INFLIGHT at a time,
 *                                             stepped from one thread's epoll
 *   engine exec INFLIGHT RUNS -- COMMAND...   posix_spawn + waitpid of
 *                                             COMMAND (bare, the CLI, bwrap)
 *
 * Prints one line: "runs/s p50_ms p99_ms failed".  A run that does not end
 * with status 0 (verdict ok) counts as failed. */
#include "stockade.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static char **command;
static struct stk_policy *policy;
static int total;
static atomic_int next, failed;
static double *latency;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_lib(void)
{
	struct stk_record *rec = NULL;
	int r = stk_run(policy, &rec, NULL);
	int ok = r == 0 && rec && !strcmp(stk_record_verdict(rec), "ok");
	stk_record_free(rec);
	return ok;
}

static posix_spawn_file_actions_t quiet; /* stdout, stderr: /dev/null */

static int run_exec(void)
{
	pid_t pid;
	int status;
	if (posix_spawn(&pid, command[0], &quiet, NULL, command, environ) != 0)
		return 0;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static int (*run_one)(void);

static void *worker(void *arg)
{
	(void)arg;
	for (int i; (i = next++) < total;) {
		double start = now();
		if (!run_one())
			failed++;
		latency[i] = (now() - start) * 1e3;
	}
	return NULL;
}

/* One thread, one epoll set: as a service's event loop would drive its
 * runs.  Latency runs from stk_run_start to the step that ends the run. */
static void event_loop(int inflight)
{
	struct slot {
		struct stk_run *run;
		double start;
		int index;
	} slots[256];
	int ep = epoll_create1(EPOLL_CLOEXEC), started = 0, done = 0;
	for (int i = 0; i < inflight && started < total; i++) {
		slots[i] = (struct slot){.start = now(), .index = started++};
		stk_run_start(policy, NULL, &slots[i].run, NULL);
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.ptr = &slots[i]};
		epoll_ctl(ep, EPOLL_CTL_ADD, stk_run_fd(slots[i].run), &ev);
	}
	while (done < total) {
		struct epoll_event events[64];
		int n = epoll_wait(ep, events, 64, -1);
		for (int i = 0; i < n; i++) {
			struct slot *s = events[i].data.ptr;
			if (stk_run_step(s->run) != 1)
				continue;
			struct stk_record *rec = NULL;
			stk_run_wait(s->run, &rec, NULL);
			if (!rec ||
			    stk_record_result(rec)->verdict != STK_VERDICT_OK)
				failed++;
			latency[s->index] = (now() - s->start) * 1e3;
			stk_record_free(rec);
			epoll_ctl(ep, EPOLL_CTL_DEL, stk_run_fd(s->run), NULL);
			stk_run_free(s->run);
			done++;
			if (started == total)
				continue;
			*s = (struct slot){.start = now(), .index = started++};
			stk_run_start(policy, NULL, &s->run, NULL);
			struct epoll_event ev = {.events = EPOLLIN,
						 .data.ptr = s};
			epoll_ctl(ep, EPOLL_CTL_ADD, stk_run_fd(s->run), &ev);
		}
	}
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: engine lib|exec INFLIGHT RUNS -- "
				"COMMAND...\n");
		return 2;
	}
	int inflight = atoi(argv[2]);
	total = atoi(argv[3]);
	command = argv + 5;
	latency = calloc((size_t)total, sizeof(double));
	if (inflight < 1 || inflight > 256 || total < 1 || !latency)
		return 2;
	bool loop = strcmp(argv[1], "loop") == 0;
	run_one = loop || strcmp(argv[1], "lib") == 0 ? run_lib : run_exec;
	posix_spawn_file_actions_init(&quiet);
	posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
	if (run_one == run_lib) {
		struct stk_error *err = NULL;
		policy = stk_policy_new();
		int dev_null = fileno(fopen("/dev/null", "w"));
		if (!policy ||
		    stk_policy_set_command(policy, (const char *const *)command,
					   &err) < 0 ||
		    stk_policy_set_stdio(policy, 0, dev_null, dev_null, &err) <
			    0) {
			fprintf(stderr, "engine: %s\n",
				err ? err->message : "?");
			return 2;
		}
		stk_policy_seal(policy);
	}
	pthread_t t[256];
	double start = now();
	if (loop)
		event_loop(inflight);
	for (int i = 0; i < inflight && !loop; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < inflight && !loop; i++)
		pthread_join(t[i], NULL);
	double elapsed = now() - start;
	qsort(latency, (size_t)total, sizeof(double), by_value);
	printf("%.0f %.2f %.2f %d\n", total / elapsed, latency[total / 2],
	       latency[(total * 99) / 100 < total ? (total * 99) / 100
						  : total - 1],
	       (int)failed);
	stk_policy_free(policy);
	return 0;
}
