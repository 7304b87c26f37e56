/* NET-02 host-localhost: the host's loopback services - the canary's TCP
 * listeners on 127.0.0.1 and ::1, its UDP "DNS server", the docker API
 * ports 2375 and 2376, other 127/8 addresses - and the listener's socket
 * the harness leaks into stockade (C-FD).  The run allows the network
 * group: the sockets open, and the sandbox's own lo answers - nobody
 * listens there (ECONNREFUSED) - while the host's listeners count nothing
 * (H3).  The cloud metadata address and the host's own address are left
 * out: only loopback and the reserved documentation addresses may be
 * used here.  Every fd above 2 must be closed (EBADF): a leaked socket
 * would be the way to the host. */
#include "attack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

static void tcp(const char *name, int family, const char *ip, int port)
{
	int s = socket(family, SOCK_STREAM, 0);
	if (s < 0) {
		report(name, -1, errno);
		return;
	}
	struct sockaddr_storage st = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&st;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, ip, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&st;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		len = sizeof(*a);
	}
	if (TRY(name, connect(s, (struct sockaddr *)&st, len)) == 0) {
		/* ours, or the host's: say which by what answers */
		if (write(s, "net02\n", 6) < 0)
			note("write: %s", strerror(errno));
	}
	close(s);
}

int main(void)
{
	int port = atoi(canary("TCP_PORT"));
	int udp_port = atoi(canary("UDP_PORT"));
	if (!port || !udp_port) {
		note("no CANARY_TCP_PORT or CANARY_UDP_PORT");
		return 1;
	}
	tcp("payoff-tcp4-canary", AF_INET, "127.0.0.1", port);
	tcp("payoff-tcp6-canary", AF_INET6, "::1", port);
	tcp("payoff-tcp4-canary-127.0.1.1", AF_INET, "127.0.1.1", port);
	tcp("payoff-tcp6-v4mapped-canary", AF_INET6, "::ffff:127.0.0.1", port);
	tcp("payoff-tcp4-docker-2375", AF_INET, "127.0.0.1", 2375);
	tcp("payoff-tcp4-docker-2376", AF_INET, "127.0.0.1", 2376);

	/* UDP: a datagram to the DNS canary goes out on the sandbox's lo;
	 * the answer is an ICMP port unreachable, so the next call on the
	 * connected socket fails */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(udp_port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	TRY("udp-connect-dns-canary",
	    connect(u, (struct sockaddr *)&a, sizeof(a)));
	TRY("udp-send-dns-canary", send(u, "\x12\x34\x01\x00", 4, 0));
	char buf[64];
	struct timeval tv = {.tv_sec = 1}; /* the host's canary never answers */
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	TRY("payoff-udp-answer-dns-canary", recv(u, buf, sizeof(buf), 0));
	close(u);

	/* the caller's leaked fds (the harness leaks a socket connected to
	 * the canary listener): all closed */
	int open_fds = 0;
	for (int fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			char name[64];
			snprintf(name, sizeof(name), "payoff-fd%d-open", fd);
			report(name, 0, 0);
			open_fds++;
		}
	if (!open_fds)
		report("fds-above-2", -1, EBADF);
	done();
	return 0;
}
