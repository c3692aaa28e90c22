"""carrier_server.py - a scripted HTTP carrier for the functional tests.

Python's standard library only. A test hands it a script, one step per
request to come, and it answers each request with the next step (then with
the default step):

    {"status": 200, "body": "...", "headers": {"Retry-After": "3"},
     "delay": 0.0,    # seconds to wait before answering (longer than the
                      # client's timeout: a timeout)
     "close": False}  # drop the connection without any answer

Every request is recorded (method, path, query, headers, body, time), so
the test asserts on what arrived exactly. HTTP/1.1 with persistent
connections, as a real API keeps them. It listens on 127.0.0.1, on the
first free port from 24000 (the Kannel tests use 23000 and up).

Run alone (python3 carrier_server.py [SCRIPT.json]) it serves until
interrupted and prints each request as a line of JSON: a carrier to point
a development smsgate-dispatchd at.
"""
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse

PORT_BASE = 24000


def free_port():
    """A port of this test's range that nothing listens on (the upper half: servers take the lower)."""
    for port in range(PORT_BASE + 500, PORT_BASE + 1000):
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            probe.close()
    raise OSError("no free port from %d" % (PORT_BASE + 500))


class Request:
    """One request as it arrived."""

    def __init__(self, handler, body):
        url = urllib.parse.urlsplit(handler.path)
        self.method = handler.command
        self.path = url.path
        self.query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.body = body
        self.time = time.time()

    def form(self):
        """The body as a form (parse_qsl of UTF-8)."""
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self):
        return json.loads(self.body.decode())

    def as_dict(self):
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": self.headers, "body": self.body.decode(errors="replace"),
                "time": self.time}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        step = self.server.carrier.take(Request(self, body))
        time.sleep(step.get("delay", 0))
        if step.get("close"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        data = step.get("body", "")
        data = data.encode() if isinstance(data, str) else data
        try:
            self.send_response(step.get("status", 200))
            for k, v in step.get("headers", {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (a timeout)

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, *args):
        pass


class CarrierServer:
    """The server, running in a thread until stop()."""

    def __init__(self, default=None, port=None):
        self.default = default or {"status": 200, "body": "{}"}
        self.steps = []
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None
        for p in [port] if port else range(PORT_BASE, PORT_BASE + 1000):
            try:
                self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", p), _Handler)
                break
            except OSError:
                continue
        if self.httpd is None:
            raise OSError("no free port from %d" % PORT_BASE)
        self.httpd.daemon_threads = True
        self.httpd.carrier = self
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path="/sms"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def script(self, *steps, default=None):
        """Answer the next requests with these steps, then with default (if given)."""
        with self.lock:
            self.steps = list(steps)
            if default is not None:
                self.default = default

    def take(self, request):
        with self.lock:
            self.requests.append(request)
            return self.steps.pop(0) if self.steps else self.default

    def wait(self, count, seconds=20):
        """Wait until count requests arrived in all; the requests."""
        t0 = time.time()
        while len(self.requests) < count and time.time() - t0 < seconds:
            time.sleep(0.05)
        return list(self.requests)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    steps = json.load(open(sys.argv[1])) if len(sys.argv) > 1 else []
    server = CarrierServer()
    server.script(*steps)
    print("listening on %s" % server.url("/"), flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for r in server.requests[seen:]:
                print(json.dumps(r.as_dict()), flush=True)
            seen = len(server.requests)
    except KeyboardInterrupt:
        server.stop()
