# gst-apixo-batch against apixo-sim: the program as a user runs it, in
# child processes; what was paid for is read from the sim (/__sim/tasks,
# /__sim/stats), outputs are decoded (mediacheck).
#
# Synchronisation: child exits, and the child's own --json events read
# line by line from its stdout (a job "submitted" means its task id is in
# the journal).  Never sleeps.
# Debian's /usr/bin/python3 (python3-gi, python3-gst-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "sim", "api"))
import simapi  # noqa: E402
from mediacheck import Decoded  # noqa: E402

BATCH = os.environ.get("APIXO_BATCH", "gst-apixo-batch")
CHILD_S = 10 * simapi.WAIT
# The polling the element would do against the real service, scaled like
# the sim (time scale 0.01).
TIMING = ["--set", "early-poll=0.05", "--set", "poll-delay=0.1",
          "--set", "poll-interval=0.05"]
# wan-2-5-video 480p: 832x480, 5 s, $0.05 per second
W480 = {"model": "wan-2-5-video", "resolution": "480p"}


def row(prompt, **fields):
    r = dict(W480, prompt=prompt)
    r.update(fields)
    return r


class BatchTest(unittest.TestCase):

    def setUp(self):
        self.sim = simapi.Sim()
        self.addCleanup(self.sim.stop)
        self.dir = tempfile.mkdtemp(prefix="apixo-batch-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.out = os.path.join(self.dir, "out")
        self.report = os.path.join(self.dir, "report.json")
        self.env = dict(os.environ, APIXO_BASE_URL=self.sim.base,
                        APIXO_API_KEY=simapi.KEY,
                        XDG_CACHE_HOME=os.path.join(self.dir, "cache"))

    # ---- helpers ---------------------------------------------------------

    def manifest(self, rows, name="jobs.jsonl"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for r in rows:
                f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
        return path

    def argv(self, manifest, *args):
        return [BATCH, manifest, "--output-dir", self.out, "--report",
                self.report] + TIMING + list(args)

    def run_batch(self, manifest, *args):
        return subprocess.run(self.argv(manifest, *args), env=self.env,
                              capture_output=True, text=True,
                              timeout=CHILD_S)

    def read_report(self):
        with open(self.report) as f:
            report = json.load(f)
        return report, {j["id"]: j for j in report["jobs"]}

    def assert_nothing_sent(self):
        for route in ("generate", "status", "balance"):
            self.assertEqual(self.sim.count(route), 0, route)
        self.assertEqual(self.sim.tasks(), [])

    def assert_good_output(self, path, width=832, height=480, seconds=5):
        d = Decoded(path)
        self.assertEqual((d.width, d.height), (width, height), path)
        self.assertGreater(d.frames, 0, path)
        self.assertAlmostEqual(d.frame_times[-1], seconds, delta=0.5)

    def events(self, proc):
        """The child's --json events, one at a time."""
        for line in proc.stdout:
            yield json.loads(line)

    # ---- before anything is sent -----------------------------------------

    def test_bad_rows_nothing_sent(self):
        m = self.manifest([
            row("fine"),
            row("too big", resolution="4k"),
            row("typo", colour="red"),
            row("dup", id="2"),
            row("wrong type", duration="long"),
            "{not json",
            row("key", **{"api-key": "secret"}),
            row("same file", id="other", output="1.mp4"),
        ])
        for dry in ([], ["--dry-run"]):
            p = self.run_batch(m, *dry)
            self.assertEqual(p.returncode, 2, p.stderr)
            err = p.stderr
            self.assertIn("line 2: field resolution: resolution '4k'", err)
            self.assertIn("(allowed: 480p, 720p, 1080p)", err)
            self.assertIn("line 3: field colour: not a property of apixosrc",
                          err)
            self.assertIn("line 4: field id: '2' is the id of line 2 too",
                          err)
            self.assertIn("line 5: field duration: \"long\" is not a valid",
                          err)
            self.assertIn("line 6: not JSON", err)
            self.assertIn("line 7: field api-key: never in a manifest", err)
            self.assertIn("line 8: field output: %s is the output of line 1 "
                          "too" % os.path.join(self.out, "1.mp4"), err)
            self.assertNotIn("secret", err + p.stdout)
            self.assertIn("nothing was sent", err)
            self.assertNotIn("line 1:", err)
        self.assert_nothing_sent()
        self.assertFalse(os.path.exists(self.report))

    def test_dry_run_estimate(self):
        m = self.manifest([row("a"), row("b"), row("c"),
                           row("d", resolution="1080p", duration=10)])
        p = self.run_batch(m, "--dry-run", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        events = [json.loads(line) for line in p.stdout.splitlines()]
        notes = {e["event"]: e["message"] for e in events}
        # 3 x 5 s x $0.05 + 10 s x $0.15
        self.assertIn("4 jobs, estimated cost $2.25", notes["estimate"])
        self.assertIn("dry-run", notes)
        self.assert_nothing_sent()

    def test_max_cost_refused(self):
        m = self.manifest([row("a"), row("b"), row("c"),
                           row("d", resolution="1080p", duration=10)])
        p = self.run_batch(m, "--max-cost", "2.00")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--max-cost $2.00 is below the estimated cost of the "
                      "batch, $2.25; nothing was sent", p.stderr)
        # a model without a documented price cannot be held to a limit
        m = self.manifest([row("a"), {"model": "veo-3-1", "prompt": "b",
                                      "id": "veo"}], "priceless.jsonl")
        p = self.run_batch(m, "--max-cost", "100")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("job veo (line 2, veo-3-1) has no documented price",
                      p.stderr)
        self.assert_nothing_sent()
        # within the limit: dry-run passes
        m = self.manifest([row("a"), row("b")], "cheap.jsonl")
        self.assertEqual(self.run_batch(m, "--max-cost", "0.50",
                                        "--dry-run").returncode, 0)
        self.assert_nothing_sent()

    def test_check_balance(self):
        m = self.manifest([row("a"), row("b")])
        self.sim.ctl("POST", "balance", {"usd": 0.4})
        p = self.run_batch(m, "--check-balance")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("the balance, $0.40, is below the estimated cost of the "
                      "batch, $0.50; nothing was sent", p.stderr)
        self.assertEqual(self.sim.count("balance"), 1)
        self.assertEqual(self.sim.count("generate"), 0)
        self.sim.ctl("POST", "balance", {"usd": 10})
        p = self.run_batch(m, "--check-balance", "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.sim.count("balance"), 2)
        self.assertEqual(self.sim.count("generate"), 0)

    # ---- running ----------------------------------------------------------

    def test_csv_manifest(self):
        """RFC 4180: quotes, escaped quotes, commas and newlines inside
        quotes; empty cells leave the default; --model for every row."""
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(["id", "prompt", "resolution", "seed"])
        w.writerow(["kite", 'a kite, red and "bold"\nover the dunes', "480p",
                    "7"])
        w.writerow(["plain", "plain words", "480p", ""])
        path = os.path.join(self.dir, "jobs.csv")
        with open(path, "w", newline="") as f:
            f.write(text.getvalue())
        p = self.run_batch(path, "--model", "wan-2-5-video")
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        tasks = {t["request"]["input"]["prompt"]: t for t in self.sim.tasks()}
        self.assertEqual(sorted(tasks), ['a kite, red and "bold"\nover the '
                                         'dunes', "plain words"])
        kite = tasks['a kite, red and "bold"\nover the dunes']
        self.assertEqual(kite["request"]["input"]["seed"], 7)
        self.assertNotIn("seed", tasks["plain words"]["request"]["input"])
        for name in ("kite", "plain"):
            self.assert_good_output(os.path.join(self.out, name + ".mp4"))

    def test_failed_job_reported_others_go_on(self):
        m = self.manifest([row("one", id="one"),
                           row("two [sim:fail=CONTENT_VIOLATION]", id="two"),
                           row("three", id="three",
                               output="sub/three-kept.mp4")])
        os.makedirs(os.path.join(self.out, "sub"))
        p = self.run_batch(m)
        self.assertEqual(p.returncode, 1, p.stderr + p.stdout)
        report, jobs = self.read_report()
        sim_tasks = {t["taskId"]: t for t in self.sim.tasks()}
        self.assertEqual(len(sim_tasks), 3)

        two = jobs["two"]
        self.assertEqual(two["state"], "failed")
        self.assertEqual(two["reason"], "failed")
        self.assertEqual(two["fail-code"], "CONTENT_VIOLATION")
        self.assertEqual(sim_tasks[two["task-id"]]["state"], "failed")
        self.assertIn("CONTENT_VIOLATION", two["error"])
        self.assertIn("two", p.stdout)  # line output names the job
        self.assertFalse(os.path.exists(two["output"]))

        # the report's content for the jobs that succeeded
        for job_id, line, output in (
                ("one", 1, os.path.join(self.out, "one.mp4")),
                ("three", 3, os.path.join(self.out, "sub", "three-kept.mp4"))):
            j = jobs[job_id]
            self.assertEqual(j["state"], "succeeded")
            self.assertEqual(j["line"], line)
            self.assertEqual(j["model"], "wan-2-5-video")
            self.assertEqual(j["output"], output)
            self.assertEqual(j["estimated-cost"], 0.25)
            self.assertTrue(j["paid"])
            self.assertFalse(j["resumed"])
            self.assertNotIn("error", j)
            self.assertLessEqual(j["start-time"], j["end-time"])
            self.assertEqual((j["width"], j["height"]), (832, 480))
            self.assertAlmostEqual(j["duration"], 5, delta=0.5)
            t = sim_tasks[j["task-id"]]
            self.assertEqual(t["state"], "success")
            self.assertEqual(t["request"]["input"]["prompt"], job_id)
            self.assert_good_output(output)
        totals = report["totals"]
        self.assertEqual((totals["jobs"], totals["succeeded"],
                          totals["failed"], totals["skipped"]), (3, 2, 1, 0))
        self.assertAlmostEqual(totals["paid-estimated-cost"], 0.75)
        # the summary table
        self.assertIn("3 jobs: 2 succeeded, 0 skipped (done before), "
                      "1 failed", p.stdout)

    def test_output_size_checked(self):
        """A request that names its size (sora-2-pro's size) is checked
        against the decoded picture."""
        m = self.manifest([{"id": "tall", "model": "sora-2-pro",
                            "prompt": "a tall one [sim:duration=1]",
                            "size": "720*1280"}])
        p = self.run_batch(m)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        report, jobs = self.read_report()
        self.assertEqual((jobs["tall"]["width"], jobs["tall"]["height"]),
                         (720, 1280))
        self.assertNotIn("estimated-cost", jobs["tall"])  # no price
        self.assert_good_output(os.path.join(self.out, "tall.mp4"), 720, 1280,
                                1)

    def test_kill_and_rerun_pays_once(self):
        """20 jobs killed with SIGKILL halfway (10 done, 10 running), the
        same command again: 20 tasks in the sim, 20 good outputs."""
        rows = [row("clip %d" % i, id="j%02d" % i) for i in range(1, 11)]
        # still generating when the first ten are done
        rows += [row("slow clip %d [sim:delay=1500]" % i, id="j%02d" % i)
                 for i in range(11, 21)]
        m = self.manifest(rows)
        proc = subprocess.Popen(self.argv(m, "--json", "--jobs", "20"),
                                env=self.env, stdout=subprocess.PIPE,
                                text=True)
        try:
            submitted, succeeded = set(), set()
            for e in self.events(proc):
                if e["event"] == "submitted":
                    submitted.add(e["id"])
                elif e["event"] == "succeeded":
                    succeeded.add(e["id"])
                if len(submitted) == 20 and len(succeeded) >= 10:
                    break
            self.assertEqual(len(submitted), 20)
        finally:
            proc.kill()
            proc.wait(CHILD_S)
            proc.stdout.close()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assertEqual(len(self.sim.tasks()), 20)

        p = self.run_batch(m, "--json", "--jobs", "20")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.sim.tasks()), 20)
        self.assertEqual(self.sim.count("generate"), 20)
        report, jobs = self.read_report()
        self.assertEqual(report["totals"]["paid-estimated-cost"], 0)
        skipped = [j for j in jobs.values() if j["state"] == "skipped"]
        rest = [j for j in jobs.values() if j["state"] != "skipped"]
        self.assertGreaterEqual(len(skipped), len(succeeded))
        self.assertGreater(len(rest), 0)
        for j in rest:
            # every other job's task was in the journal: resumed
            self.assertEqual(j["state"], "succeeded", j)
            self.assertTrue(j["resumed"], j)
            self.assertFalse(j["paid"], j)
        for i in range(1, 21):
            self.assert_good_output(os.path.join(self.out, "j%02d.mp4" % i))

    def test_changed_row_generated_again(self):
        """A re-run skips what is done, but an output made for a row that
        has changed since is generated again (its sidecar's request-key is
        not the row's): one new task, for that row only."""
        m = self.manifest([row("a red kite", id="kite"),
                           row("a quiet lake", id="lake")])
        p = self.run_batch(m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.sim.tasks()), 2)

        m = self.manifest([row("a red kite", id="kite"),
                           row("a quiet lake at dusk", id="lake")])
        p = self.run_batch(m, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        notes = [json.loads(line) for line in p.stdout.splitlines()]
        changed = [e for e in notes if e["event"] == "changed"]
        self.assertEqual(len(changed), 1, notes)
        self.assertIn("job lake", changed[0]["message"])
        self.assertEqual(len(self.sim.tasks()), 3)
        self.assertEqual(self.sim.count("generate"), 3)
        _, jobs = self.read_report()
        self.assertEqual(jobs["kite"]["state"], "skipped")
        self.assertEqual(jobs["lake"]["state"], "succeeded")
        self.assertTrue(jobs["lake"]["paid"])
        lake = os.path.join(self.out, "lake.mp4")
        with open(lake + ".json") as f:
            self.assertEqual(json.load(f)["prompt"], "a quiet lake at dusk")
        self.assert_good_output(lake)

        # and the same command once more: nothing changed, nothing paid
        p = self.run_batch(m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.sim.tasks()), 3)
        _, jobs = self.read_report()
        self.assertEqual({j["state"] for j in jobs.values()}, {"skipped"})

    def test_interrupt_leaves_tasks_to_the_journal(self):
        rows = [row("long %d [sim:delay=600]" % i, id="long%d" % i)
                for i in (1, 2)]
        rows.append(row("queued", id="later"))
        m = self.manifest(rows)
        proc = subprocess.Popen(self.argv(m, "--json", "--jobs", "2"),
                                env=self.env, stdout=subprocess.PIPE,
                                text=True)
        try:
            events = self.events(proc)
            submitted = set()
            for e in events:
                if e["event"] == "submitted":
                    submitted.add(e["id"])
                if len(submitted) == 2:
                    break
            # first Ctrl-C: no new jobs; second: stop now
            proc.send_signal(signal.SIGINT)
            for e in events:
                if e["event"] == "stopping":
                    break
            proc.send_signal(signal.SIGINT)
            interrupted = {}
            for e in events:
                if e["event"] == "interrupted":
                    interrupted[e["id"]] = e
        finally:
            proc.wait(CHILD_S)
            proc.stdout.close()
        self.assertEqual(proc.returncode, 130)
        self.assertEqual(sorted(interrupted), ["long1", "long2"])
        for e in interrupted.values():
            self.assertIn("left to the journal", e["error"])
            self.assertIn(e["task-id"], e["error"])
        report, jobs = self.read_report()
        self.assertEqual(jobs["later"]["state"], "not-run")
        self.assertEqual(len(self.sim.tasks()), 2)

        # the same command: the two tasks resumed, the third submitted
        p = self.run_batch(m, "--jobs", "2")
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        self.assertEqual(len(self.sim.tasks()), 3)
        report, jobs = self.read_report()
        for name in ("long1", "long2"):
            self.assertTrue(jobs[name]["resumed"])
            self.assertEqual(jobs[name]["task-id"],
                             interrupted[name]["task-id"])
        self.assertTrue(jobs["later"]["paid"])
        for name in ("long1", "long2", "later"):
            self.assert_good_output(os.path.join(self.out, name + ".mp4"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
