/* NET-03 abstract-unix: connect to abstract unix sockets of the host - the
 * canary's (CANARY_ABSTRACT), X11's, systemd's and D-Bus's well-known
 * names - with stream, datagram and seqpacket sockets; then squat the
 * canary's name and connect to the squatter.  Abstract names live in the
 * network namespace: the host's are not there (ECONNREFUSED), Landlock's
 * scope would refuse the rest (EPERM).  Squatting works, inside the
 * sandbox's namespace only: the host's listener counts nothing (H3). */
#include "attack.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t abstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	if (n > sizeof(a->sun_path) - 1)
		n = sizeof(a->sun_path) - 1;
	memcpy(a->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void attempt(const char *tag, const char *target, int type)
{
	static const char *types[] = {[SOCK_STREAM] = "stream",
				      [SOCK_DGRAM] = "dgram",
				      [SOCK_SEQPACKET] = "seqpacket"};
	char name[128];
	snprintf(name, sizeof(name), "payoff-%s-%s", types[type], tag);
	struct sockaddr_un a;
	socklen_t len = abstract(&a, target);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0) {
		report(name, -1, errno);
		return;
	}
	if (type == SOCK_DGRAM)
		TRY(name, sendto(s, "net03", 5, 0, (struct sockaddr *)&a, len));
	else
		TRY(name, connect(s, (struct sockaddr *)&a, len));
	close(s);
}

int main(void)
{
	const char *canary_name = canary("ABSTRACT");
	if (!canary_name[0]) {
		note("no CANARY_ABSTRACT");
		return 1;
	}
	static const struct {
		const char *tag, *name;
	} names[] = {
		{"x11", "/tmp/.X11-unix/X0"},
		{"systemd-private", "/run/systemd/private"},
		{"systemd-notify", "/org/freedesktop/systemd1/notify"},
		{"dbus", "/tmp/dbus-session"},
		{"containerd-shim", "/containerd-shim/default.sock"},
	};
	int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	for (size_t t = 0; t < 3; t++) {
		attempt("canary", canary_name, types[t]);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			attempt(names[i].tag, names[i].name, types[t]);
	}

	/* squat the canary's name in the sandbox's namespace, and reach
	 * the squatter: our own socket, the host's listener is elsewhere */
	struct sockaddr_un a;
	socklen_t len = abstract(&a, canary_name);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	TRY("squat-bind-canary-name", bind(l, (struct sockaddr *)&a, len));
	TRY("squat-listen", listen(l, 4));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	TRY("squat-connect", connect(c, (struct sockaddr *)&a, len));
	int peer = accept(l, NULL, NULL);
	report("squat-accept", peer, errno);
	if (peer >= 0)
		close(peer);
	close(c);
	close(l);
	done();
	return 0;
}
