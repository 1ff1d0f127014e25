"""Responses bigger than the socket buffer (testing app, /bytes): the server sends what fits at
once and the rest when the client reads, without losing, reordering or mixing bytes, also when
pipelined responses queue behind such a write."""

import socket
import time
import unittest

from support import HOST, ServerTestCase, request

BIG = 8 * 1024 * 1024  # well past what loopback socket buffers take from a client that waits


def expected_body(n):
    pattern = bytes(range(251))
    return (pattern * (n // 251 + 1))[:n]


def dechunk(data):
    """The body of a complete chunked message (no trailers)."""
    out, at = [], 0
    while True:
        line_end = data.index(b"\r\n", at)
        size = int(data[at:line_end], 16)
        if size == 0:
            assert data[line_end:] == b"\r\n\r\n", data[line_end:line_end + 50]
            return b"".join(out)
        out.append(data[line_end + 2:line_end + 2 + size])
        assert data[line_end + 2 + size:line_end + 4 + size] == b"\r\n"
        at = line_end + 4 + size


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


    def test_small_response_after_a_big_one(self):
        """A request sent while an 8 MiB answer is stuck on a full socket: its small answer
        follows the big one intact (it may find the socket still full)."""
        sock = self.connect(timeout=30)
        sock.sendall(request("GET", "/bytes?n=%d" % BIG))
        time.sleep(0.3)
        sock.sendall(request("GET", "/bytes?n=100"))
        time.sleep(0.2)
        big, small = self.read_responses(sock, [BIG, 100])
        self.assertEqual(big, expected_body(BIG))
        self.assertEqual(small, expected_body(100))

    def test_small_chunks_into_a_full_socket(self):
        """4,000 chunks of 1,500 bytes (6 MB) streamed to a client with a small receive buffer
        that reads only after a pause: chunk writes find the socket full; every chunk arrives, in
        order."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.settimeout(30)
        sock.connect((HOST, self.server.port))
        self._sockets.append(sock)
        sock.sendall(request("GET", "/stream?chunks=4000&delay_ms=0&size=1500"))
        time.sleep(0.5)
        raw = bytearray()
        while not raw.endswith(b"\r\n0\r\n\r\n"):
            data = sock.recv(1 << 20)
            self.assertTrue(data, "closed after %d bytes" % len(raw))
            raw += data
        head, _, chunked = bytes(raw).partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head[:100])
        self.assertIn(b"\r\ntransfer-encoding: chunked", head)
        expected = b"".join(bytes([97 + i % 26]) * 1500 for i in range(4000))
        self.assertEqual(dechunk(chunked), expected)

if __name__ == "__main__":
    unittest.main()
