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
};

struct request;
struct stream;

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
struct run *run_new(struct token *t, struct run_request *req);
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
