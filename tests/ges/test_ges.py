# apixo:// clips in GES timelines (issue 12), with the tools an editor
# runs: ges-launch-1.0 rendering a timeline of three clips from two models,
# and a GES application (gestimeline.py, GES introspection) that saves a
# project with an apixo:// clip and renders it again in a new process.
#
# Every GES process is a child of this test against its own apixo-sim; the
# service and the key reach the plugin through APIXO_BASE_URL and
# APIXO_API_KEY (never in a URI), and each test has its own cache
# directory (XDG_CACHE_HOME).  What was paid for is read from the sim
# (/__sim/tasks, /__sim/stats); outputs are decoded.
#
# Synchronisation: child exits only (a child that hangs is killed after
# CHILD_S and fails the test with what it said).  Never sleeps.  The one
# timeout under test, a discovery that gives up, ends a child while the sim
# holds every status poll: the generation cannot be seen to end first.
# Debian's /usr/bin/python3 (python3-gi, gir1.2-ges-1.0, python3-gst-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# the sim fixture (simapi.py) and the MP4 decoder (mediacheck.py)
sys.path.insert(0, os.path.join(HERE, os.pardir, "sim", "api"))
import simapi  # noqa: E402
from mediacheck import Decoded  # noqa: E402

# the GES application, and the render settings it shares with ges-launch
import gestimeline  # noqa: E402
from gestimeline import FPS, HEIGHT, MP4_FORMAT, VIDEO_CAPS, WIDTH  # noqa

GES_LAUNCH = os.environ.get("APIXO_GES_LAUNCH", "")
GESTIMELINE = os.path.join(HERE, "gestimeline.py")
# A generation of a few documented minutes takes about a second.
TIME_SCALE = 0.01
# Discovery (GES's discoverer) prerolls each clip, which includes its whole
# generation: GES gives up after GES_DISCOVERY_TIMEOUT seconds (60 by
# default; gst-discoverer-1.0: 10).  GES 1.22's ges-launch-1.0 keeps 60 s
# whatever the variable says; gestimeline.py applies it.  The scaled
# generations take seconds; the bound is for a loaded machine.
DISCOVERY_TIMEOUT_S = simapi.WAIT
CHILD_S = 10 * simapi.WAIT
# A discovery that gives up: long enough for the submission to be answered
# on loopback, far shorter than HOLD_S.
GIVE_UP_S = 5
# A status poll held unanswered (real seconds): longer than any test.
HOLD_S = 3600
# The polling the element would do against the real service, scaled like
# the sim (first regular poll after 0.1 s instead of the model page's
# advice of 90 s).
TIMING = (("early-poll", "0.05"), ("poll-delay", "0.1"),
          ("poll-interval", "0.05"))


def clip_uri(model, **settings):
    """apixo://MODEL?NAME=VALUE&...: property names (underscores for
    dashes in @settings), values percent-encoded, then TIMING."""
    query = [(k.replace("_", "-"), str(v)) for k, v in settings.items()]
    return "apixo://%s?%s" % (model, urllib.parse.urlencode(
        query + list(TIMING), quote_via=urllib.parse.quote))


def ges_launch_arg(uri):
    """@uri as a ges-launch-1.0 +clip argument.  ges-launch turns its
    command line into a "ges:" URI and reads the timeline from that URI's
    path (GES 1.22, ges-command-line-formatter.c): a '?' would end the
    path and every '%XX' is decoded once, so both are escaped once more."""
    return uri.replace("%", "%25").replace("?", "%3F").replace("#", "%23")


# Two models, and one clip twice: the timeline pays for each distinct clip
# once.  wan-2-5-video 480p: 832x480, 5 s; veo-3-1: 1280x720, 8 s
# (docs/apixo-sim.md).
KITE = clip_uri("wan-2-5-video", prompt="a red kite over the dunes",
                resolution="480p", duration=5, seed=11)
LIGHTHOUSE = clip_uri("veo-3-1", prompt="a lighthouse at dusk", mode="fast",
                      seed=12)


class GesTimelines(unittest.TestCase):
    """A sim, a cache directory and a working directory per test."""

    def setUp(self):
        self.assertTrue(GES_LAUNCH, "$APIXO_GES_LAUNCH is not set: run the "
                        "tests with meson, with ges-launch-1.0 installed "
                        "(ges1.0-tools)")
        self.dir = tempfile.mkdtemp(prefix="apixo-ges-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sim = simapi.Sim(time_scale=TIME_SCALE)
        self.addCleanup(self.sim.stop)
        self.env = dict(os.environ,
                        APIXO_BASE_URL=self.sim.base,
                        APIXO_API_KEY=simapi.KEY,
                        XDG_CACHE_HOME=self.path("cache"),
                        GES_DISCOVERY_TIMEOUT=str(DISCOVERY_TIMEOUT_S))

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_child(self, argv, status=0, **env):
        """Runs @argv, with @env added to the test's environment, to its
        end; fails the test unless it exits with @status.  Returns its
        stdout and stderr."""
        try:
            done = subprocess.run(argv, env=dict(self.env, **env),
                                  cwd=self.dir, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True,
                                  timeout=CHILD_S)
        except subprocess.TimeoutExpired as e:
            err = e.stderr or b""
            if isinstance(err, bytes):
                err = err.decode(errors="replace")
            self.fail("%s did not end within %d s; stderr:\n%s"
                      % (argv[0], CHILD_S, err[-3000:]))
        self.assertEqual(done.returncode, status, "%s exited %d; stderr:\n%s"
                         % (" ".join(argv), done.returncode,
                            done.stderr[-3000:]))
        return done.stdout, done.stderr

    def run_gestimeline(self, *args):
        out, _ = self.run_child(["/usr/bin/python3", GESTIMELINE] + list(args))
        return json.loads(out.strip().splitlines()[-1])

    def task_of(self, uri):
        """The sim's only task for the request @uri asked for."""
        u = urllib.parse.urlsplit(uri)
        q = dict(urllib.parse.parse_qsl(u.query))
        found = [t for t in self.sim.tasks()
                 if t["model"] == u.netloc and
                 t["request"]["input"]["prompt"] == q["prompt"] and
                 t["seed"] == int(q["seed"])]
        self.assertEqual(len(found), 1, "tasks for %s: %r" % (uri, found))
        return found[0]

    def assertPaidOnce(self, uris):
        """One task, from one submission, per distinct clip."""
        distinct = sorted(set(uris))
        self.assertEqual(len(self.sim.tasks()), len(distinct),
                         self.sim.tasks())
        self.assertEqual(self.sim.count("generate"), len(distinct))
        for uri in distinct:
            self.assertEqual(self.task_of(uri)["state"], "success")

    def assertRendered(self, out, seconds):
        """@out is an MP4 of the timeline's size that lasts @seconds (to
        the frame) and decodes completely, sound included."""
        info = simapi.probe(out)
        self.assertEqual(info["container"], "video/quicktime", info)
        self.assertEqual(info["video"]["codec"], "video/x-h264", info)
        self.assertEqual(info["audio"]["codec"], "audio/mpeg", info)
        self.assertAlmostEqual(info["duration"], seconds, delta=1.0 / FPS)
        dec = Decoded(out)
        self.assertEqual((dec.width, dec.height), (WIDTH, HEIGHT))
        self.assertAlmostEqual(dec.frames, seconds * FPS, delta=1)
        self.assertAlmostEqual(dec.audio_duration, seconds, delta=0.1)

    def test_ges_launch_renders_three_clips(self):
        """ges-launch-1.0 +clip ... -o out.mp4: the clips are discovered
        then rendered, each distinct one generated once."""
        clips = [KITE, LIGHTHOUSE, KITE]
        out = self.path("out.mp4")
        argv = [GES_LAUNCH, "--no-interactive", "--video-caps", VIDEO_CAPS,
                "-f", MP4_FORMAT, "-o", out]
        for uri in clips:
            argv += ["+clip", ges_launch_arg(uri)]
        self.run_child(argv)
        self.assertPaidOnce(clips)
        self.assertEqual(self.task_of(KITE)["request"]["input"]["resolution"],
                         "480p")
        self.assertEqual(self.task_of(LIGHTHOUSE)["request"]["input"]["mode"],
                         "fast")
        self.assertRendered(out, sum(self.task_of(uri)["duration"]
                                     for uri in clips))

    def test_discoverer_then_playbin_processes(self):
        """gst-discoverer-1.0 apixo://... reports the requested size and
        duration; gst-launch-1.0 playbin uri=apixo://... (another process)
        then plays it from the result cache: one task in all."""
        discoverer = shutil.which("gst-discoverer-1.0")
        launch = shutil.which("gst-launch-1.0")
        self.assertTrue(discoverer and launch, "gst-discoverer-1.0 and "
                        "gst-launch-1.0 are needed (gstreamer1.0-tools, "
                        "gstreamer1.0-plugins-base-apps)")
        out, _ = self.run_child([discoverer, "-t", str(DISCOVERY_TIMEOUT_S),
                                 KITE])
        self.assertIn("Width: 832", out)
        self.assertIn("Height: 480", out)
        self.assertIn("Duration: 0:00:05.0", out)
        self.run_child([launch, "-q", "playbin", "uri=" + KITE,
                        "video-sink=fakesink", "audio-sink=fakesink"])
        self.assertPaidOnce([KITE])

    def test_project_saved_reloaded_rendered(self):
        """A GES application saves a project with an apixo:// clip; another
        process loads and renders it from the cache, without a request."""
        xges = self.path("kite.xges")
        out = self.path("kite.mp4")
        saved = self.run_gestimeline("save", xges, KITE)
        self.assertPaidOnce([KITE])
        seconds = self.task_of(KITE)["duration"]
        self.assertAlmostEqual(saved["duration"] / 1e9, seconds,
                               delta=1.0 / FPS)
        with open(xges) as f:
            project = f.read()
        self.assertIn("apixo://wan-2-5-video?", project)
        self.assertNotIn(simapi.KEY, project)

        requests = self.sim.stats()["requests"]
        rendered = self.run_gestimeline("render", xges, out)
        self.assertPaidOnce([KITE])
        # every source of the clip (its audio and its video) was served by
        # the cache, which the URI turned on: no request of any kind
        self.assertTrue(rendered["events"])
        self.assertEqual(set(rendered["events"]), {"cached"},
                         rendered["events"])
        self.assertEqual(self.sim.stats()["requests"], requests)
        self.assertEqual(rendered["duration"], saved["duration"])
        self.assertRendered(out, seconds)

    def test_discovery_timeout_keeps_the_task(self):
        """Discovery gives up while the clip is still being generated: the
        task goes on at the service and the journal keeps it, so loading
        the clip again resumes it instead of paying again."""
        # every status poll unanswered: the generation is never seen to end
        self.sim.fault("status", "slow", count=1000, delay=HOLD_S)
        xges = self.path("kite.xges")
        argv = ["/usr/bin/python3", GESTIMELINE, "save", xges, KITE]
        _, err = self.run_child(argv, status=1,
                                GES_DISCOVERY_TIMEOUT=str(GIVE_UP_S))
        self.assertIn("discovering failed", err)
        self.assertFalse(os.path.exists(xges))
        # the task was known (its id answered, polled) when discovery gave up
        self.assertEqual(len(self.sim.tasks()), 1)
        self.assertGreaterEqual(self.sim.count("status"), 1)

        self.sim.request("DELETE", "/__sim/faults", key=None)
        saved = self.run_gestimeline("save", xges, KITE)
        self.assertPaidOnce([KITE])
        self.assertAlmostEqual(saved["duration"] / 1e9,
                               self.task_of(KITE)["duration"],
                               delta=1.0 / FPS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
