# Task lifecycle: pending -> processing -> success|failed, the status
# fields of each state as the pages show them, typical times scaled by
# --time-scale, prompt markers, seeds and determinism, input checks with
# their fail codes, and the media knobs passed to the renderer.
# SPDX-License-Identifier: LGPL-2.1-or-later

import hashlib
import json
import os
import struct
import unittest

import simapi
from simapi import Sim, SimTestCase


def t2v(prompt, seed=None, **extra):
    body = {"input": {"mode": "text-to-video", "prompt": prompt,
                      "resolution": "720p", "duration": 5}}
    if seed is not None:
        body["input"]["seed"] = seed
    body["input"].update(extra)
    return body


def top_level_boxes(path):
    boxes = []
    with open(path, "rb") as f:
        while True:
            head = f.read(8)
            if len(head) < 8:
                return boxes
            size, kind = struct.unpack(">I4s", head)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, 1)
            else:
                f.seek(size - 8, 1)
            boxes.append(kind.decode())


class Lifecycle(SimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = cls.make_temp_dir("simapi-life-")
        m, serve = cls.media, cls.serve_made
        cls.png = serve("p.png", simapi.image, 640, 360)
        cls.bmp = serve("p.bmp", simapi.image, 320, 240)
        cls.small = serve("s.png", simapi.image, 200, 200)
        cls.huge = m.add("huge.png", cls.media.httpd.files["/p.png"][0] +
                         b"\0" * (10 * 1024 * 1024))
        cls.missing = m.url("missing.png")
        cls.short_wav = serve("short.wav", simapi.audio, 2.0)
        cls.junk = m.add("junk.mp4", os.urandom(20000))

    def status_data(self, model, task_id):
        r = self.sim.status(model, task_id)
        self.assertEqual(r.status, 200, r)
        env = r.json()
        self.assertEqual((env["code"], env["message"]), (200, "success"))
        return env["data"]

    def test_success_fields(self):
        task_id = self.sim.submit("wan-2-5", t2v("a red kite", seed=5))
        task = self.sim.final(task_id)
        data = self.status_data("wan-2-5", task_id)
        self.assertEqual(set(data), {"taskId", "state", "resultJson",
                                     "createTime", "completeTime",
                                     "costTime"})
        self.assertEqual(data["taskId"], task_id)
        self.assertEqual(data["state"], "success")
        # resultJson is a JSON *string*
        self.assertIsInstance(data["resultJson"], str)
        self.assertEqual(json.loads(data["resultJson"]),
                         {"resultUrls": task["resultUrls"]})
        for k in ("createTime", "completeTime", "costTime"):
            self.assertIsInstance(data[k], int)
        self.assertGreater(data["createTime"], 1.6e12)  # Unix ms
        self.assertEqual(data["costTime"],
                         data["completeTime"] - data["createTime"])
        # 720p: 50-70 s documented, x0.01
        self.assertGreaterEqual(data["costTime"], 500)
        self.assertEqual(task["statusPolls"], 0)
        self.status_data("wan-2-5", task_id)
        self.assertEqual(self.sim.task(task_id)["statusPolls"], 2)

    def test_failed_fields(self):
        task_id = self.sim.submit(
            "veo-3-1", {"input": {"prompt": "x [sim:fail=CONTENT_VIOLATION]"}})
        self.sim.final(task_id)
        data = self.status_data("veo-3-1", task_id)
        self.assertEqual(set(data), {"taskId", "state", "failCode",
                                     "failMsg", "createTime",
                                     "completeTime"})
        self.assertEqual(data["state"], "failed")
        self.assertEqual(data["failCode"], "CONTENT_VIOLATION")
        self.assertEqual(data["failMsg"],
                         "Content does not meet safety guidelines")
        # unknown codes are reported as given
        task_id = self.sim.submit("veo-3-1", {"input": {
            "prompt": "[sim:fail=SensitiveContentDetected]"}})
        task = self.sim.final(task_id)
        self.assertEqual(task["failCode"], "SensitiveContentDetected")
        self.assertIn("SensitiveContentDetected", task["failMsg"])

    def test_processing_fields_and_states(self):
        task_id = self.sim.submit("wan-2-5", t2v("slow [sim:delay=50000]"))
        self.assertTrue(self.sim.wait(taskId=task_id, state="pending"))
        self.assertTrue(self.sim.wait(taskId=task_id, state="processing"))
        data = self.status_data("wan-2-5", task_id)
        self.assertEqual(data, {"taskId": task_id, "state": "processing",
                                "createTime": data["createTime"]})
        self.assertFalse(self.sim.wait(taskId=task_id, state="final",
                                       timeout=0.3))
        task = self.sim.task(task_id)
        self.assertIsNone(task["completeTime"])
        self.assertEqual(task["resultUrls"], [])

    def test_unknown_state_marker(self):
        task_id = self.sim.submit("wan-2-5", t2v("x [sim:state=queued_v2]",
                                                 seed=1))
        self.assertTrue(self.sim.wait(taskId=task_id, state="queued_v2"))
        self.assertIn(self.status_data("wan-2-5", task_id)["state"],
                      ("queued_v2", "success"))
        task = self.sim.final(task_id)
        self.assertEqual(task["state"], "success")
        self.assertEqual(self.status_data("wan-2-5", task_id)["state"],
                         "success")

    def test_delay_marker(self):
        task_id = self.sim.submit("wan-2-5", t2v("x [sim:delay=150]", seed=1))
        task = self.sim.final(task_id)
        self.assertEqual(task["state"], "success")
        data = self.status_data("wan-2-5", task_id)
        # 50-70 s + 150 s, x0.01
        self.assertGreaterEqual(data["costTime"], 2000)

    def fetch_sha(self, task):
        r = self.sim.get(simapi.result_url(task))
        self.assertEqual(r.status, 200)
        return hashlib.sha256(r.body).hexdigest()

    def test_determinism_by_seed(self):
        ids = [self.sim.submit("wan-2-5", t2v("a lighthouse", seed=s))
               for s in (11, 11, 12)]
        # markers are stripped from what the renderer sees
        ids.append(self.sim.submit("wan-2-5", t2v(
            "a lighthouse [sim:delay=1]", seed=11)))
        tasks = [self.sim.final(i) for i in ids]
        shas = [self.fetch_sha(t) for t in tasks]
        self.assertEqual(shas[0], shas[1])
        self.assertEqual(shas[0], shas[3])
        self.assertNotEqual(shas[0], shas[2])
        # each task has its own unguessable URL
        urls = {simapi.result_url(t) for t in tasks}
        self.assertEqual(len(urls), 4)
        for u in urls:
            self.assertRegex(u, r"/results/[0-9a-f]{32}\.mp4$")

    def test_image_to_video_determinism(self):
        body = {"input": {"mode": "image-to-video", "image_urls": [self.png],
                          "prompt": "zoom", "resolution": "720p",
                          "duration": 5, "seed": 3}}
        a = self.sim.final(self.sim.submit("wan-2-5", body))
        b = self.sim.final(self.sim.submit("wan-2-5", body))
        self.assertEqual(self.fetch_sha(a), self.fetch_sha(b))
        # the input was really fetched, once per task
        self.assertEqual(self.media.hits("p.png"), 2)

    def input_failure(self, model, body, code, field):
        task = self.sim.final(self.sim.submit(model, body))
        self.assertEqual(task["state"], "failed", task)
        self.assertEqual(task["failCode"], code, task)
        self.assertIn(field, task["failMsg"], task)
        return task

    def test_input_failures(self):
        def i2v(url):
            return {"input": {"mode": "image-to-video", "image_urls": [url],
                              "prompt": "p", "resolution": "720p",
                              "duration": 5}}
        before = self.sim.balance()
        self.input_failure("wan-2-5", i2v(self.missing), "INVALID_IMAGE_URL",
                           "image_urls[0]")
        self.input_failure("wan-2-5", i2v("http://127.0.0.1:9/x.png"),
                           "INVALID_IMAGE_URL", "image_urls[0]")
        self.input_failure("wan-2-5", i2v(self.junk), "INVALID_IMAGE_URL",
                           "image_urls[0]")
        self.input_failure("wan-2-5", i2v(self.huge), "IMAGE_TOO_LARGE",
                           "image_urls[0]")
        # BMP: wan-2-5 takes JPG/PNG/WebP only; wan-2-5-video takes BMP
        self.input_failure("wan-2-5", i2v(self.bmp), "UNSUPPORTED_FORMAT",
                           "image_urls[0]")
        ok = self.sim.final(self.sim.submit("wan-2-5-video", {"input": {
            "mode": "image-to-video", "image_urls": [self.bmp],
            "resolution": "480p", "prompt": "[sim:duration=1]"}}))
        self.assertEqual(ok["state"], "success", ok)
        self.input_failure("wan-2-5", i2v(self.small), "INVALID_PARAMETER",
                           "image_urls[0]")
        self.input_failure("wan-2-5-video", {"input": {
            "mode": "text-to-video", "prompt": "p",
            "audio_urls": [self.short_wav]}}, "INVALID_PARAMETER",
            "audio_urls[0]")
        self.input_failure("wan-2-2-animate", {"input": {
            "image_urls": [self.png], "video_urls": [self.junk]}},
            "INVALID_PARAMETER", "video_urls[0]")
        # failed tasks are refunded; the one success was charged
        self.assertAlmostEqual(self.sim.balance(), before - 0.25, places=6)

    def test_media_knobs(self):
        task = self.sim.final(self.sim.submit("wan-2-5", t2v(
            "knobs [sim:moov=end] [sim:duration=1.5] [sim:bframes=0]",
            seed=4)))
        path = simapi.download(self.sim, simapi.result_url(task), self.tmp)
        boxes = top_level_boxes(path)
        self.assertLess(boxes.index("mdat"), boxes.index("moov"), boxes)
        info = simapi.probe(path)
        self.assertAlmostEqual(info["duration"], 1.5, delta=1 / 24)
        self.assertEqual((info["video"]["width"], info["video"]["height"]),
                         (1280, 720))
        # the output duration is overridden, the billed one is not
        self.assertEqual(task["costUsd"], 0.5)
        plain = self.sim.final(self.sim.submit("wan-2-5", t2v(
            "knobs [sim:duration=1.5]", seed=4)))
        plain_path = simapi.download(self.sim, simapi.result_url(plain),
                                     self.tmp)
        boxes = top_level_boxes(plain_path)
        self.assertLess(boxes.index("moov"), boxes.index("mdat"), boxes)
        big = self.sim.final(self.sim.submit("wan-2-5", t2v(
            "knobs [sim:duration=1.5] [sim:noise] [sim:bitrate=8000]",
            seed=4)))
        self.assertGreater(len(self.sim.get(simapi.result_url(big)).body),
                           2 * os.path.getsize(plain_path))

    def test_many_at_once(self):
        n0 = len(self.sim.tasks())
        ids = [self.sim.submit("wan-2-5", t2v("crowd", seed=21))
               for _ in range(30)]
        self.assertTrue(self.sim.wait(tasks=n0 + 30))
        for i in ids:
            self.assertEqual(self.sim.final(i)["state"], "success")


class RealTime(unittest.TestCase):
    """At time scale 1 a task stays pending for its first seconds."""

    def test_pending_fields(self):
        sim = Sim(time_scale=1.0)
        try:
            task_id = sim.submit("sora-2-pro", {"input": {
                "prompt": "p [sim:fail=TIMEOUT]", "duration": 4}})
            r = sim.status("sora-2-pro", task_id)
            data = r.json()["data"]
            self.assertEqual(data, {"taskId": task_id, "state": "pending",
                                    "createTime": data["createTime"]})
        finally:
            sim.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
