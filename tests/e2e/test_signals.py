"""Signals sent to stockade reach the payload; no process outlives the run."""
import contextlib
import json
import os
import signal
from types import SimpleNamespace

import pytest

from support import LineReader, assert_no_survivors, describe, finish, python

HANDLER_CODE = '''
    import signal, time
    def on_signal(signum, frame):
        # os.write: the signal may come while print("ready") is still in
        # stdout's buffered writer, which a second print would re-enter.
        os.write(1, b"got %d\\n" % signum)
        sys.exit(int(sys.argv[1]))
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("ready", flush=True)
    while True:
        time.sleep(1)
'''


def outcome(stockade, proc, record_path, reader):
    out, err = finish(proc)
    rec = stockade.take_record(record_path)
    seen = "".join(line + "\n" for line in reader.seen) + reader.buf.decode(errors="replace")
    return SimpleNamespace(returncode=proc.returncode, args=proc.args, stdout=seen + out, stderr=err), rec


@contextlib.contextmanager
def live_run(stockade, args, marker=None):
    """Starts `stockade run ARGS`, yields (proc, reader, result) for the test
    to talk to it, and then fills result.done and result.rec, having killed
    stockade (by pid) if the test failed midway and, with a marker, checked
    that no process of the run survived."""
    path = stockade.new_record_path()
    proc = stockade.popen(args, path)
    reader = LineReader(proc.stdout)
    result = SimpleNamespace(done=None, rec=None)
    try:
        yield proc, reader, result
    except BaseException:
        proc.kill()  # do not wait for a stuck run
        raise
    finally:
        result.done, result.rec = outcome(stockade, proc, path, reader)
        if marker:
            assert_no_survivors(marker)


@pytest.mark.parametrize("sig,status", [(signal.SIGTERM, 3), (signal.SIGINT, 4)],
                         ids=["SIGTERM", "SIGINT"])
def test_signal_forwarded_to_handler(stockade, sig, status):
    with live_run(stockade, ["--", *python(HANDLER_CODE, str(status))]) as (proc, reader, r):
        reader.expect("ready")
        proc.send_signal(sig)
        got = reader.line()
    done, rec = r.done, r.rec
    assert rec is not None, "no record" + describe(done, rec)
    assert got == f"got {int(sig)}", describe(done, rec)
    assert done.returncode == status, describe(done, rec)
    assert (rec["verdict"], rec["exit_code"], rec["exit_status"]) == ("exit", status, status)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_kills_sleeping_payload(stockade, sig):
    marker = "100.%d" % int.from_bytes(os.urandom(4), "big")   # sleep 100 s, findable
    args = ["--", "/bin/sh", "-c", f"echo ready; exec sleep {marker}"]
    with live_run(stockade, args, marker) as (proc, reader, r):
        reader.expect("ready")
        proc.send_signal(sig)
    done, rec = r.done, r.rec
    assert done.returncode == 128 + sig, describe(done, rec)
    assert rec is not None, "no record" + describe(done, rec)
    assert (rec["verdict"], rec["signal"], rec["signal_name"], rec["exit_code"]) == \
        ("signal", int(sig), sig.name, None), describe(done, rec)


STUBBORN_CODE = '''
    import signal, subprocess, time
    # A child that ignores the signals too; it must die with the sandbox.
    child = subprocess.Popen(["/bin/sh", "-c", 'trap "" TERM INT; exec sleep ' + sys.argv[1]])
    def on_signal(signum, frame):
        os.write(1, b"got %d\\n" % signum)  # as in HANDLER_CODE
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    time.sleep(0.2)
    print("ready", flush=True)
    while True:
        time.sleep(1)
'''


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_second_signal_kills_the_sandbox(stockade, sig):
    marker = "1000.%d" % int.from_bytes(os.urandom(4), "big")
    with live_run(stockade, ["--", *python(STUBBORN_CODE, marker)], marker) as (proc, reader, r):
        reader.expect("ready")
        proc.send_signal(sig)
        # Only once the first was delivered (signals of one kind do not queue).
        first = reader.line()
        proc.send_signal(sig)
    done, rec = r.done, r.rec
    assert first == f"got {int(sig)}", describe(done, rec)
    assert rec is not None, "no record" + describe(done, rec)
    assert rec["verdict"] == "signal", describe(done, rec)
    assert rec["signal"] in (signal.SIGKILL, int(sig)), describe(done, rec)
    assert done.returncode == 128 + rec["signal"], describe(done, rec)


DAEMON_CODE = '''
    import time
    marker, detach = sys.argv[1], sys.argv[2] == "detach"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            if detach:
                null = os.open("/dev/null", os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
            os.write(w, str(os.getpid()).encode())
            os.execv("/bin/sleep", ["sleep", marker])
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    daemon = int(os.read(r, 32))
    # Make sure the daemon really runs before the payload exits.
    running = False
    deadline = time.monotonic() + 30
    while not running and time.monotonic() < deadline:
        try:
            running = open("/proc/%d/cmdline" % daemon, "rb").read().split(b"\\0")[1] == marker.encode()
        except (OSError, IndexError):
            time.sleep(0.01)
    facts(daemon=daemon, running=running, sid=os.getsid(daemon), own_sid=os.getsid(0), ppid=int(
        open("/proc/%d/stat" % daemon).read().rsplit(")", 1)[1].split()[1]))
'''


@pytest.mark.parametrize("detach", ["detach", "keep-stdio"])
def test_double_forked_daemon_dies_with_the_run(run, detach):
    marker = "1000.%d" % int.from_bytes(os.urandom(4), "big")
    try:
        cp, rec = run(["--", *python(DAEMON_CODE, marker, detach)])
    finally:
        # Whatever happened, nothing carrying the marker may be alive now.
        assert_no_survivors(marker, "the double-forked daemon")
    assert cp.returncode == 0, describe(cp, rec)
    facts = json.loads(cp.stdout.strip().splitlines()[-1])
    assert facts["running"] is True, facts
    assert facts["sid"] != facts["own_sid"], facts  # it left the payload's session
    assert facts["ppid"] != 2, facts               # and was not the payload's child

