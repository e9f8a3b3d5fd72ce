# Helpers for the apixo-sim API tests: start/stop the sim, talk HTTP to it,
# serve input media, receive webhooks, make and probe media with GStreamer.
# Python standard library + gi only; run by Debian's /usr/bin/python3.
# SPDX-License-Identifier: LGPL-2.1-or-later

import http.client
import http.server
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils  # noqa: E402

Gst.init(None)

# media/mediagen.py: making media with GStreamer, shared with the media tests
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, "media"))
from mediagen import run_pipeline as gst_run  # noqa: E402

SIM = os.environ.get("APIXO_SIM", "apixo-sim")
KEY = "test-key"
# generous: the suite runs on 2 cores, sometimes under valgrind
UNDER_VALGRIND = bool(os.environ.get("APIXO_UNDER_VALGRIND"))
WAIT = 300 if UNDER_VALGRIND else 60


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<HTTP %d %r>" % (self.status, self.body[:300])


class Sim:
    """One apixo-sim process."""

    def __init__(self, *args, time_scale=0.01, data_dir=None,
                 local_callbacks=True, tls_context=None):
        # an ssl.SSLContext that trusts the sim's --tls-cert: used for
        # every https:// request (the API and the result URLs)
        self.tls_context = tls_context
        # e.g. valgrind (meson test --setup simvalgrind)
        argv = shlex.split(os.environ.get("APIXO_SIM_WRAPPER", ""))
        argv += [SIM, "--port", "0", "--time-scale", repr(time_scale)]
        if local_callbacks:  # the tests' webhook receivers are local
            argv += ["--allow-local-callbacks"]
        data_dir = data_dir or os.environ.get("APIXO_SIM_DATA_DIR")
        if data_dir:
            argv += ["--data-dir", data_dir]
        argv += list(args)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("APIXO_BASE_URL="):
            self.proc.kill()
            raise RuntimeError("apixo-sim did not start: %r" % line)
        self.base = line.strip().split("=", 1)[1]
        assert self.base.endswith("/api/v1"), self.base
        self.root = self.base[: -len("/api/v1")]
        u = urllib.parse.urlsplit(self.root)
        self.host, self.port = u.hostname, u.port
        self._drain = threading.Thread(target=self.proc.stdout.read,
                                       daemon=True)
        self._drain.start()

    def stop(self):
        """SIGTERM; asserts a clean exit."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(WAIT)
        self._drain.join(WAIT)
        self.proc.stdout.close()
        assert rc == 0, "apixo-sim exited with %d" % rc

    # ---- HTTP -----------------------------------------------------------

    def connect(self, scheme, host, port, timeout=WAIT):
        """A connection for @scheme: https:// verifies with tls_context."""
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout,
                                               context=self.tls_context)
        assert scheme == "http", scheme
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method, path, body=None, key=KEY, headers=None,
                raw=None, timeout=WAIT, scheme=None):
        """@scheme: the sim's own (http, or https under --tls-cert) unless
        given."""
        h = {}
        if key is not None:
            h["Authorization"] = "Bearer " + key
        if body is not None:
            raw = json.dumps(body).encode()
        if raw is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        scheme = scheme or urllib.parse.urlsplit(self.root).scheme
        conn = self.connect(scheme, self.host, self.port, timeout)
        try:
            conn.request(method, path, body=raw, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.headers, data)
        finally:
            conn.close()

    def generate(self, model, body, key=KEY, **kw):
        return self.request("POST", "/api/v1/generateTask/" + model, body,
                            key=key, **kw)

    def status(self, model, task_id, key=KEY):
        q = urllib.parse.urlencode({"taskId": task_id})
        return self.request("GET", "/api/v1/statusTask/%s?%s" % (model, q),
                            key=key)

    def submit(self, model, body, key=KEY):
        """A submission that must be accepted; returns the task id."""
        r = self.generate(model, body, key=key)
        assert r.status == 200, r
        env = r.json()
        assert env["code"] == 200 and env["message"] == "success", env
        return env["data"]["taskId"]

    def ctl(self, method, path, body=None):
        r = self.request(method, "/__sim/" + path, body, key=None)
        assert r.status == 200, r
        return r.json()

    def wait(self, timeout=WAIT, **cond):
        cond["timeout"] = timeout
        q = urllib.parse.urlencode(cond)
        return self.ctl("GET", "wait?" + q)["reached"]

    def final(self, task_id, timeout=WAIT):
        """Waits until the task succeeded or failed; returns its record."""
        assert self.wait(taskId=task_id, state="final", timeout=timeout), \
            self.task(task_id)
        return self.task(task_id)

    def final_result_url(self, model, body):
        """Submits @body, waits for the task's end; its one result URL."""
        return result_url(self.final(self.submit(model, body)))

    def task(self, task_id):
        q = urllib.parse.urlencode({"taskId": task_id})
        tasks = self.ctl("GET", "tasks?" + q)["tasks"]
        return tasks[0] if tasks else None

    def tasks(self):
        return self.ctl("GET", "tasks")["tasks"]

    def stats(self):
        return self.ctl("GET", "stats")

    def count(self, route, status=None):
        s = self.stats()
        if route in ("result-complete", "result-authorization"):
            return s[route]
        r = s["requests"][route]
        return r["total"] if status is None else r.get(str(status), 0)

    def fault(self, route, fault, count=1, **kw):
        body = {"route": route, "fault": fault, "count": count}
        body.update(kw)
        return self.ctl("POST", "faults", body)

    def reset(self, balance=100000.0):
        self.request("DELETE", "/__sim/faults", key=None)
        self.ctl("POST", "limits", {"reset": True})
        self.ctl("POST", "balance", {"usd": balance})

    def balance(self):
        r = self.request("GET", "/api/v1/apikeys/current-balance")
        assert r.status == 200, r
        return r.json()["data"]

    def get(self, url, headers=None, method="GET"):
        """A plain request to a result URL (no API key), over its scheme."""
        u = urllib.parse.urlsplit(url)
        conn = self.connect(u.scheme, u.hostname, u.port)
        try:
            conn.request(method, u.path, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.headers, data)
        finally:
            conn.close()


def result_url(task):
    assert task["state"] == "success", task
    assert len(task["resultUrls"]) == 1, task
    return task["resultUrls"][0]


class SimTestCase(unittest.TestCase):
    """One sim per test module (class-level), reset between tests."""

    sim_args = ()
    time_scale = 0.01

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(*cls.sim_args, time_scale=cls.time_scale)
        cls.media = MediaServer()

    @classmethod
    def tearDownClass(cls):
        cls.media.close()
        cls.sim.stop()

    @classmethod
    def make_temp_dir(cls, prefix):
        """A new temp dir, removed with everything in it after the class."""
        path = tempfile.mkdtemp(prefix=prefix)
        cls.addClassCleanup(shutil.rmtree, path, True)
        return path

    @classmethod
    def serve_made(cls, name, make, *args, **kw):
        """Makes input @name in cls.tmp with make(path, *args, **kw) (image,
        motion_video, audio) and serves it; returns its URL."""
        return cls.media.add(name, make(os.path.join(cls.tmp, name), *args,
                                        **kw))

    def setUp(self):
        self.sim.reset()

    def assertRejected(self, resp, status, field, code=None):
        """An error envelope whose message names @field."""
        self.assertEqual(resp.status, status, resp)
        env = resp.json()
        self.assertEqual(env["code"], code or status, env)
        self.assertIn(field, env["message"], env)
        if status == 400:
            self.assertEqual(env["data"], {"error": env["message"]})


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive), no access log on stderr."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


# ---- input media -----------------------------------------------------------

class _MediaHandler(_QuietHandler):
    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.hits[self.path] = srv.hits.get(self.path, 0) + 1
            entry = srv.files.get(self.path)
        if entry is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data, ctype = entry
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass  # the sim may stop reading (size limits)


class MediaServer:
    """Serves input files to the sim over loopback HTTP."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     _MediaHandler)
        self.httpd.daemon_threads = True
        self.httpd.files = {}
        self.httpd.hits = {}
        self.httpd.lock = threading.Lock()
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def add(self, name, data, ctype="application/octet-stream"):
        with self.httpd.lock:
            self.httpd.files["/" + name] = (data, ctype)
        return self.url(name)

    def add_file(self, name, path, ctype="application/octet-stream"):
        with open(path, "rb") as f:
            return self.add(name, f.read(), ctype)

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.httpd.server_port, name)

    def hits(self, name):
        with self.httpd.lock:
            return self.httpd.hits.get("/" + name, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- webhook receiver -------------------------------------------------------

class _HookHandler(_QuietHandler):
    def do_POST(self):
        srv = self.server
        length = int(self.headers.get("Content-Length", "0"))
        body = b""
        while len(body) < length:
            chunk = self.rfile.read(length - len(body))
            if not chunk:
                break
            body += chunk
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        with srv.cond:
            index = len(srv.deliveries)
            status = srv.script[index] if index < len(srv.script) else 200
            srv.deliveries.append({"path": self.path, "body": body,
                                   "json": doc,
                                   "complete": len(body) == length})
            srv.cond.notify_all()
        if status == "hang":
            # no answer until the test releases it (never a sleep)
            srv.release.wait(WAIT)
            status = 200
        try:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass


class HookReceiver:
    """Records webhook deliveries; answers them with scripted statuses
    (an int, or "hang" to answer only when release() is called)."""

    def __init__(self, script=()):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     _HookHandler)
        self.httpd.daemon_threads = True
        self.httpd.deliveries = []
        self.httpd.script = list(script)
        self.httpd.cond = threading.Condition()
        self.httpd.release = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/hook" % self.httpd.server_port

    def wait(self, n, timeout=WAIT):
        """Waits (on a condition, not a sleep) for @n deliveries."""
        deadline = time.monotonic() + timeout
        with self.httpd.cond:
            while len(self.httpd.deliveries) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.httpd.cond.wait(left)
            return True

    def wait_match(self, pred, timeout=WAIT):
        """Waits for a delivery for which @pred(delivery) holds."""
        deadline = time.monotonic() + timeout
        with self.httpd.cond:
            while True:
                for d in self.httpd.deliveries:
                    if pred(d):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.httpd.cond.wait(left)

    def for_task(self, task_id):
        return [d for d in self.deliveries
                if d["json"] and d["json"]["data"]["taskId"] == task_id]

    @property
    def deliveries(self):
        with self.httpd.cond:
            return list(self.httpd.deliveries)

    def release(self):
        self.httpd.release.set()

    def close(self):
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- media made with GStreamer ---------------------------------------------

_ENC = {"png": "video/x-raw,format=RGB ! pngenc",
        "jpg": "jpegenc", "webp": "webpenc", "bmp": "avenc_bmp"}


def image(path, w, h, pattern=0):
    kind = path.rsplit(".", 1)[1]
    gst_run("videotestsrc num-buffers=1 pattern=%d ! "
            "video/x-raw,width=%d,height=%d ! videoconvert ! %s ! "
            "filesink location=%s" % (pattern, w, h, _ENC[kind], path))
    with open(path, "rb") as f:
        return f.read()


def motion_video(path, w=320, h=240, seconds=2.0, fps=24):
    gst_run("videotestsrc num-buffers=%d pattern=ball ! "
            "video/x-raw,width=%d,height=%d,framerate=%d/1 ! x264enc ! "
            "mp4mux ! filesink location=%s"
            % (round(seconds * fps), w, h, fps, path))
    with open(path, "rb") as f:
        return f.read()


def audio(path, seconds):
    kind = path.rsplit(".", 1)[1]
    enc = "wavenc" if kind == "wav" else "lamemp3enc"
    gst_run("audiotestsrc num-buffers=%d samplesperbuffer=4410 ! "
            "audio/x-raw,rate=44100,channels=1 ! %s ! filesink location=%s"
            % (round(seconds * 10), enc, path))
    with open(path, "rb") as f:
        return f.read()


def probe(path):
    """Codec, size and duration of an MP4, by GStreamer's discoverer."""
    disc = GstPbutils.Discoverer.new(60 * Gst.SECOND)
    info = disc.discover_uri(Gst.filename_to_uri(path))
    out = {"duration": info.get_duration() / Gst.SECOND,
           "container": None, "video": None, "audio": None}
    cont = info.get_stream_info()
    if cont is not None and cont.get_caps() is not None:
        out["container"] = cont.get_caps().get_structure(0).get_name()
    for v in info.get_video_streams():
        s = v.get_caps().get_structure(0)
        out["video"] = {"codec": s.get_name(), "width": v.get_width(),
                        "height": v.get_height()}
    for a in info.get_audio_streams():
        s = a.get_caps().get_structure(0)
        ok, ver = s.get_int("mpegversion")
        out["audio"] = {"codec": s.get_name(),
                        "mpegversion": ver if ok else None}
    return out


def download(sim, url, directory):
    r = sim.get(url)
    assert r.status == 200, r
    path = os.path.join(directory, url.rsplit("/", 1)[1])
    with open(path, "wb") as f:
        f.write(r.body)
    return path
