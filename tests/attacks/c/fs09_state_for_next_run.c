/* FS-09 state-for-next-run: traps left for whoever comes next, in every
 * place the sandbox may write - /tmp (its working directory), /dev/shm -
 * and in the kernel objects of its namespaces (System V shared memory, a
 * POSIX message queue, an abstract unix socket): symlinks to host paths,
 * hard links, FIFOs named like outputs, set-id bits and file
 * capabilities, Python start-up hooks, a sparse 1 TB file and a 2100
 * deep directory chain.  The harness runs this program four times in a
 * row: each run first looks for what the previous ones planted (the
 * payoff-... attempts), and must find nothing - every writable place and
 * every namespace is the run's own.  Set-id modes are forbidden (EPERM),
 * xattrs are not in the allowlist (ENOSYS), devices need CAP_MKNOD
 * (EPERM), a hard link across mounts is EXDEV, the sparse file stops at
 * the file-size limit (EFBIG, SIGXFSZ ignored), and a POSIX message queue
 * cannot be made: mq_open is not in the allowlist (ENOSYS; where it was,
 * Landlock refused the queue, whose file system lies outside every rule:
 * EACCES). */
#include "attack.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#define SHM_KEY 0x0f5090f5
#define ABSTRACT "fs09-state-for-next-run"

static int abstract_addr(struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, ABSTRACT, strlen(ABSTRACT));
	return (int)(offsetof(struct sockaddr_un, sun_path) + 1 +
		     strlen(ABSTRACT));
}

static void write_file(const char *name, const char *path, const char *text)
{
	long fd = TRY(name, open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (fd >= 0) {
		if (write((int)fd, text, strlen(text)) < 0)
			note("%s: %s", path, strerror(errno));
		close((int)fd);
	}
}

int main(void)
{
	struct stat st;
	/* what an earlier run may have left: nothing */
	static const char *marks[] = {"/tmp/fs09-mark", "/dev/shm/fs09-mark",
				      "/tmp/fs09-secret-link",
				      "/tmp/result.json"};
	char name[300];
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		snprintf(name, sizeof(name), "payoff-previous%s", marks[i]);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '-';
		TRY(name, lstat(marks[i], &st));
	}
	TRY("payoff-previous-sysv-shm", shmget(SHM_KEY, 0, 0));
	TRY("payoff-previous-mqueue", mq_open("/fs09-mark", O_RDONLY));
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr;
	socklen_t len = (socklen_t)abstract_addr(&addr);
	TRY("payoff-previous-abstract",
	    connect(s, (struct sockaddr *)&addr, len));
	close(s);

	/* plant: marks, and the IPC objects */
	write_file("plant-mark-tmp", "/tmp/fs09-mark", "planted\n");
	write_file("plant-mark-shm", "/dev/shm/fs09-mark", "planted\n");
	TRY("plant-sysv-shm", shmget(SHM_KEY, 4096, IPC_CREAT | 0666));
	struct mq_attr qa = {.mq_maxmsg = 1, .mq_msgsize = 16};
	TRY("plant-mqueue", mq_open("/fs09-mark", O_RDWR | O_CREAT, 0666, &qa));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	TRY("plant-abstract", bind(s, (struct sockaddr *)&addr, len));

	/* symlinks to host paths, named like outputs */
	TRY("plant-symlink-secret",
	    symlink(canary("SECRET"), "/tmp/fs09-secret-link"));
	TRY("plant-symlink-result", symlink("/etc/shadow", "/tmp/result.json"));
	TRY("plant-symlink-dir", symlink("/", "/tmp/out"));
	/* hard links: within the tmpfs yes, across mounts no */
	TRY("plant-hardlink-tmp", link("/tmp/fs09-mark", "/tmp/fs09-hard"));
	TRY("plant-hardlink-usr", link("/usr/bin/env", "/tmp/fs09-env"));
	/* FIFOs named like outputs: whoever opens them blocks */
	TRY("plant-fifo-output", mkfifo("/tmp/output.txt", 0666));
	TRY("plant-fifo-stdout", mkfifo("/tmp/stdout", 0666));
	/* device nodes */
	TRY("plant-dev-mem",
	    mknod("/tmp/fs09-mem", S_IFCHR | 0666, makedev(1, 1)));
	/* set-id bits and file capabilities on its own files */
	write_file("plant-exec", "/tmp/fs09-suid", "#!/bin/sh\nid\n");
	TRY("plant-chmod-setuid", chmod("/tmp/fs09-suid", 04755));
	TRY("plant-chmod-setgid", chmod("/tmp/fs09-suid", 02755));
	TRY("plant-creat-setuid",
	    open("/tmp/fs09-suid2", O_WRONLY | O_CREAT | O_EXCL, 04755));
	TRY("plant-mkdir-setgid", mkdir("/tmp/fs09-sgid-dir", 02775));
	static const unsigned char capv2[20] = {0, 0, 0,
						2, 0, 0x20}; /* CAP_SYS_ADMIN */
	TRY("plant-file-capability",
	    setxattr("/tmp/fs09-suid", "security.capability", capv2,
		     sizeof(capv2), 0));
	if (stat("/tmp/fs09-suid", &st) == 0 && (st.st_mode & 06000))
		escaped("a set-id bit was set: mode %o", st.st_mode);
	/* Python start-up hooks */
	report("plant-mkdir-site", mkdir("/tmp/site", 0755), errno);
	write_file("plant-pth", "/tmp/site/fs09.pth",
		   "import os; os.system('id')\n");
	write_file("plant-sitecustomize", "/tmp/sitecustomize.py",
		   "print('fs09')\n");
	report("plant-mkdir-pycache", mkdir("/tmp/__pycache__", 0755), errno);
	write_file("plant-pyc", "/tmp/__pycache__/os.cpython-311.pyc",
		   "poison");

	/* a sparse 1 TB file: over the file-size limit (1G by default) */
	signal(SIGXFSZ, SIG_IGN);
	long fd = open("/tmp/fs09-sparse", O_WRONLY | O_CREAT, 0644);
	TRY("plant-sparse-1t", ftruncate((int)fd, 1LL << 40));
	TRY("plant-sparse-16m", ftruncate((int)fd, 16LL << 20));
	close((int)fd);
	/* a directory chain deeper than PATH_MAX can name, built through
	 * fds (2100: 10 000 took 4 s of system time here, each call costing
	 * the depth) */
	int depth = dir_chain("/tmp", 2100);
	report("plant-deep-chain", depth == 2100 ? 0 : -1, errno);
	note("directory chain %d deep", depth);
	done();
	return 0;
}
