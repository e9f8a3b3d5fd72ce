#!/usr/bin/python3
# Tests of apixo-sim's input checks (sim/sim-media.c), through the
# apixo-sim-render tool: files of every documented kind are accepted or
# rejected with the right SimMediaError code and a message naming the field,
# the URL and the problem; fetching goes over real HTTP to a local server.
# SPDX-License-Identifier: LGPL-2.1-or-later

import http.server
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mediagen as gen  # noqa: E402

TOOL = os.environ.get("APIXO_SIM_RENDER", "apixo-sim-render")
ENV = dict(os.environ, LC_ALL="C.UTF-8")

# the documented limits (wan-2-5-video page)
IMAGE_LIMITS = ["--min-px", "240", "--max-px", "8000", "--max-bytes",
                str(20 * 1024 * 1024), "--formats", "jpeg,png,webp,bmp",
                "--no-png-alpha"]
AUDIO_LIMITS = ["--min-duration", "3", "--max-duration", "30", "--max-bytes",
                str(15 * 1024 * 1024)]

D = None  # input files dir


def probe(kind, path, *limits, field="image_urls[0]"):
    """(code or "ok", message/fields) of probing a local file."""
    res = subprocess.run([TOOL, "--probe", kind, "--field", field, *limits,
                          path], capture_output=True, text=True, env=ENV,
                         timeout=120)
    return parse(res)


def fetch(kind, url, *limits, field="image_urls[0]", data_dir=None):
    res = subprocess.run([TOOL, "--probe", kind, "--fetch", url, "--field",
                          field, "--data-dir", data_dir or D, *limits],
                         capture_output=True, text=True, env=ENV, timeout=120)
    return parse(res)


def parse(res):
    if res.returncode not in (0, 1) or not res.stdout.strip():
        raise AssertionError("tool crashed (%d): %s %s" % (
            res.returncode, res.stdout, res.stderr))
    line = res.stdout.strip().splitlines()[-1]
    if line.startswith("ok "):
        self_ok = dict(kv.split("=", 1) for kv in line[3:].split(" "))
        return "ok", self_ok
    _, code, message = line.split(" ", 2)
    return code, message


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def png_bytes(w, h, colour_type=2, trns=False, rows=None):
    """A PNG written by hand (for headers GStreamer's pngenc never makes)."""
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    out = sig + png_chunk(b"IHDR", ihdr)
    if trns:
        out += png_chunk(b"tRNS", b"\x00\x00\x00\x00\x00\x00")
    if rows is None:
        bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
        rows = b"".join(b"\0" + b"\x80" * (w * bpp) for _ in range(h))
    out += png_chunk(b"IDAT", zlib.compress(rows))
    return out + png_chunk(b"IEND", b"")


def write(name, data):
    path = os.path.join(D, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def gif_bytes():
    # a 1x1 GIF89a
    return bytes.fromhex(
        "47494638396101000100800000000000ffffff21f90401000000002c00000000"
        "010001000002024401003b")


class Files:
    @classmethod
    def make(cls):
        c = (120, 80, 200)
        cls.png = gen.solid(os.path.join(D, "ok.png"), 320, 240, c)
        cls.png_alpha = gen.solid(os.path.join(D, "alpha.png"), 320, 240, c,
                                  alpha=128)
        cls.png_trns = write("trns.png", png_bytes(300, 300, 2, trns=True))
        cls.jpeg = gen.solid(os.path.join(D, "ok.jpg"), 320, 240, c)
        cls.webp = gen.solid(os.path.join(D, "ok.webp"), 320, 240, c)
        cls.bmp = gen.solid(os.path.join(D, "ok.bmp"), 320, 240, c)
        cls.tiff = gen.solid(os.path.join(D, "ok.tiff"), 320, 240, c)
        cls.gif = write("tiny.gif", gif_bytes())
        cls.small = gen.solid(os.path.join(D, "small.png"), 100, 100, c)
        cls.narrow = gen.solid(os.path.join(D, "narrow.jpg"), 239, 400, c)
        cls.edge = gen.solid(os.path.join(D, "edge.png"), 240, 240, c)
        cls.wide = write("wide.png", png_bytes(8001, 240, 0))
        # claims 100000 x 100000: refused from the header, never decoded
        cls.bomb = write("bomb.png", png_bytes(100000, 100000, 2, rows=b""))
        with open(cls.png, "rb") as f:
            data = f.read()
        cls.truncated_png = write("truncated.png", data[:len(data) // 2])
        cls.garbage = write("garbage.bin", bytes(random.Random(1).randrange(
            256) for _ in range(5000)))
        cls.empty = write("empty.png", b"")
        cls.wav5 = gen.wav(os.path.join(D, "5s.wav"), 5.0)
        cls.wav3 = gen.wav(os.path.join(D, "3s.wav"), 3.0, rate=8000)
        cls.wav2 = gen.wav(os.path.join(D, "2s.wav"), 2.0, rate=8000)
        cls.wav31 = gen.wav(os.path.join(D, "31s.wav"), 31.0, rate=8000)
        cls.mp3 = gen.mp3(os.path.join(D, "5s.mp3"), 5.0)
        cls.mp3_id3 = gen.mp3(os.path.join(D, "id3.mp3"), 4.0, id3=True)
        cls.mp3_long = gen.mp3(os.path.join(D, "40s.mp3"), 40.0, rate=8000)
        cls.mp3_30 = gen.mp3(os.path.join(D, "30s.mp3"), 30.0, rate=8000)
        cls.mp3_31 = gen.mp3(os.path.join(D, "31s.mp3"), 30.5, rate=44100)
        cls.flac = gen.flac(os.path.join(D, "5s.flac"), 5.0)
        with open(cls.wav5, "rb") as f:
            cls.wav_header_only = write("header.wav", f.read()[:44])
        cls.mp4 = gen.video(os.path.join(D, "motion.mp4"), 160, 96, 2.0,
                            (10, 200, 10))
        cls.mkv = gen.video(os.path.join(D, "motion.mkv"), 160, 96, 1.0,
                            (10, 200, 10), container="mkv")
        with open(cls.mp4, "rb") as f:
            data = f.read()
        cls.truncated_mp4 = write("truncated.mp4", data[:600])


def setUpModule():
    global D
    D = tempfile.mkdtemp(prefix="apixo-media-in-")
    Files.make()


def tearDownModule():
    shutil.rmtree(D, ignore_errors=True)


class Images(unittest.TestCase):
    def test_allowed_formats(self):
        for path, fmt in ((Files.png, "png"), (Files.jpeg, "jpeg"),
                          (Files.webp, "webp"), (Files.bmp, "bmp")):
            code, info = probe("image", path, *IMAGE_LIMITS)
            self.assertEqual(code, "ok", "%s: %s" % (path, info))
            self.assertEqual(info["format"], fmt)
            self.assertEqual((info["width"], info["height"]), ("320", "240"))
            self.assertEqual(info["size"], str(os.path.getsize(path)))

    def test_format_by_bytes_not_name(self):
        disguised = write("really-a-jpeg.png", open(Files.jpeg, "rb").read())
        code, info = probe("image", disguised, *IMAGE_LIMITS)
        self.assertEqual((code, info["format"]), ("ok", "jpeg"))

    def test_other_formats_refused(self):
        for path, fmt in ((Files.tiff, "tiff"), (Files.gif, "gif")):
            code, msg = probe("image", path, *IMAGE_LIMITS)
            self.assertEqual(code, "FORMAT", msg)
            self.assertIn("image_urls[0]", msg)
            self.assertIn(fmt, msg)
        code, msg = probe("image", Files.bmp, "--formats", "jpeg,png,webp")
        self.assertEqual(code, "FORMAT", msg)
        self.assertIn("bmp", msg)

    def test_png_alpha(self):
        for path in (Files.png_alpha, Files.png_trns):
            code, msg = probe("image", path, *IMAGE_LIMITS)
            self.assertEqual(code, "FORMAT", msg)
            self.assertIn("alpha", msg)
            # other models take PNG with alpha
            code, info = probe("image", path, "--min-px", "240")
            self.assertEqual(code, "ok", info)
            self.assertEqual(info["alpha"], "1")
        code, info = probe("image", Files.png, *IMAGE_LIMITS)
        self.assertEqual(info["alpha"], "0")

    def test_pixel_limits(self):
        code, msg = probe("image", Files.small, *IMAGE_LIMITS)
        self.assertEqual(code, "DIMENSIONS")
        self.assertEqual(msg, "image_urls[0]: image is 100x100 px, "
                         "allowed 240-8000 px")
        for path in (Files.narrow, Files.wide, Files.bomb):
            code, msg = probe("image", path, *IMAGE_LIMITS)
            self.assertEqual(code, "DIMENSIONS", "%s: %s" % (path, msg))
        code, info = probe("image", Files.edge, *IMAGE_LIMITS)
        self.assertEqual(code, "ok", info)

    def test_size_limit(self):
        size = os.path.getsize(Files.bmp)
        code, msg = probe("image", Files.bmp, "--max-bytes", str(size - 1))
        self.assertEqual(code, "TOO_LARGE", msg)
        code, info = probe("image", Files.bmp, "--max-bytes", str(size))
        self.assertEqual(code, "ok", info)

    def test_undecodable(self):
        for path in (Files.truncated_png, Files.garbage, Files.empty,
                     Files.mp4, Files.wav5):
            code, msg = probe("image", path, *IMAGE_LIMITS)
            self.assertEqual(code, "UNDECODABLE", "%s: %s" % (path, msg))
            self.assertIn("image_urls[0]", msg)


class Audio(unittest.TestCase):
    def test_accepted(self):
        for path, fmt, seconds in ((Files.wav5, "wav", 5.0),
                                   (Files.wav3, "wav", 3.0),
                                   (Files.mp3, "mp3", 5.0),
                                   (Files.mp3_30, "mp3", 30.0),
                                   (Files.mp3_id3, "mp3", 4.0)):
            code, info = probe("audio", path, *AUDIO_LIMITS,
                               field="audio_urls[0]")
            self.assertEqual(code, "ok", "%s: %s" % (path, info))
            self.assertEqual(info["format"], fmt)
            # mp3: within two MPEG frames (padding is not signalled)
            self.assertAlmostEqual(float(info["duration"]), seconds,
                                   delta=0.001 if fmt == "wav" else 0.15)

    def test_durations_refused(self):
        for path in (Files.wav2, Files.wav31, Files.mp3_long, Files.mp3_31):
            code, msg = probe("audio", path, *AUDIO_LIMITS,
                              field="audio_urls[0]")
            self.assertEqual(code, "DURATION", "%s: %s" % (path, msg))
            self.assertIn("audio_urls[0]", msg)
            self.assertIn("allowed 3-30 s", msg)

    def test_formats_refused(self):
        code, msg = probe("audio", Files.flac, *AUDIO_LIMITS,
                          field="audio_urls[0]")
        self.assertEqual(code, "FORMAT", msg)
        self.assertIn("flac", msg)
        code, msg = probe("audio", Files.mp4, *AUDIO_LIMITS,
                          field="audio_urls[0]")
        self.assertEqual(code, "FORMAT", msg)

    def test_undecodable(self):
        for path in (Files.garbage, Files.wav_header_only, Files.png,
                     Files.empty):
            code, msg = probe("audio", path, *AUDIO_LIMITS,
                              field="audio_urls[0]")
            self.assertEqual(code, "UNDECODABLE", "%s: %s" % (path, msg))

    def test_size_limit(self):
        code, msg = probe("audio", Files.wav5, "--max-bytes", "1000",
                          field="audio_urls[0]")
        self.assertEqual(code, "TOO_LARGE", msg)


class Video(unittest.TestCase):
    def test_accepted(self):
        for path, seconds in ((Files.mp4, 2.0), (Files.mkv, 1.0)):
            code, info = probe("video", path, field="video_urls[0]")
            self.assertEqual(code, "ok", info)
            self.assertEqual((info["width"], info["height"]), ("160", "96"))
            self.assertAlmostEqual(float(info["duration"]), seconds,
                                   delta=0.05)

    def test_undecodable(self):
        for path in (Files.truncated_mp4, Files.garbage, Files.png,
                     Files.wav5, Files.empty):
            code, msg = probe("video", path, field="video_urls[0]")
            self.assertEqual(code, "UNDECODABLE", "%s: %s" % (path, msg))
            self.assertIn("video_urls[0]", msg)


class Robustness(unittest.TestCase):
    def test_mutated_files_never_crash(self):
        rng = random.Random(20260101)
        sources = [(Files.png, "image"), (Files.jpeg, "image"),
                   (Files.webp, "image"), (Files.bmp, "image"),
                   (Files.wav5, "audio"), (Files.mp3, "audio"),
                   (Files.mp4, "video")]
        for n in range(24):
            path, kind = sources[n % len(sources)]
            with open(path, "rb") as f:
                data = bytearray(f.read())
            if n % 3 == 0:
                data = data[:rng.randrange(1, len(data))]
            else:
                for _ in range(rng.randrange(1, 20)):
                    # keep the first bytes so the format is still found
                    i = rng.randrange(min(12, len(data) - 1), len(data))
                    data[i] = rng.randrange(256)
            mutated = write("mutated-%d" % n, bytes(data))
            code, _ = probe(kind, mutated)  # parse() fails on a crash
            self.assertIn(code, ("ok", "UNDECODABLE", "FORMAT", "DIMENSIONS",
                                 "DURATION"))


class Server:
    """A local HTTP server: /files/NAME, /status/CODE, /chunked/N (N bytes,
    no Content-Length), /length/N (claims N bytes)."""

    def __init__(self):
        outer = self
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                parts = self.path.split("?")[0].split("/")
                if parts[1] == "files":
                    path = os.path.join(D, parts[2])
                    if not os.path.exists(path):
                        return self.send_error(404)
                    with open(path, "rb") as f:
                        body = f.read()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif parts[1] == "status":
                    self.send_error(int(parts[2]))
                elif parts[1] == "chunked":
                    n = int(parts[2])
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    block = b"\xff" * 65536
                    sent = 0
                    try:
                        while sent < n:
                            part = block[:min(len(block), n - sent)]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part),
                                                                part))
                            sent += len(part)
                        self.wfile.write(b"0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                elif parts[1] == "length":
                    self.send_response(200)
                    self.send_header("Content-Length", parts[2])
                    self.end_headers()
                    self.wfile.write(b"\0" * 1000)
                    self.close_connection = True
                else:
                    self.send_error(404)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Fetching(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="apixo-fetch-")

    def tearDown(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def leftovers(self):
        inputs = os.path.join(self.data_dir, "inputs")
        if not os.path.isdir(inputs):
            return []
        return [f for f in os.listdir(inputs) if f.startswith(".")]

    def fetch(self, kind, url, *limits, field="image_urls[0]"):
        return fetch(kind, url, *limits, field=field, data_dir=self.data_dir)

    def test_fetch_image(self):
        url = self.server.base + "/files/ok.png"
        code, info = self.fetch("image", url, *IMAGE_LIMITS)
        self.assertEqual(code, "ok", info)
        self.assertEqual(info["format"], "png")
        # stored under the data dir, named by its contents
        self.assertTrue(info["path"].startswith(
            os.path.join(self.data_dir, "inputs") + "/"))
        self.assertTrue(info["path"].endswith(".png"))
        with open(info["path"], "rb") as a, open(Files.png, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(self.leftovers(), [])

    def test_fetch_audio_and_video(self):
        code, info = self.fetch("audio", self.server.base + "/files/5s.mp3",
                                *AUDIO_LIMITS, field="audio_urls[0]")
        self.assertEqual((code, info["format"]), ("ok", "mp3"), info)
        code, info = self.fetch("video", self.server.base +
                                "/files/motion.mp4", field="video_urls[0]")
        self.assertEqual((code, info["format"]), ("ok", "mp4"), info)

    def test_checks_apply_to_fetched_files(self):
        url = self.server.base + "/files/small.png"
        code, msg = self.fetch("image", url, *IMAGE_LIMITS)
        self.assertEqual(code, "DIMENSIONS")
        self.assertEqual(msg, "image_urls[0] (%s): image is 100x100 px, "
                         "allowed 240-8000 px" % url)
        self.assertEqual(self.leftovers(), [])
        self.assertEqual(os.listdir(os.path.join(self.data_dir, "inputs")),
                         [])

    def test_http_errors_are_unreachable(self):
        for status in (404, 403, 500):
            url = "%s/status/%d" % (self.server.base, status)
            code, msg = self.fetch("image", url, *IMAGE_LIMITS)
            self.assertEqual(code, "UNREACHABLE", msg)
            self.assertIn("image_urls[0]", msg)
            self.assertIn(url, msg)
            self.assertIn(str(status), msg)

    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        url = "http://127.0.0.1:%d/a.png" % port
        code, msg = self.fetch("image", url)
        self.assertEqual(code, "UNREACHABLE", msg)
        self.assertIn(url, msg)

    def test_unresolvable_and_invalid_urls(self):
        for url in ("http://nonexistent.invalid/a.png", "ftp://host/a.png",
                    "not a url", "file:///etc/passwd"):
            code, msg = self.fetch("image", url)
            self.assertEqual(code, "UNREACHABLE", "%s: %s" % (url, msg))

    def test_size_limit_while_streaming(self):
        # no Content-Length: the download stops after limit + 1 bytes
        limit = 200 * 1024
        url = "%s/chunked/%d" % (self.server.base, 50 * 1024 * 1024)
        code, msg = self.fetch("image", url, "--max-bytes", str(limit))
        self.assertEqual(code, "TOO_LARGE", msg)
        self.assertIn("image_urls[0]", msg)
        self.assertEqual(self.leftovers(), [])
        # exactly at the limit is fine (and then judged by its contents)
        url = "%s/chunked/%d" % (self.server.base, limit)
        code, msg = self.fetch("image", url, "--max-bytes", str(limit))
        self.assertEqual(code, "UNDECODABLE", msg)

    def test_same_bytes_checked_once(self):
        # the 500-task benchmark sends one image many times: decoded once,
        # every answer still names its own field and URL
        def run(name, repeat, *limits):
            res = subprocess.run(
                [TOOL, "--probe", "image", "--fetch",
                 self.server.base + "/files/" + name, "--field", "image_urls",
                 "--data-dir", self.data_dir, "--repeat", str(repeat),
                 *limits], capture_output=True, text=True, env=ENV,
                timeout=120)
            return res.stdout.strip().splitlines()

        lines = run("small.png", 4, *IMAGE_LIMITS)
        self.assertEqual(len(lines), 5, lines)
        for i, line in enumerate(lines[:4]):
            self.assertEqual(line, "error DIMENSIONS image_urls#%d "
                             "(%s/files/small.png?%d): image is 100x100 px, "
                             "allowed 240-8000 px" % (i, self.server.base, i))
        self.assertEqual(lines[4], "fetches=4 checks=1 remembered=3")
        lines = run("ok.png", 3, *IMAGE_LIMITS)
        paths = {line.split("path=")[1] for line in lines[:3]}
        self.assertEqual(len(paths), 1, lines)
        self.assertTrue(os.path.exists(paths.pop()))
        self.assertEqual(lines[3], "fetches=3 checks=1 remembered=2")
        # other limits: checked again
        lines = run("small.png", 2, "--min-px", "50")
        self.assertTrue(lines[0].startswith("ok "), lines)
        self.assertEqual(lines[2], "fetches=2 checks=1 remembered=1")
        self.assertEqual(self.leftovers(), [])

    def test_size_limit_from_content_length(self):
        url = "%s/length/%d" % (self.server.base, 30 * 1024 * 1024)
        code, msg = self.fetch("image", url, *IMAGE_LIMITS)
        self.assertEqual(code, "TOO_LARGE", msg)
        self.assertIn("20 MB", msg)


if __name__ == "__main__":
    unittest.main(verbosity=2)
