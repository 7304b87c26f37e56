/* profile.c - profiles: INI files (parsed by inih) whose keys are the
 * options of `stockade run`, grouped in sections, applied to a policy in
 * the order they are written (docs/profiles.md).
 *
 * A profile is trusted as much as the options it stands for, but it is
 * still input: a key this file does not know, a value the setter refuses,
 * a line inih would cut in two, a NUL byte - each is refused with the
 * file, the line and the key, and nothing is guessed. */
#define _GNU_SOURCE
#include "profile.h"

#include "cleanup.h"
#include "error.h"
#include "policy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STK_PROFILE_DIRS
#define STK_PROFILE_DIRS "/etc/stockade/profiles"
#endif
#define PROFILE_MAX_BYTES (64 << 10)
#define NAME_MAX_LEN 64

enum key_kind {
	KEY_OPTION,	 /* stk_policy_set_option(key, value) */
	KEY_ENV,	 /* [env]: the key is a variable's name */
	KEY_COMMAND,	 /* words, the default command */
	KEY_DESCRIPTION, /* one line for `stockade profiles` */
	KEY_COMPILE,	 /* [compile]: words, the compile stage's command */
	KEY_ARTIFACT,	 /* [compile]: the path it leaves for the run stage */
	KEY_STAGE_RUN,	 /* [compile]: words, the run stage's command */
};

/* The keys that are no option; every other key is the option of its name
 * in the section option.c gives it. */
static const struct key_info {
	const char *section;
	const char *key;
	enum key_kind kind;
} keys[] = {
	{"profile", "description", KEY_DESCRIPTION},
	{"run", "command", KEY_COMMAND},
	{"compile", "command", KEY_COMPILE},
	{"compile", "artifact", KEY_ARTIFACT},
	{"compile", "run", KEY_STAGE_RUN},
};

struct parse {
	struct stk_policy *p; /* NULL: syntax only */
	const char *origin;
	const char *text;
	size_t len;
	size_t pos;
	unsigned line;	    /* of the line inih has last read */
	unsigned fail_line; /* 0: no failure yet */
	struct stk_error *fail;
	char *description;     /* owned */
	unsigned compile_keys; /* bit per KEY_COMPILE.. given */
};

static int parse_fail(struct parse *ps, const char *key, int errnum,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records the first failure only, as "FILE:LINE: key: why". */
static int parse_fail(struct parse *ps, const char *key, int errnum,
		      const char *fmt, ...)
{
	if (ps->fail_line)
		return 0;
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ps->fail_line = ps->line ? ps->line : 1;
	stk_error_set(&ps->fail, errnum, "--profile", "%s:%u: %s%s%s",
		      ps->origin, ps->fail_line, key ? key : "",
		      key ? ": " : "", why);
	return 0;
}

/* inih's reader: one line of the text per call.  inih would cut a line
 * longer than its buffer and read the rest as a line of its own - a value
 * could then smuggle in a key - so such a line ends the parse instead. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse *ps = stream;
	if (ps->pos >= ps->len || ps->fail_line)
		return NULL;
	const char *start = ps->text + ps->pos;
	const char *nl = memchr(start, '\n', ps->len - ps->pos);
	size_t n = nl ? (size_t)(nl - start) + 1 : ps->len - ps->pos;
	ps->line++;
	if (memchr(start, '\0', n)) {
		parse_fail(ps, NULL, EINVAL, "a NUL byte");
		return NULL;
	}
	if (n + 1 > (size_t)size) {
		parse_fail(ps, NULL, E2BIG, "longer than %d characters",
			   size - 2);
		return NULL;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	ps->pos += n;
	return buf;
}

/* "cc -o 'a b' \"x y\"" -> {"cc", "-o", "a b", "x y", NULL}: words split
 * at blanks; quotes group, a backslash takes the next character as is
 * (except inside single quotes).  No expansion of any kind. */
static int split_words(const char *text, char ***out)
{
	size_t len = strlen(text);
	_cleanup_free_ char *buf = malloc(len + 1);
	_cleanup_free_ char **words = calloc(len / 2 + 2, sizeof(*words));
	if (!buf || !words)
		return -ENOMEM;
	size_t n = 0;
	char *w = buf;
	const char *s = text;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		words[n++] = w;
		char quote = 0;
		for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
			if (!quote && (*s == '\'' || *s == '"'))
				quote = *s;
			else if (quote && *s == quote)
				quote = 0;
			else if (*s == '\\' && quote != '\'' && s[1])
				*w++ = *++s;
			else
				*w++ = *s;
		}
		if (quote)
			return -EINVAL;
		*w++ = '\0';
	}
	if (n == 0)
		return -EINVAL;
	/* One allocation: the pointers, then the characters. */
	size_t bytes = (size_t)(w - buf);
	char **all = malloc((n + 1) * sizeof(*all) + bytes);
	if (!all)
		return -ENOMEM;
	char *chars = (char *)(all + n + 1);
	memcpy(chars, buf, bytes);
	for (size_t i = 0; i < n; i++)
		all[i] = chars + (words[i] - buf);
	all[n] = NULL;
	*out = all;
	return 0;
}

static int apply_key(struct parse *ps, enum key_kind kind, const char *key,
		     const char *value)
{
	struct stk_error *err = NULL;
	int r = 0;
	switch (kind) {
	case KEY_DESCRIPTION:
		free(ps->description);
		ps->description = strdup(value);
		if (!ps->description)
			return parse_fail(ps, key, ENOMEM, "out of memory");
		return 1;
	case KEY_COMMAND:
	case KEY_COMPILE:
	case KEY_STAGE_RUN: {
		_cleanup_free_ char **argv = NULL;
		r = split_words(value, &argv);
		if (r < 0)
			return parse_fail(ps, key, -r, "%s",
					  r == -ENOMEM ? "out of memory"
						       : "no command, or a "
							 "quote not closed");
		if (kind != KEY_COMMAND)
			ps->compile_keys |= 1U << (kind - KEY_COMPILE);
		if (ps->p && kind == KEY_COMMAND)
			r = stk_policy_set_command(
				ps->p, (const char *const *)argv, &err);
		else if (ps->p)
			r = command_copy(kind == KEY_COMPILE
						 ? &ps->p->compile_argv
						 : &ps->p->stage_run_argv,
					 (const char *const *)argv, &err);
		break;
	}
	case KEY_ARTIFACT: {
		char path[4096];
		r = stk_path_normalize(value, path, sizeof(path), &err);
		ps->compile_keys |= 1U << (kind - KEY_COMPILE);
		if (r == 0 && ps->p) {
			char *copy = strdup(path);
			if (!copy)
				return parse_fail(ps, key, ENOMEM,
						  "out of memory");
			free(ps->p->artifact);
			ps->p->artifact = copy;
		}
		break;
	}
	case KEY_ENV:
		if (ps->p)
			r = stk_policy_set_env(ps->p, key, value, &err);
		break;
	case KEY_OPTION:
		if (ps->p)
			r = stk_policy_set_option(ps->p, key, value, &err);
		break;
	}
	if (r < 0)
		parse_fail(ps, key, -r, "%s",
			   err && err->message ? err->message
					       : stk_strerror(-r));
	stk_error_free(err);
	return r < 0 ? 0 : 1;
}

static int on_key(void *user, const char *section, const char *key,
		  const char *value)
{
	struct parse *ps = user;
	if (ps->fail_line)
		return 0;
	if (!section[0])
		return parse_fail(ps, key, EINVAL,
				  "outside any [section] (docs/profiles.md)");
	if (strcmp(section, "env") == 0)
		return apply_key(ps, KEY_ENV, key, value);
	bool known_section = option_section_known(section);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		known_section = true;
		if (strcmp(keys[i].key, key) == 0)
			return apply_key(ps, keys[i].kind, key, value);
	}
	const char *home = option_section(key);
	if (home && strcmp(home, section) == 0)
		return apply_key(ps, KEY_OPTION, key, value);
	if (!known_section)
		return parse_fail(ps, key, EINVAL,
				  "unknown section [%s] (docs/profiles.md)",
				  section);
	return parse_fail(ps, key, EINVAL,
			  "no such key in [%s] (docs/profiles.md)", section);
}

int profile_parse(struct stk_policy *p, const char *origin, const char *text,
		  size_t len, char **description, struct stk_error **err)
{
	struct parse ps = {.p = p, .origin = origin, .text = text, .len = len};
	int r = ini_parse_stream(read_line, &ps, on_key, &ps);
	/* inih names the first line it could not read as "[section]" or
	 * "key = value"; ours may have come earlier or later. */
	if (r > 0 && (!ps.fail_line || (unsigned)r < ps.fail_line)) {
		stk_error_free(ps.fail);
		ps.fail = NULL;
		ps.fail_line = 0;
		ps.line = (unsigned)r;
		parse_fail(&ps, NULL, EINVAL,
			   "expected \"[section]\" or \"key = value\"");
	} else if (r < 0 && !ps.fail_line) {
		parse_fail(&ps, NULL, ENOMEM, "out of memory");
	}
	/* A compile stage is whole or absent: a host that runs it apart
	 * needs all three. */
	if (!ps.fail_line && ps.compile_keys && ps.compile_keys != 7) {
		ps.line = 1;
		parse_fail(&ps, NULL, EINVAL,
			   "[compile] needs command, artifact and run");
	}
	if (ps.fail_line) {
		int errnum = ps.fail->errnum;
		if (err && !*err)
			*err = steal_ptr(&ps.fail);
		stk_error_free(ps.fail);
		free(ps.description);
		return -errnum;
	}
	if (description)
		*description = steal_ptr(&ps.description);
	free(ps.description);
	return 0;
}

/* The whole file, which must be a regular file of sane size. */
static int read_profile(int dir, const char *path, char **text, size_t *len,
			struct stk_error **err)
{
	_cleanup_close_ int fd =
		openat(dir, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return stk_error_set(err, errno, "--profile", "%s: %s", path,
				     stk_strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > PROFILE_MAX_BYTES)
		return stk_error_set(err, EINVAL, "--profile",
				     "%s: not a regular file of at most %d "
				     "bytes",
				     path, PROFILE_MAX_BYTES);
	/* A profile is a policy: one that someone else could have written is
	 * theirs, not the caller's (sudo and ssh check their files so). */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return stk_error_set(err, EPERM, "--profile",
				     "%s: owned by uid %u, mode %04o: a "
				     "profile must belong to root or to the "
				     "caller and be writable by no one else",
				     path, (unsigned)st.st_uid,
				     (unsigned)(st.st_mode & 07777));
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return stk_error_set(err, ENOMEM, "--profile", "out of memory");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return stk_error_set(err, n < 0 ? errno : EIO,
					     "--profile", "%s: %s", path,
					     n < 0 ? stk_strerror(errno)
						   : "changed while read");
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	*text = steal_ptr(&buf);
	return 0;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > NAME_MAX_LEN || !islower((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_')
			return false;
	return true;
}

/* $STOCKADE_PROFILE_PATH, read once, when the library is loaded: getenv
 * is not safe while another thread of the caller may change the
 * environment, and a library in a threaded host must not race it.  A
 * copy: the caller may free a string it gave putenv. */
static char *profile_path_env;

__attribute__((constructor)) static void read_environment(void)
{
	const char *env = getenv("STOCKADE_PROFILE_PATH");
	profile_path_env = env ? strdup(env) : NULL;
}

/* The directories searched for NAME.conf, before the built-in profiles. */
static const char *search_path(void)
{
	return profile_path_env ? profile_path_env : STK_PROFILE_DIRS;
}

/* Calls fn for each directory of the search path, in order, until it
 * returns non-zero. */
static int each_dir(int (*fn)(const char *dir, void *arg), void *arg,
		    struct stk_error **err)
{
	_cleanup_free_ char *dirs = strdup(search_path());
	if (!dirs)
		return -ENOMEM;
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		/* A relative directory would depend on where the caller
		 * happens to be: it is not a place a policy can come from. */
		if (d[0] != '/')
			return stk_error_set(err, EINVAL,
					     "STOCKADE_PROFILE_PATH",
					     "STOCKADE_PROFILE_PATH: %s is not "
					     "an absolute directory",
					     d);
		int r = fn(d, arg);
		if (r)
			return r;
	}
	return 0;
}

struct lookup {
	const char *name;
	char *path; /* owned; where it was found */
	char *text; /* owned */
	size_t len;
	struct stk_error **err;
};

static int look_in(const char *dir, void *arg)
{
	struct lookup *l = arg;
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s.conf", dir, l->name) >=
	    (int)sizeof(path))
		return 0;
	int r = read_profile(AT_FDCWD, path, &l->text, &l->len, l->err);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0 && (!l->err || !*l->err))
		return stk_error_set(l->err, -r, "--profile", "%s: %s", path,
				     stk_strerror(-r));
	if (r == 0 && !(l->path = strdup(path)))
		return stk_error_set(l->err, ENOMEM, "--profile",
				     "out of memory");
	return r < 0 ? r : 1;
}

int policy_set_profile(struct stk_policy *p, const char *name,
		       const char *source)
{
	char *n = strdup(name), *s = strdup(source);
	if (!n || !s) {
		free(n);
		free(s);
		return -ENOMEM;
	}
	free(p->profile_name);
	free(p->profile_source);
	p->profile_name = n;
	p->profile_source = s;
	return 0;
}

int stk_policy_load_profile(struct stk_policy *p, const char *name,
			    struct stk_error **err)
{
	struct lookup l = {.name = name, .err = err};
	int r = policy_sealed(p, "--profile", err);
	if (r < 0)
		return r;
	if (!name || !name[0])
		return stk_error_set(err, EINVAL, "--profile",
				     "--profile: no name");
	if (strchr(name, '/')) {
		r = read_profile(AT_FDCWD, name, &l.text, &l.len, err);
		if (r < 0)
			return stk_error_set(err, -r, "--profile",
					     "--profile %s: %s", name,
					     stk_strerror(-r));
		l.path = strdup(name);
	} else if (!valid_name(name)) {
		return stk_error_set(err, EINVAL, "--profile",
				     "--profile %s: a name is lower-case "
				     "letters, digits, - and _; a file needs "
				     "a '/' (./%s)",
				     name, name);
	} else {
		r = each_dir(look_in, &l, err);
		if (r < 0)
			return r;
		for (size_t i = 0; r == 0 && i < stk_n_builtin_profiles; i++)
			if (strcmp(stk_builtin_profiles[i].name, name) == 0) {
				l.text = strdup(stk_builtin_profiles[i].text);
				l.len = l.text ? strlen(l.text) : 0;
				l.path = strdup("built-in");
				r = 1;
			}
		if (r == 0)
			return stk_error_set(err, ENOENT, "--profile",
					     "--profile %s: no such profile "
					     "(`stockade profiles` lists them)",
					     name);
	}
	_cleanup_free_ char *text = l.text;
	_cleanup_free_ char *source = l.path;
	if (!text || !source)
		return stk_error_set(err, ENOMEM, "--profile", "out of memory");
	const char *origin =
		strcmp(source, "built-in") == 0 ? name : (const char *)source;
	char *about = NULL;
	r = profile_parse(p, origin, text, l.len, &about, err);
	if (r < 0)
		return r;
	free(p->profile_about);
	p->profile_about = about;
	if (policy_set_profile(p, name, source) < 0)
		return stk_error_set(err, ENOMEM, "--profile", "out of memory");
	return 0;
}

/* ---- listing -------------------------------------------------------- */

struct listing {
	char *names[256]; /* owned; seen, so that a file shadows the rest */
	size_t n;
	FILE *out;
};

static bool seen(struct listing *ls, const char *name)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->names[i], name) == 0)
			return true;
	if (ls->n < ARRAY_SIZE(ls->names) && (ls->names[ls->n] = strdup(name)))
		ls->n++;
	return false;
}

/* A file named like a built-in profile that says something else: never
 * silently (an installed copy of the built-in is the same text). */
static bool replaces_builtin(const char *name, const char *text)
{
	for (size_t i = 0; i < stk_n_builtin_profiles; i++)
		if (strcmp(stk_builtin_profiles[i].name, name) == 0)
			return !text ||
			       strcmp(stk_builtin_profiles[i].text, text) != 0;
	return false;
}

/* One line for NAME, whose TEXT came from source; text NULL: it could not
 * be read, and *err says why (a profile --profile would refuse). */
static void list_one(struct listing *ls, const char *name, const char *text,
		     size_t len, const char *source, struct stk_error *err)
{
	char *description = NULL;
	if (seen(ls, name)) {
		stk_error_free(err);
		return;
	}
	int r = text ? profile_parse(NULL, source, text, len, &description,
				     &err)
		     : -EIO;
	fprintf(ls->out, "%-10s %s%s", name, r < 0 ? "refused: " : "",
		r < 0	      ? err->message
		: description ? description
			      : "");
	if (strcmp(source, "built-in") != 0)
		fprintf(ls->out, " [%s%s]", source,
			replaces_builtin(name, text)
				? ", in place of the built-in"
				: "");
	fputc('\n', ls->out);
	free(description);
	stk_error_free(err);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir, void *arg)
{
	struct listing *ls = arg;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	char *names[256];
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < ARRAY_SIZE(names);) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".conf") == 0 &&
		    (names[n] = strndup(e->d_name, len - 5)))
			n += valid_name(names[n]) ? 1 : (free(names[n]), 0);
	}
	qsort(names, n, sizeof(names[0]), compare_names);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		_cleanup_free_ char *text = NULL;
		struct stk_error *err = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s.conf", dir, names[i]);
		int r = read_profile(AT_FDCWD, path, &text, &len, &err);
		if (r < 0)
			stk_error_set(&err, -r, "--profile", "%s: %s", path,
				      stk_strerror(-r));
		list_one(ls, names[i], text, len, path, err);
		free(names[i]);
	}
	closedir(d);
	return 0;
}

int stk_profiles_list(char **text, struct stk_error **err)
{
	struct listing ls = {.n = 0};
	size_t size = 0;
	*text = NULL;
	ls.out = open_memstream(text, &size);
	if (!ls.out)
		return stk_error_set(err, ENOMEM, "profiles", "out of memory");
	int r = each_dir(list_dir, &ls, err);
	for (size_t i = 0; r == 0 && i < stk_n_builtin_profiles; i++)
		list_one(&ls, stk_builtin_profiles[i].name,
			 stk_builtin_profiles[i].text,
			 strlen(stk_builtin_profiles[i].text), "built-in",
			 NULL);
	for (size_t i = 0; i < ls.n; i++)
		free(ls.names[i]);
	if (fclose(ls.out) != 0 || r < 0) {
		free(*text);
		*text = NULL;
		return r < 0 ? r
			     : stk_error_set(err, ENOMEM, "profiles",
					     "out of memory");
	}
	return 0;
}
