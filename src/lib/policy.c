/* policy.c - the default policy and the setters that change it.
 *
 * Setters validate everything they can without running anything and leave
 * the policy untouched when they fail, so a caller can report the error
 * and go on with a consistent object. */
#define _GNU_SOURCE
#include "policy.h"

#include "cleanup.h"
#include "error.h"
#include "groups.h"

#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

/* What every program needs and nothing more: the read-only system tree and
 * the few /etc entries that dynamic programs, Python and TLS read, and the
 * service and protocol names of getaddrinfo and getservbyname.  Each is
 * mirrored: a symlink on the host (merged /usr, /etc/localtime) becomes the
 * same symlink, anything else a read-only bind; absent ones are skipped. */
static const char *const default_mirrors[] = {
	"/usr",		  "/bin",
	"/lib",		  "/lib64",
	"/sbin",	  "/etc/ld.so.cache",
	"/etc/localtime", "/etc/alternatives",
	"/etc/ssl/certs", "/etc/ssl/openssl.cnf",
	"/etc/services",  "/etc/protocols",
};

static const char *const default_env[][2] = {
	{"PATH", STK_DEFAULT_PATH},
	{"HOME", "/tmp"},
	{"LANG", "C.UTF-8"},
};

static void *grow(void *array, size_t count, size_t size)
{
	return reallocarray(array, count + 1, size);
}

static int add_default_tmpfs(struct stk_policy *p, const char *path)
{
	struct tmpfs *t = grow(p->tmpfs, p->n_tmpfs, sizeof(*t));
	if (!t)
		return -ENOMEM;
	p->tmpfs = t;
	t[p->n_tmpfs] = (struct tmpfs){.path = strdup(path),
				       .size = STK_DEFAULT_TMPFS_SIZE};
	if (!t[p->n_tmpfs].path)
		return -ENOMEM;
	p->n_tmpfs++;
	return 0;
}

struct stk_policy *stk_policy_new(void)
{
	struct stk_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->stdio[0] = 0;
	p->stdio[1] = 1;
	p->stdio[2] = 2;
	p->workdir = strdup("/tmp");
	p->hostname = strdup(STK_DEFAULT_HOSTNAME);
	if (!p->workdir || !p->hostname)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(default_mirrors); i++) {
		struct bind *b = grow(p->binds, p->n_binds, sizeof(*b));
		if (!b)
			goto fail;
		p->binds = b;
		b[p->n_binds] = (struct bind){
			.host = strdup(default_mirrors[i]),
			.path = strdup(default_mirrors[i]),
			.flags = STK_BIND_RO,
			.origin = BIND_MIRROR,
		};
		p->n_binds++;
		if (!b[p->n_binds - 1].host || !b[p->n_binds - 1].path)
			goto fail;
	}
	if (add_default_tmpfs(p, "/tmp") < 0)
		goto fail;
	for (size_t i = 0; i < stk_n_groups; i++)
		if (stk_groups[i].default_on)
			p->groups |= 1ULL << i;
	limits_default(p->limits);
	for (size_t i = 0; i < ARRAY_SIZE(default_env); i++)
		if (env_put(&p->env, &p->n_env, default_env[i][0],
			    default_env[i][1], NULL) < 0)
			goto fail;
	return p;
fail:
	stk_policy_free(p);
	return NULL;
}

void stk_policy_free(struct stk_policy *p)
{
	if (!p)
		return;
	strv_free(p->argv);
	for (size_t i = 0; i < p->n_binds; i++) {
		free(p->binds[i].host);
		free(p->binds[i].path);
	}
	free(p->binds);
	for (size_t i = 0; i < p->n_tmpfs; i++)
		free(p->tmpfs[i].path);
	free(p->tmpfs);
	for (size_t i = 0; i < p->n_copies; i++) {
		free(p->copies[i].host);
		free(p->copies[i].path);
		close(p->copies[i].fd);
	}
	free(p->copies);
	env_free(p->env, p->n_env);
	for (size_t i = 0; i < p->n_denied; i++)
		free(p->denied[i]);
	free(p->denied);
	free(p->workdir);
	free(p->hostname);
	free(p->cgroup_parent);
	free(p->profile_about);
	strv_free(p->compile_argv);
	free(p->artifact);
	strv_free(p->stage_run_argv);
	free(p->profile_name);
	free(p->profile_source);
	policy_log_free(p);
	free(p);
}

void strv_free(char **v)
{
	for (char **a = v; a && *a; a++)
		free(*a);
	free(v);
}

int command_copy(char ***dst, const char *const argv[], struct stk_error **err)
{
	size_t n = 0;
	if (!argv || !argv[0] || !argv[0][0])
		return stk_error_set(err, EINVAL, "command",
				     "no command to run");
	while (argv[n])
		n++;
	char **copy = calloc(n + 1, sizeof(*copy));
	if (!copy)
		return stk_error_set(err, ENOMEM, "command", "out of memory");
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(argv[i]);
		if (!copy[i]) {
			strv_free(copy);
			return stk_error_set(err, ENOMEM, "command",
					     "out of memory");
		}
	}
	strv_free(*dst);
	*dst = copy;
	return 0;
}

const char *const *stk_policy_get_command(const struct stk_policy *p)
{
	return (const char *const *)p->argv;
}

const char *stk_policy_get_description(const struct stk_policy *p)
{
	return p->profile_about;
}

bool stk_policy_get_compile(const struct stk_policy *p,
			    const char *const **compile, const char **artifact,
			    const char *const **run)
{
	if (!p->compile_argv || !p->artifact || !p->stage_run_argv)
		return false;
	*compile = (const char *const *)p->compile_argv;
	*artifact = p->artifact;
	*run = (const char *const *)p->stage_run_argv;
	return true;
}

int stk_policy_set_command(struct stk_policy *p, const char *const argv[],
			   struct stk_error **err)
{
	int r = policy_sealed(p, "command", err);
	return r < 0 ? r : command_copy(&p->argv, argv, err);
}

static int path_error(struct stk_error **err, int errnum, const char *step,
		      const char *path)
{
	return stk_error_set(
		err, errnum, step, "%s: \"%s\" %s", step, path ? path : "",
		errnum == ENAMETOOLONG ? "is too long"
				       : "is not an absolute path without . or "
					 ".. components");
}

/* A destination inside the sandbox: normal form, and not one the sandbox
 * itself owns (the root, /proc, /dev): a bind over those would replace
 * what the other layers rely on. */
static int inside_path(const char *path, const char *step, char *out,
		       size_t size, struct stk_error **err)
{
	int r = stk_path_normalize(path, out, size, NULL);
	if (r < 0)
		return path_error(err, -r, step, path);
	static const char *const reserved[] = {"/proc", "/dev"};
	bool taken = strcmp(out, "/") == 0;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		size_t len = strlen(reserved[i]);
		taken |= strncmp(out, reserved[i], len) == 0 &&
			 (out[len] == '\0' || out[len] == '/');
	}
	if (taken)
		return stk_error_set(err, EINVAL, step,
				     "%s: %s is reserved by the sandbox", step,
				     out);
	return 0;
}

/* A host path given by the caller: it must exist now; relative paths are
 * taken from the caller's working directory. */
static int host_path(const char *path, const char *step, char **out,
		     struct stk_error **err)
{
	if (!path || !path[0])
		return stk_error_set(err, EINVAL, step, "%s: empty host path",
				     step);
	*out = realpath(path, NULL);
	if (!*out)
		return stk_error_set(err, errno, step, "%s: %s: %s", step, path,
				     stk_strerror(errno));
	return 0;
}

/* The same destination twice is ambiguous unless the first one came from
 * the default policy, which the caller may override. */
static int check_destination(const struct stk_policy *p, const char *dest,
			     const char *step, struct stk_error **err)
{
	bool taken = false;
	for (size_t i = 0; i < p->n_binds; i++)
		taken |= p->binds[i].origin == BIND_USER &&
			 strcmp(p->binds[i].path, dest) == 0;
	for (size_t i = 0; i < p->n_tmpfs; i++)
		taken |=
			p->tmpfs[i].user && strcmp(p->tmpfs[i].path, dest) == 0;
	if (taken)
		return stk_error_set(err, EEXIST, step,
				     "%s: %s is already mounted by another "
				     "option",
				     step, dest);
	return 0;
}

/* Removes the default policy's entries at dest, keeping the order of the
 * rest; called once the new entry can no longer fail. */
static void drop_defaults_at(struct stk_policy *p, const char *dest)
{
	for (size_t i = p->n_binds; i-- > 0;) {
		if (strcmp(p->binds[i].path, dest) != 0)
			continue;
		free(p->binds[i].host);
		free(p->binds[i].path);
		memmove(&p->binds[i], &p->binds[i + 1],
			(--p->n_binds - i) * sizeof(p->binds[0]));
	}
	for (size_t i = p->n_tmpfs; i-- > 0;) {
		if (strcmp(p->tmpfs[i].path, dest) != 0)
			continue;
		free(p->tmpfs[i].path);
		memmove(&p->tmpfs[i], &p->tmpfs[i + 1],
			(--p->n_tmpfs - i) * sizeof(p->tmpfs[0]));
	}
}

int stk_policy_add_bind(struct stk_policy *p, const char *host,
			const char *path, unsigned flags,
			struct stk_error **err)
{
	static const char *const steps[] = {"--ro", "--rw", "--ro-try",
					    "--rw-try"};
	const char *step = steps[flags & (STK_BIND_RW | STK_BIND_TRY)];
	int r = policy_sealed(p, step, err);
	if (r < 0)
		return r;
	if (flags & ~(unsigned)(STK_BIND_RW | STK_BIND_TRY))
		return stk_error_set(err, EINVAL, step, "%s: unknown flags %#x",
				     step, flags);
	/* A path this host lacks is no error for a profile written for
	 * many hosts; one that exists is bound like any other. */
	if ((flags & STK_BIND_TRY) && host && host[0] &&
	    access(host, F_OK) < 0 && errno == ENOENT)
		return 0;
	_cleanup_free_ char *abs = NULL;
	r = host_path(host, step, &abs, err);
	if (r < 0)
		return r;
	struct stat st;
	if (stat(abs, &st) < 0)
		return stk_error_set(err, errno, step, "%s: %s: %s", step, abs,
				     stk_strerror(errno));
	/* Without PATH, the host path as given (a link stays its name, so
	 * --ro /lib binds at /lib), made absolute if it was relative. */
	char dest[PATH_MAX];
	r = inside_path(path		 ? path
			: host[0] == '/' ? host
					 : abs,
			step, dest, sizeof(dest), err);
	if (r < 0)
		return r;
	r = check_destination(p, dest, step, err);
	if (r < 0)
		return r;

	struct bind *b = grow(p->binds, p->n_binds, sizeof(*b));
	if (!b)
		return stk_error_set(err, ENOMEM, step, "out of memory");
	p->binds = b;
	char *d = strdup(dest);
	if (!d)
		return stk_error_set(err, ENOMEM, step, "out of memory");
	drop_defaults_at(p, dest);
	policy_log_pair(p, step + 2, abs, dest);
	p->binds[p->n_binds++] = (struct bind){
		.host = steal_ptr(&abs),
		.path = d,
		.flags = flags & STK_BIND_RW,
		.origin = BIND_USER,
		.dev = st.st_dev,
		.ino = st.st_ino,
	};
	return 0;
}

int stk_policy_add_tmpfs(struct stk_policy *p, const char *path, uint64_t size,
			 struct stk_error **err)
{
	char dest[PATH_MAX];
	int r = policy_sealed(p, "--tmpfs", err);
	if (r == 0)
		r = inside_path(path, "--tmpfs", dest, sizeof(dest), err);
	if (r < 0)
		return r;
	r = check_destination(p, dest, "--tmpfs", err);
	if (r < 0)
		return r;
	struct tmpfs *t = grow(p->tmpfs, p->n_tmpfs, sizeof(*t));
	if (!t)
		return stk_error_set(err, ENOMEM, "--tmpfs", "out of memory");
	p->tmpfs = t;
	char *d = strdup(dest);
	if (!d)
		return stk_error_set(err, ENOMEM, "--tmpfs", "out of memory");
	drop_defaults_at(p, dest);
	if (strchr(dest, ':'))
		p->unlogged = "a path with ':' has no text form";
	else if (size)
		policy_log(p, "tmpfs", "%s:%llu", dest,
			   (unsigned long long)size);
	else
		policy_log(p, "tmpfs", "%s", dest);
	p->tmpfs[p->n_tmpfs++] = (struct tmpfs){
		.path = d,
		.size = size ? size : STK_DEFAULT_TMPFS_SIZE,
		.user = true,
	};
	return 0;
}

int stk_policy_add_copy(struct stk_policy *p, const char *host,
			const char *path, struct stk_error **err)
{
	_cleanup_free_ char *abs = NULL;
	int r = policy_sealed(p, "--copy", err);
	if (r == 0)
		r = host_path(host, "--copy", &abs, err);
	if (r < 0)
		return r;
	char dest[PATH_MAX];
	r = inside_path(path, "--copy", dest, sizeof(dest), err);
	if (r < 0)
		return r;
	/* Opened now, with the caller's rights and as the caller named it:
	 * a later swap of a directory on the path for a link cannot make
	 * us copy something else.  A link as the last component is not
	 * followed, as none inside a tree is: a path a caller passes on
	 * from someone else (an upload's) must not copy what its link
	 * leads to with the caller's rights.  The caller names the target. */
	_cleanup_close_ int where = open(host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (where < 0 || fstat(where, &st) < 0)
		return stk_error_set(err, errno, "--copy", "--copy: %s: %s",
				     abs, stk_strerror(errno));
	if (S_ISLNK(st.st_mode))
		return stk_error_set(err, ELOOP, "--copy",
				     "--copy: %s is a symbolic link: name "
				     "the file or directory it leads to",
				     host);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return stk_error_set(err, EINVAL, "--copy",
				     "--copy: %s: not a file or directory",
				     abs);
	/* Reopened through the fd, not the path: devices are never opened
	 * (an open can have effects), and the path is not walked twice. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", where);
	_cleanup_close_ int fd =
		open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return stk_error_set(err, errno, "--copy", "--copy: %s: %s",
				     abs, stk_strerror(errno));
	struct copy *c = grow(p->copies, p->n_copies, sizeof(*c));
	if (!c)
		return stk_error_set(err, ENOMEM, "--copy", "out of memory");
	p->copies = c;
	char *d = strdup(dest);
	if (!d)
		return stk_error_set(err, ENOMEM, "--copy", "out of memory");
	policy_log_pair(p, "copy", abs, dest);
	p->copies[p->n_copies++] = (struct copy){
		.host = steal_ptr(&abs), .path = d, .fd = steal_fd(&fd)};
	return 0;
}

int stk_policy_set_chdir(struct stk_policy *p, const char *path,
			 struct stk_error **err)
{
	char dir[PATH_MAX];
	int r = policy_sealed(p, "--chdir", err);
	if (r < 0)
		return r;
	r = stk_path_normalize(path, dir, sizeof(dir), NULL);
	if (r < 0)
		return path_error(err, -r, "--chdir", path);
	char *d = strdup(dir);
	if (!d)
		return stk_error_set(err, ENOMEM, "--chdir", "out of memory");
	free(p->workdir);
	p->workdir = d;
	policy_log(p, "chdir", "%s", d);
	return 0;
}

struct env_var *env_find(const struct env_var *env, size_t n_env,
			 const char *name)
{
	for (size_t i = 0; i < n_env; i++)
		if (strcmp(env[i].name, name) == 0)
			return (struct env_var *)&env[i];
	return NULL;
}

int env_put(struct env_var **env, size_t *n_env, const char *name,
	    const char *value, struct stk_error **err)
{
	if (!name || !name[0] || strchr(name, '='))
		return stk_error_set(err, EINVAL, "--env",
				     "--env: invalid variable name \"%s\"",
				     name ? name : "");
	_cleanup_free_ char *v = NULL;
	if (value && !(v = strdup(value)))
		return stk_error_set(err, ENOMEM, "--env", "out of memory");
	struct env_var *old = env_find(*env, *n_env, name);
	if (old) {
		free(old->value);
		old->value = steal_ptr(&v);
		return 0;
	}
	struct env_var *e = grow(*env, *n_env, sizeof(*e));
	if (!e)
		return stk_error_set(err, ENOMEM, "--env", "out of memory");
	*env = e;
	char *n = strdup(name);
	if (!n)
		return stk_error_set(err, ENOMEM, "--env", "out of memory");
	e[(*n_env)++] = (struct env_var){.name = n, .value = steal_ptr(&v)};
	return 0;
}

void env_free(struct env_var *env, size_t n_env)
{
	for (size_t i = 0; i < n_env; i++) {
		free(env[i].name);
		free(env[i].value);
	}
	free(env);
}

int stk_policy_set_env(struct stk_policy *p, const char *name,
		       const char *value, struct stk_error **err)
{
	int r = policy_sealed(p, "--env", err);
	if (r == 0)
		r = env_put(&p->env, &p->n_env, name, value, err);
	if (r == 0 && value)
		policy_log(p, "env", "%s=%s", name, value);
	else if (r == 0)
		policy_log(p, "env", "%s", name);
	return r;
}

/* RFC 1123: dot-separated labels of 1-63 letters, digits and inner
 * hyphens, 64 bytes in all (what sethostname takes). */
static bool valid_hostname(const char *name)
{
	size_t len = name ? strlen(name) : 0, label = 0;
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)c) ||
			   (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* *slot = a copy of value, the old one freed; option names the error. */
static int replace_string(char **slot, const char *value, const char *option,
			  struct stk_error **err)
{
	char *copy = strdup(value);
	if (!copy)
		return stk_error_set(err, ENOMEM, option, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int stk_policy_set_hostname(struct stk_policy *p, const char *name,
			    struct stk_error **err)
{
	int r = policy_sealed(p, "--hostname", err);
	if (r < 0)
		return r;
	if (!valid_hostname(name))
		return stk_error_set(err, EINVAL, "--hostname",
				     "--hostname: \"%s\" is not a host name "
				     "(labels of letters, digits and inner "
				     "'-', joined by '.', 64 bytes at most)",
				     name ? name : "");
	r = replace_string(&p->hostname, name, "--hostname", err);
	if (r == 0)
		policy_log(p, "hostname", "%s", name);
	return r;
}

int stk_policy_set_cgroup_parent(struct stk_policy *p, const char *dir,
				 struct stk_error **err)
{
	struct statfs fs;
	int r = policy_sealed(p, "--cgroup-parent", err);
	if (r < 0)
		return r;
	if (!dir || dir[0] != '/' || statfs(dir, &fs) < 0 ||
	    fs.f_type != CGROUP2_SUPER_MAGIC)
		return stk_error_set(err, EINVAL, "--cgroup-parent",
				     "--cgroup-parent: \"%s\" is not the "
				     "absolute path of a cgroup v2 group",
				     dir ? dir : "");
	r = replace_string(&p->cgroup_parent, dir, "--cgroup-parent", err);
	if (r == 0)
		policy_log(p, "cgroup-parent", "%s", dir);
	return r;
}

int stk_policy_set_stdio(struct stk_policy *p, int in, int out, int err_fd,
			 struct stk_error **err)
{
	int fds[3] = {in, out, err_fd};
	int r = policy_sealed(p, "stdio", err);
	if (r < 0)
		return r;
	for (int i = 0; i < 3; i++) {
		struct stat st;
		if (fds[i] < 0 || fstat(fds[i], &st) < 0)
			return stk_error_set(err, EBADF, "stdio",
					     "stdio: fd %d is not open",
					     fds[i]);
	}
	memcpy(p->stdio, fds, sizeof(fds));
	return 0;
}

void stk_policy_set_forward_signals(struct stk_policy *p, bool on)
{
	if (!p->sealed)
		p->forward_signals = on;
}

int stk_policy_allow(struct stk_policy *p, const char *group,
		     struct stk_error **err)
{
	const struct syscall_group *g = group ? stk_group_find(group) : NULL;
	int r = policy_sealed(p, "--allow", err);
	if (r < 0)
		return r;
	if (!g)
		return stk_error_set(err, EINVAL, "--allow",
				     "--allow: no syscall group \"%s\" (see "
				     "stockade policy)",
				     group ? group : "");
	p->groups |= 1ULL << (g - stk_groups);
	policy_log(p, "allow", "%s", group);
	return 0;
}

int stk_policy_deny(struct stk_policy *p, const char *what,
		    struct stk_error **err)
{
	const struct syscall_group *g = what ? stk_group_find(what) : NULL;
	int r = policy_sealed(p, "--deny", err);
	if (r < 0)
		return r;
	if (g && g->required)
		return stk_error_set(err, EINVAL, "--deny",
				     "--deny %s: the program could not start "
				     "without it",
				     what);
	if (g) {
		p->groups &= ~(1ULL << (g - stk_groups));
		policy_log(p, "deny", "%s", what);
		return 0;
	}
	if (!what || !stk_syscall_known(what))
		return stk_error_set(err, EINVAL, "--deny",
				     "--deny: \"%s\" is neither a syscall "
				     "group nor a system call of this "
				     "architecture",
				     what ? what : "");
	if (stk_syscall_required(what))
		return stk_error_set(err, EINVAL, "--deny",
				     "--deny %s: the program could not start "
				     "without it",
				     what);
	char *name = strdup(what);
	char **d = name ? grow(p->denied, p->n_denied, sizeof(*d)) : NULL;
	if (!d) {
		free(name);
		return stk_error_set(err, ENOMEM, "--deny", "out of memory");
	}
	p->denied = d;
	p->denied[p->n_denied++] = name;
	policy_log(p, "deny", "%s", what);
	return 0;
}

int stk_policy_set_on_deny(struct stk_policy *p, enum stk_on_deny action,
			   struct stk_error **err)
{
	int r = policy_sealed(p, "--on-deny", err);
	if (r < 0)
		return r;
	if (action != STK_ON_DENY_ERRNO && action != STK_ON_DENY_KILL)
		return stk_error_set(err, EINVAL, "--on-deny",
				     "--on-deny: unknown action %d",
				     (int)action);
	p->on_deny = action;
	policy_log(p, "on-deny", "%s",
		   action == STK_ON_DENY_KILL ? "kill" : "errno");
	return 0;
}
