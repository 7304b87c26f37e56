/* runner.c - the service's privileged half.
 *
 * It keeps the privilege the service was started with, parses neither
 * HTTP nor JSON, and does exactly what the table of requests below says
 * for the front: start a run of a job, cancel a run.  A job names one of
 * the profiles loaded at the start, and everything else in it goes
 * through the library's job setters, so a front that was taken over can
 * get no more than a request could: no host path, no looser limit (the
 * job's limits only tighten the served policy), no network the server
 * does not allow for that profile.
 *
 * One thread steps every run from one epoll set; the front's death (its
 * end of the socket, or SIGCHLD) ends every run and the runner.
 */
#define _GNU_SOURCE
#include "serve.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum stage { STAGE_RUN, STAGE_COMPILE };

struct slot {
	bool used;
	bool session; /* a session's: its stdin is ours to write */
	uint64_t id;
	struct stk_run *run; /* owned */
	struct runner *runner;
	enum stage stage;
	/* While compiling: the run stage's policy and job, and the artifact
	 * as the compile stage writes it on its stdout. */
	const struct stk_policy *policy;
	const char *artifact_path; /* the policy's */
	struct stk_job *next;	   /* owned */
	struct wire_buf artifact;  /* owned */
	/* A session's stdin: a pipe, the read end the run's (borrowed until
	 * its end), and what the front sent that the pipe did not take. */
	int in_r, in_w;
	struct wire_buf input; /* owned */
	size_t input_off;
	bool input_watched; /* in_w is in the epoll set, for EPOLLOUT */
};

struct runner {
	struct serve_config *config;
	int sock, ep, sigfd;
	pid_t front;	    /* 0 once reaped */
	int front_status;   /* its wait status, once reaped */
	struct slot *slots; /* owned; workers + max_sessions of them */
	size_t n_slots, active;
	size_t runs, sessions; /* of the active ones */
	bool front_gone, draining;
	bool broken; /* the front spoke off the table */
	double drain_deadline;
	uint8_t *buf; /* owned; WIRE_MAX bytes */
};

/* epoll data for what is not a slot: small numbers, never a pointer */
#define TAG_SOCK ((uint64_t)1)
#define TAG_SIGNAL ((uint64_t)2)
#define TAG_INPUT ((uint64_t)4096) /* + the slot's index: its stdin */

static int on_output(void *ctx, int stream, const void *data, size_t len)
{
	struct slot *s = ctx;
	const uint8_t *p = data;
	if (s->stage == STAGE_COMPILE && stream == 1) {
		wire_buf_append(&s->artifact, data, len);
		return 0;
	}
	if (s->stage == STAGE_COMPILE)
		stream = WIRE_STREAM_COMPILE;
	while (len) {
		size_t n = len < WIRE_CHUNK ? len : WIRE_CHUNK;
		struct wire_msg m = {WIRE_OUTPUT, (uint32_t)stream, s->id};
		if (wire_send(s->runner->sock, &m, p, n, -1) < 0)
			return 1; /* the front is gone: take no more */
		p += n;
		len -= n;
	}
	return 0;
}

static void send_record(struct runner *r, uint64_t id, struct stk_record *rec,
			enum wire_done what)
{
	char *json = rec ? stk_record_to_json(rec) : NULL;
	struct wire_msg m = {WIRE_DONE, what, id};
	const char *none = "{\"verdict\":\"setup-error\",\"error\":"
			   "{\"step\":\"record\",\"errno\":12,"
			   "\"message\":\"out of memory\"}}";
	const char *text = json ? json : none;
	if (wire_send(r->sock, &m, text, strlen(text), -1) < 0)
		r->front_gone = true;
	free(json);
}

static void release_slot(struct runner *r, struct slot *s)
{
	stk_job_free(s->next);
	wire_buf_release(&s->artifact);
	wire_buf_release(&s->input);
	if (s->in_w >= 0) {
		if (s->input_watched)
			epoll_ctl(r->ep, EPOLL_CTL_DEL, s->in_w, NULL);
		close(s->in_w);
	}
	if (s->in_r >= 0)
		close(s->in_r);
	if (s->session)
		r->sessions--;
	else
		r->runs--;
	*s = (struct slot){.in_r = -1, .in_w = -1};
	r->active--;
}

/* A free slot, for a run (workers of them at once) or a session
 * (max-sessions); NULL with err set when there is none. */
static struct slot *take_slot(struct runner *r, bool session,
			      struct stk_error **err)
{
	bool full = session ? r->sessions >= r->config->max_sessions
			    : r->runs >= r->config->workers;
	for (size_t i = 0; i < r->n_slots && !full && !r->draining; i++)
		if (!r->slots[i].used) {
			struct slot *s = &r->slots[i];
			*s = (struct slot){.used = true,
					   .session = session,
					   .runner = r,
					   .in_r = -1,
					   .in_w = -1};
			if (session)
				r->sessions++;
			else
				r->runs++;
			r->active++;
			return s;
		}
	serve_error(err, EBUSY, "runner",
		    r->draining ? "the service is stopping"
		    : session	? "every session is taken"
				: "every worker is busy");
	return NULL;
}

/* Starts the slot's run of policy with job and watches it; 0, or -errno
 * when not even a handle could be made (out of memory). */
static int begin(struct runner *r, struct slot *s,
		 const struct stk_policy *policy, const struct stk_job *job,
		 struct stk_error **err)
{
	stk_run_start(policy, job, &s->run, err);
	if (!s->run)
		return -ENOMEM;
	int rfd = stk_run_fd(s->run);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
	if (rfd < 0 || epoll_ctl(r->ep, EPOLL_CTL_ADD, rfd, &ev) < 0)
		stk_run_cancel(s->run); /* its end is still stepped below */
	return 0;
}

static void finish(struct runner *r, struct slot *s);

/* The compile stage ended: with its artifact the run stage starts. */
static void compiled(struct runner *r, struct slot *s, struct stk_record *rec)
{
	const struct stk_result *res = rec ? stk_record_result(rec) : NULL;
	bool built = res && res->verdict == STK_VERDICT_OK && s->artifact.len &&
		     !s->artifact.failed;
	send_record(r, s->id, rec,
		    built ? WIRE_DONE_COMPILED : WIRE_DONE_NOT_COMPILED);
	if (!built) {
		release_slot(r, s);
		return;
	}
	struct stk_error *err = NULL;
	s->stage = STAGE_RUN;
	if (stk_job_add_file(s->next, s->artifact_path, s->artifact.data,
			     s->artifact.len, 0755, &err) < 0 ||
	    begin(r, s, s->policy, s->next, &err) < 0) {
		struct stk_record *failed = stk_record_new_failed(err);
		send_record(r, s->id, failed, WIRE_DONE_RUN);
		stk_record_free(failed);
		release_slot(r, s);
	}
	stk_error_free(err);
}

static void finish(struct runner *r, struct slot *s)
{
	struct stk_record *rec = NULL;
	struct stk_error *err = NULL;
	epoll_ctl(r->ep, EPOLL_CTL_DEL, stk_run_fd(s->run), NULL);
	stk_run_wait(s->run, &rec, &err);
	stk_run_free(s->run);
	s->run = NULL;
	if (s->stage == STAGE_COMPILE && !r->front_gone)
		compiled(r, s, rec);
	else {
		send_record(r, s->id, rec, WIRE_DONE_RUN);
		release_slot(r, s);
	}
	stk_record_free(rec);
	stk_error_free(err);
}

static void refuse(struct runner *r, uint64_t id, struct stk_error *err)
{
	struct stk_record *rec = stk_record_new_failed(err);
	send_record(r, id, rec, WIRE_DONE_RUN);
	stk_record_free(rec);
}

/* The job in a memfd the front sealed: read only when it cannot change
 * under us, and no larger than WIRE_JOB_MAX. */
static int read_job(int fd, uint8_t **data, size_t *len, struct stk_error **err)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	int need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	if (seals < 0 || (seals & need) != need || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > WIRE_JOB_MAX)
		return serve_error(err, EINVAL, "job",
				   "job: not a sealed memfd of at most %u "
				   "bytes",
				   WIRE_JOB_MAX);
	*len = (size_t)st.st_size;
	*data = NULL;
	if (*len == 0)
		return 0;
	void *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return serve_error(err, errno, "job", "job: mmap: %s",
				   strerror(errno));
	*data = map;
	return 0;
}

/* The library refuses a looser limit when the run starts; a job that
 * compiles first must be refused before its compiler runs. */
static bool looser_limit(const struct stk_policy *policy,
			 const struct wire_job *job, struct stk_error **err)
{
	for (int i = 0; i < STK_LIMIT_COUNT; i++) {
		const char *name = stk_limit_option((enum stk_limit)i);
		if (job->limits[i] && name &&
		    job->limits[i] >
			    stk_policy_get_limit(policy, (enum stk_limit)i)) {
			char step[64];
			snprintf(step, sizeof(step), "--%s", name);
			serve_error(err, EPERM, step,
				    "--%s: a job may only lower the "
				    "policy's limit",
				    name);
			return true;
		}
	}
	return false;
}

/* The compile stage's command: the profile's, its stdout sent to its
 * stderr, then the artifact written to stdout for us to keep. */
static int compile_command(struct stk_job *job, const char *const *compile,
			   const char *artifact, struct stk_error **err)
{
	size_t n = 0;
	while (compile[n])
		n++;
	const char **argv = calloc(n + 5, sizeof(*argv));
	if (!argv)
		return serve_error(err, ENOMEM, "compile", "out of memory");
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = "\"$@\" >&2 && exec cat -- \"$0\"";
	argv[3] = artifact;
	for (size_t i = 0; i < n; i++)
		argv[4 + i] = compile[i];
	int r = stk_job_set_command(job, argv, err);
	free(argv);
	return r;
}

/* A session's stdin: a pipe whose read end the run borrows. */
static int session_input(struct slot *s, struct stk_job *job,
			 struct stk_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return serve_error(err, errno, "session", "pipe: %s",
				   strerror(errno));
	s->in_r = p[0];
	s->in_w = p[1];
	/* a write that blocked would stop every run the runner steps */
	if (fcntl(s->in_w, F_SETFL, O_NONBLOCK) < 0)
		return serve_error(err, errno, "session", "stdin: %s",
				   strerror(errno));
	return stk_job_set_stdio(job, s->in_r, -1, -1, err);
}

static void start_run(struct runner *r, uint64_t id, int fd, bool session)
{
	struct stk_error *err = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	struct wire_job job = {0};
	/* The front keeps to the workers and the sessions; one that does
	 * not is refused. */
	struct slot *s = take_slot(r, session, &err);
	if (!s)
		goto refused;
	if (fd < 0) {
		serve_error(&err, EINVAL, "job", "job: no memfd");
		goto refused;
	}
	if (read_job(fd, &data, &len, &err) < 0 ||
	    wire_job_decode(data, len, false, &job, &err) < 0)
		goto refused;
	const struct served_profile *sp =
		config_profile(r->config, job.profile);
	if (!sp) {
		serve_error(&err, ENOENT, "profile",
			    "profile %s is not served here", job.profile);
		goto refused;
	}
	if (job.network && !sp->network_allowed) {
		serve_error(&err, EPERM, "network",
			    "profile %s may not have network here", sp->name);
		goto refused;
	}
	if (session && !sp->sessions) {
		serve_error(&err, EPERM, "session",
			    "profile %s has no sessions", sp->name);
		goto refused;
	}
	const struct stk_policy *policy =
		session ? sp->session_policy[job.network]
			: sp->policy[job.network];
	if (looser_limit(policy, &job, &err))
		goto refused;
	s->id = id;
	stk_job_set_output(job.job, on_output, s);
	if (session) {
		if (session_input(s, job.job, &err) < 0)
			goto refused;
		if (begin(r, s, policy, job.job, &err) < 0)
			goto refused;
		wire_job_release(&job);
		goto out;
	}
	const char *const *compile, *const *run_argv;
	if (stk_policy_get_compile(policy, &compile, &s->artifact_path,
				   &run_argv)) {
		/* First the compiler, with the job's files and environment;
		 * it leaves the artifact on its stdout, its messages on its
		 * stderr.  The job itself waits for the run stage. */
		struct wire_job cjob;
		if (wire_job_decode(data, len, true, &cjob, &err) < 0 ||
		    compile_command(cjob.job, compile, s->artifact_path, &err) <
			    0 ||
		    (!job.has_command &&
		     stk_job_set_command(job.job, run_argv, &err) < 0)) {
			wire_job_release(&cjob);
			goto refused;
		}
		stk_job_set_output(cjob.job, on_output, s);
		s->stage = STAGE_COMPILE;
		s->policy = policy;
		s->next = job.job;
		job.job = NULL;
		int started = begin(r, s, policy, cjob.job, &err);
		wire_job_release(&cjob);
		if (started < 0)
			goto refused;
		goto out;
	}
	if (begin(r, s, policy, job.job, &err) < 0)
		goto refused;
	wire_job_release(&job);
	goto out;
refused:
	if (s)
		release_slot(r, s);
	wire_job_release(&job);
	refuse(r, id, err);
out:
	if (data)
		munmap(data, len);
	if (fd >= 0)
		close(fd);
	stk_error_free(err);
}

static struct slot *slot_of(struct runner *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_slots; i++)
		if (r->slots[i].used && r->slots[i].id == id && r->slots[i].run)
			return &r->slots[i];
	return NULL;
}

/* A session's slot: what the session messages may touch. */
static struct slot *session_of(struct runner *r, uint64_t id)
{
	struct slot *s = slot_of(r, id);
	return s && s->session ? s : NULL;
}

static void cancel_run(struct runner *r, uint64_t id)
{
	struct slot *s = slot_of(r, id);
	if (s)
		stk_run_cancel(s->run);
}

/* What the pipe takes of a session's pending input; the rest waits for
 * EPOLLOUT. */
static void flush_input(struct runner *r, struct slot *s)
{
	while (s->input_off < s->input.len) {
		ssize_t n = write(s->in_w, s->input.data + s->input_off,
				  s->input.len - s->input_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* the agent closed its stdin: what it was sent is
			 * dropped, as a reader gone */
			s->input_off = s->input.len;
			break;
		}
		s->input_off += (size_t)n;
	}
	if (s->input_off == s->input.len) {
		s->input.len = s->input_off = 0;
	} else if (s->input_off > WIRE_INPUT_MAX / 2) {
		memmove(s->input.data, s->input.data + s->input_off,
			s->input.len - s->input_off);
		s->input.len -= s->input_off;
		s->input_off = 0;
	}
	bool want = s->input.len > 0;
	if (want != s->input_watched) {
		struct epoll_event ev = {.events = EPOLLOUT,
					 .data.u64 = TAG_INPUT +
						     (uint64_t)(s - r->slots)};
		epoll_ctl(r->ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->in_w,
			  &ev);
		s->input_watched = want;
	}
}

static void session_write(struct runner *r, uint64_t id, const void *data,
			  size_t len)
{
	struct slot *s = session_of(r, id);
	if (!s)
		return;
	if (s->input.len - s->input_off + len >
	    WIRE_INPUT_MAX + r->config->max_body) {
		/* an agent that does not read its input holds no more of
		 * the runner's memory: the session ends */
		serve_log("runner: session %llu takes no input; ending it",
			  (unsigned long long)id);
		stk_run_cancel(s->run);
		return;
	}
	wire_buf_append(&s->input, data, len);
	if (s->input.failed) {
		stk_run_cancel(s->run);
		return;
	}
	flush_input(r, s);
}

static void session_usage(struct runner *r, uint64_t id, bool reset)
{
	struct slot *s = session_of(r, id);
	struct stk_usage u = {0};
	if (!s)
		return;
	/* a peak that could not start again is no cell's: unknown */
	if (stk_run_usage(s->run, &u, reset) < 0 && reset)
		u.memory = false;
	struct wire_usage w = {.cpu = u.cpu,
			       .memory = u.memory,
			       .cpu_us = u.cpu_us,
			       .memory_bytes = u.memory_bytes,
			       .memory_peak_bytes = u.memory_peak_bytes};
	struct wire_msg m = {WIRE_USAGE_IS, 0, id};
	if (wire_send(r->sock, &m, &w, sizeof(w), -1) < 0)
		r->front_gone = true;
}

static void cancel_all(struct runner *r)
{
	for (size_t i = 0; i < r->n_slots; i++)
		if (r->slots[i].used)
			stk_run_cancel(r->slots[i].run);
}

/* The fixed table: what the front may ask. */
static void on_message(struct runner *r)
{
	struct wire_msg m;
	int fd;
	ssize_t n = wire_recv(r->sock, &m, r->buf, &fd);
	if (n == -EAGAIN)
		return;
	if (n < 0 || m.type == 0) {
		if (fd >= 0)
			close(fd);
		r->front_gone = true;
		r->broken = n < 0;
		return;
	}
	switch (m.type) {
	case WIRE_RUN:
	case WIRE_SESSION:
		start_run(r, m.id, fd, m.type == WIRE_SESSION);
		return;
	case WIRE_CANCEL:
		cancel_run(r, m.id);
		break;
	case WIRE_INPUT:
		if (fd >= 0) {
			/* a large frame comes in a sealed memfd */
			struct stk_error *err = NULL;
			uint8_t *data;
			size_t len;
			if (read_job(fd, &data, &len, &err) == 0) {
				session_write(r, m.id, data, len);
				if (data)
					munmap(data, len);
			}
			stk_error_free(err);
		} else {
			session_write(r, m.id, r->buf, (size_t)n);
		}
		break;
	case WIRE_INTERRUPT: {
		/* SIGINT only: the front picks no signal */
		struct slot *s = session_of(r, m.id);
		if (s)
			stk_run_signal(s->run, SIGINT);
		break;
	}
	case WIRE_USAGE:
		session_usage(r, m.id, m.arg == 1);
		break;
	default:
		/* A front that speaks otherwise is not ours any more. */
		serve_log("runner: unknown request %u from the front; "
			  "ending",
			  m.type);
		r->front_gone = true;
		r->broken = true;
		break;
	}
	if (fd >= 0)
		close(fd);
}

static void on_signal(struct runner *r)
{
	struct signalfd_siginfo si;
	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (r->front > 0 && waitpid(r->front, &r->front_status,
						    WNOHANG) == r->front) {
				r->front = 0;
				r->front_gone = true;
			}
		} else if (!r->draining) {
			/* SIGTERM, SIGINT: the front stops taking runs and
			 * ends when the last is answered; past the deadline
			 * we end what is left. */
			r->draining = true;
			r->drain_deadline =
				now_seconds() + r->config->drain_timeout + 5;
			if (r->front > 0)
				kill(r->front, SIGTERM);
		}
	}
}

/* The front closed its end: it is exiting, or must. */
static void reap_front(struct runner *r)
{
	for (int i = 0; i < 200 && r->front > 0; i++) {
		if (waitpid(r->front, &r->front_status, WNOHANG) == r->front)
			r->front = 0;
		else
			usleep(10000);
	}
	if (r->front > 0) {
		kill(r->front, SIGKILL);
		waitpid(r->front, &r->front_status, 0);
		r->front = 0;
	}
}

int runner_main(struct serve_config *c, int sock, pid_t front)
{
	struct runner r = {
		.config = c, .sock = sock, .front = front, .sigfd = -1};
	r.n_slots = (size_t)c->workers + c->max_sessions;
	r.slots = calloc(r.n_slots, sizeof(*r.slots));
	for (size_t i = 0; r.slots && i < r.n_slots; i++)
		r.slots[i].in_r = r.slots[i].in_w = -1;
	r.buf = malloc(WIRE_MAX);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SOCK};
	if (!r.slots || !r.buf || r.sigfd < 0 || r.ep < 0 ||
	    epoll_ctl(r.ep, EPOLL_CTL_ADD, sock, &ev) < 0) {
		serve_log("runner: cannot start: %s", strerror(errno));
		if (front > 0)
			kill(front, SIGKILL);
		return 1;
	}
	ev.data.u64 = TAG_SIGNAL;
	epoll_ctl(r.ep, EPOLL_CTL_ADD, r.sigfd, &ev);

	while (!r.front_gone || r.active) {
		if (r.front_gone ||
		    (r.draining && now_seconds() > r.drain_deadline))
			cancel_all(&r);
		struct epoll_event evs[64];
		int n = epoll_wait(r.ep, evs, 64, r.draining ? 500 : -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_SOCK) {
				if (evs[i].events & (EPOLLIN | EPOLLHUP))
					on_message(&r);
			} else if (evs[i].data.u64 == TAG_SIGNAL) {
				on_signal(&r);
			} else if (evs[i].data.u64 >= TAG_INPUT &&
				   evs[i].data.u64 < TAG_INPUT + r.n_slots) {
				struct slot *s =
					&r.slots[evs[i].data.u64 - TAG_INPUT];
				if (s->used)
					flush_input(&r, s);
			} else {
				struct slot *s = evs[i].data.ptr;
				if (s->used && stk_run_step(s->run) == 1)
					finish(&r, s);
			}
		}
	}
	reap_front(&r);
	close(r.ep);
	close(r.sigfd);
	free(r.slots);
	free(r.buf);
	/* The front exits 0 only after a drain (a SIGTERM to either of us);
	 * anything else - it died, broke the protocol, could not listen - is
	 * a failure, its own status when it had one. */
	int st = r.front_status;
	if (r.broken)
		return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	serve_log("runner: the front ended (%s %d); every run is ended",
		  WIFEXITED(st) ? "exit" : "signal",
		  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
