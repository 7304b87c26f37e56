/* treecpu.c - the CPU time of the sandbox's process tree, without a
 * cgroup to count it.
 *
 * Every process's /proc/PID/stat has its own time (utime, stime: all its
 * threads, live and ended) and that of the children it has reaped
 * (cutime, cstime).  A process that ends is a zombie, still listed and
 * still counted, until its parent reaps it, whose cutime then holds it.
 * So the sum over the live tree, from init down through every thread's
 * children, is the time the whole run has used; what init reaped is in
 * init's own cutime.  A process reaped between the reading of its parent
 * and its own is missed by that one sum, never counted twice (the next
 * sum has it).  The figures are in clock ticks (10 ms). */
#define _GNU_SOURCE
#include "spawn.h"
#include "sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The run's tasks are bounded (--tasks); so is this walk, whatever a
 * hostile tree looks like. */
#define MAX_PROCESSES 65536

int stat_fields(const char *stat, int first, int n, unsigned long long *out)
{
	const char *p = strrchr(stat, ')'); /* the name may hold anything */
	int got = 0;
	for (int field = 2; p && *p && got < n; p++)
		if (*p == ' ' && ++field >= first)
			out[got++] = strtoull(p + 1, NULL, 10);
	return got;
}

/* Adds utime + cutime of pid to ticks[0], stime + cstime to ticks[1];
 * nothing if it is gone. */
static void add_process(pid_t pid, uint64_t ticks[2])
{
	char path[64], buf[1024];
	unsigned long long t[4]; /* fields 14-17: utime stime cutime cstime */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 ||
	    stat_fields(buf, 14, 4, t) != 4)
		return;
	ticks[0] += t[0] + t[2];
	ticks[1] += t[1] + t[3];
}

/* Appends the children of every thread of pid to the queue. */
static void queue_children(pid_t pid, pid_t *queue, size_t *n, size_t max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *tasks = opendir(path);
	if (!tasks)
		return;
	struct dirent *t;
	while ((t = readdir(tasks))) {
		if (t->d_name[0] == '.')
			continue;
		long tid = strtol(t->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/children",
			 (int)pid, tid);
		FILE *children = fopen(path, "re");
		long child;
		while (children && *n < max &&
		       fscanf(children, "%ld", &child) == 1)
			queue[(*n)++] = (pid_t)child;
		if (children)
			fclose(children);
	}
	closedir(tasks);
}

void tree_cpu(pid_t init, struct tree_cpu *cpu)
{
	/* Breadth first, one file open at a time, however deep the tree. */
	pid_t *queue = malloc(MAX_PROCESSES * sizeof(*queue));
	if (!queue)
		return; /* the last figures stand */
	size_t n = 0;
	queue[n++] = init;
	uint64_t ticks[2] = {0, 0}; /* user, system */
	for (size_t i = 0; i < n; i++) {
		add_process(queue[i], ticks);
		queue_children(queue[i], queue, &n, MAX_PROCESSES);
	}
	free(queue);
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t per = 1000000ULL / (uint64_t)(hz > 0 ? hz : 100);
	cpu->user_us = ticks[0] * per;
	cpu->system_us = ticks[1] * per;
}
