# PY-08 cpython-crashers: the classes of CPython's Lib/test/crashers
# ("each should fail when run from the command line"), rewritten for the
# CPython 3.11 of the sandbox and run each in a python3 of its own: a
# tuple seen half-built through gc.get_referrers, a class dict changed
# under the method cache, a list mutated by the cycle collector inside a
# slice, a C stack overflow (recursion limit 10**7, repr of a list nested a
# million deep), a trace hook at the recursion limit, warnings from
# __del__ at shutdown, a regular expression that backtracks forever (killed
# after 1 s), __bases__ reassigned into a cycle, LOAD_FAST past the
# locals.  Each may exit, raise or crash - that is CPython's business; no
# crash may leave a core dump (RLIMIT_CORE 0), and the program, which
# stays whole, runs to its end.
import os
import signal
import sys
import time

CRASHERS = {
    "gc-half-built-tuple": """
import gc
def g():
    marker = object()
    yield marker
    [t] = [x for x in gc.get_referrers(marker) if type(x) is tuple]
    repr(t[1])
tuple(g())
""",
    "stale-class-dict": """
import gc
thing = object()
class A:
    def f(self): return 1
    x = thing
d = [r for r in gc.get_referrers(thing) if isinstance(r, dict) and "__module__" in r][0]
a = A()
for i in range(10): a.f()
d["f"] = lambda self: 2
a.f()
""",
    "cyclegc-mutation": """
import weakref
class A: pass
def callback(x): del lst[:]
keep = []
for i in range(100):
    lst = [str(i)]
    a = A(); a.cycle = a
    keep.append(weakref.ref(a, callback))
    del a
    while lst: keep.append(lst[:])
""",
    "c-stack-overflow": """
import sys
sys.setrecursionlimit(10**7)
l = []
for i in range(10**6): l = [l]
repr(l)
""",
    "trace-at-recursion-limit": """
import sys
def x(): pass
def g(*args):
    try: x()
    except: pass
    return g
def f(): f()
sys.settrace(g)
f()
""",
    "warnings-at-shutdown": """
import threading, warnings
class W:
    def __del__(self): warnings.warn("x", UserWarning)
def work():
    while True: W()
for i in range(10): threading.Thread(target=work, daemon=True).start()
""",
    "catastrophic-regex": """
import re
re.match(r"(a+)+$", "a" * 64 + "!")
""",
    "bases-cycle": """
class A: pass
class B: pass
class C(A): pass
C.__bases__ = (B,)
A.__bases__ = (C,)
""",
    "load-fast-past-locals": """
def f(): pass
c = f.__code__.replace(co_code=bytes([151, 0, 124, 200, 83, 0]), co_nlocals=0, co_varnames=())
type(f)(c, {})()
""",
}

devnull = os.open("/dev/null", os.O_WRONLY)
for name, code in CRASHERS.items():
    pid = os.posix_spawn(sys.executable, [sys.executable, "-I", "-c", code], {},
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                       (os.POSIX_SPAWN_DUP2, devnull, 2)])
    deadline = time.monotonic() + 1
    while True:
        done_pid, status = os.waitpid(pid, os.WNOHANG)
        if done_pid:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = None
            break
        time.sleep(0.01)
    if status is None:
        result = "killed-after-1s"
    elif os.WIFSIGNALED(status):
        result = signal.Signals(os.WTERMSIG(status)).name
    else:
        result = "exit%d" % os.WEXITSTATUS(status)
    print("crasher-" + name, result, flush=True)
    dumped = status is not None and os.WIFSIGNALED(status) and os.WCOREDUMP(status)
    print("core-dumped-" + name, "dumped" if dumped else "none", flush=True)
cores = [f for f in os.listdir(".") if f.startswith("core")]
print("core-files-in-cwd", "found" if cores else "none", flush=True)
done()
