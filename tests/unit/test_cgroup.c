/* test_cgroup - the cgroup backend against fake cgroup trees: which
 * groups a run gets on a v2, hybrid and v1 layout, the limit files it
 * writes, and the figures it reads back.  No root, no cgroup file system:
 * plain directories stand in for it. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "stockade.h"

static char top[PATH_MAX];

static void put(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *dir, const char *file, char *out, size_t size)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void sub(char *out, const char *a, const char *b)
{
	snprintf(out, PATH_MAX, "%s/%s", a, b);
	assert_true(mkdir(out, 0755) == 0 || errno == EEXIST);
}

static int make_top(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/stk-cgroup-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(top, sizeof(top), "%s", tmpl);
	return 0;
}

static int rm(const char *path, const struct stat *st, int flag,
	      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int remove_top(void **state)
{
	(void)state;
	return nftw(top, rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* A pure v2 host: one group, memory.max and memory.swap.max, pids.max;
 * the controllers handed down; figures from memory.peak, memory.events,
 * pids.events and cpu.stat. */
static void test_v2(void **state)
{
	(void)state;
	char root[PATH_MAX];
	sub(root, top, "v2");
	put(root, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(root, "memory.swap.max", "max\n");
	struct cgroup_run cg = {0};
	struct stk_error *err = NULL;
	assert_int_equal(cgroup_create_at(&cg, root, 256 << 20, 64, &err), 0);
	assert_null(err);
	assert_string_equal(cg.layout, "v2");
	assert_true(cg.memory_v2 && cg.pids_v2);
	assert_non_null(cg.v2);
	assert_true(cg.v2_fd >= 0);
	for (int c = 0; c < CG_V1_COUNT; c++)
		assert_null(cg.v1[c]);
	char text[256], parent[PATH_MAX + 16];
	get(cg.v2, "memory.max", text, sizeof(text));
	assert_string_equal(text, "268435456");
	get(cg.v2, "pids.max", text, sizeof(text));
	assert_string_equal(text, "64");
	snprintf(parent, sizeof(parent), "%s/stockade", root);
	get(parent, "cgroup.subtree_control", text, sizeof(text));
	assert_string_equal(text, "+memory +pids");

	put(cg.v2, "memory.peak", "1048576\n");
	put(cg.v2, "memory.events",
	    "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n");
	put(cg.v2, "pids.events", "max 5\n");
	put(cg.v2, "pids.peak", "7\n");
	put(cg.v2, "cpu.stat",
	    "usage_usec 1500\nuser_usec 1000\n"
	    "system_usec 500\n");
	struct cgroup_usage u;
	cgroup_usage(&cg, &u);
	assert_true(u.cpu && u.memory);
	assert_int_equal(u.user_us, 1000);
	assert_int_equal(u.system_us, 500);
	assert_int_equal(u.memory_peak, 1048576);
	assert_int_equal(u.oom_kills, 2);
	assert_int_equal(u.pids_max_hits, 5);
	assert_true(u.tasks);
	assert_int_equal(u.tasks_peak, 7);
	assert_int_equal(cgroup_cpu_us(&cg), 1500);
	assert_string_equal(u.peak_from, "memory.peak");
	cgroup_destroy(&cg);
}

/* This host's layout: a v2 tree without controllers beside v1 memory and
 * pids hierarchies. */
static void test_hybrid(void **state)
{
	(void)state;
	char root[PATH_MAX], unified[PATH_MAX], dir[PATH_MAX];
	sub(root, top, "hybrid");
	sub(unified, root, "unified");
	put(unified, "cgroup.controllers", "\n");
	sub(dir, root, "memory");
	sub(dir, root, "pids");
	sub(dir, root, "cpuacct");
	struct cgroup_run cg = {0};
	struct stk_error *err = NULL;
	assert_int_equal(cgroup_create_at(&cg, root, 128 << 20, 10, &err), 0);
	assert_string_equal(cg.layout, "hybrid");
	assert_false(cg.memory_v2 || cg.pids_v2);
	assert_non_null(cg.v2);
	assert_non_null(cg.v1[CG_MEMORY]);
	assert_non_null(cg.v1[CG_PIDS]);
	assert_null(cg.v1[CG_CPUACCT]); /* the v2 group counts CPU */
	char text[64];
	get(cg.v1[CG_MEMORY], "memory.limit_in_bytes", text, sizeof(text));
	assert_string_equal(text, "134217728");
	get(cg.v1[CG_PIDS], "pids.max", text, sizeof(text));
	assert_string_equal(text, "10");
	put(cg.v1[CG_MEMORY], "memory.max_usage_in_bytes", "4096\n");
	put(cg.v1[CG_MEMORY], "memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	struct cgroup_usage u;
	cgroup_usage(&cg, &u);
	assert_int_equal(u.memory_peak, 4096);
	assert_int_equal(u.oom_kills, 1);
	assert_string_equal(u.peak_from, "memory.max_usage_in_bytes");
	/* a session's cell: the peak starts again (v1 has one for all, so
	 * it is written 0), and the record's stays the whole run's */
	put(cg.v1[CG_MEMORY], "memory.usage_in_bytes", "2048\n");
	assert_int_equal(cgroup_memory_reset(&cg), 0);
	get(cg.v1[CG_MEMORY], "memory.max_usage_in_bytes", text, sizeof(text));
	assert_string_equal(text, "0");
	put(cg.v1[CG_MEMORY], "memory.max_usage_in_bytes", "3072\n");
	uint64_t now, peak;
	assert_true(cgroup_memory_now(&cg, &now, &peak));
	assert_int_equal(now, 2048);
	assert_int_equal(peak, 3072);
	cgroup_usage(&cg, &u);
	assert_int_equal(u.memory_peak, 4096);
	assert_true(cgroup_attach(&cg, 12345, &err) == 0);
	get(cg.v1[CG_PIDS], "cgroup.procs", text, sizeof(text));
	assert_string_equal(text, "12345");
	cgroup_destroy(&cg);
}

/* v1 only: no v2 group, CPU from cpuacct; a memory limit without a memory
 * hierarchy is refused, naming --memory. */
static void test_v1_and_refusal(void **state)
{
	(void)state;
	char root[PATH_MAX], dir[PATH_MAX];
	sub(root, top, "v1");
	sub(dir, root, "cpuacct");
	sub(dir, root, "pids");
	struct cgroup_run cg = {.memory_required = true};
	struct stk_error *err = NULL;
	assert_true(cgroup_create_at(&cg, root, 64 << 20, 0, &err) < 0);
	assert_non_null(err);
	assert_string_equal(err->step, "--memory");
	stk_error_free(err);
	err = NULL;
	/* The default limit gives way where there is no controller. */
	cg = (struct cgroup_run){.memory_required = false};
	assert_int_equal(cgroup_create_at(&cg, root, 64 << 20, 0, &err), 0);
	assert_string_equal(cg.layout, "v1");
	assert_null(cg.v2);
	assert_non_null(cg.v1[CG_CPUACCT]);
	put(cg.v1[CG_CPUACCT], "cpuacct.usage", "7000000\n");
	assert_int_equal(cgroup_cpu_us(&cg), 7000);
	cgroup_destroy(&cg);
}

/* --cgroup-parent: the run's group straight under the given group, its
 * controllers asked for and the limits written there.  (What a delegation
 * without a controller does is the end-to-end tests': a plain file takes
 * any write.) */
static void test_delegated(void **state)
{
	(void)state;
	char parent[PATH_MAX];
	sub(parent, top, "user.slice");
	put(parent, "cgroup.controllers", "cpu memory pids\n");
	struct cgroup_run cg = {.parent = parent};
	struct stk_error *err = NULL;
	assert_int_equal(
		cgroup_create_at(&cg, "/nonexistent", 32 << 20, 8, &err), 0);
	assert_string_equal(cg.layout, "v2 (delegated)");
	assert_true(cg.memory_v2 && cg.pids_v2);
	assert_true(cg.v2_fd >= 0);
	assert_memory_equal(cg.v2, parent, strlen(parent));
	char text[64];
	get(parent, "cgroup.subtree_control", text, sizeof(text));
	assert_string_equal(text, "+memory +pids");
	get(cg.v2, "memory.max", text, sizeof(text));
	assert_string_equal(text, "33554432");
	get(cg.v2, "pids.max", text, sizeof(text));
	assert_string_equal(text, "8");
	cgroup_destroy(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_v1_and_refusal),
		cmocka_unit_test(test_delegated),
	};
	return cmocka_run_group_tests(tests, make_top, remove_top);
}
