/* SUP-05b chdir-magic-link: the caller asks for a working directory that
 * is a magic link, /proc/self/fd/0, while stockade's stdin is the host's
 * "/" (a careless "< /"; attacks.md SUP-05, ESC-05).  Resolved as a path,
 * it would put the program's cwd on the host, outside its root, where only
 * Landlock stands in the way: a relative connect() reaches host unix
 * sockets (Landlock does not govern connect).  stockade must refuse the
 * run at step chdir; this program runs only if it did not. */
#include "attack.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

int main(void)
{
	struct stat cwd, root;
	if (stat(".", &cwd) == 0 && stat("/", &root) == 0 &&
	    (cwd.st_dev != root.st_dev || cwd.st_ino != root.st_ino))
		note("cwd is not the sandbox's root");
	/* The canary socket's path, relative to the host's root. */
	const char *unix_path = canary("UNIX");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		 unix_path[0] == '/' ? unix_path + 1 : unix_path);
	TRY("payoff-connect-host-socket-relative",
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
	TRY("payoff-stat-host-secret-relative",
	    stat(canary("SECRET")[0] == '/' ? canary("SECRET") + 1 : "x",
		 &cwd));
	done();
	return 0;
}
