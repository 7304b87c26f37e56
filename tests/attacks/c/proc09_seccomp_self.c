/* PROC-09 seccomp-self: the program may not touch seccomp at all:
 * seccomp() is not in the policy (ENOSYS) - a filter of its own with a
 * notify listener (it would answer its own calls), with TSYNC, the
 * action query - and prctl(PR_SET_SECCOMP) is refused (EPERM), strict
 * mode too.  The filter cannot be dumped (ptrace: EPERM).  After an
 * execve of itself the filter is still there: Seccomp 2, and
 * Seccomp_filters never drops below what it was. */
#include "attack.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

static int filters(int *mode)
{
	static char buf[8192];
	char value[32];
	read_text("/proc/self/status", buf, sizeof(buf));
	*mode = -1;
	if (status_field(buf, "\nSeccomp:", value, sizeof(value)) == 0)
		*mode = atoi(value);
	if (status_field(buf, "\nSeccomp_filters:", value, sizeof(value)) < 0)
		return -1;
	return atoi(value);
}

int main(int argc, char **argv)
{
	(void)argc;
	int mode;
	int count = filters(&mode);
	const char *before = getenv("STOCKADE_ATTACK_FILTERS");
	if (before) {
		note("after execve: Seccomp %d, Seccomp_filters %d (before: "
		     "%s)",
		     mode, count, before);
		if (mode != 2 || count < atoi(before))
			escaped("the filter is gone after execve: Seccomp %d, "
				"%d filters",
				mode, count);
		TRY("after-exec-still-filtered", syscall(SYS_keyctl, 0, -4, 0));
		done();
		return 0;
	}
	note("Seccomp %d, Seccomp_filters %d", mode, count);
	if (mode != 2 || count < 1)
		escaped("no seccomp filter at start");

	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {.len = 1, .filter = allow};
	long fd = TRY("seccomp-filter-new-listener",
		      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
	if (fd > 0)
		close(fd);
	TRY("seccomp-filter-tsync",
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog));
	TRY("seccomp-filter-plain",
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
	__u32 action = SECCOMP_RET_USER_NOTIF;
	TRY("seccomp-get-action-avail",
	    syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action));
	struct seccomp_notif_sizes sizes;
	TRY("seccomp-get-notif-sizes",
	    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes));
	TRY("prctl-set-seccomp-filter",
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
	/* Strict mode would end this program at its next call but read,
	 * write and exit: harmless, and refused anyway. */
	TRY("prctl-set-seccomp-strict",
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0));
	/* prctl's option is an int: the upper 32 bits must not hide
	 * PR_SET_SECCOMP from the filter (an allow-all filter: harmless). */
	TRY("prctl-set-seccomp-highbits",
	    syscall(SYS_prctl, (1UL << 32) | PR_SET_SECCOMP,
		    SECCOMP_MODE_FILTER, &prog, 0, 0));
	TRY("prctl-get-seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	struct sock_filter dump[64];
	TRY("ptrace-seccomp-get-filter",
	    ptrace(PTRACE_SECCOMP_GET_FILTER, getppid(), 0, dump));
	int mode2;
	if (filters(&mode2) < count || mode2 != 2)
		escaped("the filter count dropped");

	char value[16];
	snprintf(value, sizeof(value), "%d", count);
	setenv("STOCKADE_ATTACK_FILTERS", value, 1);
	char *args[] = {argv[0], NULL};
	execve("/proc/self/exe", args, environ);
	report("execve-self", -1, errno);
	done();
	return 0;
}
