# The examples (examples/), run as a user runs them, against apixo-sim:
# - apixo-generate (C): a clip generated and kept (it decodes; its sidecar
#   names the task); a real SIGINT while the task runs: exit status 130,
#   the task id and how to resume said, nothing lost: the same command
#   again resumes the same task (one submission in all);
# - apixo-generate.py (PyGObject): progress (GST_MESSAGE_PROGRESS and
#   apixo-task events, the estimated cost), a failed task's apixo-error
#   details (reason, fail code and message, task id: the sim's), a settings
#   error before anything is sent (the did-you-mean of a model typo);
# - apixo-timeline.py (GES): a timeline of two generated clips saved as
#   .xges (apixo:// URIs, no key) and rendered (decoded: size, length,
#   sound); running it again pays nothing (the result cache).
#
# Each example is a child process with the plugin, the service and a cache
# directory of its own given by the environment.  Synchronisation: child
# exits and child output lines (read with a bound), the sim's records;
# never sleeps.  Debian's /usr/bin/python3 (python3-gi, gir1.2-ges-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "sim", "api"))
import simapi  # noqa: E402
from mediacheck import Decoded  # noqa: E402

GENERATE_C = os.environ.get("APIXO_EXAMPLE_GENERATE", "")
EXAMPLES = os.path.join(HERE, os.pardir, os.pardir, "examples")
GENERATE_PY = os.path.join(EXAMPLES, "apixo-generate.py")
TIMELINE_PY = os.path.join(EXAMPLES, "apixo-timeline.py")
PYTHON = "/usr/bin/python3"
CHILD_S = 10 * simapi.WAIT
TIME_SCALE = 0.01
FPS = 24
# The element's polling, scaled like the sim (docs/apixo-sim.md).
TIMING = ["early-poll=0.05", "poll-delay=0.1", "poll-interval=0.05"]
# wan-2-5-video 480p, 5 s: 832x480, 0.25 USD by the page.
KITE = ["wan-2-5-video", "a red kite over the dunes"]
KITE_PROPS = ["resolution=480p", "duration=5", "seed=4"] + TIMING
# A status poll held unanswered (real seconds): longer than any test.
HOLD_S = 3600


class Examples(unittest.TestCase):
    """A sim, a cache directory and a working directory per test."""

    def setUp(self):
        self.assertTrue(GENERATE_C, "$APIXO_EXAMPLE_GENERATE is not set: "
                        "run the tests with meson")
        self.dir = tempfile.mkdtemp(prefix="apixo-examples-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sim = simapi.Sim(time_scale=TIME_SCALE)
        self.addCleanup(self.sim.stop)
        self.env = dict(os.environ, APIXO_BASE_URL=self.sim.base,
                        APIXO_API_KEY=simapi.KEY,
                        XDG_CACHE_HOME=self.path("cache"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_child(self, argv, status=0):
        """Runs @argv to its end; fails unless it exits with @status.
        Returns (stdout, stderr)."""
        try:
            done = subprocess.run(argv, env=self.env, cwd=self.dir,
                                  stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True,
                                  timeout=CHILD_S)
        except subprocess.TimeoutExpired as e:
            self.fail("%s did not end within %d s: %r"
                      % (argv[0], CHILD_S, e.stderr))
        self.assertEqual(done.returncode, status, "%s exited %d:\n%s\n%s"
                         % (" ".join(argv), done.returncode, done.stdout,
                            done.stderr))
        return done.stdout, done.stderr

    def only_task(self):
        tasks = self.sim.tasks()
        self.assertEqual(len(tasks), 1, tasks)
        return tasks[0]

    def assertKept(self, out, seconds, width, height):
        """@out decodes completely: size, frame count, sound."""
        dec = Decoded(out)
        self.assertEqual((dec.width, dec.height), (width, height))
        self.assertAlmostEqual(dec.frames, seconds * FPS, delta=1)
        self.assertAlmostEqual(dec.audio_duration, seconds, delta=0.1)

    def sidecar(self, out):
        with open(out + ".json") as f:
            return json.load(f)

    # ---- apixo-generate (C) ----------------------------------------------

    def test_c_generates_and_keeps(self):
        out = self.path("kite.mp4")
        stdout, _ = self.run_child([GENERATE_C] + KITE + [out] + KITE_PROPS)
        task = self.only_task()
        self.assertIn("task %s submitted" % task["taskId"], stdout)
        self.assertIn("saved to %s" % out, stdout)
        self.assertKept(out, 5, 832, 480)
        self.assertEqual(self.sidecar(out)["task-id"], task["taskId"])

    def read_lines(self, proc):
        """A queue of @proc's stdout lines (None at its end)."""
        lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                lines.put(line)
            proc.stdout.close()
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        return lines

    def wait_line(self, lines, text):
        """The first line containing @text; fails at the output's end or
        after WAIT seconds without one."""
        while True:
            try:
                line = lines.get(timeout=simapi.WAIT)
            except queue.Empty:
                self.fail("no line with %r within %d s" % (text, simapi.WAIT))
            self.assertIsNotNone(line, "the output ended before %r" % text)
            if text in line:
                return line

    def test_c_sigint_leaves_the_task_to_the_journal(self):
        """Ctrl-C while the task runs: the program stops at once and says
        which task is left and how to resume it; the same command again
        resumes it instead of paying again."""
        # every status poll held: the task is seen running until SIGINT
        self.sim.fault("status", "slow", count=1000, delay=HOLD_S)
        out = self.path("kite.mp4")
        argv = [GENERATE_C] + KITE + [out] + KITE_PROPS
        proc = subprocess.Popen(argv, env=self.env, cwd=self.dir,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        lines = self.read_lines(proc)
        self.wait_line(lines, " submitted")
        task_id = self.only_task()["taskId"]
        # the program is waiting on a status poll the sim holds
        self.assertTrue(self.sim.wait(route="status", count=1))
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=simapi.WAIT)
        except subprocess.TimeoutExpired:
            self.fail("apixo-generate did not stop after SIGINT")
        err = proc.stderr.read()
        proc.stderr.close()
        self.assertEqual(rc, 128 + signal.SIGINT, err)
        self.assertIn("Task %s is left to the journal" % task_id, err)
        self.assertIn("Run the same command again to resume it", err)
        self.assertIn("task-id=%s" % task_id, err)
        self.assertFalse(os.path.exists(out))

        self.sim.request("DELETE", "/__sim/faults", key=None)
        stdout, _ = self.run_child(argv)
        self.assertIn("task %s resumed" % task_id, stdout)
        self.assertEqual(self.sim.count("generate"), 1)
        self.assertEqual(self.only_task()["state"], "success")
        self.assertKept(out, 5, 832, 480)

    # ---- apixo-generate.py -----------------------------------------------

    def test_python_follows_progress(self):
        out = self.path("kite.mp4")
        stdout, _ = self.run_child([PYTHON, GENERATE_PY] + KITE + [out] +
                                   KITE_PROPS)
        task_id = self.only_task()["taskId"]
        self.assertIn("progress start (generate)", stdout)
        self.assertIn("progress complete (generate)", stdout)
        self.assertIn("task %s: submitted (estimated cost 0.25 USD)"
                      % task_id, stdout)
        self.assertIn("task %s: state success" % task_id, stdout)
        self.assertIn("task %s: downloaded to %s" % (task_id, out), stdout)
        self.assertKept(out, 5, 832, 480)

    def test_python_reads_error_details(self):
        out = self.path("storm.mp4")
        _, err = self.run_child(
            [PYTHON, GENERATE_PY, "veo-3-1",
             "a storm [sim:fail=CONTENT_VIOLATION]", out] + TIMING, status=1)
        task = self.only_task()
        self.assertEqual(task["state"], "failed")
        self.assertIn("  reason: failed\n", err)
        self.assertIn("  task-id: %s\n" % task["taskId"], err)
        self.assertIn("  fail-code: CONTENT_VIOLATION\n", err)
        self.assertIn("  fail-msg: %s\n" % task["failMsg"], err)
        self.assertFalse(os.path.exists(out))

    def test_python_settings_error_before_sending(self):
        _, err = self.run_child(
            [PYTHON, GENERATE_PY, "veo3", "a storm", self.path("x.mp4")],
            status=1)
        self.assertIn("model 'veo3' is unknown, did you mean veo-3-1?", err)
        self.assertIn("  reason: settings\n", err)
        self.assertEqual(self.sim.stats()["requests"]["generate"]["total"], 0)

    # ---- apixo-timeline.py -----------------------------------------------

    def test_timeline_saved_and_rendered(self):
        project, out = self.path("two.xges"), self.path("two.mp4")
        argv = [PYTHON, TIMELINE_PY, "--seed", "20"]
        for prop in ["resolution=480p", "duration=5"] + TIMING:
            argv += ["--set", prop]
        argv += [project, out, "a red kite", "a lighthouse at dusk"]
        stdout, err = self.run_child(argv)
        self.assertIn("rendered %s" % out, stdout)
        self.assertNotIn("Warning", err)  # no GLib warning, no critical
        self.assertNotIn("CRITICAL", err)
        tasks = self.sim.tasks()
        self.assertEqual(sorted((t["request"]["input"]["prompt"], t["seed"])
                                for t in tasks),
                         [("a lighthouse at dusk", 21), ("a red kite", 20)])
        with open(project) as f:
            xges = f.read()
        self.assertIn("apixo://wan-2-5-video?prompt=a%20red%20kite", xges)
        self.assertNotIn(simapi.KEY, xges)
        self.assertKept(out, 10, 640, 360)

        # again: every clip from the result cache, nothing paid, no request
        requests = self.sim.stats()["requests"]
        self.run_child(argv)
        self.assertEqual(self.sim.stats()["requests"], requests)
        self.assertKept(out, 10, 640, 360)


if __name__ == "__main__":
    unittest.main(verbosity=2)
