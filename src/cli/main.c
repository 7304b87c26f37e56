/* stockade - the command line: a table of subcommands, each a thin client
 * of libstockade's public API. */
#define _GNU_SOURCE
#include "stockade.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: stockade run [OPTIONS] [--] COMMAND [ARG...]\n"
	"       stockade run --profile NAME [OPTIONS] [-- COMMAND [ARG...]]\n"
	"       stockade policy [--profile P] [--allow G] [--deny X]\n"
	"                       [--on-deny A] [--bpf]\n"
	"       stockade profiles\n"
	"       stockade check\n"
	"       stockade serve [--listen HOST:PORT] [--config FILE] ...\n"
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
	"  --profile NAME|FILE   start from a profile (stockade profiles "
	"lists\n"
	"                        them); its command runs when none is given,\n"
	"                        and the other options override its keys\n"
	"  --ro HOST[:PATH]      bind HOST read-only at PATH (default HOST)\n"
	"  --rw HOST[:PATH]      bind HOST writable at PATH\n"
	"  --ro-try, --rw-try    the same, and nothing if HOST does not exist\n"
	"  --tmpfs PATH[:SIZE]   mount a tmpfs of SIZE (default 64M) at PATH\n"
	"  --copy HOST:PATH      copy a file or tree into a tmpfs before "
	"start\n"
	"  --chdir PATH          working directory inside (default /tmp)\n"
	"  --env NAME=VALUE      set a variable; --env NAME passes ours on\n"
	"                        (and removes NAME when we have none)\n"
	"  --hostname NAME       host name inside (default stockade)\n"
	"  --allow GROUP         allow a group that is off (network, "
	"terminals)\n"
	"  --deny GROUP|CALL     deny a group of system calls, or one call\n"
	"  --on-deny errno|kill  a denied call fails (default) or ends the "
	"run\n"
	"  --wall-time DURATION  kill the run after DURATION (1.5s, 500ms, "
	"2m)\n"
	"  --output SIZE         pass on at most SIZE of stdout+stderr, then "
	"kill\n"
	"  --file-size SIZE      largest file it may write (default 1G)\n"
	"  --open-files N        fds per process (default 1024; without a\n"
	"                        memory cgroup at most --memory / 2 MiB)\n"
	"  --tasks N             processes and threads (default 512)\n"
	"  --stack SIZE          stack per process (default 8M)\n"
	"  --memory SIZE         memory of the whole run, no swap (default "
	"1G)\n"
	"  --cpu-time DURATION   CPU time of the whole run\n"
	"                        (unlimited: no wall-time, output, file-size\n"
	"                        or cpu-time limit, a profile's included)\n"
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

/* Returns the exit status to use: 125 if the record could not be written.
 * A record is whole or absent: the file we made for one that could not be
 * completed goes. */
static int write_record(const struct stk_record *rec, int status)
{
	char *json = stk_record_to_json(rec);
	FILE *f = record_file;
	record_file = NULL;
	struct stat st;
	bool made = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
	bool ok = json && fprintf(f, "%s\n", json) >= 0;
	int saved = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		fprintf(stderr, "%s: --record %s: %s\n", prog, record_path,
			json ? strerror(saved)
			     : "the record could not be completed (out of "
			       "memory)");
		if (!json && made)
			unlink(record_path);
		status = STK_EXIT_SETUP;
	}
	free(json);
	return status;
}

/* stockade itself failed before the run: say why, record it, exit 125. */
__attribute__((format(printf, 4, 5))) static _Noreturn void
fail(const char *step, int errnum, bool usage, const char *fmt, ...)
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

enum {
	OPT_SET = 256, /* a policy option: stk_policy_set_option(name) */
	OPT_ENV,
	OPT_PROFILE,
	OPT_RECORD,
	OPT_VERSION,
	OPT_BPF,
};

static const struct option run_options[] = {
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"ro", required_argument, NULL, OPT_SET},
	{"rw", required_argument, NULL, OPT_SET},
	{"ro-try", required_argument, NULL, OPT_SET},
	{"rw-try", required_argument, NULL, OPT_SET},
	{"tmpfs", required_argument, NULL, OPT_SET},
	{"copy", required_argument, NULL, OPT_SET},
	{"chdir", required_argument, NULL, OPT_SET},
	{"env", required_argument, NULL, OPT_ENV},
	{"hostname", required_argument, NULL, OPT_SET},
	{"record", required_argument, NULL, OPT_RECORD},
	{"allow", required_argument, NULL, OPT_SET},
	{"deny", required_argument, NULL, OPT_SET},
	{"on-deny", required_argument, NULL, OPT_SET},
	{"wall-time", required_argument, NULL, OPT_SET},
	{"output", required_argument, NULL, OPT_SET},
	{"file-size", required_argument, NULL, OPT_SET},
	{"open-files", required_argument, NULL, OPT_SET},
	{"tasks", required_argument, NULL, OPT_SET},
	{"stack", required_argument, NULL, OPT_SET},
	{"memory", required_argument, NULL, OPT_SET},
	{"cpu-time", required_argument, NULL, OPT_SET},
	{"cgroup-parent", required_argument, NULL, OPT_SET},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* The options of `policy`: those that change the syscall policy. */
static const struct option policy_options[] = {
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"allow", required_argument, NULL, OPT_SET},
	{"deny", required_argument, NULL, OPT_SET},
	{"on-deny", required_argument, NULL, OPT_SET},
	{"bpf", no_argument, NULL, OPT_BPF},
	{NULL, 0, NULL, 0},
};

static void apply_option(struct stk_policy *p, const char *name,
			 const char *arg)
{
	struct stk_error *err = NULL;
	int r = stk_policy_set_option(p, name, arg, &err);
	check(r, err);
}

/* --env NAME=VALUE sets; --env NAME passes our NAME on, or removes it
 * from the sandbox's environment when we have none (the env option's
 * NAME alone). */
static void apply_env(struct stk_policy *p, const char *arg)
{
	const char *ours = strchr(arg, '=') ? NULL : getenv(arg);
	char *pair = NULL;
	if (ours && asprintf(&pair, "%s=%s", arg, ours) < 0)
		fail("--env", ENOMEM, false, "out of memory");
	apply_option(p, "env", pair ? pair : arg);
	free(pair);
}

/* The profiles, before any other option, which override their keys. */
static void load_profiles(struct stk_policy *p, int argc, char **argv,
			  const struct option *options)
{
	int opt;
	opterr = 0; /* our message names the option */
	for (optind = 1;
	     (opt = getopt_long(argc, argv, "+vh", options, NULL)) != -1;) {
		if (opt == OPT_PROFILE) {
			struct stk_error *err = NULL;
			int r = stk_policy_load_profile(p, optarg, &err);
			check(r, err);
		}
	}
}

static _Noreturn void unknown_option(char **argv, const char *cmd)
{
	if (optopt && optopt < 256)
		fail(cmd, EINVAL, true,
		     "%s: option -%c is unknown or lacks its argument", cmd,
		     optopt);
	fail(argv[optind - 1], EINVAL, true,
	     "%s: option %s is unknown or lacks its argument", cmd,
	     argv[optind - 1]);
}

/* The run, as any host of the library drives one: started, stepped when
 * its fd is readable, its record taken. */
static int drive(const struct stk_policy *p, const struct stk_job *job,
		 struct stk_record **rec, struct stk_error **err)
{
	struct stk_run *run = NULL;
	stk_run_start(p, job, &run, NULL);
	if (!run)
		return -ENOMEM;
	struct pollfd ready = {.fd = stk_run_fd(run), .events = POLLIN};
	/* Without the fd, stk_run_wait waits in its own poll. */
	while (ready.fd >= 0 && stk_run_step(run) != 1)
		if (poll(&ready, 1, -1) < 0 && errno != EINTR)
			break;
	int r = stk_run_wait(run, rec, err);
	stk_run_free(run);
	return r;
}

static int cmd_run(int argc, char **argv)
{
	struct stk_policy *p = stk_policy_new();
	bool verbose = false, profile = false;
	int opt, index;

	if (!p)
		fail("run", ENOMEM, false, "out of memory");
	/* '+': options end at the command; its own options are its own. */
	opterr = 0;
	for (optind = 1;
	     (opt = getopt_long(argc, argv, "+vh", run_options, NULL)) != -1;) {
		record_path = opt == OPT_RECORD ? optarg : record_path;
		profile |= opt == OPT_PROFILE;
	}
	if (record_path && !(record_file = fopen(record_path, "we")))
		fail("--record", errno, false, "--record %s: %s", record_path,
		     strerror(errno));
	load_profiles(p, argc, argv, run_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+vh", run_options, &index)) !=
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
		case OPT_PROFILE:
			break;
		case OPT_ENV:
			apply_env(p, optarg);
			break;
		case OPT_SET:
			apply_option(p, run_options[index].name, optarg);
			break;
		default:
			unknown_option(argv, "run");
		}
	}
	/* A profile brings a command, which one given here replaces. */
	if (optind >= argc && !profile)
		fail("command", EINVAL, true, "run: no command given");

	/* The options make the policy; the command is this run's job (a
	 * profile's command otherwise). */
	struct stk_error *err = NULL;
	struct stk_job *job = stk_job_new();
	if (!job)
		fail("run", ENOMEM, false, "out of memory");
	if (optind < argc) {
		int given = stk_job_set_command(
			job, (const char *const *)argv + optind, &err);
		check(given, err);
	}

	/* stockade's own interrupts are the sandbox's to handle. */
	stk_policy_set_forward_signals(p, true);
	stk_policy_seal(p);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct stk_record *rec = NULL;
	int r = drive(p, job, &rec, &err);
	stk_job_free(job);
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

/* stockade policy [--profile P] [--allow G] [--deny X] [--on-deny A]
 * [--bpf] */
static int cmd_policy(int argc, char **argv)
{
	struct stk_policy *p = stk_policy_new();
	struct stk_error *err = NULL;
	bool bpf = false;
	int opt, index;
	if (!p)
		fail("policy", ENOMEM, false, "out of memory");
	load_profiles(p, argc, argv, policy_options);
	for (optind = 1; (opt = getopt_long(argc, argv, "+", policy_options,
					    &index)) != -1;) {
		if (opt == OPT_BPF)
			bpf = true;
		else if (opt == OPT_SET)
			apply_option(p, policy_options[index].name, optarg);
		else if (opt != OPT_PROFILE)
			unknown_option(argv, "policy");
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

/* A command without arguments that prints the text fn makes; returns
 * fn's result (>= 0). */
static int print_text(const char *name, int argc, char **argv,
		      int (*fn)(char **text, struct stk_error **err))
{
	struct stk_error *err = NULL;
	char *text = NULL;
	if (argc > 1)
		fail(name, EINVAL, true, "%s: unexpected \"%s\"", name,
		     argv[1]);
	int r = fn(&text, &err);
	check(r < 0 ? r : 0, err);
	fputs(text, stdout);
	free(text);
	return r;
}

/* stockade profiles: the profiles --profile can name. */
static int cmd_profiles(int argc, char **argv)
{
	return print_text("profiles", argc, argv, stk_profiles_list);
}

/* stockade check: exit 0 when a run can start here, 1 when not. */
static int cmd_check(int argc, char **argv)
{
	return print_text("check", argc, argv, stk_host_check) ? 1 : 0;
}

/* The service is a program of its own (src/serve/), beside this one or
 * installed under libexec: it links libmicrohttpd, which the static CLI
 * does not carry. */
static int cmd_serve(int argc, char **argv)
{
	(void)argc;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *tries[2] = {NULL, STK_LIBEXEC "/stockade-serve"};
	char beside[PATH_MAX + 32];
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(beside, sizeof(beside), "%s/stockade-serve",
				 self);
			tries[0] = beside;
		}
	}
	for (int i = 0; i < 2; i++)
		if (tries[i] && access(tries[i], X_OK) == 0) {
			argv[0] = (char *)"stockade serve";
			execv(tries[i], argv);
			fail("serve", errno, false, "%s: %s", tries[i],
			     strerror(errno));
		}
	fail("serve", ENOENT, false,
	     "stockade-serve is neither beside stockade nor in %s",
	     STK_LIBEXEC);
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
	{"profiles",  cmd_profiles},
	{"check",     cmd_check},
	{"serve",     cmd_serve},
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
