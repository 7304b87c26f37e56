/* creds.c - who the payload is: an unprivileged uid inside, with every
 * capability set empty, securebits locked and no_new_privs; and in root
 * mode, a host uid of its own.
 *
 * The child needs capabilities in its user namespace to build the mounts,
 * and it must already be the sandbox user then, so that what it creates in
 * the new root is owned by a mapped uid.  It therefore switches uid with
 * keep-caps, raises the kept capabilities, does its setup, and drops all of
 * them before the payload starts. */
#define _GNU_SOURCE
#include "plan.h"

#include "cleanup.h"
#include "error.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int creds_enter(const struct plan *plan, struct report *fail)
{
	if (plan->privileged && sys_setgroups_none() < 0)
		return step_failed(fail, STEP_SETGROUPS, -1, errno);
	if (sys_setresgid(plan->gid) < 0)
		return step_failed(fail, STEP_SETGID, -1, errno);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    sys_setresuid(plan->uid) < 0)
		return step_failed(fail, STEP_SETUID, -1, errno);
	/* The uid change emptied the effective set; take back the permitted
	 * one, which is all capabilities of this user namespace only. */
	struct cap_data caps[2];
	if (sys_capget(caps) < 0)
		return step_failed(fail, STEP_CAPS_RAISE, -1, errno);
	caps[0].effective = caps[0].permitted;
	caps[1].effective = caps[1].permitted;
	if (sys_capset(caps) < 0)
		return step_failed(fail, STEP_CAPS_RAISE, -1, errno);
	return 0;
}

static int last_cap(void)
{
	/* Read the running kernel's last capability, not the headers': a
	 * newer kernel may know more, and each must leave the bounding set. */
	char buf[16];
	ssize_t n =
		read_small("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf));
	int last = 0;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		last = last * 10 + (buf[i] - '0');
	return n > 0 ? last : 63;
}

int creds_drop(struct report *fail)
{
	/* Locked securebits: no uid 0 inside can regain capabilities through
	 * execve or setuid, and no later process can unlock them. */
	unsigned long bits =
		SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
		SECBIT_NO_CAP_AMBIENT_RAISE |
		SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return step_failed(fail, STEP_SECUREBITS, -1, errno);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return step_failed(fail, STEP_CAPS_DROP, -1, errno);
	int last = last_cap();
	for (int cap = 0; cap <= last; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return step_failed(fail, STEP_CAPS_DROP, -1, errno);
	struct cap_data none[2] = {{0, 0, 0}, {0, 0, 0}};
	if (sys_capset(none) < 0)
		return step_failed(fail, STEP_CAPS_DROP, -1, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return step_failed(fail, STEP_NO_NEW_PRIVS, -1, errno);
	return 0;
}

/* Root mode gives each concurrent run a host uid of its own, so that
 * per-uid kernel counters (RLIMIT_NPROC, inotify and key quotas) and file
 * ownership are never shared between two runs.  The uids come from a range
 * no account uses: 0x70000000 and up, far above the system and user ids
 * and above the /etc/subuid ranges Debian hands out (100000 + 65536 per
 * user).  A run owns uid BASE + i while it holds an open-file-description
 * lock on byte i of one lock file.  The kernel drops the lock when the
 * supervisor exits, however it exits, so a crash never leaks a uid and no
 * cleanup is needed. */
#define HOST_UID_BASE 0x70000000U
#define HOST_UID_COUNT 65536U
#define HOST_UID_DIR "/run/stockade"
#define HOST_UID_LOCK HOST_UID_DIR "/host-uids.lock"

int creds_claim_host_uid(uid_t *uid, int *lock_fd, struct stk_error **err)
{
	if (mkdir(HOST_UID_DIR, 0700) < 0 && errno != EEXIST)
		return stk_error_set(err, errno, "host-uid", "%s: %s",
				     HOST_UID_DIR, stk_strerror(errno));
	_cleanup_close_ int fd = open(
		HOST_UID_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return stk_error_set(err, errno, "host-uid", "%s: %s",
				     HOST_UID_LOCK, stk_strerror(errno));
	/* Start where another supervisor is unlikely to, then probe. */
	unsigned start = ((unsigned)getpid() * 2654435761U) % HOST_UID_COUNT;
	for (unsigned k = 0; k < HOST_UID_COUNT; k++) {
		unsigned i = (start + k) % HOST_UID_COUNT;
		struct flock lk = {.l_type = F_WRLCK,
				   .l_whence = SEEK_SET,
				   .l_start = i,
				   .l_len = 1};
		if (fcntl(fd, F_OFD_SETLK, &lk) == 0) {
			*uid = HOST_UID_BASE + i;
			*lock_fd = steal_fd(&fd);
			return 0;
		}
		if (errno != EAGAIN && errno != EACCES)
			return stk_error_set(err, errno, "host-uid",
					     "locking %s: %s", HOST_UID_LOCK,
					     stk_strerror(errno));
	}
	return stk_error_set(err, EBUSY, "host-uid",
			     "all %u host uids are in use", HOST_UID_COUNT);
}
