/* ESC-06 helper-exposure: reach the setup helper while it still holds
 * privilege or host fds (runc CVE-2016-9962, bwrap CVE-2016-8659 and
 * CVE-2020-5291).  Inside, the only process besides the program's own is
 * stockade's init: it must hold no capability and no host uid 0, and be
 * neither traceable nor readable (ptrace, /proc/1/{mem,fd,cwd,root,
 * environ}, process_vm_readv).  The attempts start as early as the program
 * can (first thing in main), and a child races them against the whole pid
 * space: signal 0 to every pid that is not ours finds nobody (ESRCH), as
 * the namespace holds no process of another run or of the host. */
#include "attack.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

/* The fields of /proc/PID/status that tell privilege, in one note; a
 * process of the run with uid 0 or a capability is a finding. */
static void check_status(long pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return;
	/* A zombie (stockade's network helper, pid 2, until init reaps it)
	 * shows the credentials it died with and has nothing left to use. */
	if (strstr(buf, "\nState:\tZ")) {
		note("pid %ld is a zombie", pid);
		return;
	}
	char *s = buf, *line;
	while ((line = strsep(&s, "\n"))) {
		unsigned long u[4];
		unsigned long long cap;
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2],
			   &u[3]) == 4) {
			note("pid %ld: %s", pid, line);
			for (int i = 0; i < 4; i++)
				if (u[i] == 0)
					escaped("pid %ld has uid 0: %s", pid,
						line);
		} else if (sscanf(line, "CapEff: %llx", &cap) == 1 ||
			   sscanf(line, "CapPrm: %llx", &cap) == 1 ||
			   sscanf(line, "CapBnd: %llx", &cap) == 1 ||
			   sscanf(line, "CapAmb: %llx", &cap) == 1) {
			if (cap)
				escaped("pid %ld holds capabilities: %s", pid,
					line);
		} else if (!strncmp(line, "NoNewPrivs:", 11) ||
			   !strncmp(line, "Seccomp:", 8)) {
			note("pid %ld: %s", pid, line);
		}
	}
}

/* stockade's network helper (pid 2) may linger as a zombie until init
 * reaps it: it answers signal 0 (EPERM, Landlock's signal scope) and has
 * nothing left to attack; one reaped meanwhile is gone. */
static int gone_or_zombie(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return 1;
	char *end = strrchr(buf, ')');
	return end && end[1] == ' ' && end[2] == 'Z';
}

static void attack(long pid)
{
	char name[64], path[64], buf[64];
	snprintf(name, sizeof(name), "payoff-ptrace-seize-pid%ld", pid);
	TRY(name, ptrace(PTRACE_SEIZE, pid, 0, 0));
	snprintf(name, sizeof(name), "payoff-ptrace-attach-pid%ld", pid);
	TRY(name, ptrace(PTRACE_ATTACH, pid, 0, 0));
	static const char *const files[] = {"mem",  "environ", "fd",
					    "cwd",  "root",    "map_files",
					    "fd/0", "fd/3"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%ld/%s", pid, files[i]);
		snprintf(name, sizeof(name), "payoff-open-pid%ld-%s", pid,
			 files[i]);
		long fd = TRY(name, open(path, O_RDONLY));
		if (fd >= 0)
			close((int)fd);
	}
	/* Harmless if let through: our own buffer as the remote address. */
	struct iovec local = {buf, sizeof(buf)}, remote = {buf, sizeof(buf)};
	snprintf(name, sizeof(name), "payoff-process-vm-readv-pid%ld", pid);
	TRY(name, process_vm_readv(pid, &local, 1, &remote, 1, 0));
	snprintf(name, sizeof(name), "payoff-pidfd-getfd-pid%ld", pid);
	long pfd = syscall(SYS_pidfd_open, pid, 0);
	TRY(name, syscall(SYS_pidfd_getfd, pfd, 0, 0));
	if (pfd >= 0)
		close((int)pfd);
	check_status(pid);
}

int main(void)
{
	/* Earliest: init, before anything else of ours. */
	attack(1);
	pid_t self = getpid();
	DIR *proc = opendir("/proc");
	struct dirent *e;
	while (proc && (e = readdir(proc))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1)
			continue;
		if (pid == self) {
			check_status(pid);
			continue;
		}
		attack(pid);
	}
	if (proc)
		closedir(proc);
	/* The race: a child sweeps the pid space while we look again. */
	pid_t child = fork();
	if (child == 0) {
		pid_t me = getpid();
		int seen = 0;
		for (int round = 0; round < 3; round++)
			for (pid_t pid = 2; pid < 32768; pid++)
				if (pid != me && pid != self &&
				    (kill(pid, 0) == 0 || errno != ESRCH) &&
				    !gone_or_zombie(pid))
					seen = pid;
		if (seen)
			printf("# pid %d answered signal 0\n", seen);
		_exit(seen ? 1 : 0);
	}
	int status = 0;
	waitpid(child, &status, 0);
	report("signal0-sweep-foreign-pids",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? -1 : 0, ESRCH);
	done();
	return 0;
}
