/* NET-01 egress: reach the world - TCP to port 443 and UDP to port 53 of
 * the reserved documentation addresses 192.0.2.1 and 2001:db8::1 (never a
 * real address), the same without a route through every socket option
 * that could pick an interface, and the resolvers of /etc/resolv.conf.
 * The run allows the network group (--allow network), so the sockets
 * open: what answers is the network namespace, which has lo alone and no
 * route (ENETUNREACH at once).  Its interfaces are listed and checked:
 * anything but lo prints ESCAPED.  (With the default policy the sockets
 * themselves are refused: NET-08.)  Multicast and broadcast sends are
 * left out: they would need addresses outside the two reserved ones. */
#include "attack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static void tcp4(const char *name, const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s < 0) {
		report(name, -1, errno);
		return;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	TRY(name, connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
}

static void tcp6(const char *name, const char *ip, int port)
{
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s < 0) {
		report(name, -1, errno);
		return;
	}
	struct sockaddr_in6 a = {.sin6_family = AF_INET6,
				 .sin6_port = htons(port)};
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	TRY(name, connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
}

int main(void)
{
	tcp4("tcp4-connect-192.0.2.1-443", "192.0.2.1", 443);
	tcp6("tcp6-connect-2001:db8::1-443", "2001:db8::1", 443);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	report("udp4-socket", u, errno);
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(53)};
	inet_pton(AF_INET, "192.0.2.1", &a4.sin_addr);
	static const char query[] =
		"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		"\x05net01\x07invalid\x00\x00\x01\x00\x01";
	TRY("udp4-sendto-192.0.2.1-53",
	    sendto(u, query, sizeof(query) - 1, 0, (struct sockaddr *)&a4,
		   sizeof(a4)));
	TRY("udp4-connect-192.0.2.1-53",
	    connect(u, (struct sockaddr *)&a4, sizeof(a4)));
	/* bound to a device: there is no device but lo */
	TRY("udp4-bindtodevice-eth0",
	    setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, "eth0", 5));
	/* "don't route": only on-link destinations, and nothing is on lo's */
	TRY("udp4-sendto-dontroute",
	    sendto(u, query, sizeof(query) - 1, MSG_DONTROUTE,
		   (struct sockaddr *)&a4, sizeof(a4)));
	close(u);

	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	report("udp6-socket", u6, errno);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(53)};
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	TRY("udp6-sendto-2001:db8::1-53",
	    sendto(u6, query, sizeof(query) - 1, 0, (struct sockaddr *)&a6,
		   sizeof(a6)));
	close(u6);

	/* the resolvers: there is no resolv.conf in the sandbox */
	long r = TRY("read-resolv-conf", open("/etc/resolv.conf", O_RDONLY));
	if (r >= 0) {
		note("/etc/resolv.conf exists; its servers are not probed");
		close((int)r);
	}

	/* the interfaces: lo alone (getifaddrs would need netlink, which
	 * the filter refuses: SIOCGIFCONF and /proc/net/dev instead) */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq reqs[16];
	struct ifconf conf = {.ifc_len = sizeof(reqs), .ifc_req = reqs};
	TRY("ioctl-siocgifconf", ioctl(s, SIOCGIFCONF, &conf));
	for (int i = 0; i < conf.ifc_len / (int)sizeof(reqs[0]); i++)
		if (strcmp(reqs[i].ifr_name, "lo"))
			escaped("interface %s has an address",
				reqs[i].ifr_name);
	close(s);
	FILE *dev = fopen("/proc/net/dev", "r");
	char line[512], ifname[64];
	while (dev && fgets(line, sizeof(line), dev))
		if (sscanf(line, " %63[^:|]", ifname) == 1 &&
		    line[strspn(line, " ") + strlen(ifname)] == ':' &&
		    strcmp(ifname, "lo"))
			escaped("interface %s is in /proc/net/dev", ifname);
	if (dev)
		fclose(dev);
	TRY("if-nametoindex-eth0", if_nametoindex("eth0") ? 0 : -1);
	/* the routing table: empty but for lo's local routes */
	FILE *route = fopen("/proc/net/route", "r");
	int routes = 0;
	while (route && fgets(line, sizeof(line), route))
		routes++;
	if (route)
		fclose(route);
	if (routes > 1)
		escaped("/proc/net/route has %d routes", routes - 1);
	done();
	return 0;
}
