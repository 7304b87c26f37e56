/* PROC-04 cross-sandbox: another sandbox runs beside this one for the
 * whole session (the harness's neighbour, same mode: a shell that starts
 * a `sleep` every 50 ms; each attack's four runs follow one another too).
 * Nothing of it may be visible: /proc shows only processes of this run's
 * pid namespace, a kill(pid, 0) scan finds no other, the unix socket table of
 * the network namespace is empty, System V IPC keys 0-65535 and the
 * /proc/sysvipc tables show nothing, and the markers each run leaves in /tmp,
 * /dev/shm, System V and POSIX message queues are never found by the next run
 * (ENOENT). inotify, which would report the neighbour's opens of the shared
 * /usr, is not in the policy (ENOSYS), nor fanotify; no cgroup file system is
 * mounted.  Accepted side channels: /proc/loadavg's host-wide task
 * counts, the run's own cgroup v1 paths in /proc/self/cgroup. */
#include "attack.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#define MARK_KEY 0x5704C0DE
#define MARK_NAME "stockade-proc04-marker"

static int lines(const char *path)
{
	char buf[65536];
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	int count = 0;
	for (char *p = buf; (p = strchr(p, '\n')); p++)
		count++;
	return count;
}

int main(void)
{
	char path[512], buf[256];
	static char status[8192];
	pid_t own[64];
	int nown = own_pids(own, 64);
	for (int i = 0; i < nown; i++) {
		/* Each process /proc shows must be of this run's pid
		 * namespace: NSpid names it at one level only, with the
		 * number /proc gives it.  (Besides init and this program,
		 * stockade's short-lived setup helper may still be here.) */
		char pid[16], comm[64], nspid[64];
		snprintf(pid, sizeof(pid), "%d", (int)own[i]);
		snprintf(path, sizeof(path), "/proc/%s/status", pid);
		read_text(path, status, sizeof(status));
		if (status_field(status, "Name:", comm, sizeof(comm)) < 0 ||
		    status_field(status, "\nNSpid:", nspid, sizeof(nspid)) < 0)
			continue; /* it has just ended */
		note("/proc/%s: %s, NSpid %s", pid, comm, nspid);
		if (strcmp(nspid, pid) != 0)
			escaped("/proc shows a process of another pid "
				"namespace: %s %s (NSpid %s)",
				pid, comm, nspid);
	}
	scan_foreign_pids(2, own, nown);

	/* Sockets, IPC: the tables of this run's namespaces are empty. */
	static const char *const tables[] = {
		"/proc/net/unix", "/proc/sysvipc/shm", "/proc/sysvipc/msg",
		"/proc/sysvipc/sem"};
	for (int i = 0; i < 4; i++) {
		int n = lines(tables[i]);
		note("%s: %d lines", tables[i], n);
		if (n > 1)
			escaped("%s lists %d entries", tables[i], n - 1);
	}
	long found = -1;
	int err = ENOENT;
	for (key_t key = 0; key <= 65535; key++) {
		if (key == IPC_PRIVATE)
			continue;
		if (shmget(key, 0, 0) >= 0)
			found = 0;
		else if (errno != ENOENT)
			err = errno;
	}
	report("shmget-keys-0-65535", found, err);
	found = -1;
	err = ENOENT;
	for (key_t key = 1; key <= 65535; key++) {
		if (msgget(key, 0) >= 0 || semget(key, 0, 0) >= 0)
			found = 0;
		else if (errno != ENOENT)
			err = errno;
	}
	report("msgget-semget-keys-1-65535", found, err);

	/* The markers of an earlier run must not be here. */
	TRY("shmget-marker-of-earlier-run", shmget(MARK_KEY, 0, 0));
	TRY("shmget-create-marker",
	    shmget(MARK_KEY, 4096, IPC_CREAT | IPC_EXCL | 0600));
	TRY("msgget-marker-of-earlier-run", msgget(MARK_KEY, 0));
	TRY("msgget-create-marker",
	    msgget(MARK_KEY, IPC_CREAT | IPC_EXCL | 0600));
	mqd_t mq = mq_open("/" MARK_NAME, O_RDONLY);
	report("mq-open-marker-of-earlier-run", mq == (mqd_t)-1 ? -1 : 0,
	       errno);
	mq = mq_open("/" MARK_NAME, O_RDONLY | O_CREAT | O_EXCL, 0600, NULL);
	report("mq-create-marker", mq == (mqd_t)-1 ? -1 : 0, errno);
	static const char *const dirs[] = {"/tmp", "/dev/shm"};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/" MARK_NAME, dirs[i]);
		struct stat st;
		snprintf(buf, sizeof(buf), "stat-marker-of-earlier-run-%s",
			 dirs[i] + 1);
		for (char *p = buf; *p; p++)
			if (*p == '/')
				*p = '-';
		TRY(buf, stat(path, &st));
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		snprintf(buf, sizeof(buf), "create-marker-%s", dirs[i] + 1);
		for (char *p = buf; *p; p++)
			if (*p == '/')
				*p = '-';
		report(buf, fd, errno);
		if (fd >= 0)
			close(fd);
	}

	/* Watching the shared /usr for the neighbour's opens. */
	long fd = TRY("inotify-init1", syscall(SYS_inotify_init1, IN_CLOEXEC));
	if (fd >= 0) {
		TRY("inotify-watch-usr-bin",
		    inotify_add_watch(fd, "/usr/bin", IN_OPEN | IN_ACCESS));
		close(fd);
	}
	TRY("inotify-init", syscall(SYS_inotify_init));
	TRY("fanotify-init",
	    syscall(SYS_fanotify_init, FAN_CLASS_NOTIF, O_RDONLY));
	TRY("open-sys-fs-cgroup",
	    open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY));

	read_text("/proc/loadavg", buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	note("accepted side channel, /proc/loadavg: %s", buf);
	done();
	return 0;
}
