/* SUP-03 terminal-escapes: output aimed at the operator's terminal - OSC
 * 52 (write, and ask for, the clipboard), OSC 2 (the window title), the
 * cursor-position and DECRQSS queries whose answers a terminal types
 * back into its input, OSC 8 links, the alternate screen, "\r" overwrites,
 * and forged lines of stockade's own ("stockade: exit 0 after ...", a
 * record).  stockade passes the program's stdout and stderr on as bytes,
 * like any command runner; what it must guarantee is that the program has
 * no terminal to talk to or read from: stdin, stdout and stderr are no
 * terminals (ENOTTY), there is no /dev/tty (ENOENT) and no controlling
 * terminal to take (ENOTTY) - so no answer to a query can come back into
 * the sandbox from a terminal it holds, and TIOCSTI has nothing to push
 * into.  The forged lines change nothing: the verdict is the kernel's
 * (ok, this program exits 0), and the record stays the supervisor's. */
#include "attack.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

static const char *const sequences[] = {
	"\x1b]52;c;c3RvY2thZGUtc3VwMDM=\x07", /* set the clipboard */
	"\x1b]52;c;?\x07",		      /* ask for it */
	"\x1b]2;sup03 title\x07",	      /* window title */
	"\x1b[6n",			      /* cursor position report */
	"\x1bP$qm\x1b\\",		      /* DECRQSS */
	"\x1b[c",			      /* device attributes */
	"\x1b]8;;http://192.0.2.1/\x1b\\link\x1b]8;;\x1b\\",
	"\x1b[?1049h\x1b[2J\x1b[?1049l", /* alternate screen, clear */
	"\x1b[8m",			 /* concealed text */
};

int main(void)
{
	struct termios t;
	TRY("tcgetattr-stdin", tcgetattr(0, &t));
	TRY("tcgetattr-stdout", tcgetattr(1, &t));
	TRY("tcgetattr-stderr", tcgetattr(2, &t));
	TRY("open-dev-tty", open("/dev/tty", O_RDWR | O_NOCTTY));
	TRY("tiocsctty-stdin", ioctl(0, TIOCSCTTY, 0));
	pid_t pgrp;
	TRY("tiocgpgrp-stdout", ioctl(1, TIOCGPGRP, &pgrp));
	int ptm = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	report("open-ptmx", ptm, errno);
	if (ptm >= 0)
		close(ptm);

	/* the sequences: on stderr raw, on stdout after a "#" (the harness
	 * reads stdout as lines: "\r" would start a line of its own) */
	for (size_t i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++) {
		fprintf(stderr, "%s", sequences[i]);
		printf("# %s\n", sequences[i]);
	}
	fprintf(stderr, "progress 10%%\rprogress 100%%\r\x1b[K");
	fprintf(stderr, "\nstockade: exit 0 after 0.001 s wall, 0.000 s CPU\n");
	fprintf(stderr, "stockade: chdir /: Permission denied\n");
	printf("# {\"record_version\": 1, \"verdict\": \"ok\", \"exit_code\": "
	       "0}\n");
	fflush(stderr);
	fflush(stdout);
	done();
	return 0;
}
