/* SUP-06 unotify-toctou: race the seccomp user notification.  stockade's
 * supervisor hears of every refused call through a seccomp listener; a
 * supervisor that decided from pointer arguments (reading the caller's
 * memory) could be raced, and one that answered "continue" would let the
 * call run with whatever the pointer holds by then.  stockade decides
 * from the call number and register arguments only, answers with an
 * errno, never continues, and reads no memory of the sandbox.  So:
 *
 * 1. a thread flips a path buffer between a file of /tmp and the host
 *    secret while another opens it 20 000 times: openat is allowed, the
 *    mounts answer - the secret's name is ENOENT, never the secret;
 * 2. the same buffer given to calls the filter refuses (chroot, mount),
 *    2 000 times each while it flips: EPERM every time, whatever it held;
 * 3. children whose threads sit in refused calls while the child exits,
 *    or execs, with notifications in flight: the supervisor must answer
 *    on (its answers to dead callers fail with ENOENT), and a last
 *    refused call of the program still gets its EPERM.
 * The summary lines report the one result each loop must give (a loop
 * that saw anything else reports that instead). */
#include "attack.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <sys/wait.h>

static char buf[4200];
static char allowed[] = "/tmp/sup06-allowed";
static char secret[4200];
static atomic_int stop;

static void *flipper(void *arg)
{
	(void)arg;
	size_t a = strlen(allowed) + 1, s = strlen(secret) + 1;
	while (!atomic_load(&stop)) {
		memcpy(buf, secret, s);
		memcpy(buf, allowed, a);
	}
	return NULL;
}

static void *refuser(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_chroot, "/tmp");
	return NULL;
}

int main(void)
{
	snprintf(secret, sizeof(secret), "%s", canary("SECRET"));
	if (secret[0] != '/' || strlen(secret) < strlen(allowed)) {
		note("no usable CANARY_SECRET");
		return 1;
	}
	int fd = open(allowed, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "allowed\n", 8) != 8)
		return 1;
	close(fd);
	memcpy(buf, allowed, sizeof(allowed));
	pthread_t t;
	pthread_create(&t, NULL, flipper, NULL);

	/* 1. openat of a flipping path */
	long opened = 0, enoent = 0, other = 0;
	int other_errno = 0;
	for (int i = 0; i < 20000; i++) {
		int f = openat(AT_FDCWD, buf, O_RDONLY);
		if (f < 0) {
			if (errno == ENOENT)
				enoent++;
			else
				other++, other_errno = errno;
			continue;
		}
		char got[64] = "";
		ssize_t n = read(f, got, sizeof(got) - 1);
		close(f);
		if (n != 8 || memcmp(got, "allowed\n", 8))
			escaped("the flipping path opened something else");
		opened++;
	}
	note("openat: %ld of the allowed file, %ld ENOENT, %ld other", opened,
	     enoent, other);
	report("race-openat-flip", other || enoent ? -1 : 0,
	       other ? other_errno : ENOENT);

	/* 2. refused calls with the flipping pointer */
	static const char *names[] = {"race-chroot-flip", "race-mount-flip"};
	for (int k = 0; k < 2; k++) {
		long eperm = 0, worked = 0;
		int seen = 0;
		for (int i = 0; i < 2000; i++) {
			long r = k == 0 ? syscall(SYS_chroot, buf)
					: syscall(SYS_mount, buf, "/tmp", NULL,
						  MS_BIND, (void *)1);
			if (r == 0)
				worked++;
			else if (errno == EPERM)
				eperm++;
			else
				seen = errno;
		}
		note("%s: %ld EPERM, %ld worked", names[k], eperm, worked);
		report(names[k], worked ? 0 : -1, seen ? seen : EPERM);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);

	/* 3. callers that vanish with notifications in flight */
	for (int c = 0; c < 20; c++) {
		pid_t p = fork();
		if (p == 0) {
			pthread_t r[4];
			for (int i = 0; i < 4; i++)
				pthread_create(&r[i], NULL, refuser, NULL);
			usleep(2000);
			if (c % 2) {
				char *argv[] = {"/bin/true", NULL};
				execv(argv[0], argv);
			}
			_exit(0);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	TRY("chroot-after", syscall(SYS_chroot, "/tmp"));
	long f = TRY("open-secret-after", open(secret, O_RDONLY));
	if (f >= 0)
		escaped("the secret opened");
	done();
	return 0;
}
