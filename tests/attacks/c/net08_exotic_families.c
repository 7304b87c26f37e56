/* NET-08 exotic-families: socket() and socketpair() for every address
 * family 0-63 with the types stream, dgram, raw and seqpacket, again with
 * the family's upper 32 bits set ((1 << 32) | family: the kernel takes an
 * int, a 64-bit compare in the filter would see another number, attacks.md
 * V4), and with the type's flag bits (SOCK_NONBLOCK | SOCK_CLOEXEC).
 * Among them AF_ALG (38, Copy Fail), AF_VSOCK (40: the host's control
 * plane here - created to be refused, never connected), AF_RDS, AF_CAN,
 * AF_BLUETOOTH, AF_TIPC, AF_X25, AF_KCM, AF_SMC, AF_QIPCRTR, AF_RXRPC,
 * AF_PPPOX, AF_LLC, AF_APPLETALK.  The default policy allows AF_UNIX only:
 * every other family is refused by the filter (EPERM), the high-bit
 * variants too; AF_UNIX works for stream, dgram, seqpacket and raw (which
 * the kernel makes a dgram socket).  The i386 socketcall variant is FLT-02
 * (it ends the run). */
#include "attack.h"

#include <sys/socket.h>

int main(void)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {{"stream", SOCK_STREAM},
		     {"dgram", SOCK_DGRAM},
		     {"raw", SOCK_RAW},
		     {"seqpacket", SOCK_SEQPACKET}};
	char name[96];
	for (long fam = 0; fam < 64; fam++) {
		for (size_t t = 0; t < 4; t++) {
			snprintf(name, sizeof(name), "socket-%ld-%s", fam,
				 types[t].name);
			long s = TRY(name, syscall(SYS_socket, fam,
						   types[t].type, 0));
			if (s >= 0)
				close((int)s);
			snprintf(name, sizeof(name), "socket-highbit-%ld-%s",
				 fam, types[t].name);
			s = TRY(name, syscall(SYS_socket, (1L << 32) | fam,
					      types[t].type, 0));
			if (s >= 0)
				close((int)s);
		}
		snprintf(name, sizeof(name), "socket-flags-%ld", fam);
		long s = TRY(name,
			     syscall(SYS_socket, fam,
				     SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				     0));
		if (s >= 0)
			close((int)s);
		int sv[2];
		snprintf(name, sizeof(name), "socketpair-%ld", fam);
		if (TRY(name, syscall(SYS_socketpair, fam, SOCK_STREAM, 0,
				      sv)) == 0) {
			close(sv[0]);
			close(sv[1]);
		}
		snprintf(name, sizeof(name), "socketpair-highbit-%ld", fam);
		if (TRY(name, syscall(SYS_socketpair, (1L << 32) | fam,
				      SOCK_STREAM, 0, sv)) == 0) {
			close(sv[0]);
			close(sv[1]);
		}
	}
	done();
	return 0;
}
