/* helper.c - a second process of the child for the slow kernel work.
 *
 * Two steps of a run cost more than all the others together: creating the
 * network namespace (about 0.4 ms here) and detaching the old root, whose
 * unmount then waits for an RCU grace period (about 0.4 ms on this VM,
 * where waking an idle vCPU is slow).  Neither needs the child while it
 * runs, so a helper does both and the child goes on building the root:
 *
 *   helper                                child
 *   unshare(CLONE_NEWNET), lo up    |     clone host trees, credentials,
 *   report                          |     build the root
 *                                   +---> join the network namespace
 *                                         pivot_root, tell the helper
 *   umount2(old root, MNT_DETACH)   <---  wait until "/.." is the new root
 *   (grace period)                        go on: the old root is already
 *   report, exit                          out of reach
 *
 * A lazy unmount takes the tree out of the mount table at once, under the
 * namespace lock, and only then waits for the grace period before freeing
 * it; the child watches "/.." change and does not wait for the rest.
 *
 * The helper shares the child's memory (CLONE_VM) but has its own stack,
 * fd table and root; it makes only system calls and reports errnos on a
 * pipe.  It shares the child's thread pointer too, and so errno, which
 * libc writes only when a call fails: then the run fails at the helper's
 * step anyway, and at worst a failure of the child's at the same moment
 * is reported with the helper's errno.  It ends before the payload starts or
 * soon after, inside the pid namespace, and cannot be reached by it: its memory
 * is not dumpable and its credentials are not the payload's. */
#define _GNU_SOURCE
#include "plan.h"

#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char helper_stack[16 * 1024] __attribute__((aligned(16)));

/* Set by the child before the clone; the helper reads its copy. */
static struct {
	int report; /* write end */
	int go;	    /* read end */
	int old_root;
} helper_fds;

/* A new network namespace has only lo, and it is down: programs that talk
 * to themselves over 127.0.0.1 (test servers, multiprocessing managers)
 * need it up.  Nothing else is reachable. */
ON_BORROWED_STACK static int make_network(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return errno;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return errno;
	close(sock);
	return 0;
}

/* "/proc/self/fd/N" of the old root: after pivot_root our root is the new
 * one, whose /proc is mounted, and the link leads to the old root mount. */
ON_BORROWED_STACK static int detach_old_root(void)
{
	char path[32] = "/proc/self/fd/";
	char digits[12];
	int n = 0;
	for (unsigned v = (unsigned)helper_fds.old_root; n == 0 || v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	size_t len = strlen(path);
	while (n)
		path[len++] = digits[--n];
	path[len] = '\0';
	return umount2(path, MNT_DETACH) < 0 ? errno : 0;
}

ON_BORROWED_STACK static int helper_main(void *unused)
{
	(void)unused;
	int err = make_network();
	/* Unreported, the child would wait for us while we wait for it: we
	 * go instead, and the child reads the end of the pipe (EIO). */
	bool told = write(helper_fds.report, &err, sizeof(err)) == sizeof(err);
	char go;
	if (!told || err || read(helper_fds.go, &go, 1) != 1)
		_exit(0); /* failed, or the child is gone */
	err = detach_old_root();
	(void)!write(helper_fds.report, &err, sizeof(err));
	_exit(0);
}

int helper_start(struct helper *h, struct report *fail)
{
	int report[2], go[2];
	if (pipe2(report, O_CLOEXEC) < 0)
		return step_failed(fail, STEP_NETNS, -1, errno);
	if (pipe2(go, O_CLOEXEC) < 0)
		return step_failed(fail, STEP_NETNS, -1, errno);
	int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (old_root < 0)
		return step_failed(fail, STEP_DETACH_OLD_ROOT, -1, errno);
	helper_fds.report = report[1];
	helper_fds.go = go[0];
	helper_fds.old_root = old_root;
	h->pid = clone(helper_main, helper_stack + sizeof(helper_stack),
		       CLONE_VM | SIGCHLD, NULL);
	if (h->pid < 0)
		return step_failed(fail, STEP_NETNS, -1, errno);
	/* The helper has its own copies of these. */
	close(report[1]);
	close(go[0]);
	close(old_root);
	h->report = report[0];
	h->go = go[1];
	return 0;
}

static int helper_result(const struct helper *h)
{
	int err = 0;
	ssize_t n;
	while ((n = read(h->report, &err, sizeof(err))) < 0 && errno == EINTR)
		;
	return n == sizeof(err) ? err : EIO;
}

int helper_join_network(const struct helper *h, struct report *fail)
{
	int err = helper_result(h);
	/* Joining through a pidfd is a ptrace-read access to the helper, and
	 * the uid change made the memory we share non-dumpable, owned by the
	 * host's user namespace.  Nothing but our own code runs yet; init
	 * makes it non-dumpable again before the payload starts. */
	if (!err && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		err = errno;
	int pidfd = err ? -1 : (int)syscall(SYS_pidfd_open, h->pid, 0);
	if (!err && (pidfd < 0 || setns(pidfd, CLONE_NEWNET) < 0))
		err = errno;
	if (pidfd >= 0)
		close(pidfd);
	return err ? step_failed(fail, STEP_NETNS, -1, err) : 0;
}

static bool is_new_root(const char *path, const struct stat *new_root)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_dev == new_root->st_dev &&
	       st.st_ino == new_root->st_ino;
}

int helper_detach_old_root(struct helper *h, const struct stat *new_root,
			   struct report *fail)
{
	/* After pivot_root(".", ".") the old root is stacked on the new one.
	 * A lookup of "/" stops at our root without entering mounts stacked
	 * on it, so it proves nothing; "/.." steps into them, and leads to
	 * the new root only once the old one is out of the mount table.  If
	 * "/.." is the new root already now, the test cannot tell, and we
	 * wait for the helper's own report instead. */
	bool watch = !is_new_root("/..", new_root);
	if (write(h->go, "", 1) != 1)
		return step_failed(fail, STEP_DETACH_OLD_ROOT, -1, errno);
	int err = 0;
	for (;;) {
		if (watch && is_new_root("/..", new_root))
			break; /* the old root is out of the mount table */
		struct pollfd p = {.fd = h->report, .events = POLLIN};
		if (poll(&p, 1, watch ? 0 : -1) > 0) {
			/* Done or failed.  Done, and "/.." is still not our
			 * root: something else is stacked there, and that is
			 * not a root to run under. */
			err = helper_result(h);
			if (!err && !is_new_root("/..", new_root))
				err = EBUSY;
			break;
		}
		sched_yield();
	}
	close(h->report);
	close(h->go);
	return err ? step_failed(fail, STEP_DETACH_OLD_ROOT, -1, err) : 0;
}
