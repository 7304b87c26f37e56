/* PROC-07 setuid-filecaps: the setuid, setgid and file-capability
 * programs the read-only /usr shows are run; none may change the
 * credentials (no_new_privs, nosuid mounts).  Each one runs with its
 * stdout and stderr on a pipe that is already full, so that its first
 * write blocks and its /proc/PID/status can be read while it is that
 * program: real, effective, saved and fs uid and gid stay 1000 and the
 * capability sets stay empty ("same-creds"); a program that cannot be
 * run says why (ENOENT when absent, EACCES when not executable by
 * others).  pkexec runs with argc 0 (CVE-2021-4034) if present.  A copy
 * cannot be made setuid or setgid: chmod, fchmod, fchmodat, open and
 * mknod with those bits are refused (EPERM). */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/* Runs path with argv; prints "setuid-NAME same-creds" when it was seen
 * running as that program with the sandbox's credentials. */
static void run_one(const char *name, const char *path, char *const argv[])
{
	char line[96];
	snprintf(line, sizeof(line), "setuid-%s", name);
	int full[2], errpipe[2];
	if (pipe2(full, O_NONBLOCK) < 0 || pipe2(errpipe, O_CLOEXEC) < 0)
		return;
	char junk[4096];
	memset(junk, 'x', sizeof(junk));
	while (write(full[1], junk, sizeof(junk)) > 0)
		;
	while (write(full[1], junk, 1) > 0)
		;
	int flags = fcntl(full[1], F_GETFL);
	fcntl(full[1], F_SETFL, flags & ~O_NONBLOCK);
	pid_t child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(full[1], 1);
		dup2(full[1], 2);
		execve(path, argv,
		       (char *[]){"PATH=/usr/bin:/bin", "LANG=C", NULL});
		int e = errno;
		write(errpipe[1], &e, sizeof(e));
		_exit(127);
	}
	close(errpipe[1]);
	int e = 0;
	if (read(errpipe[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		report(line, -1, e);
	} else {
		/* execve succeeded: watch it until it blocks or ends. */
		static char status[8192];
		char spath[64], uid[64] = "", gid[64] = "", capeff[64] = "",
				capprm[64] = "", comm[64] = "";
		int seen = 0;
		snprintf(spath, sizeof(spath), "/proc/%d/status", (int)child);
		for (int i = 0; i < 400 && !seen; i++) {
			if (read_text(spath, status, sizeof(status)) <= 0)
				break;
			status_field(status, "Name:", comm, sizeof(comm));
			status_field(status, "State:", junk, 64);
			/* The exec is done (the close-on-exec pipe closed), but
			 * the new credentials are committed a little later:
			 * wait until it sleeps (blocked in its write) or has
			 * ended (a zombie keeps its credentials). */
			if (junk[0] == 'S' || junk[0] == 'Z') {
				status_field(status, "Uid:", uid, sizeof(uid));
				status_field(status, "Gid:", gid, sizeof(gid));
				status_field(status, "CapEff:", capeff,
					     sizeof(capeff));
				status_field(status, "CapPrm:", capprm,
					     sizeof(capprm));
				seen = 1;
			}
			struct timespec ms = {0, 1000 * 1000};
			if (!seen)
				nanosleep(&ms, NULL);
		}
		if (seen) {
			note("%s (%s): Uid %s, Gid %s, CapEff %s", name, comm,
			     uid, gid, capeff);
			if (strcmp(uid, "1000\t1000\t1000\t1000") != 0 ||
			    strcmp(gid, "1000\t1000\t1000\t1000") != 0 ||
			    strcmp(capeff, "0000000000000000") != 0 ||
			    strcmp(capprm, "0000000000000000") != 0)
				escaped("%s runs with Uid %s Gid %s CapEff %s",
					path, uid, gid, capeff);
			printf("%s same-creds\n", line);
		} else {
			printf("%s unobserved\n", line);
		}
		fflush(stdout);
	}
	close(errpipe[0]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(full[0]);
	close(full[1]);
}

int main(void)
{
	static const struct {
		const char *name, *path, *arg;
	} programs[] = {
		{"su", "/usr/bin/su", "--help"},
		{"passwd", "/usr/bin/passwd", "--help"},
		{"mount", "/usr/bin/mount", NULL},
		{"umount", "/usr/bin/umount", "--help"},
		{"chfn", "/usr/bin/chfn", "--help"},
		{"chsh", "/usr/bin/chsh", "--help"},
		{"gpasswd", "/usr/bin/gpasswd", "--help"},
		{"newgrp", "/usr/bin/newgrp", "--help"},
		{"firejail", "/usr/bin/firejail", "--version"},
		{"chage", "/usr/bin/chage", "--help"},
		{"expiry", "/usr/bin/expiry", "--help"},
		{"ssh-agent", "/usr/bin/ssh-agent", "--help"},
		{"unix-chkpwd", "/usr/sbin/unix_chkpwd", NULL},
		{"ssh-keysign", "/usr/lib/openssh/ssh-keysign", NULL},
		{"polkit-agent-helper",
		 "/usr/lib/polkit-1/polkit-agent-helper-1", NULL},
		{"utempter", "/usr/lib/x86_64-linux-gnu/utempter/utempter",
		 NULL},
		{"dbus-launch-helper",
		 "/usr/lib/dbus-1.0/dbus-daemon-launch-helper", NULL},
		{"gst-ptp-helper-filecaps",
		 "/usr/lib/x86_64-linux-gnu/gstreamer1.0/gstreamer-1.0/"
		 "gst-ptp-helper",
		 "--help"},
		{"sudo", "/usr/bin/sudo", "-n"},
		{"newuidmap", "/usr/bin/newuidmap", NULL},
		{"fusermount3", "/usr/bin/fusermount3", "--help"},
		{"ping-filecaps", "/usr/bin/ping", "-V"},
	};
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		char *argv[] = {(char *)programs[i].name,
				(char *)programs[i].arg, NULL};
		run_one(programs[i].name, programs[i].path, argv);
	}
	char *no_args[] = {NULL};
	run_one("pkexec-argc0", "/usr/bin/pkexec", no_args);

	/* A setuid or setgid copy of our own. */
	int fd = open("/tmp/suid-copy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd >= 0)
		close(fd);
	TRY("chmod-4755", chmod("/tmp/suid-copy", 04755));
	TRY("chmod-2755", chmod("/tmp/suid-copy", 02755));
	fd = open("/tmp/suid-copy", O_RDONLY);
	TRY("fchmod-4755", fchmod(fd, 04755));
	close(fd);
	TRY("fchmodat-6755", fchmodat(AT_FDCWD, "/tmp/suid-copy", 06755, 0));
	fd = TRY("open-create-4755",
		 open("/tmp/suid-new", O_WRONLY | O_CREAT | O_EXCL, 04755));
	if (fd >= 0)
		close(fd);
	fd = TRY("creat-2755", creat("/tmp/suid-new2", 02755));
	if (fd >= 0)
		close(fd);
	TRY("mknod-4755", mknod("/tmp/suid-node", S_IFREG | 04755, 0));
	struct stat st;
	if (stat("/tmp/suid-copy", &st) == 0 &&
	    (st.st_mode & (S_ISUID | S_ISGID)))
		escaped("a setuid or setgid file was made: mode %o",
			st.st_mode);
	note("geteuid() = %d", (int)geteuid());
	done();
	return 0;
}
