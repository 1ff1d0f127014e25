"""`Expect: 100-continue`: the interim `100 Continue` is sent only when the app asks for the body,
exactly once and before the final response; an app that never reads gets no 100 at all."""

import unittest

from support import ServerTestCase, request

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class EchoExpectContinueTest(ServerTestCase):
    APP = "echo"
    HEALTH_REQUEST = request("POST", "/", [("Connection", "close")], b"ping")

    def test_100_continue_then_final_response(self):
        """Headers only: the client receives exactly `HTTP/1.1 100 Continue\\r\\n\\r\\n`; after
        it sends the body, the echoed 200 follows on the same connection."""
        r = self.reader()
        r.send(request("POST", "/", [("Expect", "100-continue"), ("Content-Length", "11"),
                                     ("Content-Type", "text/plain")]))
        self.assertEqual(r.read_exact(len(CONTINUE)), CONTINUE)
        r.send(b"hello world")
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"hello world")
        # And the connection carries another request afterwards.
        r.send(request("POST", "/", body=b"again"))
        resp = r.read_response()
        self.assertEqual(resp.body, b"again")

    def test_100_continue_with_chunked_body(self):
        """Expect with a chunked body: one 100 Continue, then the echo of the chunks."""
        r = self.reader()
        r.send(request("POST", "/", [("Expect", "100-continue"),
                                     ("Transfer-Encoding", "chunked")]))
        self.assertEqual(r.read_exact(len(CONTINUE)), CONTINUE)
        r.send(b"3\r\nabc\r\n0\r\n\r\n")
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"abc")
        self.assertNotIn(b"100 Continue", r.buf)

    def test_body_sent_without_waiting(self):
        """A client that sends the body right away anyway still gets its echo, and never a
        second 100."""
        r = self.reader()
        r.send(request("POST", "/", [("Expect", "100-continue")], b"eager"))
        first = r.read_response()
        if first.status == 100:  # allowed: the app did ask for the body
            self.assertEqual(first.raw, CONTINUE)
            first = r.read_response()
        self.assertEqual(first.status, 200)
        self.assertEqual(first.body, b"eager")


class HelloExpectContinueTest(ServerTestCase):
    APP = "hello"

    def test_no_100_when_app_never_reads(self):
        """hello never calls receive(): the final 200 comes directly, with no 100 before it."""
        r = self.reader()
        r.send(request("POST", "/", [("Expect", "100-continue"), ("Content-Length", "5")]))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.raw.startswith(b"HTTP/1.1 200 OK\r\n"), resp.raw)
        self.assertEqual(resp.body, b"Hello, world!")
        self.assertNotIn(b"100 Continue", resp.raw + r.buf)


if __name__ == "__main__":
    unittest.main()
