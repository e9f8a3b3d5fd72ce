# Helpers for the apixo-sim media tests: decode MP4s with GStreamer and
# read their box structure.  Run by Debian's /usr/bin/python3 (python3-gst-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later

import struct

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402

Gst.init(None)

TIMEOUT = 60 * Gst.SECOND


class DecodeError(Exception):
    pass


def _run(pipeline, sinks):
    """Plays @pipeline until EOS (or error); pulls every appsink."""
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    results = {name: [] for name in sinks}
    done = set()
    try:
        while len(done) < len(sinks):
            progressed = False
            for name, sink in sinks.items():
                if name in done:
                    continue
                sample = sink.try_pull_sample(10 * Gst.MSECOND)
                if sample is not None:
                    results[name].append(sample)
                    progressed = True
                elif sink.is_eos():
                    done.add(name)
            msg = bus.pop_filtered(Gst.MessageType.ERROR)
            if msg is not None:
                err, dbg = msg.parse_error()
                raise DecodeError("%s: %s" % (err.message, dbg))
            if not progressed and not done and False:
                pass
    finally:
        pipeline.set_state(Gst.State.NULL)
    return results


class Decoded:
    """Everything a test wants to know about a result MP4."""

    def __init__(self, path, rgb_frames=(), want_all_rgb=False, rgb_size=None):
        self.path = path
        self.video_caps = None
        self.audio_caps = None
        self.frames = 0
        self.frame_pts = []
        self.frame_times = []  # stream time, seconds
        self.rgb = {}  # frame index -> (width, height, bytes) RGB
        self.audio_samples = 0
        self.audio_rate = 0
        self.audio_pcm = bytearray()
        self.codecs = set()
        self._decode(set(rgb_frames), want_all_rgb, rgb_size)

    def _decode(self, rgb_frames, want_all, rgb_size):
        pipe = Gst.Pipeline()
        src = Gst.ElementFactory.make("filesrc")
        src.set_property("location", self.path)
        demux = Gst.ElementFactory.make("qtdemux")
        pipe.add(src)
        pipe.add(demux)
        src.link(demux)
        sinks = {}
        branches = []

        def on_pad(_demux, pad):
            caps = pad.get_current_caps()
            name = caps.get_structure(0).get_name()
            self.codecs.add(caps.to_string())
            if name.startswith("video/"):
                desc = ("queue max-size-buffers=0 max-size-time=0 max-size-bytes=0 ! h264parse ! avdec_h264 ! videoconvert ! "
                        "video/x-raw,format=RGB ! appsink name=v sync=false")
            elif name.startswith("audio/"):
                desc = ("queue max-size-buffers=0 max-size-time=0 max-size-bytes=0 ! aacparse ! avdec_aac ! audioconvert ! "
                        "audio/x-raw,format=S16LE,layout=interleaved ! "
                        "appsink name=a sync=false")
            else:
                return
            bin_ = Gst.parse_bin_from_description(desc, True)
            pipe.add(bin_)
            bin_.sync_state_with_parent()
            pad.link(bin_.get_static_pad("sink"))
            branches.append(bin_)

        demux.connect("pad-added", on_pad)
        # Preroll to get the pads, then collect.
        pipe.set_state(Gst.State.PAUSED)
        bus = pipe.get_bus()
        msg = bus.timed_pop_filtered(
            TIMEOUT, Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
        if msg is None or msg.type == Gst.MessageType.ERROR:
            pipe.set_state(Gst.State.NULL)
            raise DecodeError("cannot preroll %s: %s" % (
                self.path, msg.parse_error()[0].message if msg else "timeout"))
        for b in branches:
            for name in ("v", "a"):
                e = b.get_by_name(name)
                if e is not None:
                    sinks[name] = e
        res = _run(pipe, sinks)
        for i, s in enumerate(res.get("v", [])):
            buf = s.get_buffer()
            st = s.get_caps().get_structure(0)
            self.video_caps = s.get_caps()
            self.frame_pts.append(buf.pts)
            self.frame_times.append(s.get_segment().to_stream_time(
                Gst.Format.TIME, buf.pts) / Gst.SECOND)
            if want_all or i in rgb_frames or (-1 in rgb_frames):
                w, h = st.get_value("width"), st.get_value("height")
                ok, info = buf.map(Gst.MapFlags.READ)
                stride = (w * 3 + 3) & ~3
                data = bytes(info.data)
                buf.unmap(info)
                if stride != w * 3:
                    data = b"".join(data[y * stride:y * stride + w * 3]
                                    for y in range(h))
                self.rgb[i] = (w, h, data)
        self.frames = len(res.get("v", []))
        if -1 in rgb_frames and self.frames:
            self.rgb[-1] = self.rgb[self.frames - 1]
        for s in res.get("a", []):
            self.audio_caps = s.get_caps()
            st = s.get_caps().get_structure(0)
            self.audio_rate = st.get_value("rate")
            ch = st.get_value("channels")
            buf = s.get_buffer()
            self.audio_samples += buf.get_size() // (2 * ch)
            ok, info = buf.map(Gst.MapFlags.READ)
            self.audio_pcm += bytes(info.data)
            buf.unmap(info)

    @property
    def width(self):
        return self.video_caps.get_structure(0).get_value("width")

    @property
    def height(self):
        return self.video_caps.get_structure(0).get_value("height")

    @property
    def audio_duration(self):
        return self.audio_samples / self.audio_rate if self.audio_rate else 0


def average(frame, x0=0.0, y0=0.0, x1=1.0, y1=1.0):
    """Average RGB of the region (fractions of width/height) of a frame."""
    w, h, data = frame
    xa, xb = int(x0 * w), int(x1 * w)
    ya, yb = int(y0 * h), int(y1 * h)
    acc = [0, 0, 0]
    n = 0
    for y in range(ya, yb):
        row = data[y * w * 3 + xa * 3:y * w * 3 + xb * 3]
        acc[0] += sum(row[0::3])
        acc[1] += sum(row[1::3])
        acc[2] += sum(row[2::3])
        n += xb - xa
    return tuple(a / n for a in acc)


def colour_distance(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


# --- MP4 boxes ----------------------------------------------------------

def boxes(data, start=0, end=None):
    """(type, offset, size, header_size) of the boxes in data[start:end]."""
    end = len(data) if end is None else end
    off = start
    while off + 8 <= end:
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - off
        if size < hdr:
            break
        yield kind.decode("latin-1"), off, size, hdr
        off += size


def top_level(path):
    """Top-level box types in file order (reads headers only)."""
    out = []
    with open(path, "rb") as f:
        f.seek(0, 2)
        total = f.tell()
        off = 0
        while off + 8 <= total:
            f.seek(off)
            hdr = f.read(16)
            size, kind = struct.unpack(">I4s", hdr[:8])
            if size == 1:
                size = struct.unpack(">Q", hdr[8:16])[0]
            elif size == 0:
                size = total - off
            if size < 8:
                break
            out.append((kind.decode("latin-1"), off, size))
            off += size
    return out


def find_box(data, path, start=0, end=None):
    """Nested lookup: find_box(moov, ["trak", "mdia"]) -> list of (off, size, hdr)."""
    found = []
    for kind, off, size, hdr in boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                found.append((off, size, hdr))
            else:
                found.extend(find_box(data, path[1:], off + hdr, off + size))
    return found


def read_moov(path):
    for kind, off, size in top_level(path):
        if kind == "moov":
            with open(path, "rb") as f:
                f.seek(off)
                return f.read(size)
    return None


def video_trak_has_ctts(path):
    """True if the video track carries composition offsets (B-frames)."""
    moov = read_moov(path)
    for off, size, hdr in find_box(moov, ["moov", "trak"]):
        trak = moov[off:off + size]
        if find_box(trak, ["trak", "mdia", "minf", "vmhd"]):
            return bool(find_box(trak, ["trak", "mdia", "minf", "stbl", "ctts"]))
    return False


# 2026-01-01T00:00:00Z in seconds since 1904 (what sim-render.c writes)
QT_2026_01_01 = 3850070400


def header_times(path):
    """(creation, modification) of mvhd and of every tkhd and mdhd."""
    moov = read_moov(path)
    out = []
    for p in (["moov", "mvhd"], ["moov", "trak", "tkhd"],
              ["moov", "trak", "mdia", "mdhd"]):
        for off, size, hdr in find_box(moov, p):
            version = moov[off + 8]
            if version == 1:
                out.append(struct.unpack(">QQ", moov[off + 12:off + 28]))
            else:
                out.append(struct.unpack(">II", moov[off + 12:off + 20]))
    return out


def has_reordered_frames(path):
    """True if the demuxed H.264 stream presents frames out of decode order
    (B-frames)."""
    pipe = Gst.parse_launch(
        "filesrc location=%s ! qtdemux ! video/x-h264 ! "
        "appsink name=s sync=false" % path)
    sink = pipe.get_by_name("s")
    pts = _run(pipe, {"s": sink})["s"]
    stamps = [s.get_buffer().pts for s in pts]
    return any(b < a for a, b in zip(stamps, stamps[1:]))


def frame_difference(a, b, grid=4):
    """Largest per-channel difference of the average colours of a grid of
    regions of two frames."""
    worst = 0
    for j in range(grid):
        for i in range(grid):
            r = (i / grid, j / grid, (i + 1) / grid, (j + 1) / grid)
            worst = max(worst, colour_distance(average(a, *r),
                                               average(b, *r)))
    return worst


def _channel0(pcm, rate, t0, t1, channels=2):
    import array
    samples = array.array("h")
    samples.frombytes(bytes(pcm[:len(pcm) // 2 * 2]))
    return samples[int(t0 * rate) * channels:int(t1 * rate) * channels:
                   channels]


def rms(pcm, t0, t1, rate=48000, channels=2):
    s = _channel0(pcm, rate, t0, t1, channels)
    if not s:
        return 0.0
    return (sum(v * v for v in s) / len(s)) ** 0.5


def dominant_hz(pcm, t0=0.1, t1=0.9, rate=48000, channels=2):
    """Frequency of a tone, from its zero crossings."""
    s = _channel0(pcm, rate, t0, t1, channels)
    crossings = sum(1 for a, b in zip(s, s[1:]) if (a < 0) != (b < 0))
    return round(crossings / 2 / (t1 - t0))
