/* RES-06 ipc-persistence: System V shared memory, message queues and
 * semaphores and POSIX message queues, filled and left behind without
 * IPC_RMID or mq_unlink.  They live in the run's IPC namespace: none from
 * an earlier run (or the host) is visible at the start, and all go with
 * the run.  Shared memory is bounded by the memory limit (--memory 128M of
 * the entry): as root the cgroup's OOM killer ends the child that touches
 * past it; without privilege RLIMIT_AS refuses to attach 1 GiB, but
 * segments attached, touched and detached one after another are not
 * address space, nor are semaphore sets and queued messages (1000 MiB of
 * slab under --memory 64M): there System V IPC is off (ENOSYS).  No child
 * touches more than twice the limit, and one that could says so.  A message
 * queue stops at msgmnb (EAGAIN); POSIX queues are not in the policy (ENOSYS),
 * and would stop at RLIMIT_MSGQUEUE (EMFILE). */
#include "attack.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define LIMIT (128L << 20)  /* --memory of the entry */
#define CEILING (2 * LIMIT) /* no child touches more than this */
#define SEGMENT (64L << 20)
#define MAX_SEGMENTS 64

struct shared {
	int ids[MAX_SEGMENTS];
	int count;
};

/* Lines of /proc/sysvipc/NAME after the header: the objects there. */
static int objects(const char *name)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", name);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int n = -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static void touch(char *p, long len)
{
	for (long i = 0; i < len; i += 4096)
		p[i] = 1;
}

static void child_end(const char *name, pid_t pid)
{
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		report(name, -1, errno);
		return;
	}
	if (WIFSIGNALED(status))
		printf("%s SIG%s\n", name, sigabbrev_np(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		return; /* refused before touching: the child said so */
	else
		printf("%s exit0\n", name);
	fflush(stdout);
}

int main(void)
{
	const char *kinds[] = {"shm", "msg", "sem"};
	for (int i = 0; i < 3; i++) {
		int n = objects(kinds[i]);
		char name[32];
		snprintf(name, sizeof(name), "sysvipc-%s-empty", kinds[i]);
		report(name, n == 0 ? 0 : -1, n < 0 ? errno : EEXIST);
		if (n > 0)
			escaped("%d %s objects of someone else are visible", n,
				kinds[i]);
	}
	mqd_t old = mq_open("/res06", O_RDONLY);
	report("mq-of-earlier-run", old, errno);
	if (old >= 0)
		escaped("the POSIX queue of an earlier run persisted");

	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* One segment of 1 GiB. */
	int big = shmget(IPC_PRIVATE, 1L << 30, IPC_CREAT | 0600);
	report("shmget-1G", big, errno);
	pid_t pid = fork();
	if (pid == 0) {
		char *p = shmat(big, NULL, 0);
		report("shmat-1G", p == (void *)-1 ? -1 : 0, errno);
		if (p == (void *)-1)
			_exit(3);
		touch(p, CEILING);
		escaped("touched %ld MiB of System V shared memory with "
			"--memory %ld M",
			CEILING >> 20, LIMIT >> 20);
		_exit(0);
	}
	child_end("touch-shm-1G", pid);
	shmctl(big, IPC_RMID, NULL); /* the pages stay while it exists */

	/* Segments of 64 MiB, each attached, touched and detached. */
	pid = fork();
	if (pid == 0) {
		long total = 0;
		while (total < CEILING && s->count < MAX_SEGMENTS) {
			int id = shmget(IPC_PRIVATE, SEGMENT, IPC_CREAT | 0600);
			if (id < 0)
				break;
			s->ids[s->count++] = id;
			char *p = shmat(id, NULL, 0);
			if (p == (void *)-1)
				break;
			touch(p, SEGMENT);
			shmdt(p);
			total += SEGMENT;
		}
		int e = errno;
		note("%d segments, %ld MiB touched", s->count, total >> 20);
		if (total >= CEILING)
			escaped("detached segments hold %ld MiB with --memory "
				"%ld M",
				total >> 20, LIMIT >> 20);
		report("shm-segments-until-fail", total >= CEILING ? 0 : -1, e);
		_exit(3);
	}
	child_end("touch-shm-segments", pid);
	for (int i = 0; i < s->count; i++)
		shmctl(s->ids[i], IPC_RMID, NULL);

	/* Left behind: a small touched segment, a full message queue, 100
	 * semaphore sets, full POSIX queues. */
	int small = shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600);
	char *p = shmat(small, NULL, 0);
	if (p != (void *)-1) {
		touch(p, 1 << 20);
		shmdt(p);
	}
	report("shm-left", small, errno);

	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	report("msgget", q, errno);
	struct {
		long mtype;
		char text[4096];
	} msg = {.mtype = 1};
	int r, sent = 0;
	while ((r = msgsnd(q, &msg, sizeof(msg.text), IPC_NOWAIT)) == 0 &&
	       sent < 10000)
		sent++;
	report("msgsnd-until-full", r, errno);

	int sets = 0;
	for (; sets < 100; sets++)
		if (semget(IPC_PRIVATE, 250, IPC_CREAT | 0600) < 0)
			break;
	report("semget-100-sets", sets == 100 ? 0 : -1, errno);

	/* The policy has no mq_* calls (ENOSYS): Landlock would refuse every
	 * open anyway, as the queues' mount is under none of its rules. */
	struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = 8192};
	mqd_t mq = mq_open("/res06", O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK,
			   0600, &attr);
	report("mq-open", mq, errno);
	if (mq >= 0) {
		static char text[8192];
		sent = 0;
		while ((r = mq_send(mq, text, sizeof(text), 0)) == 0 &&
		       sent < 1000)
			sent++;
		report("mq-send-until-full", r, errno);
		int queues = 0;
		mqd_t more = 0;
		while (queues < 1000) {
			char name[32];
			snprintf(name, sizeof(name), "/res06-%d", queues);
			more = mq_open(name, O_WRONLY | O_CREAT | O_EXCL, 0600,
				       &attr);
			if (more < 0)
				break;
			queues++;
		}
		note("%d more queues", queues);
		report("mq-open-until-fail", more, errno);
	}
	done();
	return 0; /* no IPC_RMID, no mq_unlink */
}
