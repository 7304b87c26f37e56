/* ws.c - a session's terminal over a WebSocket (docs/api.md, "GET
 * /v1/sessions/{id}/pty").
 *
 * libmicrohttpd answers the upgrade (101) and hands over the socket;
 * wslay frames what goes over it, non-blocking, from the front's loop.
 * Client messages are the terminal's input, except text that is a JSON
 * control message (resize); the terminal's output goes out as binary
 * messages, its end as a text message, then a close.  What the server
 * queues for a client that does not read is bounded: past it the
 * terminal is closed (1008), not the front's memory spent.
 */
#define _GNU_SOURCE
#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <wslay/wslay.h>

#define WS_MSG_MAX (1u << 20)	/* a client message */
#define WS_QUEUE_MAX (8u << 20) /* output queued for a client */
#define CLOSE_WAIT 5		/* seconds for a closing handshake */

struct ws {
	int fd;
	struct MHD_UpgradeResponseHandle *urh;
	wslay_event_context_ptr ctx;
	struct session *session; /* NULL once it let go */
	uint8_t *extra;		 /* owned; what MHD read past the headers */
	size_t extra_len, extra_off;
	uint32_t watching;    /* the epoll events asked */
	uint16_t close_after; /* a close to send once the output is out
			       * (wslay sends control frames first) */
	double detached;      /* when the session let go, or 0 */
	struct ws *prev, *next;
};

static struct ws *all;

/* ---- the handshake ----------------------------------------------------- */

/* SHA-1 (FIPS 180-4), only for the handshake's accept key: RFC 6455
 * names it, and nothing secret depends on it. */
static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1(const uint8_t *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
			 0xc3d2e1f0};
	size_t total = (len + 9 + 63) / 64 * 64;
	for (size_t off = 0; off < total; off += 64) {
		uint8_t block[64];
		for (size_t i = 0; i < 64; i++) {
			size_t at = off + i;
			block[i] = at < len    ? data[at]
				   : at == len ? 0x80
				   : at >= total - 8
					   ? (uint8_t)((uint64_t)len * 8 >>
						       (8 * (total - 1 - at)))
					   : 0;
		}
		uint32_t w[80];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)block[4 * i] << 24 |
			       (uint32_t)block[4 * i + 1] << 16 |
			       (uint32_t)block[4 * i + 2] << 8 |
			       block[4 * i + 3];
		for (int i = 16; i < 80; i++)
			w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16],
				   1);
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
		for (int i = 0; i < 80; i++) {
			uint32_t f, k;
			if (i < 20) {
				f = (b & c) | (~b & d);
				k = 0x5a827999;
			} else if (i < 40) {
				f = b ^ c ^ d;
				k = 0x6ed9eba1;
			} else if (i < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8f1bbcdc;
			} else {
				f = b ^ c ^ d;
				k = 0xca62c1d6;
			}
			uint32_t t = rol(a, 5) + f + e + k + w[i];
			e = d;
			d = c;
			c = rol(b, 30);
			b = a;
			a = t;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool ws_accept_key(const char *key, char out[29])
{
	/* 16 bytes in base64: 22 characters and "==" */
	if (!key || strlen(key) != 24 || strcmp(key + 22, "==") ||
	    strspn(key, b64) != 22 || !strchr("AQgw", key[21]))
		return false;
	char text[24 + 36 + 1];
	snprintf(text, sizeof(text), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
		 key);
	uint8_t h[20];
	sha1((const uint8_t *)text, strlen(text), h);
	char *o = out;
	for (int i = 0; i < 21; i += 3) {
		uint32_t v = (uint32_t)h[i] << 16 |
			     (i + 1 < 20 ? (uint32_t)h[i + 1] << 8 : 0) |
			     (i + 2 < 20 ? h[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < 20 ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < 20 ? b64[v & 63] : '=';
	}
	*o = 0;
	return true;
}

/* ---- the loop's side --------------------------------------------------- */

static void ws_free(struct ws *w)
{
	if (w->session)
		session_pty_closed(w->session);
	LIST_REMOVE(all, w);
	front_watch(w->fd, EPOLL_CTL_DEL, 0);
	wslay_event_context_free(w->ctx);
	MHD_upgrade_action(w->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(w->extra);
	free(w);
}

/* What wslay wants next, asked of the loop; false when w is over (and
 * freed). */
static bool ws_update(struct ws *w)
{
	if (w->close_after && !wslay_event_get_queued_msg_count(w->ctx)) {
		wslay_event_queue_close(w->ctx, w->close_after, NULL, 0);
		w->close_after = 0;
		wslay_event_send(w->ctx);
	}
	uint32_t want = 0;
	if (wslay_event_want_read(w->ctx))
		want |= EPOLLIN;
	if (wslay_event_want_write(w->ctx))
		want |= EPOLLOUT;
	if (!want) {
		ws_free(w);
		return false;
	}
	if (want != w->watching && front_watch(w->fd, EPOLL_CTL_MOD, want) == 0)
		w->watching = want;
	return true;
}

static void ws_pump(struct ws *w, bool in, bool out)
{
	if ((in && wslay_event_recv(w->ctx) != 0) ||
	    (out && wslay_event_send(w->ctx) != 0)) {
		ws_free(w);
		return;
	}
	ws_update(w);
}

bool ws_on_event(int fd, uint32_t events)
{
	for (struct ws *w = all; w; w = w->next)
		if (w->fd == fd) {
			ws_pump(w, events & (EPOLLIN | EPOLLHUP | EPOLLERR),
				events & EPOLLOUT);
			return true;
		}
	return false;
}

static void detach(struct ws *w);

/* The client broke a rule: a close (1008), and nothing of it reaches the
 * terminal any more (wslay reads on until the close is answered). */
static void refuse(struct ws *w, const char *why)
{
	detach(w);
	wslay_event_queue_close(w->ctx, 1008, (const uint8_t *)why,
				strlen(why));
}

static void queue(struct ws *w, uint8_t opcode, const void *data, size_t len)
{
	struct wslay_event_msg m = {opcode, data, len};
	if (wslay_event_get_queued_msg_length(w->ctx) + len > WS_QUEUE_MAX) {
		refuse(w, "the output is not read");
		return;
	}
	wslay_event_queue_msg(w->ctx, &m);
}

void ws_output(struct ws *w, const void *data, size_t len)
{
	queue(w, WSLAY_BINARY_FRAME, data, len);
	ws_pump(w, false, true);
}

/* The session lets go of w: the terminal, or the session, ended, or the
 * client broke a rule.  The socket has CLOSE_WAIT seconds to finish the
 * closing handshake. */
static void detach(struct ws *w)
{
	if (w->session) {
		session_pty_closed(w->session);
		w->session = NULL;
	}
	if (!w->detached)
		w->detached = now_seconds();
}

void ws_tick(void)
{
	double now = now_seconds();
	for (struct ws *w = all, *next; w; w = next) {
		next = w->next;
		if (w->detached && now - w->detached > CLOSE_WAIT)
			ws_free(w); /* a client that never answers the close */
	}
}

void ws_exit(struct ws *w, int status)
{
	char text[64];
	int n = snprintf(text, sizeof(text),
			 "{\"type\":\"exit\",\"status\":%d}", status);
	detach(w);
	queue(w, WSLAY_TEXT_FRAME, text, (size_t)n);
	w->close_after = 1000;
	ws_pump(w, false, true);
}

void ws_session_ended(struct ws *w)
{
	w->session = NULL; /* its agent is gone: nothing to tell it */
	detach(w);
	const char *why = "the session ended";
	wslay_event_queue_close(w->ctx, 1001, (const uint8_t *)why,
				strlen(why));
	ws_pump(w, false, true);
}

void ws_close_all(void)
{
	while (all) {
		struct ws *w = all;
		w->session = NULL;
		wslay_event_queue_close(w->ctx, 1001, NULL, 0);
		wslay_event_send(w->ctx);
		ws_free(w);
	}
}

/* ---- wslay's callbacks ------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
		       int flags, void *user)
{
	(void)flags;
	struct ws *w = user;
	if (w->extra_off < w->extra_len) {
		size_t n = w->extra_len - w->extra_off;
		n = n < len ? n : len;
		memcpy(buf, w->extra + w->extra_off, n);
		w->extra_off += n;
		return (ssize_t)n;
	}
	ssize_t n = recv(w->fd, buf, len, MSG_DONTWAIT);
	if (n > 0)
		return n;
	wslay_event_set_error(ctx, n < 0 && (errno == EAGAIN || errno == EINTR)
					   ? WSLAY_ERR_WOULDBLOCK
					   : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data,
		       size_t len, int flags, void *user)
{
	(void)flags;
	struct ws *w = user;
	ssize_t n = send(w->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	wslay_event_set_error(ctx, errno == EAGAIN || errno == EINTR
					   ? WSLAY_ERR_WOULDBLOCK
					   : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

/* A control message: {"type": "resize", "cols": C, "rows": R}; false for
 * anything else. */
static bool control(struct ws *w, const uint8_t *p, size_t n)
{
	json_t *j =
		json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	json_t *cols = json_object_get(j, "cols"),
	       *rows = json_object_get(j, "rows");
	bool ok = type && !strcmp(type, "resize") && json_is_integer(cols) &&
		  json_is_integer(rows) && json_object_size(j) == 3 &&
		  json_integer_value(cols) >= 1 &&
		  json_integer_value(cols) <= 1000 &&
		  json_integer_value(rows) >= 1 &&
		  json_integer_value(rows) <= 1000;
	if (ok && w->session)
		session_pty_resize(w->session,
				   (unsigned)json_integer_value(rows),
				   (unsigned)json_integer_value(cols));
	json_decref(j);
	return ok;
}

static void on_message(wslay_event_context_ptr ctx,
		       const struct wslay_event_on_msg_recv_arg *arg,
		       void *user)
{
	(void)ctx;
	struct ws *w = user;
	if (arg->opcode == WSLAY_TEXT_FRAME && arg->msg_length &&
	    arg->msg[0] == '{') {
		if (!control(w, arg->msg, arg->msg_length))
			refuse(w, "not a control message");
		return;
	}
	if ((arg->opcode == WSLAY_TEXT_FRAME ||
	     arg->opcode == WSLAY_BINARY_FRAME) &&
	    w->session && arg->msg_length)
		session_pty_input(w->session, arg->msg, arg->msg_length);
}

/* ---- the upgrade ------------------------------------------------------- */

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *req_cls,
			const char *extra_in, size_t extra_in_size,
			MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	(void)conn;
	(void)cls;
	/* the request, still ours until the connection closes: its session
	 * looked up again, for it may have ended since the answer */
	struct request *rq = req_cls;
	struct session *s = session_find(rq->id, rq->token);
	static const struct wslay_event_callbacks cb = {
		.recv_callback = on_recv,
		.send_callback = on_send,
		.on_msg_recv_callback = on_message,
	};
	struct ws *w = calloc(1, sizeof(*w));
	if (!w || !s || s->state == SESSION_ENDED || s->pty ||
	    (extra_in_size && !(w->extra = malloc(extra_in_size))) ||
	    wslay_event_context_server_init(&w->ctx, &cb, w) != 0) {
		if (w)
			free(w->extra);
		free(w);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	if (extra_in_size)
		memcpy(w->extra, extra_in, extra_in_size);
	w->extra_len = extra_in_size;
	w->fd = sock;
	w->urh = urh;
	wslay_event_config_set_max_recv_msg_length(w->ctx, WS_MSG_MAX);
	LIST_PUSH(all, w);
	int flags = fcntl(sock, F_GETFL);
	if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    front_watch(sock, EPOLL_CTL_ADD, EPOLLIN) < 0) {
		ws_free(w); /* the session was never told of it */
		return;
	}
	w->watching = EPOLLIN;
	/* only now the session's: what frees it from here tells it */
	w->session = s;
	session_pty_open(s, w);
	ws_pump(w, extra_in_size > 0, false);
}

static bool header_has(struct request *rq, const char *name, const char *word)
{
	const char *v =
		MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
	size_t n = strlen(word);
	for (const char *p = v; p && *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len == n && !strncasecmp(p, word, n))
			return true;
		p += len;
	}
	return false;
}

void ws_upgrade(struct request *rq)
{
	const char *key = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						      "Sec-WebSocket-Key");
	const char *version = MHD_lookup_connection_value(
		rq->conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	char accept[29];
	if (!header_has(rq, "Upgrade", "websocket") ||
	    !header_has(rq, "Connection", "upgrade")) {
		answer_error(rq, 400, NULL,
			     "a WebSocket upgrade is expected here", NULL);
		return;
	}
	if (!version || strcmp(version, "13")) {
		answer_error(rq, 400, "Sec-WebSocket-Version",
			     "version 13 is the one served", NULL);
		return;
	}
	if (!ws_accept_key(key, accept)) {
		answer_error(rq, 400, "Sec-WebSocket-Key",
			     "not 16 bytes in base64", NULL);
		return;
	}
	struct MHD_Response *resp =
		MHD_create_response_for_upgrade(on_upgraded, NULL);
	if (!resp) {
		answer_error(rq, 500, NULL, "out of memory", NULL);
		return;
	}
	MHD_add_response_header(resp, "Upgrade", "websocket");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	send_response(rq, 101, resp);
}
