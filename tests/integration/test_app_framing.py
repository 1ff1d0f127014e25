"""How the server frames what an app sends (testing app): bodies dropped for 204/304, streamed
chunks flushed as they are sent, and response trailers only for clients that accept them."""

import time
import unittest

from support import Response, ServerTestCase, request


class AppFramingTest(ServerTestCase):
    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")])

    def check_bodiless(self, status):
        r = self.reader()
        r.send(request("GET", "/status/%d" % status))
        resp = r.read_response()  # reads no body for 204/304
        self.assertEqual(resp.status, status)
        self.assertIsNone(resp.header("transfer-encoding"))
        if status == 204:
            self.assertIsNone(resp.header("content-length"))
        # No body bytes: the next response on this connection starts right after the head.
        r.send(request("GET", "/stream?chunks=1&delay_ms=0"))
        nxt = r.read_response()
        self.assertEqual(nxt.status, 200, nxt.raw)
        self.assertEqual(nxt.body, b"chunk-0\n")
        self.assertNotIn(b"must not be sent", resp.raw + nxt.raw)

    def test_204_body_dropped(self):
        """An app sending a body with 204: no body bytes, no transfer-encoding, no
        content-length; the connection serves the next request."""
        self.check_bodiless(204)

    def test_304_body_dropped(self):
        """Same for 304 Not Modified."""
        self.check_bodiless(304)

    def test_stream_arrives_incrementally(self):
        """Four chunks sent 300 ms apart arrive as separate chunks, spread over time (the first
        well before the last), in a chunked response."""
        r = self.reader()
        start = time.monotonic()
        r.send(request("GET", "/stream?chunks=4&delay_ms=300"))
        resp = Response()
        r.read_head(resp)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("transfer-encoding"), "chunked")
        self.assertIsNone(resp.header("content-length"))
        arrivals = []
        for i in range(4):
            size = int(r.read_line(), 16)
            data = r.read_exact(size + 2)
            arrivals.append(time.monotonic() - start)
            self.assertEqual(data, b"chunk-%d\n\r\n" % i)
        self.assertEqual(r.read_exact(5), b"0\r\n\r\n")
        self.assertGreaterEqual(arrivals[-1] - arrivals[0], 0.6, arrivals)
        self.assertLess(arrivals[0], arrivals[-1] - 0.5, arrivals)

    def test_stream_over_http10_is_close_delimited(self):
        """An HTTP/1.0 client gets the streamed chunks raw, ended by the close."""
        r = self.reader()
        r.send(request("GET", "/stream?chunks=3&delay_ms=50", version="1.0"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertIsNone(resp.header("transfer-encoding"))
        self.assertEqual(resp.body, b"chunk-0\nchunk-1\nchunk-2\n")

    def test_trailers_sent_to_client_that_accepts_them(self):
        """With `TE: trailers` the trailer field follows the last chunk."""
        r = self.reader()
        r.send(request("GET", "/trailers", [("TE", "trailers")]))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("transfer-encoding"), "chunked")
        self.assertEqual(resp.body, b"data")
        self.assertEqual(resp.trailers, [("x-checksum", "abc")])
        self.assertTrue(resp.raw.endswith(b"0\r\nx-checksum: abc\r\n\r\n"), resp.raw)

    def test_no_trailers_without_te(self):
        """Without `TE: trailers` the body is the same and no trailer field is sent; the
        connection stays usable."""
        r = self.reader()
        r.send(request("GET", "/trailers"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"data")
        self.assertEqual(resp.trailers, [])
        self.assertNotIn(b"x-checksum: abc", resp.raw)
        r.send(request("GET", "/trailers", [("TE", "trailers")]))
        self.assertEqual(r.read_response().trailers, [("x-checksum", "abc")])

    def test_unknown_path_404(self):
        """The testing app's fallback: anything else is a 404."""
        resp = self.fetch(request("GET", "/nope"))
        self.assertEqual(resp.status, 404)
        self.assertEqual(resp.body, b"Not Found")


if __name__ == "__main__":
    unittest.main()
