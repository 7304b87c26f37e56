# PY-04 function-internals: what pysandbox hid about functions - closure
# cells, __globals__, __defaults__, swapping __code__, a builtin's
# __self__ (the builtins module) - all of it works: the language is whole.
# From the module a builtin leads to, the payoffs still meet the kernel.
import socket


class Refused(Exception):
    """The trick did not work."""


def must(cond):
    if not cond:
        raise Refused


def mk(secret):
    return lambda: secret


def f(x=1):
    return x


def add(x, y):
    return x + y


def sub(x, y):
    return x - y


report("closure-cell", lambda: must(mk(42).__closure__[0].cell_contents == 42))
report("func-globals", lambda: must(f.__globals__["canary"] is canary))
report("func-defaults", setattr, f, "__defaults__", (2,))
report("defaults-changed", lambda: must(f() == 2))
report("swap-code", setattr, add, "__code__", sub.__code__)
report("code-swapped", lambda: must(add(5, 3) == 2))
b = len.__self__
report("builtin-self-is-builtins", lambda: must(b.__name__ == "builtins"))
report("import-through-builtin-self", lambda: b.__import__("os").getpid())
report("payoff-read-secret", lambda: b.open(canary("SECRET")).read())
report("payoff-write-host", lambda: b.open(canary("RO") + "/pwned", "w"))
report("payoff-connect-host", lambda: socket.create_connection(
    ("127.0.0.1", int(canary("TCP_PORT"))), timeout=2))
done()
