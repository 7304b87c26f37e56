/* SUP-07 denial-log-decoys: hide the calls that matter in the record.
 * The record names a bounded number of distinct refused calls and counts
 * the rest together; a program that first tries 300 numbers no kernel
 * has, then syscall(-1) (which once shared the overflow bucket's key),
 * then the calls no policy allows (ptrace, bpf, io_uring_setup,
 * init_module), hopes these last end up unnamed among "(other calls)".
 * Every attempt is refused; the harness checks that the record still
 * names each of the four (the entry's `recorded`). */
#include "attack.h"

#include <linux/bpf.h>
#include <sys/ptrace.h>

int main(void)
{
	int refused = 0;
	for (long nr = 1000; nr < 1300; nr++)
		refused += syscall(nr, 0, 0, 0) < 0 && errno == ENOSYS;
	note("%d of 300 unknown numbers refused with ENOSYS", refused);
	TRY("decoys-all-refused", refused == 300 ? 0 : (errno = EEXIST, -1));
	TRY("syscall-minus-one", syscall(-1L, 0, 0, 0));
	TRY("ptrace-traceme", syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
	TRY("bpf-map-create", syscall(SYS_bpf, BPF_MAP_CREATE, NULL, 0));
	TRY("io-uring-setup", syscall(SYS_io_uring_setup, 1, NULL));
	TRY("init-module", syscall(SYS_init_module, NULL, 0, ""));
	done();
	return 0;
}
