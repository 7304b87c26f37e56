/* FLT-08 ioctl-requests: every ioctl request is driver code of its own,
 * reached through whatever fd the program holds.  Against a file of the
 * read-only host tree (C-RO), FS_IOC_FIEMAP and FIBMAP give the physical
 * disk offsets of the host file's blocks (a layout leak, and the start of
 * any raw-disk attack); FS_IOC_GETVERSION, GETFLAGS and FSGETXATTR tell
 * inode facts of the host's file system, GETFSUUID its identity; the nsfs
 * requests on /proc/self/ns files walk to the owning and parent namespaces;
 * SIOCGSKNS turns a socket into a namespace fd; SIOCETHTOOL reaches a
 * driver; block-device requests and the console's (KDGKBTYPE) probe for
 * hardware.  An allowlist by request refuses each (EPERM); the controls,
 * requests programs do use, reach the kernel. */
#include "attack.h"

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

int main(void)
{
	char path[512], buf[4096] = {0};
	/* a regular file of the read-only host tree */
	snprintf(path, sizeof(path), "%s", canary("RO"));
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_type == DT_REG) {
			snprintf(path, sizeof(path), "%s/%s", canary("RO"),
				 e->d_name);
			break;
		}
	if (d)
		closedir(d);
	int fd = open(path, O_RDONLY);
	note("host file %s: fd %d", path, fd);

	struct {
		struct fiemap map;
		struct fiemap_extent extent[4];
	} fm = {.map = {.fm_length = ~0ULL, .fm_extent_count = 4}};
	if (TRY("fiemap-host-file", ioctl(fd, FS_IOC_FIEMAP, &fm)) == 0 &&
	    fm.map.fm_mapped_extents)
		note("physical offset %llu",
		     (unsigned long long)fm.extent[0].fe_physical);
	int block = 0;
	TRY("fibmap-host-file", ioctl(fd, FIBMAP, &block));
	TRY("getversion-host-file", ioctl(fd, FS_IOC_GETVERSION, buf));
	TRY("getflags-host-file", ioctl(fd, FS_IOC_GETFLAGS, buf));
	TRY("setflags-host-file", ioctl(fd, FS_IOC_SETFLAGS, buf));
	TRY("fsgetxattr-host-file", ioctl(fd, FS_IOC_FSGETXATTR, buf));
	TRY("getfsuuid-host-file", ioctl(fd, _IOR(0x15, 0, char[17]), buf));
	TRY("figetbsz-host-file", ioctl(fd, FIGETBSZ, buf));
	TRY("blkgetsize64-host-file", ioctl(fd, BLKGETSIZE64, buf));
	TRY("ficlone-host-file", ioctl(1, FICLONE, fd));

	int ns = open("/proc/self/ns/net", O_RDONLY);
	TRY("ns-get-userns", ioctl(ns, NS_GET_USERNS));
	TRY("ns-get-parent", ioctl(ns, NS_GET_PARENT));
	TRY("ns-get-nstype", ioctl(ns, NS_GET_NSTYPE));
	TRY("ns-get-owner-uid", ioctl(ns, NS_GET_OWNER_UID, buf));

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	TRY("siocgskns", ioctl(s, SIOCGSKNS));
	TRY("siocethtool", ioctl(s, SIOCETHTOOL, buf));
	TRY("siocsifflags", ioctl(s, SIOCSIFFLAGS, buf));
	TRY("kdgkbtype-stdin", ioctl(0, 0x4B33, buf));
	TRY("tiocgserial-stdin", ioctl(0, 0x541E, buf));

	/* controls: requests programs use reach the kernel */
	int pipes[2];
	if (pipe(pipes) == 0) {
		int queued = 0;
		TRY("control-fionread-pipe",
		    ioctl(pipes[0], FIONREAD, &queued));
		TRY("control-fioclex-pipe", ioctl(pipes[0], FIOCLEX));
	}
	TRY("control-tcgets-pipe", ioctl(1, TCGETS, buf));
	done();
	return 0;
}
