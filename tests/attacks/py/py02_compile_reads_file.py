# PY-02 compile-reads-file: compile() names a file, and the traceback of
# its SyntaxError prints that file's first line (the pysandbox-era read of
# LWN's "failure of pysandbox"); linecache reads any line.  Inside the
# sandbox they read the sandbox's files only: the read-only canary and
# /etc/passwd (the sandbox's own) are readable, as bound; the host's
# secret is not there, nor are the descriptors stockade was given on the
# host (fds 3 and up are closed), so the payoffs find no token (Refused)
# and the token never reaches the output (H1).
import linecache
import traceback


def compile_trace(path):
    try:
        compile(".", path, "exec")
    except SyntaxError:
        return traceback.format_exc()
    return ""


class Refused(Exception):
    """The trick did not work, or the payoff was stopped."""


def must(cond):
    if not cond:
        raise Refused


def secret_in(text):
    """Succeeds only when text holds the secret token."""
    must("SECRET-" in text)


report("compile-trace-ro-canary",
       lambda: must("read-only canary" in compile_trace(canary("RO") + "/data.txt")))
report("linecache-etc-passwd", lambda: must(linecache.getline("/etc/passwd", 1)))
report("payoff-compile-trace-secret", lambda: secret_in(compile_trace(canary("SECRET"))))
report("payoff-linecache-secret", lambda: secret_in(linecache.getline(canary("SECRET"), 1)))
for fd in range(3, 8):
    report(f"payoff-compile-trace-fd{fd}",
           lambda: secret_in(compile_trace(f"/proc/self/fd/{fd}")))
report("payoff-read-secret", lambda: open(canary("SECRET")).read())
done()
