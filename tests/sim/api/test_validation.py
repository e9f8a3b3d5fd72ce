# Request validation per model page: invalid variants get HTTP 400 with the
# documented envelope ({"code":400,"message":..., "data":{"error":...}})
# and a message naming the field; valid variants (defaults, limits at
# their edge, unknown fields) are accepted.  Also 401/404/405/411/413.
# Accepted variants carry [sim:fail=...] so nothing is rendered.
# SPDX-License-Identifier: LGPL-2.1-or-later

import copy
import json
import unittest

from simapi import SimTestCase

FAIL = " [sim:fail=CONTENT_VIOLATION]"
IMG = "http://127.0.0.1:9/a.png"
VID = "http://127.0.0.1:9/m.mp4"
AUD = "http://127.0.0.1:9/a.mp3"

BASE = {
    "wan-2-5": {"input": {"mode": "text-to-video", "prompt": "p" + FAIL,
                          "resolution": "720p", "duration": 5}},
    "wan-2-5-i2v": {"input": {"mode": "image-to-video", "prompt": "p" + FAIL,
                              "resolution": "720p", "duration": 5,
                              "image_urls": [IMG]}},
    "wan-2-5-video": {"input": {"mode": "text-to-video",
                                "prompt": "p" + FAIL, "resolution": "720p"}},
    "wan-2-5-video-i2v": {"input": {"mode": "image-to-video",
                                    "prompt": "p" + FAIL,
                                    "image_urls": [IMG]}},
    "veo-3-1": {"input": {"mode": "quality", "prompt": "p" + FAIL,
                          "generationType": "TEXT_2_VIDEO"}},
    "veo-3-1-ref": {"input": {"mode": "fast", "prompt": "p" + FAIL,
                              "generationType": "REFERENCE_2_VIDEO",
                              "image_urls": [IMG]}},
    "veo-3-1-fl": {"input": {"mode": "quality", "prompt": "p" + FAIL,
                             "generationType":
                                 "FIRST_AND_LAST_FRAMES_2_VIDEO",
                             "image_urls": [IMG, IMG]}},
    "sora-2-pro": {"provider": "official",
                   "input": {"mode": "text-to-video", "prompt": "p" + FAIL,
                             "duration": 4, "size": "1280*720"}},
    "sora-2-pro-i2v": {"provider": "official",
                       "input": {"mode": "image-to-video",
                                 "prompt": "p" + FAIL, "duration": 4,
                                 "resolution": "720p",
                                 "image_urls": [IMG]}},
    "wan-2-2-animate": {"input": {"mode": "standard", "type": "animate",
                                  "prompt": "p" + FAIL,
                                  "image_urls": [IMG], "video_urls": [VID],
                                  "resolution": "480p"}},
}

DEL = object()


def variant(base, **changes):
    """A copy of BASE[base] with input fields changed (DEL removes);
    top-level fields are given with a leading underscore."""
    body = copy.deepcopy(BASE[base])
    for k, v in changes.items():
        target, key = (body, k[1:]) if k.startswith("_") else \
            (body["input"], k)
        if v is DEL:
            target.pop(key, None)
        else:
            target[key] = v
    return body


def model_of(base):
    for m in ("wan-2-5-video", "wan-2-2-animate", "wan-2-5", "veo-3-1",
              "sora-2-pro"):
        if base.startswith(m):
            return m


# (base, changes, field named in the message)
INVALID = [
    # envelope fields, any model
    ("wan-2-5", {"_request_type": "sync"}, "request_type"),
    ("wan-2-5", {"_request_type": "callback"}, "callback_url"),
    ("wan-2-5", {"_request_type": "callback", "_callback_url": ""},
     "callback_url"),
    ("wan-2-5", {"_request_type": "callback",
                 "_callback_url": "ftp://example.com/x"}, "callback_url"),
    ("wan-2-5", {"_request_type": "callback", "_callback_url": 5},
     "callback_url"),
    ("wan-2-5", {"_provider": "cheapest"}, "provider"),
    ("wan-2-5", {"_input": DEL}, "input"),
    ("wan-2-5", {"_input": "text"}, "input"),
    ("sora-2-pro", {"_provider": "auto"}, "provider"),
    ("sora-2-pro", {"_provider": "value"}, "provider"),
    # wan-2-5
    ("wan-2-5", {"mode": "video-to-video"}, "input.mode"),
    ("wan-2-5", {"prompt": DEL}, "input.prompt"),
    ("wan-2-5", {"prompt": "   "}, "input.prompt"),
    ("wan-2-5", {"prompt": 12}, "input.prompt"),
    ("wan-2-5", {"resolution": "480p"}, "input.resolution"),
    ("wan-2-5", {"duration": 8}, "input.duration"),
    ("wan-2-5", {"duration": "5"}, "input.duration"),
    ("wan-2-5", {"duration": 5.0}, "input.duration"),
    ("wan-2-5", {"aspect_ratio": "4:3"}, "input.aspect_ratio"),
    ("wan-2-5", {"seed": -1}, "input.seed"),
    ("wan-2-5", {"seed": 2147483648}, "input.seed"),
    ("wan-2-5", {"seed": "7"}, "input.seed"),
    ("wan-2-5", {"enable_prompt_expansion": "yes"},
     "input.enable_prompt_expansion"),
    ("wan-2-5", {"negative_prompt": ["x"]}, "input.negative_prompt"),
    ("wan-2-5", {"image_urls": [IMG]}, "input.image_urls"),
    ("wan-2-5-i2v", {"image_urls": DEL}, "input.image_urls"),
    ("wan-2-5-i2v", {"image_urls": []}, "input.image_urls"),
    ("wan-2-5-i2v", {"image_urls": [IMG, IMG]}, "input.image_urls"),
    ("wan-2-5-i2v", {"image_urls": IMG}, "input.image_urls"),
    ("wan-2-5-i2v", {"image_urls": ["not a url"]}, "input.image_urls[0]"),
    ("wan-2-5-i2v", {"image_urls": ["file:///etc/passwd"]},
     "input.image_urls[0]"),
    ("wan-2-5-i2v", {"image_urls": [3]}, "input.image_urls[0]"),
    # wan-2-5-video
    ("wan-2-5-video", {"mode": DEL}, "input.mode"),
    ("wan-2-5-video", {"prompt": DEL}, "input.prompt"),
    ("wan-2-5-video", {"prompt": ""}, "input.prompt"),
    ("wan-2-5-video", {"prompt": "x" * 1501}, "input.prompt"),
    ("wan-2-5-video", {"prompt": "\u96e8" * 1501}, "input.prompt"),
    ("wan-2-5-video", {"negative_prompt": "n" * 501},
     "input.negative_prompt"),
    ("wan-2-5-video", {"resolution": "2k"}, "input.resolution"),
    ("wan-2-5-video", {"duration": 15}, "input.duration"),
    ("wan-2-5-video", {"resolution": "480p", "aspect_ratio": "4:3"},
     "input.aspect_ratio"),
    ("wan-2-5-video", {"resolution": "480p", "aspect_ratio": "3:4"},
     "input.aspect_ratio"),
    ("wan-2-5-video", {"aspect_ratio": "21:9"}, "input.aspect_ratio"),
    ("wan-2-5-video", {"audio_urls": [AUD, AUD]}, "input.audio_urls"),
    ("wan-2-5-video", {"audio_urls": []}, "input.audio_urls"),
    ("wan-2-5-video", {"audio_urls": ["x"]}, "input.audio_urls[0]"),
    ("wan-2-5-video", {"watermark": "no"}, "input.watermark"),
    ("wan-2-5-video", {"prompt_extend": 1}, "input.prompt_extend"),
    ("wan-2-5-video", {"seed": -1}, "input.seed"),
    ("wan-2-5-video", {"seed": 2147483648}, "input.seed"),
    ("wan-2-5-video", {"image_urls": [IMG]}, "input.image_urls"),
    ("wan-2-5-video-i2v", {"aspect_ratio": "16:9"}, "input.aspect_ratio"),
    ("wan-2-5-video-i2v", {"image_urls": DEL}, "input.image_urls"),
    ("wan-2-5-video-i2v", {"image_urls": [IMG, IMG]}, "input.image_urls"),
    # veo-3-1
    ("veo-3-1", {"mode": "turbo"}, "input.mode"),
    ("veo-3-1", {"prompt": DEL}, "input.prompt"),
    ("veo-3-1", {"generationType": "IMAGE_2_VIDEO"},
     "input.generationType"),
    ("veo-3-1", {"image_urls": [IMG]}, "input.image_urls"),
    ("veo-3-1", {"aspect_ratio": "1:1"}, "input.aspect_ratio"),
    ("veo-3-1", {"watermark": True}, "input.watermark"),
    ("veo-3-1", {"seed": -5}, "input.seed"),
    ("veo-3-1", {"seed": 4294967296}, "input.seed"),
    ("veo-3-1-fl", {"image_urls": DEL}, "input.image_urls"),
    ("veo-3-1-fl", {"image_urls": [IMG, IMG, IMG]}, "input.image_urls"),
    ("veo-3-1-ref", {"mode": "quality"}, "input.mode"),
    ("veo-3-1-ref", {"mode": DEL}, "input.mode"),
    ("veo-3-1-ref", {"aspect_ratio": "9:16"}, "input.aspect_ratio"),
    ("veo-3-1-ref", {"image_urls": [IMG] * 4}, "input.image_urls"),
    ("veo-3-1-ref", {"image_urls": DEL}, "input.image_urls"),
    # sora-2-pro
    ("sora-2-pro", {"duration": DEL}, "input.duration"),
    ("sora-2-pro", {"duration": 10}, "input.duration"),
    ("sora-2-pro", {"mode": "video-to-video"}, "input.mode"),
    ("sora-2-pro", {"prompt": DEL}, "input.prompt"),
    ("sora-2-pro", {"size": "1920*1080"}, "input.size"),
    ("sora-2-pro", {"size": "1280x720"}, "input.size"),
    ("sora-2-pro", {"resolution": "720p"}, "input.resolution"),
    ("sora-2-pro", {"image_urls": [IMG]}, "input.image_urls"),
    ("sora-2-pro-i2v", {"size": "1280*720"}, "input.size"),
    ("sora-2-pro-i2v", {"resolution": "480p"}, "input.resolution"),
    ("sora-2-pro-i2v", {"image_urls": DEL}, "input.image_urls"),
    ("sora-2-pro-i2v", {"duration": DEL}, "input.duration"),
    # wan-2-2-animate
    ("wan-2-2-animate", {"mode": "pro"}, "input.mode"),
    ("wan-2-2-animate", {"type": "dance"}, "input.type"),
    ("wan-2-2-animate", {"image_urls": DEL}, "input.image_urls"),
    ("wan-2-2-animate", {"image_urls": [IMG, IMG]}, "input.image_urls"),
    ("wan-2-2-animate", {"video_urls": DEL}, "input.video_urls"),
    ("wan-2-2-animate", {"video_urls": [VID, VID]}, "input.video_urls"),
    ("wan-2-2-animate", {"prompt": ""}, "input.prompt"),
    ("wan-2-2-animate", {"prompt": "  "}, "input.prompt"),
    ("wan-2-2-animate", {"resolution": "1080p"}, "input.resolution"),
    ("wan-2-2-animate", {"seed": -2}, "input.seed"),
    # prompt markers
    ("wan-2-5", {"prompt": "x [sim:bogus=1]"}, "input.prompt"),
    ("wan-2-5", {"prompt": "x [sim:delay=soon]"}, "input.prompt"),
    ("wan-2-5", {"prompt": "x [sim:fail=CONTENT_VIOLATION"},
     "input.prompt"),
    ("wan-2-5", {"prompt": "x [sim:bitrate=0]"}, "input.prompt"),
]

# (base, changes, expected width, height, duration in the task record)
VALID = [
    # page defaults: wan-2-5 from its request template (1080p, 10 s),
    # wan-2-5-video documented (1080p, 5 s, 16:9)
    ("wan-2-5", {"mode": DEL, "resolution": DEL, "duration": DEL},
     1920, 1080, 10),
    ("wan-2-5", {"aspect_ratio": "9:16"}, 720, 1280, 5),
    ("wan-2-5", {"aspect_ratio": "1:1", "seed": 2147483647}, 960, 960, 5),
    ("wan-2-5-video", {"resolution": DEL}, 1920, 1080, 5),
    ("wan-2-5-video", {"aspect_ratio": "4:3"}, 1088, 832, 5),
    ("wan-2-5-video", {"resolution": "1080p", "aspect_ratio": "3:4",
                       "duration": 10}, 1248, 1632, 10),
    ("wan-2-5-video", {"resolution": "480p", "aspect_ratio": "9:16"},
     480, 832, 5),
    ("wan-2-5-video", {"prompt": "x" * 1500 + FAIL,
                       "negative_prompt": "n" * 500}, 1280, 720, 5),
    ("wan-2-5-video", {"prompt": "\u96e8" * 1500 + FAIL, "seed": 0,
                       "watermark": True, "prompt_extend": False},
     1280, 720, 5),
    ("wan-2-5-video", {"audio_urls": [AUD]}, 1280, 720, 5),
    ("veo-3-1", {"mode": DEL, "generationType": DEL}, 1280, 720, 8),
    ("veo-3-1", {"aspect_ratio": "9:16", "watermark": "mine",
                 "seed": 4294967295}, 720, 1280, 8),
    ("veo-3-1-ref", {"image_urls": [IMG] * 3}, 1280, 720, 8),
    ("veo-3-1-fl", {"image_urls": [IMG]}, 1280, 720, 8),
    ("sora-2-pro", {"_provider": DEL, "size": DEL}, 720, 1280, 4),
    ("sora-2-pro", {"size": "1792*1024", "duration": 12}, 1792, 1024, 12),
    ("sora-2-pro", {"size": "1024*1792", "duration": 8}, 1024, 1792, 8),
    ("wan-2-2-animate", {"mode": DEL, "type": DEL, "resolution": DEL,
                         "seed": -1}, 0, 0, 0),
    ("wan-2-2-animate", {"type": "replace", "resolution": "720p",
                         "seed": 0}, 0, 0, 0),
    # unknown fields are ignored, null is "absent"
    ("wan-2-5", {"_extra": {"a": 1}, "future_field": True, "seed": None},
     1280, 720, 5),
    # a prompt made only of markers is a prompt
    ("wan-2-5", {"prompt": FAIL.strip()}, 1280, 720, 5),
]


class Validation(SimTestCase):

    def test_invalid_variants(self):
        before = len(self.sim.tasks())
        for base, changes, field in INVALID:
            body = variant(base, **changes)
            with self.subTest(base=base, changes=repr(changes)[:80]):
                r = self.sim.generate(model_of(base), body)
                self.assertRejected(r, 400, field)
        # nothing was created or charged
        self.assertEqual(len(self.sim.tasks()), before)
        self.assertEqual(self.sim.balance(), 100000)

    def test_valid_variants(self):
        for base, changes, w, h, dur in VALID:
            body = variant(base, **changes)
            with self.subTest(base=base, changes=repr(changes)[:80]):
                task_id = self.sim.submit(model_of(base), body)
                task = self.sim.task(task_id)
                self.assertEqual(task["request"], body)
                if w:
                    self.assertEqual((task["width"], task["height"]), (w, h))
                    self.assertEqual(task["duration"], dur)
                task = self.sim.final(task_id)
                self.assertEqual(task["failCode"], "CONTENT_VIOLATION")

    def test_seed_drawn_when_absent(self):
        ids = [self.sim.submit("wan-2-5", variant("wan-2-5"))
               for _ in range(3)]
        seeds = {self.sim.task(i)["seed"] for i in ids}
        self.assertEqual(len(seeds), 3)
        given = self.sim.submit("wan-2-5", variant("wan-2-5", seed=99))
        self.assertEqual(self.sim.task(given)["seed"], 99)

    def test_bad_bodies(self):
        path = "/api/v1/generateTask/wan-2-5"
        for raw, field in [(b"{", "Invalid JSON"), (b"", "Invalid JSON"),
                           (b"[1, 2]", "JSON object"),
                           (b"\xff\xfe{}", "Invalid JSON"),
                           (b"[" * 10000, "Invalid JSON")]:
            with self.subTest(raw=raw[:20]):
                r = self.sim.request("POST", path, raw=raw)
                self.assertRejected(r, 400, field)
        r = self.sim.request("POST", path, raw=json.dumps(
            BASE["wan-2-5"]).encode(), headers={"Content-Type": "text/plain"})
        self.assertRejected(r, 400, "Content-Type")
        r = self.sim.request("GET", path)
        self.assertRejected(r, 405, "POST")
        # bounded bodies: over 1 MiB refused before it is read
        r = self.sim.request("POST", path, raw=b" " * (1024 * 1024 + 1))
        self.assertRejected(r, 413, "too large")
        self.assertEqual(self.sim.count("generate", 413), 1)

    def test_chunked_body_refused(self):
        import http.client
        conn = http.client.HTTPConnection(self.sim.host, self.sim.port,
                                          timeout=30)
        conn.putrequest("POST", "/api/v1/generateTask/wan-2-5")
        conn.putheader("Authorization", "Bearer k")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        conn.send(b"2\r\n{}\r\n0\r\n\r\n")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 411)
        conn.close()

    def test_auth(self):
        body = BASE["wan-2-5"]
        for headers in ({}, {"Authorization": "Bearer "},
                        {"Authorization": "Basic dXNlcjpwYXNz"},
                        {"Authorization": "Bearer"}):
            with self.subTest(headers=headers):
                r = self.sim.generate("wan-2-5", body, key=None,
                                      headers=headers)
                self.assertRejected(r, 401, "API Key")
                r = self.sim.request("GET", "/api/v1/statusTask/wan-2-5"
                                     "?taskId=task_x", key=None,
                                     headers=headers)
                self.assertEqual(r.status, 401)
                r = self.sim.request("GET",
                                     "/api/v1/apikeys/current-balance",
                                     key=None, headers=headers)
                self.assertEqual(r.status, 401)

    def test_not_found(self):
        r = self.sim.generate("wan-9", BASE["wan-2-5"])
        self.assertRejected(r, 404, "Model")
        r = self.sim.status("wan-9", "task_x")
        self.assertRejected(r, 404, "Model")
        r = self.sim.status("wan-2-5", "task_unknown")
        self.assertRejected(r, 404, "Task")
        r = self.sim.request("GET", "/api/v1/statusTask/wan-2-5")
        self.assertRejected(r, 400, "taskId")
        r = self.sim.request("GET", "/api/v1/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["code"], 404)

    def test_task_scoped_to_model_and_key(self):
        task_id = self.sim.submit("wan-2-5", BASE["wan-2-5"])
        self.assertEqual(self.sim.status("wan-2-5", task_id).status, 200)
        self.assertEqual(self.sim.status("veo-3-1", task_id).status, 404)
        self.assertEqual(self.sim.status("wan-2-5", task_id,
                                         key="other").status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
