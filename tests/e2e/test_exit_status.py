"""Exit statuses: the payload's, 128+N for a signal, 125/126/127 for stockade's own."""
import errno
import os

import pytest

from support import describe, leftovers, python, snapshot

PAYLOADS = {
    "exit-0": (["true"], 0, "ok", 0, None, None),
    "exit-7": (["/bin/sh", "-c", "exit 7"], 7, "exit", 7, None, None),
    "sigkill": (["/bin/sh", "-c", "kill -KILL $$"], 137, "signal", None, 9, "SIGKILL"),
    "sigsegv-raised": (["/bin/sh", "-c", "kill -SEGV $$"], 139, "signal", None, 11, "SIGSEGV"),
    "sigsegv-crash": (python("import ctypes; ctypes.string_at(0)"), 139, "signal", None, 11, "SIGSEGV"),
}


@pytest.mark.parametrize("name", PAYLOADS)
def test_payload_status(run, name):
    command, status, verdict, code, sig, sig_name = PAYLOADS[name]
    cp, rec = run(["--", *command])
    assert cp.returncode == status, describe(cp, rec)
    assert (rec["verdict"], rec["exit_code"], rec["signal"], rec["signal_name"], rec["exit_status"]) == \
        (verdict, code, sig, sig_name, status), describe(cp, rec)
    assert rec["error"] is None


@pytest.mark.parametrize("command", [["no-such-command-e2e"], ["/usr/bin/no-such-command-e2e"]])
def test_command_not_found_127(run, command):
    cp, rec = run(["--", *command])
    assert cp.returncode == 127, describe(cp, rec)
    assert rec["exit_status"] == 127
    assert cp.stdout == ""


def test_not_executable_126(run, host_dir):
    script = host_dir / "script.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    os.chmod(script, 0o644)
    cp, rec = run(["--copy", f"{script}:/tmp/script.sh", "--", "/tmp/script.sh"])
    assert cp.returncode == 126, describe(cp, rec)
    assert rec["exit_status"] == 126
    assert cp.stdout == ""
    # The same file, executable, runs: the copy keeps the mode.
    os.chmod(script, 0o755)
    cp, rec = run(["--copy", f"{script}:/tmp/script.sh", "--", "/tmp/script.sh"])
    assert (cp.returncode, cp.stdout) == (0, "ran\n"), describe(cp, rec)


def test_directory_is_not_executable_126(run):
    cp, rec = run(["--", "/tmp"])
    assert cp.returncode == 126, describe(cp, rec)


# (name, options after `run --record FILE`, what stderr must name)
BAD_COMMAND_LINES = [
    ("unknown-option", ["--no-such-option", "--", "true"], "--no-such-option"),
    ("missing-argument", ["--tmpfs"], "--tmpfs"),
    ("ro-missing-source", ["--ro", "/does/not/exist", "--", "true"], "--ro"),
    ("rw-missing-source", ["--rw", "/does/not/exist:/x", "--", "true"], "--rw"),
    ("copy-missing-source", ["--copy", "/does/not/exist:/tmp/x", "--", "true"], "--copy"),
    ("copy-without-path", ["--copy", "/etc/passwd", "--", "true"], "--copy"),
    ("tmpfs-relative", ["--tmpfs", "relative:4M", "--", "true"], "--tmpfs"),
    ("tmpfs-bad-size", ["--tmpfs", "/x:12Q", "--", "true"], "--tmpfs"),
    ("env-empty-name", ["--env", "=x", "--", "true"], "--env"),
    ("hostname-space", ["--hostname", "bad name", "--", "true"], "--hostname"),
    ("hostname-slash", ["--hostname", "bad/name", "--", "true"], "--hostname"),
    ("no-command", [], "command"),
    ("no-command-after-dashes", ["--"], "command"),
]


@pytest.mark.parametrize("args,named", [b[1:] for b in BAD_COMMAND_LINES],
                         ids=[b[0] for b in BAD_COMMAND_LINES])
def test_refused_command_line_125(run, args, named):
    assert not os.path.exists("/does/not/exist")
    before = snapshot()
    cp, rec = run(args)
    assert cp.returncode == 125, describe(cp, rec)
    assert named.lower() in cp.stderr.lower(), "stderr does not name " + named + describe(cp, rec)
    assert cp.stdout == ""
    # The refusal is recorded too, naming the option as the failed step.
    assert rec is not None, "no record for a refused command line" + describe(cp, rec)
    assert rec["verdict"] == "setup-error" and rec["exit_status"] == 125, describe(cp, rec)
    assert rec["error"]["step"].lower() == named.lower(), describe(cp, rec)
    assert rec["error"]["errno"] > 0 and rec["error"]["message"], describe(cp, rec)
    assert leftovers(before) == {}


def test_setup_error_record(run):
    """A step that fails inside the sandbox still yields a full record."""
    before = snapshot()
    cp, rec = run(["--chdir", "/does/not/exist", "--", "true"])
    assert cp.returncode == 125, describe(cp, rec)
    assert "chdir" in cp.stderr, describe(cp, rec)
    assert rec is not None, "no record for a setup error" + describe(cp, rec)
    assert rec["verdict"] == "setup-error"
    assert rec["exit_status"] == 125
    err = rec["error"]
    assert isinstance(err, dict), describe(cp, rec)
    assert (err["errno"], err["errno_name"]) == (errno.ENOENT, "ENOENT"), describe(cp, rec)
    assert isinstance(err["step"], str) and err["step"]
    assert isinstance(err["message"], str) and err["message"]
    assert leftovers(before) == {}
