/* front.h - what the front's files share: the run table (runs.c), the
 * counters (metrics.c) and the HTTP side (front.c).  One thread, the
 * front's loop, touches all of it. */
#ifndef STK_SERVE_FRONT_H
#define STK_SERVE_FRONT_H

#include "serve.h"
#include "wire.h"

#include <jansson.h>

enum run_state { RUN_QUEUED, RUN_RUNNING, RUN_DONE };

/* A piece of output, as the runner sent it. */
struct chunk {
	int stream; /* 1 or 2 */
	size_t len;
	uint8_t data[];
};

struct run {
	uint64_t num; /* the runner's name for it */
	char id[33];  /* the client's: 128 random bits, hex */
	struct token *token;
	const struct served_profile *profile;
	enum run_state state;
	struct wire_buf job;   /* owned; until sent */
	struct chunk **chunks; /* owned; in the order they came */
	size_t n_chunks, cap_chunks;
	json_t *record;		/* owned; once done */
	json_t *compile_record; /* owned; of a compile stage */
	bool not_compiled;	/* it ended there */
	double created, started, ended;
	unsigned refs;		 /* requests and streams holding it */
	struct run *prev, *next; /* every run, newest first */
	struct run *queue_next;	 /* the queue */
	/* A session's cell is a run of its own kind (sessions.c): not in
	 * the table, its output the cell's, its record the cell's answer
	 * but for the streams. */
	struct session *session;
	unsigned cell_number;
	json_t *cell_value, *cell_error; /* owned */
	uint64_t out_bytes;
	bool truncated;
	bool orphan; /* its session let go: the last unref frees it */
};

struct stream;
struct ws;
struct route;
struct MHD_Connection;
struct MHD_Response;

/* A request, from its first call to its completion (front.c). */
struct request {
	struct MHD_Connection *conn;
	const struct route *route;
	char id[33]; /* the {id} of the path */
	char *path;  /* owned; the {path} of the path, or NULL */
	struct token *token;
	char *body; /* owned */
	size_t len;
	bool too_large;
	bool answered;
	bool suspended;
	bool want_wait;	   /* a run request that answers at the end */
	struct run **runs; /* owned array; refs held */
	size_t n_runs;
	bool batch;
	/* A request waiting on a session: resume looks again when
	 * something of it changed. */
	struct session *session;
	void (*resume)(struct request *rq);
	struct request *prev, *next; /* the suspended ones */
};

enum session_state {
	SESSION_STARTING,
	SESSION_IDLE,
	SESSION_BUSY,
	SESSION_ENDED
};

struct session {
	char id[33];  /* the client's: 128 random bits, hex */
	uint64_t num; /* the runner's name for its run */
	struct token *token;
	const struct served_profile *profile;
	enum session_state state;
	const char *ended_by; /* static */
	double created, last_active, ended;
	double idle_timeout, max_lifetime; /* seconds */
	unsigned cells;
	char python[32];
	struct wire_buf frames; /* owned; the agent's, not yet whole */
	uint8_t agent_err[2048];
	size_t agent_err_len;
	struct run *cell; /* the last cell, while the session holds it */
	bool cell_done;	  /* its 'd' came; its figures are asked */
	const char *cell_status;
	bool usage_known; /* usage_before came */
	struct wire_usage usage_before, usage_after;
	struct request *file_rq; /* the file operation in progress */
	const char *file_op;	 /* static: "put", "get", ... */
	uint64_t file_seq;	 /* its number, which its answer names */
	bool file_done;
	json_t *file_head; /* owned; its answer */
	uint8_t *file_data;
	size_t file_len;
	struct ws *pty;
	json_t *record; /* owned; once ended */
	struct session *prev, *next;
};

/* The front's lists (runs, waiting requests, streams) are doubly linked
 * through prev and next, newest first. */
#define LIST_PUSH(head, node)                                                  \
	do {                                                                   \
		(node)->prev = NULL;                                           \
		(node)->next = (head);                                         \
		if (head)                                                      \
			(head)->prev = (node);                                 \
		(head) = (node);                                               \
	} while (0)
#define LIST_REMOVE(head, node)                                                \
	do {                                                                   \
		if ((node)->prev)                                              \
			(node)->prev->next = (node)->next;                     \
		else                                                           \
			(head) = (node)->next;                                 \
		if ((node)->next)                                              \
			(node)->next->prev = (node)->prev;                     \
		(node)->prev = (node)->next = NULL;                            \
	} while (0)

struct front {
	struct serve_config *c;
	struct MHD_Daemon *d;
	int sock, ep, sigfd, tick;
	uint8_t *buf; /* owned; WIRE_MAX bytes */
	struct run *runs;
	struct run *queue_head, *queue_tail;
	size_t n_runs, queued, in_flight;
	uint64_t next_num;
	struct request *waiting; /* suspended until their runs end */
	struct stream *streams;
	bool draining, runner_gone;
	bool stopping; /* the loop is over: nothing may wait any more */
	double drain_deadline;
};
extern struct front F;

/* runs.c */
int random_id(char id[33]); /* 128 random bits, hex; 0 or -1 */
struct run *run_new(struct token *t, struct run_request *req);
/* A piece of r's output, its requests and streams woken; 0 or -ENOMEM. */
int run_add_chunk(struct run *r, int stream, const void *data, size_t len);
/* A run out of the table (a cell: out of its session) and all it holds. */
void run_free(struct run *r);
struct run *run_find(const char *id, const struct token *t);
void run_unref(struct run *r);
void run_enqueue(struct run *r);
void run_cancel(struct run *r);
void runs_pump(void);
void runs_expire(void);
void runs_on_runner(void);
json_t *run_json(struct run *r);
json_t *bytes_json(const uint8_t *p, size_t n, const char **encoding);

/* front.c: the daemon on addr (NULL with MHD_USE_NO_LISTEN_SOCKET in
 * flags: connections come by MHD_add_connection, as in fuzz/fuzz_http.c),
 * runs sent to sock; 0 or -1. */
struct sockaddr;
int front_init(struct serve_config *c, int sock, unsigned flags,
	       const struct sockaddr *addr);
/* front.c: the requests and streams waiting for r wake up. */
void wake_run(struct run *r);
/* front.c, for sessions.c and ws.c */
void answer_json(struct request *rq, unsigned status, json_t *j);
void answer_error(struct request *rq, unsigned status, const char *field,
		  const char *message, const char *retry_after);
void answer_bytes(struct request *rq, unsigned status, const char *type,
		  const void *data, size_t len);
void send_response(struct request *rq, unsigned status,
		   struct MHD_Response *resp);
void request_suspend(struct request *rq);
void request_resume(struct request *rq);
void request_wait_runs(struct request *rq);
void stream_run(struct request *rq, struct run *r);
/* front.c: a descriptor of ws.c's in the loop (op EPOLL_CTL_ADD, _MOD,
 * _DEL); 0 or -errno */
int front_watch(int fd, int op, uint32_t events);

/* sessions.c: the routes, and the front's hooks */
void post_sessions(struct request *rq);
void get_sessions(struct request *rq);
void get_session(struct request *rq);
void delete_session(struct request *rq);
void post_exec(struct request *rq);
void post_interrupt(struct request *rq);
void put_file(struct request *rq);
void get_file(struct request *rq);
void delete_file(struct request *rq);
void list_files(struct request *rq);
void get_pty(struct request *rq);
struct session *session_find(const char *id, const struct token *t);
json_t *session_json(const struct session *s);
bool sessions_on_runner(const struct wire_msg *m, const uint8_t *p, size_t n);
void sessions_tick(void);
void sessions_end_all(void);
size_t sessions_live(void);
void session_request_gone(struct request *rq);
void session_pty_open(struct session *s, struct ws *w);
void session_pty_input(struct session *s, const void *data, size_t len);
void session_pty_resize(struct session *s, unsigned rows, unsigned cols);
void session_pty_closed(struct session *s);

/* web.c */
void get_page(struct request *rq);

/* ws.c: a session's terminal over a WebSocket (RFC 6455, by wslay) */
void ws_upgrade(struct request *rq); /* the session its id names */
void ws_output(struct ws *w, const void *data, size_t len);
void ws_exit(struct ws *w, int status);
void ws_session_ended(struct ws *w);
bool ws_on_event(int fd, uint32_t events);
void ws_close_all(void);
void ws_tick(void); /* closing handshakes past their time */
/* The Sec-WebSocket-Accept of a key (28 characters and a NUL); false for
 * a key that is not 16 bytes in base64. */
bool ws_accept_key(const char *key, char out[29]);

/* metrics.c */
enum reject_reason {
	REJECT_QUEUE,
	REJECT_TOKEN,
	REJECT_RATE,
	REJECT_DRAINING,
	REJECT_COUNT
};
void metrics_run_done(json_t *record, double seconds);
void metrics_queue_wait(double seconds);
void metrics_rejected(enum reject_reason why);
void metrics_response(unsigned status);
char *metrics_text(void);

#endif
