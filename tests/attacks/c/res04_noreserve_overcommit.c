/* RES-04 noreserve-overcommit: map far more than the memory limit without
 * reserving it, then touch a byte in every page: 1 TiB MAP_NORESERVE,
 * MAP_POPULATE, shared anonymous memory (shmem), a sparse tmpfs file,
 * MADV_HUGEPAGE and mremap growth.  Each variant runs in a child.  As root
 * the mappings work and the run's memory cgroup OOM-kills the child that
 * touches past --memory 128M (SIGKILL; the tmpfs file fills /tmp first:
 * SIGBUS), never anything outside; without privilege RLIMIT_AS refuses the
 * mappings with ENOMEM.  No child touches more than 4 times the limit,
 * and one that could says so. */
#include "attack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define LIMIT (128L << 20)  /* --memory of the entry */
#define CEILING (4 * LIMIT) /* no child touches more than this */
#define TIB (1UL << 40)

enum { MAP_REFUSED = 3 };

static void touch(const char *name, char *p, size_t len)
{
	if (len > (size_t)CEILING)
		len = CEILING;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	escaped("%s: touched %zu MiB with --memory %ld M", name, len >> 20,
		LIMIT >> 20);
	_exit(0);
}

static char *mapped(const char *name, void *p)
{
	char line[64];
	snprintf(line, sizeof(line), "mmap-%s", name);
	report(line, p == MAP_FAILED ? -1 : 0, errno);
	if (p == MAP_FAILED)
		_exit(MAP_REFUSED);
	return p;
}

static void variant(int which)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *p;
	int fd;
	switch (which) {
	case 0:
		p = mapped("anon-1T-noreserve",
			   mmap(NULL, TIB, PROT_READ | PROT_WRITE,
				anon | MAP_NORESERVE, -1, 0));
		touch("anon-1T-noreserve", p, TIB);
		break;
	case 1: /* populating is touching: the OOM kill comes inside mmap */
		mapped("anon-populate",
		       mmap(NULL, CEILING, PROT_READ | PROT_WRITE,
			    anon | MAP_POPULATE, -1, 0));
		escaped("anon-populate: %ld MiB populated", CEILING >> 20);
		_exit(0);
	case 2:
		p = mapped("shared-anon-1T",
			   mmap(NULL, TIB, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1,
				0));
		touch("shared-anon-1T", p, TIB);
		break;
	case 3: /* /tmp is a 64M tmpfs: it fills before the limit */
		fd = open("/tmp/sparse", O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink("/tmp/sparse");
		TRY("ftruncate-sparse", ftruncate(fd, CEILING));
		p = mapped("tmpfs-sparse",
			   mmap(NULL, CEILING, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0));
		touch("tmpfs-sparse", p, CEILING);
		break;
	case 4:
		p = mapped("anon-hugepage",
			   mmap(NULL, CEILING, PROT_READ | PROT_WRITE, anon, -1,
				0));
		TRY("madvise-hugepage", madvise(p, CEILING, MADV_HUGEPAGE));
		touch("anon-hugepage", p, CEILING);
		break;
	case 5:
		p = mmap(NULL, 64L << 20, PROT_READ | PROT_WRITE, anon, -1, 0);
		TRY("mmap-64M", p == MAP_FAILED ? -1 : 0);
		p = mapped("mremap-grow",
			   mremap(p, 64L << 20, CEILING, MREMAP_MAYMOVE));
		touch("mremap-grow", p, CEILING);
		break;
	}
	_exit(0);
}

static const char *const names[] = {"anon-1T-noreserve", "anon-populate",
				    "shared-anon-1T",	 "tmpfs-sparse",
				    "anon-hugepage",	 "mremap-grow"};

int main(void)
{
	for (int i = 0; i < 6; i++) {
		pid_t pid = fork();
		if (pid == 0)
			variant(i);
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) < 0) {
			report("fork", -1, errno);
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == MAP_REFUSED)
			continue; /* the limit refused the mapping: nothing
				     touched */
		char line[64];
		snprintf(line, sizeof(line), "touch-%s", names[i]);
		if (WIFSIGNALED(status))
			printf("%s SIG%s\n", line,
			       sigabbrev_np(WTERMSIG(status)));
		else
			printf("%s exit%d\n", line, WEXITSTATUS(status));
		fflush(stdout);
	}
	done();
	return 0;
}
