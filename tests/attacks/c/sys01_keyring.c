/* SYS-01 keyring: the kernel keyrings are not namespaced per sandbox.
 * keyctl, add_key and request_key must be refused (EPERM): a guest that
 * filled the key quota of its host uid would break other processes of
 * that uid, and the keyrings may hold kerberos or ecryptfs secrets
 * (CVE-2016-0728 is the join-session-keyring reference-count loop).
 * Harmless when unfiltered: keys go into the process keyring, which dies
 * with the process, and the loops are short.  /proc/keys may be
 * readable, but must list no key. */
#include "attack.h"

#include <fcntl.h>
#include <linux/keyctl.h>

static long count_lines(const char *path, int *err)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	long lines = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	*err = n < 0 ? errno : 0;
	close(fd);
	return n < 0 ? -1 : lines;
}

int main(void)
{
	char buf[256];
	TRY("keyctl-get-user-keyring",
	    syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING,
		    0));
	TRY("keyctl-get-session-keyring",
	    syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING,
		    0));
	TRY("keyctl-read-session",
	    syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, buf,
		    sizeof(buf)));
	TRY("keyctl-read-user-session",
	    syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_USER_SESSION_KEYRING, buf,
		    sizeof(buf)));
	/* CVE-2016-0728: joining the same named keyring again and again
	 * leaked a reference each time.  A few rounds show the pattern. */
	long r = 0;
	int e = 0;
	for (int i = 0; i < 16 && r >= 0; i++) {
		errno = 0;
		r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING,
			    "stockade-attack");
		e = errno;
	}
	report("keyctl-join-session-loop", r, e);
	/* A bad payload pointer: EFAULT if the call got through. */
	TRY("add-key-badptr", syscall(SYS_add_key, "user", "k", (void *)1, 16,
				      KEY_SPEC_PROCESS_KEYRING));
	/* Until EDQUOT, bounded: the process keyring dies with us. */
	char desc[32];
	r = 0;
	for (int i = 0; i < 256 && r >= 0; i++) {
		snprintf(desc, sizeof(desc), "k%d", i);
		errno = 0;
		r = syscall(SYS_add_key, "user", desc, "vvvvvvvvvvvvvvvv", 16,
			    KEY_SPEC_PROCESS_KEYRING);
		e = errno;
	}
	report("add-key-until-edquot", r, e);
	TRY("request-key", syscall(SYS_request_key, "user", "stockade-attack",
				   NULL, KEY_SPEC_PROCESS_KEYRING));
	TRY("keyctl-revoke-user-keyring",
	    syscall(SYS_keyctl, KEYCTL_REVOKE, KEY_SPEC_USER_KEYRING));
	/* /proc/keys lists the keys the reader may view: none may be seen. */
	static const char *const files[] = {"/proc/keys", "/proc/key-users"};
	static const char *const names[] = {"read-proc-keys",
					    "read-proc-key-users"};
	for (int i = 0; i < 2; i++) {
		long lines = count_lines(files[i], &e);
		report(names[i], lines, e);
		if (lines > 0 && i == 0)
			report("payoff-proc-keys-lists-a-key", 0, 0);
		note("%s: %ld lines", files[i], lines);
	}
	done();
	return 0;
}
