"""CPython's own regression tests run unmodified in the python profile (issue 6).

A fixed subset of regrtest modules, the OS-facing ones a sandbox could
break, listed in bench/regrtest-quick.txt (bench/regrtest.sh --quick runs the
same list and prints figures and reasons; without --quick, the whole suite),
runs bare and inside `stockade run --profile python`.  Every test case that
passes bare must pass inside, and every module that passes bare must pass
inside, except for the few cases bench/regrtest_results.py lists as
differences by design (each explained there and in docs/profiles.md); a
listed case that passes again fails the test too.  A module that fails bare
is left out of the comparison and reported as a warning.

Bare runs as nobody, in a new session, with the profile's clean environment:
the sandbox's user is never root, and root passes checks (and runs or skips
tests) that no sandboxed program could.  Both runs get the same regrtest
arguments.  Durations are never asserted; the timeouts only catch hangs.
Root mode only: the subset takes about a minute and a half a side.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import pytest

from support import NOBODY, PYTHON, ROOT, SETPRIV, describe

sys.path.insert(0, str(ROOT / "bench"))
from regrtest_results import PASS, quick_modules, results, stale, unexplained  # noqa: E402

# bench/regrtest.sh explains these limits and arguments; keep them alike.
LIMITS = ["--memory", "4G", "--tasks", "1024", "--wall-time", "30m", "--cpu-time", "unlimited",
          "--tmpfs", "/tmp:2G", "--output", "512M", "--file-size", "unlimited",
          "--open-files", "4096"]
ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
TIMEOUT = 1200  # a hang, not a slow machine (regrtest kills a module after 600 s)

MODULES = quick_modules()
REGRTEST = [PYTHON, "-m", "test", "-j", str(os.cpu_count() or 1), "--use=none",
            "--timeout", "600", "--junit-xml", "junit.xml", *MODULES]


@pytest.fixture(scope="module")
def bare(stockade_bin):
    """The subset bare, once: results() of regrtest_results."""
    d = tempfile.mkdtemp(prefix="stockade-e2e-regrtest-", dir="/var/tmp")
    try:
        os.chmod(d, 0o755)
        os.chown(d, NOBODY, NOBODY)
        env = dict(ENVIRONMENT, HOME=d, TMPDIR=d)
        cp = subprocess.run(SETPRIV + REGRTEST, env=env, cwd=d, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, errors="backslashreplace",
                            timeout=TIMEOUT, start_new_session=True)
        found = results(cp.stdout.splitlines(), f"{d}/junit.xml")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert set(found["modules"]) == set(MODULES), \
        f"regrtest did not report every module bare:\n{cp.stdout[-3000:]}\n{cp.stderr[-2000:]}"
    return found


@pytest.mark.parametrize("mode", ["root"])
def test_regrtest_subset_passes_inside_as_bare(stockade, bare, host_dir):
    out = host_dir / "out"  # junit.xml, written by the sandbox's host uid
    out.mkdir()
    os.chmod(out, 0o777)
    cp, rec = stockade.run(["--profile", "python", *LIMITS, "--rw", f"{out}:/out",
                            "--chdir", "/out", "--env", "TMPDIR=/tmp", "--", *REGRTEST],
                           timeout=TIMEOUT)
    inside = results(cp.stdout.splitlines(), out / "junit.xml")
    assert set(inside["modules"]) == set(MODULES), \
        "regrtest did not report every module inside" + describe(cp, rec)
    assert sum(len(c) for c in inside["cases"].values()) > 0, \
        "no junit.xml inside" + describe(cp, rec)

    failing_bare = sorted(m for m, (o, _, _) in bare["modules"].items() if o not in PASS)
    if failing_bare:
        warnings.warn("regrtest modules that do not pass bare (failed or skipped), left out of "
                      "the comparison: "
                      + ", ".join(f"{m} ({bare['modules'][m][1]})" for m in failing_bare))
    again = stale(bare, inside)
    assert not again, f"differences by design that pass inside now (drop them): {again}"
    broken = unexplained(bare, inside)
    denied = ", ".join(f"{d['syscall']} x{d['count']} ({d['errno']})"
                       for d in (rec or {}).get("denied") or [])
    assert not broken, (f"{len(broken)} test(s) pass bare but not inside:\n"
                        + "\n".join(f"  {case or mod}: {why}" for mod, case, why in broken[:40])
                        + f"\nseccomp refused: {denied or 'nothing'}"
                        + "\n(bench/regrtest.sh --quick prints every case that differs)")
