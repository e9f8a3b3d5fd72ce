# Balance (charges, refunds, the documented insufficient-balance answers),
# animate billing (5 s minimum, 120 s maximum), rate and concurrency limits
# (429 + Retry-After), --api-key, --balance, --tls-cert and a clean exit on
# signals.
# Tasks that must stay running carry [sim:fail=...][sim:delay=...] so they
# are charged but never rendered.
# SPDX-License-Identifier: LGPL-2.1-or-later

import json
import os
import signal
import unittest

import simapi
from simapi import Sim, SimTestCase

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "data")
TEST_CERT = os.path.join(DATA, "sim-test-cert.pem")
TEST_KEY = os.path.join(DATA, "sim-test-key.pem")

HOLD = " [sim:fail=TIMEOUT] [sim:delay=50000]"  # charged, never rendered
QUICK = " [sim:fail=TIMEOUT]"                    # fails (refund) at once


def wan(prompt, resolution="720p", duration=5, **extra):
    b = {"input": {"mode": "text-to-video", "prompt": prompt,
                   "resolution": resolution, "duration": duration}}
    b["input"].update(extra)
    return b


class Balance(SimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = cls.make_temp_dir("simapi-limits-")
        serve = cls.serve_made
        cls.png = serve("c.png", simapi.image, 320, 320)
        cls.motion2 = serve("m2.mp4", simapi.motion_video, 320, 240, 2.0)
        cls.motion7 = serve("m7.mp4", simapi.motion_video, 320, 240, 7.0)
        cls.motion125 = serve("m125.mp4", simapi.motion_video, 96, 64, 125.0,
                              fps=8)

    def charged(self, model, body):
        before = self.sim.balance()
        self.sim.submit(model, body)
        return round(before - self.sim.balance(), 6)

    def test_balance_endpoint(self):
        r = self.sim.request("GET", "/api/v1/apikeys/current-balance")
        self.assertEqual(r.status, 200)
        env = r.json()
        self.assertEqual((env["code"], env["message"]), (200, "success"))
        self.assertEqual(env["data"], 100000)
        self.sim.ctl("POST", "balance", {"usd": 74.87})
        self.assertEqual(self.sim.balance(), 74.87)
        self.assertEqual(self.sim.stats()["balance"], 74.87)

    def test_prices(self):
        cases = [
            # wan-2-5-video: its page's table, duration * unit price
            ("wan-2-5-video", wan("p" + HOLD, "480p", 5), 0.25),
            ("wan-2-5-video", wan("p" + HOLD, "720p", 10), 1.00),
            ("wan-2-5-video", wan("p" + HOLD, "1080p", 5), 0.75),
            # the sim's choices for the other models (docs/apixo-sim.md)
            ("wan-2-5", wan("p" + HOLD, "720p", 5), 0.50),
            ("wan-2-5", wan("p" + HOLD, "1080p", 10), 1.50),
            ("veo-3-1", {"input": {"prompt": "p" + HOLD}}, 3.20),
            ("veo-3-1", {"input": {"prompt": "p" + HOLD, "mode": "fast"}},
             1.20),
            ("sora-2-pro", {"input": {"prompt": "p" + HOLD, "duration": 4,
                                      "size": "1280*720"}}, 1.20),
            ("sora-2-pro", {"input": {"prompt": "p" + HOLD, "duration": 12,
                                      "size": "1792*1024"}}, 6.00),
        ]
        for model, body, usd in cases:
            with self.subTest(model=model, body=body):
                self.assertAlmostEqual(self.charged(model, body), usd,
                                       places=6)

    def test_refund_on_failure(self):
        before = self.sim.balance()
        task_id = self.sim.submit("wan-2-5", wan("p" + QUICK))
        task = self.sim.final(task_id)
        self.assertEqual(task["state"], "failed")
        self.assertEqual(task["costUsd"], 0)
        self.assertEqual(self.sim.balance(), before)

    def test_insufficient(self):
        self.sim.ctl("POST", "balance", {"usd": 0.2})
        n = len(self.sim.tasks())
        # wan-2-5-video documents HTTP 402
        r = self.sim.generate("wan-2-5-video", wan("p", "480p", 5))
        self.assertEqual(r.status, 402)
        self.assertEqual(r.json(), {"code": 402,
                                    "message": "Insufficient balance",
                                    "data": None})
        # the other pages: {"code":400,"message":"Insufficient credits"}
        for model, body in [
                ("wan-2-5", wan("p")),
                ("veo-3-1", {"input": {"prompt": "p"}}),
                ("sora-2-pro", {"input": {"prompt": "p", "duration": 4}}),
                ("wan-2-2-animate", {"input": {
                    "image_urls": [self.png], "video_urls": [self.motion2],
                    "resolution": "720p"}})]:
            with self.subTest(model=model):
                r = self.sim.generate(model, body)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.json(), {"code": 400,
                                            "message": "Insufficient credits",
                                            "data": None})
        self.assertEqual(len(self.sim.tasks()), n)
        self.assertEqual(self.sim.balance(), 0.2)
        # exactly enough is enough
        self.sim.ctl("POST", "balance", {"usd": 0.25})
        self.sim.submit("wan-2-5-video", wan("p" + HOLD, "480p", 5))
        self.assertEqual(self.sim.balance(), 0)

    def animate(self, video, resolution="480p"):
        return {"input": {"image_urls": [self.png], "video_urls": [video],
                          "resolution": resolution,
                          "prompt": "[sim:duration=1]"}}

    def test_animate_billing(self):
        # 2 s of motion: billed as 5 s ($0.04/s at 480p)
        before = self.sim.balance()
        task = self.sim.final(self.sim.submit("wan-2-2-animate",
                                              self.animate(self.motion2)))
        self.assertEqual(task["state"], "success", task)
        self.assertAlmostEqual(before - self.sim.balance(), 0.20, places=6)
        # 7 s at 720p ($0.08/s): 5 s charged at submission, 2 s later
        before = self.sim.balance()
        task = self.sim.final(self.sim.submit(
            "wan-2-2-animate", self.animate(self.motion7, "720p")))
        self.assertEqual(task["state"], "success", task)
        self.assertAlmostEqual(before - self.sim.balance(), 0.56, places=6)
        self.assertAlmostEqual(task["costUsd"], 0.56, places=6)
        # 125 s: billed as 120 s
        before = self.sim.balance()
        task = self.sim.final(self.sim.submit(
            "wan-2-2-animate", self.animate(self.motion125)), timeout=300)
        self.assertEqual(task["state"], "success", task)
        self.assertAlmostEqual(before - self.sim.balance(), 4.80, places=6)

    def test_animate_balance_runs_out(self):
        # 0.25 covers the 5 s minimum charged at submission (0.20), not the
        # 7 s (0.28) known once the motion video is fetched: the task
        # fails with INSUFFICIENT_BALANCE and is refunded
        self.sim.ctl("POST", "balance", {"usd": 0.25})
        task = self.sim.final(self.sim.submit("wan-2-2-animate",
                                              self.animate(self.motion7)))
        self.assertEqual(task["failCode"], "INSUFFICIENT_BALANCE", task)
        self.assertEqual(self.sim.balance(), 0.25)


class RateLimits(SimTestCase):

    def test_documented_defaults(self):
        limits = self.sim.ctl("GET", "limits")["limits"]
        for model in ("wan-2-5", "wan-2-5-video", "veo-3-1",
                      "wan-2-2-animate"):
            self.assertEqual(limits[model], {"requests_per_minute": 10000,
                                             "concurrent_tasks": 1000})
        self.assertEqual(limits["sora-2-pro"], {"requests_per_minute": 60,
                                                "concurrent_tasks": 10})

    def test_sora_60_per_minute(self):
        codes = [self.sim.status("sora-2-pro", "task_x").status
                 for _ in range(61)]
        self.assertEqual(codes[:60], [404] * 60)
        self.assertEqual(codes[60], 429)

    def test_requests_per_minute(self):
        self.sim.ctl("POST", "limits", {"model": "wan-2-5",
                                        "requests_per_minute": 3})
        task_id = self.sim.submit("wan-2-5", wan("p" + HOLD))
        for _ in range(2):
            self.assertEqual(self.sim.status("wan-2-5", task_id).status, 200)
        r = self.sim.status("wan-2-5", task_id)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.json()["code"], 429)
        self.assertTrue(1 <= int(r.headers["Retry-After"]) <= 60, r.headers)
        r = self.sim.generate("wan-2-5", wan("p" + HOLD))
        self.assertEqual(r.status, 429)
        # per key and per model
        self.assertEqual(self.sim.status("wan-2-5", task_id,
                                         key="other").status, 404)
        self.assertEqual(self.sim.status("veo-3-1", task_id).status, 404)
        # the window slides on the sim clock
        self.sim.ctl("POST", "advance", {"seconds": 61})
        self.assertEqual(self.sim.status("wan-2-5", task_id).status, 200)

    def test_concurrent_tasks(self):
        self.sim.ctl("POST", "limits", {"model": "wan-2-5",
                                        "concurrent_tasks": 2})
        for _ in range(2):
            self.sim.submit("wan-2-5", wan("p" + HOLD))
        n = len(self.sim.tasks())
        balance = self.sim.balance()
        r = self.sim.generate("wan-2-5", wan("p" + HOLD))
        self.assertEqual(r.status, 429)
        self.assertEqual(r.json()["code"], 429)
        # both running tasks end in ~500 s (scaled): a slot frees then
        self.assertGreaterEqual(int(r.headers["Retry-After"]), 400)
        self.assertEqual(len(self.sim.tasks()), n)
        self.assertEqual(self.sim.balance(), balance)
        # other keys and models have their own slots
        self.sim.submit("wan-2-5", wan("p" + HOLD), key="other")
        self.sim.submit("veo-3-1", {"input": {"prompt": "p" + HOLD}})

    def test_slot_frees_when_a_task_ends(self):
        self.sim.ctl("POST", "limits", {"concurrent_tasks": 1})
        first = self.sim.submit("wan-2-5", wan("p" + QUICK), key="k2")
        self.sim.final(first)
        self.sim.submit("wan-2-5", wan("p" + HOLD), key="k2")
        self.assertEqual(self.sim.generate("wan-2-5", wan("p"),
                                           key="k2").status, 429)

    def test_bad_limit_requests(self):
        for body in ({"model": "gpt", "concurrent_tasks": 1},
                     {"requests_per_minute": "many"},
                     {"concurrent_tasks": 1.5}):
            with self.subTest(body=body):
                r = self.sim.request("POST", "/__sim/limits", body, key=None)
                self.assertEqual(r.status, 400)


class Options(unittest.TestCase):

    def test_api_keys(self):
        sim = Sim("--api-key", "alpha", "--api-key", "beta")
        try:
            body = wan("p" + QUICK)
            self.assertEqual(sim.generate("wan-2-5", body,
                                          key="alpha").status, 200)
            self.assertEqual(sim.generate("wan-2-5", body,
                                          key="beta").status, 200)
            r = sim.generate("wan-2-5", body, key="gamma")
            self.assertEqual(r.status, 401)
            self.assertEqual(r.json()["code"], 401)
            self.assertEqual(sim.request("GET", "/api/v1/apikeys/"
                                         "current-balance",
                                         key="gamma").status, 401)
            # control endpoints need no key
            self.assertEqual(len(sim.tasks()), 2)
            # the key is never shown
            self.assertNotIn("alpha", str(sim.tasks()) + str(sim.stats()))
        finally:
            sim.stop()

    def test_balance_option(self):
        sim = Sim("--balance", "12.5")
        try:
            self.assertEqual(sim.balance(), 12.5)
        finally:
            sim.stop()

    def test_clean_exit_with_work_in_flight(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig):
                sim = Sim()
                for _ in range(3):  # unseeded: really rendering
                    sim.submit("wan-2-5", wan("busy"))
                sim.submit("wan-2-5", wan("p" + HOLD))
                sim.proc.send_signal(sig)
                self.assertEqual(sim.proc.wait(simapi.WAIT), 0)
                sim.proc.stdout.close()

    def test_exit_answers_long_polls(self):
        import threading
        sim = Sim()
        answers = {}

        def poll():
            answers["wait"] = sim.ctl("GET", "wait?state=success&timeout=60")

        def slow():
            try:
                answers["slow"] = sim.balance()
            except (ConnectionError, OSError) as e:
                answers["slow"] = e

        sim.fault("balance", "slow", delay=60)
        threads = [threading.Thread(target=poll),
                   threading.Thread(target=slow)]
        for t in threads:
            t.start()
        self.assertTrue(sim.wait(route="balance", count=1))
        while sim.stats()["waiters"] < 1:  # no sleep: one request per turn
            pass
        sim.proc.send_signal(signal.SIGTERM)
        self.assertEqual(sim.proc.wait(simapi.WAIT), 0)
        sim.proc.stdout.close()
        for t in threads:
            t.join(simapi.WAIT)
        # the long poll got its answer, the slow answer its connection closed
        self.assertEqual(answers["wait"], {"reached": False})
        self.assertIsInstance(answers["slow"], Exception)

    def check_https_results(self, sim):
        """A task submitted over HTTPS succeeds; the status endpoint hands
        out https:// result URLs that answer over HTTPS with the test
        certificate."""
        task_id = sim.submit("wan-2-5", wan("https [sim:duration=1]"))
        self.assertEqual(sim.final(task_id)["state"], "success")
        r = sim.status("wan-2-5", task_id)
        self.assertEqual(r.status, 200, r)
        urls = json.loads(r.json()["data"]["resultJson"])["resultUrls"]
        self.assertTrue(urls, r)
        for url in urls:
            self.assertTrue(url.startswith("https://"), url)
            answer = sim.get(url)
            self.assertEqual(answer.status, 200, answer)
            self.assertEqual(answer.headers["Content-Type"], "video/mp4")
            self.assertTrue(answer.body, answer)

    def test_https(self):
        """--tls-cert/--tls-key: the API and the URLs it hands out are
        https://, with that certificate."""
        import http.client
        import ssl
        ctx = ssl.create_default_context(cafile=TEST_CERT)
        sim = Sim("--tls-cert", TEST_CERT, "--tls-key", TEST_KEY,
                  tls_context=ctx)
        try:
            self.assertTrue(sim.base.startswith("https://127.0.0.1:"))
            conn = http.client.HTTPSConnection(sim.host, sim.port,
                                               context=ctx,
                                               timeout=simapi.WAIT)
            conn.request("GET", "/api/v1/apikeys/current-balance",
                         headers={"Authorization": "Bearer " + simapi.KEY})
            answer = conn.getresponse()
            self.assertEqual(answer.status, 200)
            self.assertEqual(json.loads(answer.read())["code"], 200)
            conn.close()
            # no plain HTTP on that port
            with self.assertRaises(Exception):
                sim.request("GET", "/api/v1/apikeys/current-balance",
                            scheme="http")
            self.check_https_results(sim)
        finally:
            sim.stop()

    def test_https_wildcard_bind(self):
        """--tls-cert with a wildcard --bind: result URLs take the client's
        Host header, and still the server's https:// scheme (they were
        http:// once).  Loopback traffic only: the client connects to the
        printed 127.0.0.1."""
        import ssl
        ctx = ssl.create_default_context(cafile=TEST_CERT)
        sim = Sim("--tls-cert", TEST_CERT, "--tls-key", TEST_KEY,
                  "--bind", "0.0.0.0", tls_context=ctx)
        try:
            self.assertTrue(sim.base.startswith("https://127.0.0.1:"))
            self.check_https_results(sim)
        finally:
            sim.stop()

    def test_bad_options(self):
        import subprocess
        for args in (["--time-scale", "-1"], ["--port", "70000"],
                     ["--bind", "not-an-address"], ["--api-key", ""],
                     ["--tls-cert", TEST_CERT],
                     ["--tls-cert", TEST_CERT, "--tls-key", "/nonexistent"]):
            with self.subTest(args=args):
                p = subprocess.run([simapi.SIM] + args, capture_output=True,
                                   timeout=simapi.WAIT)
                self.assertNotEqual(p.returncode, 0)
                self.assertEqual(p.stdout, b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
