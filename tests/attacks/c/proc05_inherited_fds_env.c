/* PROC-05 inherited-fds-env: stockade runs with C-FD (an O_PATH fd of
 * the host's /, the secret open for reading, a socket connected to the
 * TCP canary, none close-on-exec) and C-ENV (SBX_SECRET in its
 * environment).  Inside, only fds 0, 1 and 2 exist (3-1023: EBADF), and
 * the environment is the allowlist: PATH, HOME, LANG and what --env
 * gave (the canaries' CANARY_*), plus PWD, which a shell of the profile
 * adds itself.  On 0, 1 and 2 - pipes or /dev/null - nothing of a socket,
 * a seccomp notify fd or a pidfd answers (ENOTSOCK, ENOTTY, EBADF). */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int allowed_env(const char *entry)
{
	static const char *const names[] = {
		"PATH=", "HOME=", "LANG=", "PWD=", "CANARY_"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

int main(void)
{
	char name[96];
	int foreign = 0;
	for (char **e = environ; *e; e++) {
		note("environ: %s", *e);
		if (!allowed_env(*e)) {
			foreign++;
			escaped("a variable not on the allowlist: %.40s", *e);
		}
	}
	/* /proc/self/environ: the initial environment the kernel keeps. */
	static char buf[65536];
	int fd = open("/proc/self/environ", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	report("read-proc-self-environ", n, errno);
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!allowed_env(buf + i))
			escaped("/proc/self/environ holds %.40s", buf + i);
	fd = open("/proc/self/auxv", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	report("read-proc-self-auxv", n, errno);
	if (fd >= 0)
		close(fd);
	note("auxv: %zd bytes", n);

	/* Which fds are open: /proc/self/fd, and each number by fcntl. */
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char path[300], target[256];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		note("fd %s -> %s", e->d_name, target);
	}
	if (d)
		closedir(d);
	long open_fds = -1;
	for (int i = 3; i < 1024; i++)
		if (fcntl(i, F_GETFD) >= 0) {
			open_fds = 0;
			escaped("fd %d is open", i);
		}
	report("fcntl-getfd-3-1023", open_fds, EBADF);

	for (int i = 0; i < 3; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		snprintf(name, sizeof(name), "getsockname-fd%d", i);
		TRY(name, getsockname(i, (struct sockaddr *)&ss, &sl));
		sl = sizeof(ss);
		snprintf(name, sizeof(name), "getpeername-fd%d", i);
		TRY(name, getpeername(i, (struct sockaddr *)&ss, &sl));
		char cbuf[256], data[1];
		struct iovec iov = {data, 1};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		snprintf(name, sizeof(name), "recvmsg-fd%d", i);
		TRY(name, recvmsg(i, &msg, MSG_DONTWAIT));
		struct seccomp_notif notif;
		memset(&notif, 0, sizeof(notif));
		snprintf(name, sizeof(name), "seccomp-notif-recv-fd%d", i);
		TRY(name, ioctl(i, SECCOMP_IOCTL_NOTIF_RECV, &notif));
		snprintf(name, sizeof(name), "pidfd-send-signal-fd%d", i);
		TRY(name, syscall(SYS_pidfd_send_signal, i, 0, NULL, 0));
	}
	done();
	return 0;
}
