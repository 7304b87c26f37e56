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
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct slot {
	bool used;
	uint64_t id;
	struct stk_run *run; /* owned */
	struct runner *runner;
};

struct runner {
	struct serve_config *config;
	int sock, ep, sigfd;
	pid_t front;	    /* 0 once reaped */
	int front_status;   /* its wait status, once reaped */
	struct slot *slots; /* owned; config->workers of them */
	size_t n_slots, active;
	bool front_gone, draining;
	bool broken; /* the front spoke off the table */
	double drain_deadline;
	uint8_t *buf; /* owned; WIRE_MAX bytes */
};

/* epoll data for what is not a slot */
#define TAG_SOCK ((uint64_t)1)
#define TAG_SIGNAL ((uint64_t)2)

static int on_output(void *ctx, int stream, const void *data, size_t len)
{
	struct slot *s = ctx;
	const uint8_t *p = data;
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

static void send_record(struct runner *r, uint64_t id, struct stk_record *rec)
{
	char *json = rec ? stk_record_to_json(rec) : NULL;
	struct wire_msg m = {WIRE_DONE, 0, id};
	const char *none = "{\"verdict\":\"setup-error\",\"error\":"
			   "{\"step\":\"record\",\"errno\":12,"
			   "\"message\":\"out of memory\"}}";
	const char *text = json ? json : none;
	if (wire_send(r->sock, &m, text, strlen(text), -1) < 0)
		r->front_gone = true;
	free(json);
}

static void finish(struct runner *r, struct slot *s)
{
	struct stk_record *rec = NULL;
	struct stk_error *err = NULL;
	epoll_ctl(r->ep, EPOLL_CTL_DEL, stk_run_fd(s->run), NULL);
	stk_run_wait(s->run, &rec, &err);
	stk_run_free(s->run);
	send_record(r, s->id, rec);
	stk_record_free(rec);
	stk_error_free(err);
	*s = (struct slot){0};
	r->active--;
}

static void refuse(struct runner *r, uint64_t id, struct stk_error *err)
{
	struct stk_record *rec = stk_record_new_failed(err);
	send_record(r, id, rec);
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

static void start_run(struct runner *r, uint64_t id, int fd)
{
	struct stk_error *err = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	struct wire_job job = {0};
	struct slot *s = NULL;
	for (size_t i = 0; i < r->n_slots && !s; i++)
		if (!r->slots[i].used)
			s = &r->slots[i];
	/* The front keeps to the workers; one that does not is refused. */
	if (!s || r->draining) {
		serve_error(&err, EBUSY, "runner",
			    r->draining ? "the service is stopping"
					: "every worker is busy");
		goto refused;
	}
	if (fd < 0) {
		serve_error(&err, EINVAL, "job", "job: no memfd");
		goto refused;
	}
	if (read_job(fd, &data, &len, &err) < 0 ||
	    wire_job_decode(data, len, &job, &err) < 0)
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
	*s = (struct slot){.used = true, .id = id, .runner = r};
	stk_job_set_output(job.job, on_output, s);
	stk_run_start(sp->policy[job.network], job.job, &s->run, &err);
	wire_job_release(&job);
	if (!s->run) {
		*s = (struct slot){0};
		goto refused;
	}
	r->active++;
	stk_error_free(err);
	err = NULL;
	int rfd = stk_run_fd(s->run);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
	if (rfd < 0 || epoll_ctl(r->ep, EPOLL_CTL_ADD, rfd, &ev) < 0) {
		stk_run_cancel(s->run);
		finish(r, s);
	}
	goto out;
refused:
	wire_job_release(&job);
	refuse(r, id, err);
out:
	if (data)
		munmap(data, len);
	if (fd >= 0)
		close(fd);
	stk_error_free(err);
}

static void cancel_run(struct runner *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_slots; i++)
		if (r->slots[i].used && r->slots[i].id == id)
			stk_run_cancel(r->slots[i].run);
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
		start_run(r, m.id, fd);
		return;
	case WIRE_CANCEL:
		cancel_run(r, m.id);
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
	r.n_slots = c->workers;
	r.slots = calloc(r.n_slots, sizeof(*r.slots));
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
