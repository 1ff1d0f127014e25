"""Response framing and default headers: Content-Length or chunked (never both), HEAD without a
body, close-delimited bodies for HTTP/1.0, and the `date` / `server` headers with their switches."""

import time
import unittest
from email.utils import parsedate_to_datetime

from support import IMF_FIXDATE, ServerTestCase, chunked, request


class HelloFramingTest(ServerTestCase):
    APP = "hello"

    def test_content_length_without_transfer_encoding(self):
        """hello's complete body goes out with content-length: 13 and no transfer-encoding."""
        resp = self.fetch(request("GET", "/"))
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), "13")
        self.assertIsNone(resp.header("transfer-encoding"))
        self.assertEqual(resp.header("content-type"), "text/plain")
        self.assertEqual(resp.body, b"Hello, world!")

    def test_head_has_length_but_no_body(self):
        """HEAD: the GET headers (content-length: 13) and not one body byte; a GET on the same
        connection afterwards gets its own intact response."""
        r = self.reader()
        r.send(request("HEAD", "/"))
        head = r.read_response(head_request=True)
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("content-length"), "13")
        self.assertIsNone(head.header("transfer-encoding"))
        r.assert_open(0.3)  # no stray body bytes arrive
        r.send(request("GET", "/"))
        get = r.read_response()
        self.assertEqual(get.status, 200)
        self.assertEqual(get.body, b"Hello, world!")

    def test_default_date_and_server_headers(self):
        """Every response has exactly one `server: asgiserver` and one IMF-fixdate `date`, close
        to the current time."""
        resp = self.fetch(request("GET", "/"))
        self.assertEqual(resp.header_all("server"), ["asgiserver"])
        date = resp.header("date")
        self.assertRegex(date, IMF_FIXDATE)
        self.assertLess(abs(parsedate_to_datetime(date).timestamp() - time.time()), 5)

    def test_default_headers_on_error_responses(self):
        """Server-generated errors (400) carry the default headers too."""
        r = self.reader()
        r.send(b"GET / HTTP/1.1\r\n\r\n")  # no Host
        resp = r.read_response()
        self.assertEqual(resp.status, 400)
        self.assertEqual(resp.header("server"), "asgiserver")
        self.assertRegex(resp.header("date"), IMF_FIXDATE)


class EchoFramingTest(ServerTestCase):
    APP = "echo"
    HEALTH_REQUEST = request("POST", "/", [("Connection", "close")], b"ping")

    def test_chunked_request_gets_chunked_response(self):
        """Streaming without a length: transfer-encoding: chunked and no content-length."""
        r = self.reader()
        r.send(request("POST", "/", [("Transfer-Encoding", "chunked")], chunked(b"abc", b"def")))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("transfer-encoding"), "chunked")
        self.assertIsNone(resp.header("content-length"))
        self.assertEqual(resp.body, b"abcdef")
        self.assertTrue(resp.raw.endswith(b"0\r\n\r\n"), resp.raw)

    def test_http10_response_is_close_delimited(self):
        """HTTP/1.0 cannot do chunked: the echo arrives without transfer-encoding, and the body
        ends with the connection."""
        r = self.reader()
        r.send(request("POST", "/", [("Content-Type", "text/plain")], b"old client", version="1.0"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertIsNone(resp.header("transfer-encoding"))
        self.assertEqual(resp.body, b"old client")
        self.assertTrue(r.eof)


class NoServerHeaderTest(ServerTestCase):
    APP = "hello"
    ARGS = ("--no-server-header",)

    def test_server_header_removed(self):
        """--no-server-header: no `server` header; `date` is still there."""
        resp = self.fetch(request("GET", "/"))
        self.assertEqual(resp.status, 200)
        self.assertFalse(resp.has_header("server"), resp.headers)
        self.assertRegex(resp.header("date"), IMF_FIXDATE)


class NoDateHeaderTest(ServerTestCase):
    APP = "hello"
    ARGS = ("--no-date-header",)

    def test_date_header_removed(self):
        """--no-date-header: no `date` header; `server` is still there."""
        resp = self.fetch(request("GET", "/"))
        self.assertEqual(resp.status, 200)
        self.assertFalse(resp.has_header("date"), resp.headers)
        self.assertEqual(resp.header("server"), "asgiserver")

    def test_date_header_removed_on_error_responses(self):
        """The switch applies to server-generated error responses as well."""
        r = self.reader()
        r.send(b"GET / HTTP/1.1\r\n\r\n")
        resp = r.read_response()
        self.assertEqual(resp.status, 400)
        self.assertFalse(resp.has_header("date"), resp.headers)


if __name__ == "__main__":
    unittest.main()
