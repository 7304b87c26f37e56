# PY-11 rlimit-raise: pysandbox set RLIMIT_AS soft only, which the child
# could raise to unlimited.  Every limit of the sandbox has hard = soft, so
# no limit can go up: setrlimit to unlimited fails (EPERM, which Python
# turns into ValueError), prlimit of itself likewise (EPERM), and the
# limits of other processes (stockade's init, a child) cannot even be read
# (the filter: EPERM).  Limits that are unlimited already are only noted.
import os
import resource
import signal

INF = resource.RLIM_INFINITY
NAMES = ["AS", "CORE", "CPU", "DATA", "FSIZE", "MEMLOCK", "MSGQUEUE", "NICE",
         "NOFILE", "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"]


class Refused(Exception):
    """The check did not hold."""


def must(cond):
    if not cond:
        raise Refused


for name in NAMES:
    r = getattr(resource, "RLIMIT_" + name)
    soft, hard = resource.getrlimit(r)
    report("soft-is-hard-" + name, lambda: must(soft == hard))
    if hard == INF:
        note(f"RLIMIT_{name} is unlimited: nothing to raise")
        continue
    report("setrlimit-raise-" + name, resource.setrlimit, r, (INF, INF))
    report("prlimit-raise-" + name, resource.prlimit, 0, r, (INF, INF))
    report("still-" + name, lambda: must(resource.getrlimit(r) == (soft, hard)))

report("prlimit-init-get", resource.prlimit, 1, resource.RLIMIT_NOFILE)
report("prlimit-init-raise", resource.prlimit, 1, resource.RLIMIT_NOFILE, (INF, INF))
pid = os.fork()
if pid == 0:
    signal.pause()
    os._exit(0)
report("prlimit-child-raise-cpu", resource.prlimit, pid, resource.RLIMIT_CPU, (INF, INF))
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
done()
