"""Pipelining: several requests written at once are answered strictly in order on the same
connection; a `Connection: close` request ends the connection even if more requests follow."""

import json
import unittest

from support import ServerTestCase, chunked, request


class InspectPipeliningTest(ServerTestCase):
    APP = "inspect"

    def test_mixed_requests_in_one_write_answered_in_order(self):
        """GET, POST with a Content-Length body, POST chunked and GET, all in one sendall: four
        responses in request order, each describing its own request."""
        data = (request("GET", "/first?n=1")
                + request("POST", "/second", [("Content-Type", "text/plain")], b"body of two")
                + request("POST", "/third", [("Transfer-Encoding", "chunked")],
                          chunked(b"ab", b"cd"))
                + request("GET", "/fourth"))
        r = self.reader()
        r.send(data)
        seen = []
        for _ in range(4):
            resp = r.read_response()
            self.assertEqual(resp.status, 200, resp.raw)
            scope = json.loads(resp.body)
            seen.append((scope["method"], scope["path"]))
        self.assertEqual(seen, [("GET", "/first"), ("POST", "/second"), ("POST", "/third"),
                                ("GET", "/fourth")])
        r.assert_open(0.3)

    def test_many_pipelined_requests(self):
        """Twenty pipelined GETs in one write: twenty responses, in order."""
        r = self.reader()
        r.send(b"".join(request("GET", "/r%d" % i) for i in range(20)))
        paths = [json.loads(r.read_response().body)["path"] for _ in range(20)]
        self.assertEqual(paths, ["/r%d" % i for i in range(20)])


class EchoPipeliningTest(ServerTestCase):
    APP = "echo"
    HEALTH_REQUEST = request("POST", "/", [("Connection", "close")], b"ping")

    def test_pipelined_bodies_echoed_in_order(self):
        """Three POSTs (Content-Length, chunked, Content-Length) in one write are echoed back in
        order, each with exactly its own body."""
        data = (request("POST", "/1", [("Content-Type", "text/plain")], b"one")
                + request("POST", "/2", [("Content-Type", "text/plain"),
                                         ("Transfer-Encoding", "chunked")], chunked(b"tw", b"o"))
                + request("POST", "/3", [("Content-Type", "text/plain")], b"three"))
        r = self.reader()
        r.send(data)
        bodies = []
        for _ in range(3):
            resp = r.read_response()
            self.assertEqual(resp.status, 200)
            bodies.append(resp.body)
        self.assertEqual(bodies, [b"one", b"two", b"three"])
        r.assert_open(0.3)


class HelloPipeliningTest(ServerTestCase):
    APP = "hello"

    def test_close_on_first_request_ignores_the_rest(self):
        """`Connection: close` on the first of two pipelined requests: exactly one response
        (with connection: close), then the connection ends; no 400 for the second request."""
        data = request("GET", "/", [("Connection", "close")]) + request("GET", "/second")
        r = self.reader()
        r.send(data)
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("connection"), "close")
        self.assertEqual(resp.body, b"Hello, world!")
        r.assert_closed(5)
        self.assertServerHealthy()

    def test_pipelined_head_and_get(self):
        """HEAD then GET pipelined: the HEAD response has no body, so the GET response follows
        immediately and intact."""
        r = self.reader()
        r.send(request("HEAD", "/") + request("GET", "/"))
        head = r.read_response(head_request=True)
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("content-length"), "13")
        get = r.read_response()
        self.assertEqual(get.status, 200)
        self.assertEqual(get.body, b"Hello, world!")


if __name__ == "__main__":
    unittest.main()
