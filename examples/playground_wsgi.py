#!/usr/bin/python3
"""A page with a text box whose code runs in stockade: the library form of
the binding in a web application, with the standard library only (wsgiref).

    PYTHONPATH=build/python /usr/bin/python3 examples/playground_wsgi.py
    # then open http://127.0.0.1:8000/

Each request runs its code in a new sandbox of a Sandbox made once per
profile at start; the server has a thread per request, and runs wait with
the GIL released, so requests run side by side.  The page works without
JavaScript: a form posts the code, the answer is the page again with the
output and the run's verdict and figures.  Run it as root (cgroup limits,
memory figures) or as any user (rlimits; the record says which).
"""

import argparse
import html
import socketserver
import sys
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import stockade

PROFILES = ("python", "sh", "perl", "node")
# What one run of the page may take: tighter than the profiles' own.
LIMITS = {"wall_time": 5, "cpu_time": 2, "memory": "256M", "tasks": 32, "output": "1M"}
MAX_BODY = 256 * 1024
EXAMPLE = 'import sys\nname = sys.stdin.read().strip() or "world"\nprint(f"hello, {name}")\n'

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stockade playground</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; }}
textarea {{ width: 100%; font-family: monospace; }}
pre {{ background: #f4f4f4; padding: .5em; white-space: pre-wrap; }}
.verdict {{ font-weight: bold; }}
</style></head>
<body>
<h1>stockade playground</h1>
<form method="post" action="/run">
<p><label>Profile <select name="profile">{options}</select></label></p>
<p><label>Code<br><textarea name="code" rows="12">{code}</textarea></label></p>
<p><label>Standard input<br><textarea name="stdin" rows="3">{stdin}</textarea></label></p>
<p><button type="submit">Run</button></p>
</form>
{result}
</body></html>
"""

RESULT = """<h2>Result</h2>
<p id="verdict" class="verdict">{verdict}</p>
<table>
<tr><td>exit code</td><td id="exit-code">{exit_code}</td></tr>
<tr><td>wall</td><td id="wall">{wall:.3f} s</td></tr>
<tr><td>CPU</td><td id="cpu">{cpu:.3f} s</td></tr>
<tr><td>peak memory</td><td id="memory">{memory}</td></tr>
<tr><td>denied calls</td><td id="denied">{denied}</td></tr>
</table>
<h3>stdout</h3><pre id="stdout">{stdout}</pre>
<h3>stderr</h3><pre id="stderr">{stderr}</pre>
"""


class Playground:
    def __init__(self):
        self.sandboxes = {name: stockade.Sandbox(name, **LIMITS) for name in PROFILES}

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if path == "/" and method == "GET":
            return self.page(start_response, "python", EXAMPLE, "", "")
        if path == "/run" and method == "POST":
            return self.run(environ, start_response)
        if path in ("/", "/run"):
            return self.answer(start_response, "405 Method Not Allowed", "method not allowed\n")
        return self.answer(start_response, "404 Not Found", "not found\n")

    def run(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return self.answer(start_response, "413 Content Too Large", "body too large\n")
        form = urllib.parse.parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        code = form.get("code", [""])[0]
        stdin = form.get("stdin", [""])[0]
        profile = form.get("profile", ["python"])[0]
        if profile not in self.sandboxes:
            return self.answer(start_response, "400 Bad Request", "unknown profile\n")
        try:
            r = self.sandboxes[profile].run(code, stdin=stdin or None, text=True)
            result = RESULT.format(
                verdict=html.escape(r.verdict),
                exit_code="" if r.exit_code is None else r.exit_code,
                wall=r.wall_seconds,
                cpu=r.cpu_seconds,
                memory="not counted" if r.memory_peak is None else f"{r.memory_peak / 2**20:.1f} MiB",
                denied=html.escape(", ".join(f"{d['syscall']} x{d['count']}" for d in r.denied)
                                   or "none"),
                stdout=html.escape(r.stdout),
                stderr=html.escape(r.stderr),
            )
        except stockade.StockadeError as e:
            result = f'<h2>Result</h2><p id="verdict" class="verdict">refused: {html.escape(str(e))}</p>'
        return self.page(start_response, profile, code, stdin, result)

    def page(self, start_response, profile, code, stdin, result):
        options = "".join(
            f'<option{" selected" if p == profile else ""}>{p}</option>' for p in PROFILES)
        body = PAGE.format(options=options, code=html.escape(code), stdin=html.escape(stdin),
                           result=result)
        return self.answer(start_response, "200 OK", body, "text/html; charset=utf-8")

    @staticmethod
    def answer(start_response, status, body, kind="text/plain; charset=utf-8"):
        data = body.encode()
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data))),
                                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")])
        return [data]


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT (port 0: any free one)")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = make_server(host or "127.0.0.1", int(port), Playground(),
                         server_class=ThreadingServer, handler_class=QuietHandler)
    print(f"listening on http://{server.server_address[0]}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
