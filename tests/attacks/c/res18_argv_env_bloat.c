/* RES-18 argv-env-bloat: execve /proc/self/exe with 100 000 arguments of
 * 100 bytes (10 MB), with a 100 MB environment, with one argument of
 * 200 KiB, after trying to raise RLIMIT_STACK (ARG_MAX is a quarter of
 * it; hard = soft: EPERM).  The kernel refuses each with E2BIG before
 * anything runs; the strings are one buffer pointed at many times, so the
 * program itself stays small.  An execve of 1 MB of arguments, below
 * ARG_MAX, works (the new image sees its marker and exits 0). */
#include "attack.h"

#include <sys/resource.h>
#include <sys/wait.h>

#define MARKER "res18-reexec"

static long exec_in_child(char **argv, char **envp)
{
	pid_t pid = fork();
	if (pid == 0) {
		execve("/proc/self/exe", argv, envp);
		_exit(errno == E2BIG ? 100 : 101);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 100)
		return errno = E2BIG, -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return errno = ECHILD, -1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], MARKER) == 0)
		return 0; /* the new image */

	struct rlimit rl;
	getrlimit(RLIMIT_STACK, &rl);
	struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
	TRY("setrlimit-stack-unlimited", setrlimit(RLIMIT_STACK, &inf));
	struct rlimit more = {rl.rlim_max * 2, rl.rlim_max * 2};
	TRY("setrlimit-stack-double", setrlimit(RLIMIT_STACK, &more));

	static char arg[100], env[100 * 1024], huge[200 * 1024];
	memset(arg, 'a', sizeof(arg) - 1);
	memset(env, 'e', sizeof(env) - 1);
	memcpy(env, "X=", 2);
	memset(huge, 'h', sizeof(huge) - 1);
	static char *args[100002], *envs[1001];
	char *noenv[] = {NULL};

	args[0] = argv[0];
	args[1] = MARKER;
	for (int i = 2; i < 100001; i++)
		args[i] = arg;
	TRY("execve-10M-args", execve("/proc/self/exe", args, noenv));

	char *few[] = {argv[0], MARKER, NULL};
	for (int i = 0; i < 1000; i++)
		envs[i] = env;
	TRY("execve-100M-env", execve("/proc/self/exe", few, envs));

	char *one[] = {argv[0], MARKER, huge, NULL};
	TRY("execve-200K-arg", execve("/proc/self/exe", one, noenv));

	args[10002] = NULL; /* 10 000 arguments of 100 bytes: 1 MB */
	TRY("execve-1M-args", exec_in_child(args, noenv));
	done();
	return 0;
}
