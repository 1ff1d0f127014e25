"""SIGHUP without worker processes: the server keeps serving (a request in flight completes, new
ones are answered) and says in one log line that there was nothing to reload. Unhandled, SIGHUP
would kill it at once and drop the request."""

import signal
import threading
import time
import unittest

from support import Reader, Server, connect, request


class Sighup(unittest.TestCase):
    def test_sighup_reloads_nothing_and_drops_nothing(self):
        server = Server("crab_app").start()
        self.addCleanup(server.kill)
        result = {}

        def slow():
            with Reader(connect(server.port, timeout=10)) as r:
                r.send(request("GET", "/slow?seconds=0.5"))
                result["status"] = r.read_response().status

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.2)  # the slow request is in the app
        mark = server.stderr_mark()
        server.signal(signal.SIGHUP)
        line = server.wait_for_stderr(r"Received SIGHUP: nothing to reload", start=mark)
        self.assertIsNotNone(line, server.stderr_text())
        thread.join(10)
        self.assertEqual(result.get("status"), 200)
        self.assertTrue(server.alive())
        with Reader(server.connect()) as r:
            r.send(request("GET", "/"))
            self.assertEqual(r.read_response().status, 200)
        server.signal(signal.SIGTERM)
        self.assertEqual(server.wait(), 0)


if __name__ == "__main__":
    unittest.main()
