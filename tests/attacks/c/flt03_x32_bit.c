/* FLT-03 x32-bit: x32 calls are x86_64 numbers with __X32_SYSCALL_BIT
 * (0x40000000) set, and arrive with AUDIT_ARCH_X86_64: a deny-list filter
 * that compares numbers without that bit lets them through
 * (firejail#87).  This kernel has no x32 support, but the filter runs
 * before the kernel looks: stockade's treats any number with the bit as a
 * foreign ABI, and the first call (keyctl) ends the run with verdict
 * syscall-denied ("x32:keyctl").  Were it to return, mount, unshare and
 * socket follow, each with invalid arguments (harmless: EINVAL, EFAULT). */
#include "attack.h"

#define X32 0x40000000L

static void attempt(const char *name, long nr, long a, long b, long c)
{
	note("%s: syscall(0x40000000 | %ld)", name, nr);
	TRY(name, syscall(X32 | nr, a, b, c));
}

int main(void)
{
	attempt("payoff-x32-keyctl", SYS_keyctl, -1, 0,
		0);					 /* invalid operation */
	attempt("payoff-x32-mount", SYS_mount, 0, 0, 0); /* NULL paths */
	attempt("payoff-x32-unshare", SYS_unshare, -1, 0,
		0);					    /* invalid flags */
	attempt("payoff-x32-socket", SYS_socket, -1, 0, 0); /* invalid family */
	done();
	return 0;
}
