"""What the library form and the client share: the Result, the errors
raised in Python, and how a program's code, files and limits are given."""

from __future__ import annotations

import errno as _errno
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple, Union

from ._core import UNLIMITED, ConfigError, StockadeError

Bytesish = Union[bytes, bytearray, memoryview, str]
FileSpec = Union[Bytesish, Tuple[Bytesish, int]]
OutputCallback = Callable[[int, bytes], Any]

# Where a program given as code goes when stdin is the caller's too: the
# profile's command reads its program from stdin ("python3 -I -u -"), and
# reads it from this file instead.
PROGRAM_PATH = "/tmp/program"

# The limits, as keywords: how each is given, and the library's unit.
#   duration: seconds (int or float) or text ("1.5s", "500ms"), to ns
#   size: bytes (int) or text ("256M"), to bytes
#   count: a whole number
LIMITS = {
    "wall_time": "duration",
    "cpu_time": "duration",
    "memory": "size",
    "output": "size",
    "file_size": "size",
    "stack": "size",
    "tasks": "count",
    "open_files": "count",
}


def config_error(step: str, message: str) -> ConfigError:
    """A ConfigError as the library raises them: errno, step, message."""
    e = ConfigError(f"{step}: {message}")
    e.errno, e.step, e.message = _errno.EINVAL, step, message
    return e


def as_bytes(value: Bytesish, what: str) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def limit_units(key: str, value: Any) -> int:
    """A limit keyword's value in the library's units (ns, bytes, count);
    ConfigError naming the key when it is not one."""
    from . import _core

    kind = LIMITS.get(key)
    if kind is None:
        raise TypeError(f"unknown limit {key!r}; limits are {', '.join(LIMITS)}")
    if isinstance(value, bool):
        raise config_error(key, f"{value!r} is not a limit")
    if isinstance(value, str):
        try:
            if kind == "duration":
                return _core.parse_duration(value)
            if kind == "size":
                return _core.parse_size(value)
            return int(value, 10)
        except ConfigError as e:
            raise config_error(key, e.message) from None
        except ValueError:
            raise config_error(key, f"{value!r} is not a whole number") from None
    if value == UNLIMITED:
        return UNLIMITED
    if kind == "duration" and isinstance(value, (int, float)):
        ns = round(value * 1e9)
    elif isinstance(value, int):
        ns = value
    else:
        raise config_error(key, f"{value!r} is not a {kind}")
    if ns <= 0:
        raise config_error(key, f"{value!r} must be above 0")
    return ns


def limit_seconds_or_bytes(key: str, units: int) -> Union[int, float]:
    """The service's form of a limit (docs/api.md): seconds or bytes."""
    if LIMITS[key] == "duration":
        return units / 1e9
    return units


def place_program(
    command: Optional[Sequence[str]],
    code: Optional[Bytesish],
    stdin: Optional[Bytesish],
) -> Tuple[Optional[list], bytes, list]:
    """Where the program's code goes: (argv or None for the command as it
    is, the program's stdin, extra files as (path, bytes)).

    Without stdin the code is the program's stdin, as the profiles that
    read their program there (python, sh, node, perl) expect.  With both,
    the code goes to PROGRAM_PATH and a command ending in "-" (read the
    program from stdin) reads that file instead."""
    data_in = b"" if stdin is None else as_bytes(stdin, "stdin")
    if code is None:
        return None, data_in, []
    source = as_bytes(code, "code")
    if stdin is None:
        return None, source, []
    if not command or command[-1] != "-":
        raise config_error(
            "code",
            "with stdin given too, the code goes to a file, which only a "
            "command whose last argument is '-' (python3 -I -u -, node -, "
            f"perl -) reads; this one is {list(command or [])}: pass the "
            "program in files= and name it in argv=",
        )
    return list(command[:-1]) + [PROGRAM_PATH], data_in, [(PROGRAM_PATH, source)]


def normalize_files(files: Optional[Mapping[str, FileSpec]]) -> list:
    """files={path: data or (data, mode)} as [(absolute path, bytes, mode)];
    a relative path is under /tmp."""
    out = []
    for path, spec in (files or {}).items():
        if not isinstance(path, str) or not path:
            raise config_error("files", f"{path!r} is not a path")
        data, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
        if not isinstance(mode, int) or isinstance(mode, bool):
            raise config_error(f"files[{path}]", f"mode {mode!r} is not a number")
        full = path if path.startswith("/") else "/tmp/" + path
        out.append((full, as_bytes(data, f"files[{path!r}]"), mode))
    return out


class Result:
    """How a run ended, from its run record (docs/record.md).

    verdict       "ok", "exit", "signal", "wall-limit", "cpu-limit",
                  "memory-limit", "tasks-limit", "output-limit",
                  "syscall-denied", "cancelled" or "setup-error"
    exit_code     the program's exit code, or None (killed)
    signal        the signal that killed it, or None
    exit_status   what `stockade run` would exit with
    stdout        what it wrote (bytes; str when the run asked text=True)
    stderr
    wall_seconds  the run's wall time
    cpu_seconds   user + system CPU of all its processes
    memory_peak   the most memory it used at once, in bytes (None
                  without a memory cgroup: unprivileged)
    denied        the system calls the sandbox refused: a list of dicts
                  (syscall, count, errno, ...)
    error         for a setup-error, {"step", "errno", "message"}
    record        the whole run record, a dict
    id            the service's run id (Client), else None
    stage         "run", or "compile" when the service's compile stage
                  failed (Client)
    compile       the compile stage's record with the compiler's stderr
                  (Client, profiles c and java), else None
    """

    __slots__ = (
        "verdict",
        "exit_code",
        "signal",
        "exit_status",
        "stdout",
        "stderr",
        "wall_seconds",
        "cpu_seconds",
        "memory_peak",
        "denied",
        "error",
        "record",
        "id",
        "stage",
        "compile",
    )

    def __init__(
        self,
        record: dict,
        stdout: bytes,
        stderr: bytes,
        text: bool = False,
        id: Optional[str] = None,
        stage: str = "run",
        compile: Optional[dict] = None,
    ):
        cpu = record.get("cpu") or {}
        memory = record.get("memory") or {}
        self.verdict: str = record["verdict"]
        self.exit_code: Optional[int] = record.get("exit_code")
        self.signal: Optional[int] = record.get("signal")
        self.exit_status: int = record.get("exit_status", 125)
        self.stdout: Union[bytes, str] = _text(stdout) if text else stdout
        self.stderr: Union[bytes, str] = _text(stderr) if text else stderr
        self.wall_seconds: float = record.get("wall_seconds", 0.0)
        self.cpu_seconds: float = cpu.get("user_seconds", 0.0) + cpu.get(
            "system_seconds", 0.0
        )
        self.memory_peak: Optional[int] = memory.get("peak_bytes")
        self.denied: list = record.get("denied") or []
        self.error: Optional[dict] = record.get("error")
        self.record: dict = record
        self.id = id
        self.stage = stage
        self.compile = compile

    @property
    def ok(self) -> bool:
        """True when the program exited with status 0."""
        return self.verdict == "ok"

    def check(self) -> "Result":
        """Returns self when ok, else raises RunFailed carrying it."""
        if not self.ok:
            raise RunFailed(self)
        return self

    def __repr__(self) -> str:
        how = self.verdict
        if self.verdict == "exit":
            how += f" {self.exit_code}"
        elif self.signal is not None:
            how += f" (signal {self.signal})"
        return (
            f"<stockade.Result {how}, {self.wall_seconds:.3f} s wall, "
            f"{len(self.stdout)} bytes out, {len(self.stderr)} err>"
        )


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class RunFailed(StockadeError):
    """Result.check() on a run whose verdict is not "ok"; .result is it."""

    def __init__(self, result: Result):
        super().__init__(f"the run ended: {result.verdict}")
        self.result = result
        self.step, self.errno, self.message = "run", None, str(self)


class ServiceError(StockadeError):
    """The service refused a request: .status (HTTP), .field (what in the
    request was wrong, or None), .message, and .retry_after (seconds, for
    429 and 503) when it said."""

    def __init__(self, status: int, field: Optional[str], message: str,
                 retry_after: Optional[float] = None):
        where = f" ({field})" if field else ""
        super().__init__(f"HTTP {status}{where}: {message}")
        self.status, self.field, self.message = status, field, message
        self.retry_after = retry_after
        self.step, self.errno = field or "request", None
