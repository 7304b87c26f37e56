/* PROC-08 caps-rlimits-groups: every capability set is empty, bits above
 * CAP_LAST_CAP included, and cannot be raised: capset (EPERM), the
 * ambient set (EPERM), no_new_privs cannot be cleared (EINVAL).  Every
 * rlimit has hard = soft, so none can be raised: setrlimit to the hard
 * value changes nothing, to infinity is refused (EPERM) wherever the hard
 * limit is finite, and prlimit on another process is refused by the
 * filter (EPERM).  setgroups fails (EPERM: no capability in the
 * sandbox's user namespace either), and setuid(0), setresuid(0, 0, 0),
 * setgid(0) too (EINVAL: only uid and gid 1000 are mapped).  The
 * group-deny case of CVE-2014-8989 cannot be built inside: the sandbox
 * has one group, and setgroups is refused. */
#include "attack.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/resource.h>

static const struct {
	const char *name;
	int resource;
} limits[] = {
	{"cpu", RLIMIT_CPU},	       {"fsize", RLIMIT_FSIZE},
	{"data", RLIMIT_DATA},	       {"stack", RLIMIT_STACK},
	{"core", RLIMIT_CORE},	       {"rss", RLIMIT_RSS},
	{"nproc", RLIMIT_NPROC},       {"nofile", RLIMIT_NOFILE},
	{"memlock", RLIMIT_MEMLOCK},   {"as", RLIMIT_AS},
	{"locks", RLIMIT_LOCKS},       {"sigpending", RLIMIT_SIGPENDING},
	{"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
	{"rtprio", RLIMIT_RTPRIO},     {"rttime", RLIMIT_RTTIME},
};

static void check_caps(const char *when)
{
	static char buf[8192];
	char value[64];
	read_text("/proc/self/status", buf, sizeof(buf));
	static const char *const keys[] = {
		"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
	for (int i = 0; i < 5; i++) {
		if (status_field(buf, keys[i], value, sizeof(value)) < 0)
			escaped("%s: no %s line", when, keys[i]);
		else if (strcmp(value, "0000000000000000") != 0)
			escaped("%s: %s %s", when, keys[i], value);
	}
	if (status_field(buf, "NoNewPrivs:", value, sizeof(value)) < 0 ||
	    strcmp(value, "1") != 0)
		escaped("%s: no_new_privs is off", when);
}

int main(void)
{
	check_caps("at start");
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	TRY("capget", syscall(SYS_capget, &hdr, data));
	if (data[0].effective | data[0].permitted | data[0].inheritable |
	    data[1].effective | data[1].permitted | data[1].inheritable)
		escaped("capget shows capabilities");
	struct __user_cap_data_struct all[2];
	memset(all, 0xff, sizeof(all));
	TRY("capset-all", syscall(SYS_capset, &hdr, all));
	struct __user_cap_data_struct inh[2] = {{0, 0, 0xffffffff},
						{0, 0, 0xffffffff}};
	TRY("capset-inheritable", syscall(SYS_capset, &hdr, inh));
	TRY("ambient-raise-sys-admin",
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
	TRY("ambient-raise-bit-63",
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 63, 0, 0));
	TRY("clear-no-new-privs", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
	TRY("securebits-clear", prctl(PR_SET_SECUREBITS, 0, 0, 0, 0));
	TRY("keepcaps-on", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	check_caps("after the raises");

	char name[64];
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit old, now;
		getrlimit(limits[i].resource, &old);
		note("RLIMIT_%s: soft %llu hard %llu", limits[i].name,
		     (unsigned long long)old.rlim_cur,
		     (unsigned long long)old.rlim_max);
		if (old.rlim_cur != old.rlim_max) {
			/* soft below hard: the guest may raise it (pysandbox's
			 * RLIMIT_AS mistake). */
			struct rlimit up = {old.rlim_max, old.rlim_max};
			snprintf(name, sizeof(name), "payoff-raise-soft-%s",
				 limits[i].name);
			TRY(name, setrlimit(limits[i].resource, &up));
		} else {
			snprintf(name, sizeof(name), "set-to-hard-%s",
				 limits[i].name);
			TRY(name, setrlimit(limits[i].resource, &old));
		}
		if (old.rlim_max != RLIM_INFINITY) {
			struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
			snprintf(name, sizeof(name),
				 "payoff-raise-to-infinity-%s", limits[i].name);
			TRY(name, setrlimit(limits[i].resource, &inf));
			struct rlimit more = {old.rlim_max + 1,
					      old.rlim_max + 1};
			snprintf(name, sizeof(name), "payoff-raise-by-one-%s",
				 limits[i].name);
			TRY(name, setrlimit(limits[i].resource, &more));
		}
		getrlimit(limits[i].resource, &now);
		if (now.rlim_max > old.rlim_max || now.rlim_cur > old.rlim_max)
			escaped("RLIMIT_%s went up: %llu -> %llu",
				limits[i].name,
				(unsigned long long)old.rlim_max,
				(unsigned long long)now.rlim_max);
	}
	struct rlimit nofile;
	TRY("prlimit-init-read",
	    syscall(SYS_prlimit64, 1, RLIMIT_NOFILE, NULL, &nofile));
	struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
	TRY("prlimit-init-raise",
	    syscall(SYS_prlimit64, 1, RLIMIT_NOFILE, &inf, NULL));

	TRY("setgroups-empty", setgroups(0, NULL));
	gid_t root_group = 0;
	TRY("setgroups-root", setgroups(1, &root_group));
	TRY("setuid-0", setuid(0));
	TRY("setresuid-0", setresuid(0, 0, 0));
	TRY("setreuid-0", setreuid(0, 0));
	TRY("setgid-0", setgid(0));
	TRY("setresgid-0", setresgid(0, 0, 0));
	setfsuid(0);
	setfsgid(0);
	if (setfsuid(-1) != 1000 || setfsgid(-1) != 1000 || geteuid() != 1000 ||
	    getegid() != 1000)
		escaped("the credentials changed: euid %d egid %d",
			(int)geteuid(), (int)getegid());
	check_caps("at the end");
	done();
	return 0;
}
