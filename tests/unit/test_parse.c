/* test_parse.c - unit tests for sizes, durations and paths. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "stockade.h"

#define KIB (1ULL << 10)
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define TIB (1ULL << 40)
#define MS 1000000ULL
#define SEC 1000000000ULL

/* No valid input below parses to this, so a changed value shows a write. */
#define UNTOUCHED UINT64_C(0xdeadbeefcafef00d)

struct good {
	const char *text;
	uint64_t want;
};

struct bad {
	const char *text;
	int errnum;
};

typedef int parse_fn(const char *text, uint64_t *out, struct stk_error **err);

static void expect_good(parse_fn *parse, const char *name,
			const struct good *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct stk_error *err = NULL;
		uint64_t got = UNTOUCHED;
		int r = parse(cases[i].text, &got, &err);

		if (r != 0 || got != cases[i].want || err)
			fail_msg("%s(\"%s\") = %d, %" PRIu64
				 " (%s); want %" PRIu64,
				 name, cases[i].text, r, got,
				 err ? err->message : "no error",
				 cases[i].want);
	}
}

/* The error names its step and quotes the text it refused. */
static void check_error(struct stk_error *err, int r, int errnum,
			const char *step, const char *text)
{
	char quoted[256];

	if (r != -errnum)
		fail_msg("\"%s\": returned %d, want %d", text, r, -errnum);
	if (!err)
		fail_msg("\"%s\": err not filled", text);
	assert_int_equal(err->errnum, errnum);
	assert_string_equal(err->step, step);
	snprintf(quoted, sizeof(quoted), "\"%s\"", text);
	if (!strstr(err->message, quoted))
		fail_msg("message \"%s\" does not quote %s", err->message,
			 quoted);
	stk_error_free(err);
}

static void expect_bad(parse_fn *parse, const char *step,
		       const struct bad *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct stk_error *err = NULL;
		uint64_t got = UNTOUCHED;
		int r = parse(cases[i].text, &got, &err);

		if (got != UNTOUCHED)
			fail_msg("%s \"%s\": output written on failure", step,
				 cases[i].text);
		check_error(err, r, cases[i].errnum, step, cases[i].text);
	}
}

#define GOOD(parse, cases)                                                     \
	expect_good(parse, #parse, cases, sizeof(cases) / sizeof(cases[0]))
#define BAD(parse, step, cases)                                                \
	expect_bad(parse, step, cases, sizeof(cases) / sizeof(cases[0]))

/* ---- sizes ---------------------------------------------------------- */

static void test_size_units(void **state)
{
	static const struct good cases[] = {
		{"0", 0},
		{"1", 1},
		{"4096", 4096},
		{"007", 7},
		{"100B", 100},
		{"100b", 100},
		{"1k", KIB},
		{"1K", KIB},
		{"1kb", KIB},
		{"1KB", KIB},
		{"1kB", KIB},
		{"1kib", KIB},
		{"1KiB", KIB},
		{"1KIB", KIB},
		{"64KiB", 64 * KIB},
		{"256m", 256 * MIB},
		{"256M", 256 * MIB},
		{"256MB", 256 * MIB},
		{"256MiB", 256 * MIB},
		{"1g", GIB},
		{"1G", GIB},
		{"1gb", GIB},
		{"1GiB", GIB},
		{"2t", 2 * TIB},
		{"2T", 2 * TIB},
		{"2TB", 2 * TIB},
		{"2tib", 2 * TIB},
		{"0K", 0},
		{"0B", 0},
	};
	(void)state;
	GOOD(stk_parse_size, cases);
}

static void test_size_fractions(void **state)
{
	static const struct good cases[] = {
		{"1.5k", 1536},
		{"1.5G", GIB + GIB / 2},
		{"0.5M", MIB / 2},
		{"2.25TiB", 2 * TIB + TIB / 4},
		{"1.0K", KIB},
		{"1.1K", 1126},		   /* 1126.4, rounded down */
		{"0.001K", 1},		   /* 1.024 */
		{"0.0001K", 0},		   /* 0.1024 */
		{"1.000000001G", GIB + 1}, /* 9 digits; 1.073741824 extra */
		{"0.999999999k", 1023},	   /* 1023.998976 */
	};
	(void)state;
	GOOD(stk_parse_size, cases);
}

static void test_size_bounds(void **state)
{
	static const struct good cases[] = {
		{"18446744073709551615", UINT64_MAX},
		{"18446744073709551615B", UINT64_MAX},
		{"16777215T", UINT64_MAX - TIB + 1},
		/* 2^64 - 2^30 + floor(0.999999999 * 2^30) */
		{"17179869183.999999999G", UINT64_MAX - 1},
	};
	(void)state;
	GOOD(stk_parse_size, cases);
}

static void test_size_overflow(void **state)
{
	static const struct bad cases[] = {
		{"18446744073709551616", ERANGE},
		{"99999999999999999999999", ERANGE},
		{"16777216T", ERANGE},
		{"20000000T", ERANGE},
		{"17179869184G", ERANGE},
		{"18014398509481984K", ERANGE},
	};
	(void)state;
	BAD(stk_parse_size, "size", cases);
}

static void test_size_junk(void **state)
{
	static const struct bad cases[] = {
		{"", EINVAL},
		{"abc", EINVAL},
		{"12x", EINVAL},
		{" 12", EINVAL},
		{"12 ", EINVAL},
		{"12\n", EINVAL},
		{"1 K", EINVAL},
		{"-1", EINVAL},
		{"+1", EINVAL},
		{"1e3", EINVAL},
		{"0x10", EINVAL},
		{"inf", EINVAL},
		{"nan", EINVAL},
		{"1..5", EINVAL},
		{".5M", EINVAL},
		{"5.M", EINVAL},
		{"1.", EINVAL},
		{"K", EINVAL},
		{"1kk", EINVAL},
		{"1ib", EINVAL},
		{"1ki", EINVAL},
		{"1KiBB", EINVAL},
		{"1,5K", EINVAL},
		/* a fraction of a byte */
		{"1.5", EINVAL},
		{"0.5", EINVAL},
		{"1.0", EINVAL},
		{"1.5B", EINVAL},
		/* 10 digits after the point */
		{"1.0000000001K", EINVAL},
	};
	(void)state;
	BAD(stk_parse_size, "size", cases);
}

/* ---- durations ------------------------------------------------------ */

static void test_duration_units(void **state)
{
	static const struct good cases[] = {
		{"0", 0},
		{"2", 2 * SEC},
		{"2s", 2 * SEC},
		{"500ms", 500 * MS},
		{"250us", 250000},
		{"250\xc2\xb5s", 250000}, /* micro sign */
		{"250\xce\xbcs", 250000}, /* Greek mu */
		{"100ns", 100},
		{"2m", 120 * SEC},
		{"1h", 3600 * SEC},
		{"0ns", 0},
		{"010s", 10 * SEC},
	};
	(void)state;
	GOOD(stk_parse_duration, cases);
}

static void test_duration_fractions(void **state)
{
	static const struct good cases[] = {
		{"1.5", 1500 * MS},
		{"1.5s", 1500 * MS},
		{"0.001s", MS},
		{"0.5ms", 500000},
		{"1.001us", 1001},
		{"1.0ns", 1},
		{"0.25m", 15 * SEC},
		{"1.5h", 5400 * SEC},
		{"0.000000001", 1},
		{"0.000000001s", 1},
		{"1.123456789s", 1123456789},
	};
	(void)state;
	GOOD(stk_parse_duration, cases);
}

static void test_duration_bounds(void **state)
{
	static const struct good cases[] = {
		{"18446744073709551615ns", UINT64_MAX},
		{"18446744073.709551615s", UINT64_MAX},
		{"18446744073.709551615", UINT64_MAX},
		{"18446744073709551.615us", UINT64_MAX},
	};
	(void)state;
	GOOD(stk_parse_duration, cases);
}

static void test_duration_overflow(void **state)
{
	static const struct bad cases[] = {
		{"18446744073709551616ns", ERANGE},
		/* the whole part fits; adding the fraction overflows */
		{"18446744073.709551616s", ERANGE},
		{"18446744074s", ERANGE},
		{"307445735m", ERANGE},
		{"5124096h", ERANGE},
	};
	(void)state;
	BAD(stk_parse_duration, "duration", cases);
}

static void test_duration_junk(void **state)
{
	static const struct bad cases[] = {
		{"", EINVAL},
		{"abc", EINVAL},
		{"s", EINVAL},
		{" 1s", EINVAL},
		{"1s ", EINVAL},
		{"1 s", EINVAL},
		{"-1s", EINVAL},
		{"+1s", EINVAL},
		{"1e3ms", EINVAL},
		{"0x10", EINVAL},
		{"inf", EINVAL},
		{"1..5s", EINVAL},
		{".5s", EINVAL},
		{"1.s", EINVAL},
		{"1d", EINVAL},
		{"1sec", EINVAL},
		{"1mss", EINVAL},
		{"1\xc2\xb5", EINVAL},
		/* units are case-sensitive: "M" would read as mega */
		{"1S", EINVAL},
		{"1MS", EINVAL},
		{"1M", EINVAL},
		{"1H", EINVAL},
		/* not whole nanoseconds */
		{"1.5ns", EINVAL},
		{"1.0001us", EINVAL},
		{"0.0000000001s", EINVAL}, /* 10 digits */
	};
	(void)state;
	BAD(stk_parse_duration, "duration", cases);
}

/* ---- paths ---------------------------------------------------------- */

static void test_path_normal(void **state)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{"/", "/"},
		{"//", "/"},
		{"///", "/"},
		{"/a", "/a"},
		{"/a/b", "/a/b"},
		{"/a//b/", "/a/b"},
		{"//a///b//", "/a/b"},
		{"/usr/lib/", "/usr/lib"},
		{"/...", "/..."},
		{"/.a/b.", "/.a/b."},
		{"/a/..b/c..", "/a/..b/c.."},
		{"/a b", "/a b"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stk_error *err = NULL;
		char out[64];
		int r = stk_path_normalize(cases[i].path, out, sizeof(out),
					   &err);

		if (r != 0 || err || strcmp(out, cases[i].want) != 0)
			fail_msg("\"%s\": %d, \"%s\" (%s); want \"%s\"",
				 cases[i].path, r, r == 0 ? out : "",
				 err ? err->message : "no error",
				 cases[i].want);
	}
}

static void test_path_invalid(void **state)
{
	static const char *const cases[] = {
		"",	 "a",	   "a/b",    " /a",    "./a",	  ".",
		"..",	 "/.",	   "/..",    "/a/./b", "/a/../b", "/a/.",
		"/a/..", "/a/../", "//..//", "/./",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stk_error *err = NULL;
		char out[PATH_MAX], before[PATH_MAX];
		int r;

		memset(out, 'X', sizeof(out));
		memcpy(before, out, sizeof(out));
		r = stk_path_normalize(cases[i], out, sizeof(out), &err);
		if (memcmp(out, before, sizeof(out)) != 0)
			fail_msg("\"%s\": out written on failure", cases[i]);
		if (cases[i][0] == '\0') { /* nothing to quote */
			assert_int_equal(r, -EINVAL);
			assert_non_null(err);
			assert_int_equal(err->errnum, EINVAL);
			assert_string_equal(err->step, "path");
			stk_error_free(err);
			continue;
		}
		check_error(err, r, EINVAL, "path", cases[i]);
	}
}

/* The normal form, not the text, has to fit: "/a//b/" needs 5 bytes. */
static void test_path_too_long(void **state)
{
	static const struct {
		const char *path;
		size_t size;
		int want;
	} cases[] = {
		{"/abc", 5, 0},
		{"/abc", 4, -ENAMETOOLONG},
		{"/a//b/", 5, 0},
		{"/a//b/", 4, -ENAMETOOLONG},
		{"/", 2, 0},
		{"/", 1, -ENAMETOOLONG},
		{"/", 0, -ENAMETOOLONG},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stk_error *err = NULL;
		char out[8], before[8];
		int r;

		memset(out, 'X', sizeof(out));
		memcpy(before, out, sizeof(out));
		r = stk_path_normalize(cases[i].path, out, cases[i].size, &err);
		if (r != cases[i].want)
			fail_msg("\"%s\" in %zu bytes: %d, want %d",
				 cases[i].path, cases[i].size, r,
				 cases[i].want);
		if (r == 0) {
			assert_null(err);
			assert_int_equal(strlen(out) + 1, cases[i].size);
			continue;
		}
		if (memcmp(out, before, sizeof(out)) != 0)
			fail_msg("\"%s\": out written on failure",
				 cases[i].path);
		check_error(err, r, ENAMETOOLONG, "path", cases[i].path);
	}
}

/* ---- arguments the caller may leave out ------------------------------ */

static void test_null_err(void **state)
{
	uint64_t value = UNTOUCHED;
	char out[16];

	(void)state;
	assert_int_equal(stk_parse_size("12x", &value, NULL), -EINVAL);
	assert_int_equal(stk_parse_size("20000000T", &value, NULL), -ERANGE);
	assert_int_equal(stk_parse_duration("1.5ns", &value, NULL), -EINVAL);
	assert_int_equal(value, UNTOUCHED);
	assert_int_equal(stk_path_normalize("/a/../b", out, sizeof(out), NULL),
			 -EINVAL);
	assert_int_equal(stk_path_normalize("/abcdef", out, 4, NULL),
			 -ENAMETOOLONG);
	assert_int_equal(stk_parse_size("1K", &value, NULL), 0);
	assert_int_equal(value, KIB);
	assert_int_equal(stk_path_normalize("/a//", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "/a");
}

static void test_null_text(void **state)
{
	struct stk_error *err = NULL;
	uint64_t value = UNTOUCHED;
	char out[16];

	(void)state;
	assert_int_equal(stk_parse_size(NULL, &value, &err), -EINVAL);
	assert_non_null(err);
	assert_string_equal(err->step, "size");
	stk_error_free(err);
	err = NULL;
	assert_int_equal(stk_parse_duration(NULL, &value, &err), -EINVAL);
	assert_non_null(err);
	assert_string_equal(err->step, "duration");
	stk_error_free(err);
	err = NULL;
	assert_int_equal(value, UNTOUCHED);
	assert_int_equal(stk_path_normalize(NULL, out, sizeof(out), &err),
			 -EINVAL);
	assert_non_null(err);
	assert_string_equal(err->step, "path");
	stk_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_units),
		cmocka_unit_test(test_size_fractions),
		cmocka_unit_test(test_size_bounds),
		cmocka_unit_test(test_size_overflow),
		cmocka_unit_test(test_size_junk),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_fractions),
		cmocka_unit_test(test_duration_bounds),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_duration_junk),
		cmocka_unit_test(test_path_normal),
		cmocka_unit_test(test_path_invalid),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_null_err),
		cmocka_unit_test(test_null_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
