/* relay.h - the run's standard streams, copied between the caller's
 * descriptors and the sandbox's pipes by the supervisor. */
#ifndef STK_RELAY_H
#define STK_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One side of a relay: a descriptor and how to use it without blocking. */
struct relay_end {
	int fd;	     /* the one to use: the caller's (borrowed), or ours
		      * (owned: our pipe, or the caller's reopened) */
	int caller;  /* the caller's descriptor, or -1 for our own pipe */
	int restore; /* file status flags to put back at the end, or -1 */
	bool nowait; /* each call asks RWF_NOWAIT */
	bool socket; /* each call is send/recv with MSG_DONTWAIT */
	bool fifo;   /* a write may raise SIGPIPE */
};

/* Where a relay can deliver instead of a descriptor: the caller's
 * function (stk_job_set_output). */
struct relay_sink {
	int (*fn)(void *ctx, int stream, const void *data, size_t len);
	void *ctx;
	int stream;
};

/* One direction: the sandbox's stdout or stderr to the caller, or the
 * caller's stdin to the sandbox. */
struct relay {
	struct relay_end from, to;
	struct relay_sink sink; /* fn NULL: "to" is a descriptor */
	char *buf;		/* owned; RELAY_BUFFER bytes */
	size_t head, len;
	uint64_t bytes;	  /* taken from "from", within the budget */
	uint64_t dropped; /* of those, never delivered */
	bool eof;	  /* "from" has ended */
	bool broken;	  /* "to" refused a write: the rest is dropped */
	bool stopped;	  /* ended where it was (relay_stop) */
};

#define RELAY_BUFFER (64 * 1024)

/* A relay that holds nothing yet: relay_release does nothing to it. */
#define RELAY_NONE                                                             \
	{                                                                      \
		.from = {.fd = -1, .caller = -1, .restore = -1},               \
		.to = {.fd = -1, .caller = -1, .restore = -1},                 \
	}

/* from_fd and to_fd: exactly one is the caller's (its_caller says which:
 * 0 from, 1 to); the other is the supervisor's end of a sandbox pipe,
 * non-blocking.  With sink, to_fd is -1 and the bytes go to sink->fn.
 * Returns -ENOMEM. */
int relay_init(struct relay *r, int from_fd, int to_fd, int its_caller,
	       const struct relay_sink *sink);
/* A write to the caller may raise SIGPIPE (a pipe or FIFO of its). */
bool relay_may_sigpipe(const struct relay *r);
/* Puts the caller's descriptor back as it was, closes both ends (the
 * sandbox's pipe too) and frees the buffer; safe to call twice. */
void relay_release(struct relay *r);
/* Nothing more to move: the source ended and all is delivered, or the
 * destination refused. */
bool relay_done(const struct relay *r);
/* The two poll entries of r: [0] "from", [1] "to"; fd -1 when unwatched. */
void relay_poll(const struct relay *r, struct pollfd pfd[2]);
/* Moves what poll said can move.  budget (or NULL: none) is what may
 * still be taken from "from"; beyond it the bytes are read and thrown
 * away, and false is returned: the output limit was reached. */
bool relay_step(struct relay *r, const struct pollfd pfd[2], uint64_t *budget);
/* Stops the relay where it is: what is buffered counts as dropped, and
 * "to" (for the sandbox's stdin, its end of input) is closed. */
void relay_stop(struct relay *r);

#endif
