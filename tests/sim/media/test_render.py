#!/usr/bin/python3
# Tests of apixo-sim's result rendering (sim/sim-render.c), through the
# apixo-sim-render tool: every scene is rendered, decoded with GStreamer and
# checked for codec, size, frame count, sound, B-frames, moov position,
# determinism, seed sensitivity and picture content.
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mediacheck as mc  # noqa: E402
import mediagen as gen  # noqa: E402

TOOL = os.environ.get("APIXO_SIM_RENDER", "apixo-sim-render")
CACHE = os.environ.get("APIXO_SIM_MEDIA_CACHE") or tempfile.mkdtemp(
    prefix="apixo-media-cache-")
W, H, FPS = 320, 180, 24
# decoded colours are within this of the input (H.264 4:2:0 at QP ~23,
# measured in the middle of flat regions)
COLOUR_TOL = 16


def render(*args, cache=CACHE, check=True):
    """Runs the tool; returns the MP4 path."""
    cmd = [TOOL, "--cache-dir", cache, "--width", str(W), "--height", str(H)]
    cmd += [str(a) for a in args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(cmd), res.stderr))
    return res


def render_path(*args, **kw):
    return render(*args, **kw).stdout.strip().splitlines()[0]


class Inputs:
    """Input files made once per run."""
    dir = None

    @classmethod
    def setup(cls):
        if cls.dir:
            return
        cls.dir = tempfile.mkdtemp(prefix="apixo-media-inputs-")
        d = cls.dir
        cls.quad = gen.quadrants(os.path.join(d, "quad.png"), W, H,
                                 gen.QUAD_COLOURS)
        cls.square = gen.solid(os.path.join(d, "square.png"), 240, 240,
                               (230, 200, 40))
        cls.red = gen.solid(os.path.join(d, "red.jpg"), 320, 180,
                            (220, 30, 30))
        cls.blue = gen.solid(os.path.join(d, "blue.png"), 320, 180,
                             (30, 40, 220))
        cls.green = gen.solid(os.path.join(d, "green.webp"), 320, 180,
                              (40, 200, 60))
        cls.character = gen.solid(os.path.join(d, "character.png"), 240, 320,
                                  (240, 120, 20))
        cls.motion = gen.video(os.path.join(d, "motion.mp4"), 192, 108, 2.0,
                               (40, 60, 200))
        cls.short_motion = gen.video(os.path.join(d, "short.mp4"), 192, 108,
                                     1.0, (40, 60, 200))
        cls.motion_4_3 = gen.video(os.path.join(d, "motion43.mkv"), 160, 120,
                                   1.0, (40, 60, 200), container="mkv")
        cls.tone1s = gen.wav(os.path.join(d, "tone1s.wav"), 1.0)
        cls.tone4s = gen.wav(os.path.join(d, "tone4s.wav"), 4.0)


def setUpModule():
    Inputs.setup()


def tearDownModule():
    if Inputs.dir:
        shutil.rmtree(Inputs.dir, ignore_errors=True)
    if not os.environ.get("APIXO_SIM_MEDIA_CACHE"):
        shutil.rmtree(CACHE, ignore_errors=True)


class Basics(unittest.TestCase):
    def check_common(self, d, seconds, audio):
        self.assertEqual(d.video_caps.get_structure(0).get_name(),
                         "video/x-raw")
        self.assertTrue(any(c.startswith("video/x-h264") for c in d.codecs),
                        d.codecs)
        self.assertEqual((d.width, d.height), (W, H))
        self.assertEqual(d.frames, round(seconds * FPS))
        for i, t in enumerate(d.frame_times):
            self.assertAlmostEqual(t, i / FPS, delta=0.0005)
        if audio:
            self.assertTrue(any(c.startswith("audio/mpeg") and
                                "mpegversion=(int)4" in c for c in d.codecs),
                            d.codecs)
            self.assertEqual(d.audio_rate, 48000)
            # the AAC track has the video's length (within 0.5 ms)
            self.assertAlmostEqual(d.audio_duration, seconds, delta=0.0005)
        else:
            self.assertIsNone(d.audio_caps)
            self.assertFalse(any(c.startswith("audio/") for c in d.codecs))

    def test_text_scene(self):
        p = render_path("--scene", "text", "--prompt", "a calm ocean",
                        "--seed", 1, "--duration", 2, "--audio")
        self.check_common(mc.Decoded(p), 2.0, audio=True)

    def test_text_scene_without_audio(self):
        p = render_path("--scene", "text", "--prompt", "a calm ocean",
                        "--seed", 1, "--duration", 1)
        self.check_common(mc.Decoded(p), 1.0, audio=False)

    def test_fractional_duration_is_frame_exact(self):
        p = render_path("--scene", "text", "--prompt", "x", "--duration",
                        "1.5", "--audio")
        self.check_common(mc.Decoded(p), 1.5, audio=True)

    def test_other_sizes(self):
        for w, h in ((180, 320), (240, 240)):
            p = render_path("--scene", "text", "--prompt", "portrait",
                            "--duration", 1, "--width", w, "--height", h)
            d = mc.Decoded(p)
            self.assertEqual((d.width, d.height), (w, h))
            self.assertEqual(d.frames, FPS)

    def test_bframes_by_default_and_moov_first(self):
        p = render_path("--scene", "text", "--prompt", "b", "--duration", 2)
        self.assertTrue(mc.video_trak_has_ctts(p))
        self.assertTrue(mc.has_reordered_frames(p))
        kinds = [k for k, _, _ in mc.top_level(p)]
        self.assertLess(kinds.index("moov"), kinds.index("mdat"))

    def test_moov_at_end_and_no_bframes(self):
        p = render_path("--scene", "text", "--prompt", "b", "--duration", 2,
                        "--moov-at-end", "--no-bframes")
        kinds = [k for k, _, _ in mc.top_level(p)]
        self.assertGreater(kinds.index("moov"), kinds.index("mdat"))
        self.assertFalse(mc.video_trak_has_ctts(p))
        self.assertFalse(mc.has_reordered_frames(p))
        self.check_common(mc.Decoded(p), 2.0, audio=False)

    def test_fixed_creation_times(self):
        p = render_path("--scene", "text", "--prompt", "t", "--duration", 1,
                        "--audio")
        times = mc.header_times(p)
        self.assertEqual(len(times), 5)  # mvhd, 2 x (tkhd, mdhd)
        for created, modified in times:
            self.assertEqual(created, mc.QT_2026_01_01)
            self.assertEqual(modified, mc.QT_2026_01_01)

    def test_noise_and_bitrate(self):
        quiet = render_path("--scene", "text", "--prompt", "n",
                            "--duration", 1)
        loud = render_path("--scene", "text", "--prompt", "n", "--duration",
                           1, "--noise", "--bitrate", 4000)
        # 4000 kbit/s for 1 s: about 500 KB; the plain scene is far smaller
        self.assertGreater(os.path.getsize(loud), 300 * 1000)
        self.assertLess(os.path.getsize(quiet), os.path.getsize(loud) / 4)
        d = mc.Decoded(loud)
        self.assertEqual(d.frames, FPS)

    def test_bad_spec_fails(self):
        res = render("--scene", "image", "--duration", 1, check=False)
        self.assertNotEqual(res.returncode, 0)
        res = render("--scene", "image", "--duration", 1, "--image",
                     "/nonexistent.png", check=False)
        self.assertNotEqual(res.returncode, 0)
        res = render("--scene", "text", "--width", 321, check=False)
        self.assertNotEqual(res.returncode, 0)


class Determinism(unittest.TestCase):
    def twice(self, *args):
        a = tempfile.mkdtemp(prefix="apixo-det-a-")
        b = tempfile.mkdtemp(prefix="apixo-det-b-")
        try:
            pa = render_path(*args, cache=a)
            pb = render_path(*args, cache=b)
            self.assertEqual(os.path.basename(pa), os.path.basename(pb))
            with open(pa, "rb") as fa, open(pb, "rb") as fb:
                return fa.read(), fb.read()
        finally:
            shutil.rmtree(a, ignore_errors=True)
            shutil.rmtree(b, ignore_errors=True)

    def test_same_spec_same_bytes_across_processes(self):
        a, b = self.twice("--scene", "text", "--prompt", "storm", "--seed",
                          42, "--duration", 2, "--audio")
        self.assertEqual(a, b)

    def test_same_inputs_same_bytes(self):
        a, b = self.twice("--scene", "first-last", "--image", Inputs.red,
                          "--image", Inputs.blue, "--duration", 1, "--seed",
                          3, "--audio-file", Inputs.tone1s)
        self.assertEqual(a, b)
        a, b = self.twice("--scene", "animate", "--image", Inputs.character,
                          "--video", Inputs.motion, "--duration", 1)
        self.assertEqual(a, b)

    def test_same_bytes_under_contention(self):
        # three processes at once on two cores: x264's threads are scheduled
        # differently in each, the bytes must not change (constant quality
        # and bitrate-controlled renders)
        for args in (("--scene", "text", "--prompt", "busy", "--width", 640,
                      "--height", 360, "--duration", 2),
                     ("--scene", "text", "--noise", "--bitrate", 8000,
                      "--width", 640, "--height", 360, "--duration", 2)):
            dirs = [tempfile.mkdtemp(prefix="apixo-busy-") for _ in range(3)]
            try:
                procs = [subprocess.Popen(
                    [TOOL, "--cache-dir", d] + [str(a) for a in args],
                    stdout=subprocess.PIPE, text=True) for d in dirs]
                paths = [p.communicate(timeout=300)[0].strip()
                         for p in procs]
                self.assertTrue(all(p.returncode == 0 for p in procs))
                data = []
                for path in paths:
                    with open(path, "rb") as f:
                        data.append(f.read())
                self.assertEqual(data[0], data[1], args)
                self.assertEqual(data[0], data[2], args)
            finally:
                for d in dirs:
                    shutil.rmtree(d, ignore_errors=True)

    def test_input_contents_not_names(self):
        copy = os.path.join(Inputs.dir, "renamed-quad.png")
        shutil.copyfile(Inputs.quad, copy)
        p1 = render_path("--scene", "image", "--image", Inputs.quad,
                         "--duration", 1)
        p2 = render_path("--scene", "image", "--image", copy, "--duration", 1)
        self.assertEqual(p1, p2)
        other = gen.solid(os.path.join(Inputs.dir, "other.png"), W, H,
                          (1, 2, 3))
        p3 = render_path("--scene", "image", "--image", other, "--duration",
                         1)
        self.assertNotEqual(p1, p3)

    def test_seed_changes_bytes_and_picture(self):
        args = ("--scene", "text", "--prompt", "same prompt", "--duration", 1)
        p1 = render_path(*args, "--seed", 1)
        p1b = render_path(*args, "--seed", 1)
        p2 = render_path(*args, "--seed", 2)
        self.assertEqual(p1, p1b)
        self.assertNotEqual(p1, p2)
        with open(p1, "rb") as f1, open(p2, "rb") as f2:
            self.assertNotEqual(f1.read(), f2.read())
        f1 = mc.Decoded(p1, rgb_frames=(0,)).rgb[0]
        f2 = mc.Decoded(p2, rgb_frames=(0,)).rgb[0]
        # a test can tell the two scenes apart by colour
        self.assertGreater(mc.frame_difference(f1, f2), 20)

    def test_seed_changes_image_scene_bytes(self):
        args = ("--scene", "image", "--image", Inputs.quad, "--duration", 1)
        p1 = render_path(*args, "--seed", 1)
        p2 = render_path(*args, "--seed", 2)
        self.assertNotEqual(p1, p2)
        with open(p1, "rb") as f1, open(p2, "rb") as f2:
            self.assertNotEqual(f1.read(), f2.read())


def changed_pixels(a, b, x0, y0, x1, y1, threshold=64):
    """How many pixels of the region (fractions) of frames @a and @b differ
    by more than @threshold in some channel."""
    w, h, da = a
    _, _, db = b
    n = 0
    for y in range(int(y0 * h), int(y1 * h)):
        for x in range(int(x0 * w), int(x1 * w)):
            i = (y * w + x) * 3
            if max(abs(da[i + c] - db[i + c]) for c in range(3)) > threshold:
                n += 1
    return n


class Label(unittest.TestCase):
    """Renders made from the prompt (TEXT, REFERENCE) show the model, the
    seed and the prompt's first words at the bottom left, so that a person
    can tell clips apart; the rest of the picture is the scene's."""

    def first_frame(self, *args):
        return mc.Decoded(render_path(*args), rgb_frames=(0,)).rgb[0]

    def assertOnlyLabelDiffers(self, a, b):
        # the label's band: many pixels changed (text, not noise)
        self.assertGreater(changed_pixels(a, b, 0.0, 0.8, 0.75, 1.0), 40)
        # above it the same scene
        for i in range(4):
            region = (i / 4, 0.0, (i + 1) / 4, 0.7)
            self.assertLessEqual(
                mc.colour_distance(mc.average(a, *region),
                                   mc.average(b, *region)), 2, region)

    def test_model_shown(self):
        args = ("--scene", "text", "--prompt", "a red kite over the dunes",
                "--seed", 3, "--duration", 1)
        self.assertOnlyLabelDiffers(
            self.first_frame(*args, "--model", "veo-3-1"),
            self.first_frame(*args, "--model", "sora-2-pro"))

    def test_seed_shown_over_reference_cells(self):
        # REFERENCE: the label stays below the cells (which end at 4/5)
        args = ("--scene", "reference", "--prompt", "refs", "--image",
                Inputs.red, "--duration", 1, "--model", "veo-3-1")
        a = self.first_frame(*args, "--seed", 10)
        b = self.first_frame(*args, "--seed", 19)
        self.assertGreater(changed_pixels(a, b, 0.0, 0.8, 0.75, 1.0), 20)
        self.assertLessEqual(mc.colour_distance(
            mc.average(a, 0.4, 0.45, 0.6, 0.55), (220, 30, 30)), COLOUR_TOL)

    def test_two_prompts_visibly_different(self):
        args = ("--scene", "text", "--seed", 1, "--duration", 1, "--model",
                "wan-2-5-video")
        a = self.first_frame(*args, "--prompt", "a red kite over the dunes")
        b = self.first_frame(*args, "--prompt", "a lighthouse at dusk")
        self.assertGreater(mc.frame_difference(a, b), 20)
        self.assertGreater(changed_pixels(a, b, 0.0, 0.8, 0.75, 1.0), 40)


class Pictures(unittest.TestCase):
    def assertColour(self, got, want, what=""):
        self.assertLessEqual(mc.colour_distance(got, want), COLOUR_TOL,
                             "%s: got %s, want %s" % (what, got, want))

    def test_image_first_frame_is_the_image(self):
        p = render_path("--scene", "image", "--image", Inputs.quad,
                        "--duration", 2, "--seed", 5)
        d = mc.Decoded(p, rgb_frames=(0, -1))
        self.assertEqual(d.frames, 2 * FPS)
        for (x0, y0), colour in zip(gen.QUAD_ORIGINS, gen.QUAD_COLOURS):
            # the middle of each quadrant
            region = (x0 + 0.1, y0 + 0.1, x0 + 0.4, y0 + 0.4)
            self.assertColour(mc.average(d.rgb[0], *region), colour,
                              "frame 0 quadrant %s" % ((x0, y0),))
        # slow push-in: the last frame is zoomed, each quadrant's inner
        # corner still shows its colour
        for (x0, y0), colour in zip(gen.QUAD_ORIGINS, gen.QUAD_COLOURS):
            cx = 0.2 if x0 == 0 else 0.8
            cy = 0.2 if y0 == 0 else 0.8
            region = (cx - 0.05, cy - 0.05, cx + 0.05, cy + 0.05)
            self.assertColour(mc.average(d.rgb[-1], *region), colour,
                              "last frame quadrant %s" % ((x0, y0),))
        self.assertGreater(mc.frame_difference(d.rgb[0], d.rgb[-1]), 2)

    def test_image_scaled_to_fit(self):
        # a square image in a 16:9 frame: centred, black bars left and right
        p = render_path("--scene", "image", "--image", Inputs.square,
                        "--duration", 1)
        f = mc.Decoded(p, rgb_frames=(0,)).rgb[0]
        self.assertColour(mc.average(f, 0.4, 0.1, 0.6, 0.9), (230, 200, 40),
                          "centre")
        self.assertColour(mc.average(f, 0.0, 0.0, 0.15, 1.0), (0, 0, 0),
                          "left bar")
        self.assertColour(mc.average(f, 0.85, 0.0, 1.0, 1.0), (0, 0, 0),
                          "right bar")

    def test_first_last(self):
        p = render_path("--scene", "first-last", "--image", Inputs.red,
                        "--image", Inputs.blue, "--duration", 2, "--audio")
        d = mc.Decoded(p, rgb_frames=(0, 24, -1))
        self.assertEqual(d.frames, 2 * FPS)
        self.assertColour(mc.average(d.rgb[0]), (220, 30, 30), "first")
        self.assertColour(mc.average(d.rgb[-1]), (30, 40, 220), "last")
        mid = mc.average(d.rgb[24])
        self.assertGreater(mc.colour_distance(mid, (220, 30, 30)), COLOUR_TOL)
        self.assertGreater(mc.colour_distance(mid, (30, 40, 220)), COLOUR_TOL)

    def test_first_last_with_one_image(self):
        p = render_path("--scene", "first-last", "--image", Inputs.red,
                        "--duration", 1)
        d = mc.Decoded(p, rgb_frames=(0,))
        self.assertColour(mc.average(d.rgb[0]), (220, 30, 30), "first")

    def test_reference_cells(self):
        images = (Inputs.red, Inputs.blue, Inputs.green)
        colours = ((220, 30, 30), (30, 40, 220), (40, 200, 60))
        for n in (1, 2, 3):
            args = []
            for path in images[:n]:
                args += ["--image", path]
            p = render_path("--scene", "reference", "--prompt", "refs",
                            "--duration", 1, *args)
            d = mc.Decoded(p, rgb_frames=(0, -1))
            self.assertEqual(d.frames, FPS)
            for k in range(n):
                cx = (k + 0.5) / n
                region = (cx - 0.1 / n, 0.45, cx + 0.1 / n, 0.55)
                for i in (0, -1):
                    self.assertColour(mc.average(d.rgb[i], *region),
                                      colours[k], "n=%d cell %d" % (n, k))

    def check_character(self, scene, motion, seconds):
        p = render_path("--scene", scene, "--image", Inputs.character,
                        "--video", motion, "--duration", seconds, "--seed",
                        9)
        d = mc.Decoded(p, rgb_frames=(0, -1))
        self.assertEqual(d.frames, round(seconds * FPS))
        for i in (0, -1):
            # the character fills the middle of the centre box
            self.assertColour(mc.average(d.rgb[i], 0.45, 0.3, 0.55, 0.7),
                              (240, 120, 20), "%s frame %d character" %
                              (scene, i))
            # the motion video around it
            self.assertColour(mc.average(d.rgb[i], 0.02, 0.1, 0.15, 0.9),
                              (40, 60, 200), "%s frame %d video" % (scene, i))
            self.assertColour(mc.average(d.rgb[i], 0.85, 0.1, 0.98, 0.9),
                              (40, 60, 200), "%s frame %d video" % (scene, i))

    def test_animate(self):
        self.check_character("animate", Inputs.motion, 2)

    def test_replace(self):
        self.check_character("replace", Inputs.motion, 2)

    def test_animate_motion_fitted(self):
        # a 4:3 motion video (Matroska) in a 16:9 frame: black bars
        p = render_path("--scene", "animate", "--image", Inputs.character,
                        "--video", Inputs.motion_4_3, "--duration", 1)
        f = mc.Decoded(p, rgb_frames=(0,)).rgb[0]
        self.assertColour(mc.average(f, 0.0, 0.0, 0.1, 1.0), (0, 0, 0),
                          "left bar")
        self.assertColour(mc.average(f, 0.15, 0.1, 0.22, 0.9),
                          (40, 60, 200), "video")
        self.assertColour(mc.average(f, 0.45, 0.3, 0.55, 0.7),
                          (240, 120, 20), "character")

    def test_animate_motion_shorter_than_duration(self):
        # the last motion frame is held
        self.check_character("animate", Inputs.short_motion, 2)


class Sound(unittest.TestCase):
    def decoded_over_audio(self, audio_file):
        """2 s of the text scene with @audio_file as its sound, decoded;
        the sound lasts the 2 s whatever the file's length."""
        p = render_path("--scene", "text", "--prompt", "s", "--duration", 2,
                        "--audio-file", audio_file)
        d = mc.Decoded(p)
        self.assertAlmostEqual(d.audio_duration, 2.0, delta=0.0005)
        return d

    def test_input_audio_then_silence(self):
        d = self.decoded_over_audio(Inputs.tone1s)
        self.assertGreater(mc.rms(d.audio_pcm, 0.1, 0.9), 1000)
        self.assertLess(mc.rms(d.audio_pcm, 1.1, 1.9), 30)

    def test_input_audio_cut_to_duration(self):
        d = self.decoded_over_audio(Inputs.tone4s)
        self.assertGreater(mc.rms(d.audio_pcm, 1.1, 1.9), 1000)

    def test_tone_depends_on_seed(self):
        args = ("--scene", "text", "--prompt", "tone", "--duration", 1,
                "--audio")
        a = mc.Decoded(render_path(*args, "--seed", 1))
        b = mc.Decoded(render_path(*args, "--seed", 2))
        self.assertGreater(mc.rms(a.audio_pcm, 0.1, 0.9), 1000)
        self.assertNotEqual(mc.dominant_hz(a.audio_pcm),
                            mc.dominant_hz(b.audio_pcm))


class Concurrency(unittest.TestCase):
    def stats(self, res):
        line = res.stdout.strip().splitlines()[-1]
        return dict(kv.split("=") for kv in line.split())

    def test_identical_renders_in_flight_done_once(self):
        cache = tempfile.mkdtemp(prefix="apixo-conc-")
        try:
            res = render("--scene", "text", "--prompt", "crowd",
                         "--duration", 2, "--audio", "--concurrent", 100,
                         cache=cache)
            st = self.stats(res)
            self.assertEqual(st["requests"], "100")
            self.assertEqual(st["renders"], "1")
            self.assertEqual(int(st["joined"]) + int(st["cache_hits"]), 99)
            self.assertEqual(st["differ"], "0")
            files = [f for f in os.listdir(cache)]
            self.assertEqual(len(files), 1, files)  # no temporary files left
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def test_at_most_two_renders_at_once(self):
        cache = tempfile.mkdtemp(prefix="apixo-conc-")
        try:
            args = ["--scene", "text", "--duration", 2]
            for i in range(5):
                args += ["--prompts", "p%d" % i]
            st = self.stats(render(*args, cache=cache))
            self.assertEqual(st["renders"], "5")
            self.assertLessEqual(int(st["max_parallel"]), 2)
            self.assertGreaterEqual(int(st["max_parallel"]), 1)
            self.assertEqual(len(os.listdir(cache)), 5)
        finally:
            shutil.rmtree(cache, ignore_errors=True)


class CacheBound(unittest.TestCase):
    """--cache-max-mb: least recently used renders go first, recent ones
    (used in the last 10 minutes) and unfinished temporary files stay."""
    LIMIT = 1024 * 1024
    DAY = 86400

    def test_least_recently_used_go_first(self):
        cache = tempfile.mkdtemp(prefix="apixo-bound-")
        try:
            now = time.time()
            old = []
            for i in range(3):  # oldest first
                path = os.path.join(cache, "old%d.mp4" % i)
                with open(path, "wb") as f:
                    f.write(b"\0" * 400 * 1024)
                os.utime(path, (now - (3 - i) * self.DAY,) * 2)
                old.append(path)
            recent = os.path.join(cache, "recent.mp4")
            with open(recent, "wb") as f:
                f.write(b"\0" * 400 * 1024)
            partial = os.path.join(cache, ".render.tmp")
            with open(partial, "wb") as f:
                f.write(b"\0" * 64 * 1024)
            os.utime(partial, (now - 5 * self.DAY,) * 2)

            out = render_path("--scene", "text", "--prompt", "bounded",
                              "--duration", 1, "--cache-max-mb", 1,
                              cache=cache)
            self.assertTrue(os.path.exists(out))
            self.assertTrue(os.path.exists(recent))
            self.assertTrue(os.path.exists(partial))
            gone = [p for p in old if not os.path.exists(p)]
            kept = [p for p in old if os.path.exists(p)]
            self.assertTrue(gone, "nothing evicted")
            self.assertEqual(gone, old[:len(gone)], "not oldest first")
            total = sum(os.path.getsize(os.path.join(cache, n))
                        for n in os.listdir(cache) if n.endswith(".mp4")
                        and not n.startswith("."))
            self.assertLessEqual(total, self.LIMIT)
            # no more than needed: the last one evicted would not have fit
            self.assertGreater(total + 400 * 1024, self.LIMIT, kept)
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def test_a_hit_is_a_use(self):
        cache = tempfile.mkdtemp(prefix="apixo-bound-")
        try:
            args = ("--scene", "text", "--prompt", "hit", "--duration", 1)
            out = render_path(*args, cache=cache)
            then = time.time() - 2 * self.DAY
            os.utime(out, (then, then))
            self.assertEqual(render_path(*args, cache=cache), out)
            self.assertGreater(os.path.getmtime(out), then + self.DAY)
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def test_unbounded_by_default(self):
        cache = tempfile.mkdtemp(prefix="apixo-bound-")
        try:
            big = os.path.join(cache, "big.mp4")
            with open(big, "wb") as f:
                f.truncate(2 * self.LIMIT)
            os.utime(big, (time.time() - 3 * self.DAY,) * 2)
            render_path("--scene", "text", "--prompt", "unbounded",
                        "--duration", 1, cache=cache)
            self.assertTrue(os.path.exists(big))
        finally:
            shutil.rmtree(cache, ignore_errors=True)


class MissingElements(unittest.TestCase):
    def test_names_the_debian_package(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ)
            env["GST_PLUGIN_SYSTEM_PATH_1_0"] = tmp
            env["GST_PLUGIN_SYSTEM_PATH"] = tmp
            env["GST_PLUGIN_PATH_1_0"] = tmp
            env["GST_PLUGIN_PATH"] = tmp
            env["GST_REGISTRY_1_0"] = os.path.join(tmp, "registry.bin")
            env["GST_REGISTRY"] = env["GST_REGISTRY_1_0"]
            res = subprocess.run([TOOL, "--cache-dir", tmp, "--duration", "1"],
                                 capture_output=True, text=True, env=env,
                                 timeout=60)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("x264enc (Debian package gstreamer1.0-plugins-ugly)",
                      res.stderr)
        self.assertIn("avenc_aac (Debian package gstreamer1.0-libav)",
                      res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
