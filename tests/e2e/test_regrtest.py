"""CPython's own regression tests run unmodified in the python profile (issue 6).

A fixed subset of regrtest modules, the OS-facing ones a sandbox could
break, listed in bench/regrtest-quick.txt (bench/regrtest.sh --quick runs the
same list and prints figures and reasons; without --quick, the whole suite),
runs bare and inside `stockade run --profile python`, and every module that
passes bare must pass inside.  A module that fails bare is left out of the
comparison and reported as a warning.

Bare runs as nobody, in a new session, with the profile's clean environment:
the sandbox's user is never root, and root passes checks (and runs or skips
tests) that no sandboxed program could.  Both runs get the same regrtest
arguments.  Durations are never asserted; the timeouts only catch hangs.
Root mode only: the subset takes about a minute and a half a side.
"""
import os
import re
import shutil
import subprocess
import tempfile
import warnings
import xml.etree.ElementTree as ET

import pytest

from support import NOBODY, PYTHON, ROOT, SETPRIV, describe

QUICK_LIST = ROOT / "bench" / "regrtest-quick.txt"
# Modules of the subset that pass bare and not inside, each for a reason
# docs/profiles.md explains: restrictions by design, or what the sandbox
# does not offer yet.  The test fails on any other difference, and on a
# module listed here that passes again (then it leaves the list).
KNOWN_DIFFERENCES = {
    "test_asyncio.test_events": "no terminals: /dev has no ptmx (pty tests)",
    "test_pty": "no terminals: /dev has no ptmx",
    "test_openpty": "no terminals: /dev has no ptmx",
    "test_os": "no ptmx; chown to an id the namespace does not map gives EINVAL",
    "test_socket": "AF_NETLINK and other families refused by design",
    "test_resource": "hard = soft rlimits cannot be raised; prlimit of others refused",
    "test_fcntl": "fcntl(F_NOTIFY) refused by design",
    "test_subprocess": "setuid/setgid to nobody, which the namespace does not map "
                       "(bare runs as nobody itself)",
}
# bench/regrtest.sh explains these limits and arguments; keep them alike.
LIMITS = ["--memory", "4G", "--tasks", "1024", "--wall-time", "30m", "--cpu-time", "1h",
          "--tmpfs", "/tmp:2G", "--output", "512M", "--file-size", "64G", "--open-files", "4096"]
ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
TIMEOUT = 1200  # a hang, not a slow machine (regrtest kills a module after 600 s)

# "0:01:02 load avg: 1.23 [ 12/25/2] test_os failed (2 errors) -- running: ..."
PROGRESS = re.compile(r"^\d+:\d\d:\d\d (?:load avg: [\d.]+ )?\[\s*\d+/(\d+)(?:/\d+)?\] "
                      r"(\S+) (passed|failed|skipped|crashed|timed out|ran no tests|interrupted)"
                      r"(.*?)(?: -- running: .*)?$")


def quick_modules():
    """The modules of bench/regrtest-quick.txt: one a line, '#' comments."""
    modules = []
    for line in QUICK_LIST.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            modules.append(name)
    return modules


MODULES = quick_modules()
REGRTEST = [PYTHON, "-m", "test", "-j", str(os.cpu_count() or 1), "--use=none",
            "--timeout", "600", "--junit-xml", "junit.xml", *MODULES]


def outcomes(output):
    """{module: (passes, what regrtest said, the output that followed)};
    a module passes when regrtest says passed or env changed."""
    found, current, total = {}, None, None
    for line in output.splitlines():
        m = PROGRESS.match(line)
        if m and total in (None, m.group(1)):  # not a regrtest run by a test
            total, name, word, rest = m.groups()
            passes = word == "passed" or (word == "failed" and rest.strip() == "(env changed)")
            found[name] = [passes, word + rest, []]
            current = name
        elif line.startswith("== Tests result"):
            current = None
        elif current:
            found[current][2].append(line)
    return {k: (p, said, "\n".join(out)) for k, (p, said, out) in found.items()}


EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:: |$)")  # "OSError: ...", "x.y.Failed"


def exception_lines(message):
    """The exception lines of a formatted exception, its causes first."""
    return [line.strip()[:200] for line in message.splitlines() if EXCEPTION.match(line)]


def failing_cases(junit, module):
    """'case: exception lines' of the module's failed cases in junit.xml."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return []
    found = []
    for e in root.iter("testcase"):
        bad = e.find("error") if e.find("error") is not None else e.find("failure")
        if bad is not None and f"test.{module}." in e.get("name", "") + ".":
            lines = exception_lines(bad.get("message") or "") or ["?"]
            found.append(f"{e.get('name')}: {' <- '.join(reversed(lines[-2:]))}")
    return found


@pytest.fixture(scope="module")
def bare(stockade_bin):
    """The subset bare, once: {module: (passes, said, output)}."""
    d = tempfile.mkdtemp(prefix="stockade-e2e-regrtest-", dir="/var/tmp")
    try:
        os.chmod(d, 0o755)
        os.chown(d, NOBODY, NOBODY)
        env = dict(ENVIRONMENT, HOME=d, TMPDIR=d)
        cp = subprocess.run(SETPRIV + REGRTEST, env=env, cwd=d, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, errors="backslashreplace",
                            timeout=TIMEOUT, start_new_session=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    found = outcomes(cp.stdout)
    assert set(found) == set(MODULES), \
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
    inside = outcomes(cp.stdout)
    assert set(inside) == set(MODULES), \
        "regrtest did not report every module inside" + describe(cp, rec)

    failing_bare = sorted(m for m, (passes, _, _) in bare.items() if not passes)
    if failing_bare:
        warnings.warn("regrtest modules that do not pass bare (failed or skipped), left out of "
                      "the comparison: "
                      + ", ".join(f"{m} ({bare[m][1]})" for m in failing_bare))
    differ = [m for m in MODULES if bare[m][0] and not inside[m][0]]
    broken = [m for m in differ if m not in KNOWN_DIFFERENCES]
    stale = [m for m in KNOWN_DIFFERENCES if m in MODULES and bare[m][0] and inside[m][0]]
    assert not stale, f"known differences that pass inside now (drop them): {stale}"
    denied = ", ".join(f"{d['syscall']} x{d['count']} ({d['errno']})"
                       for d in (rec or {}).get("denied") or [])
    report = []
    for m in broken:
        cases = failing_cases(out / "junit.xml", m)
        report.append(f"== {m}: bare {bare[m][1]}, inside {inside[m][1]}\n"
                      + ("\n".join(cases[:10]) if cases else inside[m][2][-1500:]))
    assert not broken, (f"{len(broken)} of {len(MODULES)} modules pass bare but not inside: "
                        f"{broken}\nseccomp refused: {denied or 'nothing'}\n"
                        + "\n".join(report)
                        + "\n(bench/regrtest.sh --quick prints every case that differs)")
