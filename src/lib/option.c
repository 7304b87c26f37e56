/* option.c - one policy option given as text: a name and a value, as the
 * CLI's options, the keys of profiles and later the service's requests
 * give them.  The table is the one list of what a caller may set by name;
 * each entry ends in a public setter, which validates again. */
#define _GNU_SOURCE
#include "cleanup.h"
#include "error.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind {
	KIND_BIND,
	KIND_TMPFS,
	KIND_COPY,
	KIND_CHDIR,
	KIND_ENV,
	KIND_HOSTNAME,
	KIND_CGROUP_PARENT,
	KIND_ALLOW,
	KIND_DENY,
	KIND_ON_DENY,
	KIND_SIZE,     /* a limit written as a size: 256M */
	KIND_DURATION, /* a limit written as a duration: 1.5s */
	KIND_COUNT,    /* a limit written as a whole number */
};

/* Every option a caller may set by name, and the section of a profile
 * where it is a key (NULL: none; a profile's environment is [env] with
 * the variables as keys, and a cgroup parent is the host's business). */
static const struct option_info {
	const char *name;
	enum kind kind;
	int arg;	     /* bind flags, or the limit */
	const char *section; /* of profiles, docs/profiles.md */
} options[] = {
	/* clang-format off */
	{"ro",           KIND_BIND,          STK_BIND_RO,                "files"},
	{"rw",           KIND_BIND,          STK_BIND_RW,                "files"},
	{"ro-try",       KIND_BIND,          STK_BIND_RO | STK_BIND_TRY, "files"},
	{"rw-try",       KIND_BIND,          STK_BIND_RW | STK_BIND_TRY, "files"},
	{"tmpfs",        KIND_TMPFS,         0,                          "files"},
	{"copy",         KIND_COPY,          0,                          "files"},
	{"chdir",        KIND_CHDIR,         0,                          "run"},
	{"env",          KIND_ENV,           0,                          NULL},
	{"hostname",     KIND_HOSTNAME,      0,                          "run"},
	{"cgroup-parent", KIND_CGROUP_PARENT, 0,                          NULL},
	{"allow",        KIND_ALLOW,         0,                          "syscalls"},
	{"deny",         KIND_DENY,          0,                          "syscalls"},
	{"on-deny",      KIND_ON_DENY,       0,                          "syscalls"},
	{"wall-time",    KIND_DURATION,      STK_LIMIT_WALL_TIME,        "limits"},
	{"output",       KIND_SIZE,          STK_LIMIT_OUTPUT,           "limits"},
	{"file-size",    KIND_SIZE,          STK_LIMIT_FILE_SIZE,        "limits"},
	{"open-files",   KIND_COUNT,         STK_LIMIT_OPEN_FILES,       "limits"},
	{"tasks",        KIND_COUNT,         STK_LIMIT_TASKS,            "limits"},
	{"stack",        KIND_SIZE,          STK_LIMIT_STACK,            "limits"},
	{"memory",       KIND_SIZE,          STK_LIMIT_MEMORY,           "limits"},
	{"cpu-time",     KIND_DURATION,      STK_LIMIT_CPU_TIME,         "limits"},
	/* clang-format on */
};

static const struct option_info *find_option(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(options); i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

const char *option_section(const char *name)
{
	const struct option_info *o = find_option(name);
	return o ? o->section : NULL;
}

bool option_section_known(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].section &&
		    strcmp(options[i].section, section) == 0)
			return true;
	return false;
}

/* "A:B" -> A and B, cut in place; B may be absent unless need_second. */
static int split_pair(const char *step, char *arg, bool need_second,
		      char **first, char **second, struct stk_error **err)
{
	char *colon = strchr(arg, ':');
	if (colon && strchr(colon + 1, ':'))
		return stk_error_set(err, EINVAL, step,
				     "%s %s: more than one ':' (paths with "
				     "':' are not supported)",
				     step, arg);
	if (!colon && need_second)
		return stk_error_set(err, EINVAL, step,
				     "%s %s: expected HOST:PATH", step, arg);
	if (colon)
		*colon = '\0';
	*first = arg;
	*second = colon ? colon + 1 : NULL;
	if (!**first || (*second && !**second))
		return stk_error_set(err, EINVAL, step,
				     "%s: empty path in \"%s%s%s\"", step, arg,
				     colon ? ":" : "", *second ? *second : "");
	return 0;
}

static int parse_count(const char *step, const char *text, uint64_t *value,
		       struct stk_error **err)
{
	char *end = NULL;
	errno = 0;
	*value = strtoull(text, &end, 10);
	/* strtoull would take blanks, a sign, and wrap a minus around. */
	if (!isdigit((unsigned char)text[0]) || *end || errno)
		return stk_error_set(err, EINVAL, step,
				     "%s %s: expected a whole number", step,
				     text);
	return 0;
}

static int set_limit(struct stk_policy *p, const struct option_info *o,
		     const char *step, const char *value,
		     struct stk_error **err)
{
	struct stk_error *why = NULL;
	uint64_t v = 0;
	int r = 0;
	if (strcmp(value, "unlimited") == 0)
		v = STK_UNLIMITED;
	else if (o->kind == KIND_SIZE)
		r = stk_parse_size(value, &v, &why);
	else if (o->kind == KIND_DURATION)
		r = stk_parse_duration(value, &v, &why);
	else
		r = parse_count(step, value, &v, err);
	if (r < 0 && why)
		r = stk_error_set(err, -r, step, "%s: %s", step, why->message);
	stk_error_free(why);
	if (r < 0)
		return r;
	return stk_policy_set_limit(p, o->arg, v, err);
}

static int set_tmpfs(struct stk_policy *p, const char *step, char *value,
		     struct stk_error **err)
{
	char *path, *size_text;
	uint64_t size = 0;
	int r = split_pair(step, value, false, &path, &size_text, err);
	if (r < 0 || !size_text)
		return r < 0 ? r : stk_policy_add_tmpfs(p, path, 0, err);
	struct stk_error *why = NULL;
	r = stk_parse_size(size_text, &size, &why);
	if (r < 0)
		r = stk_error_set(err, -r, step, "%s %s: %s", step, path,
				  why->message);
	else if (size == 0)
		r = stk_error_set(err, EINVAL, step,
				  "%s %s: size must be more than 0", step,
				  path);
	stk_error_free(why);
	return r < 0 ? r : stk_policy_add_tmpfs(p, path, size, err);
}

int stk_policy_set_option(struct stk_policy *p, const char *name,
			  const char *value, struct stk_error **err)
{
	const struct option_info *o = find_option(name);
	if (!o)
		return stk_error_set(err, EINVAL, "option",
				     "unknown option \"%s\"", name ? name : "");
	char step[32];
	snprintf(step, sizeof(step), "--%s", o->name);
	int sealed = policy_sealed(p, step, err);
	if (sealed < 0)
		return sealed;
	if (!value)
		return stk_error_set(err, EINVAL, step, "%s: no value", step);
	_cleanup_free_ char *text = strdup(value);
	if (!text)
		return stk_error_set(err, ENOMEM, step, "out of memory");

	char *a, *b;
	int r;
	switch (o->kind) {
	case KIND_BIND:
		r = split_pair(step, text, false, &a, &b, err);
		return r < 0 ? r : stk_policy_add_bind(p, a, b, o->arg, err);
	case KIND_COPY:
		r = split_pair(step, text, true, &a, &b, err);
		return r < 0 ? r : stk_policy_add_copy(p, a, b, err);
	case KIND_TMPFS:
		return set_tmpfs(p, step, text, err);
	case KIND_CHDIR:
		return stk_policy_set_chdir(p, text, err);
	case KIND_ENV: /* NAME=VALUE sets, NAME alone removes */
		b = strchr(text, '=');
		if (b)
			*b++ = '\0';
		return stk_policy_set_env(p, text, b, err);
	case KIND_HOSTNAME:
		return stk_policy_set_hostname(p, text, err);
	case KIND_CGROUP_PARENT:
		return stk_policy_set_cgroup_parent(p, text, err);
	case KIND_ALLOW:
		return stk_policy_allow(p, text, err);
	case KIND_DENY:
		return stk_policy_deny(p, text, err);
	case KIND_ON_DENY:
		if (strcmp(text, "errno") != 0 && strcmp(text, "kill") != 0)
			return stk_error_set(err, EINVAL, step,
					     "%s %s: expected errno or kill",
					     step, text);
		return stk_policy_set_on_deny(p,
					      strcmp(text, "kill") == 0
						      ? STK_ON_DENY_KILL
						      : STK_ON_DENY_ERRNO,
					      err);
	case KIND_SIZE:
	case KIND_DURATION:
	case KIND_COUNT:
		return set_limit(p, o, step, text, err);
	}
	return stk_error_set(err, EINVAL, step, "%s: not settable", step);
}
