/* NET-07 netlink-and-privileged-sockopts: netlink sockets of every
 * protocol 0-31 (route, netfilter, audit, uevents, sock_diag, generic...)
 * raw and datagram, then the privileged socket options and ioctls on the
 * sockets the network group gives (TCP, UDP, unix): iptables' replace
 * (CVE-2021-22555), SO_MARK, SO_PRIORITY above 6, SO_RCVBUFFORCE,
 * TCP_REPAIR, IP_TRANSPARENT, SO_ATTACH_BPF, binding to a device, and
 * SIOCSIFFLAGS, SIOCSIFMTU, SIOCADDRT.  Netlink is outside the filter's
 * families (EPERM) but for route netlink, which the network group opens
 * for getifaddrs and if_nameindex: its dump shows the run's own namespace
 * (lo alone), and its changes (an address, a link down) need
 * CAP_NET_ADMIN (EPERM in the ack).  Every privileged option needs
 * CAP_NET_ADMIN or CAP_NET_RAW, which the sandbox has in no namespace (EPERM);
 * eth0 does not exist in its namespace (ENODEV); a BPF program cannot be had
 * (bpf is forbidden), so SO_ATTACH_BPF gets a bad fd (EBADF).
 *
 * Harmless if one got through: the iptables replace gets a zeroed table
 * (no counters: EINVAL), the interface calls set lo's flags and MTU to what
 * they are, the route is deleted, not added, and is not there. */
#include "attack.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* linux/netfilter_ipv4/ip_tables.h clashes with the libc headers */
#define IPT_SO_SET_REPLACE 64
#define IP6T_SO_SET_REPLACE 64
#define IPT_REPLACE_SIZE 96 /* sizeof(struct ipt_replace) */
#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

/* One route netlink request; -1 with errno from the kernel's ack (a dump:
 * the number of entries it sent back). */
static long rtnl(int fd, uint16_t type, uint16_t flags, const void *body,
		 size_t len)
{
	struct {
		struct nlmsghdr h;
		char body[64];
	} req = {.h = {.nlmsg_len = (uint32_t)NLMSG_LENGTH(len),
		       .nlmsg_type = type,
		       .nlmsg_flags =
			       (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags),
		       .nlmsg_seq = 1}};
	memcpy(req.body, body, len);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -1;
	static char buf[65536];
	long entries = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return entries;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = -((struct nlmsgerr *)NLMSG_DATA(h))
						 ->error;
				if (e == 0)
					return entries;
				errno = e;
				return -1;
			}
			if (h->nlmsg_type == RTM_NEWLINK) {
				struct ifinfomsg *ifi = NLMSG_DATA(h);
				char ifname[IF_NAMESIZE] = "?";
				if_indextoname((unsigned)ifi->ifi_index,
					       ifname);
				note("link %d %s", ifi->ifi_index, ifname);
			}
			entries++;
		}
	}
}

static void route_netlink(void)
{
	int fd = (int)TRY(
		"rtnl-socket",
		socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
	if (fd < 0)
		return;
	struct ifinfomsg all = {.ifi_family = AF_UNSPEC};
	long links = TRY("rtnl-dump-links",
			 rtnl(fd, RTM_GETLINK, NLM_F_DUMP, &all, sizeof(all)));
	/* The host's links (eth0, ...) would show the namespace is not the
	 * run's own. */
	if (links >= 0)
		report("payoff-rtnl-links-beyond-lo", links > 1 ? 0 : -1,
		       ENOENT);
	/* 10.99.0.1/8 on lo, then lo down: the run's own namespace only. */
	struct {
		struct ifaddrmsg ifa;
		struct rtattr rta;
		uint32_t addr;
	} addr = {.ifa = {.ifa_family = AF_INET,
			  .ifa_prefixlen = 8,
			  .ifa_index = 1},
		  .rta = {.rta_len = RTA_LENGTH(4), .rta_type = IFA_LOCAL},
		  .addr = htonl(0x0a630001)};
	TRY("rtnl-newaddr-lo", rtnl(fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
				    &addr, sizeof(addr)));
	struct ifinfomsg down = {
		.ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_change = IFF_UP};
	TRY("rtnl-setlink-lo-down",
	    rtnl(fd, RTM_SETLINK, 0, &down, sizeof(down)));
	close(fd);
}

int main(void)
{
	char name[96];
	for (int p = 0; p < 32; p++) {
		snprintf(name, sizeof(name), "netlink-raw-%d", p);
		long s = TRY(name, socket(AF_NETLINK, SOCK_RAW, p));
		if (s >= 0)
			close((int)s);
	}
	long s = TRY("netlink-dgram-route", socket(AF_NETLINK, SOCK_DGRAM, 0));
	if (s >= 0)
		close((int)s);
	route_netlink();

	int tcp = socket(AF_INET, SOCK_STREAM, 0);
	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	int tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
	int unx = socket(AF_UNIX, SOCK_STREAM, 0);
	report("tcp-socket", tcp, errno);
	report("udp-socket", udp, errno);
	int one = 1, mark = 0x5ca1ab1e, prio = 7, big = 1 << 24;

	/* a zeroed table: no counters, EINVAL if the capability were there */
	static char replace[IPT_REPLACE_SIZE];
	TRY("ipt-so-set-replace-tcp",
	    setsockopt(tcp, IPPROTO_IP, IPT_SO_SET_REPLACE, replace,
		       sizeof(replace)));
	TRY("ip6t-so-set-replace-tcp6",
	    setsockopt(tcp6, IPPROTO_IPV6, IP6T_SO_SET_REPLACE, replace,
		       sizeof(replace)));
	TRY("so-mark-tcp",
	    setsockopt(tcp, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)));
	TRY("so-mark-unix",
	    setsockopt(unx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)));
	TRY("so-priority-7",
	    setsockopt(udp, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)));
	TRY("so-rcvbufforce",
	    setsockopt(udp, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)));
	TRY("so-sndbufforce-unix",
	    setsockopt(unx, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)));
	TRY("tcp-repair",
	    setsockopt(tcp, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)));
	TRY("ip-transparent-tcp",
	    setsockopt(tcp, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)));
	TRY("ip-transparent-udp",
	    setsockopt(udp, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)));
	int bad = -1;
	TRY("so-attach-bpf-bad-fd",
	    setsockopt(udp, SOL_SOCKET, SO_ATTACH_BPF, &bad, sizeof(bad)));
	TRY("so-bindtodevice-eth0",
	    setsockopt(udp, SOL_SOCKET, SO_BINDTODEVICE, "eth0", 5));

	/* interface and route ioctls */
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	TRY("siocgifflags-lo", ioctl(udp, SIOCGIFFLAGS, &ifr));
	TRY("siocsifflags-lo-same", ioctl(udp, SIOCSIFFLAGS, &ifr));
	strcpy(ifr.ifr_name, "lo");
	TRY("siocgifmtu-lo", ioctl(udp, SIOCGIFMTU, &ifr));
	TRY("siocsifmtu-lo-same", ioctl(udp, SIOCSIFMTU, &ifr));
	struct ifreq eth = {0};
	strcpy(eth.ifr_name, "eth0");
	TRY("siocgifflags-eth0", ioctl(udp, SIOCGIFFLAGS, &eth));
	struct rtentry rt = {0};
	struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
	dst->sin_family = AF_INET;
	dst->sin_addr.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
	rt.rt_flags = RTF_UP | RTF_HOST;
	TRY("siocdelrt-absent", ioctl(udp, SIOCDELRT, &rt));
	done();
	return 0;
}
