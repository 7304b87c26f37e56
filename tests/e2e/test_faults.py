"""Fault injection over a run's setup (issue 12, STYLE 11).

tests/e2e/fault_host.c is linked with -Wl,--wrap for every system call the
setup makes (the library carries no injection code of its own): the Nth
call from stk_run_start on fails with EPERM, ENOSPC, EMFILE, EINTR or
EAGAIN, for every N in turn, in the supervisor and in the sandbox's
processes before the program runs.  Each run must end as a setup error
that names its step, or - where the library may ride the failure out -
as the clean run; and nothing of it may be left behind: no fd, child,
cgroup or mount (the host checks after every run and stops at the first
violation)."""
import os
import shutil
import subprocess
import tempfile

import pytest

from support import MODES, SETPRIV, build_host

# Every call the setup makes through libc or syscall(2).
WRAPPED = ("mkdir mkdirat write pipe2 socketpair socket timerfd_create timerfd_settime "
           "memfd_create signalfd flock mount umount2 setrlimit sethostname setdomainname "
           "setns unshare setsid dup2 symlinkat sendmsg sendfile chdir fchdir lseek execve "
           "open openat __open_2 __openat_2 prctl ioctl syscall").split()

# The failures a run may survive, by the function that meets them, and why
# that leaves the sandbox as strong as it was.
RIDDEN_OUT = {
    "copy_fd": "sendfile's EINTR is retried",
    "write_all": "write's EINTR is retried",
    "job_input": "write's EINTR is retried",
    "last_cap": "unread, the last capability is taken as 63: more are dropped, not fewer",
    "lock_group": "EAGAIN from flock(LOCK_NB) on a stale group means in use: it is skipped",
    "helper_main": "the helper's report of the detach it made: the child sees the old "
                   "root gone by itself",
}

TIMEOUT = 600


@pytest.fixture(scope="module")
def fault_host():
    d = tempfile.mkdtemp(prefix="stockade-fault-")
    tree = os.path.join(d, "tree")
    os.mkdir(tree)
    for name in ("a", "b"):
        with open(os.path.join(tree, name), "w") as f:
            f.write(name * 100)
    for path in (tree, *(os.path.join(tree, n) for n in ("a", "b"))):
        os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    exe = build_host("fault_host", d, [f"-Wl,--wrap={name}" for name in WRAPPED] + ["-g"])
    yield exe, tree
    shutil.rmtree(d, ignore_errors=True)


def ridden_out_by(exe, offset):
    """The functions, innermost first, around a call site of exe."""
    cp = subprocess.run(["addr2line", "-f", "-i", "-e", exe, hex(int(offset, 16) - 1)],
                        capture_output=True, text=True, check=True)
    return cp.stdout.splitlines()[0::2]


@pytest.mark.parametrize("mode", MODES)
def test_every_setup_call_failing_in_turn_ends_clean(fault_host, mode):
    exe, tree = fault_host
    prefix = [] if mode == "root" else SETPRIV
    cp = subprocess.run(prefix + [exe, tree], capture_output=True, text=True, timeout=TIMEOUT,
                        stdin=subprocess.DEVNULL)
    violations = [line for line in cp.stdout.splitlines() if line.startswith("VIOLATION")]
    assert not violations and cp.returncode == 0, "\n".join(violations) or cp.stderr
    summaries = [line for line in cp.stdout.splitlines() if line.startswith("summary")]
    assert [s.split()[1] for s in summaries] == ["EPERM:", "ENOSPC:", "EMFILE:", "EINTR:",
                                                 "EAGAIN:"], cp.stdout[-2000:]
    for s in summaries:
        # A run makes some 370 such calls: far fewer means the wrapping broke.
        assert int(s.split()[2]) > 250, s
    unexplained = set()
    for line in cp.stdout.splitlines():
        if line.endswith("-> ok"):
            offset = line.split(" at ")[1].split()[0]
            chain = ridden_out_by(exe, offset)
            if not RIDDEN_OUT.keys() & set(chain):
                unexplained.add(f"{line}: in {' < '.join(chain)}")
    assert not unexplained, "failures the run rode out unexplained:\n" + "\n".join(
        sorted(unexplained))
