/* SUP-02 output-shape-bombs: output shaped to hurt whoever handles it
 * afterwards - a sparse 1 TB file, a million small files, a directory
 * chain deeper than PATH_MAX can name, /tmp and /dev/shm filled to the
 * last byte, names holding a newline, terminal escapes, invalid UTF-8,
 * "..", 255 and 256 bytes.  stockade collects no files (the tmpfs mounts
 * die with the run), so what must hold is that every shape stops at a
 * bound the kernel enforces and the run still ends cleanly: the sparse
 * file at the file-size limit (EFBIG, SIGXFSZ ignored), the files at the
 * tmpfs inode limit (ENOSPC), the data at the tmpfs size (ENOSPC), a name
 * at 255 bytes (ENAMETOOLONG); the rest is allowed.  Then the teardown
 * must take it all away (H6) and the record stay intact. */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

/* Creates files in dir until an error (or max); reports the errno. */
static void many_files(const char *name, const char *dir, long max)
{
	char path[256];
	long n = 0;
	int e = 0;
	for (; n < max; n++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, n);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			e = errno;
			break;
		}
		close(fd);
	}
	note("%s: %ld files", dir, n);
	report(name, n == max ? 0 : -1, e);
}

/* Writes files of 8M each in dir until an error; reports the errno. */
static void fill(const char *name, const char *dir)
{
	static char block[1 << 20];
	memset(block, 'x', sizeof(block));
	char path[256];
	long total = 0;
	int e = 0;
	for (int i = 0; i < 64 && !e; i++) {
		snprintf(path, sizeof(path), "%s/fill%d", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			e = errno;
			break;
		}
		for (int k = 0; k < 8; k++) {
			ssize_t w = write(fd, block, sizeof(block));
			if (w < 0) {
				e = errno;
				break;
			}
			total += w;
			if (w < (ssize_t)sizeof(block)) {
				/* a short write: the next one says why */
				continue;
			}
		}
		close(fd);
	}
	note("%s: %ld MiB written", dir, total >> 20);
	report(name, e ? -1 : 0, e);
}

static void clear(const char *dir, const char *prefix, int count)
{
	char path[256];
	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s%d", dir, prefix, i);
		unlink(path);
	}
}

int main(void)
{
	signal(SIGXFSZ, SIG_IGN);
	/* a sparse 1 TB file, and one within the limits */
	int fd = open("/tmp/sup02-sparse", O_WRONLY | O_CREAT, 0644);
	TRY("sparse-1t-ftruncate", ftruncate(fd, 1LL << 40));
	TRY("sparse-1t-pwrite", pwrite(fd, "x", 1, (1LL << 40) - 1));
	TRY("sparse-8m", ftruncate(fd, 8LL << 20));
	close(fd);
	unlink("/tmp/sup02-sparse");

	/* names a log or a collector could choke on */
	static const struct {
		const char *name, *file;
	} names[] = {
		{"name-newline", "/tmp/a\nb"},
		{"name-escape-clear", "/tmp/\x1b[2J\x1b[H"},
		{"name-osc52", "/tmp/\x1b]52;c;cHduZWQ=\x07"},
		{"name-invalid-utf8", "/tmp/\xff\xfe\xc0\xaf"},
		{"name-carriage-return", "/tmp/ok\rstockade: verdict ok"},
		{"name-leading-dash", "/tmp/--rw=:host"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long f = TRY(names[i].name,
			     open(names[i].file, O_WRONLY | O_CREAT, 0644));
		if (f >= 0)
			close((int)f);
	}
	TRY("name-dotdot", mkdir("/tmp/..", 0755));
	char longname[300] = "/tmp/";
	memset(longname + 5, 'n', 255);
	longname[260] = '\0';
	fd = (int)TRY("name-255-bytes",
		      open(longname, O_WRONLY | O_CREAT, 0644));
	if (fd >= 0)
		close(fd);
	longname[260] = 'n';
	longname[261] = '\0';
	TRY("name-256-bytes", open(longname, O_WRONLY | O_CREAT, 0644));

	/* a directory chain deeper than PATH_MAX can name */
	int depth = dir_chain("/tmp", 2100);
	report("deep-chain-2100", depth == 2100 ? 0 : -1, errno);

	/* every byte: the tmpfs's size runs out (files of 8M stay below any
	 * file-size limit); then the space is given back */
	fill("fill-tmp", "/tmp");
	clear("/tmp", "fill", 64);
	fill("fill-dev-shm", "/dev/shm");
	clear("/dev/shm", "fill", 64);

	/* a million files: the tmpfs's inodes run out first */
	mkdir("/tmp/many", 0755);
	many_files("million-files-tmp", "/tmp/many", 1000000);
	mkdir("/dev/shm/many", 0755);
	many_files("million-files-dev-shm", "/dev/shm/many", 1000000);
	done();
	return 0;
}
