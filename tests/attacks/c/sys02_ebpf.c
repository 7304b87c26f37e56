/* SYS-02 ebpf: bpf() is the source of a long line of verifier exploits
 * (CVE-2017-16995, CVE-2020-8835, CVE-2021-3490).  It must be refused
 * (EPERM) for every command; without a bpf fd, SO_ATTACH_BPF has nothing
 * to attach (EBADF).  Classic BPF socket filters (SO_ATTACH_FILTER) are
 * ordinary and allowed: one is attached to a unix socket. */
#include "attack.h"

#include <linux/bpf.h>
#include <linux/filter.h>
#include <sys/socket.h>

int main(void)
{
	union bpf_attr map = {.map_type = BPF_MAP_TYPE_ARRAY,
			      .key_size = 4,
			      .value_size = 8,
			      .max_entries = 1};
	TRY("bpf-map-create",
	    syscall(SYS_bpf, BPF_MAP_CREATE, &map, sizeof(map)));
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr prog = {.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
			       .insn_cnt = 2,
			       .insns = (unsigned long)insns,
			       .license = (unsigned long)"GPL"};
	TRY("bpf-prog-load",
	    syscall(SYS_bpf, BPF_PROG_LOAD, &prog, sizeof(prog)));
	/* A bad pointer: EFAULT if the call got through. */
	TRY("bpf-badptr",
	    syscall(SYS_bpf, BPF_PROG_LOAD, (void *)1, sizeof(prog)));
	TRY("bpf-btf-load", syscall(SYS_bpf, BPF_BTF_LOAD, (void *)1, 64));
	TRY("bpf-obj-get", syscall(SYS_bpf, BPF_OBJ_GET, (void *)1, 64));
	/* High bits on the command: the kernel reads an int. */
	TRY("bpf-highbits",
	    syscall(SYS_bpf, (1UL << 32) | BPF_MAP_CREATE, &map, sizeof(map)));

	int sv[2];
	if (TRY("socketpair-unix", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) <
	    0) {
		done();
		return 0;
	}
	int nofd = -1;
	TRY("so-attach-bpf",
	    setsockopt(sv[0], SOL_SOCKET, SO_ATTACH_BPF, &nofd, sizeof(nofd)));
	struct sock_filter accept_all[] = {BPF_STMT(BPF_RET | BPF_K, 0xffff)};
	struct sock_fprog fprog = {.len = 1, .filter = accept_all};
	TRY("so-attach-filter-classic",
	    setsockopt(sv[0], SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
		       sizeof(fprog)));
	char c = 'x';
	TRY("send-through-classic-filter", send(sv[1], &c, 1, 0));
	TRY("recv-through-classic-filter", recv(sv[0], &c, 1, MSG_DONTWAIT));
	done();
	return 0;
}
