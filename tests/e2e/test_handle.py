"""The run handle and the job (issue 12): runs started without blocking,
driven from the host's own epoll set, fed and read through the job, ended
by the host.  tests/e2e/run_host.c does each case and prints what it saw;
examples/epoll-host.c runs many at once."""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from support import BUILD, MODES, SETPRIV, build_host, leftovers, snapshot

TIMEOUT = 120  # a hang: run_host reports its own after 20 s without an event
# A run whose fd stayed readable with nothing to do (a spin) wakes its host
# tens of thousands of times in 200 ms; an idle one a few times, and on a
# loaded machine a few hundred (CI saw 341 once, for a 10 ms run).
SPIN = 1000


@pytest.fixture(scope="module")
def host_dir():
    d = tempfile.mkdtemp(prefix="stockade-handle-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def run_host(host_dir):
    return build_host("run_host", host_dir)


def run_case(run_host, case, mode, stdin=subprocess.DEVNULL, input=None):
    """The facts run_host printed for CASE, with no leftover of its runs."""
    prefix = [] if mode == "root" else SETPRIV
    marker = os.path.basename(run_host)
    before = snapshot(marker)
    cp = subprocess.run(prefix + [run_host, case], capture_output=True, text=True,
                        timeout=TIMEOUT, stdin=None if input else stdin, input=input)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    facts = dict(line.split("=", 1) for line in cp.stdout.splitlines() if "=" in line)
    assert "hang" not in facts, cp.stdout
    left = leftovers(before, marker)
    left.pop("/tmp", None)  # the whole machine's scratch: compilers write there
    assert left == {}, cp.stdout
    facts["stderr"] = cp.stderr
    if "res" in facts:
        check_result_matches_record(facts)
    return facts


LIMITS = {0: "wall", 7: "cpu", 1: "output", -1: None}  # enum stk_limit


def check_result_matches_record(facts):
    """struct stk_result and the JSON record say the same."""
    (version, verdict, code, sig, status, limit, out, err, dropped, mem_counted, peak,
     tasks_counted, tasks_peak, denied, step) = facts["res"].split()
    rec = json.loads(facts["json"])
    assert version == "1"
    assert verdict == rec["verdict"] == facts["verdict"]
    assert int(code) == (-1 if rec["exit_code"] is None else rec["exit_code"])
    assert int(sig) == (rec["signal"] or 0)
    assert int(status) == rec["exit_status"]
    assert LIMITS[int(limit)] == rec["limit_fired"]
    if rec["output"] is not None:
        assert [int(out), int(err), int(dropped)] == [
            rec["output"][k] for k in ("stdout_bytes", "stderr_bytes", "dropped_bytes")]
    assert (mem_counted == "1") == (rec["memory"] is not None)
    if rec["memory"]:
        assert int(peak) == rec["memory"]["peak_bytes"]
    assert (tasks_counted == "1") == (rec["tasks"] is not None)
    if rec["tasks"]:
        assert int(tasks_peak) == rec["tasks"]["peak"]
    assert int(denied) == sum(d["count"] for d in rec["denied"])
    assert step == (rec["error"]["step"] if rec["error"] else "-")


@pytest.mark.parametrize("mode", MODES)
def test_stdin_bytes_in_and_output_through_the_callback(run_host, mode):
    """3 MiB given as the job's input come back from cat through the output
    callback, byte for byte, while the host only steps the run when its fd
    says so; the job was freed right after the start."""
    f = run_case(run_host, "echo", mode)
    assert (f["start"], f["verdict"], f["result"]) == ("0", "ok", "0"), f
    assert f["stdout_bytes"] == f["want_bytes"] == str(3 << 20), f
    assert f["sum"] == f["want_sum"], f
    assert f["second_record"] == "no", "the record is handed over once"


@pytest.mark.parametrize("mode", MODES)
def test_input_the_program_never_reads_does_not_kill_the_host(run_host, mode):
    """4 MiB of input for /bin/true: the relay's writes into the sandbox's
    pipe after the program is gone fail with EPIPE.  Before, the step let
    the SIGPIPE through and the host (SIGPIPE at SIG_DFL) died of it."""
    f = run_case(run_host, "unread-stdin", mode)
    assert f["verdict"] == "ok", f


@pytest.mark.parametrize("mode", MODES)
def test_refused_calls_are_counted_in_the_result(run_host, mode):
    f = run_case(run_host, "denied", mode)
    assert (f["verdict"], f["exit"]) == ("exit", "3"), f
    assert int(f["res"].split()[13]) >= 1, f  # and equal to the record's


@pytest.mark.parametrize("mode", MODES)
def test_the_hosts_own_stdin_is_left_alone(run_host, mode):
    """A job with input of its own: the host's stdin (a pipe with bytes in
    it) is read by nobody.  Before, a handle of a policy that does not
    forward signals polled and read fd 0 as if it were its signalfd: it
    ate the host's input, and spun on a stdin at its end (the spin shows
    in the other tests' wakeup counts)."""
    f = run_case(run_host, "host-stdin", mode, input="keep\n")
    assert (f["verdict"], f["text"]) == ("ok", "job|"), f
    assert f["host_stdin"] == "keep", f


@pytest.mark.parametrize("mode", MODES)
def test_files_the_job_places(run_host, mode):
    """Text, and binary with NUL bytes, in a directory made on the way,
    with their modes, owned by the sandbox user (1000); a path with ".."
    or a mode with set-id bits is refused when it is added."""
    f = run_case(run_host, "files", mode)
    assert (f["bad_path"], f["bad_mode"]) == ("-22", "-22"), f
    assert f["verdict"] == "ok", f
    assert f["text"] == "hello|644 1000 6|750 1000 5| 00 01 02 00 ff|", f


@pytest.mark.parametrize("mode", MODES)
def test_a_file_outside_every_tmpfs_fails_the_start(run_host, mode):
    f = run_case(run_host, "files-outside", mode)
    assert (f["start"], f["start_step"], f["verdict"]) == ("-22", "file", "setup-error"), f
    assert "must lie inside a tmpfs" in f["start_error"], f


@pytest.mark.parametrize("mode", MODES)
def test_a_host_that_forwards_its_signals(run_host, mode):
    """With stk_policy_set_forward_signals, a SIGTERM sent to the host
    during the run reaches the program (the host lives on), and the
    thread's mask is as it was once the run is freed.  Before, the start
    gave back a mask without them: the SIGTERM killed the host."""
    f = run_case(run_host, "forward", mode)
    assert (f["verdict"], f["signal"]) == ("signal", "15"), f
    assert json.loads(f["json"])["interrupted_by"] == "SIGTERM", f
    assert f["blocked_after"] == "00", f


@pytest.mark.parametrize("mode", MODES)
def test_the_jobs_environment_and_command_over_the_policys(run_host, mode):
    f = run_case(run_host, "env", mode)
    assert f["verdict"] == "ok", f
    assert f["text"] == "/job bar unset|", f


@pytest.mark.parametrize("mode", MODES)
def test_cancel_kills_the_sandbox_and_says_so(run_host, mode):
    f = run_case(run_host, "cancel", mode)
    assert (f["cancel"], f["verdict"], f["signal"]) == ("0", "cancelled", "9"), f
    assert int(f["wakeups"]) < SPIN, f


@pytest.mark.parametrize("mode", MODES)
def test_a_signal_from_the_host_reaches_the_program(run_host, mode):
    f = run_case(run_host, "signal", mode)
    assert (f["signal_sent"], f["bad_signal"]) == ("0", "-22"), f
    assert (f["verdict"], f["signal"]) == ("signal", "15"), f


@pytest.mark.parametrize("mode", MODES)
def test_a_jobs_tighter_limit_fires_and_the_host_is_not_woken_meanwhile(run_host, mode):
    """sleep 30 under the job's 200 ms: a wall-limit, and the handle's fd
    stays quiet while the program sleeps (a few wakeups, not a spin)."""
    f = run_case(run_host, "wall", mode)
    assert f["verdict"] == "wall-limit", f
    assert int(f["wakeups"]) < SPIN, f


@pytest.mark.parametrize("mode", MODES)
def test_a_jobs_limit_above_the_policys_fails_the_start(run_host, mode):
    f = run_case(run_host, "looser", mode)
    assert (f["start"], f["start_step"]) == ("-1", "--memory"), f
    assert "only lower" in f["start_error"], f
    assert (f["step_at_once"], f["verdict"]) == ("1", "setup-error"), f


@pytest.mark.parametrize("case,want", [("pipe", 1000000), ("same-pipe", 1000004)])
def test_output_to_a_pipe_the_host_reads_from_its_own_loop(run_host, case, want):
    """1 MB through a caller's pipe that only the host's epoll reads: the
    run goes on only if its fd wakes the host when that pipe has room
    again.  With stdout and stderr the same fd, "err" comes there too."""
    f = run_case(run_host, case, "root")
    assert (f["verdict"], f["pipe_bytes"]) == ("ok", str(want)), f
    if case == "pipe":
        assert f["stderr"] == "err\n"


def test_a_pipe_with_no_reader_ends_the_programs_output_not_the_host(run_host):
    """The reader of the caller's pipe is gone: the relay gets EPIPE, the
    program SIGPIPE, and the host (SIGPIPE left at SIG_DFL) lives on."""
    f = run_case(run_host, "closed-pipe", "root")
    assert (f["verdict"], f["signal"]) == ("signal", "13"), f


@pytest.mark.parametrize("mode", MODES)
def test_output_to_a_regular_file_which_epoll_cannot_watch(run_host, mode):
    f = run_case(run_host, "file", mode)
    assert (f["verdict"], f["file_bytes"]) == ("ok", "588895"), f


@pytest.mark.parametrize("mode", MODES)
def test_a_killed_run_whose_output_nobody_reads_still_ends(run_host, mode):
    """yes into a pipe nobody reads, under a 300 ms wall limit: killed, its
    buffered output dropped a second later; the drain's end wakes the host."""
    f = run_case(run_host, "unread", mode)
    assert f["verdict"] == "wall-limit", f
    assert int(f["wakeups"]) < 2 * SPIN, f


def test_an_output_callback_that_refuses_more(run_host):
    f = run_case(run_host, "refuse", "root")
    assert int(f["stdout_bytes"]) >= 100 << 10, f
    assert (f["verdict"], f["signal"]) == ("signal", "13"), f


@pytest.mark.parametrize("mode", MODES)
def test_freeing_a_live_run_leaves_nothing(run_host, mode):
    f = run_case(run_host, "free", mode)
    assert f["freed"] == "1", f


def test_wait_on_a_handle_never_stepped(run_host):
    f = run_case(run_host, "wait", "root")
    assert (f["verdict"], f["text"]) == ("ok", "waited|"), f


@pytest.fixture(scope="module")
def epoll_host(host_dir):
    """examples/epoll-host and the shared library it loads, side by side
    where nobody may read them."""
    for name in ("epoll-host", "libstockade.so.0"):
        shutil.copy(BUILD / name, os.path.join(host_dir, name))
        os.chmod(os.path.join(host_dir, name), 0o755)
    return os.path.join(host_dir, "epoll-host")


@pytest.mark.parametrize("mode", MODES)
def test_the_epoll_example_runs_many_at_once(epoll_host, mode):
    """30 runs, 6 at a time, from one thread: each with the verdict its
    number gives it, and the answer to its own input."""
    prefix = [] if mode == "root" else SETPRIV
    before = snapshot("epoll-host")
    cp = subprocess.run(prefix + [epoll_host, "30", "6"], capture_output=True, text=True,
                        timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    seen = {}
    for line in cp.stdout.splitlines():
        m = re.fullmatch(r"run (\d+): ([a-z-]+), \d+ bytes of output(?:: (.*))?", line)
        assert m, line
        seen[int(m[1])] = (m[2], m[3])
    assert sorted(seen) == list(range(30)), cp.stdout
    for n, (verdict, text) in seen.items():
        if n % 7 == 0:
            assert verdict == "cancelled", (n, verdict)
        elif n % 3 == 0:
            assert verdict == "wall-limit", (n, verdict)
        else:
            assert (verdict, text) == ("ok", f"hello run {n}"), (n, verdict, text)
    left = leftovers(before, "epoll-host")
    left.pop("/tmp", None)
    assert left == {}
