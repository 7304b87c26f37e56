/* wire.h - what the service's two processes say to each other.
 *
 * The front (HTTP and JSON, no privilege) and the runner (the library,
 * with whatever privilege the service was started with) share one
 * SOCK_SEQPACKET socketpair.  Each message is a struct wire_msg and a
 * payload, in one datagram; the table below is all the runner does for
 * the front.  A job travels as a sealed memfd (SCM_RIGHTS), so that the
 * front can neither change it while the runner reads it nor make the
 * runner read past its end; the runner decodes it with wire_job_decode
 * and hands each part to the library's setters, which validate it again.
 *
 *   front -> runner
 *     WIRE_RUN     id, fd: the job (a profile the runner serves, argv,
 *                  env, stdin, files, limits that may only tighten)
 *     WIRE_CANCEL  id: end that run (verdict "cancelled")
 *     WIRE_SESSION id, fd: a session's job (sessions.c): as WIRE_RUN, in
 *                  the profile's session policy, its stdin a pipe that
 *                  stays open for WIRE_INPUT
 *     WIRE_INPUT   id: bytes for a session's stdin (its agent's frames),
 *                  or fd: a sealed memfd of them
 *     WIRE_INTERRUPT id: SIGINT to a session's program
 *     WIRE_USAGE   id, arg 1: reset the peak after reading it: the
 *                  session's figures so far, answered by WIRE_USAGE_IS
 *   runner -> front
 *     WIRE_OUTPUT  id, arg 1 or 2: bytes the run wrote; 3: what its
 *                  compile stage wrote (the compiler's messages)
 *     WIRE_DONE    id, arg enum wire_done: a record, JSON (docs/record.md)
 *     WIRE_USAGE_IS id: a struct wire_usage
 *
 * A job of a profile with a compile stage ([compile], docs/profiles.md)
 * runs twice: the compiler in a sandbox of its own, with the job's files
 * and environment but not its command, input or limits; then, when it
 * succeeded, the job itself with the artifact among its files.
 */
#ifndef STK_SERVE_WIRE_H
#define STK_SERVE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stockade.h"

enum wire_type {
	WIRE_RUN = 1,
	WIRE_CANCEL = 2,
	WIRE_SESSION = 3,
	WIRE_INPUT = 4,
	WIRE_INTERRUPT = 5,
	WIRE_USAGE = 6,
	WIRE_OUTPUT = 16,
	WIRE_DONE = 17,
	WIRE_USAGE_IS = 18,
};

/* A session's figures (struct stk_usage, laid out for the wire). */
struct wire_usage {
	uint32_t cpu, memory; /* 1: the figure is known */
	uint64_t cpu_us, memory_bytes, memory_peak_bytes;
};
/* The most a session's stdin holds in the runner, not yet taken by its
 * agent, beside one body (a file): beyond it the session is ended. */
#define WIRE_INPUT_MAX (16u << 20)

enum wire_done {
	WIRE_DONE_RUN = 0,	    /* the run's record: the end */
	WIRE_DONE_COMPILED = 1,	    /* the compile stage's; the run follows */
	WIRE_DONE_NOT_COMPILED = 2, /* the compile stage's, which failed: the
				     * end */
};
#define WIRE_STREAM_COMPILE 3

struct wire_msg {
	uint32_t type; /* enum wire_type */
	uint32_t arg;  /* WIRE_OUTPUT: the stream */
	uint64_t id;   /* the run, the front's number */
};

/* The largest payload of one message; output comes in pieces of at
 * most WIRE_CHUNK. */
#define WIRE_MAX (256 * 1024)
#define WIRE_CHUNK (32 * 1024)
/* The largest job the runner reads. */
#define WIRE_JOB_MAX (64u * 1024 * 1024)

/* The parts of a job, each a tag, a length and as many bytes. */
enum wire_tag {
	WIRE_TAG_PROFILE = 1, /* name */
	WIRE_TAG_NETWORK,     /* one byte, 0 or 1 */
	WIRE_TAG_ARG,	      /* one argument of the command, in order */
	WIRE_TAG_ENV,	      /* NAME=VALUE */
	WIRE_TAG_STDIN,	      /* the program's whole input */
	WIRE_TAG_FILE,	      /* u32 mode, u32 path length, path, data */
	WIRE_TAG_LIMIT,	      /* u32 enum stk_limit, u64 value */
};

/* A job being written: a growing buffer. */
struct wire_buf {
	uint8_t *data; /* owned */
	size_t len, size;
	bool failed; /* out of memory: the job is unusable */
};

void wire_put(struct wire_buf *b, enum wire_tag tag, const void *data,
	      size_t len);
void wire_put_str(struct wire_buf *b, enum wire_tag tag, const char *s);
void wire_put_file(struct wire_buf *b, const char *path, unsigned mode,
		   const void *data, size_t len);
void wire_put_limit(struct wire_buf *b, enum stk_limit which, uint64_t value);
void wire_buf_append(struct wire_buf *b, const void *data, size_t len);
void wire_buf_release(struct wire_buf *b);

/* A decoded job: what the runner needs besides the stk_job. */
struct wire_job {
	char profile[64];
	bool network;
	bool has_command;		  /* the job names its command */
	struct stk_job *job;		  /* owned */
	uint64_t limits[STK_LIMIT_COUNT]; /* what it asks; 0: nothing */
};

/* Decodes len bytes into *out (job made here); -errno with *err naming
 * the part that is wrong.  Every string is checked for NUL and length,
 * and every part goes through the library's setter.  For a compile
 * stage, the command, input and limits are left out. */
int wire_job_decode(const uint8_t *data, size_t len, bool compile_stage,
		    struct wire_job *out, struct stk_error **err);
void wire_job_release(struct wire_job *job);

/* One message and its payload (and an fd, or -1) on a SEQPACKET socket;
 * 0 or -errno. */
int wire_send(int sock, const struct wire_msg *m, const void *payload,
	      size_t len, int fd);
/* The next message: its payload length (into buf, of WIRE_MAX bytes),
 * 0 at the peer's end (m->type 0), or -errno; *fd gets a passed fd or -1. */
ssize_t wire_recv(int sock, struct wire_msg *m, void *buf, int *fd);

/* A sealed memfd holding len bytes, or -errno. */
int wire_memfd(const void *data, size_t len);

#endif
