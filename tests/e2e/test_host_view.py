"""A run seen from the host while it runs: its namespaces, host uid and session,
and the distinct host uids of concurrent runs in root mode."""
import fcntl
import json
import os
import termios
import time
from types import SimpleNamespace

from support import (NOBODY, NS_FILES, PYTHON, describe, finish, pids_of_uids,
                     pids_with_arg, proc_stat, proc_status, python, reset_signals,
                     unique)

WAIT_CODE = '''
    import time
    fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    open("/sync/ready", "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists("/sync/go") and time.monotonic() < deadline:
        time.sleep(0.02)
    facts(tty_nr=int(fields[4]), dev_tty=oserr(open, "/dev/tty", "rb"), released=os.path.exists("/sync/go"))
'''


def wait_for(predicate, procs, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        for p in procs:
            assert p.poll() is None, f"stockade exited ({p.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout}s"
        time.sleep(0.02)


def test_host_view_of_a_running_sandbox(stockade, mode, shared_dir):
    marker = unique()
    master, slave = os.openpty()

    def with_controlling_terminal():
        # The caller has a terminal; the sandbox must not get it.
        reset_signals()
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    path = stockade.new_record_path()
    proc = stockade.popen(["--rw", f"{shared_dir}:/sync", "--", *python(WAIT_CODE, marker)], path,
                          preexec_fn=with_controlling_terminal)
    try:
        wait_for((shared_dir / "ready").exists, [proc], "the payload's ready file")
        payloads = [pid for pid, argv in pids_with_arg(marker).items() if argv[0] == PYTHON]
        assert len(payloads) == 1, pids_with_arg(marker)
        pid = payloads[0]
        status, stat = proc_status(pid), proc_stat(pid)
        caller_stat = proc_stat(proc.pid)
        namespaces = {name: (os.readlink(f"/proc/{pid}/ns/{f}"), os.readlink(f"/proc/self/ns/{f}"))
                      for name, f in NS_FILES.items()}
        ready_owner = os.stat(shared_dir / "ready").st_uid
    except BaseException:
        proc.kill()  # stockade, by pid
        raise
    finally:
        (shared_dir / "go").touch()
        out, err = finish(proc)
        rec = stockade.take_record(path)
        os.close(slave)
        os.close(master)
    done = SimpleNamespace(args=proc.args, returncode=proc.returncode, stdout=out, stderr=err)
    assert proc.returncode == 0, describe(done, rec)
    facts = json.loads(out.strip().splitlines()[-1])
    assert facts["released"] is True
    assert facts["tty_nr"] == 0
    assert facts["dev_tty"] is not None  # opening /dev/tty fails

    # The caller really had a terminal and was a session leader.
    assert int(caller_stat[4]) != 0 and int(caller_stat[3]) == proc.pid
    # The payload is in another session, without a terminal.
    assert int(stat[3]) != int(caller_stat[3])
    assert int(stat[4]) == 0
    # Every namespace differs from the caller's.
    same = [name for name, (theirs, ours) in namespaces.items() if theirs == ours]
    assert not same, namespaces
    # The host uid and gid are what the record says.
    assert status["Uid"].split() == [str(rec["host_uid"])] * 4, (status["Uid"], rec["host_uid"])
    assert status["Gid"].split() == [str(rec["host_gid"])] * 4, (status["Gid"], rec["host_gid"])
    assert ready_owner == rec["host_uid"]
    assert int(status["CapEff"], 16) == 0
    if mode == "unprivileged":
        assert (rec["host_uid"], rec["host_gid"]) == (NOBODY, NOBODY)
    else:
        assert rec["host_uid"] != 0 and rec["host_gid"] != 0
    nspid = status["NSpid"].split()
    assert len(nspid) >= 2 and int(nspid[-1]) > 1, "the payload is pid 1 or not namespaced: NSpid " + status["NSpid"]


BARRIER = 'touch /sync/ready-$IDX; while [ ! -e /sync/go ]; do sleep 0.05; done; sleep 0.5'


def test_concurrent_root_runs_get_distinct_host_uids(stockades, shared_dir):
    root = stockades["root"]
    runs = []
    try:
        for i in range(4):
            path = root.new_record_path()
            runs.append((root.popen(["--rw", f"{shared_dir}:/sync", "--env", f"IDX={i}", "--",
                                     "/bin/sh", "-c", BARRIER], path), path))
        # All four are inside the sandbox at the same time before any may end.
        wait_for(lambda: all((shared_dir / f"ready-{i}").exists() for i in range(4)),
                 [p for p, _ in runs], "four ready files")
    except BaseException:
        for p, _ in runs:
            p.kill()  # stockade, by pid
        raise
    finally:
        (shared_dir / "go").touch()
        results = []
        for p, path in runs:
            out, err = finish(p)
            results.append((p.returncode, root.take_record(path), err))
    assert [r[0] for r in results] == [0] * 4, results
    uids = [rec["host_uid"] for _, rec, _ in results]
    assert len(set(uids)) == 4, uids
    assert 0 not in uids
    assert all(rec["mode"] == "root" for _, rec, _ in results)
    owners = [os.stat(shared_dir / f"ready-{i}").st_uid for i in range(4)]
    assert owners == uids
    # Nothing runs under those uids any more.
    alive = pids_of_uids(set(uids))
    assert not alive, alive
