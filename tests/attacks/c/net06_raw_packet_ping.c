/* NET-06 raw-packet-ping: raw IP sockets (IPPROTO_RAW, ICMP, TCP, UDP),
 * raw IPv6, packet sockets (AF_PACKET raw and dgram, and the old
 * socket(AF_INET, SOCK_PACKET), which the kernel turns into AF_PACKET
 * after the filter has seen AF_INET), AF_XDP, and ping sockets.  The run
 * allows the network group, so the filter lets AF_INET and AF_INET6
 * through and the kernel decides: raw and packet sockets need
 * CAP_NET_RAW, which the sandbox has in no namespace (EPERM); ping
 * sockets need a group in net.ipv4.ping_group_range, "1 0" in a new
 * network namespace (EACCES); AF_PACKET and AF_XDP are outside the
 * filter's families (EPERM). */
#include "attack.h"

#include <netinet/in.h>
#include <sys/socket.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif

int main(void)
{
	static const struct {
		const char *name;
		int family, type, protocol;
	} socks[] = {
		{"inet-raw-ipproto-raw", AF_INET, SOCK_RAW, IPPROTO_RAW},
		{"inet-raw-icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP},
		{"inet-raw-tcp", AF_INET, SOCK_RAW, IPPROTO_TCP},
		{"inet-raw-udp", AF_INET, SOCK_RAW, IPPROTO_UDP},
		{"inet6-raw-ipproto-raw", AF_INET6, SOCK_RAW, IPPROTO_RAW},
		{"inet6-raw-icmpv6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6},
		{"packet-raw-eth-p-all", AF_PACKET, SOCK_RAW,
		 0x0300 /* htons(ETH_P_ALL) */},
		{"packet-dgram-eth-p-ip", AF_PACKET, SOCK_DGRAM,
		 0x0008 /* htons(ETH_P_IP) */},
		{"inet-sock-packet", AF_INET, SOCK_PACKET, 0x0300},
		{"packet-sock-packet", AF_PACKET, SOCK_PACKET, 0x0300},
		{"xdp-raw", AF_XDP, SOCK_RAW, 0},
		{"inet-ping", AF_INET, SOCK_DGRAM, IPPROTO_ICMP},
		{"inet6-ping", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6},
	};
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		long s = TRY(socks[i].name,
			     socket(socks[i].family, socks[i].type,
				    socks[i].protocol));
		if (s >= 0)
			close((int)s);
	}
	done();
	return 0;
}
