/* test_marshal - a policy sealed, and through bytes and back: the same
 * policy on the other side (the same bytes again, the same syscall policy
 * and BPF), every setter refusing once sealed, and bytes that are not a
 * policy, or hold a value the setters refuse, rejected with the entry
 * named. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stockade.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/stk-marshal-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/file", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("data\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/with:colon", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A policy with something of every kind of option. */
static struct stk_policy *full_policy(void)
{
	struct stk_error *err = NULL;
	struct stk_policy *p = stk_policy_new();
	const char *argv[] = {"python3", "-c", "print('a b')", NULL};
	char file[128];
	snprintf(file, sizeof(file), "%s/file", dir);
	assert_non_null(p);
	int r = stk_policy_load_profile(p, "python", &err);
	r = r ?: stk_policy_set_command(p, argv, &err);
	r = r ?: stk_policy_add_bind(p, dir, "/srv", STK_BIND_RO, &err);
	r = r
		    ?: stk_policy_add_bind(p, "/nonexistent-stk", "/x",
					   STK_BIND_RW | STK_BIND_TRY, &err);
	r = r ?: stk_policy_add_tmpfs(p, "/scratch", 1 << 20, &err);
	r = r ?: stk_policy_add_copy(p, file, "/tmp/in/file", &err);
	r = r ?: stk_policy_set_chdir(p, "/scratch", &err);
	r = r ?: stk_policy_set_env(p, "FOO", "a=b c", &err);
	r = r ?: stk_policy_set_env(p, "LANG", NULL, &err);
	r = r ?: stk_policy_set_hostname(p, "judge-1", &err);
	r = r ?: stk_policy_allow(p, "network", &err);
	r = r ?: stk_policy_deny(p, "local-ipc", &err);
	r = r ?: stk_policy_deny(p, "ptrace", &err);
	r = r ?: stk_policy_set_on_deny(p, STK_ON_DENY_KILL, &err);
	r = r ?: stk_policy_set_limit(p, STK_LIMIT_MEMORY, 256 << 20, &err);
	r = r
		    ?: stk_policy_set_limit(p, STK_LIMIT_WALL_TIME,
					    1500000000ULL, &err);
	r = r
		    ?: stk_policy_set_limit(p, STK_LIMIT_CPU_TIME,
					    STK_UNLIMITED, &err);
	r = r ?: stk_policy_set_limit(p, STK_LIMIT_TASKS, 64, &err);
	r = r ?: stk_policy_set_option(p, "output", "1M", &err);
	if (r < 0)
		fail_msg("%s", err->message);
	stk_policy_set_forward_signals(p, true);
	return p;
}

static char *describe(const struct stk_policy *p)
{
	char *text = NULL;
	assert_int_equal(stk_policy_describe(p, &text, NULL), 0);
	return text;
}

/* p and q marshal to the same bytes. */
static void assert_same_bytes(const struct stk_policy *p,
			      const struct stk_policy *q)
{
	void *a, *b;
	size_t na, nb;
	assert_int_equal(stk_policy_marshal(p, &a, &na, NULL), 0);
	assert_int_equal(stk_policy_marshal(q, &b, &nb, NULL), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(a), free(b);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct stk_policy *p = full_policy();
	struct stk_error *err = NULL;
	void *bytes = NULL;
	size_t len = 0;
	assert_int_equal(stk_policy_marshal(p, &bytes, &len, &err), 0);
	struct stk_policy *q = NULL;
	if (stk_policy_unmarshal(bytes, len, &q, &err) < 0)
		fail_msg("%s", err->message);
	assert_false(stk_policy_is_sealed(q));
	/* The other side's policy marshals to the same bytes... */
	assert_same_bytes(p, q);
	/* ...and makes the same syscall policy and filter. */
	char *a = describe(p), *b = describe(q);
	assert_string_equal(a, b);
	void *bpf_a, *bpf_b;
	size_t na, nb;
	assert_int_equal(stk_policy_bpf(p, &bpf_a, &na, NULL), 0);
	assert_int_equal(stk_policy_bpf(q, &bpf_b, &nb, NULL), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(bpf_a, bpf_b, na);
	/* What a run's options were: the wall time in ns, the lifted CPU. */
	assert_non_null(strstr(bytes, "[\"wall-time\",\"1500000000ns\"]"));
	assert_non_null(strstr(bytes, "[\"cpu-time\",\"unlimited\"]"));
	assert_non_null(strstr(bytes, "\"forward_signals\":true"));
	free(a), free(b), free(bpf_a), free(bpf_b);
	free(bytes);
	stk_policy_free(p);
	stk_policy_free(q);
}

static void test_sealed(void **state)
{
	(void)state;
	struct stk_policy *p = full_policy();
	const char *argv[] = {"true", NULL};
	stk_policy_seal(p);
	assert_true(stk_policy_is_sealed(p));
	struct stk_error *err = NULL;
#define REFUSED(call, named)                                                   \
	do {                                                                   \
		assert_int_equal(call, -EPERM);                                \
		assert_string_equal(err->step, named);                         \
		assert_non_null(strstr(err->message, "sealed"));               \
		stk_error_free(err);                                           \
		err = NULL;                                                    \
	} while (0)
	REFUSED(stk_policy_set_command(p, argv, &err), "command");
	REFUSED(stk_policy_add_bind(p, "/usr", "/u", STK_BIND_RO, &err),
		"--ro");
	REFUSED(stk_policy_add_tmpfs(p, "/t", 0, &err), "--tmpfs");
	REFUSED(stk_policy_add_copy(p, "/etc/hostname", "/tmp/h", &err),
		"--copy");
	REFUSED(stk_policy_set_chdir(p, "/", &err), "--chdir");
	REFUSED(stk_policy_set_env(p, "A", "b", &err), "--env");
	REFUSED(stk_policy_set_hostname(p, "h", &err), "--hostname");
	REFUSED(stk_policy_set_cgroup_parent(p, "/sys/fs/cgroup", &err),
		"--cgroup-parent");
	REFUSED(stk_policy_set_option(p, "memory", "1G", &err), "--memory");
	REFUSED(stk_policy_load_profile(p, "python", &err), "--profile");
	REFUSED(stk_policy_set_stdio(p, 0, 1, 2, &err), "stdio");
	REFUSED(stk_policy_allow(p, "network", &err), "--allow");
	REFUSED(stk_policy_deny(p, "network", &err), "--deny");
	REFUSED(stk_policy_set_on_deny(p, STK_ON_DENY_ERRNO, &err),
		"--on-deny");
	REFUSED(stk_policy_set_limit(p, STK_LIMIT_TASKS, 2, &err), "--tasks");
	stk_policy_set_forward_signals(p, false);
	/* Unchanged: the same bytes as an unsealed twin. */
	struct stk_policy *twin = full_policy();
	assert_same_bytes(p, twin);
	stk_policy_free(twin);
	stk_policy_free(p);
}

static void expect_refused(const char *bytes, int errnum, const char *part)
{
	struct stk_policy *q = (struct stk_policy *)1;
	struct stk_error *err = NULL;
	assert_int_equal(stk_policy_unmarshal(bytes, strlen(bytes), &q, &err),
			 -errnum);
	assert_null(q);
	assert_non_null(err);
	if (!strstr(err->message, part))
		fail_msg("\"%s\" lacks \"%s\"", err->message, part);
	stk_error_free(err);
}

#define HEAD "{\"stockade_policy\":1,\"command\":[],"
#define TAIL ",\"forward_signals\":false,\"profile\":null}"

static void test_bad_bytes(void **state)
{
	(void)state;
	expect_refused("", EINVAL, "not a JSON object");
	expect_refused("[1]", EINVAL, "another value");
	expect_refused("{\"stockade_policy\":2}", EINVAL, "format 1");
	expect_refused(HEAD "\"options\":[]" TAIL "x", EINVAL, "JSON object");
	expect_refused(HEAD "\"options\":[],\"extra\":1" TAIL, EINVAL,
		       "unknown key \"extra\"");
	expect_refused(HEAD "\"options\":{}" TAIL, EINVAL, "not an array");
	expect_refused(HEAD "\"options\":[[\"memory\"]]" TAIL, EINVAL,
		       "options[0] is not [name, value]");
	expect_refused(HEAD
		       "\"options\":[[\"tasks\",\"8\"],[\"memory\",5]]" TAIL,
		       EINVAL, "options[1] is not");
	/* A value the setter refuses, here as from the CLI. */
	expect_refused(HEAD "\"options\":[[\"memory\",\"-1\"]]" TAIL, EINVAL,
		       "options[0]: --memory");
	expect_refused(HEAD "\"options\":[[\"ro\",\"/nonexistent-stk\"]]" TAIL,
		       ENOENT, "options[0]: --ro");
	expect_refused(HEAD "\"options\":[[\"deny\",\"base\"]]" TAIL, EINVAL,
		       "could not start");
	expect_refused(HEAD "\"options\":[[\"sudo\",\"1\"]]" TAIL, EINVAL,
		       "unknown option");
	expect_refused(
		"{\"stockade_policy\":1,\"command\":[1],\"options\":[]" TAIL,
		EINVAL, "\"command\" is not");
	expect_refused("{\"stockade_policy\":1,\"command\":[],\"options\":[],"
		       "\"forward_signals\":1,\"profile\":null}",
		       EINVAL, "forward_signals");
	expect_refused(
		"{\"stockade_policy\":1,\"command\":[],\"options\":[],"
		"\"forward_signals\":false,\"profile\":{\"name\":\"x\"}}",
		EINVAL, "{name, source}");
	expect_refused(HEAD "\"options\":[],\"options\":[]" TAIL, EINVAL,
		       "duplicate");
	/* NUL inside a string: jansson refuses it. */
	expect_refused(HEAD "\"options\":[[\"env\",\"A=\\u0000\"]]" TAIL,
		       EINVAL, "JSON object");
	struct stk_policy *q;
	assert_int_equal(stk_policy_unmarshal("{}", 5U << 20, &q, NULL),
			 -E2BIG);
}

static void test_colon_has_no_text_form(void **state)
{
	(void)state;
	char host[128];
	snprintf(host, sizeof(host), "%s/with:colon", dir);
	struct stk_policy *p = stk_policy_new();
	struct stk_error *err = NULL;
	assert_int_equal(stk_policy_add_bind(p, host, "/data", 0, &err), 0);
	void *bytes = NULL;
	size_t len;
	assert_int_equal(stk_policy_marshal(p, &bytes, &len, &err), -EINVAL);
	assert_null(bytes);
	assert_non_null(strstr(err->message, "':'"));
	stk_error_free(err);
	stk_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_colon_has_no_text_form),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
