"""Reading CPython's regression test results (issue 6): regrtest's progress
lines and its junit.xml, and the differences the python profile makes by
design.  bench/regrtest.sh and tests/e2e/test_regrtest.py share it.
Standard library only."""
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

QUICK_LIST = Path(__file__).with_name("regrtest-quick.txt")

# Test cases that pass bare and not in the python profile because of a
# restriction that stays (docs/profiles.md explains each).  The CI test
# allows these and nothing else; one that passes again must leave the list.
KNOWN_DIFFERENCES = {
    "test.test_fcntl.TestFcntl.test_fcntl_64_bit":
        "fcntl(F_NOTIFY) is refused: dnotify on a bound host directory would "
        "show the host's and other sandboxes' activity there",
    **{f"test.test_os.ExtendedAttributeTests.{t}":
       "setting xattrs is refused: their kernel memory is beyond the tmpfs "
       "size (skipped inside)" for t in ("test_fds", "test_lpath", "test_simple")},
    "test.test_os.MakedirTests.test_exist_ok_s_isgid_directory":
        "modes with S_ISGID are refused: a setgid file in a --rw bind would be "
        "the run's group on the host (skipped inside)",
    **{f"test.test_uuid.TestInternals{w}ExtModule.test_{t}_getnode":
       "the sandbox's own network namespace has a loopback and no MAC "
       "address (skipped inside)"
       for w in ("With", "Without") for t in ("ifconfig", "ip")},
}

# Reasons inside that are differences by design wherever they occur (the
# whole suite has too many such cases to name): {pattern of the failure or
# skip reason: why}.
KNOWN_REASONS = {
    r"Read-only file system: '/usr/":
        "the system tree is read-only: the kernel answers an unlink there with "
        "EROFS before it looks the name up (bare: ENOENT, which the tests' "
        "cleanup of *.pyc files in every sys.path directory ignores)",
    r"^required \d+ MiB of free disk space":
        "the run's /tmp is a tmpfs of the size the bench gives it (2G); bare, "
        "the tests write to the host's disk",
}

# "0:01:02 load avg: 1.23 [ 12/440/2] test_os failed (2 errors) (31.0 sec) -- running: ..."
PROGRESS = re.compile(r"^\d+:\d\d:\d\d (?:load avg: [\d.]+ )?\[\s*\d+/(\d+)(?:/\d+)?\] "
                      r"(\S+) (passed|failed|skipped|crashed|timed out|ran no tests|interrupted)"
                      r"(.*?)(?: -- running: .*)?$")
PASS = {"passed", "env-changed"}
EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:: |$)")  # "OSError: ...", "x.y.Failed"


def quick_modules():
    """The modules of bench/regrtest-quick.txt: one a line, '#' comments."""
    names = (line.split("#", 1)[0].strip() for line in QUICK_LIST.read_text().splitlines())
    return [n for n in names if n]


def exception_line(tb):
    """The exception line of a formatted exception, then (after '<-') the one
    it was raised while handling, if any: 'IndexError: ... <- PermissionError: ...'."""
    lines = [l.strip()[:200] for l in tb.strip().splitlines() if EXCEPTION.match(l)]
    if not lines:
        return (tb.strip().splitlines() or ["?"])[-1].strip()[:240]
    return " <- ".join(reversed(lines[-2:]))


def modules(lines):
    """{module: [outcome, what regrtest said, output]} in the order regrtest
    finished them, from its progress lines; each is followed by that worker's
    output.  Lines with another total come from a regrtest run by a test.
    outcome: passed, env-changed (all passed; a thread, process or file was
    left behind), skipped, no-tests or failed (failed, crashed, timed out)."""
    found, current, total = {}, None, None
    for line in lines:
        m = PROGRESS.match(line)
        if m and total in (None, m.group(1)):
            total, name, word, rest = m.groups()
            rest = re.sub(r" \(\d[\d.]* (?:ms|sec|min)\)$", "", rest.rstrip())  # its duration
            if word == "passed":
                outcome = "passed"
            elif word == "failed" and rest.strip() == "(env changed)":
                outcome = "env-changed"
            elif word == "skipped":
                outcome = "skipped"
            elif word == "ran no tests":
                outcome = "no-tests"
            else:
                outcome = "failed"
            current = name
            found[name] = [outcome, word + rest, []]
        elif line.startswith("== Tests result"):
            current = None
        elif current:
            found[current][2].append(line)
    for v in found.values():
        v[2] = "\n".join(v[2])
    return found


def hints(name, order):
    """Modules a test case id may belong to, best rule first: Lib/test's
    test.test_X[.test_Y]; a dotted part equal to a module's name, or to its
    stem (ctypes.test.*), or starting with it (idlelib.*, test.datetimetester)."""
    parts = re.split(r"[.\s()]+", name)
    yield {x for x in order if f"test.{x}." in name + "."}
    yield {x for x in order if x in parts}
    yield {x for x in order if x[5:] in parts}
    yield {x for x in order if len(x) > 7 and any(p.startswith(x[5:]) for p in parts)}


def junit_cases(junit, order):
    """{module: {case: (outcome, reason)}} and {module: unnamed cases} from
    junit.xml.  Its <testsuite> elements do not name their module but come in
    the order regrtest finished the modules (the progress lines), each
    module's together: a suite goes to the first module at or after the
    previous suite's whose name its cases' ids match.  outcome: passed (an
    expected failure too), failed or skipped."""
    found, unnamed = {m: {} for m in order}, Counter()
    try:
        suites = ET.parse(junit).getroot().findall("testsuite")
    except (OSError, ET.ParseError):
        suites = []
    pos = 0
    for suite in suites:
        elements = [e for e in suite.iter("testcase") if e.get("name")]
        if not elements or not order:
            continue
        names = [e.get("name") for e in elements[:20]]
        for rule in zip(*(hints(n, order) for n in names)):
            later = [x for x in order[pos:] if any(x in h for h in rule)]
            if later:
                pos = order.index(later[0])
                break
        # A test whose subtest failed is neither a success nor a failure:
        # its element stays without a name.
        unnamed[order[pos]] += sum(1 for e in suite.iter("testcase") if not e.get("name"))
        cases = found[order[pos]]
        for e in elements:
            bad = e.find("error") if e.find("error") is not None else e.find("failure")
            if bad is not None:
                outcome, reason = "failed", exception_line(bad.get("message") or bad.text or "?")
            elif e.find("skipped") is not None:
                outcome, reason = "skipped", (e.find("skipped").text or "").strip()[:240]
            elif e.find("outcome") is not None:
                outcome, reason = "failed", "unexpected success"
            else:
                outcome, reason = "passed", ""
            key, i = e.get("name"), 1
            while key in cases:  # the same id twice in one module
                i += 1
                key = f"{e.get('name')} #{i}"
            cases[key] = (outcome, reason)
    return found, unnamed


def module_reason(mod, cases, unnamed):
    """Why a module did not pass: its first failing case, else its own report."""
    outcome, said, output = mod
    failing = [c for c, (o, _) in cases.items() if o == "failed"]
    if failing:
        more = f" and {unnamed} with a failing subtest" if unnamed else ""
        return f"{said}: {len(failing)} failing case(s){more}, first {failing[0]}: {cases[failing[0]][1]}"
    if outcome == "skipped":
        m = re.search(r"^\S+ skipped -- (.*)$", output, re.M)
        return f"skipped -- {m.group(1)}" if m else said
    m = re.search(r"^test \S+ (?:failed|crashed) -- (.*)$", output, re.M)
    if m:  # regrtest's own report: one error, or an exception outside the tests
        rest = output[m.end(1):] if m.group(1).startswith("Traceback") else ""
        return f"{said}: {exception_line(rest) if rest else m.group(1)[:240]}"
    fatal = re.search(r"^Fatal Python error: .*$", output, re.M)
    warnings = [l.strip() for l in output.splitlines() if "Warning -- " in l]
    tail = [l.strip() for l in output.splitlines() if l.strip()]
    detail = fatal.group(0) if fatal else "; ".join(warnings[:3]) if warnings else \
        tail[-1][:240] if tail else "no output"
    return f"{said}: {detail}" + (f" ({unnamed} test(s) with a failing subtest)" if unnamed else "")


def results(lines, junit):
    """One side's {"modules": ..., "cases": ..., "unnamed": ...}."""
    mods = modules(lines)
    cases, unnamed = junit_cases(junit, list(mods))
    return {"modules": mods, "cases": cases, "unnamed": unnamed}


def by_design(case, reason):
    """Why a case that passes bare and not inside (with that reason) is a
    difference by design, or None."""
    if case in KNOWN_DIFFERENCES:
        return KNOWN_DIFFERENCES[case]
    return next((why for pattern, why in KNOWN_REASONS.items()
                 if re.search(pattern, reason or "")), None)


def unexplained(bare, inside):
    """What passes bare and not inside, less the differences by design: a list of
    (module, case or None, why) - a case that passes bare and does not pass
    inside; a module that passes bare and fails inside (or did not run)
    with no failing case to show for it, or with one not listed."""
    found = []
    for mod, (b_out, _, _) in bare["modules"].items():
        if b_out not in PASS:
            continue
        bcs, ics = bare["cases"].get(mod, {}), inside["cases"].get(mod, {})
        new = [c for c, (o, _) in bcs.items()
               if o == "passed" and ics.get(c, ("not run",))[0] != "passed"
               and not by_design(c, ics.get(c, ("", ""))[1])]
        for c in new:
            o, why = ics.get(c, ("not run", ""))
            found.append((mod, c, f"{o}: {why}" if why else o))
        im = inside["modules"].get(mod)
        if im is None:
            found.append((mod, None, "not run inside"))
        elif im[0] not in PASS and not new:
            failing = [c for c, (o, _) in ics.items() if o == "failed"]
            if not failing or inside["unnamed"][mod] or \
                    any(not by_design(c, ics[c][1]) for c in failing):
                found.append((mod, None, module_reason(im, ics, inside["unnamed"][mod])))
    return found


def stale(bare, inside):
    """Listed differences that ran and pass inside again: they leave the list."""
    return [c for m in bare["cases"] for c, (o, _) in bare["cases"][m].items()
            if c in KNOWN_DIFFERENCES and o == "passed"
            and inside["cases"].get(m, {}).get(c, ("",))[0] == "passed"]
