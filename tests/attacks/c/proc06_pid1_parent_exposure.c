/* PROC-06 pid1-parent-exposure: pid 1 is stockade's own init, a copy of
 * the supervisor made non-dumpable, inside the new root.  Its environ,
 * its root, cwd and exe links and its fds are closed to the program
 * (EACCES); its cmdline is wiped (no host paths, no record file), its
 * status, cgroup and mountinfo may be read and hold nothing secret (they
 * are printed, and the harness looks for the tokens in the output).
 * The program's parent is init (1) and its NSpid has one level: the
 * host's pid of it is not shown. */
#include "attack.h"

#include <fcntl.h>
#include <sys/stat.h>

/* Prints text as notes, NULs as spaces. */
static void show(const char *what, char *buf, ssize_t len)
{
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	char *line = buf, *next;
	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		note("%s: %s", what, line);
	}
}

int main(void)
{
	static char buf[65536];
	char name[64], path[64], target[4096];
	static const char *const files[] = {"environ", "cmdline",   "status",
					    "cgroup",  "mountinfo", "auxv",
					    "stack",   "syscall"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/proc/1/%s", files[i]);
		snprintf(name, sizeof(name), "read-init-%s", files[i]);
		ssize_t n = TRY(name, read_text(path, buf, sizeof(buf)));
		if (n > 0 && strcmp(files[i], "auxv") != 0)
			show(path, buf, n);
		if (strcmp(files[i], "cmdline") == 0 && n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "stockade run") || strchr(buf, '/'))
				escaped("init's command line shows the "
					"caller's: %.80s",
					buf);
		}
	}
	static const char *const links[] = {"root", "cwd", "exe", "fd/0",
					    "fd/3"};
	static const char *const link_names[] = {"root", "cwd", "exe", "fd0",
						 "fd3"};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "/proc/1/%s", links[i]);
		snprintf(name, sizeof(name), "readlink-init-%s", link_names[i]);
		ssize_t n =
			TRY(name, readlink(path, target, sizeof(target) - 1));
		if (n >= 0) {
			target[n] = '\0';
			note("%s -> %s", path, target);
		}
	}
	/* Through the links, not only about them. */
	struct stat root, init_root;
	stat("/", &root);
	if (TRY("stat-init-root", stat("/proc/1/root/", &init_root)) == 0 &&
	    (root.st_dev != init_root.st_dev ||
	     root.st_ino != init_root.st_ino))
		escaped("/proc/1/root is not the sandbox's /");
	long fd =
		TRY("open-init-exe", open("/proc/1/exe", O_RDONLY | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	fd = TRY("opendir-init-fd",
		 open("/proc/1/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/proc/1/fd/%d", i);
		snprintf(name, sizeof(name), "open-init-fd%d", i);
		fd = TRY(name, open(path, O_WRONLY | O_CLOEXEC));
		if (fd >= 0)
			close(fd);
	}

	note("getppid() = %d", (int)getppid());
	ssize_t n = read_text("/proc/self/status", buf, sizeof(buf));
	char *nspid = n > 0 ? strstr(buf, "\nNSpid:") : NULL;
	if (nspid) {
		nspid += 7;
		nspid[strcspn(nspid, "\n")] = '\0';
		note("NSpid:%s", nspid);
		int levels = 0;
		for (char *p = strtok(nspid, " \t"); p; p = strtok(NULL, " \t"))
			levels++;
		if (levels != 1)
			escaped("NSpid shows %d levels: the host pid is "
				"visible",
				levels);
	}
	done();
	return 0;
}
