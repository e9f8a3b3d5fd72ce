# Fault injection (POST /__sim/faults) on the generate, status and result
# routes: HTTP statuses with the envelope (and Retry-After), connections
# dropped before or after processing (reset-after on generate: the task
# exists although the client saw no answer), slow answers, truncated
# bodies, malformed JSON; counts, model filters and order.
# SPDX-License-Identifier: LGPL-2.1-or-later

import http.client
import json
import socket
import time
import unittest

import simapi
from simapi import SimTestCase

BODY = {"input": {"mode": "text-to-video", "prompt": "faults",
                  "resolution": "720p", "duration": 5, "seed": 31}}
DROPPED = (ConnectionError, http.client.RemoteDisconnected,
           http.client.IncompleteRead)


def raw_exchange(host, port, request):
    """Sends raw bytes, reads to EOF: (status, headers, body)."""
    s = socket.create_connection((host, port), timeout=simapi.WAIT)
    try:
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


class Faults(SimTestCase):

    def ntasks(self):
        return len(self.sim.tasks())

    def generate_raw(self):
        raw = json.dumps(BODY).encode()
        req = (b"POST /api/v1/generateTask/wan-2-5 HTTP/1.1\r\n"
               b"Host: x\r\nConnection: close\r\nAuthorization: Bearer " + simapi.KEY.encode() +
               b"\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % len(raw)) + raw
        return raw_exchange(self.sim.host, self.sim.port, req)

    def test_status_codes(self):
        for code in (402, 403, 429, 500, 502, 503, 504):
            for route in ("generate", "status"):
                with self.subTest(code=code, route=route):
                    n = self.ntasks()
                    self.sim.fault(route, code)
                    if route == "generate":
                        r = self.sim.generate("wan-2-5", BODY)
                    else:
                        r = self.sim.status("wan-2-5", "task_x")
                    self.assertEqual(r.status, code)
                    env = r.json()
                    self.assertEqual(env["code"], code)
                    self.assertIsNone(env["data"])
                    if code in (429, 503):
                        self.assertEqual(r.headers["Retry-After"], "1")
                    else:
                        self.assertIsNone(r.headers.get("Retry-After"))
                    self.assertEqual(self.ntasks(), n)
        # the fault's number given as a string, and its own Retry-After
        self.sim.fault("generate", "503", retry_after=7)
        r = self.sim.generate("wan-2-5", BODY)
        self.assertEqual((r.status, r.headers["Retry-After"]), (503, "7"))

    def test_reset_before(self):
        n = self.ntasks()
        drops = self.sim.count("generate", 0)
        self.sim.fault("generate", "reset-before")
        with self.assertRaises(DROPPED):
            self.sim.generate("wan-2-5", BODY)
        self.assertEqual(self.ntasks(), n)
        self.assertEqual(self.sim.count("generate", 0), drops + 1)
        # the next request is served normally
        self.sim.submit("wan-2-5", BODY)
        self.assertEqual(self.ntasks(), n + 1)

    def test_reset_after_creates_the_task(self):
        n = self.ntasks()
        balance = self.sim.balance()
        self.sim.fault("generate", "reset-after")
        with self.assertRaises(DROPPED):
            self.sim.generate("wan-2-5", BODY)
        # the double-billing trap: a task exists and was charged
        self.assertEqual(self.ntasks(), n + 1)
        self.assertAlmostEqual(self.sim.balance(), balance - 0.5, places=6)
        status, headers, body = self.generate_raw()  # no fault left
        self.assertEqual(status, 200)

    def test_slow(self):
        self.sim.fault("generate", "slow", delay=0.6)
        t0 = time.monotonic()
        task_id = self.sim.submit("wan-2-5", BODY)
        self.assertGreaterEqual(time.monotonic() - t0, 0.6)
        self.assertIsNotNone(self.sim.task(task_id))

    def test_truncate(self):
        n = self.ntasks()
        self.sim.fault("generate", "truncate")
        status, headers, body = self.generate_raw()
        self.assertEqual(status, 200)
        self.assertLess(len(body), int(headers["content-length"]))
        self.assertEqual(headers["connection"], "close")
        self.assertEqual(self.ntasks(), n + 1)
        self.sim.fault("generate", "truncate")
        with self.assertRaises(DROPPED):
            self.sim.generate("wan-2-5", BODY)

    def test_malformed_json(self):
        n = self.ntasks()
        self.sim.fault("generate", "malformed-json")
        r = self.sim.generate("wan-2-5", BODY)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        with self.assertRaises(ValueError):
            json.loads(r.body)
        self.assertEqual(self.ntasks(), n + 1)

    def test_status_route(self):
        task_id = self.sim.submit("wan-2-5", BODY)
        self.sim.fault("status", "reset-after")
        with self.assertRaises(DROPPED):
            self.sim.status("wan-2-5", task_id)
        self.assertEqual(self.sim.task(task_id)["statusPolls"], 1)
        self.sim.fault("status", "reset-before")
        with self.assertRaises(DROPPED):
            self.sim.status("wan-2-5", task_id)
        self.assertEqual(self.sim.task(task_id)["statusPolls"], 1)
        self.sim.fault("status", "malformed-json")
        with self.assertRaises(ValueError):
            self.sim.status("wan-2-5", task_id).json()
        self.assertEqual(self.sim.status("wan-2-5", task_id).status, 200)

    def test_count_order_and_model(self):
        self.sim.fault("generate", 500, count=2)
        self.sim.fault("generate", 502)
        self.sim.fault("generate", 504, model="veo-3-1")
        codes = [self.sim.generate("wan-2-5", BODY).status for _ in range(4)]
        self.assertEqual(codes, [500, 500, 502, 200])
        faults = self.sim.ctl("GET", "faults")["faults"]
        self.assertEqual(len(faults), 1)
        self.assertEqual(faults[0]["model"], "veo-3-1")
        r = self.sim.generate("veo-3-1", {"input": {"prompt": "x"}})
        self.assertEqual(r.status, 504)
        self.assertEqual(self.sim.ctl("GET", "faults")["faults"], [])

    def test_bad_fault_requests(self):
        for body in ({"route": "generate", "fault": "explode"},
                     {"route": "upload", "fault": 500},
                     {"route": "generate", "fault": 418},
                     {"route": "generate", "fault": 500, "count": 0},
                     {"route": "generate", "fault": 500, "model": "x"},
                     {"fault": 500}):
            with self.subTest(body=body):
                r = self.sim.request("POST", "/__sim/faults", body, key=None)
                self.assertEqual(r.status, 400, r)
                self.assertIn("error", r.json())


class ResultFaults(SimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.url = cls.sim.final_result_url("wan-2-5", BODY)
        cls.full = cls.sim.get(cls.url).body
        cls.path = cls.url.split("/", 3)[3]

    def raw_get(self, extra=b""):
        req = (b"GET /" + self.path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
               b"Connection: close\r\n" + extra + b"\r\n")
        return raw_exchange(self.sim.host, self.sim.port, req)

    def test_dropped_mid_body_then_resumed(self):
        complete = self.sim.count("result-complete")
        self.sim.fault("result", "truncate")
        status, headers, body = self.raw_get()
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["content-length"]), len(self.full))
        self.assertGreater(len(body), 0)
        self.assertLess(len(body), len(self.full))
        self.assertEqual(body, self.full[:len(body)])
        # resume from where it stopped
        status, headers, rest = self.raw_get(
            b"Range: bytes=%d-\r\n" % len(body))
        self.assertEqual(status, 206)
        self.assertEqual(body + rest, self.full)
        self.assertTrue(self.sim.wait(route="result-complete",
                                      count=complete + 1))
        self.assertEqual(self.sim.count("result-complete"), complete + 1)

    def test_truncated_range(self):
        self.sim.fault("result", "truncate")
        status, headers, body = self.raw_get(b"Range: bytes=100-\r\n")
        self.assertEqual(status, 206)
        self.assertEqual(int(headers["content-length"]), len(self.full) - 100)
        self.assertLess(len(body), len(self.full) - 100)
        self.assertEqual(body, self.full[100:100 + len(body)])

    def test_other_kinds(self):
        self.sim.fault("result", "reset-before")
        with self.assertRaises(DROPPED):
            self.sim.get(self.url)
        self.sim.fault("result", 503)
        r = self.sim.get(self.url)
        self.assertEqual((r.status, r.headers["Retry-After"]), (503, "1"))
        self.sim.fault("result", "slow", delay=0.4)
        t0 = time.monotonic()
        r = self.sim.get(self.url)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)
        self.assertEqual(r.body, self.full)
        self.sim.fault("result", "malformed-json")
        r = self.sim.get(self.url)
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.body[:len(r.body)], self.full[:len(r.body)])
        self.assertEqual(self.sim.get(self.url).body, self.full)


if __name__ == "__main__":
    unittest.main(verbosity=2)
