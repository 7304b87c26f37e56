/* masks.c - what of /proc a run does not see, as data, reviewed like the
 * syscall groups (groups.c).
 *
 * The run's /proc is a procfs of its own pid namespace: its processes are
 * the run's only.  But procfs also shows the kernel and the machine, and
 * much of that is the host's.  An entry here is covered, inside, by an
 * empty read-only file or directory (mount.c), so that reading it gives
 * nothing of the host.  An entry is here when it names the host (its boot
 * line, identity, disks, buses), shows other runs (file locks, key
 * quotas), or is a side channel on what the host does (interrupts, disk
 * I/O, stall times), and no program we run needs it.
 *
 * Each cover costs a run about 40-55 us (two mount operations and their
 * teardown), so the table holds what matters, not every host-wide figure:
 * /proc/stat, meminfo and loadavg are host-wide counters too, and stay,
 * because runtimes size themselves by them (glibc counts CPUs from
 * /proc/stat without /sys); a channel between two runs through counters
 * they share is not closed by masks (docs/security.md).  The per-process
 * entries are the run's own; mounts and mountinfo are per process (no
 * cover reaches every pid) and name each bind's host source device: a
 * residual too. */
#include "groups.h"

#include "cleanup.h"

const struct proc_mask stk_proc_masks[] = {
	/* the host's identity and configuration */
	{"cmdline", "the host kernel's boot line: its root device, options, "
		    "at times a secret"},
	{"sys/kernel/random/boot_id", "the host's identity since boot: the "
				      "same for every run, a fingerprint"},
	{"config.gz", "the host kernel's build configuration"},
	{"kallsyms", "kernel symbols and the modules they belong to"},
	{"modules", "the host's loaded kernel modules"},
	/* the machine: disks, buses, memory layout */
	{"partitions", "the host's block devices"},
	{"swaps", "the host's swap devices"},
	{"bus", "the machine's PCI and input devices"},
	{"scsi", "the host's SCSI devices"},
	{"fs", "per-filesystem state of the host (ext4 devices and their "
	       "options, nfsd)"},
	{"mtrr", "the machine's physical memory ranges"},
	/* other runs and other users */
	{"locks", "every file lock of the host: pids, devices, inodes "
		  "(other runs' uid-slot locks)"},
	{"key-users", "the key quota use of every uid of the host (other "
		      "runs' host uids)"},
	/* what the host is doing: side channels on other tenants, and
	 * channels between runs (not all of them: docs/security.md) */
	{"sys/fs/file-nr", "open files, host-wide: a channel between runs"},
	{"interrupts", "per-CPU interrupt counts, host-wide: input timing"},
	{"diskstats", "the host's disk I/O, live"},
	{"pressure", "host-wide CPU, memory and I/O stall times"},
	/* closed to the run by the kernel (0400, 0200: the run is never the
	 * host's root); covered on a kernel that opens them wider */
	{"kcore", "kernel memory"},
	{"kmsg", "the kernel log"},
	{"kpagecount", "physical page state"},
	{"kpageflags", "physical page state"},
	{"kpagecgroup", "physical page state"},
	{"sysrq-trigger", "the magic SysRq key"},
	{"timer_list", "every timer of the host, with its function and pid"},
	{"sched_debug", "every task of the host, with its name"},
	{"vmallocinfo", "kernel allocations and their callers"},
	{"slabinfo", "kernel object caches"},
	{"pagetypeinfo", "the page allocator's free lists"},
};
const size_t stk_n_proc_masks = ARRAY_SIZE(stk_proc_masks);
