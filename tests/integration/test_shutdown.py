"""Graceful shutdown: SIGTERM/SIGINT never lose an accepted request, and are always bounded."""

import errno
import signal
import socket
import threading
import time
import unittest

from support import HOST, Server, Reader, connect


def slow_request(port, seconds, results, index, keep_alive=False):
    """GET /slow on crab_app; stores (status, headers) or the exception in results[index]."""
    try:
        with Reader(connect(port, timeout=30)) as r:
            conn = b"" if keep_alive else b"Connection: close\r\n"
            r.send(b"GET /slow?seconds=%s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (str(seconds).encode(), conn))
            resp = r.read_response()
            results[index] = (resp.status, dict(resp.headers))
    except Exception as e:  # recorded, asserted by the test
        results[index] = e


class GracefulShutdown(unittest.TestCase):
    def start(self, *args):
        server = Server("crab_app", *args)
        self.addCleanup(server.kill)
        return server.start()

    def test_sigterm_during_100_slow_requests_loses_none(self):
        server = self.start()
        results = [None] * 100
        threads = [threading.Thread(target=slow_request, args=(server.port, 1.5, results, i))
                   for i in range(100)]
        for t in threads:
            t.start()
        # wait until every request has reached the app (each is logged when it starts responding:
        # not yet), so give the connections a moment to be accepted
        time.sleep(0.7)
        server.signal(signal.SIGTERM)
        for t in threads:
            t.join(30)
        self.assertEqual(server.wait(), 0)
        statuses = [r[0] if isinstance(r, tuple) else r for r in results]
        self.assertEqual(statuses, [200] * 100)
        log = server.stderr_text()
        for line in ("Shutting down", "Waiting for connections to close.", "Finished server process"):
            self.assertIn(line, log)

    def test_new_connections_are_refused_and_idle_ones_closed_at_once(self):
        server = self.start()
        idle = Reader(connect(server.port))
        idle.send(b"GET /crabs HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(idle.read_response().status, 200)  # now idle, keep-alive
        results = [None]
        busy = threading.Thread(target=slow_request, args=(server.port, 2, results, 0, True))
        busy.start()
        time.sleep(0.5)
        server.signal(signal.SIGTERM)
        started = time.monotonic()
        self.assertEqual(idle.read_until_close(timeout=5), b"")  # closed without a byte
        self.assertLess(time.monotonic() - started, 1.5)
        time.sleep(0.3)
        with self.assertRaises(OSError) as refused:
            socket.create_connection((HOST, server.port), timeout=2)
        self.assertEqual(refused.exception.errno, errno.ECONNREFUSED)
        busy.join(30)
        status, headers = results[0]
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("connection"), "close", "in-flight keep-alive responses say close")
        self.assertEqual(server.wait(), 0)

    def test_request_outliving_the_graceful_timeout_is_cancelled_and_exit_is_bounded(self):
        server = self.start("--timeout-graceful-shutdown", "1")
        results = [None]
        t = threading.Thread(target=slow_request, args=(server.port, 20, results, 0))
        t.start()
        time.sleep(0.5)
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        self.assertEqual(server.wait(), 0)
        self.assertLess(time.monotonic() - started, 6)
        t.join(10)
        self.assertEqual(results[0][0], 500, "an app cancelled before its response start gets a 500")
        self.assertIn("timeout graceful shutdown exceeded", server.stderr_text())

    def test_second_sigint_forces_an_immediate_exit(self):
        server = self.start("--timeout-graceful-shutdown", "30")
        results = [None]
        t = threading.Thread(target=slow_request, args=(server.port, 20, results, 0))
        t.start()
        time.sleep(0.5)
        server.signal(signal.SIGINT)
        server.wait_for_stderr("Waiting for connections to close", 5)
        started = time.monotonic()
        server.signal(signal.SIGINT)
        self.assertEqual(server.wait(), 1)
        self.assertLess(time.monotonic() - started, 3)
        t.join(10)

    def test_second_sigterm_does_not_cut_the_drain_short(self):
        # systemd signals every process of a service, and a supervisor its workers once more.
        server = self.start("--timeout-graceful-shutdown", "30")
        results = [None]
        t = threading.Thread(target=slow_request, args=(server.port, 1.5, results, 0))
        t.start()
        time.sleep(0.5)
        server.signal(signal.SIGTERM)
        server.wait_for_stderr("Waiting for connections to close", 5)
        server.signal(signal.SIGTERM)
        self.assertEqual(server.wait(), 0)
        t.join(10)
        self.assertEqual(results[0][0], 200)
        self.assertNotIn("Forced exit", server.stderr_text())


if __name__ == "__main__":
    unittest.main()
