# PY-12 import-path-persistence: plant code that a later run, or the
# supervisor, would import.  Every directory on sys.path and every site
# directory the interpreter reads at startup must be unwritable (probed
# with access(W_OK), which writes nothing: EROFS, or ENOENT where the
# directory does not exist); so must the host's read-only canary, put on
# sys.path here: evil.pth, sitecustomize.py and a __pycache__ .pyc cannot
# be written into it (EROFS), and importing from it leaves no __pycache__.
# What the program writes where it may - its own /tmp and /dev/shm, the
# user site directory under HOME=/tmp - works, runs inside the run (a
# child python without -I executes the .pth) and is gone with it: a later
# run finds none of it (the .pth says ESCAPED when a run other than the one
# that wrote it executes it).  Audit hooks are no barrier either (PEP 578):
# ctypes opens what a hook refuses.
import contextlib
import ctypes
import errno
import io
import os
import site
import subprocess
import sys
import sysconfig
import uuid

libc = ctypes.CDLL(None, use_errno=True)
RUN = uuid.uuid4().hex
VERSION = "python%d.%d" % sys.version_info[:2]
USER_SITE = "/tmp/.local/lib/%s/site-packages" % VERSION
PTH = ("import os; os.environ.get('PY12_RUN') == %r or "
       "print('ESCAPED evil.pth of another run executed', flush=True)\n" % RUN)
PLANTED = {"tmp-pth": "/tmp/evil.pth", "shm-pth": "/dev/shm/evil.pth",
           "user-site-pth": USER_SITE + "/evil.pth",
           "usercustomize": USER_SITE + "/usercustomize.py",
           "sitecustomize": "/tmp/sitecustomize.py"}


class Refused(Exception):
    """The trick did not work."""


def must(cond):
    if not cond:
        raise Refused


def writable(path):
    """access(path, W_OK): OSError with the kernel's errno when refused."""
    ctypes.set_errno(0)
    if libc.access(path.encode(), 2) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)


# Left by an earlier run?
for path in PLANTED.values():
    if os.path.exists(path):
        escaped(path + " of an earlier run is still there")

dirs = [p for p in sys.path if p and not p.endswith(".zip")]
dirs += site.getsitepackages() + [site.getusersitepackages()]
dirs += [sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
dirs += [os.path.join(sysconfig.get_path("stdlib"), "__pycache__")]
for d in sorted(set(dirs)):
    if d.startswith("/tmp/"):
        continue  # the user site under HOME=/tmp: the run's own, below
    report("writable" + d.replace("/", ":"), writable, d)

ro = canary("RO")
sys.path.insert(0, ro + "/sub")
with contextlib.redirect_stdout(io.StringIO()):  # the module prints
    try:
        imported = __import__("script")
    except ImportError:
        imported = None
report("import-from-ro-canary", lambda: must(imported))
report("payoff-pycache-in-ro-canary", lambda: must(os.path.exists(ro + "/sub/__pycache__")))
report("payoff-write-pth-ro-canary", lambda: open(ro + "/sub/evil.pth", "w").write(PTH))
report("payoff-write-sitecustomize-ro-canary",
       lambda: open(ro + "/sub/sitecustomize.py", "w").write(PTH))
report("payoff-write-pyc-ro-canary",
       lambda: os.makedirs(ro + "/sub/__pycache__/script.%s.pyc" % sys.implementation.cache_tag))

# Where the program may write: inside the run only.
os.makedirs(USER_SITE, exist_ok=True)
for name, path in PLANTED.items():
    report("plant-" + name, lambda: open(path, "w").write(PTH))
env = dict(os.environ, PY12_RUN=RUN, PYTHONPATH="/tmp")
report("child-runs-user-site-pth", lambda: must(subprocess.run(
    [sys.executable, "-c", "import sys; print('/tmp/.local' in str(sys.path))"],
    env=env, capture_output=True, text=True).stdout.strip() == "True"))

# An audit hook that refuses every open, and ctypes around it.
def refuse_open(event, args):
    if event == "open":
        raise PermissionError(errno.EACCES, "audit hook", args[0])


sys.addaudithook(refuse_open)
report("audit-hook-refuses-open", lambda: open("/etc/hostname"))
report("audit-hook-bypass-ctypes", lambda: must(libc.open(b"/etc/hostname", 0) >= 0))
done()
