# Input files for the apixo-sim media tests, made with GStreamer (and the
# wave module): images of known colours, a motion video, audio of known
# length.  Run by Debian's /usr/bin/python3 (python3-gst-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later

import math
import struct
import wave

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

# quadrants: top-left, top-right, bottom-left, bottom-right
QUAD_ORIGINS = ((0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5))
QUAD_COLOURS = ((220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 220, 50))

ENCODERS = {
    "png": "pngenc",
    "jpg": "jpegenc quality=95",
    "webp": "webpenc quality=95",
    "bmp": "avenc_bmp",
    "tiff": "avenc_tiff",
}


def run_pipeline(desc, timeout=60):
    """Plays @desc (gst-launch syntax) to EOS; raises on an error or after
    @timeout seconds.  Also simapi.py's (the API tests make media too)."""
    pipe = Gst.parse_launch(desc)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(
        timeout * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        raise RuntimeError("%s: %s" % (
            desc, msg.parse_error()[0].message if msg else "timeout"))


def _encode_pixels(path, w, h, fmt, data):
    """Encodes one raw picture (RGB or RGBA bytes) by the path's suffix."""
    enc = ENCODERS[path.rsplit(".", 1)[1]]
    caps = "video/x-raw,format=%s,width=%d,height=%d,framerate=1/1" % (
        fmt, w, h)
    pipe = Gst.parse_launch(
        "appsrc name=src caps=%s ! videoconvert ! %s ! filesink location=%s"
        % (caps, enc, path))
    src = pipe.get_by_name("src")
    pipe.set_state(Gst.State.PLAYING)
    buf = Gst.Buffer.new_wrapped(bytes(data))
    buf.pts = 0
    buf.duration = Gst.SECOND
    src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    msg = pipe.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        raise RuntimeError("cannot write %s" % path)
    return path


def picture(path, w, h, colour_at, alpha=False):
    """colour_at(x, y) -> (r, g, b[, a]) for every pixel."""
    n = 4 if alpha else 3
    data = bytearray(w * h * n)
    for y in range(h):
        for x in range(w):
            c = colour_at(x, y)
            off = (y * w + x) * n
            data[off:off + n] = bytes(c[:n])
    return _encode_pixels(path, w, h, "RGBA" if alpha else "RGB", data)


def solid(path, w, h, colour, alpha=None):
    """One colour (RGB, or RGBA if alpha is given)."""
    n = 3 if alpha is None else 4
    px = bytes(colour) + (bytes([alpha]) if alpha is not None else b"")
    # videoconvert wants stride-aligned rows: build them whole
    row = px * w
    stride = (w * n + 3) & ~3
    data = b"".join(row + b"\0" * (stride - len(row)) for _ in range(h))
    return _encode_pixels(path, w, h, "RGB" if n == 3 else "RGBA", data)


def quadrants(path, w, h, colours):
    n = 3
    stride = (w * n + 3) & ~3
    rows = []
    for y in range(h):
        top = y < h // 2
        left = bytes(colours[0 if top else 2]) * (w // 2)
        right = bytes(colours[1 if top else 3]) * (w - w // 2)
        rows.append(left + right + b"\0" * (stride - w * n))
    return _encode_pixels(path, w, h, "RGB", b"".join(rows))


def video(path, w, h, seconds, colour, fps=24, container="mp4"):
    argb = 0xff000000 | colour[0] << 16 | colour[1] << 8 | colour[2]
    mux = {"mp4": "mp4mux", "mkv": "matroskamux"}[container]
    run_pipeline("videotestsrc pattern=solid-color foreground-color=%d "
         "num-buffers=%d ! video/x-raw,width=%d,height=%d,framerate=%d/1 ! "
         "x264enc ! %s ! filesink location=%s"
         % (argb, round(seconds * fps), w, h, fps, mux, path))
    return path


def wav(path, seconds, hz=440.0, rate=48000, channels=1):
    n = int(round(seconds * rate))
    frames = bytearray()
    for i in range(n):
        v = int(12000 * math.sin(2 * math.pi * hz * i / rate))
        frames += struct.pack("<h", v) * channels
    with wave.open(path, "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(bytes(frames))
    return path


def mp3(path, seconds, id3=False, rate=44100):
    tag = "! id3v2mux " if id3 else ""
    run_pipeline("audiotestsrc num-buffers=%d samplesperbuffer=%d ! "
         "audio/x-raw,rate=%d,channels=1 ! lamemp3enc %s! filesink location=%s"
         % (round(seconds * 10), rate // 10, rate, tag, path))
    return path


def flac(path, seconds, rate=44100):
    run_pipeline("audiotestsrc num-buffers=%d samplesperbuffer=%d ! "
         "audio/x-raw,rate=%d,channels=1 ! flacenc ! filesink location=%s"
         % (round(seconds * 10), rate // 10, rate, path))
    return path
