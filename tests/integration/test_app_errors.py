"""Apps that misbehave (testing app): exceptions, missing or unfinished responses, invalid status or
headers, Content-Length mismatches. The client always gets a well-formed 500 or a closed
connection, never a corrupt keep-alive stream; the server logs the problem and keeps serving."""

import re
import time
import unittest

from support import ConnectionClosed, ServerTestCase, request

INTERNAL_ERROR = b"HTTP/1.1 500 Internal Server Error\r\n"


class AppErrorsTest(ServerTestCase):
    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")])

    def get_500(self, path):
        """GETs `path` and checks the answer is a complete 500 with connection: close, followed
        by the server closing. Returns (response, every byte received)."""
        r = self.reader()
        r.send(request("GET", path))
        resp = r.read_response()
        self.assertTrue(resp.raw.startswith(INTERNAL_ERROR), resp.raw)
        self.assertEqual(resp.header("connection"), "close")
        self.assertEqual(resp.body, b"Internal Server Error")
        rest = r.read_until_close(5)
        self.assertEqual(rest, b"")
        return resp, resp.raw + rest

    def test_exception_before_start_gives_500(self):
        """An exception before any send: 500, connection: close, and the exception is logged."""
        mark = self.server.stderr_mark()
        self.get_500("/raise-before-start")
        line = self.server.wait_for_stderr("Exception in ASGI application", 3, start=mark)
        self.assertIsNotNone(line, self.server.stderr_text())
        self.assertTrue(line.startswith("ERROR:"), line)
        self.assertIsNotNone(self.server.wait_for_stderr("raised before start", 3, start=mark))
        self.assertServerHealthy()

    def test_exception_after_start_aborts_response(self):
        """An exception mid-stream: the head and the first chunk arrive, then the connection is
        closed without the terminating 0-chunk, so the client sees a truncated response."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(request("GET", "/raise-after-start"))
        with self.assertRaises(ConnectionClosed) as ctx:
            r.read_response()
        data = ctx.exception.data
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), data)
        self.assertIn(b"\r\n\r\n7\r\npartial\r\n", data)
        self.assertFalse(data.endswith(b"0\r\n\r\n"), data)
        self.assertIsNotNone(
            self.server.wait_for_stderr("Exception in ASGI application", 3, start=mark),
            self.server.stderr_text())
        self.assertServerHealthy()

    def test_no_response_gives_500(self):
        """An app that returns without sending anything: 500, and the Uvicorn log message."""
        mark = self.server.stderr_mark()
        self.get_500("/no-response")
        self.assertIsNotNone(
            self.server.wait_for_stderr(r"ASGI callable returned without starting response\.", 3,
                                        start=mark),
            self.server.stderr_text())
        self.assertServerHealthy()

    def test_incomplete_response_closes_connection(self):
        """An app that returns after a more_body=True chunk: the connection is closed (no
        0-chunk) and the log says the response was not completed."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(request("GET", "/incomplete"))
        with self.assertRaises(ConnectionClosed) as ctx:
            r.read_response()
        self.assertTrue(ctx.exception.data.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertFalse(ctx.exception.data.endswith(b"0\r\n\r\n"), ctx.exception.data)
        self.assertIsNotNone(
            self.server.wait_for_stderr("returned without completing response", 3, start=mark),
            self.server.stderr_text())
        self.assertServerHealthy()

    def test_header_injection_refused(self):
        """A header value with CR LF: 500, and `Set-Cookie: pwn` appears nowhere on the wire."""
        _, data = self.get_500("/bad-header")
        self.assertNotIn(b"pwn", data)
        self.assertNotIn(b"bad header", data)
        self.assertServerHealthy()

    def test_invalid_status_gives_500(self):
        """Status 1000: 500 instead."""
        _, data = self.get_500("/bad-status")
        self.assertNotIn(b"1000", data)
        self.assertServerHealthy()

    def check_length_mismatch(self, path):
        """Pipelines `path` and a second request: the second must get no response at all (a
        keep-alive continuation could start inside a body), and the connection closes. The first
        may be a 500, a truncated response, or nothing (the spec only demands the close)."""
        r = self.reader()
        self.client_port = r.sock.getsockname()[1]  # names this request's access line
        r.send(request("GET", path) + request("GET", "/stream?chunks=1&delay_ms=0"))
        data = r.read_until_close(5)
        self.assertLessEqual(data.count(b"HTTP/1.1 "), 1, data)
        self.assertNotIn(b"chunk-0", data)
        if not data or data.startswith(INTERNAL_ERROR):
            return data
        # The head went out: the body must never exceed what content-length announced.
        head, _, body = data.partition(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        self.assertEqual(len(length), 1, head)
        self.assertLessEqual(len(body), length[0], data)
        return data

    def test_body_longer_than_content_length(self):
        """content-length: 3 with body "abcdef": never more than 3 body bytes, then close."""
        data = self.check_length_mismatch("/cl-longer")
        self.assertNotIn(b"def", data)
        self.assertServerHealthy()

    def test_replaced_response_logs_one_access_line(self):
        """A first body that breaks the app's content-length never renders the app's head: the
        client gets the 500, and the access log has that one line, not a 200 before it."""
        # Only this connection's lines: access lines are written when an exchange ends, by a
        # thread of their own, so an earlier test's /cl-longer line may land after the mark.
        mark = self.server.stdout_mark()
        self.check_length_mismatch("/cl-longer")
        client = "127.0.0.1:%d " % self.client_port
        self.assertIsNotNone(self.server.wait_for_stdout(re.escape(client), 5, mark))
        time.sleep(0.2)  # a second line, if any, comes right after the first
        lines = [line for line in self.server.stdout_lines()[mark:]
                 if client in line and "/cl-longer" in line]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('"GET /cl-longer HTTP/1.1" 500 Internal Server Error', lines[0])

    def test_body_shorter_than_content_length(self):
        """content-length: 10 with body "abc": the connection closes (the client sees a short
        body), and nothing else is sent on it."""
        self.check_length_mismatch("/cl-shorter")
        self.assertServerHealthy()


if __name__ == "__main__":
    unittest.main()
