/* FLT-02 i386-socketcall: i386's socketcall(2) multiplexes every socket
 * call, with the arguments behind a pointer no filter can read, so a
 * filter that allows it to allow AF_UNIX allows AF_ALG, AF_VSOCK and
 * AF_PACKET too (moby/profiles 7158007; V2 of attacks.md).  stockade has
 * no i386 filter at all: the first int $0x80 (socketcall SYS_SOCKET with
 * AF_ALG) ends the run, verdict syscall-denied ("i386:socketcall").  Were
 * it to return, the other families and SYS_CONNECT, SYS_SENDMSG on fd -1
 * (harmless: EBADF) follow.  Nothing here ever connects or sends on a
 * vsock socket: the one created, if any, is closed at once. */
#include "attack.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define SYS_SOCKETCALL_I386 102
#define SOCKETCALL_SOCKET 1
#define SOCKETCALL_CONNECT 3
#define SOCKETCALL_SENDMSG 16
#define CLOSE_I386 6

/* The arguments live below 4 GiB: the i386 ABI sees 32-bit pointers. */
static unsigned int *args;

static void socketcall(const char *name, int call, unsigned a, unsigned b,
		       unsigned c)
{
	args[0] = a, args[1] = b, args[2] = c;
	note("%s: socketcall(%d, {%u, %u, %u})", name, call, a, b, c);
	long r = int80(SYS_SOCKETCALL_I386, call, (long)(uintptr_t)args, 0);
	report_raw(name, r);
	if (r >= 0 && call == SOCKETCALL_SOCKET)
		int80(CLOSE_I386, r, 0, 0);
}

int main(void)
{
	args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (args == MAP_FAILED)
		return 1;
	socketcall("payoff-socketcall-af-alg", SOCKETCALL_SOCKET, AF_ALG,
		   SOCK_SEQPACKET, 0);
	socketcall("payoff-socketcall-af-vsock", SOCKETCALL_SOCKET, AF_VSOCK,
		   SOCK_STREAM, 0);
	socketcall("payoff-socketcall-af-packet", SOCKETCALL_SOCKET, AF_PACKET,
		   SOCK_DGRAM, 0);
	socketcall("payoff-socketcall-af-inet6", SOCKETCALL_SOCKET, AF_INET6,
		   SOCK_STREAM, 0);
	socketcall("payoff-socketcall-connect-badfd", SOCKETCALL_CONNECT,
		   (unsigned)-1, 0, 0);
	socketcall("payoff-socketcall-sendmsg-badfd", SOCKETCALL_SENDMSG,
		   (unsigned)-1, 0, 0);
	done();
	return 0;
}
