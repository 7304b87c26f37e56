/* stockade - the command line: a table of subcommands, each a thin client
 * of libstockade's public API. */
#define _GNU_SOURCE
#include "stockade.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: stockade run [OPTIONS] [--] COMMAND [ARG...]\n"
	"       stockade policy [--allow G] [--deny X] [--on-deny A] [--bpf]\n"
	"       stockade check\n"
	"       stockade --help | --version\n"
	"\n"
	"Run COMMAND in a sandbox: its own user, mount, pid, network, ipc,\n"
	"uts and cgroup namespaces; a new root holding a read-only /usr, a\n"
	"tmpfs /tmp and what the options bind; no capabilities; a clean\n"
	"environment.  Exit status: the command's; 128+N if it died of\n"
	"signal N; 125 if stockade failed; 126/127 if COMMAND could not be\n"
	"run / found.\n"
	"\n"
	"options of run:\n"
	"  --ro HOST[:PATH]      bind HOST read-only at PATH (default HOST)\n"
	"  --rw HOST[:PATH]      bind HOST writable at PATH\n"
	"  --tmpfs PATH[:SIZE]   mount a tmpfs of SIZE (default 64M) at PATH\n"
	"  --copy HOST:PATH      copy a file or tree into a tmpfs before "
	"start\n"
	"  --chdir PATH          working directory inside (default /tmp)\n"
	"  --env NAME=VALUE      set a variable; --env NAME passes ours on\n"
	"                        (and removes NAME when we have none)\n"
	"  --hostname NAME       host name inside (default stockade)\n"
	"  --allow GROUP         allow a group of system calls (e.g. network)\n"
	"  --deny GROUP|CALL     deny a group of system calls, or one call\n"
	"  --on-deny errno|kill  a denied call fails (default) or ends the "
	"run\n"
	"  --wall-time DURATION  kill the run after DURATION (1.5s, 500ms, "
	"2m)\n"
	"  --output SIZE         pass on at most SIZE of stdout+stderr, then "
	"kill\n"
	"  --file-size SIZE      largest file it may write (default 1G)\n"
	"  --open-files N        fds per process (default 1024)\n"
	"  --tasks N             processes and threads (default 512)\n"
	"  --stack SIZE          stack per process (default 8M)\n"
	"  --memory SIZE         memory of the whole run, no swap (default "
	"1G)\n"
	"  --cpu-time DURATION   CPU time of the whole run\n"
	"  --cgroup-parent DIR   make the run's cgroup under DIR, a cgroup v2\n"
	"                        group delegated to us (without root)\n"
	"  --record FILE         write the JSON run record to FILE\n"
	"  -v                    print a one-line summary on stderr\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n";

static const char *prog = "stockade";

/* --record, opened before any other option is applied, so that a refused
 * option is recorded too, and a bad path costs no sandbox. */
static const char *record_path;
static FILE *record_file;

/* Returns the exit status to use: 125 if the record could not be written. */
static int write_record(const struct stk_record *rec, int status)
{
	char *json = stk_record_to_json(rec);
	FILE *f = record_file;
	record_file = NULL;
	if (!json || fprintf(f, "%s\n", json) < 0 || fclose(f) != 0) {
		fprintf(stderr, "%s: --record %s: %s\n", prog, record_path,
			json ? strerror(errno) : "out of memory");
		status = STK_EXIT_SETUP;
	}
	free(json);
	return status;
}

/* stockade itself failed before the run: say why, record it, exit 125. */
static _Noreturn void fail(const char *step, int errnum, bool usage,
			   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, msg);
	if (usage)
		fputs("Try 'stockade --help'.\n", stderr);
	if (record_file) {
		struct stk_error e = {errnum, (char *)step, msg};
		struct stk_record *rec = stk_record_new_failed(&e);
		if (rec)
			write_record(rec, STK_EXIT_SETUP);
		stk_record_free(rec);
	}
	exit(STK_EXIT_SETUP);
}

static void check(int r, struct stk_error *err)
{
	if (r < 0)
		fail(err ? err->step : "run", -r, false, "%s",
		     err && err->message ? err->message : strerror(-r));
}

/* "A:B" -> A and B; B may be absent when optional. */
static void split_pair(const char *opt, char *arg, bool need_second,
		       char **first, char **second)
{
	char *colon = strchr(arg, ':');
	if (colon && strchr(colon + 1, ':'))
		fail(opt, EINVAL, true,
		     "%s %s: more than one ':' (paths with ':' are not "
		     "supported)",
		     opt, arg);
	if (!colon && need_second)
		fail(opt, EINVAL, true, "%s %s: expected HOST:PATH", opt, arg);
	if (colon)
		*colon = '\0';
	*first = arg;
	*second = colon ? colon + 1 : NULL;
	if (!**first || (*second && !**second))
		fail(opt, EINVAL, true, "%s: empty path in \"%s%s%s\"", opt,
		     arg, colon ? ":" : "", *second ? *second : "");
}

enum {
	OPT_RO = 256,
	OPT_RW,
	OPT_TMPFS,
	OPT_COPY,
	OPT_CHDIR,
	OPT_ENV,
	OPT_HOSTNAME,
	OPT_RECORD,
	OPT_VERSION,
	OPT_ALLOW,
	OPT_DENY,
	OPT_ON_DENY,
	OPT_WALL_TIME,
	OPT_OUTPUT,
	OPT_FILE_SIZE,
	OPT_OPEN_FILES,
	OPT_TASKS,
	OPT_STACK,
	OPT_MEMORY,
	OPT_CPU_TIME,
	OPT_CGROUP_PARENT,
};

static const struct option run_options[] = {
	{"ro", required_argument, NULL, OPT_RO},
	{"rw", required_argument, NULL, OPT_RW},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"copy", required_argument, NULL, OPT_COPY},
	{"chdir", required_argument, NULL, OPT_CHDIR},
	{"env", required_argument, NULL, OPT_ENV},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"record", required_argument, NULL, OPT_RECORD},
	{"allow", required_argument, NULL, OPT_ALLOW},
	{"deny", required_argument, NULL, OPT_DENY},
	{"on-deny", required_argument, NULL, OPT_ON_DENY},
	{"wall-time", required_argument, NULL, OPT_WALL_TIME},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"file-size", required_argument, NULL, OPT_FILE_SIZE},
	{"open-files", required_argument, NULL, OPT_OPEN_FILES},
	{"tasks", required_argument, NULL, OPT_TASKS},
	{"stack", required_argument, NULL, OPT_STACK},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"cpu-time", required_argument, NULL, OPT_CPU_TIME},
	{"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* The limit options: which limit, and how its value is written. */
static const struct {
	int opt;
	enum stk_limit limit;
	enum { SIZE, DURATION, COUNT } unit;
	const char *name;
} limit_options[] = {
	{OPT_WALL_TIME, STK_LIMIT_WALL_TIME, DURATION, "--wall-time"},
	{OPT_OUTPUT, STK_LIMIT_OUTPUT, SIZE, "--output"},
	{OPT_FILE_SIZE, STK_LIMIT_FILE_SIZE, SIZE, "--file-size"},
	{OPT_OPEN_FILES, STK_LIMIT_OPEN_FILES, COUNT, "--open-files"},
	{OPT_TASKS, STK_LIMIT_TASKS, COUNT, "--tasks"},
	{OPT_STACK, STK_LIMIT_STACK, SIZE, "--stack"},
	{OPT_MEMORY, STK_LIMIT_MEMORY, SIZE, "--memory"},
	{OPT_CPU_TIME, STK_LIMIT_CPU_TIME, DURATION, "--cpu-time"},
};

static bool apply_limit(struct stk_policy *p, int opt, const char *arg)
{
	for (size_t i = 0; i < sizeof(limit_options) / sizeof(limit_options[0]);
	     i++) {
		if (limit_options[i].opt != opt)
			continue;
		struct stk_error *err = NULL;
		const char *name = limit_options[i].name;
		uint64_t v = 0;
		int r = 0;
		char *end = NULL;
		switch (limit_options[i].unit) {
		case SIZE:
			r = stk_parse_size(arg, &v, &err);
			break;
		case DURATION:
			r = stk_parse_duration(arg, &v, &err);
			break;
		case COUNT:
			errno = 0;
			v = strtoull(arg, &end, 10);
			if (!arg[0] || *end || errno || arg[0] == '-')
				fail(name, EINVAL, true,
				     "%s %s: expected a whole number", name,
				     arg);
			break;
		}
		if (r < 0)
			fail(name, -r, true, "%s: %s", name, err->message);
		r = stk_policy_set_limit(p, limit_options[i].limit, v, &err);
		check(r, err);
		return true;
	}
	return false;
}

static void apply_option(struct stk_policy *p, int opt, char *arg)
{
	if (apply_limit(p, opt, arg))
		return;
	struct stk_error *err = NULL;
	char *a, *b;
	uint64_t size = 0;
	int r = 0;
	switch (opt) {
	case OPT_RO:
	case OPT_RW:
		split_pair(opt == OPT_RO ? "--ro" : "--rw", arg, false, &a, &b);
		r = stk_policy_add_bind(
			p, a, b, opt == OPT_RO ? STK_BIND_RO : STK_BIND_RW,
			&err);
		break;
	case OPT_TMPFS:
		split_pair("--tmpfs", arg, false, &a, &b);
		if (b && stk_parse_size(b, &size, &err) < 0)
			fail("--tmpfs", EINVAL, true, "--tmpfs %s: %s", a,
			     err->message);
		if (b && size == 0)
			fail("--tmpfs", EINVAL, true,
			     "--tmpfs %s: size must be more than 0", a);
		r = stk_policy_add_tmpfs(p, a, size, &err);
		break;
	case OPT_COPY:
		split_pair("--copy", arg, true, &a, &b);
		r = stk_policy_add_copy(p, a, b, &err);
		break;
	case OPT_CHDIR:
		r = stk_policy_set_chdir(p, arg, &err);
		break;
	case OPT_ENV:
		b = strchr(arg, '=');
		if (b)
			*b++ = '\0';
		else
			b = getenv(arg); /* unset stays unset */
		r = stk_policy_set_env(p, arg, b, &err);
		break;
	case OPT_HOSTNAME:
		r = stk_policy_set_hostname(p, arg, &err);
		break;
	case OPT_CGROUP_PARENT:
		r = stk_policy_set_cgroup_parent(p, arg, &err);
		break;
	case OPT_ALLOW:
		r = stk_policy_allow(p, arg, &err);
		break;
	case OPT_DENY:
		r = stk_policy_deny(p, arg, &err);
		break;
	case OPT_ON_DENY:
		if (strcmp(arg, "errno") != 0 && strcmp(arg, "kill") != 0)
			fail("--on-deny", EINVAL, true,
			     "--on-deny %s: expected errno or kill", arg);
		r = stk_policy_set_on_deny(p,
					   strcmp(arg, "kill") == 0
						   ? STK_ON_DENY_KILL
						   : STK_ON_DENY_ERRNO,
					   &err);
		break;
	}
	check(r, err);
}

static int cmd_run(int argc, char **argv)
{
	struct stk_policy *p = stk_policy_new();
	bool verbose = false;
	int opt;

	if (!p)
		fail("run", ENOMEM, false, "out of memory");
	/* '+': options end at the command; its own options are its own. */
	opterr = 0; /* our message names the option */
	for (optind = 1;
	     (opt = getopt_long(argc, argv, "+vh", run_options, NULL)) != -1;)
		if (opt == OPT_RECORD)
			record_path = optarg;
	if (record_path && !(record_file = fopen(record_path, "we")))
		fail("--record", errno, false, "--record %s: %s", record_path,
		     strerror(errno));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+vh", run_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case OPT_VERSION:
			printf("stockade %s\n", STK_VERSION);
			exit(0);
		case OPT_RECORD:
			break;
		case '?':
			if (optopt && optopt < 256)
				fail("run", EINVAL, true,
				     "run: option -%c is unknown or lacks "
				     "its argument",
				     optopt);
			fail(argv[optind - 1], EINVAL, true,
			     "run: option %s is unknown or lacks its "
			     "argument",
			     argv[optind - 1]);
		default:
			apply_option(p, opt, optarg);
		}
	}
	if (optind >= argc)
		fail("command", EINVAL, true, "run: no command given");

	struct stk_error *err = NULL;
	int given = stk_policy_set_command(
		p, (const char *const *)argv + optind, &err);
	check(given, err);

	/* stockade's own interrupts are the sandbox's to handle. */
	stk_policy_set_forward_signals(p, true);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct stk_record *rec = NULL;
	int r = stk_run(p, &rec, &err);
	if (r < 0 && err)
		fprintf(stderr, "%s: %s\n", prog, err->message);
	if (!rec)
		fail("run", -r, false, "no run record: %s", strerror(-r));

	int status = stk_record_exit_status(rec);
	if (record_file)
		status = write_record(rec, status);
	if (verbose) {
		char *line = stk_record_summary(rec);
		if (line)
			fprintf(stderr, "%s\n", line);
		free(line);
	}
	stk_record_free(rec);
	stk_error_free(err);
	stk_policy_free(p);
	return status;
}

/* stockade policy [--allow G] [--deny X] [--on-deny A] [--bpf] */
static int cmd_policy(int argc, char **argv)
{
	struct stk_policy *p = stk_policy_new();
	struct stk_error *err = NULL;
	bool bpf = false;
	int opt;
	if (!p)
		fail("policy", ENOMEM, false, "out of memory");
	static const struct option options[] = {
		{"allow", required_argument, NULL, OPT_ALLOW},
		{"deny", required_argument, NULL, OPT_DENY},
		{"on-deny", required_argument, NULL, OPT_ON_DENY},
		{"bpf", no_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	opterr = 0;
	for (optind = 1;
	     (opt = getopt_long(argc, argv, "", options, NULL)) != -1;) {
		if (opt == 'b')
			bpf = true;
		else if (opt == '?')
			fail(argv[optind - 1], EINVAL, true,
			     "policy: option %s is unknown or lacks its "
			     "argument",
			     argv[optind - 1]);
		else
			apply_option(p, opt, optarg);
	}
	if (optind < argc)
		fail("policy", EINVAL, true, "policy: unexpected \"%s\"",
		     argv[optind]);
	void *out = NULL;
	size_t size = 0;
	if (bpf) {
		int r = stk_policy_bpf(p, &out, &size, &err);
		check(r, err);
	} else {
		int r = stk_policy_describe(p, (char **)&out, &err);
		check(r, err);
		size = strlen(out);
	}
	if (fwrite(out, 1, size, stdout) != size || fflush(stdout) != 0)
		fail("policy", errno, false, "writing: %s", strerror(errno));
	free(out);
	stk_policy_free(p);
	return 0;
}

/* stockade check: exit 0 when a run can start here, 1 when not. */
static int cmd_check(int argc, char **argv)
{
	struct stk_error *err = NULL;
	char *text = NULL;
	if (argc > 1)
		fail("check", EINVAL, true, "check: unexpected \"%s\"",
		     argv[1]);
	int missing = stk_host_check(&text, &err);
	check(missing < 0 ? missing : 0, err);
	fputs(text, stdout);
	free(text);
	return missing ? 1 : 0;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	fputs(usage_text, stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("stockade %s\n", STK_VERSION);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	/* clang-format off */
	{"run",       cmd_run},
	{"policy",    cmd_policy},
	{"check",     cmd_check},
	{"help",      cmd_help},
	{"--help",    cmd_help},
	{"-h",        cmd_help},
	{"version",   cmd_version},
	{"--version", cmd_version},
	/* clang-format on */
};

/* A stream the caller closed would otherwise be the next file we open -
 * the record, a pipe - and the sandbox's output would land in it. */
static void open_standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (null != fd)
			exit(STK_EXIT_SETUP);
	}
}

int main(int argc, char **argv)
{
	open_standard_fds();
	if (argc < 2)
		fail("command", EINVAL, true, "no command given");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fail("command", EINVAL, true, "unknown command \"%s\"", argv[1]);
}
