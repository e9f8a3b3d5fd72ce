# Every example request of the five model pages is accepted, completes, and
# yields a real MP4 (checked with GStreamer: codec, size, duration, sound).
# The pages' example.com URLs are replaced by the same fields pointing at a
# local media server, and their callback URLs by a local receiver.
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import unittest

import simapi
from simapi import SimTestCase


@unittest.skipIf(simapi.UNDER_VALGRIND, "rendering minutes of HD video "
                 "under memcheck takes too long: test_lifecycle covers "
                 "rendering under valgrind")
class Examples(SimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = cls.make_temp_dir("simapi-examples-")
        cls.hook = simapi.HookReceiver()
        serve = cls.serve_made
        # landscape JPEGs, a portrait PNG (3:4), a 16:9 motion video, mp3
        cls.jpg = serve("ref.jpg", simapi.image, 640, 360)
        cls.jpg2 = serve("end.jpg", simapi.image, 640, 360, pattern=18)
        cls.png = serve("reference.png", simapi.image, 480, 640)
        cls.char = serve("character.png", simapi.image, 320, 480, 18)
        cls.motion = serve("motion.mp4", simapi.motion_video, 432, 240, 2.0)
        cls.mp3 = serve("music.mp3", simapi.audio, 4.0)

    @classmethod
    def tearDownClass(cls):
        cls.hook.close()
        super().tearDownClass()

    def run_example(self, model, body, width, height, duration, sound=True):
        task_id = self.sim.submit(model, body)
        task = self.sim.final(task_id, timeout=300)
        self.assertEqual(task["state"], "success", task)
        # the sim records the body exactly as sent
        self.assertEqual(task["request"], body)
        # the status endpoint agrees
        env = self.sim.status(model, task_id).json()
        self.assertEqual(env["data"]["state"], "success")
        path = simapi.download(self.sim, simapi.result_url(task), self.tmp)
        info = simapi.probe(path)
        self.assertEqual(info["video"]["codec"], "video/x-h264", info)
        self.assertEqual((info["video"]["width"], info["video"]["height"]),
                         (width, height), info)
        # within one frame (24 fps)
        self.assertAlmostEqual(info["duration"], duration, delta=1 / 24)
        if sound:
            self.assertEqual(info["audio"]["codec"], "audio/mpeg", info)
            self.assertEqual(info["audio"]["mpegversion"], 4, info)
        else:
            self.assertIsNone(info["audio"], info)
        os.unlink(path)
        if body.get("request_type") == "callback":
            d = self.hook.wait_match(
                lambda d: d["json"] and
                d["json"]["data"]["taskId"] == task_id)
            self.assertIsNotNone(d, "no callback for %s" % task_id)
            # the delivery is the final status envelope
            self.assertEqual(d["json"], env)
            # once the sim saw the receiver's 200, the task records it
            self.assertTrue(self.sim.wait(
                route="callback", count=len(self.hook.deliveries)))
            task = self.sim.task(task_id)
            self.assertEqual(task["callbackState"], "delivered", task)
            self.assertEqual(len(task["callbacks"]), 1, task)
        return task

    # ---- wan-2-5 -------------------------------------------------------

    def test_wan_2_5_text(self):
        self.run_example("wan-2-5", {
            "request_type": "async",
            "provider": "value",
            "input": {
                "mode": "text-to-video",
                "prompt": "a serene mountain landscape with moving clouds "
                          "and gentle breeze",
                "resolution": "1080p",
                "duration": 10,
                "aspect_ratio": "16:9",
                "negative_prompt": "low quality, blurry",
                "enable_prompt_expansion": True,
            }}, 1920, 1080, 10)

    def test_wan_2_5_image(self):
        self.run_example("wan-2-5", {
            "request_type": "callback",
            "callback_url": self.hook.url,
            "provider": "official",
            "input": {
                "mode": "image-to-video",
                "prompt": "make this picture into a smooth cinematic shot "
                          "with camera slowly zooming in",
                "resolution": "720p",
                "duration": 5,
                "image_urls": [self.jpg],
                "enable_prompt_expansion": False,
                "seed": 42,
            }}, 1280, 720, 5)

    # ---- wan-2-5-video -------------------------------------------------

    def test_wan_2_5_video_quickstart(self):
        self.run_example("wan-2-5-video", {
            "request_type": "async",
            "input": {
                "mode": "text-to-video",
                "prompt": "a cinematic shot of clouds drifting over a quiet "
                          "mountain lake",
                "audio_urls": [self.mp3],
                "resolution": "720p",
                "duration": 5,
                "aspect_ratio": "16:9",
                "prompt_extend": True,
            }}, 1280, 720, 5)

    def test_wan_2_5_video_text(self):
        self.run_example("wan-2-5-video", {
            "request_type": "async",
            "input": {
                "mode": "text-to-video",
                "prompt": "a serene mountain landscape with moving clouds "
                          "and gentle breeze",
                "audio_urls": [self.mp3],
                "resolution": "480p",
                "duration": 5,
                "aspect_ratio": "1:1",
                "prompt_extend": True,
                "negative_prompt": "low quality, blurry",
                "watermark": False,
                "seed": 20260413,
            }}, 624, 624, 5)

    def test_wan_2_5_video_image(self):
        # a 3:4 portrait reference picks the 3:4 1080p size
        self.run_example("wan-2-5-video", {
            "request_type": "callback",
            "callback_url": self.hook.url,
            "input": {
                "mode": "image-to-video",
                "image_urls": [self.png],
                "prompt": "turn this photo into a smooth cinematic shot with "
                          "a slow push-in camera move",
                "audio_urls": [self.mp3],
                "resolution": "1080p",
                "duration": 10,
            }}, 1248, 1632, 10)

    def test_wan_2_5_video_webhook(self):
        self.run_example("wan-2-5-video", {
            "request_type": "callback",
            "callback_url": self.hook.url,
            "input": {
                "mode": "text-to-video",
                "prompt": "a polished product demo video with gentle camera "
                          "movement",
                "resolution": "720p",
                "duration": 5,
                "aspect_ratio": "16:9",
            }}, 1280, 720, 5)

    # ---- veo-3-1 -------------------------------------------------------

    def test_veo_text(self):
        self.run_example("veo-3-1", {
            "request_type": "async",
            "input": {
                "mode": "quality",
                "prompt": "a cinematic flyover of a futuristic city at "
                          "sunrise",
                "generationType": "TEXT_2_VIDEO",
                "aspect_ratio": "16:9",
            }}, 1280, 720, 8)

    def test_veo_first_and_last(self):
        self.run_example("veo-3-1", {
            "request_type": "callback",
            "callback_url": self.hook.url,
            "input": {
                "mode": "quality",
                "prompt": "a calm ocean turning into a storm",
                "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
                "image_urls": [self.jpg, self.jpg2],
                "aspect_ratio": "9:16",
            }}, 720, 1280, 8)

    def test_veo_reference(self):
        self.run_example("veo-3-1", {
            "request_type": "async",
            "input": {
                "mode": "fast",
                "prompt": "turn this sequence into a dynamic action shot",
                "generationType": "REFERENCE_2_VIDEO",
                "image_urls": [self.jpg, self.jpg2],
                "aspect_ratio": "16:9",
            }}, 1280, 720, 8)

    # ---- sora-2-pro ----------------------------------------------------

    def test_sora_text(self):
        self.run_example("sora-2-pro", {
            "request_type": "async",
            "provider": "official",
            "input": {
                "mode": "text-to-video",
                "prompt": "a cinematic tracking shot of a futuristic city "
                          "with flying cars",
                "duration": 8,
                "size": "1280*720",
            }}, 1280, 720, 8)

    def test_sora_image(self):
        self.run_example("sora-2-pro", {
            "request_type": "callback",
            "callback_url": self.hook.url,
            "provider": "official",
            "input": {
                "mode": "image-to-video",
                "prompt": "make this image come alive with subtle motion",
                "duration": 12,
                "resolution": "1080p",
                "image_urls": [self.jpg],
            }}, 1920, 1080, 12)

    # ---- wan-2-2-animate -----------------------------------------------

    def test_animate(self):
        # output: the motion video's duration, 480p at its 16:9-ish aspect
        self.run_example("wan-2-2-animate", {
            "request_type": "async",
            "provider": "official",
            "input": {
                "mode": "standard",
                "type": "animate",
                "image_urls": [self.char],
                "video_urls": [self.motion],
                "prompt": "keep the face stable and follow the motion "
                          "naturally",
                "resolution": "480p",
                "seed": -1,
            }}, 832, 480, 2.0, sound=False)

    def test_replace(self):
        self.run_example("wan-2-2-animate", {
            "request_type": "callback",
            "callback_url": self.hook.url,
            "provider": "official",
            "input": {
                "mode": "standard",
                "type": "replace",
                "image_urls": [self.char],
                "video_urls": [self.motion],
                "prompt": "replace the person in the motion video with the "
                          "provided character",
                "resolution": "720p",
                "seed": 42,
            }}, 1280, 720, 2.0, sound=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
