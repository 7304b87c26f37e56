/* serve.h - stockade serve: the run service (docs/serve.md).
 *
 *   main.c     options and the config file, then the split: the runner
 *              keeps the process, the front is forked and drops privilege
 *   runner.c   the privileged half: the library, a fixed request table
 *   front.c    the unprivileged half: HTTP (libmicrohttpd), routes,
 *              admission, waiting and event streams
 *   runs.c     its table of runs and their queue; metrics.c its counters
 *   request.c  a request's JSON -> a job (the one function that validates)
 *   wire.c     the two halves' messages
 *   confine.c  the front's own sandbox
 *   auth.c     bearer tokens, hashed; sha256.c the hash
 */
#ifndef STK_SERVE_H
#define STK_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stockade.h"
#include "wire.h"

#define SERVE_MAX_PROFILES 32
/* The largest request body a config may allow. */
#define WIRE_BODY_CAP (64u << 20)

/* A profile the service serves: its policy as the runner applies it
 * (the profile tightened by the server's maxima), and whether requests
 * may ask for its network. */
struct served_profile {
	char name[64];
	char *description; /* owned */
	/* owned, sealed: [network on]; sessions (sessions.c) have theirs,
	 * with the wall time of session-lifetime-max and no output limit
	 * (the front cuts each cell's answer) */
	struct stk_policy *policy[2], *session_policy[2];
	bool network_allowed;
	bool sessions; /* its interpreter is CPython: the agent can run */
	char **argv;   /* owned; the profile's command (its run stage's) */
};

struct token {
	char name[64];
	uint8_t hash[32];     /* sha256 of the secret */
	unsigned concurrency; /* runs queued or in flight; 0: the server's */
	double rate, burst;   /* requests per second; 0: no limit */
	char profiles[256];   /* comma-separated allowlist; "": all */
	/* the front's state */
	unsigned active;
	unsigned sessions; /* live */
	double tokens_left;
	double refilled_at;
};

struct serve_config {
	char listen[128];
	unsigned workers; /* runs in flight at once */
	unsigned queue;	  /* runs waiting beyond those */
	char user[64];	  /* the front's user when started as root */
	uid_t uid;
	gid_t gid;
	char tokens_file[256];
	char web[256];	      /* the playground's directory; "": the default */
	struct token *tokens; /* owned */
	size_t n_tokens;
	char cors[1024]; /* allowed origins, comma-separated */
	uint64_t max_body;
	unsigned max_files;
	unsigned max_path;
	unsigned max_batch;
	unsigned max_connections;
	unsigned connection_timeout; /* seconds */
	unsigned drain_timeout;	     /* seconds */
	unsigned result_ttl;	     /* seconds */
	unsigned max_results;
	unsigned max_sessions;	       /* at once, in the whole service */
	unsigned sessions_per_token;   /* at once, per token */
	unsigned session_idle_max;     /* seconds */
	unsigned session_lifetime_max; /* seconds */
	bool best_effort_confine;
	bool allow_insecure_listen; /* no tokens on a non-loopback address */
	uint64_t maxima[STK_LIMIT_COUNT]; /* 0: none beyond the profile's */
	struct served_profile profiles[SERVE_MAX_PROFILES];
	size_t n_profiles;
};

int config_defaults(struct serve_config *c);
int config_load(struct serve_config *c, const char *path);
int config_set(struct serve_config *c, const char *key, const char *value);
int config_finish(struct serve_config *c);
void config_release(struct serve_config *c);
struct sockaddr_storage;
int parse_listen(const char *text, struct sockaddr_storage *ss, bool *loopback);
const struct served_profile *config_profile(const struct serve_config *c,
					    const char *name);

int runner_main(struct serve_config *c, int sock, pid_t front);
int front_main(struct serve_config *c, int sock);
/* web.c: the playground's files, read from dir (index.html and
 * assets/) before the split; 0, or -1 when they cannot be read. */
int web_load(const char *dir, bool required);
int confine_front(const struct serve_config *c, char *why, size_t size);

/* request.c */
struct request_error {
	int status; /* HTTP: 400, 403, 413 */
	char field[96];
	char message[256];
};
struct run_request {
	const struct served_profile *profile;
	struct wire_buf job; /* owned */
};
typedef struct json_t json_t;
json_t *request_load(const char *body, size_t len, struct request_error *e);
int request_from_json(const struct serve_config *c, const struct token *t,
		      json_t *root, const char *prefix, struct run_request *out,
		      struct request_error *e);
/* Fills *e (status, field, message); returns -1. */
__attribute__((format(printf, 4, 5))) int request_bad(struct request_error *e,
						      int status,
						      const char *field,
						      const char *fmt, ...);
int request_check_path(const char *path, size_t len, unsigned max,
		       const char *field, struct request_error *e);
int request_duration(json_t *v, const char *field, uint64_t *ns,
		     struct request_error *e);
size_t request_limit_count(void);
const char *request_limit_key(size_t i, enum stk_limit *which);

/* auth.c */
void sha256(const void *data, size_t len, uint8_t out[32]);
int tokens_load(struct serve_config *c, const char *path);
struct token *token_find(struct serve_config *c, const char *secret);

/* Errors of the service, in the library's shape. */
__attribute__((format(printf, 4, 5))) int serve_error(struct stk_error **err,
						      int errnum,
						      const char *step,
						      const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void serve_log(const char *fmt, ...);

double now_seconds(void);

#endif
