# Result serving: Content-Length, ETag, Last-Modified, HEAD, single HTTP
# ranges (206/416), resume, If-Range; expiry after --result-ttl on the sim
# clock moved by /__sim/advance; counters of complete bodies and of result
# requests that (wrongly) carry an Authorization header.
# SPDX-License-Identifier: LGPL-2.1-or-later

import unittest

import simapi
from simapi import Sim, SimTestCase

BODY = {"input": {"mode": "text-to-video", "prompt": "results",
                  "resolution": "720p", "duration": 5, "seed": 77}}


class Results(SimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.url = cls.sim.final_result_url("wan-2-5", BODY)
        r = cls.sim.get(cls.url)
        assert r.status == 200, r
        cls.full = r.body
        cls.etag = r.headers["ETag"]

    def get(self, **headers):
        return self.sim.get(self.url, headers)

    def test_full_and_head(self):
        r = self.get()
        size = len(self.full)
        self.assertGreater(size, 1000)
        self.assertEqual(r.headers["Content-Type"], "video/mp4")
        self.assertEqual(int(r.headers["Content-Length"]), size)
        self.assertEqual(r.headers["Accept-Ranges"], "bytes")
        self.assertRegex(r.headers["ETag"], r'^"[0-9a-f]+"$')
        self.assertTrue(r.headers["Last-Modified"].endswith("GMT"))
        self.assertEqual(r.body, self.full)
        h = self.sim.get(self.url, method="HEAD")
        self.assertEqual(h.status, 200)
        self.assertEqual(h.body, b"")
        self.assertEqual(int(h.headers["Content-Length"]), size)
        self.assertEqual(h.headers["ETag"], self.etag)

    def test_ranges(self):
        size = len(self.full)
        cases = [("bytes=0-99", 0, 99), ("bytes=100-", 100, size - 1),
                 ("bytes=-50", size - 50, size - 1),
                 ("bytes=%d-%d" % (size - 10, size + 100), size - 10,
                  size - 1),
                 ("bytes=5-5", 5, 5)]
        for spec, a, b in cases:
            with self.subTest(range=spec):
                r = self.get(Range=spec)
                self.assertEqual(r.status, 206, r)
                self.assertEqual(r.headers["Content-Range"],
                                 "bytes %d-%d/%d" % (a, b, size))
                self.assertEqual(int(r.headers["Content-Length"]), b - a + 1)
                self.assertEqual(r.body, self.full[a:b + 1])
        for spec in ("bytes=%d-" % size, "bytes=%d-%d" % (size + 5, size + 9),
                     "bytes=-0"):
            with self.subTest(range=spec):
                r = self.get(Range=spec)
                self.assertEqual(r.status, 416, r)
                self.assertEqual(r.headers["Content-Range"],
                                 "bytes */%d" % size)
        # several ranges, or a malformed one: the whole file
        for spec in ("bytes=0-1,5-6", "bytes=abc", "items=0-1"):
            with self.subTest(range=spec):
                r = self.get(Range=spec)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, self.full)

    def test_resume(self):
        first = self.get(Range="bytes=0-999").body
        rest = self.get(Range="bytes=1000-", **{"If-Range": self.etag})
        self.assertEqual(rest.status, 206)
        self.assertEqual(first + rest.body, self.full)
        # a changed validator: the whole file instead of a wrong splice
        r = self.get(Range="bytes=1000-", **{"If-Range": '"other"'})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, self.full)

    def test_counters(self):
        complete = self.sim.count("result-complete")
        auth = self.sim.count("result-authorization")
        total = self.sim.count("result")
        self.get()
        self.get(Range="bytes=0-9")
        self.sim.get(self.url, method="HEAD")
        self.assertTrue(self.sim.wait(route="result-complete",
                                      count=complete + 2))
        self.assertEqual(self.sim.count("result"), total + 3)
        self.assertEqual(self.sim.count("result-authorization"), auth)
        self.get(Authorization="Bearer " + simapi.KEY)
        self.assertEqual(self.sim.count("result-authorization"), auth + 1)

    def test_unknown_and_methods(self):
        base = self.url.rsplit("/", 1)[0]
        self.assertEqual(self.sim.get(base + "/" + "0" * 32 + ".mp4").status,
                         404)
        self.assertEqual(self.sim.get(self.url, method="POST").status, 405)


class Expiry(unittest.TestCase):

    def expire(self, sim, url, ttl):
        self.assertEqual(sim.get(url).status, 200)
        sim.ctl("POST", "advance", {"seconds": ttl - 60})
        self.assertEqual(sim.get(url).status, 200)
        sim.ctl("POST", "advance", {"seconds": 61})
        r = sim.get(url)
        self.assertEqual(r.status, 404)
        self.assertEqual(sim.get(url, method="HEAD").status, 404)
        self.assertEqual(sim.get(url, {"Range": "bytes=0-1"}).status, 404)

    def test_default_ttl_24_hours(self):
        # the pages say 15 days and 24 hours: "Plan for the shorter"
        sim = Sim()
        try:
            task = sim.final(sim.submit("wan-2-5", BODY))
            before = task["createTime"]
            self.expire(sim, simapi.result_url(task), 86400)
            # the status still lists the (expired) URL
            data = sim.status("wan-2-5", task["taskId"]).json()["data"]
            self.assertEqual(data["state"], "success")
            # the sim clock also moves the service's timestamps
            later = sim.final(sim.submit("wan-2-5", BODY))
            self.assertGreaterEqual(later["createTime"] - before,
                                    86400 * 1000)
        finally:
            sim.stop()

    def test_result_ttl_option(self):
        sim = Sim("--result-ttl", "120")
        try:
            task = sim.final(sim.submit("wan-2-5", BODY))
            self.expire(sim, simapi.result_url(task), 120)
        finally:
            sim.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
