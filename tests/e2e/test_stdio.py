"""Standard streams, and stockade started the way CI or a service starts it:
with some of them closed, or killed outright."""
import hashlib
import json
import os
import signal
import tempfile
import time
from types import SimpleNamespace

import pytest

from support import (LineReader, assert_no_survivors, describe, finish,
                     pids_with_arg, python, unique)


def test_stdin_stdout_stderr_pass_through(run):
    # CI has no stdin: give the run a file and read it back.
    with tempfile.TemporaryFile() as f:
        f.write(b"line one\nline two\n")
        f.seek(0)
        cp, rec = run(["--", "/bin/sh", "-c", "cat; echo to-stderr >&2"], stdin=f)
    assert cp.returncode == 0, describe(cp, rec)
    assert cp.stdout == "line one\nline two\n"
    assert cp.stderr == "to-stderr\n"


def test_large_output_passes_through_whole(run):
    block = hashlib.sha256(b"stockade").digest() * 2048   # 64 KiB
    count = 128                                            # 8 MiB
    code = '''
        import hashlib
        block = hashlib.sha256(b"stockade").digest() * 2048
        for _ in range(int(sys.argv[1])):
            sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
    '''
    cp, rec = run(["--", *python(code, str(count))], text=False)
    assert cp.returncode == 0, describe(cp, rec)
    assert len(cp.stdout) == len(block) * count
    assert cp.stdout == block * count


STREAMS_CODE = '''
    fds = {}
    for fd in range(3):
        try:
            fds[fd] = os.readlink("/proc/self/fd/%d" % fd)
        except OSError as e:
            fds[fd] = errno.errorcode.get(e.errno)
    open_fds = [fd for fd in range(4096) if oserr(os.fstat, fd) is None]
    for fd in (0, 1, 2):
        oserr(os.write, fd, sys.argv[1][::-1].encode() + b"\\n")  # not in the command line
    with open("/out/facts.json", "w") as f:
        json.dump({"fds": fds, "open": open_fds}, f)
'''


def files_containing(needle, roots):
    found = []
    for root in roots:
        for dirpath, _, filenames in os.walk(root):
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) < (1 << 20):
                        with open(p, "rb") as f:
                            if needle in f.read():
                                found.append(p)
                except OSError:
                    pass
    return found


@pytest.mark.parametrize("with_record", [True, False], ids=["record", "no-record"])
@pytest.mark.parametrize("closed", [0, 1, 2], ids=["stdin", "stdout", "stderr"])
def test_closed_stream_of_stockade(stockade, shared_dir, closed, with_record):
    """A stream closed in stockade must not become one of stockade's own
    descriptors (record file, signalfd, pidfd, socket) in the payload, and
    the payload must not be able to write into the record."""
    marker = unique("forged")
    written = marker[::-1]   # what the payload writes to fds 0, 1 and 2
    path = stockade.new_record_path() if with_record else None
    proc = stockade.popen(["--rw", f"{shared_dir}:/out", "--", *python(STREAMS_CODE, marker)], path,
                          preexec_fn=lambda: os.close(closed))
    out, err = finish(proc)
    done = SimpleNamespace(args=proc.args, returncode=proc.returncode, stdout=out, stderr=err)
    rec = None
    if with_record:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
        assert written not in text, "the payload wrote into the run record:\n" + text[:500]
        rec = stockade.take_record(path)
        assert rec is not None and rec["verdict"] == "ok", describe(done, rec)
    # Nor into any other host file stockade holds open (lock files...).
    assert not files_containing(written.encode(), ["/run", "/dev/shm", stockade.dir]), \
        "the payload's output landed in host files: %s" % files_containing(written.encode(), ["/run", "/dev/shm", stockade.dir])
    assert proc.returncode == 0, describe(done, rec)
    facts = json.loads((shared_dir / "facts.json").read_text())
    for fd, target in facts["fds"].items():
        assert target == "EBADF" or target == "/dev/null" or target.startswith("pipe:"), \
            f"fd {fd} of the payload is {target}: {facts}"
    assert set(facts["open"]) <= {0, 1, 2}, facts


def test_killing_stockade_kills_the_sandbox(stockade):
    """The sandbox cannot outlive its supervisor (DESIGN §2.4), even one
    killed with SIGKILL."""
    marker = "1000.%d" % int.from_bytes(os.urandom(4), "big")
    proc = stockade.popen(["--", "/bin/sh", "-c", f"echo ready; exec sleep {marker}"])
    reader = LineReader(proc.stdout)
    try:
        reader.expect("ready")
        deadline = time.monotonic() + 10
        while not pids_with_arg(marker) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pids_with_arg(marker), "the payload never ran"
    finally:
        proc.send_signal(signal.SIGKILL)  # stockade, by pid
        finish(proc)
    # The kernel needs a moment to deliver a parent-death signal and tear
    # the pid namespace down; a sandbox that survives stays.
    deadline = time.monotonic() + 5
    while pids_with_arg(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_no_survivors(marker, "the sandbox of a killed stockade")
    # Its cgroups (root mode) go with the next run, as documented.
    import glob
    cp = stockade.run(["--", "/bin/true"])[0]
    assert cp.returncode == 0
    left = [g for g in glob.glob("/sys/fs/cgroup/*/stockade/run-*")
            if not open(g + "/cgroup.procs").read().strip()]
    assert not left, left
