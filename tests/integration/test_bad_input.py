"""Malformed, oversized or unsupported requests never reach the app and never crash the server:
each gets one short error response with `connection: close`, then the connection ends; a WARNING
is logged; and a fresh request afterwards is served normally."""

import unittest

from support import Reader, ServerTestCase, chunked, exchange, request

INVALID = "Invalid HTTP request received"


class BadInputTest(ServerTestCase):
    APP = "hello"
    ARGS = ("--limit-request-line", "1024", "--limit-request-head", "4096",
            "--limit-request-body", "1000")

    def reject(self, data, status, reason=None, log=INVALID):
        """Sends `data` and checks the whole exchange: exactly one response with `status`,
        connection: close, a short text body, the close, the log line, and a healthy server
        afterwards. Returns the response."""
        mark = self.server.stderr_mark()
        out_mark = self.server.stdout_mark()
        with Reader(self.server.connect()) as client:
            client_port = client.sock.getsockname()[1]
            client.send(data)
            received = client.read_until_close()
        r = Reader(None)
        r.buf, r.eof = received, True
        resp = r.read_response()
        self.assertEqual(resp.status, status, received)
        if reason:
            self.assertEqual(resp.reason, reason)
        self.assertEqual(resp.version, "1.1")
        self.assertEqual(resp.header("connection"), "close")
        self.assertTrue(resp.header("content-type").startswith("text/plain"), resp.headers)
        self.assertGreater(len(resp.body), 0)
        self.assertLess(len(resp.body), 200)
        self.assertEqual(r.buf, b"", "bytes after the error response: %r" % r.buf)
        self.assertNotIn(b"Hello, world!", received)  # the app never ran
        if log:
            line = self.server.wait_for_stderr(log, 3, start=mark)
            self.assertIsNotNone(line, "no %r log line:\n%s" % (log, self.server.stderr_text()))
            self.assertTrue(line.startswith("WARNING:"), line)
        self.assertServerHealthy()
        # The app was never called, so this client has no access-log line for a 200.
        self.assertFalse([l for l in self.server.stdout_lines()[out_mark:]
                          if "127.0.0.1:%d " % client_port in l and '" 200 ' in l])
        return resp

    # ---- parse errors: 400 ----------------------------------------------------------------------

    def test_invalid_method_character(self):
        """`G?T / HTTP/1.1` -> 400 Bad Request."""
        self.reject(b"G?T / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "Bad Request")

    def test_malformed_version(self):
        """`GET / HTTP1.1` -> 400."""
        self.reject(b"GET / HTTP1.1\r\nHost: localhost\r\n\r\n", 400, "Bad Request")

    def test_bare_lf_line_endings(self):
        """Lines ended by LF alone -> 400 (no lenient parsing)."""
        self.reject(b"GET / HTTP/1.1\nHost: localhost\n\n", 400, "Bad Request")

    def test_space_before_colon(self):
        """`Foo : bar` (whitespace between name and colon) -> 400."""
        self.reject(b"GET / HTTP/1.1\r\nHost: localhost\r\nFoo : bar\r\n\r\n", 400, "Bad Request")

    def test_obs_fold_hiding_content_length(self):
        """An obs-fold line smuggling a Content-Length -> 400 and no response for /bye."""
        data = (b"POST /hello HTTP/1.1\r\nHost: localhost\r\nFoo: bar\r\n Content-Length: 38\r\n\r\n"
                b"GET /bye HTTP/1.1\r\nHost: localhost\r\n\r\n")
        out_mark = self.server.stdout_mark()
        self.reject(data, 400, "Bad Request")
        self.assertFalse([l for l in self.server.stdout_lines()[out_mark:] if "/bye" in l])

    def test_missing_host(self):
        """HTTP/1.1 without Host -> 400."""
        self.reject(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "Bad Request")

    def test_two_host_headers(self):
        """Two Host fields -> 400."""
        self.reject(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Bad Request")

    def test_content_length_and_transfer_encoding(self):
        """Both Content-Length and Transfer-Encoding -> 400 (request smuggling vector)."""
        self.reject(request("POST", "/", [("Content-Length", "5"),
                                          ("Transfer-Encoding", "chunked")], chunked(b"hello")),
                    400, "Bad Request")

    def test_conflicting_content_lengths(self):
        """Two different Content-Length values -> 400."""
        self.reject(request("POST", "/", [("Content-Length", "5"), ("Content-Length", "6")],
                            b"hello!"), 400, "Bad Request")

    def test_smuggled_request_never_answered(self):
        """CL.TE smuggling: POST with both framings, then `GET /admin` in the same packet: at most
        one response, and none for /admin."""
        data = (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        out_mark = self.server.stdout_mark()
        received = exchange(self.server.port, data)
        self.assertLessEqual(received.count(b"HTTP/1.1 "), 1, received)
        self.assertNotIn(b"Hello, world!", received)
        self.assertFalse([l for l in self.server.stdout_lines()[out_mark:] if "/admin" in l])
        self.assertServerHealthy()

    # ---- limits ---------------------------------------------------------------------------------

    def test_request_line_too_long(self):
        """A request line over --limit-request-line (1024) -> 414."""
        self.reject(request("GET", "/" + "a" * 2000), 414)

    def test_head_too_large(self):
        """A head over --limit-request-head (4096) -> 431."""
        headers = [("X-Filler-%d" % i, "v" * 500) for i in range(10)]
        self.reject(request("GET", "/", headers), 431)

    def test_too_many_header_fields(self):
        """More than --limit-request-fields (100 by default) fields -> 431."""
        headers = [("X-%d" % i, "1") for i in range(120)]
        self.reject(request("GET", "/", headers), 431)

    def test_announced_body_too_large(self):
        """Content-Length over --limit-request-body (1000) -> 413, before any body byte is sent."""
        self.reject(request("POST", "/", [("Content-Length", "5000")]), 413)

    # ---- unsupported ----------------------------------------------------------------------------

    def test_unsupported_transfer_coding(self):
        """`Transfer-Encoding: gzip, chunked` -> 501."""
        self.reject(request("POST", "/", [("Transfer-Encoding", "gzip, chunked")], chunked(b"x")),
                    501)

    def test_http2_version(self):
        """`GET / HTTP/2.0` -> 505."""
        self.reject(b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505)

    def test_http12_version(self):
        """`GET / HTTP/1.2` -> 505."""
        self.reject(b"GET / HTTP/1.2\r\nHost: localhost\r\n\r\n", 505)

    def test_connect_method(self):
        """`CONNECT a:443 HTTP/1.1` -> 405."""
        self.reject(b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405)

    def test_garbage_then_valid_request(self):
        """Binary garbage -> 400; the pipelined valid request after it is not answered."""
        self.reject(b"\x00\x01\x02\xff\r\n\r\n" + request("GET", "/"), 400, "Bad Request")


class BodyLimitTest(ServerTestCase):
    """The chunked case needs an app that reads its body (inspect) for the limit to be hit."""

    APP = "inspect"
    ARGS = ("--limit-request-body", "1000")
    HEALTH_REQUEST = request("POST", "/", [("Connection", "close")], b"ping")

    def test_chunked_body_over_limit(self):
        """Chunks adding up to more than --limit-request-body -> 413 with connection: close, then
        the close; a WARNING is logged; the server keeps serving."""
        mark = self.server.stderr_mark()
        received = exchange(self.server.port, request(
            "POST", "/", [("Transfer-Encoding", "chunked")], chunked(b"a" * 800, b"b" * 800)))
        r = Reader(None)
        r.buf, r.eof = received, True
        resp = r.read_response()
        self.assertEqual(resp.status, 413, received)
        self.assertEqual(resp.header("connection"), "close")
        self.assertEqual(r.buf, b"")
        line = self.server.wait_for_stderr("Invalid HTTP request", 3, start=mark)
        self.assertIsNotNone(line, self.server.stderr_text())
        self.assertTrue(line.startswith("WARNING:"), line)
        self.assertServerHealthy()

    def test_announced_body_over_limit(self):
        """Content-Length over the limit -> 413 without the app reading anything."""
        received = exchange(self.server.port, request("POST", "/", [("Content-Length", "1001")]))
        self.assertTrue(received.startswith(b"HTTP/1.1 413 "), received)
        self.assertServerHealthy()

    def test_body_at_limit_accepted(self):
        """Exactly --limit-request-body bytes is allowed."""
        r = self.reader()
        r.send(request("POST", "/", body=b"z" * 1000))
        self.assertEqual(r.read_response().status, 200)


if __name__ == "__main__":
    unittest.main()
