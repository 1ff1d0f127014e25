"""Concurrency on one event loop (crab_app, one worker): waiting requests (/slow) overlap instead of
queueing, and CPU-heavy requests (/compute) run off the loop so quick requests stay quick.

Each test gets its own server: a server that wrongly blocks its loop would otherwise still be
busy with the previous test's requests."""

import json
import threading
import time
import unittest

from support import SANITIZER_REPORT, Reader, Server, request


class ConcurrencyTestCase(unittest.TestCase):
    def setUp(self):
        self.server = Server("crab_app", "--threads", "1")
        self.addCleanup(self.server.kill)
        self.server.start()

    def tearDown(self):
        reports = [l for l in self.server.stderr_lines() if SANITIZER_REPORT.search(l)]
        self.assertEqual(reports, [], self.server.stderr_text())

    def get(self, path, timeout=10):
        """GET `path` on a fresh connection; returns (status, parsed JSON body)."""
        with Reader(self.server.connect(timeout)) as r:
            r.send(request("GET", path, [("Connection", "close")]))
            resp = r.read_response()
        return resp.status, json.loads(resp.body)


class SlowConcurrencyTest(ConcurrencyTestCase):
    def test_hundred_concurrent_slow_requests(self):
        """100 concurrent GET /slow?seconds=1 all answer 200 {"slept": 1.0}, within 3 s total
        (serialised they would take 100 s)."""
        results = [None] * 100

        def worker(i):
            try:
                results[i] = self.get("/slow?seconds=1", timeout=10)
            except Exception as e:  # recorded and reported below
                results[i] = e

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(100)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        elapsed = time.monotonic() - start
        failures = [r for r in results if r != (200, {"slept": 1.0})]
        self.assertEqual(len(failures), 0,
                         "%d of 100 failed, e.g. %r" % (len(failures), failures[:3]))
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 3.0)


class ComputeConcurrencyTest(ConcurrencyTestCase):
    def test_quick_requests_answered_during_compute(self):
        """While /compute?digits=20000 (hundreds of ms of CPU) is in flight, 20 sequential
        GET /crabs all complete, each far faster than the computation, and all before it ends."""
        outcome = {}

        def compute():
            start = time.monotonic()
            try:
                outcome["result"] = self.get("/compute?digits=20000", timeout=30)
            except Exception as e:
                outcome["result"] = e
            outcome["start"], outcome["end"] = start, time.monotonic()

        thread = threading.Thread(target=compute, daemon=True)
        thread.start()
        time.sleep(0.05)  # let the computation begin
        latencies = []
        for _ in range(20):
            t0 = time.monotonic()
            status, crabs = self.get("/crabs")
            latencies.append(time.monotonic() - t0)
            self.assertEqual(status, 200)
            self.assertIsInstance(crabs, list)
        quick_done = time.monotonic()
        thread.join(30)
        status, body = outcome["result"]
        self.assertEqual(status, 200)
        self.assertEqual(body["digits"], 20000)
        self.assertEqual(len(body["pi"]), 20001)
        self.assertTrue(body["pi"].startswith("3.14159265358979"))
        compute_time = outcome["end"] - outcome["start"]
        self.assertLess(quick_done, outcome["end"],
                        "quick requests only finished after the computation (%.3fs); "
                        "latencies %r" % (compute_time, latencies))
        self.assertLess(max(latencies), compute_time / 2, latencies)


if __name__ == "__main__":
    unittest.main()
