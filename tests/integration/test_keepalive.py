"""Persistent connections: HTTP/1.1 keeps the connection by default, HTTP/1.0 closes it unless
asked, and `Connection: close` (any case) closes it after the response."""

import socket
import time
import unittest

from support import Reader, ServerTestCase, request

HELLO = b"Hello, world!"


class KeepAliveTest(ServerTestCase):
    APP = "hello"

    def test_http11_serves_several_requests_on_one_connection(self):
        """Three sequential requests on one HTTP/1.1 socket all get full answers; it stays open."""
        r = self.reader()
        for i in range(3):
            r.send(request("GET", "/n%d" % i))
            resp = r.read_response()
            self.assertEqual((resp.version, resp.status, resp.reason), ("1.1", 200, "OK"))
            self.assertEqual(resp.body, HELLO)
            self.assertIsNone(resp.header("connection"))
        r.assert_open(0.5)

    def parked_connection(self):
        """A connection after one request and 0.3 s of quiet: parked by then (after its first
        response a connection parks within 25 ms; it then gives back its coroutine, buffers and
        parser and waits on a callback)."""
        r = self.reader()
        r.send(request("GET", "/first"))
        self.assertEqual(r.read_response().body, HELLO)
        time.sleep(0.3)
        return r

    def test_parked_connection_wakes_for_its_next_request(self):
        """Single, pipelined and split requests on a parked connection are served as before."""
        r = self.parked_connection()
        r.send(request("GET", "/single"))
        resp = r.read_response()
        self.assertEqual((resp.status, resp.body), (200, HELLO))

        r = self.parked_connection()
        r.send(request("GET", "/a") + request("GET", "/b"))
        self.assertEqual([r.read_response().body for _ in range(2)], [HELLO, HELLO])

        r = self.parked_connection()
        raw = request("GET", "/split")
        r.send(raw[:5])
        time.sleep(0.3)  # a started request does not park (its parser state must survive)
        r.send(raw[5:])
        self.assertEqual(r.read_response().body, HELLO)
        r.assert_open(0.5)

    def test_http10_closes_after_response_by_default(self):
        """HTTP/1.0 without Connection: keep-alive: one response, then the server closes."""
        r = self.reader()
        r.send(request("GET", "/", version="1.0"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, HELLO)
        self.assertNotEqual((resp.header("connection") or "").lower(), "keep-alive")
        r.assert_closed(5)

    def test_http10_keep_alive_is_honoured(self):
        """HTTP/1.0 with Connection: keep-alive: the response says keep-alive and the socket
        carries a second request."""
        r = self.reader()
        for _ in range(2):
            r.send(request("GET", "/", [("Connection", "keep-alive")], version="1.0"))
            resp = r.read_response()
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.version, "1.1")
            self.assertEqual(resp.header("connection").lower(), "keep-alive")
            self.assertEqual(resp.body, HELLO)
        r.assert_open(0.5)

    def test_connection_close_in_any_case_closes(self):
        """`Connection: close`, `CLOSE` and `Close` all give `connection: close` and a close."""
        for value in ("close", "CLOSE", "Close"):
            with self.subTest(value=value):
                r = self.reader()
                r.send(request("GET", "/", [("Connection", value)]))
                resp = r.read_response()
                self.assertEqual(resp.status, 200)
                self.assertEqual(resp.body, HELLO)
                self.assertEqual(resp.header("connection"), "close")
                r.assert_closed(5)

    def test_connection_close_among_other_tokens(self):
        """`Connection: keep-alive, close` still means close (the close token wins)."""
        r = self.reader()
        r.send(request("GET", "/", [("Connection", "keep-alive, Close")]))
        resp = r.read_response()
        self.assertEqual(resp.header("connection"), "close")
        r.assert_closed(5)


class AppConnectionHeaderTest(ServerTestCase):
    """The app's own `connection` response header (testing /connection-header?value=...): a close
    token in any letter case ends keep-alive after that response, as the header promised the
    client; another value leaves the connection open."""

    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/bytes?n=10", [("Connection", "close")])

    def test_app_connection_close_in_any_case_closes(self):
        """`close`, `Close`, `CLOSE` and `cLoSe` from the app: the response carries the app's
        header as sent (no second connection header), then the server closes."""
        for value in ("close", "Close", "CLOSE", "cLoSe"):
            with self.subTest(value=value):
                r = self.reader()
                r.send(request("GET", "/connection-header?value=" + value))
                resp = r.read_response()
                self.assertEqual((resp.status, resp.body), (200, b"bye"))
                self.assertEqual(resp.header("connection"), value)
                r.assert_closed(3)
        self.assertServerHealthy()

    def test_app_connection_keep_alive_stays_open(self):
        """`keep-alive` from the app: the connection carries the next request."""
        r = self.reader()
        r.send(request("GET", "/connection-header?value=keep-alive"))
        resp = r.read_response()
        self.assertEqual(resp.header("connection"), "keep-alive")
        r.send(request("GET", "/bytes?n=3"))
        self.assertEqual(r.read_response().body, b"\x00\x01\x02")
        r.assert_open(0.3)


class NextRequestTest(ServerTestCase):
    """How a keep-alive connection picks up its next request: read straight away when it is
    already there (the server tries that after serving the others), else when it arrives."""

    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/bytes?n=10", [("Connection", "close")])

    def test_request_sent_while_the_previous_is_served(self):
        """The next request arrives during a slow response: both answered, in order."""
        r = self.reader()
        r.send(request("GET", "/stream?chunks=2&delay_ms=200"))
        time.sleep(0.1)
        r.send(request("GET", "/bytes?n=5"))
        first = r.read_response()
        self.assertEqual(first.body, b"chunk-0\nchunk-1\n")
        second = r.read_response()
        self.assertEqual(second.body, b"\x00\x01\x02\x03\x04")
        r.assert_open(0.3)

    def test_many_quick_requests(self):
        """200 requests back to back on one connection, each sent as soon as the previous answer
        is in (the server's early read hits and misses in turn): every answer is right."""
        r = self.reader()
        for i in range(200):
            n = i % 7
            r.send(request("GET", "/bytes?n=%d" % n))
            resp = r.read_response()
            self.assertEqual(resp.body, bytes(range(n)), "request %d" % i)

    def test_client_leaving_after_a_response(self):
        """The client half-closes right after its answer: the server closes too and stays
        healthy."""
        for _ in range(5):
            sock = self.connect()
            sock.sendall(request("GET", "/bytes?n=3"))
            r = Reader(sock)
            self.assertEqual(r.read_response().body, b"\x00\x01\x02")
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(5)
            self.assertEqual(sock.recv(100), b"")
        self.assertServerHealthy()

if __name__ == "__main__":
    unittest.main()
