/* run_host.c - the run handle of libstockade, one case per invocation:
 *
 *   run_host CASE
 *
 * Each case starts runs through stk_run_start, drives them from an epoll
 * set the way a host's event loop would (never stk_run_wait unless the
 * case is about it) and prints what it saw as "key=value" lines for
 * tests/e2e/test_handle.py.  A run that does not end within 20 s of
 * epoll_wait is reported as "hang=1", never waited for. */
#define _GNU_SOURCE
#include "stockade.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static struct stk_policy *policy;

static void die(const char *what, const struct stk_error *err)
{
	fprintf(stderr, "run_host: %s: %s\n", what,
		err ? err->message : strerror(errno));
	exit(2);
}

static struct stk_job *job_of(const char *const argv[])
{
	struct stk_error *err = NULL;
	struct stk_job *job = stk_job_new();
	if (!job || stk_job_set_command(job, argv, &err) < 0)
		die("job", err);
	return job;
}

struct sink {
	size_t bytes[3];
	unsigned long sum; /* of stdout's bytes */
	char text[256];	   /* the start of stdout and stderr */
	size_t len;
	size_t refuse_after; /* 0: never */
	int calls;
};

static int take(void *ctx, int stream, const void *data, size_t len)
{
	struct sink *s = ctx;
	const unsigned char *b = data;
	s->calls++;
	s->bytes[stream] += len;
	for (size_t i = 0; stream == 1 && i < len; i++)
		s->sum = s->sum * 31 + b[i];
	size_t room = sizeof(s->text) - 1 - s->len;
	size_t n = len < room ? len : room;
	memcpy(s->text + s->len, data, n);
	s->len += n;
	s->text[s->len] = '\0';
	return s->refuse_after && s->bytes[stream] >= s->refuse_after;
}

/* Drives run from epoll until it is over; extra (or -1) is a pipe the
 * host reads meanwhile, counted in *extra_bytes.  Prints the record's
 * facts; returns the wakeups it took. */
static int drive(struct stk_run *run, int extra, size_t *extra_bytes)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int fd = stk_run_fd(run);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (ep < 0 || fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll", NULL);
	ev.data.fd = extra;
	if (extra >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, extra, &ev) < 0)
		die("epoll extra", NULL);
	int wakeups = 0;
	bool over = false;
	while (!over) {
		struct epoll_event got[2];
		int n = epoll_wait(ep, got, 2, 20000);
		if (n == 0) {
			printf("hang=1\n");
			exit(1);
		}
		wakeups++;
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == fd) {
				over = stk_run_step(run) == 1;
				continue;
			}
			char buf[65536];
			ssize_t r = read(extra, buf, sizeof(buf));
			if (r > 0)
				*extra_bytes += (size_t)r;
			else
				epoll_ctl(ep, EPOLL_CTL_DEL, extra, NULL);
		}
	}
	close(ep);
	return wakeups;
}

static void report(struct stk_run *run, int wakeups)
{
	struct stk_record *rec = NULL;
	struct stk_error *err = NULL;
	int r = stk_run_wait(run, &rec, &err);
	printf("result=%d\nverdict=%s\nexit=%d\nsignal=%d\nwakeups=%d\n", r,
	       rec ? stk_record_verdict(rec) : "none",
	       rec ? stk_record_exit_code(rec) : -1,
	       rec ? stk_record_signal(rec) : -1, wakeups);
	if (err)
		printf("step=%s\nerror=%s\n", err->step, err->message);
	char *summary = rec ? stk_record_summary(rec) : NULL;
	printf("summary=%s\n", summary ? summary : "");
	free(summary);
	/* The figures as the struct has them, and the JSON on one line. */
	const struct stk_result *res = rec ? stk_record_result(rec) : NULL;
	if (res)
		printf("res=%u %s %d %d %d %d %llu %llu %llu %d %llu %d %llu "
		       "%llu %s\n",
		       res->version, stk_verdict_name(res->verdict),
		       res->exit_code, res->signal, res->exit_status,
		       res->limit_fired, (unsigned long long)res->stdout_bytes,
		       (unsigned long long)res->stderr_bytes,
		       (unsigned long long)res->dropped_bytes,
		       res->memory_counted,
		       (unsigned long long)res->memory_peak_bytes,
		       res->tasks_counted, (unsigned long long)res->tasks_peak,
		       (unsigned long long)res->denied_calls,
		       res->error ? res->error->step : "-");
	char *json = rec ? stk_record_to_json(rec) : NULL;
	for (char *c = json; c && *c; c++)
		if (*c == '\n')
			*c = ' ';
	printf("json=%s\n", json ? json : "");
	free(json);
	struct stk_record *again = NULL;
	stk_run_wait(run, &again, NULL);
	printf("second_record=%s\n", again ? "yes" : "no");
	stk_record_free(again);
	stk_record_free(rec);
	stk_error_free(err);
	stk_run_free(run);
}

static struct stk_run *start(struct stk_job *job)
{
	struct stk_run *run = NULL;
	struct stk_error *err = NULL;
	int r = stk_run_start(policy, job, &run, &err);
	printf("start=%d\n", r);
	if (err)
		printf("start_step=%s\nstart_error=%s\n", err->step,
		       err->message);
	stk_error_free(err);
	if (!run)
		die("start", NULL);
	return run;
}

static void print_sink(const struct sink *s);

/* The usual case: the job started (and freed: the run has what it needs),
 * driven to its end, reported; its output into s, when not NULL. */
static void run_job(struct stk_job *job, struct sink *s)
{
	if (s)
		stk_job_set_output(job, take, s);
	struct stk_run *run = start(job);
	stk_job_free(job);
	int wakeups = drive(run, -1, NULL);
	if (s)
		print_sink(s);
	report(run, wakeups);
}

static void print_sink(const struct sink *s)
{
	printf("stdout_bytes=%zu\nstderr_bytes=%zu\nsum=%lu\ncalls=%d\n",
	       s->bytes[1], s->bytes[2], s->sum, s->calls);
	/* Printable, one line: '|' for a newline, '.' for anything else. */
	printf("text=");
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->text[i];
		putchar(c == '\n' ? '|' : c >= 0x20 && c < 0x7f ? c : '.');
	}
	putchar('\n');
}

/* stdin bytes in, the same out through the callback. */
static void case_echo(void)
{
	static const char *const cat[] = {"/bin/cat", NULL};
	struct stk_job *job = job_of(cat);
	size_t len = 3 << 20;
	unsigned char *data = malloc(len);
	unsigned long sum = 0;
	for (size_t i = 0; i < len; i++) {
		data[i] = (unsigned char)(i * 7 + i / 4096);
		sum = sum * 31 + data[i];
	}
	struct sink s = {0};
	struct stk_error *err = NULL;
	if (stk_job_set_stdin(job, data, len, &err) < 0)
		die("stdin", err);
	free(data);
	stk_job_set_output(job, take, &s);
	struct stk_run *run = start(job);
	stk_job_free(job); /* the run has what it needs */
	int wakeups = drive(run, -1, NULL);
	print_sink(&s);
	printf("want_bytes=%zu\nwant_sum=%lu\n", len, sum);
	report(run, wakeups);
}

/* Input the program never reads: the relay's writes into the sandbox's
 * pipe end in EPIPE, never in a SIGPIPE for this process. */
static void case_unread_stdin(void)
{
	static const char *const t[] = {"/bin/true", NULL};
	struct stk_job *job = job_of(t);
	struct stk_error *err = NULL;
	size_t len = 4 << 20;
	char *data = calloc(1, len);
	if (!data || stk_job_set_stdin(job, data, len, &err) < 0)
		die("stdin", err);
	free(data);
	run_job(job, NULL);
}

/* Calls the filter refuses: counted in the result as in the record. */
static void case_denied(void)
{
	static const char *const sh[] = {
		"/bin/sh", "-c", "mount -t tmpfs none /tmp 2>/dev/null; exit 3",
		NULL};
	struct stk_job *job = job_of(sh);
	run_job(job, NULL);
}

/* The job's input in place of the host's: the host's stdin, a pipe with
 * bytes in it, is neither read by the run nor by its supervisor. */
static void case_host_stdin(void)
{
	static const char *const cat[] = {"/bin/cat", NULL};
	struct stk_job *job = job_of(cat);
	struct stk_error *err = NULL;
	struct sink s = {0};
	if (stk_job_set_stdin(job, "job\n", 4, &err) < 0)
		die("stdin", err);
	stk_job_set_output(job, take, &s);
	struct stk_run *run = start(job);
	stk_job_free(job);
	int wakeups = drive(run, -1, NULL);
	print_sink(&s);
	char left[64] = "";
	ssize_t n = read(0, left, sizeof(left) - 1);
	left[n > 0 ? n : 0] = '\0';
	left[strcspn(left, "\n")] = '\0';
	printf("host_stdin=%s\n", left);
	report(run, wakeups);
}

/* Files the job places: text, binary with NULs, in a directory made on
 * the way, with their modes and the sandbox user as owner.  A file where
 * no tmpfs is fails the start. */
static void case_files(bool outside)
{
	static const char *const sh[] = {
		"/bin/sh", "-c",
		"cat /tmp/in/a.txt; stat -c '%a %u %s' /tmp/in/a.txt "
		"/tmp/in/sub/b.bin; od -An -tx1 /tmp/in/sub/b.bin",
		NULL};
	struct stk_job *job = job_of(sh);
	struct stk_error *err = NULL;
	struct sink s = {0};
	static const char bin[] = {0, 1, 2, 0, (char)0xff};
	if (stk_job_add_file(job, "/tmp/in/a.txt", "hello\n", 6, 0, &err) < 0 ||
	    stk_job_add_file(job, "/tmp/in//sub/b.bin", bin, sizeof(bin), 0750,
			     &err) < 0 ||
	    (outside &&
	     stk_job_add_file(job, "/usr/evil", "x", 1, 0, &err) < 0))
		die("file", err);
	printf("bad_path=%d\n",
	       stk_job_add_file(job, "/tmp/../etc/x", "x", 1, 0, NULL));
	printf("bad_mode=%d\n",
	       stk_job_add_file(job, "/tmp/y", "x", 1, 04755, NULL));
	run_job(job, &s);
}

/* A policy that forwards signals: a SIGTERM sent to this process while
 * the run is in flight is passed on to the program, not taken by this
 * process, and once the run is freed this thread's mask is as before. */
static void case_forward(void)
{
	static const char *const sleeper[] = {"/bin/sleep", "30", NULL};
	struct stk_error *err = NULL;
	struct stk_policy *p = stk_policy_new();
	if (!p || stk_policy_set_command(p, sleeper, &err) < 0)
		die("policy", err);
	stk_policy_set_forward_signals(p, true);
	stk_policy_seal(p);
	struct stk_run *run = NULL;
	printf("start=%d\n", stk_run_start(p, NULL, &run, NULL));
	kill(getpid(), SIGTERM);
	int wakeups = drive(run, -1, NULL);
	report(run, wakeups);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("blocked_after=%d%d\n", sigismember(&now, SIGTERM),
	       sigismember(&now, SIGPIPE));
	stk_policy_free(p);
}

/* The job's environment over the policy's; its command. */
static void case_env(void)
{
	static const char *const sh[] = {
		"/bin/sh", "-c", "echo \"$HOME $FOO ${LANG-unset}\"", NULL};
	struct stk_job *job = job_of(sh);
	struct stk_error *err = NULL;
	struct sink s = {0};
	if (stk_job_set_env(job, "HOME", "/job", &err) < 0 ||
	    stk_job_set_env(job, "FOO", "bar", &err) < 0 ||
	    stk_job_set_env(job, "LANG", NULL, &err) < 0)
		die("env", err);
	run_job(job, &s);
}

static void case_sleep_with(void (*act)(struct stk_run *), uint64_t wall_ns)
{
	static const char *const sleeper[] = {"/bin/sleep", "30", NULL};
	struct stk_job *job = job_of(sleeper);
	struct stk_error *err = NULL;
	if (wall_ns &&
	    stk_job_set_limit(job, STK_LIMIT_WALL_TIME, wall_ns, &err) < 0)
		die("limit", err);
	struct stk_run *run = start(job);
	stk_job_free(job);
	if (act)
		act(run);
	report(run, drive(run, -1, NULL));
}

static void cancel(struct stk_run *run)
{
	printf("cancel=%d\n", stk_run_cancel(run));
}

static void terminate(struct stk_run *run)
{
	printf("signal_sent=%d\nbad_signal=%d\n", stk_run_signal(run, SIGTERM),
	       stk_run_signal(run, 0));
}

/* A limit above the policy's: the start fails, the handle is over. */
static void case_looser(void)
{
	static const char *const t[] = {"/bin/true", NULL};
	struct stk_job *job = job_of(t);
	struct stk_error *err = NULL;
	if (stk_job_set_limit(job, STK_LIMIT_MEMORY, 2ULL << 30, &err) < 0)
		die("limit", err);
	struct stk_run *run = start(job);
	stk_job_free(job);
	printf("step_at_once=%d\n", stk_run_step(run));
	report(run, drive(run, -1, NULL));
}

/* Output to a caller's pipe the host reads only through its own epoll;
 * more than every buffer on the way holds, so the run goes on only if
 * the handle's fd wakes the host when that pipe takes bytes again. */
static void case_pipe(bool same)
{
	static const char *const head[] = {
		"/bin/sh", "-c", "head -c 1000000 /dev/zero; echo err >&2",
		NULL};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", NULL);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	struct stk_job *job = job_of(head);
	struct stk_error *err = NULL;
	if (stk_job_set_stdio(job, -1, p[1], same ? p[1] : -1, &err) < 0)
		die("stdio", err);
	struct stk_run *run = start(job);
	stk_job_free(job);
	size_t got = 0;
	int wakeups = drive(run, p[0], &got);
	close(p[1]);
	for (ssize_t r; (r = read(p[0], (char[4096]){0}, 4096)) > 0;)
		got += (size_t)r;
	printf("pipe_bytes=%zu\n", got);
	report(run, wakeups);
}

/* Output to a pipe whose reader is gone: EPIPE for the relay, and no
 * SIGPIPE for this process (SIG_DFL would end it). */
static void case_closed_pipe(void)
{
	static const char *const seq[] = {"/usr/bin/seq", "100000", NULL};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", NULL);
	close(p[0]);
	struct stk_job *job = job_of(seq);
	struct stk_error *err = NULL;
	if (stk_job_set_stdio(job, -1, p[1], -1, &err) < 0)
		die("stdio", err);
	run_job(job, NULL);
	close(p[1]);
}

/* Output to a regular file, which epoll cannot watch. */
static void case_file(void)
{
	static const char *const seq[] = {"/usr/bin/seq", "100000", NULL};
	FILE *f = tmpfile();
	if (!f)
		die("tmpfile", NULL);
	struct stk_job *job = job_of(seq);
	struct stk_error *err = NULL;
	if (stk_job_set_stdio(job, -1, fileno(f), -1, &err) < 0)
		die("stdio", err);
	struct stk_run *run = start(job);
	stk_job_free(job);
	int wakeups = drive(run, -1, NULL);
	printf("file_bytes=%ld\n", lseek(fileno(f), 0, SEEK_END));
	report(run, wakeups);
}

/* A stdout nobody reads and a wall limit: the run is killed, its output
 * dropped after the drain's second, and the host wakes for that. */
static void case_unread(void)
{
	static const char *const yes[] = {"/usr/bin/yes", NULL};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", NULL);
	struct stk_job *job = job_of(yes);
	struct stk_error *err = NULL;
	if (stk_job_set_stdio(job, -1, p[1], -1, &err) < 0 ||
	    stk_job_set_limit(job, STK_LIMIT_WALL_TIME, 300000000ULL, &err) < 0)
		die("job", err);
	run_job(job, NULL);
}

/* A callback that takes no more after 100 KiB: the program sees its
 * reader gone. */
static void case_refuse(void)
{
	static const char *const yes[] = {"/usr/bin/yes", NULL};
	struct stk_job *job = job_of(yes);
	struct sink s = {.refuse_after = 100 << 10};
	stk_job_set_output(job, take, &s);
	struct stk_run *run = start(job);
	stk_job_free(job);
	int wakeups = drive(run, -1, NULL);
	printf("stdout_bytes=%zu\n", s.bytes[1]);
	report(run, wakeups);
}

/* Freed while it runs: killed and cleaned up. */
static void case_free(void)
{
	static const char *const sleeper[] = {"/bin/sleep", "30", NULL};
	struct stk_job *job = job_of(sleeper);
	struct stk_run *run = start(job);
	stk_job_free(job);
	stk_run_step(run);
	stk_run_free(run);
	printf("freed=1\n");
}

/* Blocking: stk_run_wait on a handle never stepped. */
static void case_wait(void)
{
	static const char *const echo[] = {"/bin/echo", "waited", NULL};
	struct stk_job *job = job_of(echo);
	struct sink s = {0};
	stk_job_set_output(job, take, &s);
	struct stk_run *run = start(job);
	stk_job_free(job);
	struct stk_record *rec = NULL;
	stk_run_wait(run, &rec, NULL);
	printf("verdict=%s\n", stk_record_verdict(rec));
	print_sink(&s);
	stk_record_free(rec);
	stk_run_free(run);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: run_host CASE\n");
		return 2;
	}
	policy = stk_policy_new();
	if (!policy)
		die("policy", NULL);
	/* Runs in the handle's fd set, not in this process's children. */
	signal(SIGPIPE, SIG_DFL);
	const char *c = argv[1];
	if (strcmp(c, "echo") == 0)
		case_echo();
	else if (strcmp(c, "unread-stdin") == 0)
		case_unread_stdin();
	else if (strcmp(c, "denied") == 0)
		case_denied();
	else if (strcmp(c, "host-stdin") == 0)
		case_host_stdin();
	else if (strcmp(c, "files") == 0)
		case_files(false);
	else if (strcmp(c, "files-outside") == 0)
		case_files(true);
	else if (strcmp(c, "forward") == 0)
		case_forward();
	else if (strcmp(c, "env") == 0)
		case_env();
	else if (strcmp(c, "cancel") == 0)
		case_sleep_with(cancel, 0);
	else if (strcmp(c, "signal") == 0)
		case_sleep_with(terminate, 0);
	else if (strcmp(c, "wall") == 0)
		case_sleep_with(NULL, 200000000ULL);
	else if (strcmp(c, "looser") == 0)
		case_looser();
	else if (strcmp(c, "pipe") == 0)
		case_pipe(false);
	else if (strcmp(c, "same-pipe") == 0)
		case_pipe(true);
	else if (strcmp(c, "closed-pipe") == 0)
		case_closed_pipe();
	else if (strcmp(c, "file") == 0)
		case_file();
	else if (strcmp(c, "unread") == 0)
		case_unread();
	else if (strcmp(c, "refuse") == 0)
		case_refuse();
	else if (strcmp(c, "free") == 0)
		case_free();
	else if (strcmp(c, "wait") == 0)
		case_wait();
	else
		die(c, NULL);
	stk_policy_free(policy);
	return 0;
}
