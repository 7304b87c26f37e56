"""stockade.Client: the calls of stockade.run against `stockade serve`
(docs/api.md), with the standard library only, returning the same Result.

    client = stockade.Client("http://127.0.0.1:8080", token="SECRET")
    r = client.run("print(6 * 7)")                      # r.stdout == b"42\\n"
    r = client.run(files={"main.c": source}, profile="c", stdin="21")
    run_id = client.start("import time; time.sleep(5)")
    client.cancel(run_id)
    r = client.wait(run_id)                             # verdict "cancelled"
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import threading
import urllib.parse
from typing import Any, Iterator, Mapping, Optional, Sequence, Tuple

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
        conn = self._connect()
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, self._prefix + path, body=data, headers=headers)
        return conn, conn.getresponse()

    def _call(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        conn, resp = self._send(method, path, body)
        try:
            data = resp.read()
        finally:
            conn.close()
        if resp.status >= 400:
            raise _refusal(resp, data)
        return resp.status, json.loads(data) if data else None

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
        conn, resp = self._send("GET", f"/v1/runs/{_quote(run_id)}/events")
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
