/* SYS-13 cross-process-syscalls: the calls that reach into another
 * process are forbidden (EPERM: pidfd_getfd, process_vm_readv/writev,
 * kcmp) or unknown to the policy (ENOSYS: process_madvise,
 * process_mrelease), against the sandbox's init and against a child of
 * its own.  pidfd_open itself is allowed (it only names a process the
 * pid namespace shows).  Within one sandbox this is harmless; the point
 * is a smaller kernel surface and no route to init's descriptors. */
#include "attack.h"

#include <linux/kcmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

int main(void)
{
	static char secret_of_child[64] = "child memory";
	char buf[64];
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		close(pipefd[1]);
		read(pipefd[0], buf, 1); /* until the parent is done */
		_exit(0);
	}
	close(pipefd[0]);

	pid_t targets[] = {getppid(), 1, child};
	const char *names[] = {"parent", "init", "child"};
	for (int i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof(name), "pidfd-open-%s", names[i]);
		long pidfd = TRY(name, syscall(SYS_pidfd_open, targets[i], 0));
		snprintf(name, sizeof(name), "pidfd-getfd-%s", names[i]);
		long fd = TRY(name, syscall(SYS_pidfd_getfd, pidfd, 3, 0));
		if (fd >= 0)
			close(fd);
		struct iovec local = {buf, sizeof(buf)};
		struct iovec remote = {secret_of_child, sizeof(buf)};
		snprintf(name, sizeof(name), "process-vm-readv-%s", names[i]);
		TRY(name, syscall(SYS_process_vm_readv, targets[i], &local, 1,
				  &remote, 1, 0));
		/* A bad remote address: EFAULT if the call got through. */
		struct iovec nowhere = {(void *)8, 1};
		snprintf(name, sizeof(name), "process-vm-writev-%s", names[i]);
		TRY(name, syscall(SYS_process_vm_writev, targets[i], &local, 1,
				  &nowhere, 1, 0));
		snprintf(name, sizeof(name), "kcmp-file-%s", names[i]);
		TRY(name,
		    syscall(SYS_kcmp, getpid(), targets[i], KCMP_FILE, 0, 0));
		struct iovec advise = {(void *)secret_of_child, 4096};
		snprintf(name, sizeof(name), "process-madvise-%s", names[i]);
		TRY(name, syscall(SYS_process_madvise, pidfd, &advise, 1,
				  MADV_COLD, 0));
		snprintf(name, sizeof(name), "process-mrelease-%s", names[i]);
		TRY(name, syscall(SYS_process_mrelease, pidfd, 0));
		if (pidfd >= 0)
			close(pidfd);
	}
	close(pipefd[1]);
	waitpid(child, NULL, 0);
	done();
	return 0;
}
