# PY-01 builtins-tamper: pysandbox's first escape, changing __builtins__:
# replace open, add a name every module sees, clear the builtins' dict and
# fill it again.  It all works - the interpreter is the program's own - and
# gains nothing: the payoffs that follow still meet the kernel's refusals
# (the secret is not in the sandbox, /canary-ro is read-only, sockets of
# the network family are refused).
import builtins
import socket


class Refused(Exception):
    """The trick did not work."""


def must(cond):
    if not cond:
        raise Refused


real_open = builtins.open
report("replace-builtin-open", setattr, builtins, "open", lambda *a, **k: "fake")
report("open-is-replaced", lambda: must(open("/etc/hostname") == "fake"))
builtins.open = real_open

report("setitem-builtins-dict", dict.__setitem__, builtins.__dict__, "SUPERGLOBAL", 42)
report("superglobal-seen", lambda: must(eval("SUPERGLOBAL", {}) == 42))
del builtins.SUPERGLOBAL


def clear_and_refill():
    d = builtins.__dict__
    saved = dict(d)
    d.clear()  # nothing built in may run until the update
    d.update(saved)


report("clear-and-refill-builtins", clear_and_refill)
report("reimport-builtins",
       lambda: must(__import__("importlib").import_module("builtins") is builtins))
report("builtins-dict-init", dict.__init__, builtins.__dict__, {"SUPERGLOBAL2": 1})
del builtins.SUPERGLOBAL2

# The payoffs of attacks.md, with the builtins as they are now.
report("payoff-read-secret", lambda: open(canary("SECRET")).read())
report("payoff-write-host", lambda: open(canary("RO") + "/pwned", "w"))
report("payoff-connect-host", lambda: socket.create_connection(
    ("127.0.0.1", int(canary("TCP_PORT"))), timeout=2))
done()
