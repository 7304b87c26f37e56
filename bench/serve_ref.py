#!/usr/bin/python3
# serve_ref.py - THE REFERENCE for bench/serve.sh: what a user without
# stockade would write to offer "run this Python code" over HTTP. Not part
# of stockade; it exists only to be measured against `stockade serve`.
#
# Python's standard library (ThreadingHTTPServer) and one bubblewrap process
# per request, in the sandbox a careful user would set up: read-only /usr,
# fresh /proc /dev /tmp, new mount, pid, net (no network), ipc, uts and
# cgroup namespaces (and user, unless run as root), no environment, no
# capabilities, a new session (no TIOCSTI into a terminal),
# killed with its parent, and a 10 s wall-clock limit. No memory or process
# limits: bwrap has none of its own.
#
#   /usr/bin/python3 bench/serve_ref.py --listen 127.0.0.1:PORT
#   POST /v1/runs  {"profile": "python", "stdin": "<code>"}
#     -> 200 {"verdict": "ok"|"exit"|"signal"|"wall-limit",
#             "exit_code": N, "stdout": "...", "stderr": "..."}
#   GET /healthz   -> 200 "ok";  anything else -> 404
import argparse, json, os, subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WALL_LIMIT_S = 10
MAX_BODY = 1 << 20  # refuse larger requests before reading them

BWRAP = ["/usr/bin/bwrap", "--ro-bind", "/usr", "/usr",
         "--symlink", "usr/lib", "/lib", "--symlink", "usr/bin", "/bin"]
if os.path.islink("/lib64"):  # merged /usr on Debian amd64; absent elsewhere
    BWRAP += ["--symlink", "usr/lib64", "/lib64"]
BWRAP += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
          "--unshare-all", "--die-with-parent", "--new-session",
          # Run as root, bwrap makes no user namespace and leaves the code
          # uid 0 with nearly every capability: drop them all.
          "--cap-drop", "ALL",
          "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
          "python3", "-I", "-u", "-"]


def run(code):
    try:
        p = subprocess.run(BWRAP, input=code.encode(), capture_output=True,
                           timeout=WALL_LIMIT_S)
    except subprocess.TimeoutExpired as e:  # run() has killed bwrap
        return {"verdict": "wall-limit", "exit_code": None,
                "stdout": (e.stdout or b"").decode(errors="replace"),
                "stderr": (e.stderr or b"").decode(errors="replace")}
    # bwrap exits 128+N when the program dies of signal N, so exit(137) and
    # SIGKILL look the same from here: a limit of the reference, kept.
    rc = p.returncode
    verdict = ("ok" if rc == 0 else "signal" if rc < 0 or rc > 128
               else "exit")
    return {"verdict": verdict, "exit_code": rc,
            "stdout": p.stdout.decode(errors="replace"),
            "stderr": p.stderr.decode(errors="replace")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the load client reuses conns
    # Headers and body leave in two writes; with Nagle on, the body waits for
    # the client's delayed ACK, 40 ms per answer on a kept-alive connection.
    disable_nagle_algorithm = True

    def answer(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            self.answer(200, "ok", "text/plain")
        else:
            self.answer(404, '{"error": "not found"}')

    def do_POST(self):
        if self.path != "/v1/runs":
            self.close_connection = True  # body left unread
            return self.answer(404, '{"error": "not found"}')
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self.close_connection = True
            return self.answer(400, '{"error": "bad Content-Length"}')
        try:
            req = json.loads(self.rfile.read(length))
            if req.get("profile") != "python" or not isinstance(req.get("stdin"), str):
                raise ValueError
        except (ValueError, AttributeError):
            return self.answer(400, '{"error": "bad request"}')
        self.answer(200, json.dumps(run(req["stdin"])))

    def log_message(self, *args):  # one line per request would skew the bench
        pass


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True, metavar="HOST:PORT")
    host, port = ap.parse_args().listen.rsplit(":", 1)
    ThreadingHTTPServer.request_queue_size = 64  # listen backlog; default 5
    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
