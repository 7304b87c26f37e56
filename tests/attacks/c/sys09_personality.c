/* SYS-09 personality: only the query personality(0xffffffff) is allowed;
 * every change is refused (EPERM), PER_LINUX (0) included, so ASLR
 * cannot be turned off for the next program (ADDR_NO_RANDOMIZE), nor
 * READ_IMPLIES_EXEC or MMAP_PAGE_ZERO (CVE-2009-2692's companion) set.
 * After an execve of itself the personality is still 0, and page 0
 * cannot be mapped (vm.mmap_min_addr: EPERM). */
#include "attack.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/personality.h>

static void after_exec(void)
{
	char buf[64];
	read_text("/proc/self/personality", buf, sizeof(buf));
	unsigned long persona = strtoul(buf, NULL, 16);
	note("after execve: /proc/self/personality %lx", persona);
	if (persona & (ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC | MMAP_PAGE_ZERO))
		escaped("the personality %lx survived execve", persona);
	long now = TRY("after-exec-personality-query",
		       syscall(SYS_personality, 0xffffffffUL));
	if (now != (long)persona)
		note("personality() says %lx", now);
	void *p =
		mmap(NULL, 4096, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	report("mmap-page-zero", p == MAP_FAILED ? -1 : 0, errno);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	done();
}

int main(int argc, char **argv)
{
	(void)argc;
	if (getenv("STOCKADE_ATTACK_STAGE")) {
		after_exec();
		return 0;
	}
	TRY("personality-query", syscall(SYS_personality, 0xffffffffUL));
	TRY("personality-addr-no-randomize",
	    syscall(SYS_personality, ADDR_NO_RANDOMIZE));
	TRY("personality-read-implies-exec",
	    syscall(SYS_personality, READ_IMPLIES_EXEC));
	TRY("personality-mmap-page-zero",
	    syscall(SYS_personality, MMAP_PAGE_ZERO));
	TRY("personality-per-bsd", syscall(SYS_personality, PER_BSD));
	TRY("personality-per-linux32", syscall(SYS_personality, PER_LINUX32));
	TRY("personality-uname26", syscall(SYS_personality, UNAME26));
	TRY("personality-per-linux", syscall(SYS_personality, PER_LINUX));
	/* The low 32 bits are the query: the upper ones must not make a
	 * change of it (the kernel reads an unsigned int). */
	TRY("personality-highbits-addr-no-randomize",
	    syscall(SYS_personality, (1UL << 32) | ADDR_NO_RANDOMIZE));
	setenv("STOCKADE_ATTACK_STAGE", "2", 1);
	char *args[] = {argv[0], NULL};
	execve("/proc/self/exe", args, environ);
	report("execve-self", -1, errno);
	done();
	return 0;
}
