/* FLT-04 compat-far-call: a 64-bit program can switch itself to 32-bit
 * compatibility mode with a far call to the i386 code segment (selector
 * 0x23) and make i386 system calls from there with int $0x80, sysenter or
 * syscall (gVisor 32bit.cc: Call32Bit.Disallowed, Syscall32Bit.Sysenter).
 * Each way runs in a child of its own: a way the CPU refuses
 * (syscall in compatibility mode on Intel, sysenter on AMD) kills only
 * that child (SIGILL, SIGSEGV), and the first 32-bit call that reaches the
 * kernel ends the run with verdict syscall-denied (stockade has no i386
 * filter).  A control child first switches to 32-bit mode and back
 * without a system call, to show the switch itself works. */
#include "attack.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* The code, copied to a page below 4 GiB: in 32-bit mode the instruction
 * pointer and the stack pointer are 32-bit.  enter (64-bit) saves the
 * registers, moves to the page's own stack and far-calls the 32-bit entry
 * that blob_far names; that entry loads a flat data segment (a 64-bit
 * process runs with DS 0), makes its call with eax = 20 (i386 getpid),
 * stores eax and far-returns. */
extern const char blob_start[], blob_end[], blob_far[], blob_result[],
	blob_noop[], blob_int80[], blob_sysenter[], blob_syscall[];
__asm__(".pushsection .text\n"
	".code64\n"
	"blob_start:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n"
	"	push %r13\n	push %r14\n	push %r15\n"
	"	mov %rsp, blob_save(%rip)\n"
	"	lea blob_stack_top(%rip), %rsp\n"
	"	lea blob_start(%rip), %rsi\n"
	"	lcall *blob_far(%rip)\n"
	"	mov blob_save(%rip), %rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n"
	"	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	movslq blob_result(%rip), %rax\n"
	"	ret\n"
	".code32\n"
	"blob_flat:\n"
	"	mov $0x2b, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
	"	mov $20, %eax\n"
	"	ret\n"
	"blob_noop:\n"
	"	call blob_flat\n"
	"	mov $12345, %eax\n"
	"	mov %eax, (blob_result - blob_start)(%esi)\n"
	"	lret\n"
	"blob_int80:\n"
	"	call blob_flat\n"
	"	int $0x80\n"
	"	mov %eax, (blob_result - blob_start)(%esi)\n"
	"	lret\n"
	"blob_sysenter:\n"
	"	call blob_flat\n"
	"	mov %esp, %ebp\n"
	"	sysenter\n"
	"	mov %eax, (blob_result - blob_start)(%esi)\n"
	"	lret\n"
	"blob_syscall:\n"
	"	call blob_flat\n"
	"	syscall\n"
	"	mov %eax, (blob_result - blob_start)(%esi)\n"
	"	lret\n"
	".code64\n"
	".balign 8\n"
	"blob_far:	.long 0\n	.word 0x23\n"
	".balign 8\n"
	"blob_save:	.quad 0\n"
	"blob_result:	.long 0\n"
	".balign 16\n"
	"	.skip 4096\n"
	"blob_stack_top:\n"
	"blob_end:\n"
	".popsection\n");

static char *page;

static long switch_and_call(const char *entry)
{
	uint32_t offset = (uint32_t)(uintptr_t)(page + (entry - blob_start));
	memcpy(page + (blob_far - blob_start), &offset, 4);
	long (*enter)(void) = (long (*)(void))(void *)page;
	return enter();
}

/* One way in a child: its end says what happened. */
static void attempt(const char *name, const char *entry, long expect_control)
{
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		long r = switch_and_call(entry);
		if (expect_control)
			_exit(r == expect_control ? 0 : 1);
		/* Back from a 32-bit system call: it ran. */
		printf("%s ok\n", name);
		printf("# eax %ld\n", r);
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(child, &status, 0);
	if (WIFSIGNALED(status))
		printf("%s %s\n", name, sigabbrev_np(WTERMSIG(status)));
	else if (expect_control)
		printf("%s %s\n", name,
		       WEXITSTATUS(status) == 0 ? "switched" : "failed");
	fflush(stdout);
}

int main(void)
{
	size_t size = (size_t)(blob_end - blob_start);
	page = mmap(NULL, (size + 4095) & ~4095UL,
		    PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (page == MAP_FAILED) {
		note("mmap MAP_32BIT rwx: %s", strerrorname_np(errno));
		return 1;
	}
	memcpy(page, blob_start, size);
	note("code at %p, selector 0x23", (void *)page);
	attempt("compat-mode-switch", blob_noop, 12345);
	attempt("payoff-compat-syscall-insn", blob_syscall, 0);
	attempt("payoff-compat-sysenter", blob_sysenter, 0);
	attempt("payoff-compat-int80", blob_int80, 0);
	done();
	return 0;
}
