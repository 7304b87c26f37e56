/* FLT-01 i386-int80: the i386 system-call ABI from a 64-bit program, with
 * int $0x80 (firejail#86, #291; gVisor Syscall32Bit.Int80): a filter that
 * does not check seccomp_data.arch sees i386 numbers as x86_64 ones and
 * lets them through.  stockade's filter is for x86_64 only and hands any
 * other ABI to the supervisor, which ends the run: the first call, the
 * harmless getpid (i386 20), ends it with verdict syscall-denied
 * ("i386:getpid" in the record) and never returns.  Were it to return,
 * the dangerous numbers follow, with arguments that fail harmlessly
 * (bad pointers, invalid values). */
#include "attack.h"

#include <sched.h>

static void attempt(const char *name, long nr, long a, long b, long c)
{
	note("%s: int $0x80, eax=%ld", name, nr);
	long r = int80(nr, a, b, c);
	/* Getting here at all means the i386 call ran. */
	report_raw(name, r);
}

int main(void)
{
	attempt("payoff-i386-getpid", 20, 0, 0, 0);
	attempt("payoff-i386-ptrace", 26, -1, -1, 0); /* invalid request */
	attempt("payoff-i386-keyctl", 288, -1, 0, 0); /* invalid operation */
	attempt("payoff-i386-socket", 359, -1, 0, 0); /* invalid family */
	attempt("payoff-i386-execve", 11, 0, 0, 0);   /* NULL path: EFAULT */
	attempt("payoff-i386-mount", 21, 0, 0, 0);    /* NULL paths: EFAULT */
	/* CLONE_SIGHAND without CLONE_VM: EINVAL before anything is made */
	attempt("payoff-i386-clone", 120, CLONE_SIGHAND, 0, 0);
	done();
	return 0;
}
