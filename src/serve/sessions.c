/* sessions.c - the front's sessions: one sandbox that lives across
 * requests, a Python interpreter in it (agent.py) running cells one after
 * another, its files, and a terminal (ws.c).  docs/api.md, "Sessions".
 *
 * The runner starts a session as a run of the profile's session policy
 * whose stdin stays open: what the front writes there are frames for the
 * agent, and what the agent writes on stdout are frames for the front.
 * The agent is as untrusted as anything in the sandbox, so its frames are
 * parsed here, in the unprivileged half, bounded, and a frame that is not
 * in the protocol ends its session.  The session's limits are its run's:
 * the runner's library enforces them over the session's whole life.
 */
#define _GNU_SOURCE
#include "front.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h" /* AGENT_SOURCE: agent.py, made by the Makefile */

/* The largest frame the agent may send: a file as large as a body, and
 * its header. */
#define FRAME_MAX ((size_t)F.c->max_body + 64 * 1024)
/* What the agent's stderr (its own failures) keeps for the record. */
#define AGENT_ERR_MAX 2048

static struct session *sessions; /* newest first */
static size_t n_live;		 /* not ended */

static void session_stop(struct session *s, const char *why);

static const char *const state_names[] = {"starting", "idle", "busy", "ended"};

/* ---- to the agent ------------------------------------------------------ */

static void wire_to(struct session *s, enum wire_type type, uint32_t arg,
		    const void *data, size_t len)
{
	struct wire_msg m = {type, arg, s->num};
	if (wire_send(F.sock, &m, data, len, -1) < 0)
		F.runner_gone = true;
}

/* A frame: its type, its length, then head and data as one payload.  A
 * small one goes in the message; a large one (a file) in a sealed memfd,
 * so that the socket the runner answers on is never full of it. */
static void agent_send(struct session *s, char kind, const void *head,
		       size_t hlen, const void *data, size_t dlen)
{
	if (s->state == SESSION_ENDED)
		return;
	size_t n = hlen + dlen;
	uint8_t *f = n + 5 <= WIRE_MAX ? F.buf : malloc(n + 5);
	if (!f) {
		session_stop(s, "error");
		return;
	}
	f[0] = (uint8_t)kind;
	f[1] = (uint8_t)(n >> 24);
	f[2] = (uint8_t)(n >> 16);
	f[3] = (uint8_t)(n >> 8);
	f[4] = (uint8_t)n;
	if (hlen)
		memcpy(f + 5, head, hlen);
	if (dlen)
		memcpy(f + 5 + hlen, data, dlen);
	if (f == F.buf) {
		wire_to(s, WIRE_INPUT, 0, f, n + 5);
		return;
	}
	int fd = wire_memfd(f, n + 5);
	free(f);
	struct wire_msg m = {WIRE_INPUT, 0, s->num};
	if (fd < 0 || wire_send(F.sock, &m, NULL, 0, fd) < 0)
		session_stop(s, "error");
	if (fd >= 0)
		close(fd);
}

static void agent_send_json(struct session *s, char kind, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text)
		agent_send(s, kind, text, strlen(text), NULL, 0);
	free(text);
}

void session_pty_input(struct session *s, const void *data, size_t len)
{
	s->last_active = now_seconds();
	agent_send(s, 'P', data, len, NULL, 0);
}

void session_pty_resize(struct session *s, unsigned rows, unsigned cols)
{
	agent_send_json(s, 'Z',
			json_pack("{s:i,s:i}", "rows", rows, "cols", cols));
}

void session_pty_closed(struct session *s)
{
	s->pty = NULL;
	s->last_active = now_seconds();
	agent_send(s, 'K', NULL, 0, NULL, 0);
}

/* ---- the table --------------------------------------------------------- */

struct session *session_find(const char *id, const struct token *t)
{
	for (struct session *s = sessions; s; s = s->next)
		if (!strcmp(s->id, id))
			/* another token's session is not there at all */
			return s->token == t ? s : NULL;
	return NULL;
}

static struct session *session_by_num(uint64_t num)
{
	for (struct session *s = sessions; s; s = s->next)
		if (s->num == num)
			return s;
	return NULL;
}

size_t sessions_live(void)
{
	return n_live;
}

/* The requests waiting on s (its start, its end, a file) look again. */
static void wake_session(struct session *s)
{
	for (struct request *rq = F.waiting, *next; rq; rq = next) {
		next = rq->next;
		if (rq->session == s)
			request_resume(rq);
	}
}

/* The session lets go of its last cell; streams may still hold it. */
static void drop_cell(struct session *s)
{
	struct run *c = s->cell;
	s->cell = NULL;
	if (!c)
		return;
	c->orphan = true;
	if (!c->refs)
		run_free(c);
}

static void session_free(struct session *s)
{
	LIST_REMOVE(sessions, s);
	drop_cell(s);
	wire_buf_release(&s->frames);
	json_decref(s->record);
	json_decref(s->file_head);
	free(s->file_data);
	free(s);
}

/* A time of the monotonic clock, as seconds since the epoch. */
static double wall_clock(double t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return t - now_seconds() + (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

json_t *session_json(const struct session *s)
{
	json_t *j = json_pack(
		"{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:i}", "id", s->id, "profile",
		s->profile->name, "state", state_names[s->state], "created",
		wall_clock(s->created), "last_active",
		wall_clock(s->last_active), "idle_timeout", s->idle_timeout,
		"max_lifetime", s->max_lifetime, "cells", (json_int_t)s->cells);
	if (!j)
		return NULL;
	if (s->python[0])
		json_object_set_new(j, "python", json_string(s->python));
	json_object_set_new(j, "terminal", json_boolean(s->pty != NULL));
	if (s->state == SESSION_ENDED) {
		json_object_set_new(j, "ended_by", json_string(s->ended_by));
		json_object_set_new(j, "record", json_deep_copy(s->record));
		if (s->agent_err_len) {
			const char *enc;
			json_t *e = bytes_json(s->agent_err, s->agent_err_len,
					       &enc);
			json_object_set_new(j, "agent_stderr",
					    e ? e : json_null());
		}
	}
	return j;
}

/* ---- cells ------------------------------------------------------------- */

/* The cell's end: its answer, and the session's state after it. */
static void cell_end(struct session *s, const char *status)
{
	struct run *c = s->cell;
	if (!c || c->state == RUN_DONE)
		return;
	double wall = (c->ended ? c->ended : now_seconds()) - c->started;
	json_t *figures = json_pack("{s:f}", "wall_seconds", wall);
	const struct wire_usage *a = &s->usage_before, *b = &s->usage_after;
	bool measured = s->usage_known && strcmp(status, "ended");
	json_object_set_new(
		figures, "cpu_seconds",
		measured && a->cpu && b->cpu
			? json_real((double)(b->cpu_us - a->cpu_us) / 1e6)
			: json_null());
	/* the peak is the cell's only when the reset at its start took
	 * (the runner says memory unknown otherwise) */
	json_object_set_new(
		figures, "memory_peak_bytes",
		measured && a->memory && b->memory
			? json_integer((json_int_t)b->memory_peak_bytes)
			: json_null());
	if (s->state != SESSION_ENDED)
		s->state = SESSION_IDLE;
	json_t *brief = json_pack("{s:s}", "state", state_names[s->state]);
	if (s->state == SESSION_ENDED) {
		json_object_set_new(brief, "ended_by",
				    json_string(s->ended_by));
		json_object_set_new(brief, "record", json_deep_copy(s->record));
	}
	c->record =
		json_pack("{s:s,s:O?,s:O?,s:i,s:o,s:o,s:b}", "status", status,
			  "value", c->cell_value, "error", c->cell_error,
			  "cell", (json_int_t)c->cell_number, "record", figures,
			  "session", brief, "truncated", c->truncated);
	c->state = RUN_DONE;
	s->last_active = now_seconds();
	wake_run(c);
}

/* Output of the running cell, as a chunk of it; cut at the profile's
 * output limit. */
static void cell_output(struct session *s, int stream, const uint8_t *p,
			size_t n)
{
	struct run *c = s->cell;
	if (!c || c->state == RUN_DONE || !n)
		return; /* between cells: a child left running writes */
	uint64_t cap =
		stk_policy_get_limit(s->profile->policy[0], STK_LIMIT_OUTPUT);
	if (c->out_bytes + n > cap) {
		c->truncated = true;
		n = cap > c->out_bytes ? (size_t)(cap - c->out_bytes) : 0;
		if (!n)
			return;
	}
	if (run_add_chunk(c, stream, p, n) == 0)
		c->out_bytes += n;
}

/* ---- the session's end ------------------------------------------------- */

static const char *ended_by_verdict(const char *verdict)
{
	if (!verdict)
		return "error";
	if (!strcmp(verdict, "wall-limit"))
		return "lifetime";
	if (strstr(verdict, "-limit"))
		return "limit";
	if (!strcmp(verdict, "setup-error"))
		return "error";
	return "exit";
}

/* Asks the runner to end s; the end itself comes with its record. */
static void session_stop(struct session *s, const char *why)
{
	if (s->state == SESSION_ENDED)
		return;
	if (!s->ended_by)
		s->ended_by = why;
	wire_to(s, WIRE_CANCEL, 0, NULL, 0);
}

/* The runner sent the session's record: it is over. */
static void session_ended(struct session *s, json_t *record)
{
	if (s->state == SESSION_ENDED) {
		json_decref(record);
		return;
	}
	const char *verdict =
		json_string_value(json_object_get(record, "verdict"));
	/* a limit the run broke says more than why we asked it to end */
	if (!s->ended_by || (verdict && strstr(verdict, "-limit")))
		s->ended_by = ended_by_verdict(verdict);
	/* the agent's source is not news to anyone */
	json_t *cmd = json_object_get(record, "command");
	size_t n = json_array_size(cmd);
	if (n && !strcmp(json_string_value(json_array_get(cmd, n - 1)) ?: "",
			 AGENT_SOURCE))
		json_array_set_new(cmd, n - 1, json_string("<agent.py>"));
	s->state = SESSION_ENDED;
	s->ended = now_seconds();
	s->record = record;
	n_live--;
	if (s->token)
		s->token->sessions--;
	cell_end(s, "ended");
	if (s->pty) {
		struct ws *w = s->pty;
		s->pty = NULL;
		ws_session_ended(w);
	}
	wake_session(s);
}

/* The agent broke the protocol: the session ends, and says why. */
static void agent_broke(struct session *s, const char *what)
{
	serve_log("session %s: the agent sent %s; ending it", s->id, what);
	session_stop(s, "error");
}

/* ---- from the agent ---------------------------------------------------- */

static json_t *frame_json(const uint8_t *p, size_t n)
{
	return json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
}

static void on_usage(struct session *s, const uint8_t *p, size_t n)
{
	if (n != sizeof(struct wire_usage))
		return;
	if (!s->usage_known) {
		memcpy(&s->usage_before, p, n);
		s->usage_known = true;
		return;
	}
	memcpy(&s->usage_after, p, n);
	if (s->cell_done)
		cell_end(s, s->cell_status);
}

static void on_frame(struct session *s, char kind, const uint8_t *p, size_t n)
{
	struct run *c = s->cell;
	bool in_cell = c && c->state != RUN_DONE;
	switch (kind) {
	case 'R': {
		json_t *j = frame_json(p, n);
		const char *v = json_string_value(json_object_get(j, "python"));
		snprintf(s->python, sizeof(s->python), "%s", v ? v : "");
		for (char *q = s->python; *q; q++)
			if (!((*q >= '0' && *q <= '9') || *q == '.' ||
			      (*q >= 'a' && *q <= 'z') || *q == '+'))
				*q = '_';
		json_decref(j);
		if (s->state == SESSION_STARTING)
			s->state = SESSION_IDLE;
		wake_session(s);
		return;
	}
	case 'o':
	case 'e':
		cell_output(s, kind == 'o' ? 1 : 2, p, n);
		return;
	case 'v':
		if (in_cell && !c->cell_value) {
			const char *enc;
			c->cell_value = bytes_json(p, n, &enc);
		}
		return;
	case 'x':
		if (in_cell && !c->cell_error) {
			json_t *j = frame_json(p, n);
			const char *type =
				json_string_value(json_object_get(j, "type"));
			const char *msg = json_string_value(
				json_object_get(j, "message"));
			const char *tb = json_string_value(
				json_object_get(j, "traceback"));
			c->cell_error = json_pack("{s:s,s:s,s:s}", "type",
						  type ? type : "?", "message",
						  msg ? msg : "", "traceback",
						  tb ? tb : "");
			json_decref(j);
		}
		return;
	case 'd': {
		if (!in_cell || s->cell_done)
			return;
		json_t *j = frame_json(p, n);
		const char *st =
			json_string_value(json_object_get(j, "status"));
		s->cell_status = st && !strcmp(st, "ok") ? "ok"
				 : st && !strcmp(st, "interrupted")
					 ? "interrupted"
					 : "error";
		json_decref(j);
		s->cell_done = true;
		c->ended = now_seconds();
		/* the cell's figures: the runner answers in order */
		wire_to(s, WIRE_USAGE, 0, NULL, 0);
		return;
	}
	case 'f':
		if (!s->file_rq || s->file_done)
			return;
		if (n < 4) {
			agent_broke(s, "a short file answer");
			return;
		}
		size_t hn = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
			    (size_t)p[2] << 8 | p[3];
		if (hn > n - 4) {
			agent_broke(s, "a file answer past its end");
			return;
		}
		json_t *head = frame_json(p + 4, hn);
		json_t *seq = json_object_get(head, "seq");
		if (!json_is_integer(seq) ||
		    (uint64_t)json_integer_value(seq) != s->file_seq) {
			json_decref(head); /* an earlier operation's */
			return;
		}
		s->file_head = head;
		s->file_len = n - 4 - hn;
		s->file_data = malloc(s->file_len + 1);
		if (s->file_data)
			memcpy(s->file_data, p + 4 + hn, s->file_len);
		else
			s->file_len = 0;
		s->file_done = true;
		wake_session(s);
		return;
	case 'p':
		if (s->pty)
			ws_output(s->pty, p, n);
		return;
	case 't':
		if (s->pty) {
			json_t *j = frame_json(p, n);
			json_t *st = json_object_get(j, "status");
			ws_exit(s->pty, json_is_integer(st)
						? (int)json_integer_value(st)
						: -1);
			json_decref(j);
		}
		return;
	default:
		agent_broke(s, "a frame of an unknown type");
	}
}

/* The agent's stdout: frames, in whatever pieces the runner read. */
static void on_agent_bytes(struct session *s, const uint8_t *p, size_t n)
{
	struct wire_buf *b = &s->frames;
	wire_buf_append(b, p, n);
	if (b->failed) {
		agent_broke(s, "more than memory holds");
		return;
	}
	size_t off = 0;
	while (s->state != SESSION_ENDED && b->len - off >= 5) {
		const uint8_t *f = b->data + off;
		size_t len = (size_t)f[1] << 24 | (size_t)f[2] << 16 |
			     (size_t)f[3] << 8 | f[4];
		if (len > FRAME_MAX) {
			agent_broke(s, "a frame too large");
			break;
		}
		if (b->len - off - 5 < len)
			break;
		on_frame(s, (char)f[0], f + 5, len);
		off += 5 + len;
	}
	if (s->state == SESSION_ENDED)
		off = b->len;
	memmove(b->data, b->data + off, b->len - off);
	b->len -= off;
}

bool sessions_on_runner(const struct wire_msg *m, const uint8_t *p, size_t n)
{
	struct session *s = session_by_num(m->id);
	if (!s)
		return false;
	if (m->type == WIRE_OUTPUT && m->arg == 1) {
		on_agent_bytes(s, p, n);
	} else if (m->type == WIRE_OUTPUT && m->arg == 2) {
		/* the agent's own complaints, the last of them */
		size_t keep = n < AGENT_ERR_MAX ? n : AGENT_ERR_MAX;
		size_t old = s->agent_err_len + keep > AGENT_ERR_MAX
				     ? AGENT_ERR_MAX - keep
				     : s->agent_err_len;
		memmove(s->agent_err, s->agent_err + s->agent_err_len - old,
			old);
		memcpy(s->agent_err + old, p + n - keep, keep);
		s->agent_err_len = old + keep;
	} else if (m->type == WIRE_USAGE_IS) {
		on_usage(s, p, n);
	} else if (m->type == WIRE_DONE) {
		json_t *rec = json_loadb((const char *)p, n, 0, NULL);
		session_ended(
			s, rec ? rec
			       : json_pack("{s:s}", "verdict", "setup-error"));
	}
	return true;
}

/* ---- the clock --------------------------------------------------------- */

void sessions_tick(void)
{
	double now = now_seconds();
	for (struct session *s = sessions, *next; s; s = next) {
		next = s->next;
		if (s->state == SESSION_IDLE && !s->pty && !s->file_rq &&
		    now - s->last_active > s->idle_timeout)
			session_stop(s, "idle");
		/* the library ends it at its wall time; this is the second
		 * line */
		if (s->state != SESSION_ENDED &&
		    now - s->created > s->max_lifetime + 10)
			session_stop(s, "lifetime");
		if (s->state == SESSION_ENDED &&
		    now - s->ended > F.c->result_ttl && !s->pty)
			session_free(s);
	}
}

void sessions_end_all(void)
{
	for (struct session *s = sessions; s; s = s->next)
		session_stop(s, "restart");
}

void session_request_gone(struct request *rq)
{
	if (rq->session && rq->session->file_rq == rq)
		rq->session->file_rq = NULL;
}

/* ---- requests ---------------------------------------------------------- */

static struct session *path_session(struct request *rq)
{
	struct session *s = session_find(rq->id, rq->token);
	if (!s)
		answer_error(rq, 404, "id", "no such session", NULL);
	return s;
}

static bool seconds_field(json_t *root, const char *key, double dflt,
			  unsigned max, double *out, struct request_error *e)
{
	json_t *v = json_object_get(root, key);
	*out = dflt;
	if (v) {
		uint64_t ns;
		if (request_duration(v, key, &ns, e) < 0)
			return false;
		*out = (double)ns / 1e9;
	}
	if (*out > max)
		return request_bad(e, 400, key, "above the maximum here (%u s)",
				   max) == 0;
	json_object_del(root, key);
	return true;
}

/* The body of POST /v1/sessions into a job for the agent; 0 or -1 with
 * e set. */
static int session_request(struct request *rq, struct run_request *req,
			   double *idle, double *life, struct request_error *e)
{
	static const char *const fields[] = {
		"profile", "limits", "idle_timeout", "max_lifetime",
		"env",	   "files",  "network",
	};
	json_t *root = request_load(rq->body, rq->len, e);
	if (!root)
		return -1;
	int r = -1;
	const char *key;
	json_t *v;
	if (!json_is_object(root)) {
		request_bad(e, 400, "body", "must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		size_t i = 0, n = sizeof(fields) / sizeof(fields[0]);
		while (i < n && strcmp(fields[i], key))
			i++;
		if (i == n) {
			request_bad(e, 400, key, "unknown field");
			goto out;
		}
	}
	json_t *limits = json_object_get(root, "limits");
	if (json_object_get(limits, "wall_time")) {
		request_bad(e, 400, "limits.wall_time",
			    "a session's time is max_lifetime");
		goto out;
	}
	if (json_object_get(limits, "output")) {
		request_bad(e, 400, "limits.output",
			    "a session has no output limit: each cell's "
			    "answer is cut");
		goto out;
	}
	if (!seconds_field(root, "idle_timeout", 300, F.c->session_idle_max,
			   idle, e) ||
	    !seconds_field(root, "max_lifetime", F.c->session_lifetime_max,
			   F.c->session_lifetime_max, life, e) ||
	    request_from_json(F.c, rq->token, root, "", req, e) < 0)
		goto out;
	if (!req->profile->sessions) {
		request_bad(e, 400, "profile",
			    "profile %s has no sessions: its interpreter is "
			    "not CPython",
			    req->profile->name);
		wire_buf_release(&req->job);
		goto out;
	}
	/* the agent is the program, and its time is the session's */
	wire_put_limit(&req->job, STK_LIMIT_WALL_TIME, (uint64_t)(*life * 1e9));
	const char *argv[] = {req->profile->argv[0], "-I", "-u", "-c",
			      AGENT_SOURCE};
	for (size_t i = 0; i < sizeof(argv) / sizeof(argv[0]); i++)
		wire_put_str(&req->job, WIRE_TAG_ARG, argv[i]);
	r = 0;
out:
	json_decref(root);
	return r;
}

static void answer_session(struct request *rq, struct session *s,
			   unsigned status)
{
	answer_json(rq, status, session_json(s));
}

static void start_resume(struct request *rq)
{
	struct session *s = rq->session;
	if (s->state == SESSION_STARTING)
		request_suspend(rq);
	else
		answer_session(rq, s, s->state == SESSION_ENDED ? 200 : 201);
}

void post_sessions(struct request *rq)
{
	struct request_error e = {0};
	struct run_request req = {0};
	double idle, life;
	if (session_request(rq, &req, &idle, &life, &e) < 0) {
		answer_error(rq, e.status, e.field, e.message, NULL);
		return;
	}
	struct token *t = rq->token;
	if (F.draining || F.runner_gone) {
		answer_error(rq, 503, NULL, "the service is stopping", NULL);
	} else if (n_live >= F.c->max_sessions) {
		answer_error(rq, 429, NULL, "every session is taken", "5");
	} else if (t && t->sessions >= F.c->sessions_per_token) {
		answer_error(rq, 429, NULL,
			     "this token has as many sessions as it may", "5");
	} else {
		struct session *s = calloc(1, sizeof(*s));
		if (!s || random_id(s->id) < 0) {
			free(s);
			answer_error(rq, 500, NULL, "out of memory", NULL);
			wire_buf_release(&req.job);
			return;
		}
		s->num = ++F.next_num;
		s->token = t;
		s->profile = req.profile;
		s->created = s->last_active = now_seconds();
		s->idle_timeout = idle;
		s->max_lifetime = life;
		LIST_PUSH(sessions, s);
		n_live++;
		if (t)
			t->sessions++;
		int fd = wire_memfd(req.job.data, req.job.len);
		struct wire_msg m = {WIRE_SESSION, 0, s->num};
		int err = fd < 0 ? fd : wire_send(F.sock, &m, NULL, 0, fd);
		if (fd >= 0)
			close(fd);
		if (err < 0) {
			s->ended_by = "error";
			session_ended(s, json_pack("{s:s}", "verdict",
						   "setup-error"));
		}
		rq->session = s;
		rq->resume = start_resume;
		start_resume(rq);
	}
	wire_buf_release(&req.job);
}

void get_sessions(struct request *rq)
{
	json_t *a = json_array();
	for (struct session *s = sessions; s; s = s->next)
		if (s->token == rq->token)
			json_array_append_new(a, session_json(s));
	answer_json(rq, 200, json_pack("{s:o}", "sessions", a));
}

void get_session(struct request *rq)
{
	struct session *s = path_session(rq);
	if (s)
		answer_session(rq, s, 200);
}

static void delete_resume(struct request *rq)
{
	struct session *s = rq->session;
	if (s->state != SESSION_ENDED)
		request_suspend(rq);
	else
		answer_session(rq, s, 200);
}

void delete_session(struct request *rq)
{
	struct session *s = path_session(rq);
	if (!s)
		return;
	session_stop(s, "delete");
	rq->session = s;
	rq->resume = delete_resume;
	delete_resume(rq);
}

/* Why s takes no request now, as a 409; NULL when it does. */
static const char *not_ready(const struct session *s)
{
	return s->state == SESSION_ENDED      ? "the session has ended"
	       : s->state == SESSION_STARTING ? "the session is starting"
					      : NULL;
}

void post_exec(struct request *rq)
{
	struct session *s = path_session(rq);
	if (!s)
		return;
	struct request_error e = {0};
	json_t *root = request_load(rq->body, rq->len, &e);
	json_t *code = json_object_get(root, "code");
	if (!root) {
		answer_error(rq, e.status, e.field, e.message, NULL);
		return;
	}
	if (!json_is_object(root) || json_object_size(root) != 1 ||
	    !json_is_string(code)) {
		json_decref(root);
		answer_error(rq, 400, "code", "the body is {\"code\": \"...\"}",
			     NULL);
		return;
	}
	const char *busy = not_ready(s);
	if (!busy && s->state == SESSION_BUSY)
		busy = "a cell of this session is running";
	if (busy) {
		json_decref(root);
		answer_error(rq, 409, NULL, busy, NULL);
		return;
	}
	const char *stream = MHD_lookup_connection_value(
		rq->conn, MHD_GET_ARGUMENT_KIND, "stream");
	const char *accept = MHD_lookup_connection_value(
		rq->conn, MHD_HEADER_KIND, "Accept");
	if (stream && strcmp(stream, "true") && strcmp(stream, "false")) {
		json_decref(root);
		answer_error(rq, 400, "stream", "stream is true or false",
			     NULL);
		return;
	}
	bool streaming = (stream && !strcmp(stream, "true")) ||
			 (accept && strstr(accept, "text/event-stream"));
	struct run *c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	drop_cell(s);
	memcpy(c->id, s->id, sizeof(c->id));
	c->session = s;
	c->profile = s->profile;
	c->token = s->token;
	c->state = RUN_RUNNING;
	c->created = c->started = now_seconds();
	c->cell_number = ++s->cells;
	s->cell = c;
	s->state = SESSION_BUSY;
	s->last_active = c->started;
	s->cell_done = false;
	s->usage_known = false;
	/* the peak starts again for this cell, then the code goes */
	wire_to(s, WIRE_USAGE, 1, NULL, 0);
	agent_send(s, 'c', json_string_value(code), json_string_length(code),
		   NULL, 0);
	json_decref(root);
	if (streaming) {
		stream_run(rq, c);
		return;
	}
	rq->runs = calloc(1, sizeof(*rq->runs));
	if (!rq->runs) {
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	c->refs++;
	rq->runs[rq->n_runs++] = c;
	request_wait_runs(rq);
}

void post_interrupt(struct request *rq)
{
	struct session *s = path_session(rq);
	if (!s)
		return;
	bool running = s->state == SESSION_BUSY;
	if (running)
		wire_to(s, WIRE_INTERRUPT, 0, NULL, 0);
	answer_json(rq, 200, json_pack("{s:b}", "interrupted", running));
}

/* ---- files ------------------------------------------------------------- */

/* The directory a listing asks for: ?dir=, "" for /tmp itself. */
static const char *query_dir(struct request *rq)
{
	const char *dir = MHD_lookup_connection_value(
		rq->conn, MHD_GET_ARGUMENT_KIND, "dir");
	return dir ? dir : "";
}

static void file_resume(struct request *rq)
{
	struct session *s = rq->session;
	if (!s->file_done && s->state != SESSION_ENDED) {
		request_suspend(rq);
		return;
	}
	json_t *head = s->file_head;
	const char *err = json_string_value(json_object_get(head, "error"));
	const char *msg = json_string_value(json_object_get(head, "message"));
	const char *op = s->file_op;
	s->file_rq = NULL;
	if (s->state == SESSION_ENDED && !s->file_done)
		answer_error(rq, 409, NULL, "the session has ended", NULL);
	else if (!json_is_true(json_object_get(head, "ok")))
		answer_error(rq,
			     !err		      ? 502
			     : !strcmp(err, "ENOENT") ? 404
			     : !strcmp(err, "EFBIG")  ? 413
			     : !strcmp(err, "ENOSPC") ? 507
						      : 409,
			     "path", msg ? msg : "the file operation failed",
			     NULL);
	else if (!strcmp(op, "get") && !s->file_data)
		answer_error(rq, 500, NULL, "out of memory", NULL);
	else if (!strcmp(op, "get"))
		answer_bytes(rq, 200, "application/octet-stream", s->file_data,
			     s->file_len);
	else if (!strcmp(op, "list"))
		answer_json(rq, 200,
			    json_pack("{s:s,s:O}", "dir", query_dir(rq),
				      "files", json_object_get(head, "files")));
	else
		answer_bytes(rq, 204, "text/plain", NULL, 0);
	json_decref(s->file_head);
	s->file_head = NULL;
	free(s->file_data);
	s->file_data = NULL;
	s->file_done = false;
}

/* A file operation for the agent: op on path, with the request's body
 * for a put. */
static void file_request(struct request *rq, const char *op, const char *path)
{
	struct session *s = path_session(rq);
	if (!s)
		return;
	struct request_error e = {0};
	if (path[0] && request_check_path(path, strlen(path), F.c->max_path,
					  "path", &e) < 0) {
		answer_error(rq, e.status, e.field, e.message, NULL);
		return;
	}
	const char *busy = not_ready(s);
	if (!busy && s->file_rq)
		busy = "another file operation of this session is in progress";
	if (busy) {
		answer_error(rq, 409, NULL, busy, NULL);
		return;
	}
	/* the answer names its operation: one whose client went away may
	 * still answer while the next is asked */
	json_t *head = json_pack("{s:s,s:s,s:I,s:I}", "op", op, "path", path,
				 "max", (json_int_t)F.c->max_body, "seq",
				 (json_int_t)++s->file_seq);
	char *text = head ? json_dumps(head, JSON_COMPACT) : NULL;
	json_decref(head);
	if (!text) {
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	size_t hn = strlen(text);
	uint8_t pre[4] = {hn >> 24, hn >> 16, hn >> 8, hn};
	/* u32 header length, the header, the data: one frame */
	char *payload = malloc(4 + hn);
	if (!payload) {
		free(text);
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	memcpy(payload, pre, 4);
	memcpy(payload + 4, text, hn);
	free(text);
	bool put = !strcmp(op, "put");
	agent_send(s, 'F', payload, 4 + hn, put ? rq->body : NULL,
		   put ? rq->len : 0);
	free(payload);
	s->file_rq = rq;
	s->file_op = op;
	s->file_done = false;
	s->last_active = now_seconds();
	rq->session = s;
	rq->resume = file_resume;
	request_suspend(rq);
}

void put_file(struct request *rq)
{
	file_request(rq, "put", rq->path);
}

void get_file(struct request *rq)
{
	file_request(rq, "get", rq->path);
}

void delete_file(struct request *rq)
{
	file_request(rq, "delete", rq->path);
}

void list_files(struct request *rq)
{
	/* its length is the path checks' (max-path) */
	file_request(rq, "list", query_dir(rq));
}

/* ---- the terminal ------------------------------------------------------ */

/* After the upgrade: the WebSocket is the session's terminal. */
void session_pty_open(struct session *s, struct ws *w)
{
	s->pty = w;
	s->last_active = now_seconds();
	agent_send_json(s, 'T', json_pack("{s:i,s:i}", "rows", 24, "cols", 80));
}

void get_pty(struct request *rq)
{
	struct session *s = path_session(rq);
	if (!s)
		return;
	const char *busy = not_ready(s);
	if (!busy && s->pty)
		busy = "the session has a terminal open";
	if (busy) {
		answer_error(rq, 409, NULL, busy, NULL);
		return;
	}
	ws_upgrade(rq);
}
