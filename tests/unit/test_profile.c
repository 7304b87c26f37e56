/* test_profile.c - unit tests for the profile parser: how a value becomes
 * words, what inih's syntax allows, what is refused and where. */
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

#include "policy.h"
#include "profile.h"

/* Parses TEXT into a fresh policy; returns it (the caller frees) with the
 * result in *r and the error, if any, in *err. */
static struct stk_policy *parse(const char *text, int *r,
				struct stk_error **err)
{
	struct stk_policy *p = stk_policy_new();
	assert_non_null(p);
	*err = NULL;
	*r = profile_parse(p, "t.conf", text, strlen(text), NULL, err);
	return p;
}

static void assert_command(const char *text, const char *const *want)
{
	struct stk_error *err;
	int r;
	struct stk_policy *p = parse(text, &r, &err);
	if (r < 0)
		fail_msg("%s: %s", text, err->message);
	size_t i = 0;
	for (; want[i]; i++) {
		assert_non_null(p->argv[i]);
		assert_string_equal(p->argv[i], want[i]);
	}
	assert_null(p->argv[i]);
	stk_policy_free(p);
}

static void assert_refused(const char *text, size_t len, const char *where)
{
	struct stk_error *err = NULL;
	struct stk_policy *p = stk_policy_new();
	assert_non_null(p);
	int r = profile_parse(p, "t.conf", text, len, NULL, &err);
	assert_true(r < 0);
	assert_non_null(err);
	assert_string_equal(err->step, "--profile");
	if (!strstr(err->message, where))
		fail_msg("\"%s\" does not contain \"%s\"", err->message, where);
	stk_error_free(err);
	stk_policy_free(p);
}

static void words(void **state)
{
	(void)state;
	assert_command("[run]\ncommand = a b  c\n",
		       (const char *[]){"a", "b", "c", NULL});
	assert_command("[run]\ncommand = sh -c 'x \"y\" $z' 0\n",
		       (const char *[]){"sh", "-c", "x \"y\" $z", "0", NULL});
	assert_command("[run]\ncommand = a\"b c\"d e\\ f\n",
		       (const char *[]){"ab cd", "e f", NULL});
	assert_command("[run]\ncommand = \"\\\"q\\\\\" ''\n",
		       (const char *[]){"\"q\\", "", NULL});
	/* The last command wins, as the last option does. */
	assert_command("[run]\ncommand = first\ncommand = second\n",
		       (const char *[]){"second", NULL});
}

static void syntax(void **state)
{
	(void)state;
	/* Comments, blank lines, CRLF, a BOM, spaces around '='. */
	assert_command("\xef\xbb\xbf# c\r\n; c\r\n\r\n[run]\r\n"
		       "  command=x y \r\n",
		       (const char *[]){"x", "y", NULL});
	/* ';' after a blank starts a comment, as in inih. */
	assert_command("[run]\ncommand = a ; b\n", (const char *[]){"a", NULL});

	struct stk_error *err;
	int r;
	struct stk_policy *p = parse("[limits]\nmemory = 300M\n"
				     "[env]\nX = 1\nEMPTY =\n"
				     "[files]\ntmpfs = /scratch:8M\n",
				     &r, &err);
	assert_int_equal(r, 0);
	assert_int_equal(p->limits[STK_LIMIT_MEMORY], 300ULL << 20);
	assert_true(p->asked & 1U << STK_LIMIT_MEMORY);
	bool x = false, empty = false, scratch = false;
	for (size_t i = 0; i < p->n_env; i++) {
		x |= strcmp(p->env[i].name, "X") == 0 &&
		     strcmp(p->env[i].value, "1") == 0;
		empty |= strcmp(p->env[i].name, "EMPTY") == 0 &&
			 strcmp(p->env[i].value, "") == 0;
	}
	for (size_t i = 0; i < p->n_tmpfs; i++)
		scratch |= strcmp(p->tmpfs[i].path, "/scratch") == 0 &&
			   p->tmpfs[i].size == 8ULL << 20;
	assert_true(x && empty && scratch);
	stk_policy_free(p);
}

static void refusals(void **state)
{
	(void)state;
#define REFUSED(text, where) assert_refused(text, sizeof(text) - 1, where)
	REFUSED("[run]\ncommand = 'open\n", "t.conf:2: command:");
	REFUSED("[run]\ncommand =   \n", "t.conf:2: command:");
	REFUSED("[limits]\nmemory = -1\n", "t.conf:2: memory:");
	REFUSED("[limits]\nmemory = 1G\n[limits]\nnope = 1\n",
		"t.conf:4: nope: no such key in [limits]");
	REFUSED("[run]\n\n\nbroken line\n", "t.conf:4: expected");
	REFUSED("key = v\n", "t.conf:1: key: outside any [section]");
	REFUSED("[nope]\nkey = v\n", "t.conf:2: key: unknown section [nope]");
	/* The first failure is the one named, syntax or key. */
	REFUSED("[run]\nbad\n[limits]\nnope = 1\n", "t.conf:2: expected");
	REFUSED("[limits]\nnope = 1\n[run]\nbad\n", "t.conf:2: nope");
	REFUSED("[run]\ncommand = a\0b\n", "t.conf:2: a NUL byte");
	/* A line inih would cut: never read as two lines. */
	char longline[400];
	int n = snprintf(longline, sizeof(longline),
			 "[run]\ncommand = %0300d\n"
			 "memory = 1T\n",
			 0);
	assert_refused(longline, (size_t)n, "t.conf:2: longer than");
#undef REFUSED
}

static void syntax_only(void **state)
{
	(void)state;
	char *description = NULL;
	struct stk_error *err = NULL;
	const char text[] = "[profile]\ndescription = one line\n"
			    "[files]\nro = /does/not/exist\n";
	/* Without a policy the values are not checked, only the keys. */
	assert_int_equal(profile_parse(NULL, "t", text, sizeof(text) - 1,
				       &description, &err),
			 0);
	assert_string_equal(description, "one line");
	free(description);
	const char bad[] = "[files]\nrox = /x\n";
	assert_true(profile_parse(NULL, "t", bad, sizeof(bad) - 1, NULL, &err) <
		    0);
	stk_error_free(err);
}

static void builtins_parse(void **state)
{
	(void)state;
	assert_true(stk_n_builtin_profiles >= 6);
	for (size_t i = 0; i < stk_n_builtin_profiles; i++) {
		const struct builtin_profile *b = &stk_builtin_profiles[i];
		char *description = NULL;
		struct stk_error *err = NULL;
		int r = profile_parse(NULL, b->name, b->text, strlen(b->text),
				      &description, &err);
		if (r < 0)
			fail_msg("%s: %s", b->name, err->message);
		assert_non_null(description);
		free(description);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(words),	  cmocka_unit_test(syntax),
		cmocka_unit_test(refusals),	  cmocka_unit_test(syntax_only),
		cmocka_unit_test(builtins_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
