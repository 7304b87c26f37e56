/* NET-04 pathname-unix: the host's unix sockets by path, which no network
 * namespace isolates - the canary's (CANARY_UNIX), docker, containerd,
 * X11, D-Bus, the session bus, ssh and gpg agents, pulse and pipewire,
 * systemd-resolved, nscd, journald, /dev/log, PostgreSQL - by path, by
 * /proc/self/root and /proc/1/root, and as datagrams.  Only the mount view
 * keeps them out: none is bound, every one is ENOENT (EACCES through
 * init's root, which is not dumpable). */
#include "attack.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static void attempt(const char *name, const char *path, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		note("%s: path too long for sun_path", path);
		return;
	}
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0) {
		report(name, -1, errno);
		return;
	}
	if (type == SOCK_DGRAM)
		TRY(name,
		    sendto(s, "net04", 5, 0, (struct sockaddr *)&a, sizeof(a)));
	else
		TRY(name, connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
}

int main(void)
{
	static const struct {
		const char *tag, *path;
		int type;
	} socks[] = {
		{"docker", "/var/run/docker.sock", SOCK_STREAM},
		{"docker-run", "/run/docker.sock", SOCK_STREAM},
		{"containerd", "/run/containerd/containerd.sock", SOCK_STREAM},
		{"x11", "/tmp/.X11-unix/X0", SOCK_STREAM},
		{"dbus-system", "/run/dbus/system_bus_socket", SOCK_STREAM},
		{"dbus-session", "/run/user/0/bus", SOCK_STREAM},
		{"dbus-session-1000", "/run/user/1000/bus", SOCK_STREAM},
		{"gpg-agent", "/run/user/1000/gnupg/S.gpg-agent", SOCK_STREAM},
		{"pulse", "/run/user/1000/pulse/native", SOCK_STREAM},
		{"pipewire", "/run/user/1000/pipewire-0", SOCK_STREAM},
		{"resolved", "/run/systemd/resolve/io.systemd.Resolve",
		 SOCK_STREAM},
		{"nscd", "/var/run/nscd/socket", SOCK_STREAM},
		{"journal", "/run/systemd/journal/socket", SOCK_DGRAM},
		{"journal-stdout", "/run/systemd/journal/stdout", SOCK_STREAM},
		{"systemd-private", "/run/systemd/private", SOCK_STREAM},
		{"devlog", "/dev/log", SOCK_DGRAM},
		{"postgresql", "/run/postgresql/.s.PGSQL.5432", SOCK_STREAM},
		{"stockade-run", "/run/stockade/host-uids.lock", SOCK_STREAM},
	};
	char name[128], path[200];
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		snprintf(name, sizeof(name), "payoff-%s", socks[i].tag);
		attempt(name, socks[i].path, socks[i].type);
	}
	/* the agents the environment would name: the sandbox's has none */
	static const char *vars[] = {
		"SSH_AUTH_SOCK", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
		"DISPLAY",	 "WAYLAND_DISPLAY", "GPG_AGENT_INFO"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]))
			escaped("%s is set in the sandbox: %s", vars[i],
				getenv(vars[i]));

	/* the canary: by path, through /proc/self/root, through init's */
	const char *unix_path = canary("UNIX");
	if (!unix_path[0]) {
		note("no CANARY_UNIX");
		return 1;
	}
	attempt("payoff-canary-stream", unix_path, SOCK_STREAM);
	attempt("payoff-canary-seqpacket", unix_path, SOCK_SEQPACKET);
	attempt("payoff-canary-dgram", unix_path, SOCK_DGRAM);
	snprintf(path, sizeof(path), "/proc/self/root%s", unix_path);
	attempt("payoff-canary-proc-self-root", path, SOCK_STREAM);
	snprintf(path, sizeof(path), "/proc/1/root%s", unix_path);
	attempt("payoff-canary-proc-1-root", path, SOCK_STREAM);
	done();
	return 0;
}
