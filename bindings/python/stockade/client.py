"""stockade.Client: the calls of stockade.run against `stockade serve`
(docs/api.md), with the standard library only, returning the same Result.

    client = stockade.Client("http://127.0.0.1:8080", token="SECRET")
    r = client.run("print(6 * 7)")                      # r.stdout == b"42\\n"
    r = client.run(files={"main.c": source}, profile="c", stdin="21")
    run_id = client.start("import time; time.sleep(5)")
    client.cancel(run_id)
    r = client.wait(run_id)                             # verdict "cancelled"
    with client.session("python") as s:                 # one interpreter
        s.exec("x = 6 * 7")
        s.exec("x").value                               # "42"
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Sequence, Tuple, Union

from ._common import (
    LIMITS,
    Bytesish,
    FileSpec,
    OutputCallback,
    Result,
    ServiceError,
    config_error,
    limit_seconds_or_bytes,
    limit_units,
    normalize_files,
    place_program,
)

# The limits a request may carry (docs/api.md); the others are the
# server's business.
SERVICE_LIMITS = ("wall_time", "cpu_time", "memory", "tasks", "output", "file_size")
# Which stream on_output is told for each kind of event.
STREAMS = {"stdout": 1, "stderr": 2, "compile": 3}


def _decode(data: str, encoding: Optional[str]) -> bytes:
    return base64.b64decode(data) if encoding == "base64" else data.encode()


def _content(data: bytes) -> Tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"


class Client:
    """A client of `stockade serve`.

    url      "http://HOST:PORT" (or https, behind a TLS proxy), optionally
             with a path prefix
    token    the bearer token, when the server has tokens
    timeout  seconds a request may wait on the socket (None: as long as
             the run takes; a run with wall_time is bounded by it anyway)

    Every call opens its own connection, so one Client serves many threads.
    A refusal raises ServiceError (status, field, message, retry_after).
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8080",
        token: Optional[str] = None,
        timeout: Optional[float] = None,
    ):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"url must be http://HOST[:PORT], not {url!r}")
        self.url = url
        self._https = u.scheme == "https"
        self._host = u.hostname
        self._port = u.port
        self._prefix = u.path.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._commands: dict = {}
        self._lock = threading.Lock()

    # ---- HTTP ------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self._timeout)

    def _send(self, method: str, path: str, body: Any = None):
        """body: JSON, or bytes sent as they are."""
        conn = self._connect()
        headers = dict(self._headers)
        data = None
        if isinstance(body, bytes):
            data = body
            headers["Content-Type"] = "application/octet-stream"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, self._prefix + path, body=data, headers=headers)
        return conn, conn.getresponse()

    def _raw(self, method: str, path: str, body: Any = None) -> Tuple[int, bytes]:
        conn, resp = self._send(method, path, body)
        try:
            data = resp.read()
        finally:
            conn.close()
        if resp.status >= 400:
            raise _refusal(resp, data)
        return resp.status, data

    def _call(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        status, data = self._raw(method, path, body)
        return status, json.loads(data) if data else None

    # ---- requests --------------------------------------------------

    def profiles(self) -> list:
        """The profiles the server serves: dicts with name, description,
        command, compile, limits (the highest a run may ask) and
        network_allowed."""
        return self._call("GET", "/v1/profiles")[1]["profiles"]

    def _command(self, profile: str) -> Optional[list]:
        with self._lock:
            if profile in self._commands:
                return self._commands[profile]
        commands = {p["name"]: p["command"] for p in self.profiles()}
        with self._lock:
            self._commands = commands
        return commands.get(profile)

    def _request(
        self,
        code: Optional[Bytesish] = None,
        *,
        argv: Optional[Sequence[str]] = None,
        args: Optional[Sequence[str]] = None,
        profile: str = "python",
        stdin: Optional[Bytesish] = None,
        files: Optional[Mapping[str, FileSpec]] = None,
        env: Optional[Mapping[str, str]] = None,
        network: bool = False,
        **limits: Any,
    ) -> dict:
        """The JSON body of POST /v1/runs for these arguments, as
        Sandbox.run would take them."""
        if isinstance(argv, (str, bytes)) or isinstance(args, (str, bytes)):
            raise TypeError("argv and args are sequences of arguments, not one string")
        body: dict = {"profile": profile}
        command = list(argv) if argv is not None else None
        if code is not None and stdin is not None:
            command = command or self._command(profile)
        placed, data_in, extra = place_program(command, code, stdin)
        if placed is not None:
            command = placed
        if command is not None:
            body["command"] = [str(a) for a in command]
        if args:
            body["args"] = [str(a) for a in args]
        if data_in:
            try:
                body["stdin"] = data_in.decode("utf-8")
            except UnicodeDecodeError:
                raise config_error("stdin", "the service takes text (UTF-8) only") from None
        if env:
            body["env"] = dict(env)
        placed_files = []
        for path, data, mode in normalize_files(files) + [(p, d, 0o644) for p, d in extra]:
            if not path.startswith("/tmp/"):
                raise config_error(
                    "files", f"{path}: the service places files under /tmp/ only"
                )
            content, encoding = _content(data)
            placed_files.append(
                {"path": path[len("/tmp/"):], "content": content,
                 "encoding": encoding, "mode": mode}
            )
        if placed_files:
            body["files"] = placed_files
        asked = {}
        for key, value in limits.items():
            if value is None:
                continue
            if key not in SERVICE_LIMITS:
                if key in LIMITS:
                    raise config_error(key, "the service sets this limit itself")
                raise TypeError(f"unknown limit {key!r}")
            asked[key] = limit_seconds_or_bytes(key, limit_units(key, value))
        if asked:
            body["limits"] = asked
        if network:
            body["network"] = True
        return body

    def run(
        self,
        code: Optional[Bytesish] = None,
        *,
        argv: Optional[Sequence[str]] = None,
        args: Optional[Sequence[str]] = None,
        profile: str = "python",
        stdin: Optional[Bytesish] = None,
        files: Optional[Mapping[str, FileSpec]] = None,
        env: Optional[Mapping[str, str]] = None,
        network: bool = False,
        text: bool = False,
        on_output: Optional[OutputCallback] = None,
        **limits: Any,
    ) -> Result:
        """Runs one program on the server and returns its Result, as
        stockade.run does.  args are appended to the command; limits can
        only tighten the profile's as the server serves it (ServiceError
        400 otherwise).  With on_output the output comes as the program
        writes it (the run's event stream): on_output(stream, data), stream
        1 or 2, or 3 for a compile stage's messages."""
        body = self._request(code, argv=argv, args=args, profile=profile, stdin=stdin,
                             files=files, env=env, network=network, **limits)
        if on_output is None:
            return self._result(self._call("POST", "/v1/runs", body)[1], text)
        run_id = self._call("POST", "/v1/runs?wait=false", body)[1]["id"]
        return self.wait(run_id, text=text, on_output=on_output)

    def start(self, code: Optional[Bytesish] = None, **kwargs: Any) -> str:
        """Queues a run (as run() takes it) and returns its id at once."""
        kwargs.pop("text", None)
        kwargs.pop("on_output", None)
        body = self._request(code, **kwargs)
        return self._call("POST", "/v1/runs?wait=false", body)[1]["id"]

    def get(self, run_id: str, text: bool = False) -> Optional[Result]:
        """The Result of an ended run; None while it is queued or running.
        ServiceError 404 for a run the server does not have (or that is
        another token's)."""
        answer = self._call("GET", f"/v1/runs/{_quote(run_id)}")[1]
        if answer.get("status") != "done":
            return None
        return self._result(answer, text)

    def wait(
        self,
        run_id: str,
        text: bool = False,
        on_output: Optional[OutputCallback] = None,
    ) -> Result:
        """Follows a run's event stream to its end and returns its Result;
        on_output, when given, gets each piece of output as it comes."""
        for event, data in self.events(run_id):
            if event == "record":
                return self._result(data, text)
            if on_output is not None and event in STREAMS:
                on_output(STREAMS[event], _decode(data["data"], data.get("encoding")))
        raise ServiceError(502, None, "the event stream ended without a record")

    def events(self, run_id: str) -> Iterator[Tuple[str, dict]]:
        """The run's events as (name, data): "stdout", "stderr" and
        "compile" pieces ({"data", "encoding"}), then "record"."""
        return self._events("GET", f"/v1/runs/{_quote(run_id)}/events")

    def _events(self, method: str, path: str, body: Any = None) -> Iterator[Tuple[str, dict]]:
        """A Server-Sent Events answer, event by event."""
        conn, resp = self._send(method, path, body)
        try:
            if resp.status >= 400:
                raise _refusal(resp, resp.read())
            event, data = None, []
            while True:
                line = resp.readline()
                if not line:
                    return
                line = line.rstrip(b"\r\n").decode()
                if not line:
                    if event is not None:
                        yield event, json.loads("\n".join(data))
                    event, data = None, []
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
        finally:
            conn.close()

    def cancel(self, run_id: str) -> None:
        """Cancels a run: a queued one never starts, a running one is
        killed (verdict "cancelled")."""
        self._call("DELETE", f"/v1/runs/{_quote(run_id)}")

    async def run_async(self, code: Optional[Bytesish] = None, **kwargs: Any) -> Result:
        """run() from asyncio: the request waits in a thread of the
        loop's default executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: self.run(code, **kwargs))

    def session(
        self,
        profile: str = "python",
        *,
        idle_timeout: Optional[Union[float, str]] = None,
        max_lifetime: Optional[Union[float, str]] = None,
        files: Optional[Mapping[str, FileSpec]] = None,
        env: Optional[Mapping[str, str]] = None,
        network: bool = False,
        text: bool = True,
        **limits: Any,
    ) -> "Session":
        """Starts a session: one sandbox with a persistent Python
        interpreter, whose cells keep their names (docs/api.md,
        "Sessions").  Use it as a context manager, which ends it:

            with client.session("python", memory="256M") as s:
                s.exec("import math")
                s.exec("math.pi").value          # "3.141592653589793"

        Limits (no wall_time or output: the session's time is
        max_lifetime) hold over the session's whole life.  With text
        (the default) a cell's stdout and stderr are str."""
        body = self._request(None, profile=profile, files=files, env=env,
                             network=network, **limits)
        for key in ("wall_time", "output"):
            if key in body.get("limits", {}):
                raise config_error(key, "a session has no such limit (max_lifetime, cut answers)")
        for key, value in (("idle_timeout", idle_timeout), ("max_lifetime", max_lifetime)):
            if value is not None:
                body[key] = limit_seconds_or_bytes("wall_time", limit_units("wall_time", value))
        status, info = self._call("POST", "/v1/sessions", body)
        if info.get("state") == "ended":
            raise ServiceError(status, None, "the session ended at its start: "
                               + json.dumps(info.get("record", {}).get("error")))
        return Session(self, info, text)

    def healthy(self) -> bool:
        """True when the server answers /healthz."""
        try:
            conn, resp = self._send("GET", "/healthz")
            resp.read()
            conn.close()
            return resp.status == 200
        except OSError:
            return False

    @staticmethod
    def _result(answer: dict, text: bool) -> Result:
        out = _decode(answer.get("stdout", ""), answer.get("stdout_encoding"))
        err = _decode(answer.get("stderr", ""), answer.get("stderr_encoding"))
        return Result(
            answer,
            out,
            err,
            text=text,
            id=answer.get("id"),
            stage=answer.get("stage", "run"),
            compile=answer.get("compile"),
        )

    def __repr__(self) -> str:
        return f"<stockade.Client {self.url}>"


@dataclass
class Cell:
    """A cell's answer: status "ok", "error" (it raised: error has type,
    message and traceback), "interrupted" or "ended" (the session ended
    while it ran: session says why); value is the repr of its last
    expression, or None; record has the cell's wall_seconds, cpu_seconds
    and memory_peak_bytes."""

    status: str
    value: Optional[str]
    error: Optional[dict]
    stdout: Union[str, bytes]
    stderr: Union[str, bytes]
    record: dict
    session: dict
    truncated: bool = False
    answer: dict = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Session:
    """A session of Client.session(): cells, files, its state."""

    def __init__(self, client: Client, info: dict, text: bool):
        self.client = client
        self.id = info["id"]
        self.info = info
        self._text = text
        self._base = f"/v1/sessions/{_quote(self.id)}"

    def exec(self, code: str, on_output: Optional[OutputCallback] = None) -> Cell:
        """Runs a cell and returns its Cell; on_output(stream, data), when
        given, gets its output as it comes."""
        if on_output is None:
            answer = self.client._call("POST", self._base + "/exec", {"code": code})[1]
        else:
            answer = None
            for event, data in self.client._events("POST", self._base + "/exec?stream=true",
                                                   {"code": code}):
                if event == "record":
                    answer = data
                elif event in STREAMS:
                    on_output(STREAMS[event], _decode(data["data"], data.get("encoding")))
            if answer is None:
                raise ServiceError(502, None, "the cell's stream ended without its record")
        out = _decode(answer.get("stdout", ""), answer.get("stdout_encoding"))
        err = _decode(answer.get("stderr", ""), answer.get("stderr_encoding"))
        if self._text:
            out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        return Cell(answer["status"], answer.get("value"), answer.get("error"), out, err,
                    answer.get("record", {}), answer.get("session", {}),
                    answer.get("truncated", False), answer)

    def interrupt(self) -> bool:
        """SIGINT to the running cell (KeyboardInterrupt); False when none
        ran."""
        return self.client._call("POST", self._base + "/interrupt")[1]["interrupted"]

    def write(self, path: str, data: Bytesish) -> None:
        """Writes /tmp/PATH in the session (path relative to /tmp)."""
        if isinstance(data, str):
            data = data.encode()
        self.client._raw("PUT", f"{self._base}/files/{_quote_path(path)}", bytes(data))

    def read(self, path: str) -> bytes:
        """The bytes of /tmp/PATH in the session."""
        return self.client._raw("GET", f"{self._base}/files/{_quote_path(path)}")[1]

    def remove(self, path: str) -> None:
        self.client._raw("DELETE", f"{self._base}/files/{_quote_path(path)}")

    def listdir(self, path: str = "") -> list:
        """The entries of /tmp/PATH: dicts with name, type, size."""
        query = f"?dir={urllib.parse.quote(path)}" if path else ""
        return self.client._call("GET", f"{self._base}/files{query}")[1]["files"]

    def state(self) -> dict:
        """The session as the server has it now (GET)."""
        self.info = self.client._call("GET", self._base)[1]
        return self.info

    def close(self) -> dict:
        """Ends the session; returns it, ended, with its record."""
        try:
            self.info = self.client._call("DELETE", self._base)[1]
        except ServiceError as e:
            if e.status != 404:
                raise
        return self.info

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<stockade.Session {self.id} {self.info.get('state')}>"


def _quote_path(path: str) -> str:
    """A session's file path as the API takes it: relative to /tmp."""
    if path.startswith("/tmp/"):
        path = path[len("/tmp/"):]
    elif path.startswith("/"):
        raise config_error("path", f"{path}: a session's files are under /tmp/")
    return urllib.parse.quote(path, safe="/")


def _quote(run_id: str) -> str:
    return urllib.parse.quote(run_id, safe="")


def _refusal(resp: http.client.HTTPResponse, data: bytes) -> ServiceError:
    field, message = None, resp.reason
    try:
        error = json.loads(data)["error"]
        field, message = error.get("field"), error.get("message", message)
    except (ValueError, KeyError, TypeError, AttributeError):
        if data:
            message = data.decode("utf-8", "replace").strip()[:500]
    retry = resp.getheader("Retry-After")
    try:
        retry_after = float(retry) if retry is not None else None
    except ValueError:
        retry_after = None
    return ServiceError(resp.status, field, message, retry_after)
