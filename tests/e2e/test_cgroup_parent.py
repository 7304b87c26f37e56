"""--cgroup-parent: the run's cgroup under a v2 group delegated to the caller,
so that a run without root still has cgroup accounting and limits.

Each test plays the delegating administrator (as systemd does for a user's
session): root makes a group, gives it to the run's user, and moves the
launching shell into a leaf of it before that shell becomes stockade.
"""
import os
import shlex
import subprocess

import pytest

from support import describe, unique

pytestmark = pytest.mark.usefixtures("mode")

SPIN = "while :; do :; done"


def v2_root():
    for path in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        if os.path.exists(os.path.join(path, "cgroup.procs")) and \
                os.path.exists(os.path.join(path, "cgroup.subtree_control")):
            return path
    return None


@pytest.fixture
def delegated(stockade):
    """A fresh v2 group owned by the mode's user, with a launcher leaf."""
    top = v2_root()
    if top is None:
        pytest.skip("no cgroup v2 hierarchy on this host")
    group = os.path.join(top, unique("stockade-e2e-deleg"))
    os.mkdir(group)
    os.mkdir(os.path.join(group, "launcher"))
    for directory in (group, os.path.join(group, "launcher")):
        os.chown(directory, stockade.uid, stockade.uid)
        for name in os.listdir(directory):
            if os.path.isfile(os.path.join(directory, name)):
                os.chown(os.path.join(directory, name), stockade.uid, stockade.uid)
    yield group
    # Every launcher has ended; the run's group must already be gone.
    left = sorted(e for e in os.listdir(group) if e.startswith("run-"))
    for entry in left:
        os.rmdir(os.path.join(group, entry))
    os.rmdir(os.path.join(group, "launcher"))
    os.rmdir(group)
    assert left == [], f"stockade left its groups in {group}"


def launch(stockade, group, args, *, inside=True):
    """`stockade run --record FILE --cgroup-parent GROUP ARGS`, started from
    a shell that first joins GROUP/launcher (unless inside is False)."""
    path = stockade.new_record_path()
    command = shlex.join(stockade.argv(["run", "--record", path,
                                        "--cgroup-parent", group, *args]))
    join = f"echo $$ > {shlex.quote(group)}/launcher/cgroup.procs && " if inside else ""
    try:
        cp = subprocess.run(["/bin/sh", "-c", join + "exec " + command],
                            stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60, cwd=stockade.dir)
    finally:
        rec = stockade.take_record(path)
    if rec is not None:
        assert rec["exit_status"] == cp.returncode, describe(cp, rec)
    return cp, rec


def controllers(group):
    with open(os.path.join(group, "cgroup.controllers")) as f:
        return f.read().split()


def test_delegated_group_counts_and_limits_cpu(stockade, delegated):
    cp, rec = launch(stockade, delegated,
                     ["--cpu-time", "500ms", "--wall-time", "20s", "--",
                      "/bin/sh", "-c", SPIN])
    assert rec["verdict"] == "cpu-limit" and cp.returncode == 137, describe(cp, rec)
    assert rec["cpu"]["from"] == "cgroup cpu.stat", rec["cpu"]
    # The supervisor's own CPU on the run counts against the limit too.
    assert sum(rec["cpu"][k] for k in ("user_seconds", "system_seconds",
                                       "supervisor_seconds")) >= 0.5, rec["cpu"]
    group = rec["enforced"]["cgroup"]
    assert group["applied"] is True and group["layout"] == "v2 (delegated)", group
    assert os.path.dirname(group["v2"]) == delegated, group
    assert not os.path.exists(group["v2"]), "the run's group outlived the run"


def test_limits_name_what_the_delegation_gave(stockade, delegated):
    cp, rec = launch(stockade, delegated, ["--", "/bin/true"])
    assert cp.returncode == 0, describe(cp, rec)
    group, limits = rec["enforced"]["cgroup"], rec["enforced"]["limits"]
    have = controllers(delegated)
    # The record's controllers are the delegation's, and each limit says
    # whether the cgroup or an rlimit holds it.
    assert (group["pids"] is not None) == ("pids" in have), (group, have)
    assert (group["memory"] is not None) == ("memory" in have), (group, have)
    assert limits["tasks"]["by"].startswith(
        "cgroup" if "pids" in have else "RLIMIT_NPROC"), limits["tasks"]
    if "memory" in have:
        assert limits["memory_bytes"]["by"].startswith("cgroup"), limits
    else:  # the default 1G, as each process's address space
        assert limits["memory_bytes"]["value"] == 1 << 30, limits
        assert limits["memory_bytes"]["by"].startswith("RLIMIT_AS"), limits
    # Shared memory, which an address-space limit does not count, is there
    # exactly when the group's memory controller counts it.
    groups = rec["enforced"]["seccomp"]["groups"]
    assert ("shared-memory" in groups) == ("memory" in have), (groups, have)


def test_memory_limit_needs_the_delegated_controller(stockade, delegated):
    cp, rec = launch(stockade, delegated, ["--memory", "64M", "--", "/bin/true"])
    if "memory" in controllers(delegated):
        assert cp.returncode == 0, describe(cp, rec)
        assert rec["enforced"]["limits"]["memory_bytes"]["by"].startswith("cgroup")
    else:
        # Asked for, and not to be had: refused, not silently weakened.
        assert cp.returncode == 125, describe(cp, rec)
        assert "--memory" in cp.stderr and "not delegated" in cp.stderr, describe(cp, rec)


def test_caller_outside_the_subtree_is_refused(stockade, delegated):
    cp, rec = launch(stockade, delegated, ["--", "/bin/true"], inside=False)
    if stockade.mode == "root":  # root may move itself anywhere
        assert cp.returncode == 0, describe(cp, rec)
        return
    assert cp.returncode == 125, describe(cp, rec)
    assert "--cgroup-parent" in cp.stderr and "subtree" in cp.stderr, describe(cp, rec)


@pytest.mark.parametrize("value", ["/tmp", "sys/fs/cgroup", "/nonexistent", ""])
def test_bad_cgroup_parent_refused(run, value):
    cp, rec = run(["--cgroup-parent", value, "--", "/bin/true"])
    assert cp.returncode == 125, describe(cp, rec)
    assert "--cgroup-parent" in cp.stderr, describe(cp, rec)
