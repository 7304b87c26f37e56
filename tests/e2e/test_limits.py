"""The limits of this version: rlimits with hard = soft, the wall clock and
the output the supervisor enforces, and the verdicts they give."""
import pytest

from support import describe

pytestmark = pytest.mark.usefixtures("mode")


def test_rlimits_inside_are_hard_and_default(inside):
    facts, _, _ = inside('''
        import resource
        names = ["RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_STACK", "RLIMIT_CORE"]
        facts(**{n: list(resource.getrlimit(getattr(resource, n))) for n in names})
    ''')
    assert facts == {"RLIMIT_FSIZE": [1 << 30, 1 << 30], "RLIMIT_NOFILE": [1024, 1024],
                     "RLIMIT_NPROC": [512, 512], "RLIMIT_STACK": [8 << 20, 8 << 20],
                     "RLIMIT_CORE": [0, 0]}, facts


def test_limit_options_set_them(inside):
    facts, rec, _ = inside('''
        import resource
        fds = []
        try:
            while True:
                fds.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as e:
            nofile_err = errno.errorcode[e.errno]
        facts(nofile=resource.getrlimit(resource.RLIMIT_NOFILE)[0], nofile_err=nofile_err,
              opened=len(fds))
    ''', "--open-files", "16", "--file-size", "2M", "--tasks", "64", "--stack", "4M")
    assert facts["nofile"] == 16 and facts["nofile_err"] == "EMFILE", facts
    assert facts["opened"] <= 16 - 3, facts
    limits = rec["enforced"]["limits"]
    assert limits["open_files"]["value"] == 16 and limits["tasks"]["value"] == 64, limits
    assert limits["file_size_bytes"]["value"] == 2 << 20, limits
    assert limits["stack_bytes"]["value"] == 4 << 20, limits


def test_tasks_limit_bounds_a_fork_bomb(run):
    cp, rec = run(["--tasks", "20", "--", "/usr/bin/python3", "-I", "-c", '''
import os, time
n = 0
try:
    while n < 1000:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        n += 1
except OSError as e:
    print(n, e.errno)
'''])
    assert cp.returncode == 0, describe(cp, rec)
    forks, err = map(int, cp.stdout.split())
    assert forks < 20 and err == 11, cp.stdout  # EAGAIN before the 20th task


def test_wall_time_kills_the_run(run):
    cp, rec = run(["--wall-time", "300ms", "--", "/bin/sh", "-c", "sleep 30"])
    assert cp.returncode == 137, describe(cp, rec)
    assert rec["verdict"] == "wall-limit" and rec["limit_fired"] == "wall", describe(cp, rec)
    assert 0.3 <= rec["wall_seconds"] < 10, rec["wall_seconds"]


def test_output_limit_cuts_at_the_byte_and_kills(run):
    cp, rec = run(["--output", "1000", "--", "/usr/bin/yes"])
    assert cp.returncode == 137, describe(cp, rec)
    assert rec["verdict"] == "output-limit", describe(cp, rec)
    assert len(cp.stdout) == 1000 and cp.stdout == "y\n" * 500, len(cp.stdout)
    assert rec["output"] == {"stdout_bytes": 1000, "stderr_bytes": 0, "cut": True}, rec["output"]


def test_output_is_counted_when_within_the_limit(run):
    cp, rec = run(["--output", "1M", "--", "/bin/sh", "-c", "echo out; echo err >&2"])
    assert cp.returncode == 0, describe(cp, rec)
    assert rec["output"] == {"stdout_bytes": 4, "stderr_bytes": 4, "cut": False}, rec["output"]


def test_file_size_limit_verdict(run):
    cp, rec = run(["--file-size", "1k", "--", "/bin/sh", "-c",
                   "exec head -c 5000 /dev/zero > /tmp/f"])
    assert cp.returncode == 128 + 25, describe(cp, rec)
    assert rec["verdict"] == "file-size-limit" and rec["signal_name"] == "SIGXFSZ", \
        describe(cp, rec)


@pytest.mark.parametrize("args,named", [
    (["--tasks", "0"], "--tasks"),
    (["--tasks", "-1"], "--tasks"),
    (["--tasks", "12x"], "--tasks"),
    (["--open-files", "3"], "--open-files"),
    (["--wall-time", "2x"], "--wall-time"),
    (["--wall-time", "0"], "--wall-time"),
    (["--output", "-1"], "--output"),
    (["--file-size", "1Q"], "--file-size"),
    (["--stack", ""], "--stack"),
])
def test_bad_limits_are_refused(run, args, named):
    cp, rec = run([*args, "--", "true"])
    assert cp.returncode == 125, describe(cp, rec)
    assert named in cp.stderr, describe(cp, rec)
    assert rec["verdict"] == "setup-error" and rec["error"]["step"] == named, describe(cp, rec)
