/* hostile_front - the runner against a front that was taken over.
 *
 * The front parses the network's bytes, so the runner must assume it can
 * send anything: this program is such a front.  It starts the real
 * runner (runner_main) on a socketpair and sends it, case by case, what
 * a compromised front could: looser limits, host paths, a profile not
 * served, network not allowed, malformed and unsealed jobs, more runs
 * than workers, unknown requests.  Each must come back as a setup-error
 * record naming what was refused (or end the runner), never as a run.
 *
 *   build/tests/hostile-front      one line per case; exit 1 on a failure
 */
#define _GNU_SOURCE
#include "serve.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int sock;
static int failures;
static uint64_t next_id = 1;
static uint8_t buf[WIRE_MAX + 1];

/* Sends a job (as bytes in a sealed memfd, or fd as given) and returns
 * the record that comes back for it, skipping its output. */
static json_t *ask_as(uint32_t type, const struct wire_buf *job,
		      int fd_override)
{
	uint64_t id = next_id++;
	int fd = fd_override;
	if (fd == -2)
		fd = wire_memfd(job->data, job->len);
	struct wire_msg m = {type, 0, id};
	if (wire_send(sock, &m, NULL, 0, fd) < 0)
		return NULL;
	if (fd >= 0)
		close(fd);
	for (;;) {
		struct wire_msg r;
		int rfd;
		ssize_t n = wire_recv(sock, &r, buf, &rfd);
		if (rfd >= 0)
			close(rfd);
		if (n == -EAGAIN) {
			usleep(1000);
			continue;
		}
		if (n < 0 || r.type == 0)
			return NULL;
		if (r.type == WIRE_DONE && r.id == id) {
			buf[n] = 0;
			return json_loads((char *)buf, 0, NULL);
		}
	}
}

static json_t *ask(const struct wire_buf *job, int fd_override)
{
	return ask_as(WIRE_RUN, job, fd_override);
}

static void expect(const char *name, json_t *rec, const char *verdict,
		   const char *step)
{
	const char *v = json_string_value(json_object_get(rec, "verdict"));
	json_t *err = json_object_get(rec, "error");
	const char *s = json_string_value(json_object_get(err, "step"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	bool ok = v && !strcmp(v, verdict) && (!step || (s && strstr(s, step)));
	printf("%s %s: verdict %s, step %s (%s)\n", ok ? "ok  " : "FAIL", name,
	       v ? v : "-", s ? s : "-", msg ? msg : "");
	failures += !ok;
	json_decref(rec);
}

static struct wire_buf job_of(const char *profile, const char *code)
{
	struct wire_buf b = {0};
	wire_put_str(&b, WIRE_TAG_PROFILE, profile);
	uint8_t off = 0;
	wire_put(&b, WIRE_TAG_NETWORK, &off, 1);
	wire_put_str(&b, WIRE_TAG_STDIN, code);
	return b;
}

int main(void)
{
	static struct serve_config c;
	config_defaults(&c);
	c.workers = 2;
	if (config_finish(&c) < 0)
		return 2;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 2;
	pid_t runner = fork();
	if (runner == 0) {
		close(sv[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(runner_main(&c, sv[0], 0));
	}
	close(sv[0]);
	sock = sv[1];

	struct wire_buf b = job_of("python", "print(1)");
	expect("a plain job runs", ask(&b, -2), "ok", NULL);
	wire_buf_release(&b);

	b = job_of("python", "print(1)");
	wire_put_limit(&b, STK_LIMIT_WALL_TIME, 3600ull * 1000000000);
	expect("a wall time above the profile's", ask(&b, -2), "setup-error",
	       "wall-time");
	wire_buf_release(&b);

	b = job_of("sh", "true");
	wire_put_limit(&b, STK_LIMIT_MEMORY, STK_UNLIMITED);
	expect("no memory limit", ask(&b, -2), "setup-error", "memory");
	wire_buf_release(&b);

	b = job_of("sh", "true");
	wire_put_limit(&b, STK_LIMIT_OUTPUT, 64u << 20);
	expect("output above the server's maximum", ask(&b, -2), "setup-error",
	       "output");
	wire_buf_release(&b);

	static const char *const paths[] = {"/etc/cron.d/x", "/tmp/../etc/x",
					    "/usr/bin/x", "tmp/x", "/proc/1/x"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		b = job_of("sh", "true");
		wire_put_file(&b, paths[i], 0644, "x", 1);
		char name[64];
		snprintf(name, sizeof(name), "a file at %s", paths[i]);
		expect(name, ask(&b, -2), "setup-error", "file");
		wire_buf_release(&b);
	}

	b = job_of("sh", "true");
	wire_put_file(&b, "/tmp/x", 04755, "x", 1);
	expect("a setuid file", ask(&b, -2), "setup-error", "file");
	wire_buf_release(&b);

	/* a profile that compiles apart: checked whole before the compiler */
	b = job_of("c", "");
	wire_put_limit(&b, STK_LIMIT_WALL_TIME, 3600ull * 1000000000);
	expect("a compiled job with a looser limit", ask(&b, -2), "setup-error",
	       "wall-time");
	wire_buf_release(&b);

	b = job_of("c", "");
	wire_put_file(&b, "/etc/x", 0644, "x", 1);
	expect("a compiled job with a host path", ask(&b, -2), "setup-error",
	       "file");
	wire_buf_release(&b);

	b = job_of("nosuch", "true");
	expect("a profile not served", ask(&b, -2), "setup-error", "profile");
	wire_buf_release(&b);

	b = (struct wire_buf){0};
	wire_put_str(&b, WIRE_TAG_PROFILE, "python");
	uint8_t on = 1;
	wire_put(&b, WIRE_TAG_NETWORK, &on, 1);
	expect("network the server does not allow", ask(&b, -2), "setup-error",
	       "network");
	wire_buf_release(&b);

	b = job_of("sh", "true");
	b.len -= 2; /* the last part cut short */
	expect("a truncated job", ask(&b, -2), "setup-error", "job");
	wire_buf_release(&b);

	b = job_of("sh", "true");
	wire_put_str(&b, (enum wire_tag)99, "x");
	expect("an unknown part", ask(&b, -2), "setup-error", "job");
	wire_buf_release(&b);

	b = job_of("sh", "true");
	wire_put(&b, WIRE_TAG_ARG, "a\0b", 3);
	expect("a NUL in an argument", ask(&b, -2), "setup-error", "job");
	wire_buf_release(&b);

	b = job_of("sh", "true");
	wire_put_str(&b, WIRE_TAG_ENV, "NOEQUALS");
	expect("an environment part without =", ask(&b, -2), "setup-error",
	       "job");
	wire_buf_release(&b);

	expect("no memfd", ask(&b, -1), "setup-error", "job");

	b = job_of("sh", "true");
	int fd = memfd_create("unsealed", MFD_CLOEXEC);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
		return 2;
	expect("an unsealed memfd", ask(&b, fd), "setup-error", "job");
	wire_buf_release(&b);

	fd = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, WIRE_JOB_MAX + 1) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) <
		    0)
		return 2;
	expect("a job above the maximum size", ask(&b, fd), "setup-error",
	       "job");

	/* a pipe is no memfd */
	int p[2];
	if (pipe(p) < 0)
		return 2;
	close(p[1]);
	expect("a pipe for a job", ask(&b, p[0]), "setup-error", "job");

	/* sessions: only a profile that has them, and no looser a limit */
	b = job_of("sh", "true");
	expect("a session of a profile without sessions",
	       ask_as(WIRE_SESSION, &b, -2), "setup-error", "session");
	wire_buf_release(&b);
	b = job_of("python", "");
	wire_put_limit(&b, STK_LIMIT_WALL_TIME, 7200ull * 1000000000);
	expect("a session longer than the server's",
	       ask_as(WIRE_SESSION, &b, -2), "setup-error", "wall-time");
	wire_buf_release(&b);
	/* a session's requests for a plain run do nothing to it: input it
	 * never reads, SIGINT, usage; it ends as it would have */
	{
		b = job_of("sh", "sleep 1; echo done");
		uint64_t id = next_id;
		int f = wire_memfd(b.data, b.len);
		struct wire_msg run = {WIRE_RUN, 0, id};
		wire_send(sock, &run, NULL, 0, f);
		close(f);
		wire_buf_release(&b);
		uint32_t types[] = {WIRE_INPUT, WIRE_INTERRUPT, WIRE_USAGE};
		for (size_t i = 0; i < 3; i++) {
			struct wire_msg q = {types[i], 1, id};
			wire_send(sock, &q, "x", 1, -1);
		}
		b = job_of("sh", "true");
		next_id++;
		expect("the runner takes a session's requests for a run, and "
		       "goes on",
		       ask(&b, -2), "ok", NULL);
		wire_buf_release(&b);
	}

	/* more runs than workers: the third is refused while two sleep */
	for (int i = 0; i < 2; i++) {
		b = job_of("sh", "sleep 2");
		int f = wire_memfd(b.data, b.len);
		struct wire_msg m = {WIRE_RUN, 0, 1000 + (uint64_t)i};
		wire_send(sock, &m, NULL, 0, f);
		close(f);
		wire_buf_release(&b);
	}
	b = job_of("sh", "true");
	expect("a run beyond the workers", ask(&b, -2), "setup-error",
	       "runner");
	wire_buf_release(&b);

	/* a request off the table ends the runner, runs and all */
	struct wire_msg m = {77, 0, 1};
	wire_send(sock, &m, NULL, 0, -1);
	int status;
	waitpid(runner, &status, 0);
	bool ended = WIFEXITED(status) && WEXITSTATUS(status) != 0;
	printf("%s an unknown request ends the runner: %s %d\n",
	       ended ? "ok  " : "FAIL", WIFEXITED(status) ? "exit" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	failures += !ended;
	config_release(&c);
	return failures ? 1 : 0;
}
