"""Lifespan: startup before serving, state shared with requests, failures exit 3, bounded waits."""

import json
import time
import unittest

from support import Server, Reader, testing_binary


def get_json(server, path="/"):
    with Reader(server.connect()) as r:
        r.send(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path.encode())
        resp = r.read_response()
    assert resp.status == 200, resp
    return json.loads(resp.body)


class LifespanState(unittest.TestCase):
    def test_startup_state_is_visible_in_every_request_as_a_shallow_copy(self):
        server = Server("lifespan_state", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        log = server.stderr_text()
        self.assertIn("Waiting for application startup.", log)
        self.assertIn("Application startup complete.", log)
        # startup completes before the banner: nothing is served before it
        self.assertLess(log.index("Application startup complete."), log.index("asgiserver running on"))
        first, second = get_json(server), get_json(server)
        self.assertEqual(first["answer"], 42)
        self.assertEqual(second["answer"], 42, "a request rebinding a key must not change the next")
        self.assertEqual((first["count"], second["count"]), (1, 2), "shared objects are shared")
        server.signal(2)
        self.assertEqual(server.wait(), 0)
        log = server.stderr_text()
        self.assertIn("lifespan_state: shutdown received", log)
        self.assertIn("Application shutdown complete.", log)
        self.assertLess(log.index("Application shutdown complete."), log.index("Finished server process"))

    def test_lifespan_off_sends_no_lifespan_events(self):
        server = Server("lifespan_state", "--lifespan", "off", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        self.assertNotIn("Waiting for application startup.", server.stderr_text())
        self.assertEqual(get_json(server)["answer"], None)


class CrabAppState(unittest.TestCase):
    def test_crab_facts_loaded_at_startup_reach_requests(self):
        server = Server("crab_app")
        self.addCleanup(server.kill)
        server.start()
        facts = get_json(server, "/facts")["facts"]
        self.assertGreaterEqual(len(facts), 3)
        self.assertTrue(all("rab" in fact for fact in facts), facts)

    def test_without_lifespan_the_facts_are_missing(self):
        server = Server("crab_app", "--lifespan", "off")
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as r:
            r.send(b"GET /facts HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            self.assertEqual(r.read_response().status, 503)


class LifespanFailures(unittest.TestCase):
    def run_to_exit(self, app, *args, timeout=15):
        server = Server(app, *args, binary=testing_binary())
        self.addCleanup(server.kill)
        server.proc = None
        import subprocess
        started = time.monotonic()
        proc = subprocess.run(server.argv, capture_output=True, timeout=timeout)
        return proc.returncode, proc.stderr.decode(), time.monotonic() - started

    def test_startup_failed_exits_3_with_the_message(self):
        code, err, _ = self.run_to_exit("lifespan_failed")
        self.assertEqual(code, 3, err)
        self.assertIn("boom: the crab database is unreachable", err)
        self.assertIn("Application startup failed. Exiting.", err)
        self.assertNotIn("asgiserver running on", err)

    def test_raising_app_with_lifespan_on_is_a_startup_failure(self):
        code, err, _ = self.run_to_exit("lifespan_raises", "--lifespan", "on")
        self.assertEqual(code, 3, err)
        self.assertIn("lifespan is not for me", err)

    def test_raising_app_with_lifespan_auto_is_served(self):
        server = Server("lifespan_raises", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        self.assertIn("ASGI 'lifespan' protocol appears unsupported.", server.stderr_text())
        self.assertEqual(get_json(server), {"served": True})
        server.signal(15)
        self.assertEqual(server.wait(), 0)
        self.assertNotIn("Waiting for application shutdown.", server.stderr_text())

    def test_hanging_startup_is_bounded(self):
        code, err, elapsed = self.run_to_exit("lifespan_hangs", "--timeout-lifespan-startup", "1")
        self.assertEqual(code, 3, err)
        self.assertIn("Application startup failed. Exiting.", err)
        self.assertLess(elapsed, 8)

    def test_hanging_shutdown_is_bounded(self):
        server = Server("lifespan_slow_shutdown", "--timeout-lifespan-shutdown", "1",
                        binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        started = time.monotonic()
        server.signal(15)
        self.assertEqual(server.wait(), 0)
        self.assertLess(time.monotonic() - started, 8)
        self.assertIn("Application shutdown did not complete", server.stderr_text())


if __name__ == "__main__":
    unittest.main()
