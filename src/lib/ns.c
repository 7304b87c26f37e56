/* ns.c - the namespaces' contents: id maps, host name, loopback.
 *
 * The namespaces themselves come from one clone3 call in spawn.c; this
 * file fills them.  The supervisor writes the id maps from outside (in root
 * mode only it may map a uid other than its own); the child names its UTS
 * namespace and brings up the loopback of its network namespace, the only
 * interface it has. */
#define _GNU_SOURCE
#include "plan.h"

#include "cleanup.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_proc(pid_t pid, const char *file, const char *text,
		      struct stk_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return stk_error_set(err, errno, "id-map",
				     "writing %s of the sandbox: %s", file,
				     strerror(errno));
	return 0;
}

int ns_write_id_maps(pid_t pid, const struct plan *plan, struct stk_error **err)
{
	char map[64];
	int r = 0;
	/* Without privilege the kernel requires setgroups to be denied
	 * before a gid map is written; the sandbox then keeps the caller's
	 * supplementary groups, seen inside as the overflow gid. */
	if (!plan->privileged)
		r = write_proc(pid, "setgroups", "deny", err);
	snprintf(map, sizeof(map), "%u %u 1\n", plan->uid, plan->host_uid);
	if (r == 0)
		r = write_proc(pid, "uid_map", map, err);
	snprintf(map, sizeof(map), "%u %u 1\n", plan->gid, plan->host_gid);
	if (r == 0)
		r = write_proc(pid, "gid_map", map, err);
	return r;
}

int ns_set_hostname(const struct plan *plan, struct report *fail)
{
	if (sethostname(plan->hostname, strlen(plan->hostname)) < 0 ||
	    setdomainname("", 0) < 0)
		return step_failed(fail, STEP_HOSTNAME, -1, errno);
	return 0;
}

/* The network namespace is the most expensive object of a run: creating
 * it takes about half a millisecond here, as long as all the mounts
 * together.  So a helper creates it, and brings up its lo, while the child
 * builds the mounts; the child then joins it.  A new network namespace has
 * only lo, and it is down: programs that talk to themselves over 127.0.0.1
 * (test servers, multiprocessing managers) need it up.  Nothing else is
 * reachable.
 *
 * The helper shares the child's memory (CLONE_VM) and runs on its own
 * stack; it calls only system calls, and reports its errno on a pipe. */
static char helper_stack[16 * 1024] __attribute__((aligned(16)));

ON_BORROWED_STACK static int net_helper(void *arg)
{
	int fd = *(int *)arg, err = 0;
	if (unshare(CLONE_NEWNET) < 0) {
		err = errno;
	} else {
		int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq ifr = {.ifr_name = "lo"};
		if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
			err = errno;
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (!err && ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
			err = errno;
	}
	(void)!write(fd, &err, sizeof(err));
	/* Stay until the child has joined: a namespace is reached through a
	 * live process. */
	for (;;)
		pause();
	return 0; /* not reached */
}

int ns_net_start(struct net_helper *h, struct report *fail)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return step_failed(fail, STEP_NETNS, -1, errno);
	h->fd = p[0];
	h->write_fd = p[1];
	h->pid = clone(net_helper, helper_stack + sizeof(helper_stack),
		       CLONE_VM | SIGCHLD, &h->write_fd);
	if (h->pid < 0)
		return step_failed(fail, STEP_NETNS, -1, errno);
	return 0;
}

int ns_net_join(struct net_helper *h, struct report *fail)
{
	int err = 0;
	if (read(h->fd, &err, sizeof(err)) != sizeof(err))
		err = err ? err : EIO;
	/* Joining through a pidfd is a ptrace-read access to the helper, and
	 * the uid change made the memory we share non-dumpable, owned by the
	 * host's user namespace.  Nothing but our own code runs yet; init
	 * turns dumpable off again before the payload starts. */
	if (!err && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		err = errno;
	int pidfd = err ? -1 : (int)syscall(SYS_pidfd_open, h->pid, 0);
	if (!err && (pidfd < 0 || setns(pidfd, CLONE_NEWNET) < 0))
		err = errno;
	if (pidfd >= 0)
		close(pidfd);
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	close(h->fd);
	close(h->write_fd);
	return err ? step_failed(fail, STEP_NETNS, -1, err) : 0;
}
