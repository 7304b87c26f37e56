"""The runner against a front that was taken over (hostile_front.c): every
job a compromised front could forge comes back refused, as a setup-error
naming what it tried, and a request off the table ends the runner."""
import subprocess

from support import BINARY

HOSTILE_FRONT = BINARY.parent / "tests" / "hostile-front"


def test_hostile_front():
    cp = subprocess.run([str(HOSTILE_FRONT)], capture_output=True, text=True, timeout=120)
    print(cp.stdout)
    lines = [l for l in cp.stdout.splitlines() if l.strip()]
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert len(lines) == 27 and all(l.startswith("ok") for l in lines), cp.stdout
