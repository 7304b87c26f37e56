/* FS-08 dev-access: the device nodes of the host (kernel log, memory,
 * ports, the disk vda, consoles and ttys, ptmx, fuse, kvm, tun, vsock,
 * vhost, dri, userfaultfd, mqueue), and device nodes made anew with
 * mknod (mem 1:1, sda 8:0, vda 254:0).  stockade's /dev holds null, zero,
 * full, random, urandom (bound from the host's), the fd/stdin/stdout/
 * stderr links and a private, empty /dev/shm: anything else listed prints
 * an attempt that succeeds.  Opening the others: ENOENT.  mknod of a
 * device: EPERM (no CAP_MKNOD); a FIFO in /tmp is allowed.
 *
 * Harmless if an open got through: each is O_RDONLY|O_NONBLOCK|O_NOCTTY,
 * nothing is read from or written to it, /dev/vsock is never connected. */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

int main(void)
{
	static const char *expected[] = {".",	 "..",	   "null",    "zero",
					 "full", "random", "urandom", "shm",
					 "fd",	 "stdin",  "stdout",  "stderr"};
	char name[300];
	/* 1. the listing of /dev */
	DIR *d = opendir("/dev");
	report("list-dev", d ? 0 : -1, errno);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t i = 0;
		while (i < sizeof(expected) / sizeof(expected[0]) &&
		       strcmp(e->d_name, expected[i]))
			i++;
		if (i < sizeof(expected) / sizeof(expected[0]))
			continue;
		snprintf(name, sizeof(name), "unexpected-dev-%s", e->d_name);
		report(name, 0, 0);
	}
	if (d)
		closedir(d);
	/* /dev/shm: a tmpfs of the run's own, empty */
	struct statfs sf;
	if (statfs("/dev/shm", &sf) == 0 && sf.f_type != 0x01021994)
		escaped("/dev/shm is not a tmpfs (type %lx)", (long)sf.f_type);
	d = opendir("/dev/shm");
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			escaped("/dev/shm is not empty: %s", e->d_name);
	if (d)
		closedir(d);

	/* 2. the host's devices */
	static const char *devices[] = {
		"kmsg",
		"mem",
		"kmem",
		"port",
		"vda",
		"sda",
		"sda1",
		"console",
		"tty0",
		"tty1",
		"ttyS0",
		"tty",
		"ptmx",
		"pts/ptmx",
		"pts/0",
		"fuse",
		"kvm",
		"net/tun",
		"vsock",
		"vhost-net",
		"vhost-vsock",
		"dri/card0",
		"nvidia0",
		"nvidiactl",
		"userfaultfd",
		"mqueue",
		"loop0",
		"loop-control",
		"zram0",
		"btrfs-control",
		"cpu_dma_latency",
		"hwrng",
		"autofs",
		"vga_arbiter",
		"vcs",
		"vcsa",
		"cpu/0/msr",
	};
	char path[300];
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		snprintf(path, sizeof(path), "/dev/%s", devices[i]);
		snprintf(name, sizeof(name), "open-dev-%s", devices[i]);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '-';
		long fd =
			TRY(name, open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
		if (fd >= 0)
			close((int)fd);
	}

	/* 3. device nodes made anew, in /tmp (nodev) and /dev/shm */
	static const struct {
		const char *name, *path;
		unsigned maj, min;
		mode_t type;
	} nodes[] = {
		{"mknod-mem", "/tmp/fs08-mem", 1, 1, S_IFCHR},
		{"mknod-sda", "/tmp/fs08-sda", 8, 0, S_IFBLK},
		{"mknod-vda", "/tmp/fs08-vda", 254, 0, S_IFBLK},
		{"mknod-kmsg-shm", "/dev/shm/fs08-kmsg", 1, 11, S_IFCHR},
		{"mknod-null-dev", "/dev/fs08-null", 1, 3, S_IFCHR},
	};
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		if (TRY(nodes[i].name,
			mknod(nodes[i].path, nodes[i].type | 0600,
			      makedev(nodes[i].maj, nodes[i].min))) < 0)
			continue;
		snprintf(name, sizeof(name), "open-%s", nodes[i].name);
		long fd = TRY(name, open(nodes[i].path, O_RDONLY | O_NONBLOCK));
		if (fd >= 0)
			close((int)fd);
	}
	/* a FIFO is no device: allowed where the sandbox may write */
	TRY("mknod-fifo-tmp", mknod("/tmp/fs08-fifo", S_IFIFO | 0600, 0));
	done();
	return 0;
}
