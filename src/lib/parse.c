/* parse.c - sizes, durations and paths as users write them. */
#define _GNU_SOURCE
#include "cleanup.h"
#include "error.h"
#include "stockade.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define NS_PER_SECOND 1000000000ULL
#define MAX_SCALE 1000000000ULL /* 9 digits after the point: ns of a second */

struct number { /* "12.375" is whole 12, fraction 375, scale 1000 */
	uint64_t whole;
	uint64_t fraction;
	uint64_t scale; /* 10^(digits after the point); 1 without a point */
};

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit size_units[] = {
	{"", 1},
	{"b", 1},
	{"k", 1ULL << 10},
	{"kb", 1ULL << 10},
	{"kib", 1ULL << 10},
	{"m", 1ULL << 20},
	{"mb", 1ULL << 20},
	{"mib", 1ULL << 20},
	{"g", 1ULL << 30},
	{"gb", 1ULL << 30},
	{"gib", 1ULL << 30},
	{"t", 1ULL << 40},
	{"tb", 1ULL << 40},
	{"tib", 1ULL << 40},
};

/* Case-sensitive: "m" is minutes, and "M" would read as mega. */
static const struct unit duration_units[] = {
	{"ns", 1},
	{"us", 1000},
	{"ms", 1000000},
	{"\xc2\xb5s", 1000}, /* "µs" with the micro sign, in UTF-8 */
	{"\xce\xbcs", 1000}, /* "μs" with the Greek mu, which keyboards give */
	{"", NS_PER_SECOND},
	{"s", NS_PER_SECOND},
	{"m", 60 * NS_PER_SECOND},
	{"h", 3600 * NS_PER_SECOND},
};

/* What differs between a size and a duration; the rest is one parser. */
struct quantity {
	const char *name; /* the step, and the noun in messages */
	const struct unit *units;
	size_t count;
	bool fold_case;
	bool round_down;      /* else a fraction must give whole units */
	const char *too_fine; /* why a fraction was refused */
};

static const struct quantity sizes = {
	"size", size_units, ARRAY_SIZE(size_units),
	true,	true,	    "a fraction needs a unit larger than a byte",
};

static const struct quantity durations = {
	"duration", duration_units, ARRAY_SIZE(duration_units),
	false,	    false,	    "not a whole number of nanoseconds",
};

/* ASCII only: strcasecmp follows the locale, and in a Turkish one "KIB"
 * does not match "kib". */
static int fold(char c, bool on)
{
	return on && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static const struct unit *find_unit(const struct quantity *q, const char *name)
{
	for (size_t i = 0; i < q->count; i++) {
		const char *a = q->units[i].name, *b = name;

		while (*a && fold(*a, q->fold_case) == fold(*b, q->fold_case)) {
			a++;
			b++;
		}
		if (!*a && !*b)
			return &q->units[i];
	}
	return NULL;
}

/* Reads "digits[.digits]" at *p and advances *p past it; ".5" and "5." are
 * refused.  Signs, spaces, "inf", hex and exponents fail here or as an
 * unknown unit.  (isdigit() is the same in every locale.) */
static int read_number(const char **p, struct number *n, const char **reason)
{
	const char *s = *p;

	*n = (struct number){.scale = 1};
	if (!isdigit((unsigned char)*s)) {
		*reason = *s ? "not a number" : "empty";
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*s); s++) {
		unsigned digit = (unsigned)(*s - '0');

		if (n->whole > (UINT64_MAX - digit) / 10) {
			*reason = "too large";
			return -ERANGE;
		}
		n->whole = n->whole * 10 + digit;
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (n->scale == MAX_SCALE) {
				*reason = "more than 9 digits after the point";
				return -EINVAL;
			}
			n->fraction = n->fraction * 10 + (uint64_t)(*s - '0');
			n->scale *= 10;
		}
		if (n->scale == 1) {
			*reason = "no digit after the point";
			return -EINVAL;
		}
	}
	*p = s;
	return 0;
}

/* n * factor rounded down, in integers so that "1.1G" is the same number on
 * every machine.  With factor = q * scale + r, fraction * factor / scale is
 * fraction * q + fraction * r / scale, and neither product can overflow:
 * fraction < scale, so fraction * q < factor and fraction * r < 10^18. */
static int scale_number(const struct number *n, uint64_t factor, uint64_t *out,
			bool *exact)
{
	uint64_t q = factor / n->scale, r = factor % n->scale;
	uint64_t part = n->fraction * q + n->fraction * r / n->scale;

	if (__builtin_mul_overflow(n->whole, factor, out) ||
	    __builtin_add_overflow(*out, part, out))
		return -ERANGE;
	*exact = n->fraction * r % n->scale == 0;
	return 0;
}

static int parse_quantity(const struct quantity *q, const char *text,
			  uint64_t *out, struct stk_error **err)
{
	const char *s = text, *reason = NULL;
	const struct unit *unit;
	struct number n;
	uint64_t value;
	bool exact;
	int r;

	if (!text)
		return stk_error_set(err, EINVAL, q->name, "no %s given",
				     q->name);
	r = read_number(&s, &n, &reason);
	if (r < 0)
		goto fail;
	r = -EINVAL;
	reason = "unknown unit";
	unit = find_unit(q, s);
	if (!unit)
		goto fail;
	reason = "too large";
	r = scale_number(&n, unit->factor, &value, &exact);
	if (r < 0)
		goto fail;
	/* Sizes round "1.1K" down to whole bytes, but "1.5" bytes is a typo. */
	r = -EINVAL;
	reason = q->too_fine;
	if (n.scale > 1 && (q->round_down ? unit->factor == 1 : !exact))
		goto fail;
	*out = value;
	return 0;
fail:
	return stk_error_set(err, -r, q->name, "invalid %s \"%s\": %s", q->name,
			     text, reason);
}

int stk_parse_size(const char *text, uint64_t *bytes, struct stk_error **err)
{
	return parse_quantity(&sizes, text, bytes, err);
}

int stk_parse_duration(const char *text, uint64_t *ns, struct stk_error **err)
{
	return parse_quantity(&durations, text, ns, err);
}

/* Writes the normal form of PATH, which starts with '/', to out unless out
 * is NULL, and returns its length; -EINVAL on a "." or ".." component.
 * Those are refused rather than resolved: resolving them as strings is how
 * a path escapes what a reviewer thought it named. */
static ssize_t normal_form(const char *path, char *out)
{
	size_t len = 0;

	for (const char *s = path; *s;) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (n == 0)
			break;
		if ((n == 1 || n == 2) && strncmp(s, "..", n) == 0)
			return -EINVAL; /* "." or ".." */
		if (out) {
			out[len] = '/';
			memcpy(out + len + 1, s, n);
		}
		len += 1 + n;
		s += n;
	}
	if (len == 0) /* "/", "//": the root */
		len = 1;
	if (out) {
		out[0] = '/'; /* already there unless PATH is the root */
		out[len] = '\0';
	}
	return (ssize_t)len;
}

int stk_path_normalize(const char *path, char *out, size_t size,
		       struct stk_error **err)
{
	ssize_t len;

	if (!path || !*path)
		return stk_error_set(err, EINVAL, "path", "empty path");
	if (path[0] != '/')
		return stk_error_set(err, EINVAL, "path",
				     "invalid path \"%s\": not absolute", path);
	/* Measure first, so that out is untouched on every failure. */
	len = normal_form(path, NULL);
	if (len < 0)
		return stk_error_set(
			err, EINVAL, "path",
			"invalid path \"%s\": has a \".\" or \"..\" component",
			path);
	if ((size_t)len >= size)
		return stk_error_set(err, ENAMETOOLONG, "path",
				     "path \"%s\" is longer than %zu bytes",
				     path, size > 0 ? size - 1 : 0);
	normal_form(path, out);
	return 0;
}
