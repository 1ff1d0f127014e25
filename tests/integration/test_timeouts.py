"""Connection deadlines: the keep-alive timeout (armed from accept and after each response) and the
request-header timeout (an absolute deadline from a request's first byte, answered with 408)."""

import socket
import time
import unittest

from support import ServerTestCase, request

TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\n"


class KeepAliveTimeoutTest(ServerTestCase):
    APP = "hello"
    ARGS = ("--timeout-keep-alive", "1", "--timeout-request-header", "5")

    def test_silent_connection_is_closed_after_keep_alive_timeout(self):
        """A client that connects and sends nothing is closed after ~1 s, without any bytes."""
        r = self.reader()
        start = time.monotonic()
        r.assert_closed(5)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 3.0)

    def test_idle_connection_after_response_is_closed(self):
        """After a complete response the idle connection is closed after ~1 s."""
        r = self.reader()
        r.send(request("GET", "/"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        start = time.monotonic()
        r.assert_closed(5)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 3.0)

    def test_activity_within_timeout_keeps_connection(self):
        """Requests 0.5 s apart (under the 1 s timeout) keep using the same connection."""
        r = self.reader()
        for _ in range(3):
            r.send(request("GET", "/"))
            self.assertEqual(r.read_response().status, 200)
            time.sleep(0.5)
        r.send(request("GET", "/"))
        self.assertEqual(r.read_response().status, 200)


class DefaultKeepAliveTimeoutTest(ServerTestCase):
    """Without --timeout-keep-alive the server keeps an idle connection for 5 s (Uvicorn's
    default): long enough for a client's next request, short enough not to hoard sockets."""

    APP = "hello"

    def test_idle_connection_is_closed_after_about_five_seconds(self):
        """After a complete response, the idle connection is closed between 4 and 7 s later
        (not earlier: the client may still send; not much later: idle sockets cost)."""
        r = self.reader()
        r.send(request("GET", "/"))
        self.assertEqual(r.read_response().status, 200)
        start = time.monotonic()
        r.assert_closed(7.5)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 4.0)
        self.assertLess(elapsed, 7.0)


class RequestHeaderTimeoutTest(ServerTestCase):
    APP = "hello"
    ARGS = ("--timeout-keep-alive", "1", "--timeout-request-header", "1")

    def test_stalled_partial_head_gets_408_then_close(self):
        """A head that stops half-way is answered `408 Request Timeout` and closed after ~1 s."""
        r = self.reader()
        start = time.monotonic()
        r.send(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Partial: ")
        resp = r.read_response()
        elapsed = time.monotonic() - start
        self.assertTrue(resp.raw.startswith(TIMEOUT_408), resp.raw)
        self.assertEqual(resp.header("connection"), "close")
        r.assert_closed(5)
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 3.0)
        self.assertServerHealthy()

    def test_slowloris_is_cut_at_absolute_deadline(self):
        """A header line every 0.3 s does not extend the deadline: 408 arrives ~1 s after the
        first byte, although bytes keep arriving."""
        sock = self.connect()
        sock.settimeout(0.3)
        start = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        received = b""
        closed_at = None
        i = 0
        while time.monotonic() - start < 8:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                data = None
            except ConnectionResetError:
                data = b""
            if data == b"":
                closed_at = time.monotonic()
                break
            if data:
                received += data
                continue
            try:
                sock.sendall(b"X-Drip-%d: %s\r\n" % (i, b"a" * 10))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server closed on us; the next recv sees it
            i += 1
        self.assertIsNotNone(closed_at, "server never cut the slowloris client")
        self.assertTrue(received.startswith(TIMEOUT_408), received)
        self.assertLess(closed_at - start, 3.0)
        self.assertGreaterEqual(closed_at - start, 0.8)
        self.assertServerHealthy()

    def test_408_is_logged(self):
        """The header timeout leaves a line in the server log naming the timeout."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(b"GET / HTTP/1.1\r\n")
        resp = r.read_response()
        self.assertEqual(resp.status, 408)
        self.assertIsNotNone(self.server.wait_for_stderr(r"(?i)timeout", 3, start=mark),
                             self.server.stderr_text())


if __name__ == "__main__":
    unittest.main()
