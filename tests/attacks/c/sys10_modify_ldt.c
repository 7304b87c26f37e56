/* SYS-10 modify-ldt: a historic source of information leaks and kernel
 * bugs (flatpak: blocked unless multiarch); 64-bit programs do not need
 * it.  Writing an LDT entry and reading the LDT are refused (EPERM). */
#include "attack.h"

#include <asm/ldt.h>

int main(void)
{
	struct user_desc desc = {.entry_number = 0,
				 .base_addr = 0,
				 .limit = 0xfffff,
				 .seg_32bit = 1,
				 .contents = 0,
				 .read_exec_only = 0,
				 .limit_in_pages = 1,
				 .seg_not_present = 0,
				 .useable = 1};
	TRY("modify-ldt-write",
	    syscall(SYS_modify_ldt, 1, &desc, sizeof(desc)));
	TRY("modify-ldt-write-oldmode",
	    syscall(SYS_modify_ldt, 0x11, &desc, sizeof(desc)));
	char buf[256];
	TRY("modify-ldt-read", syscall(SYS_modify_ldt, 0, buf, sizeof(buf)));
	TRY("modify-ldt-read-default",
	    syscall(SYS_modify_ldt, 2, buf, sizeof(buf)));
	TRY("modify-ldt-badptr",
	    syscall(SYS_modify_ldt, 1, (void *)1, sizeof(desc)));
	done();
	return 0;
}
