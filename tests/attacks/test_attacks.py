"""The attack corpus (corpus.py): every attack in both privilege modes, under
the default policy and under the profile a user of its language would pick
(c or python), with the host invariants H1-H8 checked after each run
(canaries.py).  An attack that succeeds is a bug in the sandbox to fix,
never a test to relax.

    make attacks      this suite alone, then the table of outcomes
"""
import array
import fcntl
import os
import shutil
import subprocess
import tempfile
import termios
from pathlib import Path

import pytest

from corpus import CORPUS, DENIED
from support import HostObject, describe

HERE = Path(__file__).resolve().parent
POLICIES = ("default", "profile")
# Every run ends within this, whatever the attack does: the wall-time limit
# the harness gives (below) and the time stockade takes to kill and reap.
OUTER_TIMEOUT = 90
# Bounds of every run, so that even a broken sandbox cannot take the machine
# down; an attack's own options come after and may tighten them.
BOUNDS = ["--wall-time", "30s", "--cpu-time", "20s", "--memory", "512M", "--tasks", "256",
          "--output", "4M"]

# The helpers every Python attack starts with (the C ones include attack.h).
PY_PRELUDE = '''\
import errno as _errno, os as _os
def report(name, fn, *args, **kwargs):
    """Prints "name ok", or the errno's name of the OSError (or the
    exception's type) that fn(*args) raised."""
    try:
        fn(*args, **kwargs)
    except OSError as e:
        result = _errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__
    except Exception as e:
        result = type(e).__name__
    else:
        result = "ok"
    print(name, result, flush=True)
def note(text):
    print("#", text, flush=True)
def escaped(what):
    print("ESCAPED", what, flush=True)
def done():
    print("done", flush=True)
def canary(name):
    return _os.environ.get("CANARY_" + name, "")
'''

RESULTS = []  # (attack, mode, policy, expected, observed, passed), for the table


@pytest.fixture(scope="session")
def programs(install_dir):
    """Each attack's program in a world-readable directory: C attacks
    compiled on the host for the default policy, and their source for the c
    profile, which compiles it in the sandbox; Python attacks with the
    prelude."""
    d = Path(tempfile.mkdtemp(prefix="programs-", dir=install_dir))
    os.chmod(d, 0o755)
    built = {}
    for attack in CORPUS:
        src = HERE / attack.source
        stem = d / attack.id
        if attack.language == "c":
            source = stem.with_suffix(".c")
            text = src.read_text().replace('#include "attack.h"',
                                           (HERE / "attack.h").read_text())
            source.write_text(text)
            cp = subprocess.run(["cc", "-std=gnu17", "-O1", "-Wall", "-Werror", "-o", str(stem),
                                 str(source), "-lm"], capture_output=True, text=True)
            assert cp.returncode == 0, f"{attack.source} does not build:\n{cp.stderr}"
            built[attack.id] = (stem, source)
        else:
            source = stem.with_suffix(".py")
            source.write_text(PY_PRELUDE + src.read_text())
            built[attack.id] = (source, source)
        for path in built[attack.id]:
            os.chmod(path, 0o755)
    yield built
    shutil.rmtree(d, ignore_errors=True)


def command(attack, policy, program, source):
    """(options and command, stdin file or None) of one run."""
    if attack.language == "c":
        if policy == "profile":  # gcc compiles it in the sandbox, then it runs
            return ["--profile", "c", "--copy", f"{source}:/tmp/main.c"], None
        return ["--copy", f"{program}:/tmp/attack", "--", "/tmp/attack"], None
    if policy == "profile":  # the program on stdin, python3 -I -
        return ["--profile", "python"], source
    return ["--copy", f"{source}:/tmp/attack.py", "--", "/usr/bin/python3", "-I",
            "/tmp/attack.py"], None


def parse(stdout):
    """The attempts the program printed, its ESCAPED lines, and whether it
    reached its end."""
    attempts, escapes, finished = [], [], False
    for line in stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("ESCAPED"):
            escapes.append(line)
        elif line == "done":
            finished = True
        else:
            name, _, result = line.partition(" ")
            attempts.append((name, result.strip()))
    return attempts, escapes, finished


def observed_verdict(rec):
    if rec is None:
        return "no record"
    if rec["verdict"] == "signal":
        return f"signal:{rec['signal_name'] or rec['signal']}"
    return rec["verdict"]


def judge(attack, mode, policy, cp, rec):
    """(what was observed, in a few words; the list of what went wrong)."""
    attempts, escapes, finished = parse(cp.stdout)
    verdict = observed_verdict(rec)
    wrong = [f"the program reports an escape: {line}" for line in escapes]
    wrong += [f"payoff attempt {name} succeeded" for name, result in attempts
              if name.startswith("payoff-") and result == "ok"]
    if verdict not in attack.verdicts(mode):
        wrong.append(f"verdict {verdict}, expected {' or '.join(attack.verdicts(mode))}")
    if attack.outcome in ("denied", "contained") and "ok" in attack.verdicts(mode):
        if not finished:
            wrong.append("the program did not reach its end")
    if attack.outcome == "denied" and not attempts:
        wrong.append("no attempt reported")
    named = {d["syscall"] for d in rec["denied"]} if rec else set()
    wrong += [f"the record does not name the refused call {call}"
              for call in attack.recorded if call not in named]
    # Every attempt of a denied attack must fail as expected; in the other
    # outcomes, those the entry pins (a limit's errno, how a child ended).
    pinned = attack.pinned(mode, policy)
    for name, result in attempts:
        if attack.outcome == "denied" or name in pinned:
            allowed = pinned.get(name, attack.errnos)
            if result not in allowed:
                wrong.append(f"{name}: {result}, expected {'/'.join(sorted(allowed))}")
    results = sorted({r for _, r in attempts})
    if attack.outcome == "denied":
        observed = f"denied {','.join(results)} ({len(attempts)})"
    elif attack.outcome == "contained":
        worked = sum(1 for _, r in attempts if r == "ok")
        observed = f"contained ({worked}/{len(attempts)} worked)"
    else:
        observed = verdict
    if escapes or any(w.startswith("payoff") for w in wrong):
        observed = "ESCAPED"
    return observed, wrong


def expected_text(attack, mode):
    if attack.outcome == "denied":
        shown = sorted(attack.errnos) if attack.errnos != DENIED else ["DENIED"]
        return f"denied {','.join(shown)}"
    if attack.outcome == "contained":
        return "contained"
    return " or ".join(attack.verdicts(mode))


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("attack", CORPUS, ids=[f"{a.id}-{a.name}" for a in CORPUS])
def test_attack(attack, policy, mode, stockades, host, programs):
    stockade = stockades[mode]
    program, source = programs[attack.id]
    args, stdin_path = command(attack, policy, program, source)
    args = host.canary_options(mode) + BOUNDS + list(attack.options) + args
    state = host.before(mode)
    obj = HostObject(attack.stdin, stockade.uid) if attack.stdin and not stdin_path else None
    if obj:
        stdin = obj.fd
    else:
        stdin = open(stdin_path) if stdin_path else subprocess.DEVNULL
    try:
        cp, rec = stockade.run(args, env=host.env(), pass_fds=host.leaked, stdin=stdin,
                               timeout=OUTER_TIMEOUT)
    finally:
        if stdin_path:
            stdin.close()
    injected = 0
    if obj and obj.master is not None:  # a terminal: count what was pushed into it
        queued = array.array("i", [0])
        fcntl.ioctl(obj.fd, termios.FIONREAD, queued)
        injected = queued[0]
    changed = obj.changes() if obj else []
    if obj:
        obj.close()
    observed, wrong = judge(attack, mode, policy, cp, rec)
    if injected:
        wrong.append(f"{injected} bytes were pushed into the caller's terminal")
    wrong += [f"the host object on stdin changed: {c}" for c in changed]
    broken = host.check(mode, state, cp, rec)
    if broken:
        observed += " (" + ", ".join(b.split(":")[0] for b in broken) + ")"
    RESULTS.append((f"{attack.id} {attack.name}", mode, policy, expected_text(attack, mode),
                    observed, not wrong and not broken))
    assert not wrong and not broken, "\n".join(wrong + broken) + describe(cp, rec)


def test_corpus_sources_exist():
    for attack in CORPUS:
        assert (HERE / attack.source).is_file(), attack.source
    names = {p.relative_to(HERE).as_posix() for p in HERE.glob("[cp]*/*.*")}
    assert names == {a.source for a in CORPUS}, "a program without an entry, or the reverse"


def test_security_doc_holds_the_table():
    """docs/security.md shows the corpus as it is (mktable.py prints it)."""
    from mktable import table
    doc = (HERE.parent.parent / "docs" / "security.md").read_text()
    assert table() in doc, "docs/security.md's table is stale: run tests/attacks/mktable.py"
