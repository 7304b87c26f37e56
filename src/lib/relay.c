/* relay.c - the run's standard streams, between the caller and the sandbox.
 *
 * The program's fds 0, 1 and 2 are always ends of pipes the supervisor
 * made, never the caller's own descriptions.  Whatever the caller puts
 * there - the host's "/" by a careless "< /", an O_PATH fd, a socket to a
 * host service, its terminal, a file it owns - would otherwise be the
 * program's to fchdir into, getdents, connect through, fchmod or futimens,
 * and Landlock governs none of those.  The supervisor copies bytes; the
 * program holds nothing of the host.
 *
 * Nothing here ever blocks.  The sandbox's pipes are non-blocking; the
 * caller's descriptors are used without waiting: a socket by send and recv
 * with MSG_DONTWAIT, RWF_NOWAIT on each call where the kernel has it
 * (pipes), else a description of our own
 * opened through /proc/self/fd with O_NONBLOCK (terminals, FIFOs), else
 * (other devices) O_NONBLOCK on the caller's description for the run, put
 * back at the end.
 * Regular files never wait for a peer and are used as they are.  So a
 * reader that stops reading holds back only the sandbox, by its full pipe;
 * the timers, the CPU check, denials and signals go on. */
#define _GNU_SOURCE
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static void end_init(struct relay_end *e, int fd, bool caller)
{
	struct stat st;
	*e = (struct relay_end){
		.fd = fd, .caller = caller ? fd : -1, .restore = -1};
	/* A regular file or a block device answers at once (and a directory
	 * fails at once); everything else (pipe, socket, terminal, FIFO,
	 * other devices) may wait for a peer. */
	if (!caller || fd < 0)
		return;
	bool known = fstat(fd, &st) == 0;
	/* A socket is used with flags of each call, never the description's:
	 * another process or thread may share it (a caller's connection as
	 * stdout and stderr of several runs at once). */
	e->socket = known && S_ISSOCK(st.st_mode);
	e->fifo = known && S_ISFIFO(st.st_mode);
	e->nowait = !e->socket &&
		    (!known || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ||
				 S_ISDIR(st.st_mode)));
}

int relay_init(struct relay *r, int from_fd, int to_fd, int its_caller,
	       const struct relay_sink *sink)
{
	*r = (struct relay){.buf = malloc(RELAY_BUFFER)};
	if (sink)
		r->sink = *sink;
	end_init(&r->from, from_fd, its_caller == 0);
	end_init(&r->to, to_fd, its_caller == 1);
	return r->buf ? 0 : -ENOMEM;
}

bool relay_may_sigpipe(const struct relay *r)
{
	return r->to.caller >= 0 && r->to.fifo;
}

static void end_close(struct relay_end *e)
{
	if (e->restore >= 0)
		fcntl(e->caller, F_SETFL, e->restore);
	e->restore = -1;
	if (e->fd >= 0 && e->fd != e->caller)
		close(e->fd);
	e->fd = -1;
}

void relay_release(struct relay *r)
{
	end_close(&r->from);
	end_close(&r->to);
	free(r->buf);
	r->buf = NULL;
}

/* The kernel has no RWF_NOWAIT for this descriptor.  A terminal or a
 * FIFO is opened again, non-blocking, a description of our own; any other
 * device is not (opening some has effects: a tape rewinds when closed),
 * and neither is one that cannot be opened again: the caller's is made
 * non-blocking for the run.  False when neither can be had. */
static bool end_make_nonblocking(struct relay_end *e, bool out)
{
	struct stat st;
	e->nowait = false;
	if (fstat(e->caller, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || isatty(e->caller))) {
		char path[32];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", e->caller);
		int fd = open(path, (out ? O_WRONLY : O_RDONLY) | O_NONBLOCK |
					    O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			e->fd = fd;
			return true;
		}
	}
	int flags = fcntl(e->caller, F_GETFL);
	if (flags < 0 || fcntl(e->caller, F_SETFL, flags | O_NONBLOCK) < 0)
		return false;
	/* Already non-blocking (the caller's choice, or a stream sharing the
	 * description with this one): nothing of ours to undo. */
	if (!(flags & O_NONBLOCK))
		e->restore = flags;
	return true;
}

static ssize_t end_io(struct relay_end *e, void *buf, size_t len, bool out)
{
	for (;;) {
		struct iovec v = {.iov_base = buf, .iov_len = len};
		ssize_t n;
		if (e->socket)
			n = out ? send(e->fd, buf, len,
				       MSG_DONTWAIT | MSG_NOSIGNAL)
				: recv(e->fd, buf, len, MSG_DONTWAIT);
		else if (e->nowait)
			n = out ? pwritev2(e->fd, &v, 1, -1, RWF_NOWAIT)
				: preadv2(e->fd, &v, 1, -1, RWF_NOWAIT);
		else
			n = out ? write(e->fd, buf, len)
				: read(e->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		/* Only a descriptor that takes no file status flags fails
		 * both (O_PATH), and it takes no I/O either. */
		if (n < 0 && errno == EOPNOTSUPP && e->nowait &&
		    end_make_nonblocking(e, out))
			continue;
		return n;
	}
}

bool relay_done(const struct relay *r)
{
	return r->stopped || (r->eof && r->len == 0);
}

/* Our end of the sandbox's pipe goes as soon as the relay is done: the
 * program then sees the end of its input, or EPIPE when it writes to a
 * stream nobody reads any more, as in any pipeline. */
static void finish(struct relay *r)
{
	if (!relay_done(r))
		return;
	struct relay_end *ours = r->from.caller < 0 ? &r->from : &r->to;
	end_close(ours);
}

void relay_stop(struct relay *r)
{
	r->dropped += r->len;
	r->len = 0;
	r->stopped = true;
	finish(r);
}

void relay_poll(const struct relay *r, struct pollfd pfd[2])
{
	bool reading = !relay_done(r) && !r->eof && r->len == 0;
	pfd[0] = (struct pollfd){.fd = reading ? r->from.fd : -1,
				 .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = !relay_done(r) && r->len ? r->to.fd : -1,
				 .events = POLLOUT};
	/* A sink takes everything at once (relay_step): no "to" to wait. */
}

bool relay_step(struct relay *r, const struct pollfd pfd[2], uint64_t *budget)
{
	bool within = true;
	if (pfd[0].fd >= 0 && pfd[0].revents) {
		ssize_t n = end_io(&r->from, r->buf, RELAY_BUFFER, false);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			/* The end, or a source that cannot be read at all
			 * (a directory, an O_PATH fd): the same to the
			 * program, an input that ends. */
			r->eof = true;
		} else if (n > 0) {
			/* Past the budget the bytes are thrown away uncounted:
			 * the run is being killed for them. */
			r->head = 0;
			r->len = (size_t)n;
			if (budget && (uint64_t)n > *budget) {
				within = false;
				r->len = (size_t)*budget;
			}
			if (budget)
				*budget -= r->len;
			r->bytes += r->len;
		}
	}
	if (r->sink.fn && r->len) {
		int refused =
			r->sink.fn(r->sink.ctx, r->sink.stream, r->buf, r->len);
		r->len = 0;
		if (refused) {
			r->broken = true;
			relay_stop(r);
		}
	}
	if (pfd[1].fd >= 0 && pfd[1].revents && r->len) {
		ssize_t n = end_io(&r->to, r->buf + r->head, r->len, true);
		if (n > 0) {
			r->head += (size_t)n;
			r->len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			/* EPIPE, or a destination that takes no bytes (a
			 * directory, an O_PATH fd, a full disk). */
			r->broken = true;
			relay_stop(r);
		}
	}
	finish(r);
	return within;
}
