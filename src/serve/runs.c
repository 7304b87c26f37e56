/* runs.c - the front's table of runs: made by a request, queued until a
 * worker is free, sent to the runner, filled with its output and record,
 * kept result-ttl seconds after their end (docs/api.md), as JSON. */
#define _GNU_SOURCE
#include "front.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct front F;

static const char *const state_names[] = {"queued", "running", "done"};

/* ---- the run table ----------------------------------------------------- */

struct run *run_find(const char *id, const struct token *t)
{
	for (struct run *r = F.runs; r; r = r->next)
		if (!strcmp(r->id, id))
			/* another token's run is not there at all */
			return r->token == t ? r : NULL;
	return NULL;
}

void run_free(struct run *r)
{
	if (!r->session) { /* a cell was never in the table */
		LIST_REMOVE(F.runs, r);
		F.n_runs--;
	}
	for (size_t i = 0; i < r->n_chunks; i++)
		free(r->chunks[i]);
	free(r->chunks);
	wire_buf_release(&r->job);
	json_decref(r->record);
	json_decref(r->compile_record);
	json_decref(r->cell_value);
	json_decref(r->cell_error);
	free(r);
}

/* An ended run nobody holds goes at its time (expire).  A run whose
 * waiting client went away goes on: libmicrohttpd does not watch a
 * suspended connection, so its end is seen only at the run's. */
void run_unref(struct run *r)
{
	if (!--r->refs && r->orphan)
		run_free(r);
}

int random_id(char id[33])
{
	uint8_t rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

struct run *run_new(struct token *t, struct run_request *req)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r || random_id(r->id) < 0) {
		free(r);
		return NULL;
	}
	r->num = ++F.next_num;
	r->token = t;
	r->profile = req->profile;
	r->job = req->job;
	req->job = (struct wire_buf){0};
	r->created = now_seconds();
	LIST_PUSH(F.runs, r);
	F.n_runs++;
	if (t)
		t->active++;
	return r;
}

/* The run is over: its record from the runner (or made here when it
 * never got there). */
static void run_done(struct run *r, json_t *record)
{
	if (r->state == RUN_RUNNING)
		F.in_flight--;
	r->state = RUN_DONE;
	r->ended = now_seconds();
	r->record = record;
	wire_buf_release(&r->job);
	if (r->token)
		r->token->active--;
	metrics_run_done(record, r->ended - r->created);
	wake_run(r);
}

static json_t *failed_record(const char *step, const char *message)
{
	return json_pack("{s:i,s:s,s:{s:s,s:i,s:s}}", "version",
			 STK_RECORD_VERSION, "verdict", "setup-error", "error",
			 "step", step, "errno", 0, "message", message);
}

/* Sends queued runs while workers are free. */
void runs_pump(void)
{
	while (F.queue_head && F.in_flight < F.c->workers && !F.runner_gone) {
		struct run *r = F.queue_head;
		F.queue_head = r->queue_next;
		if (!F.queue_head)
			F.queue_tail = NULL;
		F.queued--;
		r->started = now_seconds();
		metrics_queue_wait(r->started - r->created);
		int fd = wire_memfd(r->job.data, r->job.len);
		struct wire_msg m = {WIRE_RUN, 0, r->num};
		int e = fd < 0 ? fd : wire_send(F.sock, &m, NULL, 0, fd);
		if (fd >= 0)
			close(fd);
		wire_buf_release(&r->job);
		if (e < 0) {
			run_done(r, failed_record("runner", strerror(-e)));
			continue;
		}
		r->state = RUN_RUNNING;
		F.in_flight++;
	}
}

void run_enqueue(struct run *r)
{
	if (F.queue_tail)
		F.queue_tail->queue_next = r;
	else
		F.queue_head = r;
	F.queue_tail = r;
	F.queued++;
}

/* Takes a queued run off the queue (DELETE, the drain's end). */
static void dequeue(struct run *r)
{
	struct run **pp = &F.queue_head, *prev = NULL;
	while (*pp && *pp != r) {
		prev = *pp;
		pp = &(*pp)->queue_next;
	}
	if (!*pp)
		return;
	*pp = r->queue_next;
	if (F.queue_tail == r)
		F.queue_tail = prev;
	F.queued--;
}

void run_cancel(struct run *r)
{
	if (r->state == RUN_QUEUED) {
		dequeue(r);
		run_done(r, json_pack("{s:i,s:s,s:b}", "version",
				      STK_RECORD_VERSION, "verdict",
				      "cancelled", "started", false));
	} else if (r->state == RUN_RUNNING) {
		struct wire_msg m = {WIRE_CANCEL, 0, r->num};
		wire_send(F.sock, &m, NULL, 0, -1);
	}
}

/* Ended runs past their time, and the oldest beyond max-results, go. */
void runs_expire(void)
{
	double now = now_seconds();
	size_t done = 0;
	for (struct run *r = F.runs; r; r = r->next)
		done += r->state == RUN_DONE;
	/* the list is newest first: walk from its tail */
	struct run *tail = F.runs;
	while (tail && tail->next)
		tail = tail->next;
	for (struct run *r = tail, *prev; r; r = prev) {
		prev = r->prev;
		if (r->state != RUN_DONE || r->refs)
			continue;
		if (now - r->ended > F.c->result_ttl ||
		    done > F.c->max_results) {
			run_free(r);
			done--;
		}
	}
}

/* ---- a run as JSON ----------------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const uint8_t *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; out && i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*o++ = b64[w >> 18 & 63];
		*o++ = b64[w >> 12 & 63];
		*o++ = i + 1 < n ? b64[w >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[w & 63] : '=';
	}
	if (out)
		*o = 0;
	return out;
}

/* bytes as a JSON string: UTF-8 when they are, else base64; the
 * encoding's name in *encoding. */
json_t *bytes_json(const uint8_t *p, size_t n, const char **encoding)
{
	json_t *s = json_stringn((const char *)p, n);
	if (s) {
		*encoding = "utf8";
		return s;
	}
	*encoding = "base64";
	char *text = base64(p, n);
	s = text ? json_string(text) : NULL;
	free(text);
	return s;
}

/* What the run wrote on stream, as field name of j (and name_encoding). */
static void set_stream(json_t *j, const struct run *r, int stream,
		       const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_chunks; i++)
		if (r->chunks[i]->stream == stream)
			n += r->chunks[i]->len;
	uint8_t *all = malloc(n + 1), *o = all;
	for (size_t i = 0; all && i < r->n_chunks; i++)
		if (r->chunks[i]->stream == stream) {
			memcpy(o, r->chunks[i]->data, r->chunks[i]->len);
			o += r->chunks[i]->len;
		}
	const char *enc = "utf8";
	json_t *s = all ? bytes_json(all, n, &enc) : NULL;
	free(all);
	char key[32];
	snprintf(key, sizeof(key), "%s_encoding", name);
	json_object_set_new(j, name, s ? s : json_null());
	json_object_set_new(j, key, json_string(enc));
}

json_t *run_json(struct run *r)
{
	if (r->session && r->state == RUN_DONE) {
		/* a cell: its answer, with what it wrote */
		json_t *j = json_deep_copy(r->record);
		if (j) {
			set_stream(j, r, 1, "stdout");
			set_stream(j, r, 2, "stderr");
		}
		return j;
	}
	if (r->state != RUN_DONE)
		return json_pack("{s:s,s:s,s:s}", "id", r->id, "status",
				 state_names[r->state], "profile",
				 r->profile->name);
	json_t *j = json_deep_copy(r->record);
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(r->id));
	json_object_set_new(j, "status", json_string("done"));
	json_object_set_new(j, "profile", json_string(r->profile->name));
	json_object_set_new(j, "stage",
			    json_string(r->not_compiled ? "compile" : "run"));
	set_stream(j, r, 1, "stdout");
	set_stream(j, r, 2, "stderr");
	if (r->compile_record) {
		/* its stdout was the artifact; its stderr the compiler's */
		json_t *c = json_deep_copy(r->compile_record);
		if (c)
			set_stream(c, r, WIRE_STREAM_COMPILE, "stderr");
		json_object_set_new(j, "compile", c ? c : json_null());
	}
	return j;
}

int run_add_chunk(struct run *r, int stream, const void *data, size_t len)
{
	if (r->n_chunks == r->cap_chunks) {
		size_t cap = r->cap_chunks ? 2 * r->cap_chunks : 16;
		struct chunk **grown = realloc(r->chunks, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->chunks = grown;
		r->cap_chunks = cap;
	}
	struct chunk *c = malloc(sizeof(*c) + len);
	if (!c)
		return -ENOMEM;
	c->stream = stream;
	c->len = len;
	memcpy(c->data, data, len);
	r->chunks[r->n_chunks++] = c;
	wake_run(r);
	return 0;
}

/* ---- the runner's messages ------------------------------------------ */

static struct run *run_by_num(uint64_t num)
{
	for (struct run *r = F.runs; r; r = r->next)
		if (r->num == num)
			return r;
	return NULL;
}

void runs_on_runner(void)
{
	for (;;) {
		struct wire_msg m;
		int fd;
		ssize_t n = wire_recv(F.sock, &m, F.buf, &fd);
		if (fd >= 0)
			close(fd);
		if (n == -EAGAIN)
			return;
		if (n < 0 || m.type == 0) {
			F.runner_gone = true;
			return;
		}
		struct run *r = run_by_num(m.id);
		if (!r && sessions_on_runner(&m, F.buf, (size_t)n))
			continue;
		if (!r || r->state != RUN_RUNNING)
			continue;
		if (m.type == WIRE_OUTPUT && m.arg >= 1 &&
		    m.arg <= WIRE_STREAM_COMPILE) {
			run_add_chunk(r, (int)m.arg, F.buf, (size_t)n);
		} else if (m.type == WIRE_DONE) {
			json_t *rec = json_loadb((const char *)F.buf, (size_t)n,
						 0, NULL);
			if (!rec)
				rec = failed_record("runner",
						    "unreadable record");
			if (m.arg != WIRE_DONE_RUN) {
				json_decref(r->compile_record);
				r->compile_record = json_incref(rec);
			}
			if (m.arg == WIRE_DONE_COMPILED) {
				json_decref(rec);
				continue;
			}
			r->not_compiled = m.arg == WIRE_DONE_NOT_COMPILED;
			run_done(r, rec);
			runs_pump();
		}
	}
}
