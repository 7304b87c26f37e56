/* fuzz_ws - libFuzzer harness for a session's terminal over a WebSocket
 * (src/serve/ws.c): each input is, after three bytes that set the scene,
 * what a client sends once the upgrade is answered, read by wslay and
 * handled by ws.c (terminal input, resize messages, the 1008 close, the
 * bound on what is queued for the client).  ws.c is compiled in, for its
 * upgrade callback and its list of sockets; what it calls outside itself
 * (the session, the front's loop, libmicrohttpd) is played here, and each
 * of those checks what ws.c hands it: a wrong call aborts.
 *
 * The input:
 *   [0] the scene: bits 0-2 the session (0-4 live, 5 gone since the
 *       answer, 6 ended, 7 another terminal open); bits 3-4 how it ends
 *       (the client hangs up, the terminal exits, the session ends, the
 *       server stops); bit 5 the client reads what it is sent; bit 6 the
 *       headers come from the input; bit 7 the loop refuses the socket
 *   [1] the session's output: bits 0-3 small pieces while the client
 *       writes, bit 4 nine megabytes at once, unread (past the bound),
 *       bits 5-7 the exit status
 *   [2] how much of the rest libmicrohttpd read past the headers (n/255)
 *   with bit 6: Upgrade, Connection, Sec-WebSocket-Version and
 *       Sec-WebSocket-Key, each ended by a NUL (empty: absent)
 *   the rest: the client's bytes.
 *
 *   make fuzz            builds build-fuzz/fuzz_ws and runs it briefly
 */
#include "../src/serve/ws.c"

#include <poll.h>
#include <unistd.h>

#define PIECE (64 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { END_HANGUP, END_EXIT, END_SESSION, END_STOP };

static struct {
	struct session s;
	struct token token;
	struct ws other; /* the terminal already open, in scene 7 */
	bool gone;	 /* session_find does not find it */
	bool ended;	 /* ws_session_ended was called: nothing more to it */
	bool watch_fails;
	/* libmicrohttpd's side */
	MHD_UpgradeHandler handler;
	void *handler_cls;
	unsigned status; /* the answer */
	char accept[29]; /* its Sec-WebSocket-Accept */
	const char *headers[4];
	int sock;	  /* ws.c's end; closed by MHD_upgrade_action */
	unsigned closes;  /* MHD_UPGRADE_ACTION_CLOSE */
	uint32_t watched; /* in the loop's epoll set: what it asked */
	bool registered;
} T;

static struct MHD_Connection *const conn = (struct MHD_Connection *)&T;
static struct MHD_Response *const response = (struct MHD_Response *)&T.s;
static struct MHD_UpgradeResponseHandle *const urh =
	(struct MHD_UpgradeResponseHandle *)&T.token;

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ws: %s\n", what);
		abort();
	}
}

static bool is_ours(const struct ws *w)
{
	for (const struct ws *v = all; v; v = v->next)
		if (v == w)
			return true;
	return false;
}

/* ---- the session (sessions.c) ------------------------------------------ */

struct session *session_find(const char *id, const struct token *t)
{
	check(!memcmp(id, T.s.id, 33) && t == &T.token,
	      "session_find: not the id and token of the upgrade");
	return T.gone ? NULL : &T.s;
}

void session_pty_open(struct session *s, struct ws *w)
{
	check(s == &T.s && !s->pty && s->state != SESSION_ENDED && is_ours(w),
	      "session_pty_open: not a live session without a terminal");
	s->pty = w;
}

static void check_told(const struct session *s, const char *what)
{
	check(s == &T.s && s->pty && s->pty != &T.other && is_ours(s->pty) &&
		      !T.ended,
	      what);
}

void session_pty_input(struct session *s, const void *data, size_t len)
{
	check_told(s, "session_pty_input: a session without this terminal");
	check(len > 0 && len <= WS_MSG_MAX, "session_pty_input: its length");
	const volatile uint8_t *p = data;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum ^= p[i];
	(void)sum;
}

void session_pty_resize(struct session *s, unsigned rows, unsigned cols)
{
	check_told(s, "session_pty_resize: a session without this terminal");
	check(rows >= 1 && rows <= 1000 && cols >= 1 && cols <= 1000,
	      "session_pty_resize: rows or cols out of 1..1000");
}

void session_pty_closed(struct session *s)
{
	check_told(s, "session_pty_closed: a terminal the session was never "
		      "given, or told twice");
	s->pty = NULL;
}

/* ---- the front (front.c) ----------------------------------------------- */

/* As epoll_ctl would answer front.c's calls. */
/* The front's clock, which the harness moves. */
static double clock_now;

double now_seconds(void)
{
	return clock_now;
}

int front_watch(int fd, int op, uint32_t events)
{
	check(fd == T.sock, "front_watch: not the upgraded socket");
	check(op == EPOLL_CTL_DEL || events, "front_watch: no events");
	if (op == EPOLL_CTL_DEL) {
		if (!T.registered)
			return -ENOENT;
		T.registered = false;
		T.watched = 0;
		return 0;
	}
	if (T.watch_fails) {
		T.watch_fails = false;
		return -ENOMEM;
	}
	if (op == EPOLL_CTL_ADD && T.registered)
		return -EEXIST;
	if (op == EPOLL_CTL_MOD && !T.registered)
		return -ENOENT;
	T.registered = true;
	T.watched = events;
	return 0;
}

void answer_error(struct request *rq, unsigned status, const char *field,
		  const char *message, const char *retry_after)
{
	(void)field;
	(void)retry_after;
	check(rq->conn == conn && !T.status && message,
	      "answer_error: a second answer");
	check(status == 400 || status == 500, "answer_error: its status");
	T.status = status;
}

void send_response(struct request *rq, unsigned status,
		   struct MHD_Response *resp)
{
	check(rq->conn == conn && !T.status && status == 101 &&
		      resp == response && T.handler && T.accept[0],
	      "send_response: not the 101 of the upgrade");
	T.status = status;
}

/* ---- libmicrohttpd ----------------------------------------------------- */

const char *MHD_lookup_connection_value(struct MHD_Connection *connection,
					enum MHD_ValueKind kind,
					const char *key)
{
	static const char *const names[4] = {"Upgrade", "Connection",
					     "Sec-WebSocket-Version",
					     "Sec-WebSocket-Key"};
	check(connection == conn && kind == MHD_HEADER_KIND,
	      "MHD_lookup_connection_value: not a header of the request");
	for (int i = 0; i < 4; i++)
		if (!strcmp(key, names[i]))
			return T.headers[i];
	return NULL;
}

struct MHD_Response *MHD_create_response_for_upgrade(MHD_UpgradeHandler h,
						     void *cls)
{
	check(h && !T.handler, "MHD_create_response_for_upgrade: twice");
	T.handler = h;
	T.handler_cls = cls;
	return response;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *resp,
					const char *header, const char *content)
{
	check(resp == response, "MHD_add_response_header: not the response");
	if (!strcmp(header, "Sec-WebSocket-Accept")) {
		check(strlen(content) == 28, "the accept key's length");
		memcpy(T.accept, content, 29);
	}
	return MHD_YES;
}

enum MHD_Result MHD_upgrade_action(struct MHD_UpgradeResponseHandle *h,
				   enum MHD_UpgradeAction action, ...)
{
	check(h == urh && action == MHD_UPGRADE_ACTION_CLOSE && !T.closes,
	      "MHD_upgrade_action: not one close of the upgraded socket");
	check(!T.registered, "the socket is closed while the loop watches it");
	T.closes++;
	close(T.sock);
	return MHD_YES;
}

/* ---- the handshake ----------------------------------------------------- */

/* RFC 6455's example (section 1.3), in a build that may drop asserts. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char out[29];
	check(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out) &&
		      !strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
	      "ws_accept_key: not RFC 6455's answer to its example");
	return 0;
}

/* 16 bytes in base64, said otherwise than ws_accept_key says it. */
static bool key_valid(const char *key)
{
	if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return false;
	for (int i = 0; i < 22; i++)
		if (!memchr(b64, key[i], 64))
			return false;
	/* the last character holds 2 bits: the other 4 must be 0 */
	return ((const char *)memchr(b64, key[21], 64) - b64) % 16 == 0;
}

static void check_key(const char *key)
{
	char out[29] = "";
	bool ok = ws_accept_key(key, out);
	check(ok == key_valid(key), "ws_accept_key: took a bad key, or "
				    "refused a good one");
	if (ok)
		check(strlen(out) == 28 && strspn(out, b64) == 27 &&
			      out[27] == '=',
		      "ws_accept_key: not 20 bytes in base64");
}

/* ---- the client and the loop ------------------------------------------- */

static int peer = -1;
static bool peer_reads;

/* One turn of the loop: ws.c's socket if it is ready for what it asked
 * (and for a hang-up, which epoll reports unasked); the client reads.
 * False when nothing happened. */
static bool turn(void)
{
	bool moved = false;
	if (peer >= 0 && peer_reads) {
		char sink[65536];
		while (read(peer, sink, sizeof(sink)) > 0)
			moved = true;
	}
	if (!all)
		return false;
	struct pollfd p = {T.sock, (short)T.watched, 0};
	if (!T.registered || poll(&p, 1, 0) <= 0)
		return moved;
	ws_on_event(T.sock, (uint32_t)p.revents);
	return true;
}

static void run_until_quiet(void)
{
	for (int i = 0; i < 64 && turn(); i++)
		;
}

/* The terminal's output, as sessions.c sends it: while it has one. */
static void output(size_t len)
{
	static const uint8_t bytes[PIECE];
	if (T.s.pty && T.s.pty != &T.other)
		ws_output(T.s.pty, bytes, len);
}

/* Upgrade, Connection, Version, Key: from the input, or good ones. */
static size_t headers(const uint8_t *data, size_t size, bool from_input,
		      char **owned)
{
	static const char *const good[4] = {"websocket", "keep-alive, Upgrade",
					    "13", "dGhlIHNhbXBsZSBub25jZQ=="};
	if (!from_input) {
		memcpy(T.headers, good, sizeof(good));
		return 0;
	}
	char *text = *owned = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	size_t off = 0;
	for (int i = 0; i < 4; i++) {
		if (off >= size) {
			T.headers[i] = NULL;
			continue;
		}
		T.headers[i] = text[off] ? text + off : NULL;
		off += strlen(text + off) + 1;
	}
	return off < size ? off : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t scene = data[0], out = data[1], split = data[2];
	data += 3;
	size -= 3;

	memset(&T, 0, sizeof(T));
	clock_now = 1000;
	T.sock = -1;
	memcpy(T.s.id, "0123456789abcdef0123456789abcdef", 33);
	T.s.token = &T.token;
	T.s.state = SESSION_IDLE;
	switch (scene & 7) {
	case 5:
		T.gone = true;
		break;
	case 6:
		T.s.state = SESSION_ENDED;
		break;
	case 7:
		T.s.pty = &T.other;
		break;
	}
	int end = scene >> 3 & 3;
	peer_reads = scene & 0x20;
	T.watch_fails = scene & 0x80;

	char *owned = NULL;
	size_t used = headers(data, size, scene & 0x40, &owned);
	data += used;
	size -= used;
	check_key(T.headers[3]);

	struct request rq = {.conn = conn, .token = &T.token};
	memcpy(rq.id, T.s.id, sizeof(rq.id));
	ws_upgrade(&rq);
	free(owned);
	if (T.status != 101) {
		check(!T.handler && T.status, "a refused upgrade, unanswered");
		return 0;
	}
	check(!strcmp(T.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") ||
		      (scene & 0x40),
	      "the 101's accept key");

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	T.sock = sv[0];
	peer = sv[1];
	fcntl(peer, F_SETFL, O_NONBLOCK);
	size_t extra = size * split / 255;
	T.handler(T.handler_cls, conn, &rq, (const char *)data, extra, T.sock,
		  urh);
	if (!all)
		check(T.closes == 1, "a refused socket, not closed");

	/* The client writes the rest as the socket takes it; the terminal
	 * writes between. */
	const uint8_t *rest = data + extra;
	size_t left = size - extra;
	unsigned pieces = out & 15;
	for (int i = 0; i < 256 && all; i++) {
		bool moved = false;
		ssize_t n = left ? send(peer, rest, left, MSG_NOSIGNAL) : 0;
		if (n > 0) {
			rest += n;
			left -= (size_t)n;
			moved = true;
		}
		if (pieces) {
			output(1 + 97 * pieces);
			pieces--;
			moved = true;
		}
		if (!turn() && !moved)
			break;
	}
	if (out & 0x10)
		for (int i = 0; i < 144 && all; i++)
			output(PIECE);
	run_until_quiet();

	/* What sessions.c and front.c do when it ends. */
	if (all)
		switch (end) {
		case END_HANGUP: /* what it wrote is all */
			shutdown(peer, SHUT_WR);
			break;
		case END_EXIT:
			if (T.s.pty && T.s.pty != &T.other)
				ws_exit(T.s.pty, (out >> 5) - 1);
			break;
		case END_SESSION:
			T.s.state = SESSION_ENDED;
			if (T.s.pty && T.s.pty != &T.other) {
				struct ws *w = T.s.pty;
				T.s.pty = NULL; /* as session_ended does */
				T.ended = true;
				ws_session_ended(w);
			}
			break;
		case END_STOP:
			ws_close_all();
			break;
		}
	run_until_quiet();
	/* A client that never answers the close: the tick lets go of it. */
	if (split & 1) {
		clock_now += 60;
		ws_tick();
	}

	/* The client reads what is left and goes: ws.c must let go. */
	peer_reads = true;
	turn();
	close(peer);
	peer = -1;
	run_until_quiet();
	check(!all, "the client hung up, and ws.c holds on to its socket");
	check(T.closes == 1, "the socket, not closed once");
	if (scene % 8 == 7)
		check(T.s.pty == &T.other, "the other terminal, let go");
	else if (!T.ended && end != END_STOP)
		check(!T.s.pty, "the session, not told its terminal closed");
	return 0;
}
