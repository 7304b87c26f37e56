/* FLT-07 pointer-args-invisible: seccomp sees registers, never the memory
 * they point to.  clone3 passes its flags in a struct (CVE-2021-41133):
 * stockade answers it ENOSYS whatever the struct says, so libc falls back
 * to clone, whose flags the filter reads.  openat2 passes flags and mode
 * in a struct too (a setuid mode, O_CREAT on a read-only path): it is not
 * in the policy (ENOSYS), and plain openat's O_CREAT on a read-only bind
 * is stopped by the mounts (EROFS).  A sockaddr is behind a pointer: the
 * host's abstract and pathname sockets are out of reach by the network
 * namespace, Landlock and the mount view (ECONNREFUSED, ENOENT), not by
 * the filter.  execveat(fd, "", AT_EMPTY_PATH) runs what an fd names:
 * it works, inside, on what the sandbox already shows (a note). */
#include "attack.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static long connect_unix(int type, const char *name, int abstract)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path + (abstract ? 1 : 0), sizeof(addr.sun_path) - 1,
		 "%s", name);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				    (abstract ? 1 : 0) + strlen(name) +
				    (abstract ? 0 : 1));
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	errno = 0;
	long r = type == SOCK_DGRAM
			 ? sendto(fd, "x", 1, 0, (struct sockaddr *)&addr, len)
			 : connect(fd, (struct sockaddr *)&addr, len);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int main(void)
{
	char path[600];
	/* clone3: flags in memory */
	TRY("clone3-newuser-newns", clone3_raw(CLONE_NEWUSER | CLONE_NEWNS));
	TRY("clone3-plain", clone3_raw(0));
	/* openat2: flags and mode in memory */
	snprintf(path, sizeof(path), "%s/flt07-created", canary("RO"));
	struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 0644};
	TRY("openat2-creat-ro",
	    syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)));
	struct open_how suid = {.flags = O_CREAT | O_WRONLY, .mode = 04755};
	TRY("openat2-creat-setuid",
	    syscall(SYS_openat2, AT_FDCWD, "/tmp/flt07-suid", &suid,
		    sizeof(suid)));
	TRY("openat-creat-ro",
	    openat(AT_FDCWD, path, O_CREAT | O_WRONLY, 0644));
	/* sockaddrs: the host's abstract socket (ECONNREFUSED: not in this
	 * network namespace) and its pathname socket (ENOENT: not mounted) */
	TRY("payoff-connect-abstract-canary",
	    connect_unix(SOCK_STREAM, canary("ABSTRACT"), 1));
	TRY("payoff-sendto-abstract-canary",
	    connect_unix(SOCK_DGRAM, canary("ABSTRACT"), 1));
	TRY("payoff-connect-unix-canary",
	    connect_unix(SOCK_STREAM, canary("UNIX"), 0));
	/* execveat of an fd: runs /bin/true, inside (not judged) */
	pid_t child = fork();
	if (child == 0) {
		int fd = open("/bin/true", O_PATH | O_CLOEXEC);
		char *argv[] = {"true", NULL}, *envp[] = {NULL};
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(100 + errno);
	}
	int status;
	waitpid(child, &status, 0);
	note("execveat(fd of /bin/true, \"\", AT_EMPTY_PATH): exit status %d",
	     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	TRY("execveat-empty-path-badfd",
	    syscall(SYS_execveat, -1, "", (char *[]){"x", NULL},
		    (char *[]){NULL}, AT_EMPTY_PATH));
	done();
	return 0;
}
