/* ns.c - the namespaces' contents: id maps and host name.
 *
 * The namespaces themselves come from one clone3 call in spawn.c, the
 * network namespace from the helper (helper.c); this file fills them.  The
 * supervisor writes the id maps from outside (in root mode only it may map
 * a uid other than its own); the child names its UTS namespace. */
#define _GNU_SOURCE
#include "plan.h"

#include "cleanup.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
				     stk_strerror(errno));
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

/* Without a memory cgroup, what a socket holds is bounded through the
 * descriptors that reach it (limits.c): a socket may hold its own buffer,
 * and a listener or a datagram receiver the queued data of peers that
 * closed theirs.  The run's network namespace is its own, so its queues
 * can be short: 4 connections waiting for accept, 4 datagrams waiting on a
 * unix socket, and TCP windows of 64 KiB (the defaults grow to 4 and 32
 * MiB).  Written with the capabilities of setup, from inside: the
 * payload, without them, cannot change them back. */
static const struct {
	const char *path, *value;
} net_bounds[] = {
	{"/proc/sys/net/core/somaxconn", "4\n"},
	{"/proc/sys/net/unix/max_dgram_qlen", "4\n"},
	{"/proc/sys/net/ipv4/tcp_rmem", "4096 65536 65536\n"},
	{"/proc/sys/net/ipv4/tcp_wmem", "4096 16384 65536\n"},
};

int ns_bound_net_buffers(const struct plan *plan, struct report *fail)
{
	if (plan->cg_memory)
		return 0; /* the cgroup counts socket memory */
	for (size_t i = 0; i < ARRAY_SIZE(net_bounds); i++) {
		int fd = open(net_bounds[i].path, O_WRONLY | O_CLOEXEC);
		size_t len = strlen(net_bounds[i].value);
		ssize_t n = fd < 0 ? -1 : write(fd, net_bounds[i].value, len);
		int saved = errno;
		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)len)
			return step_failed(fail, STEP_NET_BUFFERS, (int)i,
					   n < 0 ? saved : EIO);
	}
	return 0;
}

const char *ns_net_bound_path(int index)
{
	return index >= 0 && (size_t)index < ARRAY_SIZE(net_bounds)
		       ? net_bounds[index].path
		       : "?";
}
