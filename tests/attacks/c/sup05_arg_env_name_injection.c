/* SUP-05 arg-env-name-injection: hostile values in the parts of the launch
 * that a service would take from a user.  The entry's options carry them
 * (--env values with shell syntax, a newline followed by LD_PRELOAD=...,
 * quotes and tabs, 10 000 bytes, text that looks like options); the
 * program checks that each arrived as one value, byte for byte, that none
 * was split or interpreted (no LD_PRELOAD, BASH_ENV, ... appeared, no
 * command ran: the marker files are not there, ENOENT), that its argv is
 * exactly the command it was started with, and that nothing of the
 * caller's environment came in (the harness gives stockade SBX_SECRET;
 * stockade builds the environment from an allowlist).  Left out: a
 * --chdir through /proc/self/fd/N (which N is a directory of the host
 * depends on stockade's own fd numbers and the caller's), and hostile
 * --hostname values, which stockade refuses before the start. */
#include "attack.h"

#include <fcntl.h>

extern char **environ;

static void verbatim(const char *var, const char *want)
{
	char name[96];
	snprintf(name, sizeof(name), "env-verbatim-%s", var);
	const char *got = getenv(var);
	if (!got) {
		report(name, -1, ENOENT);
		return;
	}
	if (strcmp(got, want)) {
		note("%s differs: %zu bytes instead of %zu", var, strlen(got),
		     strlen(want));
		report(name, -1, EINVAL);
		return;
	}
	report(name, 0, 0);
}

int main(int argc, char **argv)
{
	static char longval[10001];
	memset(longval, 'x', 10000);
	verbatim("SUP05_SHELL",
		 "$(touch /tmp/sup05-pwned-1) `touch /tmp/sup05-pwned-2`;"
		 " touch /tmp/sup05-pwned-3 && echo | tee /tmp/sup05-pwned-4");
	verbatim("SUP05_NEWLINE", "a\nLD_PRELOAD=/tmp/sup05-evil.so\nBASH_ENV=/"
				  "tmp/sup05-evil.sh");
	verbatim("SUP05_QUOTES", "'\"\\'; --\t--ro=/:/host");
	verbatim("SUP05_LONG", longval);
	verbatim("SUP05_OPTION", "--rw=/:/host");

	/* nothing was split out of a value, nothing came from the caller */
	static const char *dangerous[] = {"LD_PRELOAD",
					  "LD_LIBRARY_PATH",
					  "LD_AUDIT",
					  "BASH_ENV",
					  "ENV",
					  "PYTHONSTARTUP",
					  "PYTHONPATH",
					  "PYTHONHOME",
					  "PERL5OPT",
					  "NODE_OPTIONS",
					  "GCONV_PATH",
					  "SBX_SECRET",
					  "STOCKADE_PROFILE_PATH",
					  "IFS",
					  "SHELLOPTS",
					  "PS4"};
	for (size_t i = 0; i < sizeof(dangerous) / sizeof(dangerous[0]); i++)
		if (getenv(dangerous[i]))
			escaped("%s is set in the sandbox", dangerous[i]);
	int n = 0;
	for (char **e = environ; *e; e++)
		n++;
	note("%d environment variables", n);

	/* no command of a value ran (before the program, in the setup) */
	char name[64], path[64];
	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "marker-%d", i);
		snprintf(path, sizeof(path), "/tmp/sup05-pwned-%d", i);
		TRY(name, access(path, F_OK));
	}

	/* argv: the command as given, nothing added */
	if (argc != 1)
		escaped("argv has %d words", argc);
	if (strcmp(argv[0], "/tmp/attack") && strcmp(argv[0], "/tmp/main"))
		escaped("argv[0] is %s", argv[0]);
	report("argv-exact", argc == 1 ? 0 : -1, EINVAL);
	done();
	return 0;
}
