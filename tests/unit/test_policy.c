/* test_policy.c - unit tests for the policy setters and mount planning.
 * No root needed: both only read the host, here a tree in a mkdtemp dir. */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/wait.h>

#include "plan.h"
#include "policy.h"

#define MIB (1ULL << 20)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define RO STK_BIND_RO
#define RW STK_BIND_RW
#define MISSING "/nonexistent-stockade-test/missing"

/* dir: the scratch directory, a real path (/tmp may be a link); tree:
 * dir/tree, holding f (0640), sub/ (0750) with g (0600), and link -> f. */
static char dir[PATH_MAX], tree[PATH_MAX];
/* Filled by the call under test, checked and freed by ACCEPTED/REFUSED. */
static struct stk_error *err;

static int make(int at, const char *name, const char *text, mode_t mode)
{
	int fd = text ? openat(at, name, O_WRONLY | O_CREAT | O_EXCL, 0600)
		      : mkdirat(at, name, 0700);
	if (fd < 0 ||
	    (text && (write(fd, text, strlen(text)) < 0 || close(fd) < 0)))
		return -1;
	return fchmodat(at, name, mode, 0); /* whatever the umask */
}

static int make_tree(void **state)
{
	char tmpl[] = "/tmp/stk-policy-XXXXXX";
	(void)state;
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir) ||
	    snprintf(tree, sizeof(tree), "%s/tree", dir) >= PATH_MAX)
		return -1;
	int at = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool failed = make(at, "tree", NULL, 0751) < 0 ||
		      make(at, "tree/f", "hello", 0640) < 0 ||
		      make(at, "tree/sub", NULL, 0750) < 0 ||
		      make(at, "tree/sub/g", "world", 0600) < 0 ||
		      symlinkat("f", at, "tree/link") < 0;
	close(at);
	return failed ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int remove_tree(void **state)
{
	(void)state;
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int new_policy(void **state)
{
	*state = stk_policy_new();
	return *state ? 0 : -1;
}

static int free_policy(void **state)
{
	stk_policy_free(*state);
	stk_error_free(err); /* left by a failed check */
	err = NULL;
	return 0;
}

#define ACCEPTED(call) accepted(#call, (call))
#define REFUSED(call, errnum, step, text)                                      \
	refused(#call, (call), errnum, step, text)

/* The calls under test, on the test's policy p. */
#define HOSTNAME(name) stk_policy_set_hostname(p, name, &err)
#define ENV(name, value) stk_policy_set_env(p, name, value, &err)
#define CHDIR(path) stk_policy_set_chdir(p, path, &err)
#define COMMAND(argv) stk_policy_set_command(p, argv, &err)
#define STDIO(in, out, err_fd) stk_policy_set_stdio(p, in, out, err_fd, &err)
#define BIND(host, path, flags) stk_policy_add_bind(p, host, path, flags, &err)
#define TMPFS(path, size) stk_policy_add_tmpfs(p, path, size, &err)
#define COPY(host, path) stk_policy_add_copy(p, host, path, &err)

static void accepted(const char *call, int r)
{
	if (r != 0 || err)
		fail_msg("%s: %d (%s)", call, r, err ? err->message : "");
}

/* The call returned -errnum and filled err with errnum, the step and a
 * message that contains text. */
static void refused(const char *call, int r, int errnum, const char *step,
		    const char *text)
{
	if (r != -errnum || !err || err->errnum != errnum ||
	    strcmp(err->step, step) != 0 || !strstr(err->message, text))
		fail_msg("%s: %d, {%d, %s, %s}; want %d, {%d, %s, ...%s...}",
			 call, r, err ? err->errnum : 0, err ? err->step : "",
			 err ? err->message : "", -errnum, errnum, step, text);
	stk_error_free(err);
	err = NULL;
}

static const char *quote(const char *text)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "\"%s\"", text ? text : "");
	return buf;
}

/* The one element of array[0..n) whose member field is the string key,
 * NULL if none; two fail the test.  For binds, tmpfs, env and mount ops. */
#define ONLY(array, n, field, key)                                             \
	({                                                                     \
		const __typeof__(*(array)) *found_ = NULL;                     \
		for (size_t i_ = 0; i_ < (n); i_++) {                          \
			if (strcmp((array)[i_].field, key) != 0)               \
				continue;                                      \
			if (found_)                                            \
				fail_msg("\"%s\" is there twice", key);        \
			found_ = &(array)[i_];                                 \
		}                                                              \
		found_;                                                        \
	})

static void check_bind(const struct stk_policy *p, const char *path,
		       const char *host, unsigned flags,
		       enum bind_origin origin)
{
	const struct bind *b = ONLY(p->binds, p->n_binds, path, path);
	if (!b)
		fail_msg("no bind at %s", path);
	assert_string_equal(b->host, host);
	assert_true(b->flags == flags && b->origin == origin);
}

static void check_tmpfs(const struct stk_policy *p, const char *path,
			uint64_t size, bool user)
{
	const struct tmpfs *t = ONLY(p->tmpfs, p->n_tmpfs, path, path);
	if (!t || t->size != size || t->user != user)
		fail_msg("tmpfs %s: %s", path, t ? "wrong size/user" : "none");
}

static void check_env(const struct stk_policy *p, const char *name,
		      const char *value)
{
	const struct env_var *e = ONLY(p->env, p->n_env, name, name);
	if (!e || !e->value || strcmp(e->value, value) != 0)
		fail_msg("%s=%s; want %s", name, e && e->value ? e->value : "",
			 value);
}

static const struct mount_op *find_op(const struct plan *plan, const char *dest,
				      enum op_kind kind)
{
	const struct mount_op *op = ONLY(plan->ops, plan->n_ops, dest, dest);
	if (!op || op->kind != kind)
		fail_msg("op for \"%s\": kind %d; want %d", dest,
			 op ? (int)op->kind : -1, kind);
	return op;
}

/* Plans the mounts of p and checks what every plan must hold: relative
 * destinations, and no op before the op of one of its parents. */
static void build_plan(struct plan *plan, const struct stk_policy *p)
{
	*plan = (struct plan){0};
	ACCEPTED(plan_mounts(plan, p, &err));
	for (size_t i = 0; i < plan->n_ops; i++) {
		const char *d = plan->ops[i].dest;
		if (!d[0] || d[0] == '/')
			fail_msg("op %zu: dest \"%s\" is not relative", i, d);
		for (size_t j = i + 1; j < plan->n_ops; j++) {
			const char *parent = plan->ops[j].dest;
			size_t len = strlen(parent);
			if (strncmp(d, parent, len) == 0 && d[len] == '/')
				fail_msg("op %zu \"%s\" before op %zu \"%s\"",
					 i, d, j, parent);
		}
	}
}

/* A file of a --copy tree: its mode, and an fd that reads its bytes. */
static int check_copy(const struct plan *plan, const char *dest, mode_t mode,
		      const char *text)
{
	const struct mount_op *op = find_op(plan, dest, OP_COPY_FILE);
	char buf[64] = {0};
	assert_int_equal(op->mode, mode);
	assert_true(op->fd >= 0);
	assert_int_equal(pread(op->fd, buf, sizeof(buf) - 1, 0), strlen(text));
	assert_string_equal(buf, text);
	return op->fd;
}

static void test_default_policy(void **state)
{
	const struct stk_policy *p = *state;
	check_bind(p, "/usr", "/usr", RO, BIND_MIRROR);
	check_tmpfs(p, "/tmp", 64 * MIB, false);
	check_env(p, "PATH", "/usr/local/bin:/usr/bin:/bin");
	check_env(p, "HOME", "/tmp");
	check_env(p, "LANG", "C.UTF-8");
	assert_string_equal(p->workdir, "/tmp");
	assert_string_equal(p->hostname, "stockade");
	assert_null(p->argv);
}

static void test_hostname(void **state)
{
	struct stk_policy *p = *state;
	char label63[64] = {0}, label64[65] = {0}, long65[66] = {0};
	memset(label63, 'h', 63);
	memset(label64, 'h', 64);
	/* 64 bytes in labels of at most 63, then one byte too many. */
	memset(long65, 'h', 65);
	long65[30] = '.';
	const char *const good[] = {"a", "box-1.example", "x-y.z9", label63,
				    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh.hhhhhhhhh"
				    "hhhhhhhhhhhhhhhhhhhhhhh"};
	const char *const bad[] = {
		"",	label64, long65, "-x",	     ".x",	 "x-",	"x.",
		"a..b", "a.-b",	 "a-.b", "bad name", "bad/name", "bäd", NULL};
	for (size_t i = 0; i < COUNT(good); i++) {
		ACCEPTED(HOSTNAME(good[i]));
		assert_string_equal(p->hostname, good[i]);
	}
	ACCEPTED(HOSTNAME("kept"));
	for (size_t i = 0; i < COUNT(bad); i++) {
		REFUSED(HOSTNAME(bad[i]), EINVAL, "--hostname", quote(bad[i]));
		assert_string_equal(p->hostname, "kept");
	}
}

static void test_env(void **state)
{
	struct stk_policy *p = *state;
	const char *const bad[] = {"", "A=B", "=x", NULL};
	ACCEPTED(ENV("FOO", "bar"));
	check_env(p, "FOO", "bar");
	ACCEPTED(ENV("FOO", "baz"));
	check_env(p, "FOO", "baz"); /* and only once */
	/* Removed: gone, or kept without a value, which is not passed on. */
	ACCEPTED(ENV("HOME", NULL));
	const struct env_var *home = ONLY(p->env, p->n_env, name, "HOME");
	if (home && home->value)
		fail_msg("HOME still set to \"%s\"", home->value);
	check_env(p, "PATH", STK_DEFAULT_PATH);
	size_t n = p->n_env;
	for (size_t i = 0; i < COUNT(bad); i++)
		REFUSED(ENV(bad[i], "v"), EINVAL, "--env", quote(bad[i]));
	assert_int_equal(p->n_env, n);
}

static void test_chdir_command_stdio(void **state)
{
	struct stk_policy *p = *state;
	const char *const empty[] = {"", "x", NULL}, *const none[] = {NULL};
	const char *const first[] = {"python3", "-c", "print(1)", NULL};
	const char *const second[] = {"/bin/true", NULL};
	ACCEPTED(CHDIR("/srv//work/"));
	REFUSED(CHDIR("rel"), EINVAL, "--chdir", "\"rel\"");
	REFUSED(CHDIR("/a/../b"), EINVAL, "--chdir", "\"/a/../b\"");
	assert_string_equal(p->workdir, "/srv/work");
	REFUSED(COMMAND(NULL), EINVAL, "command", "");
	REFUSED(COMMAND(none), EINVAL, "command", "");
	ACCEPTED(COMMAND(first));
	/* The first copy goes here: LeakSanitizer tells if it leaks. */
	ACCEPTED(COMMAND(second));
	REFUSED(COMMAND(empty), EINVAL, "command", "");
	assert_string_equal(p->argv[0], "/bin/true");
	assert_null(p->argv[1]);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	int closed = dup(fds[0]); /* closed below: a number surely not open */
	assert_true(closed >= 0 && close(closed) == 0);
	ACCEPTED(STDIO(fds[0], fds[1], fds[1]));
	REFUSED(STDIO(0, closed, 2), EBADF, "stdio", "is not open");
	assert_memory_equal(p->stdio, ((int[]){fds[0], fds[1], fds[1]}),
			    sizeof(p->stdio));
	close(fds[0]);
	close(fds[1]);
}

static void test_bind_host(void **state)
{
	struct stk_policy *p = *state;
	REFUSED(BIND(MISSING, "/data", RO), ENOENT, "--ro", MISSING);
	REFUSED(BIND(MISSING, NULL, RW), ENOENT, "--rw", MISSING);
	assert_null(ONLY(p->binds, p->n_binds, path, "/data"));
	/* Relative: from the caller's working directory. */
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(cwd >= 0 && chdir(dir) == 0);
	int r = BIND("tree", "/data", RO);
	r = r < 0 ? r : BIND("./tree/", NULL, RW); /* inside: the same path */
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	ACCEPTED(r);
	check_bind(p, "/data", tree, RO, BIND_USER);
	check_bind(p, tree, tree, RW, BIND_USER);
}

static void test_bind_destination(void **state)
{
	struct stk_policy *p = *state;
	const char *const reserved[] = {"/",	     "//",   "/proc",
					"/proc/x",   "/dev", "/dev/shm",
					"/dev//shm/"};
	const char *const invalid[] = {"data", "a/b", "/a/../b", "/..", ""};
	/* Only whole components are reserved. */
	const char *const fine[] = {"/procx", "/devices", "/x/proc", "/x/dev"};
	ACCEPTED(BIND(dir, "/a//b/", RO));
	check_bind(p, "/a/b", dir, RO, BIND_USER);
	size_t n = p->n_binds;
	for (size_t i = 0; i < COUNT(reserved); i++)
		REFUSED(BIND(dir, reserved[i], RO), EINVAL, "--ro", "reserved");
	for (size_t i = 0; i < COUNT(invalid); i++)
		REFUSED(BIND(dir, invalid[i], RW), EINVAL, "--rw",
			quote(invalid[i]));
	REFUSED(BIND(tree, "/a/b/", RW), EEXIST, "--rw", "/a/b");
	REFUSED(BIND(dir, "/x", 1u << 3), EINVAL, "--ro", "0x8");
	REFUSED(BIND(dir, "/x", RW | 1u << 31), EINVAL, "--rw", "0x80000001");
	assert_int_equal(p->n_binds, n);
	check_bind(p, "/a/b", dir, RO, BIND_USER);
	for (size_t i = 0; i < COUNT(fine); i++)
		ACCEPTED(BIND(dir, fine[i], RO));
	/* The default /usr gives way: check_bind finds one entry there. */
	ACCEPTED(BIND(dir, "//usr/", RW));
	check_bind(p, "/usr", dir, RW, BIND_USER);
}

static void test_tmpfs(void **state)
{
	struct stk_policy *p = *state;
	ACCEPTED(TMPFS("/scratch//", 0));
	check_tmpfs(p, "/scratch", 64 * MIB, true);
	ACCEPTED(TMPFS("/tmp", MIB));
	check_tmpfs(p, "/tmp", MIB, true);
	REFUSED(TMPFS("/scratch", MIB), EEXIST, "--tmpfs", "/scratch");
	REFUSED(TMPFS("/tmp/", 0), EEXIST, "--tmpfs", "/tmp");
	REFUSED(TMPFS("/dev/shm", 0), EINVAL, "--tmpfs", "reserved");
	check_tmpfs(p, "/tmp", MIB, true);

	/* A tmpfs and a bind at one place, whichever comes first. */
	ACCEPTED(BIND(dir, "/data", RO));
	REFUSED(TMPFS("/data", 0), EEXIST, "--tmpfs", "/data");
	REFUSED(BIND(dir, "/scratch", RW), EEXIST, "--rw", "/scratch");
	assert_int_equal(p->n_tmpfs, 2);
	assert_null(ONLY(p->binds, p->n_binds, path, "/scratch"));
}

static void test_copy(void **state)
{
	struct stk_policy *p = *state;
	REFUSED(COPY(MISSING, "/tmp/x"), ENOENT, "--copy", MISSING);
	REFUSED(COPY(tree, "x"), EINVAL, "--copy", "\"x\"");
	ACCEPTED(COPY(tree, "/tmp//x/"));
	assert_int_equal(p->n_copies, 1); /* the refused ones left nothing */
	assert_string_equal(p->copies[0].path, "/tmp/x");
	assert_string_equal(p->copies[0].host, tree);
}

static void test_plan_default(void **state)
{
	struct plan plan;
	build_plan(&plan, *state);
	/* A read-only bind, or the same link where /usr is one. */
	const struct mount_op *usr = ONLY(plan.ops, plan.n_ops, dest, "usr");
	assert_true(usr && (usr->kind == OP_SYMLINK ||
			    (usr->kind == OP_BIND && usr->read_only)));
	find_op(&plan, "proc", OP_PROC);
	find_op(&plan, "dev/null", OP_DEVICE);
	find_op(&plan, "dev/shm", OP_TMPFS);
	assert_string_equal(find_op(&plan, "tmp", OP_TMPFS)->size, "67108864");
	const struct mount_op *passwd = find_op(&plan, "etc/passwd", OP_FILE);
	assert_non_null(strstr(passwd->source, "sandbox:x:1000:1000:"));
	assert_int_equal(passwd->length, strlen(passwd->source));
	const struct mount_op *shadow = find_op(&plan, "etc/shadow", OP_FILE);
	assert_int_equal(shadow->length, 0);
	assert_int_equal(shadow->mode, 0);
	/* No terminal without the terminals group. */
	assert_null(ONLY(plan.ops, plan.n_ops, dest, "dev/pts"));
	assert_null(ONLY(plan.ops, plan.n_ops, dest, "dev/ptmx"));
	assert_null(ONLY(plan.ops, plan.n_ops, dest, "dev/tty"));
	plan_release(&plan);
}

/* The terminals group: a devpts of the run's own, its ptmx, /dev/tty. */
static void test_plan_terminals(void **state)
{
	struct stk_policy *p = *state;
	ACCEPTED(stk_policy_allow(p, "terminals", &err));
	struct plan plan;
	build_plan(&plan, p);
	find_op(&plan, "dev/pts", OP_DEVPTS);
	assert_string_equal(find_op(&plan, "dev/ptmx", OP_SYMLINK)->source,
			    "pts/ptmx");
	assert_string_equal(find_op(&plan, "dev/tty", OP_DEVICE)->source,
			    "/dev/tty");
	plan_release(&plan);
}

/* unlimited lifts the limits the host can bear without, and only those. */
static void test_unlimited(void **state)
{
	struct stk_policy *p = *state;
	static const char *const liftable[] = {"wall-time", "cpu-time",
					       "output", "file-size"};
	static const char *const kept[] = {"memory", "tasks", "open-files",
					   "stack"};
	for (size_t i = 0; i < COUNT(liftable); i++) {
		ACCEPTED(stk_policy_set_option(p, liftable[i], "1", &err));
		ACCEPTED(stk_policy_set_option(p, liftable[i], "unlimited",
					       &err));
	}
	assert_int_equal(p->limits[STK_LIMIT_WALL_TIME], 0);
	assert_int_equal(p->limits[STK_LIMIT_CPU_TIME], 0);
	assert_int_equal(p->limits[STK_LIMIT_OUTPUT], 0);
	assert_true(p->limits[STK_LIMIT_FILE_SIZE] == RLIM_INFINITY);
	for (size_t i = 0; i < COUNT(kept); i++) {
		char step[32];
		snprintf(step, sizeof(step), "--%s", kept[i]);
		uint64_t before = p->limits[STK_LIMIT_MEMORY];
		REFUSED(stk_policy_set_option(p, kept[i], "unlimited", &err),
			EINVAL, step, "cannot be unlimited");
		assert_int_equal(p->limits[STK_LIMIT_MEMORY], before);
	}
	REFUSED(stk_policy_set_option(p, "file-size", "Unlimited", &err),
		EINVAL, "--file-size", "Unlimited");
	REFUSED(stk_policy_set_limit(p, STK_LIMIT_MEMORY, STK_UNLIMITED, &err),
		EINVAL, "--memory", "cannot be unlimited");
}

/* The caller's mounts, children declared before their parents. */
static void test_plan_user_mounts(void **state)
{
	struct stk_policy *p = *state;
	struct plan plan;
	ACCEPTED(BIND(tree, "/opt/deep/x", RO));
	ACCEPTED(BIND(dir, "/opt", RW));
	ACCEPTED(BIND(dir, "/usr", RW));
	ACCEPTED(TMPFS("/a/b/c", 0));
	ACCEPTED(TMPFS("/a", MIB));
	ACCEPTED(COPY(tree, "/tmp/t"));
	build_plan(&plan, p);
	const struct mount_op *usr = find_op(&plan, "usr", OP_BIND);
	assert_string_equal(usr->source, dir);
	assert_false(usr->read_only || usr->optional);
	assert_true(find_op(&plan, "opt/deep/x", OP_BIND)->read_only);
	assert_string_equal(find_op(&plan, "a", OP_TMPFS)->size, "1048576");
	/* The copied tree, modes kept. */
	assert_int_equal(find_op(&plan, "tmp/t", OP_DIR)->mode, 0751);
	assert_int_equal(find_op(&plan, "tmp/t/sub", OP_DIR)->mode, 0750);
	int fds[] = {check_copy(&plan, "tmp/t/f", 0640, "hello"),
		     check_copy(&plan, "tmp/t/sub/g", 0600, "world")};
	assert_string_equal(find_op(&plan, "tmp/t/link", OP_SYMLINK)->source,
			    "f");
	/* Release frees the ops and closes the files held for the child. */
	plan_release(&plan);
	assert_true(plan.ops == NULL && plan.n_ops == 0);
	for (size_t i = 0; i < COUNT(fds); i++)
		if (fcntl(fds[i], F_GETFD) >= 0 || errno != EBADF)
			fail_msg("fd %d still open after plan_release", fds[i]);

	/* A copy writes: it may land only in a tmpfs of the sandbox. */
	ACCEPTED(COPY(tree, "/opt/x"));
	REFUSED(plan_mounts(&plan, p, &err), EINVAL, "--copy", "/opt/x");
	plan_release(&plan); /* what was planned before the refusal */
}

/* The innermost mount above a copy decides: a bind inside a tmpfs would
 * take the copy to the host, and a copy onto a mount point is hidden. */
static void test_plan_copy_target(void **state)
{
	struct stk_policy *p = *state;
	struct plan plan = {0};
	ACCEPTED(BIND(dir, "/tmp/w", RW));
	ACCEPTED(COPY(tree, "/tmp/w/c"));
	REFUSED(plan_mounts(&plan, p, &err), EINVAL, "--copy", "/tmp/w/c");
	plan_release(&plan);

	struct stk_policy *q = stk_policy_new();
	assert_non_null(q);
	assert_int_equal(stk_policy_add_copy(q, tree, "/tmp", &err), 0);
	REFUSED(plan_mounts(&plan, q, &err), EINVAL, "--copy", ":/tmp:");
	plan_release(&plan);
	stk_policy_free(q);

	/* A tmpfs inside a bind inside a tmpfs takes copies again. */
	q = stk_policy_new();
	assert_non_null(q);
	assert_int_equal(stk_policy_add_tmpfs(q, "/tmp/w/scratch", 0, &err), 0);
	assert_int_equal(stk_policy_add_bind(q, dir, "/tmp/w", RW, &err), 0);
	assert_int_equal(stk_policy_add_copy(q, tree, "/tmp/w/scratch/t", &err),
			 0);
	build_plan(&plan, q);
	find_op(&plan, "tmp/w/scratch/t/f", OP_COPY_FILE);
	plan_release(&plan);
	stk_policy_free(q);
}

/* What a --copy or a bind names is fixed when the option is given: a
 * directory swapped in later, or a link put in its place, is not what
 * runs see (found by review: a --copy through a swapped directory copied
 * a file the swapper could not read). */
static void test_sources_fixed_at_option_time(void **state)
{
	struct stk_policy *p = *state;
	struct plan plan = {0};
	char moved[PATH_MAX + 8], swapped[PATH_MAX + 8];
	snprintf(moved, sizeof(moved), "%s.moved", tree);
	snprintf(swapped, sizeof(swapped), "%s/swapped", dir);

	/* A copy: rename the tree away and put another one at its name. */
	ACCEPTED(COPY(tree, "/tmp/t"));
	assert_int_equal(rename(tree, moved), 0);
	assert_int_equal(mkdir(tree, 0755), 0);
	int at = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(at >= 0);
	assert_int_equal(make(at, "intruder", "x", 0644), 0);
	close(at);
	build_plan(&plan, p);
	check_copy(&plan, "tmp/t/f", 0640, "hello"); /* the original */
	for (size_t i = 0; i < plan.n_ops; i++)
		assert_null(strstr(plan.ops[i].dest, "intruder"));
	plan_release(&plan);

	/* A bind: the same swap is refused when the run is planned. */
	struct stk_policy *q = stk_policy_new();
	assert_non_null(q);
	assert_int_equal(stk_policy_add_bind(q, tree, "/data", RO, &err), 0);
	assert_int_equal(rename(tree, swapped), 0);
	assert_int_equal(rename(moved, tree), 0);
	REFUSED(plan_mounts(&plan, q, &err), ESTALE, "--ro", tree);
	plan_release(&plan);
	stk_policy_free(q);
	/* Put things back for the other tests. */
	char *argv[] = {"rm", "-rf", swapped, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
}

int main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, new_policy, free_policy)
	const struct CMUnitTest tests[] = {
		TEST(test_default_policy),
		TEST(test_plan_terminals),
		TEST(test_unlimited),
		TEST(test_hostname),
		TEST(test_env),
		TEST(test_chdir_command_stdio),
		TEST(test_bind_host),
		TEST(test_bind_destination),
		TEST(test_tmpfs),
		TEST(test_copy),
		TEST(test_plan_default),
		TEST(test_plan_user_mounts),
		TEST(test_plan_copy_target),
		TEST(test_sources_fixed_at_option_time),
	};
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
