/* FLT-06 int-arg-highbits: the general form of ESC-02.  The kernel
 * truncates an int argument to its low 32 bits; seccomp compares all 64.
 * A deny rule on a full 64-bit value misses (1<<32)|value, and an allow
 * rule written as NE, GT or LT admits it (V4 of attacks.md:
 * socket((1<<32)|AF_VSOCK) made a vsock socket).  For each call stockade
 * filters by argument, the forbidden value with high bits set must be
 * refused like the plain one (EPERM): socket and socketpair families,
 * ioctl, fcntl and prctl commands, personality, prlimit64's pid, clone's
 * namespace flags, the setuid bit of a mode.  Arguments are harmless if a
 * call were let through (fd -1, NULL pointers, a child that exits at
 * once); a control per rule (an allowed value with the same high bits)
 * shows the encoding reaches the kernel, which gives its own errno. */
#include "attack.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const unsigned long high[] = {1UL << 32, 0xffffffffUL << 32};

static void sockets(void)
{
	static const struct {
		const char *name;
		int family;
	} families[] = {
		{"inet", AF_INET},	 {"inet6", AF_INET6},
		{"netlink", AF_NETLINK}, {"packet", AF_PACKET},
		{"alg", AF_ALG},	 {"vsock", AF_VSOCK},
	};
	char name[96];
	for (size_t h = 0; h < 2; h++)
		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]);
		     i++) {
			/* a vsock socket made here is only closed, never used
			 */
			snprintf(name, sizeof(name),
				 "payoff-socket-%s-highbits%zu",
				 families[i].name, h);
			long fd = TRY(
				name,
				syscall(SYS_socket,
					high[h] | (unsigned)families[i].family,
					SOCK_STREAM, 0));
			if (fd >= 0)
				close((int)fd);
			int sv[2];
			snprintf(name, sizeof(name),
				 "payoff-socketpair-%s-highbits%zu",
				 families[i].name, h);
			if (TRY(name,
				syscall(SYS_socketpair,
					high[h] | (unsigned)families[i].family,
					SOCK_STREAM, 0, sv)) == 0)
				close(sv[0]), close(sv[1]);
		}
}

int main(void)
{
	char name[96];
	struct rlimit rl;
	sockets();
	for (size_t h = 0; h < 2; h++) {
		unsigned long hb = high[h];
		/* ioctl: TIOCSTI and TIOCLINUX on fd -1 (control: TCGETS) */
		snprintf(name, sizeof(name), "ioctl-tiocsti-highbits%zu", h);
		TRY(name, syscall(SYS_ioctl, -1, hb | 0x5412UL, "x"));
		snprintf(name, sizeof(name), "ioctl-tioclinux-highbits%zu", h);
		TRY(name, syscall(SYS_ioctl, -1, hb | 0x541cUL, "\2"));
		snprintf(name, sizeof(name), "control-ioctl-tcgets-highbits%zu",
			 h);
		TRY(name, syscall(SYS_ioctl, -1, hb | 0x5401UL, NULL));
		/* fcntl: F_SETLEASE and F_NOTIFY on fd -1 (control: F_GETFD) */
		snprintf(name, sizeof(name), "fcntl-setlease-highbits%zu", h);
		TRY(name, syscall(SYS_fcntl, -1, hb | F_SETLEASE, F_WRLCK));
		snprintf(name, sizeof(name), "fcntl-notify-highbits%zu", h);
		TRY(name, syscall(SYS_fcntl, -1, hb | F_NOTIFY, DN_MODIFY));
		snprintf(name, sizeof(name), "control-fcntl-getfd-highbits%zu",
			 h);
		TRY(name, syscall(SYS_fcntl, -1, hb | F_GETFD));
		/* prctl: PR_SET_SECCOMP with a NULL filter (EFAULT if let
		 * through); control: PR_GET_DUMPABLE works */
		snprintf(name, sizeof(name), "prctl-set-seccomp-highbits%zu",
			 h);
		TRY(name, syscall(SYS_prctl, hb | PR_SET_SECCOMP,
				  SECCOMP_MODE_FILTER, NULL, 0, 0));
		/* personality: only the query 0xffffffff; ADDR_NO_RANDOMIZE
		 * with high bits is no query */
		snprintf(name, sizeof(name),
			 "personality-no-randomize-highbits%zu", h);
		TRY(name, syscall(SYS_personality, hb | ADDR_NO_RANDOMIZE));
		snprintf(name, sizeof(name),
			 "personality-read-implies-exec-highbits%zu", h);
		TRY(name, syscall(SYS_personality, hb | READ_IMPLIES_EXEC));
		/* prlimit64: pid 1 (init) with high bits, reading only */
		snprintf(name, sizeof(name), "prlimit-pid1-highbits%zu", h);
		TRY(name,
		    syscall(SYS_prlimit64, hb | 1, RLIMIT_NOFILE, NULL, &rl));
		snprintf(name, sizeof(name), "control-prlimit-pid0-highbits%zu",
			 h);
		TRY(name,
		    syscall(SYS_prlimit64, hb | 0, RLIMIT_NOFILE, NULL, &rl));
		/* clone: a namespace flag with high bits set */
		snprintf(name, sizeof(name), "clone-newuser-highbits%zu", h);
		TRY(name, clone_raw(hb | CLONE_NEWUSER | SIGCHLD));
		snprintf(name, sizeof(name), "clone-newnet-highbits%zu", h);
		TRY(name, clone_raw(hb | CLONE_NEWNET | SIGCHLD));
		/* modes: setuid and setgid bits with high bits, on our own
		 * /tmp (nosuid anyway) */
		snprintf(name, sizeof(name), "openat-creat-setuid-highbits%zu",
			 h);
		TRY(name, syscall(SYS_openat, AT_FDCWD, "/tmp/flt06-suid",
				  O_CREAT | O_WRONLY | O_CLOEXEC, hb | 04755));
		snprintf(name, sizeof(name), "chmod-setgid-highbits%zu", h);
		TRY(name, syscall(SYS_chmod, "/tmp", hb | 02755));
		snprintf(name, sizeof(name), "fchmodat-setuid-highbits%zu", h);
		TRY(name,
		    syscall(SYS_fchmodat, AT_FDCWD, "/tmp", hb | 04755, 0));
		snprintf(name, sizeof(name), "mknodat-setuid-highbits%zu", h);
		TRY(name, syscall(SYS_mknodat, AT_FDCWD, "/tmp/flt06-node",
				  hb | S_IFREG | 04755, 0));
	}
	/* controls whose kernel answer is success, outside the loop: each
	 * allowed form with high bits reaches the kernel and works */
	TRY("control-personality-query-highbits",
	    syscall(SYS_personality, (1UL << 32) | 0xffffffffUL));
	TRY("control-prctl-get-dumpable-highbits",
	    syscall(SYS_prctl, (1UL << 32) | PR_GET_DUMPABLE, 0, 0, 0, 0));
	done();
	return 0;
}
