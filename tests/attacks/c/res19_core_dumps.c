/* RES-19 core-dumps: ask for core files and crash.  RLIMIT_CORE is 0 with
 * hard = soft: raising it fails (EPERM).  The program makes itself
 * dumpable again (allowed) and crashes three children (abort, a NULL
 * write, SIGQUIT): each dies of its signal without a core dump (the wait
 * status's core flag is clear) and no core file appears in its working
 * directory.  Then it aborts itself: verdict signal, SIGABRT. */
#include "attack.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int core_files(void)
{
	int n = 0;
	DIR *d = opendir(".");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "core", 4) == 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

static void crash(int how)
{
	switch (how) {
	case 0:
		abort();
	case 1:
		*(volatile int *)(long)getpid() =
			0; /* an address nothing maps */
		break;
	case 2:
		raise(SIGQUIT);
		break;
	}
	_exit(0);
}

int main(void)
{
	struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
	TRY("setrlimit-core-unlimited", setrlimit(RLIMIT_CORE, &inf));
	struct rlimit mib = {1 << 20, 1 << 20};
	TRY("setrlimit-core-1M", setrlimit(RLIMIT_CORE, &mib));
	TRY("set-dumpable", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	const char *names[] = {"abort", "segv", "quit"};
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid == 0)
			crash(i);
		int status = 0;
		waitpid(pid, &status, 0);
		char name[64];
		snprintf(name, sizeof(name), "child-%s", names[i]);
		printf("%s SIG%s\n", name,
		       WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status))
					   : "NONE");
		/* "dumped" when the kernel wrote a core (anywhere). */
		printf("core-dumped-%s %s\n", names[i],
		       WIFSIGNALED(status) && WCOREDUMP(status) ? "dumped"
								: "none");
		fflush(stdout);
	}
	int n = core_files();
	printf("core-files-in-cwd %s\n", n ? "found" : "none");
	fflush(stdout);
	note("aborting the main process");
	abort();
}
