# Webhook deliveries (request_type=callback): the final status envelope is
# POSTed to callback_url; non-200 or no answer is retried up to 3 times
# with increasing delays (30, 60, 120 s, scaled); every attempt is recorded
# in the task; faults on the "callback" route alter the deliveries.
# SPDX-License-Identifier: LGPL-2.1-or-later

import time
import unittest

import simapi
from simapi import SimTestCase


def body(hook_url, prompt="hook", seed=9):
    return {"request_type": "callback", "callback_url": hook_url,
            "input": {"mode": "text-to-video", "prompt": prompt,
                      "resolution": "720p", "duration": 5, "seed": seed}}


class Callbacks(SimTestCase):

    def setUp(self):
        super().setUp()
        self.hook = None

    def tearDown(self):
        if self.hook:
            self.hook.close()

    def receiver(self, *script):
        self.hook = simapi.HookReceiver(script)
        return self.hook

    def settled(self, task_id, attempts):
        """Waits until @attempts deliveries of the task were recorded."""
        while True:
            # the counter first: an attempt ending in between is seen by
            # the task read and does not leave us waiting for one more
            seen = self.sim.count("callback")
            task = self.sim.task(task_id)
            if len(task["callbacks"]) >= attempts:
                return task
            self.assertTrue(self.sim.wait(route="callback", count=seen + 1),
                            task)

    def test_delivered_envelope(self):
        hook = self.receiver()
        task_id = self.sim.submit("wan-2-5", body(hook.url))
        task = self.sim.final(task_id)
        self.assertTrue(hook.wait(1))
        d = hook.deliveries[0]
        self.assertEqual(d["path"], "/hook")
        self.assertEqual(d["json"], self.sim.status("wan-2-5",
                                                    task_id).json())
        self.assertEqual(d["json"]["data"]["state"], "success")
        task = self.settled(task_id, 1)
        self.assertEqual(task["callbackState"], "delivered")
        a = task["callbacks"][0]
        self.assertEqual((a["attempt"], a["status"], a["ok"], a["fault"]),
                         (1, 200, True, None))

    def test_failed_task_is_delivered(self):
        hook = self.receiver()
        task_id = self.sim.submit("wan-2-5", body(
            hook.url, "x [sim:fail=NSFW_DETECTED]"))
        self.assertTrue(hook.wait(1))
        data = hook.deliveries[0]["json"]["data"]
        self.assertEqual(data["state"], "failed")
        self.assertEqual(data["failCode"], "NSFW_DETECTED")
        self.assertEqual(data["taskId"], task_id)
        self.assertNotIn("resultJson", data)

    def test_retry_500_then_200(self):
        hook = self.receiver(500, 200)
        task_id = self.sim.submit("wan-2-5", body(hook.url))
        self.assertTrue(hook.wait(2))
        task = self.settled(task_id, 2)
        self.assertEqual([(a["status"], a["ok"]) for a in task["callbacks"]],
                         [(500, False), (200, True)])
        self.assertEqual(task["callbackState"], "delivered")
        # first retry after ~30 s, scaled by 0.01
        gap = task["callbacks"][1]["time"] - task["callbacks"][0]["time"]
        self.assertGreaterEqual(gap, 300)
        self.assertEqual(hook.deliveries[0]["json"],
                         hook.deliveries[1]["json"])

    def test_gives_up_after_three_retries(self):
        hook = self.receiver(500, 502, 404, 500, 200)
        task_id = self.sim.submit("wan-2-5", body(hook.url))
        task = self.settled(task_id, 4)
        self.assertEqual(task["callbackState"], "failed")
        self.assertEqual([a["status"] for a in task["callbacks"]],
                         [500, 502, 404, 500])
        times = [a["time"] for a in task["callbacks"]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        for gap, least in zip(gaps, (300, 600, 1200)):
            self.assertGreaterEqual(gap, least, gaps)
        self.assertEqual(len(hook.deliveries), 4)

    def test_no_answer_is_retried(self):
        hook = self.receiver("hang", 200)
        task_id = self.sim.submit("wan-2-5", body(hook.url))
        task = self.settled(task_id, 2)
        hook.release()
        self.assertEqual(task["callbacks"][0]["status"], 0)
        self.assertIn("no answer", task["callbacks"][0]["error"])
        self.assertEqual(task["callbacks"][1]["status"], 200)
        self.assertEqual(task["callbackState"], "delivered")

    def test_unreachable_receiver(self):
        task_id = self.sim.submit("wan-2-5", body("http://127.0.0.1:9/hook"))
        task = self.settled(task_id, 4)
        self.assertEqual(task["callbackState"], "failed")
        self.assertTrue(all(a["status"] == 0 and a["error"]
                            for a in task["callbacks"]))

    def test_async_ignores_callback_url(self):
        hook = self.receiver()
        b = body(hook.url)
        b["request_type"] = "async"
        task = self.sim.final(self.sim.submit("wan-2-5", b))
        self.assertEqual(task["callbacks"], [])
        self.assertIsNone(task["callbackState"])

    # ---- faults on the callback route ------------------------------------

    def fault_run(self, fault, attempts, **kw):
        hook = self.receiver()
        self.sim.fault("callback", fault, **kw)
        task_id = self.sim.submit("wan-2-5", body(hook.url))
        task = self.settled(task_id, attempts)
        self.assertEqual(task["callbacks"][0]["fault"], str(fault))
        self.assertEqual(task["callbackState"], "delivered")
        return hook, task

    def test_fault_reset_before(self):
        hook, task = self.fault_run("reset-before", 2)
        self.assertEqual(task["callbacks"][0]["status"], 0)
        self.assertEqual(len(hook.deliveries), 1)

    def test_fault_reset_after_duplicates(self):
        hook, task = self.fault_run("reset-after", 2)
        self.assertEqual(task["callbacks"][0]["status"], 0)
        self.assertEqual(len(hook.deliveries), 2)
        first, second = hook.deliveries
        self.assertTrue(first["complete"])
        self.assertEqual(first["json"], second["json"])

    def test_fault_status_duplicates(self):
        hook, task = self.fault_run(503, 2)
        self.assertEqual(task["callbacks"][0]["status"], 503)
        self.assertFalse(task["callbacks"][0]["ok"])
        self.assertEqual(len(hook.deliveries), 2)

    def test_fault_truncate(self):
        hook, task = self.fault_run("truncate", 2)
        first, second = hook.deliveries
        self.assertFalse(first["complete"])
        self.assertIsNone(first["json"])
        self.assertTrue(second["complete"])

    def test_fault_malformed(self):
        hook, task = self.fault_run("malformed-json", 1)
        self.assertIsNone(hook.deliveries[0]["json"])
        self.assertTrue(hook.deliveries[0]["complete"])
        self.assertTrue(task["callbacks"][0]["ok"])

    def test_fault_slow(self):
        hook, task = self.fault_run("slow", 1, delay=0.5)
        self.assertGreaterEqual(task["callbacks"][0]["time"] -
                                task["completeTime"], 500)

    def test_fault_model_filter(self):
        hook = self.receiver()
        self.sim.fault("callback", 500, model="veo-3-1")
        task = self.settled(self.sim.submit("wan-2-5", body(hook.url)), 1)
        self.assertEqual(task["callbacks"][0]["fault"], None)
        self.assertEqual(len(self.sim.ctl("GET", "faults")["faults"]), 1)


class PublicHttpsOnly(unittest.TestCase):
    """Without --allow-local-callbacks the sim is as strict as the
    service: "Must be a public HTTPS URL"."""

    @classmethod
    def setUpClass(cls):
        cls.sim = simapi.Sim(local_callbacks=False)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_refused(self):
        before = len(self.sim.ctl("GET", "tasks")["tasks"])
        for url in ("http://hooks.example.com/hook",
                    "https://127.0.0.1/hook", "https://localhost/hook",
                    "https://10.1.2.3/hook", "https://192.168.0.9/hook",
                    "https://172.16.5.5/hook", "https://[::1]/hook",
                    "https://[fd00::1]/hook", "https://169.254.0.1/hook",
                    "https://0.0.0.0/hook"):
            with self.subTest(url=url):
                r = self.sim.generate("wan-2-5", body(url))
                self.assertEqual(r.status, 400, url)
                env = r.json()
                self.assertEqual(env["code"], 400)
                self.assertIn("public HTTPS", env["message"])
        self.assertEqual(len(self.sim.ctl("GET", "tasks")["tasks"]), before)

    def test_public_https_accepted(self):
        task_id = self.sim.submit("wan-2-5",
                                  body("https://hooks.example.com/hook?t=1"))
        self.assertEqual(self.sim.final(task_id)["state"], "success")


if __name__ == "__main__":
    unittest.main(verbosity=2)
