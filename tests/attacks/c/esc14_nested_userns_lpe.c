/* ESC-14 nested-userns-lpe: most kernel privilege escalations of recent
 * years start in a new user namespace, where the caller holds
 * CAP_NET_ADMIN and CAP_SYS_ADMIN, and then reach nftables, iptables,
 * fsconfig or packet sockets (CVE-2022-1015, CVE-2023-32233,
 * CVE-2024-1086, CVE-2021-22555, CVE-2022-0185, CVE-2020-14386).  Every
 * way to a namespace is refused (unshare, clone with a namespace flag:
 * EPERM; clone3: ENOSYS), and so is each follow-on primitive tried
 * directly: netlink, raw inet and packet sockets (EPERM), fsopen (EPERM).
 * setsockopt itself is allowed, on sockets the program may have: on fd -1
 * it gives EBADF.  No capability is held, in any set. */
#include "attack.h"

#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/mount.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define IPT_SO_SET_REPLACE                                                     \
	64 /* IPT_BASE_CTL, linux/netfilter_ipv4/ip_tables.h */

int main(void)
{
	char buf[4096];
	TRY("unshare-user-net-mount",
	    unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS));
	TRY("unshare-user", unshare(CLONE_NEWUSER));
	TRY("unshare-net", unshare(CLONE_NEWNET));
	TRY("clone-newuser", clone_raw(CLONE_NEWUSER | SIGCHLD));
	TRY("clone-newuser-newnet",
	    clone_raw(CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD));
	TRY("clone3-newuser", clone3_raw(CLONE_NEWUSER));
	TRY("clone3-newuser-newns", clone3_raw(CLONE_NEWUSER | CLONE_NEWNS));
	/* nftables over netlink */
	TRY("socket-netlink-netfilter",
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER));
	TRY("socket-netlink-route",
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	/* iptables' IPT_SO_SET_REPLACE needs a raw inet socket */
	TRY("socket-inet-raw", socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
	TRY("socket-inet-dgram", socket(AF_INET, SOCK_DGRAM, 0));
	memset(buf, 0, sizeof(buf));
	TRY("setsockopt-ipt-replace-badfd",
	    setsockopt(-1, SOL_IP, IPT_SO_SET_REPLACE, buf, sizeof(buf)));
	/* fsconfig with a long parameter */
	long fs = TRY("fsopen-ext4", syscall(SYS_fsopen, "ext4", 0));
	memset(buf, 'A', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	TRY("fsconfig-long-string",
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", buf, 0));
	/* packet sockets and their rings */
	TRY("socket-packet-raw", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
	TRY("socket-packet-dgram",
	    socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL)));
	struct tpacket_req req = {0};
	TRY("setsockopt-packet-rx-ring-badfd",
	    setsockopt(-1, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)));
	/* no user namespace to make: the count is not writable either */
	TRY("open-max-user-namespaces-w",
	    open("/proc/sys/user/max_user_namespaces", O_WRONLY));
	read_text("/proc/sys/user/max_user_namespaces", buf, 65);
	buf[strcspn(buf, "\n")] = 0;
	note("max_user_namespaces reads %s", buf);
	/* no capability in any set */
	read_text("/proc/self/status", buf, sizeof(buf));
	for (char *s = buf, *line; (line = strsep(&s, "\n"));) {
		unsigned long long cap;
		char set[8];
		if (sscanf(line, "Cap%3s %llx", set, &cap) == 2 && cap)
			escaped("a capability is held: %s", line);
	}
	done();
	return 0;
}
