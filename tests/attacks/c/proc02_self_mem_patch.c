/* PROC-02 self-mem-patch: the process rewrites its own read-only code,
 * through /proc/self/mem (FOLL_FORCE, the Dirty COW primitive) and with
 * mprotect to RWX.  Either may work: contained.  Everything that guards
 * the host lives outside the guest's address space, so the patched
 * process is still in the cage: the payoff attempts that follow fail. */
#include "attack.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

__attribute__((noinline)) static int answer(void)
{
	__asm__ volatile("");
	return 1;
}

int main(void)
{
	/* mov eax, 2; ret */
	static const unsigned char patch[] = {0xb8, 0x02, 0x00,
					      0x00, 0x00, 0xc3};
	int (*volatile fn)(void) = answer;
	note("answer() is %d before", fn());
	long fd = TRY("open-self-mem-rdwr",
		      open("/proc/self/mem", O_RDWR | O_CLOEXEC));
	if (fd >= 0) {
		TRY("pwrite-self-text",
		    pwrite(fd, patch, sizeof(patch), (off_t)(uintptr_t)fn));
		close(fd);
	}
	note("answer() is %d after the /proc/self/mem write", fn());
	uintptr_t page = (uintptr_t)fn & ~(uintptr_t)4095;
	if (TRY("mprotect-text-rwx",
		mprotect((void *)page, 8192,
			 PROT_READ | PROT_WRITE | PROT_EXEC)) == 0) {
		unsigned char three[] = {0xb8, 0x03, 0x00, 0x00, 0x00, 0xc3};
		memcpy((void *)fn, three, sizeof(three));
		mprotect((void *)page, 8192, PROT_READ | PROT_EXEC);
	}
	note("answer() is %d after mprotect", fn());
	/* The patched process is still in the cage. */
	fd = TRY("payoff-read-secret", open(canary("SECRET"), O_RDONLY));
	if (fd >= 0)
		close(fd);
	char path[4096];
	snprintf(path, sizeof(path), "%s/pwned", canary("RO"));
	fd = TRY("payoff-write-ro", open(path, O_WRONLY | O_CREAT, 0644));
	if (fd >= 0)
		close(fd);
	TRY("payoff-keyctl-after-patch", syscall(SYS_keyctl, 0, -4, 0));
	done();
	return 0;
}
