# A hostile APIXO service and result host on loopback (issue 15): every
# answer the probe found apixosrc must survive, one case per URL prefix.
#
#   base-url  http://127.0.0.1:PORT/<case>/api/v1
#   results   http://127.0.0.1:PORT/<case>/result/<name>
#
# A case is a table entry (see test_hostile.py) naming how its generate,
# status and result routes answer; everything else (the task id, a
# success with one result URL, an MP4 with a strong ETag and Range
# support) is the documented, well-behaved default.  The server counts the
# requests of each case per route and remembers what they carried
# (Authorization headers, Range headers), so a test asserts on what was
# sent, not on log text.
#
# Python standard library only (http.server, socketserver, ssl); run by
# Debian's /usr/bin/python3.
# SPDX-License-Identifier: LGPL-2.1-or-later

import collections
import http.server
import json
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
import zlib

KEY = "sk-hostile-5e3cafe0d15c105ed"
# How long a trickling or endless body may go on once its client has left
# or the test is over: the handler threads are daemons, this bounds them.
MAX_BODY_S = 600


def envelope(data, code=200, message="success"):
    return json.dumps({"code": code, "message": message, "data": data}).encode()


def success_status(task_id, urls):
    return envelope({"taskId": task_id, "state": "success",
                     "resultJson": json.dumps({"resultUrls": urls}),
                     "createTime": 1765000000000,
                     "completeTime": 1765000001000, "costTime": 1000})


class Route:
    """What one route of a case does: an HTTP status, a reason phrase,
    headers and a body, or a function (handler, server) doing it all."""

    def __init__(self, status=200, body=None, headers=(), reason=None,
                 action=None):
        self.status = status
        self.body = body
        self.headers = list(headers)
        self.reason = reason
        self.action = action


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile/1"

    def log_message(self, fmt, *args):  # quiet: the test prints what fails
        pass

    # ---- parsing -----------------------------------------------------------

    def route(self):
        """(case, route name, rest) of the request path."""
        path = self.path.split("?", 1)[0]
        parts = path.lstrip("/").split("/")
        case = parts[0]
        rest = "/".join(parts[1:])
        if rest.startswith("api/v1/generateTask/"):
            return case, "generate", rest
        if rest.startswith("api/v1/statusTask/"):
            return case, "status", rest
        if rest.startswith("result/"):
            return case, "result", rest
        return case, "other", rest

    def task_id(self, case):
        """The taskId a status request asks about ("task_<case>" when
        none): answers echo it, as the service does."""
        query = urllib.parse.urlsplit(self.path).query
        return dict(urllib.parse.parse_qsl(query)).get("taskId",
                                                        "task_" + case)

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.request_body = self.rfile.read(length) if length else b""
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        case, name, rest = self.route()
        srv = self.server.hostile
        srv.record(case, name, self)
        behaviour = srv.behaviour(case, name)
        if behaviour is None:
            self.default(case, name, rest)
        elif behaviour.action is not None:
            behaviour.action(self, srv, case)
        else:
            self.answer(behaviour.status, behaviour.body, behaviour.headers,
                        behaviour.reason)

    # ---- answers -----------------------------------------------------------

    def answer(self, status, body, headers=(), reason=None,
               content_type="application/json"):
        body = body if body is not None else b""
        if isinstance(body, str):
            body = body.encode()
        self.send_response_only(status, reason)
        names = {h.lower() for h, _ in headers}
        if "content-type" not in names:
            self.send_header("Content-Type", content_type)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        for h, v in headers:
            self.send_header(h, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def default(self, case, name, rest):
        srv = self.server.hostile
        if name == "generate":
            self.answer(200, envelope({"taskId": "task_" + case}))
        elif name == "status":
            self.answer(200, success_status(
                self.task_id(case), [srv.url(case, "result/video.mp4")]))
        elif name == "result":
            serve_file(self, srv.mp4, etag='"v1"')
        else:
            self.answer(404, envelope(None, 404, "not found"), reason=None)

    def write_or_stop(self, data):
        """False once the client has gone."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout,
                OSError):
            return False


def serve_file(h, data, etag=None, content_type="video/mp4", extra=()):
    """@data with Content-Length, @etag and Range support (206), as a CDN
    does."""
    headers = [("Accept-Ranges", "bytes")] + list(extra)
    if etag:
        headers.append(("ETag", etag))
    rng = h.headers.get("Range")
    if rng and rng.startswith("bytes=") and "," not in rng:
        first, _, last = rng[6:].partition("-")
        start = int(first or 0)
        end = int(last) if last else len(data) - 1
        if start >= len(data):
            h.answer(416, b"", headers + [
                ("Content-Range", "bytes */%d" % len(data))], content_type=content_type)
            return
        headers.append(("Content-Range",
                        "bytes %d-%d/%d" % (start, end, len(data))))
        h.answer(206, data[start:end + 1], headers, content_type=content_type)
        return
    h.answer(200, data, headers, content_type=content_type)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that leaves mid-answer is what several cases do; any
        # other exception in a handler is a bug of the case: printed
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HostileServer:
    """The server, its cases and its counters.  Handlers run in threads
    of their own (ThreadingHTTPServer); the counters are under a lock."""

    def __init__(self, mp4, cases=None, tls_cert=None, tls_key=None):
        self.mp4 = mp4
        self.cases = cases or {}
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.requests = collections.defaultdict(list)
        # per case: what its actions keep between requests
        self.state = {}
        self.stop_event = threading.Event()
        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.hostile = self
        self.scheme = "http"
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(name="hostile-server", daemon=True,
                                       target=self.httpd.serve_forever)
        self.thread.start()

    def stop(self):
        """Ends trickling and endless bodies, then the server."""
        self.stop_event.set()
        self.httpd.shutdown()
        self.thread.join()
        self.httpd.server_close()

    def base(self, case):
        return "%s://127.0.0.1:%d/%s/api/v1" % (self.scheme, self.port, case)

    def url(self, case, rest, host="127.0.0.1"):
        return "%s://%s:%d/%s/%s" % (self.scheme, host, self.port, case, rest)

    def behaviour(self, case, name):
        c = self.cases.get(case)
        return None if c is None else c.routes.get(name)

    def record(self, case, name, handler):
        with self.lock:
            self.counts[(case, name)] += 1
            self.requests[(case, name)].append({
                "path": handler.path,
                "host": handler.headers.get("Host"),
                "authorization": handler.headers.get("Authorization"),
                "range": handler.headers.get("Range"),
                "accept-encoding": handler.headers.get("Accept-Encoding"),
            })

    def count(self, case, name):
        with self.lock:
            return self.counts[(case, name)]

    def requests_of(self, case, name):
        with self.lock:
            return list(self.requests[(case, name)])


# ---- hostile result bodies (Route(action=...)) ------------------------------

def trickle(total, rate, chunk=1):
    """Announces Content-Length @total, then sends @chunk bytes every
    chunk/@rate seconds (padding, never a whole file) until the client
    leaves."""
    def action(h, srv, case):
        h.send_response_only(200)
        h.send_header("Content-Type", "video/mp4")
        h.send_header("Content-Length", str(total))
        h.send_header("ETag", '"trickle"')
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        sent, start = 0, time.monotonic()
        while sent < total and time.monotonic() - start < MAX_BODY_S:
            if srv.stop_event.wait(chunk / rate):
                break
            if not h.write_or_stop(b"\0" * min(chunk, total - sent)):
                break
            sent += chunk
        h.close_connection = True
    return action


def endless_chunked(chunk_size=64 * 1024):
    """A chunked body that never ends, as fast as the client reads."""
    def action(h, srv, case):
        h.send_response_only(200)
        h.send_header("Content-Type", "video/mp4")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        block = b"%x\r\n" % chunk_size + b"\0" * chunk_size + b"\r\n"
        start = time.monotonic()
        while not srv.stop_event.is_set() and \
                time.monotonic() - start < MAX_BODY_S:
            if not h.write_or_stop(block):
                break
        h.close_connection = True
    return action


def deflated(h, srv, case):
    """The MP4 deflate-encoded although the client asked for identity."""
    body = zlib.compress(srv.mp4)
    h.answer(200, body, [("Content-Encoding", "deflate"), ("ETag", '"z"')],
             content_type="video/mp4")


def cut_with_length(fraction):
    """The MP4 cut to @fraction, its Content-Length matching the cut."""
    def action(h, srv, case):
        serve_file(h, srv.mp4[:int(len(srv.mp4) * fraction)], etag='"cut"')
    return action


def http10_closed_early(h, srv, case):
    """HTTP/1.0 without Content-Length (the end is the close), closed
    halfway through the file."""
    h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n"
                  b"Connection: close\r\n\r\n")
    h.write_or_stop(srv.mp4[:len(srv.mp4) // 2])
    h.close_connection = True


def random_bytes(size):
    data = bytes((i * 2654435761 >> 13) & 0xFF for i in range(size))

    def action(h, srv, case):
        serve_file(h, data, etag='"rnd"')
    return action


def changed_mid_resume(change):
    """The first answer is the whole MP4 announced but dropped halfway;
    the ranged request that resumes it meets another version of the file:
    @change "etag" (same size, another ETag) or "size" (another length)."""
    def action(h, srv, case):
        data = srv.mp4
        if h.headers.get("Range") is None and \
                srv.count(case, "result") == 1:
            h.send_response_only(200)
            h.send_header("Content-Type", "video/mp4")
            h.send_header("Content-Length", str(len(data)))
            h.send_header("ETag", '"v1"')
            h.send_header("Accept-Ranges", "bytes")
            h.end_headers()
            h.write_or_stop(data[:len(data) // 2])
            h.close_connection = True
            return
        if change == "size":
            data = data + b"\0" * 1000
            serve_file(h, data, etag='"v1"')
        else:
            serve_file(h, data, etag='"v2"')
    return action


def redirect_to(location_of):
    """302 to location_of(srv, case)."""
    def action(h, srv, case):
        h.answer(302, b"", [("Location", location_of(srv, case))])
    return action


def status_with_urls(urls_of):
    """A success whose resultUrls are urls_of(srv, case)."""
    def action(h, srv, case):
        h.answer(200, success_status("task_" + case, urls_of(srv, case)))
    return action


def status_data(data_of):
    """200 envelope around data_of(srv, case)."""
    def action(h, srv, case):
        h.answer(200, envelope(data_of(srv, case)))
    return action


def raw_answer(status, body, headers=()):
    def action(h, srv, case):
        h.answer(status, body, headers)
    return action


def once_then_default(first):
    """@first (an action) for the first request of the route, the default
    answer after it."""
    def action(h, srv, case):
        _, name, rest = h.route()
        if srv.count(case, name) == 1:
            first(h, srv, case)
        else:
            h.default(case, name, rest)
    return action


def first_then_default(actions):
    """actions[i] for the (i+1)th request of the route, the default answer
    after them."""
    def action(h, srv, case):
        _, name, rest = h.route()
        n = srv.count(case, name)
        if n <= len(actions):
            actions[n - 1](h, srv, case)
        else:
            h.default(case, name, rest)
    return action


# ---- the element's media server, probed by the service (point 6) -----------

IDLE_CONNECTIONS = 20
# how long the status polls wait for the media server to close them
MEDIA_PROBE_S = 60


def probe_media_server(h, srv, case):
    """generate: reads the published input URL from the request, fetches it
    once (as the service would), then opens IDLE_CONNECTIONS connections to
    the element's media server that never send a byte and one that sends
    half a request's headers; the status route waits for them to be closed
    (media_server_wait)."""
    body = json.loads(h.request_body or b"{}")
    url = body["input"]["image_urls"][0]
    u = urllib.parse.urlsplit(url)
    state = {"url": url, "path": u.path, "socks": [], "closed": 0,
             "fetched": 0, "start": time.monotonic()}
    with urllib.request.urlopen(url, timeout=30) as r:
        state["fetched"] = len(r.read())
    for i in range(IDLE_CONNECTIONS + 1):
        s = socket.create_connection((u.hostname, u.port), timeout=30)
        if i == IDLE_CONNECTIONS:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        state["socks"].append(s)
    with srv.lock:
        srv.state[case] = state
    h.answer(200, envelope({"taskId": "task_" + case}))


def media_server_wait(h, srv, case):
    """status: "processing" until the media server closed every probe
    connection (or MEDIA_PROBE_S passed), then the default success; each
    poll waits at most 1 s on the sockets (select: no sleep)."""
    state = srv.state[case]
    socks = state["socks"]
    if socks:
        readable, _, _ = select.select(socks, [], [], 1.0)
        for s in readable:
            try:
                gone = s.recv(4096) == b""
            except OSError:
                gone = True
            if gone:
                socks.remove(s)
                s.close()
                state["closed"] += 1
    if socks and time.monotonic() - state["start"] < MEDIA_PROBE_S:
        h.answer(200, envelope({"taskId": h.task_id(case),
                                "state": "processing"}))
    else:
        h.default(case, "status", "")
