/* main.c - stockade serve: settings, then the split into two processes.
 *
 *   stockade serve [--listen HOST:PORT] [--config FILE] [--workers N]
 *                  [--queue N] [--tokens FILE] [--user NAME]
 *   stockade serve --hash-token < secret
 *
 * The process that was started stays the runner (it keeps its
 * privilege, and is the one systemd watches); it forks the front, which
 * listens, drops every privilege and serves.  Each dies with the other:
 * the front by its parent-death signal, the runner when the front's end
 * of their socket closes.  docs/serve.md has the design. */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: stockade serve [--listen HOST:PORT] [--config FILE]\n"
	"                      [--workers N] [--queue N] [--tokens FILE]\n"
	"                      [--user NAME] [--web DIR]\n"
	"       stockade serve --hash-token < secret\n"
	"Serves the run API (docs/api.md) over HTTP; docs/serve.md has the\n"
	"config file and the design.\n";

/* A token's line for the tokens file, from its secret on stdin. */
static int hash_token(void)
{
	char secret[1024];
	if (!fgets(secret, sizeof(secret), stdin)) {
		fprintf(stderr, "stockade serve: --hash-token: no secret on "
				"stdin\n");
		return 2;
	}
	secret[strcspn(secret, "\r\n")] = 0;
	if (strlen(secret) < 16) {
		fprintf(stderr, "stockade serve: --hash-token: a secret has "
				"at least 16 characters\n");
		return 2;
	}
	uint8_t h[32];
	sha256(secret, strlen(secret), h);
	printf("sha256:");
	for (int i = 0; i < 32; i++)
		printf("%02x", h[i]);
	printf("\n");
	return 0;
}

/* The playground's files, read now: the front will not see the file
 * system.  Without --web, the build's (beside this program) or the
 * installed ones, when there are any. */
static int load_web(const struct serve_config *c)
{
	if (c->web[0])
		return web_load(c->web, true);
	char self[PATH_MAX], dir[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 0;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(dir, sizeof(dir), "%s/web", self);
	if (access(dir, F_OK) == 0)
		return web_load(dir, true);
	snprintf(dir, sizeof(dir), "%s/../../share/stockade/web", self);
	return access(dir, F_OK) == 0 ? web_load(dir, true) : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"listen", required_argument, NULL, 'l'},
		{"config", required_argument, NULL, 'c'},
		{"workers", required_argument, NULL, 'w'},
		{"queue", required_argument, NULL, 'q'},
		{"tokens", required_argument, NULL, 't'},
		{"user", required_argument, NULL, 'u'},
		{"web", required_argument, NULL, 'W'},
		{"hash-token", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static struct serve_config c;
	config_defaults(&c);
	/* The config file first, whatever the order: flags override it. */
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
		if (path && config_load(&c, path) < 0)
			return 2;
	}
	static const char *const keys[] = {
		['l'] = "listen", ['w'] = "workers", ['q'] = "queue",
		['t'] = "tokens", ['u'] = "user",    ['W'] = "web",
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			break;
		case 'H':
			return hash_token();
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'l':
		case 'w':
		case 'q':
		case 't':
		case 'u':
		case 'W':
			if (config_set(&c, keys[opt], optarg) < 0)
				return 2;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "stockade serve: unexpected argument '%s'\n%s",
			argv[optind], usage);
		return 2;
	}
	if (config_finish(&c) < 0 || load_web(&c) < 0) {
		config_release(&c);
		return 2;
	}

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		serve_log("socketpair: %s", strerror(errno));
		return 1;
	}
	/* Room for a burst of output from every worker at once. */
	int buf = 4 << 20;
	for (int i = 0; i < 2; i++) {
		if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &buf,
			       sizeof(buf)) < 0)
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf,
				   sizeof(buf));
		if (setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &buf,
			       sizeof(buf)) < 0)
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf,
				   sizeof(buf));
	}
	signal(SIGPIPE, SIG_IGN);
	pid_t runner = getpid();
	pid_t front = fork();
	if (front < 0) {
		serve_log("fork: %s", strerror(errno));
		return 1;
	}
	if (front == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != runner)
			_exit(1);
		/* nothing of the runner's but the socket and stdio */
		if (dup2(sv[1], 3) < 0 || close_range(4, ~0U, 0) < 0)
			_exit(1);
		_exit(front_main(&c, 3));
	}
	close(sv[1]);
	int status = runner_main(&c, sv[0], front);
	config_release(&c);
	return status;
}
