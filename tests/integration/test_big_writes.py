"""Responses bigger than the socket buffer (testing app, /bytes): the server sends what fits at
once and the rest when the client reads, without losing, reordering or mixing bytes, also when
pipelined responses queue behind such a write."""

import time
import unittest

from support import ServerTestCase, request

BIG = 8 * 1024 * 1024  # well past what loopback socket buffers take from a client that waits


def expected_body(n):
    pattern = bytes(range(251))
    return (pattern * (n // 251 + 1))[:n]


class BigWritesTest(ServerTestCase):
    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/bytes?n=10", [("Connection", "close")])

    def read_responses(self, sock, sizes):
        """Reads len(sizes) content-length responses; returns their bodies."""
        buf = bytearray()
        bodies = []
        for size in sizes:
            while b"\r\n\r\n" not in buf:
                data = sock.recv(1 << 20)
                self.assertTrue(data, "closed while reading a head")
                buf += data
            head, _, rest = bytes(buf).partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head[:100])
            self.assertIn(b"\r\ncontent-length: %d\r\n" % size, head + b"\r\n")
            buf = bytearray(rest)
            while len(buf) < size:
                data = sock.recv(1 << 20)
                self.assertTrue(data, "closed after %d of %d body bytes" % (len(buf), size))
                buf += data
            bodies.append(bytes(buf[:size]))
            del buf[:size]
        self.assertEqual(bytes(buf), b"", "bytes after the last response")
        return bodies

    def test_big_body_from_a_slow_reader(self):
        """An 8 MiB body in one message, read only after a pause: it arrives intact."""
        sock = self.connect(timeout=30)
        sock.sendall(request("GET", "/bytes?n=%d" % BIG))
        time.sleep(0.5)  # the server has filled the socket buffers and waits for us
        (body,) = self.read_responses(sock, [BIG])
        self.assertEqual(body, expected_body(BIG))
        self.assertServerHealthy()

    def test_pipelined_behind_a_big_body(self):
        """Three pipelined requests (8 MiB, 8 MiB, 10 bytes) while the client waits: three
        complete responses in order."""
        sock = self.connect(timeout=30)
        sizes = [BIG, BIG, 10]
        sock.sendall(b"".join(request("GET", "/bytes?n=%d" % n) for n in sizes))
        time.sleep(0.5)
        bodies = self.read_responses(sock, sizes)
        for size, body in zip(sizes, bodies):
            self.assertEqual(body, expected_body(size))
        # The connection still serves.
        sock.sendall(request("GET", "/bytes?n=3"))
        self.assertEqual(self.read_responses(sock, [3]), [b"\x00\x01\x02"])


if __name__ == "__main__":
    unittest.main()
