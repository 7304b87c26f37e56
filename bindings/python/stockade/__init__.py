"""stockade: run untrusted programs in an OS-level sandbox.

    import stockade

    r = stockade.run("print(6 * 7)")                 # the python profile
    r.verdict, r.stdout                               # ('ok', b'42\\n')

    r = stockade.run("import sys; print(sys.stdin.read()[::-1])",
                     stdin="olleh", memory="64M", wall_time=2, text=True)

    r = stockade.run(argv=["sh", "-c", "cat /tmp/in.txt"], profile="sh",
                     files={"in.txt": b"data"})

    sandbox = stockade.Sandbox("python", memory="128M")   # made once,
    r = sandbox.run("print(1)")                           # run many times,
    r = await sandbox.run_async("print(2)")               # from any thread
                                                          # or event loop

    client = stockade.Client("http://127.0.0.1:8080")     # stockade serve
    r = client.run("print(1)")                            # the same Result

Each run is a sandbox of its own: namespaces, a seccomp filter, Landlock,
cgroup limits (as root) or rlimits (without privilege), and a supervisor
that reports exactly what happened (Result, and Result.record: the run
record of docs/record.md).  The library runs in this process: the GIL is
released while a run waits, so threads run sandboxes side by side; the
interpreter is never forked.  docs/python.md has the whole API.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Any, Mapping, Optional, Sequence

from . import _core
from ._common import (
    LIMITS,
    PROGRAM_PATH,
    Bytesish,
    FileSpec,
    OutputCallback,
    Result,
    RunFailed,
    ServiceError,
    config_error,
    limit_units,
    normalize_files,
    place_program,
)
from ._core import UNLIMITED, ConfigError, SetupError, StockadeError
from .client import Cell, Client, Session

__version__ = _core.VERSION
__all__ = [
    "run",
    "run_async",
    "Sandbox",
    "Run",
    "Result",
    "Cell",
    "Client",
    "Session",
    "StockadeError",
    "ConfigError",
    "SetupError",
    "RunFailed",
    "ServiceError",
    "UNLIMITED",
    "PROGRAM_PATH",
    "profiles",
    "host_check",
]


class Sandbox:
    """A sandbox policy, made once and run any number of times, from any
    number of threads and event loops at once.

    Sandbox(profile="python", *, network=False, env=None, options=(),
            wall_time=None, cpu_time=None, memory=None, tasks=None,
            output=None, file_size=None, open_files=None, stack=None)

    profile   a profile's name (`stockade profiles` lists them) or a
              profile file's path; None: the default policy, which has no
              command (each run then gives argv)
    network   False: no sockets but local ones (the network group of
              system calls denied); True: sockets in the run's own network
              namespace, which reaches nothing but its own loopback
    env       {name: value} over the profile's environment (None removes)
    options   (name, value) pairs as `stockade run`'s long options take
              them: ("ro", "/srv/data:/data"), ("allow", "terminals")
    limits    keywords: times in seconds (2.5) or as text ("500ms"), sizes
              in bytes or as text ("256M"), tasks and open_files as counts;
              UNLIMITED lifts wall_time, cpu_time, output or file_size.
              They replace the profile's, looser or tighter.

    Raises ConfigError naming the option or limit that is wrong.
    """

    def __init__(
        self,
        profile: Optional[str] = "python",
        *,
        network: bool = False,
        env: Optional[Mapping[str, Optional[str]]] = None,
        options: Sequence[tuple] = (),
        **limits: Any,
    ):
        policy = _core.Policy(profile)
        for name, value in options:
            policy.set_option(name, value)
        policy.set_option("allow" if network else "deny", "network")
        for name, value in (env or {}).items():
            if not isinstance(name, str) or not name or "=" in name:
                raise config_error("env", f"{name!r} is not a variable's name")
            policy.set_option("env", name if value is None else f"{name}={value}")
        for key, value in limits.items():
            if value is not None:
                policy.set_limit(key.replace("_", "-"), limit_units(key, value))
        policy.seal()
        self.profile = profile
        self.network = network
        self._policy = policy

    @property
    def command(self) -> Optional[list]:
        """The command a run runs when it names none."""
        return self._policy.command

    @property
    def description(self) -> Optional[str]:
        return self._policy.description

    def limits(self) -> dict:
        """Each limit a run gets, in the keywords' units (seconds, bytes,
        counts); None for none."""
        out = {}
        for key, kind in LIMITS.items():
            v = self._policy.limit(key.replace("_", "-"))
            out[key] = v / 1e9 if v is not None and kind == "duration" else v
        return out

    def describe(self) -> str:
        """The system calls the sandbox allows and denies, as text."""
        return self._policy.describe()

    def start(
        self,
        code: Optional[Bytesish] = None,
        *,
        argv: Optional[Sequence[Bytesish]] = None,
        stdin: Optional[Bytesish] = None,
        files: Optional[Mapping[str, FileSpec]] = None,
        env: Optional[Mapping[str, Optional[str]]] = None,
        text: bool = False,
        on_output: Optional[OutputCallback] = None,
        **limits: Any,
    ) -> "Run":
        """Starts a run and returns it at once, the program started (the
        sandbox takes a few milliseconds to make; the GIL is released
        meanwhile).  Arguments as for run()."""
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv must be a sequence of arguments, not one string")
        command = list(argv) if argv is not None else self.command
        placed, data_in, extra = place_program(command, code, stdin)
        if placed is not None:
            argv = placed
        file_list = normalize_files(files) + [(p, d, 0o644) for p, d in extra]
        job_limits = []
        for key, value in limits.items():
            if value is None:
                continue
            units = limit_units(key, value)
            allowed = self._policy.limit(key.replace("_", "-"))
            if allowed is not None and units > allowed:
                raise config_error(
                    key,
                    f"{value!r} is above this sandbox's {allowed} (a run can "
                    "only tighten its sandbox's limits; set looser ones on "
                    "the Sandbox)",
                )
            job_limits.append((key.replace("_", "-"), units))
        handle = _core.start(
            self._policy,
            argv=None if argv is None else list(argv),
            env=dict(env) if env else None,
            stdin=data_in,
            files=file_list,
            limits=job_limits,
            on_output=on_output,
        )
        return Run(handle, text)

    def run(
        self,
        code: Optional[Bytesish] = None,
        *,
        argv: Optional[Sequence[Bytesish]] = None,
        stdin: Optional[Bytesish] = None,
        files: Optional[Mapping[str, FileSpec]] = None,
        env: Optional[Mapping[str, Optional[str]]] = None,
        text: bool = False,
        on_output: Optional[OutputCallback] = None,
        **limits: Any,
    ) -> Result:
        """Runs one program in a new sandbox of this policy and returns its
        Result once every process of it is gone.

        code       the program's source (str or bytes).  It becomes the
                   program's stdin, as the profile's command expects; when
                   stdin is given too, it is written to /tmp/program and a
                   command ending in "-" reads that file instead.
        argv       the command instead of the profile's: ["python3", "-c",
                   "print(1)"]
        stdin      the program's whole input (empty when not given: it
                   never reads this process's)
        files      {path: data} or {path: (data, mode)}: files placed
                   before the start; a relative path is under /tmp
        env        {name: value} over the sandbox's environment
        text       stdout and stderr as str (UTF-8, errors replaced)
                   instead of bytes
        on_output  on_output(stream, data), called as the program writes
                   (stream 1 or 2), in this thread; an exception it raises
                   ends the run and propagates.  The output is kept in the
                   Result as well.
        limits     wall_time=, memory=, ... as for Sandbox, each no looser
                   than the Sandbox's

        Returns whatever the verdict: a program that failed, crashed or
        broke a limit is a Result (verdict says which).  Raises ConfigError
        for a bad argument and SetupError when the program could not be
        started (its .step and .errno say why; .record is the record).
        A KeyboardInterrupt while it waits kills the sandbox and
        propagates."""
        r = self.start(
            code,
            argv=argv,
            stdin=stdin,
            files=files,
            env=env,
            text=text,
            on_output=on_output,
            **limits,
        )
        with r:  # an exception while it waits kills the sandbox at once
            r.wait()
            return r.result()

    async def run_async(
        self,
        code: Optional[Bytesish] = None,
        **kwargs: Any,
    ) -> Result:
        """run() for asyncio: the sandbox is made in the loop's default
        executor, then the run is driven from the loop by its pollable fd
        (loop.add_reader), so thousands may wait at once.  Cancelling the
        task kills the sandbox."""
        loop = asyncio.get_running_loop()
        r = await loop.run_in_executor(None, lambda: self.start(code, **kwargs))
        try:
            await r._over(loop)
        except BaseException:
            r.cancel()
            await loop.run_in_executor(None, r.wait)
            raise
        return r.result()

    def __repr__(self) -> str:
        return f"<stockade.Sandbox profile={self.profile!r} network={self.network}>"


class Run:
    """A run in progress, from Sandbox.start(): for a host with its own
    event loop.  fileno() is readable whenever step() has work; step()
    returns True once the run is over; result() then gives its Result.
    One thread at a time."""

    def __init__(self, handle: "_core.Run", text: bool):
        self._handle = handle
        self._text = text
        self._outcome: Any = None

    def fileno(self) -> int:
        return self._handle.fileno()

    def step(self) -> bool:
        """Does what is ready, never blocking; True once the run is over."""
        return self._handle.step()

    @property
    def over(self) -> bool:
        return self._handle.over

    def wait(self) -> None:
        """Blocks until the run is over, the GIL released."""
        self._handle.wait()

    def cancel(self) -> None:
        """Kills the whole sandbox; the verdict is "cancelled" unless it
        had ended or broken a limit first."""
        self._handle.cancel()

    def signal(self, sig: int) -> None:
        """Sends sig to the program (its first process)."""
        self._handle.signal(sig)

    def result(self) -> Result:
        """The Result of a run that is over; raises SetupError when the
        program never ran, or what an on_output callback raised.  The
        handle's descriptors are freed at the first call."""
        if self._outcome is None:
            self._outcome = self._take()
            self._handle.close()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def _take(self):
        import json

        try:
            record, out, err = self._handle.outcome()
        except SetupError as e:
            # The record the library made: verdict setup-error, the step.
            e.record = json.loads(e.record)
            e.result = Result(e.record, b"", b"", text=self._text)
            return e
        except RuntimeError:
            raise  # not over: nothing taken
        except BaseException as e:  # what on_output raised
            return e
        return Result(json.loads(record), out, err, text=self._text)

    def close(self) -> None:
        """Frees the run now (killing it when it is not over)."""
        self._handle.close()

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def _over(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._handle.over:
            return
        done = loop.create_future()
        fd = self._handle.fileno()

        def ready() -> None:
            try:
                over = self._handle.step()
            except BaseException as e:  # a Run in use elsewhere, say
                over = True
                if not done.done():
                    done.set_exception(e)
            if over:
                loop.remove_reader(fd)
                if not done.done():
                    done.set_result(None)

        loop.add_reader(fd, ready)
        try:
            await done
        finally:
            loop.remove_reader(fd)


# stockade.run() keeps the sandboxes it made, by their settings, so that
# the same call made again (the common case: one profile, the same
# limits) reuses a sealed policy instead of reading the profile again.
_CACHE_SIZE = 32
_cache: "collections.OrderedDict[tuple, Sandbox]" = collections.OrderedDict()
_cache_lock = threading.Lock()


def _sandbox(profile, network, env, options, limits) -> Sandbox:
    if env is not None and not isinstance(env, Mapping):
        raise TypeError("env must be a mapping of names to values")
    key = (
        profile,
        bool(network),
        tuple(sorted((env or {}).items())),
        tuple(tuple(o) for o in options),
        tuple(sorted((k, v) for k, v in limits.items() if v is not None)),
    )
    with _cache_lock:
        sandbox = _cache.get(key)
        if sandbox is not None:
            _cache.move_to_end(key)
            return sandbox
    sandbox = Sandbox(profile, network=network, env=env, options=options, **limits)
    with _cache_lock:
        _cache[key] = sandbox
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return sandbox


def run(
    code: Optional[Bytesish] = None,
    *,
    argv: Optional[Sequence[Bytesish]] = None,
    profile: Optional[str] = "python",
    stdin: Optional[Bytesish] = None,
    files: Optional[Mapping[str, FileSpec]] = None,
    env: Optional[Mapping[str, Optional[str]]] = None,
    network: bool = False,
    options: Sequence[tuple] = (),
    text: bool = False,
    on_output: Optional[OutputCallback] = None,
    **limits: Any,
) -> Result:
    """Runs one program in a new sandbox and returns its Result.

        stockade.run("print(1)")                            # python
        stockade.run("echo $((6*7))", profile="sh")
        stockade.run(argv=["python3", "-c", "import os; os.fork()"],
                     tasks=1, wall_time=1.5, memory="64M")

    code, argv, stdin, files, env, text, on_output: as Sandbox.run.
    profile, network, options and the limits: as Sandbox (the profile's
    limits apply unless given; given, they replace them).  Each distinct
    setting makes a Sandbox once; the last 32 are kept.

    Returns the Result whatever the verdict; raises ConfigError for a bad
    argument, SetupError when the program could not be started."""
    sandbox = _sandbox(profile, network, env, options, limits)
    return sandbox.run(
        code, argv=argv, stdin=stdin, files=files, text=text, on_output=on_output
    )


async def run_async(
    code: Optional[Bytesish] = None,
    *,
    profile: Optional[str] = "python",
    network: bool = False,
    env: Optional[Mapping[str, Optional[str]]] = None,
    options: Sequence[tuple] = (),
    **kwargs: Any,
) -> Result:
    """run() for asyncio: `await stockade.run_async("print(1)")`.  The
    run waits on the event loop (its fd), not in a thread; cancelling the
    task kills the sandbox."""
    limits = {k: kwargs.pop(k) for k in list(kwargs) if k in LIMITS}
    sandbox = _sandbox(profile, network, env, options, limits)
    return await sandbox.run_async(code, **kwargs)


def profiles() -> list:
    """The names of the profiles a Sandbox can take (`stockade profiles`
    lists them with their descriptions and files)."""
    return [line.split(None, 1)[0] for line in _core.profiles_text().splitlines()
            if line.strip()]


def host_check() -> tuple:
    """(missing, report): how many layers a run needs this host lacks
    (0: runs can start), and a line per layer."""
    return _core.host_check()
