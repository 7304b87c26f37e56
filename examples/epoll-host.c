/* epoll-host.c - many sandboxed runs at once from one thread and one epoll
 * set: the shape of a service built on libstockade.
 *
 *   make build/epoll-host && build/epoll-host [RUNS [IN_FLIGHT]]
 *
 * One policy is the template of every run; each run's job gives it its
 * input and a wall-time limit of its own, and takes its output through a
 * callback.  Every third run sleeps past its limit (wall-limit), every
 * seventh is cancelled by the host as soon as it starts (cancelled); the
 * others answer their input.  Nothing blocks but epoll_wait. */
#include "stockade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct slot {
	struct stk_run *run;
	int number;
	char output[128]; /* the start of its stdout */
	size_t len;
	size_t bytes;
};

static int take_output(void *ctx, int stream, const void *data, size_t len)
{
	struct slot *s = ctx;
	if (stream == 1) {
		size_t room = sizeof(s->output) - 1 - s->len;
		size_t n = len < room ? len : room;
		memcpy(s->output + s->len, data, n);
		s->len += n;
		s->output[s->len] = '\0';
	}
	s->bytes += len;
	return 0;
}

static int start(const struct stk_policy *policy, struct slot *s, int number,
		 int ep)
{
	static const char *const answer[] = {"/bin/sh", "-c",
					     "read x; echo \"hello $x\"", NULL};
	static const char *const sleeper[] = {"/bin/sleep", "5", NULL};
	struct stk_error *err = NULL;
	struct stk_job *job = stk_job_new();
	char input[32];
	int n = snprintf(input, sizeof(input), "run %d\n", number);
	*s = (struct slot){.number = number};
	if (!job ||
	    stk_job_set_command(job, number % 3 ? answer : sleeper, &err) < 0 ||
	    stk_job_set_stdin(job, input, (size_t)n, &err) < 0 ||
	    stk_job_set_limit(job, STK_LIMIT_WALL_TIME, 200000000ULL, &err) <
		    0) {
		fprintf(stderr, "epoll-host: %s\n",
			err ? err->message : "out of memory");
		stk_error_free(err);
		stk_job_free(job);
		return -1;
	}
	stk_job_set_output(job, take_output, s);
	/* A run that cannot start is over at once: its record says why. */
	stk_run_start(policy, job, &s->run, NULL);
	stk_job_free(job);
	if (!s->run)
		return -1;
	if (number % 7 == 0)
		stk_run_cancel(s->run);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
	int fd = stk_run_fd(s->run);
	if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		stk_run_free(s->run);
		return -1;
	}
	return 0;
}

static void finish(struct slot *s, int ep)
{
	struct stk_record *rec = NULL;
	epoll_ctl(ep, EPOLL_CTL_DEL, stk_run_fd(s->run), NULL);
	stk_run_wait(s->run, &rec, NULL);
	s->output[strcspn(s->output, "\n")] = '\0';
	printf("run %d: %s, %zu bytes of output%s%s\n", s->number,
	       rec ? stk_record_verdict(rec) : "(no record)", s->bytes,
	       s->len ? ": " : "", s->output);
	stk_record_free(rec);
	stk_run_free(s->run);
	s->run = NULL;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 20;
	int in_flight = argc > 2 ? atoi(argv[2]) : 4;
	if (runs < 1 || in_flight < 1 || in_flight > 256) {
		fprintf(stderr,
			"usage: epoll-host [RUNS [IN_FLIGHT (1-256)]]\n");
		return 2;
	}
	struct slot *slots = calloc((size_t)in_flight, sizeof(*slots));
	struct stk_policy *policy = stk_policy_new();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!slots || !policy || ep < 0)
		return 1;
	int started = 0, done = 0, status = 0;
	for (int i = 0; i < in_flight && started < runs; i++)
		if (start(policy, &slots[i], started++, ep) < 0)
			status = 1, done++;
	while (done < started) {
		struct epoll_event events[64];
		int n = epoll_wait(ep, events, 64, -1);
		for (int i = 0; i < n; i++) {
			struct slot *s = events[i].data.ptr;
			if (stk_run_step(s->run) != 1)
				continue;
			finish(s, ep);
			done++;
			if (started < runs &&
			    start(policy, s, started++, ep) < 0)
				status = 1, done++;
		}
	}
	stk_policy_free(policy);
	free(slots);
	close(ep);
	return status;
}
