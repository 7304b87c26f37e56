/* SYS-14 memfd-exec: code that does not come from a path.  stockade's
 * choice is (b) of attacks.md: execution is allowed and contained.  The
 * program copies itself into a memfd and runs it with execveat
 * (AT_EMPTY_PATH), then with fexecve, then from a copy in the writable
 * /tmp, then through the dynamic loader (ld.so /tmp/copy).  Each new
 * program checks that it has the same cage: seccomp filter mode,
 * no_new_privs, empty capabilities, and that the secret and the read-only
 * canary stay out of reach (FS-01, FS-02 in short). */
#include "attack.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *const stages[] = {"memfd-execveat", "fexecve", "tmp-execve",
				     "ld-so-tmp"};
#define NSTAGES 4

/* What the new program has: the same cage, and nothing more. */
static void check_cage(const char *stage)
{
	static char status[8192];
	char seccomp[32], nnp[32], capeff[32], capprm[32], name[96];
	read_text("/proc/self/status", status, sizeof(status));
	status_field(status, "\nSeccomp:", seccomp, sizeof(seccomp));
	status_field(status, "NoNewPrivs:", nnp, sizeof(nnp));
	status_field(status, "CapEff:", capeff, sizeof(capeff));
	status_field(status, "CapPrm:", capprm, sizeof(capprm));
	note("%s: Seccomp %s, NoNewPrivs %s, CapEff %s, uid %d", stage, seccomp,
	     nnp, capeff, (int)geteuid());
	if (strcmp(seccomp, "2") != 0 || strcmp(nnp, "1") != 0 ||
	    strcmp(capeff, "0000000000000000") != 0 ||
	    strcmp(capprm, "0000000000000000") != 0 || geteuid() != 1000)
		escaped("%s runs outside the cage: Seccomp %s NoNewPrivs %s "
			"CapEff %s",
			stage, seccomp, nnp, capeff);
	snprintf(name, sizeof(name), "payoff-%s-read-secret", stage);
	long fd = TRY(name, open(canary("SECRET"), O_RDONLY));
	if (fd >= 0)
		close(fd);
	char path[4096];
	snprintf(path, sizeof(path), "%s/pwned-%s", canary("RO"), stage);
	snprintf(name, sizeof(name), "payoff-%s-write-ro", stage);
	fd = TRY(name, open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	snprintf(name, sizeof(name), "%s-still-filtered", stage);
	TRY(name, syscall(SYS_keyctl, 0, -4, 0));
}

static int copy_self(int to)
{
	int from = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (from < 0)
		return -1;
	char buf[65536];
	ssize_t n;
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, n) != n)
			n = -1;
	close(from);
	return n < 0 ? -1 : 0;
}

static char *const *next_env(int stage)
{
	static char value[64];
	static char *env[] = {value, NULL};
	snprintf(value, sizeof(value), "STOCKADE_ATTACK_STAGE=%d", stage);
	return env;
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *s = getenv("STOCKADE_ATTACK_STAGE");
	int stage = s ? atoi(s) : 0;
	/* The environment is replaced at each stage: the canaries come
	 * along through argv. */
	const char *secret = stage ? argv[1] : canary("SECRET");
	const char *ro = stage ? argv[2] : canary("RO");
	if (stage) {
		setenv("CANARY_SECRET", secret, 1);
		setenv("CANARY_RO", ro, 1);
		check_cage(stages[stage - 1]);
	}
	char *args[] = {"attack", (char *)secret, (char *)ro, NULL};
	long fd;
	/* A stage that cannot run (no memfd where shared memory is off)
	 * hands over to the next one in this same program. */
	for (int next = stage;; next++) {
		char *const *env = next_env(next + 1);
		switch (next) {
		case 0: /* a memfd, execveat(AT_EMPTY_PATH) */
			fd = TRY("memfd-create",
				 memfd_create("x", MFD_CLOEXEC));
			if (fd < 0 || copy_self(fd) < 0)
				continue;
			syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
			report("memfd-execveat", -1, errno);
			continue;
		case 1: /* fexecve on a memfd that is not close-on-exec */
			fd = TRY("memfd-create-2", memfd_create("y", 0));
			if (fd < 0 || copy_self(fd) < 0)
				continue;
			fexecve(fd, args, env);
			report("fexecve", -1, errno);
			continue;
		case 2: /* a copy in the writable /tmp */
			fd = TRY("create-tmp-copy",
				 open("/tmp/stockade-copy",
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				      0755));
			if (fd < 0 || copy_self(fd) < 0)
				continue;
			close(fd);
			execve("/tmp/stockade-copy", args, env);
			report("tmp-execve", -1, errno);
			continue;
		case 3: { /* the loader maps it itself (mmap PROT_EXEC) */
			char *ld[] = {"/lib64/ld-linux-x86-64.so.2",
				      "/tmp/stockade-copy", (char *)secret,
				      (char *)ro, NULL};
			execve(ld[0], ld, env);
			report("ld-so-tmp", -1, errno);
			continue;
		}
		default:
			unlink("/tmp/stockade-copy");
			done();
			return 0;
		}
	}
}
