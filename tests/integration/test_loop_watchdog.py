"""--loop-lag-warn: an app that blocks its event loop (crab_app's /block sleeps on the loop's
thread) gets one warning naming the loop, the request and how long, seen from a thread outside
the loop, even while the loop is still blocked; an app that waits asynchronously (/slow) does not.
0 turns the watchdog off."""

import threading
import time
import unittest

from support import Reader, Server, request


class LoopWatchdogTest(unittest.TestCase):
    def start(self, *args):
        server = Server("crab_app", *args)
        self.addCleanup(server.kill)
        server.start()
        return server

    def get(self, server, path, results=None):
        with Reader(server.connect(timeout=15)) as reader:
            reader.send(request("GET", path, [("Connection", "close")]))
            response = reader.read_response()
        if results is not None:
            results.append(response.status)
        return response

    def test_blocking_request_is_named_while_it_blocks(self):
        server = self.start("--loop-lag-warn", "200")
        results = []
        client = threading.Thread(target=self.get, args=(server, "/block?seconds=1.5", results))
        client.start()
        line = server.wait_for_stderr(r"Event loop 1 is blocked: it has not come back for "
                                      r"0\.\d\d s, running app code for GET /block\?seconds=1\.5",
                                      1.2)
        self.assertIsNotNone(line, server.stderr_text())  # reported before the loop came back
        client.join(10)
        self.assertEqual(results, [200])
        self.assertIsNotNone(server.wait_for_stderr(r"Event loop 1 runs again after 1\.\d\d s", 3),
                             server.stderr_text())
        self.assertEqual(sum("is blocked" in l for l in server.stderr_lines()), 1)

    def test_waiting_asynchronously_is_not_reported(self):
        server = self.start("--loop-lag-warn", "100")
        self.assertEqual(self.get(server, "/slow?seconds=0.6").status, 200)
        self.assertEqual(self.get(server, "/compute?digits=3000").status, 200)
        time.sleep(0.3)
        self.assertNotIn("is blocked", server.stderr_text())

    def test_zero_turns_it_off(self):
        server = self.start("--loop-lag-warn", "0")
        self.assertEqual(self.get(server, "/block?seconds=0.5").status, 200)
        time.sleep(0.2)
        self.assertNotIn("is blocked", server.stderr_text())

    def test_other_requests_label_is_not_blamed(self):
        server = self.start("--loop-lag-warn", "150")
        for _ in range(5):
            self.assertEqual(self.get(server, "/crabs").status, 200)
        self.assertEqual(self.get(server, "/block?seconds=0.6").status, 200)
        line = server.wait_for_stderr("is blocked", 2)
        self.assertIsNotNone(line)
        self.assertIn("GET /block?seconds=0.6", line)


if __name__ == "__main__":
    unittest.main()
