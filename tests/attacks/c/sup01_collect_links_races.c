/* SUP-01 collect-links-races: what a supervisor that moves files across
 * the boundary could be tricked with.  stockade moves files one way only,
 * host to sandbox (--copy, before the start), and collects nothing: the
 * results leave through stdout, stderr and the exit status.  So:
 *
 * 1. the copy: the entry copies /usr/lib/ssl in (--copy), a host tree of
 *    absolute symlinks - one to /etc/ssl/private, mode 0710 on the host.
 *    The copy must keep links as links (a copy that followed them would
 *    read beyond the tree it was given, with the caller's rights): every
 *    one must arrive as a symlink with its target, and the private one
 *    must lead nowhere in the sandbox (ENOENT);
 * 2. the traps a collector meets, planted where the program may write:
 *    symlinks to the host secret and to / named like results, hard links,
 *    FIFOs named like outputs, files of mode 0000, a file for an unmapped
 *    owner (chown: EINVAL), and a racer that swaps a directory with a
 *    symlink to / (renameat2 RENAME_EXCHANGE) without end - in a daemon
 *    that outlives the program and keeps writing to stdout.
 *
 * The run must end when the program does, with verdict ok, nothing left
 * behind (H6) and nothing of the host read or written (H1, H2). */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define COPY "/tmp/sup01-ssl"

static void link_kept(const char *name, const char *target)
{
	char path[256], got[256];
	struct stat st;
	snprintf(path, sizeof(path), COPY "/%s", name);
	char attempt[96];
	snprintf(attempt, sizeof(attempt), "copy-kept-link-%s", name);
	if (TRY(attempt, lstat(path, &st)) < 0)
		return;
	ssize_t n = readlink(path, got, sizeof(got) - 1);
	if (!S_ISLNK(st.st_mode) || n < 0)
		escaped("--copy followed the link %s (mode %o)", name,
			st.st_mode);
	else if ((size_t)n != strlen(target) || memcmp(got, target, (size_t)n))
		escaped("--copy changed the link %s: %.*s", name, (int)n, got);
}

static void racer(void)
{
	/* a directory and a symlink to /, exchanged without end */
	mkdir("/tmp/sup01-out", 0755);
	symlink("/", "/tmp/sup01-swap");
	for (unsigned long i = 0;; i++) {
		syscall(SYS_renameat2, AT_FDCWD, "/tmp/sup01-out", AT_FDCWD,
			"/tmp/sup01-swap", 2 /* RENAME_EXCHANGE */);
		if (i % 200000 == 0) {
			printf("# racer %lu\n", i);
			fflush(stdout);
		}
	}
}

int main(void)
{
	/* 1. the copied tree */
	struct stat st;
	if (TRY("copy-present", lstat(COPY, &st)) == 0 && !S_ISDIR(st.st_mode))
		escaped(COPY " is not a directory");
	link_kept("private", "/etc/ssl/private");
	link_kept("certs", "/etc/ssl/certs");
	link_kept("openssl.cnf", "/etc/ssl/openssl.cnf");
	link_kept("cert.pem", "/etc/ssl/certs/ca-certificates.crt");
	TRY("copy-private-leads-nowhere", open(COPY "/private/.", O_RDONLY));
	TRY("copy-regular-file", lstat(COPY "/misc/CA.pl", &st));

	/* 2. the traps */
	TRY("plant-result-to-secret",
	    symlink(canary("SECRET"), "/tmp/result.json"));
	TRY("plant-out-to-root", symlink("/", "/tmp/out"));
	TRY("plant-fifo-output", mkfifo("/tmp/output.txt", 0644));
	TRY("plant-fifo-stdout", mkfifo("/tmp/stdout.log", 0644));
	int fd = open("/tmp/sup01-file", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	TRY("plant-hardlink", link("/tmp/sup01-file", "/tmp/sup01-hard"));
	TRY("plant-mode-0000", chmod("/tmp/sup01-file", 0));
	TRY("plant-mode-0000-dir", mkdir("/tmp/sup01-closed", 0));
	/* an owner the user namespace does not map */
	TRY("plant-unmapped-owner", chown("/tmp/sup01-hard", 0, 0));
	/* following the planted link to the secret gets nothing */
	TRY("follow-result-link", open("/tmp/result.json", O_RDONLY));

	/* the racer, daemonized: it outlives the program */
	pid_t p = fork();
	if (p == 0) {
		setsid();
		if (fork() == 0) {
			signal(SIGTERM, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
			racer();
		}
		_exit(0);
	}
	report("fork-racer", p, errno);
	if (p > 0)
		waitpid(p, NULL, 0);
	usleep(100 * 1000); /* let it race a while */
	done();
	return 0;
}
