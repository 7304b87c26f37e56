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
	"  --record FILE         write the JSON run record to FILE\n"
	"  -v                    print a one-line summary on stderr\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n";

static const char *prog = "stockade";

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(STK_EXIT_SETUP);
}

static _Noreturn void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'stockade --help'.\n");
	va_end(ap);
	exit(STK_EXIT_SETUP);
}

static void check(int r, struct stk_error *err)
{
	if (r < 0)
		die("%s", err && err->message ? err->message : strerror(-r));
}

/* "A:B" -> A and B; B may be absent when optional. */
static void split_pair(const char *opt, char *arg, bool need_second,
		       char **first, char **second)
{
	char *colon = strchr(arg, ':');
	if (colon && strchr(colon + 1, ':'))
		die_usage("%s %s: more than one ':' (paths with ':' are not "
			  "supported)",
			  opt, arg);
	if (!colon && need_second)
		die_usage("%s %s: expected HOST:PATH", opt, arg);
	if (colon)
		*colon = '\0';
	*first = arg;
	*second = colon ? colon + 1 : NULL;
	if (!**first || (*second && !**second))
		die_usage("%s: empty path in \"%s%s%s\"", opt, arg,
			  colon ? ":" : "", *second ? *second : "");
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
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void apply_option(struct stk_policy *p, int opt, char *arg)
{
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
			die_usage("--tmpfs %s: %s", a, err->message);
		if (b && size == 0)
			die_usage("--tmpfs %s: size must be more than 0", a);
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
	}
	check(r, err);
}

static int cmd_run(int argc, char **argv)
{
	struct stk_policy *p = stk_policy_new();
	const char *record_path = NULL;
	bool verbose = false;
	int opt;

	if (!p)
		die("out of memory");
	optind = 1;
	opterr = 0; /* our message names the option */
	/* '+': options end at the command; its own options are its own. */
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
			record_path = optarg;
			break;
		case '?':
			if (optopt && optopt < 256)
				die_usage("run: option -%c is unknown or lacks "
					  "its argument",
					  optopt);
			die_usage("run: option %s is unknown or lacks its "
				  "argument",
				  argv[optind - 1]);
		default:
			apply_option(p, opt, optarg);
		}
	}
	if (optind >= argc)
		die_usage("run: no command given");

	struct stk_error *err = NULL;
	check(stk_policy_set_command(p, (const char *const *)argv + optind,
				     &err),
	      err);

	/* Opened before the run, so that a bad path costs no sandbox. */
	FILE *record_file = NULL;
	if (record_path && !(record_file = fopen(record_path, "we")))
		die("--record %s: %s", record_path, strerror(errno));

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
		die("no run record: %s", strerror(-r));

	int status = stk_record_exit_status(rec);
	if (record_file) {
		char *json = stk_record_to_json(rec);
		if (!json || fprintf(record_file, "%s\n", json) < 0 ||
		    fclose(record_file) != 0) {
			fprintf(stderr, "%s: --record %s: %s\n", prog,
				record_path, strerror(errno));
			status = STK_EXIT_SETUP;
		}
		free(json);
	}
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
	{"run", cmd_run}, {"help", cmd_help},	      {"--help", cmd_help},
	{"-h", cmd_help}, {"--version", cmd_version}, {"version", cmd_version},
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
		die_usage("no command given");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	die_usage("unknown command \"%s\"", argv[1]);
}
