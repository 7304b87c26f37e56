/* fuzz_http - libFuzzer harness for the service's HTTP path: each input is
 * what a client sends on one connection, fed to the front's own
 * libmicrohttpd daemon (its routes, auth, body handling, run table, event
 * streams) through a socketpair.  The harness plays the runner: it answers
 * each job with a piece of output and a record, so that runs end and
 * their answers and streams are written too.
 *
 *   make fuzz            builds build-fuzz/fuzz_http and runs it briefly
 */
#include "front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct serve_config config;
static int runner_end = -1;
static uint8_t msg[WIRE_MAX];

static void setup(void)
{
	config_defaults(&config);
	config.workers = 2;
	config.queue = 4;
	config.max_body = 64 * 1024;
	if (config_finish(&config) < 0)
		abort();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	runner_end = sv[0];
	if (front_init(&config, sv[1], MHD_USE_NO_LISTEN_SOCKET, NULL) < 0)
		abort();
}

/* The runner's side: each job gets "hi\n" on stdout and an ok record. */
static void play_runner(void)
{
	static const char record[] =
		"{\"record_version\":1,\"verdict\":\"ok\",\"exit_code\":0,"
		"\"cpu\":{\"user_seconds\":0.001,\"system_seconds\":0.001},"
		"\"memory\":{\"peak_bytes\":1048576}}";
	for (;;) {
		struct wire_msg m;
		int fd;
		ssize_t n = wire_recv(runner_end, &m, msg, &fd);
		if (fd >= 0)
			close(fd);
		if (n < 0 || m.type == 0)
			return;
		if (m.type != WIRE_RUN)
			continue;
		struct wire_msg out = {WIRE_OUTPUT, 1, m.id};
		wire_send(runner_end, &out, "hi\n", 3, -1);
		struct wire_msg done = {WIRE_DONE, 0, m.id};
		wire_send(runner_end, &done, record, sizeof(record) - 1, -1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (runner_end < 0)
		setup();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	struct sockaddr_in peer = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (MHD_add_connection(F.d, sv[0], (struct sockaddr *)&peer,
			       sizeof(peer)) != MHD_YES) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	size_t sent = 0;
	char sink[65536];
	/* Write the input as the daemon reads it, then half-close; run the
	 * daemon and the runner until the daemon closes its end. */
	for (int turn = 0; turn < 200; turn++) {
		if (sent < size) {
			ssize_t n = write(sv[1], data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
			if (sent == size)
				shutdown(sv[1], SHUT_WR);
		} else if (size == 0 && turn == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		MHD_run(F.d);
		play_runner();
		runs_on_runner();
		ssize_t got = read(sv[1], sink, sizeof(sink));
		if (got == 0)
			break;
	}
	close(sv[1]);
	MHD_run(F.d);
	runs_expire();
	return 0;
}
