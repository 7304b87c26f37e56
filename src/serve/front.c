/* front.c - the service's unprivileged half: HTTP and JSON.
 *
 * libmicrohttpd in external epoll mode: its epoll fd sits in ours, with
 * the runner's socket, a signalfd and a one-second tick, and one thread
 * does everything.  Requests are matched against the table of routes
 * (what each needs: a token, a body); a run request is validated into a
 * job by request.c and waits in a bounded queue for one of the workers;
 * beyond the queue the answer is 429.  Runs are kept, with their output
 * and record, for result-ttl seconds after their end, for GET and for the
 * event streams.
 */
#define _GNU_SOURCE
#include "front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* ---- requests --------------------------------------------------------- */

struct request;
typedef void handler_fn(struct request *rq);

struct route {
	const char *method;
	const char *path; /* "{id}" matches one segment */
	handler_fn *handler;
	bool auth;	  /* a token, when the server has tokens */
	bool body;	  /* takes a body */
	bool query_token; /* the token may come as ?access_token= (a
			   * browser's WebSocket sends no header) */
};

/* An event stream: its own state, for the response's reader. */
struct stream {
	struct run *run; /* a ref */
	struct MHD_Connection *conn;
	size_t next_chunk;
	bool record_sent;
	bool suspended;
	char *pending; /* owned; formatted, not yet given to MHD */
	size_t pending_len, pending_off;
	struct stream *prev, *next;
};

/* ---- responses --------------------------------------------------------- */

/* The CORS allowlist: the request's Origin, echoed when listed. */
static void add_cors(struct request *rq, struct MHD_Response *resp)
{
	const char *origin = MHD_lookup_connection_value(
		rq->conn, MHD_HEADER_KIND, "Origin");
	if (!origin || !F.c->cors[0])
		return;
	size_t n = strlen(origin);
	for (const char *p = F.c->cors; *p;) {
		p += strspn(p, ", ");
		size_t len = strcspn(p, ", ");
		if (len && ((len == n && !strncmp(p, origin, n)) ||
			    (len == 1 && *p == '*'))) {
			MHD_add_response_header(resp,
						"Access-Control-Allow-"
						"Origin",
						origin);
			MHD_add_response_header(resp, "Vary", "Origin");
			return;
		}
		p += len;
	}
}

/* Every answer goes out here: its CORS headers, its count. */
void send_response(struct request *rq, unsigned status,
		   struct MHD_Response *resp)
{
	add_cors(rq, resp);
	MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	rq->answered = true;
	metrics_response(status);
}

static void answer(struct request *rq, unsigned status, const char *type,
		   char *text, const char *retry_after)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (retry_after)
		MHD_add_response_header(resp, "Retry-After", retry_after);
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
					"Bearer realm=\"stockade\"");
	send_response(rq, status, resp);
}

void answer_bytes(struct request *rq, unsigned status, const char *type,
		  const void *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	send_response(rq, status, resp);
}

void answer_json(struct request *rq, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		text = strdup("{\"error\":{\"message\":\"out of memory\"}}");
		status = 500;
	}
	if (text) {
		size_t n = strlen(text);
		char *nl = realloc(text, n + 2);
		if (nl) {
			nl[n] = '\n';
			nl[n + 1] = 0;
			text = nl;
		}
		answer(rq, status, "application/json", text, NULL);
	}
}

void answer_error(struct request *rq, unsigned status, const char *field,
		  const char *message, const char *retry_after)
{
	json_t *e = json_pack("{s:{s:s?,s:s}}", "error", "field", field,
			      "message", message);
	char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
	json_decref(e);
	if (text)
		answer(rq, status, "application/json", text, retry_after);
}

/* ---- waiting ----------------------------------------------------------- */

void request_suspend(struct request *rq)
{
	rq->suspended = true;
	LIST_PUSH(F.waiting, rq);
	MHD_suspend_connection(rq->conn);
}

static void unlist(struct request *rq)
{
	LIST_REMOVE(F.waiting, rq);
}

void request_resume(struct request *rq)
{
	unlist(rq);
	rq->suspended = false;
	MHD_resume_connection(rq->conn);
}

void wake_run(struct run *r)
{
	for (struct request *rq = F.waiting, *next; rq; rq = next) {
		next = rq->next;
		for (size_t i = 0; i < rq->n_runs; i++)
			if (rq->runs[i] == r) {
				request_resume(rq);
				break;
			}
	}
	for (struct stream *s = F.streams; s; s = s->next)
		if (s->run == r && s->suspended) {
			s->suspended = false;
			MHD_resume_connection(s->conn);
		}
}

static bool all_done(struct request *rq)
{
	for (size_t i = 0; i < rq->n_runs; i++)
		if (rq->runs[i]->state != RUN_DONE)
			return false;
	return true;
}

static void answer_runs(struct request *rq)
{
	if (!rq->batch) {
		answer_json(rq, 200, run_json(rq->runs[0]));
		return;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < rq->n_runs; i++)
		json_array_append_new(a, run_json(rq->runs[i]));
	answer_json(rq, 200, json_pack("{s:o}", "runs", a));
}

/* ---- admission --------------------------------------------------------- */

/* A token's rate: a bucket of `burst` requests refilled at `rate`. */
static bool rate_ok(struct token *t, char *retry, size_t size)
{
	if (!t || !t->rate)
		return true;
	double now = now_seconds();
	t->tokens_left += (now - t->refilled_at) * t->rate;
	if (t->tokens_left > t->burst)
		t->tokens_left = t->burst;
	t->refilled_at = now;
	if (t->tokens_left >= 1) {
		t->tokens_left -= 1;
		return true;
	}
	snprintf(retry, size, "%.0f", (1 - t->tokens_left) / t->rate + 1);
	return false;
}

static void reject(struct request *rq, enum reject_reason why,
		   const char *message)
{
	metrics_rejected(why);
	answer_error(rq, why == REJECT_DRAINING ? 503 : 429, NULL, message,
		     why == REJECT_DRAINING ? NULL : "1");
}

/* Admits n runs at once, or none. */
static bool admit(struct request *rq, size_t n)
{
	struct token *t = rq->token;
	if (F.draining || F.runner_gone) {
		reject(rq, REJECT_DRAINING, "the service is stopping");
		return false;
	}
	unsigned limit = t && t->concurrency ? t->concurrency
					     : F.c->workers + F.c->queue;
	if (t && t->active + n > limit) {
		reject(rq, REJECT_TOKEN,
		       "this token has as many runs queued or in flight as "
		       "it may");
		return false;
	}
	if (F.in_flight + F.queued + n > F.c->workers + F.c->queue) {
		reject(rq, REJECT_QUEUE, "the queue is full; retry later");
		return false;
	}
	return true;
}

static bool query_wait(struct request *rq, bool *wait)
{
	const char *w = MHD_lookup_connection_value(
		rq->conn, MHD_GET_ARGUMENT_KIND, "wait");
	*wait = true;
	if (!w || !strcmp(w, "true"))
		return true;
	if (!strcmp(w, "false")) {
		*wait = false;
		return true;
	}
	answer_error(rq, 400, "wait", "wait is true or false", NULL);
	return false;
}

/* rq answers when its runs have ended. */
void request_wait_runs(struct request *rq)
{
	rq->want_wait = true;
	if (all_done(rq))
		answer_runs(rq);
	else
		request_suspend(rq);
}

static void start_runs(struct request *rq, struct run_request *reqs, size_t n,
		       bool wait)
{
	rq->runs = calloc(n, sizeof(*rq->runs));
	if (!rq->runs) {
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct run *r = run_new(rq->token, &reqs[i]);
		if (!r) {
			answer_error(rq, 500, NULL, "out of memory", NULL);
			return;
		}
		r->refs++;
		rq->runs[rq->n_runs++] = r;
		run_enqueue(r);
	}
	runs_pump();
	if (wait) {
		request_wait_runs(rq);
		return;
	}
	json_t *j;
	if (rq->batch) {
		json_t *ids = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ids, run_json(rq->runs[i]));
		j = json_pack("{s:o}", "runs", ids);
	} else {
		j = run_json(rq->runs[0]);
	}
	answer_json(rq, 202, j);
}

/* ---- handlers ---------------------------------------------------------- */

static void post_runs(struct request *rq)
{
	bool wait;
	if (!query_wait(rq, &wait))
		return;
	struct request_error e = {0};
	struct run_request req;
	json_t *root = request_load(rq->body, rq->len, &e);
	if (!root ||
	    request_from_json(F.c, rq->token, root, "", &req, &e) < 0) {
		json_decref(root);
		answer_error(rq, e.status, e.field, e.message, NULL);
		return;
	}
	json_decref(root);
	if (admit(rq, 1))
		start_runs(rq, &req, 1, wait);
	wire_buf_release(&req.job);
}

static void post_batch(struct request *rq)
{
	bool wait;
	if (!query_wait(rq, &wait))
		return;
	rq->batch = true;
	struct request_error e = {0};
	json_t *root = request_load(rq->body, rq->len, &e);
	json_t *runs = json_object_get(root, "runs");
	if (!root) {
		answer_error(rq, e.status, e.field, e.message, NULL);
		return;
	}
	if (!json_is_object(root) || json_object_size(root) != 1 ||
	    !json_is_array(runs) || json_array_size(runs) == 0) {
		json_decref(root);
		answer_error(rq, 400, "runs",
			     "the body is {\"runs\": [request, ...]}", NULL);
		return;
	}
	size_t n = json_array_size(runs);
	if (n > F.c->max_batch) {
		json_decref(root);
		char msg[64];
		snprintf(msg, sizeof(msg), "more than %u runs", F.c->max_batch);
		answer_error(rq, 400, "runs", msg, NULL);
		return;
	}
	struct run_request *reqs = calloc(n, sizeof(*reqs));
	size_t ok = 0;
	while (reqs && ok < n) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "runs[%zu].", ok);
		if (request_from_json(F.c, rq->token, json_array_get(runs, ok),
				      prefix, &reqs[ok], &e) < 0)
			break;
		ok++;
	}
	json_decref(root);
	if (!reqs)
		answer_error(rq, 500, NULL, "out of memory", NULL);
	else if (ok < n)
		answer_error(rq, e.status, e.field, e.message, NULL);
	else if (admit(rq, n))
		start_runs(rq, reqs, n, wait);
	for (size_t i = 0; reqs && i < n; i++)
		wire_buf_release(&reqs[i].job);
	free(reqs);
}

static struct run *path_run(struct request *rq)
{
	struct run *r = run_find(rq->id, rq->token);
	if (!r)
		answer_error(rq, 404, "id", "no such run", NULL);
	return r;
}

static void get_run(struct request *rq)
{
	struct run *r = path_run(rq);
	if (r)
		answer_json(rq, 200, run_json(r));
}

static void delete_run(struct request *rq)
{
	struct run *r = path_run(rq);
	if (!r)
		return;
	run_cancel(r);
	answer_json(rq, 202, run_json(r));
}

/* The next event of a stream, formatted into s->pending; false when
 * there is none yet. */
static bool next_event(struct stream *s)
{
	struct run *r = s->run;
	json_t *j = NULL;
	const char *event;
	if (s->next_chunk < r->n_chunks) {
		struct chunk *c = r->chunks[s->next_chunk++];
		const char *enc = "utf8";
		json_t *data = bytes_json(c->data, c->len, &enc);
		event = c->stream == 1	 ? "stdout"
			: c->stream == 2 ? "stderr"
					 : "compile";
		j = json_pack("{s:o,s:s}", "data", data ? data : json_null(),
			      "encoding", enc);
	} else if (r->state == RUN_DONE && !s->record_sent) {
		s->record_sent = true;
		event = "record";
		j = run_json(r);
	} else {
		return false;
	}
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	free(s->pending);
	s->pending = NULL;
	s->pending_off = 0;
	int n = asprintf(&s->pending, "event: %s\ndata: %s\n\n", event,
			 text ? text : "null");
	free(text);
	s->pending_len = n < 0 ? 0 : (size_t)n;
	if (n < 0)
		s->pending = NULL;
	return true;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	while (!s->pending || s->pending_off == s->pending_len) {
		if (!next_event(s)) {
			if (s->record_sent || F.stopping)
				return MHD_CONTENT_READER_END_OF_STREAM;
			s->suspended = true;
			MHD_suspend_connection(s->conn);
			return 0;
		}
	}
	size_t n = s->pending_len - s->pending_off;
	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->pending_off, n);
	s->pending_off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	LIST_REMOVE(F.streams, s);
	run_unref(s->run);
	free(s->pending);
	free(s);
}

static void get_events(struct request *rq)
{
	struct run *r = path_run(rq);
	if (r)
		stream_run(rq, r);
}

/* The answer is r's event stream. */
void stream_run(struct request *rq, struct run *r)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (!s) {
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	s->run = r;
	s->conn = rq->conn;
	r->refs++;
	LIST_PUSH(F.streams, s);
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, stream_free);
	if (!resp) {
		stream_free(s);
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	send_response(rq, 200, resp);
}

static json_t *limits_json(const struct stk_policy *p)
{
	json_t *o = json_object();
	for (size_t i = 0; i < request_limit_count(); i++) {
		enum stk_limit which;
		const char *key = request_limit_key(i, &which);
		uint64_t v = stk_policy_get_limit(p, which);
		json_object_set_new(o, key,
				    v == STK_UNLIMITED ? json_null()
				    : which == STK_LIMIT_WALL_TIME ||
						    which == STK_LIMIT_CPU_TIME
					    ? json_real((double)v / 1e9)
					    : json_integer((json_int_t)v));
	}
	return o;
}

static json_t *words_json(const char *const *argv)
{
	json_t *a = json_array();
	for (size_t j = 0; argv && argv[j]; j++)
		json_array_append_new(a, json_string(argv[j]));
	return a;
}

static void get_profiles(struct request *rq)
{
	json_t *a = json_array();
	for (size_t i = 0; i < F.c->n_profiles; i++) {
		const struct served_profile *sp = &F.c->profiles[i];
		const char *const *compile, *const *run_argv;
		const char *artifact;
		json_t *stage = json_null();
		if (stk_policy_get_compile(sp->policy[0], &compile, &artifact,
					   &run_argv))
			stage = json_pack("{s:o,s:s}", "command",
					  words_json(compile), "artifact",
					  artifact);
		json_array_append_new(
			a,
			json_pack("{s:s,s:s,s:o,s:o,s:o,s:b}", "name", sp->name,
				  "description", sp->description, "command",
				  words_json((const char *const *)sp->argv),
				  "compile", stage, "limits",
				  limits_json(sp->policy[0]), "network_allowed",
				  sp->network_allowed));
	}
	answer_json(rq, 200, json_pack("{s:o}", "profiles", a));
}

static void get_health(struct request *rq)
{
	answer(rq, 200, "text/plain", strdup("ok\n"), NULL);
}

static void get_ready(struct request *rq)
{
	if (F.draining || F.runner_gone)
		answer(rq, 503, "text/plain", strdup("stopping\n"), NULL);
	else if (F.queued >= F.c->queue && F.in_flight >= F.c->workers)
		answer(rq, 503, "text/plain", strdup("queue full\n"), NULL);
	else
		answer(rq, 200, "text/plain", strdup("ready\n"), NULL);
}

static void get_metrics(struct request *rq)
{
	char *text = metrics_text();
	if (text)
		answer(rq, 200, "text/plain; version=0.0.4", text, NULL);
	else
		answer_error(rq, 500, NULL, "out of memory", NULL);
}

/* ---- routing ----------------------------------------------------------- */

/* What the service answers: the whole of it. */
static const struct route routes[] = {
	/* clang-format off */
	/* method   path                              handler         auth   body   ?token */
	{"POST",   "/v1/runs",                       post_runs,      true,  true,  false},
	{"POST",   "/v1/runs:batch",                 post_batch,     true,  true,  false},
	{"GET",    "/v1/runs/{id}",                  get_run,        true,  false, false},
	{"DELETE", "/v1/runs/{id}",                  delete_run,     true,  false, false},
	{"GET",    "/v1/runs/{id}/events",           get_events,     true,  false, false},
	{"GET",    "/v1/profiles",                   get_profiles,   true,  false, false},
	{"POST",   "/v1/sessions",                   post_sessions,  true,  true,  false},
	{"GET",    "/v1/sessions",                   get_sessions,   true,  false, false},
	{"GET",    "/v1/sessions/{id}",              get_session,    true,  false, false},
	{"DELETE", "/v1/sessions/{id}",              delete_session, true,  false, false},
	{"POST",   "/v1/sessions/{id}/exec",         post_exec,      true,  true,  false},
	{"POST",   "/v1/sessions/{id}/interrupt",    post_interrupt, true,  false, false},
	{"GET",    "/v1/sessions/{id}/files",        list_files,     true,  false, false},
	{"PUT",    "/v1/sessions/{id}/files/{path}", put_file,       true,  true,  false},
	{"GET",    "/v1/sessions/{id}/files/{path}", get_file,       true,  false, false},
	{"DELETE", "/v1/sessions/{id}/files/{path}", delete_file,    true,  false, false},
	{"GET",    "/v1/sessions/{id}/pty",          get_pty,        true,  false, true},
	{"GET",    "/metrics",                       get_metrics,    true,  false, false},
	{"GET",    "/healthz",                       get_health,     false, false, false},
	{"GET",    "/readyz",                        get_ready,      false, false, false},
	{"GET",    "/",                              get_page,       false, false, false},
	{"GET",    "/assets/{path}",                 get_page,       false, false, false},
	/* clang-format on */
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* url against a route's path; the {id} segment into id, and where the
 * rest of the url that {path} matches begins into *rest. */
static bool path_matches(const char *pattern, const char *url, char id[33],
			 const char **rest)
{
	*rest = NULL;
	while (*pattern) {
		if (!strcmp(pattern, "{path}")) {
			*rest = url;
			return *url != 0;
		}
		if (!strncmp(pattern, "{id}", 4)) {
			size_t n = strcspn(url, "/");
			if (n == 0 || n > 32)
				return false;
			for (size_t i = 0; i < n; i++)
				if (!((url[i] >= '0' && url[i] <= '9') ||
				      (url[i] >= 'a' && url[i] <= 'f')))
					return false;
			memcpy(id, url, n);
			id[n] = 0;
			url += n;
			pattern += 4;
		} else if (*pattern++ != *url++) {
			return false;
		}
	}
	return *url == 0;
}

static void preflight(struct request *rq)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return;
	MHD_add_response_header(resp, "Access-Control-Allow-Methods",
				"GET, POST, PUT, DELETE");
	MHD_add_response_header(resp, "Access-Control-Allow-Headers",
				"Authorization, Content-Type");
	MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
	send_response(rq, 204, resp);
}

/* The first call for a request: route, token, declared size.  Answers
 * what can be refused before its body is read. */
static void begin(struct request *rq, const char *method, const char *url)
{
	bool path_known = false;
	const char *rest = NULL;
	for (size_t i = 0; i < N_ROUTES && !rq->route; i++) {
		if (!path_matches(routes[i].path, url, rq->id, &rest))
			continue;
		path_known = true;
		if (!strcmp(routes[i].method, method))
			rq->route = &routes[i];
	}
	if (rq->route && rest && !(rq->path = strdup(rest))) {
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	if (!rq->route) {
		if (path_known && !strcmp(method, "OPTIONS"))
			preflight(rq);
		else if (path_known)
			answer_error(rq, 405, NULL, "method not allowed", NULL);
		else
			answer_error(rq, 404, NULL, "no such resource", NULL);
		return;
	}
	if (rq->route->auth && F.c->n_tokens) {
		const char *h = MHD_lookup_connection_value(
			rq->conn, MHD_HEADER_KIND, "Authorization");
		const char *secret = NULL;
		if (h && !strncasecmp(h, "Bearer ", 7))
			secret = h + 7;
		else if (!h && rq->route->query_token)
			secret = MHD_lookup_connection_value(
				rq->conn, MHD_GET_ARGUMENT_KIND,
				"access_token");
		if (secret)
			rq->token = token_find(F.c, secret);
		if (!rq->token) {
			answer_error(rq, 401, NULL,
				     h || secret ? "the token is not valid"
						 : "a bearer token is required",
				     NULL);
			return;
		}
		char retry[32];
		if (!rate_ok(rq->token, retry, sizeof(retry))) {
			metrics_rejected(REJECT_RATE);
			answer_error(rq, 429, NULL,
				     "this token's request rate is exceeded",
				     retry);
			return;
		}
	}
	const char *cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						     "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > F.c->max_body) {
		answer_error(rq, 413, "body", "the body is too large", NULL);
		return;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **req_cls)
{
	(void)cls;
	(void)version;
	struct request *rq = *req_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		rq->conn = conn;
		*req_cls = rq;
		begin(rq, method, url);
		return MHD_YES;
	}
	if (*data_size) {
		/* a body nobody will read, or one too large, is dropped as
		 * it comes */
		if (!rq->answered && rq->route && rq->route->body &&
		    !rq->too_large) {
			if (rq->len + *data_size > F.c->max_body) {
				rq->too_large = true;
			} else {
				char *grown = realloc(rq->body,
						      rq->len + *data_size + 1);
				if (!grown)
					return MHD_NO;
				rq->body = grown;
				memcpy(rq->body + rq->len, data, *data_size);
				rq->len += *data_size;
				rq->body[rq->len] = 0;
			}
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (rq->answered)
		return MHD_YES;
	if (rq->resume) {
		/* resumed: its session changed, or the service is stopping */
		if (F.stopping)
			answer_error(rq, 503, NULL, "the service is stopping",
				     NULL);
		else
			rq->resume(rq);
		return MHD_YES;
	}
	if (rq->want_wait) {
		/* resumed: a run of it ended, or the service is stopping */
		if (F.stopping && !all_done(rq))
			answer_error(rq, 503, NULL, "the service is stopping",
				     NULL);
		else if (all_done(rq))
			answer_runs(rq);
		else
			request_suspend(rq);
		return MHD_YES;
	}
	if (rq->too_large)
		answer_error(rq, 413, "body", "the body is too large", NULL);
	else
		rq->route->handler(rq);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request *rq = *req_cls;
	if (!rq)
		return;
	if (rq->suspended)
		unlist(rq);
	session_request_gone(rq);
	for (size_t i = 0; i < rq->n_runs; i++)
		run_unref(rq->runs[i]);
	free(rq->runs);
	free(rq->path);
	free(rq->body);
	free(rq);
	*req_cls = NULL;
}

/* ---- the loop ----------------------------------------------------------- */

int front_watch(int fd, int op, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	return epoll_ctl(F.ep, op, fd, &ev) < 0 ? -errno : 0;
}

static void begin_drain(void)
{
	if (F.draining)
		return;
	F.draining = true;
	F.drain_deadline = now_seconds() + F.c->drain_timeout;
	sessions_end_all(); /* they survive nothing: stated in docs/api.md */
	int lfd = MHD_quiesce_daemon(F.d);
	if (lfd >= 0)
		close(lfd);
	serve_log("draining: %zu runs in flight, %zu queued", F.in_flight,
		  F.queued);
}

static bool drained(void)
{
	if (F.in_flight || F.queued || F.waiting || sessions_live())
		return false;
	for (struct stream *s = F.streams; s; s = s->next)
		if (!s->record_sent)
			return false;
	return true;
}

/* The listening socket is made here, before the front confines itself;
 * then the loop runs until a drain ends or the runner goes. */
int front_init(struct serve_config *c, int sock, unsigned flags,
	       const struct sockaddr *addr)
{
	F.c = c;
	F.sock = sock;
	F.buf = malloc(WIRE_MAX);
	if (!F.buf)
		return -1;
	if (addr && addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* clang-format off */
	F.d = MHD_start_daemon(
		flags | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			MHD_ALLOW_UPGRADE,
		0, NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, addr,
		MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, c->connection_timeout,
		/* the headers of a request and MHD's own buffers */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	/* clang-format on */
	return F.d ? 0 : -1;
}

int front_main(struct serve_config *c, int sock)
{
	struct sockaddr_storage ss;
	bool loopback;
	parse_listen(c->listen, &ss, &loopback); /* config_finish checked */
	if (front_init(c, sock, MHD_USE_ERROR_LOG, (struct sockaddr *)&ss) <
	    0) {
		serve_log("--listen %s: cannot listen: %s", c->listen,
			  strerror(errno));
		return 2;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(F.d, MHD_DAEMON_INFO_EPOLL_FD);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	F.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	F.tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	F.ep = epoll_create1(EPOLL_CLOEXEC);
	struct itimerspec second = {{1, 0}, {1, 0}};
	if (!info || F.sigfd < 0 || F.tick < 0 || F.ep < 0 ||
	    timerfd_settime(F.tick, 0, &second, NULL) < 0) {
		serve_log("front: cannot start: %s", strerror(errno));
		return 1;
	}
	int fds[4] = {info->epoll_fd, sock, F.sigfd, F.tick};
	for (int i = 0; i < 4; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		epoll_ctl(F.ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	char why[256];
	if (confine_front(c, why, sizeof(why)) < 0) {
		serve_log("front: cannot confine itself: %s", why);
		return 1;
	}
	const union MHD_DaemonInfo *bound =
		MHD_get_daemon_info(F.d, MHD_DAEMON_INFO_BIND_PORT);
	/* the port as bound: the one asked for, or the kernel's pick for 0 */
	char where[160];
	snprintf(where, sizeof(where), "%.*s:%u",
		 (int)(strrchr(c->listen, ':') - c->listen), c->listen,
		 bound ? bound->port : 0);
	serve_log("listening on %s: %zu profiles, %u workers, queue %u, %s",
		  where, c->n_profiles, c->workers, c->queue,
		  c->n_tokens ? "tokens required" : "no tokens");

	int status = 0;
	for (;;) {
		if (F.runner_gone) {
			serve_log("the runner is gone; ending");
			status = 1;
			break;
		}
		if (F.draining && drained())
			break;
		if (F.draining && now_seconds() > F.drain_deadline) {
			for (struct run *r = F.runs; r; r = r->next)
				if (r->state != RUN_DONE)
					run_cancel(r);
			if (now_seconds() > F.drain_deadline + 5)
				break;
		}
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		int timeout = -1;
		if (MHD_get_timeout(F.d, &mhd_ms) == MHD_YES)
			timeout = mhd_ms > 1000 ? 1000 : (int)mhd_ms;
		struct epoll_event evs[16];
		int n = epoll_wait(F.ep, evs, 16, timeout);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sock) {
				runs_on_runner();
			} else if (fd == F.sigfd) {
				struct signalfd_siginfo si;
				while (read(F.sigfd, &si, sizeof(si)) ==
				       sizeof(si))
					if (si.ssi_signo != SIGHUP)
						begin_drain();
			} else if (fd == F.tick) {
				uint64_t ticks;
				if (read(F.tick, &ticks, sizeof(ticks)) < 0)
					ticks = 0;
				runs_expire();
				sessions_tick();
				ws_tick();
			} else {
				ws_on_event(fd, evs[i].events);
			}
		}
		MHD_run(F.d);
	}
	/* MHD must not be stopped with connections suspended: each is
	 * resumed, to be answered or ended, and none may wait again. */
	F.stopping = true;
	for (struct request *rq = F.waiting; rq; rq = F.waiting) {
		unlist(rq);
		rq->suspended = false;
		MHD_resume_connection(rq->conn);
	}
	for (struct stream *s = F.streams; s; s = s->next)
		if (s->suspended) {
			s->suspended = false;
			MHD_resume_connection(s->conn);
		}
	ws_close_all();
	MHD_run(F.d);
	MHD_stop_daemon(F.d);
	serve_log("stopped");
	return status;
}
