"""Request bodies reach the app byte for byte, framed by Content-Length or chunked encoding, small
or large, and the echo app streams them back as they arrive."""

import hashlib
import os
import threading
import unittest

from support import Response, ServerTestCase, chunked, request

ALL_BYTES = bytes(range(256)) * 4


class EchoBodiesTest(ServerTestCase):
    APP = "echo"
    HEALTH_REQUEST = request("POST", "/", [("Connection", "close")], b"ping")

    def test_content_length_body_echoed_exactly(self):
        """Every byte value survives a Content-Length body; the request content-type comes back."""
        r = self.reader()
        r.send(request("POST", "/", [("Content-Type", "application/x-test")], ALL_BYTES))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-type"), "application/x-test")
        self.assertEqual(resp.body, ALL_BYTES)

    def test_chunked_body_echoed_exactly(self):
        """A chunked body of several chunks (with a chunk extension) is echoed exactly."""
        body = (b"5;ext=1\r\nhello\r\n" + b"1\r\n \r\n" + b"%x\r\n" % len(ALL_BYTES) + ALL_BYTES
                + b"\r\n0\r\n\r\n")
        r = self.reader()
        r.send(request("POST", "/", [("Transfer-Encoding", "chunked")], body))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"hello " + ALL_BYTES)

    def test_chunked_body_with_trailer_fields(self):
        """Request trailer fields after the last chunk are accepted and not echoed as body."""
        r = self.reader()
        r.send(request("POST", "/", [("Transfer-Encoding", "chunked")],
                       b"3\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"abc")

    def test_empty_body(self):
        """`Content-Length: 0`: 200 with an empty body, and the connection stays usable."""
        r = self.reader()
        r.send(request("POST", "/", [("Content-Length", "0")]))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"")
        r.send(request("POST", "/", body=b"again"))
        self.assertEqual(r.read_response().body, b"again")

    def test_body_streamed_back_as_it_arrives(self):
        """The first chunk is echoed before the client sends the rest of a chunked body."""
        r = self.reader()
        r.send(request("POST", "/", [("Transfer-Encoding", "chunked")]) + b"6\r\nfirst,\r\n")
        resp = Response()
        r.read_head(resp)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("transfer-encoding"), "chunked")
        self.assertEqual(r.read_line(), b"6")
        self.assertEqual(r.read_exact(8), b"first,\r\n")
        r.send(b"6\r\nsecond\r\n0\r\n\r\n")
        self.assertEqual(r.read_line(), b"6")
        self.assertEqual(r.read_exact(8), b"second\r\n")
        self.assertEqual(r.read_exact(5), b"0\r\n\r\n")

    def test_large_body_echoed(self):
        """A 5 MB body, sent while the response is read concurrently, comes back intact."""
        body = os.urandom(5 * 1024 * 1024)
        r = self.reader(timeout=30)
        errors = []

        def upload():
            try:
                r.send(request("POST", "/big", [("Content-Type", "application/octet-stream")],
                               body))
            except OSError as e:  # reported through the response check below
                errors.append(e)

        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        resp = r.read_response()
        sender.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.body), len(body))
        self.assertEqual(hashlib.sha256(resp.body).hexdigest(), hashlib.sha256(body).hexdigest())

    def test_large_chunked_body_echoed(self):
        """A 2 MB body in 64 KiB chunks comes back intact."""
        pieces = [os.urandom(65536) for _ in range(32)]
        r = self.reader(timeout=30)
        sender = threading.Thread(
            target=lambda: r.send(request("POST", "/", [("Transfer-Encoding", "chunked")],
                                          chunked(*pieces))), daemon=True)
        sender.start()
        resp = r.read_response()
        sender.join(30)
        self.assertEqual(resp.body, b"".join(pieces))


class SlowReaderBodyTest(ServerTestCase):
    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")])

    def test_app_reading_slowly_gets_every_byte(self):
        """An app that sleeps between receive() calls still gets the whole 1 MiB body."""
        body = os.urandom(1 << 20)
        r = self.reader(timeout=30)
        sender = threading.Thread(
            target=lambda: r.send(request("POST", "/read-slowly?delay_ms=10", body=body)),
            daemon=True)
        sender.start()
        resp = r.read_response()
        sender.join(30)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, str(len(body)).encode())


if __name__ == "__main__":
    unittest.main()
